# shellcheck shell=bash
# tests/vm/systemd-helpers.bash - run daemons under a real systemd service manager in a VM
# scenario (sourced after lib.sh, never run).
#
# The VM boots without systemd as PID 1, but a systemd *user* manager started as root is a
# complete service manager: Type=notify readiness, the file-descriptor store
# (FileDescriptorStoreMax=, FDSTORE=1, $LISTEN_FDS on the next start), Restart=, ExecReload=.
# That is what l2tpd and ikd rely on to survive a restart, so the scenarios test against the
# real thing rather than an imitation of its protocol.
#
#   sd_user_start                      # once per scenario
#   sd_service l2tpd server -p FileDescriptorStoreMax=64 -- "$L2TPD" -d -f "$conf"
#   sd_main_pid l2tpd                  # -> the daemon's PID
#   systemctl --user restart l2tpd     # keeps the fd store
#   sd_crash l2tpd                     # SIGKILL the main PID; Restart=on-failure brings it back
#
# The daemon's stdout and stderr go to $VM_STATE/UNIT.log (appended across restarts), so
# lib.sh's teardown shows its tail on failure like any other daemon's and finds a sanitizer
# report in it; the unit gets lib.sh's ASAN_OPTIONS/UBSAN_OPTIONS (reports to
# $VM_STATE/sanitizer/), and is stopped before teardown, its leak check included.

# sd_user_start: start the user manager (if not running) and wait until it answers.
sd_user_start() {
	export XDG_RUNTIME_DIR=/run/user/0
	# scripts/vmtest runs each scenario chrooted into its own overlay; systemctl would ignore
	# every command there ("Running in chroot") without this.
	export SYSTEMD_IGNORE_CHROOT=1
	[ -S "$XDG_RUNTIME_DIR/systemd/private" ] && return 0
	need systemd systemctl systemd-run
	# systemd refuses to run a user manager on a system "not booted with systemd": that
	# check is only for this directory.
	mkdir -p /run/systemd/system "$XDG_RUNTIME_DIR"
	local sd
	for sd in /lib/systemd/systemd /usr/lib/systemd/systemd; do [ -x "$sd" ] && break; done
	"$sd" --user --log-target=console > "$VM_STATE/systemd-user.log" 2>&1 < /dev/null &
	_sd_manager_pid=$!
	_vm_pids+=("$_sd_manager_pid")
	wait_for 30 "the systemd user manager (log: $(tail -n 5 "$VM_STATE/systemd-user.log" 2>&1))" \
		_alive_and "systemd --user" "$_sd_manager_pid" _sd_manager_up
}

# The manager answers and has finished starting (degraded is fine: a failed user unit of the
# host's own set-up is not ours to judge).
_sd_manager_up() {
	local st
	st=$(systemctl --user is-system-running 2>/dev/null) || true
	[ "$st" = running ] || [ "$st" = degraded ]
}

# sd_service UNIT NS [-p PROP=VALUE]... -- CMD...: run CMD as the transient service UNIT in
# network namespace NS, with Type=notify (start returns once it sent READY=1, and fails if it
# exits first), Restart=on-failure and a 1 s restart delay. More -p properties override or
# add (e.g. -p FileDescriptorStoreMax=64). The environment of sanitizer builds is passed on.
sd_service() {
	[ $# -ge 4 ] || fail "sd_service UNIT NS [-p PROP]... -- CMD..."
	local unit=$1 ns=$2 props=() envs=() v
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		[ "$1" = -p ] && [ $# -ge 2 ] || fail "sd_service: expected -p PROP=VALUE or --, got '$1'"
		props+=(-p "$2")
		shift 2
	done
	[ "${1:-}" = -- ] || fail "sd_service: missing -- before the command"
	shift
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[ -n "${!v:-}" ] && envs+=(-E "$v=${!v}")
	done
	systemd-run --user --quiet --unit="$unit" --collect \
		-p Type=notify -p NotifyAccess=main \
		-p NetworkNamespacePath="/run/netns/$ns" \
		-p Restart=on-failure -p RestartSec=1 \
		-p StandardOutput="append:$VM_STATE/$unit.log" -p StandardError="append:$VM_STATE/$unit.log" \
		"${props[@]}" "${envs[@]}" -- "$@" ||
		fail "systemd-run could not start $unit (systemctl --user status $unit: $(systemctl --user status "$unit" --no-pager 2>&1 | tail -n 5))"
	_sd_units+=("$unit")
}

# sd_main_pid UNIT: print the service's main PID (0 when it is not running).
sd_main_pid() {
	systemctl --user show -P MainPID "$1"
}

# sd_active UNIT: true when the service is active (running, after READY=1).
sd_active() {
	[ "$(systemctl --user is-active "$1" 2>/dev/null)" = active ]
}

# sd_crash UNIT [TIMEOUT]: SIGKILL the main PID (a crash, as systemd sees it), then wait until
# Restart=on-failure has brought up a new main process that signalled readiness. Prints the
# new PID.
sd_crash() {
	local unit=$1 timeout=${2:-30} old
	old=$(sd_main_pid "$unit")
	[ "$old" != 0 ] || fail "$unit is not running, cannot crash it"
	kill -9 "$old"
	wait_for "$timeout" "$unit to be restarted after SIGKILL of $old" _sd_restarted_from "$unit" "$old"
	sd_main_pid "$unit"
}

_sd_restarted_from() {
	local pid
	pid=$(sd_main_pid "$1")
	[ "$pid" != 0 ] && [ "$pid" != "$2" ] && sd_active "$1"
}

# sd_restart UNIT: systemctl restart (waits for the new instance's READY=1); prints the new PID.
sd_restart() {
	systemctl --user restart "$1" || fail "systemctl --user restart $1 failed: $(systemctl --user status "$1" --no-pager 2>&1 | tail -n 5)"
	sd_main_pid "$1"
}

# sd_fdstore_count UNIT: how many descriptors the service manager holds for UNIT (systemd
# 252 exposes only the total, as NFileDescriptorStore).
sd_fdstore_count() {
	systemctl --user show -P NFileDescriptorStore "$1"
}

_sd_units=()
_sd_manager_pid=

# Stop our services before lib.sh's teardown kills the manager, so their exit (and any
# sanitizer report) lands in their logs; chained in front of teardown.
_sd_teardown() {
	local rc=$? u
	# errexit would end this trap at the "(exit $rc)" below, before teardown could show the
	# daemons' logs and clean up
	set +e
	if [ -n "$_sd_manager_pid" ]; then
		for u in "${_sd_units[@]}"; do
			timeout 15 systemctl --user stop "$u" > /dev/null 2>&1 || true
		done
	fi
	(exit "$rc")  # teardown takes the scenario's status from $?
	teardown
}
trap _sd_teardown EXIT
