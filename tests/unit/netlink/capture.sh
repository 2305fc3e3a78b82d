#!/bin/bash
# tests/unit/netlink/capture.sh: what nft itself sends for boxnet's rules, kept as test data for
# test_netlink.c: for each tests/plan/NAME.conf, the table that `boxnet plan` prints (and its
# offload step), compiled by nft --debug=netlink in check mode, the rules' expressions only,
# into NAME.txt. Run once, as root, on x86_64 (nft shows data as host-order 32-bit words), when
# the plan configs or the encoding change; review the diff. Never changes the machine's own
# network: nft runs in a namespace of its own.
set -eu
cd "$(dirname "$0")/../../.."
[ "$(id -u)" = 0 ] || { echo "capture.sh: needs root (unshare)" >&2; exit 1; }
for f in tests/plan/*.conf; do
	name=$(basename "$f" .conf)
	plan=$(./boxnet -c "$f" plan)
	{
		sed -n '/^nft -f - <<.EOF.$/,/^EOF$/p' <<<"$plan" | sed '1d;$d' | sed -n '1,/^}$/p'
		# offload: the flowtable's step (nft cannot check it without the devices: it prints
		# the rules before the kernel refuses them)
		sed -n '/^add flowtable/,/^EOF$/p' <<<"$plan" | sed '$d'
	} >"/tmp/capture.$$.nft"
	unshare -m -n nft --debug=netlink -c -f "/tmp/capture.$$.nft" 2>/dev/null |
		awk '/^inet boxnet [^ ]+$/ {print; on = 1; next} on && /^  \[/ {print; next} {on = 0}' >"tests/unit/netlink/$name.txt"
	echo "$name: $(grep -c '^inet boxnet' "tests/unit/netlink/$name.txt") rules"
done
rm -f "/tmp/capture.$$.nft"
