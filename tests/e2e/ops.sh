# ops.sh - operations: `status` (text and --json, the record of runs and
# of each folder's last fetch, non-zero after a failed run), retention
# (`prune` and the prune in `run`: old mail goes, what an unsent digest or
# a queued forward needs stays), `export --mbox|--json` and `import`
# (a round trip gives the same JSON again, importing twice changes
# nothing), and hostile imports (FILE:LINE, non-zero, no crash).  No
# server is needed: IMAP and SMTP point at the closed port 1.  Arrival
# times are moved back with sqlite3.
. tests/e2e/lib.sh
INBOX=tests/fixtures/inbox
PASSWORD=hunter2-ops-secret-7731
# tests/run.sh greps every test's output for these
[ -n "${BULLETIN_SECRETS:-}" ] && printf '%s\n' "$PASSWORD" >>"$BULLETIN_SECRETS"
printf '%s\n' "$PASSWORD" >"$T/imap.pass"
chmod 600 "$T/imap.pass"

# conf FILE KEEP_DAYS: a configuration with closed IMAP and SMTP ports
conf() {
	cat >"$1" <<EOF
[store]
keep_days = $2
lock_wait = 5
[imap]
host = 127.0.0.1
port = 1
tls = none
user = bulletins
password_file = $T/imap.pass
timeout = 3
[smtp]
url = smtp://127.0.0.1:1
tls = none
from = digest@example.org
[digest]
templates = templates
EOF
}
conf "$T/c400" 400
conf "$T/c1" 1
S="$T/s.db"
B="$BULLETIN --config $T/c400 --store $S --rules filters"
sql() { sqlite3 "$1" "$2"; }
# json FILE PYTHON: runs PYTHON with d = the JSON object in FILE
json() { f=$1 c=$2; shift 2; python3 -c "import json, sys; d = json.load(open(sys.argv[1])); $c" "$f" "$@"; }
NOW=$(date -u +%s)
wait_day_end
WEEK=$(date -u +%G-W%V)
# Monday 00:00 UTC of this ISO week, and of the last complete one
MONDAY=$(python3 -c 'import time; t = int(time.time()); d = t // 86400; print((d - (d + 3) % 7) * 86400)')
LAST=$((MONDAY - 7 * 86400))

# --- configuration ---
printf '[store]\nkeep_days = -5\nlock_wait = 99999\n' >"$T/bad.conf"
$BULLETIN --config "$T/bad.conf" --store "$S" status >/dev/null 2>"$T/err"; rc=$?
check "bad keep_days and lock_wait: exit 78" test $rc = 78
check "... at their lines" sh -c "grep -q 'bad.conf:2: keep_days must be a number' '$T/err' &&
	grep -q 'bad.conf:3: lock_wait must be a number from 0 to 3600' '$T/err'"

# --- status ---
$B status >"$T/out" 2>&1; rc=$?
check "status without a store exits 66" test $rc = 66
check "... and says so" grep -q "no store at" "$T/out"
check "... creating none" test ! -e "$S"
$B status --json >"$T/st.json" 2>/dev/null
check "... --json says so too" json "$T/st.json" 'assert d["status"] == "failed" and d["exit"] == 66'

$B ingest $INBOX >/dev/null 2>&1
$B status >"$T/out" 2>"$T/err"; rc=$?
check "status on a fresh store exits 0" test $rc = 0
check "... status: ok, no runs, no folders" sh -c "grep -q '^status: ok\$' '$T/out' &&
	grep -q 'none recorded' '$T/out' && grep -q 'none fetched' '$T/out'"
check "... store size and messages" grep -Eq "^store: .*s.db, [0-9]+ bytes \(file [0-9]+, wal [0-9]+, raw [1-9][0-9]*\), 18 messages" "$T/out"
check "... this week's items per category" grep -Eq "^items this week \($WEEK\): 30: .*nao 4.*pac 5" "$T/out"
check "... outbox and subscribers" sh -c "grep -q '^outbox: 0 queued, 0 retrying, 0 failed, 0 sent' '$T/out' &&
	grep -q '^subscribers: 0 ' '$T/out'"
$B status --json >"$T/st.json"; rc=$?
check "status --json exits 0 with one object" json "$T/st.json" '
assert d["status"] == "ok" and d["exit"] == 0 and d["problem"] is None
assert d["store"]["messages"] == 18 and d["store"]["bytes"] >= d["store"]["file_bytes"] > 0
assert d["week"]["period"] == sys.argv[2] and d["week"]["items"] == 30, d["week"]
assert d["week"]["categories"]["pac"] == 5
assert d["runs"] == [] and d["folders"] == []
assert d["outbox"] == {"queued": 0, "retrying": 0, "failed": 0, "sent": 0, "problems": []}
assert d["subscribers"]["total"] == 0' "$WEEK"

# a fetch against a closed port fails; status says so and exits 69
$B fetch >/dev/null 2>"$T/fetch.err"; rc=$?
check "fetch against a closed port exits 69" test $rc = 69
$B status >"$T/out" 2>&1; rc=$?
check "status after the failed fetch exits 69 (EX_UNAVAILABLE)" test $rc = 69
check "... naming the run and its error" grep -q "^status: failed: the last run of 'fetch' (.*) exited 69: '127.0.0.1:1': connect" "$T/out"
check "... the folder's last fetch and its error" grep -Eq "^  bulletins@127.0.0.1:1 INBOX: [0-9T:-]+Z connect: " "$T/out"
$B status --json >"$T/st.json"; rc=$?
check "status --json exits 69 too" test $rc = 69
check "... with the run, the folder and the verdict" json "$T/st.json" '
assert d["status"] == "failed" and d["exit"] == 69 and "fetch" in d["problem"]
r = [r for r in d["runs"] if r["command"] == "fetch"][0]
assert r["result"] == 69 and r["finished"] and "connect" in r["message"], r
f = d["folders"][0]
assert f["folder"] == "INBOX" and f["last_fetch"] and f["result"] != "ok", f'
$B status --json -q >/dev/null 2>&1
check "the password is in no status output and not in the store" sh -c "
	! grep -q '$PASSWORD' '$T/out' '$T/st.json' '$T/fetch.err' &&
	! sqlite3 '$S' .dump | grep -q '$PASSWORD'"

# a store whose last runs only deferred mail: 75
S2="$T/s2.db"
B2="$BULLETIN --config $T/c400 --store $S2 --rules filters"
$B2 ingest $INBOX >/dev/null 2>&1
$B2 subscriber add ann@example.org --categories all >/dev/null
$B2 subscriber add uma@example.org --categories nao --instant pac >/dev/null
sql "$S2" "update subscribers set confirmed = 0 where address = 'uma@example.org'"
$B2 digest --period "$WEEK" >/dev/null 2>&1; rc=$?
check "a digest to a closed port is deferred: exit 75" test $rc = 75
$B2 status >"$T/out" 2>&1; rc=$?
check "status after deferred mail exits 75 (EX_TEMPFAIL)" test $rc = 75
check "... status: deferred, naming the digest" grep -q "^status: deferred: the last run of 'digest'" "$T/out"
check "... the retrying message with the server's reply" grep -q "^  retrying: digest to ann@example.org (weekly:$WEEK), 1 attempts, next .*: .*connect" "$T/out"
check "... subscribers per mode, confirmed or not" grep -q "^subscribers: 2 (1 unconfirmed); weekly 2 (1 unconfirmed), daily 0, instant 1 (1 unconfirmed)" "$T/out"
$B2 status --json >"$T/st.json"
check "... and in --json" json "$T/st.json" '
assert d["status"] == "deferred" and d["exit"] == 75
o = d["outbox"]
assert o["retrying"] == 1 and o["queued"] == 0 and o["problems"][0]["state"] == "retrying"
assert o["problems"][0]["reply"] and o["problems"][0]["next_try"]
s = d["subscribers"]
assert s["total"] == 2 and s["unconfirmed"] == 1
assert s["weekly"] == {"confirmed": 1, "unconfirmed": 1} and s["instant"] == {"confirmed": 0, "unconfirmed": 1}'
sql "$S2" "update outbox set state = 'failed', reply = '550 5.1.1 no such user'"
$B2 send >/dev/null 2>&1
$B2 status >"$T/out" 2>&1; rc=$?
check "a later send covers the deferred one: a failed row is listed, exit 0" sh -c "test $rc = 0 &&
	grep -q '^  failed: digest to ann@example.org (weekly:$WEEK): 550 5.1.1 no such user' '$T/out'"
$B2 digest --period 2001-W99 >/dev/null 2>&1
$B2 status >/dev/null 2>&1; rc=$?
check "a usage error is no run" test $rc = 0

# --- retention ---
$B subscriber add ann@example.org --categories nao,pac >/dev/null
$B subscriber add bob@example.org --categories all --instant pac >/dev/null
$B commands >/dev/null 2>&1
$B forward >/dev/null 2>&1
nq=$(sql "$S" "select count(distinct msg_id) from outbox where kind = 'forward' and state = 'queued'")
check "instant forwards queued for the pac bulletins" test "$nq" -gt 0
sql "$S" "update messages set received = received - 500 * 86400"
$B prune --dry-run >"$T/out" 2>&1; rc=$?
check "prune --dry-run exits 0 and lists what would go" sh -c "test $rc = 0 &&
	test \$(grep -c '^would remove message ' '$T/out') = $((18 - nq))"
check "... and removes nothing" test "$(sql "$S" 'select count(*) from messages')" = 18
$B prune >"$T/out" 2>&1; rc=$?
check "prune exits 0 and prints what it removed" sh -c "test $rc = 0 &&
	test \$(grep -c '^removed message [0-9]* of .* items): ' '$T/out') = $((18 - nq)) &&
	grep -q '^pruned $((18 - nq)) messages, [0-9]* items, [0-9]* bytes that arrived before ' '$T/out'"
check "... keeping exactly the bulletins queued forwards need" test \
	"$(sql "$S" 'select id from messages order by id')" = \
	"$(sql "$S" "select distinct msg_id from outbox where state = 'queued' order by msg_id")"
check "... their items and labels went with them" test \
	"$(sql "$S" 'select count(*) from items where msg_id not in (select id from messages)') $(sql "$S" 'select count(*) from labels where item_id not in (select id from items)')" = "0 0"
$B prune >"$T/out" 2>&1
check "a second prune removes nothing" grep -q "^pruned 0 messages" "$T/out"

# keep_days = 1: last week's items stay while its digest is owed
S3="$T/s3.db"
B3="$BULLETIN --config $T/c1 --store $S3 --rules filters"
$B3 ingest $INBOX >/dev/null 2>&1
$B3 commands >/dev/null 2>&1
$B3 forward >/dev/null 2>&1
$B3 subscriber add ann@example.org --categories all >/dev/null
K=$(sql "$S3" "select min(i.msg_id) from items i join labels l on l.item_id = i.id")
sql "$S3" "update messages set received = $NOW - 40 * 86400; update messages set received = $LAST + 3600 where id = $K"
$B3 prune >"$T/out" 2>&1; rc=$?
check "keep_days = 1: old mail pruned" sh -c "test $rc = 0 && grep -q '^pruned 17 messages' '$T/out'"
check "... but not last week's, whose digest is owed to ann" test "$(sql "$S3" 'select id from messages')" = "$K"
$B3 digest >/dev/null 2>&1; rc=$?
check "last week's digest queued (sending deferred)" sh -c "test $rc = 75 &&
	test \"\$(sqlite3 '$S3' \"select count(*) from outbox where kind = 'digest' and key like 'weekly:%'\")\" = 1"
$B3 prune >"$T/out" 2>&1
check "once it is queued, those items go too" sh -c "grep -q '^removed message $K ' '$T/out' &&
	test \"\$(sqlite3 '$S3' 'select count(*) from messages')\" = 0"
# run prunes after fetching (which fails here) and sending
$B3 ingest $INBOX >/dev/null 2>&1
sql "$S3" "update messages set received = $NOW - 40 * 86400"
$B3 run >"$T/out" 2>&1; rc=$?
check "run prunes too, after a failed fetch (exit 69)" sh -c "test $rc = 69 &&
	grep -q '^pruned 18 messages' '$T/out' &&
	test \"\$(sqlite3 '$S3' 'select count(*) from messages')\" = 0"
$B3 status >"$T/out" 2>&1; rc=$?
check "status then shows the run failed" sh -c "test $rc = 69 && grep -q \"^status: failed: the last run of 'run'\" '$T/out'"

# --- export and import ---
S5="$T/s5.db"
B5="$BULLETIN --config $T/c400 --store $S5 --rules filters"
mkdir -p "$T/extra/cur" "$T/extra/new"
printf 'From: New Member <new@example.org>\nTo: requests@example.org\nSubject: subscribe nao\nMessage-ID: <sub1@example.org>\n\nplease\n' >"$T/extra/cur/1.eml"
printf 'From: a@example.org\nSubject: quoting\nMessage-ID: <q1@example.org>\n\nFrom here on, text.\n>From quoted once\n>>From quoted twice\n' >"$T/extra/cur/2.eml"
printf 'From: b@example.org\r\nSubject: crlf \xc3\xa9\r\n\r\nFrom crlf\r\n\x01\x02 bytes\r\n' >"$T/extra/cur/3.eml"
$B5 ingest $INBOX "$T/extra" >/dev/null 2>&1
$B5 subscriber add ann@example.org --name 'Ann "Example"' --categories all >/dev/null
$B5 subscriber add bob@example.org --categories nao --instant pac >/dev/null
$B5 commands >/dev/null 2>&1
$B5 forward >/dev/null 2>&1
$B5 digest --period "$WEEK" >/dev/null 2>&1
$B5 fetch >/dev/null 2>&1
$B5 export --json "$T/e1.jsonl" >"$T/out" 2>&1; rc=$?
check "export --json exits 0" test $rc = 0
check "... to a file of mode 600 (it holds tokens)" test "$(stat -c %a "$T/e1.jsonl")" = 600
check "... header first, end last, everything in between" python3 - "$T/e1.jsonl" <<'PY'
import json, sys, base64, hashlib
recs = [json.loads(l) for l in open(sys.argv[1], "rb")]
assert recs[0] == {"type": "header", "format": "bulletin-export", "version": 1}
assert recs[-1]["type"] == "end"
kinds = [r["type"] for r in recs]
for k in ("mark", "message", "subscriber", "outbox", "folder"):
    assert recs[-1][{"message": "messages", "subscriber": "subscribers", "mark": "marks", "folder": "folders"}.get(k, k)] == kinds.count(k), k
msgs = [r for r in recs if r["type"] == "message"]
assert len(msgs) == 21
for m in msgs:
    assert hashlib.sha256(base64.b64decode(m["raw"])).hexdigest() == m["hash"]
assert any(m["command"] for m in msgs), "the subscribe command"
assert any(l for m in msgs for i in m["items"] for l in i["labels"])
subs = {r["address"]: r for r in recs if r["type"] == "subscriber"}
assert set(subs) == {"ann@example.org", "bob@example.org", "new@example.org"}, subs.keys()
assert len(subs["ann@example.org"]["token"]) == 32 and subs["ann@example.org"]["name"] == 'Ann "Example"'
assert subs["bob@example.org"]["categories"] == {"nao": "weekly", "pac": "instant"}
outs = [r for r in recs if r["type"] == "outbox"]
assert {o["kind"] for o in outs} == {"digest", "forward", "confirm"}, outs
assert all(o["msg_hash"] for o in outs if o["kind"] == "forward")
assert [r["folder"] for r in recs if r["type"] == "folder"] == ["INBOX"]
assert kinds.index("mark") < kinds.index("message")
PY
S6="$T/s6.db"
B6="$BULLETIN --config $T/c400 --store $S6 --rules filters"
$B6 import "$T/e1.jsonl" >"$T/out" 2>&1; rc=$?
check "import into a fresh store exits 0" sh -c "test $rc = 0 && grep -q '^imported 21 messages (0 already there, 0 under a new id)' '$T/out'"
$B6 export --json "$T/e2.jsonl" 2>/dev/null
check "... and exporting it again gives the same JSON" cmp -s "$T/e1.jsonl" "$T/e2.jsonl"
$B6 import "$T/e1.jsonl" >"$T/out" 2>&1; rc=$?
check "importing twice exits 0 and adds nothing" sh -c "test $rc = 0 &&
	grep -q '^imported 0 messages (21 already there, 0 under a new id), 0 items, 0 subscribers (3 already there), 0 outbox rows' '$T/out'"
$B6 export --json - 2>/dev/null >"$T/e3.jsonl"
check "... the store is unchanged (export to stdout the same)" cmp -s "$T/e1.jsonl" "$T/e3.jsonl"
check "the imported store works: items, subscribers with tokens" sh -c "
	test \"\$($B6 items --json | wc -l)\" = \"\$($B5 items --json | wc -l)\" &&
	test \"\$($B6 subscriber list --json)\" = \"\$($B5 subscriber list --json)\""
$B5 export --mbox "$T/e.mbox" 2>/dev/null; rc=$?
check "export --mbox exits 0, an mboxrd file" sh -c "test $rc = 0 && head -c 5 '$T/e.mbox' | grep -q '^From ' &&
	grep -q '^>From here on' '$T/e.mbox' && grep -q '^>>From quoted once' '$T/e.mbox' &&
	grep -q '^>>>From quoted twice' '$T/e.mbox'"
S7="$T/s7.db"
$BULLETIN --config "$T/c400" --store "$S7" --rules filters import "$T/e.mbox" >"$T/out" 2>&1; rc=$?
check "import of the mbox goes the ingest path" sh -c "test $rc = 0 && grep -q '^ingested 21 new, 0 duplicate, 0 failed' '$T/out'"
check "... the same messages, byte for byte" test "$(sql "$S5" 'select hash from messages order by hash')" = "$(sql "$S7" 'select hash from messages order by hash')"
$B5 export "$T/x" >/dev/null 2>&1; rc=$?
check "export needs --mbox or --json: exit 64" test $rc = 64
$B5 export --mbox --json >/dev/null 2>&1; rc=$?
check "... not both" test $rc = 64

# --- hostile imports ---
S8="$T/s8.db"
B8="$BULLETIN --config $T/c400 --store $S8 --rules filters"
# bad NAME FILE WHAT: import of FILE exits 65 naming FILE:LINE, no crash
bad() {
	$B8 import "$2" >"$T/out" 2>"$T/err"; rc=$?
	if [ $rc = 65 ] && grep -Eq "^$2:[0-9]+: $3" "$T/err"; then
		ok "$1"
	else
		notok "$1"
		echo "# exit $rc"; sed 's/^/# /' "$T/err" | head -n 5
	fi
}
head -c 3000 /dev/urandom | tr '{F' 'xx' >"$T/garbage"
printf 'x' | cat - "$T/garbage" >"$T/garbage2"
bad "garbage: exit 65 at line 1" "$T/garbage2" "neither a bulletin JSON export nor an mbox"
: >"$T/empty"
bad "an empty file" "$T/empty" "empty file"
size=$(wc -c <"$T/e1.jsonl")
head -c $((size / 2)) "$T/e1.jsonl" >"$T/cut.jsonl"
bad "an export cut in the middle of a line" "$T/cut.jsonl" "(not JSON|the file ends)"
head -n 4 "$T/e1.jsonl" >"$T/cut2.jsonl"
bad "an export cut at a line boundary" "$T/cut2.jsonl" "the file ends before its end record"
line=$(grep -n '"type":"message"' "$T/e1.jsonl" | head -n 1 | cut -d: -f1)
sed "${line}s/\"raw\":\"[A-Za-z0-9]/\"raw\":\"!/" "$T/e1.jsonl" >"$T/b64.jsonl"
bad "bad base64, at its line" "$T/b64.jsonl" "'raw' is not base64"
grep -q "^$T/b64.jsonl:$line: " "$T/err" && ok "... line $line" || notok "... line $line"
sed "${line}s/\"hash\":\"[0-9a-f]/\"hash\":\"0/" "$T/e1.jsonl" >"$T/hash.jsonl"
sed -i "${line}s/\"hash\":\"00/\"hash\":\"01/" "$T/hash.jsonl"
bad "raw that does not match its hash" "$T/hash.jsonl" "'raw' does not match 'hash'"
python3 -c 'print("{\"a\":" * 100000)' >"$T/deep.jsonl"
bad "deep nesting" "$T/deep.jsonl" "not JSON: column [0-9]+: maximum parsing depth reached$"
{ head -n 1 "$T/e1.jsonl"; printf '{"type":"mark","name":"x","va\0lue":1}\n'; } >"$T/nul.jsonl"
bad "a NUL byte" "$T/nul.jsonl" "not JSON"
{ cat "$T/e1.jsonl"; head -n 2 "$T/e1.jsonl" | tail -n 1; } >"$T/after.jsonl"
bad "a record after the end" "$T/after.jsonl" "data after the end record"
check "hostile imports left the store empty" test "$(sql "$S8" 'select count(*) from messages')" = 0
$B8 import "$T/nonexistent" >/dev/null 2>&1; rc=$?
check "a missing file exits 66" test $rc = 66
$B8 import >/dev/null 2>&1; rc=$?
check "import without FILE exits 64" test $rc = 64

done_testing
