#!/bin/bash
# hostile.sh: boxnet in a hostile setting: standard error a pipe nobody reads, fds 0-2 closed,
# a low open-file limit, a FIFO as config, no /proc, a missing uplink, a read-only /run. It
# must not be killed halfway, must say clearly what is wrong, and must change nothing then.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"
fake_uplink
FB=${BOXNET_FAULTS_BIN:-$ROOT/build/faults/boxnet}
C=$(conf small <<'EOC'
uplink = eth0
bridge.lan.address = 10.77.0.1/24
ns.a.bridge = lan
ns.a.address = 10.77.0.2/24
ns.b.peer = 10.78.0.1/30
ns.b.address = 10.78.0.2/30
EOC
)
clean=$(snapshot)

# ---- standard error a pipe whose reader is gone ----
# A FIFO opened read-write, then for writing, then its reader closed: any write to fd 4 now
# raises SIGPIPE, every time (a `| true` reader may not have exited yet).
mkfifo "$TMP/pipe"
exec 3<>"$TMP/pipe" 4>"$TMP/pipe" 3<&-
if [ -x "$FB" ]; then
	n=$(BOXNET_COUNT_OPS=1 "$FB" -c "$C" up 2>&1 | sed -n 's/.*test hook: \([0-9]*\) operations/\1/p')
	"$BOXNET" -c "$C" down
	# The kernel log: a file here, and no controlling terminal (setsid), so it gets a copy.
	: >"$TMP/kmsg"
	mount --bind "$TMP/kmsg" /dev/kmsg
	BOXNET_FAIL_AT=$n setsid "$FB" -c "$C" up 2>&4
	rc=$?
	umount /dev/kmsg
	same "a failing up, stderr a pipe nobody reads: exit 1, not killed by SIGPIPE" 1 "$rc"
	same "and the box is as before" "$clean" "$(snapshot)"
	ok "and the kernel log has the error all the same" grep -q "boxnet: .*injected failure" "$TMP/kmsg"
else
	echo "skip - a failing up with stderr a closed pipe: needs build/faults/boxnet (make faults)"
fi
# Under systemd (JOURNAL_STREAM set), stderr is the journal: no second copy in the kernel log.
: >"$TMP/kmsg"
mount --bind "$TMP/kmsg" /dev/kmsg
JOURNAL_STREAM=8:1234 setsid "$BOXNET" -v -c "$C" up 2>/dev/null
setsid "$BOXNET" -v -c "$C" down 2>/dev/null
umount /dev/kmsg
same "run by systemd, boxnet writes the journal only: one copy of each line, in the kernel log" \
	"<6>boxnet: down:" "$(cut -d' ' -f1-2 "$TMP/kmsg")"
"$BOXNET" -v -c "$C" up 2>&4
same "a good up with stderr a pipe nobody reads" 0 $?
"$BOXNET" -v -c "$C" down 2>&4
same "down, the same" 0 $?
exec 4>&-
same "which leaves the box clean" "$clean" "$(snapshot)"

# ---- fds 0, 1 and 2 closed: messages must not land in the lock file, nor in a socket ----
mkdir -p /run/boxnet
: >/run/boxnet/lock
"$BOXNET" -v -c "$C" up 0<&- 1>&- 2>&-
same "up with fds 0-2 closed works" 0 $?
"$BOXNET" -c "$C" status 0<&- 1>&- 2>&-
same "status with fds 0-2 closed: the box is up" 0 $?
expect_exit "and it is" 0 "$BOXNET" -c "$C" status
"$BOXNET" -v -c "$C" down 0<&- 1>&- 2>&-
same "down with fds 0-2 closed works" 0 $?
same "and the box is clean" "$clean" "$(snapshot)"
# A foreign bridge makes status print a conflict on stderr, fd 2 here: not in the lock file.
ip link add lan type bridge
expect_exit "a foreign bridge: status (fds 0-2 closed) says it cannot build the box" 1 \
	sh -c '"$0" -c "$1" status 0<&- 1>&- 2>&-' "$BOXNET" "$C"
expect_exit "and with fd 2 alone closed" 1 sh -c '"$0" -c "$1" status 2>&-' "$BOXNET" "$C"
ip link del lan
same "the lock file is still empty" "" "$(cat /run/boxnet/lock)"

# ---- the open-file limit: one per namespace and a few; raised as needed, or a clear no ----
for i in $(seq 1 100); do
	echo "ns.n$i.peer = 10.200.$i.1/30"
	echo "ns.n$i.address = 10.200.$i.2/30"
done | conf big >/dev/null
BIG=$TMP/big.conf
nocap=(setpriv --inh-caps=-sys_resource --bounding-set=-sys_resource)
out=$(prlimit --nofile=64:64 "${nocap[@]}" "$BOXNET" -c "$BIG" up 2>&1)
same "100 namespaces, 64 files, no CAP_SYS_RESOURCE: up exits 1" 1 "$?"
ok "and says why before it starts" grep -q "^boxnet: needs [0-9]* open files; the limit is 64" <<<"$out"
same "and changes nothing" "$clean" "$(snapshot)"
ok "100 namespaces, 64 files of a hard 4096: up raises its own limit" prlimit --nofile=64:4096 "$BOXNET" -c "$BIG" up
ok "status too" prlimit --nofile=64:4096 "$BOXNET" -c "$BIG" status
ok "down too" prlimit --nofile=64:4096 "$BOXNET" -c "$BIG" down
same "which leaves the box clean" "$clean" "$(snapshot)"
# Past the hard limit takes CAP_SYS_RESOURCE, which a container may lack.
if prlimit --nofile=64:64 sh -c 'ulimit -Hn 65' 2>/dev/null; then
	ok "100 namespaces, 64 files, as root: up raises the hard limit" prlimit --nofile=64:64 "$BOXNET" -c "$BIG" up
	ok "status too" prlimit --nofile=64:64 "$BOXNET" -c "$BIG" status
	ok "down too (a handle on each namespace, for its undo)" prlimit --nofile=64:64 "$BOXNET" -c "$BIG" down
	same "which leaves the box clean" "$clean" "$(snapshot)"
else
	echo "skip - raising the hard limit of open files: needs CAP_SYS_RESOURCE"
fi

# ---- a FIFO as config: root's up refuses it at once; check reads it ----
mkfifo "$TMP/fifo.conf"
out=$(timeout 10 "$BOXNET" -c "$TMP/fifo.conf" up 2>&1)
same "a FIFO as config: up does not wait for a writer, and refuses it (exit 2)" 2 "$?"
ok "saying it is not a regular file" grep -q "not a regular file" <<<"$out"
expect_exit "status refuses it too" 2 timeout 10 "$BOXNET" -c "$TMP/fifo.conf" status
cat "$C" >"$TMP/fifo.conf" &
expect_exit "check reads a FIFO" 0 timeout 10 "$BOXNET" -c "$TMP/fifo.conf" check
wait

# ---- no /proc ----
# (Not under the sanitizers, which need /proc themselves.)
if [ -z "${SANITIZER_LOGS:-}" ]; then
	out=$(unshare -m --propagation private bash -c 'umount -l /proc && "$1" -c "$2" status' _ "$BOXNET" "$C" 2>&1)
	same "without /proc: status exits 1" 1 "$?"
	same "saying /proc is not mounted" "boxnet: /proc is not mounted" "$out"
else
	echo "skip - without /proc: the sanitizers need /proc"
fi

# ---- a missing uplink: up builds the box (the uplink may come later), status says it ----
W=$(sed 's/^uplink = eth0/uplink = wan0/' "$C" | conf wan)
out=$("$BOXNET" -c "$W" up 2>&1)
same "uplink missing: up builds the box all the same" 0 "$?"
same "silently, as when it is there" "" "$out"
out=$("$BOXNET" -c "$W" status 2>"$TMP/err")
same "status: nothing for up to change, so exit 0" 0 "$?"
ok "but it notes the missing uplink" grep -q "^boxnet: note: .*uplink wan0" "$TMP/err"
not "and does not claim the box is up as configured" grep -q "up as configured" <<<"$out"
ok "down" "$BOXNET" -c "$W" down

# ---- a read-only /run: status only reads, so still works ----
ok "up" "$BOXNET" -c "$C" up
mount -o remount,ro /run
out=$("$BOXNET" -c "$C" status 2>&1)
same "/run read-only: status works" 0 "$?"
same "and says the box is up" "boxnet: the box is up as configured" "$out"
mount -o remount,rw /run
rm -f /run/boxnet/lock
mount -o remount,ro /run
expect_exit "and without a lock file" 0 "$BOXNET" -c "$C" status
mount -o remount,rw /run
ok "down" "$BOXNET" -c "$C" down
done_testing
