#!/bin/bash
# l2tp-restart-many: l2tpd under systemd (transient Type=notify service with the fd store)
# holding 50 sessions from 5 xl2tpd + pppd LACs (10 sessions each) is
# restarted, then killed with SIGKILL (Restart=on-failure): every tunnel and session comes
# back (same interfaces and indexes, the fd store holding the state file, one socket per
# tunnel and 3 descriptors per session),
# pings cross during both, and afterwards the LACs' own StopCCN/CDN (sent on the restored
# control connections, so their Ns/Nr must be right) clear everything.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/l2tp-helpers.bash"
. "$L2SEC_SRC/tests/vm/systemd-helpers.bash"

need xl2tpd pppd ip
LACS=5 PER=10 TOTAL=50
sd_user_start

# l2tp_lns_start runs l2tpd through start_bg: here it becomes the systemd service "l2tpd"
# (its log is still $VM_STATE/l2tpd.log).
eval "$(declare -f start_bg | sed '1s/^start_bg/_plain_start_bg/')"
start_bg() {
	if [ "$1" != l2tpd ]; then
		_plain_start_bg "$@"
		return
	fi
	shift 2
	sd_service l2tpd lns -p FileDescriptorStoreMax=4096 -p LimitNOFILE=8192 -- "$@"
	BG_PID=$(sd_main_pid l2tpd)
}

l2tp_lns_setup $LACS
for ((n = 1; n <= TOTAL; n++)); do l2tp_user "u$n" "pw-u$n"; done
l2tp_lns_start 'auth = [ "mschapv2", "chap-md5" ];'
for ((i = 1; i <= LACS; i++)); do
	if [ $((i % 2)) = 1 ]; then m=mschapv2; else m=chap; fi
	l2tp_lac_many "$i" $(((i - 1) * PER + 1)) $PER $m
done
for ((i = 1; i <= LACS; i++)); do
	for ((n = (i - 1) * PER + 1; n <= i * PER; n++)); do
		xl2tpd_control "lac$i" "c u$n"
		sleep 0.2
	done
done
wait_for 240 "$TOTAL sessions up on the LNS" l2tp_ppp_count_is lns $TOTAL
links() { ip -n lns -o link show type ppp | awk '{ print $1, $2 }' | sort; }
links0=$(links)
# xl2tpd decides how many tunnels carry the sessions (one per LAC section or fewer)
tunnels=$(ip netns exec lns ip l2tp show tunnel | grep -c '^Tunnel')
want_fds=$((1 + tunnels + 3 * TOTAL))
wait_for 10 "$want_fds descriptors in the fd store (state, $tunnels tunnels, 3 per session)" \
	sh -c "[ \$(systemctl --user show -P NFileDescriptorStore l2tpd) = $want_fds ]"
log "$TOTAL sessions up in $tunnels tunnels; fd store: $(sd_fdstore_count l2tpd) descriptors"

# around WHAT N: pings from three LACs while WHAT runs, then everything must be as before.
around() {
	local what=$1 n=$2 i t0 t1 sent got pids=()
	for i in 1 3 5; do
		netns_exec "lac$i" "${PING[@]}" -i 0.2 -w 12 203.0.113.1 > "$VM_STATE/ping-$what-$i.log" 2>&1 &
		pids+=($!)
	done
	sleep 2
	t0=${EPOCHREALTIME/./}
	if [ "$what" = restart ]; then sd_restart l2tpd > /dev/null; else sd_crash l2tpd > /dev/null; fi
	t1=${EPOCHREALTIME/./}
	wait_for 30 "the restore summary ($what)" \
		sh -c "[ \$(grep -c 'event=restored tunnels=$tunnels sessions=$TOTAL dropped=0' '$VM_STATE/l2tpd.log') -ge $n ]"
	[ "$(links)" = "$links0" ] || fail "ppp interfaces changed with the $what: $(links | head -n 3) (before: $(head -n 3 <<< "$links0"))"
	[ "$(l2tp_vpnctl sessions | tail -n +2 | wc -l)" = $TOTAL ] || fail "vpnctl lists $(l2tp_vpnctl sessions | tail -n +2 | wc -l) sessions after the $what"
	[ "$(sd_fdstore_count l2tpd)" = $want_fds ] || fail "fd store holds $(sd_fdstore_count l2tpd) after the $what"
	wait "${pids[@]}" || true
	for i in 1 3 5; do
		read -r sent got <<< "$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$VM_STATE/ping-$what-$i.log")"
		[ -n "$got" ] && [ $((sent - got)) -le 3 ] || fail "lac$i lost too many pings across the $what: $(tail -n 2 "$VM_STATE/ping-$what-$i.log")"
		log "lac$i across the $what: sent $sent, received $got"
	done
	log "$what: $TOTAL sessions kept; back up (READY=1) $(((t1 - t0) / 1000)) ms after the command; $(grep -o 'event=restored .*' "$VM_STATE/l2tpd.log" | tail -n 1)"
}
around restart 1
around crash 2
! grep -q restore_dropped "$VM_STATE/l2tpd.log" || fail "$(grep restore_dropped "$VM_STATE/l2tpd.log" | head -3)"

# the LACs leave: their StopCCNs arrive on the restored control connections
for ((i = 1; i <= LACS; i++)); do
	kill -TERM "$(cat "$VM_STATE/xl2tpd-lac$i.pid")"
done
wait_for 60 "all sessions to end" l2tp_ppp_count_is lns 0
wait_for 30 "all tunnels to end" bash -c "[ -z \"\$(ip netns exec lns ip l2tp show tunnel)\" ]"
grep -q 'event=tunnel_down .*reason="StopCCN from peer' "$VM_STATE/l2tpd.log" ||
	fail "no StopCCN was understood on a restored tunnel"
[ "$(sd_fdstore_count l2tpd)" = 1 ] || fail "the fd store still holds $(sd_fdstore_count l2tpd) descriptors"
systemctl --user stop l2tpd
l2tp_nothing_left lns
log "PASS"
