#!/bin/bash
# tests/golden.sh: boxnet plan prints exactly NAME.plan for each tests/plan/NAME.conf and
# examples/NAME.conf.
# Needs no privileges. After an intended change: tests/golden.sh --update, then review the diff.
cd "$(dirname "$0")/.." || exit 2
BOXNET=${BOXNET:-./boxnet}
for f in tests/plan/*.conf examples/*.conf; do
	name=plan/$(basename "$f" .conf)
	want=${f%.conf}.plan
	got=$("$BOXNET" -c "$f" plan 2>&1)
	rc=$?
	if [ "${1:-}" = --update ]; then
		printf '%s\n' "$got" >"$want"
	fi
	if [ $rc -ne 0 ]; then
		echo "not ok - $name: exit $rc: $got"
	elif [ "$got" != "$(cat "$want")" ]; then
		echo "not ok - $name: plan differs"
		diff "$want" <(printf '%s\n' "$got") | head -20 | sed 's/^/#   /'
	else
		echo "ok - $name"
	fi
done
