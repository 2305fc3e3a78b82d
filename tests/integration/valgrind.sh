#!/bin/bash
# valgrind.sh: every command under valgrind's memcheck: no error, no leak of any kind, no file
# descriptor left open but those boxnet was started with.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
if ! command -v valgrind >/dev/null; then
	echo "skip - valgrind is not installed"
	exit 0
fi
# Dual-stack configs: every path of both families. B is open.conf with IPv6 beside IPv4.
A=$ROOT/tests/plan/dualstack.conf
B=$(conf open6 <<'EOC'
uplink = wan
bridge.a.address = 172.16.1.1/24 fd00:16:1::1/64
bridge.a.isolate = no
bridge.b.address = 172.16.2.1/24 172.16.3.1/24 fd00:16:2::1/64
bridge.b.isolate = no
bridge.b.masquerade = ipv6
bridge.c.address = 172.16.4.1/25
ns.a1.bridge = a
ns.a1.address = 172.16.1.2/24 fd00:16:1::2/64
ns.b1.bridge = b
ns.b1.address = 172.16.2.2/24 172.16.3.2/24 fd00:16:2::2/64
ns.c1.bridge = c
ns.c1.address = 172.16.4.2/25
EOC
)

vg() {
	local what=$1
	shift
	valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99 \
		--track-fds=yes --log-file="$TMP/vg.log" "${BIN:-$BOXNET}" "$@" >/dev/null 2>"$TMP/err"
	local rc=$?
	local open inherited
	open=$(sed -n 's/.*FILE DESCRIPTORS: \([0-9]*\) open.*/\1/p' "$TMP/vg.log")
	inherited=$(grep -c "<inherited from parent>" "$TMP/vg.log")
	if [ $rc = 99 ] || grep -q "ERROR SUMMARY: [1-9]" "$TMP/vg.log"; then
		fail "$what: memcheck found errors or leaks" "$(grep -m5 -E 'Invalid|uninit|lost|leak' "$TMP/vg.log")"
	elif [ "$((open - 3))" != "$inherited" ]; then
		fail "$what: a file descriptor was left open" "$(grep -A1 'Open file descriptor' "$TMP/vg.log" | head -8)"
	else
		pass "$what: no memory error, no leak, no file descriptor left open (exit $rc)"
	fi
}
vg "check" -c "$A" check
vg "check, a bad config" -c "$ROOT/tests/bad/several-errors.conf" check
vg "check, a bad IPv6 config" -c "$ROOT/tests/bad/v6-gw-two.conf" check
vg "plan, IPv4 only" -c "$ROOT/tests/plan/multi.conf" plan
vg "plan" -c "$A" plan
vg "up" -c "$A" up
vg "up again" -c "$A" up
vg "status" -c "$A" status
vg "up, converging to another config" -c "$B" up
vg "down" -c "$B" down
vg "down, nothing there" -c "$B" down
# offload: plan's devices step; on a kernel without flowtables, up refused at the load.
O=$ROOT/tests/plan/offload.conf
vg "plan, offload" -c "$O" plan
vg "plan -j, offload" -c "$O" plan -j
vg "up, offload (refused without flowtables, or built)" -c "$O" up
vg "status -j, offload" -c "$O" status -j
vg "down, offload" -c "$O" down
# Port forwards and openings: their keys, rules, status reports, and a table recognised.
F=$ROOT/tests/plan/forwards.conf
vg "check, a bad forward" -c "$ROOT/tests/bad/fwd-twice-overlap.conf" check
vg "plan, forwards" -c "$F" plan
vg "up, forwards" -c "$F" up
vg "status, forwards up to date" -c "$F" status
vg "status -j, forwards" -c "$F" status -j
vg "show, forwards" -c "$F" show
vg "down, forwards" -c "$F" down
# Static routes and namespace forwarding: validated, planned, applied, reported, converged, removed.
R=$ROOT/tests/plan/routes.conf
vg "check, bad routes" -c "$ROOT/tests/bad/route-twice.conf" check
vg "up, routes" -c "$R" up
vg "status -j, routes" -j -c "$R" status
vg "show, routes" -c "$R" show
vg "up, routes converging to another config" -c "$A" up
vg "up, routes back" -c "$R" up
vg "down, routes" -c "$R" down
# The paths that undo: a failure midway and near the end (the test build's hook).
FB=$ROOT/build/faults/boxnet
if [ -x "$FB" ]; then
	n=$(BOXNET_COUNT_OPS=1 "$FB" -c "$A" up 2>&1 | sed -n 's/.*test hook: \([0-9]*\) operations/\1/p')
	"$BOXNET" -c "$A" down
	BIN=$FB BOXNET_FAIL_AT=$((n / 2)) vg "up failing midway, undone" -c "$A" up
	BIN=$FB BOXNET_FAIL_AT=$((n - 1)) vg "up failing near the end, undone" -c "$A" up
	"$BOXNET" -c "$A" up
	BIN=$FB BOXNET_FAIL_AT=10 vg "a change failing, undone" -c "$B" up
	"$BOXNET" -c "$A" down
fi
# The namespaces' resolv.conf: read, written, rewritten, another's reported, removed, undone.
N=$ROOT/tests/plan/dns.conf
vg "plan, resolv.conf" -c "$N" plan
vg "up, resolv.conf" -c "$N" up
echo "nameserver 203.0.113.9" >>/etc/netns/web/resolv.conf
vg "status, boxnet's resolv.conf edited" -c "$N" status
vg "up, resolv.conf written anew" -c "$N" up
printf 'nameserver 9.9.9.9\n' >/etc/netns/vpn/resolv.conf
vg "status -j, another's resolv.conf" -j -c "$N" status
vg "down, another's resolv.conf left" -c "$N" down
rm -r /etc/netns/vpn
if [ -x "$FB" ]; then
	n=$(BOXNET_COUNT_OPS=1 "$FB" -c "$N" up 2>&1 | sed -n 's/.*test hook: \([0-9]*\) operations/\1/p')
	"$BOXNET" -c "$N" down
	BIN=$FB BOXNET_FAIL_AT=$n vg "up failing at the last resolv.conf, the first undone" -c "$N" up
	"$BOXNET" -c "$N" up
	n=$(BOXNET_COUNT_OPS=1 "$FB" -c "$N" down 2>&1 | sed -n 's/.*test hook: \([0-9]*\) operations/\1/p')
	"$BOXNET" -c "$N" up
	BIN=$FB BOXNET_FAIL_AT=$((n - 1)) vg "down failing near the end, the resolv.conf files put back" -c "$N" down
	same "and they are back" "2" "$(grep -l 'generated for namespace' /etc/netns/*/resolv.conf | wc -l)"
	"$BOXNET" -c "$N" down
fi

# Adopted interfaces: ports, a moved interface and a macvlan recorded, changed, reported
# (status's adopted lines and array, a record the config no longer names) and given back.
ip link add eth1 mtu 1400 type veth peer name far-eth1
ip link add eth2 type veth peer name far-eth2
ip link add eth3 type veth peer name far-eth3
ip link add eth4 type veth peer name far-eth4
ip link set eth4 up
P=$ROOT/tests/plan/ports.conf
P2=$(sed '/^ns\.mgmt\./d' "$P" | conf ports2)
vg "up, ports" -c "$P" up
vg "status, ports" -c "$P" status
vg "status -j, ports, a moved interface no longer named" -c "$P2" status -j
vg "up, a moved interface given back" -c "$P2" up
vg "up, adopted again" -c "$P" up
vg "down, ports given back" -c "$P" down
same "the ports back on the host, no record" "eth1 eth2 eth3 none" \
	"$(ip -j link show | jq -r '[.[] | select(.ifname | test("^eth[1-3]$")) | select(.master == null) | .ifname] | join(" ")') $(ls /run/boxnet/adopted.*/ 2>/dev/null | grep . || echo none)"
done_testing
