#!/bin/bash
# wait.sh: interfaces that appear late (wait = SECONDS). A port that appears 2 s after up
# starts: with wait = 5, up waits for it (listening to link events) and builds the box; without
# wait, up stops at once, naming every missing interface, exit 1, nothing changed; with wait = 1,
# it stops after a second, naming it.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink

body='uplink = eth0
bridge.lan.address = 10.72.0.1/24
bridge.lan.ports = eth1
ns.mv.macvlan = eth5
ns.mv.address = 192.168.5.2/24'
WAIT=$(conf wait <<<"wait = 5
$body")
NOWAIT=$(conf nowait <<<"$body")
SHORT=$(conf short <<<"wait = 1
$body")
ip netns add lan5 2>/dev/null; ip link add eth5 type veth peer name eth0 netns lan5
ip link set eth5 up

before=$(snapshot)
t0=$(date +%s%N)
out=$("$BOXNET" -c "$NOWAIT" up 2>&1)
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
same "without wait: exit 1" 1 $rc
same "the missing interface named, nothing changed" "boxnet: missing interface: eth1 (the config names it; wait = SECONDS waits for them)
boxnet: nothing was changed" "$out"
[ $ms -lt 1000 ] && pass "at once ($ms ms)" || fail "at once" "took $ms ms"
same "nothing changed" "$before" "$(snapshot)"
ip link del eth5
out=$("$BOXNET" -c "$NOWAIT" up 2>&1)
same "every missing one named" "boxnet: missing interfaces: eth1 eth5 (the config names them; wait = SECONDS waits for them)
boxnet: nothing was changed" "$out"
ip netns add lan5 2>/dev/null; ip link add eth5 type veth peer name eth0 netns lan5
ip link set eth5 up

t0=$(date +%s%N)
out=$("$BOXNET" -c "$SHORT" up 2>&1)
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
same "wait = 1, never there: exit 1, named" "1 boxnet: missing interface: eth1 (the config names it; waited for wait's seconds)" "$rc $(head -1 <<<"$out")"
[ $ms -ge 900 ] && [ $ms -lt 2500 ] && pass "after about a second ($ms ms)" || fail "after about a second" "took $ms ms"
same "nothing changed" "$before" "$(snapshot)"

# The port appears 2 s after up starts.
(sleep 2; ip netns add lanhost; ip link add eth1 type veth peer name eth0 netns lanhost) &
t0=$(date +%s%N)
ok "wait = 5: up succeeds" "$BOXNET" -c "$WAIT" up
ms=$((($(date +%s%N) - t0) / 1000000))
wait
[ $ms -ge 1800 ] && [ $ms -lt 4500 ] && pass "once the port appeared ($ms ms)" || fail "once the port appeared" "took $ms ms"
same "the port is in the bridge" lan "$(ip -j link show eth1 | jq -r '.[0].master')"
ok "down" "$BOXNET" -c "$WAIT" down
done_testing
