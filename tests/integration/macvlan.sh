#!/bin/bash
# macvlan.sh: a namespace on its parent's network itself (ns.NAME.macvlan): it reaches a host
# on that network; the box itself cannot reach it through the parent (macvlan traffic to and
# from the parent's own addresses does not pass); down removes it.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
# eth6: the parent, with the host's own address on the LAN; lanhost on its far end.
ip netns add lanhost
ip link add eth6 type veth peer name eth0 netns lanhost
ip addr add 192.168.6.1/24 dev eth6
ip link set eth6 up
ip -n lanhost addr add 192.168.6.50/24 dev eth0
ip -n lanhost link set eth0 up
CONF=$(conf mv <<'C'
uplink = eth0
ns.mv.macvlan = eth6
ns.mv.address = 192.168.6.2/24
ns.mv.gateway = 192.168.6.50
C
)
ok "up" "$BOXNET" -c "$CONF" up
same "a macvlan eth0 in mv, on eth6, mode bridge, boxnet's" "macvlan bridge true true" \
	"$(ip -n mv -j -d link show eth0 | jq -r '.[0] | "\(.linkinfo.info_kind) \(.linkinfo.info_data.mode) \(.link_netnsid != null) \(.ifalias | startswith("boxnet:"))"')"
ok "mv reaches a host on eth6's network" ping_ok mv 192.168.6.50
ok "the host on that network reaches mv" ping_ok lanhost 192.168.6.2
not "the box cannot reach mv through the parent" ping -c 1 -W 1 192.168.6.2
expect_exit "status: nothing to change" 0 "$BOXNET" -c "$CONF" status
ok "down" "$BOXNET" -c "$CONF" down
same "no namespace mv" "" "$(ls /run/netns | grep mv)"
same "eth6 untouched" "192.168.6.1 true" "$(ip -j addr show eth6 | jq -r '.[0] | "\(.addr_info[0].local) \(.flags | index("UP") != null)"')"

# The macvlan is born in mv as bxborn and then named eth0 there: kernels before 6.14 look a new
# link's name up where the request comes from, the host, whose eth0 would clash. A kill between
# the two leaves a bxborn in mv: the next up removes it and makes eth0 anew.
ok "up again" "$BOXNET" -c "$CONF" up
same "the plan says so: born as bxborn, then named eth0" "ip link add link eth6 name bxborn netns mv type macvlan mode bridge
ip -n mv link set dev bxborn name eth0" "$("$BOXNET" -c "$CONF" plan | grep -F bxborn)"
ip -n mv link set eth0 name bxborn
expect_exit "status: a bxborn left in mv is a change" 3 "$BOXNET" -c "$CONF" status
ok "up after a kill between birth and naming" "$BOXNET" -c "$CONF" up
same "mv has its macvlan eth0 and no bxborn" "eth0 macvlan" \
	"$(ip -n mv -j -d link show | jq -r '.[] | select(.ifname != "lo") | "\(.ifname) \(.linkinfo.info_kind)"')"
ok "mv reaches the host on eth6's network again" ping_ok mv 192.168.6.50

# The config moves mv to another parent, eth7, whose far end is lanhost7: up makes the macvlan
# anew there (a macvlan on the wrong parent is not as configured).
ip netns add lanhost7
ip link add eth7 type veth peer name eth0 netns lanhost7
ip link set eth7 up
ip -n lanhost7 addr add 192.168.6.57/24 dev eth0
ip -n lanhost7 link set eth0 up
SEVEN=$(sed 's/eth6/eth7/' "$CONF" | conf seven)
same "status -j: mv differs, on eth6" "different" \
	"$("$BOXNET" -c "$SEVEN" -j status | jq -r '.objects[] | select(.name == "mv") | .state')"
ok "up with eth7 as the parent" "$BOXNET" -c "$SEVEN" up
same "mv's eth0 is a macvlan on eth7" "macvlan $(ip -j link show eth7 | jq '.[0].ifindex')" \
	"$(ip -n mv -j -d link show eth0 | jq -r '.[0] | "\(.linkinfo.info_kind) \(.link_index)"')"
ok "mv reaches the host on eth7" ping_ok mv 192.168.6.57
expect_exit "status: nothing to change" 0 "$BOXNET" -c "$SEVEN" status
ok "down" "$BOXNET" -c "$SEVEN" down
done_testing
