#!/bin/bash
# ikev1-nat-two-clients: two strongSwan clients behind one NAT (same public address, both
# using UDP/1701) connect to ikd with ikd.nat_marks on. Their transport-mode selectors are
# identical; ikd must give each client's SAs and policies its own XFRM mark, so that
# datagrams sent from the server with a client's SO_MARK reach that client only, through
# its own ESP SA, and each client's datagrams are accepted.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
ikev1_need

netns_nat client1 nat server         # client1 198.51.100.2 -> NAT 192.0.2.254 -> server 192.0.2.1
netns_nat_client nat client2 198.51.100.3
server=192.0.2.1 public=192.0.2.254

charon_conf client1 198.51.100.2 "$server" initiator aes128-sha256-modp2048 aes128-sha256 "$IKEV1_PSK"
charon_conf client2 198.51.100.3 "$server" initiator aes128-sha256-modp2048 aes128-sha256 "$IKEV1_PSK"
ikd_conf server "%any" "$IKEV1_PSK" ""
sed -i 's|^ikd: {|ikd: { nat_marks = true; mark_base = 256;|' "$VM_STATE/ikd-server/ikd.conf"
ikd_start server
start_charon client1 "$VM_STATE/client1" client2 "$VM_STATE/client2"
for c in client1 client2; do
	charon_swanctl "$c" --initiate --child l2tp --timeout 60 > "$VM_STATE/initiate-$c.log" 2>&1 ||
		{ cat "$VM_STATE/initiate-$c.log" >&2; fail "swanctl --initiate from $c failed"; }
done
wait_for 30 "two IPsec SA pairs in ikd" esp_states_are server 4
grep -q 'event=ipsec_sa_established.*mark=0x100' "$VM_STATE/ikd-server.log" || fail "no SA pair with mark 0x100"
grep -q 'event=ipsec_sa_established.*mark=0x101' "$VM_STATE/ikd-server.log" || fail "no SA pair with mark 0x101"
[ "$(ip -n server xfrm policy list | grep -c 'mark 0x10[01]/0xffffffff')" -ge 4 ] ||
	fail "ikd did not install marked policies for both clients"
log "two clients behind one NAT: two SA pairs, marks 0x100 and 0x101"

# Which mark belongs to which client: the client's outbound SPI is ikd's inbound SPI.
mark_of() {
	local spi
	spi=$(xfrm_spi "$1" "$2" "$server")
	grep "event=ipsec_sa_established.*spi_in=${spi#0x} " "$VM_STATE/ikd-server.log" | sed 's/.*mark=\(0x[0-9a-f]*\).*/\1/'
}
m1=$(mark_of client1 198.51.100.2) m2=$(mark_of client2 198.51.100.3)
[ -n "$m1" ] && [ -n "$m2" ] && [ "$m1" != "$m2" ] || fail "cannot tell the clients' marks apart ($m1, $m2)"
log "client1 has mark $m1, client2 has mark $m2"

for ns in client1 client2 server; do
	start_bg "udp1701-$ns" "$ns" socat -u UDP4-RECV:1701,reuseaddr OPEN:"$VM_STATE/received-$ns",creat,append
done
for ns in client1 client2 server; do
	wait_for 30 "the UDP/1701 listener in $ns" sh -c "ip netns exec $ns ss -Hlun 'sport = :1701' | grep -q 1701"
done
for i in 1 2 3; do
	echo "from-client1 $i" | ip netns exec client1 socat -u - UDP4-SENDTO:$server:1701,bind=198.51.100.2:1701,reuseaddr
	echo "from-client2 $i" | ip netns exec client2 socat -u - UDP4-SENDTO:$server:1701,bind=198.51.100.3:1701,reuseaddr
	echo "to-client1 $i" | ip netns exec server socat -u - \
		UDP4-SENDTO:$public:1701,bind=$server:1701,reuseaddr,setsockopt-int=1:36:$((m1))
	echo "to-client2 $i" | ip netns exec server socat -u - \
		UDP4-SENDTO:$public:1701,bind=$server:1701,reuseaddr,setsockopt-int=1:36:$((m2))
done
wait_for 30 "both clients' datagrams at the server" sh -c \
	"[ \$(grep -c '^from-client' $VM_STATE/received-server) = 6 ]"
wait_for 30 "client1's datagrams at client1" sh -c "[ \$(grep -c '^to-client1' $VM_STATE/received-client1) = 3 ]"
wait_for 30 "client2's datagrams at client2" sh -c "[ \$(grep -c '^to-client2' $VM_STATE/received-client2) = 3 ]"
grep -q 'to-client2' "$VM_STATE/received-client1" && fail "client1 received client2's datagrams"
grep -q 'to-client1' "$VM_STATE/received-client2" && fail "client2 received client1's datagrams"
for c in client1 client2; do
	xfrm_state_counter "$c" all > /dev/null
	[ "$XFRM_PACKETS" -ge 6 ] || fail "$c's ESP states counted only $XFRM_PACKETS packets"
done
log "PASS: two clients behind one NAT kept apart by XFRM marks, each gets its own datagrams"
