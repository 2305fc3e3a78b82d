#!/bin/bash
# interfere.sh: others change the box behind boxnet's back; up puts it right again, exactly
# as a fresh build, and touches nothing else. Invalid packets never leave un-NATed, and
# forwarding never comes on before the firewall.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
CONF=$ROOT/rootfs-overlay/etc/boxnet.conf
fresh=$(fresh_box "$CONF")
ok "up" "$BOXNET" -c "$CONF" up

# interfere WHAT COMMAND...: after COMMAND, up restores what a fresh build gives.
interfere() {
	local what=$1
	shift
	"$@" >/dev/null 2>&1 || fail "$what: the interference itself failed: $*"
	ok "$what: up puts it right" "$BOXNET" -c "$CONF" up
	same "$what: the box is as a fresh build" "$fresh" "$(snapshot)"
}
interfere "nft flush ruleset" nft flush ruleset
interfere "a deleted veth" ip link del bx-red
interfere "a deleted namespace" ip netns del blue
interfere "a changed address" sh -c "ip -n red addr del 172.30.0.2/24 dev eth0 && ip -n red addr add 172.30.0.99/24 dev eth0"
interfere "an extra address" ip addr add 172.30.0.200/24 dev br0
interfere "a bridge taken down" ip link set br0 down
interfere "a veth out of its bridge" ip link set bx-blue nomaster
interfere "a changed MTU" ip link set bx-red mtu 1400
interfere "a deleted default route" ip -n red route del default
interfere "a rule added to boxnet's table" nft add rule inet boxnet forward accept
interfere "a rule deleted from boxnet's table" sh -c 'nft delete rule inet boxnet forward handle \
	$(nft -a list chain inet boxnet forward | grep -m1 "drop # handle" | grep -o "[0-9]*$")'
interfere "forwarding switched off" sh -c "echo 0 >/proc/sys/net/ipv4/ip_forward"
ok "and after all that, red still reaches the internet" ping_ok red $INET_ADDR

# The mark is what makes a link boxnet's: without it, br0 is someone else's, and left alone.
ip link set br0 alias ""
before=$(snapshot 1)
expect_exit "a link whose mark was taken off is not boxnet's: up refuses" 1 "$BOXNET" -c "$CONF" up
same "and changes nothing" "$before" "$(snapshot 1)"
ip link set br0 alias boxnet

# Invalid packets (SYN and FIN at once) from red: the internet host counts what arrives with
# a private source. Without the rule that drops them, they do arrive: the control.
if command -v python3 >/dev/null; then
	ip netns exec inet nft add table ip seen
	ip netns exec inet nft add chain ip seen in '{ type filter hook input priority 0; }'
	ip netns exec inet nft add rule ip seen in ip saddr 172.30.0.0/24 tcp dport 80 counter
	count() { ip netns exec inet nft list chain ip seen in | grep -o 'packets [0-9]*' | cut -d' ' -f2; }
	ip netns exec red python3 "$ROOT/tests/invalid.py" 172.30.0.2 $INET_ADDR 80
	same "invalid packets do not leave a segment with a private address" 0 "$(count)"
	handle=$(nft -a list chain inet boxnet forward | grep 'ct state invalid iifname @segments drop' | grep -o 'handle [0-9]*')
	nft delete rule inet boxnet forward $handle
	ip netns exec red python3 "$ROOT/tests/invalid.py" 172.30.0.2 $INET_ADDR 80
	ok "control: without the rule, they leak with a private address" test "$(count)" -gt 0
	"$BOXNET" -c "$CONF" up
	ip netns exec inet nft delete table ip seen
else
	echo "skip - invalid packets: needs python3"
fi

# Forwarding and the firewall: when the firewall cannot be loaded, forwarding stays off.
ok "down" "$BOXNET" -c "$CONF" down
FB=${BOXNET_FAULTS_BIN:-$ROOT/build/faults/boxnet}
if [ -x "$FB" ]; then
	n=$(BOXNET_COUNT_OPS=1 "$FB" -c "$CONF" up 2>&1 | sed -n 's/.*test hook: \([0-9]*\) operations/\1/p')
	"$BOXNET" -c "$CONF" down
	for k in $(seq 1 "$n"); do
		BOXNET_FAIL_AT=$k "$FB" -c "$CONF" up >"$TMP/out" 2>&1
		if grep -q "cannot load nftables table" "$TMP/out"; then
			same "the firewall failing to load: forwarding stays off" 0 "$(cat /proc/sys/net/ipv4/ip_forward)"
			break
		fi
	done
fi
done_testing
