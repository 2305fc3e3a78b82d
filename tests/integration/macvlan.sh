#!/bin/bash
# macvlan.sh: a namespace on its parent's network itself (ns.NAME.macvlan): it reaches a host
# on that network; the box itself cannot reach it through the parent (macvlan traffic to and
# from the parent's own addresses does not pass); down removes it. A parent that is up is not
# adopted; one that is down is: recorded, brought up, and down gives it back down.
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
same "eth6, up, was not adopted: no record" "" "$(ls /run/boxnet/adopted.* 2>/dev/null)"

# The parent down before up: a macvlan comes up on it but carries nothing.
ip link set eth6 down
ok "up, the parent down" "$BOXNET" -c "$CONF" up
same "eth6 is up" "true" "$(ip -j link show eth6 | jq -r '.[0].flags | index("UP") != null')"
same "eth6 recorded as boxnet found it: down" "up 0" "$(grep '^up ' /run/boxnet/adopted.*/eth6)"
ok "mv reaches the host on eth6's network" ping_ok mv 192.168.6.50
ok "the host on that network reaches mv" ping_ok lanhost 192.168.6.2
expect_exit "status: nothing to change" 0 "$BOXNET" -c "$CONF" status
same "status lists eth6 as mv's parent" "adopted eth6: parent of ns mv, on the host as eth6  ok" \
	"$("$BOXNET" -c "$CONF" status | grep '^adopted')"
same "status -j: eth6 adopted, recorded, ok" "eth6 ns mv true ok" \
	"$("$BOXNET" -c "$CONF" status -j | jq -r '.adopted[] | "\(.name) \(.owner.kind) \(.owner.name) \(.recorded) \(.state)"')"
ip link set eth6 down
expect_exit "status: eth6 taken down is a change" 3 "$BOXNET" -c "$CONF" status
ok "up brings it up again" "$BOXNET" -c "$CONF" up
same "eth6 is up, its record still the first" "true up 0" \
	"$(ip -j link show eth6 | jq -r '.[0].flags | index("UP") != null') $(grep '^up ' /run/boxnet/adopted.*/eth6)"
ok "down" "$BOXNET" -c "$CONF" down
same "down gave eth6 back down" "false" "$(ip -j link show eth6 | jq -r '.[0].flags | index("UP") != null')"
same "and dropped its record" "" "$(ls /run/boxnet/adopted.*/ 2>/dev/null)"

# An up whose config no longer names the parent gives it back.
ok "up, the parent down, again" "$BOXNET" -c "$CONF" up
NOMV=$(conf nomv <<'C'
uplink = eth0
C
)
ok "up without mv" "$BOXNET" -c "$NOMV" up
same "eth6 given back down, its record gone" "false " \
	"$(ip -j link show eth6 | jq -r '.[0].flags | index("UP") != null') $(ls /run/boxnet/adopted.*/ 2>/dev/null)"

# plan | sh does the same: the parent recorded and brought up only because it is down. The
# plan reads it in /sys/class/net: that of this namespace.
mount -t sysfs sysfs /sys
ok "plan | sh, the parent down" sh -c "'$BOXNET' -c '$CONF' plan | sh -e"
same "eth6 up, recorded down" "true up 0" \
	"$(ip -j link show eth6 | jq -r '.[0].flags | index("UP") != null') $(grep '^up ' /run/boxnet/adopted.*/eth6)"
expect_exit "status agrees with what plan | sh built" 0 "$BOXNET" -c "$CONF" status
ok "down" "$BOXNET" -c "$CONF" down
same "eth6 down again, no record" "false " \
	"$(ip -j link show eth6 | jq -r '.[0].flags | index("UP") != null') $(ls /run/boxnet/adopted.*/ 2>/dev/null)"

# The config moves mv to another parent, eth7, whose far end is lanhost7: up makes the macvlan
# anew there (a macvlan on the wrong parent is not as configured).
ip netns add lanhost7
ip link add eth7 type veth peer name eth0 netns lanhost7
ip link set eth7 up
ip -n lanhost7 addr add 192.168.6.57/24 dev eth0
ip -n lanhost7 link set eth0 up
SEVEN=$(sed 's/eth6/eth7/' "$CONF" | conf seven)
ok "up on eth6" "$BOXNET" -c "$CONF" up
same "status -j: mv differs, on eth6" "different" \
	"$("$BOXNET" -c "$SEVEN" -j status | jq -r '.objects[] | select(.name == "mv") | .state')"
ok "up with eth7 as the parent" "$BOXNET" -c "$SEVEN" up
same "mv's eth0 is a macvlan on eth7" "macvlan $(ip -j link show eth7 | jq '.[0].ifindex')" \
	"$(ip -n mv -j -d link show eth0 | jq -r '.[0] | "\(.linkinfo.info_kind) \(.link_index)"')"
ok "mv reaches the host on eth7" ping_ok mv 192.168.6.57
same "eth6, no longer named, given back down" "false " \
	"$(ip -j link show eth6 | jq -r '.[0].flags | index("UP") != null') $(ls /run/boxnet/adopted.*/eth6 2>/dev/null)"
expect_exit "status: nothing to change" 0 "$BOXNET" -c "$SEVEN" status
ok "down" "$BOXNET" -c "$SEVEN" down
done_testing
