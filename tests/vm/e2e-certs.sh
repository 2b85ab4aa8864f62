#!/bin/bash
# e2e-certs: the full stack with X.509 certificates instead of a PSK: a client behind a NAT
# (strongSwan, RSA signatures, IKEv1 Main Mode, transport UDP/1701, NAT-T) and xl2tpd/pppd
# (MS-CHAPv2) against ikd + l2tpd (require_protected); the client gets its dedicated IP, a
# ping crosses, and vpnctl shows the certificate identity beside the session.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
. "$L2SEC_SRC/tests/vm/e2e-helpers.bash"
ikev1_need
need xl2tpd pppd openssl

netns_nat client nat server

cert_pki "$VM_STATE/pki" ikd alice
ikd_cert_conf server "$VM_STATE/pki" ca.pem "modern, legacy-clients"
E2E_IKD_PREPARED=1 e2e_server '{ name = "alice"; password = "alice-secret"; ip = "203.0.113.200"; }'
charon_cert_conf client 198.51.100.2 "$E2E_SERVER" alice ikd aes128-sha256-modp2048 aes128-sha256 "$VM_STATE/pki"
E2E_CHARON_PREPARED=1 e2e_client client 198.51.100.2 alice alice-secret

ifc=$(e2e_connect client)
[ "$(ppp_addr client "$ifc")" = 203.0.113.200 ] || fail "alice did not get 203.0.113.200"
e2e_ping client 203.0.113.1
grep -q 'event=ike_sa_established.*peer_id=fqdn:alice.example.org.*auth=rsa' "$VM_STATE/ikd-server.log" ||
	fail "ikd did not authenticate alice by her certificate"
s=$(e2e_session_json alice)
grep -q '"peer_id":"[^"]*alice.example.org"' <<< "$s" || fail "the session lacks the certificate identity: $s"
log "PASS: certificates end to end: $s"
