#!/bin/bash
# offload.sh: offload = yes. plan prints the flowtable's devices as a step after the links. On a
# kernel without flowtables (this machine's: no CONFIG_NF_FLOW_TABLE_INET), up refuses before
# anything is built, naming the feature, and leaves the kernel as it was; on one with them, the
# flowtable holds the segments and the uplink, a download takes the fast path, up converges and
# down removes it. QEMU's offload scenario runs the second half on Debian's kernel in any case.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink

CONF=$(conf offload <<'C'
uplink = eth0
offload = yes
bridge.lan.address = 10.72.0.1/24 fd00:72::1/64
ns.web.bridge = lan
ns.web.address = 10.72.0.10/24 fd00:72::10/64
ns.vpn.peer = 10.73.0.1/30
ns.vpn.address = 10.73.0.2/30
C
)

plan=$("$BOXNET" -c "$CONF" plan)
same "plan: the table's transaction leaves the flowtable and its rules out (nft cannot make it without devices)" \
	0 "$(sed -n '/^# firewall/,/^EOF/p' <<<"$plan" | grep -c flow)"
same "plan: then the devices, after the last link, before forwarding" "in order" "$(awk '
	/^ip link set dev bx-vpn .*up$/ {links = NR} /^add flowtable inet boxnet ft/ {ft = NR} /^# forwarding/ {fwd = NR}
	END {print ((links && ft > links && fwd > ft) ? "in order" : links " " ft " " fwd)}' <<<"$plan")"
same "plan: the flowtable's devices: the segments and the uplink, sorted" \
	'add flowtable inet boxnet ft { hook ingress priority filter; devices = { "bx-vpn", "eth0", "lan" }; }' \
	"$(grep '^add flowtable' <<<"$plan")"
same "plan: its rules inserted first in forward, iifname's ahead" \
	"insert rule inet boxnet forward oifname @segments flow add @ft
insert rule inet boxnet forward iifname @segments flow add @ft" "$(grep '^insert rule' <<<"$plan")"

# Does this kernel have flowtables? nft makes one on lo in a table of its own.
if ! nft -f - 2>/dev/null <<'EOF'
table inet ftprobe {
	flowtable f {
		hook ingress priority filter
		devices = { lo }
	}
}
EOF
then
	before=$(snapshot 1)
	msg=$("$BOXNET" -c "$CONF" up 2>&1)
	same "up on a kernel without flowtables: exit 1" 1 $?
	same "the message names the table and CONFIG_NF_FLOW_TABLE_INET" \
		"boxnet: cannot load nftables table inet boxnet: No such file or directory; the kernel lacks CONFIG_NF_FLOW_TABLE_INET (nf_flow_table_inet: flowtables, for offload = yes)" \
		"$msg"
	same "and nothing was built or changed (ifindexes and handles too)" "$before" "$(snapshot 1)"
	echo "skip - flowtables: this kernel has none (no CONFIG_NF_FLOW_TABLE_INET); QEMU's offload scenario tests them"
	done_testing
fi
nft delete table inet ftprobe

ok "up" "$BOXNET" -c "$CONF" up
same "the flowtable: hook ingress, priority 0, on the segments and the uplink" "ingress 0 bx-vpn eth0 lan" \
	"$(nft -j list flowtables | jq -r '.nftables[] | select(.flowtable.table == "boxnet") | .flowtable
		| "\(.hook) \(.prio) \(.dev | sort | join(" "))"')"
same "status -j reports them" '["bx-vpn","eth0","lan"]' "$("$BOXNET" -c "$CONF" status -j | jq -c '.offload | sort')"
ok "status: ok" "$BOXNET" -c "$CONF" status
built=$(snapshot 1)
ok "up again" "$BOXNET" -c "$CONF" up
same "up on a built box changed nothing (ifindexes and handles too)" "$built" "$(snapshot 1)"
# A download through the box: only its first packets pass the forward hook, which a table of
# the test's counts after boxnet's chain.
nft -f - <<'EOF'
table inet probe {
	chain counted {
		type filter hook forward priority 10; policy accept;
		counter
	}
}
EOF
ip netns exec inet timeout 20 socat TCP4-LISTEN:7200,reuseaddr SYSTEM:'head -c 4000000 /dev/zero' 2>/dev/null &
wait_listen inet 7200
got=$(ip netns exec web timeout 10 socat -u "TCP4:$INET_ADDR:7200,connect-timeout=2,shut-none" - 2>/dev/null | wc -c)
same "web downloads 4 MB through the box" 4000000 "$got"
bytes=$(nft -j list chain inet probe counted | jq '.nftables[] | .rule.expr[0].counter.bytes? // empty')
ok "it took the fast path: $bytes bytes passed the forward hook" test "${bytes:-4000000}" -lt 400000
nft delete table inet probe
# A converging up adds a bridge: it joins.
CONF2=$(conf offload2 <<C
$(cat "$CONF")
bridge.dmz.address = 10.74.0.1/24
C
)
ok "up with a new bridge" "$BOXNET" -c "$CONF2" up
same "it joined the flowtable" "bx-vpn dmz eth0 lan" \
	"$(nft -j list flowtables | jq -r '.nftables[] | select(.flowtable.table == "boxnet") | .flowtable.dev | sort | join(" ")')"
ok "down" "$BOXNET" -c "$CONF2" down
same "down removed the flowtable" "" "$(nft -j list flowtables | jq -r '.nftables[] | .flowtable.name? // empty')"
done_testing
