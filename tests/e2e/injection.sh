# injection.sh - hostile bulletins through the whole path (ingest, split,
# classify, digest, instant forward) cannot add a header to what bulletin
# sends, and their HTML reaches the HTML digest escaped: subjects and item
# titles with CR/LF, NUL, RFC 2047 encoded CR/LF, overlong lines; items
# with <script>, javascript:/data:/vbscript: links, attribute breakouts.
# Every link in a digest is http, https or mailto.  No server needed: the
# forwards are read from the outbox (queued, the SMTP server being away)
# and the digests are written with --dry-run.
. tests/e2e/lib.sh
S=$T/store.db
C=$T/bulletin.conf
cat >"$C" <<EOF
[smtp]
url = smtp://127.0.0.1:1
tls = none
from = digest@example.org
[digest]
name = Probation Bulletin
templates = templates
request_address = requests@example.org
EOF
B="$BULLETIN --config $C --store $S --rules filters"
wait_day_end
WEEK=$(date -u +%G-W%V)
M=$T/hostile
mkdir -p "$M/cur" "$M/new" "$M/tmp"
python3 - "$M/cur" <<'PY'
import os, sys
d = sys.argv[1]
long_word = "X" * 5000
msgs = {
 # a subject whose encoded words decode to CR LF + a header
 "enc": (b"Subject: =?utf-8?q?Public_Accounts_Committee_report=0D=0ABcc=3A_victim=40example=2Eorg?=\r\n",
         b"text/html",
         b"<html><body><h2><a href=\"javascript:alert(1)\">Public Accounts Committee hearing"
         b" <script>alert('t')</script></a></h2><p>The Public Accounts Committee said"
         b" probation caseloads <img src=x onerror=alert(2)> are too high.</p>"
         b"<h2><a href=\"https://ok.example/a&quot;onmouseover=&quot;alert(3)\">Public Accounts"
         b" Committee: \"><svg onload=alert(4)> second</a></h2><p>More on the Public Accounts"
         b" Committee and probation.</p>"
         b"<h2><a href=\"data:text/html,&lt;script&gt;alert(5)&lt;/script&gt;\">Public Accounts"
         b" Committee data link</a></h2><p>Public Accounts Committee text.</p>"
         b"<h2><a href=\" JaVaScRiPt:alert(6)\">Public Accounts Committee spaced</a></h2>"
         b"<p>Public Accounts Committee again.</p>"
         b"<h2><a href=\"vbscript:x\">Public Accounts Committee vb</a></h2><p>Public Accounts"
         b" Committee.</p></body></html>\r\n"),
 "b64": (b"Subject: =?utf-8?b?UHVibGljIEFjY291bnRzIENvbW1pdHRlZQ0KQmNjOiB2aWN0aW1AZXhhbXBsZS5vcmc=?=\r\n",
         b"text/plain",
         b"Public Accounts Committee report\r\n================================\r\n\r\n"
         b"The Public Accounts Committee looked at probation.\r\n"),
 # NUL and a bare CR inside the raw subject, and a title with them
 "nul": (b"Subject: Public Accounts Committee\x00Bcc: victim@example.org\rX-Injected: 1\r\n",
         b"text/plain",
         b"Public Accounts Committee\x00Bcc: victim@example.org\r\n"
         b"===========================================\r\n\r\nThe Public Accounts Committee"
         b" on probation.\r\n"),
 # an overlong subject and title: one 5000-octet word
 "long": (b"Subject: Public Accounts Committee " + long_word.encode() + b"\r\n",
          b"text/plain",
          b"Public Accounts Committee " + long_word.encode() + b"\r\n" + b"=" * 40 +
          b"\r\n\r\nThe Public Accounts Committee on probation.\r\n"),
 # markup as plain text: it must reach the HTML digest as text
 "txt": (b"Subject: Public Accounts Committee <script>alert(7)</script> \"><img src=x onerror=alert(8)>\r\n", b"text/plain",
         b"Public Accounts Committee <script>alert(7)</script> \"><img src=x onerror=alert(8)>\r\n"
         b"======================================================\r\n\r\n"
         b"The Public Accounts Committee wrote <a href='javascript:alert(9)'>this</a>.\r\n"),
 # the original's own Bcc and Reply-To must stay inside the attachment
 "own": (b"Subject: Public Accounts Committee weekly\r\nBcc: victim@example.org\r\n"
         b"Reply-To: evil@example.org\r\n",
         b"text/plain", b"The Public Accounts Committee on probation caseloads.\r\n"),
}
for i, (tag, (subj, ctype, body)) in enumerate(sorted(msgs.items())):
    raw = (b"From: Committee News <news@committee.example>\r\nTo: branch@example.org\r\n" + subj +
           b"Date: Mon, 16 Nov 2026 09:00:00 +0000\r\n"
           b"Message-ID: <" + tag.encode() + b"@committee.example>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: " + ctype + b"; charset=utf-8\r\n\r\n" + body)
    with open(os.path.join(d, "%d.M%d.hostile:2,S" % (1000 + i, i)), "wb") as f:
        f.write(raw)
PY
$B subscriber add inst@example.org --categories pac --instant pac >/dev/null
$B subscriber add week@example.org --categories all >/dev/null
$B ingest "$M" >"$T/ingest.out" 2>&1
check "the hostile bulletins are ingested (6 messages, pac items)" \
	test "$(sqlite3 "$S" 'select count(*) from messages')" = 6 -a \
	"$(sqlite3 "$S" "select count(distinct i.msg_id) from items i join labels l on l.item_id = i.id where l.category = 'pac'")" -ge 5
$B forward >"$T/fwd.out" 2>&1
check "forward queues one forward per pac bulletin" \
	test "$(sqlite3 "$S" "select count(*) from outbox where kind = 'forward'")" -ge 5
mkdir -p "$T/fwd"
for id in $(sqlite3 "$S" "select id from outbox where kind = 'forward'"); do
	sqlite3 "$S" "select writefile('$T/fwd/$id.eml', body) from outbox where id = $id" >/dev/null
done
$B digest --period "$WEEK" --dry-run --out "$T/dig" >"$T/dig.out" 2>&1
check "digest --dry-run writes week@example.org's digest" test -s "$T/dig/week@example.org.eml"

# headers: only bulletin's own, each once where it must be; wire format
check "forwards and digest: no injected header, CRLF only, lines <= 998, no NUL" \
	python3 - "$T/fwd" "$T/dig/week@example.org.eml" <<'PY'
import email, os, sys
from email import policy
files = [os.path.join(sys.argv[1], f) for f in os.listdir(sys.argv[1])] + [sys.argv[2]]
allowed = {"date", "from", "to", "subject", "message-id", "list-id", "list-unsubscribe",
           "list-unsubscribe-post", "precedence", "auto-submitted", "mime-version",
           "content-type", "content-transfer-encoding", "x-auto-response-suppress",
           "in-reply-to", "references"}
assert len(files) >= 5, files
for f in files:
    raw = open(f, "rb").read()
    assert b"\x00" not in raw, (f, "NUL")
    assert raw.count(b"\n") == raw.count(b"\r\n"), (f, "bare LF")
    assert raw.replace(b"\r\n", b"").count(b"\r") == 0, (f, "bare CR")
    assert max(len(l) for l in raw.split(b"\r\n")) <= 998, (f, "line over 998")
    m = email.message_from_bytes(raw, policy=policy.default)
    names = [k.lower() for k in m.keys()]
    assert set(names) <= allowed, (f, set(names) - allowed)
    assert len(names) == len(set(names)), (f, "repeated header", names)
    assert "bcc" not in names and "reply-to" not in names and "x-injected" not in names
    subj = str(m["Subject"])
    assert "\r" not in subj and "\n" not in subj and "\x00" not in subj, (f, repr(subj))
    for part in m.walk():
        if part.get_content_type() == "message/rfc822":
            break   # the original, attached as it came: its headers are its own
PY

# the HTML digest: no script, no event handler, no link but http/https/mailto
check "HTML digest: no <script>, no on* attribute, links only http/https/mailto" \
	python3 - "$T/dig/week@example.org.html" "$T/dig/week@example.org.eml" <<'PY'
import email, sys
from email import policy
from html.parser import HTMLParser
htmls = [open(sys.argv[1], encoding="utf-8").read()]
m = email.message_from_bytes(open(sys.argv[2], "rb").read(), policy=policy.default)
htmls.append(m.get_body(("html",)).get_content())
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.bad, self.links, self.text = [], [], []
    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed", "svg", "img", "form"):
            self.bad.append(tag)
        for k, v in attrs:
            if k.startswith("on"):
                self.bad.append(k)
            if k in ("href", "src", "action"):
                self.links.append(v or "")
    def handle_data(self, data):
        self.text.append(data)
for h in htmls:
    p = P()
    p.feed(h)
    assert not p.bad, p.bad
    assert p.links, "no links at all"
    for l in p.links:
        # "#pac": an anchor in the digest itself
        assert l.lower().startswith(("http://", "https://", "mailto:", "#")), l
    # the markup of the text/plain bulletin is there, shown as text
    text = "".join(p.text)
    assert "<script>alert(7)</script>" in text, "markup as text lost"
    assert '"><img src=x onerror=alert(8)>' in text, "breakout as text lost"
    assert "<a href='javascript:alert(9)'>this</a>" in text, "link as text lost"
PY
check "plain-text digest and forwards never contain a raw Bcc: line at the start of a line" \
	sh -c "! grep -aqi '^Bcc:' '$T/dig/week@example.org.eml' && ! grep -aqi '^\(Bcc\|X-Injected\):' \$(for f in '$T'/fwd/*.eml; do sed -n '1,/^\r\$/p' \"\$f\" >\"\$f.h\"; echo \"\$f.h\"; done)"
done_testing
