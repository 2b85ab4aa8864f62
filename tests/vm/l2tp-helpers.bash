# tests/vm/l2tp-helpers.bash - helpers of the l2tp-*.sh scenarios (sourced after lib.sh;
# not named *.sh so that scripts/vmtest does not run it as a scenario).
#
# Topology: namespace "lns" runs l2tpd; LAC number I lives in namespace "lacI", joined to
# the LNS by its own veth pair on a /30: LNS 192.0.2.(4I-3), LAC 192.0.2.(4I-2).
# PPP addresses: our end 203.0.113.1, pool 203.0.113.10-99, dedicated ones 203.0.113.200+.

L2TPD=$L2SEC_BUILD/l2tpd/l2tpd
VPNCTL=$L2SEC_BUILD/ctl/vpnctl
[ -x "$L2TPD" ] || fail "$L2TPD not built"
if command -v ping > /dev/null; then PING=(ping); else need busybox; PING=(busybox ping); fi
L2TP_ETC=$VM_STATE/etc
L2TP_RUN=$VM_STATE/run
mkdir -p "$L2TP_ETC" "$L2TP_RUN"
: > "$L2TP_ETC/users"

lns_addr() { echo "192.0.2.$((4 * $1 - 3))"; }
lac_addr() { echo "192.0.2.$((4 * $1 - 2))"; }

# l2tp_lns_setup N: namespaces lns, lac1..lacN and their links; kernel modules.
l2tp_lns_setup() {
	modprobe -a l2tp_ppp ppp_generic
	netns_add lns
	for ((i = 1; i <= $1; i++)); do
		netns_link lns "lac$i" "$(lns_addr "$i")/30" "$(lac_addr "$i")/30"
	done
}

# l2tp_user NAME PASSWORD [IP]: a user in secrets.conf.
l2tp_user() {
	printf '  { name = "%s"; password = "%s";%s },\n' "$1" "$2" "${3:+ ip = \"$3\";}" \
		>> "$L2TP_ETC/users"
}

# l2tp_lns_start PPP_LINES [L2TPD_LINES] [SECRET]: write l2tpd.conf and secrets.conf, start
# l2tpd in lns and wait until it listens.
l2tp_lns_start() {
	cat > "$L2TP_ETC/l2tpd.conf" <<-EOF
		l2tpd = {
		  listen = "any";
		  hostname = "lns";
		  hello_interval = "2s";
		  secrets = "$L2TP_ETC/secrets.conf";
		  control_socket = "$L2TP_RUN/l2tpd.sock";
		  ${2:-}
		};
		ppp = {
		  local_ip = "203.0.113.1";
		  dns = [ "203.0.113.53" ];
		  echo_interval = "5s";
		  echo_failures = 3;
		  ${1:-}
		};
		pools = ( { start = "203.0.113.10"; end = "203.0.113.99"; } );
	EOF
	(
		umask 077
		{
			[ -n "${3:-}" ] && printf 'l2tp = { tunnel_secret = "%s"; };\n' "$3"
			echo "users = ("
			sed '$ s/,$//' "$L2TP_ETC/users"
			echo ");"
		} > "$L2TP_ETC/secrets.conf"
	)
	start_bg l2tpd lns "$L2TPD" -d ${L2TP_VERBOSE:+-v} -f "$L2TP_ETC/l2tpd.conf"
	L2TPD_PID=$BG_PID
	wait_for 60 "l2tpd to listen" _alive_and l2tpd "$L2TPD_PID" grep -q 'event=listening' "$VM_STATE/l2tpd.log"
	log "l2tpd up (pid $L2TPD_PID)"
}

# l2tp_lns_stop: SIGTERM, wait for the exit.
l2tp_lns_stop() {
	kill -TERM "$L2TPD_PID"
	wait_for 20 "l2tpd to exit" bash -c "! kill -0 $L2TPD_PID 2>/dev/null"
}

# l2tp_lac I USER PASSWORD METHOD: xl2tpd + pppd options for LAC I in namespace lacI
# (method: mschapv2, chap or pap: the others are refused by pppd), started, not dialled.
# The LNS is lns_addr I, or $L2TP_LNS_ADDR when set.
l2tp_lac() {
	local i=$1 user=$2 pw=$3 method=$4 refuse
	case $method in
	mschapv2) refuse="refuse-pap refuse-chap refuse-mschap" ;;
	chap) refuse="refuse-pap refuse-mschap refuse-mschap-v2" ;;
	pap) refuse="refuse-chap refuse-mschap refuse-mschap-v2" ;;
	*) fail "l2tp_lac: unknown method $method" ;;
	esac
	cat > "$L2TP_ETC/xl2tpd-lac$i.conf" <<-EOF
		[global]
		port = 1701
		access control = no
		[lac lns]
		lns = ${L2TP_LNS_ADDR:-$(lns_addr "$i")}
		pppoptfile = $L2TP_ETC/options.lac$i
		length bit = yes
		autodial = no
		redial = no
		require authentication = no
	EOF
	cat > "$L2TP_ETC/options.lac$i" <<-EOF
		name $user
		password $pw
		$refuse
		refuse-eap
		noauth
		noccp
		nodefaultroute
		noipdefault
		mtu 1400
		mru 1400
		lcp-echo-interval 0
		debug
		logfile $VM_STATE/pppd-lac$i.log
	EOF
	start_xl2tpd "lac$i" "$L2TP_ETC/xl2tpd-lac$i.conf"
}

l2tp_dial() { xl2tpd_control "lac$1" "c lns"; }

l2tp_vpnctl() { "$VPNCTL" --rundir "$L2TP_RUN" "$@"; }

l2tp_count_ppp() { ip -n "$1" -o link show type ppp | wc -l; }
l2tp_ppp_count_is() { [ "$(l2tp_count_ppp "$1")" = "$2" ]; }
l2tp_no_ppp() { l2tp_ppp_count_is "$1" 0; }

# _l2tp_objects NS: the l2tp tunnels, sessions and ppp interfaces in NS (blank lines dropped).
_l2tp_objects() {
	{
		ip netns exec "$1" ip l2tp show tunnel
		ip netns exec "$1" ip l2tp show session
		ip -n "$1" -o link show type ppp
	} 2>/dev/null | grep -v '^[[:space:]]*$' || true
}

# l2tp_nothing_left NS: no l2tp tunnel, session or ppp interface in NS. The kernel deletes
# tunnels and units asynchronously, so allow it 10 s before calling anything left behind.
l2tp_nothing_left() {
	local left i
	for ((i = 0; i < 50; i++)); do
		left=$(_l2tp_objects "$1")
		[ -z "$left" ] && return 0
		sleep 0.2
	done
	fail "left behind in $1:"$'\n'"$left"
}

# l2tp_lac_many I FIRST COUNT METHOD: xl2tpd in lacI with COUNT [lac uN] sections, users
# uFIRST.. (password pw-uN), each with its own pppd options; started, not dialled.
l2tp_lac_many() {
	local i=$1 first=$2 count=$3 method=$4 n refuse conf=$L2TP_ETC/xl2tpd-lac$1.conf
	case $method in
	mschapv2) refuse="refuse-pap refuse-chap refuse-mschap" ;;
	chap) refuse="refuse-pap refuse-mschap refuse-mschap-v2" ;;
	*) refuse="refuse-chap refuse-mschap refuse-mschap-v2" ;;
	esac
	printf '[global]\nport = 1701\naccess control = no\n' > "$conf"
	for ((n = first; n < first + count; n++)); do
		printf '[lac u%d]\nlns = %s\npppoptfile = %s\nlength bit = yes\nautodial = no\nredial = no\n' \
			"$n" "$(lns_addr "$i")" "$L2TP_ETC/options.u$n" >> "$conf"
		printf '%s\n' "name u$n" "password pw-u$n" $refuse refuse-eap noauth noccp \
			nodefaultroute noipdefault "mtu 1400" "mru 1400" "lcp-echo-interval 0" \
			"logfile $VM_STATE/pppd-u$n.log" > "$L2TP_ETC/options.u$n"
	done
	start_xl2tpd "lac$i" "$conf"
}
