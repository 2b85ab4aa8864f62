#!/bin/bash
# ikev1-psk-responder: strongSwan's charon (IKEv1 initiator, PSK, Main Mode + Quick Mode)
# against ikd as responder, transport mode for UDP/1701 (the L2TP/IPsec case). ikd must
# install the SA pair and the UDP/1701 policies in the kernel with the SPIs charon agreed,
# and datagrams sent each way between the UDP/1701 ports must arrive AND be counted by the
# ESP states on both sides. Then charon deletes its SAs: ikd removes the pair.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
ikev1_need

left=192.0.2.1 right=192.0.2.2
netns_pair left right "$left/24" "$right/24"

charon_conf left "$left" "$right" initiator aes128-sha256-modp2048 aes128-sha256 "$IKEV1_PSK"
ikd_conf right "%any" "$IKEV1_PSK" ""
ikd_start right
start_charon left "$VM_STATE/left"

charon_swanctl left --initiate --child l2tp --timeout 60 > "$VM_STATE/initiate.log" 2>&1 ||
	{ cat "$VM_STATE/initiate.log" >&2; fail "swanctl --initiate against ikd failed"; }
wait_for 30 "ipsec_sa_established in ikd's log" grep -q 'event=ipsec_sa_established' "$VM_STATE/ikd-right.log"
n_right=$(ip -n right xfrm state list proto esp | grep -c '^src' || true)
[ "$n_right" = 2 ] || fail "ikd installed $n_right ESP states, expected 2"
grep -q 'sport 1701' <<< "$(ip -n right xfrm policy list)" || fail "no UDP/1701 policy installed by ikd"
log "charon -> ikd: Main Mode + Quick Mode done, 2 ESP states in the responder's kernel"

check_same_spis left right "$left" "$right"
udp1701_traffic left right "$left" "$right" 5
log "ESP carried UDP/1701 both ways through the SAs ikd installed"

charon_swanctl left --terminate --ike l2tp --timeout 30 > /dev/null 2>&1 || true
wait_for 30 "ikd to remove the ESP states after charon's Delete" esp_states_are right 0
kill -0 "$IKD_PID" || fail "ikd died"
log "PASS: charon initiator -> ikd responder, PSK, transport UDP/1701, ESP counted both ways"
