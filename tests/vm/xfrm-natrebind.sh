#!/bin/bash
# xfrm-natrebind: a peer's NAT mapping changes (its ESP-in-UDP now comes from port 4501
# instead of 4500). The receiving kernel reports it with an XFRM_MSG_MAPPING event, read
# through the library; the receiver then updates its SAs' encapsulation ports with
# xfrm_sa_update (UPDSA), and traffic flows to the new port: the peer's old port-4500
# socket is gone by then, so a packet still sent to 4500 would be lost.
. "$L2SEC_SRC/tests/vm/lib.sh"
need ping
X=$L2SEC_BUILD/tests/tools/xfrmctl
[ -x "$X" ] || fail "$X not built (cmake --build \$L2SEC_BUILD --target xfrmctl)"

netns_pair left right 192.0.2.1/24 192.0.2.2/24
start_bg natt-left left "$X" natt-listen 4500
natt_left_old=$BG_PID
start_bg natt-left-new left "$X" natt-listen 4501
start_bg natt-right right "$X" natt-listen 4500
start_bg monitor right "$X" monitor timeout=150
wait_for 10 "natt sockets and the monitor" eval "grep -q listening '$VM_STATE/natt-left.log' &&
	grep -q listening '$VM_STATE/natt-left-new.log' && grep -q listening '$VM_STATE/natt-right.log' &&
	grep -q monitor=ready '$VM_STATE/monitor.log'"

sa() {  # sa NS SRC DST SPI ENCAP [update]
	ip netns exec "$1" "$X" add-sa "$2" "$3" "$4" gcm16-128 mode=transport reqid=1 replay=32 \
		encap="$5" ${6:-} || fail "add-sa $* failed"
}
for ns in left right; do
	sa $ns 192.0.2.1 192.0.2.2 0x7001 4500:4500
	sa $ns 192.0.2.2 192.0.2.1 0x7002 4500:4500
done
ip netns exec left "$X" add-policy out 192.0.2.1 192.0.2.2 mode=transport reqid=1 &&
ip netns exec left "$X" add-policy in 192.0.2.2 192.0.2.1 mode=transport reqid=1 &&
ip netns exec right "$X" add-policy out 192.0.2.2 192.0.2.1 mode=transport reqid=1 &&
ip netns exec right "$X" add-policy in 192.0.2.1 192.0.2.2 mode=transport reqid=1 ||
	fail "add-policy"
ip netns exec left ping -q -c 2 -i 0.2 -W 3 192.0.2.2 > /dev/null || fail "ping before the rebinding"

# Left's "NAT" now maps it to source port 4501.
sa left 192.0.2.1 192.0.2.2 0x7001 4501:4500 update
ip netns exec left ping -q -c 1 -W 3 192.0.2.2 > /dev/null || fail "ping from the new port"
wait_for 20 "a MAPPING event for spi 0x7001 with source port 4501" grep -q \
	"event=mapping owned=1 spi=0x00007001 new_src=192.0.2.1 new_sport=4501" "$VM_STATE/monitor.log"
log "mapping event: $(grep -m1 event=mapping "$VM_STATE/monitor.log")"

# ikd's reaction: follow the peer to its new port, in both SAs.
sa right 192.0.2.1 192.0.2.2 0x7001 4501:4500 update
sa right 192.0.2.2 192.0.2.1 0x7002 4500:4501 update
ip -n right xfrm state get src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x7002 |
	grep -q "encap type espinudp sport 4500 dport 4501" || fail "UPDSA did not change the ports"
kill "$natt_left_old"
wait_for 5 "the old port-4500 socket to close" sh -c \
	"! ip netns exec left ss -uln | grep -q ':4500 '"
before=$(ip netns exec left "$X" get-sa 192.0.2.1 0x7002 | sed -n 's/.*packets=\([0-9]*\).*/\1/p')
ip netns exec left ping -q -c 2 -i 0.2 -W 3 192.0.2.2 > /dev/null ||
	fail "ping after the update: replies did not reach the new port 4501"
after=$(ip netns exec left "$X" get-sa 192.0.2.1 0x7002 | sed -n 's/.*packets=\([0-9]*\).*/\1/p')
[ $((after - before)) -ge 2 ] || fail "left's inbound SA counted $before -> $after packets"
log "after UPDSA the replies reach port 4501 ($before -> $after packets on 0x7002)"
