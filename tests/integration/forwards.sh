#!/bin/bash
# forwards.sh: port forwards with real traffic, both families: the internet host reaches a
# service through the uplink's address and the service sees who connects; hairpin from the
# target's own bridge and from another segment; the host itself; ranges kept and moved; UDP;
# `from`; an unforwarded port stays closed; transit to another address is not rewritten.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink

CONF=$(conf fwd <<'EOC'
uplink = eth0
bridge.lan.address = 172.30.0.1/24 fd00:30::1/64
ns.web.bridge = lan
ns.web.address = 172.30.0.2/24 fd00:30::2/64
ns.db.bridge = lan
ns.db.address = 172.30.0.3/24 fd00:30::3/64
ns.p.peer = 10.50.0.1/30 fd00:50::1/64
ns.p.address = 10.50.0.2/30 fd00:50::2/64
forward.http.port = 8080
forward.http.to = web:80
forward.range.port = 8000-8003
forward.range.to = db
forward.moved.port = 9000-9002
forward.moved.to = web:9100
forward.dns.port = 53
forward.dns.proto = udp
forward.dns.to = web:5353
forward.only.port = 7070
forward.only.to = 172.30.0.3:70
forward.only.from = 198.51.100.0/24
forward.six.port = 6060
forward.six.to = [fd00:30::3]:60
EOC
)

U4=$UPLINK_ADDR U6=$UPLINK6_ADDR I4=$INET_ADDR I6=$INET6_ADDR

ok "up with port forwards" "$BOXNET" -c "$CONF" up
expect_exit "status finds nothing to change" 0 "$BOXNET" -c "$CONF" status
same "status -j reports each forward, up to date" "http ok
range ok
moved ok
dns ok
only ok
six ok" "$("$BOXNET" -c "$CONF" status -j | jq -r '.objects[] | select(.kind == "forward") | "\(.name) \(.state)"')"

serve web 80
serve web 8081
serve web 9101
serve web 5353 UDP
serve db 8002
serve db 70
serve db 60
serve inet 8080
for s in "web 80" "web 8081" "web 9101" "web 5353 UDP" "db 8002" "db 70" "db 60" "inet 8080"; do serving $s; done

# ---- from the internet: the service sees the internet host's own address ----
same "the internet host reaches web through the uplink's IPv4 address" "web/80 $I4" "$(answer inet $U4 8080)"
same "and through its IPv6 address" "web/80 $I6" "$(answer inet $U6 8080)"
same "a range kept: port 8002 reaches db's 8002" "db/8002 $I4" "$(answer inet $U4 8002)"
same "over IPv6 too" "db/8002 $I6" "$(answer inet $U6 8002)"
same "a range moved: 9001 reaches web's 9101" "web/9101 $I4" "$(answer inet $U4 9001)"
same "UDP: 53 reaches web's 5353" "web/5353 $I4" "$(answer inet $U4 53 UDP)"
same "UDP over IPv6" "web/5353 $I6" "$(answer inet $U6 53 UDP)"
same "an IPv6-only forward reaches db's 60 over IPv6" "db/60 $I6" "$(answer inet $U6 6060)"
same "but not over IPv4" "" "$(answer inet $U4 6060)"
same "from = 198.51.100.0/24 lets the internet host in" "db/70 $I4" "$(answer inet $U4 7070)"

# ---- closed: what is not forwarded ----
same "control: web answers on 8081 to its neighbour" "web/8081 172.30.0.3" "$(answer db 172.30.0.2 8081)"
same "a port that is not forwarded stays closed" "" "$(answer inet $U4 8081)"
same "nor over IPv6" "" "$(answer inet $U6 8081)"
same "UDP 53 is forwarded, TCP 53 is not" "" "$(answer inet $U4 53)"
same "the range moved: 9101 itself is not forwarded" "" "$(answer inet $U4 9101)"
# The internet host routes the segment through the box: only the forwards get in.
ip -n inet route add 172.30.0.0/24 via $U4
ip -n inet -6 route add fd00:30::/64 via $U6
same "web's own address is closed to the internet host" "" "$(answer inet 172.30.0.2 80)"
same "over IPv6 too" "" "$(answer inet fd00:30::2 80)"

# ---- hairpin: a neighbour on the target's bridge, another segment, the host ----
same "hairpin from db, on web's bridge: reaches web, seen from the bridge's address" "web/80 172.30.0.1" \
	"$(answer db $U4 8080)"
same "over IPv6" "web/80 fd00:30::1" "$(answer db $U6 8080)"
same "from the peer namespace p, another segment: its own address is seen" "web/80 10.50.0.2" "$(answer p $U4 8080)"
same "over IPv6" "web/80 fd00:50::2" "$(answer p $U6 8080)"
same "from the host itself" "web/80 $U4" "$(answer host $U4 8080)"
same "from the host over IPv6" "web/80 $U6" "$(answer host $U6 8080)"
same "from = 198.51.100.0/24 keeps p out" "" "$(answer p $U4 7070)"
same "the host gets in: its source, the uplink's address, is in from" "db/70 $U4" "$(answer host $U4 7070)"
same "the bridge's own address is not forwarded" "" "$(answer db 172.30.0.1 8080)"

# ---- transit: to other addresses, nothing is rewritten ----
same "web reaches the internet host's own 8080, not itself" "inet/8080 $U4" "$(answer web $I4 8080)"
same "over IPv6" "inet/8080 $U6" "$(answer web $I6 8080)"

# ---- the table as nft sees it, and as boxnet converges it ----
ok "nft lists the dnat of the range moved port by port" \
	grep -q 'fib daddr type local tcp dport 9002 dnat ip to 172.30.0.2:9102' <(nft list chain inet boxnet prerouting)
ok "the output chain holds the same forwards" \
	grep -q 'fib daddr type local tcp dport 8080 dnat ip6 to \[fd00:30::2\]:80' <(nft list chain inet boxnet output)
ok "a second up changes nothing" grep -q "up: 0 changes" <("$BOXNET" -c "$CONF" up -v 2>&1)
nft delete rule inet boxnet prerouting handle \
	"$(nft -a list chain inet boxnet prerouting | sed -n 's/.*dport 8080 dnat ip to.*handle \([0-9]*\)/\1/p')"
expect_exit "status sees a forward's rule gone" 3 "$BOXNET" -c "$CONF" status
same "status -j names the forwards as different" "different" \
	"$("$BOXNET" -c "$CONF" status -j | jq -r '[.objects[] | select(.kind == "forward") | .state] | unique | join(" ")')"
ok "up puts it back" "$BOXNET" -c "$CONF" up
same "the internet host reaches web again" "web/80 $I4" "$(answer inet $U4 8080)"

ok "down" "$BOXNET" -c "$CONF" down
same "no table left" "" "$(nft list tables)"
done_testing
