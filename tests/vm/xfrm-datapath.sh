#!/bin/bash
# xfrm-datapath: SA pairs and policies installed by the xfrm/ library (through
# tests/tools/xfrmctl) on both ends of a veth pair carry real traffic, for every algorithm
# family of the table (AES-GCM, ChaCha20-Poly1305, AES-CBC+HMAC-SHA2, 3DES+HMAC-SHA1) in
# transport and tunnel mode, with and without UDP encapsulation on port 4500, and for the
# other key/ICV/HMAC variants of the table in transport mode; then IPv6 (AES-GCM, both modes,
# with and without encapsulation). Each case must: pass a ping in both directions, have the packets counted by
# the ESP states on both sides (so cleartext delivery fails), show in `ip xfrm state` the
# algorithm, key bytes, ICV/truncation length, mode, tagged reqid and encapsulation that
# were installed, and be removed by the library's scoped flush.
. "$L2SEC_SRC/tests/vm/lib.sh"
need ping
X=$L2SEC_BUILD/tests/tools/xfrmctl
[ -x "$X" ] || fail "$X not built (cmake --build \$L2SEC_BUILD --target xfrmctl)"
modprobe -a esp4 xfrm_user 2>/dev/null || true

netns_pair left right 192.0.2.1/24 192.0.2.2/24
# Tunnel-mode inner addresses: one host on each side.
ip -n left addr add 198.51.100.1/32 dev lo
ip -n right addr add 203.0.113.1/32 dev lo
ip -n left route add 203.0.113.1/32 via 192.0.2.2 src 198.51.100.1
ip -n right route add 198.51.100.1/32 via 192.0.2.1 src 203.0.113.1
ip -n left addr add 2001:db8::1/64 dev v-right nodad
ip -n right addr add 2001:db8::2/64 dev v-left nodad
ip -n left addr add 2001:db8:1::1/128 dev lo
ip -n right addr add 2001:db8:2::1/128 dev lo
# Permanent neighbours: IPv6 neighbour discovery between the hosts would itself match the
# host-to-host transport policies (strongSwan adds ICMPv6 ND bypass policies for that).
mac() { ip -n "$1" link show "$2" | awk '/link\/ether/ { print $2 }'; }
ip -n left neigh replace 2001:db8::2 lladdr "$(mac right v-left)" dev v-right nud permanent
ip -n right neigh replace 2001:db8::1 lladdr "$(mac left v-right)" dev v-left nud permanent
ip -n left route add 2001:db8:2::1/128 via 2001:db8::2 src 2001:db8:1::1
ip -n right route add 2001:db8:1::1/128 via 2001:db8::1 src 2001:db8:2::1
# NAT-T needs a UDP_ENCAP socket on 4500 at the receiver, as ikd holds one.
start_bg natt-left left "$X" natt-listen 4500
start_bg natt-right right "$X" natt-listen 4500
start_bg natt6-left left "$X" natt-listen 4500 v6
start_bg natt6-right right "$X" natt-listen 4500 v6
for f in natt-left natt-right natt6-left natt6-right; do
	wait_for 10 "the $f socket" grep -q listening "$VM_STATE/$f.log"
done

# alg -> "kernel-name key-bytes icv-or-trunc-bits kind" (kind: aead, or enc+auth name/key)
declare -A kname=(
	[gcm8-128]="rfc4106(gcm(aes)) 20 64 aead"
	[gcm12-192]="rfc4106(gcm(aes)) 28 96 aead"
	[gcm16-128]="rfc4106(gcm(aes)) 20 128 aead"
	[gcm16-256]="rfc4106(gcm(aes)) 36 128 aead"
	[chacha]="rfc7539esp(chacha20,poly1305) 36 128 aead"
	[cbc128-sha1]="cbc(aes) 16 96 hmac(sha1)"
	[cbc256-sha256]="cbc(aes) 32 128 hmac(sha256)"
	[cbc192-sha384]="cbc(aes) 24 192 hmac(sha384)"
	[cbc256-sha512]="cbc(aes) 32 256 hmac(sha512)"
	[3des-sha1]="cbc(des3_ede) 24 96 hmac(sha1)"
)

# derived_key SPI LEN [SALT]: the key bytes xfrmctl derives for SPI (keyseed 1), in hex.
derived_key() {
	local spi=$1 len=$2 salt=${3:-0} i out=
	for ((i = 0; i < len; i++)); do
		out+=$(printf '%02x' $(((spi * 31 + 131 + i * 7 + salt) & 255)))
	done
	echo "$out"
}

# check_state NS SRC DST SPI ALG MODE REQID ENCAP: `ip xfrm state` shows what was installed.
check_state() {
	local ns=$1 src=$2 dst=$3 spi=$4 alg=$5 mode=$6 reqid=$7 encap=$8 out name klen icv kind
	read -r name klen icv kind <<< "${kname[$alg]}"
	out=$(ip -n "$ns" xfrm state get src "$src" dst "$dst" proto esp spi "$spi") ||
		fail "$ns: no state spi $spi"
	local want=("mode $mode" "reqid $((0x6c200000 + reqid))" "replay-window 32")
	if [ "$kind" = aead ]; then
		want+=("aead $name 0x$(derived_key $((spi)) "$klen") $icv")
	else
		local ilen
		case $kind in *sha1*) ilen=20 ;; *sha256*) ilen=32 ;; *sha384*) ilen=48 ;; *) ilen=64 ;; esac
		want+=("enc $name 0x$(derived_key $((spi)) "$klen")")
		want+=("auth-trunc $kind 0x$(derived_key $((spi)) $ilen 85) $icv")
	fi
	[ "$encap" = yes ] && want+=("encap type espinudp sport 4500 dport 4500")
	local w
	for w in "${want[@]}"; do
		grep -qF -- "$w" <<< "$out" || { echo "$out" >&2; fail "$ns spi $spi: '$w' not in ip xfrm state"; }
	done
}

# xfrmctl_script NS: run the commands on stdin with one xfrmctl process (one per line).
xfrmctl_script() {
	ip netns exec "$1" "$X" -
}

# one_case ALG MODE ENCAP K: outer addresses L, R; tunnel inner LI, RI (set by use_ipv4/6)
one_case() {
	local alg=$1 mode=$2 encap=$3 k=$4 a b tun_lr=() tun_rl=() enc=()
	local spi_lr=$((0x1000 + k)) spi_rl=$((0x2000 + k))
	if [ "$mode" = tunnel ]; then
		a=$LI b=$RI
		tun_lr=(tsrc=$L tdst=$R) tun_rl=(tsrc=$R tdst=$L)
	else
		a=$L b=$R
	fi
	[ "$encap" = yes ] && enc=(encap=4500:4500)
	local ns sa_opts="mode=$mode reqid=$k replay=32 ${enc[*]}"
	xfrmctl_script left <<-EOF || fail "$alg/$mode/encap=$encap: installing in left"
		add-sa $L $R $spi_lr $alg $sa_opts
		add-sa $R $L $spi_rl $alg $sa_opts
		add-policy out $a $b mode=$mode reqid=$k ${tun_lr[*]}
		add-policy in $b $a mode=$mode reqid=$k ${tun_rl[*]}
	EOF
	xfrmctl_script right <<-EOF || fail "$alg/$mode/encap=$encap: installing in right"
		add-sa $L $R $spi_lr $alg $sa_opts
		add-sa $R $L $spi_rl $alg $sa_opts
		add-policy out $b $a mode=$mode reqid=$k ${tun_rl[*]}
		add-policy in $a $b mode=$mode reqid=$k ${tun_lr[*]}
	EOF

	ip netns exec left ping -q -c 2 -i 0.2 -W 3 -I $a $b > /dev/null ||
		fail "$alg/$mode/encap=$encap: ping $a -> $b through ESP failed"
	check_state right $L $R $spi_lr "$alg" $mode $k $encap
	check_state left $R $L $spi_rl "$alg" $mode $k $encap
	# Counters read back through the library, then the scoped flush, in one process each.
	local out_r out_l got_r got_l out
	out_r=$(printf "get-sa $R %s\nflush\n" $spi_lr | xfrmctl_script right)
	out_l=$(printf "get-sa $L %s\nflush\n" $spi_rl | xfrmctl_script left)
	got_r=$(sed -n 's/.*packets=\([0-9]*\).*/\1/p' <<< "$out_r")
	got_l=$(sed -n 's/.*packets=\([0-9]*\).*/\1/p' <<< "$out_l")
	[ "${got_r:-0}" -ge 2 ] && [ "${got_l:-0}" -ge 2 ] ||
		fail "$alg/$mode/encap=$encap: ESP counters right=$got_r left=$got_l, want >= 2 each"
	for out in "$out_r" "$out_l"; do
		grep -q "^flushed sas=2 policies=2$" <<< "$out" || fail "$alg/$mode/$encap: flush said '$out'"
	done
	for ns in left right; do
		# (the natt-listen socket's own bypass policies show as "socket in/out")
		[ -z "$(ip -n $ns xfrm state)$(ip -n $ns xfrm policy | grep $'^\tdir ')" ] ||
			fail "$alg/$mode/encap=$encap: state or policy left in $ns after the flush"
	done
	log "ok $alg $mode encap=$encap ipv$V (esp packets in: right=$got_r left=$got_l)"
}

use_ipv4() { V=4 L=192.0.2.1 R=192.0.2.2 LI=198.51.100.1 RI=203.0.113.1; }
use_ipv6() { V=6 L=2001:db8::1 R=2001:db8::2 LI=2001:db8:1::1 RI=2001:db8:2::1; }

use_ipv4
k=1
for alg in gcm16-256 chacha cbc256-sha256 3des-sha1; do
	for mode in transport tunnel; do
		for encap in no yes; do
			one_case "$alg" "$mode" "$encap" "$k"
			k=$((k + 1))
		done
	done
done
for alg in gcm8-128 gcm12-192 cbc128-sha1 cbc192-sha384 cbc256-sha512; do
	one_case "$alg" transport no "$k"
	k=$((k + 1))
done
use_ipv6
for mode in transport tunnel; do
	for encap in no yes; do
		one_case gcm16-128 "$mode" "$encap" "$k"
		k=$((k + 1))
	done
done
log "all $((k - 1)) cases passed"
