#!/bin/bash
# cli.sh: the command line: usage errors, standard input, privileges, and bad configs that
# must change nothing in the kernel, not even with up or down.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
SEED=$ROOT/rootfs-overlay/etc/boxnet.conf

expect_exit "no command: exit 2" 2 "$BOXNET"
expect_exit "unknown command: exit 2" 2 "$BOXNET" start
expect_exit "two commands: exit 2" 2 "$BOXNET" up down
expect_exit "unknown option: exit 2" 2 "$BOXNET" -x check
expect_exit "missing config file: exit 2" 2 "$BOXNET" -c "$TMP/nothing.conf" check
same "missing config file: the message names it" "$TMP/nothing.conf: cannot open: No such file or directory" \
	"$("$BOXNET" -c "$TMP/nothing.conf" check 2>&1)"
expect_exit "-h: exit 0" 0 "$BOXNET" -h
ok "--version prints the version" sh -c "'$BOXNET' --version | grep -q '^boxnet [0-9]'"
ok "-c - reads standard input" sh -c "'$BOXNET' -c - check < '$SEED'"
same "-c -: errors name <stdin>" "<stdin>:1: not a setting: 'junk' (expected KEY = VALUE)" \
	"$(echo junk | "$BOXNET" -c - check 2>&1)"
ok "-c - works for plan" sh -c "'$BOXNET' -c - plan < '$SEED' | grep -q 'ip netns add red'"

# check and plan need no privileges; up and down say what they need.
ok "check as nobody" setpriv --reuid=65534 --regid=65534 --clear-groups "$BOXNET" -c "$SEED" check
ok "plan as nobody" setpriv --reuid=65534 --regid=65534 --clear-groups "$BOXNET" -c "$SEED" plan
before=$(snapshot 1)
expect_exit "up as nobody: exit 1" 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$BOXNET" -c "$SEED" up
ok "up as nobody says it needs root" sh -c "setpriv --reuid=65534 --regid=65534 --clear-groups '$BOXNET' -c '$SEED' up 2>&1 | grep -q 'needs root'"
same "up as nobody changes nothing" "$before" "$(snapshot 1)"

# Run from init (no controlling terminal), up and down copy their messages to the kernel log;
# here a file stands in for /dev/kmsg.
touch "$TMP/kmsg"
mount --bind "$TMP/kmsg" /dev/kmsg
setsid -w "$BOXNET" -v -c "$SEED" up 2>/dev/null
ok "without a terminal, up logs its summary to the kernel log at level 6" grep -q '^<6>boxnet: up: [0-9]* changes in' "$TMP/kmsg"
echo "bridge.x.mtu = 12" | setsid -w "$BOXNET" -c - up 2>/dev/null
ok "config errors reach the kernel log at level 3" grep -q "^<3>boxnet: <stdin>:1: bad MTU" "$TMP/kmsg"
setsid -w "$BOXNET" -c "$SEED" down 2>/dev/null
lines=$(wc -l <"$TMP/kmsg")
setsid -w "$BOXNET" -c "$SEED" check 2>/dev/null
"$BOXNET" -c "$SEED" up 2>/dev/null
same "check, and up from a terminal-less test without -v, log nothing" "$lines" "$(wc -l <"$TMP/kmsg")"
"$BOXNET" -c "$SEED" down
umount /dev/kmsg
before=$(snapshot 1)

# As root, up, down and status read only a file no one but root can have written.
install -m 0644 "$SEED" "$TMP/ok.conf"
ln -s "$TMP/ok.conf" "$TMP/link.conf"
install -m 0644 -o 65534 "$SEED" "$TMP/theirs.conf"
install -m 0664 "$SEED" "$TMP/group.conf"
install -m 0646 "$SEED" "$TMP/world.conf"
refused() {
	local what=$1 file=$2 message=$3 out
	out=$("$BOXNET" -c "$file" up 2>&1)
	same "$what: up exits 2" 2 "$?"
	same "$what: and says why" "$file: $message" "$out"
}
refused "a symlink" "$TMP/link.conf" "is a symbolic link (expected a regular file owned by root)"
refused "a file of another user" "$TMP/theirs.conf" "owned by uid 65534, not by root (expected a file only root can write)"
refused "a file its group may write" "$TMP/group.conf" "writable by its group: mode 0664 (expected a file only root can write)"
refused "a file anyone may write" "$TMP/world.conf" "writable by others: mode 0646 (expected a file only root can write)"
refused "a device" /dev/null "not a regular file (expected a regular file owned by root)"
expect_exit "down refuses the symlink too" 2 "$BOXNET" -c "$TMP/link.conf" down
ok "check reads it: checking changes nothing" "$BOXNET" -c "$TMP/link.conf" check
ok "and plan" "$BOXNET" -c "$TMP/theirs.conf" plan
same "none of that changed the kernel" "$before" "$(snapshot 1)"

# Big and strange inputs: a specific message, exit 2, no change.
big() {
	local what=$1 file=$2 message=$3 out
	out=$("$BOXNET" -c "$file" up 2>&1 | head -3)
	ok "$what: up says $message" grep -qF -- "$message" <<<"$out"
	expect_exit "$what: exit 2" 2 "$BOXNET" -c "$file" up
}
head -c $((10 * 1024 * 1024)) /dev/zero | tr '\0' '#' >"$TMP/10mb.conf"
big "a 10 MB file" "$TMP/10mb.conf" "config too large: more than 1048576 bytes"
seq 0 99999 | sed 's/.*/ns.n&.peer = 10.1.0.1\/30/' >"$TMP/100k.conf"
big "100,000 objects" "$TMP/100k.conf" "config too large"
seq 0 4096 | sed 's/.*/ns.n&.mtu = 1500/' >"$TMP/4097.conf"
big "4097 namespaces" "$TMP/4097.conf" "too many ns objects: 'n4096' (expected at most 4096)"
{ echo "bridge.br0.address = 10.96.0.1/20"; seq 0 1023 | sed 's/.*/ns.n&.bridge = br0/'; } >"$TMP/1024.conf"
big "1024 namespaces on one bridge" "$TMP/1024.conf" \
	"$TMP/1024.conf:1025: bridge full in ns.n1023.bridge: 'br0' (expected at most 1023 namespaces on one bridge"
echo "include = $TMP/loop.conf" >"$TMP/loop.conf"
big "a file that includes itself" "$TMP/loop.conf" "unknown key: 'include'"
head -c 200000 /dev/urandom >"$TMP/junk.conf"
big "200 KB of random bytes" "$TMP/junk.conf" "$TMP/junk.conf:"
same "none of that changed the kernel" "$before" "$(snapshot 1)"

# Every bad config: exit 2 from up and from down, and not one change in the kernel. The box is
# compared once after all of them; only when it changed is each one run again, to name it.
bad_run() {
	install -m 0644 "$1" "$TMP/bad.conf"	# root's, so that it is the content that is refused
	"$BOXNET" -c "$TMP/bad.conf" up >/dev/null 2>&1
	up=$?
	"$BOXNET" -c "$TMP/bad.conf" down >/dev/null 2>&1
	down=$?
}
for f in "$ROOT"/tests/bad/*.conf; do
	bad_run "$f"
	name=$(basename "$f" .conf)
	if [ $up = 2 ] && [ $down = 2 ]; then
		pass "bad/$name: up and down exit 2"
	else
		fail "bad/$name: up exit $up, down exit $down"
	fi
done
if [ "$(snapshot 1)" == "$before" ]; then
	pass "all $(ls "$ROOT"/tests/bad/*.conf | wc -l) bad configs, up and down: the kernel is untouched"
else
	fail "the bad configs changed the kernel"
	diff <(echo "$before") <(snapshot 1) | head -10 | sed 's/^/#   /'
	"$BOXNET" down --all >/dev/null 2>&1
	for f in "$ROOT"/tests/bad/*.conf; do
		now=$(snapshot 1)
		bad_run "$f"
		[ "$(snapshot 1)" == "$now" ] || fail "bad/$(basename "$f" .conf) changed the kernel"
	done
fi
done_testing
