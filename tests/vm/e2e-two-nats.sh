#!/bin/bash
# e2e-two-nats: two clients behind two different NATs (public 192.0.2.254 and .253) connect
# at once, each gets its own dedicated IP and pings through; vpnctl shows each session with
# its public address and IKE identity. Then one is disconnected: everything of it goes on
# the server (ikd deleting its SAs on l2tpd's request) while the other keeps pinging.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
. "$L2SEC_SRC/tests/vm/e2e-helpers.bash"
ikev1_need
need xl2tpd pppd

netns_nat c1 nat1 server
e2e_second_nat nat2 c2 198.51.100.3/24
e2e_server "$E2E_ALICE, $E2E_BOB"
e2e_alice_bob_up

a=$(e2e_session_json alice)
b=$(e2e_session_json bob)
grep -q "\"peer_addr\":\"$E2E_NAT_PUBLIC\"" <<< "$a" || fail "alice's session: $a"
grep -q "\"peer_addr\":\"$E2E_NAT2_PUBLIC\"" <<< "$b" || fail "bob's session: $b"
grep -q '"peer_id":"[^"]*198.51.100.2"' <<< "$a" || fail "alice's IKE identity: $a"
grep -q '"peer_id":"[^"]*198.51.100.3"' <<< "$b" || fail "bob's IKE identity: $b"
log "both up: alice via $E2E_NAT_PUBLIC, bob via $E2E_NAT2_PUBLIC"

e2e_vpnctl disconnect alice || fail "vpnctl disconnect alice failed"
E2E_OTHER_PPP=1 wait_for 15 "the server to hold nothing of alice" e2e_server_clean_of "$E2E_NAT_PUBLIC"
[ -n "$(ip -n server xfrm state list src "$E2E_NAT2_PUBLIC")" ] || fail "bob's SAs went too"
e2e_ping c2 203.0.113.1
[ -n "$(e2e_session_json bob)" ] || fail "bob's session went too"
log "PASS: two NATs, two dedicated IPs; disconnecting alice left bob untouched"
