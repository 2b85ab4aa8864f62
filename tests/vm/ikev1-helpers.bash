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
