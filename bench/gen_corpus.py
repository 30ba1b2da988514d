#!/usr/bin/env python3
"""Synthetic bulletin corpus for `make bench`.

usage: gen_corpus.py OUT_DIR [N=20000] [SIZE_KB=15] [SEED=1]

Writes the same N messages twice: as a Maildir (OUT_DIR/maildir/{cur,new,tmp},
about one in ten in new/) and as an mbox (OUT_DIR/corpus.mbox, "From " lines,
body lines starting with "From " written as ">From ").  Output is a pure
function of (N, SIZE_KB, SEED).  OUT_DIR/corpus.params ("N SIZE_KB SEED") is
written last, so a run that was cut short is seen as missing.

Shapes, drawn per message:
  plain-qp   text/plain utf-8 quoted-printable bulletin with sections
  alt        multipart/alternative newsletter (text + HTML, <h2> sections,
             footer)
  blog       HTML-only blog notification, 3-5 posts as <h2><a href>
  b64        text/plain utf-8 base64
  cp1252     text/plain windows-1252 quoted-printable (curly quotes, pounds)
  pdf        multipart/mixed: text + base64 application/pdf attachment
  fwd822     multipart/mixed: note + message/rfc822 forward of a bulletin
  fwdinline  text/plain with an inline "Forwarded message" block

Subjects are RFC 2047 encoded when not ASCII.  Some sections mention
bodies and words the filters look for (National Audit Office, Napo,
consultation, ...); the rest is pseudo-words.
"""
import base64
import binascii
import os
import random
import shutil
import sys
import time

TRIGGERS = [
    "National Audit Office", "Public Accounts Committee",
    "HM Inspectorate of Probation", "branch report", "Napo", "consultation",
]
TOPIC = [
    "probation", "Probation Service", "caseload", "unpaid work", "licence",
    "supervision", "approved premises", "Ministry of Justice", "sentencing",
    "rehabilitation", "resettlement", "workload", "pay award", "staffing",
    "members", "region", "court", "prison", "recall", "annual report",
]
CONS = "b c d f g h j k l m n p r s t v w z br cl dr fl gr pl st tr ch sh th".split()
VOWS = "a e i o u ea ou ai io".split()
ACCENT = {"a": "áàâ", "e": "éèê", "i": "íï", "o": "óôö", "u": "úü", "c": "ç"}
DOMAINS = ["napo.example", "justice.example.gov", "probation.example.org",
           "news.example.net", "lists.example.org", "blog.example.com"]
SENDERS = ["Napo News", "Probation Bulletin", "Justice Committee Digest",
           "Policy Watch", "Branch Secretary", "Probation Blog"]


def build_vocab(seed):
    """Pseudo-words and a pool of sentences, both from one seeded RNG."""
    rng = random.Random("vocab:%s" % seed)
    ws = set()
    while len(ws) < 4000:
        ws.add("".join(rng.choice(CONS) + rng.choice(VOWS)
                       for _ in range(rng.choice((1, 2, 2, 3, 3, 4))))
               + rng.choice(("", "", "n", "s", "t", "r")))
    ascii_words = sorted(ws)
    accented = []
    for w in ascii_words[:600]:
        cs = list(w)
        idx = [i for i, c in enumerate(cs) if c in ACCENT]
        if idx:
            i = rng.choice(idx)
            cs[i] = rng.choice(ACCENT[cs[i]])
        accented.append("".join(cs))
    vocab = ascii_words * 6 + accented + TOPIC * 20
    pool = []
    for _ in range(6000):
        s = rng.choices(vocab, k=rng.randint(6, 18))
        s[0] = s[0][:1].upper() + s[0][1:]
        pool.append(" ".join(s) + rng.choice(".....?;"))
    return ascii_words, vocab, pool


def wrap(text, width=72):
    out, line = [], ""
    for w in text.split(" "):
        if line and len(line) + 1 + len(w) > width:
            out.append(line)
            line = w
        else:
            line = line + " " + w if line else w
    if line:
        out.append(line)
    return "\n".join(out)


class Gen:
    def __init__(self, n, size_kb, seed):
        self.n, self.size, self.seed = n, size_kb * 1024, seed
        self.words, self.vocab, self.pool = build_vocab(seed)
        self.epoch0 = 1735689600  # 2025-01-01T00:00:00Z

    # --- content -------------------------------------------------------

    def sentence(self, rng, hot):
        if hot and rng.random() < 0.3:
            t = rng.choice(TRIGGERS)
            return rng.choice((
                "The %s has published %s on %s." % (t, rng.choice(self.words),
                                                    rng.choice(TOPIC)),
                "%s: %s %s." % (t, rng.choice(self.pool)[:-1].lower(),
                                rng.choice(self.words)),
                "Members asked the %s about %s." % (t, rng.choice(TOPIC)),
            ))
        if rng.random() < 0.02:
            # a body line starting "From " exercises mbox escaping
            return "From %s" % rng.choice(self.pool).lower()
        return rng.choice(self.pool)

    def paragraph(self, rng, hot):
        s = [self.sentence(rng, hot) for _ in range(rng.randint(2, 6))]
        s.append(" ".join(rng.choices(self.vocab, k=rng.randint(4, 10))) + ".")
        return " ".join(s)

    def title(self, rng, i, k, hot):
        w = " ".join(rng.choices(self.words, k=rng.randint(2, 6))).capitalize()
        if hot:
            w = "%s: %s" % (rng.choice(TRIGGERS), w)
        return "%s (%d-%d)" % (w, i, k)

    def sections(self, rng, i, budget, hot_p=0.35):
        """[(title, url, [paragraph])] until about budget characters."""
        secs, total, k = [], 0, 0
        while total < budget or k < 2:
            hot = rng.random() < hot_p
            t = self.title(rng, i, k, hot)
            url = "https://%s/%d/%s-%d-%d" % (
                rng.choice(DOMAINS), 2025, rng.choice(self.words), i, k)
            paras = []
            for _ in range(rng.randint(1, 4)):
                p = self.paragraph(rng, hot)
                paras.append(p)
                total += len(p) + 2
            total += len(t) + len(url) + 4
            secs.append((t, url, paras))
            k += 1
            if k > 40:
                break
        return secs

    # --- encodings -----------------------------------------------------

    @staticmethod
    def qp(text, charset):
        return binascii.b2a_qp(text.encode(charset, "replace"),
                               istext=True).decode("ascii")

    @staticmethod
    def b64(data):
        return base64.encodebytes(data).decode("ascii")

    @staticmethod
    def enc_subject(s, rng):
        try:
            s.encode("ascii")
            return s
        except UnicodeEncodeError:
            pass
        if rng.random() < 0.5:
            # B words of at most 30 characters, folded
            out, i = [], 0
            while i < len(s):
                chunk = s[i:i + 30]
                i += 30
                out.append("=?UTF-8?B?%s?=" % base64.b64encode(
                    chunk.encode("utf-8")).decode("ascii"))
            return "\n ".join(out)
        toks = []
        for ch in s:
            if ch == " ":
                toks.append("_")
            elif ch.isascii() and ch.isalnum():
                toks.append(ch)
            else:
                toks.append("".join("=%02X" % b for b in ch.encode("utf-8")))
        out, cur = [], ""
        for t in toks:
            if len(cur) + len(t) > 60:
                out.append(cur)
                cur = ""
            cur += t
        out.append(cur)
        return "\n ".join("=?UTF-8?Q?%s?=" % p for p in out)

    # --- messages ------------------------------------------------------

    def headers(self, rng, i, subject, ctype, extra=""):
        epoch = self.epoch0 + i * 1800 + rng.randint(0, 1700)
        date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(epoch))
        sender = rng.choice(SENDERS)
        dom = rng.choice(DOMAINS)
        h = ("Return-Path: <bulletin@%s>\n"
             "Received: from mx%d.%s (mx.%s [192.0.2.%d])\n"
             "\tby mail.bench.example with ESMTPS; %s\n"
             "From: %s <bulletin@%s>\n"
             "To: Members <members@bench.example>\n"
             "Subject: %s\n"
             "Date: %s\n"
             "Message-ID: <%d.%s.%x@%s>\n"
             "MIME-Version: 1.0\n"
             % (dom, rng.randint(1, 9), dom, dom, rng.randint(1, 254), date,
                sender, dom, self.enc_subject(subject, rng), date, i,
                self.seed, rng.getrandbits(40), dom))
        if rng.random() < 0.4:
            h += ("List-Id: %s <news.%s>\n"
                  "List-Unsubscribe: <https://%s/unsubscribe?u=%d>\n"
                  % (sender, dom, dom, i))
        return h + extra + ctype

    def subject(self, rng, i):
        w = rng.choices(self.vocab, k=rng.randint(3, 8))
        s = " ".join(w).capitalize()
        if rng.random() < 0.3:
            s = "%s \u2013 %s" % (rng.choice(TRIGGERS + TOPIC), s)
        return "%s #%d" % (s, i)

    def text_body(self, secs):
        out = []
        for t, url, paras in secs:
            out.append(t)
            out.append("-" * min(len(t), 72))
            out.extend(wrap(p) + "\n" for p in paras)
            out.append("Read more: %s\n" % url)
        out.append("-- \nYou are receiving this bulletin as a member."
                   " Unsubscribe: https://napo.example/unsubscribe\n")
        return "\n".join(out)

    def html_body(self, secs, blog=False):
        out = ["<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
               "<title>Bulletin</title><style>body{font-family:Arial}"
               "h2{color:#036}.footer{font-size:small}</style></head>\n"
               "<body><table width=\"600\"><tr><td>\n"]
        for t, url, paras in secs:
            t = t.replace("&", "&amp;")
            if blog:
                out.append("<h2><a href=\"%s\">%s</a></h2>\n" % (url, t))
            else:
                out.append("<h2>%s</h2>\n" % t)
            for p in paras:
                out.append("<p>%s</p>\n" % wrap(p.replace("&", "&amp;"), 76))
            if not blog:
                out.append("<p><a href=\"%s\">Read more</a></p>\n" % url)
        out.append("</td></tr></table>\n<p class=\"footer\">You are receiving"
                   " this because you subscribed. <a href=\"https://napo."
                   "example/unsubscribe\">Unsubscribe</a> | <a href=\"https:"
                   "//napo.example/prefs\">Preferences</a></p>\n"
                   "</body></html>\n")
        return "".join(out)

    def shape_plain(self, rng, i, size):
        body = self.text_body(self.sections(rng, i, size * 0.8))
        return (self.headers(rng, i, self.subject(rng, i),
                             "Content-Type: text/plain; charset=utf-8\n"
                             "Content-Transfer-Encoding: quoted-printable\n")
                + "\n" + self.qp(body, "utf-8"))

    def shape_alt(self, rng, i, size):
        secs = self.sections(rng, i, size * 0.42)
        b = "=_alt_%d_%x" % (i, rng.getrandbits(32))
        return (self.headers(rng, i, self.subject(rng, i),
                             "Content-Type: multipart/alternative;"
                             " boundary=\"%s\"\n" % b)
                + "\nThis is a multi-part message in MIME format.\n"
                + "\n--%s\nContent-Type: text/plain; charset=utf-8\n"
                  "Content-Transfer-Encoding: quoted-printable\n\n" % b
                + self.qp(self.text_body(secs), "utf-8")
                + "\n--%s\nContent-Type: text/html; charset=utf-8\n"
                  "Content-Transfer-Encoding: quoted-printable\n\n" % b
                + self.qp(self.html_body(secs), "utf-8")
                + "\n--%s--\n" % b)

    def shape_blog(self, rng, i, size):
        n = rng.randint(3, 5)
        secs = self.sections(rng, i, size * 0.8)
        while len(secs) < n:
            secs += self.sections(rng, i, 1)
        for k, extra in enumerate(secs[n:]):
            secs[k % n][2].extend(extra[2])
        secs = secs[:n]
        enc = rng.random() < 0.5
        html = self.html_body(secs, blog=True)
        return (self.headers(rng, i, "New posts on Probation Blog: %s"
                             % self.subject(rng, i),
                             "Content-Type: text/html; charset=utf-8\n"
                             "Content-Transfer-Encoding: %s\n"
                             % ("quoted-printable" if enc else "8bit"))
                + "\n" + (self.qp(html, "utf-8") if enc else html))

    def shape_b64(self, rng, i, size):
        body = self.text_body(self.sections(rng, i, size * 0.72))
        return (self.headers(rng, i, self.subject(rng, i),
                             "Content-Type: text/plain; charset=utf-8\n"
                             "Content-Transfer-Encoding: base64\n")
                + "\n" + self.b64(body.encode("utf-8")))

    def shape_cp1252(self, rng, i, size):
        secs = self.sections(rng, i, size * 0.9)
        body = self.text_body(secs)
        body = body.replace(
            "\nRead more:", "\u201cWorth a read,\u201d says the branch\u2019s"
            " secretary \u2013 \u00a3%d well spent\u2026\nRead more:"
            % rng.randint(2, 900))
        body = "Dear colleague \u2013 here\u2019s this week\u2019s news " \
               "(\u00a35 fee, \u20ac6 abroad).\n\n" + body
        return (self.headers(rng, i, self.subject(rng, i),
                             "Content-Type: text/plain; charset=windows-1252\n"
                             "Content-Transfer-Encoding: quoted-printable\n")
                + "\n" + self.qp(body, "windows-1252"))

    def shape_pdf(self, rng, i, size):
        secs = self.sections(rng, i, size * 0.25)
        pdf = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n"
               b"endobj\nstream\n" + rng.randbytes(int(size * 0.5))
               + b"\nendstream\n%%EOF\n")
        b = "=_mixed_%d_%x" % (i, rng.getrandbits(32))
        return (self.headers(rng, i, "Branch report %s" % self.subject(rng, i),
                             "Content-Type: multipart/mixed;"
                             " boundary=\"%s\"\n" % b)
                + "\n--%s\nContent-Type: text/plain; charset=utf-8\n"
                  "Content-Transfer-Encoding: quoted-printable\n\n" % b
                + self.qp(self.text_body(secs), "utf-8")
                + "\n--%s\nContent-Type: application/pdf;"
                  " name=\"report-%d.pdf\"\n"
                  "Content-Disposition: attachment;"
                  " filename=\"report-%d.pdf\"\n"
                  "Content-Transfer-Encoding: base64\n\n" % (b, i, i)
                + self.b64(pdf) + "\n--%s--\n" % b)

    def shape_fwd822(self, rng, i, size):
        inner = rng.choice((self.shape_plain, self.shape_alt, self.shape_b64,
                            self.shape_blog))(rng, self.n + i, size * 0.9)
        b = "=_fwd_%d_%x" % (i, rng.getrandbits(32))
        note = wrap(self.paragraph(rng, rng.random() < 0.3)) + "\n"
        return (self.headers(rng, i, "Fwd: %s" % self.subject(rng, i),
                             "Content-Type: multipart/mixed;"
                             " boundary=\"%s\"\n" % b)
                + "\n--%s\nContent-Type: text/plain; charset=utf-8\n"
                  "Content-Transfer-Encoding: 8bit\n\n" % b
                + "Forwarding this, see below.\n\n" + note
                + "\n--%s\nContent-Type: message/rfc822\n"
                  "Content-Disposition: inline\n\n" % b
                + inner + "\n--%s--\n" % b)

    def shape_fwdinline(self, rng, i, size):
        secs = self.sections(rng, i, size * 0.9)
        date = time.strftime("%a, %d %b %Y at %H:%M",
                             time.gmtime(self.epoch0 + i * 1700))
        body = ("FYI, forwarded from the branch list.\n\n"
                "---------- Forwarded message ---------\n"
                "From: %s <bulletin@%s>\nDate: %s\nSubject: %s\n"
                "To: Members <members@bench.example>\n\n"
                % (rng.choice(SENDERS), rng.choice(DOMAINS), date,
                   self.subject(rng, i)) + self.text_body(secs))
        return (self.headers(rng, i, "Fwd: %s" % self.subject(rng, i),
                             "Content-Type: text/plain; charset=utf-8\n"
                             "Content-Transfer-Encoding: quoted-printable\n")
                + "\n" + self.qp(body, "utf-8"))

    SHAPES = (("plain-qp", "shape_plain", 20), ("alt", "shape_alt", 25),
              ("blog", "shape_blog", 15), ("b64", "shape_b64", 8),
              ("cp1252", "shape_cp1252", 10), ("pdf", "shape_pdf", 7),
              ("fwd822", "shape_fwd822", 8), ("fwdinline", "shape_fwdinline", 7))

    def message(self, i):
        rng = random.Random("msg:%s:%d" % (self.seed, i))
        names = [s[0] for s in self.SHAPES]
        shape = rng.choices(names, weights=[s[2] for s in self.SHAPES])[0]
        # lognormal sizes, mean ~ SIZE_KB (E[lognorm(0, .6)] = e^.18, less the
        # overshoot of the section builder)
        size = self.size * rng.lognormvariate(0, 0.6) / 1.27
        size = max(1500, min(size, self.size * 12))
        fn = getattr(self, dict((s[0], s[1]) for s in self.SHAPES)[shape])
        msg = fn(rng, i, size)
        if not msg.endswith("\n"):
            msg += "\n"
        return shape, msg.encode("utf-8")


def mbox_escape(data):
    if data.startswith(b"From "):
        data = b">" + data
    return data.replace(b"\nFrom ", b"\n>From ")


def main(argv):
    if len(argv) < 2 or len(argv) > 5:
        sys.stderr.write("usage: gen_corpus.py OUT_DIR [N] [SIZE_KB] [SEED]\n")
        return 2
    out = argv[1]
    try:
        n = int(argv[2]) if len(argv) > 2 else 20000
        size_kb = float(argv[3]) if len(argv) > 3 else 15
        seed = int(argv[4]) if len(argv) > 4 else 1
    except ValueError:
        sys.stderr.write("gen_corpus.py: N, SIZE_KB and SEED are numbers\n")
        return 2
    if n < 1 or size_kb <= 0:
        sys.stderr.write("gen_corpus.py: N and SIZE_KB must be positive\n")
        return 2
    t0 = time.monotonic()
    params = os.path.join(out, "corpus.params")
    md = os.path.join(out, "maildir")
    if os.path.exists(params):
        os.unlink(params)
    shutil.rmtree(md, ignore_errors=True)
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, d))
    g = Gen(n, size_kb, seed)
    counts, total = {}, 0
    mbox_path = os.path.join(out, "corpus.mbox")
    with open(mbox_path + ".tmp", "wb") as mbox:
        for i in range(1, n + 1):
            shape, data = g.message(i)
            counts[shape] = counts.get(shape, 0) + 1
            total += len(data)
            epoch = g.epoch0 + i * 1800
            base = "%d.M%dP%d.bench" % (epoch, i, seed)
            if i % 10 == 0:
                path = os.path.join(md, "new", base)
            else:
                path = os.path.join(md, "cur", base + ":2,S")
            with open(path, "wb") as f:
                f.write(data)
            stamp = time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(epoch))
            mbox.write(b"From bulletin@bench.example %s\n" % stamp.encode())
            mbox.write(mbox_escape(data))
            mbox.write(b"\n")
    os.replace(mbox_path + ".tmp", mbox_path)
    with open(params, "w") as f:
        f.write("%d %g %d\n" % (n, size_kb, seed))
    sys.stderr.write("gen_corpus: %d messages, %.1f MB, %.1f KB average, "
                     "%.1f s; %s\n" % (n, total / 1e6, total / n / 1024,
                                       time.monotonic() - t0,
                                       " ".join("%s=%d" % kv for kv in
                                                sorted(counts.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
