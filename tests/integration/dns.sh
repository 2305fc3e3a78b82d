#!/bin/bash
# dns.sh: ns.NAME.dns: the namespace's resolv.conf as ip netns exec shows it, a name looked up
# through it, whatever the umask; converging when the servers change; another's file reported
# and never overwritten; down and a dropped namespace remove only boxnet's file and directory.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink

A=$(conf a <<'EOC'
uplink = eth0
bridge.lan.address = 172.30.0.1/24 fd00:30::1/64
ns.web.bridge = lan
ns.web.address = 172.30.0.2/24 fd00:30::2/64
ns.web.dns = 172.30.0.1 fd00:30::1
ns.db.bridge = lan
ns.db.address = 172.30.0.3/24
ns.vpn.peer = 10.30.0.1/30
ns.vpn.address = 10.30.0.2/30
ns.vpn.dns = 198.51.100.1
EOC
)
# web's servers changed, vpn's dropped, db's new.
B=$(conf b <<'EOC'
uplink = eth0
bridge.lan.address = 172.30.0.1/24 fd00:30::1/64
ns.web.bridge = lan
ns.web.address = 172.30.0.2/24 fd00:30::2/64
ns.web.dns = 2001:db8:1::1 198.51.100.1
ns.db.bridge = lan
ns.db.address = 172.30.0.3/24
ns.db.dns = 172.30.0.1
ns.vpn.peer = 10.30.0.1/30
ns.vpn.address = 10.30.0.2/30
EOC
)
# vpn no longer in the config.
C=$(grep -v '^ns\.vpn\.' "$B" | conf c)

HEAD="# boxnet: generated for namespace"
resolv() { in_ns "$1" cat /etc/resolv.conf; }
# What /etc/netns holds: directories as "d", files with their mode.
etc_netns() { find /etc/netns -mindepth 1 | sort | while read -r f; do [ -d "$f" ] && echo "d $f" || stat -c '%A %n' "$f"; done; }
host_resolv=$(cat /etc/resolv.conf)

# ---- a read-only /etc/netns: the kernel's own refusal, not the test hook's ----
clean=$(snapshot)
mount -o remount,ro /etc/netns
out=$("$BOXNET" -c "$A" up 2>&1)
rc=$?
same "up with /etc/netns read-only: exit 1, the namespace and the file named" \
	"1 boxnet: ns web ($A:3): cannot write /etc/netns/web/resolv.conf: Read-only file system" "$rc $out"
same "and the box built before the write is undone" "$clean" "$(snapshot)"
mount -o remount,rw /etc/netns

# ---- up: the files, as the namespaces see them ----
ok "up, with a umask that would keep the files from others" sh -c 'umask 077; exec "$0" -c "$1" up' "$BOXNET" "$A"
same "web sees its nameservers as /etc/resolv.conf, both families, in order" "$HEAD web; do not edit
nameserver 172.30.0.1
nameserver fd00:30::1" "$(resolv web)"
same "vpn sees its nameserver" "$HEAD vpn; do not edit
nameserver 198.51.100.1" "$(resolv vpn)"
same "db, without dns, sees the host's resolv.conf" "$host_resolv" "$(resolv db)"
# The files' mode is what counts: ip netns exec binds them, their directories are not on the path.
same "the files are readable by all (0644), their directories made; nothing for db" \
	"d /etc/netns/vpn
-rw-r--r-- /etc/netns/vpn/resolv.conf
d /etc/netns/web
-rw-r--r-- /etc/netns/web/resolv.conf" "$(etc_netns)"
out=$("$BOXNET" -c "$A" status 2>&1)
same "status: the box is up as configured" "0 boxnet: the box is up as configured" "$? $out"

# A name looked up through vpn's resolv.conf: a one-answer DNS server on the internet host.
in_ns inet timeout 10 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.1", 53))
while True:
    q, peer = s.recvfrom(512)
    end = q.index(b"\0", 12) + 5
    a = q[end - 4:end - 2] == b"\0\1"
    r = q[:2] + b"\x81\x80" + q[4:6] + (b"\0\1" if a else b"\0\0") + b"\0\0\0\0" + q[12:end]
    if a:
        r += b"\xc0\x0c\0\1\0\1\0\0\0\x3c\0\4" + bytes([192, 0, 2, 7])
    s.sendto(r, peer)
' &
dns_pid=$!
for _ in $(seq 50); do in_ns inet ss -Hlun "sport = :53" | grep -q . && break; sleep 0.05; done
same "vpn looks a name up through the nameserver its resolv.conf names" "192.0.2.7 box.example" \
	"$(in_ns vpn getent ahostsv4 box.example | awk 'NR == 1 {print $1, $NF}')"
kill $dns_pid 2>/dev/null
wait $dns_pid 2>/dev/null

# ---- converge ----
out=$("$BOXNET" -c "$B" status)
rc=$?
same "status of a changed config: exit 3" 3 $rc
ok "status prints web's new file as a printf" grep -qxF "printf '$HEAD web; do not edit\\nnameserver 2001:db8:1::1\\nnameserver 198.51.100.1\\n' > /etc/netns/web/resolv.conf" <<<"$out"
ok "and vpn's removal" grep -qxF "rm -f /etc/netns/vpn/resolv.conf" <<<"$out"
same "status -j: web and vpn differ by their files, db by its new one" \
	"web different write /etc/netns/web/resolv.conf
db different write /etc/netns/db/resolv.conf
vpn different remove /etc/netns/vpn/resolv.conf" \
	"$("$BOXNET" -j -c "$B" status | jq -r '.objects[] | select(.kind == "ns") | "\(.name) \(.state) \(.differs | join("; "))"')"
ok "up converges to the changed config" "$BOXNET" -c "$B" up
same "web's file holds the new servers" "$HEAD web; do not edit
nameserver 2001:db8:1::1
nameserver 198.51.100.1" "$(resolv web)"
same "db has its file now" "$HEAD db; do not edit
nameserver 172.30.0.1" "$(resolv db)"
same "vpn's file and its directory are gone: vpn sees the host's" "$host_resolv" "$(resolv vpn)"
not "no /etc/netns/vpn" test -e /etc/netns/vpn
same "no temporary file left" "" "$(find /etc/netns -name '.*')"
expect_exit "status: converged" 0 "$BOXNET" -c "$B" status

# boxnet's file, edited: written anew. Its first line kept, it is still boxnet's.
echo "nameserver 203.0.113.9" >>/etc/netns/db/resolv.conf
expect_exit "status sees boxnet's edited file" 3 "$BOXNET" -c "$B" status
ok "up writes it anew" "$BOXNET" -c "$B" up
same "as the config says" "$HEAD db; do not edit
nameserver 172.30.0.1" "$(cat /etc/netns/db/resolv.conf)"

# ---- another's file ----
printf 'nameserver 9.9.9.9\n' >/etc/netns/web/resolv.conf
before=$(snapshot)
out=$("$BOXNET" -c "$B" status 2>&1)
rc=$?
same "status names another's file where web's goes (exit 1)" "1 boxnet: file /etc/netns/web/resolv.conf exists and was not written by boxnet; remove it or drop ns.web.dns" "$rc $out"
same "status -j: web is foreign" "foreign" \
	"$("$BOXNET" -j -c "$B" status 2>/dev/null | jq -r '.objects[] | select(.name == "web") | .state')"
out=$("$BOXNET" -c "$A" up 2>&1)
rc=$?
same "up refuses, naming it, and changes nothing" "1 boxnet: file /etc/netns/web/resolv.conf exists and was not written by boxnet; remove it or drop ns.web.dns
boxnet: nothing was changed" "$rc $out"
same "the box and the files are as they were (vpn's not made either)" "$before" "$(snapshot)"
same "web still sees the other file" "nameserver 9.9.9.9" "$(resolv web)"
mkdir -p /etc/netns/vpn && ln -s ../db/resolv.conf /etc/netns/vpn/resolv.conf
expect_exit "a link to boxnet's file is another's too (never followed)" 1 "$BOXNET" -c "$A" up
rm -r /etc/netns/vpn
echo "127.0.0.1 db.local" >/etc/netns/db/hosts

# ---- down ----
ok "down" "$BOXNET" -c "$B" down
same "down removed boxnet's file, and its directory once empty; another's file and db's hosts stay" \
	"d /etc/netns/db
-rw-r--r-- /etc/netns/db/hosts
d /etc/netns/web
-rw-r--r-- /etc/netns/web/resolv.conf" "$(etc_netns)"
same "another's file is untouched" "nameserver 9.9.9.9" "$(cat /etc/netns/web/resolv.conf)"
rm -r /etc/netns/web /etc/netns/db

# ---- a namespace the config drops, and down --all ----
ok "up of the first config again" "$BOXNET" -c "$A" up
ok "up of a config without vpn" "$BOXNET" -c "$C" up
not "vpn's namespace is gone" test -e /run/netns/vpn
not "and its file with it" test -e /etc/netns/vpn
ok "web's file is there" test -f /etc/netns/web/resolv.conf
ok "down --all, no config" "$BOXNET" down --all
same "removes boxnet's files of every namespace it removes" "" "$(find /etc/netns -mindepth 1)"
done_testing
