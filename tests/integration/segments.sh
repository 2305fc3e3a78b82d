#!/bin/bash
# segments.sh: several segments at once: two isolated bridges and a point-to-point namespace;
# isolation, NAT per segment, a segment without NAT, gateway none, then open segments.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
CONF=$ROOT/tests/plan/multi.conf
ok "up builds lan, iot and vpn" "$BOXNET" -c "$CONF" up
# The internet host routes every segment back through the box: only boxnet's rules decide.
for net in 10.10.0.0/24 10.20.0.0/24 10.30.0.0/30; do
	ip -n inet route add $net via $UPLINK_ADDR
done

ok "web pings db on the same bridge" ping_ok web 10.10.0.20
ok "web pings its gateway" ping_ok web 10.10.0.1
ok "vpn pings its peer on the host" ping_ok vpn 10.30.0.1
not "web cannot reach cam on the isolated iot bridge" ping_ok web 10.20.0.5
not "cam cannot reach web" ping_ok cam 10.10.0.10
not "vpn cannot reach web" ping_ok vpn 10.10.0.10
not "web cannot reach vpn" ping_ok web 10.30.0.2
not "web cannot open a TCP connection to cam" tcp_connects cam web 10.20.0.5
not "db has no default route (gateway = none)" ping_ok db $INET_ADDR

same "lan is NATed to the uplink's address" "$UPLINK_ADDR" "$(seen_source inet web $INET_ADDR)"
same "the peer namespace is NATed too" "$UPLINK_ADDR" "$(seen_source inet vpn $INET_ADDR)"
same "iot (masquerade = no) keeps its own source address" 10.20.0.5 "$(seen_source inet cam $INET_ADDR)"
for target in "web 10.10.0.10" "cam 10.20.0.5" "vpn 10.30.0.2"; do
	set -- $target
	not "the internet host cannot open a connection into $1" tcp_connects $1 inet $2
done
same "vpn's veth has MTU 1420 on both ends" "1420 1420" \
	"$(ip -j link show vpn-host | jq '.[0].mtu') $(ip -n vpn -j link show eth0 | jq '.[0].mtu')"
same "lan's MTU 1400 reaches its namespaces" 1400 "$(ip -n web -j link show eth0 | jq '.[0].mtu')"
ok "cam's interface is named net0" ip -n cam link show net0

ok "down" "$BOXNET" -c "$CONF" down

# The same shape with open segments: open ones reach each other, an isolated one stays apart.
OPEN=$(conf open <<'EOC'
uplink = eth0
bridge.a.address = 172.16.1.1/24
bridge.a.isolate = no
bridge.b.address = 172.16.2.1/24
bridge.b.isolate = no
bridge.c.address = 172.16.3.1/24
ns.a1.bridge = a
ns.a1.address = 172.16.1.2/24
ns.b1.bridge = b
ns.b1.address = 172.16.2.2/24
ns.c1.bridge = c
ns.c1.address = 172.16.3.2/24
ns.p.peer = 172.16.4.1/30
ns.p.address = 172.16.4.2/30
ns.p.isolate = no
EOC
)
ok "up with open segments" "$BOXNET" -c "$OPEN" up
ok "a1 reaches b1 (both open)" ping_ok a1 172.16.2.2
ok "b1 reaches a1" ping_ok b1 172.16.1.2
ok "p (open peer) reaches a1" ping_ok p 172.16.1.2
ok "a1 opens a TCP connection to b1" tcp_connects b1 a1 172.16.2.2
not "a1 cannot reach c1 (isolated)" ping_ok a1 172.16.3.2
not "c1 cannot reach b1" ping_ok c1 172.16.2.2
ok "down" "$BOXNET" -c "$OPEN" down
same "nothing of boxnet is left" "" "$(ls /run/netns | grep -v inet; nft list tables | grep boxnet)"
done_testing
