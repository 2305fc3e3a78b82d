#!/bin/bash
# nested.sh: boxnet run inside one of its own namespaces (ip netns exec red boxnet ...) sees
# the outer box's namespaces and red's own links, all marked by boxnet: it must take none of
# them for its own. Whatever the inner run does, the outer box stays as it is.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
OUTER=$(conf outer <<'EOC'
uplink = eth0
bridge.br0.address = 10.50.0.1/24
ns.red.bridge = br0
ns.red.address = 10.50.0.2/24
ns.blue.bridge = br0
ns.blue.address = 10.50.0.3/24
EOC
)
INNER=$(conf inner <<'EOC'
bridge.brin.address = 10.60.0.1/24
ns.green.bridge = brin
ns.green.address = 10.60.0.2/24
EOC
)

# The outer box: the host, its namespaces and the uplink's, the ruleset, forwarding; not
# `ls /run/netns`, where the inner run may leave a name.
outer() {
	for ns in "" red blue inet; do
		echo "== netns ${ns:-host}"
		dump_ns "$ns" 1
	done
	nft -j list ruleset | norm_nft 1
	nft list ruleset | grep -F comment || true
	echo "== ip_forward $(cat /proc/sys/net/ipv4/ip_forward) note: $(cat /run/boxnet/ip_forward* 2>/dev/null)"
}
# What is the inner box's: its bridge and veth end in red, their addresses and routes.
outer_only() { grep -v -e brin -e bx-green -e '10\.60\.'; }
pings() {
	ping_ok red 10.50.0.3 >/dev/null && ping_ok blue 10.50.0.2 >/dev/null &&
		ping_ok red $INET_ADDR >/dev/null && ping_ok blue $INET_ADDR >/dev/null
}

ok "the outer box: up" "$BOXNET" -c "$OUTER" up
ok "its pings work" pings
before=$(outer)
names=$(ls /run/netns)

out=$(ip netns exec red "$BOXNET" -c "$INNER" up 2>&1)
rc=$?
echo "# inner up: exit $rc: $out"
same "inner up (in red): the outer box is unchanged" "$(outer_only <<<"$before")" "$(outer | outer_only)"
ok "and its pings still work" pings
ok "the outer namespaces are all still there" test -z "$(comm -23 <(echo "$names") <(ls /run/netns))"
same "inner up succeeds: the outer box's objects are not its own" 0 "$rc"
ok "it built its bridge in red" ip -n red link show brin

out=$(ip netns exec red "$BOXNET" -c "$INNER" down 2>&1)
rc=$?
echo "# inner down: exit $rc: $out"
same "inner down (in red): the outer box is as before the inner up" "$before" "$(outer)"
same "and /run/netns as well" "$names" "$(ls /run/netns)"
ok "its pings still work" pings
ok "inner down succeeds" test "$rc" = 0

ok "the outer box: up again changes nothing" "$BOXNET" -c "$OUTER" up
same "and leaves it as it was" "$before" "$(outer)"
ok "the outer box: down" "$BOXNET" -c "$OUTER" down
same "which removes all of it" "inet" "$(ls /run/netns)"
done_testing
