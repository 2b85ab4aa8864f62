#!/bin/bash
# ikev1-tunnel: charon (initiator) and ikd (responder) negotiate a tunnel-mode IPsec SA
# between two subnets (198.51.100.0/24 behind charon, 203.0.113.0/24 behind ikd), PSK.
# Pings between addresses of the two subnets must succeed and be counted by the ESP states
# ikd installed (tunnel mode, with in/out/fwd policies).
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
ikev1_need

left=192.0.2.1 right=192.0.2.2
netns_pair left right "$left/24" "$right/24"
ip -n left addr add 198.51.100.1/24 dev lo
ip -n right addr add 203.0.113.1/24 dev lo
ip -n left route add 203.0.113.0/24 via "$right"
ip -n right route add 198.51.100.0/24 via "$left"

charon_conf left "$left" "$right" initiator aes256-sha256-modp2048 aes256-sha256 "$IKEV1_PSK" tunnel
sed -i 's|local_ts = dynamic|local_ts = 198.51.100.0/24|; s|remote_ts = dynamic|remote_ts = 203.0.113.0/24|' \
	"$VM_STATE/left/swanctl.conf"
mkdir -p "$VM_STATE/ikd-right"
cat > "$VM_STATE/ikd-right/ikd.conf" <<CONF
ikd: { log_level = "debug"; socket = "$VM_STATE/ikd-right/ikd.sock"; };
connections = ( {
	name = "site"; remote = "$left"; auth = "psk"; mode = "tunnel";
	local_subnet = "203.0.113.0/24"; remote_subnet = "198.51.100.0/24";
	local_protoport = "%any"; remote_protoport = "%any";
	ike = "aes256-sha256-modp2048"; esp = "aes256-sha256";
} );
CONF
cat > "$VM_STATE/ikd-right/secrets.conf" <<CONF
ike: { psk = ( { peer = "$left"; secret = "$IKEV1_PSK"; } ); };
CONF
chmod 600 "$VM_STATE/ikd-right/secrets.conf"
ikd_start right
start_charon left "$VM_STATE/left"

charon_swanctl left --initiate --child l2tp --timeout 60 > "$VM_STATE/initiate.log" 2>&1 ||
	{ cat "$VM_STATE/initiate.log" >&2; fail "swanctl --initiate (tunnel) against ikd failed"; }
wait_for 30 "the tunnel-mode IPsec SA in ikd" grep -q 'event=ipsec_sa_established.*mode=tunnel' \
	"$VM_STATE/ikd-right.log"
ip -n right xfrm state list proto esp | grep -q 'mode tunnel' || fail "ikd's ESP states are not in tunnel mode"
ip -n right xfrm policy list | grep -q 'dir fwd' || fail "ikd installed no forward policy"
check_same_spis left right "$left" "$right"
ip netns exec left ping -c 5 -i 0.3 -W 3 -I 198.51.100.1 203.0.113.1 > "$VM_STATE/ping.log" 2>&1 ||
	{ cat "$VM_STATE/ping.log" >&2; fail "ping through the tunnel failed"; }
for ns in left right; do
	for spi in "$SPI_AB" "$SPI_BA"; do
		xfrm_state_counter "$ns" "$spi" > /dev/null
		log "$ns: SA $spi: $XFRM_PACKETS packets"
		[ "$XFRM_PACKETS" -ge 5 ] || fail "SA $spi in $ns counted $XFRM_PACKETS packets, expected >= 5"
	done
done
log "PASS: tunnel mode between subnets, pings through ESP counted on both sides"
