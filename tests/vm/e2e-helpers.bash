# tests/vm/e2e-helpers.bash - the full L2TP/IPsec stack for the e2e-*.sh scenarios and the
# demo lab (sourced after lib.sh and ikev1-helpers.bash; not a scenario itself).
#
# Topology (netns_nat): client namespaces 198.51.100.N behind "nat", which masquerades out of
# 192.0.2.254 to "server" 192.0.2.1. The server runs ikd + l2tpd with both control sockets
# in $E2E_RUN, so `vpnctl --rundir $E2E_RUN` sees both daemons. Each client runs strongSwan
# (IKEv1 PSK, transport mode for UDP/1701) and xl2tpd + pppd (MS-CHAPv2).
# PPP addresses: server end 203.0.113.1, pool 203.0.113.10-99, dedicated 203.0.113.200+.

E2E_PSK="e2e-demo-psk-$(date +%s)"
E2E_SERVER=192.0.2.1
E2E_NAT_PUBLIC=192.0.2.254
E2E_RUN=$VM_STATE/ikd-server          # ikd_conf puts ikd.sock here; l2tpd.sock joins it
L2TPD=$L2SEC_BUILD/l2tpd/l2tpd
VPNCTL=$L2SEC_BUILD/ctl/vpnctl
[ -x "$L2TPD" ] || fail "$L2TPD not built"
[ -x "$VPNCTL" ] || fail "$VPNCTL not built"
if command -v ping > /dev/null; then PING=(ping); else need busybox; PING=(busybox ping); fi

e2e_vpnctl() { "$VPNCTL" --rundir "$E2E_RUN" "$@"; }

# e2e_server USERS_LINES [L2TPD_LINES]: start ikd and l2tpd in "server". USERS_LINES are
# libconfig entries of the users list.
e2e_server() {
	local users=$1 extra=${2:-}
	# E2E_IKD_PREPARED=1: the scenario wrote $E2E_RUN/ikd.conf itself (certificates...).
	[ -n "${E2E_IKD_PREPARED:-}" ] || ikd_conf server "%any" "$E2E_PSK" "${E2E_IKD_EXTRA:-}"
	ikd_start server
	cat > "$E2E_RUN/l2tpd.conf" <<-EOF
		l2tpd = {
		  listen = "any";
		  hostname = "l2sec-demo";
		  hello_interval = "5s";
		  secrets = "$E2E_RUN/l2tpd-secrets.conf";
		  control_socket = "$E2E_RUN/l2tpd.sock";
		  require_protected = ${E2E_REQUIRE_PROTECTED:-true};
		  $extra
		};
		ppp = {
		  auth = [ "mschapv2" ];
		  local_ip = "203.0.113.1";
		  dns = [ "203.0.113.53" ];
		  echo_interval = "5s";
		  echo_failures = 3;
		};
		pools = ( { start = "203.0.113.10"; end = "203.0.113.99"; } );
	EOF
	(umask 077; printf 'users = (\n%s\n);\n' "$users" > "$E2E_RUN/l2tpd-secrets.conf")
	modprobe -a l2tp_ppp ppp_generic
	e2e_l2tpd_start
}

# e2e_l2tpd_start [LOGNAME]: (re)start l2tpd in "server" with the config e2e_server wrote;
# L2TPD_PID. The log is $VM_STATE/LOGNAME.log (default l2tpd).
e2e_l2tpd_start() {
	local name=${1:-l2tpd}
	start_bg "$name" server "$L2TPD" -d -f "$E2E_RUN/l2tpd.conf"
	L2TPD_PID=$BG_PID
	wait_for 20 "l2tpd to listen" _alive_and l2tpd "$L2TPD_PID" grep -q 'event=listening' "$VM_STATE/$name.log"
}

# e2e_stop PID: SIGTERM and wait (at most 10 s) until it has exited.
e2e_stop() {
	kill "$1"
	wait_for 10 "pid $1 to exit" sh -c "! kill -0 $1"
}

# e2e_client NS ADDR USER PASSWORD: strongSwan + xl2tpd/pppd in NS (behind the NAT).
e2e_client() {
	local ns=$1 addr=$2 user=$3 pw=$4
	# E2E_CHARON_PREPARED=1: the scenario wrote $VM_STATE/NS/swanctl.conf itself.
	[ -n "${E2E_CHARON_PREPARED:-}" ] ||
		charon_conf "$ns" "$addr" "$E2E_SERVER" initiator aes128-sha256-modp2048 aes128-sha256 "$E2E_PSK"
	start_charon "$ns" "$VM_STATE/$ns"
	cat > "$VM_STATE/$ns/xl2tpd.conf" <<-EOF
		[global]
		port = 1701
		access control = no
		[lac server]
		lns = $E2E_SERVER
		pppoptfile = $VM_STATE/$ns/options
		length bit = yes
		autodial = no
		redial = no
		require authentication = no
	EOF
	printf '%s\n' "name $user" "password $pw" refuse-pap refuse-chap refuse-mschap refuse-eap \
		noauth noccp nodefaultroute noipdefault "mtu 1400" "mru 1400" "lcp-echo-interval 0" \
		"logfile $VM_STATE/pppd-$ns.log" > "$VM_STATE/$ns/options"
	start_xl2tpd "$ns" "$VM_STATE/$ns/xl2tpd.conf"
}

# e2e_connect NS: IPsec first, then L2TP/PPP; prints the client's PPP interface.
e2e_connect() {
	local ns=$1
	charon_swanctl "$ns" --initiate --child l2tp --timeout 60 > "$VM_STATE/initiate-$ns.log" 2>&1 ||
		{ cat "$VM_STATE/initiate-$ns.log" >&2; fail "IPsec from $ns to the server failed"; }
	xl2tpd_control "$ns" "c server"
	ppp_wait "$ns" 60
}

# e2e_second_nat NAT CLIENT ADDR: a second NAT in front of the server (after netns_nat), its
# public address 192.0.2.253, with CLIENT at ADDR (198.51.100.0/24, its own LAN) behind it.
# The server's 192.0.2.1 moves onto a bridge "br-wan" that joins both NATs' links.
E2E_NAT2_PUBLIC=192.0.2.253
e2e_second_nat() {
	local nat=$1 client=$2 addr=$3
	local wan
	if ! ip -n server link show br-wan > /dev/null 2>&1; then
		wan=$(ip -n server -o -4 addr show | awk -v a="$E2E_SERVER/24" '$4 == a { print $2; exit }')
		[ -n "$wan" ] || fail "e2e_second_nat: no $E2E_SERVER in server (call netns_nat first)"
		ip -n server link add br-wan type bridge
		ip -n server addr del "$E2E_SERVER/24" dev "$wan"
		ip -n server link set "$wan" master br-wan
		ip -n server addr add "$E2E_SERVER/24" dev br-wan
		ip -n server link set br-wan up
	fi
	netns_link "$nat" server
	ip -n server link set "v-${nat:0:13}" master br-wan
	_addr_add "$nat" v-server "$E2E_NAT2_PUBLIC/24"
	netns_nat_lan "$nat" v-server
	netns_nat_client "$nat" "$client" "$addr"
}

# e2e_session_json USER: USER's entry of `vpnctl --json sessions` (one line), or nothing.
e2e_session_json() {
	e2e_vpnctl --json sessions | tr '{}' '\n\n' | grep "\"user\":\"$1\"" || true
}

# e2e_server_clean_of PUBLIC: true when the server holds nothing for the peer at PUBLIC:
# no xfrm state to or from it, no L2TP tunnel to it, and no ppp interface is left when no
# other client is connected (E2E_OTHER_PPP: how many ppp links others still hold, default 0).
e2e_server_clean_of() {
	local pub=$1 ppp
	[ -z "$(ip -n server xfrm state list src "$pub")" ] || return 1
	[ -z "$(ip -n server xfrm state list dst "$pub")" ] || return 1
	! grep -q "to $pub\$" <<< "$(ip -n server l2tp show tunnel)" || return 1
	ppp=$(ip -n server -o link show type ppp | wc -l)
	[ "$ppp" = "${E2E_OTHER_PPP:-0}" ]
}

# e2e_ping NS TARGET: three pings from NS must cross.
e2e_ping() {
	netns_exec "$1" "${PING[@]}" -c 3 -W 3 "$2" > "$VM_STATE/ping-$1.log" 2>&1 ||
		{ cat "$VM_STATE/ping-$1.log" >&2; fail "ping from $1 to $2 failed"; }
}

# The two users of the two-client scenarios: libconfig entries for e2e_server's user list.
E2E_ALICE='{ name = "alice"; password = "alice-secret"; ip = "203.0.113.200"; }'
E2E_BOB='{ name = "bob"; password = "bob-secret"; ip = "203.0.113.201"; }'

# e2e_alice_bob_up: with the server running (users E2E_ALICE and E2E_BOB), clients c1
# (198.51.100.2, alice) and c2 (198.51.100.3, bob), already behind their NAT or NATs,
# connect; each must get its dedicated IP and ping the server's PPP end.
e2e_alice_bob_up() {
	e2e_client c1 198.51.100.2 alice alice-secret
	e2e_client c2 198.51.100.3 bob bob-secret
	local if1 if2
	if1=$(e2e_connect c1)
	if2=$(e2e_connect c2)
	[ "$(ppp_addr c1 "$if1")" = 203.0.113.200 ] || fail "alice did not get 203.0.113.200"
	[ "$(ppp_addr c2 "$if2")" = 203.0.113.201 ] || fail "bob did not get 203.0.113.201"
	e2e_ping c1 203.0.113.1
	e2e_ping c2 203.0.113.1
}

# e2e_alice_up: the usual one-client lab: "client" behind "nat", ikd + l2tpd in "server"
# with user alice (dedicated 203.0.113.200), connected, one ping through. E2E_IFC: her
# ppp interface. E2E_IKD_EXTRA applies as in e2e_server.
e2e_alice_up() {
	netns_nat client nat server
	e2e_server "$E2E_ALICE"
	e2e_client client 198.51.100.2 alice alice-secret
	E2E_IFC=$(e2e_connect client)
	[ "$(ppp_addr client "$E2E_IFC")" = 203.0.113.200 ] || fail "alice did not get 203.0.113.200"
	e2e_ping client 203.0.113.1
}

# e2e_no_ppp NS / e2e_no_xfrm NS: NS has no ppp interface / no xfrm state (for wait_for).
e2e_no_ppp() { [ -z "$(ip -n "$1" -o link show type ppp)" ]; }
e2e_no_xfrm() { [ -z "$(ip -n "$1" xfrm state)" ]; }
