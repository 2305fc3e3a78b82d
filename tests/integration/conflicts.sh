#!/bin/bash
# conflicts.sh: objects boxnet did not create stand in the way; the kernel refuses a step.
# boxnet must say what and where, change nothing, and leave foreign objects alone.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
SEED=$ROOT/rootfs-overlay/etc/boxnet.conf

conflict() {
	local what=$1 pattern=$2
	local before out rc
	before=$(snapshot 1)
	out=$("$BOXNET" -c "$SEED" up 2>&1)
	rc=$?
	same "$what: up exits 1" 1 "$rc"
	ok "$what: the message says so" grep -q -- "$pattern" <<<"$out"
	same "$what: nothing changed" "$before" "$(snapshot 1)"
}

ip link add br0 type bridge
conflict "a foreign br0" "interface br0 in the host exists and was not created by boxnet"
out=$("$BOXNET" -c "$SEED" down 2>&1)
ok "down leaves the foreign br0 alone and says so" grep -q "interface br0 was not created by boxnet: left alone" <<<"$out"
ok "br0 is still there" ip link show br0
ip link del br0

ip netns add red
ip -n red link set lo up
conflict "a foreign namespace in use" "namespace red exists and was not created by boxnet"
"$BOXNET" -c "$SEED" down >/dev/null 2>&1
ok "down leaves the foreign namespace alone" test -e /run/netns/red
ip netns del red

ip netns add red
conflict "an empty namespace of the same name is not boxnet's either" "namespace red exists and was not created by boxnet"
"$BOXNET" -c "$SEED" down >/dev/null 2>&1
ok "down leaves it alone" test -e /run/netns/red
ip netns del red

nft add table inet boxnet
conflict "a foreign table inet boxnet" "nftables table inet boxnet exists and was not created by boxnet"
nft delete table inet boxnet

# A name the checks cannot see: an altname. The kernel refuses the veth after the namespaces
# and the bridge were made; boxnet names the object and undoes everything.
ip link add foreign0 type veth peer name foreign1
ip link property add dev foreign0 altname bx-blue
conflict "the kernel refuses bx-blue" "ns blue (.*boxnet.conf:7): cannot create veth pair bx-blue (host) and eth0 (namespace blue): File exists"
ok "and after the obstacle is gone, up succeeds" sh -c "ip link property del dev foreign0 altname bx-blue && '$BOXNET' -c '$SEED' up"
ok "down" "$BOXNET" -c "$SEED" down
done_testing
