#!/bin/bash
# ports.sh: bridge ports (bridge.NAME.ports). Physical LAN ports are simulated by veth pairs
# whose far ends sit in "LAN host" namespaces the test makes. The LAN host reaches the bridge's
# address, the internet through NAT and a namespace on the bridge; drift of a port is repaired
# by up; down, and an up whose config drops a port, give each port back exactly as it was
# (master, state, MTU, name, namespace).
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink

# lanhost on eth1 (down, MTU 1450 before boxnet), lanhost2 on eth2 (up, in a bridge of the
# machine's own, oldbr).
ip netns add lanhost
ip link add eth1 type veth peer name eth0 netns lanhost
ip link set eth1 mtu 1450
ip -n lanhost link set eth0 mtu 1450 up
ip -n lanhost link set lo up
ip -n lanhost addr add 10.70.0.50/24 dev eth0
ip -n lanhost route add default via 10.70.0.1
ip netns add lanhost2
ip link add eth2 type veth peer name eth0 netns lanhost2
ip link add oldbr type bridge
ip link set eth2 master oldbr up
ip -n lanhost2 link set eth0 up
ip -n lanhost2 addr add 10.70.0.51/24 dev eth0

CONF=$(conf ports <<'C'
uplink = eth0
bridge.lan.address = 10.70.0.1/24
bridge.lan.ports = eth1 eth2
ns.web.bridge = lan
ns.web.address = 10.70.0.2/24
C
)
ONE=$(conf one <<'C'
uplink = eth0
bridge.lan.address = 10.70.0.1/24
bridge.lan.ports = eth1
ns.web.bridge = lan
ns.web.address = 10.70.0.2/24
C
)
MTU=$(conf mtu <<'C'
uplink = eth0
bridge.lan.address = 10.70.0.1/24
bridge.lan.mtu = 1400
bridge.lan.ports = eth1 eth2
C
)

# A port as ip -j shows it: name, index, namespace (the host's), master, up, MTU.
port() {
	ip -j link show dev "$1" 2>/dev/null | jq -c '.[0] | {ifname, ifindex, master, up: (.flags | index("UP") != null), mtu}'
}
ports() { port eth1; port eth2; }
records() { ls /run/boxnet/adopted.* 2>/dev/null | grep -v : | sort | tr '\n' ' '; }
INUM=$(stat -L -c %i /proc/self/ns/net)

before=$(ports)
ok "up" "$BOXNET" -c "$CONF" up
same "both ports in lan, up; eth1 keeps its MTU" '{"ifname":"eth1","master":"lan","up":true,"mtu":1450}
{"ifname":"eth2","master":"lan","up":true,"mtu":1500}' "$(ports | jq -c 'del(.ifindex)')"
same "the bridge takes the first port's address" "$(ip -j link show eth1 | jq -r '.[0].address')" \
	"$(ip -j link show lan | jq -r '.[0].address')"
same "a record per port, in adopted.INUM" "eth1 eth2 " "$(records)"
same "eth1's record: how boxnet found it" "index $(ip -j link show eth1 | jq -r '.[0].ifindex')
mac $(ip -j link show eth1 | jq -r '.[0].address')
master none
mtu 1450
up 0
ns none" "$(cat /run/boxnet/adopted.$INUM/eth1)"
same "eth2's record names its old master" "master oldbr" "$(grep master /run/boxnet/adopted.$INUM/eth2)"
not "no mark on a port" sh -c "ip -j link show eth1 | jq -e '.[0].ifalias'"

ok "the LAN host reaches the bridge's address" ping_ok lanhost 10.70.0.1
ok "the LAN host reaches a namespace on the bridge" ping_ok lanhost 10.70.0.2
ok "the second LAN host reaches the namespace" ping_ok lanhost2 10.70.0.2
ok "the LAN host reaches the internet" ping_ok lanhost $INET_ADDR
same "through NAT: the internet sees the uplink's address" $UPLINK_ADDR "$(seen_source inet lanhost $INET_ADDR)"
expect_exit "status: nothing to change" 0 "$BOXNET" -c "$CONF" status
# status lists each adopted port: where ip -j sees it, and ok.
adopted() { "$BOXNET" -c "${2:-$CONF}" status -j 2>/dev/null | jq -c --arg n "$1" '.adopted[] | select(.name == $n) | {interface, master, namespace, recorded, state, owner: .owner.name}'; }
same "status -j: eth1 adopted, in the bridge ip -j shows" \
	"{\"interface\":\"eth1\",\"master\":\"$(port eth1 | jq -r .master)\",\"namespace\":null,\"recorded\":true,\"state\":\"ok\",\"owner\":\"lan\"}" \
	"$(adopted eth1)"
same "status -j: eth2 too" "lan ok" "$(adopted eth2 | jq -r '"\(.master) \(.state)"')"
same "status -j: one entry per port" "eth1 eth2" "$("$BOXNET" -c "$CONF" status -j | jq -r '[.adopted[].name] | join(" ")')"
same "status: a line per port" "adopted eth1: port of bridge lan, on the host as eth1, in bridge lan  ok
adopted eth2: port of bridge lan, on the host as eth2, in bridge lan  ok" "$("$BOXNET" -c "$CONF" status | grep ^adopted)"
same "show: a line per port, after the segments" "adopted eth1: port of bridge lan, on the host as eth1, in bridge lan  ok
adopted eth2: port of bridge lan, on the host as eth2, in bridge lan  ok" "$("$BOXNET" -c "$CONF" show | tail -2)"
same "status with a config that drops eth2: eth2 to be given back" "null different" \
	"$(adopted eth2 "$ONE" | jq -r '"\(.owner) \(.state)"')"
state=$(snapshot)
ok "up again" "$BOXNET" -c "$CONF" up
same "changes nothing" "$state" "$(snapshot)"

# Drift: a port out of the bridge, another's MTU changed, a third down.
ip link set eth1 nomaster
ip link set eth2 mtu 1300
expect_exit "status sees the drift" 3 "$BOXNET" -c "$CONF" status
same "status -j: the bridge differs" different \
	"$("$BOXNET" -c "$CONF" -j status | jq -r '.objects[] | select(.kind == "bridge") | .state')"
same "status -j: eth1 out of the bridge, as ip -j shows" "null different" "$(adopted eth1 | jq -r '"\(.master) \(.state)"')"
same "status -j: eth2's MTU differs" "different" "$(adopted eth2 | jq -r .state)"
ok "status: says what up does to eth1, after the script, as a comment" grep -q "^# adopted eth1: .*  different: " <<<"$("$BOXNET" -c "$CONF" status)"
ok "show: says it too" grep -q "^adopted eth1: .*  different: set up interface eth1 on bridge lan" <<<"$("$BOXNET" -c "$CONF" show)"
ok "up repairs it" "$BOXNET" -c "$CONF" up
same "ports back in lan, MTU as before boxnet" '{"ifname":"eth1","master":"lan","up":true,"mtu":1450}
{"ifname":"eth2","master":"lan","up":true,"mtu":1500}' "$(ports | jq -c 'del(.ifindex)')"
same "the records keep the first state" "mtu 1450
up 0" "$(grep -E '^(mtu|up)' /run/boxnet/adopted.$INUM/eth1)"
expect_exit "status: converged" 0 "$BOXNET" -c "$CONF" status
ok "the LAN host reaches the internet again" ping_ok lanhost $INET_ADDR

# A port dropped from the config: given back, the other stays.
ok "up without eth2" "$BOXNET" -c "$ONE" up
same "eth2 back in oldbr, as before" "$(port eth2)" "$(echo "$before" | sed -n 2p)"
same "eth1 stays" "lan" "$(port eth1 | jq -r .master)"
same "eth2's record gone" "eth1 " "$(records)"
ok "up with eth2 again" "$BOXNET" -c "$CONF" up

# The bridge's MTU, set, goes to its ports; down gives their own back.
ok "up with bridge.lan.mtu = 1400" "$BOXNET" -c "$MTU" up
same "both ports take it" "1400 1400" "$(port eth1 | jq .mtu) $(port eth2 | jq .mtu)"

ok "down" "$BOXNET" -c "$MTU" down
same "each port exactly as before" "$before" "$(ports)"
same "no record left" "" "$(records)"
same "no bridge left" "" "$(ip -j link show lan 2>/dev/null)"

# Rerun safe: up twice, down twice.
ok "up" "$BOXNET" -c "$CONF" up
ok "up again" "$BOXNET" -c "$CONF" up
ok "down" "$BOXNET" -c "$CONF" down
ok "down again" "$BOXNET" -c "$CONF" down
same "the ports as before, again" "$before" "$(ports)"
same "and no record left, nor their directory" "" "$(ls -d /run/boxnet/adopted.* 2>/dev/null)"

# A failed up leaves the ports as they were: each operation of a fresh up failing in turn
# (the fault-injection build, make faults), with a port in a bridge of its own before.
FB=${BOXNET_FAULTS_BIN:-$ROOT/build/faults/boxnet}
if [ -x "$FB" ]; then
	clean=$(snapshot)
	bad=0
	for k in $(seq 1 60); do
		out=$(BOXNET_FAIL_AT=$k "$FB" -c "$CONF" up 2>&1) && break
		if [ "$(ports)" != "$before" ] || [ -n "$(records)" ] || [ "$(snapshot)" != "$clean" ]; then
			fail "operation $k of up failing: the ports or the box changed" "$out"
			bad=1
			break
		fi
	done
	[ $bad = 0 ] && pass "each of the $((k - 1)) operations of up failing in turn left the ports as before"
	[ $k -gt 10 ] || fail "only $((k - 1)) operations were reached"
	# And a failed down leaves the box up, the ports in it, their records kept.
	built=$(snapshot) inports=$(ports) recs=$(records)
	bad=0
	for k in $(seq 1 60); do
		out=$(BOXNET_FAIL_AT=$k "$FB" -c "$CONF" down 2>&1) && break
		if [ "$(ports)" != "$inports" ] || [ "$(records)" != "$recs" ] || [ "$(snapshot)" != "$built" ]; then
			fail "operation $k of down failing: the ports or the box changed" "$out"
			diff <(echo "$built") <(snapshot) | head -10 | sed 's/^/#   /'
			bad=1
			break
		fi
	done
	[ $bad = 0 ] && pass "each of the $((k - 1)) operations of down failing in turn left the box up"
	"$BOXNET" -c "$CONF" down >/dev/null 2>&1
	same "the ports as before" "$before" "$(ports)"
else
	echo "ok - # SKIP no fault-injection build (make faults)"
fi
done_testing
