# crash.sh - kill -9 of `bulletin ingest` at random moments: the store
# stays consistent (integrity_check), and a re-run leaves every message
# stored exactly once, each with its items, all of it readable.
. tests/e2e/lib.sh
M="$T/mail"
N=6000
python3 - "$M" "$N" <<'PY'
import os, sys, random
d, n = sys.argv[1], int(sys.argv[2])
for sub in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(d, sub), exist_ok=True)
random.seed(3)
words = "probation caseload audit office committee branch members ballot report inspection region".split()
for i in range(n):
    body = "\n\n".join(" ".join(random.choice(words) for _ in range(60)) for _ in range(6))
    msg = ("From: sender%d@example.org\nTo: b@example.org\nSubject: Bulletin %d\n"
           "Message-ID: <m%d@example.org>\nDate: Mon, 16 Nov 2026 09:00:00 +0000\n"
           "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n") % (i, i, i, body)
    with open(os.path.join(d, "cur", "%010d.M%d.test:2,S" % (i, i)), "w") as f:
        f.write(msg)
PY
S="$T/store.db"
stored() { sqlite3 "$S" 'select count(*) from messages' 2>/dev/null || echo 0; }
# each round: start, wait until it has committed something new, kill -9
for round in 1 2 3 4; do
	before=$(stored)
	$BULLETIN --rules filters --store "$S" ingest "$M" >/dev/null 2>&1 &
	pid=$!
	i=0
	while [ "$(stored)" = "$before" ] && [ $i -lt 200 ] &&
	    kill -0 "$pid" 2>/dev/null; do
		sleep 0.02
		i=$((i + 1))
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo "# round $round: killed with $(stored) of $N stored"
	check "kill -9 in round $round: integrity_check ok" \
		test "$(sqlite3 "$S" 'pragma integrity_check')" = ok
	check "kill -9 in round $round: no message without its items" \
		test "$(sqlite3 "$S" 'select count(*) from messages m where not exists (select 1 from items i where i.msg_id = m.id)')" = 0
done
$BULLETIN --rules filters --store "$S" ingest "$M" >"$T/out" 2>&1; rc=$?
check "re-run after the kills exits 0" test $rc = 0
check "every message stored once" test "$(sqlite3 "$S" 'select count(*), count(distinct hash), count(distinct message_id) from messages')" = "$N|$N|$N"
check "a further run finds only duplicates" sh -c "$BULLETIN --rules filters --store '$S' ingest '$M' | grep -q 'ingested 0 new, $N duplicate'"
# the raw file took the killed runs' bytes too: what the store names in
# it (messages, items' text) reads back whole
$BULLETIN --store "$S" items --json >"$T/items" 2>"$T/items.err"; rc=$?
check "every item's text reads back (exit $rc)" test $rc = 0 -a \
	"$(wc -l <"$T/items")" = "$(sqlite3 "$S" 'select count(*) from items')"
check "... none empty" python3 -c '
import json, sys
assert all(json.loads(l)["excerpt"] for l in open(sys.argv[1]))' "$T/items"
$BULLETIN --store "$S" export --mbox "$T/all.mbox" 2>"$T/export.err"; rc=$?
check "every message's raw bytes read back (export exit $rc)" test $rc = 0 -a \
	"$(grep -c '^From ' "$T/all.mbox")" = "$N"
done_testing
