#!/bin/bash
# nslink.sh: a namespace that owns an interface of the host (ns.NAME.link), simulated by a veth
# whose far end sits in a "LAN" namespace the test makes: moved in and renamed, addressed,
# reaching its LAN; given back under its old name with its old settings on down and when the
# config drops the namespace; its record survives reruns; a veth destroyed with a namespace
# deleted behind boxnet's back leaves nothing to give back, and up says it is missing.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink

mklan() {
	ip netns add lan9
	ip link add eth3 type veth peer name eth0 netns lan9
	ip link set eth3 mtu 1400 up
	ip -n lan9 link set eth0 mtu 1400 up
	ip -n lan9 link set lo up
	ip -n lan9 addr add 192.168.9.1/24 dev eth0
}
mklan
CONF=$(conf link <<'C'
uplink = eth0
bridge.lan.address = 10.71.0.1/24
ns.mgmt.link = eth3
ns.mgmt.address = 192.168.9.2/24
ns.mgmt.gateway = 192.168.9.1
C
)
NONE=$(conf none <<'C'
uplink = eth0
bridge.lan.address = 10.71.0.1/24
C
)
INUM=$(stat -L -c %i /proc/self/ns/net)
# The interface as ip -j shows it, wherever it is: namespace, name, MTU, up, master.
where() {
	local ns
	for ns in "" $(ls /run/netns); do
		ip ${ns:+-n $ns} -j link show | jq -c --arg ns "${ns:-host}" --arg mac "$MAC" \
			'.[] | select(.address == $mac) | {ns: $ns, ifname, mtu, up: (.flags | index("UP") != null), master}'
	done
}
MAC=$(ip -j link show eth3 | jq -r '.[0].address')
before=$(where)
# each_failing CMD [CONF]: each operation of CMD failing in turn (the fault-injection build) leaves the
# box and the interface as they were; ends at the run that had no such operation.
FB=${BOXNET_FAULTS_BIN:-$ROOT/build/faults/boxnet}
each_failing() {
	local start at k out
	start=$(snapshot) at=$(where)
	for k in $(seq 1 60); do
		out=$(BOXNET_FAIL_AT=$k "$FB" -c "${2:-$CONF}" "$1" 2>&1) && break
		if [ "$(where)" != "$at" ] || [ "$(snapshot)" != "$start" ]; then
			fail "operation $k of $1 failing: the box changed" "$out"
			diff <(echo "$start") <(snapshot) | head -10 | sed 's/^/#   /'
			return
		fi
	done
	pass "each of the $((k - 1)) operations of $1 failing in turn left the box as before"
}

ok "up" "$BOXNET" -c "$CONF" up
same "eth3 is eth0 in mgmt, up, its MTU kept" '{"ns":"mgmt","ifname":"eth0","mtu":1400,"up":true,"master":null}' "$(where)"
same "its address" "192.168.9.2/24" "$(ip -n mgmt -j -4 addr show dev eth0 | jq -r '.[0].addr_info[0] | "\(.local)/\(.prefixlen)"')"
same "its default route, boxnet's" "192.168.9.1 98" "$(ip -n mgmt -j route show default | jq -r '.[0] | "\(.gateway) \(.protocol)"')"
ok "mgmt reaches its LAN" ping_ok mgmt 192.168.9.1
same "the record: how boxnet found it, and where it went" "mtu 1400
up 1
ns mgmt" "$(grep -E '^(mtu|up|ns)' /run/boxnet/adopted.$INUM/eth3)"
expect_exit "status: nothing to change" 0 "$BOXNET" -c "$CONF" status
same "status -j: mgmt ok" ok "$("$BOXNET" -c "$CONF" -j status | jq -r '.objects[] | select(.name == "mgmt") | .state')"
adopted() { "$BOXNET" -c "$CONF" status -j 2>/dev/null | jq -c '.adopted[] | {name, interface, namespace, master, recorded, state, owner: "\(.owner.kind) \(.owner.name)"}'; }
same "status -j: eth3 adopted, in mgmt as eth0, as ip -j shows" \
	"{\"name\":\"eth3\",\"interface\":\"$(where | jq -r .ifname)\",\"namespace\":\"$(where | jq -r .ns)\",\"master\":null,\"recorded\":true,\"state\":\"ok\",\"owner\":\"ns mgmt\"}" \
	"$(adopted)"
same "status: its line" "adopted eth3: link of ns mgmt, in namespace mgmt as eth0  ok" "$("$BOXNET" -c "$CONF" status | grep ^adopted)"
rec=$(cat /run/boxnet/adopted.$INUM/eth3)
ip -n mgmt link set eth0 down
same "status -j: eth0 taken down by hand: eth3 differs" "different" "$(adopted | jq -r .state)"
ok "up again (eth0 taken down by hand)" "$BOXNET" -c "$CONF" up
same "up again: it is up" true "$(where | jq .up)"
same "the record survives reruns unchanged" "$rec" "$(cat /run/boxnet/adopted.$INUM/eth3)"

# Renamed by hand in its namespace: found there by its record's address and named back, down
# first (the kernel renames no link that is up), its addresses kept.
ip -n mgmt link set eth0 down
ip -n mgmt link set eth0 name mgmt0
same "status: renamed in mgmt, to be named back there" "# adopted eth3: link of ns mgmt, in namespace mgmt as mgmt0  different: rename interface mgmt0 to eth0 in namespace mgmt; set up interface eth0 in namespace mgmt" \
	"$("$BOXNET" -c "$CONF" status | grep adopted)"
same "plan: the commands" "ip -n mgmt link set dev mgmt0 down
ip -n mgmt link set dev mgmt0 name eth0" "$("$BOXNET" -c "$CONF" status | grep '^ip .*mgmt0')"
[ -x "$FB" ] && each_failing up
ok "up names it back" "$BOXNET" -c "$CONF" up
same "eth3 is eth0 in mgmt again, up, its MTU kept" '{"ns":"mgmt","ifname":"eth0","mtu":1400,"up":true,"master":null}' "$(where)"
same "its address" "192.168.9.2/24" "$(ip -n mgmt -j -4 addr show dev eth0 | jq -r '.[0].addr_info[0] | "\(.local)/\(.prefixlen)"')"
ok "mgmt reaches its LAN again" ping_ok mgmt 192.168.9.1
expect_exit "status: nothing to change" 0 "$BOXNET" -c "$CONF" status

ok "down" "$BOXNET" -c "$CONF" down
same "eth3 back on the host as before" "$before" "$(where)"
same "no record" "" "$(ls /run/boxnet/adopted.$INUM 2>/dev/null)"
same "no namespace mgmt" "" "$(ls /run/netns | grep mgmt)"

# The namespace dropped from the config: given back by up, then the namespace goes.
ok "up" "$BOXNET" -c "$CONF" up
same "status -j with a config without mgmt: eth3 listed, to be given back" "eth3 mgmt null different" \
	"$("$BOXNET" -c "$NONE" status -j | jq -r '.adopted[] | "\(.name) \(.namespace) \(.owner) \(.state)"')"
ok "up without mgmt" "$BOXNET" -c "$NONE" up
same "eth3 back on the host as before" "$before" "$(where)"
same "no record" "" "$(ls /run/boxnet/adopted.$INUM 2>/dev/null)"
ok "down" "$BOXNET" -c "$NONE" down

# mgmt deleted behind boxnet's back: a veth dies with it (a real NIC would come back; the
# QEMU test covers that).
ok "up" "$BOXNET" -c "$CONF" up
ip netns delete mgmt
for _ in $(seq 50); do ip -n lan9 link show eth0 >/dev/null 2>&1 || break; sleep 0.1; done
out=$("$BOXNET" -c "$CONF" up 2>&1)
same "up: the link is missing, nothing changed" "boxnet: interface eth3, the link of namespace mgmt, is missing
boxnet: nothing was changed" "$out"
out=$("$BOXNET" -c "$CONF" down 2>&1)
same "down: nothing to give back, said" "boxnet: note: interface eth3, adopted by boxnet, is gone (a veth goes with its namespace): its record is dropped" "$out"
same "the record dropped" "" "$(ls /run/boxnet/adopted.$INUM 2>/dev/null)"
ip netns delete lan9
mklan
MAC=$(ip -j link show eth3 | jq -r '.[0].address')
before=$(where)

# The config gives mgmt another link, eth5 (down, MTU 1450): up gives eth3 back first, then
# moves eth5 in under the name eth3 had there; each of its operations failing in turn leaves
# eth3 in mgmt as it was.
ip link add eth5 mtu 1450 type veth peer name eth5-far
MAC5=$(ip -j link show eth5 | jq -r '.[0].address')
FIVE=$(sed 's/eth3/eth5/' "$CONF" | conf five)
"$BOXNET" -c "$CONF" up >/dev/null
same "status: eth5 to be moved in, eth3 to be given back" "# adopted eth5: link of ns mgmt, on the host as eth5  different: move interface eth5 into namespace mgmt as eth0; set up interface eth0 in namespace mgmt
# adopted eth3: no longer configured, in namespace mgmt as eth0  different: give interface eth3 back as boxnet found it in namespace mgmt" \
	"$("$BOXNET" -c "$FIVE" status | grep '^# adopted')"
[ -x "$FB" ] && each_failing up "$FIVE"
ok "up with eth5 as mgmt's link" "$BOXNET" -c "$FIVE" up
same "eth3 back on the host as before" "$before" "$(where)"
same "eth5 is eth0 in mgmt, up, with its MTU" "eth0 $MAC5 1450 true" \
	"$(ip -n mgmt -j link show eth0 | jq -r '.[0] | "\(.ifname) \(.address) \(.mtu) \(.flags | index("UP") != null)"')"
same "with mgmt's address" "192.168.9.2/24" "$(ip -n mgmt -j -4 addr show dev eth0 | jq -r '.[0].addr_info[0] | "\(.local)/\(.prefixlen)"')"
same "one record, eth5's" "eth5" "$(ls /run/boxnet/adopted.$INUM)"
ok "down" "$BOXNET" -c "$FIVE" down
same "eth5 back on the host: down, MTU 1450" "eth5 1450 false" \
	"$(ip -j link show eth5 | jq -r '.[0] | "\(.ifname) \(.mtu) \(.flags | index("UP") != null)"')"
ip link del eth5

# Each operation of up, then of down, failing in turn: the box as before.
if [ -x "$FB" ]; then
	each_failing up
	"$BOXNET" -c "$CONF" up >/dev/null
	each_failing down
	same "after the last down, eth3 as before" "$before" "$(where)"
else
	echo "ok - # SKIP no fault-injection build (make faults)"
fi
done_testing
