#!/bin/bash
# ops-firewall: the documented nftables ruleset (examples/nftables-l2sec.nft, default-drop
# input) on the server of the full stack. The client behind NAT connects and its traffic
# passes; an L2TP packet sent without IPsec is dropped by the "L2TP without IPsec" rule;
# l2tpd keeps the set l2sec_users equal to the connected users' addresses; the session
# hook sees the session go up and down with the documented environment; l2tpd changes
# nothing else in the ruleset.
. "$L2SEC_SRC/tests/vm/lib.sh"
. "$L2SEC_SRC/tests/vm/ikev1-helpers.bash"
. "$L2SEC_SRC/tests/vm/e2e-helpers.bash"
ikev1_need
need xl2tpd pppd nft socat

netns_nat client nat server
# The documented ruleset, with this lab's public interface and pool.
sed -e 's/^define WAN = .*/define WAN = "v-nat"/' -e 's|^define POOL = .*|define POOL = 203.0.113.0/24|' \
	"$L2SEC_SRC/examples/nftables-l2sec.nft" > "$VM_STATE/ruleset.nft"
ip netns exec server nft -f "$VM_STATE/ruleset.nft" || fail "the documented ruleset does not load"
ip netns exec server nft list chain inet l2sec input > "$VM_STATE/input.txt"
grep -q 'policy drop' "$VM_STATE/input.txt" || fail "input chain has no drop policy"
ip netns exec server nft list ruleset > "$VM_STATE/ruleset-before.txt"

printf '%s\n' '#!/bin/sh' \
	"echo \"\$1 user=\$L2SEC_USER ip=\$L2SEC_IP if=\$L2SEC_IFNAME peer=\$L2SEC_PEER reason=\$L2SEC_REASON\" >> $VM_STATE/hook.out" \
	> "$VM_STATE/hook.sh"
chmod 755 "$VM_STATE/hook.sh"
e2e_server '{ name = "alice"; password = "alice-secret"; ip = "203.0.113.200"; }' \
	"firewall_set = \"l2sec_users\"; hook = \"$VM_STATE/hook.sh\";"
e2e_client client 198.51.100.2 alice alice-secret
e2e_connect client > /dev/null
netns_exec client "${PING[@]}" -c 3 -W 3 203.0.113.1 > /dev/null || fail "ping through the tunnel blocked by the ruleset"
log "client connected and pinged through the default-drop ruleset"

set_elems() { ip netns exec server nft list set inet l2sec l2sec_users | tr -d ' \n\t' | grep -o 'elements={[^}]*}' || true; }
set_is() { [ "$(set_elems)" = "$1" ]; }
wait_for 10 "l2sec_users to hold alice's 203.0.113.200 (has '$(set_elems)')" set_is "elements={203.0.113.200}"
wait_for 10 "the hook to see session-up" grep -q 'session-up user=alice ip=203.0.113.200 if=l2sec' "$VM_STATE/hook.out"

# L2TP without IPsec, straight from the NAT box's public address: dropped by the ruleset.
drops() {
	ip netns exec server nft list chain inet l2sec input |
		awk '/L2TP without IPsec/ { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }'
}
drops_above() { [ "$(drops)" -gt "$1" ]; }
before=$(drops)
printf '\310\002\000\014\000\000\000\000\000\000\000\000' |
	ip netns exec nat socat -u - UDP:192.0.2.1:1701,sourceport=40001
wait_for 5 "the plain L2TP packet to hit the drop rule" drops_above "${before:-0}"
log "plain L2TP dropped (counter ${before:-0} -> $(drops))"

e2e_vpnctl disconnect alice > /dev/null || fail "vpnctl disconnect alice failed"
wait_for 15 "alice's address to leave l2sec_users (has '$(set_elems)')" set_is ""
wait_for 10 "the hook to see session-down" grep -q 'session-down user=alice ip=203.0.113.200' "$VM_STATE/hook.out"

# Nothing but the set's elements changed: same tables, chains and rules (counters aside).
ip netns exec server nft list ruleset > "$VM_STATE/ruleset-after.txt"
# (files, not <(...): the VM's /dev has no /dev/fd for process substitution)
for f in before after; do
	sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/' "$VM_STATE/ruleset-$f.txt" > "$VM_STATE/ruleset-$f.cmp"
done
diff "$VM_STATE/ruleset-before.cmp" "$VM_STATE/ruleset-after.cmp" > "$VM_STATE/ruleset.diff" ||
	fail "l2tpd changed the ruleset: $(cat "$VM_STATE/ruleset.diff")"
log "PASS: ruleset lets the VPN through, drops plain L2TP, set and hook follow the session"
