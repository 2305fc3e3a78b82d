# tests/norm.sh: normalize iproute2 and nft JSON (on stdin) into stable lines, dropping what
# differs between two builds of the same box: ifindexes, MAC addresses (but a bridge's, which
# boxnet sets), nft handles. With exact=1 ifindexes and handles stay, to tell an untouched
# object from a rebuilt one.

# The mark boxnet puts inside namespaces names the namespace it ran in: this shell's own
# becomes "boxnet:self", so that two sandboxes compare; any other mark shows as it is.
# The filters as jq definitions, so that dump_ns runs one jq for a whole namespace.
NORM_JQ='
def links: map({ifname,
	kind: .linkinfo.info_kind, slave: .linkinfo.info_slave_kind, mtu,
	up: (.flags | index("UP") != null), master,
	ifalias: (if .ifalias == $self then "boxnet:self" else .ifalias end)}
	+ (if .linkinfo.info_kind == "bridge" then {address} else {} end)
	+ (if $exact == 1 then {ifindex} else {} end)) | sort_by(.ifname) | .[];
# The kernel'"'"'s own IPv6 link-local addresses (fe80::, from random MACs) are left out; whether
# an IPv6 address skips duplicate address detection (nodad, as boxnet adds them) is kept.
# `ip -j addr show scope global` leaves an empty object for each address its filter dropped.
def addrs: map(.ifname as $i | .addr_info[] | select(has("local") and (.local | startswith("fe80:") | not))
	| {dev: $i, local, prefixlen, broadcast, scope}
	+ (if .family == "inet6" then {nodad: (.nodad // false)} else {} end))
	| sort_by(.dev, .local) | .[];
def routes: map(del(.flags)) | sort_by(.table, .type, .dst, .dev) | .[];
# IPv6 routes but the kernel'"'"'s own: the local table (local, anycast and multicast routes the
# kernel derives from addresses, some only once a link has carrier or an address finished its
# work queue) and the fe80::/64 link-local routes.
def routes6: map(select(.table != "local" and .type != "multicast" and (.dst | startswith("fe80:") | not)))
	| routes;
'

# norm_jq EXACT FILTER [JQ OPTION...]: jq with the definitions and the arguments they use.
norm_jq() {
	jq -c "${@:3}" --argjson exact "${1:-0}" --arg self "boxnet:$(stat -L -c %i /proc/self/ns/net)" "$NORM_JQ $2"
}
norm_links() { norm_jq "${1:-0}" links; }
norm_addrs() { norm_jq 0 addrs; }
norm_routes() { norm_jq 0 routes; }
norm_routes6() { norm_jq 0 routes6; }

# nft 1.0 leaves table comments out of -j: callers that compare them add the text listing.
norm_nft() {
	if [ "${1:-0}" = 1 ]; then
		jq -c '.nftables[] | select(.metainfo | not)'
	else
		jq -c '.nftables[] | select(.metainfo | not) | walk(if type == "object" then del(.handle) else . end)'
	fi
}
