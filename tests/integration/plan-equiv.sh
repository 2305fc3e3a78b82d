#!/bin/bash
# plan-equiv.sh: for each config in tests/plan, `boxnet plan | sh` in one fresh box and
# `boxnet up` in another build the same box, as iproute2 and nft see it.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"

# box MODE CONF: build CONF in a fresh sandbox, by running the plan or by up; print the state.
box() {
	unshare -m -n --propagation private env BOXNET_SANDBOX=1 bash -c '
		. "$1"
		sandbox
		fake_uplink
		if [ "$2" = plan ]; then "$BOXNET" -c "$3" plan | sh -e; else "$BOXNET" -c "$3" up; fi ||
			echo "== $2 FAILED"
		snapshot' _ "$ROOT/tests/lib.sh" "$1" "$2" 2>&1
}

for f in "$ROOT"/tests/plan/*.conf; do
	name=$(basename "$f" .conf)
	by_plan=$(box plan "$f")
	by_up=$(box up "$f")
	ok "$name: the box is not empty" grep -q "boxnet" <<<"$by_up"
	same "$name: plan | sh and up build the same box" "$by_plan" "$by_up"
done
done_testing
