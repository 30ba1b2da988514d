#!/usr/bin/python3
"""hostile.py OUT_DIR [MB] - the worst messages we could build against
bulletin's default [limits] (max_message_size 64 MiB, max_parts 1000,
max_depth 32, max_items 200, max_item_text 256 KiB, max_html 8 MiB).
Each is just under max_message_size (MB, default 63) unless it says
otherwise; tests/faults/limits.sh times them.

  text-items      one text/plain part of short "heading / ====" sections:
                  as many items as the splitter could find
  text-oneline    one text/plain part, one line, no space
  html-nested     HTML parts of max_html each, <div> nested ~1M deep
  html-sections   HTML parts of max_html each, <h2><a> sections
  parts-1000      multipart/mixed with max_parts HTML parts
  parts-10000     multipart/mixed with 10x max_parts tiny parts
  depth-32        multipart nested max_depth deep, a text at each level
  depth-5000      multipart nested 5000 deep (over the limit)
  rfc822-32       message/rfc822 forwards nested max_depth deep
  headers-huge    one Subject header of MB, then a small body
  headers-many    a million short header fields
  rfc2047-flood   a Subject of ~1M RFC 2047 encoded words
  base64-attach   a small text and one base64 attachment of MB
  qp-softbreaks   quoted-printable text of soft line breaks only
  boundary-flood  a multipart whose body is nothing but boundary lines
  over-size       MB + 8 MiB: over max_message_size
"""
import base64
import os
import sys

out = sys.argv[1]
MB = int(sys.argv[2]) if len(sys.argv) > 2 else 63
SIZE = MB << 20
HTML = 8 << 20
os.makedirs(out, exist_ok=True)
HEAD = ("From: Hostile <h@hostile.example>\r\nTo: branch@example.org\r\n"
        "Date: Mon, 16 Nov 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n")


def write(name, parts):
    with open(os.path.join(out, name + ".eml"), "wb") as f:
        for p in parts:
            f.write(p if isinstance(p, bytes) else p.encode())


def msg(name, subject, ctype, body, extra=""):
    write(name, [HEAD, "Subject: %s\r\nMessage-ID: <%s@hostile.example>\r\n%s"
                 "Content-Type: %s\r\n\r\n" % (subject, name, extra, ctype), body])


def fill(unit, size):
    return unit * (size // len(unit))


# --- text ---
sec = ("Public Accounts Committee probation report %d\r\n" + "=" * 44 +
       "\r\n\r\nThe National Audit Office said probation caseloads are high.\r\n\r\n")
body, n = [], 0
while n < SIZE:
    s = sec % len(body)
    body.append(s)
    n += len(s)
msg("text-items", "Many sections", "text/plain; charset=utf-8", "".join(body))
msg("text-oneline", "One line", "text/plain; charset=utf-8", fill("x", SIZE))

# --- HTML ---
def html_parts(name, unit):
    b = "hostile-boundary"
    parts = ["--%s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" % b
             + "<html><body>" + fill(unit, HTML - 64) + "</body></html>\r\n"
             for _ in range(max(1, SIZE // HTML))]
    msg(name, name, 'multipart/mixed; boundary="%s"' % b,
        "".join(parts) + "--%s--\r\n" % b)


html_parts("html-nested", "<div>")
html_parts("html-sections", "<h2><a href=\"https://e.example/x\">Public Accounts"
           " Committee</a></h2><p>probation National Audit Office</p>")

# --- parts ---
def many_parts(name, n, size):
    b = "p"
    one = ("--%s\r\nContent-Type: text/html\r\n\r\n<h2>Public Accounts Committee</h2>"
           "<p>%s</p>\r\n" % (b, fill("probation ", size)))
    msg(name, name, 'multipart/mixed; boundary="%s"' % b, one * n + "--%s--\r\n" % b)


many_parts("parts-1000", 1000, SIZE // 1000 - 200)
many_parts("parts-10000", 10000, 10)


def nested(name, depth):
    o = []
    for i in range(depth):
        o.append("--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n" % (i, i + 1))
        o.append("--b%d\r\nContent-Type: text/plain\r\n\r\nPublic Accounts Committee level %d\r\n" % (i + 1, i))
    for i in reversed(range(depth)):
        o.append("--b%d--\r\n" % (i + 1))
        o.append("--b%d--\r\n" % i)
    msg(name, name, 'multipart/mixed; boundary="b0"', "".join(o))


nested("depth-32", 32)
nested("depth-5000", 5000)

inner = ("From: a@b.example\r\nSubject: Public Accounts Committee\r\n"
         "Content-Type: text/plain\r\n\r\nThe Public Accounts Committee on probation.\r\n")
for i in range(32):
    inner = ("From: fwd%d@b.example\r\nSubject: Fwd: level %d\r\nContent-Type: "
             "multipart/mixed; boundary=\"f%d\"\r\n\r\n--f%d\r\nContent-Type: text/plain"
             "\r\n\r\nsee attached\r\n--f%d\r\nContent-Type: message/rfc822\r\n\r\n%s"
             "\r\n--f%d--\r\n" % (i, i, i, i, i, inner, i))
write("rfc822-32", [HEAD, "Message-ID: <rfc822-32@hostile.example>\r\n", inner])

# --- headers ---
msg("headers-huge", fill("Public Accounts Committee ", SIZE), "text/plain", "body\r\n")
write("headers-many", [HEAD, "Message-ID: <headers-many@hostile.example>\r\n",
                       "".join("X-H%d: v\r\n" % i for i in range(1000000)),
                       "Subject: many\r\nContent-Type: text/plain\r\n\r\nbody\r\n"])
msg("rfc2047-flood", " ".join(["=?utf-8?q?Public_Accounts_Committee?="] * (SIZE // 40)),
    "text/plain", "body\r\n")

# --- encodings ---
att = base64.encodebytes(os.urandom(SIZE * 3 // 4 - 4096)).replace(b"\n", b"\r\n")
write("base64-attach", [HEAD, "Subject: attachment\r\nMessage-ID: <b64@hostile.example>\r\n"
      "Content-Type: multipart/mixed; boundary=\"a\"\r\n\r\n--a\r\nContent-Type: text/plain"
      "\r\n\r\nPublic Accounts Committee report attached.\r\n--a\r\nContent-Type: "
      "application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n", att, b"--a--\r\n"])
msg("qp-softbreaks", "soft breaks", "text/plain; charset=utf-8", fill("=\r\n", SIZE),
    "Content-Transfer-Encoding: quoted-printable\r\n")
msg("boundary-flood", "boundaries", 'multipart/mixed; boundary="z"', fill("--z\r\n", SIZE))
msg("over-size", "too big", "text/plain", fill("probation report\r\n", SIZE + (8 << 20)))
