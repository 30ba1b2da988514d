# lib.sh - sourced by the end-to-end tests: TAP helpers and a scratch dir.
# $BULLETIN is the binary under test; tests run from the repository root.
: "${BULLETIN:?set BULLETIN to the bulletin binary}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
nfail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $1"; }
# check NAME CMD...: ok when CMD succeeds
check() { name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }
done_testing() { echo "1..$n"; [ "$nfail" = 0 ]; }

# Waits out the last five minutes of a UTC day.  Digests choose items by
# their arrival in the store, by day or ISO week: a script that stores mail
# before midnight and asks for "today" or "this week" after it found none
# (a check run that crossed Sunday midnight failed so).  Each script that
# calls this runs in well under five minutes; the long campaign of `make
# faults` may not, and can still cross a midnight.
wait_day_end() {
	_left=$((86400 - $(date -u +%s) % 86400))
	if [ "$_left" -le 300 ]; then
		echo "# waiting ${_left} s for the UTC day to end"
		sleep $((_left + 1))
	fi
}
