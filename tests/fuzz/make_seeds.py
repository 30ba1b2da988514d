#!/usr/bin/env python3
"""Initial seed inputs for the fuzz targets (tests/fuzz/README.md).

usage: make_seeds.py OUT_DIR

Writes OUT_DIR/<target>/ for message, rules, template, config, imap and
commands, from tests/fixtures, filters/, templates/, docs/, a few messages
of bench/gen_corpus.py and IMAP transcripts written here.  Run from the
repository root.  The checked-in tests/fuzz/<target>/seeds are these,
grown by a campaign and minimised with -merge=1 (tests/fuzz/minimise.sh).
"""
import glob
import hashlib
import os
import subprocess
import sys
import tempfile

OUT = sys.argv[1]
TOKEN_A = b"0123456789abcdef0123456789abcdef"   # confirmed member
TOKEN_B = b"fedcba9876543210fedcba9876543210"   # unconfirmed


def put(target, data, name=None):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if name is None:
        name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def small(paths, limit):
    return [p for p in sorted(paths) if os.path.getsize(p) <= limit]


# --- message: fixtures and a few generated bulletins of every shape ---
msgs = small(glob.glob("tests/fixtures/parse/*.eml") +
             glob.glob("tests/fixtures/split/*.eml") +
             glob.glob("tests/fixtures/inbox/*/*") +
             ["tests/fixtures/source/one.eml"], 16384)
for p in msgs:
    put("message", read(p))
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([sys.executable, "bench/gen_corpus.py", tmp, "40", "2",
                    "5"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    seen = set()
    for p in sorted(glob.glob(tmp + "/maildir/*/*")):
        head = read(p)[:2000]
        shape = [l for l in head.split(b"\n")
                 if l.lower().startswith(b"content-type")][:1]
        key = shape[0].split(b";")[0] if shape else b""
        if key in seen and len(seen) < 8:
            continue
        seen.add(key)
        put("message", read(p))
        if len(seen) >= 8:
            break

# --- rules: shipped and fixture rule files, alone and with includes ---
SEP = b"\n--8<--\n"
for p in sorted(glob.glob("filters/*.rules")):
    put("rules", read(p))
for p in sorted(glob.glob("tests/fixtures/rules/*/*")):
    put("rules", read(p))
put("rules", read("tests/fixtures/rules/good/a-first.rules").replace(
    b"shared.inc", b"x.inc") + SEP + read(
    "tests/fixtures/rules/good/b-second.rules") + SEP +
    read("tests/fixtures/rules/good/shared.inc"))
put("rules", read("filters/20-hmip.rules") + SEP +
    b"include x.inc\n" + SEP + b"include b.rules\n")
put("rules", b"category a\nthreshold 3\nregex any +3 /(a+)+$/\n"
    b"regex text -2 case /\\bNAO\\b/\nword lead +1 max 5 \"it's\"\n")

# --- template: flag byte, template, NUL, values ---
VALUES = [b"<script>alert(1)</script>", b"javascript:alert(1)",
          b"\" onmouseover=\"alert(1)", b"https://example.org/a?b=c&d=e",
          b"mailto:member@example.org?subject=confirm%20x",
          b"line one\r\nBcc: evil@example.org", b"bad \xff\xfe utf-8",
          b"controls \x01\x07\x1b[31m\x7f", b"=?utf-8?b?PHNjcmlwdD4=?=",
          b"Caf\xc3\xa9 \xe2\x80\x94 \xe2\x80\x9cquoted\xe2\x80\x9d",
          b"HTTPS://EXAMPLE.ORG/", b"http://", b"{{title}}", b"x" * 300]
for i, p in enumerate(sorted(glob.glob("templates/*"))):
    flags = (1 if p.endswith(".html") else 0) | (2 << 1) | (3 << 4)
    put("template", bytes([flags]) + read(p) + b"\0" +
        b"\0".join(VALUES[i:] + VALUES[:i]))
put("template", bytes([0x25]) + b"{{#sections}}{{name}}{{#items}}"
    b"{{title}} {{^url}}-{{/url}}{{/items}}{{/sections}}{{! c }}\0" +
    b"\0".join(VALUES))
put("template", bytes([0x00]) + b"{{#a}}{{/b}}{{unclosed\0x")

# --- config: the example, test-shaped snippets, broken ones ---
put("config", read("docs/bulletin.conf.example"))
put("config", b"[imap]\nhost = 127.0.0.1\nport = 143\ntls = none\n"
    b"user = bulletins\npassword_file = /nonexistent/imap.pass\n"
    b"folders = INBOX, B\xc3\xbclletins, Lists/Napo\nafter = move:Done\n"
    b"timeout = 5\nbatch = 50\n[smtp]\nurl = smtps://mail.example.org\n"
    b"tls = smtps\nfrom = Branch Digest <digest@example.org>\nrate = 5\n"
    b"[digest]\nname = Branch\norder = nao, pac ,hmip\nempty = send\n"
    b"forwarded = omit\nunsubscribe_url = https://example.org/u\n")
put("config", b"[store]\npath = /tmp/x.db\n[rules]\ndir = filters\n"
    b"[limits]\nmax_message_size = 1024\nmax_parts = 1\nmax_depth = 200\n"
    b"max_items = 100000\nmax_item_text = 256\nmax_html = 1073741824\n")
put("config", b"[imap]\nhost = mail.example.org\ntls = bogus\n"
    b"after = move:\nport = 0\nallow_plaintext = maybe\n[nope]\nx = 1\n")
put("config", b"# comment\n[digest]\nlist_id = a\\nb\nname = x\\ty\n"
    b"request_address = no-at-sign\n[smtp]\nurl = http://x\n")
put("config", b"secret-password\n")

# --- imap: what a server says to one `fetch` (see fuzz_imap.c) ---
# libetpan checks that a tagged answer carries the tag of the command it
# sent (1, 2, 3, ... per connection), so each transcript numbers them.
def lit(b):
    return b"{%d}\r\n" % len(b) + b


def crlf(b):
    return b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


bodies = [crlf(read(p)) for p in small(
    glob.glob("tests/fixtures/parse/*.eml"), 2500)][:6]
CAPS = b"IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT " \
    b"THREAD=REFERENCES MULTIAPPEND UIDPLUS LIST-EXTENDED CHILDREN " \
    b"NAMESPACE UNSELECT MOVE QUOTA"


class Session:
    def __init__(self, caps=CAPS, greeting=None):
        self.n = 0
        self.out = greeting if greeting is not None else (
            b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE "
            b"IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n")
        if caps is not None:
            self.done(b"OK [CAPABILITY %s] Logged in" % caps)

    def tag(self):
        self.n += 1
        return b"%d" % self.n

    def done(self, text):
        self.out += self.tag() + b" " + text + b"\r\n"
        return self

    def add(self, data):
        self.out += data
        return self

    def select(self, uv, uidnext, exists, ro=True):
        self.out += (
            b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
            b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen "
            b"\\Draft \\*)] Flags permitted.\r\n"
            b"* %d EXISTS\r\n* 0 RECENT\r\n"
            b"* OK [UIDVALIDITY %d] UIDs valid\r\n" % (exists, uv))
        if uidnext:
            self.out += b"* OK [UIDNEXT %d] Predicted next UID\r\n" % uidnext
        return self.done(b"OK [%s] %s completed (0.001 + 0.000 secs)." % (
            b"READ-ONLY" if ro else b"READ-WRITE",
            b"Examine" if ro else b"Select"))

    def sizes(self, uids):
        self.out += b"".join(b"* %d FETCH (UID %d RFC822.SIZE %d)\r\n" % (
            i + 1, u, len(bodies[i % len(bodies)])) for i, u in
            enumerate(uids))
        return self.done(b"OK Fetch completed (0.001 + 0.000 secs).")

    def fetch(self, uids, start=0):
        for i, u in enumerate(uids):
            self.out += b"* %d FETCH (UID %d BODY[] %s)\r\n" % (
                start + i + 1, u, lit(bodies[(start + i) % len(bodies)]))
        return self.done(b"OK Fetch completed (0.002 + 0.000 secs).")

    def nofolder(self):
        return self.done(b"NO [NONEXISTENT] Mailbox doesn't exist: "
                         b"Lists/Napo (0.001 + 0.000 secs).")

    def bye(self):
        self.out += b"* BYE Logging out\r\n"
        return self.done(b"OK Logout completed (0.001 + 0.000 secs).").out


KEEP, SEEN, MOVE = b"\0", b"\1", b"\2"
CUT = b"\n--8<--\n"
# keep: five new messages in two batches; the second folder is missing
put("imap", KEEP + Session().select(1700000000, 6, 5).sizes([1, 2, 3, 4, 5])
    .fetch([1, 2, 3]).fetch([4, 5], 3).nofolder().bye())
# seen: flags stored after each batch; the second folder is empty
put("imap", SEEN + Session().select(7, 5, 4, ro=False).sizes([1, 2, 3, 4])
    .fetch([1, 2, 3]).done(b"OK Store completed.").fetch([4], 3)
    .done(b"OK Store completed.").select(9, 1, 0, ro=False).bye())
# move with MOVE, then with COPY + STORE + UID EXPUNGE (CAPABILITY asked)
put("imap", MOVE + Session().select(7, 3, 2, ro=False).sizes([1, 2])
    .fetch([1, 2]).add(b"* OK [COPYUID 11 1:2 5:6] Moved UIDs.\r\n"
                       b"* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n")
    .done(b"OK Move completed (0.001 + 0.000 secs).").nofolder().bye())
put("imap", MOVE + Session(caps=b"IMAP4rev1 UIDPLUS")
    .select(7, 3, 2, ro=False).sizes([1, 2]).fetch([1, 2])
    .done(b"OK [COPYUID 11 1:2 5:6] Copy completed.")
    .done(b"OK Store completed.")
    .add(b"* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n").done(b"OK Expunge completed.")
    .nofolder().bye())
put("imap", MOVE + Session(caps=None).done(b"OK Logged in")
    .select(7, 2, 1, ro=False).sizes([1]).fetch([1])
    .add(b"* CAPABILITY IMAP4rev1 IDLE\r\n").done(b"OK Capability completed.")
    .done(b"OK Copy completed.").done(b"OK Store completed.")
    .nofolder().bye())
# three runs: new mail, nothing new, a new UIDVALIDITY
run1 = Session().select(5, 3, 2).sizes([1, 2]).fetch([1, 2]).nofolder().bye()
run2 = Session().select(5, 3, 2).nofolder().bye()
run3 = Session().select(6, 4, 3).sizes([1, 2, 3]).fetch([1, 2, 3]) \
    .nofolder().bye()
put("imap", KEEP + run1 + CUT + run2 + CUT + run3)
# a run cut off mid-FETCH, then one that owes its \Seen flags and fails
# to set them, then one that sets them
cut = Session().select(5, 4, 3, ro=False).sizes([1, 2, 3]).fetch([1, 2, 3])
run2 = Session().select(5, 4, 3, ro=False).sizes([3]).fetch([3], 2) \
    .done(b"NO Store failed").select(5, 1, 0, ro=False).bye()
run3 = Session().select(5, 4, 3, ro=False).done(b"OK Store completed.") \
    .select(5, 1, 0, ro=False).bye()
put("imap", SEEN + cut.out[:-300] + CUT + run2 + CUT + run3)
# odd servers: no UIDVALIDITY, no UIDNEXT, pushed FETCHes of flags, UIDs
# below the mark, answers without UID or body, a NO to UID FETCH
put("imap", KEEP + Session().add(b"* 2 EXISTS\r\n").done(b"OK Examine done")
    .nofolder().bye())
put("imap", KEEP + Session().select(3, 0, 2)
    .add(b"* 1 FETCH (FLAGS (\\Seen))\r\n* 2 FETCH (UID 9 RFC822.SIZE 20)\r\n"
         b"* 3 FETCH (RFC822.SIZE 20)\r\n* 4 FETCH (UID 2 RFC822.SIZE 7)\r\n")
    .done(b"OK done")
    .add(b"* 1 FETCH (FLAGS (\\Seen) UID 2)\r\n* 2 FETCH (BODY[] {5}\r\nabcde)"
         b"\r\n* 3 FETCH (UID 9 BODY[] NIL)\r\n* 4 FETCH (UID 9 BODY[] "
         b"\"Subject: quoted\")\r\n* 2 EXPUNGE\r\n")
    .done(b"OK done").nofolder().bye())
put("imap", KEEP + Session().select(3, 0, 2)
    .done(b"NO [SERVERBUG] Internal error occurred.").nofolder().bye())
put("imap", KEEP + Session().select(3, 9, 2).sizes([1, 2])
    .done(b"NO [LIMIT] Too many messages").nofolder().bye())
put("imap", KEEP + Session(caps=None).done(
    b"NO [AUTHENTICATIONFAILED] Authentication failed.").out)
put("imap", KEEP + Session(caps=None, greeting=b"* PREAUTH ready\r\n")
    .done(b"BAD Command not allowed in this state").out)
put("imap", KEEP + Session(caps=None).done(b"OK ok")
    .add(b"* BYE Server shutting down.\r\n").out)

# --- commands: subjects that are commands, and ones that are not ---
def cmd(subject, frm=b"Member <member@example.org>"):
    return (b"From: " + frm + b"\r\nTo: digest@example.org\r\nSubject: " +
            subject + b"\r\nDate: Mon, 17 Nov 2025 09:12:00 +0000\r\n"
            b"Message-ID: <" + hashlib.sha1(subject + frm).hexdigest().encode()
            + b"@example.org>\r\n\r\nplease\r\n")


for s, f in [(b"subscribe", b"New Person <new.person@example.net>"),
             (b"subscribe nao,pac", b"x@example.org"),
             (b"SUBSCRIBE nao pac hmip", b"\"Q, R\" <q@sub.example.org>"),
             (b"subscribe unknown-cat", b"a@example.org"),
             (b"Subscribe to our newsletter", b"news@example.org"),
             (b"confirm " + TOKEN_B, b"new@example.org"),
             (b"Re: confirm " + TOKEN_B, b"new@example.org"),
             (b"unsubscribe " + TOKEN_A, b"member@example.org"),
             (b"Fwd: unsubscribe " + TOKEN_A + b" pac", b"x@example.org"),
             (b"unsubscribe " + TOKEN_A[:-1], b"x@example.org"),
             (b"=?utf-8?q?subscribe_nao?=", b"=?utf-8?b?TsOpZQ==?= <n@x.org>"),
             (b"subscribe", b"bad address <a@b..c>")]:
    put("commands", cmd(s, f))
