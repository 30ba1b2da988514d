#!/bin/sh
# run.sh BUILD_DIR [unit|e2e] - runs the unit tests (plain and under
# ASan+UBSan) and the end-to-end CLI tests; prints "N passed, N failed".
# Every test speaks TAP ("ok N - name" / "not ok N - name").
B=${1:-build}
what=${2:-all}
pass=0 fail=0 skip=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

tally() {	# name, command...
	name=$1; shift
	"$@" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" = 77 ]; then
		echo "SKIP $name"; skip=$((skip + 1)); return
	fi
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$f" != 0 ]; then
		echo "FAIL $name ($p passed, $f failed, exit $rc)"
		sed 's/^/    /' "$log" | tail -n 60
	else
		echo "ok   $name ($p)"
	fi
}

export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if [ "$what" != e2e ]; then
	for t in "$B"/test_* "$B"/san/test_*; do
		[ -x "$t" ] || continue
		tally "$t" "$t"
	done
fi
if [ "$what" != unit ]; then
	for t in tests/e2e/*.sh; do
		case ${t##*/} in lib.sh|servers.sh) continue ;; esac  # sourced
		tally "$t" env BULLETIN="$PWD/$B/bulletin" sh "$t"
	done
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
