#!/bin/bash
# ikev1-reconnect: a client that loses its state (charon killed with SIGKILL, no Deletes)
# connects again (with INITIAL-CONTACT when the client sends it; strongSwan does not):
# ikd must replace the stale ISAKMP SA and drop its IPsec SAs: afterwards the kernel holds
# exactly one SA pair, and it works.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
ikev1_need

left=192.0.2.1 right=192.0.2.2
netns_pair left right "$left/24" "$right/24"

charon_conf left "$left" "$right" initiator aes128-sha256-modp2048 aes128-sha256 "$IKEV1_PSK"
ikd_conf right "%any" "$IKEV1_PSK" 'dpd_delay = 0;'
ikd_start right
start_charon left "$VM_STATE/left"
charon_swanctl left --initiate --child l2tp --timeout 60 > /dev/null 2>&1 || fail "first initiate failed"
wait_for 30 "the first IPsec SA in ikd" esp_states_are right 2

kill -9 "${_vm_charon_pid[left]}"
ip -n left xfrm state flush
ip -n left xfrm policy flush
start_charon left "$VM_STATE/left"
charon_swanctl left --initiate --child l2tp --timeout 60 > /dev/null 2>&1 || fail "second initiate failed"
wait_for 30 "ikd to drop the stale SAs after INITIAL-CONTACT" esp_states_are right 2
n_ike=$(grep -c 'event=ike_sa_established' "$VM_STATE/ikd-right.log")
[ "$n_ike" = 2 ] || fail "expected 2 ISAKMP SAs established in ikd, got $n_ike"
grep -qE 'ike_sa_deleted ike_sa=1 .*reason="(replaced after INITIAL-CONTACT|replaced by a new ISAKMP SA from the same peer)"' \
	"$VM_STATE/ikd-right.log" || fail "ikd did not replace the stale ISAKMP SA"
wait_for 20 "the stale IPsec SA pair to be gone" esp_states_are right 2
check_same_spis left right "$left" "$right"
udp1701_traffic left right "$left" "$right" 3
log "PASS: reconnect with INITIAL-CONTACT leaves exactly one working SA pair"
