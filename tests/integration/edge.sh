#!/bin/bash
# edge.sh: the README's edge box (examples/edge.conf), built and checked with real traffic:
# each promise its comments make, over IPv4 and IPv6, then down leaves nothing. This kernel
# lacks 802.1Q: the WAN is eth0 itself here (untagged); the QEMU edge scenario builds the
# example as shipped, on VLAN 7. The physical ports are veth pairs: eth1's far end is a LAN
# host, eth2's is down, eth3's is the management network's gateway.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
CONF=$(untagged "$ROOT/examples/edge.conf")
echo "# built with uplink = eth0: $(grep -c '^vlan\.' "$ROOT/examples/edge.conf") vlan lines left out"
lan_host lanhost eth1 172.30.0.50/24 172.30.0.1 fd00:30::50/64 fd00:30::1
ip link add eth2 mtu 1400 type veth peer name eth2-far
ip netns add mgmtnet
ip link add eth3 type veth peer name eth0 netns mgmtnet
ip link set eth3 up
ip -n mgmtnet link set lo up
ip -n mgmtnet link set eth0 up
ip -n mgmtnet addr add 10.255.0.1/24 dev eth0
ip -n mgmtnet -6 addr add fd00:255::1/64 dev eth0 nodad
clean=$(snapshot)

ok "up" "$BOXNET" -c "$CONF" up
expect_exit "a second look finds nothing to change" 0 "$BOXNET" -c "$CONF" status

# The remote site behind vpn, made by the test: a namespace with a veth into vpn.
ip netns add site
ip -n vpn link add tun0 type veth peer name eth0 netns site
# No DAD on their link-local addresses either: vpn asks for the site's address from its own.
ip netns exec vpn sh -c 'echo 0 > /proc/sys/net/ipv6/conf/tun0/accept_dad'
ip netns exec site sh -c 'echo 0 > /proc/sys/net/ipv6/conf/eth0/accept_dad'
ip -n vpn addr add 10.99.0.254/24 dev tun0
ip -n vpn -6 addr add fd00:99::fe/64 dev tun0 nodad
ip -n vpn link set tun0 up
ip -n site addr add 10.99.0.1/24 dev eth0
ip -n site -6 addr add fd00:99::1/64 dev eth0 nodad
ip -n site link set eth0 up
ip -n site link set lo up
ip -n site route add default via 10.99.0.254
ip -n site -6 route add default via fd00:99::fe

for s in "web 80" "web 443" "web 8080" "broker 1883" "broker 1884" "db 5432" "db 22" "site 7000"; do
	serve $s
done
for s in "web 80" "web 443" "web 8080" "broker 1883" "broker 1884" "db 5432" "db 22" "site 7000"; do
	serving $s
done

# ---- web, exposed on the uplink's addresses ----
for p in 80 443; do
	same "the internet reaches web's $p through the uplink, and web sees who" "web/$p $INET_ADDR" \
		"$(answer inet $UPLINK_ADDR $p)"
	same "over IPv6 too" "web/$p $INET6_ADDR" "$(answer inet $UPLINK6_ADDR $p)"
done
same "web's other ports stay closed to the internet" "" "$(answer inet $UPLINK_ADDR 8080)"
same "a camera reaches web's 443 through the uplink's address (hairpin)" "web/443 172.30.1.10" \
	"$(answer cam $UPLINK_ADDR 443)"

# ---- the database: from web only, on its port only ----
same "web reaches db's 5432" "db/5432 172.30.0.10" "$(answer web 172.30.9.2 5432)"
same "over IPv6 too" "db/5432 fd00:30::10" "$(answer web fd00:39::2 5432)"
same "web does not reach db's 22" "" "$(answer web 172.30.9.2 22)"
same "the broker, web's neighbour, does not reach db" "" "$(answer broker 172.30.9.2 5432)"
same "nor does a camera" "" "$(answer cam fd00:39::2 5432)"
same "nor the internet" "" "$(answer inet 172.30.9.2 5432)"

# ---- IoT: the broker's MQTT port, nothing else ----
same "a camera reaches the broker's 1883" "broker/1883 172.30.1.10" "$(answer cam 172.30.0.20 1883)"
same "over IPv6 too" "broker/1883 fd00:31::10" "$(answer cam fd00:30::20 1883)"
same "not its 1884" "" "$(answer cam 172.30.0.20 1884)"
same "not web" "" "$(answer cam 172.30.0.10 8080)"
same "and the LAN does not reach the camera through the opening" "" "$(answer broker 172.30.1.10 1883)"

# ---- the remote site, routed through vpn ----
ok "the host reaches the site through vpn" ping -c 1 -W 2 10.99.0.1
ok "over IPv6 too" ping -6 -c 1 -W 2 fd00:99::1
same "the host connects to the site, from its LAN address" "site/7000 172.30.0.1" "$(answer host 10.99.0.1 7000)"
same "over IPv6 too" "site/7000 fd00:30::1" "$(answer host fd00:99::1 7000)"
# web's packets go through the box to vpn, the site's replies come from vpn straight to web.
ok "web pings the site" ping_ok web 10.99.0.1
ok "over IPv6 too" ping_ok web fd00:99::1
same "the host's routes to the site go through vpn, boxnet's" "10.99.0.0/24 172.30.0.30 98
fd00:99::/64 fd00:30::30 98" "$({ ip -j route show 10.99.0.0/24; ip -j -6 route show fd00:99::/64; } |
	jq -r '.[] | "\(.dst) \(.gateway) \(.protocol)"')"
same "vpn forwards, both families" "1 1" \
	"$(ip netns exec vpn cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding | xargs)"

# ---- web's nameservers ----
same "web's resolv.conf names its nameservers" "nameserver 192.0.2.53
nameserver 2001:db8:53::53" "$(ip netns exec web cat /etc/resolv.conf | grep -v '^#')"

# ---- the physical ports ----
same "eth1 and eth2 are lan's ports, up" "eth1 lan true
eth2 lan true" "$(ip -j link show master lan | jq -r '.[] | select(.ifname | test("^eth")) | "\(.ifname) \(.master) \(.flags | index("UP") != null)"')"
same "the LAN host on eth1 reaches web" "web/80 172.30.0.50" "$(answer lanhost 172.30.0.10 80)"
same "over IPv6 too" "web/80 fd00:30::50" "$(answer lanhost fd00:30::10 80)"
same "and the internet through NAT" "$UPLINK_ADDR" "$(seen_source inet lanhost $INET_ADDR)"
same "over IPv6 too" "$UPLINK6_ADDR" "$(seen_source6 inet lanhost $INET6_ADDR)"
same "the LAN host does not reach db" "" "$(answer lanhost 172.30.9.2 5432)"

# ---- management: eth3 moved into mgmt ----
not "eth3 is not on the host" ip link show dev eth3
ok "mgmt's eth0 reaches the management gateway" ping_ok mgmt 10.255.0.1
ok "over IPv6 too" ping_ok mgmt fd00:255::1
same "mgmt's default routes go to the management gateway" "default 10.255.0.1
default fd00:255::1" "$({ ip -n mgmt -j route show default; ip -n mgmt -j -6 route show default; } | jq -r '.[] | "\(.dst) \(.gateway)"')"

# ---- down ----
ip netns del site
ok "down" "$BOXNET" -c "$CONF" down
same "leaves the box as it was" "$clean" "$(snapshot)"
done_testing
