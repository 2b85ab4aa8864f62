#!/bin/bash
# Capture strongSwan's IKEv1 Main Mode message 1 for test_interop.c.
# Runs as root on the host (no ESP needed): namespaces ikcapA (charon, 192.0.2.1) and
# ikcapB (a UDP listener on 192.0.2.2:500 that stores the first datagram).
# Usage: capture_strongswan_mm1.sh OUT.bin       (strongswan-5.9.8-mm1.bin came from this)
set -euo pipefail
out=$(realpath -m "$1")
dir=$(mktemp -d)
cleanup() { ip netns del ikcapA 2>/dev/null || true; ip netns del ikcapB 2>/dev/null || true
            rm -rf "$dir"; }
trap cleanup EXIT
cat > "$dir/strongswan.conf" <<EOF
charon {
  load_modular = yes
  plugins {
    include /etc/strongswan.d/charon/*.conf
    vici {
      socket = unix://$dir/charon.vici
    }
  }
  install_routes = no
}
EOF
cat > "$dir/swanctl.conf" <<'EOF'
connections {
  cap {
    version = 1
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    proposals = aes256-sha256-modp2048,aes128-sha1-ecp256,3des-sha1-modp1024
    local {
      auth = psk
      id = 192.0.2.1
    }
    remote {
      auth = psk
      id = 192.0.2.2
    }
    children {
      l2tp {
        local_ts = 192.0.2.1[udp/1701]
        remote_ts = 192.0.2.2[udp/1701]
        mode = transport
        esp_proposals = aes128-sha1
      }
    }
  }
}
secrets {
  ike-1 {
    id-1 = 192.0.2.2
    secret = "test"
  }
}
EOF
ip netns add ikcapA
ip netns add ikcapB
ip link add vcapA netns ikcapA type veth peer name vcapB netns ikcapB
ip -n ikcapA addr add 192.0.2.1/24 dev vcapA
ip -n ikcapB addr add 192.0.2.2/24 dev vcapB
for ns in ikcapA ikcapB; do ip -n $ns link set lo up; done
ip -n ikcapA link set vcapA up
ip -n ikcapB link set vcapB up
ip netns exec ikcapB python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.2", 500)); s.settimeout(20)
data, addr = s.recvfrom(65535)
open(sys.argv[1], "wb").write(data)
print("captured", len(data), "bytes from", addr)' "$out" &
listener=$!
sleep 0.5
ip netns exec ikcapA unshare -m env STRONGSWAN_CONF="$dir/strongswan.conf" DIR="$dir" sh -c '
mount -t tmpfs none /run
/usr/lib/ipsec/charon > "$DIR/charon.log" 2>&1 & cp=$!
sleep 2
swanctl --load-all --file "$DIR/swanctl.conf" --uri "unix://$DIR/charon.vici" > /dev/null 2>&1
swanctl --initiate --child l2tp --uri "unix://$DIR/charon.vici" --timeout 3 > /dev/null 2>&1 || true
kill $cp'
wait $listener
