#!/bin/bash
# ikev1-responders-host: the Phase 1 half of ikev1-responders.sh, on this machine's own kernel
# (no VM, so at native speed and with 10,000 SAs in reach; the kernel needs no ESP because
# no IPsec SA is made): Main Mode PSK handshakes per second and RSS per established IKE SA,
# ikd beside strongSwan's charon, same proposals, same load, same run.
#
#   sudo tests/bench/ikev1-responders-host.sh BUILD_DIR [N] [CONCURRENCY] [REPEAT]
#
# Everything runs in a private network + mount namespace (lo only: the responder on
# 192.0.2.1, the load from 198.51.100.0/24 and 203.0.113.0/24, one (address, port) per
# handshake), a fresh responder per measurement. Configurations: those of
# ikev1-responders.sh (info level to syslog, no half-open limits, DPD off, no test vectors).
set -euo pipefail

if [ "${1:-}" != --inside ]; then
	[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [N] [CONCURRENCY] [REPEAT]" >&2; exit 64; }
	exec unshare -n -m --propagation private "$0" --inside "$@"
fi
shift
build=$(readlink -f "$1") n=${2:-10000} conc=${3:-64} repeat=${4:-2}
IKD=$build/ikd/ikd LOAD=$build/tests/bench/ikev1_load
[ -x "$IKD" ] && [ -x "$LOAD" ] || { echo "build ikd and ikev1_load in $build" >&2; exit 1; }
state=$(mktemp -d /tmp/ikev1-bench.XXXXXX)
mount -t tmpfs tmpfs /run
psk="l2sec benchmark psk 0123456789" resp_addr=192.0.2.1
ip link set lo up
ip addr add "$resp_addr/32" dev lo
ip addr add 198.51.100.1/24 dev lo
ip addr add 203.0.113.1/24 dev lo
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$state"; }
trap cleanup EXIT

. "$(dirname "$(readlink -f "$0")")/ikev1-bench-conf.sh"
ikev1_bench_ikd_conf "$state/ikd" "$psk"
ikev1_bench_charon_conf "$state/swan" "$psk" "$resp_addr" "unix://$state/swan/charon.vici"

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
listening() { ss -Hlun 'sport = :500' | grep -q 500; }

start_responder() {
	local i
	case $1 in
	ikd)
		ikev1_bench_ikd_fresh "$state/ikd" > /dev/null
		"$IKD" -f "$state/ikd/ikd.conf" -S "$state/ikd/secrets.conf" > "$state/ikd.log" 2>&1 &
		RESP_PID=$! ;;
	strongswan)
		rm -f "$state/swan/charon.vici"
		STRONGSWAN_CONF=$state/swan/strongswan.conf /usr/lib/ipsec/charon > "$state/charon.log" 2>&1 &
		RESP_PID=$!
		for i in $(seq 300); do [ -S "$state/swan/charon.vici" ] && break; sleep 0.1; done
		swanctl --load-all --file "$state/swan/swanctl.conf" --uri "unix://$state/swan/charon.vici" \
			> /dev/null 2>&1 ;;
	esac
	pids+=("$RESP_PID")
	for i in $(seq 300); do listening && return 0; sleep 0.1; done
	echo "$1 did not start" >&2
	exit 1
}

measure() {
	local who=$1 group=$2 run=$3 before after out=$state/load.out summary per
	start_responder "$who"
	sleep 1
	before=$(rss_kib "$RESP_PID")
	"$LOAD" -t "$resp_addr" -s 198.51.100.1/254 -s 203.0.113.1/254 -n "$n" -c "$conc" \
		-g "$group" -k "$psk" -r 4000 -R 5 --hold --phase1-only > "$out" 2>&1 &
	local load_pid=$!
	pids+=("$load_pid")
	until grep -q holding "$out"; do
		kill -0 "$load_pid" 2>/dev/null || { cat "$out" >&2; exit 1; }
		sleep 0.5
	done
	sleep 1
	after=$(rss_kib "$RESP_PID")
	summary=$(grep '^ikev1_load: group=' "$out")
	grep failure "$out" >&2 || true
	per=$(awk -v a="$after" -v b="$before" -v s="$summary" 'BEGIN {
		match(s, /ok=[0-9]+/); n = substr(s, RSTART + 3, RLENGTH - 3);
		printf "%.2f", n ? (a - b) / n : 0 }')
	printf '%-10s %-9s %3s %s rss0_KiB=%s rss1_KiB=%s KiB_per_IKE_SA=%s\n' "$who" "$group" \
		"$run" "${summary#ikev1_load: }" "$before" "$after" "$per"
	kill -9 "$load_pid" "$RESP_PID" 2>/dev/null || true
	wait "$load_pid" "$RESP_PID" 2>/dev/null || true
}

echo "# $(date -u +%FT%TZ) kernel $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# N=$n concurrency=$conc, Main Mode only (no IPsec SAs)"
for group in modp2048 ecp256; do
	for run in $(seq "$repeat"); do
		for who in ikd strongswan; do
			measure "$who" "$group" "$run"
		done
	done
done
