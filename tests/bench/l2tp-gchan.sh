#!/bin/bash
# l2tp-gchan: why PPPIOCGCHAN on a PPPoL2TP socket takes tens of milliseconds, and whether
# calls made side by side share that wait. Not a test: a measurement, run by hand.
#   cmake --build build-rel --target l2tpkctl
#   L2SEC_BUILD=$PWD/build-rel scripts/vmtest --timeout 900 tests/bench/l2tp-gchan.sh
#   L2SEC_GCHAN_ITEMS=20 (clients per process) L2SEC_GCHAN_PROCS="1 4 16"
# 1. function_graph of sock_ioctl while `l2tpkctl bench` runs: prints the call chain of the
#    slow PPPIOCGCHANs (where the process sleeps).
# 2. `l2tpkctl bench` in K namespaces at once (K = each of L2SEC_GCHAN_PROCS): if the sleep
#    is an RCU grace period, concurrent callers share it and PPPIOCGCHANs per second grow
#    with K while the time of each call stays about the same.
. "$L2SEC_SRC/tests/vm/lib.sh"

CTL=$L2SEC_BUILD/tests/tools/l2tpkctl
[ -x "$CTL" ] || fail "$CTL not built (cmake --build \$L2SEC_BUILD --target l2tpkctl)"
ITEMS=${L2SEC_GCHAN_ITEMS:-20}
PROCS=${L2SEC_GCHAN_PROCS:-1 4 16}
modprobe -a l2tp_ppp ppp_generic l2tp_netlink

# ---- 1. where the time goes ------------------------------------------------------------
T=/sys/kernel/tracing
mountpoint -q "$T" || mount -t tracefs nodev "$T"
echo 0 > "$T/tracing_on"
echo 20000 > "$T/buffer_size_kb"
echo function_graph > "$T/current_tracer"
echo sock_ioctl > "$T/set_graph_function"
echo 1 > "$T/options/funcgraph-tail"
netns_pair srv0 gen0 192.0.2.1/24 192.0.2.2/24
echo 1 > "$T/tracing_on"   # before entering the namespace: it gets its own /sys
ip netns exec srv0 "$CTL" bench 5 192.0.2.1 192.0.2.2 > "$VM_STATE/trace-bench.out"
echo 0 > "$T/tracing_on"
cat "$T/trace" > "$VM_STATE/trace"
echo nop > "$T/current_tracer"
# the functions that returned after more than 10 ms (function_graph marks them '*'),
# first PPPIOCGCHAN only, outermost last
log "calls over 10 ms inside one sock_ioctl (innermost first):"
grep -m1 -B60 '[*@$] *[0-9.]* us.*} /\* sock_ioctl' "$VM_STATE/trace" |
	grep '[*@$] *[0-9.]* us.*}' | sed 's/^ *[0-9]*) *//; s/^/    /' >&2 || true
grep -q 'synchronize_rcu\|synchronize_net' "$VM_STATE/trace" &&
	log "PPPIOCGCHAN waits in synchronize_net (an RCU grace period)"

# ---- 2. side by side -------------------------------------------------------------------
for k in $PROCS; do
	for ((i = 1; i <= k; i++)); do
		ip netns list | grep -q "^srv$i\b" || netns_pair "srv$i" "gen$i" 192.0.2.1/24 192.0.2.2/24
	done
	t0=$EPOCHREALTIME
	for ((i = 1; i <= k; i++)); do
		ip netns exec "srv$i" "$CTL" bench "$ITEMS" 192.0.2.1 192.0.2.2 > "$VM_STATE/par-$k-$i.out" &
	done
	wait
	t1=$EPOCHREALTIME
	per_call=$(cat "$VM_STATE"/par-"$k"-*.out | awk '$2 == "PPPIOCGCHAN" && $3 ~ /^wall/ {
		sub("per_item=", "", $4); sub("ms", "", $4); s += $4; n++ } END { printf "%.1f", s / n }')
	create=$(cat "$VM_STATE"/par-"$k"-*.out | awk '/^bench_create/ { sub("wall=", "", $3); sub("s", "", $3); if ($3 > m) m = $3 } END { print m }')
	log "$(printf '%2d processes x %d clients: PPPIOCGCHAN %5.1f ms per call, %6.1f calls/s over the creation phase (%.1f s)' \
		"$k" "$ITEMS" "$per_call" "$(echo "$k * $ITEMS / $create" | bc -l)" "$create")"
done
log PASS
