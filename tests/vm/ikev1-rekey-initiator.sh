#!/bin/bash
# ikev1-rekey-initiator: ikd starts the Quick Mode rekeys. ikd (right) initiates against
# charon (left, responder) with a 60 s IPsec lifetime and a 20 s rekey margin, charon's own
# lifetimes are long (like a Windows client's), so every rekey is ikd's: 3 or more within the
# 140 s of the streams. Numbered UDP/1701 datagrams flow both ways (2 per second each way)
# through ESP; each direction may lose at most one datagram across all the rekeys.
# charon as Quick Mode responder installs its SAs only when message 3 arrives (its "adding
# SAD entry" lines follow "parsed QUICK_MODE request ... [ HASH ]"): ikd as initiator must
# not send on the new outbound SA before then, or its first datagrams on it are dropped.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
ikev1_need

left=192.0.2.1 right=192.0.2.2
netns_pair left right "$left/24" "$right/24"

charon_conf left "$left" "$right" responder aes128-sha256-modp2048 aes128-sha256 "$IKEV1_PSK"
charon_lifetimes left 3000 3000 3600
start_charon left "$VM_STATE/left"
IKD_REMOTE_PROTOPORT=udp/1701 ikd_conf right "$left" "$IKEV1_PSK" \
	'start = "start"; lifetime = 60; rekey_margin = 20;'
ikd_start right
wait_for 90 "ikd to establish the first IPsec SA" grep -q 'event=ipsec_sa_established' "$VM_STATE/ikd-right.log"

# duplex_stream NS FROM TO TAG SECS: one UDP/1701 socket in NS (as L2TP has: two sockets
# bound to that port would take turns at receiving) writes what it receives to
# $VM_STATE/received-NS and, once $VM_STATE/go exists, sends "TAG N" lines to TO, 2 per
# second for SECS seconds; how many went out ends up in $VM_STATE/sent-NS.
duplex_stream() {
	local ns=$1 from=$2 to=$3 tag=$4 secs=$5
	start_bg "duplex-$ns" "$ns" bash -c "
		{ while [ ! -f $VM_STATE/go ]; do sleep 0.2; done
		  n=0 end=\$((SECONDS + $secs))
		  while [ \$SECONDS -lt \$end ]; do n=\$((n + 1)); echo \"$tag \$n\"; sleep 0.5; done
		  echo \$n > $VM_STATE/sent-$ns.tmp; } |
			socat -t 5 - UDP4-DATAGRAM:$to:1701,bind=$from:1701 > $VM_STATE/received-$ns
		mv $VM_STATE/sent-$ns.tmp $VM_STATE/sent-$ns"
}
# Rekeys come every 34-40 s (60 s lifetime, margin 20 s, jitter up to a third of it).
secs=140
duplex_stream right "$right" "$left" seq "$secs"
duplex_stream left "$left" "$right" back "$secs"
for ns in left right; do
	wait_for 30 "the UDP/1701 socket in $ns" sh -c "ip netns exec $ns ss -Hlun 'sport = :1701' | grep -q 1701"
done
touch "$VM_STATE/go"
wait_for $((secs * 3)) "the streams to end" sh -c "[ -f $VM_STATE/sent-right ] && [ -f $VM_STATE/sent-left ]"
rekeys=$(grep -c 'event=ipsec_sa_established.*rekey=yes' "$VM_STATE/ikd-right.log" || true)

sent=$(cat "$VM_STATE/sent-right") back_sent=$(cat "$VM_STATE/sent-left")
received=$(grep -c '^seq ' "$VM_STATE/received-left" || true)
back_received=$(grep -c '^back ' "$VM_STATE/received-right" || true)
charon_log=$VM_STATE/charon-left/charon.log
log "ikd->charon: sent $sent, received $received; charon->ikd: sent $back_sent, received $back_received; ikd rekeyed $rekeys times"
grep -E 'QUICK_MODE|SAD entry|ESP SA' "$charon_log" | tail -16 >&2 || true
grep -E 'quick_mode|ipsec_sa_(established|outbound|deleted)' "$VM_STATE/ikd-right.log" | tail -12 >&2 || true
[ "$rekeys" -ge 3 ] || fail "only $rekeys Quick Mode rekeys by ikd (lifetime 60 s, margin 20 s)"
! grep -q 'rekeying CHILD_SA\|initiating Quick Mode' "$charon_log" || fail "charon started a rekey itself"
# Each rekey held its outbound SA back until charon's ESP arrived on the new inbound SA
# (charon streams back all along; at most 1.5 s otherwise: a rekey as the streams end).
held=$(grep -c 'event=ipsec_sa_outbound_installed.*trigger=peer_sent result=ok' "$VM_STATE/ikd-right.log" || true)
[ "$held" -ge $((rekeys - 1)) ] || fail "only $held of $rekeys rekeys switched to the new outbound SA on charon's ESP"
! grep -q 'event=ipsec_sa_outbound_installed.*result=failed' "$VM_STATE/ikd-right.log" ||
	fail "ikd failed to install a held-back outbound SA"
[ $((sent - received)) -le 1 ] || fail "ikd->charon lost $((sent - received)) of $sent datagrams across ikd's rekeys"
[ $((back_sent - back_received)) -le 1 ] ||
	fail "charon->ikd lost $((back_sent - back_received)) of $back_sent datagrams across ikd's rekeys"
wait_for 40 "old SA pairs to be gone (at most 2 pairs left)" sh -c \
	"[ \$(ip -n right xfrm state list proto esp | grep -c '^src') -le 4 ]"
kill -0 "$IKD_PID" || fail "ikd died"
log "PASS: $rekeys Quick Mode rekeys by ikd under traffic both ways, lost $((sent - received)) and $((back_sent - back_received)) datagrams"
