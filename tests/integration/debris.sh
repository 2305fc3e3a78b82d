#!/bin/bash
# debris.sh: what killed runs leave (an empty file in /run/netns, links in boxnet's groups,
# namespaces made but never finished) is cleaned by down, and by up, of any config; and a
# namespace boxnet did not make is never taken over, however empty.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
FB=${BOXNET_FAULTS_BIN:-$ROOT/build/faults/boxnet}
A=$(conf a <<'EOC'
bridge.bra.address = 10.70.0.1/24
ns.a1.bridge = bra
ns.a1.address = 10.70.0.2/24
ns.a2.bridge = bra
ns.a2.address = 10.70.0.3/24
ns.a3.peer = 10.71.0.1/30
ns.a3.address = 10.71.0.2/30
EOC
)
A2=$(conf a2 <<'EOC'
bridge.bra.address = 10.70.0.1/24
ns.a1.bridge = bra
ns.a1.address = 10.70.0.12/24
ns.a1.ifname = net0
ns.a2.peer = 10.72.0.1/30
ns.a2.address = 10.72.0.2/30
EOC
)
B=$(conf b <<'EOC'
ns.b1.peer = 10.80.0.1/30
ns.b1.address = 10.80.0.2/30
EOC
)
clean=$(snapshot)
ops() { BOXNET_COUNT_OPS=1 "$FB" -c "$1" "$2" 2>&1 | sed -n 's/.*test hook: \([0-9]*\) operations/\1/p'; }
killed() { sh -c 'BOXNET_KILL_AT=$1 "$2" -c "$3" "$4" >/dev/null 2>&1; exit $?' _ "$1" "$FB" "$2" "$3"; }
group_links() { ip -j link show | jq -r '.[] | select(.group == "6451064" or .group == "6451065"
	or .group == "0x626f78" or .group == "0x626f79") | .ifname'; }
# Namespaces in /run/netns whose lo does not carry this boxnet's mark (the uplink's aside).
unmarked() {
	for ns in $(ls /run/netns); do
		[ "$ns" = inet ] && continue
		ip -n "$ns" -j link show dev lo 2>/dev/null |
			jq -e --arg m "boxnet:$(stat -L -c %i /proc/self/ns/net)" '.[0].ifalias == $m' >/dev/null || echo "$ns"
	done
}

# ---- an empty file in /run/netns: a namespace's maker killed before it mounted it ----
touch /run/netns/junk
echo notes >/run/netns/notes
out=$("$BOXNET" -c "$B" down 2>&1)
same "down (of a box that is not up) removes an empty file in /run/netns, and says so" \
	"0 boxnet: note: /run/netns/junk is an empty file, no namespace on it (its maker was killed, or gone): removed" \
	"$? $out"
not "junk is gone" test -e /run/netns/junk
ok "a file with something in it is not debris: left alone" test -s /run/netns/notes
touch /run/netns/junk
ok "up removes it too" "$BOXNET" -c "$B" up
not "junk is gone" test -e /run/netns/junk
ok "and down" "$BOXNET" -c "$B" down
rm /run/netns/notes
same "the box is clean" "$clean" "$(snapshot)"

# ---- links left in boxnet's groups: parked (renamed bxgN) or born but never marked ----
ip link add bxg77 group 0x626f78 type veth peer name bxg78 group 0x626f78
ip link add bxg90 group 0x626f79 type veth peer name bxg91
ip link add mine0 type veth peer name mine1
out=$("$BOXNET" -c "$B" down 2>&1)
ok "down removes every link in boxnet's groups, for any config" test -z "$(group_links)"
ok "and says so" grep -q "interface bxg77 was left by a boxnet that was killed: removed" <<<"$out"
ok "a veth of someone else is left alone" ip link show mine0
ip link del mine0
same "the box is clean" "$clean" "$(snapshot)"

# The same, made by boxnet: a converging up (A to A2) killed midway parks links (in its
# second half); down of another config removes them.
n=$(ops "$A2" up)
"$BOXNET" -c "$A" down >/dev/null
bad=0
for k in $(seq $((n / 2)) 2 "$n"); do
	"$BOXNET" -c "$A" up >/dev/null 2>&1
	killed "$k" "$A2" up
	"$BOXNET" -c "$B" down >/dev/null 2>&1
	left=$(group_links)
	if [ -n "$left" ]; then
		fail "converging up killed at operation $k of $n, then down of another config: links left" $left
		bad=1
	fi
	"$BOXNET" -c "$A2" up >/dev/null 2>&1
	"$BOXNET" -c "$A2" down >/dev/null 2>&1
done
[ $bad = 0 ] && pass "a converging up killed at operations $((n / 2)) to $n: down of another config leaves no link in boxnet's groups"
same "the box is clean" "$clean" "$(snapshot)"

# ---- a namespace is marked before it has a name: a killed up leaves none unmarked ----
# The namespaces are made in the first half of up's operations.
n=$(ops "$A" up)
"$BOXNET" -c "$A" down >/dev/null
bad=0
for k in $(seq 1 $((n / 2))); do
	killed "$k" "$A" up
	left=$(unmarked)
	"$BOXNET" -c "$B" up >/dev/null 2>&1
	"$BOXNET" -c "$B" down >/dev/null 2>&1
	if [ -n "$left" ] || [ "$(snapshot 2>&1)" != "$clean" ]; then
		fail "up killed at operation $k of $n: unmarked namespaces: '$left'; up and down of another config: $(
			[ "$(snapshot 2>&1)" == "$clean" ] && echo clean || echo NOT clean)"
		bad=1
		for ns in $(ls /run/netns); do [ "$ns" = inet ] || ip netns del "$ns"; done
	fi
done
[ $bad = 0 ] && pass "up killed at operations 1 to $((n / 2)) of $n: every namespace in /run/netns marked; another config's up and down clean all"

# ---- a namespace boxnet did not make: never taken over ----
RED=$(conf red <<'EOC'
ns.red.peer = 10.90.0.1/30
ns.red.address = 10.90.0.2/30
EOC
)
ip netns add red
ip netns exec red sleep 300 &
pid=$!
for _ in $(seq 50); do [ -n "$(ip netns pids red)" ] && break; sleep 0.05; done
before=$(snapshot 1)
out=$("$BOXNET" -c "$RED" up 2>&1)
rc=$?
same "up with a config naming an empty namespace that ip netns add made: exit 1" 1 "$rc"
ok "the message says why" grep -q "namespace red exists and was not created by boxnet" <<<"$out"
same "nothing changed" "$before" "$(snapshot 1)"
same "its process is still in it" "$pid" "$(ip netns pids red)"
out=$("$BOXNET" -c "$RED" down 2>&1)
same "down: exit 0, and leaves it alone with a note" \
	"0 boxnet: note: namespace red was not created by boxnet: left alone" "$? $out"
ok "red is still there" ip netns exec red true
same "with its process" "$pid" "$(ip netns pids red)"
same "nothing changed" "$before" "$(snapshot 1)"
kill $pid
wait $pid 2>/dev/null
ip netns del red
done_testing
