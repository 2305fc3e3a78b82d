#!/bin/bash
# foreign-fw.sh: another table's base chain that drops by default (Docker's iptables-nft
# FORWARD, OpenWrt's fw4) wins over boxnet's accept: up and status warn, name the chain and
# what to add, keep their exit codes, and never change that table. A box whose table was
# flushed away says so in status.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
CONF=$(conf box <<'EOC'
uplink = eth0
bridge.br0.address = 10.90.0.1/24
ns.red.bridge = br0
ns.red.address = 10.90.0.2/24
ns.blue.bridge = br0
ns.blue.address = 10.90.0.3/24
EOC
)
# run CMD: its stderr and stdout in $out, its exit status in $rc
run() {
	out=$("$BOXNET" -c "$CONF" "$1" 2>&1)
	rc=$?
}
has() { if grep -qF -- "$2" <<<"$out"; then pass "$1"; else fail "$1" "no '$2' in:" "$out"; fi; }
hasnt() { if grep -qF -- "$2" <<<"$out"; then fail "$1" "'$2' in:" "$out"; else pass "$1"; fi; }

# (1) Docker: iptables -P FORWARD DROP, as iptables-nft makes it.
nft -f - <<'EON'
table ip filter {
	chain FORWARD { type filter hook forward priority 0; policy drop; }
}
EON
docker=$(nft list table ip filter)
run up
same "docker: up exits 0 despite the warning" 0 "$rc"
has "docker: up warns, naming ip filter FORWARD" "boxnet: warning: nftables chain ip filter FORWARD (policy drop) blocks forwarded traffic of segment br0"
has "docker: the warning says what to add" 'nft insert rule ip filter FORWARD iifname "br0" accept and nft insert rule ip filter FORWARD oifname "br0" accept'
same "docker: up leaves the foreign table byte for byte" "$docker" "$(nft list table ip filter)"
ok "docker: the warning is right: red cannot reach the internet" ping_no red $INET_ADDR
run status
same "docker: status exits 0 (the box is as configured)" 0 "$rc"
has "docker: status warns too" "warning: nftables chain ip filter FORWARD (policy drop)"
nft insert rule ip filter FORWARD iifname "br0" accept
nft insert rule ip filter FORWARD oifname "br0" accept
ok "docker: with the suggested rules, red reaches the internet" ping_ok red $INET_ADDR
run up
hasnt "docker: up no longer warns" "warning"
run status
same "docker: status exits 0" 0 "$rc"
hasnt "docker: status no longer warns" "warning"
docker=$(nft list table ip filter)
ok "docker: down" "$BOXNET" -c "$CONF" down
same "docker: down leaves the foreign table byte for byte" "$docker" "$(nft list table ip filter)"
ok "docker: up again" "$BOXNET" -c "$CONF" up
same "docker: up leaves it byte for byte" "$docker" "$(nft list table ip filter)"
nft delete table ip filter

ok "docker: down at the end" "$BOXNET" -c "$CONF" down

# (3) No warning: a prefix match for the segment's name; a chain with policy accept; an ip6
# table (it never sees boxnet's IPv4 packets).
nft -f - <<'EON'
table ip wild {
	chain myforward { type filter hook forward priority 0; policy drop; iifname "br*" counter accept; oifname "br*" accept; }
}
table ip open {
	chain myforward { type filter hook forward priority 0; policy accept; }
	chain myinput { type filter hook input priority 0; policy accept; }
}
table ip6 six {
	chain myforward { type filter hook forward priority 0; policy drop; }
}
EON
before=$(nft list ruleset)
run up
same "others: up exits 0" 0 "$rc"
hasnt "others: an accept of br*, policy accept, an ip6 table: no warning" "warning"
same "others: up leaves the other tables byte for byte" "$before" "$(nft list ruleset | sed '/^table inet boxnet {/,/^}/d')"
ok "others: and red reaches the internet" ping_ok red $INET_ADDR
before=$(nft -s list ruleset | sed '/^table inet boxnet {/,/^}/d')
ok "others: down" "$BOXNET" -c "$CONF" down
same "others: down leaves them (counters aside: the ping counted)" "$before" "$(nft -s list ruleset)"
nft delete table ip wild
nft delete table ip open
nft delete table ip6 six

# (2) OpenWrt's fw4, its shape: policy drop, zones by interface name; br0 in no zone.
nft -f - <<'EON'
table inet fw4 {
	chain input {
		type filter hook input priority filter; policy drop;
		iifname "lo" accept
		ct state vmap { established : accept, related : accept }
		iifname "eth0" jump input_wan
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state vmap { established : accept, related : accept }
		iifname "eth0" jump forward_wan
	}
	chain input_wan { drop; }
	chain forward_wan { drop; }
	chain forward_lan { jump accept_to_wan; }
	chain accept_to_wan { oifname "eth0" counter accept; }
	chain input_lan { jump accept_from_lan; }
	chain accept_from_lan { iifname "br0" counter accept; }
}
EON
fw4=$(nft list table inet fw4)
run up
same "fw4: up exits 0" 0 "$rc"
has "fw4: up warns for forward, naming inet fw4" "warning: nftables chain inet fw4 forward (policy drop) blocks forwarded traffic of segment br0"
has "fw4: and for input" "warning: nftables chain inet fw4 input (policy drop) blocks traffic from br0 to the box"
has "fw4: and says what to add" 'nft insert rule inet fw4 input iifname "br0" accept'
has "fw4: a zone covering the devices" "a zone covering br0"
ok "fw4: the warning is right: red cannot reach the gateway" ping_no red 10.90.0.1
ok "fw4: nor the internet" ping_no red $INET_ADDR
same "fw4: up leaves fw4 byte for byte" "$fw4" "$(nft list table inet fw4)"
# br0 in a zone (lan) that forwards to wan: the replies pass by ct state.
nft insert rule inet fw4 forward iifname "br0" jump forward_lan
nft insert rule inet fw4 input iifname "br0" jump input_lan
ok "fw4: with a zone, red reaches the gateway" ping_ok red 10.90.0.1
ok "fw4: and the internet" ping_ok red $INET_ADDR
run status
same "fw4: status exits 0" 0 "$rc"
hasnt "fw4: with a zone, no warning" "warning"
fw4=$(nft list table inet fw4)
ok "fw4: down" "$BOXNET" -c "$CONF" down
same "fw4: down leaves fw4 byte for byte" "$fw4" "$(nft list table inet fw4)"
nft delete table inet fw4

# (5) The ruleset flushed under a built box (nftables.service, S35nftables).
ok "flush: up" "$BOXNET" -c "$CONF" up
nft flush ruleset
run status
same "flush: status exits 3" 3 "$rc"
has "flush: status asks whether the ruleset was flushed" "table missing: was the ruleset flushed?"
ok "flush: up puts it back" "$BOXNET" -c "$CONF" up
run status
same "flush: then status exits 0" 0 "$rc"
hasnt "flush: and no longer asks" "flushed"
done_testing
