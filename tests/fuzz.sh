#!/bin/bash
# tests/fuzz.sh: run each libFuzzer harness (fuzz/) for FUZZ_SECONDS (default 60) on a
# corpus seeded with every test config and past crashes. A crash fails the run, and its
# input is left in build/fuzz/: add it to fuzz/regressions/ once fixed.
cd "$(dirname "$0")/.." || exit 2
secs=${FUZZ_SECONDS:-60}
make -s build/fuzz/fuzz_conf build/fuzz/fuzz_reply build/mkseeds >build/fuzz.log 2>&1 ||
	{ echo "not ok - fuzz: build the harnesses"; sed 's/^/#   /' build/fuzz.log | tail -5; exit 1; }
rm -rf build/fuzz/corpus-conf build/fuzz/corpus-reply
mkdir -p build/fuzz/corpus-conf build/fuzz/corpus-reply
for f in tests/good/*.conf tests/plan/*.conf tests/bad/*.conf fuzz/regressions/conf/*; do
	cp "$f" "build/fuzz/corpus-conf/${f//\//_}"
done
build/mkseeds build/fuzz/corpus-reply && cp fuzz/regressions/reply/* build/fuzz/corpus-reply/
# Every key of the key table, and their names as a dictionary.
build/mkseeds --conf build/fuzz && cp build/fuzz/every-key.conf build/fuzz/corpus-conf/
failed=0
for h in conf:8192 reply:16384; do
	name=${h%%:*}
	dict=
	[ "$name" = conf ] && dict=-dict=build/fuzz/keys.dict
	if build/fuzz/fuzz_$name $dict -max_total_time="$secs" -max_len="${h#*:}" -artifact_prefix=build/fuzz/ \
		-print_final_stats=1 build/fuzz/corpus-$name >build/fuzz/$name.log 2>&1; then
		echo "ok - fuzz_$name: $(grep -o 'number_of_executed_units: [0-9]*' build/fuzz/$name.log |
			cut -d' ' -f2) inputs in $secs s without a crash"
	else
		echo "not ok - fuzz_$name found a crash: $(ls build/fuzz/crash-* build/fuzz/leak-* 2>/dev/null | head -1)"
		grep -E 'SUMMARY|ERROR' build/fuzz/$name.log | head -5 | sed 's/^/#   /'
		failed=1
	fi
done
exit $failed
