#!/bin/bash
# ikev1-cert: Main Mode with RSA signatures over X.509 certificates between charon
# (initiator) and ikd (responder), both issued by a test CA made here with openssl; then
# transport UDP/1701 traffic through the SAs. Finally ikd trusts another CA only: the
# negotiation must fail and ikd must say the peer's certificate is untrusted.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
ikev1_need
need openssl

left=192.0.2.1 right=192.0.2.2
netns_pair left right "$left/24" "$right/24"

# ---- a test PKI ----
pki=$VM_STATE/pki
mkdir -p "$pki"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.pem" -days 30 \
	-subj "/O=l2sec vm/CN=l2sec vm CA" 2> /dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/other.key" -out "$pki/other.pem" -days 30 \
	-subj "/O=other/CN=other CA" 2> /dev/null
for n in charon ikd; do
	openssl req -newkey rsa:2048 -nodes -keyout "$pki/$n.key" -out "$pki/$n.csr" \
		-subj "/O=l2sec vm/CN=$n.example.org" 2> /dev/null
	echo "subjectAltName=DNS:$n.example.org" > "$pki/$n.ext"
	openssl x509 -req -in "$pki/$n.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
		-out "$pki/$n.pem" -days 30 -extfile "$pki/$n.ext" 2> /dev/null
done

# ---- charon with its certificate ----
mkdir -p "$VM_STATE/left/x509" "$VM_STATE/left/x509ca" "$VM_STATE/left/private"
cp "$pki/charon.pem" "$VM_STATE/left/x509/"
cp "$pki/ca.pem" "$VM_STATE/left/x509ca/"
cp "$pki/charon.key" "$VM_STATE/left/private/"
mkdir -p "$VM_STATE/charon-left"
cat > "$VM_STATE/left/strongswan.conf" <<SS
charon {
	load = random nonce aes sha1 sha2 hmac gmp kdf pem pkcs1 pkcs8 x509 pubkey constraints kernel-netlink socket-default vici
	install_routes = no
	filelog {
		main {
			path = $VM_STATE/charon-left/charon.log
			time_format = %T
			default = 1
			ike = 2
			cfg = 2
		}
	}
}
SS
cat > "$VM_STATE/left/swanctl.conf" <<SWAN
connections {
	l2tp {
		version = 1
		local_addrs = $left
		remote_addrs = $right
		proposals = aes256-sha256-modp2048
		local {
			auth = pubkey
			certs = charon.pem
			id = charon.example.org
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
				esp_proposals = aes256-sha256
			}
		}
	}
}
SWAN

# ---- ikd with its certificate ----
ikd_cert_conf() {
	mkdir -p "$VM_STATE/ikd-right"
	cat > "$VM_STATE/ikd-right/ikd.conf" <<CONF
ikd: { log_level = "debug"; socket = "$VM_STATE/ikd-right/ikd.sock"; };
connections = ( {
	name = "l2tp"; remote = "%any"; auth = "rsa"; mode = "transport";
	cert = "$pki/ikd.pem"; key = "$pki/ikd.key"; ca = "$pki/$1";
	local_id = "@ikd.example.org";
	local_protoport = "udp/1701"; remote_protoport = "udp/%any";
	ike = "modern"; esp = "modern";
} );
CONF
	: > "$VM_STATE/ikd-right/secrets.conf"
	chmod 600 "$VM_STATE/ikd-right/secrets.conf"
}
ikd_cert_conf ca.pem
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

# ---- ikd trusts another CA only ----
charon_swanctl left --terminate --ike l2tp --timeout 30 > /dev/null 2>&1 || true
kill "$IKD_PID"; wait "$IKD_PID" 2> /dev/null || true
mv "$VM_STATE/ikd-right.log" "$VM_STATE/ikd-right-1.log"
ikd_cert_conf other.pem
ikd_start right
charon_swanctl left --initiate --child l2tp --timeout 20 > "$VM_STATE/initiate2.log" 2>&1 &&
	fail "charon established an SA although ikd does not trust its CA"
wait_for 30 "ikd's untrusted-certificate report" grep -q 'kind=cert_problem.*untrusted' "$VM_STATE/ikd-right.log"
log "untrusted: $(grep -m1 'kind=cert_problem' "$VM_STATE/ikd-right.log" | sed 's/.*reason=//')"
log "PASS: RSA signature authentication with X.509 certificates against charon, untrusted CA reported"
