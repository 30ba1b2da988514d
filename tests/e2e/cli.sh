# cli.sh - the command-line contract: options, exit codes, JSON shape,
# ingest de-duplication, items queries, broken rule files.
. tests/e2e/lib.sh
INBOX=tests/fixtures/inbox
R="--rules filters"

check "--help exits 0" sh -c "$BULLETIN --help >/dev/null"
check "--version prints the version" sh -c "$BULLETIN --version | grep -q '^bulletin [0-9]'"
$BULLETIN frobnicate >/dev/null 2>&1; rc=$?
check "unknown command exits 64 (EX_USAGE)" test $rc = 64
$BULLETIN classify >/dev/null 2>&1; rc=$?
check "classify without PATH exits 64" test $rc = 64
$BULLETIN $R classify /nonexistent/x >/dev/null 2>"$T/err"; rc=$?
check "missing path fails with EX_DATAERR" test $rc = 65
check "missing path is named on stderr" grep -q "/nonexistent/x" "$T/err"

# JSON Lines, one object per message, with the documented shape.
$BULLETIN $R classify --json $INBOX >"$T/out.jsonl" 2>"$T/err"; rc=$?
check "classify --json on the sample inbox exits 0" test $rc = 0
nmsg=$(ls $INBOX/cur $INBOX/new | grep -cv '^$\|:$\|^\.')
check "one JSON line per message" test "$(wc -l <"$T/out.jsonl")" -ge 10
check "JSON shape" python3 - "$T/out.jsonl" <<'PY'
import json, sys, re
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    for k in ("source", "message_id", "subject", "from", "date", "items"):
        assert k in o, k
    assert o["date"] is None or re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", o["date"]), o["date"]
    assert o["items"], o["source"]
    for it in o["items"]:
        for k in ("title", "date", "url", "labels", "excerpt", "words"):
            assert k in it, k
        assert it["title"].strip(), o["source"]
        assert isinstance(it["labels"], list) and isinstance(it["words"], int)
        assert len(it["excerpt"].split()) <= 41
        for bad in ("<p", "</", "&amp;", "&nbsp;", "=20", "=E2", "=C2"):
            assert bad not in it["excerpt"] and bad not in it["title"], (bad, it)
PY
check "readable listing names every message" sh -c "$BULLETIN $R classify $INBOX | grep -c '^  subject:' | grep -qx $nmsg"
check "--explain shows rule totals" sh -c "$BULLETIN $R classify --explain $INBOX 2>/dev/null | grep -q 'threshold\\|>=\\|< '"

# ingest: stores once, second run finds only duplicates.
S="$T/store.db"
$BULLETIN --store "$S" $R ingest $INBOX >"$T/ing1" 2>&1; rc=$?
check "ingest exits 0" test $rc = 0
check "ingest reports new messages" grep -q "ingested $nmsg new, 0 duplicate, 0 failed" "$T/ing1"
$BULLETIN --store "$S" $R ingest $INBOX >"$T/ing2" 2>&1
check "second ingest stores nothing again" grep -q "ingested 0 new, $nmsg duplicate" "$T/ing2"
check "messages stored once" test "$(sqlite3 "$S" 'select count(*) from messages')" = "$nmsg"
check "store is in WAL mode" test "$(sqlite3 "$S" 'pragma journal_mode')" = wal
n_items=$($BULLETIN --store "$S" items --json | wc -l)
n_json=$(python3 -c 'import json,sys; print(sum(len(json.loads(l)["items"]) for l in open(sys.argv[1])))' "$T/out.jsonl")
check "items lists every stored item" test "$n_items" = "$n_json"
$BULLETIN --store "$S" items --json --label nao >"$T/nao.jsonl"
check "items --label keeps only that label" python3 -c '
import json,sys
rows=[json.loads(l) for l in open(sys.argv[1])]
assert rows and all("nao" in r["labels"] for r in rows)' "$T/nao.jsonl"
check "items --since in the future lists nothing" test -z "$($BULLETIN --store "$S" items --since 2999-01-01)"
$BULLETIN --store "$S" items --since yesterday >/dev/null 2>&1; rc=$?
check "bad date is a usage error" test $rc = 64

# The items' text is in STORE.raw: without it, items fails and says so,
# and makes no empty one.
mv "$S.raw" "$S.raw.away"
$BULLETIN --store "$S" items >/dev/null 2>"$T/err"; rc=$?
check "items without the raw file fails, not a crash (exit $rc)" test $rc != 0 -a $rc -lt 128
check "... naming the file" grep -q "store.db.raw" "$T/err"
check "... and creates none" test ! -e "$S.raw"
mv "$S.raw.away" "$S.raw"
check "with it back, items works" sh -c "$BULLETIN --store '$S' items | grep -q ."
# A raw file that cannot be written (here a directory): nothing stored,
# exit 74 (EX_IOERR) as for a full disk.
S2="$T/noraw.db"
mkdir "$S2.raw"
$BULLETIN --store "$S2" $R ingest $INBOX >/dev/null 2>"$T/err"; rc=$?
check "ingest with an unwritable raw file exits 74 (exit $rc)" test $rc = 74
check "... naming the file" grep -q "noraw.db.raw" "$T/err"
check "... and stores nothing" test "$(sqlite3 "$S2" 'select count(*) from messages')" = 0

# a broken rule set is refused, with FILE:LINE
mkdir "$T/badrules"
printf 'category x "X"\nthreshold 5\nphrase text +3 "unterminated\n' >"$T/badrules/x.rules"
$BULLETIN --rules "$T/badrules" classify $INBOX >/dev/null 2>"$T/err"; rc=$?
check "broken rules exit 78 (EX_CONFIG)" test $rc = 78
check "broken rules reported as FILE:LINE" grep -q "x.rules:3:" "$T/err"
check "check-rules accepts the shipped rules" $BULLETIN --rules filters check-rules

# config file: unknown key reported with its line
printf '[store]\npath = %s\nbogus = 1\n' "$S" >"$T/c.conf"
$BULLETIN --config "$T/c.conf" items >/dev/null 2>"$T/err"; rc=$?
check "unknown config key exits 78" test $rc = 78
check "unknown config key reported as FILE:LINE" grep -q "c.conf:3: unknown key 'bogus'" "$T/err"
printf '[store]\npath = %s\n' "$S" >"$T/c.conf"
check "store path from config" sh -c "$BULLETIN --config '$T/c.conf' items | grep -q ."
check "config from BULLETIN_CONFIG" sh -c "BULLETIN_CONFIG='$T/c.conf' $BULLETIN items | grep -q ."
done_testing
