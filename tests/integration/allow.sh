#!/bin/bash
# allow.sh: openings between isolated segments, with real traffic over both families: iot
# reaches lan's broker on 1883/tcp and nothing else; lan does not reach iot through it; a peer
# namespace pings lan and nothing more; one namespace reaches one other's UDP port.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink

CONF=$(conf allow <<'EOC'
uplink = eth0
bridge.lan.address = 172.30.0.1/24 fd00:30::1/64
ns.broker.bridge = lan
ns.broker.address = 172.30.0.2/24 fd00:30::2/64
ns.web.bridge = lan
ns.web.address = 172.30.0.3/24 fd00:30::3/64
bridge.iot.address = 172.31.0.1/24 fd00:31::1/64
ns.cam.bridge = iot
ns.cam.address = 172.31.0.2/24 fd00:31::2/64
ns.vpn.peer = 10.50.0.1/30
ns.vpn.address = 10.50.0.2/30
allow.mqtt.from = iot
allow.mqtt.to = broker
allow.mqtt.port = 1883
allow.mqtt.proto = tcp
allow.ping.from = vpn
allow.ping.to = lan
allow.ping.proto = icmp
allow.dns.from = cam
allow.dns.to = web
allow.dns.port = 53
allow.dns.proto = udp
EOC
)

ok "up with openings" "$BOXNET" -c "$CONF" up
expect_exit "status finds nothing to change" 0 "$BOXNET" -c "$CONF" status
same "status -j reports each opening, up to date" "mqtt ok
ping ok
dns ok" "$("$BOXNET" -c "$CONF" status -j | jq -r '.objects[] | select(.kind == "allow") | "\(.name) \(.state)"')"

serve broker 1883
serve broker 1884
serve broker 1883 UDP
serve web 1883
serve web 53 UDP
serve web 53
serve cam 1883
for s in "broker 1883" "broker 1884" "broker 1883 UDP" "web 1883" "web 53 UDP" "web 53" "cam 1883"; do
	serving $s
done

# ---- the hole: iot to the broker, 1883/tcp, its own address seen ----
same "cam (iot) reaches the broker on 1883/tcp, with its own address" "broker/1883 172.31.0.2" \
	"$(answer cam 172.30.0.2 1883)"
same "over IPv6 too" "broker/1883 fd00:31::2" "$(answer cam fd00:30::2 1883)"

# ---- nothing else ----
same "control: web, on the broker's bridge, reaches its 1884" "broker/1884 172.30.0.3" "$(answer web 172.30.0.2 1884)"
same "cam does not reach the broker's 1884" "" "$(answer cam 172.30.0.2 1884)"
same "nor over IPv6" "" "$(answer cam fd00:30::2 1884)"
same "nor its 1883 over UDP" "" "$(answer cam 172.30.0.2 1883 UDP)"
same "nor web's 1883: the opening is the broker's alone" "" "$(answer cam 172.30.0.3 1883)"
not "cam cannot ping the broker" ping_ok cam 172.30.0.2
not "nor over IPv6" ping_ok cam fd00:30::2

# ---- one way: lan does not reach iot through it ----
same "control: cam's 1883 answers on its own bridge's side" "cam/1883 172.31.0.1" "$(answer host 172.31.0.2 1883)"
same "the broker does not reach cam's 1883" "" "$(answer broker 172.31.0.2 1883)"
same "nor over IPv6" "" "$(answer broker fd00:31::2 1883)"
not "the broker cannot ping cam" ping_ok broker 172.31.0.2

# ---- icmp from a peer namespace to a bridge; udp from one namespace to another ----
ok "vpn pings the broker (icmp allowed to lan)" ping_ok vpn 172.30.0.2
ok "and web" ping_ok vpn 172.30.0.3
same "but opens no TCP connection to the broker" "" "$(answer vpn 172.30.0.2 1883)"
not "the broker cannot ping vpn" ping_ok broker 10.50.0.2
same "cam reaches web's 53/udp" "web/53 172.31.0.2" "$(answer cam 172.30.0.3 53 UDP)"
same "over IPv6" "web/53 fd00:31::2" "$(answer cam fd00:30::3 53 UDP)"
same "not its 53/tcp" "" "$(answer cam 172.30.0.3 53)"
same "nor the broker's 1883/udp" "" "$(answer cam 172.30.0.2 1883 UDP)"

# ---- an opening taken away closes the hole ----
grep -v '^allow.mqtt' "$CONF" >"$TMP/closed.conf"
ok "up without the mqtt opening" "$BOXNET" -c "$TMP/closed.conf" up
same "cam no longer reaches the broker's 1883" "" "$(answer cam 172.30.0.2 1883)"
ok "up with it again" "$BOXNET" -c "$CONF" up
same "and reaches it again" "broker/1883 172.31.0.2" "$(answer cam 172.30.0.2 1883)"

ok "down" "$BOXNET" -c "$CONF" down
same "no table left" "" "$(nft list tables)"
done_testing
