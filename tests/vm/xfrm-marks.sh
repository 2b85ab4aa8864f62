#!/bin/bash
# xfrm-marks: many clients behind one NAT. Two clients share the same public address, so
# their outbound transport policies have identical selectors; XFRM marks (XFRMA_MARK on
# SA and policy) keep them apart. Packets marked 1 (SO_MARK, as l2tpd's per-tunnel socket
# would set) must leave through client 1's SA only, packets marked 2 through client 2's.
# Inbound, XFRMA_SET_MARK on each client's inbound SA marks its decrypted packets, and the
# inbound policies (same selector, different mark) accept each client's packets by mark.
. "$L2SEC_SRC/tests/vm/lib.sh"
need ping
X=$L2SEC_BUILD/tests/tools/xfrmctl
[ -x "$X" ] || fail "$X not built (cmake --build \$L2SEC_BUILD --target xfrmctl)"

netns_pair srv nat 192.0.2.1/24 192.0.2.254/24
S() { ip netns exec srv "$X" "$@"; }
N() { ip netns exec nat "$X" "$@"; }

ip netns exec srv sysctl -qw net.ipv4.fwmark_reflect=1  # replies keep the client's mark
for c in 1 2; do
	# Server side: out SA + policy for client c, in SA with set-mark c and in policy.
	S add-sa 192.0.2.1 192.0.2.254 $((0x5000 + c)) gcm16-128 reqid=$c mark=$c/0xff ||
		fail "server out SA $c"
	S add-sa 192.0.2.254 192.0.2.1 $((0x6000 + c)) gcm16-128 reqid=$c replay=32 \
		set-mark=$c/0xff || fail "server in SA $c"
	S add-policy out 192.0.2.1 192.0.2.254 mode=transport reqid=$c mark=$c/0xff ||
		fail "server out policy $c"
	S add-policy in 192.0.2.254 192.0.2.1 mode=transport reqid=$c mark=$c/0xff ||
		fail "server in policy $c"
done
[ "$(ip -n srv xfrm policy list dir out | grep -c '^src 192.0.2.1/32 dst 192.0.2.254/32')" = 2 ] ||
	fail "expected two outbound policies with the same selector"

pk() { S get-sa "$1" "$2" mark="$3"/0xff | sed -n 's/.*packets=\([0-9]*\).*/\1/p'; }
ip netns exec srv ping -q -c 3 -i 0.2 -W 1 -m 1 192.0.2.254 > /dev/null 2>&1 || true
[ "$(pk 192.0.2.254 0x5001 1)" = 3 ] && [ "$(pk 192.0.2.254 0x5002 2)" = 0 ] ||
	fail "mark 1: SA 0x5001 counted $(pk 192.0.2.254 0x5001 1), 0x5002 $(pk 192.0.2.254 0x5002 2); want 3 and 0"
ip netns exec srv ping -q -c 2 -i 0.2 -W 1 -m 2 192.0.2.254 > /dev/null 2>&1 || true
[ "$(pk 192.0.2.254 0x5001 1)" = 3 ] && [ "$(pk 192.0.2.254 0x5002 2)" = 2 ] ||
	fail "mark 2: SA 0x5001 counted $(pk 192.0.2.254 0x5001 1), 0x5002 $(pk 192.0.2.254 0x5002 2); want 3 and 2"
log "outbound: marks 1 and 2 chose their own SA under identical selectors"

# Inbound: the "NAT" sends client 2's ESP (its own out SA = our in SA 0x6002).
N add-sa 192.0.2.254 192.0.2.1 $((0x6002)) gcm16-128 reqid=2 || fail "peer out SA"
N add-sa 192.0.2.1 192.0.2.254 $((0x5002)) gcm16-128 reqid=2 replay=32 || fail "peer in SA"
N add-policy out 192.0.2.254 192.0.2.1 mode=transport reqid=2 || fail "peer out policy"
N add-policy in 192.0.2.1 192.0.2.254 mode=transport reqid=2 || fail "peer in policy"
ip netns exec nat ping -q -c 2 -i 0.2 -W 2 192.0.2.1 > /dev/null ||
	fail "client 2 -> server ping through marked SAs failed"
[ "$(pk 192.0.2.1 0x6002 0)" -ge 2 ] || fail "server in SA 0x6002 counted $(pk 192.0.2.1 0x6002 0)"
[ "$(pk 192.0.2.1 0x6001 0)" = 0 ] || fail "server in SA 0x6001 counted client 2's packets"
log "inbound: client 2's packets decrypted by its SA, marked 2, accepted by its policy"
out=$(S flush)
[ "$out" = "flushed sas=4 policies=4" ] || fail "flush said '$out'"
