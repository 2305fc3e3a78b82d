#!/bin/bash
# scale.sh: 256 namespaces on one bridge come up; the box converges to 64 bridges of four
# namespaces each; everything goes down cleanly. 512 open bridges make a table of linear size.
# Then 1100 namespaces, in 1024 open files.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
A=$TMP/one-bridge.conf
B=$TMP/64-bridges.conf
{
	echo "uplink = eth0"
	echo "bridge.br0.address = 10.100.0.1/23"
	for i in $(seq 0 255); do
		echo "ns.n$i.bridge = br0"
		echo "ns.n$i.address = 10.100.$(((i + 2) / 256)).$(((i + 2) % 256))/23"
	done
} >"$A"
{
	echo "uplink = eth0"
	for b in $(seq 0 63); do
		echo "bridge.b$b.address = 10.110.$b.1/24"
		for k in 0 1 2 3; do
			echo "ns.n$((4 * b + k)).bridge = b$b"
			echo "ns.n$((4 * b + k)).address = 10.110.$b.$((k + 2))/24"
		done
	done
} >"$B"
boxnet_links() { ip -j link show | jq '[.[] | select(.ifalias == "boxnet")] | length'; }

start=$(date +%s%N)
ok "256 namespaces on one bridge: up" "$BOXNET" -c "$A" up
echo "# up: $((($(date +%s%N) - start) / 1000000)) ms"
same "256 namespaces (and the test's own)" 257 "$(ls /run/netns | wc -l)"
same "a bridge and 256 veth host ends" 257 "$(boxnet_links)"
ok "the first reaches the last" ping_ok n0 10.100.1.1
ok "the last reaches the internet" ping_ok n255 $INET_ADDR
expect_exit "up again: status is content" 0 "$BOXNET" -c "$A" status

start=$(date +%s%N)
ok "converge to 64 bridges of four namespaces" "$BOXNET" -c "$B" up
echo "# converge: $((($(date +%s%N) - start) / 1000000)) ms"
same "still 256 namespaces" 257 "$(ls /run/netns | wc -l)"
same "64 bridges and 256 veth host ends" 320 "$(boxnet_links)"
ok "n0 reaches its neighbour n3" ping_ok n0 10.110.0.5
not "n0 does not reach n4 on another bridge" ping_ok n0 10.110.1.2
ok "n255 reaches the internet" ping_ok n255 $INET_ADDR
expect_exit "status is content" 0 "$BOXNET" -c "$B" status
same "as a fresh build of the same config" "$(fresh_box "$B")" "$(snapshot)"

start=$(date +%s%N)
ok "down" "$BOXNET" -c "$B" down
echo "# down: $((($(date +%s%N) - start) / 1000000)) ms"
same "nothing of boxnet is left" "inet 0 0" "$(ls /run/netns) $(boxnet_links) $(nft list tables | wc -l)"

# ---- 512 open bridges: the table grows with the config, not with its square ----
# Each open bridge reaches every other: one set of them, not a rule per pair (264,202 rules
# before). The forward chain stays 3 rules; each bridge has its chain of 3 and a masquerade.
D=$TMP/512-open.conf
{
	echo "uplink = eth0"
	for b in $(seq 0 511); do
		echo "bridge.o$b.address = 10.$((64 + b / 256)).$((b % 256)).1/24"
		echo "bridge.o$b.isolate = no"
	done
} >"$D"
ok "512 open bridges: up" "$BOXNET" -c "$D" up
rules() { nft -j list ruleset | jq "[.nftables[] | select(.rule.table == \"boxnet\"$1)] | length"; }
same "2052 rules in all" 2052 "$(rules "")"
same "3 of them in the forward chain" 3 "$(rules " and .rule.chain == \"forward\"")"
same "open: 512 elements" 512 "$(nft -j list set inet boxnet open | jq '.nftables[1].set.elem | length')"
before=$(nft -a list ruleset)
ok "a no-op up" "$BOXNET" -c "$D" up
same "changes no nft handle" "$before" "$(nft -a list ruleset)"
ok "down" "$BOXNET" -c "$D" down
same "nothing of boxnet is left" "inet 0 0" "$(ls /run/netns) $(boxnet_links) $(nft list tables | wc -l)"

# ---- more namespaces than the 1024 files a process may open at boot ----
C=$TMP/1100.conf
{
	echo "uplink = eth0"
	for b in 0 1; do echo "bridge.br$b.address = 10.$((96 + b)).0.1/20"; done
	for i in $(seq 0 1099); do
		echo "ns.n$i.bridge = br$((i % 2))"
		echo "ns.n$i.address = 10.$((96 + i % 2)).$(((i / 2 + 2) / 256)).$(((i / 2 + 2) % 256))/20"
	done
} >"$C"
# A subshell, so that the limit stays there: 1024 open, 4096 allowed (the kernel's defaults).
ok "1100 namespaces, with 1024 files open at most: up" sh -c "ulimit -Sn 1024 && ulimit -Hn 4096 &&
	'$BOXNET' -c '$C' up && '$BOXNET' -c '$C' up"
same "1100 namespaces (and the test's own)" 1101 "$(ls /run/netns | wc -l)"
ok "the last reaches the internet" ping_ok n1099 $INET_ADDR
ok "down" sh -c "ulimit -Sn 1024 && ulimit -Hn 4096 && '$BOXNET' -c '$C' down"
same "nothing of boxnet is left" "inet 0 0" "$(ls /run/netns) $(boxnet_links) $(nft list tables | wc -l)"
done_testing
