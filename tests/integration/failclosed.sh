#!/bin/bash
# failclosed.sh: a masquerading segment's private addresses never leave the box, whichever
# interface the traffic leaves by: the uplink, a second (failover) upstream, the uplink under
# another name. Traffic among boxnet's own segments keeps its source address.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
FAR=203.0.113.1 FAR_BOX=203.0.113.2 FAR_HOST=192.0.2.1

# A second upstream: eth1 to the namespace far (203.0.113.1/24), which also holds 192.0.2.1,
# reached from the box through eth1 only.
ip netns add far
ip link add eth1 type veth peer name eth1 netns far
ip addr add $FAR_BOX/24 dev eth1
ip link set eth1 up
ip -n far addr add $FAR/24 dev eth1
ip -n far addr add $FAR_HOST/32 dev lo
ip -n far link set eth1 up
ip -n far link set lo up
ip route add 192.0.2.0/24 via $FAR

CONF=$(conf box <<'EOC'
uplink = eth0
bridge.br0.address = 10.40.0.1/24
bridge.br0.isolate = no
ns.red.bridge = br0
ns.red.address = 10.40.0.2/24
ns.blue.bridge = br0
ns.blue.address = 10.40.0.3/24
bridge.br1.address = 10.41.0.1/24
bridge.br1.isolate = no
ns.green.bridge = br1
ns.green.address = 10.41.0.2/24
ns.p.peer = 10.42.0.1/30
ns.p.address = 10.42.0.2/30
EOC
)
ok "up" "$BOXNET" -c "$CONF" up

# seen_source with a time limit: when the source leaks, the reply is lost and nothing connects;
# the server must not outlive the check then.
seen() {
	local server=$1 client=$2 addr=$3 port=7002
	ip netns exec "$server" timeout 5 socat -T 3 TCP-LISTEN:$port,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR' &
	local pid=$!
	wait_listen "$server" $port
	in_ns "$client" socat -T 2 - TCP:$addr:$port,connect-timeout=2 </dev/null 2>/dev/null
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	return 0
}

# What the far host receives on eth1, as tcpdump prints it: one line a packet.
capture_start() {
	: >"$TMP/cap.err"
	ip netns exec far tcpdump -n -l -i eth1 ip >"$TMP/cap" 2>"$TMP/cap.err" &
	CAP=$!
	for _ in $(seq 100); do
		grep -q listening "$TMP/cap.err" && return 0
		sleep 0.05
	done
}
capture_stop() {
	sleep 0.2
	kill $CAP
	wait $CAP 2>/dev/null
	cat "$TMP/cap"
}
# The source addresses of the IPv4 packets captured, sorted and unique.
sources() {
	awk '$2 == "IP" { split($3, a, "."); s = a[1] "." a[2] "." a[3] "." a[4]
		if (s != "'$FAR'" && s != "'$FAR_HOST'") print s }' | sort -u
}

capture_start
ok "red pings a host behind the second upstream" ping_ok red $FAR_HOST
ok "the peer namespace too" ping_ok p $FAR_HOST
same "a TCP connection from red arrives from the box's eth1 address" $FAR_BOX "$(seen far red $FAR_HOST)"
cap=$(capture_stop)
same "the far host sees only the box's address, never a private one" $FAR_BOX "$(sources <<<"$cap")"
ok "and it did see traffic" grep -q "$FAR_BOX > $FAR_HOST" <<<"$cap"

same "the uplink still NATs" $UPLINK_ADDR "$(seen inet red $INET_ADDR)"

# The uplink renamed (or not yet named as configured): what leaves by it is NATed all the same.
ip link set eth0 down
ip link set eth0 name wan0
ip link set wan0 up
same "out of the uplink renamed wan0, red is NATed" $UPLINK_ADDR "$(seen inet red $INET_ADDR)"
ip link set wan0 down
ip link set wan0 name eth0
ip link set eth0 up

# Among the box's own segments nothing is NATed: each end sees the other's own address.
same "green sees red's own address (open segments)" 10.40.0.2 "$(seen green red 10.41.0.2)"
same "red sees green's own address" 10.41.0.2 "$(seen red green 10.40.0.2)"
same "blue sees its neighbour red's own address (one bridge)" 10.40.0.2 "$(seen blue red 10.40.0.3)"

# The control: with NAT out of the uplink only (the old rules), the far host does see red's
# private address, so the capture above would have caught a leak.
nft flush chain inet boxnet postrouting
nft add rule inet boxnet postrouting oifname "eth0" ip saddr 10.40.0.0/24 masquerade
capture_start
ping_ok red $FAR_HOST >/dev/null 2>&1
cap=$(capture_stop)
ok "control: NAT out of the uplink only leaks red's private address" grep -q "10.40.0.2 > $FAR_HOST" <<<"$cap"
ok "up puts the rules right" "$BOXNET" -c "$CONF" up
capture_start
ok "and red reaches the far host again" ping_ok red $FAR_HOST
same "NATed" $FAR_BOX "$(capture_stop | sources)"

ok "down" "$BOXNET" -c "$CONF" down
done_testing
