#!/bin/bash
# e2e-demo: the demo lab, and the full stack's first test. A client behind a NAT (nftables
# masquerade) connects to ikd + l2tpd with strongSwan (IKEv1 PSK, transport mode for
# UDP/1701, NAT-T) and xl2tpd + pppd (MS-CHAPv2); it must get its dedicated IP, a ping must
# cross the PPP link inside ESP-in-UDP, and vpnctl must show the user, IP and public peer
# address. scripts/demo runs this file and shows its output.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
. "$L2SEC_SRC/tests/vm/e2e-helpers.bash"
ikev1_need
need xl2tpd pppd

say() { log "demo: $*"; }

say "building the lab: client 198.51.100.2 behind a NAT (192.0.2.254) -> server 192.0.2.1"
netns_nat client nat server
say "starting ikd and l2tpd on the server (user alice, dedicated IP 203.0.113.200)"
e2e_server '{ name = "alice"; password = "alice-secret"; ip = "203.0.113.200"; }'
say "starting strongSwan and xl2tpd/pppd on the client"
e2e_client client 198.51.100.2 alice alice-secret
say "connecting: IKEv1 Main Mode + Quick Mode, then L2TP and PPP (MS-CHAPv2, IPCP)"
ifc=$(e2e_connect client)
addr=$(ppp_addr client "$ifc")
[ "$addr" = 203.0.113.200 ] || fail "alice got $addr, not her dedicated 203.0.113.200"
say "client is up: $ifc with $addr"

netns_exec client "${PING[@]}" -c 3 -W 3 203.0.113.1 > "$VM_STATE/ping.log" ||
	{ cat "$VM_STATE/ping.log" >&2; fail "ping through the tunnel failed"; }
say "ping through the tunnel: $(grep -o '[0-9]* received' "$VM_STATE/ping.log")"

# The packets really went through ESP in UDP (NAT-T) on the server side.
# (a here-string, not a pipe: under pipefail, grep -q closing the pipe early fails ip)
grep -q 'encap type espinudp' <<< "$(ip -n server xfrm state list)" || fail "server's SAs are not UDP-encapsulated (NAT not handled?)"
spi_in=$(xfrm_spi server "$E2E_NAT_PUBLIC" "$E2E_SERVER")
[ -n "$spi_in" ] || fail "no ESP state from $E2E_NAT_PUBLIC to the server"
xfrm_state_counter server "$spi_in" > /dev/null
[ "${XFRM_PACKETS:-0}" -gt 0 ] || fail "no packets counted by the server's inbound ESP state"
say "server's inbound ESP SA counted $XFRM_PACKETS packets, $XFRM_BYTES bytes (ESP in UDP)"

e2e_vpnctl --json sessions > "$VM_STATE/sessions.json"
grep -q '"user":"alice"' "$VM_STATE/sessions.json" || fail "vpnctl --json sessions lacks alice: $(cat "$VM_STATE/sessions.json")"
grep -q '"client_ip":"203.0.113.200"' "$VM_STATE/sessions.json" || fail "vpnctl --json sessions lacks her IP: $(cat "$VM_STATE/sessions.json")"
grep -q "\"peer_addr\":\"$E2E_NAT_PUBLIC\"" "$VM_STATE/sessions.json" || fail "vpnctl --json sessions does not show the public (NAT) address: $(cat "$VM_STATE/sessions.json")"

say "vpnctl status (on the server):"
e2e_vpnctl status >&2 || fail "vpnctl status failed"
say "vpnctl sessions:"
e2e_vpnctl sessions >&2
say "vpnctl sa:"
e2e_vpnctl sa >&2 || true
say "PASS: alice behind NAT got 203.0.113.200 and her ping crossed ESP-in-UDP + L2TP + PPP"
