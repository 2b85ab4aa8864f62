#!/bin/bash
# xfrm-bench: install and then delete N SA pairs plus their 2 policies each (default
# N = 10,000: 20,000 SAs and 20,000 policies) in a fresh namespace of the VM, once with
# iproute2's `ip -batch` and once with the xfrm/ library (batched, then one request at a
# time), and print wall, user and system time of each beside the others.
# Run on demand, never as a timed test:
#   L2SEC_BUILD=build-rel scripts/vmtest --timeout 3600 tests/bench/xfrm-bench.sh
# (L2SEC_XFRM_BENCH_PAIRS=N picks N; build without sanitizers for meaningful numbers.)
# The workload is described in tests/bench/README.md; xfrmctl prints the ip -batch input
# itself so both sides do exactly the same work.
. "$L2SEC_SRC/tests/vm/lib.sh"
X=$L2SEC_BUILD/tests/tools/xfrmctl
N=${L2SEC_XFRM_BENCH_PAIRS:-10000}
[ -x "$X" ] || fail "$X not built"

# Load esp4 and the crypto modules before timing anything.
netns_add warm
ip netns exec warm "$X" add-sa 192.0.2.1 198.51.100.1 0x100 gcm16-128 encap=4500:4500 ||
	fail "warm-up SA"
ip netns delete warm

"$X" bench-ipbatch "$N" add > "$VM_STATE/add.batch"
"$X" bench-ipbatch "$N" del > "$VM_STATE/del.batch"
log "workload: $N pairs = $((2 * N)) SAs + $((2 * N)) policies ($(wc -l < "$VM_STATE/add.batch") ip -batch lines)"

count() { ip -n "$1" xfrm state count | awk '{print $NF}'; }
results=()
# timed NAME CMD...: run CMD, record "NAME wall user sys" (user/sys include children).
timed() {
	local name=$1 t
	shift
	TIMEFORMAT='%R %U %S'
	{ t=$( { time "$@" > "$VM_STATE/$name.out" 2>&1; } 2>&1 ); } || {
		tail -5 "$VM_STATE/$name.out" >&2
		fail "$name failed"
	}
	results+=("$name $t")
	log "$name: wall/user/sys $t"
}

netns_add ipb
timed ip-batch-install ip -n ipb -batch "$VM_STATE/add.batch"
[ "$(count ipb)" = $((2 * N)) ] || fail "ip -batch installed $(count ipb) SAs, want $((2 * N))"
timed ip-batch-delete ip -n ipb -batch "$VM_STATE/del.batch"
[ "$(count ipb)" = 0 ] || fail "ip -batch left $(count ipb) SAs"
ip netns delete ipb

# The same again with the two files ip reads for every line (getprotobyname:
# /etc/nsswitch.conf, /etc/protocols) on tmpfs instead of the VM's 9p root: the fair
# baseline, since a normal host has them in its page cache.
mkdir -p /run/xfrm-bench-etc
cp /etc/protocols /etc/nsswitch.conf /run/xfrm-bench-etc/
netns_add ipt
ip_tmpfs_etc() {
	unshare -m sh -c 'mount --bind /run/xfrm-bench-etc/protocols /etc/protocols &&
		mount --bind /run/xfrm-bench-etc/nsswitch.conf /etc/nsswitch.conf &&
		exec ip -n ipt -batch "$1"' sh "$1"
}
timed ip-batch-tmpfs-install ip_tmpfs_etc "$VM_STATE/add.batch"
[ "$(count ipt)" = $((2 * N)) ] || fail "ip -batch (tmpfs /etc) installed $(count ipt) SAs"
timed ip-batch-tmpfs-delete ip_tmpfs_etc "$VM_STATE/del.batch"
ip netns delete ipt

netns_add lib
timed lib-batch ip netns exec lib "$X" bench "$N"
cat "$VM_STATE/lib-batch.out" >&2
ip netns exec lib "$X" bench 100 verify > "$VM_STATE/verify.out" || fail "library bench verify"
ip netns delete lib

netns_add single
timed lib-single ip netns exec single "$X" bench "$N" mode=single
cat "$VM_STATE/lib-single.out" >&2
ip netns delete single

echo "xfrm-bench: $N SA pairs (+2 policies each), install then delete; seconds wall user sys"
for r in "${results[@]}"; do echo "  $r"; done
echo "library phases:"
cat "$VM_STATE/lib-batch.out" "$VM_STATE/lib-single.out" | sed 's/^/  /'
printf '%s\n' "${results[@]}" | awk -v n="$N" '
	{ w[$1] = $2; u[$1] = $3; s[$1] = $4 }
	END {
		ip = w["ip-batch-install"] + w["ip-batch-delete"]
		ipsys = s["ip-batch-install"] + s["ip-batch-delete"]
		ipusr = u["ip-batch-install"] + u["ip-batch-delete"]
		printf "ip -batch:      %6.0f SAs/s (%d SAs + policies installed then deleted: %.2f s wall, %.2f s user, %.2f s sys)\n", 2 * n / ip, 2 * n, ip, ipusr, ipsys
		printf "xfrm/ batched:  %6.0f SAs/s (%.2f s wall, %.2f s user, %.2f s sys)\n", 2 * n / w["lib-batch"], w["lib-batch"], u["lib-batch"], s["lib-batch"]
		printf "xfrm/ single:   %6.0f SAs/s (%.2f s wall, %.2f s user, %.2f s sys)\n", 2 * n / w["lib-single"], w["lib-single"], u["lib-single"], s["lib-single"]
		ipt = w["ip-batch-tmpfs-install"] + w["ip-batch-tmpfs-delete"]
		iptsys = s["ip-batch-tmpfs-install"] + s["ip-batch-tmpfs-delete"]
		iptusr = u["ip-batch-tmpfs-install"] + u["ip-batch-tmpfs-delete"]
		printf "ip -batch, /etc files on tmpfs: %6.0f SAs/s (%.2f s wall, %.2f s user, %.2f s sys)\n", 2 * n / ipt, ipt, iptusr, iptsys
		printf "speed-up batched vs ip -batch: %.2fx wall (%.2fx vs ip with tmpfs /etc); kernel (sys) share of ip -batch: %.0f%%\n", ip / w["lib-batch"], ipt / w["lib-batch"], 100 * ipsys / ip
	}'
