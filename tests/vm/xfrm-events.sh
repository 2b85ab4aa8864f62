#!/bin/bash
# xfrm-events: the library's event subscription and SPI allocation on a full kernel.
#  - an SA with a 3 s soft and 10 s hard lifetime gives a soft expire, then a hard expire,
#    then it is gone (the gap is wide because a loaded TCG guest can stall for seconds,
#    and a timer that fires after the hard limit only reports the hard expiry);
#  - a policy whose SA is missing makes the kernel send ACQUIRE with the right endpoints;
#  - ALLOCSPI gives distinct SPIs; one larval SA is completed into a real ESP SA with
#    UPDSA, the others are released as failed negotiations and leave nothing behind.
. "$L2SEC_SRC/tests/vm/lib.sh"
need ping
X=$L2SEC_BUILD/tests/tools/xfrmctl
[ -x "$X" ] || fail "$X not built (cmake --build \$L2SEC_BUILD --target xfrmctl)"

netns_pair ev peer 192.0.2.1/24 192.0.2.2/24
start_bg monitor ev "$X" monitor timeout=120
wait_for 10 "the event monitor" grep -q monitor=ready "$VM_STATE/monitor.log"
events() { cat "$VM_STATE/monitor.log"; }

# ---- soft and hard expiry ----
ip netns exec ev "$X" add-sa 192.0.2.1 192.0.2.2 0x3001 gcm16-128 reqid=5 soft-s=3 hard-s=10 ||
	fail "add-sa with a short lifetime"
wait_for 40 "a hard expire of spi 0x3001" grep -q "event=expire owned=1 hard=1 spi=0x00003001" \
	"$VM_STATE/monitor.log"
soft=$(grep -n "event=expire owned=1 hard=0 spi=0x00003001 src=192.0.2.1 dst=192.0.2.2 reqid=5" \
	"$VM_STATE/monitor.log" | head -1 | cut -d: -f1 || true)
hard=$(grep -n "event=expire owned=1 hard=1 spi=0x00003001" "$VM_STATE/monitor.log" | head -1 | cut -d: -f1)
[ -n "$soft" ] || { events >&2; fail "no soft expire (with addresses and reqid) before the hard one"; }
[ "$soft" -lt "$hard" ] || fail "soft expire (line $soft) came after the hard one (line $hard)"
[ -z "$(ip -n ev xfrm state list spi 0x3001)" ] || fail "SA 0x3001 still there after its hard expire"
log "soft then hard expire of 0x3001 received; the SA is gone"

# ---- acquire ----
ip netns exec ev "$X" add-policy out 192.0.2.1 192.0.2.2 proto=icmp mode=transport reqid=11 ||
	fail "add-policy"
ip netns exec ev ping -c 1 -W 1 192.0.2.2 > /dev/null 2>&1 || true
wait_for 10 "an ACQUIRE for 192.0.2.1 -> 192.0.2.2" grep -q \
	"event=acquire owned=1 src=192.0.2.1 dst=192.0.2.2 seq=" "$VM_STATE/monitor.log"
log "acquire received: $(grep -m1 event=acquire "$VM_STATE/monitor.log")"
ip netns exec ev "$X" flush > /dev/null

# ---- ALLOCSPI: distinct SPIs, one completed, the rest released ----
spis=($(ip netns exec ev "$X" allocspi 192.0.2.2 192.0.2.1 reqid=9 count=20)) || fail "allocspi"
[ "${#spis[@]}" = 20 ] || fail "allocspi gave ${#spis[@]} SPIs, want 20"
[ "$(printf '%s\n' "${spis[@]}" | sort -u | wc -l)" = 20 ] || fail "allocspi gave duplicate SPIs"
[ "$(ip -n ev xfrm state | grep -c '^src 192.0.2.2 dst 192.0.2.1')" = 20 ] ||
	fail "expected 20 larval SAs"
ip netns exec ev "$X" add-sa 192.0.2.2 192.0.2.1 "${spis[0]}" gcm16-128 reqid=9 replay=32 update ||
	fail "completing larval SA ${spis[0]} with UPDSA"
got=$(ip netns exec ev "$X" get-sa 192.0.2.1 "${spis[0]}")
grep -q "encr=rfc4106(gcm(aes)) icv_bits=128" <<< "$got" || fail "completed SA reads back as: $got"
for spi in "${spis[@]:1}"; do
	ip netns exec ev "$X" release 192.0.2.1 "$spi" || fail "release $spi"
done
left=$(ip -n ev xfrm state | grep -c '^src' || true)
[ "$left" = 1 ] || { ip -n ev xfrm state >&2; fail "$left states left, want only the completed one"; }
grep -q "spi ${spis[0]} " <<< "$(ip -n ev xfrm state)" || fail "the completed SA ${spis[0]} is gone"
log "20 distinct SPIs; ${spis[0]} completed by UPDSA; 19 released, no larval SA left"
out=$(ip netns exec ev "$X" flush)
[ "$out" = "flushed sas=1 policies=0" ] || fail "flush said '$out'"
