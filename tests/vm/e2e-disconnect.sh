#!/bin/bash
# e2e-disconnect: `vpnctl disconnect USER` ends everything of that client at once: the PPP
# interface, the L2TP session and tunnel, and (l2tpd asking ikd: delete-peer) the IKE and
# both IPsec SAs, on the server and - through the Delete notifications - on the client.
# Then the client connects again, and `vpnctl disconnect --all` ends everything of everybody
# (StopCCN, Delete). Also checks what l2tpd learnt from ikd: the session
# carries the client's IKE identity and IKE SA id, and L2TP is accepted only from a
# protected peer (require_protected = true in e2e_server).
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
. "$L2SEC_SRC/tests/vm/e2e-helpers.bash"
ikev1_need
need xl2tpd pppd

e2e_alice_up
grep -q 'event=ikd_peer_protected .*peer=192.0.2.254' "$VM_STATE/l2tpd.log" ||
	fail "l2tpd never heard from ikd that 192.0.2.254 is protected"
s=$(e2e_session_json alice)
grep -q '"peer_id":"[^"]*198.51.100.2"' <<< "$s" || fail "alice's session lacks her IKE identity: $s"
grep -q '"ike_sa_id":[1-9]' <<< "$s" || fail "alice's session lacks her IKE SA id: $s"
log "connected: $s"

e2e_vpnctl disconnect alice || fail "vpnctl disconnect alice failed"
wait_for 15 "the server to hold nothing of alice" e2e_server_clean_of "$E2E_NAT_PUBLIC"
wait_for 10 "the client's SAs to go (ikd's Delete)" e2e_no_xfrm client
wait_for 30 "the client's ppp interface to go (pppd ends LCP by its own timeouts)" e2e_no_ppp client
[ -z "$(e2e_session_json alice)" ] || fail "vpnctl still lists alice"
grep -q 'event=ikd_delete_peer' "$VM_STATE/l2tpd.log" || fail "l2tpd did not ask ikd to delete the SA"
e2e_vpnctl diagnose "$E2E_NAT_PUBLIC" > "$VM_STATE/diagnose.txt" || fail "vpnctl diagnose failed"
grep -q 'L2TP tunnel' "$VM_STATE/diagnose.txt" || fail "vpnctl diagnose does not say why: $(cat "$VM_STATE/diagnose.txt")"
log "disconnected: nothing left on either side; vpnctl diagnose: $(tail -n +2 "$VM_STATE/diagnose.txt")"

ifc=$(e2e_connect client)
[ "$(ppp_addr client "$ifc")" = 203.0.113.200 ] || fail "alice did not get 203.0.113.200 again"
e2e_ping client 203.0.113.1
log "alice connected again"

# The clean goodbye before a final `systemctl stop` (which, like a restart, keeps
# everything): every tunnel with a StopCCN, every IKE SA with its Delete notifications.
closed_before=$(grep -ci 'closed' "$VM_STATE/xl2tpd-client.log" || true)
out=$(e2e_vpnctl disconnect --all) || fail "vpnctl disconnect --all failed: $out"
grep -q '^l2tpd: closed 1 tunnel$' <<< "$out" || fail "unexpected l2tpd answer: $out"
grep -q '^ikd: deleted 1 IKE SA$' <<< "$out" || fail "unexpected ikd answer: $out"
wait_for 15 "the server to hold nothing of alice" e2e_server_clean_of "$E2E_NAT_PUBLIC"
[ -z "$(ip -n server xfrm policy list proto udp)" ] || fail "policies left: $(ip -n server xfrm policy)"
wait_for 10 "the client's SAs to go (ikd's Delete)" e2e_no_xfrm client
grep -q 'event=disconnect_all tunnels=1' "$VM_STATE/l2tpd.log" || fail "l2tpd did not log disconnect_all"
xl2tpd_heard_more_closes() { [ "$(grep -ci 'closed' "$VM_STATE/xl2tpd-client.log")" -gt "$closed_before" ]; }
wait_for 10 "xl2tpd to hear the StopCCN" xl2tpd_heard_more_closes
log "disconnect --all: $(tr '\n' ' ' <<< "$out")and the client heard: $(grep -i 'closed' "$VM_STATE/xl2tpd-client.log" | tail -1)"
out=$(e2e_vpnctl disconnect --all) || fail "vpnctl disconnect --all with nobody connected failed: $out"
grep -q '^l2tpd: closed 0 tunnels$' <<< "$out" || fail "unexpected l2tpd answer: $out"
log "PASS: disconnect removed PPP, L2TP and both SAs; alice connected again; disconnect --all"
