#!/bin/bash
# vlan.sh: vlan.NAME.*. Where the kernel has no 802.1Q (this machine's), up fails naming the
# missing feature and changes nothing, and the rest says SKIP (the QEMU image tests VLANs);
# where it has, the vlan is made with its parent and id, and down removes it.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
ip netns add lanhost
ip link add eth7 type veth peer name eth0 netns lanhost
CONF=$(conf vlan <<'C'
uplink = eth0
vlan.v7.link = eth7
vlan.v7.id = 7
bridge.lan.address = 10.73.0.1/24
bridge.lan.ports = v7
C
)
if ip link add link eth7 name probe type vlan id 9 2>/dev/null; then
	ip link del probe
	ok "up" "$BOXNET" -c "$CONF" up
	same "v7: a vlan on eth7, id 7, in lan" "vlan 7 lan" \
		"$(ip -j -d link show v7 | jq -r '.[0] | "\(.linkinfo.info_kind) \(.linkinfo.info_data.id) \(.master)"')"
	expect_exit "status: nothing to change" 0 "$BOXNET" -c "$CONF" status
	ok "down" "$BOXNET" -c "$CONF" down
	same "v7 gone" "" "$(ip -j link show v7 2>/dev/null)"
else
	before=$(snapshot)
	out=$("$BOXNET" -c "$CONF" up 2>&1)
	same "no 802.1Q: up names the missing feature" "boxnet: vlan v7 ($CONF:2): cannot create vlan v7: Operation not supported (kernel: Unknown device type); the kernel lacks 802.1Q VLANs (CONFIG_VLAN_8021Q)" "$out"
	same "and changes nothing" "$before" "$(snapshot)"
	echo "ok - # SKIP this kernel has no 802.1Q VLANs (CONFIG_VLAN_8021Q): the QEMU image tests them"
fi
done_testing
