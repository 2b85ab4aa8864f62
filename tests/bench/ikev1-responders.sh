#!/bin/bash
# ikev1-responders: IKEv1 responder benchmark, ikd beside strongSwan's charon, in one VM run
# (scripts/vmtest --timeout 1500 tests/bench/ikev1-responders.sh; see tests/bench/README.md).
#
# tests/bench/ikev1_load (namespace "load", sources 198.51.100.0/24 and 203.0.113.0/24, one
# (address, port) per handshake) runs Main Mode PSK + Quick Mode (transport, UDP/1701) against
# the responder in namespace "resp" (192.0.2.1), for each proposal, first against ikd, then
# against charon, each freshly started. Measured: handshakes per second (load generator,
# whole run), the responder's RSS before and with every SA held (ratio = memory per IKE SA
# with its IPsec SA pair), ESP states in the responder's kernel. Both responders: the same
# proposals, no half-open limits in the way, info-level logging to syslog (nobody listens,
# so neither pays for a log file), DPD off.
#
# Environment (all optional):
#   L2SEC_IKEV1_BENCH_SIZES    handshakes held per measurement, e.g. "1000 10000" (default 1000)
#   L2SEC_IKEV1_BENCH_GROUPS   "modp2048 ecp256" (default both)
#   L2SEC_IKEV1_BENCH_CONC     handshakes in flight (default 64)
#   L2SEC_IKEV1_BENCH_REPEAT   runs of each measurement (default 2)
#   L2SEC_IKEV1_BENCH_ORDER    "ikd strongswan" (default) or the reverse
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/bench/ikev1-bench-conf.sh"

sizes=${L2SEC_IKEV1_BENCH_SIZES:-1000}
groups=${L2SEC_IKEV1_BENCH_GROUPS:-modp2048 ecp256}
conc=${L2SEC_IKEV1_BENCH_CONC:-64}
repeat=${L2SEC_IKEV1_BENCH_REPEAT:-2}
order=${L2SEC_IKEV1_BENCH_ORDER:-ikd strongswan}
psk="l2sec benchmark psk 0123456789"
resp_addr=192.0.2.1 load_addr=192.0.2.2

need swanctl
IKD=$L2SEC_BUILD/ikd/ikd LOAD=$L2SEC_BUILD/tests/bench/ikev1_load
[ -x "$IKD" ] && [ -x "$LOAD" ] || fail "build ikd and ikev1_load in $L2SEC_BUILD first"
[ -f /usr/lib/ipsec/plugins/libstrongswan-openssl.so ] ||
	fail "charon needs its openssl plugin for ECP-256 (libstrongswan-standard-plugins)"
modprobe esp4 2>/dev/null || true

# Two namespaces; the load side owns two whole /24s on lo (a prefix on lo makes every
# address in it local, so each can be bound), the responder routes them back over the veth.
netns_pair load resp "$load_addr/24" "$resp_addr/24"
ip -n load addr add 198.51.100.1/24 dev lo
ip -n load addr add 203.0.113.1/24 dev lo
ip -n resp route add 198.51.100.0/24 via "$load_addr"
ip -n resp route add 203.0.113.0/24 via "$load_addr"
srcs=(-s 198.51.100.1/254 -s 203.0.113.1/254)

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
esp_count() { ip -n resp xfrm state count | awk '{ print $NF }'; }

# start_responder ikd|strongswan: RESP_PID
start_responder() {
	case $1 in
	ikd)
		local saved
		saved=$(ikev1_bench_ikd_fresh "$VM_STATE/ikd")
		[ "$saved" = 0 ] || log "ikd: removed the previous measurement's saved state ($saved bytes)"
		start_bg ikd resp "$IKD" -f "$VM_STATE/ikd/ikd.conf" -S "$VM_STATE/ikd/secrets.conf"
		RESP_PID=$BG_PID
		wait_for 60 "ikd on UDP/500" _alive_and ikd "$RESP_PID" \
			sh -c "ip netns exec resp ss -Hlun 'sport = :500' | grep -q 500" ;;
	strongswan)
		start_charon resp "$VM_STATE/swan"
		RESP_PID=${_vm_charon_pid[resp]}
		wait_for 60 "charon on UDP/500" \
			sh -c "ip netns exec resp ss -Hlun 'sport = :500' | grep -q 500" ;;
	esac
}

stop_responder() {
	kill -9 "$RESP_PID" 2>/dev/null || true
	wait "$RESP_PID" 2>/dev/null || true
	ip -n resp xfrm state flush
	ip -n resp xfrm policy flush
}

# measure RESPONDER GROUP N RUN: one row of $VM_STATE/results
measure() {
	local who=$1 group=$2 n=$3 run=$4 before after summary ok rate fail p50 p99 states per
	local out=$VM_STATE/load-$who-$group-$n-$run.out
	start_responder "$who"
	sleep 2         # let start-up allocations settle before the baseline
	before=$(rss_kib "$RESP_PID")
	start_bg "load-$who-$group-$n-$run" load "$LOAD" -t "$resp_addr" "${srcs[@]}" -n "$n" \
		-c "$conc" -g "$group" -k "$psk" -r 4000 -R 5 --hold
	local load_pid=$BG_PID
	local waited=0
	until grep -q 'holding' "$VM_STATE/load-$who-$group-$n-$run.log"; do
		kill -0 "$load_pid" 2>/dev/null && [ $waited -lt $((n * 4 + 300)) ] || {
			cat "$VM_STATE/load-$who-$group-$n-$run.log" >&2
			log "$who: $(ip -n resp xfrm state count), RSS $(rss_kib "$RESP_PID") KiB"
			fail "the load against $who ($group, $n) did not finish in ${waited}s"; }
		sleep 1
		waited=$((waited + 1))
	done
	cp "$VM_STATE/load-$who-$group-$n-$run.log" "$out"
	summary=$(grep '^ikev1_load: group=' "$out")
	ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<< "$summary")
	fail=$(sed -n 's/.* failed=\([0-9]*\).*/\1/p' <<< "$summary")
	rate=$(sed -n 's/.* rate=\([0-9.]*\).*/\1/p' <<< "$summary")
	p50=$(sed -n 's/.* p50_ms=\([0-9.]*\).*/\1/p' <<< "$summary")
	p99=$(sed -n 's/.* p99_ms=\([0-9.]*\).*/\1/p' <<< "$summary")
	# The responder installs its SA pair when QM3 arrives: wait for the kernel to hold them.
	for _ in $(seq 120); do
		[ "$(esp_count)" -ge $((2 * ok)) ] && break
		sleep 1
	done
	sleep 2
	states=$(esp_count)
	after=$(rss_kib "$RESP_PID")
	per=$(awk -v a="$after" -v b="$before" -v n="$ok" 'BEGIN { printf "%.2f", n ? (a - b) / n : 0 }')
	log "$who $group n=$n run $run: $summary"
	grep 'failure' "$out" >&2 || true
	log "$who $group n=$n run $run: RSS ${before} -> ${after} KiB, ${per} KiB/SA, ESP states $states"
	printf '%-10s %-9s %6s %3s %9s %8s %8s %8s %9s %9s %7s %6s\n' "$who" "$group" "$n" "$run" \
		"$rate" "$p50" "$p99" "$per" "$before" "$after" "$states" "$fail" >> "$VM_STATE/results"
	kill "$load_pid" 2>/dev/null || true
	wait "$load_pid" 2>/dev/null || true
	stop_responder
}

ikev1_bench_ikd_conf "$VM_STATE/ikd" "$psk"
ikev1_bench_charon_conf "$VM_STATE/swan" "$psk" "$resp_addr"
printf '%-10s %-9s %6s %3s %9s %8s %8s %8s %9s %9s %7s %6s\n' responder proposal held run \
	"hs/s" "p50_ms" "p99_ms" "KiB/SA" "rss0_KiB" "rss1_KiB" "ESP" "failed" > "$VM_STATE/results"
for n in $sizes; do
	for group in $groups; do
		for run in $(seq "$repeat"); do
			for who in $order; do
				measure "$who" "$group" "$n" "$run"
			done
		done
	done
done
log "results (kernel $(uname -r), $(nproc) vCPUs, $(awk '/^MemTotal/ { print $2 }' /proc/meminfo) KiB):"
cat "$VM_STATE/results" >&2
