#!/bin/bash
# l2tp-bench: bring N L2TP/PPP sessions up and tear them down against l2tpd, then against
# xl2tpd + one pppd per session, in the same VM run; print sessions per second and memory
# per session of each (PSS of the server processes: l2tpd alone; xl2tpd plus every pppd),
# beside the whole system's MemAvailable drop (kernel objects and the client included), and
# the server's CPU time per session (user + system, pppd children included: on a loaded
# host the one number that does not depend on what else runs).
#   L2SEC_BUILD=/work/build-rel scripts/vmtest --timeout 3600 tests/bench/l2tp-bench.sh
#   L2SEC_L2TP_BENCH_TUNNELS=10 L2SEC_L2TP_BENCH_PER_TUNNEL=100 (default: 1,000 sessions)
#   L2SEC_L2TP_BENCH_SERVERS="l2tpd xl2tpd" (or one of them)
#   L2SEC_L2TP_BENCH_INFLIGHT=K: at most K sessions in setup at once (default 0: every call
#   at once, as after a server restart; the latency percentiles then measure the queue)
#   L2SEC_L2TP_BENCH_UP_TIMEOUT=S (default 1500); L2SEC_VM_MEM=4096 for 10,000 sessions
#   L2SEC_L2TP_BENCH_BASE_L2TPD=PATH: another l2tpd binary (e.g. built from an older commit),
#   run as server "l2tpd-base" (put it in _SERVERS, e.g. "l2tpd-base l2tpd") for a before /
#   after comparison in one VM run
# Sessions that do not come up are listed by the client ("# stuck": where each stopped,
# with the LNS's ids) next to what l2tpd logged about them.
# The client is tests/bench/l2tp-loadgen.py: a user-space LAC + PPP client (CHAP-MD5), one
# UDP socket per tunnel, so the client side costs little beside either server.
# Client addresses come from 198.18.0.0/15, the block RFC 2544 reserves for benchmarking
# (the documentation /24s hold too few addresses for 10,000 sessions).
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/l2tp-helpers.bash"

TUN=${L2SEC_L2TP_BENCH_TUNNELS:-10}
PER_MAX=${L2SEC_L2TP_BENCH_PER_TUNNEL:-100}
PER_XL2TPD=${L2SEC_L2TP_BENCH_XL2TPD_PER_TUNNEL:-$PER_MAX}   # pppd costs seconds of CPU each
SERVERS=${L2SEC_L2TP_BENCH_SERVERS:-l2tpd xl2tpd}
DOWN=${L2SEC_L2TP_BENCH_DOWN:-1}   # 0: hold, measure, leave the teardown to the VM's end
N=$((TUN * (PER_MAX > PER_XL2TPD ? PER_MAX : PER_XL2TPD)))
LG_TIMEOUT=${L2SEC_L2TP_BENCH_UP_TIMEOUT:-1500}   # seconds for all sessions to come up
INFLIGHT=${L2SEC_L2TP_BENCH_INFLIGHT:-0}   # sessions in setup at once; 0: all calls at once
LOADGEN=$L2SEC_SRC/tests/bench/l2tp-loadgen.py
need python3 ip xl2tpd pppd
modprobe -a l2tp_ppp ppp_generic
netns_pair srv gen 192.0.2.1/24 192.0.2.2/24
ulimit -n 65536

# Users u1..uN, password pw-uN: secrets.conf for l2tpd, chap-secrets for pppd.
for ((n = 1; n <= N; n++)); do l2tp_user "u$n" "pw-u$n"; done
awk -F'"' '{ printf "\"%s\" * \"%s\" *\n", $2, $4 }' "$L2TP_ETC/users" >> /etc/ppp/chap-secrets

pss_kb() { # PIDS...: summed PSS in kB
	mem_kb Pss "$@"
}
mem_kb() { # FIELD PIDS...: summed smaps_rollup FIELD (Pss, Rss) in kB
	local f=$1 p s=0 v
	shift
	for p in "$@"; do
		v=$(awk -v f="$f:" '$1 == f { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null) || v=0
		s=$((s + ${v:-0}))
	done
	echo "$s"
}
# slab_kb: the kernel's slab memory (reclaimable + not), where sockets, channels, sessions
# and net devices live; per session it is shared by whatever else the VM does (little).
slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
cpu_ticks() { # PID: user+system time of PID and its reaped children, in clock ticks
	awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat"
}
ppp_at_least() { [ "$(l2tp_count_ppp "$1")" -ge "$2" ]; }
avail_kb() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }
server_pids() { # NAME: the server's processes
	case $1 in
	l2tpd*) echo "$L2TPD_PID" ;;
	*) echo "$XL2TPD_PID" $(pgrep -x pppd) ;;
	esac
}

# report_stuck NAME OUT: the client's "# stuck" lines, and for the first few sessions what
# the server (l2tpd: its log has the same tunnel and session ids) said about them.
report_stuck() {
	local name=$1 out=$2 tid sid
	grep '^# stuck [0-9]' "$out" | while read -r line; do log "$name: $line"; done
	grep '^# stuck tunnel=' "$out" | head -5 | while read -r line; do
		log "$name: $line"
		tid=$(grep -o 'tunnel=[0-9]*' <<< "$line" | cut -d= -f2)
		sid=$(grep -o 'session=[0-9]*' <<< "$line" | cut -d= -f2)
		case $name in l2tpd*) ;; *) continue ;; esac
		[ "$sid" != 0 ] || continue
		grep -E "tunnel=$tid session=$sid( |$)" "$VM_STATE/$name.log" | tail -8 |
			while read -r l; do log "    $l"; done
	done
}

results=()
# run NAME: one full cycle against the server already started in srv.
run() {
	local name=$1 fifo=$VM_STATE/loadgen.in out=$VM_STATE/loadgen-$1.out m0 a0 m1 a1 up_s t0 t1
	local main_pid c0 c1 r0 r1 k0 k1 lat PER N
	PER=$PER_MAX
	[ "$name" != xl2tpd ] || PER=$PER_XL2TPD
	N=$((TUN * PER))
	main_pid=$(server_pids "$name" | awk '{ print $1 }')
	sleep 2
	c0=$(cpu_ticks "$main_pid")
	m0=$(pss_kb $(server_pids "$name"))
	r0=$(mem_kb Rss $(server_pids "$name"))
	k0=$(slab_kb)
	a0=$(avail_kb)
	rm -f "$fifo"
	mkfifo "$fifo"
	start_bg "loadgen-$name" gen bash -c "exec python3 '$LOADGEN' --lns 192.0.2.1 --tunnels $TUN --sessions $PER --timeout $LG_TIMEOUT --inflight $INFLIGHT < '$fifo' > '$out'"
	exec {lg}> "$fifo"
	wait_for $((LG_TIMEOUT + 100)) "$name: $N sessions up" grep -q '^up ' "$out"
	read -r _ got up_s rest <<< "$(grep '^up ' "$out")"
	# a few stuck sessions (lost frames the client does not repeat) do not void the run:
	# per-session figures are then per session held
	[ "$got" -ge $((N * 99 / 100)) ] || fail "$name: only $got of $N sessions came up ($rest)"
	[ "$got" = "$N" ] || log "$name: only $got of $N sessions came up: figures per session held"
	[ "$got" = "$N" ] || report_stuck "$name" "$out"
	lat=$(grep -o 'latency_ms.*' <<< "$rest" || echo -)
	[ "$N" = "$got" ] || up_s=$(grep -o 'last_up=[0-9.]*' <<< "$rest" | cut -d= -f2)
	N=$got
	wait_for 120 "$name: $N ppp interfaces" ppp_at_least srv "$N"
	sleep 2
	m1=$(pss_kb $(server_pids "$name"))
	r1=$(mem_kb Rss $(server_pids "$name"))
	k1=$(slab_kb)
	a1=$(avail_kb)
	local down_s=0 down_rate=0
	if [ "$DOWN" = 1 ]; then
		t0=$(date +%s.%N)
		echo down >&"$lg"
		exec {lg}>&-
		wait_for $((N / 2 + 300)) "$name: all sessions down" l2tp_ppp_count_is srv 0
		t1=$(date +%s.%N)
		# pppd processes are counted once xl2tpd has reaped them
		[ "$name" != xl2tpd ] || wait_for 120 "the pppds to exit" bash -c '! pgrep -x pppd > /dev/null'
		sleep 1
		down_s=$(echo "$t1 - $t0" | bc)
		down_rate=$(echo "$N / $down_s" | bc -l)
	fi
	c1=$(cpu_ticks "$main_pid")   # with DOWN=0: the setup's CPU only
	results+=("$(printf '%-7s %6d %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %8.2f  %s' "$name" "$N" \
		"$(echo "$N / $up_s" | bc -l)" "$down_rate" \
		"$(echo "($m1 - $m0) / $N" | bc -l)" "$(echo "$m1 / $N" | bc -l)" \
		"$(echo "($r1 - $r0) / $N" | bc -l)" "$(echo "($k1 - $k0) / $N" | bc -l)" \
		"$(echo "($a0 - $a1) / $N" | bc -l)" \
		"$(echo "($c1 - $c0) * 1000 / $(getconf CLK_TCK) / $N" | bc -l)" "$lat")")
	log "$name: up ${up_s}s, down ${down_s}s, PSS ${m0} -> ${m1} kB, RSS ${r0} -> ${r1} kB, Slab ${k0} -> ${k1} kB, MemAvailable ${a0} -> ${a1} kB, $lat"
}

for server in $SERVERS; do
	case $server in
	l2tpd | l2tpd-base)
		bin=$L2TPD
		if [ "$server" = l2tpd-base ]; then
			bin=${L2SEC_L2TP_BENCH_BASE_L2TPD:-}
			[ -x "$bin" ] || fail "l2tpd-base: set L2SEC_L2TP_BENCH_BASE_L2TPD to an l2tpd binary"
		fi
		cat > "$L2TP_ETC/l2tpd.conf" <<-EOC
			l2tpd = { listen = "192.0.2.1"; hostname = "lns"; hello_interval = "60s";
			  secrets = "$L2TP_ETC/secrets.conf"; control_socket = "$L2TP_RUN/l2tpd.sock";
			  max_sessions = 65535; };
			ppp = { auth = [ "chap-md5" ]; local_ip = "198.18.0.1"; mtu = 1400; mru = 1400;
			  echo_interval = "30s"; };
			pools = ( { start = "198.18.0.10"; end = "198.19.255.250"; } );
		EOC
		( umask 077; { echo "users = ("; sed '$ s/,$//' "$L2TP_ETC/users"; echo ");"; } > "$L2TP_ETC/secrets.conf" )
		start_bg "$server" srv "$bin" -d -f "$L2TP_ETC/l2tpd.conf"
		L2TPD_PID=$BG_PID
		wait_for 60 "$server to listen" _alive_and "$server" "$L2TPD_PID" grep -q 'event=listening' "$VM_STATE/$server.log"
		run "$server"
		[ "$DOWN" = 1 ] || break   # 10,000 held: the VM's end takes them down
		kill -TERM "$L2TPD_PID"
		wait_for 60 "$server to exit" bash -c "! kill -0 $L2TPD_PID 2>/dev/null"
		l2tp_nothing_left srv
		;;
	xl2tpd)
		cat > "$L2TP_ETC/xl2tpd.conf" <<-EOC
			[global]
			port = 1701
			listen-addr = 192.0.2.1
			access control = no
			max retries = 5
			[lns default]
			ip range = 198.18.0.10-198.19.255.250
			local ip = 198.18.0.1
			require authentication = yes
			require chap = yes
			refuse pap = yes
			name = lns
			pppoptfile = $L2TP_ETC/options.xl2tpd
			length bit = yes
		EOC
		printf '%s\n' require-chap refuse-pap refuse-mschap refuse-mschap-v2 noccp auth \
			"mtu 1400" "mru 1400" nodefaultroute "lcp-echo-interval 30" > "$L2TP_ETC/options.xl2tpd"
		start_xl2tpd srv "$L2TP_ETC/xl2tpd.conf"
		XL2TPD_PID=$BG_PID
		run xl2tpd
		kill -TERM "$XL2TPD_PID"
		wait_for 120 "xl2tpd and its pppds to exit" bash -c "! pgrep -x pppd > /dev/null && ! kill -0 $XL2TPD_PID 2>/dev/null"
		;;
	esac
done

echo "server  sessions setup/s  down/s dPSS/ses PSS/ses dRSS/ses dSlab/ses dAvail/ses CPU-ms/ses  setup latency (memory in kB)"
printf '%s\n' "${results[@]}"
log "PASS"
