#!/bin/bash
# e2e-dead-client: the client's daemons die (kill -9 of charon, xl2tpd and pppd: a client
# that loses power). The server must clean up by itself within its timeouts: ikd's DPD
# (5 s delay, 15 s timeout) deletes the SAs and tells l2tpd, which drops the peer's tunnel and
# session at once; L2TP HELLO (5 s) and PPP echo (5 s x 3) catch it too. Whatever comes
# first, nothing may be left: no xfrm state, no L2TP tunnel, no ppp interface, no session.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
. "$L2SEC_SRC/tests/vm/e2e-helpers.bash"
ikev1_need
need xl2tpd pppd

E2E_IKD_EXTRA="dpd_delay = 5; dpd_timeout = 15;" e2e_alice_up
[ -n "$(e2e_session_json alice)" ] || fail "no session for alice"

# Every process of the client namespace (all started by this scenario).
t0=${EPOCHREALTIME/./}
for pid in $(ip netns pids client); do kill -9 "$pid" 2>/dev/null || true; done
wait_for 45 "the server to clean up after the dead client" e2e_server_clean_of "$E2E_NAT_PUBLIC"
took=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
[ -z "$(e2e_session_json alice)" ] || fail "vpnctl still lists alice"
how=$(grep -o 'event=peer_lost.*\|event=tunnel_down.*' "$VM_STATE/l2tpd.log" | head -1)
log "clean after ${took} ms; first: ${how:-?}"
log "PASS: a dead client's SAs, tunnel, session and interface went within the timeouts"
