#!/bin/bash
# faults.sh: nothing half-built. A test build (build/faults/boxnet) fails the Nth kernel
# operation of a run, for every N: up must then leave the box exactly as it found it, and a
# later up must succeed. The same for a boxnet killed (SIGKILL) midway, then run again.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
FB=${BOXNET_FAULTS_BIN:-$ROOT/build/faults/boxnet}
A=$ROOT/tests/plan/multi.conf
B=$(conf changed <<'EOC'
uplink = eth0
bridge.lan.address = 10.10.0.1/24
ns.web.bridge = lan
ns.web.address = 10.10.0.11/24
ns.web.ifname = net0
ns.api.bridge = lan
ns.api.address = 10.10.0.30/24
bridge.iot.address = 10.20.0.1/24
ns.cam.peer = 10.40.0.1/30
ns.cam.address = 10.40.0.2/30
ns.vpn.peer = 10.30.0.1/30
ns.vpn.address = 10.30.0.2/30
ns.vpn.gateway = none
EOC
)
ops() { BOXNET_COUNT_OPS=1 "$FB" -c "$1" "$2" 2>&1 | sed -n 's/.*test hook: \([0-9]*\) operations/\1/p'; }

# failing N CONF EXPECTED WHAT [COMMAND]: up (or COMMAND) CONF with its 1st, 2nd... operation
# failing, until a run has no Nth operation (and so succeeds): each failed run must leave
# EXPECTED. About N operations are expected; the count may differ a little with the state
# up starts from.
# FAULT_STEP=S tries every Sth operation only (the sanitizer run: the plain run tries all).
failing() {
	local n=$1 conf=$2 expected=$3 what=$4 cmd=${5:-up} bad=0 k step=${FAULT_STEP:-1}
	for k in $(seq 1 "$step" $((n + 20))); do
		out=$(BOXNET_FAIL_AT=$k "$FB" -c "$conf" "$cmd" 2>&1)
		rc=$?
		[ $rc = 0 ] && break
		now=$(snapshot)
		if [ $rc != 1 ] || ! grep -q "injected failure" <<<"$out" || [ "$now" != "$expected" ]; then
			fail "$what: operation $k failing: exit $rc, box $([ "$now" == "$expected" ] && echo as before ||
				echo CHANGED)" "$out"
			diff <(echo "$expected") <(echo "$now") | head -10 | sed 's/^/#   /'
			bad=1
			"$BOXNET" -c "$conf" down >/dev/null 2>&1
			"$BOXNET" -c "$conf" up >/dev/null 2>&1
			break
		fi
	done
	[ $bad = 0 ] && pass "$what: each of its $((k - 1)) operations failing in turn$([ "$step" = 1 ] || echo " (one in $step tried)") left the box as before"
	[ $bad = 0 ] && [ $((k - 1)) -ge $((n - 5)) ] || fail "$what: only $((k - 1)) of about $n operations were reached"
}

# killed WHAT CONF N K...: a boxnet killed (SIGKILL) at operation K of the N of a fresh build of
# CONF, then up again, must give what a fresh build gives; down then leaves the box clean.
killed() {
	local what=$1 conf=$2 n=$3 fresh k rc rc2 out
	shift 3
	fresh=$(fresh_box "$conf" "${SETUP:-}")	# SETUP: what the box has before (ports)
	for k; do
		# Through sh, so that it is sh that sees the kill, and bash says nothing of it.
		sh -c 'BOXNET_KILL_AT=$1 "$2" -c "$3" up >/dev/null 2>&1; exit $?' _ "$k" "$FB" "$conf"
		rc=$?
		out=$("$BOXNET" -c "$conf" up 2>&1)
		rc2=$?
		if [ $rc = 137 ] && [ $rc2 = 0 ] && [ "$(snapshot)" == "$fresh" ]; then
			pass "${what}killed at operation $k of $n, then up again: the box as configured"
		else
			fail "${what}killed at operation $k of $n (exit $rc), then up again: exit $rc2" "$out"
			diff <(echo "$fresh") <(snapshot) | head -10 | sed 's/^/#   /'
		fi
		"$BOXNET" -c "$conf" down >/dev/null 2>&1
		# down must clean up after a killed up too: its namespaces, links and table.
		[ "$(snapshot)" == "$clean" ] || fail "${what}after the kill at $k, up and down: not clean"
	done
}

# ---- a fresh build ----
clean=$(snapshot)
n=$(ops "$A" up)
ok "a fresh build of multi.conf takes some operations ($n)" test "${n:-0}" -gt 20
ok "down" "$BOXNET" -c "$A" down
same "which leaves the box clean" "$clean" "$(snapshot)"
failing "$n" "$A" "$clean" "fresh build"
same "the run that had no such operation built what a fresh build gives" "$(fresh_box "$A")" "$(snapshot)"

# ---- a change: addresses, an ifname, a namespace gone, one new, a bridge member turned peer ----
n=$(ops "$B" up)
ok "changing to another config takes some operations ($n)" test "${n:-0}" -gt 10
ok "back to the first config" "$BOXNET" -c "$A" up
built_a=$(snapshot)
failing "$n" "$B" "$built_a" "change"
same "the run that had no such operation gave what a fresh build of the new config gives" \
	"$(fresh_box "$B")" "$(snapshot)"
ok "down" "$BOXNET" -c "$B" down
same "and down leaves the box clean" "$clean" "$(snapshot)"

# ---- down failing midway ----
"$BOXNET" -c "$A" up
built=$(snapshot)
n=$(ops "$A" down)
"$BOXNET" -c "$A" up
failing "$n" "$A" "$built" "down" down
same "and the down that had no such operation left the box clean" "$clean" "$(snapshot)"

# ---- a namespace refused while the helper process makes the others ----
# /run/netns/cam a directory: its namespace cannot be made; web and db, made before it, and
# all else must go again, and vpn, after it, must not be made at all.
mkdir -p /run/netns/cam/x
blocked=$(snapshot 2>/dev/null) names=$(ls /run/netns)
out=$("$BOXNET" -c "$A" up 2>&1)
rc=$?
same "a namespace that cannot be made: exit 1, and the message names it and why" \
	"1 boxnet: ns cam ($A:14): cannot create namespace cam: Is a directory" "$rc $out"
same "and the box is as before" "$blocked" "$(snapshot 2>/dev/null)"
same "no namespace was left behind" "$names" "$(ls /run/netns)"
rm -r /run/netns/cam
ok "up then succeeds" "$BOXNET" -c "$A" up
"$BOXNET" -c "$A" down

# ---- killed midway ----
n=$(ops "$A" up)
"$BOXNET" -c "$A" down
killed "" "$A" "$n" 1 3 $((n / 4)) $((n / 2)) $((3 * n / 4)) $((n - 1)) "$n"

# ---- dual stack: IPv6 addresses, routes, IPv6 forwarding and the uplink's accept_ra are
# undone like the rest, whichever operation fails ----
D=$ROOT/tests/plan/dualstack.conf
D2=$(conf changed6 <<'EOC'
uplink = eth0
bridge.lan.address = 172.30.0.1/24 fd00:31::1/64
ns.web.bridge = lan
ns.web.address = 172.30.0.2/24 fd00:31::2/64
ns.app.bridge = lan
ns.app.address = 172.30.0.3/24
bridge.lab.address = fd00:40::1/64 10.40.0.1/24
bridge.lab.masquerade = ipv6
ns.lab1.bridge = lab
ns.lab1.address = fd00:40::10/64 10.40.0.10/24
ns.lab1.ifname = net0
ns.vpn.peer = 10.30.0.1/30
ns.vpn.address = 10.30.0.2/30
EOC
)
n=$(ops "$D" up)
ok "dual stack: a fresh build of dualstack.conf takes some operations ($n)" test "${n:-0}" -gt 20
ok "dual stack: down" "$BOXNET" -c "$D" down
same "dual stack: which leaves the box clean" "$clean" "$(snapshot)"
failing "$n" "$D" "$clean" "dual stack, fresh build"
same "dual stack: the run that had no such operation built what a fresh build gives" "$(fresh_box "$D")" "$(snapshot)"

# From IPv4 only (multi.conf) to dual stack: IPv6 forwarding and accept_ra switch on last.
ok "dual stack: back to an IPv4-only box" "$BOXNET" -c "$A" up
built_a=$(snapshot)
n=$(ops "$D" up)
"$BOXNET" -c "$A" up
failing "$n" "$D" "$built_a" "IPv4 only to dual stack"
same "IPv4 only to dual stack: the run that had no such operation gave a fresh build" "$(fresh_box "$D")" "$(snapshot)"

# A dual-stack change: IPv6 subnets readdressed, one namespace's IPv6 and a peer's IPv6 gone,
# IPv4 added to the IPv6-only bridge, masquerade per family.
built_d=$(snapshot)
n=$(ops "$D2" up)
"$BOXNET" -c "$D" up
failing "$n" "$D2" "$built_d" "dual stack changed"
same "dual stack changed: the run that had no such operation gave a fresh build" "$(fresh_box "$D2")" "$(snapshot)"

# From dual stack back to IPv4 only: IPv6 forwarding off and accept_ra restored, or neither.
"$BOXNET" -c "$D" up
n=$(ops "$A" up)
"$BOXNET" -c "$D" up
failing "$n" "$A" "$built_d" "dual stack to IPv4 only"
same "dual stack to IPv4 only: the run that had no such operation gave a fresh build" "$(fresh_box "$A")" "$(snapshot)"

# down of a dual-stack box failing midway.
"$BOXNET" -c "$D" up
n=$(ops "$D" down)
"$BOXNET" -c "$D" up
failing "$n" "$D" "$built_d" "dual stack, down" down
same "dual stack: the down that had no such operation left the box clean" "$clean" "$(snapshot)"

# Killed midway through a dual-stack build, then up again.
"$BOXNET" -c "$D" down >/dev/null 2>&1
n=$(ops "$D" up)
ok "dual stack: a fresh build to kill takes some operations ($n)" test "${n:-0}" -gt 20
"$BOXNET" -c "$D" down
killed "dual stack: " "$D" "$n" 1 $((n / 3)) $((2 * n / 3)) $((n - 1))

# ---- the namespaces' resolv.conf: written (a new one's directory too) and removed like the
# rest, or put back as it was ----
N=$ROOT/tests/plan/dns.conf
N2=$(conf dns2 <<'EOC'
uplink = eth0
bridge.lan.address = 172.30.0.1/24 fd00:30::1/64
ns.web.bridge = lan
ns.web.address = 172.30.0.2/24 fd00:30::2/64
ns.web.dns = 2001:db8:1::1
ns.db.bridge = lan
ns.db.address = 172.30.0.3/24
ns.db.dns = 172.30.0.1
ns.vpn.peer = 10.30.0.1/30
ns.vpn.address = 10.30.0.2/30
EOC
)
n=$(ops "$N" up)
ok "resolv.conf: a fresh build of dns.conf takes some operations ($n)" test "${n:-0}" -gt 20
ok "resolv.conf: down" "$BOXNET" -c "$N" down
same "resolv.conf: which leaves the box clean, /etc/netns too" "$clean" "$(snapshot)"
failing "$n" "$N" "$clean" "resolv.conf, fresh build"
same "resolv.conf: the run that had no such operation built what a fresh build gives" "$(fresh_box "$N")" "$(snapshot)"
built_n=$(snapshot)
ok "resolv.conf: the build wrote the files" grep -qx "  nameserver 198.51.100.1" <<<"$built_n"
# web's file rewritten (the old one back), db's new (gone again), vpn's removed (back).
n=$(ops "$N2" up)
"$BOXNET" -c "$N" up
failing "$n" "$N2" "$built_n" "resolv.conf changed"
same "resolv.conf changed: the run that had no such operation gave a fresh build" "$(fresh_box "$N2")" "$(snapshot)"
"$BOXNET" -c "$N" up
n=$(ops "$N" down)
"$BOXNET" -c "$N" up
failing "$n" "$N" "$built_n" "resolv.conf, down" down
same "resolv.conf: the down that had no such operation left the box clean" "$clean" "$(snapshot)"
# Killed at the writes (the last operations of a fresh build), then up again.
n=$(ops "$N" up)
"$BOXNET" -c "$N" down
killed "resolv.conf: " "$N" "$n" $((n - 1)) "$n"

# ---- port forwards and openings: their rules ride in the one nftables transaction, which a
# fault anywhere undoes with the rest (the transaction counts as one operation: the kernel takes it whole) ----
F=$(conf forwards <<'EOC'
uplink = eth0
bridge.lan.address = 172.30.0.1/24 fd00:30::1/64
ns.web.bridge = lan
ns.web.address = 172.30.0.2/24 fd00:30::2/64
bridge.iot.address = 172.31.0.1/24
forward.http.port = 80
forward.http.to = web
forward.alt.port = 8000-8002
forward.alt.to = web:9000
forward.alt.proto = tcp udp
allow.mqtt.from = iot
allow.mqtt.to = web
allow.mqtt.port = 1883
allow.ping.from = iot
allow.ping.to = lan
allow.ping.proto = icmp
EOC
)
F2=$(sed 's/^forward.http.port = 80$/forward.http.port = 8080/; /^allow.ping/d' "$F" | conf forwards2)
n=$(ops "$F" up)
ok "forwards: a fresh build of a config with forwards takes some operations ($n)" test "${n:-0}" -gt 10
ok "forwards: down" "$BOXNET" -c "$F" down
failing "$n" "$F" "$clean" "forwards, fresh build"
same "forwards: the run that had no such operation built what a fresh build gives" "$(fresh_box "$F")" \
	"$(snapshot)"
n=$(ops "$F2" up)
ok "forwards: changing a forward and dropping an opening takes some operations ($n)" test "${n:-0}" -gt 2
ok "forwards: back to the first config" "$BOXNET" -c "$F" up
built_f=$(snapshot)
failing "$n" "$F2" "$built_f" "forwards changed"
same "forwards: the run that had no such operation gave what a fresh build of the new config gives" \
	"$(fresh_box "$F2")" "$(snapshot)"
ok "forwards: down" "$BOXNET" -c "$F2" down
same "forwards: and down leaves the box clean" "$clean" "$(snapshot)"

# ---- static routes and namespace forwarding: added, replaced, deleted and switched like the
# rest, and undone whichever operation fails ----
R=$ROOT/tests/plan/routes.conf
# From routes.conf: a next hop moved, a metric changed, a route gone, one new in a namespace,
# vpn no router, desk one, printer's static default route gone with its gateway back.
R2=$(conf routes2 <<'EOC'
uplink = eth0
bridge.lan.address = 10.60.0.1/24 fd00:60::1/64
bridge.lan.isolate = no
ns.vpn.bridge = lan
ns.vpn.address = 10.60.0.2/24 fd00:60::2/64
bridge.office.address = 10.61.0.1/24 fd00:61::1/64
bridge.office.isolate = no
ns.desk.bridge = office
ns.desk.address = 10.61.0.2/24 fd00:61::2/64
ns.desk.forwarding = yes
ns.printer.bridge = office
ns.printer.address = 10.61.0.3/24
route.remote.to = 10.99.0.0/24
route.remote.via = 10.60.0.3
route.lab.to = 10.98.0.0/16
route.lab.via = 10.60.0.2
route.lab.metric = 60
route.indesk.ns = desk
route.indesk.to = fd00:97::/64
route.indesk.via = fd00:61::9
EOC
)
n=$(ops "$R" up)
ok "routes: a fresh build of routes.conf takes some operations ($n)" test "${n:-0}" -gt 20
ok "routes: down" "$BOXNET" -c "$R" down
same "routes: which leaves the box clean" "$clean" "$(snapshot)"
failing "$n" "$R" "$clean" "routes, fresh build"
same "routes: the run that had no such operation built what a fresh build gives" "$(fresh_box "$R")" "$(snapshot)"
built_r=$(snapshot)
n=$(ops "$R2" up)
"$BOXNET" -c "$R" up
failing "$n" "$R2" "$built_r" "routes changed"
same "routes changed: the run that had no such operation gave a fresh build" "$(fresh_box "$R2")" "$(snapshot)"
built_r2=$(snapshot)
n=$(ops "$R" up)
"$BOXNET" -c "$R2" up
failing "$n" "$R" "$built_r2" "routes changed back"
n=$(ops "$R" down)
"$BOXNET" -c "$R" up
failing "$n" "$R" "$built_r" "routes, down" down
same "routes: the down that had no such operation left the box clean" "$clean" "$(snapshot)"

# ---- adopted interfaces: bridge ports, a namespace's link and a macvlan's parent that is down
# (tests/plan/ports.conf).
# Their records are part of the box: whichever operation fails, the ports and the records are
# as before (given back, or still adopted) ----
# Fixed addresses: the bridge takes eth1's, the same in a fresh box.
SETUP='ip link add eth1 address 02:42:00:00:00:01 mtu 1400 type veth peer name far-eth1 address 02:42:00:00:01:01
ip link add eth2 address 02:42:00:00:00:02 type veth peer name far-eth2 address 02:42:00:00:01:02
ip link add oldbr address 02:42:00:00:02:01 type bridge
ip link set eth2 master oldbr up
ip link add eth3 address 02:42:00:00:00:03 type veth peer name far-eth3 address 02:42:00:00:01:03
ip link add eth4 address 02:42:00:00:00:04 type veth peer name far-eth4 address 02:42:00:00:01:04'
# eth4, the macvlan's parent, stays down: up adopts it and brings it up, down gives it back.
eval "$SETUP"
eval "plain_$(declare -f snapshot)"
snapshot() { plain_snapshot "$@"; echo "== adopted"; cat /run/boxnet/adopted.*/* 2>/dev/null; }
clean=$(snapshot)
P=$ROOT/tests/plan/ports.conf
# A change: eth2 and mgmt's eth3 given back, the bridge's MTU onto eth1.
P2=$(sed '/^ns\.mgmt\./d; s/^bridge.lan.ports = .*/bridge.lan.ports = eth1\nbridge.lan.mtu = 1450/' "$P" | conf ports2)
n=$(ops "$P" up)
ok "ports: a fresh build takes some operations ($n)" test "${n:-0}" -gt 15
ok "ports: down" "$BOXNET" -c "$P" down
same "ports: which leaves the ports and the box as before" "$clean" "$(snapshot)"
failing "$n" "$P" "$clean" "ports, fresh build"
same "ports: the run that had no such operation built what a fresh build gives" "$(fresh_box "$P" "$SETUP")" \
	"$(plain_snapshot)"
built_p=$(snapshot)
n=$(ops "$P2" up)
"$BOXNET" -c "$P" up
failing "$n" "$P2" "$built_p" "ports given back and changed"
same "ports changed: eth2 back in oldbr, eth3 back on the host, no record of theirs" "oldbr eth3 none" \
	"$(ip -j link show eth2 | jq -r '.[0].master') $(ip -j link show eth3 | jq -r '.[0].ifname') $(ls /run/boxnet/adopted.*/ | grep -E 'eth[23]' || echo none)"
built_p2=$(snapshot)
n=$(ops "$P" up)
"$BOXNET" -c "$P2" up
failing "$n" "$P" "$built_p2" "ports adopted again"
n=$(ops "$P" down)
"$BOXNET" -c "$P" up
failing "$n" "$P" "$built_p" "ports, down" down
same "ports: the down that had no such operation gave every port back" "$clean" "$(snapshot)"
n=$(ops "$P" up)
"$BOXNET" -c "$P" down
same "ports: down after the count leaves them as before" "$clean" "$(snapshot)"
# killed compares with fresh_box, whose dump has no records: the plain one again, the records
# checked after.
eval "$(declare -f plain_snapshot | sed '1s/plain_//')"
clean=$(snapshot)
killed "ports: " "$P" "$n" 3 $((n / 2)) $((n - 1))
same "ports: killed, up and down: no record left" "" "$(cat /run/boxnet/adopted.*/* 2>/dev/null)"
done_testing
