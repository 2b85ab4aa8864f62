#!/bin/bash
# e2e-nat-two-clients: two clients behind ONE NAT (same public address, both sending L2TP
# from port 1701) connect at once through the full stack, ikd with nat_marks: each client's
# SAs get their own XFRM mark, l2tpd learns the mark of each client's datagrams and keeps it
# on that client's tunnel socket, so both get their dedicated IP and ping through. Then
# alice is disconnected: l2tpd's delete-peer names her NAT-T port and IKE SA, so ikd
# deletes her SAs only - bob's SAs stay and his ping still works. Last, alice connects again
# and her client deletes its IKE SA: l2tpd tears down her tunnel at once (her mark lost its
# last SA) while bob's stays.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
. "$L2SEC_SRC/tests/vm/e2e-helpers.bash"
ikev1_need
need xl2tpd pppd

netns_nat c1 nat server               # c1 198.51.100.2 -> NAT 192.0.2.254 -> server
netns_nat_client nat c2 198.51.100.3
ikd_conf server "%any" "$E2E_PSK" ""
sed -i 's|^ikd: {|ikd: { nat_marks = true; mark_base = 256;|' "$E2E_RUN/ikd.conf"
E2E_IKD_PREPARED=1 e2e_server "$E2E_ALICE, $E2E_BOB"
e2e_alice_bob_up
esp_states_are server 4 || fail "expected two SA pairs on the server: $(ip -n server xfrm state)"
grep -q 'event=tunnel_request .*mark=0x100' "$VM_STATE/l2tpd.log" || fail "no tunnel with mark 0x100"
grep -q 'event=tunnel_request .*mark=0x101' "$VM_STATE/l2tpd.log" || fail "no tunnel with mark 0x101"
a=$(e2e_session_json alice)
b=$(e2e_session_json bob)
grep -q '"peer_id":"[^"]*198.51.100.2"' <<< "$a" || fail "alice's session has another identity: $a"
grep -q '"peer_id":"[^"]*198.51.100.3"' <<< "$b" || fail "bob's session has another identity: $b"
log "both behind $E2E_NAT_PUBLIC are up, each with its own mark and identity"

# Which NAT-T port is alice's: her client's outbound SPI is the server's inbound one.
spi_a=$(xfrm_spi c1 198.51.100.2 "$E2E_SERVER")
port_a=$(ip -n server xfrm state list spi "$spi_a" | sed -n 's/.*encap type espinudp sport \([0-9]*\) .*/\1/p')
[ -n "$port_a" ] || fail "cannot find alice's NAT-T port (SPI $spi_a)"

e2e_vpnctl disconnect alice || fail "vpnctl disconnect alice failed"
wait_for 15 "alice's SAs to go on the server" esp_states_are server 2
wait_for 10 "alice's client SAs to go (ikd's Delete)" e2e_no_xfrm c1
grep -q "event=ikd_delete_peer peer=$E2E_NAT_PUBLIC:$port_a .*mark=0x10[01]" "$VM_STATE/l2tpd.log" ||
	fail "l2tpd's delete-peer did not name alice's port $port_a: $(grep ikd_delete "$VM_STATE/l2tpd.log")"
grep -q 'event=ikd_delete_skipped' "$VM_STATE/l2tpd.log" && fail "l2tpd skipped a delete-peer"
[ -n "$(ip -n c2 xfrm state)" ] || fail "bob's client lost its SAs"
[ -n "$(e2e_session_json bob)" ] || fail "bob's session went too"
[ -z "$(e2e_session_json alice)" ] || fail "vpnctl still lists alice"
e2e_ping c2 203.0.113.1
log "disconnecting alice deleted her SAs (port $port_a) only, bob still pings"

if1=$(e2e_connect c1)
e2e_ping c1 203.0.113.1
charon_swanctl c1 --terminate --ike l2tp --timeout 30 > /dev/null 2>&1 || true
alice_gone() { [ -z "$(e2e_session_json alice)" ]; }
# at once: well before HELLO (5 s interval, then retransmissions) could notice
wait_for 10 "l2tpd to drop alice's tunnel at once" alice_gone
grep -q 'event=peer_lost .*mark=0x10[0-9a-f]' "$VM_STATE/l2tpd.log" || fail "no peer_lost for alice's mark"
[ -n "$(e2e_session_json bob)" ] || fail "bob's session went with alice's SA"
e2e_ping c2 203.0.113.1
log "PASS: one NAT, two clients; disconnect and SA loss of alice touched nothing of bob"
