#!/bin/bash
# ops-package: the Debian package built by scripts/package installs cleanly (dpkg -i into
# the VM's throw-away root), puts files where packagers expect them, and the daemons start
# from the installed files: ikd and l2tpd answer /usr/bin/vpnctl through /run/l2sec.
# Then the installed unit files themselves run under a real systemd (a user manager, see
# systemd-helpers.bash), hardening and all: `systemctl start` returns only after READY=1,
# `systemctl reload` re-reads the configuration, `systemctl restart` and `stop` work.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/systemd-helpers.bash"

deb=$(ls "$L2SEC_SRC"/build-deb/l2sec_*_amd64.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no package in $L2SEC_SRC/build-deb: run scripts/package first"
dpkg -i "$deb" > "$VM_STATE/dpkg.log" 2>&1 || { cat "$VM_STATE/dpkg.log" >&2; fail "dpkg -i $deb failed"; }
log "installed $(basename "$deb")"

for f in /usr/sbin/ikd /usr/sbin/l2tpd /usr/bin/vpnctl /lib/systemd/system/ikd.service \
	 /lib/systemd/system/l2tpd.service /usr/lib/sysusers.d/l2sec.conf \
	 /usr/lib/tmpfiles.d/l2sec.conf /usr/share/man/man8/vpnctl.8.gz; do
	[ -e "$f" ] || fail "package did not install $f"
done
getent group l2sec > /dev/null || fail "postinst did not create group l2sec"
grep -q '^ExecStart=/usr/sbin/ikd -f /etc/l2sec/ikd.conf' /lib/systemd/system/ikd.service ||
	fail "ikd.service does not start /usr/sbin/ikd with /etc/l2sec/ikd.conf"

# Configure from scratch as an admin would, then start both daemons from the installed files.
netns_add srv
install -d -m 0750 /etc/l2sec /run/l2sec
cat > /etc/l2sec/ikd.conf <<'CONF'
ikd: { socket = "/run/l2sec/ikd.sock"; secrets = "/etc/l2sec/secrets.conf"; };
connections = ( { name = "l2tp"; remote = "%any"; auth = "psk"; mode = "transport";
                  local_protoport = "udp/1701"; remote_protoport = "udp/%any"; } );
CONF
cat > /etc/l2sec/l2tpd.conf <<'CONF'
l2tpd = { listen = "any"; secrets = "/etc/l2sec/l2tpd-secrets.conf"; control_socket = "/run/l2sec/l2tpd.sock"; };
ppp = { local_ip = "203.0.113.1"; };
pools = ( { start = "203.0.113.10"; end = "203.0.113.20"; } );
CONF
(umask 077
 echo 'ike: { psk = ( { peer = "%any"; secret = "package-test-psk"; } ); };' > /etc/l2sec/secrets.conf
 echo 'users = ( { name = "alice"; password = "pw"; } );' > /etc/l2sec/l2tpd-secrets.conf)

/usr/sbin/ikd -t -f /etc/l2sec/ikd.conf > "$VM_STATE/ikd-check.log" 2>&1 ||
	{ cat "$VM_STATE/ikd-check.log" >&2; fail "installed ikd rejects a valid configuration"; }
modprobe -a l2tp_ppp ppp_generic
start_bg ikd srv /usr/sbin/ikd -d -f /etc/l2sec/ikd.conf
ikd_pid=$BG_PID
start_bg l2tpd srv /usr/sbin/l2tpd -d -f /etc/l2sec/l2tpd.conf
l2tpd_pid=$BG_PID
wait_for 30 "ikd's control socket" _alive_and ikd "$ikd_pid" test -S /run/l2sec/ikd.sock
wait_for 30 "l2tpd's control socket" _alive_and l2tpd "$l2tpd_pid" test -S /run/l2sec/l2tpd.sock
/usr/bin/vpnctl status > "$VM_STATE/status.txt" 2>&1 || { cat "$VM_STATE/status.txt" >&2; fail "vpnctl status failed against the installed daemons"; }
grep -q 'daemon *ikd' "$VM_STATE/status.txt" && grep -q 'daemon *l2tpd' "$VM_STATE/status.txt" ||
	fail "vpnctl status does not show both daemons: $(cat "$VM_STATE/status.txt")"
log "installed daemons answer vpnctl:"$'\n'"$(cat "$VM_STATE/status.txt")"
kill "$ikd_pid" "$l2tpd_pid"
wait_for 10 "the directly started daemons to exit" sh -c "! kill -0 $ikd_pid 2>/dev/null && ! kill -0 $l2tpd_pid 2>/dev/null"

# The installed units, unchanged but for a drop-in that puts them in the test's namespace
# and their output in the test's logs (no journald in the VM), and turns off four sandbox
# settings that cannot be set up here: under the user manager inside the VM's chrooted
# overlay, ProtectKernelTunables/Modules/Logs each fail alone with 226/NAMESPACE (bisected),
# and ProtectHome=yes hides /run/user, where a user manager keeps its notify socket. Every
# other setting (capabilities, system-call filter, address families, ProtectSystem=strict,
# private /tmp and devices...) applies as shipped.
sd_user_start
ulogs=/run/l2sec-test-logs  # not under /tmp: the units have PrivateTmp=yes
mkdir -p "$ulogs"
unit_logs() { tail -n 8 "$ulogs"/*.log 2>&1; }
for u in ikd l2tpd; do
	install -D -m 0644 "/lib/systemd/system/$u.service" "/etc/systemd/user/$u.service"
	install -d "/etc/systemd/user/$u.service.d"
	printf '[Service]\nNetworkNamespacePath=/run/netns/srv\nProtectHome=no\nProtectKernelTunables=no\nProtectKernelModules=no\nProtectKernelLogs=no\nStandardOutput=append:%s\nStandardError=append:%s\n' \
		"$ulogs/$u.log" "$ulogs/$u.log" > "/etc/systemd/user/$u.service.d/test.conf"
done
systemctl --user daemon-reload
timeout 60 systemctl --user start ikd.service l2tpd.service ||
	fail "the installed units did not start: $(systemctl --user status ikd l2tpd --no-pager 2>&1 | grep -E 'Active|Process'; unit_logs)"
# Type=notify: start returned after READY=1, so the control sockets answer at once.
/usr/bin/vpnctl status > "$VM_STATE/status-units.txt" 2>&1 ||
	fail "vpnctl status failed right after systemctl start: $(cat "$VM_STATE/status-units.txt")"
[ "$(sd_main_pid ikd)" = "$(awk '/daemon *ikd/{f=1} f&&/ pid /{print $2; exit}' "$VM_STATE/status-units.txt")" ] ||
	fail "vpnctl does not show the unit's ikd: $(cat "$VM_STATE/status-units.txt")"
[ "$(grep -c '^  version ' "$VM_STATE/status-units.txt")" = 2 ] ||
	fail "vpnctl status does not show both daemons' versions: $(cat "$VM_STATE/status-units.txt")"
# (Without -d the daemons log to syslog, which the VM lacks: check the sockets instead.)
for port in 500 4500 1701; do
	grep -q ":$port " <<< "$(ip netns exec srv ss -Hlun)" || fail "nothing listens on UDP/$port under the units"
done
# ExecReload: ikd re-reads its file and says so in its unit's status (STATUS=).
sed -i 's|^connections = ( {|connections = ( { name = "second"; remote = "198.51.100.77"; auth = "psk"; mode = "transport"; local_protoport = "udp/1701"; remote_protoport = "udp/1701"; }, {|' /etc/l2sec/ikd.conf
timeout 30 systemctl --user reload ikd.service l2tpd.service || fail "systemctl reload failed"
wait_for 20 "ikd's unit status to report the reload" \
	sh -c "systemctl --user show -P StatusText ikd.service | grep -q 'reloaded: 2 connections'"
sd_active l2tpd || fail "l2tpd did not survive systemctl reload"
pid=$(sd_main_pid l2tpd)
timeout 60 systemctl --user restart l2tpd.service || fail "systemctl restart l2tpd failed"
[ "$(sd_main_pid l2tpd)" != "$pid" ] && sd_active l2tpd || fail "l2tpd was not restarted by its unit"
timeout 60 systemctl --user stop l2tpd.service ikd.service || fail "systemctl stop failed"
[ ! -e /run/l2sec/ikd.sock ] || fail "ikd left its control socket behind after a clean stop"
log "installed units: start (notify), reload, restart and stop work"

# A broken configuration is refused with file, line and key.
echo 'connections = ( { name = "x"; auth = "pks"; } );' > "$VM_STATE/bad.conf"
if /usr/sbin/ikd -t -f "$VM_STATE/bad.conf" > "$VM_STATE/bad.log" 2>&1; then
	fail "ikd accepted a broken configuration"
fi
grep -q 'bad.conf:1' "$VM_STATE/bad.log" || fail "ikd's error does not name file and line: $(cat "$VM_STATE/bad.log")"

dpkg -r l2sec > "$VM_STATE/dpkg-r.log" 2>&1 || { cat "$VM_STATE/dpkg-r.log" >&2; fail "dpkg -r failed"; }
[ ! -e /usr/sbin/ikd ] || fail "dpkg -r left /usr/sbin/ikd"
log "PASS: package installs, daemons start from installed files, removes cleanly"
