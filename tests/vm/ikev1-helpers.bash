# tests/vm/ikev1-helpers.bash - shared by the tests/vm/ikev1-*.sh scenarios (sourced after
# lib.sh): strongSwan and ikd configurations for the L2TP/IPsec case, and the checks that
# traffic really went through ESP.

IKEV1_PSK="ikev1-interop-psk-0123456789"

# ikev1_need: the tools and binaries every ikev1 scenario uses.
ikev1_need() {
	need swanctl socat
	[ -x /usr/lib/ipsec/charon ] || fail "strongSwan's charon is not installed (strongswan-charon)"
	IKD=$L2SEC_BUILD/ikd/ikd
	[ -x "$IKD" ] || fail "ikd not built in $L2SEC_BUILD"
}

# charon_conf NS LOCAL REMOTE initiator|responder IKE_PROPOSALS ESP_PROPOSALS PSK [MODE]:
# swanctl.conf in $VM_STATE/NS for one IKEv1 PSK connection "l2tp" protecting UDP/1701 in
# transport mode (MODE tunnel: the two /32 hosts in tunnel mode instead).
charon_conf() {
	local ns=$1 local=$2 remote=$3 role=$4 ike=$5 esp=$6 psk=$7 mode=${8:-transport}
	local ts="dynamic[udp/1701]"
	[ "$mode" = tunnel ] && ts="dynamic"
	mkdir -p "$VM_STATE/$ns"
	cat > "$VM_STATE/$ns/swanctl.conf" <<SWAN
connections {
	l2tp {
		version = 1
		local_addrs = $local
		remote_addrs = $remote
		proposals = $ike
		dpd_delay = 5s
		encap = no
		local {
			auth = psk
			id = $local
		}
		remote {
			auth = psk
			id = %any
		}
		children {
			l2tp {
				mode = $mode
				local_ts = $ts
				remote_ts = $ts
				esp_proposals = $esp
				start_action = none
				dpd_action = clear
			}
		}
	}
}
secrets {
	ike-l2tp {
		secret = "$psk"
	}
}
SWAN
}

# ikd_conf NS REMOTE PSK EXTRA: ikd.conf + secrets.conf in $VM_STATE/ikd-NS, one connection
# "l2tp" (transport, UDP/1701 on our side); EXTRA is added inside the connection group;
# IKD_IKE / IKD_ESP override the proposals, IKD_REMOTE_PROTOPORT the peer's selector.
ikd_conf() {
	local ns=$1 remote=$2 psk=$3 extra=$4 dir=$VM_STATE/ikd-$1
	mkdir -p "$dir"
	cat > "$dir/ikd.conf" <<CONF
ikd: { log_level = "debug"; socket = "$dir/ikd.sock"; retransmit_ms = 500; retransmit_tries = 4; };
connections = ( {
	name = "l2tp"; remote = "$remote"; auth = "psk"; mode = "transport";
	local_protoport = "udp/1701"; remote_protoport = "${IKD_REMOTE_PROTOPORT:-udp/%any}";
	esp = "${IKD_ESP:-modern, legacy-clients}"; ike = "${IKD_IKE:-modern, legacy-clients}";
	$extra
} );
CONF
	cat > "$dir/secrets.conf" <<CONF
ike: { psk = ( { peer = "%any"; secret = "$psk"; } ); };
CONF
	chmod 600 "$dir/secrets.conf"
}

# ikd_start NS: start ikd in NS (log in $VM_STATE/ikd-NS.log), wait for UDP/500; IKD_PID.
ikd_start() {
	local dir=$VM_STATE/ikd-$1
	start_bg "ikd-$1" "$1" "$IKD" -d -f "$dir/ikd.conf" -S "$dir/secrets.conf"
	IKD_PID=$BG_PID
	wait_for 90 "ikd listening on UDP/500 in $1" _alive_and ikd "$IKD_PID" \
		sh -c "ip netns exec $1 ss -Hlun 'sport = :500' | grep -q 500"
}

# esp_states_are NS N: NS has exactly N ESP states.
esp_states_are() {
	[ "$(ip -n "$1" xfrm state list proto esp | grep -c '^src' || true)" = "$2" ]
}

# check_same_spis NS_A NS_B ADDR_A ADDR_B [ADDR_A_AS_SEEN_BY_B]: both directions' SPIs
# agree between the sides (with a NAT between them, B sees A as ADDR_A_AS_SEEN_BY_B).
check_same_spis() {
	local ab ba seen=${5:-$3}
	ab=$(xfrm_spi "$1" "$3" "$4")
	ba=$(xfrm_spi "$1" "$4" "$3")
	[ -n "$ab" ] && [ -n "$ba" ] || fail "ESP states not found in $1"
	[ "$(xfrm_spi "$2" "$seen" "$4")" = "$ab" ] || fail "$3->$4 SPI differs between $1 and $2"
	[ "$(xfrm_spi "$2" "$4" "$seen")" = "$ba" ] || fail "$4->$3 SPI differs between $1 and $2"
	SPI_AB=$ab SPI_BA=$ba
}

# udp1701_traffic NS_A NS_B ADDR_A ADDR_B COUNT [ADDR_A_AS_SEEN_BY_B]: COUNT datagrams each
# way between the UDP/1701 ports must arrive and be counted by the ESP states on both sides
# (cleartext delivery fails). Uses SPI_AB/SPI_BA from check_same_spis.
udp1701_traffic() {
	local a=$1 b=$2 aa=$3 ab=$4 count=$5 seen=${6:-$3} ns spi i
	for ns in "$a" "$b"; do
		rm -f "$VM_STATE/received-$ns"
		start_bg "udp1701-$ns" "$ns" socat -u UDP4-RECV:1701,reuseaddr OPEN:"$VM_STATE/received-$ns",creat,append
	done
	wait_for 30 "the UDP/1701 listener in $a" sh -c "ip netns exec $a ss -Hlun 'sport = :1701' | grep -q 1701"
	wait_for 30 "the UDP/1701 listener in $b" sh -c "ip netns exec $b ss -Hlun 'sport = :1701' | grep -q 1701"
	local -A before
	for ns in "$a" "$b"; do
		for spi in "$SPI_AB" "$SPI_BA"; do
			xfrm_state_counter "$ns" "$spi" > /dev/null
			before[$ns$spi]=$XFRM_PACKETS
		done
	done
	for i in $(seq "$count"); do
		echo "ikev1 $a->$b $i" | ip netns exec "$a" socat -u - UDP4-SENDTO:"$ab":1701,bind="$aa":1701,reuseaddr
		echo "ikev1 $b->$a $i" | ip netns exec "$b" socat -u - UDP4-SENDTO:"$seen":1701,bind="$ab":1701,reuseaddr
	done
	wait_for 30 "$count datagrams $a->$b" sh -c "[ \$(grep -c '^ikev1 $a->$b ' $VM_STATE/received-$b) = $count ]"
	wait_for 30 "$count datagrams $b->$a" sh -c "[ \$(grep -c '^ikev1 $b->$a ' $VM_STATE/received-$a) = $count ]"
	for ns in "$a" "$b"; do
		for spi in "$SPI_AB" "$SPI_BA"; do
			xfrm_state_counter "$ns" "$spi" > /dev/null
			log "$ns: SA $spi: $XFRM_PACKETS packets"
			[ $((XFRM_PACKETS - ${before[$ns$spi]})) -ge "$count" ] ||
				fail "SA $spi in $ns counted $((XFRM_PACKETS - ${before[$ns$spi]})) new packets, expected >= $count"
		done
	done
}

# charon_lifetimes NS IKE_REKEY CHILD_REKEY CHILD_LIFE: short lifetimes in NS's swanctl.conf
# (seconds), to make charon rekey during a scenario.
charon_lifetimes() {
	sed -i "s|^\t\tdpd_delay = 5s|\t\tdpd_delay = 5s\n\t\trekey_time = $2s\n\t\tover_time = 10s|; s|^\t\t\t\tstart_action = none|\t\t\t\tstart_action = none\n\t\t\t\trekey_time = $3s\n\t\t\t\tlife_time = $4s|" "$VM_STATE/$1/swanctl.conf"
}

# udp_stream_start NS FROM TO RATE_PER_S SECONDS: numbered datagrams FROM:1701 -> TO:1701
# in the background (one socat, one datagram per line, RATE lines per second); the count
# sent is in $VM_STATE/stream-sent once the stream ends.
udp_stream_start() {
	local ns=$1 from=$2 to=$3 rate=$4 secs=$5
	start_bg udpstream "$ns" bash -c "
		n=$((rate * secs))
		for i in \$(seq \$n); do echo \"seq \$i\"; echo \$i > $VM_STATE/stream-progress
			sleep $(awk "BEGIN { print 1 / $rate }"); done |
			socat -u - UDP4-SENDTO:$to:1701,bind=$from:1701,reuseaddr
		echo \$n > $VM_STATE/stream-sent"
	STREAM_PID=$BG_PID
}

# ---- certificates (ikev1-cert, e2e-certs) ----

# cert_pki DIR NAME...: a test CA (DIR/ca.pem, ca.key) and, for each NAME, a key and a
# certificate for NAME.example.org (also its DNS subjectAltName) issued by it (DIR/NAME.key,
# DIR/NAME.pem). CERT_PKI_OTHER_CA=1 also makes an unrelated CA, DIR/other.pem.
cert_pki() {
	local pki=$1 n
	shift
	mkdir -p "$pki"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.pem" -days 30 \
		-subj "/O=l2sec vm/CN=l2sec vm CA" 2> /dev/null
	[ -z "${CERT_PKI_OTHER_CA:-}" ] ||
		openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/other.key" -out "$pki/other.pem" \
			-days 30 -subj "/O=other/CN=other CA" 2> /dev/null
	for n in "$@"; do
		openssl req -newkey rsa:2048 -nodes -keyout "$pki/$n.key" -out "$pki/$n.csr" \
			-subj "/O=l2sec vm/CN=$n.example.org" 2> /dev/null
		echo "subjectAltName=DNS:$n.example.org" > "$pki/$n.ext"
		openssl x509 -req -in "$pki/$n.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
			-out "$pki/$n.pem" -days 30 -extfile "$pki/$n.ext" 2> /dev/null
	done
}

# charon_cert_conf NS LOCAL REMOTE NAME PEER IKE ESP PKI: charon in NS (start_charon NS
# $VM_STATE/NS) authenticates with PKI/NAME.pem as NAME.example.org and wants PEER.example.org
# signed by PKI/ca.pem; IKEv1 transport mode for UDP/1701, DPD every 5 s (dpd_action clear).
# CHARON_FRAGMENT_SIZE=N: IKE fragments of at most N-byte datagrams, fragmentation = yes.
charon_cert_conf() {
	local ns=$1 local=$2 remote=$3 name=$4 peer=$5 ike=$6 esp=$7 pki=$8 c=$VM_STATE/$1
	local frag_size="" frag=""
	if [ -n "${CHARON_FRAGMENT_SIZE:-}" ]; then
		frag_size="fragment_size = $CHARON_FRAGMENT_SIZE" frag="fragmentation = yes"
	fi
	mkdir -p "$c/x509" "$c/x509ca" "$c/private" "$VM_STATE/charon-$ns"
	cp "$pki/$name.pem" "$c/x509/"
	cp "$pki/ca.pem" "$c/x509ca/"
	cp "$pki/$name.key" "$c/private/"
	cat > "$c/strongswan.conf" <<SS
charon {
	load = random nonce aes sha1 sha2 hmac gmp kdf pem pkcs1 pkcs8 x509 pubkey constraints kernel-netlink socket-default vici
	install_routes = no
	$frag_size
	filelog {
		main {
			path = $VM_STATE/charon-$ns/charon.log
			time_format = %T
			flush_line = yes
			default = 1
			ike = 2
			cfg = 2
		}
	}
}
SS
	cat > "$c/swanctl.conf" <<SWAN
connections {
	l2tp {
		version = 1
		local_addrs = $local
		remote_addrs = $remote
		proposals = $ike
		dpd_delay = 5s
		$frag
		local {
			auth = pubkey
			certs = $name.pem
			id = $name.example.org
		}
		remote {
			auth = pubkey
			id = $peer.example.org
		}
		children {
			l2tp {
				mode = transport
				local_ts = dynamic[udp/1701]
				remote_ts = dynamic[udp/1701]
				esp_proposals = $esp
				dpd_action = clear
			}
		}
	}
}
SWAN
}

# ikd_cert_conf NS PKI CA IKE_ESP: $VM_STATE/ikd-NS/ikd.conf (and an empty secrets.conf) for
# ikd in NS as ikd.example.org with PKI/ikd.pem, trusting PKI/CA; IKE_ESP is both proposal
# lists ("modern", "modern, legacy-clients").
ikd_cert_conf() {
	local dir=$VM_STATE/ikd-$1 pki=$2
	mkdir -p "$dir"
	cat > "$dir/ikd.conf" <<CONF
ikd: { log_level = "debug"; socket = "$dir/ikd.sock"; retransmit_ms = 500; retransmit_tries = 4; };
connections = ( {
	name = "l2tp"; remote = "%any"; auth = "rsa"; mode = "transport";
	cert = "$pki/ikd.pem"; key = "$pki/ikd.key"; ca = "$pki/$3";
	local_id = "@ikd.example.org";
	local_protoport = "udp/1701"; remote_protoport = "udp/%any";
	ike = "$4"; esp = "$4";
} );
CONF
	: > "$dir/secrets.conf"
	chmod 600 "$dir/secrets.conf"
}
