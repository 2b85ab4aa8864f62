#!/bin/bash
# l2tp-teardown: which calls of a session's teardown sleep, for how long, and whether calls
# made side by side share the wait. Not a test: a measurement, run by hand.
#   cmake --build build-rel --target l2tpkctl
#   L2SEC_BUILD=$PWD/build-rel scripts/vmtest --timeout 900 tests/bench/l2tp-teardown.sh
#   L2SEC_TD_ITEMS=50 (clients per process) L2SEC_TD_PROCS="1 4 16"
# 1. `l2tpkctl bench N`: wall time of each teardown step, in l2tpd's order (PPPIOCDISCONN,
#    close chan, close unit, close PPPoL2TP socket, genl session delete, genl tunnel delete,
#    close UDP socket), per item.
# 2. function_graph of __fput (a close's real work runs there, at the return to user space),
#    genl_rcv_msg and ppp_ioctl while 5 clients are torn down: the call chain of the steps
#    that took over 10 ms (where the process sleeps).
# 3. K processes tearing down side by side: if the sleeps are RCU grace periods, teardowns
#    per second grow with K (what l2tpd's teardown threads count on).
. "$L2SEC_SRC/tests/vm/lib.sh"

CTL=$L2SEC_BUILD/tests/tools/l2tpkctl
[ -x "$CTL" ] || fail "$CTL not built (cmake --build \$L2SEC_BUILD --target l2tpkctl)"
ITEMS=${L2SEC_TD_ITEMS:-50}
PROCS=${L2SEC_TD_PROCS:-1 4 16}
modprobe -a l2tp_ppp ppp_generic l2tp_netlink

# ---- 1. per step -----------------------------------------------------------------------
netns_pair srv0 gen0 192.0.2.1/24 192.0.2.2/24
ip netns exec srv0 "$CTL" bench "$ITEMS" 192.0.2.1 192.0.2.2 > "$VM_STATE/steps.out"
log "one process, $ITEMS clients:"
grep '^bench_teardown\|^bench_step teardown' "$VM_STATE/steps.out" | sed 's/^/    /' >&2

# ---- 2. where the time goes ------------------------------------------------------------
T=/sys/kernel/tracing
mountpoint -q "$T" || mount -t tracefs nodev "$T"
echo 0 > "$T/tracing_on"
echo 40000 > "$T/buffer_size_kb"
echo function_graph > "$T/current_tracer"
printf '%s\n' __fput genl_rcv_msg ppp_ioctl > "$T/set_graph_function"
echo 1 > "$T/options/funcgraph-tail"
echo 1 > "$T/tracing_on"   # before entering the namespace: it gets its own /sys
ip netns exec srv0 "$CTL" bench 5 192.0.2.1 192.0.2.2 > "$VM_STATE/trace-bench.out"
echo 0 > "$T/tracing_on"
cat "$T/trace" > "$VM_STATE/trace"
echo nop > "$T/current_tracer"
# functions that returned after more than 10 ms ('*' 10 ms, '@' 100 ms, '$' 1 s), counted
log "functions over 10 ms under __fput / genl_rcv_msg / ppp_ioctl (count, name), 5 clients:"
grep -o '[*@$] *[0-9.]* us.*} /\* [a-z_0-9.]*' "$VM_STATE/trace" |
	sed 's/.*\/\* //' | sort | uniq -c | sort -rn | sed 's/^/    /' >&2 || true
log "one slow __fput, innermost first:"
grep -m1 -B80 '[*@$] *[0-9.]* us.*} /\* __fput' "$VM_STATE/trace" |
	grep '[*@$] *[0-9.]* us.*}' | sed 's/^ *[0-9]*) *//; s/^/    /' >&2 || true

# ---- 3. side by side -------------------------------------------------------------------
for k in $PROCS; do
	for ((i = 1; i <= k; i++)); do
		ip netns list | grep -q "^srv$i\b" || netns_pair "srv$i" "gen$i" 192.0.2.1/24 192.0.2.2/24
	done
	for ((i = 1; i <= k; i++)); do
		ip netns exec "srv$i" "$CTL" bench "$ITEMS" 192.0.2.1 192.0.2.2 > "$VM_STATE/par-$k-$i.out" &
	done
	wait
	td=$(cat "$VM_STATE"/par-"$k"-*.out | awk '/^bench_teardown/ { sub("wall=", "", $3); sub("s", "", $3); if ($3 > m) m = $3 } END { print m }')
	unit=$(cat "$VM_STATE"/par-"$k"-*.out | awk '$3 == "close(unit)" { sub("per_item=", "", $5); sub("ms", "", $5); s += $5; n++ } END { printf "%.1f", s / n }')
	log "$(printf '%2d processes x %d clients: teardown %6.1f clients/s (%.1f s), close(unit) %5.1f ms per call' \
		"$k" "$ITEMS" "$(echo "$k * $ITEMS / $td" | bc -l)" "$td" "$unit")"
done
log PASS
