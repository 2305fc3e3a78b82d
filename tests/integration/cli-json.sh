#!/bin/bash
# cli-json.sh: the command line for scripts and people: status -j and plan -j print JSON
# (each object's state: ok, missing, different, foreign), show summarises the box, and
# down --all removes all that carries boxnet's marks, without a config, and nothing else.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
CONF=$(conf box <<'EOF2'
uplink = eth0
bridge.br1.address = 10.10.0.1/24 fd00:10::1/64
ns.a.bridge = br1
ns.a.address = 10.10.0.2/24 fd00:10::2/64
ns.b.bridge = br1
ns.b.address = 10.10.0.3/24
ns.p.peer = 10.20.0.1/30 fd00:20::1/64
ns.p.address = 10.20.0.2/30 fd00:20::2/64
ns.p.isolate = yes
EOF2
)
# state OBJ: the state status -j gives the object of that name ("box" for the box itself).
state() { "$BOXNET" -c "$CONF" status -j | jq -r --arg n "$1" '.objects[] | select((.name // "box") == $n) | .state'; }
states() { "$BOXNET" -c "$CONF" status -j 2>/dev/null | jq -r '[.objects[] | "\(.name // "box")=\(.state)"] | join(" ")'; }

# plan -j: an array of operations, each with its type, where, owner and commands.
ok "plan -j is valid JSON" sh -c "'$BOXNET' -c '$CONF' plan -j | jq -e 'type == \"array\" and length > 0'"
same "plan -j: one operation per op, in plan's order" \
	"$("$BOXNET" -c "$CONF" plan -j | jq -r '.[0:3][] | "\(.type) \(.namespace) \(.interface) \(.owner.kind // "-")"')" \
	"nft_load null null -
netns_add a null ns
netns_add b null ns"
same "plan -j: each op says its owner's config line" "5" \
	"$("$BOXNET" -c "$CONF" plan -j | jq -r 'map(select(.type == "link_add" and .namespace == "b"))[0].owner.line')"
same "plan -j: the commands are plan's" "$("$BOXNET" -c "$CONF" plan | grep -c '^ip ')" \
	"$("$BOXNET" -c "$CONF" plan -j | jq -r '.[].command' | grep -c '^ip ')"
expect_exit "-j with up: a usage error" 2 "$BOXNET" -c "$CONF" -j up

# status -j before anything is built: every namespace missing, exit 3.
expect_exit "status -j on an empty box: exit 3" 3 "$BOXNET" -c "$CONF" status -j
same "status -j on an empty box: all missing" "br1=missing a=missing b=missing p=missing box=different" "$(states)"

"$BOXNET" -c "$CONF" up
expect_exit "status -j on a built box: exit 0" 0 "$BOXNET" -c "$CONF" status -j
same "status -j on a built box: all ok" "br1=ok a=ok b=ok p=ok box=ok" "$(states)"
same "status -j: each object's kind and line" "bridge br1 2,ns a 3,ns b 5,ns p 7" \
	"$("$BOXNET" -c "$CONF" status -j | jq -r '[.objects[] | select(.kind != "box") | "\(.kind) \(.name) \(.line)"] | join(",")')"
same "status -j: the top state" "ok" "$("$BOXNET" -c "$CONF" status -j | jq -r .state)"
same "status -j: the top-level keys" "config state uplink uplink_present offload objects adopted conflicts notes" \
	"$("$BOXNET" -c "$CONF" status -j | jq -r 'keys_unsorted | join(" ")')"
same "status -j: no flowtable (offload = no): offload is null" null "$("$BOXNET" -c "$CONF" status -j | jq -c .offload)"
same "status -j: no ports, no moved interface: adopted is empty" "[]" "$("$BOXNET" -c "$CONF" status -j | jq -c .adopted)"
not "status: no adopted lines without adopted interfaces" grep -q ^adopted <<<"$("$BOXNET" -c "$CONF" status)"
shown=$("$BOXNET" -c "$CONF" show)
same "show on a built box: IPv6 addresses and gateways beside IPv4 ones" "box $CONF: uplink eth0, forwarding on, IPv6 forwarding on  ok
bridge br1: 10.10.0.1/24 fd00:10::1/64, nat on, isolate on  ok
  ns a: eth0 10.10.0.2/24 fd00:10::2/64, gateway 10.10.0.1 and fd00:10::1  ok
  ns b: eth0 10.10.0.3/24, gateway 10.10.0.1  ok
peer bx-p: 10.20.0.1/30 fd00:20::1/64, nat on, isolate on
  ns p: eth0 10.20.0.2/30 fd00:20::2/64, gateway 10.20.0.1 and fd00:20::1  ok" "$shown"
expect_exit "show on a built box: exit 0" 0 "$BOXNET" -c "$CONF" show

# IPv6 interference: status -j names the object and what differs, as for IPv4.
# differs OBJ: what status -j says differs for that object, one line each.
differs() { "$BOXNET" -c "$CONF" status -j 2>/dev/null | jq -r --arg n "$1" '.objects[] | select((.name // "box") == $n) | .differs[]'; }
ip -n a addr del fd00:10::2/64 dev eth0
same "a namespace's IPv6 address deleted: that namespace differs" "br1=ok a=different b=ok p=ok box=ok" "$(states)"
same "a namespace's IPv6 address deleted: the address is named" "add address fd00:10::2/64 to eth0 in namespace a" \
	"$(differs a)"
expect_exit "a namespace's IPv6 address deleted: status -j exits 3" 3 "$BOXNET" -c "$CONF" status -j
ip -n p -6 route del default
same "a peer namespace's IPv6 default route deleted: p differs too" "br1=ok a=different b=ok p=different box=ok" "$(states)"
same "a peer namespace's IPv6 default route deleted: the route is named, and nothing of IPv4" \
	"add default route via fd00:20::1 dev eth0 in namespace p" "$(differs p)"
ip addr del fd00:10::1/64 dev br1
same "the bridge's IPv6 address deleted: the bridge differs" "different" "$(state br1)"
ok "the bridge's IPv6 address deleted: the address is named" grep -qF "fd00:10::1/64" <<<"$(differs br1)"
"$BOXNET" -c "$CONF" up
same "up puts the IPv6 objects back: all ok" "br1=ok a=ok b=ok p=ok box=ok" "$(states)"
echo 0 >/proc/sys/net/ipv6/conf/all/forwarding
same "IPv6 forwarding switched off: the box differs" "br1=ok a=ok b=ok p=ok box=different" "$(states)"
same "IPv6 forwarding switched off: said so, with the accept_ra boxnet raised" "switch IPv6 forwarding on (accept_ra of eth0 to 2)" "$(differs box)"
"$BOXNET" -c "$CONF" up
same "up switches it on again" "1" "$(cat /proc/sys/net/ipv6/conf/all/forwarding)"
same "and still notes that it raised the uplink's accept_ra, so that down puts it back" "on eth0" \
	"$(cat /run/boxnet/ipv6_forward.* 2>&1)"

# Interference: a deleted veth, a deleted namespace.
ip link del bx-a
same "a deleted veth: that namespace differs, the rest is ok" "br1=ok a=different b=ok p=ok box=ok" "$(states)"
ok "a deleted veth: what differs is said" sh -c "'$BOXNET' -c '$CONF' status -j | jq -e '.objects[1].differs | any(test(\"create veth pair bx-a\"))'"
expect_exit "a deleted veth: status -j exits 3" 3 "$BOXNET" -c "$CONF" status -j
ok "show after a deleted veth: its line says what differs" sh -c "'$BOXNET' -c '$CONF' show | grep -q '^  ns a: eth0 10.10.0.2/24 fd00:10::2/64, gateway 10.10.0.1 and fd00:10::1  different: create veth pair bx-a'"
expect_exit "show after an interference: exit 3" 3 "$BOXNET" -c "$CONF" show
ok "show: a namespace without a default route says so" sh -c "'$BOXNET' -c '$ROOT/tests/plan/routes.conf' show | grep -q '^  ns printer: eth0 10.61.0.3/24, no gateway  missing'"
ip netns del b
same "a deleted namespace: missing" "missing" "$(state b)"
"$BOXNET" -c "$CONF" up
# Something boxnet did not create in the way: foreign, exit 1, and JSON all the same.
ip link del bx-p
ip link add bx-p type veth peer name fp0
same "a foreign interface in the way: foreign" "br1=ok a=ok b=ok p=foreign box=ok" "$(states)"
expect_exit "a foreign interface in the way: status -j exits 1" 1 "$BOXNET" -c "$CONF" status -j
same "a foreign interface in the way: the conflict is listed" \
	"interface bx-p in the host exists and was not created by boxnet; remove or rename it" \
	"$("$BOXNET" -c "$CONF" status -j 2>/dev/null | jq -r '.conflicts[]')"
same "show: the foreign line" "  ns p: eth0 10.20.0.2/30 fd00:20::2/64, gateway 10.20.0.1 and fd00:20::1  foreign: something boxnet did not create is in the way" \
	"$("$BOXNET" -c "$CONF" show 2>/dev/null | grep '^  ns p')"
ip link del bx-p
"$BOXNET" -c "$CONF" up

# JSON strings are escaped: a config path with a quote, a backslash and a tab.
odd="$TMP/a\"b\\c	d.conf"
cp "$CONF" "$odd"
same "status -j escapes strings" "$odd" "$("$BOXNET" -c "$odd" status -j | jq -r .config)"

# down --all: no config needed; all of boxnet's goes, nothing else does.
ip link add fv0 type veth peer name fv1
ip netns add foreign
ip -n foreign link set lo up
nft add table ip mine '{ comment "not boxnet"; }'
nft add chain ip mine c
foreign() { ip -d link show fv0; ip -d link show fv1; ip -n foreign -d link show; nft list table ip mine; }
before=$(foreign)
expect_exit "down --all with a missing config: exit 0" 0 "$BOXNET" down --all -c /nonexistent
same "down --all: foreign objects are as before" "$before" "$(foreign)"
same "down --all: no boxnet namespace left" "foreign inet" "$(ls /run/netns | sort | tr '\n' ' ' | sed 's/ $//')"
same "down --all: no boxnet link left" "" "$(ip -br link | grep -E 'br1|bx-' || true)"
same "down --all: no boxnet table" "" "$(nft list tables | grep -w boxnet || true)"
same "down --all: forwarding off again, the note gone" "0 " "$(cat /proc/sys/net/ipv4/ip_forward) $(ls /run/boxnet/ | grep ip_forward || true)"
same "down --all: IPv6 forwarding off again, the note gone" "0 " \
	"$(cat /proc/sys/net/ipv6/conf/all/forwarding) $(ls /run/boxnet/ | grep ipv6_forward || true)"
same "down --all: the uplink's accept_ra back to 1" "1" "$(cat /proc/sys/net/ipv6/conf/eth0/accept_ra)"
expect_exit "down --all again: nothing to do, exit 0" 0 "$BOXNET" down --all
expect_exit "--all with up: a usage error" 2 "$BOXNET" -c "$CONF" --all up
expect_exit "purge is no command" 2 "$BOXNET" purge

# down --all fails midway (the test build's hook, each kernel operation in turn): all of it
# undone, the box as before.
FB=${BOXNET_FAULTS_BIN:-$ROOT/build/faults/boxnet}
if [ -x "$FB" ]; then
	"$BOXNET" -c "$CONF" up
	n=$(BOXNET_COUNT_OPS=1 "$FB" down --all 2>&1 | sed -n 's/.*test hook: \([0-9]*\) operations/\1/p')
	"$BOXNET" -c "$CONF" up
	built=$(snapshot)
	for k in $(seq 1 $((n - 1))); do
		BOXNET_FAIL_AT=$k "$FB" down --all >/dev/null 2>&1
		same "down --all failing at operation $k of $n: undone" "$built" "$(snapshot)"
	done
	"$BOXNET" down --all
fi

# Under valgrind: no memory error, no leak.
if command -v valgrind >/dev/null; then
	vg() { valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99 \
		"$BOXNET" "$@" >/dev/null 2>&1; [ $? != 99 ]; }
	ok "valgrind: plan -j" vg -c "$CONF" plan -j
	ok "valgrind: status -j on an empty box" vg -c "$CONF" status -j
	"$BOXNET" -c "$CONF" up
	ip link del bx-a
	ok "valgrind: status -j after an interference" vg -c "$CONF" status -j
	ok "valgrind: show" vg -c "$CONF" show
	ok "valgrind: down --all" vg down --all
fi

# Without root: one clear message, for up, down and status alike.
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
for cmd in up down status show; do
	out=$("${nobody[@]}" "$BOXNET" -c "$CONF" $cmd 2>&1)
	same "$cmd as nobody: exit 1" 1 "$?"
	same "$cmd as nobody: one message" "boxnet: $cmd needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN)" "$out"
done
same "-V prints the version" "boxnet" "$("$BOXNET" -V | cut -d' ' -f1)"
done_testing
