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
ok "up as nobody says it needs root" sh -c "setpriv --reuid=65534 --regid=65534 --clear-groups '$BOXNET' -c '$SEED' up 2>&1 | grep -q 'need root'"
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

# Every bad config: exit 2 from up and from down, and not one change in the kernel.
for f in "$ROOT"/tests/bad/*.conf; do
	name=$(basename "$f" .conf)
	"$BOXNET" -c "$f" up >/dev/null 2>&1
	up=$?
	"$BOXNET" -c "$f" down >/dev/null 2>&1
	down=$?
	after=$(snapshot 1)
	if [ $up = 2 ] && [ $down = 2 ] && [ "$after" == "$before" ]; then
		pass "bad/$name: up and down exit 2, the kernel is untouched"
	else
		fail "bad/$name: up exit $up, down exit $down, state $([ "$after" == "$before" ] && echo same || echo CHANGED)"
	fi
done
done_testing
