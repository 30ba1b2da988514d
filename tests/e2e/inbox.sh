# inbox.sh - the sample inbox against its ground truth: every message's
# items, titles and labels (tests/fixtures/inbox.expect).
. tests/e2e/lib.sh
$BULLETIN --rules filters classify --json tests/fixtures/inbox >"$T/out" || exit 1
python3 tests/e2e/expect.py "$T/out" tests/fixtures/inbox.expect
