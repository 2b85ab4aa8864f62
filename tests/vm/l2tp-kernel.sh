#!/bin/bash
# l2tp-kernel: l2tpd's kernel data path API (l2tpd/kernel_*.c, rtnl.c, udp_sock.c) against
# the real kernel, through tests/tools/l2tpkctl. Two namespaces joined by a veth pair; on
# each side one L2TPv2 tunnel with fixed ids on a connected UDP socket handed over with
# L2TP_ATTR_FD, one session, a PPPoL2TP socket, a PPP channel and unit. No PPP control
# protocol runs: frames are written by hand.
#   1. the probe reports what is missing (and stops reporting it once loaded) and states
#      what the kernel version can do;
#   2. ip l2tp shows tunnel and session as created; LCP-shaped frames cross channel to
#      channel, NCP-shaped ones channel to channel before a unit exists and unit to unit
#      after; with addresses, MTU/MRU and NPMODE_PASS a ping crosses; counters count it;
#   3. an orderly teardown leaves no tunnel, session or ppp interface;
#   4. a crash (kill -9) leaves none either (the kernel ties them to the descriptors);
#   5. the start-up sweep deletes our objects still held by a live process, and spares an
#      L2TPv3 tunnel on another port and a non-ppp interface with our prefix;
#   6. two tunnels whose sockets share one address/port quadruple (what many clients behind
#      one NAT look like after IPsec transport-mode decapsulation): on Linux >= 6.11 both
#      carry pings; on older kernels not both do, as the probe's statement says;
#   7. a tunnel over IPv6 (the in6 PPPoL2TP address) carrying IPv4 and IPv6 in PPP.
. "$L2SEC_SRC/tests/vm/lib.sh"

CTL=$L2SEC_BUILD/tests/tools/l2tpkctl
[ -x "$CTL" ] || fail "$CTL not built (cmake --build \$L2SEC_BUILD --target l2tpkctl)"
need ip modprobe
# iputils ping where installed (scripts/setup), busybox's otherwise: same options used here.
if command -v ping > /dev/null; then PING=(ping); else need busybox; PING=(busybox ping); fi

# ---- l2tpkctl session drivers -----------------------------------------------------------
declare -A ctl_fd=() ctl_pid=()
ctl_seq=0

# ctl_start SIDE NS ARGS...: l2tpkctl session in NS, commands through a fifo; waits for ready.
ctl_start() {
	local side=$1 ns=$2 fifo=$VM_STATE/$1.in fd
	shift 2
	rm -f "$fifo"
	mkfifo "$fifo"
	start_bg "$side" "$ns" bash -c 'exec "$0" session "$@" < "'"$fifo"'"' "$CTL" "$@"
	ctl_pid[$side]=$BG_PID
	exec {fd}> "$fifo"
	ctl_fd[$side]=$fd
	wait_for 10 "$side ready" grep -qE '^0 (ok|err)' "$VM_STATE/$side.log"
	grep -q '^0 ok' "$VM_STATE/$side.log" || fail "$side: set-up failed: $(grep '^0 ' "$VM_STATE/$side.log")"
}

# ctl SIDE CMD...: one command; its answer ("N ok ...") is left in REPLY; fails on "err".
ctl() {
	local side=$1
	shift
	ctl_seq=$((ctl_seq + 1))
	echo "$ctl_seq $*" >&"${ctl_fd[$side]}"
	wait_for 10 "$side's answer to '$*'" grep -qE "^$ctl_seq (ok|err)" "$VM_STATE/$side.log"
	REPLY=$(grep -E "^$ctl_seq " "$VM_STATE/$side.log" | tail -1)
	[[ $REPLY == "$ctl_seq ok"* ]] || fail "$side: '$*' answered '$REPLY'"
	REPLY=${REPLY#"$ctl_seq ok"}
	REPLY=${REPLY# }
}

# ctl_stop SIDE: "down", then wait for the process to exit.
ctl_stop() {
	local side=$1 pid=${ctl_pid[$1]}
	ctl "$side" down
	exec {ctl_fd[$side]}>&-
	wait_for 10 "$side to exit" bash -c "! kill -0 $pid 2>/dev/null"
}

# frame_crosses FROM FROMFD TO TOFD HEX: HEX written on one side's fd is read on the other's.
frame_crosses() {
	ctl "$1" send "$2" "$5"
	ctl "$3" recv "$4" 3000
	[ "$REPLY" = "$5" ] || fail "frame $5 sent on $1's $2 fd arrived on $3's $4 fd as '$REPLY'"
}

stat_of() { # KEY: value of KEY=N in REPLY
	sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<< "$REPLY"
}

no_l2tp_left() { # NS: no tunnel, session or ppp interface in NS
	[ -z "$(ip netns exec "$1" ip l2tp show tunnel)" ] &&
		[ -z "$(ip netns exec "$1" ip l2tp show session)" ] &&
		[ -z "$(ip -n "$1" link show type ppp)" ]
}

side_args_a=(--local 192.0.2.1 --peer 192.0.2.2 --tid 101 --ptid 202 --sid 11 --psid 22)
side_args_b=(--local 192.0.2.2 --peer 192.0.2.1 --tid 202 --ptid 101 --sid 22 --psid 11 --ioctl-unit)

both_up() {
	ctl_start a l2a "${side_args_a[@]}"
	ctl_start b l2b "${side_args_b[@]}"
	ctl a unit
	ctl b unit
	ctl a up 198.51.100.1 198.51.100.2 1400 1400
	ctl b up 198.51.100.2 198.51.100.1 1400 1400
}

# ---- 1. probe ---------------------------------------------------------------------------
if ! "$CTL" probe > "$VM_STATE/probe1"; then
	log "probe before modprobe: $(head -1 "$VM_STATE/probe1")"
	# Without udev nothing creates /dev/ppp before ppp_generic is loaded.
	if grep -q '/dev/ppp' "$VM_STATE/probe1"; then
		grep -q 'modprobe ppp_generic' "$VM_STATE/probe1" || fail "the /dev/ppp message names no module"
	fi
	modprobe ppp_generic
fi
"$CTL" probe > "$VM_STATE/probe2" || fail "probe still reports: $(cat "$VM_STATE/probe2")"
grep -q '^missing: nothing$' "$VM_STATE/probe2" || fail "probe: $(cat "$VM_STATE/probe2")"
IFS=. read -r kmaj kmin _ <<< "$(uname -r)"
if [ "$kmaj" -gt 6 ] || { [ "$kmaj" -eq 6 ] && [ "$kmin" -ge 11 ]; }; then
	grep -q "^version: Linux $kmaj.$kmin: .*including several clients behind one NAT" "$VM_STATE/probe2" ||
		fail "version statement on $(uname -r): $(grep version "$VM_STATE/probe2")"
else
	grep -q "^version: Linux $kmaj.$kmin: .*one tunnel per peer address and port only" "$VM_STATE/probe2" ||
		fail "version statement on $(uname -r): $(grep version "$VM_STATE/probe2")"
fi
log "probe: $(grep version "$VM_STATE/probe2")"

# ---- 2. data path -------------------------------------------------------------------------
netns_pair l2a l2b 192.0.2.1/24 192.0.2.2/24
ctl_start a l2a "${side_args_a[@]}"
ctl_start b l2b "${side_args_b[@]}"
log "tunnels and sessions created on both sides"

tun=$(ip netns exec l2a ip l2tp show tunnel)
grep -q 'Tunnel 101, encap UDP' <<< "$tun" || fail "ip l2tp show tunnel: $tun"
grep -q 'From 192.0.2.1 to 192.0.2.2' <<< "$tun" || fail "ip l2tp show tunnel: $tun"
grep -q 'Peer tunnel 202' <<< "$tun" || fail "ip l2tp show tunnel: $tun"
grep -q 'UDP source / dest ports: 1701/1701' <<< "$tun" || fail "ip l2tp show tunnel: $tun"
ses=$(ip netns exec l2b ip l2tp show session)
grep -q 'Session 22 in tunnel 202' <<< "$ses" || fail "ip l2tp show session: $ses"
grep -q 'Peer session 11, tunnel 101' <<< "$ses" || fail "ip l2tp show session: $ses"
show=$(ip netns exec l2a "$CTL" show)
grep -q '^tunnel 101 peer 202 version 2 encap 0 ports 1701/1701' <<< "$show" || fail "l2tpkctl show: $show"
grep -q '^session 11 in tunnel 101 peer 22/202 pw_type 7' <<< "$show" || fail "l2tpkctl show: $show"

log "ip l2tp and l2tpkctl show agree"
# Before any unit exists every frame is the channel's.
frame_crosses a chan b chan c02101010004            # LCP Configure-Request, id 1
frame_crosses b chan a chan c02101070004
frame_crosses a chan b chan 802101010004            # IPCP-shaped, no unit yet
ctl a unit
ctl b unit                                          # this side: PPPIOCNEWUNIT + rename
ctl a info
grep -q 'ifname=l2sec0 ' <<< "$REPLY" || fail "side a unit: $REPLY"
ctl b info
grep -q 'ifname=l2sec0 ' <<< "$REPLY" || fail "side b unit: $REPLY"
ip -n l2b -d link show l2sec0 | grep -qw ppp || fail "l2sec0 in l2b is not a ppp link"
# Connected: NCPs are the unit's, LCP stays on the channel.
frame_crosses a unit b unit 802101020004
frame_crosses b unit a unit 802102020004
frame_crosses a chan b chan c0210903000800000000    # LCP Echo-Request

log "frames crossed channel to channel and unit to unit"
ctl a up 198.51.100.1 198.51.100.2 1400 1400
ctl b up 198.51.100.2 198.51.100.1 1400 1400
ip -n l2a addr show dev l2sec0 | grep -q 'inet 198.51.100.1 peer 198.51.100.2/32' ||
	fail "address: $(ip -n l2a addr show dev l2sec0)"
ip -n l2a link show l2sec0 | grep -q 'mtu 1400' || fail "mtu: $(ip -n l2a link show l2sec0)"
ip -n l2a route get 198.51.100.2 | grep -q 'dev l2sec0' || fail "no route to the peer through l2sec0"
ip netns exec l2a "${PING[@]}" -c 3 -w 10 198.51.100.2 > "$VM_STATE/ping.log" ||
	fail "ping over the PPP units failed: $(tail -3 "$VM_STATE/ping.log")"
ip netns exec l2b "${PING[@]}" -c 2 -w 10 -s 1300 198.51.100.1 > "$VM_STATE/ping2.log" ||
	fail "1328-byte ping over the PPP units failed: $(tail -3 "$VM_STATE/ping2.log")"
ctl a stats
log "side a counters: $REPLY"
[ "$(stat_of if_tx_packets)" -ge 5 ] && [ "$(stat_of if_rx_packets)" -ge 5 ] ||
	fail "interface counters do not show 5 pings each way: $REPLY"
[ "$(stat_of if_rx_bytes)" -ge $((3 * 84 + 2 * 1328)) ] || fail "rx bytes too low: $REPLY"
[ "$(stat_of l2tp_tx_packets)" -ge 5 ] || fail "session counters: $REPLY"
log "ping crossed, counters match"

# ---- 3. orderly teardown -------------------------------------------------------------------
ctl_stop a
ctl_stop b
wait_for 5 "nothing left in l2a" no_l2tp_left l2a
wait_for 5 "nothing left in l2b" no_l2tp_left l2b
log "teardown left nothing"

# ---- 4. crash -------------------------------------------------------------------------------
both_up
ip netns exec l2a "${PING[@]}" -c 1 -w 5 198.51.100.2 > /dev/null || fail "ping after re-creation failed"
kill -9 "${ctl_pid[a]}"
wait_for 5 "the kernel to drop a crashed holder's objects" no_l2tp_left l2a
ctl_stop b
wait_for 5 "nothing left in l2b" no_l2tp_left l2b
log "crash left nothing"

# ---- 5. start-up sweep ---------------------------------------------------------------------
both_up
# Not ours: an L2TPv3 tunnel on another port, and a dummy link named like ours.
ip netns exec l2a ip l2tp add tunnel tunnel_id 500 peer_tunnel_id 600 encap udp \
	local 192.0.2.1 remote 192.0.2.2 udp_sport 5000 udp_dport 5000
ip -n l2a link add l2sec7 type dummy
sweep=$(ip netns exec l2a "$CTL" sweep 1701 l2sec) || fail "sweep failed: $sweep"
[ "$sweep" = "swept tunnels=1 links=1 err=0" ] || fail "sweep: $sweep"
kill -0 "${ctl_pid[a]}" || fail "the holder died: the sweep must work while descriptors are held"
wait_for 5 "the swept tunnel to go" bash -c "! ip netns exec l2a ip l2tp show tunnel | grep -q 'Tunnel 101,'"
[ -z "$(ip netns exec l2a ip l2tp show session)" ] || fail "a session survived the sweep"
[ -z "$(ip -n l2a link show type ppp)" ] || fail "a ppp link survived the sweep"
ip netns exec l2a ip l2tp show tunnel | grep -q 'Tunnel 500,' || fail "the sweep deleted a tunnel not ours"
ip -n l2a link show l2sec7 > /dev/null || fail "the sweep deleted a dummy link"
ip netns exec l2a ip l2tp del tunnel tunnel_id 500
ctl_stop a
ctl_stop b
wait_for 5 "nothing left in l2a" no_l2tp_left l2a
wait_for 5 "nothing left in l2b" no_l2tp_left l2b
log "sweep removed ours and spared the others"

# ---- 6. two tunnels on one address/port quadruple --------------------------------------------
both_up
ctl_start c l2a --local 192.0.2.1 --peer 192.0.2.2 --tid 103 --ptid 204 --sid 13 --psid 24
ctl_start d l2b --local 192.0.2.2 --peer 192.0.2.1 --tid 204 --ptid 103 --sid 24 --psid 13
ctl c unit
ctl d unit
ctl c up 203.0.113.1 203.0.113.2 1400 1400
ctl d up 203.0.113.2 203.0.113.1 1400 1400
ctl c info
grep -q 'ifname=l2sec1 ' <<< "$REPLY" || fail "second unit in l2a: $REPLY (l2sec0 is taken: must be l2sec1)"
pair1=ok pair2=ok
ip netns exec l2a "${PING[@]}" -c 2 -w 6 198.51.100.2 > /dev/null || pair1=lost
ip netns exec l2a "${PING[@]}" -c 2 -w 6 203.0.113.2 > /dev/null || pair2=lost
log "same quadruple on $(uname -r): tunnel 101 $pair1, tunnel 103 $pair2"
if [ "$kmaj" -gt 6 ] || { [ "$kmaj" -eq 6 ] && [ "$kmin" -ge 11 ]; }; then
	[ "$pair1$pair2" = okok ] || fail "Linux $kmaj.$kmin: tunnels sharing a quadruple must both work (101 $pair1, 103 $pair2)"
else
	[ "$pair1$pair2" != okok ] || fail "Linux $kmaj.$kmin carried both tunnels of one quadruple: the probe's statement is wrong"
fi
for side in a b c d; do ctl_stop "$side"; done
wait_for 5 "nothing left in l2a" no_l2tp_left l2a
wait_for 5 "nothing left in l2b" no_l2tp_left l2b

# ---- 7. L2TP over IPv6, IPv4 and IPv6 inside ---------------------------------------------------
ip -n l2a addr add 2001:db8::1/64 dev v-l2b nodad
ip -n l2b addr add 2001:db8::2/64 dev v-l2a nodad
ctl_start e l2a --local 2001:db8::1 --peer 2001:db8::2 --tid 105 --ptid 206 --sid 15 --psid 26
ctl_start f l2b --local 2001:db8::2 --peer 2001:db8::1 --tid 206 --ptid 105 --sid 26 --psid 15
tun=$(ip netns exec l2a ip l2tp show tunnel)
grep -q 'From 2001:db8::1 to 2001:db8::2' <<< "$tun" || fail "IPv6 tunnel: $tun"
frame_crosses e chan f chan c02101010004
ctl e unit
ctl f unit
ctl e up 203.0.113.5 203.0.113.6 1400 1400
ctl f up 203.0.113.6 203.0.113.5 1400 1400
ctl e up 2001:db8:1::1 2001:db8:1::2 1400 1400
ctl f up 2001:db8:1::2 2001:db8:1::1 1400 1400
ip -n l2a -6 addr show dev l2sec0 | grep -q 'inet6 2001:db8:1::1 peer 2001:db8:1::2/128' ||
	fail "IPv6 address: $(ip -n l2a -6 addr show dev l2sec0)"
ip netns exec l2a "${PING[@]}" -c 2 -w 6 203.0.113.6 > /dev/null || fail "IPv4 ping over the IPv6 tunnel failed"
ip netns exec l2a "${PING[@]}" -6 -c 2 -w 6 2001:db8:1::2 > /dev/null || fail "IPv6 ping over the IPv6 tunnel failed"
log "L2TP over IPv6 carried IPv4 and IPv6"
ctl_stop e
ctl_stop f
wait_for 5 "nothing left in l2a" no_l2tp_left l2a
wait_for 5 "nothing left in l2b" no_l2tp_left l2b
