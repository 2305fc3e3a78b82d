#!/bin/bash
# upgrade.sh: a box built by a boxnet before dual stack has table ip boxnet. up replaces it
# with table inet boxnet in one transaction; if any later step of up fails, undo puts the old
# table back exactly, so the box is never left without a firewall; down removes both.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
OLD=$(conf old <<'EOF'
uplink = eth0
bridge.br0.address = 10.0.0.1/24
ns.red.bridge = br0
ns.red.address = 10.0.0.2/24
EOF
)
NEW=$(conf new <<'EOF'
uplink = eth0
bridge.br0.address = 10.0.0.1/24 fd00:10::1/64
ns.red.bridge = br0
ns.red.address = 10.0.0.2/24 fd00:10::2/64
ns.blue.bridge = br0
ns.blue.address = 10.0.0.3/24
EOF
)
# The old box: its links by this boxnet, its firewall as an older one left it.
old_box() {
	"$BOXNET" -c "$OLD" up >/dev/null 2>&1
	nft delete table inet boxnet
	nft -f - <<'EON'
table ip boxnet {
	comment "boxnet 00000000"
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname "br0" ct state invalid drop
		oifname "br0" ct state established,related accept
		iifname "br0" oifname "br0" accept
		oifname "br0" drop
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "br0" accept
		ip saddr 10.0.0.0/24 masquerade
	}
}
EON
}
old_box
tables() { nft list ruleset; }
ok "control: the old table is there" nft list table ip boxnet
if "$BOXNET" -c "$NEW" plan 2>&1 | grep -q "delete table ip boxnet"; then
	fail "plan (no kernel state) never deletes a table ip boxnet"
else
	pass "plan (no kernel state) never deletes a table ip boxnet"
fi

FB=${BOXNET_FAULTS_BIN:-$ROOT/build/faults/boxnet}
if [ -x "$FB" ]; then
	n=$(BOXNET_COUNT_OPS=1 "$FB" -c "$NEW" up 2>&1 | sed -n 's/.*test hook: \([0-9]*\) operations/\1/p')
	"$BOXNET" -c "$NEW" down >/dev/null 2>&1
	old_box
	before=$(tables)
	bad=0
	for k in $(seq 1 "${n:-0}"); do
		BOXNET_FAIL_AT=$k "$FB" -c "$NEW" up >"$TMP/out" 2>&1 && { bad=$k; break; }
		[ "$(tables)" == "$before" ] || { bad=$k; break; }
	done
	if [ "${n:-0}" -gt 0 ] && [ $bad = 0 ]; then
		pass "undo: each of up's $n operations failing in turn puts the old table ip boxnet back as it was"
	else
		fail "undo: each of up's ${n:-?} operations failing in turn puts the old table ip boxnet back" \
			"operation $bad failing: $(tail -3 "$TMP/out")"
		diff <(echo "$before") <(tables) | head -10 | sed 's/^/#   /'
	fi
else
	echo "skip - undo over an old table: build/faults/boxnet is missing (make faults)"
fi

out=$("$BOXNET" -c "$NEW" up 2>&1)
ok "up over the old table" test $? = 0
if grep -q "table missing" <<<"$out"; then
	fail "...and does not call the old table's replacement a flushed ruleset" "$out"
else
	pass "...and does not call the old table's replacement a flushed ruleset"
fi
same "...leaves one table, inet boxnet" "inet boxnet" \
	"$(nft -j list tables | jq -r '.nftables[].table | select(.) | "\(.family) \(.name)"')"
expect_exit "...and the box is up as configured" 0 "$BOXNET" -c "$NEW" status
"$BOXNET" -c "$NEW" down >/dev/null 2>&1
old_box
ok "down over an old box" "$BOXNET" -c "$OLD" down
same "...removes the old table too" "" "$(nft list tables)"
done_testing
