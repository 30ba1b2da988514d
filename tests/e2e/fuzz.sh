# fuzz.sh - every libFuzzer target (tests/fuzz/) over its checked-in seeds
# and stored crash reproducers, so a fixed crash stays fixed.  The
# targets are built by `make check` into the fuzz/ directory beside
# $BULLETIN; a missing one is a failure, not a skip.
. tests/e2e/lib.sh
F=$(dirname "$BULLETIN")/fuzz
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp"
# the suppressions name functions: without a symbolizer (package
# llvm-14) the frames have none and a library leak reads as ours
[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ] &&
	export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
for t in message rules template config imap commands; do
	bin=$F/fuzz_$t
	if [ ! -x "$bin" ]; then
		notok "fuzz_$t is built ($bin missing: make check builds it with clang)"
		continue
	fi
	find tests/fuzz/$t/seeds tests/fuzz/$t/crashes -type f 2>/dev/null |
	    sort >"$T/$t.list"
	inputs=$(grep -c . "$T/$t.list")
	crashes=$(grep -c /crashes/ "$T/$t.list")
	if [ "$inputs" = 0 ]; then
		notok "fuzz_$t has seeds in tests/fuzz/$t/seeds"
		continue
	fi
	# one input per run, so a finding names its file
	xargs "$bin" -rss_limit_mb=2048 -timeout=60 <"$T/$t.list" \
	    >"$T/$t.log" 2>&1
	rc=$?
	ran=$(grep -c '^Executed ' "$T/$t.log")
	if [ "$rc" = 0 ] && [ "$ran" = "$inputs" ]; then
		ok "fuzz_$t replays $((inputs - crashes)) seeds and $crashes crash reproducers"
	else
		notok "fuzz_$t replays $inputs inputs (exit $rc, $ran ran)"
		grep -E '^Running:|ERROR|invariant|runtime error|SUMMARY' \
		    "$T/$t.log" | tail -n 20
	fi
done
done_testing
