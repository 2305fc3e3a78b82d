#!/bin/bash
# routes.sh: static routes and namespace routers, with real packets: a LAN behind the namespace
# vpn (which forwards) is reached from the host and from a namespace on another segment, over
# IPv4 and IPv6; a route deleted by hand, a foreign route in the way, a router that stops
# forwarding, a changed next hop; down removes the routes.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink

# vpn, on lan, routes for remote's LAN (10.99.0.0/24, fd00:99::/64), which the test builds
# behind it; desk is on another open segment.
base='uplink = eth0
bridge.lan.address = 10.60.0.1/24 fd00:60::1/64
bridge.lan.isolate = no
ns.vpn.bridge = lan
ns.vpn.address = 10.60.0.2/24 fd00:60::2/64
bridge.office.address = 10.61.0.1/24 fd00:61::1/64
bridge.office.isolate = no
ns.desk.bridge = office
ns.desk.address = 10.61.0.2/24 fd00:61::2/64
ns.spare.bridge = lan
ns.spare.address = 10.60.0.3/24 fd00:60::3/64'
routes='route.remote.to = 10.99.0.0/24
route.remote.via = 10.60.0.2
route.remote6.to = fd00:99::/64
route.remote6.via = fd00:60::2'
ROUTER=$(conf router <<<"$base
ns.vpn.forwarding = yes
$routes")
# The same, vpn no router.
NOFWD=$(conf nofwd <<<"$base
$routes")
# The same router, the IPv4 route through spare instead (which does not forward), metric 10.
MOVED=$(conf moved <<<"$base
ns.vpn.forwarding = yes
route.remote.to = 10.99.0.0/24
route.remote.via = 10.60.0.3
route.remote.metric = 10
route.remote6.to = fd00:99::/64
route.remote6.via = fd00:60::2")

# The host's routes of boxnet's protocol, as ip -j shows them: "dst gateway dev metric".
routes98() {
	{ ip -j route show proto 98; ip -j -6 route show proto 98; } |
		jq -r '.[] | "\(.dst) \(.gateway) \(.dev) \(.metric // 0)"'
}
fwd() { echo "$(in_ns "$1" cat /proc/sys/net/ipv4/ip_forward) $(in_ns "$1" cat /proc/sys/net/ipv6/conf/all/forwarding)"; }
# The state of one object in status -j.
state_of() { "$BOXNET" -c "$1" -j status 2>/dev/null | jq -r --arg k "$2" --arg n "$3" '.objects[] | select(.kind == $k and .name == $n) | .state'; }

ok "up" "$BOXNET" -c "$ROUTER" up
# The LAN behind vpn: a namespace the test makes, over a veth it adds to vpn.
ip netns add remote
ip -n vpn link add lan0 type veth peer name eth0 netns remote
# No DAD on their link-local addresses either: vpn asks for remote's address from its own.
ip netns exec vpn sh -c 'echo 0 > /proc/sys/net/ipv6/conf/lan0/accept_dad'
ip netns exec remote sh -c 'echo 0 > /proc/sys/net/ipv6/conf/eth0/accept_dad'
ip -n vpn addr add 10.99.0.1/24 dev lan0
ip -n vpn -6 addr add fd00:99::1/64 dev lan0 nodad
ip -n vpn link set lan0 up
ip -n remote addr add 10.99.0.2/24 dev eth0
ip -n remote -6 addr add fd00:99::2/64 dev eth0 nodad
ip -n remote link set eth0 up
ip -n remote link set lo up
ip -n remote route add default via 10.99.0.1
ip -n remote -6 route add default via fd00:99::1

same "the host's routes to the LAN, through vpn on lan, boxnet's" "10.99.0.0/24 10.60.0.2 lan 0
fd00:99::/64 fd00:60::2 lan 1024" "$(routes98)"
same "vpn forwards both families" "1 1" "$(fwd vpn)"
same "desk forwards neither" "0 0" "$(fwd desk)"
expect_exit "status finds nothing to change" 0 "$BOXNET" -c "$ROUTER" status
same "status -j: the routes are ok" "ok ok" "$(state_of "$ROUTER" route remote) $(state_of "$ROUTER" route remote6)"

# From the host (its own traffic) and from desk, on another segment (forwarded by the host,
# then by vpn).
ok "the host pings remote over IPv4" ping -c 1 -W 2 10.99.0.2
ok "the host pings remote over IPv6" ping -c 1 -W 2 fd00:99::2
ok "desk pings remote over IPv4" ping_ok desk 10.99.0.2
ok "desk pings remote over IPv6" ping_ok desk fd00:99::2
same "remote sees desk's own IPv4 address (routed, no NAT)" 10.61.0.2 "$(seen_source remote desk 10.99.0.2)"
same "remote sees desk's own IPv6 address" fd00:61::2 "$(seen_source6 remote desk fd00:99::2)"

# A route deleted by hand: unreachable, status says so, up puts it back.
ip route del 10.99.0.0/24
not "the host's IPv4 route deleted by hand: remote unreachable" ping -c 1 -W 1 10.99.0.2
expect_exit "status sees it missing" 3 "$BOXNET" -c "$ROUTER" status
same "status -j: remote differs, remote6 does not" "different ok" \
	"$(state_of "$ROUTER" route remote) $(state_of "$ROUTER" route remote6)"
ok "up" "$BOXNET" -c "$ROUTER" up
ok "the host pings remote again" ping -c 1 -W 2 10.99.0.2

# Someone else's route to the same network with the same metric: up changes nothing.
ip -6 route del fd00:99::/64
ip -6 route add fd00:99::/64 via fd00:60::3 dev lan
before=$(snapshot)
out=$("$BOXNET" -c "$ROUTER" up 2>&1)
same "a foreign route in the way: up refuses, and says which" "boxnet: the host has a route to fd00:99::/64, with the same metric, that boxnet did not set; delete it
boxnet: nothing was changed" "$out"
same "and changed nothing" "$before" "$(snapshot)"
same "status -j: the route's state is foreign" foreign "$(state_of "$ROUTER" route remote6)"
ip -6 route del fd00:99::/64
ok "with it deleted, up" "$BOXNET" -c "$ROUTER" up
ok "desk pings remote over IPv6 again" ping_ok desk fd00:99::2

# The router stops forwarding: the LAN behind it is cut off, both ways of reaching it.
ok "up with vpn no router" "$BOXNET" -c "$NOFWD" up
same "vpn forwards no more" "0 0" "$(fwd vpn)"
not "desk cannot reach remote over IPv4" ping_ok desk 10.99.0.2
not "desk cannot reach remote over IPv6" ping_ok desk fd00:99::2
not "nor can the host" ping -c 1 -W 1 10.99.0.2
same "the routes stay" "10.99.0.0/24 10.60.0.2 lan 0
fd00:99::/64 fd00:60::2 lan 1024" "$(routes98)"
ok "up with vpn a router again" "$BOXNET" -c "$ROUTER" up
same "vpn forwards again" "1 1" "$(fwd vpn)"
ok "desk pings remote" ping_ok desk 10.99.0.2

# The IPv4 route moved to spare (no router), with a metric: the old one goes, the LAN is cut
# off over IPv4 only.
ok "up with the IPv4 route through spare" "$BOXNET" -c "$MOVED" up
same "the host's routes" "10.99.0.0/24 10.60.0.3 lan 10
fd00:99::/64 fd00:60::2 lan 1024" "$(routes98)"
not "desk cannot reach remote over IPv4 (spare does not forward)" ping_ok desk 10.99.0.2
ok "desk still reaches it over IPv6" ping_ok desk fd00:99::2
expect_exit "status finds nothing to change" 0 "$BOXNET" -c "$MOVED" status
ok "back" "$BOXNET" -c "$ROUTER" up
same "the host's routes as at first" "10.99.0.0/24 10.60.0.2 lan 0
fd00:99::/64 fd00:60::2 lan 1024" "$(routes98)"

ok "down" "$BOXNET" -c "$ROUTER" down
same "down: no route of boxnet's is left on the host" "" "$(routes98)"
same "down: only the test's own namespaces are left" "inet remote" "$(ls /run/netns | sort | tr '\n' ' ' | sed 's/ $//')"
not "down: the host no longer reaches remote" ping -c 1 -W 1 10.99.0.2
done_testing
