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

# ---- IPv6: v4-only to dual stack, a changed IPv6 address, gateway and masquerade (with links
# renamed and an MTU changed), a family removed (each way), and back to v4-only. Each up converges to a fresh build, and a second up
# changes nothing (same ifindexes, same nft handles). The namespace "stay" (on br8, dual stack
# from d2 on) is the same in d2 to d6: its IPv6 ping to its gateway runs all along.
STAY='bridge.br8.address = 10.8.0.1/24 fd00:8::1/64
ns.stay.bridge = br8
ns.stay.address = 10.8.0.2/24 fd00:8::2/64'
step d1-v4-only <<'EOC'
bridge.br0.address = 10.0.0.1/24
ns.red.bridge = br0
ns.red.address = 10.0.0.2/24
ns.blue.peer = 10.5.0.1/30
ns.blue.address = 10.5.0.2/30
EOC
step d2-dual-stack <<EOC
$STAY
bridge.br0.address = 10.0.0.1/24 fd00:10::1/64
ns.red.bridge = br0
ns.red.address = 10.0.0.2/24 fd00:10::2/64
ns.blue.peer = 10.5.0.1/30 fd00:5::1/64
ns.blue.address = 10.5.0.2/30 fd00:5::2/64
EOC
step d3-readdress-v6 <<EOC
$STAY
bridge.br0.address = 10.0.0.1/24 fd00:10::1/64 fd00:11::1/64
ns.red.bridge = br0
ns.red.address = 10.0.0.2/24 fd00:11::22/64
ns.blue.peer = 10.5.0.1/30 fd00:6::1/64
ns.blue.address = 10.5.0.2/30 fd00:6::2/64
ns.green.bridge = br0
ns.green.address = fd00:10::3/64
EOC
step d4-gateway-masquerade-rename-mtu <<EOC
$STAY
bridge.br0.address = 10.0.0.1/24 fd00:10::1/64 fd00:11::1/64
bridge.br0.masquerade = ipv4
bridge.br0.mtu = 1400
ns.red.bridge = br0
ns.red.address = 10.0.0.2/24 fd00:11::22/64
ns.red.ifname = net0
ns.blue.peer = 10.5.0.1/30 fd00:6::1/64
ns.blue.address = 10.5.0.2/30 fd00:6::2/64
ns.blue.masquerade = ipv6
ns.blue.hostif = blue-host
ns.green.bridge = br0
ns.green.address = fd00:10::3/64 fd00:11::3/64
ns.green.gateway = fd00:11::22
EOC
step d5-drop-v6-of-a-bridge-and-v4-of-a-peer <<EOC
$STAY
bridge.br0.address = 10.0.0.1/24
ns.red.bridge = br0
ns.red.address = 10.0.0.2/24
ns.blue.peer = fd00:6::1/64
ns.blue.address = fd00:6::2/64
EOC
step d6-v6-back <<EOC
$STAY
bridge.br0.address = 10.0.0.1/24 fd00:10::1/64
ns.red.bridge = br0
ns.red.address = 10.0.0.2/24 fd00:10::2/64
ns.blue.peer = 10.5.0.1/30 fd00:5::1/64
ns.blue.address = 10.5.0.2/30 fd00:5::2/64
EOC
cp "$TMP/d1-v4-only.conf" "$TMP/d7-v4-only-again.conf"

ok "IPv6: up, IPv4 only" "$BOXNET" -c "$TMP/d1-v4-only.conf" up
for c in d2-dual-stack d3-readdress-v6 d4-gateway-masquerade-rename-mtu d5-drop-v6-of-a-bridge-and-v4-of-a-peer d6-v6-back \
	d7-v4-only-again; do
	ok "$c: up" "$BOXNET" -c "$TMP/$c.conf" up
	same "$c: the box is what a fresh build of this config gives" "$(fresh_box "$TMP/$c.conf")" "$(snapshot)"
	expect_exit "$c: status is content" 0 "$BOXNET" -c "$TMP/$c.conf" status
	built=$(snapshot 1)
	ok "$c: up again" "$BOXNET" -c "$TMP/$c.conf" up
	same "$c: up again changes nothing (same ifindexes, same nft handles)" "$built" "$(snapshot 1)"
	if [ $c = d2-dual-stack ]; then
		ok "the IPv6 address of stay works at once" ping_ok stay fd00:8::1
		stay_before=$(dump_ns stay 1; ip -j link show bx-stay | jq -c '.[0] | {ifindex, ifname}')
		ip netns exec stay ping -6 -i 0.2 -W 1 fd00:8::1 >"$TMP/ping6.log" 2>&1 &
		ping6=$!
		sleep 0.5
	fi
	if [ $c = d6-v6-back ]; then
		kill -INT $ping6
		wait $ping6 2>/dev/null
		sent=$(grep -o '[0-9]* packets transmitted' "$TMP/ping6.log" | cut -d' ' -f1)
		got=$(grep -o '[0-9]* received' "$TMP/ping6.log" | cut -d' ' -f1)
		ok "an IPv6 ping from the untouched namespace ran all along ($sent sent)" test "${sent:-0}" -gt 5
		same "and lost nothing" "$sent" "$got"
		same "the untouched namespace's links, addresses and routes, ifindexes included, never changed" \
			"$stay_before" "$(dump_ns stay 1; ip -j link show bx-stay | jq -c '.[0] | {ifindex, ifname}')"
	fi
	sleep 0.3
done
# Named checks of what the snapshots compared: the IPv6 objects came and went.
same "v4-only again: no IPv6 address on the box's links" "" \
	"$(ip -j -6 addr show | jq -r '.[] | select(.ifname != "eth0" and .ifname != "lo") | .addr_info[].local
		| select(startswith("fe80:") | not)')"
same "v4-only again: no IPv6 default route in red" "" "$(ip -n red -6 route show default)"
same "v4-only again: IPv6 forwarding off, the note gone" "0 " \
	"$(cat /proc/sys/net/ipv6/conf/all/forwarding) $(ls /run/boxnet | grep ipv6_forward)"
same "v4-only again: the uplink's accept_ra back to 1" "1" "$(cat /proc/sys/net/ipv6/conf/eth0/accept_ra)"
ok "down" "$BOXNET" -c "$TMP/d7-v4-only-again.conf" down
same "down leaves only the test's own objects" "inet" "$(ls /run/netns)"

# ---- port forwards and openings: added, changed, removed, each up a fresh build's box ----
FBASE='uplink = eth0
bridge.lan.address = 172.30.0.1/24 fd00:30::1/64
ns.web.bridge = lan
ns.web.address = 172.30.0.2/24 fd00:30::2/64
bridge.iot.address = 172.31.0.1/24'
printf '%s\n' "$FBASE" >"$TMP/f1-none.conf"
printf '%s\n' "$FBASE" 'forward.http.port = 8080' 'forward.http.to = web:80' >"$TMP/f2-forward.conf"
printf '%s\n' "$FBASE" 'forward.http.port = 8081-8082' 'forward.http.to = web:90' 'forward.http.proto = tcp udp' \
	'forward.http.from = 2001:db8::/32' 'allow.a.from = iot' 'allow.a.to = web' >"$TMP/f3-changed.conf"
cp "$TMP/f1-none.conf" "$TMP/f4-none-again.conf"
ok "forwards: up without any" "$BOXNET" -c "$TMP/f1-none.conf" up
for c in f2-forward f3-changed f4-none-again; do
	ok "$c: up" "$BOXNET" -c "$TMP/$c.conf" up
	same "$c: the box is what a fresh build of this config gives" "$(fresh_box "$TMP/$c.conf")" "$(snapshot)"
	expect_exit "$c: status is content" 0 "$BOXNET" -c "$TMP/$c.conf" status
	handles=$(nft -a list table inet boxnet)
	ok "$c: a second up changes nothing" grep -q "up: 0 changes" <("$BOXNET" -c "$TMP/$c.conf" up -v 2>&1)
	same "$c: the table is untouched, handles included" "$handles" "$(nft -a list table inet boxnet)"
done
same "forwards removed: no nat chain but postrouting's" "postrouting" \
	"$(nft -j list table inet boxnet | jq -r '[.nftables[].chain | select(.type == "nat") | .name] | join(" ")')"
ok "down" "$BOXNET" -c "$TMP/f4-none-again.conf" down

# ---- static routes and namespace forwarding: added, a next hop and a metric changed, one
# dropped, a namespace router switched off and on, a namespace's default route turned static,
# all gone again. Each up converges to a fresh build, and a second up changes nothing. ----
R='bridge.br0.address = 10.0.0.1/24 fd00:10::1/64
ns.vpn.bridge = br0
ns.vpn.address = 10.0.0.2/24 fd00:10::2/64
ns.red.bridge = br0
ns.red.address = 10.0.0.3/24 fd00:10::3/64
ns.blue.peer = 10.5.0.1/30 fd00:5::1/64
ns.blue.address = 10.5.0.2/30 fd00:5::2/64'
step r1-no-routes <<<"$R"
step r2-routes <<EOC
$R
ns.vpn.forwarding = yes
route.lan4.to = 10.99.0.0/24
route.lan4.via = 10.0.0.2
route.lan6.to = fd00:99::/64
route.lan6.via = fd00:10::2
route.far.to = 10.98.0.0/16
route.far.via = 10.0.0.2
route.far.metric = 5
route.inred.ns = red
route.inred.to = 10.97.0.0/16
route.inred.via = 10.0.0.2
EOC
step r3-changed <<EOC
$R
ns.red.gateway = none
route.lan4.to = 10.99.0.0/24
route.lan4.via = 10.0.0.3
route.far.to = 10.98.0.0/16
route.far.via = 10.0.0.2
route.far.metric = 7
route.inred.ns = red
route.inred.to = 10.97.0.0/16
route.inred.via = 10.0.0.2
route.reddefault.ns = red
route.reddefault.to = ::/0
route.reddefault.via = fd00:10::2
EOC
step r4-peer <<EOC
$R
ns.vpn.forwarding = yes
ns.blue.forwarding = yes
route.lan4.to = 10.99.0.0/24
route.lan4.via = 10.5.0.2
route.lan6.to = fd00:99::/64
route.lan6.via = fd00:5::2
EOC
cp "$TMP/r1-no-routes.conf" "$TMP/r5-no-routes-again.conf"
routes98() { { ip -j route show proto 98; ip -j -6 route show proto 98; } | jq -r '.[] | "\(.dst) \(.gateway) \(.dev)"'; }
ok "routes: up, none" "$BOXNET" -c "$TMP/r1-no-routes.conf" up
for c in r2-routes r3-changed r4-peer r5-no-routes-again; do
	ok "$c: up" "$BOXNET" -c "$TMP/$c.conf" up
	same "$c: the box is what a fresh build of this config gives" "$(fresh_box "$TMP/$c.conf")" "$(snapshot)"
	expect_exit "$c: status is content" 0 "$BOXNET" -c "$TMP/$c.conf" status
	built=$(snapshot 1)
	ok "$c: up again" "$BOXNET" -c "$TMP/$c.conf" up
	same "$c: up again changes nothing" "$built" "$(snapshot 1)"
	case $c in
	r2-routes)
		same "$c: the host's routes" "10.98.0.0/16 10.0.0.2 br0
10.99.0.0/24 10.0.0.2 br0
fd00:99::/64 fd00:10::2 br0" "$(routes98)"
		same "$c: vpn forwards" "1 1" "$(ip netns exec vpn cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding | xargs)" ;;
	r3-changed)
		same "$c: the host's routes: a next hop and a metric changed, one gone" "10.98.0.0/16 10.0.0.2 br0
10.99.0.0/24 10.0.0.3 br0" "$(routes98)"
		ok "$c: the metric is the new one" ip route show 10.98.0.0/16 metric 7 proto 98
		same "$c: red's default routes: only the static IPv6 one" "fd00:10::2" \
			"$({ ip -n red -j route show default; ip -n red -j -6 route show default; } | jq -r '.[].gateway')"
		same "$c: vpn forwards no more" "0 0" "$(ip netns exec vpn cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding | xargs)" ;;
	r4-peer)
		same "$c: the host's routes, through the peer" "10.99.0.0/24 10.5.0.2 bx-blue
fd00:99::/64 fd00:5::2 bx-blue" "$(routes98)"
		same "$c: red's static routes gone" "" "$(ip -n red -j route show proto 98 | jq -r '.[] | select(.dst != "default") | .dst')" ;;
	r5-no-routes-again)
		same "$c: no route of boxnet's on the host" "" "$(routes98)" ;;
	esac
done
ok "down" "$BOXNET" -c "$TMP/r5-no-routes-again.conf" down
same "down leaves only the test's own objects" "inet" "$(ls /run/netns)"
done_testing
