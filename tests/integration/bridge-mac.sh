#!/bin/bash
# bridge-mac.sh: every bridge boxnet makes has an address of its own, derived from its name
# (02:62 then FNV-1a of the name), so that it does not change when ports come and go: the
# namespaces that stay keep reaching their gateway while an up drops others.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
FB=${BOXNET_FAULTS_BIN:-$ROOT/build/faults/boxnet}

# The address boxnet gives bridge $1, computed here independently of boxnet.
derived_mac() {
	local s=$1 h=2166136261 i c
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%d' "'${s:i:1}"
		h=$(((h ^ c) * 16777619 & 0xffffffff))
	done
	printf '02:62:%02x:%02x:%02x:%02x\n' $((h >> 24)) $((h >> 16 & 255)) $((h >> 8 & 255)) $((h & 255))
}
mac_of() { ip ${2:+-n "$2"} -j link show dev "$1" | jq -r '.[0].address'; }

# box NS...: a bridge br0 with these namespaces on it (of a b c d).
box() {
	local n
	{
		echo "bridge.br0.address = 10.50.0.1/24"
		for n in "$@"; do
			echo "ns.$n.bridge = br0"
			echo "ns.$n.address = 10.50.0.$((10 + $(printf '%d' "'$n") - 97))/24"
		done
	} | conf "box$(printf -- '-%s' "$@")"
}
ALL=$(box a b c d)
WANT=$(derived_mac br0)

# ---- (1) the derived address, kept as ports come and go ----
ok "plan gives br0 its derived address ($WANT)" \
	grep -qx "ip link add name br0 address $WANT type bridge" <("$BOXNET" -c "$ALL" plan)
ok "up with a" "$BOXNET" -c "$(box a)" up
same "br0 has the derived address" "$WANT" "$(mac_of br0)"
ok "up adds b, c and d" "$BOXNET" -c "$ALL" up
same "br0 keeps it when ports join" "$WANT" "$(mac_of br0)"
ok "up drops b and c" "$BOXNET" -c "$(box a d)" up
same "br0 keeps it when ports go" "$WANT" "$(mac_of br0)"
expect_exit "status: nothing to do" 0 "$BOXNET" -c "$(box a d)" status
ok "down" "$BOXNET" -c "$ALL" down

# ---- (2) no ping lost by a namespace that stays while up drops the others ----
ok "up with a, b, c, d" "$BOXNET" -c "$ALL" up
# Keep the namespace whose host end has the highest address: without an address of its own,
# br0 had the lowest of its ports', which then goes.
keep=$(for n in a b c d; do echo "$(mac_of bx-$n) $n"; done | sort | tail -1 | cut -d' ' -f2)
in_ns "$keep" ping -c 1 -W 2 10.50.0.1 >/dev/null
in_ns "$keep" ping -n -i 0.05 -c 100 -W 1 10.50.0.1 >"$TMP/ping" 2>&1 &
pid=$!
sleep 1
ok "up keeps only $keep, while $keep pings its gateway" "$BOXNET" -c "$(box $keep)" up
wait $pid
ok "no ping lost ($(grep -o '[0-9.]*% packet loss' "$TMP/ping"))" grep -q ' 0% packet loss' "$TMP/ping"
same "br0 kept its address" "$WANT" "$(mac_of br0)"
ok "down" "$BOXNET" -c "$ALL" down

# ---- (3) an address changed by hand (or by an older boxnet) ----
ok "up" "$BOXNET" -c "$ALL" up
ip link set br0 address 02:00:00:00:00:01
expect_exit "status: br0's address changed by hand is a difference" 3 "$BOXNET" -c "$ALL" status
ok "status says what up sets" grep -q "ip link set dev br0 address $WANT" <("$BOXNET" -c "$ALL" status)
# Undo puts it back: every operation of an up that sets it and more fails in turn.
ip -n b addr del 10.50.0.11/24 dev eth0
before=$(snapshot)
ok "the hand-set address shows in the snapshot" grep -q '"address":"02:00:00:00:00:01"' <<<"$before"
if [ -x "$FB" ]; then
	bad=0
	for k in $(seq 1 20); do
		out=$(BOXNET_FAIL_AT=$k "$FB" -c "$ALL" up 2>&1) && break
		if [ "$(snapshot)" != "$before" ]; then
			fail "operation $k failing: the box changed" "$out"
			diff <(echo "$before") <(snapshot) | head -10 | sed 's/^/#   /'
			bad=1
			break
		fi
	done
	[ $bad = 0 ] && ok "each of the $((k - 1)) operations failing in turn left the old address" test $k -gt 2
else
	echo "skip - undo: needs build/faults/boxnet"
fi
ok "up" "$BOXNET" -c "$ALL" up
same "br0 has the derived address again" "$WANT" "$(mac_of br0)"
expect_exit "status: nothing to do" 0 "$BOXNET" -c "$ALL" status
same "the box is as a fresh build" "$(fresh_box "$ALL")" "$(snapshot)"
done_testing
