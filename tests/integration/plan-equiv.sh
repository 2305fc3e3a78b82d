#!/bin/bash
# plan-equiv.sh: for each config in tests/plan, `boxnet plan | sh` in one fresh box and
# `boxnet up` in another build the same box, as iproute2 and nft see it. A config's "physical"
# interfaces (bridge ports, namespaces' links, macvlan parents) are made first in both, as
# veth pairs with fixed addresses (the far ends stay on the host, down; this kernel may have no
# dummy driver), so that both boxes adopt the same ones.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"

# by_plan CONF [SETUP]: build CONF in a fresh sandbox (SETUP run after the fake uplink) by
# running the plan; print the state, then down's. A plan that fails prints nothing, which sh
# runs happily: pipefail catches it.
by_plan() {
	unshare -m -n --propagation private env BOXNET_SANDBOX=1 bash -c '
		. "$1"
		sandbox
		# The plan reads adopted interfaces in /sys/class/net: that of this namespace.
		mount -t sysfs sysfs /sys
		fake_uplink
		eval "$3"
		set -o pipefail
		"$BOXNET" -c "$2" plan | sh -e || echo "== plan FAILED"
		echo "== adopted"
		cat /run/boxnet/adopted.*/* 2>/dev/null
		snapshot
		"$BOXNET" -c "$2" down || echo "== down FAILED"
		echo "== after down"
		ls /run/boxnet/adopted.*/* 2>/dev/null
		snapshot' _ "$ROOT/tests/lib.sh" "$1" "${2:-}" 2>&1
}
# by_up CONF [SETUP]: the same with up.
by_up() {
	unshare -m -n --propagation private env BOXNET_SANDBOX=1 bash -c '
		. "$1"
		sandbox
		# The plan reads adopted interfaces in /sys/class/net: that of this namespace.
		mount -t sysfs sysfs /sys
		fake_uplink
		eval "$3"
		"$BOXNET" -c "$2" up || echo "== up FAILED"
		echo "== adopted"
		cat /run/boxnet/adopted.*/* 2>/dev/null
		snapshot
		"$BOXNET" -c "$2" down || echo "== down FAILED"
		echo "== after down"
		ls /run/boxnet/adopted.*/* 2>/dev/null
		snapshot' _ "$ROOT/tests/lib.sh" "$1" "${2:-}" 2>&1
}

# ports CONF: the commands that make CONF's physical interfaces (not the uplink, not its
# vlans): veth ends, the first down with MTU 1400, the others up, each with its own address.
ports() {
	local i=0 n
	for n in $(sed -nE 's/^[[:space:]]*(bridge\.[^.]+\.ports|ns\.[^.]+\.(link|macvlan))[[:space:]]*=(.*)/\3/p' "$1" | tr ' \t' '\n\n' | sort -u); do
		[ "$n" = eth0 ] || grep -qE "^[[:space:]]*vlan\.$n\." "$1" && continue
		i=$((i + 1))
		echo "ip link add $n address 02:42:00:00:00:0$i type veth peer name far-$n address 02:42:00:00:01:0$i"
		[ $i = 1 ] && echo "ip link set $n mtu 1400" || echo "ip link set $n up"
	done
}

# A kernel without 802.1Q (this machine's) cannot build a config with vlans: the QEMU vlan
# scenario compares plan | sh and up there.
ip link add probe0 type veth peer name probe1
vlans=no
ip link add link probe0 name probe2 type vlan id 9 2>/dev/null && vlans=yes
ip link del probe0
# Nor, on this machine, flowtables: a config with offload = yes is left to the QEMU offload
# scenario.
flowtables=no
ip link add probe0 type veth peer name probe1 && nft -f - 2>/dev/null <<'EOF2' && flowtables=yes
table inet ftprobe {
	flowtable f {
		hook ingress priority filter
		devices = { probe0 }
	}
}
EOF2
nft delete table inet ftprobe 2>/dev/null
ip link del probe0

declare -A built
for f in "$ROOT"/tests/plan/*.conf "$ROOT"/examples/*.conf; do
	name=$(basename "$f" .conf)
	# This kernel lacks 802.1Q: a WAN on a vlan (examples/edge.conf) is built untagged; a
	# config with other vlans is left to the QEMU vlan scenario.
	if [ $vlans = no ] && grep -q '^vlan\.' "$f"; then
		f=$(untagged "$f")
		if grep -q '^vlan\.' "$f"; then
			echo "skip - $name: this kernel has no 802.1Q VLANs (the QEMU vlan scenario tests plan | sh with them)"
			continue
		fi
	fi
	if [ $flowtables = no ] && grep -q '^offload = yes' "$f"; then
		echo "skip - $name: this kernel has no flowtables (the QEMU offload scenario tests plan | sh with them)"
		continue
	fi
	by_plan=$(by_plan "$f" "$(ports "$f")")
	by_up=$(by_up "$f" "$(ports "$f")")
	built[$name]=$(sed '/^== after down$/,$d' <<<"$by_up")
	ok "$name: the box is not empty" grep -q "boxnet" <<<"${built[$name]}"
	same "$name: plan | sh and up build the same box, and down takes either away alike" "$by_plan" "$by_up"
done

# An uplink whose accept_ra is already 2 (set so by its admin): neither way of building changes
# it or notes it as raised, and down leaves it 2.
f=$ROOT/tests/plan/dualstack.conf
by_plan=$(by_plan "$f" "echo 2 >/proc/sys/net/ipv6/conf/eth0/accept_ra")
by_up=$(by_up "$f" "echo 2 >/proc/sys/net/ipv6/conf/eth0/accept_ra")
same "dualstack, accept_ra already 2: plan | sh and up build the same box, and down takes either away alike" \
	"$by_plan" "$by_up"
same "dualstack, accept_ra already 2: up and down leave it 2" "== eth0 accept_ra 2
== eth0 accept_ra 2" "$(grep '^== eth0 accept_ra' <<<"$by_up")"
same "dualstack, accept_ra already 2: plan | sh and down leave it 2" "== eth0 accept_ra 2
== eth0 accept_ra 2" "$(grep '^== eth0 accept_ra' <<<"$by_plan")"

# The dual-stack box: the dumps compared above hold its IPv6 objects, as the config says.
# section WHAT: the lines of the dump under "== WHAT".
section() { awk -v h="== $1" '/^== / {on = ($0 == h)} on && !/^== /' <<<"${built[dualstack]}"; }
has() { grep -qF -- "$2" <<<"$(section "$1")"; }
ok "dualstack: the bridge has its IPv6 address, without DAD" \
	has host '{"dev":"lan","local":"fd00:30::1","prefixlen":64,"broadcast":null,"scope":"global","nodad":true}'
ok "dualstack: the IPv6-only bridge has its address" has host '{"dev":"lab","local":"fd00:40::1","prefixlen":64,'
ok "dualstack: the peer's host end has its IPv6 address" has host '{"dev":"bx-vpn","local":"fd00:1::1","prefixlen":64,'
ok "dualstack: the kernel's route to the bridge's IPv6 subnet" has host '{"dst":"fd00:30::/64","dev":"lan","protocol":"kernel"'
ok "dualstack: web has its IPv4 address" has "netns web" '{"dev":"eth0","local":"172.30.0.2","prefixlen":24,'
ok "dualstack: web has its IPv6 address" has "netns web" '{"dev":"eth0","local":"fd00:30::2","prefixlen":64,'
ok "dualstack: web's IPv6 default route via the bridge, boxnet's" \
	has "netns web" '{"dst":"default","gateway":"fd00:30::1","dev":"eth0","protocol":"98"'
ok "dualstack: app's IPv6 default route via its given gateway" \
	has "netns app" '{"dst":"default","gateway":"fd00:30::1","dev":"eth0","protocol":"98"'
ok "dualstack: lab1 (IPv6 only) has an IPv6 default route on net0" \
	has "netns lab1" '{"dst":"default","gateway":"fd00:40::1","dev":"net0","protocol":"98"'
not "dualstack: lab1 (IPv6 only) has no IPv4 default route" has "netns lab1" '"gateway":"172.'
ok "dualstack: vpn's IPv6 default route via the peer's host end" \
	has "netns vpn" '{"dst":"default","gateway":"fd00:1::1","dev":"eth0","protocol":"98"'
ok "dualstack: one inet table" has nft '{"table":{"family":"inet","name":"boxnet"}}'
not "dualstack: no ip table" has nft '{"table":{"family":"ip","name":"boxnet"}}'
# masquerade = yes on lan: both families; no on lab; ipv4 on vpn.
same "dualstack: the masquerade rules, per family" "ip 172.30.0.0/24
ip6 fd00:30::/64
ip 10.30.0.0/30" "$(section nft | grep "^{" | jq -r 'select(.rule.chain == "postrouting") | .rule.expr
	| select(any(has("masquerade"))) | .[0].match | "\(.left.payload.protocol) \(.right.prefix.addr)/\(.right.prefix.len)"')"
ok "dualstack: IPv6 forwarding on, noted with the uplink whose accept_ra was raised" \
	grep -qx "== ipv6 forwarding 1 note: on eth0" <<<"${built[dualstack]}"
ok "dualstack: the uplink keeps taking router advertisements: accept_ra 2" \
	grep -qx "== eth0 accept_ra 2" <<<"${built[dualstack]}"
# dns: the namespaces' resolv.conf, boxnet's first line and the servers, readable by all.
sed -n '/^== \/etc\/netns$/,/^== /p' <<<"${built[dns]}" >"$TMP/etc-netns"
same "dns: /etc/netns holds web's and vpn's resolv.conf, nothing for db" "== /etc/netns
drwxr-xr-x /etc/netns/vpn
-rw-r--r-- /etc/netns/vpn/resolv.conf
  # boxnet: generated for namespace vpn; do not edit
  nameserver 198.51.100.1
drwxr-xr-x /etc/netns/web
-rw-r--r-- /etc/netns/web/resolv.conf
  # boxnet: generated for namespace web; do not edit
  nameserver 172.30.0.1
  nameserver fd00:30::1
  nameserver 2001:db8:1::1" "$(cat "$TMP/etc-netns")"
ok "seed (IPv4 only): IPv6 forwarding left off" grep -qx "== ipv6 forwarding 0 note: " <<<"${built[seed]}"
ok "seed (IPv4 only): accept_ra left alone" grep -qx "== eth0 accept_ra 1" <<<"${built[seed]}"
# routes: the static routes and the namespace router, the same both ways (compared above).
rsection() { awk -v h="== $1" '/^== / {on = ($0 == h)} on && !/^== /' <<<"${built[routes]}"; }
rhas() { grep -qF -- "$2" <<<"$(rsection "$1")"; }
ok "routes: the host's IPv4 route through vpn, boxnet's" \
	rhas host '{"dst":"10.99.0.0/24","gateway":"10.60.0.2","dev":"lan","protocol":"98"'
ok "routes: the host's IPv6 route, metric 1024" \
	rhas host '{"dst":"fd00:99::/64","gateway":"fd00:60::2","dev":"lan","protocol":"98","metric":1024'
ok "routes: a route with a metric" rhas host '{"dst":"10.98.0.0/16","gateway":"10.60.0.2","dev":"lan","protocol":"98","metric":50'
ok "routes: printer's static default route, metric 10" \
	rhas "netns printer" '{"dst":"default","gateway":"10.61.0.1","dev":"eth0","protocol":"98","metric":10'
ok "routes: vpn forwards both families" rhas "netns vpn" "forwarding 1 1"
ok "routes: desk forwards neither" rhas "netns desk" "forwarding 0 0"
done_testing
