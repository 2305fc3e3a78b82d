#!/bin/bash
# tests/unit/netlink/capture.sh: what nft itself sends for boxnet's rules, kept as test data for
# test_netlink.c: for each tests/plan/NAME.conf, the table that `boxnet plan` prints (and its
# offload step), compiled by nft --debug=netlink in check mode, the rules' expressions and the
# sets with their elements, into NAME.txt. Run once, as root, on x86_64 (nft shows data as
# host-order 32-bit words), when the plan configs or the encoding change; review the diff.
# Never changes the machine's own network: nft runs in a namespace of its own.
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
	# Rules: "inet boxnet CHAIN" and an expression a line. Sets: nft prints "NAME boxnet FLAGS"
	# for the set, and again, with its elements on the next line (tab before each), for them:
	# kept as "set NAME boxnet FLAGS" and "element NAME KEY-WORDS : [VERDICT ]FLAGS [end]".
	unshare -m -n nft --debug=netlink -c -f "/tmp/capture.$$.nft" 2>/dev/null |
		awk 'set != "" && !/^\telement/ {print "set " set; set = ""}
			/^inet boxnet [^ ]+$/ {print; on = 1; next} on && /^  \[/ {print; next} {on = 0}
			/^[^ \t]+ boxnet [0-9a-f]+$/ {set = $0; next}
			/^\telement/ {n = split(substr($0, 2), e, "\t"); split(set, w, " "); set = ""
				for (i = 1; i <= n; i++) print "element " w[1] " " substr(e[i], 9)}' >"tests/unit/netlink/$name.txt"
	echo "$name: $(grep -c '^inet boxnet' "tests/unit/netlink/$name.txt") rules," \
		"$(grep -c '^set ' "tests/unit/netlink/$name.txt") sets, $(grep -c '^element ' "tests/unit/netlink/$name.txt") elements"
done
rm -f "/tmp/capture.$$.nft"
