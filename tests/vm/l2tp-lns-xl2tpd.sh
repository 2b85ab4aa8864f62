#!/bin/bash
# l2tp-lns-xl2tpd: l2tpd as LNS against xl2tpd + pppd LACs (kernel mode), one LAC per
# namespace, each on its own /30 to the LNS:
#   1. alice (MS-CHAPv2) gets her dedicated address, bob (CHAP-MD5) and carol (PAP) pool
#      addresses; a ping crosses each PPP link; vpnctl lists the sessions with counters;
#   2. a wrong password is refused, and the log says why;
#   3. bob hangs up from the client (xl2tpd "d"): his session and interface go;
#   4. carol is disconnected from the server (vpnctl disconnect carol): pppd sees it;
#   5. the LAC of alice vanishes (its link goes down): HELLO/retransmissions time out and
#      the tunnel is cleaned up;
#   6. l2tpd stops (SIGTERM): no l2tp tunnel, session or ppp interface is left.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/l2tp-helpers.bash"

need xl2tpd pppd ip
l2tp_lns_setup 4
l2tp_user alice alice-pw 203.0.113.200
l2tp_user bob bob-pw
l2tp_user carol carol-pw
l2tp_user dave dave-pw
l2tp_lns_start 'auth = [ "mschapv2", "chap-md5", "pap" ];'

# ---- 1. three clients, three methods --------------------------------------------------
l2tp_lac 1 alice alice-pw mschapv2
l2tp_lac 2 bob bob-pw chap
l2tp_lac 3 carol carol-pw pap
for i in 1 2 3; do l2tp_dial "$i"; done

if1=$(ppp_wait lac1 60)
[ "$(ppp_addr lac1 "$if1")" = 203.0.113.200 ] || fail "alice got $(ppp_addr lac1 "$if1"), not her dedicated 203.0.113.200"
if2=$(ppp_wait lac2 60)
a2=$(ppp_addr lac2 "$if2")
if3=$(ppp_wait lac3 60)
a3=$(ppp_addr lac3 "$if3")
case $a2 in 203.0.113.[1-9]?) ;; *) fail "bob got $a2, not a pool address" ;; esac
case $a3 in 203.0.113.[1-9]?) ;; *) fail "carol got $a3, not a pool address" ;; esac
[ "$a2" != "$a3" ] || fail "bob and carol both got $a2"
log "addresses: alice 203.0.113.200 bob $a2 carol $a3"

for i in 1 2 3; do
	netns_exec "lac$i" "${PING[@]}" -c 3 -W 2 203.0.113.1 > /dev/null ||
		fail "ping from lac$i across its PPP link failed"
done
grep -q 'event=session_up .*user=alice ip=203.0.113.200' "$VM_STATE/l2tpd.log" || fail "no session_up for alice"
grep -q 'sent \[LCP ConfAck .*<auth chap MS-v2>' "$VM_STATE/pppd-lac1.log" || fail "alice's pppd did not agree to MS-CHAPv2"
grep -q 'sent \[LCP ConfAck .*<auth chap MD5>' "$VM_STATE/pppd-lac2.log" || fail "bob's pppd did not agree to CHAP-MD5"
grep -q 'sent \[LCP ConfAck .*<auth pap>' "$VM_STATE/pppd-lac3.log" || fail "carol's pppd did not agree to PAP"
for m in alice:mschapv2 bob:chap-md5 carol:pap; do
	grep -q "event=session_up .*user=${m%%:*} .*auth=${m#*:}" "$VM_STATE/l2tpd.log" ||
		fail "l2tpd's session_up for ${m%%:*} does not say auth=${m#*:}"
done

sessions=$(l2tp_vpnctl sessions)
log "vpnctl sessions:"$'\n'"$sessions"
for u in alice bob carol; do grep -q "$u" <<< "$sessions" || fail "vpnctl sessions lacks $u"; done
[ "$(l2tp_count_ppp lns)" = 3 ] || fail "expected 3 ppp interfaces on the LNS, found $(l2tp_count_ppp lns)"
l2tp_vpnctl --json sessions > "$VM_STATE/sessions.json"
grep -Eq '"bytes_in": ?[1-9]' "$VM_STATE/sessions.json" || fail "no byte counters in vpnctl --json sessions: $(cat "$VM_STATE/sessions.json")"

# ---- 2. a wrong password ----------------------------------------------------------------
l2tp_lac 4 dave wrong-pw chap
l2tp_dial 4
wait_for 40 "dave's refusal in l2tpd's log" grep -q 'event=session_down .*user=dave .*reason=.*authentication failed' "$VM_STATE/l2tpd.log"
log "refusal: $(grep -m1 'event=session_down .*authentication failed' "$VM_STATE/l2tpd.log")"

# ---- 3. client hangs up -------------------------------------------------------------------
xl2tpd_control lac2 "d lns"
wait_for 30 "bob's session to end" grep -q 'event=session_down .*user=bob' "$VM_STATE/l2tpd.log"
wait_for 10 "bob's ppp interface on the LNS to go" l2tp_ppp_count_is lns 2

# ---- 4. server disconnects a user ---------------------------------------------------------
l2tp_vpnctl disconnect carol > /dev/null || fail "vpnctl disconnect carol failed"
wait_for 30 "carol's pppd to see the hang-up" l2tp_no_ppp lac3
grep -q 'event=session_down .*user=carol .*disconnected by admin' "$VM_STATE/l2tpd.log" ||
	fail "no session_down with the admin reason for carol"

# ---- 5. alice's LAC vanishes: HELLO and retransmissions time out -----------------------
ip -n lac1 link set v-lns down
wait_for 60 "alice's tunnel to time out" grep -q 'event=tunnel_down .*reason=.*peer dead' "$VM_STATE/l2tpd.log"
wait_for 10 "alice's ppp interface on the LNS to go" l2tp_ppp_count_is lns 0
log "timeout: $(grep -m1 'event=tunnel_down .*peer dead' "$VM_STATE/l2tpd.log")"

# ---- 6. stop ---------------------------------------------------------------------------
l2tp_lns_stop
l2tp_nothing_left lns
log "PASS"
