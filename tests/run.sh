#!/bin/sh
# run.sh BUILD_DIR [unit|e2e] - runs the unit tests (plain and under
# ASan+UBSan) and the end-to-end CLI tests; prints "N passed, N failed".
# Every test speaks TAP ("ok N - name" / "not ok N - name").  Each
# test's output is kept until the end, when one more test greps all of
# it for the passwords the end-to-end tests made (servers.sh writes each
# to $BULLETIN_SECRETS): none may appear.
B=${1:-build}
what=${2:-all}
pass=0 fail=0 skip=0
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
export BULLETIN_SECRETS="$logs/secrets"

tally() {	# name, command...
	name=$1; shift
	log=$logs/$(printf '%s' "$name" | tr -c 'A-Za-z0-9._-' _).log
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
if [ -s "$BULLETIN_SECRETS" ]; then
	leaks=$(grep -lF -f "$BULLETIN_SECRETS" "$logs"/*.log)
	if [ -n "$leaks" ]; then
		echo "FAIL a test password appears in the output of: $leaks"
		fail=$((fail + 1))
	else
		echo "ok   no test password in any test's output" \
			"($(wc -l <"$BULLETIN_SECRETS") passwords, $(cat "$logs"/*.log | wc -l) lines)"
		pass=$((pass + 1))
	fi
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
