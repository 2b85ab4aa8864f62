# shellcheck shell=bash
# tests/vm/lib.sh - shared helpers for VM scenarios (sourced, never run).
#
#   . "$L2SEC_SRC/tests/vm/lib.sh"
#
# Sourcing turns on `set -euo pipefail` and registers `teardown` on EXIT: every namespace made
# with these helpers is deleted and every process started with them is killed, and on failure
# the tails of the daemons' logs are printed. Scratch files go to $VM_STATE (a fresh directory).
# Daemons are found under $VM_STATE/NAME.log (stdout+stderr), charon's own log under
# $VM_STATE/charon-NS/charon.log. A sanitizer report anywhere under $VM_STATE (a daemon's log,
# or $VM_STATE/sanitizer/, where ASan and LSan write whatever the process's stderr is) fails
# the scenario. See tests/vm/README.md for the conventions.

set -euo pipefail

VM_STATE=$(mktemp -d /tmp/l2sec-vm.XXXXXX)
_vm_t0=${EPOCHREALTIME/./}
_vm_pids=()      # processes to kill in teardown
_vm_netns=()     # namespaces to delete in teardown
_vm_failure=     # fail's message, repeated at the end of the log by teardown
_vm_last_err=    # the last command that failed, for a scenario ended by set -e
declare -A _vm_charon_pid=()
exec {_vm_log_fd}>&2  # log() writes here, so messages survive a caller's 2>/dev/null

# A sanitizer build (cmake -DL2SEC_SANITIZE=ON, what CI runs here) writes its ASan and LSan
# reports to $VM_STATE/sanitizer/report.EXE.PID rather than to stderr, so that a report of a
# vpnctl whose stderr went into $(...) or /dev/null is seen as well as a daemon's. Anyone may
# write there: a daemon that dropped to user l2sec still runs its leak check at exit. gcc's
# runtime takes log_path from UBSAN_OPTIONS (and still prints UBSan's "runtime error" to
# stderr, i.e. the daemon's log), clang's from ASAN_OPTIONS: set both. Later options win.
mkdir -m 1777 "$VM_STATE/sanitizer"
chmod 711 "$VM_STATE"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$VM_STATE/sanitizer/report:log_exe_name=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$VM_STATE/sanitizer/report:log_exe_name=1"

# ---- reporting ------------------------------------------------------------------------

# log MSG...: a line on stderr, stamped with the seconds since the scenario started.
log() {
	local us=$((${EPOCHREALTIME/./} - _vm_t0))
	printf '[%4d.%d] %s\n' $((us / 1000000)) $((us / 100000 % 10)) "$*" >&"$_vm_log_fd"
}

# fail MSG...: log the reason and end the scenario (non-zero); teardown runs from the trap.
# Called inside $(...) it only ends that subshell: call it from the scenario's own shell.
fail() {
	_vm_failure=$*
	log "FAIL: $*"
	exit 1
}

# need CMD...: fail unless every command exists.
need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || fail "'$c' is not installed (scripts/setup installs the test tools)"
	done
}

# wait_for TIMEOUT DESC CMD...: run CMD (output discarded) until it succeeds; fail with DESC
# after TIMEOUT seconds. Polls every 0.1-0.5 s, so it returns soon after CMD succeeds.
wait_for() {
	local timeout=$1 desc=$2 delay=0.1
	shift 2
	local deadline=$((${EPOCHREALTIME/./} + timeout * 1000000))
	until "$@" >/dev/null 2>&1; do
		[ "${EPOCHREALTIME/./}" -lt "$deadline" ] || fail "timed out after ${timeout}s waiting for $desc"
		sleep "$delay"
		case $delay in 0.1) delay=0.2 ;; 0.2) delay=0.5 ;; esac
	done
}

# ---- namespaces -----------------------------------------------------------------------

# netns_add NS: a namespace with lo up (no-op if it exists), deleted by teardown.
netns_add() {
	[ -e "/run/netns/$1" ] && return 0
	ip netns add "$1"
	_vm_netns+=("$1")
	ip -n "$1" link set lo up
}

# netns_exec NS CMD...: run CMD inside namespace NS.
netns_exec() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# _addr_add NS IFACE ADDR: ADDR, given /24 (IPv4) or /64 (IPv6) when it has no prefix; IPv6
# without duplicate address detection, so it is usable at once.
_addr_add() {
	local addr=$3 flags=()
	case $addr in
	*:*) [[ $addr == */* ]] || addr+=/64; flags=(nodad) ;;
	*) [[ $addr == */* ]] || addr+=/24 ;;
	esac
	ip -n "$1" addr add "$addr" dev "$2" "${flags[@]}"
}

# netns_link A B [ADDR_A ADDR_B]: a veth pair between namespaces A and B (created if needed);
# the end in A is named "v-B", the end in B "v-A" (cut to 15 characters).
netns_link() {
	local a=$1 b=$2 if_a="v-${2:0:13}" if_b="v-${1:0:13}"
	netns_add "$a"
	netns_add "$b"
	ip link add "$if_a" netns "$a" type veth peer name "$if_b" netns "$b"
	ip -n "$a" link set "$if_a" up
	ip -n "$b" link set "$if_b" up
	if [ $# -ge 4 ]; then
		_addr_add "$a" "$if_a" "$3"
		_addr_add "$b" "$if_b" "$4"
	fi
}

# netns_pair A B ADDR_A ADDR_B: two namespaces joined by a veth pair, e.g.
#   netns_pair left right 192.0.2.1/24 192.0.2.2/24
netns_pair() {
	[ $# -eq 4 ] || fail "netns_pair A B ADDR_A ADDR_B"
	netns_link "$@"
}

# netns_nat CLIENT NAT SERVER: CLIENT (198.51.100.2/24, default route via NAT's
# 198.51.100.1) behind NAT, which masquerades with nftables out of 192.0.2.254/24 towards
# SERVER (192.0.2.1/24). The client side of NAT is a bridge "br-lan": netns_nat_client adds
# more clients behind the same public address.
netns_nat() {
	[ $# -eq 3 ] || fail "netns_nat CLIENT NAT SERVER"
	local client=$1 nat=$2 server=$3
	netns_link "$nat" "$server" 192.0.2.254/24 192.0.2.1/24
	netns_nat_lan "$nat" "v-${server:0:13}"
	netns_nat_client "$nat" "$client" 198.51.100.2/24
}

# netns_nat_lan NAT UPLINK: NAT's client side, the bridge "br-lan" (198.51.100.1/24), with
# forwarding on and everything leaving through interface UPLINK masqueraded (nftables).
netns_nat_lan() {
	local nat=$1 uplink=$2
	ip -n "$nat" link add br-lan type bridge
	ip -n "$nat" addr add 198.51.100.1/24 dev br-lan
	ip -n "$nat" link set br-lan up
	ip netns exec "$nat" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$nat" nft -f - <<-EOF
		table ip nat {
			chain postrouting {
				type nat hook postrouting priority srcnat;
				oifname "$uplink" masquerade
			}
		}
	EOF
}

# netns_nat_client NAT CLIENT ADDR: one more client behind NAT (ADDR in 198.51.100.0/24).
netns_nat_client() {
	local nat=$1 client=$2
	netns_link "$nat" "$client"
	ip -n "$nat" link set "v-${client:0:13}" master br-lan
	_addr_add "$client" "v-${nat:0:13}" "$3"
	ip -n "$client" route add default via 198.51.100.1
}

# ---- background processes -------------------------------------------------------------

# start_bg NAME NS CMD...: start CMD in namespace NS in the background, output to
# $VM_STATE/NAME.log; its pid is left in BG_PID and it is killed by teardown.
start_bg() {
	local name=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" > "$VM_STATE/$name.log" 2>&1 < /dev/null &
	BG_PID=$!
	_vm_pids+=("$BG_PID")
}

# _alive_and DESC PID CMD...: fail at once if PID has exited, else run CMD (for wait_for).
_alive_and() {
	local desc=$1 pid=$2
	shift 2
	kill -0 "$pid" 2>/dev/null || fail "$desc exited early (pid $pid)"
	"$@"
}

# ---- strongSwan -----------------------------------------------------------------------

# start_charon NS CONFDIR [NS CONFDIR]...: start a charon in each namespace NS with
# CONFDIR/swanctl.conf (CONFDIR is bind-mounted at /etc/swanctl in charon's own mount
# namespace, with a private /run), wait for their vici sockets (several seconds under TCG:
# name all instances in one call so they start in parallel) and load each configuration.
# CONFDIR/strongswan.conf is used if present, otherwise a minimal one (few plugins, debug log
# to $VM_STATE/charon-NS/charon.log). Use charon_swanctl NS ... to talk to an instance.
start_charon() {
	[ $# -ge 2 ] && [ $(($# % 2)) = 0 ] || fail "start_charon NS CONFDIR [NS CONFDIR]..."
	local args=("$@") ns confdir state ssconf i
	for ((i = 0; i < ${#args[@]}; i += 2)); do
		ns=${args[i]} state=$VM_STATE/charon-${args[i]}
		confdir=$(readlink -f "${args[i + 1]}")
		[ -f "$confdir/swanctl.conf" ] || fail "start_charon: $confdir/swanctl.conf missing"
		mkdir -p "$state"
		ssconf=$confdir/strongswan.conf
		if [ ! -f "$ssconf" ]; then
			ssconf=$state/strongswan.conf
			_charon_default_conf "$state/charon.log" > "$ssconf"
		fi
		# One process all along: ip netns exec -> unshare -> sh -> charon are execs.
		start_bg "charon-$ns" "$ns" unshare -m --propagation private sh -c '
			mount -t tmpfs tmpfs /run &&
			mount --bind "$1" /etc/swanctl &&
			mount --bind "$2" /etc/strongswan.conf &&
			exec /usr/lib/ipsec/charon' sh "$confdir" "$ssconf"
		_vm_charon_pid[$ns]=$BG_PID
	done
	for ((i = 0; i < ${#args[@]}; i += 2)); do
		ns=${args[i]} state=$VM_STATE/charon-${args[i]}
		wait_for 120 "charon's vici socket in $ns" _alive_and "charon in $ns" "${_vm_charon_pid[$ns]}" \
			nsenter -t "${_vm_charon_pid[$ns]}" -m test -S /run/charon.vici
		charon_swanctl "$ns" --load-all --noprompt > "$state/load.out" 2>&1 ||
			{ grep -v '^opening directory' "$state/load.out" >&2; fail "swanctl --load-all failed in $ns"; }
		log "charon up in $ns (pid ${_vm_charon_pid[$ns]})"
	done
}

_charon_default_conf() {
	cat <<-EOF
		charon {
			load = random nonce aes sha1 sha2 hmac gmp kdf kernel-netlink socket-default vici
			install_routes = no
			filelog {
				main {
					path = $1
					time_format = %T
					flush_line = yes
					ike_name = yes
					default = 1
					ike = 2
					cfg = 2
					knl = 2
				}
			}
		}
		# swanctl reads this file too: without a list it tries every plugin it knows.
		swanctl {
			load = pem pkcs1 pkcs8 x509 pubkey random
		}
	EOF
}

# charon_swanctl NS ARGS...: swanctl against the charon of NS (in its mount namespace).
charon_swanctl() {
	local ns=$1 pid=${_vm_charon_pid[$1]:-}
	shift
	[ -n "$pid" ] || fail "charon_swanctl: no charon started in $ns"
	nsenter -t "$pid" -m -n swanctl "$@"
}

# ---- xl2tpd and pppd ------------------------------------------------------------------

# start_xl2tpd NS CONF: start xl2tpd in NS with config file CONF (foreground mode, output to
# $VM_STATE/xl2tpd-NS.log) and wait for its control pipe $VM_STATE/xl2tpd-NS.control.
start_xl2tpd() {
	local ns=$1 conf
	conf=$(readlink -f "$2")
	modprobe -a l2tp_ppp ppp_generic
	start_bg "xl2tpd-$ns" "$ns" xl2tpd -D -c "$conf" -p "$VM_STATE/xl2tpd-$ns.pid" \
		-C "$VM_STATE/xl2tpd-$ns.control"
	wait_for 30 "xl2tpd's control pipe in $ns" _alive_and "xl2tpd in $ns" "$BG_PID" \
		test -p "$VM_STATE/xl2tpd-$ns.control"
	log "xl2tpd up in $ns (pid $BG_PID)"
}

# xl2tpd_control NS CMD...: write a command (e.g. "c LACNAME" to connect) to xl2tpd's pipe.
xl2tpd_control() {
	local ns=$1
	shift
	echo "$*" > "$VM_STATE/xl2tpd-$ns.control"
}

# ppp_secret CLIENT SERVER SECRET [ADDRESS]: a line in /etc/ppp/chap-secrets (the VM's own
# copy: each scenario gets a fresh overlay of the root), used by both pppd ends.
ppp_secret() {
	printf '"%s" "%s" "%s" %s\n' "$1" "$2" "$3" "${4:-*}" >> /etc/ppp/chap-secrets
}

# ppp_wait NS TIMEOUT [IFACE]: wait until IFACE (default: any pppN) in NS is up with an IPv4
# address; prints the interface name.
ppp_wait() {
	local ns=$1 timeout=$2 iface=${3:-}
	wait_for "$timeout" "a ppp interface with an address in $ns" _ppp_has_addr "$ns" "$iface"
	_ppp_has_addr "$ns" "$iface"
}

_ppp_has_addr() {
	ip -n "$1" -4 -o addr show ${2:+dev "$2"} | awk '$2 ~ /^ppp/ { print $2; found = 1; exit } END { exit !found }'
}

# ppp_addr NS IFACE: the local IPv4 address of IFACE in NS.
ppp_addr() {
	ip -n "$1" -4 -o addr show dev "$2" | awk '{ print $4; exit }' | cut -d/ -f1
}

# ---- xfrm -----------------------------------------------------------------------------

# xfrm_state_counter NS SPI|all: counters of the ESP state with that SPI (0x hex or decimal),
# or summed over all states, from `ip -s xfrm state`: sets XFRM_PACKETS and XFRM_BYTES and
# prints "PACKETS BYTES". Fails if the SPI is unknown (call it directly, not in $(...), so
# that the failure ends the scenario with its message).
xfrm_state_counter() {
	local ns=$1 spi=$2 out
	[ "$spi" = all ] || spi=$(printf '0x%08x' "$spi")
	out=$(ip -n "$ns" -s xfrm state | awk -v want="$spi" '
		$1 == "proto" { sel = (want == "all" || substr($4, 1, 10) == want); if (sel) n++ }
		sel && /\(bytes\), .*\(packets\)/ {
			b = $1; sub(/\(bytes\),/, "", b); p = $2; sub(/\(packets\)/, "", p)
			bytes += b; packets += p
		}
		END { if (!n && want != "all") exit 1; printf "%d %d\n", packets, bytes }') ||
		fail "xfrm_state_counter: no xfrm state with SPI $spi in $ns"
	# shellcheck disable=SC2034  # results for the caller
	read -r XFRM_PACKETS XFRM_BYTES <<< "$out"
	echo "$out"
}

# xfrm_spi NS SRC DST: the SPI (0x hex) of the ESP state from SRC to DST in NS.
xfrm_spi() {
	ip -n "$1" xfrm state list src "$2" dst "$3" proto esp | awk '$1 == "proto" { print $4; exit }'
}

# ---- sanitizer reports ----------------------------------------------------------------

# What starts a sanitizer report: an ASan error, a leak, an UBSan runtime error, a summary line
# (ASan's "SUMMARY: AddressSanitizer: 24 byte(s) leaked"), or a leak check that could not run.
VM_SANITIZER_PATTERN='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: [A-Za-z]*Sanitizer|Sanitizer has encountered a fatal error'

# sanitizer_reports DIR: print every sanitizer report in the files under DIR (per file: its
# name, ~40 lines from the first match, then any further SUMMARY lines); status 0 if any.
sanitizer_reports() {
	local dir=$1 f found=1
	while IFS= read -r f; do
		[ -n "$f" ] || continue
		found=0
		printf -- '---- sanitizer report in %s ----\n' "${f#"$dir"/}"
		awk -v pat="$VM_SANITIZER_PATTERN" '
			!first && $0 ~ pat { first = NR }
			first && NR < first + 40 { print; next }
			first && /^SUMMARY: / { print "[...]"; print }
			first { more++ }
			END { if (more) printf "[%d more lines]\n", more }' "$f"
	done <<< "$(grep -rlE -D skip "$VM_SANITIZER_PATTERN" "$dir" 2> /dev/null | sort)"
	return "$found"
}

# ---- teardown -------------------------------------------------------------------------

# _vm_checks_leaks PID: true for a process that runs a leak check when it exits: a program of
# this build (ikd, l2tpd, vpnctl, tests/tools/*) or one linked with gcc's libasan.
_vm_checks_leaks() {
	local exe
	exe=$(readlink "/proc/$1/exe" 2> /dev/null) || return 1
	[[ $exe == "$(readlink -f "$L2SEC_BUILD")"/* ]] || grep -q '/libasan\.so' "/proc/$1/maps" 2> /dev/null
}

# _vm_stop_processes: SIGTERM to everything start_* started, SIGKILL to what is left after
# VM_EXIT_GRACE_SANITIZED seconds (default 15: a sanitizer build's leak check at exit takes
# seconds under TCG, and SIGKILL would silence it) for processes of ours, 1 s for the others
# (charon, xl2tpd, pppd, socat...). The waits run side by side, not one after the other.
_vm_stop_processes() {
	local pid now start grace=${VM_EXIT_GRACE_SANITIZED:-15}
	local -A deadline=() ours=()
	now=${EPOCHREALTIME/./} start=${EPOCHREALTIME/./}
	for pid in "${_vm_pids[@]}"; do
		kill -0 "$pid" 2> /dev/null || continue
		deadline[$pid]=$((now + 1000000))
		if _vm_checks_leaks "$pid"; then
			ours[$pid]=1
			deadline[$pid]=$((now + grace * 1000000))
		fi
		kill "$pid" 2> /dev/null
	done
	while [ ${#deadline[@]} -gt 0 ]; do
		sleep 0.1
		now=${EPOCHREALTIME/./}
		for pid in "${!deadline[@]}"; do
			if ! kill -0 "$pid" 2> /dev/null; then
				unset 'deadline[$pid]'
			elif [ "$now" -ge "${deadline[$pid]}" ]; then
				[ -z "${ours[$pid]:-}" ] ||
					log "teardown: $(cat "/proc/$pid/comm" 2> /dev/null) (pid $pid) did not exit within ${grace}s of SIGTERM: SIGKILLed, no leak check"
				kill -9 "$pid" 2> /dev/null
				unset 'deadline[$pid]'
			fi
		done
	done
	now=$((${EPOCHREALTIME/./} - start))
	[ ${#ours[@]} = 0 ] || log "teardown: stopped ${#ours[@]} program(s) of ours and the rest in $((now / 1000000)).$((now / 100000 % 10)) s"
}

# teardown: stop what was started (our programs get time for their leak check), delete the
# namespaces; on failure show the daemon logs. A sanitizer report under $VM_STATE fails a
# scenario that passed; a scenario that failed anyway shows it too, and keeps its own reason.
teardown() {
	local rc=$? ns f reports=
	set +e
	trap '' TERM  # a second SIGTERM (the runner's, to the process group) must not cut this short
	_vm_stop_processes
	if reports=$(sanitizer_reports "$VM_STATE"); then
		if [ "$rc" = 0 ]; then
			rc=1
			_vm_failure="sanitizer report(s): $(grep -o '^---- sanitizer report in [^ ]*' <<< "$reports" | cut -d' ' -f5 | paste -sd' ')"
		else
			_vm_failure="${_vm_failure:-exit status $rc after ${_vm_last_err:-a failed command}} (and sanitizer reports, above)"
		fi
	fi
	if [ "$rc" != 0 ]; then
		local shown=0
		for f in "$VM_STATE"/*.log "$VM_STATE"/*/charon.log; do
			[ -s "$f" ] || continue
			echo "---- last lines of ${f#"$VM_STATE"/} ----" >&2
			tail -n 12 "$f" >&2
			shown=1
		done
		[ -z "$reports" ] || { printf '%s\n' "$reports" >&2; shown=1; }
		# The reason last, where the runner's log tail shows it.
		if [ "$shown" = 1 ] || [ -z "$_vm_failure" ]; then
			log "FAIL: ${_vm_failure:-exit status $rc after ${_vm_last_err:-a failed command}}"
		fi
	fi
	for ns in "${_vm_netns[@]}"; do ip netns delete "$ns" 2>/dev/null; done
	rm -rf "$VM_STATE"
	exit "$rc"
}
trap teardown EXIT
# Which command ended the scenario under set -e (the failing line of the scenario, or of the
# call of the function that failed).
trap '_vm_last_err="line $LINENO: $BASH_COMMAND (status $?)"' ERR
# The runner's timeout sends SIGTERM: still tear down and show the daemon logs.
trap 'fail "terminated by SIGTERM (the scenario timed out?)"' TERM
