#!/bin/sh
# run.sh BINDIR SECONDS WORKDIR TARGET... - `make fuzz`: runs each fuzz
# target for SECONDS with its dictionary, starting from the checked-in
# seeds; new inputs go to WORKDIR/TARGET/corpus and findings to
# WORKDIR/TARGET/artifacts, never into the tree.  Prints libFuzzer's
# final figures per target and fails when any target found something.
# Runs at nice 19, one target at a time.
bin=$1 secs=$2 work=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
export LSAN_OPTIONS="suppressions=$here/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# the suppressions name functions, which needs a symbolizer (llvm-14)
[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ] &&
	export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
failed=""
for t in "$@"; do
	case $t in
	message) dict=$here/mime.dict ;;
	*) dict=$here/$t.dict ;;
	esac
	mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
	log=$work/$t/fuzz.log
	echo "fuzz_$t: ${secs}s, corpus $work/$t/corpus"
	nice -n 19 "$bin/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 \
	    -timeout=10 -dict="$dict" -print_final_stats=1 \
	    -artifact_prefix="$work/$t/artifacts/" \
	    "$work/$t/corpus" "$here/$t/seeds" </dev/null >"$log" 2>&1
	rc=$?
	grep -E '^#[0-9]+ +DONE|^stat::number_of_executed_units|^stat::peak_rss' \
	    "$log" | sed 's/^/    /'
	if [ "$rc" != 0 ]; then
		echo "    FOUND something (exit $rc): see $log and $work/$t/artifacts/"
		failed="$failed $t"
	fi
done
if [ -n "$failed" ]; then
	echo "findings in:$failed"
	exit 1
fi
