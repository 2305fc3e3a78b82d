#!/bin/bash
# tests/corpus.sh: every bad config in tests/bad exits 2 with exactly the message in its .err
# file; every config in tests/good passes check silently. Needs no privileges.
cd "$(dirname "$0")/.." || exit 2
BOXNET=${BOXNET:-./boxnet}
for f in tests/bad/*.conf; do
	name=bad/$(basename "$f" .conf)
	err=$("$BOXNET" -c "$f" check 2>&1 >/dev/null)
	rc=$?
	if [ $rc -ne 2 ]; then
		echo "not ok - $name: exit $rc, expected 2"
	elif [ "$err" != "$(cat "${f%.conf}.err")" ]; then
		echo "not ok - $name: message differs"
		diff <(cat "${f%.conf}.err") <(printf '%s\n' "$err") | head -10 | sed 's/^/#   /'
	else
		echo "ok - $name"
	fi
done
for f in tests/good/*.conf; do
	name=good/$(basename "$f" .conf)
	if out=$("$BOXNET" -c "$f" check 2>&1) && [ -z "$out" ]; then
		echo "ok - $name"
	else
		echo "not ok - $name: $out"
	fi
done
