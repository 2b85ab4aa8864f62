#!/bin/bash
# ikev1-cert: Main Mode with RSA signatures over X.509 certificates between charon
# (initiator) and ikd (responder), both issued by a test CA made here with openssl; then
# transport UDP/1701 traffic through the SAs. The certificate messages (MM5, MM6) are
# larger than either side's fragment size (charon 576-byte datagrams, ikd's default 548),
# so both send them as IKE fragments and both reassemble the other's: checked in both
# logs. Finally ikd trusts another CA only: the negotiation must fail and ikd must say
# the peer's certificate is untrusted.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
ikev1_need
need openssl

left=192.0.2.1 right=192.0.2.2
netns_pair left right "$left/24" "$right/24"

pki=$VM_STATE/pki
CERT_PKI_OTHER_CA=1 cert_pki "$pki" charon ikd
CHARON_FRAGMENT_SIZE=576 charon_cert_conf left "$left" "$right" charon ikd aes256-sha256-modp2048 aes256-sha256 "$pki"
ikd_cert_conf right "$pki" ca.pem modern
ikd_start right
start_charon left "$VM_STATE/left"

charon_swanctl left --initiate --child l2tp --timeout 60 > "$VM_STATE/initiate.log" 2>&1 ||
	{ cat "$VM_STATE/initiate.log" >&2; fail "swanctl --initiate (certificates) against ikd failed"; }
wait_for 30 "the IPsec SA in ikd" grep -q 'event=ipsec_sa_established' "$VM_STATE/ikd-right.log"
grep -q 'event=ike_sa_established.*peer_id=fqdn:charon.example.org.*auth=rsa' "$VM_STATE/ikd-right.log" ||
	fail "ikd did not authenticate charon by its certificate"
check_same_spis left right "$left" "$right"
udp1701_traffic left right "$left" "$right" 3
log "certificates: Main Mode with RSA signatures done, UDP/1701 through ESP"

# ---- IKE fragments both ways ----
ikd_log=$VM_STATE/ikd-right.log charon_log=$VM_STATE/charon-left/charon.log
sent=$(grep -m1 'event=ike_fragments_sent' "$ikd_log") ||
	fail "ikd did not send its message 6 in fragments"
grep -q 'event=ike_fragments_reassembled' "$ikd_log" ||
	fail "ikd did not reassemble charon's fragments"
grep -qi 'into [0-9]* fragments' "$charon_log" || fail "charon did not fragment its message 5"
grep -qiE 'fragment #[0-9]+.*reassembl' "$charon_log" || {
	grep -i 'fragment' "$charon_log" >&2 || true
	fail "charon did not reassemble ikd's fragments"; }
log "fragments: ikd $(sed 's/.*event=ike_fragments_sent //' <<< "$sent");" \
	"charon: $(grep -i -m1 'into [0-9]* fragments' "$charon_log" | sed 's/.*\] //')"

# ---- ikd trusts another CA only ----
charon_swanctl left --terminate --ike l2tp --timeout 30 > /dev/null 2>&1 || true
kill "$IKD_PID"; wait "$IKD_PID" 2> /dev/null || true
mv "$VM_STATE/ikd-right.log" "$VM_STATE/ikd-right-1.log"
ikd_cert_conf right "$pki" other.pem modern
ikd_start right
charon_swanctl left --initiate --child l2tp --timeout 20 > "$VM_STATE/initiate2.log" 2>&1 &&
	fail "charon established an SA although ikd does not trust its CA"
wait_for 30 "ikd's untrusted-certificate report" grep -q 'kind=cert_problem.*untrusted' "$VM_STATE/ikd-right.log"
log "untrusted: $(grep -m1 'kind=cert_problem' "$VM_STATE/ikd-right.log" | sed 's/.*reason=//')"
log "PASS: RSA signature authentication with X.509 certificates against charon, untrusted CA reported"
