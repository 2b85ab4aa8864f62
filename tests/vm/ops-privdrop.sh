#!/bin/bash
# ops-privdrop: least privilege without systemd. ikd and l2tpd start as root with
# `user = "l2sec"` and drop to exactly what they need: /proc/PID/status shows uid l2sec,
# ikd CapEff = CapPrm = CapBnd = CAP_NET_ADMIN; l2tpd CapEff = CapBnd = CAP_NET_ADMIN
# (1701 is not a privileged port), CapPrm adding CAP_DAC_OVERRIDE (raised only around
# open("/dev/ppp")); no inheritable or ambient capabilities, NoNewPrivs 1. l2tpd warns
# when the secrets file is not the user's (a reload could not read it). Then, as l2sec: a
# client connects and pings, the nftables set and the hook follow the session, `vpnctl
# reload` of both daemons re-reads their files (a user is added), `vpnctl disconnect`
# makes l2tpd ask ikd to delete the SAs (ikd accepts delete-peer from the daemons' user),
# the added user connects, and a successor l2tpd started as root takes that session over
# from the running l2sec daemon (hand-over accepts the same uid or root).
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
. "$L2SEC_SRC/tests/vm/e2e-helpers.bash"
ikev1_need
need xl2tpd pppd nft

getent group l2sec > /dev/null || groupadd -r l2sec
getent passwd l2sec > /dev/null || useradd -r -g l2sec -M -d /nonexistent -s /usr/sbin/nologin l2sec
uid=$(id -u l2sec)
gid=$(getent group l2sec | cut -d: -f3)
chmod 755 "$VM_STATE"   # mktemp's 0700 would keep l2sec from its files on reload
ALICE=$E2E_ALICE
BOB=$E2E_BOB
SECRETS=$E2E_RUN/l2tpd-secrets.conf

# status_is PID KEY VALUE: the line "KEY:<tab>VALUE" of /proc/PID/status (tabs squeezed).
status_is() {
	local got
	got=$(awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status")
	[ "$got" = "$3" ] || fail "$4: $2 is '$got', expected '$3'"
}

netns_nat client nat server
ip netns exec server nft add table inet l2sec
ip netns exec server nft add set inet l2sec l2sec_users '{ type ipv4_addr; }'
printf '%s\n' '#!/bin/sh' "echo \"\$1 user=\$L2SEC_USER uid=\$(id -u)\" >> $VM_STATE/hook.out" > "$VM_STATE/hook.sh"
chmod 755 "$VM_STATE/hook.sh"
install -m 644 -o l2sec /dev/null "$VM_STATE/hook.out"

mkdir -p "$E2E_RUN"
ikd_conf server "%any" "$E2E_PSK" ""
sed -i 's/^ikd: { /ikd: { user = "l2sec"; group = "l2sec"; /' "$E2E_RUN/ikd.conf"
chown l2sec "$E2E_RUN/secrets.conf"
E2E_IKD_PREPARED=1 e2e_server "$ALICE" \
	"user = \"l2sec\"; group = \"l2sec\"; firewall_set = \"l2sec_users\"; hook = \"$VM_STATE/hook.sh\";"
grep -q "event=secrets_not_reloadable .*chown l2sec" "$VM_STATE/l2tpd.log" ||
	fail "l2tpd did not warn that a root-owned secrets file cannot be re-read as l2sec"
e2e_stop "$L2TPD_PID"
chown l2sec "$SECRETS"
e2e_l2tpd_start l2tpd2
! grep -q "event=secrets_not_reloadable" "$VM_STATE/l2tpd2.log" || fail "warning about a secrets file l2sec owns"
grep -q "event=privileges_dropped user=l2sec uid=$uid gid=$gid caps=cap_net_admin on_demand=cap_dac_override" \
	"$VM_STATE/l2tpd2.log" || fail "l2tpd did not log its drop: $(grep privilege "$VM_STATE/l2tpd2.log")"

for pid in "$IKD_PID" "$L2TPD_PID"; do
	status_is "$pid" Uid "$uid $uid $uid $uid" "pid $pid"
	status_is "$pid" Gid "$gid $gid $gid $gid" "pid $pid"
	status_is "$pid" NoNewPrivs 1 "pid $pid"
	status_is "$pid" CapAmb 0000000000000000 "pid $pid"
	status_is "$pid" CapInh 0000000000000000 "pid $pid"
done
status_is "$IKD_PID" CapEff 0000000000001000 ikd
status_is "$IKD_PID" CapPrm 0000000000001000 ikd
status_is "$IKD_PID" CapBnd 0000000000001000 ikd
status_is "$L2TPD_PID" CapEff 0000000000001000 l2tpd
status_is "$L2TPD_PID" CapPrm 0000000000001002 l2tpd
status_is "$L2TPD_PID" CapBnd 0000000000001000 l2tpd
log "ikd and l2tpd: uid $uid, CAP_NET_ADMIN only; l2tpd: DAC_OVERRIDE permitted, not effective"

# --- connect, ping, set and hook -----------------------------------------------------
e2e_client client 198.51.100.2 alice alice-secret
ifc=$(e2e_connect client)
[ "$(ppp_addr client "$ifc")" = 203.0.113.200 ] || fail "alice did not get 203.0.113.200"
e2e_ping client 203.0.113.1
set_elems() { ip netns exec server nft list set inet l2sec l2sec_users | tr -d ' \n\t' | grep -o 'elements={[^}]*}' || true; }
set_is() { [ "$(set_elems)" = "$1" ]; }
wait_for 10 "l2sec_users to hold 203.0.113.200 (has '$(set_elems)')" set_is "elements={203.0.113.200}"
wait_for 10 "the hook (as l2sec) to see session-up" grep -q "session-up user=alice uid=$uid" "$VM_STATE/hook.out"
log "alice connected through the dropped daemons: ping, nftables set and hook work"

# --- reload as l2sec: both daemons re-read their files -------------------------------
printf 'users = (\n%s,\n%s\n);\n' "$ALICE" "$BOB" > "$SECRETS"   # in place: owner stays l2sec
out=$(e2e_vpnctl reload 2>&1) || fail "vpnctl reload failed: $out"
grep -q 'reloaded: 2 users (1 added' <<< "$out" || fail "l2tpd's reload: $out"
log "reload: $(tr '\n' ' ' <<< "$out")"
e2e_ping client 203.0.113.1

# --- disconnect: l2tpd (uid l2sec) asks ikd to delete the SAs ------------------------
e2e_vpnctl disconnect alice || fail "vpnctl disconnect alice failed"
wait_for 15 "the server to hold nothing of alice" e2e_server_clean_of "$E2E_NAT_PUBLIC"
grep -q 'event=ikd_delete_peer' "$VM_STATE/l2tpd2.log" || fail "l2tpd did not ask ikd to delete the SAs"
! grep -q 'event=ctl_request_refused' "$VM_STATE/ikd-server.log" || fail "ikd refused a request: $(grep ctl_request_refused "$VM_STATE/ikd-server.log")"
wait_for 10 "l2sec_users to be empty (has '$(set_elems)')" set_is ""
wait_for 10 "the hook to see session-down" grep -q "session-down user=alice uid=$uid" "$VM_STATE/hook.out"

# --- bob, added by the reload, connects ----------------------------------------------
wait_for 30 "the client's ppp link to go" e2e_no_ppp client
wait_for 20 "the client's SAs to go" e2e_no_xfrm client
printf '%s\n' "name bob" "password bob-secret" refuse-pap refuse-chap refuse-mschap refuse-eap \
	noauth noccp nodefaultroute noipdefault "mtu 1400" "mru 1400" "lcp-echo-interval 0" \
	"logfile $VM_STATE/pppd-client.log" > "$VM_STATE/client/options"
ifc=$(e2e_connect client)
[ "$(ppp_addr client "$ifc")" = 203.0.113.201 ] || fail "bob did not get 203.0.113.201"
e2e_ping client 203.0.113.1
status_is "$L2TPD_PID" CapEff 0000000000001000 "l2tpd after the sessions"

# --- hand-over: a successor started as root takes bob's session from the l2sec daemon -
ifs=$(ip -n server -o link show type ppp | awk -F': ' '{ print $2; exit }')
idx_s=$(ip netns exec server cat "/sys/class/net/$ifs/ifindex")
old=$L2TPD_PID
e2e_l2tpd_start l2tpd3
wait_for 20 "the old l2tpd to hand over and exit" sh -c "! kill -0 $old 2>/dev/null"
grep -q 'event=handed_over tunnels=1 sessions=1 to=successor' "$VM_STATE/l2tpd2.log" ||
	fail "the l2sec daemon did not hand over to root's successor: $(tail -n 3 "$VM_STATE/l2tpd2.log")"
wait_for 20 "the successor to restore bob's session" grep -q 'event=session_restored' "$VM_STATE/l2tpd3.log"
[ "$(ip netns exec server cat "/sys/class/net/$ifs/ifindex" 2>/dev/null)" = "$idx_s" ] ||
	fail "the server's ppp interface changed across the hand-over"
status_is "$L2TPD_PID" Uid "$uid $uid $uid $uid" "the successor"
e2e_ping client 203.0.113.1
log "PASS: both daemons run as l2sec with exactly their capabilities; connect, set, hook, reload, disconnect, hand-over work"
