#!/usr/bin/python3
"""tally.py - counts for the fault campaign (tests/faults/campaign.sh).

Outbox rows and the messages the SMTP sink stored are matched by key:
(recipient, kind, what), "what" being the forwarded bulletin's top-level
Message-ID for a forward (read from the attached message/rfc822 part of
what arrived) and empty for a digest (one period per store in the
campaign).  A sent row's body is cleared by bulletin, so keys, not the
bodies' Message-IDs, are what can be compared after a run.

  tally.py store DB IDS            "lost duplicates stray": the mailbox's
                                   Message-IDs (file IDS, one a line, no <>)
                                   against the top-level Message-IDs of the
                                   raw messages in store DB
  tally.py seq SINKDIR             the highest sequence number among the
                                   sink's stored messages (0 if none)
  tally.py window DB SINKDIR FROM OUT
                                   the messages the sink stored (sequence >=
                                   FROM) whose outbox row in DB is still
                                   queued, matched by the queued body's
                                   Message-ID: delivered, but the sent mark
                                   was not committed (the documented
                                   duplicate window); their keys go to OUT,
                                   their number is printed
  tally.py sent DB SINKDIR FROM WINDOW [--expect FILE | --save FILE]
                                   "owed arrived lost duplicates window
                                   unsent": the outbox of DB against what
                                   the sink stored (sequence >= FROM).
                                   --save writes the rows' keys (a clean
                                   run's: what is owed); --expect reads
                                   them instead of taking the rows'.  An
                                   owed key that never arrived is lost; a
                                   key that arrived n > 1 times counts n - 1
                                   duplicates, one of them as a window
                                   duplicate when the key is in WINDOW (a
                                   file from `window`, or -).
"""
import email
import email.parser
import os
import sqlite3
import sys

HP = email.parser.BytesHeaderParser()


def msgid(raw):
    head = bytes(raw).split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    v = HP.parsebytes(head + b"\r\n\r\n").get("Message-ID") or ""
    return v.strip().strip("<>")


def sink_files(d, first):
    mail = os.path.join(d, "mail")
    for name in os.listdir(mail):
        if not name.endswith(".eml"):
            continue
        try:
            seq = int(name.split("-", 1)[0])
        except ValueError:
            continue
        if seq >= first:
            yield seq, os.path.join(mail, name)


def deliveries(d, first):
    """key -> times the sink stored it, and Message-ID -> key."""
    got, ids = {}, {}
    for _, f in sink_files(d, first):
        with open(f, "rb") as fh:
            raw = fh.read()
        rcpt = ""
        if raw.startswith(b"X-Envelope-From"):
            env_to, raw = raw.split(b"\r\n", 2)[1:]
            rcpt = env_to.split(b": ", 1)[1].decode("utf-8", "replace").lower()
        m = email.message_from_bytes(raw)
        what, kind = "", "digest"
        for part in m.walk():
            if part.get_content_type() == "message/rfc822":
                inner = part.get_payload()
                inner = inner[0] if isinstance(inner, list) else inner
                what = (inner.get("Message-ID") or "").strip().strip("<>")
                kind = "forward"
                break
        key = (rcpt, kind, what)
        got[key] = got.get(key, 0) + 1
        ids[(m.get("Message-ID") or "").strip().strip("<>")] = key
    return got, ids


def raw_of(db, raw, at, size):
    """A message's raw bytes: its row's, or STORE.raw's (rawfile.h)."""
    if at is None:
        return raw
    with open(db + ".raw", "rb") as f:
        f.seek(at)
        return f.read(size)


def rows(db):
    """(key, state, the body's Message-ID or "" once sent) per row."""
    con = sqlite3.connect(db)
    out = []
    for rcpt, kind, state, body, raw, at, size in con.execute(
            "select o.rcpt, o.kind, o.state, o.body, m.raw, m.raw_at, m.size"
            " from outbox o"
            " left join messages m on m.id = o.msg_id and o.msg_id != 0"):
        if raw is not None:
            raw = raw_of(db, raw, at, size)
        what = msgid(raw) if kind != "digest" and raw is not None else ""
        out.append(((rcpt.lower(), kind, what), state, msgid(body) if body else ""))
    con.close()
    return out


def cmd_store(db, idsfile):
    want = [l.strip() for l in open(idsfile) if l.strip()]
    con = sqlite3.connect(db)
    have = [msgid(raw_of(db, raw, at, size)) for (raw, at, size) in
            con.execute("select raw, raw_at, size from messages")]
    con.close()
    hs, ws = set(have), set(want)
    print(len(ws - hs), len(have) - len(hs), len(hs - ws))


def cmd_seq(d):
    print(max((s for s, _ in sink_files(d, 0)), default=0))


def cmd_window(db, d, first, out):
    _, ids = deliveries(d, int(first))
    win = [k for k, state, m in rows(db) if state == "queued" and m in ids]
    with open(out, "w") as f:
        f.write("".join("\t".join(k) + "\n" for k in win))
    print(len(win))


def readkeys(path):
    return {tuple(l.rstrip("\n").split("\t")) for l in open(path) if l.strip()}


def cmd_sent(db, d, first, winfile, opt=None, path=None):
    got, _ = deliveries(d, int(first))
    win = readkeys(winfile) if winfile != "-" and os.path.exists(winfile) else set()
    rs = rows(db)
    keys = {k for k, _, _ in rs}
    if opt == "--save":
        with open(path, "w") as f:
            f.write("".join("\t".join(k) + "\n" for k in sorted(keys)))
    owed = readkeys(path) if opt == "--expect" else keys
    arrived = {k for k in owed if got.get(k, 0) > 0}
    lost = len(owed - arrived)
    dups = window = 0
    for k, c in got.items():
        if k not in owed:
            dups += c           # a message nobody was owed
        elif c > 1:
            w = 1 if k in win else 0
            window += w
            dups += c - 1 - w
    unsent = sum(1 for _, state, _ in rs if state != "sent")
    print(len(owed), len(arrived), lost, dups, window, unsent)


if __name__ == "__main__":
    a = sys.argv[1:]
    {"store": cmd_store, "seq": cmd_seq, "window": cmd_window,
     "sent": cmd_sent}[a[0]](*a[1:])
