# /test/lib.sh: assertions for the checks inside the guest. Results go to the second serial
# port (fd 3), away from the console's kernel messages; the host reads and counts them.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# BusyBox's shell prefers its own applets to programs on PATH: iproute2's ip by full path.
ip() { /usr/sbin/ip "$@"; }
# The results port: the second serial port, or the virtio port named "results" (/etc/test-arch,
# by architecture; the kernel numbers virtio ports in the order it finds their devices).
. /etc/test-arch
if [ "$RESULTS" = virtio ]; then
	for p in /sys/class/virtio-ports/*; do
		[ "$(cat "$p/name" 2>/dev/null)" = results ] && RESULTS=/dev/${p##*/}
	done
fi
exec 3>"$RESULTS"
BOXNET="/usr/sbin/boxnet -c /etc/boxnet.conf"
INET=198.51.100.1
UPLINK=198.51.100.2
INET6=2001:db8:1::1
UPLINK6=2001:db8:1::2
# The nicback scenario's third NIC, eth2 (qemu-tests/run gives it this MAC address).
MGMT_MAC=52:54:00:00:0b:02

pass() { echo "ok - $1" >&3; }
fail() {
	echo "not ok - $1" >&3
	[ -s /tmp/out ] && tail -5 /tmp/out | sed 's/^/#   /' >&3
	return 0
}
ok() {
	name=$1
	shift
	if "$@" >/tmp/out 2>&1; then pass "$name"; else fail "$name"; fi
}
not() {
	name=$1
	shift
	if "$@" >/tmp/out 2>&1; then fail "$name (it succeeded)"; else pass "$name"; fi
}
same() {
	if [ "$2" = "$3" ]; then pass "$1"; else
		echo "expected '$2', got '$3'" >/tmp/out
		fail "$1"
	fi
}
note() { echo "# $*" >&3; }

in_ns() {
	ns=$1
	shift
	ip netns exec "$ns" "$@"
}
ping_ok() { in_ns "$1" ping -c 1 -W 2 "$2"; }
ping6_ok() { in_ns "$1" ping -6 -c 1 -W 2 "$2"; }
# Does namespace $1's traceroute reach $2? The last hop answers with an ICMPv6 port
# unreachable: an error about the probe's connection, which must come back through the box.
traced6() { in_ns "$1" traceroute -6 -n -q 1 -w 2 -m 4 "$2" 2>&1 | grep -qE "^ *[0-9]+ +$2 "; }
# The vlan scenario: what a DHCP client on the uplink would do once boxnet made it (VLAN 7 of
# eth0, named wan): the uplink's addresses and default routes.
lease() {
	ip addr add $UPLINK/24 dev wan && ip addr add $UPLINK6/64 dev wan nodad &&
		ip route add default via $INET && ip -6 route add default via $INET6
}

# The name of the link with MAC address $2 in namespace $1 ("" for the box's own), or nothing.
name_of_mac() {
	ip ${1:+-n $1} -o link show | awk -v m="link/ether $2 " 'index($0, m) {sub(/:$/, "", $2); sub(/@.*/, "", $2); print $2; exit}'
}

# Waits up to 10 s for a link with MAC address $1 in the box's own namespace; prints its name.
# The kernel dismantles a deleted namespace in a work queue, after `ip netns del` returned.
await_mac() {
	i=0
	while [ $i -lt 50 ]; do
		n=$(name_of_mac "" "$1")
		[ -n "$n" ] && echo "$n" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# Is $1 the name the kernel gives a NIC that it takes back from a dying namespace while the
# name the NIC had there (eth0) is taken: devIFINDEX?
returned() { case $1 in dev[0-9]*) return 0 ;; *) return 1 ;; esac; }

# One line of boxnet's record of adopted interface $1 (/run/boxnet/adopted.INUM/NAME): key $2.
record_of() { awk -v k="$2" '$1 == k {print $2}' /run/boxnet/adopted.*/"$1" 2>/dev/null; }

# A sysctl of the box's own namespace.
sysctl_of() { cat "/proc/sys/net/$1"; }

# The servers below run as `ip netns exec` itself (which execs nc), not through a function,
# whose subshell would be the one killed, leaving nc behind.

# The address a TCP server in namespace $1 sees for a connection from namespace $2. A server
# nobody reached is stopped: waiting for it would hang the checks until QEMU's timeout. Its
# own output goes elsewhere: it must not hold the pipe of the caller's $(...) open.
seen_source() {
	/usr/sbin/ip netns exec "$1" nc -l -p 7000 -e /test/peer >/dev/null 2>&1 &
	pid=$!
	sleep 0.3
	in_ns "$2" nc -w 3 "$3" 7000 </dev/null
	kill $pid 2>/dev/null
	wait 2>/dev/null
}

# Can namespace $2 open a TCP connection to a server in namespace $1 at $3 (port $4, 7001)?
tcp_connects() {
	/usr/sbin/ip netns exec "$1" nc -l -p "${4:-7001}" -e /test/hello >/dev/null 2>&1 &
	pid=$!
	sleep 0.3
	got=$(in_ns "$2" nc -w 2 "$3" "${4:-7001}" </dev/null 2>/dev/null)
	kill $pid 2>/dev/null
	wait 2>/dev/null
	[ "$got" = hello ]
}

# plan | sh on the clean box, and status agreeing with what it built. iproute2's ip by full
# path: BusyBox's shell may prefer its own applet.
plan_sh() {
	{ echo 'ip() { /usr/sbin/ip "$@"; }'; $BOXNET plan; } >/tmp/plan.sh
	ok "boxnet plan | sh builds the box" sh /tmp/plan.sh
	ok "boxnet status agrees with what plan | sh built" $BOXNET status
}

# How many invalid packets the internet host saw when namespace $1 sent one from $2 to $3: a
# TCP ACK of no connection (/test/stray), which conntrack calls invalid once its loose pick-up
# of connections in mid-stream is off. The internet host counts them with a table of its own.
stray_seen() {
	in_ns inet nft add table inet seen &&
		in_ns inet nft add chain inet seen in '{ type filter hook input priority 0; }' &&
		in_ns inet nft add rule inet seen in tcp dport 7777 counter || return
	echo 0 >/proc/sys/net/netfilter/nf_conntrack_tcp_loose
	in_ns "$1" /test/stray "$2" "$3" 7777 || echo "stray failed"
	sleep 0.3
	echo 1 >/proc/sys/net/netfilter/nf_conntrack_tcp_loose
	in_ns inet nft list chain inet seen in | awk '/counter/ {for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1)}'
	in_ns inet nft delete table inet seen
}

# The devices of boxnet's flowtable, sorted, on one line.
ft_devices() {
	nft list flowtable inet boxnet ft | sed -n 's/.*devices = { \(.*\) }.*/\1/p' | tr -d , | tr ' ' '\n' |
		sort | xargs
}

# Namespace $1 downloads $3 KB from the internet host at $2; the probe table counts anew what
# passes the forward hook (probe_count: packets and bytes); $took: the time it took, in
# hundredths of a second. The client never half-closes (its own FIN would keep the flow from
# the fast path): it reads until the server is done, and writes the count to /tmp/got.
download() {
	nft delete table inet probe 2>/dev/null
	nft add table inet probe && nft add chain inet probe counted '{ type filter hook forward priority 10; }' &&
		nft add rule inet probe counted counter || return 1
	dd if=/dev/zero of=/tmp/blob bs=1024 count="$3" 2>/dev/null
	rm -f /tmp/got
	/usr/sbin/ip netns exec inet nc -l -p 7010 -e cat /tmp/blob >/dev/null 2>&1 &
	pid=$!
	sleep 0.3
	t0=$(cut -d' ' -f1 /proc/uptime)
	in_ns "$1" nc -w 5 "$2" 7010 -e sh -c 'wc -c >/tmp/got' </dev/null >/dev/null 2>&1
	t1=$(cut -d' ' -f1 /proc/uptime)
	took=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%d", (b - a) * 100}')
	kill $pid 2>/dev/null
	wait 2>/dev/null
	[ "$(cat /tmp/got 2>/dev/null)" = $(($3 * 1024)) ]
}
probe_count() { nft list chain inet probe counted | awk '/counter/ {print $3 " packets, " $5 " bytes"}'; }
# The bytes that passed the forward hook in the last download, in KB.
probe_kb() { nft list chain inet probe counted | awk '/counter/ {print int($5 / 1024)}'; }
# Did the last download (4 MB) take the fast path: under 256 KB of it passed the forward hook?
fast() { ok "$1: the forward hook saw $(probe_count)" test "$(probe_kb)" -lt 256; }
# The state (see state()) without the probe table, which is the test's.
state_np() {
	nft delete table inet probe 2>/dev/null
	state "$1"
}

# The box as text, for the fault loops: links, addresses and routes of the host and each
# namespace, the ruleset (without handles), forwarding.
box_text() {
	for ns in "" $(ls /run/netns | sort); do
		echo "== ${ns:-host}"
		ip ${ns:+-n $ns} -d link show | sed -E 's/ [a-z_]+_timer +[0-9.]+//g'	# a bridge's, running
		ip ${ns:+-n $ns} addr show
		ip ${ns:+-n $ns} route show table all
		ip ${ns:+-n $ns} -6 route show table all
	done
	nft list ruleset
	cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding
}

# Nothing half-built: up (FB, the fault-injection build) with config $1, each of its operations
# failing in turn, must leave the box as box_text shows it before; $2 says what up is, and $3
# takes the box back to before (once the count of operations built it, or a run failed).
each_failing() {
	before=$(box_text)
	n=$(BOXNET_COUNT_OPS=1 $FB -c "$1" up 2>&1 | sed -n 's/.*test hook: \([0-9]*\) operations/\1/p')
	$3
	if [ "$(box_text)" != "$before" ]; then
		echo "$before" >/tmp/before
		box_text | diff /tmp/before - >/tmp/out
		fail "$2: the box back as before, for the fault loop"
		return
	fi
	k=1 bad=""
	: >/tmp/faults.out
	while [ $k -le $((${n:-0} + 5)) ]; do
		out=$(BOXNET_FAIL_AT=$k $FB -c "$1" up 2>&1)
		rc=$?
		[ $rc = 0 ] && break
		if [ $rc != 1 ] || ! echo "$out" | grep -q "injected failure" || [ "$(box_text)" != "$before" ]; then
			bad="$bad $k"
			echo "operation $k: exit $rc: $out" >>/tmp/faults.out
			echo "$before" >/tmp/before
			box_text | diff /tmp/before - | head -5 >>/tmp/faults.out
			$3
		fi
		k=$((k + 1))
	done
	cp /tmp/faults.out /tmp/out 2>/dev/null
	if [ -z "$bad" ] && [ $((k - 1)) -ge $((${n:-0} - 2)) ] && [ "${n:-0}" -gt 2 ]; then
		pass "$2: each of its $((k - 1)) operations failing in turn left the box as before"
	else
		fail "$2: operations$bad of $n failing (reached $((k - 1))) left it otherwise"
	fi
}

# The box's state, one JSON document a line, for the host to normalize and compare:
#   STATE TAG WHERE WHAT JSON
# IPv6: global-scope addresses (ULAs included) and the main table; the link-local ones the
# kernel makes itself are left out, as they follow the veths' random MAC addresses.
state() {
	tag=$1
	for ns in "" $(ls /run/netns | sort); do
		where=${ns:-host}
		n=${ns:+-n $ns}
		echo "STATE $tag $where links $(ip $n -j -d link show)" >&3
		echo "STATE $tag $where addrs $(ip $n -j -4 addr show)" >&3
		echo "STATE $tag $where routes $(ip $n -j -4 route show table all)" >&3
		echo "STATE $tag $where addrs6 $(ip $n -j -6 addr show scope global)" >&3
		echo "STATE $tag $where routes6 $(ip $n -j -6 route show table main)" >&3
	done
	echo "STATE $tag box nft $(nft -j list ruleset)" >&3
	echo "STATE $tag box fwd $(sysctl_of ipv4/ip_forward)" >&3
	echo "STATE $tag box fwd6 $(sysctl_of ipv6/conf/all/forwarding)" >&3
	echo "STATE $tag box accept_ra $(sysctl_of ipv6/conf/eth0/accept_ra)" >&3
	# boxnet's notes in /run/boxnet, without their namespace's inode number, and what the
	# IPv6 one says (the uplink whose accept_ra boxnet raised).
	notes=""
	for f in /run/boxnet/*.[0-9]*; do
		[ -f "$f" ] || continue	# a note, not the directory of adopted.INUM records
		f=${f##*/}
		notes="$notes ${f%.*}"
	done
	echo "STATE $tag box notes$notes" >&3
	echo "STATE $tag box note6 $(cat /run/boxnet/ipv6_forward.* 2>/dev/null)" >&3
	# The interfaces boxnet adopted and records (the names they had before boxnet).
	adopted=""
	for f in /run/boxnet/adopted.*/*; do
		[ -e "$f" ] && adopted="$adopted ${f##*/}"
	done
	echo "STATE $tag box adopted$adopted" >&3
}

done_testing() {
	echo "=== DONE" >&3
	sync
	poweroff -f
}
