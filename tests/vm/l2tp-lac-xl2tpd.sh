#!/bin/bash
# l2tp-lac-xl2tpd: l2tpd as LAC (lac section, autostart) against an xl2tpd + pppd LNS.
# l2tpd opens the tunnel (SCCRQ/SCCRP/SCCCN, with tunnel authentication), places the call
# (ICRQ/ICRP/ICCN) and runs the call's PPP with pppd's pppol2tp plugin on its PPPoL2TP
# socket; the client gets its address from xl2tpd's pppd (CHAP) and a ping crosses.
# Then l2tpd stops: StopCCN reaches xl2tpd, and nothing of ours is left.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/l2tp-helpers.bash"

need xl2tpd pppd ip
modprobe -a l2tp_ppp ppp_generic
netns_pair xlns lac1 192.0.2.1/30 192.0.2.2/30

# xl2tpd LNS with tunnel authentication and CHAP
cat > "$L2TP_ETC/xl2tpd-lns.conf" <<EOC
[global]
port = 1701
access control = no
auth file = $L2TP_ETC/l2tp-secrets
[lns default]
ip range = 203.0.113.10-203.0.113.20
local ip = 203.0.113.1
require authentication = yes
require chap = yes
refuse pap = yes
name = xlns
challenge = yes
pppoptfile = $L2TP_ETC/options.xlns
length bit = yes
EOC
printf '* * tunnel-pw\n' > "$L2TP_ETC/l2tp-secrets"
chmod 600 "$L2TP_ETC/l2tp-secrets"
cat > "$L2TP_ETC/options.xlns" <<EOC
require-mschap-v2
refuse-pap
refuse-chap
refuse-mschap
noccp
auth
mtu 1400
mru 1400
debug
logfile $VM_STATE/pppd-xlns.log
EOC
ppp_secret site-a '*' site-pw '*'
start_xl2tpd xlns "$L2TP_ETC/xl2tpd-lns.conf"

# our LAC
cat > "$L2TP_ETC/options.lac" <<EOC
name site-a
password site-pw
refuse-eap
refuse-pap
noauth
noccp
nodefaultroute
noipdefault
mtu 1400
mru 1400
debug
logfile $VM_STATE/pppd-lac.log
EOC
cat > "$L2TP_ETC/l2tpd.conf" <<EOC
l2tpd = { listen = "192.0.2.2"; hostname = "site-a"; hello_interval = "5s";
  secrets = "$L2TP_ETC/secrets.conf"; control_socket = "$L2TP_RUN/l2tpd.sock"; };
lac = ( { name = "hq"; lns = "192.0.2.1"; pppd_options = "$L2TP_ETC/options.lac";
  autostart = true; } );
EOC
( umask 077; printf 'l2tp = { tunnel_secret = "tunnel-pw"; };\n' > "$L2TP_ETC/secrets.conf" )
start_bg l2tpd lac1 "$L2TPD" -d ${L2TP_VERBOSE:+-v} -f "$L2TP_ETC/l2tpd.conf"
L2TPD_PID=$BG_PID

wait_for 60 "the LAC tunnel to come up" grep -q 'event=tunnel_up .*role=lac' "$VM_STATE/l2tpd.log"
wait_for 30 "the call to connect" grep -q 'event=lac_call_up' "$VM_STATE/l2tpd.log"
ifc=$(ppp_wait lac1 60)
a=$(ppp_addr lac1 "$ifc")
case $a in 203.0.113.1[0-9]|203.0.113.20) ;; *) fail "the LAC got $a, not an address of xl2tpd's range" ;; esac
log "LAC interface $ifc with $a"
netns_exec lac1 "${PING[@]}" -c 3 -W 2 203.0.113.1 > /dev/null || fail "ping across the LAC's PPP link failed"
# xl2tpd's own "require chap" option makes its pppd ask CHAP-MD5 whatever the options file says
grep -q 'CHAP authentication succeeded' "$VM_STATE/pppd-lac.log" || fail "the LAC's pppd did not authenticate with CHAP"
tunnels=$(l2tp_vpnctl tunnels)
grep -q 'established' <<< "$tunnels" || fail "vpnctl tunnels: $tunnels"

l2tp_lns_stop
wait_for 30 "xl2tpd's pppd to see the end" l2tp_no_ppp xlns
l2tp_nothing_left lac1
grep -q 'Connection closed to .*(l2tpd shutting down)' "$VM_STATE/xl2tpd-xlns.log" ||
	fail "xl2tpd did not get our StopCCN"
log "PASS"
