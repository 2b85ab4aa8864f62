#!/bin/bash
# ikev1-mismatch: the two failures every L2TP/IPsec admin meets, each reported by ikd with
# the reason in words. charon initiates to ikd (responder):
#  1. with another PSK: ikd logs ike_negotiation_failed kind=psk_mismatch "pre-shared keys
#     differ" (message 5 does not decrypt / HASH_I does not verify);
#  2. with proposals ikd does not accept: kind=proposal_mismatch naming what the peer
#     offered beside ours.
# Then ikd initiates to charon with a proposal charon refuses: ikd reports the failure.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
ikev1_need

left=192.0.2.1 right=192.0.2.2
netns_pair left right "$left/24" "$right/24"

# 1. PSK mismatch.
charon_conf left "$left" "$right" initiator aes128-sha256-modp2048 aes128-sha256 "not-the-same-psk"
IKD_IKE="aes256-sha256-modp2048, aes128-sha256-modp2048" ikd_conf right "%any" "$IKEV1_PSK" ""
ikd_start right
start_charon left "$VM_STATE/left"
charon_swanctl left --initiate --child l2tp --timeout 20 > "$VM_STATE/initiate1.log" 2>&1 &&
	fail "charon established an SA with a wrong PSK"
wait_for 30 "ikd's psk_mismatch report" grep -q 'event=ike_negotiation_failed.*kind=psk_mismatch.*pre-shared keys differ' \
	"$VM_STATE/ikd-right.log"
esp_states_are right 0 || fail "ESP states installed despite the PSK mismatch"
log "PSK mismatch reported: $(grep -m1 'kind=psk_mismatch' "$VM_STATE/ikd-right.log" | sed 's/.*reason=//')"

# 2. Proposal mismatch: charon offers only AES-128/SHA-1/MODP-1536, ikd accepts AES-256/SHA-256.
charon_conf left "$left" "$right" initiator aes128-sha1-modp1536 aes128-sha1 "$IKEV1_PSK"
charon_swanctl left --load-all --noprompt > /dev/null 2>&1 || fail "swanctl --load-all"
charon_swanctl left --initiate --child l2tp --timeout 20 > "$VM_STATE/initiate2.log" 2>&1 &&
	fail "charon established an SA with proposals ikd does not accept"
wait_for 30 "ikd's proposal_mismatch report" grep -q 'event=ike_negotiation_failed.*kind=proposal_mismatch.*peer offered aes128-sha1-modp1536' \
	"$VM_STATE/ikd-right.log"
log "proposal mismatch reported: $(grep -m1 'kind=proposal_mismatch' "$VM_STATE/ikd-right.log" | sed 's/.*reason=//')"

# 3. ikd initiates with proposals charon refuses: ikd must say so (notify or silence).
charon_conf left "$left" "$right" responder aes256-sha256-modp2048 aes256-sha256 "$IKEV1_PSK"
charon_swanctl left --load-all --noprompt > /dev/null 2>&1 || fail "swanctl --load-all"
IKD_IKE="aes128-sha1-modp2048" IKD_REMOTE_PROTOPORT=udp/1701 ikd_conf right "$left" "$IKEV1_PSK" 'start = "start";'
kill "$IKD_PID"; wait "$IKD_PID" 2>/dev/null || true
mv "$VM_STATE/ikd-right.log" "$VM_STATE/ikd-right-1.log"
ikd_start right
wait_for 60 "ikd to report the refused proposal" grep -qE 'event=ike_negotiation_failed.*(NO-PROPOSAL-CHOSEN|no answer)' \
	"$VM_STATE/ikd-right.log"
log "initiator side: $(grep -m1 'event=ike_negotiation_failed' "$VM_STATE/ikd-right.log" | sed 's/.*reason=//')"
log "PASS: PSK mismatch and proposal mismatch reported with their reasons"
