#!/bin/bash
# trust-nft.sh: boxnet's nftables table is up to date only when it is exactly what up loads.
# A table made dormant, a chain's policy changed, a rule replaced in place: status says the
# table differs (exit 3) and up puts it back as a fresh build has it. Undo puts back the table
# it found, dormant as it was.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
CONF=$(conf box <<'EOF'
uplink = eth0
bridge.br0.address = 10.0.0.1/24
ns.red.bridge = br0
ns.red.address = 10.0.0.2/24
ns.blue.bridge = br0
ns.blue.address = 10.0.0.3/24
bridge.br1.address = 10.1.0.1/24
bridge.br1.isolate = yes
EOF
)
fresh=$(fresh_box "$CONF")
ok "up" "$BOXNET" -c "$CONF" up
same "the box is as a fresh build" "$fresh" "$(snapshot)"
expect_exit "status on the untouched box: up as configured" 0 "$BOXNET" -c "$CONF" status
before=$(nft -a list ruleset)
ok "a no-op up" "$BOXNET" -c "$CONF" up
same "changes no nft handle" "$before" "$(nft -a list ruleset)"

# Can the internet host connect into red? It routes the box's private subnet to the box, as a
# neighbour on the uplink could, for the time of the test.
inet_into_red() {
	ip -n inet route add 10.0.0.0/24 via $UPLINK_ADDR
	tcp_connects red inet 10.0.0.2
	local rc=$?
	ip -n inet route del 10.0.0.0/24 via $UPLINK_ADDR
	return $rc
}
not "control: the internet host cannot connect into red" inet_into_red

handle() { nft -a list chain inet boxnet "$1" | grep -F -m1 "$2 # handle" | grep -o '[0-9]*$'; }

# interfere WHAT COMMAND...: after COMMAND, status names the table and exits 3, and up
# restores what a fresh build gives.
interfere() {
	local what=$1 out rc
	shift
	"$@" >/dev/null 2>&1 || fail "$what: the interference itself failed: $*"
	out=$("$BOXNET" -c "$CONF" status 2>&1)
	rc=$?
	if [ $rc = 3 ] && grep -q "table inet boxnet" <<<"$out"; then pass "$what: status says the table differs"; else
		fail "$what: status says the table differs" "exit $rc, expected 3 and the table named" "$out"
	fi
	ok "$what: up puts it right" "$BOXNET" -c "$CONF" up
	same "$what: the box is as a fresh build" "$fresh" "$(snapshot)"
	expect_exit "$what: then status says up as configured" 0 "$BOXNET" -c "$CONF" status
}
interfere "a dormant table" nft add table inet boxnet '{ flags dormant; }'
interfere "forward's policy drop" nft add chain inet boxnet forward '{ policy drop; }'
interfere "postrouting's policy drop" nft add chain inet boxnet postrouting '{ policy drop; }'

# A rule replaced in place: the same number of rules, another meaning.
nft replace rule inet boxnet into_br0 handle "$(handle into_br0 'drop')" accept
ok "control: with into_br0's drop an accept, the internet host connects into red" inet_into_red
interfere "a drop replaced by an accept" true
not "then the internet host cannot connect into red" inet_into_red
interfere "a masquerade replaced by one of another subnet" nft replace rule inet boxnet postrouting handle \
	"$(handle postrouting 'ip saddr 10.0.0.0/24 masquerade')" oifname '"eth0"' ip saddr 10.9.0.0/24 masquerade
interfere "a rule's interface replaced" nft replace rule inet boxnet into_br0 handle \
	"$(handle into_br0 'iifname "br0" accept')" iifname '"br9"' accept
interfere "two rules swapped" sh -c "nft delete rule inet boxnet forward handle \
	$(handle forward 'ct state invalid iifname @segments drop') && nft insert rule inet boxnet forward position \
	$(handle forward 'ct state established,related accept') ct state invalid iifname @segments drop"
# The sets the rules look up: one lookup, whatever the number of segments.
nft delete element inet boxnet into '{ "br0" }'
ok "control: without br0 in the map, the internet host connects into red" inet_into_red
interfere "br0 deleted from the map into" true
not "then the internet host cannot connect into red" inet_into_red
interfere "an element added to segments" nft add element inet boxnet segments '{ "br9" }'
interfere "br0 jumping to br1's chain" sh -c "nft delete element inet boxnet into '{ \"br0\" }' &&
	nft add element inet boxnet into '{ \"br0\" : jump into_br1 }'"
interfere "a set in the table" nft add set inet boxnet extra '{ type ipv4_addr; }'
interfere "an extra chain" nft add chain inet boxnet extra

# Undo: whichever operation of up fails, the table up found comes back exactly, dormant.
FB=${BOXNET_FAULTS_BIN:-$ROOT/build/faults/boxnet}
if [ -x "$FB" ]; then
	spoil() {
		nft add table inet boxnet '{ flags dormant; }'
		nft add chain inet boxnet forward '{ policy drop; }'
		echo 0 >/proc/sys/net/ipv4/ip_forward
	}
	spoil
	n=$(BOXNET_COUNT_OPS=1 "$FB" -c "$CONF" up 2>&1 | sed -n 's/.*test hook: \([0-9]*\) operations/\1/p')
	spoil
	# nft's text, not its JSON: nft 1.0.6 garbles a dormant table's flags in JSON.
	table() { nft list ruleset; cat /proc/sys/net/ipv4/ip_forward; }
	before=$(table)
	bad=0
	for k in $(seq 1 "${n:-0}"); do
		BOXNET_FAIL_AT=$k "$FB" -c "$CONF" up >"$TMP/out" 2>&1 && { bad=$k; break; }
		cat "$TMP/out" >>"$TMP/all"
		[ "$(table)" == "$before" ] || { bad=$k; break; }
	done
	if [ "${n:-0}" -gt 0 ] && [ $bad = 0 ]; then
		pass "undo: each of up's $n operations failing in turn leaves the dormant table as it was"
	else
		fail "undo: each of up's ${n:-?} operations failing in turn leaves the dormant table as it was" \
			"operation $bad failing: $(tail -3 "$TMP/out")"
		diff <(echo "$before") <(table) | head -10 | sed 's/^/#   /'
	fi
	ok "the table's load was among them" grep -q "cannot load nftables table.*injected" "$TMP/all"
	ok "then up" "$BOXNET" -c "$CONF" up
	same "builds what a fresh build gives" "$fresh" "$(snapshot)"
else
	echo "skip - undo: needs build/faults/boxnet (make faults)"
fi
done_testing
