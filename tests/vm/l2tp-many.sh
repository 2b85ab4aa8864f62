#!/bin/bash
# l2tp-many: 50 simultaneous sessions from 5 xl2tpd + pppd LACs (10 each, several
# sessions per tunnel), MS-CHAPv2 and CHAP-MD5 mixed: every client gets an address, ten of
# them their dedicated ones, no address twice; pings cross; then every LAC stops and
# l2tpd ends with nothing left behind.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/l2tp-helpers.bash"

need xl2tpd pppd ip
LACS=5 PER=10 TOTAL=50
l2tp_lns_setup $LACS
for ((n = 1; n <= TOTAL; n++)); do
	if [ $n -le 10 ]; then l2tp_user "u$n" "pw-u$n" "203.0.113.$((200 + n))"; else l2tp_user "u$n" "pw-u$n"; fi
done
l2tp_lns_start 'auth = [ "mschapv2", "chap-md5" ];'

for ((i = 1; i <= LACS; i++)); do
	if [ $((i % 2)) = 1 ]; then m=mschapv2; else m=chap; fi
	l2tp_lac_many "$i" $(((i - 1) * PER + 1)) $PER $m
done
t0=$(date +%s.%N)
for ((i = 1; i <= LACS; i++)); do
	for ((n = (i - 1) * PER + 1; n <= i * PER; n++)); do
		xl2tpd_control "lac$i" "c u$n"
		sleep 0.2
	done
done
wait_for 240 "$TOTAL sessions up on the LNS" l2tp_ppp_count_is lns $TOTAL
wait_for 60 "$TOTAL session_up lines" bash -c "[ \$(grep -c 'event=session_up' '$VM_STATE/l2tpd.log') -ge $TOTAL ]"
t1=$(date +%s.%N)
log "$TOTAL sessions up in $(awk "BEGIN { print $t1 - $t0 }") s (clients dialled 0.2 s apart)"

# every client has an address; the dedicated ones got theirs; none twice
for ((n = 1; n <= 10; n++)); do
	grep -q "event=session_up .*user=u$n ip=203.0.113.$((200 + n)) " "$VM_STATE/l2tpd.log" ||
		fail "u$n did not get its dedicated 203.0.113.$((200 + n))"
done
dups=$(grep -o 'event=session_up .* ip=[0-9.]*' "$VM_STATE/l2tpd.log" | sed 's/.* ip=//' | sort | uniq -d)
[ -z "$dups" ] || fail "addresses given twice: $dups"
for ((i = 1; i <= LACS; i++)); do
	c=$(ip -n "lac$i" -4 -o addr show | grep -c ' ppp')
	[ "$c" = $PER ] || fail "lac$i has $c ppp interfaces with an address, expected $PER"
done
tunnels=$(l2tp_vpnctl tunnels | tail -n +2 | wc -l)
sessions=$(l2tp_vpnctl sessions | tail -n +2 | wc -l)
[ "$sessions" = $TOTAL ] || fail "vpnctl lists $sessions sessions"
log "vpnctl: $tunnels tunnels, $sessions sessions"
for i in 1 3 5; do
	netns_exec "lac$i" "${PING[@]}" -c 1 -W 3 203.0.113.1 > /dev/null || fail "ping from lac$i failed"
done

# every LAC goes away in order: StopCCN/CDN from xl2tpd clear everything
for ((i = 1; i <= LACS; i++)); do
	kill -TERM "$(cat "$VM_STATE/xl2tpd-lac$i.pid")"
done
wait_for 60 "all sessions to end" l2tp_ppp_count_is lns 0
wait_for 30 "all tunnels to end" bash -c "[ -z \"\$(ip netns exec lns ip l2tp show tunnel)\" ]"
l2tp_lns_stop
l2tp_nothing_left lns
log "PASS"
