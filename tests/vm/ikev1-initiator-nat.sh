#!/bin/bash
# ikev1-initiator-nat: ikd as IKEv1 initiator behind a NAT (nftables masquerade) against
# strongSwan's charon as responder: PSK, Main Mode + Quick Mode, transport mode UDP/1701.
# ikd must detect the NAT (NAT-D), move to UDP/4500, install UDP-encapsulated ESP, and
# datagrams must pass both ways through the ESP states. Then charon is killed: ikd's DPD
# must declare the peer dead and remove the SAs from the kernel.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
ikev1_need

netns_nat client nat server          # client 198.51.100.2 -> NAT 192.0.2.254 -> server 192.0.2.1
client=198.51.100.2 server=192.0.2.1 public=192.0.2.254

charon_conf server "$server" "%any" responder aes256-sha1-modp2048 aes256-sha1 "$IKEV1_PSK"
start_charon server "$VM_STATE/server"
IKD_IKE=aes256-sha1-modp2048 IKD_ESP=aes256-sha1 IKD_REMOTE_PROTOPORT=udp/1701 ikd_conf client "$server" "$IKEV1_PSK" 'start = "start"; dpd_delay = 2; dpd_timeout = 8;'
ikd_start client

wait_for 90 "ikd to establish the IPsec SA" grep -q 'event=ipsec_sa_established' "$VM_STATE/ikd-client.log"
grep -q 'event=ike_nat_detected.*local_behind_nat=yes' "$VM_STATE/ikd-client.log" ||
	fail "ikd did not detect that it is behind NAT"
grep -q 'encap type espinudp sport 4500 dport 4500' <<< "$(ip -n client xfrm state list proto esp)" ||
	fail "ikd's ESP states are not UDP-encapsulated on port 4500"
esp_states_are client 2 || fail "ikd did not install exactly 2 ESP states"
log "ikd behind NAT -> charon: NAT detected, ESP in UDP/4500 installed"

grep -E 'quick_mode|ipsec_sa|peer_moved|peer_notify|retransmit' "$VM_STATE/ikd-client.log" | head -20 >&2 || true
ip -n client xfrm state list proto esp | grep -E '^src|proto esp' >&2
check_same_spis client server "$client" "$server" "$public"
udp1701_traffic client server "$client" "$server" 5 "$public"
log "UDP/1701 passed both ways through UDP-encapsulated ESP across the NAT"

kill -9 "${_vm_charon_pid[server]}"    # no Deletes: only DPD can notice
wait_for 60 "ikd's DPD to declare charon dead" grep -q 'event=dpd_peer_dead' "$VM_STATE/ikd-client.log"
wait_for 10 "ikd to remove the ESP states of the dead peer" esp_states_are client 0
kill -0 "$IKD_PID" || fail "ikd died"
log "PASS: ikd initiator behind NAT, NAT-T, traffic through ESP-in-UDP, DPD removed the SAs"
