#!/bin/bash
# ops-reload: `vpnctl reload l2tpd` (and SIGHUP) change the users of a running l2tpd without
# touching unaffected tunnels. Two clients behind two NATs (alice, bob) are connected; a
# reload removes alice and adds carol: alice's session and tunnel end (logged with the
# reason, ikd deletes her SAs), bob's tunnel keeps its ids and interface and pings on;
# carol then connects from alice's machine and gets her dedicated address. A broken
# secrets file is refused (non-zero exit, FILE:LINE in the message) and both live users go
# on working; fixing it and sending SIGHUP reloads again. ikd: a broken ikd.conf is refused
# the same way (vpnctl reload ikd exits non-zero, FILE:LINE: KEY), and natt_port, which
# needs a restart, is reported as such while both clients ping on.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
. "$L2SEC_SRC/tests/vm/e2e-helpers.bash"
ikev1_need
need xl2tpd pppd

ALICE=$E2E_ALICE
BOB=$E2E_BOB
CAROL='{ name = "carol"; password = "carol-secret"; ip = "203.0.113.202"; }'
SECRETS=$E2E_RUN/l2tpd-secrets.conf

write_users() { (umask 077; printf 'users = (\n%s\n);\n' "$1" > "$SECRETS.new"; mv "$SECRETS.new" "$SECRETS"); }
# json_field JSON KEY: a number field of a one-line JSON object.
json_field() { grep -o "\"$2\":[0-9]*" <<< "$1" | cut -d: -f2; }

netns_nat c1 nat1 server
e2e_second_nat nat2 c2 198.51.100.3/24
e2e_server "$ALICE,
	$BOB"
e2e_alice_bob_up
bob_before=$(e2e_session_json bob)
bob_tid=$(json_field "$bob_before" tunnel_id)
bob_sid=$(json_field "$bob_before" session_id)
[ -n "$bob_tid" ] && [ -n "$bob_sid" ] || fail "no ids in bob's session: $bob_before"
bob_kernel=$(ip -n server l2tp show session | grep -A1 "Session $bob_sid in tunnel $bob_tid" || true)
[ -n "$bob_kernel" ] || fail "bob's kernel session $bob_tid/$bob_sid not found"
log "both up: bob is tunnel $bob_tid session $bob_sid"

# --- remove alice, add carol ------------------------------------------------------------
write_users "$BOB,
	$CAROL"
out=$(e2e_vpnctl reload l2tpd 2>&1) || fail "vpnctl reload l2tpd failed: $out"
log "reload: $out"
grep -q 'reloaded: 2 users (1 added, 1 removed, 0 with a new address, 0 with a new secret), 1 session ended' <<< "$out" ||
	fail "unexpected reload message: $out"
grep -q 'event=reload_session_ended .*user=alice reason=user removed from the configuration' "$VM_STATE/l2tpd.log" ||
	fail "l2tpd did not log why alice's session ended"
E2E_OTHER_PPP=1 wait_for 20 "the server to hold nothing of alice" e2e_server_clean_of "$E2E_NAT_PUBLIC"
bob_after=$(e2e_session_json bob)
[ "$(json_field "$bob_after" tunnel_id)" = "$bob_tid" ] && [ "$(json_field "$bob_after" session_id)" = "$bob_sid" ] ||
	fail "bob's ids changed: before $bob_before, after $bob_after"
ip -n server l2tp show session | grep -q "Session $bob_sid in tunnel $bob_tid" || fail "bob's kernel session went"
[ -n "$(ip -n server xfrm state list src "$E2E_NAT2_PUBLIC")" ] || fail "bob's SAs went"
e2e_ping c2 203.0.113.1
log "alice removed (session, tunnel and SAs gone), bob untouched: same ids, ping works"

# carol on alice's machine: a new PPP identity, IPsec again (ikd deleted alice's SAs)
wait_for 30 "c1's old ppp link to go" e2e_no_ppp c1
printf '%s\n' "name carol" "password carol-secret" refuse-pap refuse-chap refuse-mschap refuse-eap \
	noauth noccp nodefaultroute noipdefault "mtu 1400" "mru 1400" "lcp-echo-interval 0" \
	"logfile $VM_STATE/pppd-c1.log" > "$VM_STATE/c1/options"
wait_for 20 "c1's SAs to go" e2e_no_xfrm c1
if3=$(e2e_connect c1)
[ "$(ppp_addr c1 "$if3")" = 203.0.113.202 ] || fail "carol did not get 203.0.113.202"
e2e_ping c1 203.0.113.1
log "carol, added by the reload, connected with 203.0.113.202"

# --- a broken file is refused, everything stays ----------------------------------------
printf 'users = (\n  %s,\n  { name = "dave"; password = "d"; ip = "203.0.113.300"; }\n);\n' "$BOB" > "$SECRETS"
chmod 600 "$SECRETS"
rc=0
out=$(e2e_vpnctl reload l2tpd 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "a broken secrets file was accepted: $out"
grep -q 'reload refused, old configuration kept' <<< "$out" || fail "no refusal in: $out"
grep -q "l2tpd-secrets.conf:3: .*ip" <<< "$out" || fail "the refusal does not name file:line and key: $out"
grep -q 'event=config_error .*l2tpd-secrets.conf:3:' "$VM_STATE/l2tpd.log" || fail "config_error not logged"
sleep 2
[ -n "$(e2e_session_json bob)" ] && [ -n "$(e2e_session_json carol)" ] || fail "a refused reload ended sessions"
e2e_ping c1 203.0.113.1
e2e_ping c2 203.0.113.1
log "broken file refused (exit $rc): $out"

# --- SIGHUP with a good file (carol's password changes: her session stays) --------------
write_users "$BOB,
	{ name = \"carol\"; password = \"carol-new\"; ip = \"203.0.113.202\"; }"
kill -HUP "$L2TPD_PID"
wait_for 10 "the SIGHUP reload" grep -q 'event=reloaded users=2 added=0 removed=0 ip_changed=0 secret_changed=1 sessions_ended=0' "$VM_STATE/l2tpd.log"
[ -n "$(e2e_session_json carol)" ] || fail "a password change ended carol's session"
e2e_ping c1 203.0.113.1
e2e_ping c2 203.0.113.1
kill -0 "$L2TPD_PID" || fail "l2tpd died"
log "l2tpd: reload added/removed users without touching bob, refused a broken file, SIGHUP works"

# --- ikd: a broken ikd.conf is refused (FILE:LINE: KEY, non-zero exit), a port change is
# kept for a restart, SAs are not touched ---------------------------------------------------
IKD_CONF=$E2E_RUN/ikd.conf
cp "$IKD_CONF" "$IKD_CONF.good"
sed -i 's|^ikd: {|ikd: { half_open_max = 0;|' "$IKD_CONF"
rc=0
out=$(e2e_vpnctl reload ikd 2>&1) || rc=$?
[ "$rc" != 0 ] || fail "a broken ikd.conf was accepted: $out"
grep -q "reload refused, old configuration kept: 1 error(s), first: $IKD_CONF:1: ikd.half_open_max: out of range 1..1000000 (got '0')" <<< "$out" ||
	fail "the ikd refusal does not name file:line and key: $out"
grep -q "event=config_error .*ikd.conf:1: ikd.half_open_max" "$VM_STATE/ikd-server.log" ||
	fail "ikd's config_error not logged"
log "ikd: broken file refused (exit $rc): $out"
sed 's|^ikd: {|ikd: { natt_port = 4501;|' "$IKD_CONF.good" > "$IKD_CONF"
out=$(e2e_vpnctl reload ikd 2>&1) || fail "vpnctl reload ikd failed: $out"
grep -q 'needs restart: natt_port' <<< "$out" || fail "natt_port not reported as needing a restart: $out"
grep -q 'event=reload_needs_restart settings="natt_port"' "$VM_STATE/ikd-server.log" ||
	fail "reload_needs_restart not logged by ikd"
grep -q ':4500 ' <<< "$(ip netns exec server ss -Hlun)" || fail "ikd stopped listening on 4500"
kill -HUP "$IKD_PID"
wait_for 10 "ikd's SIGHUP reload" grep -q 'event=ikd_reloaded .*needs_restart="natt_port"' "$VM_STATE/ikd-server.log"
e2e_ping c1 203.0.113.1
e2e_ping c2 203.0.113.1
kill -0 "$IKD_PID" || fail "ikd died"
log "ikd: $out"
log "PASS: l2tpd and ikd reloads: users added/removed without touching bob, broken files refused, restart-only settings reported, SIGHUP works"
