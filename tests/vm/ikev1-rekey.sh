#!/bin/bash
# ikev1-rekey: charon (initiator) rekeys the IPsec SAs every 20 s and re-authenticates
# the ISAKMP SA every 45 s while a stream of UDP/1701 datagrams (2 per second) flows to
# ikd's side through ESP. ikd must answer every rekey, keep the policies in place while
# the SA pairs change, and drop the old pairs; the stream may lose at most one datagram.
# charon sends on a new pair as soon as it has QM2: ikd installs its inbound SA before
# sending QM2 (when it waited for QM3, 2-5 of 140 datagrams were lost on a loaded host).
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
ikev1_need

left=192.0.2.1 right=192.0.2.2
netns_pair left right "$left/24" "$right/24"

charon_conf left "$left" "$right" initiator aes128-sha256-modp2048 aes128-sha256 "$IKEV1_PSK"
charon_lifetimes left 45 20 30
ikd_conf right "%any" "$IKEV1_PSK" ""
ikd_start right
start_charon left "$VM_STATE/left"
charon_swanctl left --initiate --child l2tp --timeout 60 > "$VM_STATE/initiate.log" 2>&1 ||
	{ cat "$VM_STATE/initiate.log" >&2; fail "swanctl --initiate against ikd failed"; }
wait_for 30 "the first IPsec SA in ikd" grep -q 'event=ipsec_sa_established' "$VM_STATE/ikd-right.log"

start_bg udp1701-right right socat -u UDP4-RECV:1701,reuseaddr OPEN:"$VM_STATE/stream-received",creat,append
wait_for 30 "the UDP/1701 listener in right" sh -c "ip netns exec right ss -Hlun 'sport = :1701' | grep -q 1701"
secs=70
udp_stream_start left "$left" "$right" 2 "$secs"
wait_for $((secs * 4)) "the stream to end (progress: \$(cat $VM_STATE/stream-progress 2>/dev/null))" \
	sh -c "! kill -0 $STREAM_PID 2>/dev/null"
sleep 2

sent=$(cat "$VM_STATE/stream-sent")
received=$(grep -c '^seq ' "$VM_STATE/stream-received" || true)
child_sas=$(grep -c 'event=ipsec_sa_established' "$VM_STATE/ikd-right.log" || true)
ike_sas=$(grep -c 'event=ike_sa_established' "$VM_STATE/ikd-right.log" || true)
log "sent $sent, received $received; ikd established $ike_sas ISAKMP SAs and $child_sas IPsec SA pairs"
[ "$child_sas" -ge 3 ] || fail "only $child_sas IPsec SA pairs: charon did not rekey as configured"
[ "$ike_sas" -ge 2 ] || fail "only $ike_sas ISAKMP SAs: no Phase 1 rekey happened"
[ $((sent - received)) -le 1 ] || fail "lost $((sent - received)) of $sent datagrams across the rekeys"
wait_for 40 "old SA pairs to be gone (at most 2 pairs left)" sh -c \
	"[ \$(ip -n right xfrm state list proto esp | grep -c '^src') -le 4 ]"
kill -0 "$IKD_PID" || fail "ikd died"
log "PASS: Phase 1 and Phase 2 rekeys under traffic, $((sent - received)) datagrams lost"
