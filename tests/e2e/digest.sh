# digest.sh - subscribers, digests written with --dry-run --out, the
# outbox (queued once, deferred when the server is away), instant
# forwards and (un)subscribe commands by mail.  Real SMTP delivery is
# tested by smtp.sh.
. tests/e2e/lib.sh
INBOX=tests/fixtures/inbox
S="$T/store.db"
C="$T/bulletin.conf"
cat >"$C" <<EOF
[smtp]
url = smtp://127.0.0.1:1
tls = none
from = digest@example.org
[digest]
name = Probation Bulletin
templates = templates
request_address = requests@example.org
order = nao,pac,hmip
EOF
B="$BULLETIN --config $C --store $S --rules filters"
wait_day_end
WEEK=$(date -u +%G-W%V)
DAY=$(date -u +%Y-%m-%d)

$B ingest $INBOX >/dev/null 2>&1
check "sample inbox ingested" test "$(sqlite3 "$S" 'select count(*) from messages')" -gt 10

# --- the subscriber command ---
$B subscriber add ann@example.org --name "Ann Example" --categories nao,pac >/dev/null; rc=$?
check "subscriber add exits 0" test $rc = 0
$B subscriber add bob@example.org --categories all --instant pac >/dev/null
$B subscriber add cat@example.org --categories press --mode daily >/dev/null
$B subscriber add dan@example.org --categories hmip >/dev/null
$B subscriber add ann@example.org >/dev/null 2>"$T/err"; rc=$?
check "adding an address twice exits 65" test $rc = 65
check "... and says so" grep -q "already exists" "$T/err"
$B subscriber add not-an-address >/dev/null 2>"$T/err"; rc=$?
check "malformed address exits 65 (EX_DATAERR)" test $rc = 65
check "... with a clear message" grep -q "not an e-mail address" "$T/err"
$B subscriber add eve@example.org --categories nao,bogus >/dev/null 2>"$T/err"; rc=$?
check "unknown category exits 65" test $rc = 65
check "... naming it" grep -q "unknown category 'bogus'" "$T/err"
$B subscriber add eve@example.org --mode hourly >/dev/null 2>"$T/err"; rc=$?
check "bad --mode exits 64 (EX_USAGE)" test $rc = 64
check "refused adds left nothing behind" sh -c "! $B subscriber list | grep -q eve@"
$B subscriber add eve@example.org --name "$(printf 'Ren\351e')" >/dev/null 2>"$T/err"; rc=$?
check "a --name that is not UTF-8 exits 64, saying so" sh -c "test $rc = 64 && grep -q UTF-8 '$T/err'"
$B subscriber frob >/dev/null 2>&1; rc=$?
check "unknown subscriber verb exits 64" test $rc = 64
$B subscriber add >/dev/null 2>&1; rc=$?
check "add without ADDRESS exits 64" test $rc = 64
$B subscriber remove nobody@example.org >/dev/null 2>&1; rc=$?
check "removing an unknown address exits 65" test $rc = 65
$B subscriber add tmp@example.org >/dev/null
$B subscriber set tmp@example.org --mode daily >/dev/null; rc=$?
check "subscriber set exits 0" test $rc = 0
$B subscriber remove tmp@example.org >/dev/null; rc=$?
check "subscriber remove exits 0" test $rc = 0
$B subscriber list --json >"$T/subs.jsonl"
check "list --json: shape, modes, confirmed, no removed subscriber" python3 - "$T/subs.jsonl" <<'PY'
import json, sys, re
rows = {r["address"]: r for r in map(json.loads, open(sys.argv[1]))}
assert set(rows) == {"ann@example.org", "bob@example.org", "cat@example.org", "dan@example.org"}, rows.keys()
a = rows["ann@example.org"]
assert a["name"] == "Ann Example" and a["confirmed"] is True
assert a["categories"] == {"nao": "weekly", "pac": "weekly"}, a
assert rows["bob@example.org"]["categories"]["pac"] == "instant"
assert rows["bob@example.org"]["categories"]["nao"] == "weekly"
assert rows["cat@example.org"]["categories"] == {"press": "daily"}
for r in rows.values():
    assert re.fullmatch(r"[0-9a-f]{32}", r["token"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["created"])
assert len({r["token"] for r in rows.values()}) == 4
PY
check "plain list shows no token" sh -c "! $B subscriber list | grep -qE '[0-9a-f]{32}'"

# --- instant forwards (queued; the server on port 1 is away) ---
$B forward >"$T/fwd" 2>&1; rc=$?
check "forward exits 0" test $rc = 0
nfwd=$(sqlite3 "$S" "select count(*) from outbox where kind='forward'")
npac=$($B items --json --label pac | python3 -c '
import sys, json
print(len({(o["source"]) for o in map(json.loads, sys.stdin)}))')
check "one forward per bulletin with a pac item, to bob only" sh -c "
	test $nfwd -ge 1 &&
	test \"\$(sqlite3 '$S' \"select count(distinct rcpt) from outbox where kind='forward'\")\" = 1 &&
	test \"\$(sqlite3 '$S' \"select rcpt from outbox where kind='forward' limit 1\")\" = bob@example.org"
$B forward >/dev/null 2>&1
check "a second forward run queues nothing again" test "$(sqlite3 "$S" "select count(*) from outbox where kind='forward'")" = "$nfwd"
sqlite3 "$S" "select body from outbox where kind='forward' limit 1" >"$T/fwd.eml"
check "forward: [PAC] subject, original attached as message/rfc822" python3 - "$T/fwd.eml" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
assert m["Subject"].startswith("[PAC] "), m["Subject"]
assert m.get_content_type() == "multipart/mixed"
types = [p.get_content_type() for p in m.iter_parts()]
assert types == ["text/plain", "message/rfc822"], types
PY

# --- digests, dry run, for the current week (ingested just now) ---
$B digest --period "$WEEK" --dry-run --out "$T/out" >"$T/dig" 2>"$T/err"; rc=$?
check "digest --dry-run exits 0" test $rc = 0
check "summary names the week" grep -q "digest $WEEK" "$T/dig"
check "one .eml and one .html per weekly subscriber with items" sh -c "
	cd '$T/out' && test -f ann@example.org.eml && test -f ann@example.org.html &&
	test -f bob@example.org.eml && test -f dan@example.org.eml &&
	test ! -e cat@example.org.eml"
check "--dry-run queued no digest" test "$(sqlite3 "$S" "select count(*) from outbox where kind='digest'")" = 0
$B items --json >"$T/items.jsonl"
check "each subscriber gets exactly the items of their categories, once" python3 - "$T/out" "$T/items.jsonl" "$T/subs.jsonl" <<'PY'
import email, sys, json, re
from email import policy
from email.header import decode_header, make_header
out, items, subs = sys.argv[1:4]
items = [json.loads(l) for l in open(items)]
subs = {r["address"]: r for r in map(json.loads, open(subs))}
want = {"ann@example.org": {"nao", "pac"},
        "bob@example.org": {c for c, m in subs["bob@example.org"]["categories"].items() if m == "weekly"},
        "dan@example.org": {"hmip"}}
order = ["nao", "pac", "hmip"]
two = 0
for addr, cats in want.items():
    raw = open(f"{out}/{addr}.eml", "rb").read()
    m = email.message_from_bytes(raw, policy=policy.default)
    assert m.get_content_type() == "multipart/alternative", m.get_content_type()
    parts = [p.get_content_type() for p in m.iter_parts()]
    assert parts == ["text/plain", "text/html"], parts
    assert m["To"] == addr
    assert m["List-Id"] and "<" in m["List-Id"], m["List-Id"]
    assert m["Precedence"] == "bulk" and m["Auto-Submitted"] == "auto-generated"
    unsub = str(m["List-Unsubscribe"])
    tok = subs[addr]["token"]
    assert unsub == f"<mailto:requests@example.org?subject=unsubscribe%20{tok}>", unsub
    rawsubj = re.search(rb"^Subject:(.*(?:\r?\n[ \t].*)*)", raw, re.M).group(1)
    assert b"=?" in rawsubj, rawsubj          # the en dash, RFC 2047
    subj = str(m["Subject"])
    exp = [i for i in items if set(i["labels"]) & cats]
    assert f"{len(exp)} item" in subj, (subj, len(exp))
    text = m.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = m.get_body(("html",)).get_content()
    for bad in ("<p", "</", "&amp;", "&nbsp;", "{{", "}}", "&#"):
        assert bad not in text, (addr, bad)
    assert html.lstrip().startswith("<!DOCTYPE html>")
    norm = lambda s: s.replace("\r\n", "\n").strip()
    assert norm(open(f"{out}/{addr}.html", encoding="utf-8").read()) == norm(html)
    # items: "* TITLE" lines, each expected title once, nothing else
    got = re.findall(r"^\* (.*)$", text, re.M)
    assert len(got) == len(exp), (addr, len(got), len(exp))
    for i in exp:
        assert got.count(i["title"]) == sum(1 for j in exp if j["title"] == i["title"]), (addr, i["title"], i["labels"])
        if len(set(i["labels"]) & cats) > 1:
            two += 1
            first = [c for c in order + sorted(cats) if c in i["labels"] and c in cats][0]
    for c in ("nao", "pac", "hmip", "press", "union-news"):
        stop = f"mailto:requests@example.org?subject=unsubscribe%20{tok}%20{c}"
        has = any(c in i["labels"] for i in exp) and c in cats
        # a section's stop link only when the section is there
        if not has:
            assert stop not in text, (addr, c)
    # sections in the configured order
    heads = re.findall(r"^(.+) \((\d+)\)$", text, re.M)
    assert sum(int(n) for _, n in heads) == len(exp), heads
assert two >= 1, "no item in two of one subscriber's categories"
PY
check "an item in two categories shows its other label" grep -q "also in: " "$T/out/bob@example.org.eml"
check "items forwarded to bob are marked in his digest" grep -q "already sent to you on its own" "$T/out/bob@example.org.eml"
check "nothing is marked forwarded for ann" sh -c "! grep -q 'already sent' '$T/out/ann@example.org.eml'"
$B digest --period "$WEEK" --dry-run --out "$T/one" --to dan@example.org >/dev/null 2>&1; rc=$?
check "--to writes only that subscriber" sh -c "test $rc = 0 && test \"\$(ls '$T/one' | wc -l)\" = 2 && test -f '$T/one/dan@example.org.eml'"
$B digest --period 2020-W10 --dry-run --out "$T/empty" >"$T/dig2" 2>&1; rc=$?
check "a week without items writes no file" sh -c "test $rc = 0 && test -z \"\$(ls '$T/empty')\""
check "... and says so" grep -q "3 with nothing new" "$T/dig2"
$B digest --period 2026-W99 --dry-run --out "$T/x" >/dev/null 2>&1; rc=$?
check "bad --period exits 64" test $rc = 64
$B digest --dry-run >/dev/null 2>&1; rc=$?
check "--dry-run without --out exits 64" test $rc = 64
$B digest --day "$DAY" --dry-run --out "$T/daily" >/dev/null 2>&1; rc=$?
check "--day: only the daily subscriber" sh -c "test $rc = 0 && ls '$T/daily' | grep -qx cat@example.org.eml && test \"\$(ls '$T/daily' | wc -l)\" = 2"

# --- queueing: once per subscriber and period, whatever the re-runs ---
$B digest --period "$WEEK" >"$T/q1" 2>&1; rc=$?
check "digest with the server away exits 75 (EX_TEMPFAIL)" test $rc = 75
check "one digest queued per due subscriber" test "$(sqlite3 "$S" "select count(*) from outbox where kind='digest'")" = 3
check "deferred with attempts and a later next_try" test "$(sqlite3 "$S" "select count(*) from outbox where state='queued' and attempts=1 and next_try > strftime('%s','now')")" -ge 3
$B digest --period "$WEEK" >"$T/q2" 2>&1
check "a re-run queues nothing again" test "$(sqlite3 "$S" "select count(*) from outbox where kind='digest'")" = 3
check "... and says so" grep -q "3 already queued" "$T/q2"
for i in 1 2 3; do $B send >/dev/null 2>&1; done
$B send >"$T/send" 2>&1; rc=$?
check "send retries nothing before its next_try" sh -c "test $rc = 0 && test \"\$(sqlite3 '$S' \"select count(*) from outbox where attempts != 1\")\" = 0"

# --- commands by mail: subscribe, confirm, unsubscribe ---
mkmsg() {	# file from subject
	printf 'From: %s\nTo: requests@example.org\nSubject: %s\nDate: Sun, 22 Nov 2026 10:00:00 +0000\nMessage-ID: <%s@example.net>\n\nplease\n' \
	    "$2" "$3" "$(date +%s%N)" >"$1"
}
mkmsg "$T/m1.eml" "New Member <new@example.net>" "subscribe nao,pac"
$B ingest "$T/m1.eml" >/dev/null 2>&1
$B commands >"$T/cmd1" 2>&1; rc=$?
check "commands exits 0" test $rc = 0
$B subscriber list --json >"$T/subs2.jsonl"
check "subscribe by mail adds an unconfirmed subscriber" python3 - "$T/subs2.jsonl" <<'PY'
import json, sys
r = {o["address"]: o for o in map(json.loads, open(sys.argv[1]))}["new@example.net"]
assert r["confirmed"] is False and r["categories"] == {"nao": "weekly", "pac": "weekly"}, r
PY
check "... and queues a confirmation to it" test "$(sqlite3 "$S" "select count(*) from outbox where kind='confirm' and rcpt='new@example.net'")" = 1
sqlite3 "$S" "select body from outbox where kind='confirm'" >"$T/confirm.eml"
TOK=$(python3 -c 'import json,sys; print([o for o in map(json.loads, open(sys.argv[1])) if o["address"]=="new@example.net"][0]["token"])' "$T/subs2.jsonl")
check "the confirmation carries the token in a mailto link" python3 - "$T/confirm.eml" "$TOK" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
assert m["To"] == "new@example.net"
assert f"mailto:requests@example.org?subject=confirm%20{sys.argv[2]}" in m.get_content()
PY
check "a command message lists no items" test -z "$($B items --json | grep -F 'please')"
$B digest --period "$WEEK" --dry-run --out "$T/out3" >/dev/null 2>&1
check "an unconfirmed subscriber gets no digest" test ! -e "$T/out3/new@example.net.eml"
mkmsg "$T/m2.eml" "x@example.org" "confirm 0123456789abcdef0123456789abcdef"
mkmsg "$T/m3.eml" "new@example.net" "Re: confirm $TOK"
$B ingest "$T/m2.eml" "$T/m3.eml" >/dev/null 2>&1
$B commands >/dev/null 2>&1
check "confirm with the token confirms (a wrong token changes nothing)" sh -c "$B subscriber list --json | grep 'new@example.net' | grep -q '\"confirmed\":true'"
mkmsg "$T/m4.eml" "new@example.net" "unsubscribe $TOK nao"
$B ingest "$T/m4.eml" >/dev/null 2>&1
$B commands >/dev/null 2>&1
check "unsubscribe TOKEN CATEGORY drops that category only" sh -c "$B subscriber list --json | grep 'new@example.net' | grep -q '\"categories\":{\"pac\":\"weekly\"}'"
mkmsg "$T/m5.eml" "someone@example.org" "unsubscribe ffffffffffffffffffffffffffffffff"
mkmsg "$T/m6.eml" "new@example.net" "unsubscribe $TOK"
$B ingest "$T/m5.eml" >/dev/null 2>&1
$B commands >/dev/null 2>&1
check "unsubscribe with a wrong token changes nothing" sh -c "$B subscriber list | grep -q new@example.net"
$B ingest "$T/m6.eml" >/dev/null 2>&1
$B commands >/dev/null 2>&1
check "unsubscribe TOKEN removes the subscriber" sh -c "! $B subscriber list | grep -q new@example.net"
check "commands are recorded, none twice" test "$(sqlite3 "$S" 'select count(*) from commands')" = 6

# --- configuration ---
printf '[digest]\nempty = maybe\n[smtp]\ntls = smtps\nurl = http://x\n' >"$T/bad.conf"
$BULLETIN --config "$T/bad.conf" check-config >/dev/null 2>"$T/err"; rc=$?
check "bad [digest]/[smtp] values exit 78 with FILE:LINE" sh -c "test $rc = 78 && grep -q 'bad.conf:2: empty must be skip or send' '$T/err' && grep -q 'bad.conf:5: url must start with smtp://' '$T/err'"
printf '[smtp]\nurl = smtp://mail.example.org\ntls = none\nfrom = a@example.org\n' >"$T/plain.conf"
$BULLETIN --config "$T/plain.conf" check-config >"$T/out.txt" 2>&1; rc=$?
check "check-config refuses plaintext SMTP to a remote host" sh -c "test $rc != 0 && grep -q 'plain.conf:3: tls = none' '$T/out.txt'"
done_testing
