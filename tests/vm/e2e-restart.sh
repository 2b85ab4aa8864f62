#!/bin/bash
# e2e-restart: restart each daemon while a client is connected.
#  - l2tpd under systemd (a transient Type=notify service of a systemd user manager, with
#    the file-descriptor store): `systemctl restart` and then SIGKILL of the main PID
#    (Restart=on-failure) while alice pings through her session. Her ppp interface and the
#    server's stay (same ifindex), the ping loses at most a few packets, `vpnctl --json
#    sessions` shows her with the same address and interface and an uptime that was not
#    reset. `vpnctl disconnect alice` then still removes everything, and she reconnects.
#  - l2tpd without systemd: a second l2tpd started next to the running one takes over its
#    tunnel and session over a Unix socket (handover.h): same interfaces, ping kept. A
#    plain stop (SIGTERM, no successor) closes the tunnel (StopCCN), cleans up, and the
#    client reconnects over the same IPsec SA; the new l2tpd learns from ikd's dump that the
#    client is protected (require_protected).
#  - ikd: the kernel data path does not notice: pings cross during and after the restart,
#    l2tpd keeps the session (with the identity it had), relinks and resyncs.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
. "$L2SEC_SRC/tests/vm/e2e-helpers.bash"
. "$L2SEC_SRC/tests/vm/systemd-helpers.bash"
ikev1_need
need xl2tpd pppd

sd_user_start

# l2tpd as the service "l2tpd" in the server namespace (its log: $VM_STATE/l2tpd.log).
e2e_l2tpd_start() {
	sd_service l2tpd server -p FileDescriptorStoreMax=4096 -p LimitNOFILE=8192 -- \
		"$L2TPD" -d -f "$E2E_RUN/l2tpd.conf"
	L2TPD_PID=$(sd_main_pid l2tpd)
}

# no_l2tp_session: the server's kernel holds no L2TP session (the tunnel may stay).
no_l2tp_session() { [ -z "$(ip -n server l2tp show session)" ]; }
server_ppp() { ip -n server -o link show type ppp | awk -F': ' '{ print $2; exit }' | cut -d@ -f1; }
json_field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"]*\).*/\1/p" <<< "$2"; }
count_log() { grep -c "$1" "$VM_STATE/l2tpd.log" || true; }

e2e_alice_up
ifs=$(server_ppp)
[ -n "$ifs" ] || fail "no ppp interface on the server"
idx_c=$(ip netns exec client cat "/sys/class/net/$E2E_IFC/ifindex")
idx_s=$(ip netns exec server cat "/sys/class/net/$ifs/ifindex")
s0=$(e2e_session_json alice)
ip0=$(json_field client_ip "$s0")
age0=$(json_field age_sec "$s0")
log "alice up: client $E2E_IFC (ifindex $idx_c), server $ifs (ifindex $idx_s), session $s0"
[ "$(sd_fdstore_count l2tpd)" -ge 5 ] || fail "expected state + tunnel + 3 session fds in the store, got $(sd_fdstore_count l2tpd)"

# check_kept WHAT N [LOG]: interfaces and session survived; LOG (default l2tpd) has the
# Nth session_restored line.
check_kept() {
	local what=$1 s l=$VM_STATE/${3:-l2tpd}.log
	wait_for 20 "l2tpd to restore alice's session ($what)" \
		sh -c "[ \$(grep -c 'event=session_restored' '$l') -ge $2 ]"
	[ "$(ip netns exec client cat "/sys/class/net/$E2E_IFC/ifindex" 2>/dev/null)" = "$idx_c" ] ||
		fail "client ppp interface changed or went with the $what"
	[ "$(ip netns exec server cat "/sys/class/net/$ifs/ifindex" 2>/dev/null)" = "$idx_s" ] ||
		fail "server ppp interface changed or went with the $what"
	s=$(e2e_session_json alice)
	[ -n "$s" ] || fail "vpnctl does not show alice after the $what"
	[ "$(json_field client_ip "$s")" = "$ip0" ] || fail "alice's address changed: $s"
	grep -q "\"$ifs\"" <<< "$s" || fail "alice's interface changed: $s"
	[ "$(json_field age_sec "$s")" -ge "$age0" ] || fail "alice's uptime was reset: $s (before: $s0)"
	! grep -q 'restore_dropped' "$l" || fail "something was dropped: $(grep restore_dropped "$l")"
	log "after the $what: $s; $(grep -o 'event=restored .*' "$l" | tail -n 1)"
}

# ping_loss LOG: "sent received" of a finished ping.
ping_loss() { sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$1"; }

# across WHAT N: a ping runs while l2tpd goes through WHAT (restart: systemctl restart;
# crash: SIGKILL and Restart=on-failure); the Nth restore must keep everything.
across() {
	local what=$1 pid0 ping_pid sent got
	log "l2tpd $what under systemd, ping running"
	netns_exec client "${PING[@]}" -i 0.1 -w 15 203.0.113.1 > "$VM_STATE/ping-$what.log" 2>&1 &
	ping_pid=$!
	sleep 2
	pid0=$(sd_main_pid l2tpd)
	if [ "$what" = restart ]; then
		sd_restart l2tpd > /dev/null
		grep -q 'event=handed_over tunnels=1 sessions=1' "$VM_STATE/l2tpd.log" ||
			fail "l2tpd did not hand its tunnel over on SIGTERM"
	else
		sd_crash l2tpd > /dev/null
	fi
	[ "$(sd_main_pid l2tpd)" != "$pid0" ] || fail "the $what did not replace l2tpd ($pid0)"
	check_kept "$what" "$2"
	wait "$ping_pid" || true
	read -r sent got <<< "$(ping_loss "$VM_STATE/ping-$what.log")"
	log "ping across the $what: sent $sent, received $got"
	[ -n "$got" ] && [ $((sent - got)) -le 3 ] ||
		fail "ping lost too much across the $what: $(tail -n 3 "$VM_STATE/ping-$what.log")"
	e2e_ping client 203.0.113.1
}
across restart 1
across crash 2

log "a control message after the restarts: disconnect alice"
e2e_vpnctl disconnect alice > /dev/null || fail "vpnctl disconnect alice failed"
wait_for 15 "the server to hold nothing of alice" e2e_server_clean_of "$E2E_NAT_PUBLIC"
wait_for 30 "the client's ppp interface to go" e2e_no_ppp client
wait_for 10 "the client's SAs to go (ikd's Delete)" e2e_no_xfrm client
[ -z "$(ip -n server l2tp show session)" ] || fail "an L2TP session is left"
[ "$(sd_fdstore_count l2tpd)" = 1 ] || fail "the fd store holds $(sd_fdstore_count l2tpd) fds, not just the state file"
E2E_IFC=$(e2e_connect client)
e2e_ping client 203.0.113.1
grep -q '"user":"alice"' <<< "$(e2e_session_json alice)" || fail "alice did not come back"
log "disconnect after the restarts removed everything; alice reconnected"

log "l2tpd without systemd: a plain restart cleans up and the client reconnects"
# A final stop under systemd hands over too (l2tpd cannot tell it from a restart): the
# store is released and the kernel objects go, but the client hears nothing, so end her
# connection first, as docs/systemd.md says.
e2e_vpnctl disconnect alice > /dev/null || fail "vpnctl disconnect alice failed"
wait_for 15 "the server to hold nothing of alice" e2e_server_clean_of "$E2E_NAT_PUBLIC"
wait_for 30 "the client's ppp interface to go" e2e_no_ppp client
wait_for 10 "the client's SAs to go" e2e_no_xfrm client
systemctl --user stop l2tpd
start_bg l2tpd-plain server "$L2TPD" -d -f "$E2E_RUN/l2tpd.conf"
L2TPD_PID=$BG_PID
wait_for 20 "plain l2tpd to listen" grep -q 'event=listening' "$VM_STATE/l2tpd-plain.log"
E2E_IFC=$(e2e_connect client)
e2e_ping client 203.0.113.1

log "l2tpd without systemd: a new l2tpd takes over from the running one (Unix socket)"
ifs=$(server_ppp)
idx_c=$(ip netns exec client cat "/sys/class/net/$E2E_IFC/ifindex")
idx_s=$(ip netns exec server cat "/sys/class/net/$ifs/ifindex")
s0=$(e2e_session_json alice)
ip0=$(json_field client_ip "$s0")
age0=$(json_field age_sec "$s0")
netns_exec client "${PING[@]}" -i 0.1 -w 12 203.0.113.1 > "$VM_STATE/ping-handover.log" 2>&1 &
ping_pid=$!
sleep 2
old=$L2TPD_PID
start_bg l2tpd-next server "$L2TPD" -d -f "$E2E_RUN/l2tpd.conf"
L2TPD_PID=$BG_PID
wait_for 20 "the old l2tpd to hand over and exit" sh -c "! kill -0 $old 2>/dev/null"
grep -q 'event=handed_over tunnels=1 sessions=1 to=successor' "$VM_STATE/l2tpd-plain.log" ||
	fail "the old l2tpd did not hand over: $(tail -n 3 "$VM_STATE/l2tpd-plain.log")"
wait_for 20 "the new l2tpd to listen" grep -q 'event=listening' "$VM_STATE/l2tpd-next.log"
check_kept hand-over 1 l2tpd-next
wait "$ping_pid" || true
read -r sent got <<< "$(ping_loss "$VM_STATE/ping-handover.log")"
log "ping across the hand-over: sent $sent, received $got"
[ -n "$got" ] && [ $((sent - got)) -le 3 ] ||
	fail "ping lost too much across the hand-over: $(tail -n 3 "$VM_STATE/ping-handover.log")"
e2e_ping client 203.0.113.1

log "l2tpd without systemd: SIGTERM with no successor cleans up; a new l2tpd, a new connection"
spi=$(xfrm_spi server "$E2E_NAT_PUBLIC" "$E2E_SERVER")
e2e_stop "$L2TPD_PID"
wait_for 20 "the client's ppp link to go (StopCCN)" e2e_no_ppp client
wait_for 10 "the kernel session to go" no_l2tp_session
[ -z "$(ip -n server -o link show type ppp)" ] || fail "plain l2tpd left a ppp interface"
start_bg l2tpd-2 server "$L2TPD" -d -f "$E2E_RUN/l2tpd.conf"
L2TPD_PID=$BG_PID
wait_for 10 "the new l2tpd to resync from ikd" grep -q 'event=ikd_resynced protected_sas=1' "$VM_STATE/l2tpd-2.log"
xl2tpd_control client "c server"
ppp_wait client 60 > /dev/null
e2e_ping client 203.0.113.1
[ "$(xfrm_spi server "$E2E_NAT_PUBLIC" "$E2E_SERVER")" = "$spi" ] || fail "the SA changed: l2tpd restart renegotiated IPsec"
grep -q '"peer_id":"[^"]*198.51.100.2"' <<< "$(e2e_session_json alice)" || fail "identity lost after l2tpd restart: $(e2e_session_json alice)"
log "plain l2tpd restarted: same SA, client reconnected L2TP"

log "restarting ikd"
# ikd saves its SAs (here, without systemd, in ikd.state next to its socket): the new one
# must list the same ISAKMP SA and pair, and l2tpd's resync must count the client protected.
sa_ids() { { e2e_vpnctl --json ike; e2e_vpnctl --json sa; } | grep -o '"spi_[a-z]*":[0-9]*' | sort | tr '\n' ' '; }
ids=$(sa_ids)
[[ $ids == *spi_in* ]] || fail "vpnctl sa shows no pair before the ikd restart: $ids"
netns_exec client "${PING[@]}" -i 0.2 -w 30 203.0.113.1 > "$VM_STATE/ping-long.log" 2>&1 &
ping_pid=$!
e2e_stop "$IKD_PID"
ikd_start server
wait_for 15 "l2tpd to relink to the new ikd" sh -c "[ \$(grep -c 'event=ikd_resynced' '$VM_STATE/l2tpd-2.log') -ge 2 ]"
grep -q 'event=ike_state_restored .*ike_sas=1 ipsec_sas=1 ' "$VM_STATE/ikd-server.log" ||
	fail "ikd did not restore its SAs: $(grep 'event=ike_state' "$VM_STATE/ikd-server.log")"
[ "$(sa_ids)" = "$ids" ] || fail "vpnctl ike/sa differ after the ikd restart: before: $ids; after: $(sa_ids)"
[ "$(grep -c 'event=ikd_resynced protected_sas=1 ' "$VM_STATE/l2tpd-2.log")" -ge 2 ] ||
	fail "l2tpd's resync from the new ikd did not count the client protected: $(grep 'event=ikd_resynced' "$VM_STATE/l2tpd-2.log")"
log "ikd restarted with its SAs: $ids"
e2e_ping client 203.0.113.1
kill -INT "$ping_pid" 2>/dev/null; wait "$ping_pid" 2>/dev/null || true
lost=$(grep 'packets transmitted' "$VM_STATE/ping-long.log" || echo "?")
s=$(e2e_session_json alice)
grep -q '"user":"alice"' <<< "$s" || fail "alice's session went with ikd's restart"
grep -q '"peer_id":"[^"]*198.51.100.2"' <<< "$s" || fail "identity lost after ikd restart: $s"
log "ikd restarted: ping during the restart: ${lost}, session kept: $s"
log "PASS: restarts of l2tpd (systemd: kept; hand-over: kept; plain: reconnect) and ikd"
