#!/bin/bash
# smoke-strongswan: the VM, the kernel's ESP data path and tests/vm/lib.sh work together.
# Two strongSwan charons in two namespaces negotiate IKEv1 (PSK, Main Mode + Quick Mode) a
# transport-mode CHILD SA for UDP/1701 (what L2TP/IPsec uses); a datagram sent each way must
# arrive AND be counted by the ESP states on both sides, so cleartext delivery fails the test.
. "$L2SEC_SRC/tests/vm/lib.sh"
need swanctl socat
[ -x /usr/lib/ipsec/charon ] || fail "strongSwan's charon is not installed (strongswan-charon)"

left=192.0.2.1 right=192.0.2.2
netns_pair left right "$left/24" "$right/24"

# swanctl_conf LOCAL REMOTE: one IKEv1 PSK connection protecting UDP/1701 in transport mode.
swanctl_conf() {
	cat <<-EOF
		connections {
			l2tp {
				version = 1
				aggressive = no
				local_addrs = $1
				remote_addrs = $2
				proposals = aes128-sha256-modp2048
				local {
					auth = psk
					id = $1
				}
				remote {
					auth = psk
					id = $2
				}
				children {
					l2tp {
						mode = transport
						local_ts = dynamic[udp/1701]
						remote_ts = dynamic[udp/1701]
						esp_proposals = aes128gcm16
					}
				}
			}
		}
		secrets {
			ike-l2tp {
				id-1 = $1
				id-2 = $2
				secret = "smoke-test-psk-0123456789"
			}
		}
	EOF
}
mkdir -p "$VM_STATE/left" "$VM_STATE/right"
swanctl_conf "$left" "$right" > "$VM_STATE/left/swanctl.conf"
swanctl_conf "$right" "$left" > "$VM_STATE/right/swanctl.conf"
start_charon left "$VM_STATE/left" right "$VM_STATE/right"

# child_installed NS: the CHILD SA is INSTALLED in NS's charon and its ESP states in the kernel.
child_installed() {
	charon_swanctl "$1" --list-sas | grep -q 'l2tp: #[0-9]*, reqid [0-9]*, INSTALLED, TRANSPORT' &&
		[ "$(ip -n "$1" xfrm state list proto esp | grep -c '^src')" = 2 ]
}

charon_swanctl left --initiate --child l2tp --timeout 120 > "$VM_STATE/initiate.log" 2>&1 ||
	{ cat "$VM_STATE/initiate.log" >&2; fail "swanctl --initiate failed"; }
wait_for 60 "the CHILD SA installed on the initiator" child_installed left
wait_for 60 "the CHILD SA installed on the responder" child_installed right
log "IKEv1 Main Mode + Quick Mode done: CHILD SA installed on both sides"

# The SA left->right is the same on both sides (same SPI), as is right->left.
spi_lr=$(xfrm_spi left "$left" "$right")
spi_rl=$(xfrm_spi left "$right" "$left")
[ -n "$spi_lr" ] && [ -n "$spi_rl" ] || fail "ESP states not found in left"
[ "$(xfrm_spi right "$left" "$right")" = "$spi_lr" ] || fail "left->right SPI differs between the sides"
[ "$(xfrm_spi right "$right" "$left")" = "$spi_rl" ] || fail "right->left SPI differs between the sides"
for ns in left right; do
	for spi in "$spi_lr" "$spi_rl"; do
		xfrm_state_counter "$ns" "$spi" > /dev/null
		[ "$XFRM_PACKETS" = 0 ] || fail "SA $spi in $ns counted $XFRM_PACKETS packets before any traffic"
	done
done
log "SPIs: left->right $spi_lr, right->left $spi_rl"

# A listener on UDP/1701 on each side records what arrives; each side sends from UDP/1701,
# the port the transport-mode policy selects.
for ns in left right; do
	start_bg "udp1701-$ns" "$ns" socat -u UDP4-RECV:1701,reuseaddr OPEN:"$VM_STATE/received-$ns",creat,append
done
udp_listening() { ip netns exec "$1" ss -Hlun 'sport = :1701' | grep -q 1701; }
wait_for 30 "the UDP/1701 listener in left" udp_listening left
wait_for 30 "the UDP/1701 listener in right" udp_listening right

count=5
# send_datagrams NS FROM TO: $count datagrams "smoke FROM->TO N" from FROM:1701 to TO:1701.
send_datagrams() {
	ip netns exec "$1" bash -c 'for i in $(seq "$1"); do
		echo "smoke $2->$3 $i" | socat -u - UDP4-SENDTO:"$3":1701,bind="$2":1701,reuseaddr
	done' sh "$count" "$2" "$3"
}
all_arrived() { [ "$(grep -c "^smoke $2->$3 " "$VM_STATE/received-$1" 2>/dev/null)" = "$count" ]; }
send_datagrams left "$left" "$right"
wait_for 30 "$count datagrams left->right to arrive in right" all_arrived right "$left" "$right"
send_datagrams right "$right" "$left"
wait_for 30 "$count datagrams right->left to arrive in left" all_arrived left "$right" "$left"
log "datagrams arrived both ways"

# Every datagram must have gone through the ESP SA of its direction, on both sides.
for ns in left right; do
	for spi in "$spi_lr" "$spi_rl"; do
		xfrm_state_counter "$ns" "$spi" > /dev/null
		log "$ns: SA $spi: $XFRM_PACKETS packets, $XFRM_BYTES bytes"
		[ "$XFRM_PACKETS" = "$count" ] ||
			fail "SA $spi in $ns counted $XFRM_PACKETS packets, expected $count"
	done
done
log "PASS: ESP carried UDP/1701 both ways, counted on both sides"
