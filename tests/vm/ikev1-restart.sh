#!/bin/bash
# ikev1-restart: ikd runs as a systemd service (Type=notify, FileDescriptorStoreMax=1) and
# charon (initiator) has an ISAKMP SA and an IPsec SA pair with it, a UDP/1701 stream going
# through ESP. ikd is restarted twice: `systemctl restart`, then kill -9 with
# Restart=on-failure. Each time the new ikd must come back from the memfd in the fd store
# with the same ISAKMP SA (cookies) and pair (SPIs) in `vpnctl --json ike` / `sa`, answer
# charon's DPD (charon keeps its SA), and afterwards accept charon's Quick Mode rekey and
# its ISAKMP rekey under short lifetimes. The stream (1 datagram/s) may lose at most 2.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
. "$L2SEC_SRC/tests/vm/systemd-helpers.bash"
ikev1_need
VPNCTL=$L2SEC_BUILD/ctl/vpnctl
[ -x "$VPNCTL" ] || fail "vpnctl not built in $L2SEC_BUILD"

left=192.0.2.1 right=192.0.2.2
netns_pair left right "$left/24" "$right/24"
sd_user_start

# Short lifetimes, but long enough for both restarts to come first on a slow host: the pair
# is rekeyed 90-100 s after it came up, the ISAKMP SA 140-150 s.
charon_conf left "$left" "$right" initiator aes128-sha256-modp2048 aes128-sha256 "$IKEV1_PSK"
charon_lifetimes left 150 100 130
ikd_conf right "%any" "$IKEV1_PSK" ""
dir=$VM_STATE/ikd-right
sd_service ikd right -p FileDescriptorStoreMax=1 -- "$IKD" -d -f "$dir/ikd.conf" -S "$dir/secrets.conf"
IKD_LOG=$VM_STATE/ikd.log
wait_for 30 "ikd's memfd in the fd store" sh -c "[ \"\$(systemctl --user show -P NFileDescriptorStore ikd)\" = 1 ]"
vpn() { "$VPNCTL" --rundir "$dir" "$@"; }

start_charon left "$VM_STATE/left"
charon_swanctl left --initiate --child l2tp --timeout 60 > "$VM_STATE/initiate.log" 2>&1 ||
	{ cat "$VM_STATE/initiate.log" >&2; fail "swanctl --initiate against ikd failed"; }
wait_for 30 "the IPsec SA in ikd" grep -q 'event=ipsec_sa_established' "$IKD_LOG"

start_bg udp1701-right right socat -u UDP4-RECV:1701,reuseaddr OPEN:"$VM_STATE/stream-received",creat,append
wait_for 30 "the UDP/1701 listener in right" sh -c "ip netns exec right ss -Hlun 'sport = :1701' | grep -q 1701"
secs=170
udp_stream_start left "$left" "$right" 1 "$secs"

# The SA identifiers vpnctl shows: cookies of the ISAKMP SAs, SPIs of the pairs (sorted).
sa_ids() {
	{ vpn --json ike; vpn --json sa; } | grep -o '"spi_[a-z]*":[0-9]*' | sort | tr '\n' ' '
}
charon_dpd_acks() { grep -c 'N(DPD_ACK)' "$VM_STATE/charon-left/charon.log" || true; }

# restart_and_check HOW: restart ikd (sd_restart or sd_crash), then the same SAs must be
# back, restored from the fd store, and charon's next DPD must be answered.
restart_and_check() {
	local how=$1 before after acks pid pairs restored
	before=$(sa_ids)
	[[ $before == *spi_in* ]] || fail "no pair in vpnctl before the restart: $before"
	acks=$(charon_dpd_acks)
	restored=$(grep -c 'event=ike_state_restored source=fdstore' "$IKD_LOG" || true)
	pid=$($how ikd)
	log "ikd $how: new main PID $pid"
	wait_for 10 "the restore line of the new ikd" sh -c \
		"[ \$(grep -c 'event=ike_state_restored source=fdstore' '$IKD_LOG') -gt $restored ]"
	pairs=$(grep -o '"spi_in"' <<< "$before" | wc -l)
	grep 'event=ike_state_restored' "$IKD_LOG" | tail -n 1 |
		grep -q "ike_sas=1 ipsec_sas=$pairs dropped_missing=0" ||
		fail "ikd did not restore 1 ISAKMP SA and $pairs pair(s): $(grep 'event=ike_state_restored' "$IKD_LOG" | tail -n 1)"
	after=$(sa_ids)
	[ "$after" = "$before" ] || fail "SAs differ after $how: before: $before; after: $after"
	log "same SAs after $how: $after"
	wait_for 30 "charon's DPD to be answered by the new ikd" sh -c \
		"[ \$(grep -c 'N(DPD_ACK)' '$VM_STATE/charon-left/charon.log') -gt $acks ]"
}

restart_and_check sd_restart
restart_and_check sd_crash
[ "$(systemctl --user show -P NFileDescriptorStore ikd)" = 1 ] || fail "the fd store lost ikd's memfd"
mark=$(wc -l < "$IKD_LOG")
log "waiting for charon's rekeys under the restored SAs"

# Charon rekeys the pair (Quick Mode under the restored ISAKMP SA), then the ISAKMP SA.
wait_for 200 "a Quick Mode rekey after the restarts" sh -c \
	"tail -n +$mark '$IKD_LOG' | grep -q 'event=ipsec_sa_established'"
wait_for 200 "an ISAKMP rekey after the restarts" sh -c \
	"tail -n +$mark '$IKD_LOG' | grep -q 'event=ike_sa_established'"
if tail -n +"$mark" "$IKD_LOG" | grep -q 'event=ike_negotiation_failed'; then
	fail "a negotiation failed after the restart: $(tail -n +"$mark" "$IKD_LOG" | grep 'event=ike_negotiation_failed' | head -n 3)"
fi
wait_for $((secs * 4)) "the stream to end (progress: \$(cat $VM_STATE/stream-progress 2>/dev/null))" \
	sh -c "! kill -0 $STREAM_PID 2>/dev/null"
sleep 2
sent=$(cat "$VM_STATE/stream-sent")
received=$(grep -c '^seq ' "$VM_STATE/stream-received" || true)
log "sent $sent, received $received"
[ $((sent - received)) -le 2 ] || fail "lost $((sent - received)) of $sent datagrams across the restarts and rekeys"
charon_swanctl left --list-sas > "$VM_STATE/charon-sas.txt" 2>&1
grep -q 'ESTABLISHED' "$VM_STATE/charon-sas.txt" || fail "charon has no established SA: $(cat "$VM_STATE/charon-sas.txt")"
sd_active ikd || fail "ikd is not running"
grep -E 'event=(ike_state_restored|ike_sa_established|ipsec_sa_established|ike_sa_deleted|ipsec_sa_deleted)' \
	"$IKD_LOG" | sed 's/^/  ikd: /' | cut -c1-220
log "PASS: ikd restarted and crashed with SAs kept, DPD answered, rekeys after the restarts, $((sent - received)) datagrams lost"
