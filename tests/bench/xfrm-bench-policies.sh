#!/bin/bash
# xfrm-bench-policies: the policy half of xfrm-bench.sh on THIS machine's kernel (no VM,
# no ESP needed): N clients' 2 policies each, installed then deleted, by `ip -batch` and by
# the xfrm/ library (batched, then one request at a time), each in a fresh namespace.
# Run as root: tests/bench/xfrm-bench-policies.sh BUILD_DIR [N]   (N default 10000)
set -euo pipefail
build=${1:?usage: xfrm-bench-policies.sh BUILD_DIR [N]}
n=${2:-10000}
X=$build/tests/tools/xfrmctl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$X" bench-ipbatch "$n" add | grep '^xfrm policy' > "$tmp/add"
"$X" bench-ipbatch "$n" del | grep '^xfrm policy' > "$tmp/del"
export TIMEFORMAT='%R %U %S'
echo "xfrm-bench-policies: $((2 * n)) policies installed then deleted; seconds wall user sys"
{ time unshare -n sh -c "ip -batch $tmp/add && ip -batch $tmp/del"; } 2> "$tmp/t" > /dev/null
echo "  ip -batch        $(cat "$tmp/t")"
{ time unshare -n "$X" bench "$n" policies verify > "$tmp/b"; } 2> "$tmp/t"
echo "  xfrm/ batched    $(cat "$tmp/t")"
sed 's/^/      /' "$tmp/b"
{ time unshare -n "$X" bench "$n" policies mode=single > "$tmp/s"; } 2> "$tmp/t"
echo "  xfrm/ single     $(cat "$tmp/t")"
sed 's/^/      /' "$tmp/s"
