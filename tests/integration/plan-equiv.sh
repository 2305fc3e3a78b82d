#!/bin/bash
# plan-equiv.sh: for each config in tests/plan, `boxnet plan | sh` in one fresh box and
# `boxnet up` in another build the same box, as iproute2 and nft see it.
. "$(dirname "$0")/../lib.sh"
sandbox "$@"

# by_plan CONF: build CONF in a fresh sandbox by running the plan; print the state.
by_plan() {
	unshare -m -n --propagation private env BOXNET_SANDBOX=1 bash -c '
		. "$1"
		sandbox
		fake_uplink
		"$BOXNET" -c "$2" plan | sh -e || echo "== plan FAILED"
		snapshot' _ "$ROOT/tests/lib.sh" "$1" 2>&1
}

for f in "$ROOT"/tests/plan/*.conf; do
	name=$(basename "$f" .conf)
	by_plan=$(by_plan "$f")
	by_up=$(fresh_box "$f")
	ok "$name: the box is not empty" grep -q "boxnet" <<<"$by_up"
	same "$name: plan | sh and up build the same box" "$by_plan" "$by_up"
done
done_testing
