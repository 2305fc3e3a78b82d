#!/bin/bash
# converge.sh: up with a changed config reaches exactly what a fresh build of that config
# gives: what the config dropped goes, what changed is changed, what matches is not touched
# (a namespace that no config change concerns keeps its links and its ping going).
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink

# The namespace "keep" (on br9) is the same in every config.
KEEP='bridge.br9.address = 10.9.0.1/24
ns.keep.bridge = br9
ns.keep.address = 10.9.0.2/24'
step() {
	local name=$1
	{ echo "uplink = eth0"; echo "$KEEP"; cat; } >"$TMP/$name.conf"
}
step c1 <<'EOC'
bridge.br0.address = 10.0.0.1/24
ns.red.bridge = br0
ns.red.address = 10.0.0.2/24
ns.blue.bridge = br0
ns.blue.address = 10.0.0.3/24
EOC
step c2-add-and-readdress <<'EOC'
bridge.br0.address = 10.0.0.1/24
ns.red.bridge = br0
ns.red.address = 10.0.0.2/24
ns.blue.bridge = br0
ns.blue.address = 10.0.0.33/24
ns.green.bridge = br0
ns.green.address = 10.0.0.4/24 10.0.0.44/24
EOC
step c3-remove-open-new-bridge <<'EOC'
bridge.br0.address = 10.0.0.1/24
bridge.br0.isolate = no
ns.blue.bridge = br0
ns.blue.address = 10.0.0.33/24
ns.blue.gateway = none
ns.green.bridge = br0
ns.green.address = 10.0.0.4/24
bridge.br1.address = 10.1.0.1/24
bridge.br1.isolate = no
ns.cyan.bridge = br1
ns.cyan.address = 10.1.0.2/24
EOC
step c4-rename-and-mtu <<'EOC'
bridge.br0.address = 10.0.0.1/24
bridge.br0.isolate = no
bridge.br0.mtu = 1400
ns.blue.bridge = br0
ns.blue.address = 10.0.0.33/24
ns.blue.ifname = net0
ns.green.bridge = br0
ns.green.address = 10.0.0.4/24
ns.green.hostif = green-host
bridge.br1.address = 10.1.0.1/24
bridge.br1.isolate = no
ns.cyan.bridge = br1
ns.cyan.address = 10.1.0.2/24
EOC
step c5-bridge-to-peer <<'EOC'
bridge.br0.address = 10.0.0.1/24
ns.blue.peer = 10.5.0.1/30
ns.blue.address = 10.5.0.2/30
ns.green.bridge = br0
ns.green.address = 10.0.0.4/24
bridge.br1.address = 10.1.0.1/24
bridge.br1.masquerade = no
ns.cyan.bridge = br1
ns.cyan.address = 10.1.0.2/24
ns.cyan.gateway = 10.1.0.1
EOC
step c6-drop-a-bridge <<'EOC'
bridge.br0.address = 10.0.0.1/24 10.0.7.1/24
ns.blue.peer = 10.5.0.1/30
ns.blue.address = 10.5.0.2/30
ns.green.bridge = br0
ns.green.address = 10.0.7.4/24
EOC
cp "$TMP/c1.conf" "$TMP/c7-back-to-the-start.conf"

ok "up: the first config" "$BOXNET" -c "$TMP/c1.conf" up
keep_before=$(dump_ns keep 1; ip -j link show bx-keep | jq -c '.[0] | {ifindex, ifname}'; ip -j link show br9 | jq -c '.[0].ifindex')
ip netns exec keep ping -i 0.2 -W 1 $INET_ADDR >"$TMP/ping.log" 2>&1 &
ping=$!
sleep 0.5
for c in c2-add-and-readdress c3-remove-open-new-bridge c4-rename-and-mtu c5-bridge-to-peer c6-drop-a-bridge \
	c7-back-to-the-start; do
	ok "$c: up" "$BOXNET" -c "$TMP/$c.conf" up
	same "$c: the box is what a fresh build of this config gives" "$(fresh_box "$TMP/$c.conf")" "$(snapshot)"
	expect_exit "$c: status is content" 0 "$BOXNET" -c "$TMP/$c.conf" status
	sleep 0.3
done
kill -INT $ping
wait $ping 2>/dev/null
sent=$(grep -o '[0-9]* packets transmitted' "$TMP/ping.log" | cut -d' ' -f1)
got=$(grep -o '[0-9]* received' "$TMP/ping.log" | cut -d' ' -f1)
ok "a ping from the untouched namespace ran all along ($sent sent)" test "${sent:-0}" -gt 10
same "and lost nothing" "$sent" "$got"
same "the untouched namespace's links, addresses and routes, ifindexes included, never changed" "$keep_before" \
	"$(dump_ns keep 1; ip -j link show bx-keep | jq -c '.[0] | {ifindex, ifname}'; ip -j link show br9 | jq -c '.[0].ifindex')"
same "no parked link is left" "" "$(ip -o link show group $((0x626f78)))"
ok "down" "$BOXNET" -c "$TMP/c7-back-to-the-start.conf" down
same "down leaves only the test's own objects" "inet" "$(ls /run/netns)"

# A box built when host ends were named ve-NAME by default converges to today's bx-NAME: its
# own pairs are made anew, a foreign ve-* interface is left alone.
sed 's/^ns.red.address.*/&\nns.red.hostif = ve-red/; s/^ns.blue.address.*/&\nns.blue.hostif = ve-blue/' \
	"$TMP/c1.conf" >"$TMP/old-names.conf"
ok "a box with the old default names (ve-red, ve-blue)" "$BOXNET" -c "$TMP/old-names.conf" up
ip link add ve-other type veth peer name ve-other-p
ok "up with today's defaults" "$BOXNET" -c "$TMP/c1.conf" up
same "gives what a fresh build gives, the foreign ve-other aside" "$(fresh_box "$TMP/c1.conf")" \
	"$(snapshot | grep -v '"ve-other')"
ok "the foreign ve-other is still there" ip link show ve-other
ip link del ve-other
"$BOXNET" -c "$TMP/c1.conf" down
done_testing
