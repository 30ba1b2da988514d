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
