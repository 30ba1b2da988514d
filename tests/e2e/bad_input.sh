# bad_input.sh - hostile messages: never a crash or a hang; the file and
# the problem on stderr; the other messages still processed.
. tests/e2e/lib.sh
M="$T/bad"
mkdir -p "$M/cur" "$M/new"
python3 - "$M/cur" <<'PY'
import os, sys, random
d = sys.argv[1]
def w(name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
hdr = b"From: a@example.org\nTo: b@example.org\nSubject: %s\nMessage-ID: <%s@example.org>\nMIME-Version: 1.0\n"
w("01-empty", b"")
random.seed(7)
w("02-binary", bytes(random.getrandbits(8) for _ in range(20000)))
w("03-truncated", hdr % (b"truncated", b"t") + b"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\nVGhpcyBpcyBhIHRydW5jYXRlZCBtZXNz")
w("04-noboundary", hdr % (b"no boundary", b"nb") + b"Content-Type: multipart/mixed\n\n--x\nContent-Type: text/plain\n\nbody text here\n--x--\n")
w("05-unknowncharset", hdr % (b"charset", b"cs") + b"Content-Type: text/plain; charset=x-klingon-42\nContent-Transfer-Encoding: 8bit\n\nNational Audit Office \xa3 12m \x93quoted\x94\n")
parts = b"".join(b"--b\nContent-Type: text/plain\n\npart %d\n" % i for i in range(10000))
w("06-10000parts", hdr % (b"many parts", b"mp") + b"Content-Type: multipart/mixed; boundary=b\n\n" + parts + b"--b--\n")
nest = b""
for i in range(100):
    nest += b"--n%d\nContent-Type: multipart/mixed; boundary=n%d\n\n" % (i, i + 1)
nest += b"--n100\nContent-Type: text/plain\n\ndeep inside\n--n100--\n"
w("07-nest100", hdr % (b"deep", b"deep") + b"Content-Type: multipart/mixed; boundary=n0\n\n" + nest)
line = b"Probation caseloads rose again this year across every region. " * 2 + b"\n"
w("08-huge50mb", hdr % (b"huge", b"huge") + b"Content-Type: text/plain\n\n" + line * (50 * 1024 * 1024 // len(line)))
w("09-htmlbomb", hdr % (b"html bomb", b"hb") + b"Content-Type: text/html\n\n" + b"<div>" * 100000 + b"x")
w("10-headeronly", b"Subject: just a header\n")
w("11-longheader", hdr % (b"A" * 200000, b"lh") + b"\nbody\n")
w("12-nul", hdr % (b"nul", b"nul") + b"Content-Type: text/plain\n\nbefore\0after\n")
PY
cp tests/fixtures/inbox/cur/* "$M/new/" 2>/dev/null
good=$(ls "$M/new" | wc -l)
timeout 120 $BULLETIN --rules filters classify --json "$M" >"$T/out" 2>"$T/err"; rc=$?
check "no crash or hang on hostile input (exit $rc)" test $rc -lt 128
check "exit code is 0 or EX_DATAERR" sh -c "test $rc = 0 || test $rc = 65"
check "good messages still classified" test "$(grep -c '"items"' "$T/out")" -ge "$good"
check "problems name the file" sh -c "grep -q '01-empty' '$T/err'"
check "output is valid JSON" python3 -c '
import json,sys
for l in open(sys.argv[1], encoding="utf-8"): json.loads(l)' "$T/out"
check "unknown charset text survives" grep -q 'National Audit Office £ 12m “quoted”' "$T/out"
S="$T/s.db"
timeout 120 $BULLETIN --rules filters --store "$S" ingest "$M" >"$T/ing" 2>&1; rc=$?
check "ingest of hostile input does not crash (exit $rc)" test $rc -lt 128
total=$(find "$M" -type f | wc -l)
check "every message stored, even unparseable ones" test "$(sqlite3 "$S" 'select count(*) from messages')" = "$total"
done_testing
