# tests/bench/ikev1-bench-conf.sh - sourced (not run) by ikev1-responders.sh and
# ikev1-responders-host.sh: the two responders' configurations, same proposals, same limits.

# ikev1_bench_ikd_conf DIR PSK: DIR/ikd.conf and DIR/secrets.conf. Info level (ikd logs to
# syslog without -d), no half-open limits in the way, DPD off.
ikev1_bench_ikd_conf() {
	local dir=$1 psk=$2
	mkdir -p "$dir"
	cat > "$dir/ikd.conf" <<CONF
ikd: { log_level = "info"; socket = "$dir/ikd.sock"; retransmit_ms = 2000; retransmit_tries = 5;
       half_open_max = 1000000; half_open_per_peer = 1000000; };
connections = ( {
	name = "l2tp"; remote = "%any"; auth = "psk"; mode = "transport"; dpd_delay = 0;
	local_protoport = "udp/1701"; remote_protoport = "udp/%any";
	ike = "aes128-sha256-modp2048, aes128-sha256-ecp256"; esp = "aes128-sha256";
} );
CONF
	echo "ike: { psk = ( { peer = \"%any\"; secret = \"$psk\"; } ); };" > "$dir/secrets.conf"
	chmod 600 "$dir/secrets.conf"
}

# ikev1_bench_ikd_fresh DIR: remove the state ikd saves next to its control socket
# (DIR/ikd.state, docs/ikd.md "State across restarts"), so that each measurement starts an
# empty responder. Without this, the next ikd restores every ISAKMP SA of the previous
# measurement (the kernel SAs are flushed, so only their pairs are dropped): its baseline
# RSS includes them, and the load's peers (same addresses and ports) meet old SAs.
# Prints the size of what was removed (0: nothing).
ikev1_bench_ikd_fresh() {
	local f=$1/ikd.state size=0
	[ -e "$f" ] && size=$(stat -c %s "$f")
	rm -f "$f"
	echo "$size"
}

# ikev1_bench_charon_conf DIR PSK RESPONDER_ADDR [VICI_URI]: DIR/strongswan.conf and
# DIR/swanctl.conf. The plugins Debian loads for these algorithms (openssl first, as in
# Debian's default order), no test-vectors; no per-IP half-open blocking (block_threshold,
# default 5); an IKE SA table as large as ikd's (4096 buckets); unique = never since many
# peers share an address identity here; level 1 to syslog.
ikev1_bench_charon_conf() {
	local dir=$1 psk=$2 addr=$3 vici=""
	[ -n "${4:-}" ] && vici="plugins {
		vici {
			socket = $4
		}
	}"
	mkdir -p "$dir"
	cat > "$dir/strongswan.conf" <<CONF
charon {
	load = random nonce openssl aes sha1 sha2 hmac gmp kdf kernel-netlink socket-default vici
	install_routes = no
	block_threshold = 1000000
	init_limit_half_open = 0
	ikesa_table_size = 4096
	ikesa_table_segments = 16
	retransmit_timeout = 2.0
	retransmit_tries = 5
	$vici
	syslog {
		daemon {
			default = 1
		}
	}
}
CONF
	cat > "$dir/swanctl.conf" <<CONF
connections {
	l2tp {
		version = 1
		local_addrs = $addr
		proposals = aes128-sha256-modp2048, aes128-sha256-ecp256
		unique = never
		local {
			auth = psk
			id = $addr
		}
		remote {
			auth = psk
			id = %any
		}
		children {
			l2tp {
				mode = transport
				local_ts = dynamic[udp/1701]
				remote_ts = dynamic[udp/1701]
				esp_proposals = aes128-sha256
			}
		}
	}
}
secrets {
	ike-l2tp {
		secret = "$psk"
	}
}
CONF
}
