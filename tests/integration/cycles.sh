#!/bin/bash
# cycles.sh: CYCLES (default 1000) up/down cycles of a dual-stack box leave nothing behind and
# grow nothing: the same namespaces, links, addresses, IPv6 routes, nft objects, forwarding and
# notes after as before, boxnet's peak memory the same in the last cycles as in the first.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
# The shipped config, each address with an IPv6 one beside it: both families come and go.
CONF=$(sed -E 's#^((bridge|ns)\.[^.]+\.address = 172\.30\.0\.([0-9]+)/24)$#\1 fd00:30::\3/64#' \
	"$ROOT/rootfs-overlay/etc/boxnet.conf" | conf dual)
cycles=${CYCLES:-1000}
same "the config has an IPv6 address beside each IPv4 one" 3 "$(grep -c ' fd00:30::[0-9]*/64$' "$CONF")"
# The kernel's own link-local addresses and routes come when a link gets carrier, in its own time.
counts() {
	echo "netns=$(ls /run/netns | wc -l) links=$(ip -o link | wc -l) nft=$(nft list ruleset | wc -l)" \
		"addrs=$(ip -o addr | grep -vc ' fe80:') routes6=$(ip -6 route show table all | grep -vc 'fe80:\|ff00::/8')" \
		"forwarding=$(cat /proc/sys/net/ipv4/ip_forward)$(cat /proc/sys/net/ipv6/conf/all/forwarding)" \
		"accept_ra=$(cat /proc/sys/net/ipv6/conf/eth0/accept_ra) notes=$(ls /run/boxnet 2>/dev/null | grep -vcx lock)"
}
before=$(counts)
rss() { sed -n 's/.*peak memory \([0-9]*\) KiB/\1/p'; }
first=0 last=0 failed_runs=0
start=$(date +%s)
for i in $(seq 1 "$cycles"); do
	up=$("$BOXNET" -v -c "$CONF" up 2>&1) || failed_runs=$((failed_runs + 1))
	"$BOXNET" -c "$CONF" down || failed_runs=$((failed_runs + 1))
	r=$(rss <<<"$up")
	[ "$i" -le 50 ] && [ "${r:-0}" -gt "$first" ] && first=$r
	[ "$i" -gt $((cycles - 50)) ] && [ "${r:-0}" -gt "$last" ] && last=$r
done
echo "# $cycles cycles in $(($(date +%s) - start)) s; peak memory of up: $first KiB in the first 50, $last KiB in the last 50"
same "$cycles up/down cycles: every run succeeded" 0 "$failed_runs"
same "the same namespaces, links, addresses, routes, nft objects, sysctls and notes as before" "$before" "$(counts)"
# Each run is a new process, so growth here would be kernel state piling up (longer dumps).
# Address-space randomisation and the C library's heap, which takes memory in steps, move the
# peak by up to some 60 KiB from run to run (seen on a loaded machine): that much is allowed;
# kernel state piling up grows it with every cycle. (Not under ASan, whose allocator's
# footprint wanders.)
if [ "${CYCLES_RSS:-1}" = 1 ]; then
	ok "boxnet's peak memory did not grow ($first KiB, then $last KiB)" test "$last" -le $((first + 64))
fi
done_testing
