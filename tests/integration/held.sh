#!/bin/bash
# held.sh: the hostile cases boxnet already survived, kept proven: runs in parallel, SIGKILLs
# at random moments of up, converging up and down, and read-only /proc/sys and /run.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
A=$(conf a <<'EOF'
uplink = eth0
bridge.br0.address = 10.0.0.1/24
ns.red.bridge = br0
ns.red.address = 10.0.0.2/24
ns.blue.bridge = br0
ns.blue.address = 10.0.0.3/24
ns.vpn.peer = 10.9.0.1/30
ns.vpn.address = 10.9.0.2/30
EOF
)
B=$(conf b <<'EOF'
uplink = eth0
bridge.br0.address = 10.0.0.1/24
ns.red.bridge = br0
ns.red.address = 10.0.0.2/24
bridge.br1.address = 10.1.0.1/24
ns.green.bridge = br1
ns.green.address = 10.1.0.2/24
EOF
)
clean=$(snapshot)
fresh_a=$(fresh_box "$A")
fresh_b=$(fresh_box "$B")

# ---- in parallel: the lock makes them take turns ----
pids=()
for _ in 1 2 3 4; do
	"$BOXNET" -c "$A" up >"$TMP/par.$_" 2>&1 &
	pids+=($!)
done
rcs=""
for p in "${pids[@]}"; do
	wait "$p"
	rcs="$rcs $?"
done
same "four ups of one config at once: all succeed" " 0 0 0 0" "$rcs"
same "and the box is as a fresh build" "$fresh_a" "$(snapshot)"
"$BOXNET" -c "$B" up >/dev/null 2>&1 &
p1=$!
"$BOXNET" -c "$A" down >/dev/null 2>&1 &
p2=$!
"$BOXNET" -c "$A" up >/dev/null 2>&1 &
p3=$!
wait $p1 $p2 $p3
ok "up, down and up of two configs at once, then up of one: succeeds" "$BOXNET" -c "$B" up
same "and the box is as a fresh build of it" "$fresh_b" "$(snapshot)"
ok "down" "$BOXNET" -c "$B" down
same "down leaves the machine as before" "$clean" "$(snapshot)"

# ---- SIGKILL at random moments ----
# Each round: a fresh up, a converging up or a down, killed 0 to 30 ms after its start; then
# up must give exactly the configured box and down must leave the machine clean.
bad=0
for round in $(seq 1 "${KILL_ROUNDS:-30}"); do
	case $((round % 3)) in
	0) "$BOXNET" -c "$A" down >/dev/null 2>&1; from=$A to=$A cmd=up ;;
	1) "$BOXNET" -c "$A" up >/dev/null 2>&1; from=$A to=$B cmd=up ;;
	2) "$BOXNET" -c "$B" up >/dev/null 2>&1; from=$B to=$B cmd=down ;;
	esac
	delay=$(printf '0.%03d' $((RANDOM % 30)))
	"$BOXNET" -c "$to" $cmd >/dev/null 2>&1 &
	sleep "$delay"
	kill -9 $! 2>/dev/null
	wait $! 2>/dev/null
	out=$("$BOXNET" -c "$to" up 2>&1)
	rc=$?
	want=$fresh_a
	[ "$to" = "$B" ] && want=$fresh_b
	if [ $rc -ne 0 ] || [ "$(snapshot)" != "$want" ]; then
		bad=$((bad + 1))
		fail "killed $cmd ($(basename "$from") -> $(basename "$to")) after $delay s: up then gives no configured box (exit $rc)" "$out"
		diff <(echo "$want") <(snapshot) | head -10 | sed 's/^/#   /'
	fi
	"$BOXNET" -c "$to" down >/dev/null 2>&1
	if [ "$(snapshot)" != "$clean" ]; then
		bad=$((bad + 1))
		fail "killed $cmd ($(basename "$from") -> $(basename "$to")) after $delay s: up and down leave debris"
	fi
	[ $bad -gt 3 ] && break
done
[ $bad = 0 ] && pass "${KILL_ROUNDS:-30} random SIGKILLs of up, converging up and down: each time up builds the box and down leaves nothing"

# ---- read-only /proc/sys: forwarding cannot be switched on ----
mount --bind -o ro /proc/sys /proc/sys
out=$("$BOXNET" -c "$A" up 2>&1)
rc=$?
umount /proc/sys
same "read-only /proc/sys: up fails (exit 1)" 1 "$rc"
case $out in
*"switch IPv4 forwarding on"*"Read-only file system"*) pass "and says what it could not do, and why" ;;
*) fail "and says what it could not do, and why" "$out" ;;
esac
same "and undoes everything" "$clean" "$(snapshot)"

# ---- read-only /run: no lock, no namespace ----
mount -o remount,ro /run
out=$("$BOXNET" -c "$A" up 2>&1)
rc=$?
mount -o remount,rw /run
same "read-only /run: up fails (exit 1)" 1 "$rc"
case $out in
boxnet:*"Read-only file system"*) pass "and says why" ;;
*) fail "and says why" "$out" ;;
esac
same "and changes nothing" "$clean" "$(snapshot)"
done_testing
