# tests/lib.sh: helpers for boxnet's integration tests: a throwaway sandbox, a fake uplink,
# assertions that print TAP-like lines, and normalized dumps of the box's state.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/tests/norm.sh"
BOXNET=${BOXNET:-$ROOT/boxnet}
UPLINK_ADDR=198.51.100.2
INET_ADDR=198.51.100.1
UPLINK6_ADDR=2001:db8:1::2
INET6_ADDR=2001:db8:1::1
UPLINK_ADDR6=$UPLINK6_ADDR
INET_ADDR6=$INET6_ADDR

# Re-run the calling script inside a new network and mount namespace with a private /run, so
# nothing it builds touches this machine's own network and everything vanishes with it.
sandbox() {
	if [ -z "${BOXNET_SANDBOX:-}" ]; then
		exec unshare -m -n --propagation private env BOXNET_SANDBOX=1 bash "$0" "$@"
	fi
	mount -t tmpfs tmpfs /run
	# /etc/netns (the namespaces' resolv.conf) private too; where the machine has none, /etc
	# gets a throwaway upper layer to make it in.
	if [ ! -d /etc/netns ]; then
		mkdir /run/etc.upper /run/etc.work
		mount -t overlay overlay -o lowerdir=/etc,upperdir=/run/etc.upper,workdir=/run/etc.work /etc
		mkdir /etc/netns
	fi
	mount -t tmpfs tmpfs /etc/netns
	# Run without a terminal, boxnet copies its messages to the kernel log: not this machine's.
	mount --bind /dev/null /dev/kmsg
	ip link set lo up
	echo 0 >/proc/sys/net/ipv4/ip_forward
	# A new namespace may inherit IPv6 settings from the machine's (devconf_inherit_init_net).
	[ -d /proc/sys/net/ipv6 ] && echo 0 >/proc/sys/net/ipv6/conf/all/forwarding
	return 0
}

# The "internet": a namespace with 198.51.100.1/24 and 2001:db8:1::1/64, reached through the
# box's eth0, which has an IPv6 default route via it. IPv6 addresses without duplicate address
# detection: usable at once, never "tentative" in a dump.
fake_uplink() {
	ip netns add inet
	ip link add eth0 type veth peer name eth0 netns inet
	ip addr add $UPLINK_ADDR/24 dev eth0
	ip -6 addr add $UPLINK6_ADDR/64 dev eth0 nodad
	ip link set eth0 up
	ip -6 route add default via $INET6_ADDR dev eth0
	ip -n inet addr add $INET_ADDR/24 dev eth0
	ip -n inet -6 addr add $INET6_ADDR/64 dev eth0 nodad
	ip -n inet link set eth0 up
	ip -n inet link set lo up
}

# lan_host NS PORT ADDR4/LEN GW4 [ADDR6/LEN GW6]: a LAN host, namespace NS, behind the
# box's "physical" port PORT (a veth whose far end is NS's eth0), with its addresses and
# default routes.
lan_host() {
	ip netns add "$1"
	ip link add "$2" type veth peer name eth0 netns "$1"
	ip -n "$1" link set lo up
	ip -n "$1" link set eth0 up
	ip -n "$1" addr add "$3" dev eth0
	ip -n "$1" route add default via "$4"
	if [ -n "${5:-}" ]; then
		ip -n "$1" -6 addr add "$5" dev eth0 nodad
		ip -n "$1" -6 route add default via "$6"
	fi
}

# untagged CONF: CONF with its uplink made plain eth0 where the config has it as a vlan of eth0
# (examples/edge.conf's WAN, VLAN 7), for this machine's kernel, which lacks 802.1Q; the QEMU
# edge scenario builds the config as shipped. Prints the new file's path.
untagged() {
	local up
	up=$(sed -nE 's/^uplink[[:space:]]*=[[:space:]]*([^[:space:]#]+).*/\1/p' "$1")
	sed -E "/^vlan\.$up\./d; s/^uplink[[:space:]]*=.*/uplink = eth0/" "$1" >"$TMP/untagged-$(basename "$1")"
	echo "$TMP/untagged-$(basename "$1")"
}

# A config file from standard input, in a temporary directory removed at exit.
TMP=$(mktemp -d)
SERVERS=()	# serve()'s, which would outlive the sandbox
trap 'kill "${SERVERS[@]}" 2>/dev/null; rm -rf "$TMP"' EXIT
conf() {
	cat >"$TMP/$1.conf"
	echo "$TMP/$1.conf"
}

# ---- assertions: each prints "ok - NAME" or "not ok - NAME" ----
FAILED=0
pass() { echo "ok - $1"; }
fail() {
	echo "not ok - $1"
	FAILED=$((FAILED + 1))
	shift
	[ $# -gt 0 ] && printf '#   %s\n' "$@"
	return 0
}
# ok NAME CMD...: CMD must succeed
ok() {
	local name=$1
	shift
	local out
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "command: $*" "$(printf '%s' "$out" | tail -5)"; fi
}
# not NAME CMD...: CMD must fail
not() {
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then fail "$name" "command succeeded but must not: $*"; else pass "$name"; fi
}
# same NAME A B: two strings must be equal
same() {
	if [ "$2" == "$3" ]; then pass "$1"; else
		fail "$1" "differences (< expected, > actual):"
		diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | head -20 | sed 's/^/#   /'
	fi
}
# expect_exit NAME CODE CMD...: CMD must exit with CODE
expect_exit() {
	local name=$1 code=$2
	shift 2
	"$@" >/dev/null 2>&1
	local rc=$?
	if [ $rc -eq "$code" ]; then pass "$name"; else fail "$name" "exit $rc, expected $code: $*"; fi
}

in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

ping_ok() { in_ns "$1" ping -c 1 -W 2 "$2"; }
ping_no() { ! in_ns "$1" ping -c 1 -W 1 "$2"; }

# The source address a TCP server in namespace $1 sees for a connection from namespace $2.
seen_source() {
	local server=$1 client=$2 addr=$3 port=${4:-7000}
	in_ns "$server" timeout 10 socat -T 3 TCP-LISTEN:$port,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR' &
	local pid=$!
	wait_listen "$server" $port
	in_ns "$client" socat -T 2 - TCP:$addr:$port,connect-timeout=2 </dev/null
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	return 0
}

wait_listen() {
	for _ in $(seq 50); do
		in_ns "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
		sleep 0.05
	done
}

# Can namespace $2 open a TCP connection to a server in namespace $1 at $3?
tcp_connects() {
	local server=$1 client=$2 addr=$3 port=${4:-7001}
	in_ns "$server" timeout 10 socat -T 3 TCP-LISTEN:$port,reuseaddr SYSTEM:'echo hello' &
	local pid=$!
	wait_listen "$server" $port
	local got
	got=$(in_ns "$client" socat -T 2 - TCP:$addr:$port,connect-timeout=1 </dev/null 2>/dev/null)
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	[ "$got" = hello ]
}

# An IPv6 address as socat's SOCAT_PEERADDR gives it ([2001:0db8:0001:0000:...:0002]) in the
# short form (2001:db8:1::2): leading zeros dropped, the longest run of zero groups made "::".
v6short() {
	local a=${1#[} i run=0 start=0 best=-1 bestlen=1
	a=${a%]}
	local -a h
	IFS=: read -ra h <<<"$a"
	for i in "${!h[@]}"; do h[i]=$(printf %x $((16#${h[i]}))); done
	for i in "${!h[@]}"; do
		if [ "${h[i]}" = 0 ]; then
			[ $run -eq 0 ] && start=$i
			run=$((run + 1))
			[ $run -gt $bestlen ] && best=$start bestlen=$run
		else
			run=0
		fi
	done
	if [ $best -lt 0 ]; then
		(IFS=:; echo "${h[*]}")
	else
		local l=("${h[@]:0:best}") r=("${h[@]:best+bestlen}")
		(IFS=:; echo "${l[*]}::${r[*]}")
	fi
}

# seen_source over IPv6: the source address (short form) a TCP server in namespace $1 sees for a
# connection from namespace $2 to $3. The server is time-limited: when the source is wrong the
# reply is lost and nothing connects.
seen_source6() {
	local server=$1 client=$2 addr=$3 port=${4:-7003}
	in_ns "$server" timeout 5 socat -T 3 TCP6-LISTEN:$port,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR' &
	local pid=$!
	wait_listen "$server" $port
	local got
	got=$(in_ns "$client" socat -T 2 - "TCP6:[$addr]:$port,connect-timeout=2" </dev/null 2>/dev/null)
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	[ -n "$got" ] && v6short "$got"
	return 0
}

# tcp_connects over IPv6.
tcp_connects6() {
	local server=$1 client=$2 addr=$3 port=${4:-7004}
	in_ns "$server" timeout 5 socat -T 3 TCP6-LISTEN:$port,reuseaddr SYSTEM:'echo hello' &
	local pid=$!
	wait_listen "$server" $port
	local got
	got=$(in_ns "$client" socat -T 2 - "TCP6:[$addr]:$port,connect-timeout=1" </dev/null 2>/dev/null)
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	[ "$got" = hello ]
}

# run_in WHERE CMD...: CMD in namespace WHERE, or on the host for "host".
run_in() {
	local where=$1
	shift
	if [ "$where" = host ]; then "$@"; else ip netns exec "$where" "$@"; fi
}

# serve NS PORT [UDP]: servers of both families in NS that answer each connection (or
# datagram) with "NS/PORT PEER": who was reached, and whom it saw. Killed at exit: they would
# outlive the sandbox (see the trap above).
serve() {
	local ns=$1 port=$2 p=${3:-TCP} f
	for f in 4 6; do
		ip netns exec "$ns" socat "$p$f-LISTEN:$port,fork,reuseaddr$([ $f = 6 ] && echo ,ipv6only=1)" \
			SYSTEM:"echo $ns/$port \$SOCAT_PEERADDR" 2>/dev/null &
		SERVERS+=($!)
	done
}
# serving NS PORT [UDP]: both servers listen.
serving() {
	local opt=-Hltn
	[ "${3:-}" = UDP ] && opt=-Hlun
	for _ in $(seq 100); do
		[ "$(in_ns "$1" ss $opt "sport = :$2" | wc -l)" -ge 2 ] && return 0
		sleep 0.05
	done
}
# answer FROM ADDR PORT [UDP]: the answer a client in FROM gets at ADDR:PORT ("" for none), an
# IPv6 peer in short form.
answer() {
	local from=$1 addr=$2 port=$3 p=${4:-TCP} out
	case $addr in *:*) addr="[$addr]" ;; esac
	if [ "$p" = UDP ]; then
		# A datagram may be lost (a neighbour being resolved on a loaded machine): three tries.
		for _ in 1 2 3; do
			out=$(echo x | run_in "$from" timeout 4 socat -T 2 - "UDP:$addr:$port" 2>/dev/null)
			[ -n "$out" ] && break
		done
	else
		out=$(run_in "$from" timeout 4 socat -T 2 - "TCP:$addr:$port,connect-timeout=2" </dev/null 2>/dev/null)
	fi
	set -- $out
	case ${2:-} in \[*) echo "$1 $(v6short "$2")" ;; *) echo "$out" ;; esac
}

# ---- state dumps ----

# One namespace's links, addresses and routes of both families, normalized (see norm.sh).
dump_ns() {
	local n=(${1:+-n "$1"}) exact=${2:-0}
	{
		ip "${n[@]}" -j -d link show
		ip "${n[@]}" -j -4 addr show
		ip "${n[@]}" -j -4 route show table all
		ip "${n[@]}" -j -6 addr show
		ip "${n[@]}" -j -6 route show table all
	} | norm_jq "$exact" '(.[0] | links), (.[1] | addrs), (.[2] | routes), (.[3] | addrs), (.[4] | routes6)' -s
}

# The whole box: the host, every named namespace, the nft ruleset, forwarding.
snapshot() {
	local exact=${1:-0}
	echo "== host"
	dump_ns "" "$exact"
	for ns in $(ls /run/netns 2>/dev/null | sort); do
		echo "== netns $ns"
		dump_ns "$ns" "$exact"
		# Its forwarding, IPv4 and IPv6 (ns.NAME.forwarding).
		echo "forwarding" $(ip netns exec "$ns" cat /proc/sys/net/ipv4/ip_forward \
			/proc/sys/net/ipv6/conf/all/forwarding 2>/dev/null)
	done
	echo "== nft"
	nft -j list ruleset | norm_nft "$exact"
	nft list ruleset | grep -F comment || true
	echo "== ip_forward $(cat /proc/sys/net/ipv4/ip_forward) note: $(cat /run/boxnet/ip_forward* 2>/dev/null)"
	echo "== ipv6 forwarding $(cat /proc/sys/net/ipv6/conf/all/forwarding) note: $(cat /run/boxnet/ipv6_forward* 2>/dev/null)"
	echo "== eth0 accept_ra $(cat /proc/sys/net/ipv6/conf/eth0/accept_ra 2>/dev/null)"
	echo "== /etc/netns"
	dump_etc_netns
}

# Every file and directory under /etc/netns, with its mode, and each file's text.
dump_etc_netns() {
	local f
	find /etc/netns -mindepth 1 | sort | while read -r f; do
		stat -c '%A %n' "$f"
		[ -f "$f" ] && sed 's/^/  /' "$f"
	done
	return 0
}

# fresh_box CONF [SETUP]: build CONF alone in a new sandbox, with the same fake uplink (and
# the shell commands SETUP run after it), and print its normalized state: what up must converge
# to from any earlier box.
fresh_box() {
	unshare -m -n --propagation private env BOXNET_SANDBOX=1 bash -c '
		. "$1"
		sandbox
		fake_uplink
		eval "$3"
		"$BOXNET" -c "$2" up || echo "== up FAILED"
		snapshot' _ "$ROOT/tests/lib.sh" "$1" "${2:-}" 2>&1
}

done_testing() {
	exit $((FAILED > 0))
}
