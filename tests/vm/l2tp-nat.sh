#!/bin/bash
# l2tp-nat: three xl2tpd + pppd clients behind one NAT (one public address, the NAT picks
# their source ports) connect to l2tpd at once: three tunnels from one peer address, told
# apart by port; each client gets its own address and its ping crosses; disconnecting one
# user leaves the others up; nothing is left at the end.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/l2tp-helpers.bash"

need xl2tpd pppd ip nft
modprobe -a l2tp_ppp ppp_generic
netns_nat lac1 nat lns
netns_nat_client nat lac2 198.51.100.3/24
netns_nat_client nat lac3 198.51.100.4/24
l2tp_user alice alice-pw 203.0.113.200
l2tp_user bob bob-pw
l2tp_user carol carol-pw
l2tp_lns_start 'auth = [ "mschapv2", "chap-md5" ];'

export L2TP_LNS_ADDR=192.0.2.1
l2tp_lac 1 alice alice-pw mschapv2
l2tp_lac 2 bob bob-pw mschapv2
l2tp_lac 3 carol carol-pw chap
for i in 1 2 3; do l2tp_dial "$i"; done
for i in 1 2 3; do ppp_wait "lac$i" 90 > /dev/null; done
[ "$(ppp_addr lac1 "$(ppp_wait lac1 5)")" = 203.0.113.200 ] || fail "alice did not get 203.0.113.200"
for i in 1 2 3; do
	netns_exec "lac$i" "${PING[@]}" -c 2 -W 2 203.0.113.1 > /dev/null || fail "ping from lac$i failed"
done
tunnels=$(l2tp_vpnctl tunnels)
log "vpnctl tunnels:"$'\n'"$tunnels"
[ "$(grep -c '192.0.2.254:' <<< "$tunnels")" = 3 ] || fail "expected 3 tunnels from the NAT's address"
[ "$(grep -o '192.0.2.254:[0-9]*' <<< "$tunnels" | sort -u | wc -l)" = 3 ] ||
	fail "the three tunnels do not have three distinct peer ports"

l2tp_vpnctl disconnect bob > /dev/null || fail "vpnctl disconnect bob failed"
wait_for 30 "bob's pppd to see the hang-up" l2tp_no_ppp lac2
for i in 1 3; do
	netns_exec "lac$i" "${PING[@]}" -c 1 -W 2 203.0.113.1 > /dev/null || fail "lac$i lost its link when bob left"
done
l2tp_lns_stop
l2tp_nothing_left lns
log "PASS"
