#!/bin/bash
# e2e-diagnose: `vpnctl diagnose PEER` says in plain words why a client could not connect,
# merging ikd's evidence (IKE and IPsec SAs) with l2tpd's (L2TP tunnel, PPP). Two clients
# behind two NATs get through IKE, IPsec and L2TP but fail PPP authentication: bob with a
# wrong password, carol who is not in the user database. Each one's diagnosis names the
# step, the method, the user and the verdict; the JSON form carries the same checklist.
# Then bob connects with the right password and his diagnosis turns all "ok".
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
. "$L2SEC_SRC/tests/vm/e2e-helpers.bash"
ikev1_need
need xl2tpd pppd

netns_nat c1 nat1 server
e2e_second_nat nat2 c2 198.51.100.3/24
e2e_server '{ name = "bob"; password = "bob-secret"; ip = "203.0.113.201"; }'
e2e_client c1 198.51.100.2 bob not-bobs-password
e2e_client c2 198.51.100.3 carol carol-secret

# e2e_try NS: IPsec up, then L2TP/PPP is attempted (and refused).
e2e_try() {
	charon_swanctl "$1" --initiate --child l2tp --timeout 60 > "$VM_STATE/initiate-$1.log" 2>&1 ||
		{ cat "$VM_STATE/initiate-$1.log" >&2; fail "IPsec from $1 to the server failed"; }
	xl2tpd_control "$1" "c server"
}
e2e_try c1
e2e_try c2
wait_for 60 "l2tpd to refuse bob" grep -q 'event=ppp_auth_failed .*user=bob' "$VM_STATE/l2tpd.log"
wait_for 60 "l2tpd to refuse carol" grep -q 'event=ppp_auth_failed .*user=carol' "$VM_STATE/l2tpd.log"

# diagnose_has PEER TEXT: the human diagnosis of PEER contains TEXT.
diagnose_has() {
	e2e_vpnctl diagnose "$1" > "$VM_STATE/diagnose-$1.txt" || fail "vpnctl diagnose $1 failed"
	grep -qF "$2" "$VM_STATE/diagnose-$1.txt"
}
want='IKE: ok, phase 2: ok, L2TP: tunnel ok, PPP: MS-CHAPv2 failed for user bob: wrong password'
wait_for 10 "bob's diagnosis" diagnose_has "$E2E_NAT_PUBLIC" "In short: $want" ||
	fail "bob's diagnosis: $(cat "$VM_STATE/diagnose-$E2E_NAT_PUBLIC.txt")"
want='IKE: ok, phase 2: ok, L2TP: tunnel ok, PPP: MS-CHAPv2 failed for user carol: unknown user'
wait_for 10 "carol's diagnosis" diagnose_has "$E2E_NAT2_PUBLIC" "In short: $want" ||
	fail "carol's diagnosis: $(cat "$VM_STATE/diagnose-$E2E_NAT2_PUBLIC.txt")"
grep -q 'wrong password' "$VM_STATE/diagnose-$E2E_NAT2_PUBLIC.txt" &&
	fail "carol's diagnosis shows bob's failure: $(cat "$VM_STATE/diagnose-$E2E_NAT2_PUBLIC.txt")"
# The time line, oldest first: IKE before IPsec before L2TP before PPP.
order=$(awk '$2 == "ikd" || $2 == "l2tpd" { print $4 }' "$VM_STATE/diagnose-$E2E_NAT_PUBLIC.txt" | uniq | tr '\n' ' ')
grep -q '^ike ipsec l2tp-tunnel ppp-auth' <<< "$order" ||
	fail "bob's time line is not in order: $order"
cat "$VM_STATE/diagnose-$E2E_NAT_PUBLIC.txt" >&2

j=$(e2e_vpnctl --json diagnose "$E2E_NAT_PUBLIC") || fail "vpnctl --json diagnose failed"
grep -qF '{"step":"ppp","status":"failed","reason":"MS-CHAPv2 failed for user bob: wrong password"}' <<< "$j" ||
	fail "JSON checklist: $j"
grep -qF '{"step":"ike","status":"ok"' <<< "$j" || fail "JSON checklist (ike): $j"
grep -qF '"daemon":"l2tpd","diag_stage":"ppp-auth","diag_result":"failed"' <<< "$j" ||
	fail "JSON events: $j"
log "bob and carol diagnosed: wrong password, unknown user"

# bob with the right password: every step ok. His failed tunnel may have ended (and l2tpd
# then had ikd delete his SAs): bring IPsec up again if so.
sed -i 's/^password .*/password bob-secret/' "$VM_STATE/c1/options"
sleep 3
if e2e_no_xfrm c1; then
	charon_swanctl c1 --initiate --child l2tp --timeout 60 > "$VM_STATE/initiate-c1.log" 2>&1 ||
		{ cat "$VM_STATE/initiate-c1.log" >&2; fail "IPsec from c1 (again) failed"; }
fi
xl2tpd_control c1 "c server"
ifc=$(ppp_wait c1 60)
e2e_ping c1 203.0.113.1
want='IKE: ok, phase 2: ok, L2TP: tunnel ok, PPP: ok'
wait_for 10 "bob's diagnosis to turn ok" diagnose_has "$E2E_NAT_PUBLIC" "In short: $want" ||
	fail "bob's diagnosis after connecting: $(cat "$VM_STATE/diagnose-$E2E_NAT_PUBLIC.txt")"
grep -q 'user bob connected (MS-CHAPv2): address 203.0.113.201' "$VM_STATE/diagnose-$E2E_NAT_PUBLIC.txt" ||
	fail "bob's session is not in the time line: $(cat "$VM_STATE/diagnose-$E2E_NAT_PUBLIC.txt")"
log "PASS: diagnose names wrong password and unknown user; all ok once bob connects ($ifc)"
