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

# ---- a test PKI ----
pki=$VM_STATE/pki
mkdir -p "$pki"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.pem" -days 30 \
	-subj "/O=l2sec vm/CN=l2sec e2e CA" 2> /dev/null
for n in ikd alice; do
	openssl req -newkey rsa:2048 -nodes -keyout "$pki/$n.key" -out "$pki/$n.csr" \
		-subj "/O=l2sec vm/CN=$n.example.org" 2> /dev/null
	echo "subjectAltName=DNS:$n.example.org" > "$pki/$n.ext"
	openssl x509 -req -in "$pki/$n.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
		-out "$pki/$n.pem" -days 30 -extfile "$pki/$n.ext" 2> /dev/null
done

# ---- ikd with its certificate ----
mkdir -p "$E2E_RUN"
cat > "$E2E_RUN/ikd.conf" <<CONF
ikd: { log_level = "debug"; socket = "$E2E_RUN/ikd.sock"; retransmit_ms = 500; retransmit_tries = 4; };
connections = ( {
	name = "l2tp"; remote = "%any"; auth = "rsa"; mode = "transport";
	cert = "$pki/ikd.pem"; key = "$pki/ikd.key"; ca = "$pki/ca.pem";
	local_id = "@ikd.example.org";
	local_protoport = "udp/1701"; remote_protoport = "udp/%any";
	ike = "modern, legacy-clients"; esp = "modern, legacy-clients";
} );
CONF
: > "$E2E_RUN/secrets.conf"
chmod 600 "$E2E_RUN/secrets.conf"
E2E_IKD_PREPARED=1 e2e_server '{ name = "alice"; password = "alice-secret"; ip = "203.0.113.200"; }'

# ---- the client with its certificate ----
c=$VM_STATE/client
mkdir -p "$c/x509" "$c/x509ca" "$c/private" "$VM_STATE/charon-client"
cp "$pki/alice.pem" "$c/x509/"
cp "$pki/ca.pem" "$c/x509ca/"
cp "$pki/alice.key" "$c/private/"
cat > "$c/strongswan.conf" <<SS
charon {
	load = random nonce aes sha1 sha2 hmac gmp kdf pem pkcs1 pkcs8 x509 pubkey constraints kernel-netlink socket-default vici
	install_routes = no
	filelog {
		main {
			path = $VM_STATE/charon-client/charon.log
			time_format = %T
			default = 1
			ike = 2
		}
	}
}
SS
cat > "$c/swanctl.conf" <<SWAN
connections {
	l2tp {
		version = 1
		local_addrs = 198.51.100.2
		remote_addrs = $E2E_SERVER
		proposals = aes128-sha256-modp2048
		dpd_delay = 5s
		local {
			auth = pubkey
			certs = alice.pem
			id = alice.example.org
		}
		remote {
			auth = pubkey
			id = ikd.example.org
		}
		children {
			l2tp {
				mode = transport
				local_ts = dynamic[udp/1701]
				remote_ts = dynamic[udp/1701]
				esp_proposals = aes128-sha256
				dpd_action = clear
			}
		}
	}
}
SWAN
E2E_CHARON_PREPARED=1 e2e_client client 198.51.100.2 alice alice-secret

ifc=$(e2e_connect client)
[ "$(ppp_addr client "$ifc")" = 203.0.113.200 ] || fail "alice did not get 203.0.113.200"
e2e_ping client 203.0.113.1
grep -q 'event=ike_sa_established.*peer_id=fqdn:alice.example.org.*auth=rsa' "$VM_STATE/ikd-server.log" ||
	fail "ikd did not authenticate alice by her certificate"
s=$(e2e_session_json alice)
grep -q '"peer_id":"[^"]*alice.example.org"' <<< "$s" || fail "the session lacks the certificate identity: $s"
log "PASS: certificates end to end: $s"
