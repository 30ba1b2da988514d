#!/usr/bin/python3
"""smtp_sink.py - an SMTP sink on 127.0.0.1 for the end-to-end tests
(Debian python3-aiosmtpd 1.4; run it with /usr/bin/python3).

Every accepted message is written to DIR/mail/ as one file,
NNNNNN-RCPT.eml (sequence number, first envelope recipient), whose first
lines are "X-Envelope-From: <from>" and "X-Envelope-To: <rcpt>[, ...]",
followed by the message as received.  Files appear atomically (written to
DIR/mail/tmp, then renamed).

DIR/sessions.log gets one line per event, "EVENT SESSION key=value ...":
  open S peer=127.0.0.1:NNN port=P      a connection (plain or SMTPS)
  ehlo S name=N                         (again after STARTTLS)
  tls S                                 STARTTLS done
  auth S user=U ok|denied               (the password is never logged)
  rcpt S to=ADDR code=NNN
  stored S to=ADDR file=NAME
  drop S to=ADDR stored=0|1             connection dropped instead of 250
  close S messages=N                    connection gone
so the sessions that said EHLO (not port probes) are
`awk '$1 == "ehlo" { s[$2] } END { print length(s) }' sessions.log`.

Behaviour that a test may change while the sink runs lives in a control
file (default DIR/control), re-read at every MAIL, RCPT and DATA;
"key = value" lines, '#' comments:
  tempfail = a@x, b@y     answer 450 to these recipients (case-insensitive)
  permfail = c@z          answer 550 to these recipients
  reject_at = rcpt|data   when to answer them (default rcpt)
  drop_after = N          after N messages stored in this run, drop the
                          connection (no reply) on the next DATA ...
  drop_count = K          ... K times (default 1); then accept again
  drop_store = 0|1        store the dropped message anyway (a delivery whose
                          250 got lost: the sender cannot know)
  data_delay = SECONDS    sleep before answering each DATA (slows the sink)
  tempfail_code = 4NN     the code tempfail answers (default 450; 421 also
                          closes the connection after the reply, as a
                          server shutting down does)
  permfail_code = 5NN     the code permfail answers (default 550)

Command line (ports are given by the caller, see servers.sh):
  smtp_sink.py --dir DIR --port P [--smtps-port P2] [--cert C --key K]
      [--require-starttls] [--auth any|exact] [--user U --password-file F]
      [--control FILE] [--tempfail A,..] [--permfail A,..] [--drop-after N]
--cert/--key enable STARTTLS on --port and are needed for --smtps-port.
--auth any accepts any credentials, --auth exact only --user with the
password in --password-file; either way MAIL without AUTH gets 530.
The flags --tempfail/--permfail/--drop-after set the initial control file.
Stops on SIGTERM/SIGINT, printing a summary line.
"""
import argparse
import asyncio
import itertools
import os
import re
import signal
import ssl
import sys
import time

from aiosmtpd.smtp import SMTP, AuthResult

args = None
seq = itertools.count(1)
session_ids = itertools.count(1)
stats = {"sessions": 0, "messages": 0, "dropped": 0}
drops_done = 0
log_file = None


def log(*words):
    log_file.write(" ".join(str(w) for w in words) + "\n")
    log_file.flush()


def control():
    """The control file as a dict (re-read on every call: tests edit it)."""
    c = {"tempfail": set(), "permfail": set(), "reject_at": "rcpt",
         "drop_after": None, "drop_count": 1, "drop_store": 0, "data_delay": 0.0,
         "tempfail_code": 450, "permfail_code": 550}
    try:
        with open(args.control, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return c
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if "=" not in line:
            continue
        k, v = (x.strip() for x in line.split("=", 1))
        if k in ("tempfail", "permfail"):
            c[k] = {a.lower() for a in re.split(r"[\s,]+", v) if a}
        elif k == "reject_at":
            c[k] = v
        elif k in ("drop_after", "drop_count", "drop_store",
                   "tempfail_code", "permfail_code"):
            c[k] = int(v) if v else None
        elif k == "data_delay":
            c[k] = float(v or 0)
    return c


def verdict(c, addr):
    a = addr.lower()
    if a in c["tempfail"]:
        return "%d 4.2.1 Mailbox temporarily unavailable (sink tempfail)" % (
            c["tempfail_code"] or 450)
    if a in c["permfail"]:
        return "%d 5.1.1 No such user (sink permfail)" % (c["permfail_code"] or 550)
    return None


def closing(server, reply):
    """A 421 reply ends the session: the connection closes after it."""
    if reply.startswith("421"):
        asyncio.get_event_loop().call_soon(server.transport.close)
    return reply


def safe(addr):
    return re.sub(r"[^A-Za-z0-9@._+-]", "_", addr)[:100]


class Handler:
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        log("ehlo", server.sid, "name=" + safe(hostname))
        return responses

    async def handle_MAIL(self, server, session, envelope, address, options):
        control()  # a broken control file shows up here, early
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        c = control()
        v = verdict(c, address) if c["reject_at"] == "rcpt" else None
        log("rcpt", server.sid, "to=" + address, "code=" + (v[:3] if v else "250"))
        if v:
            return closing(server, v)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        global drops_done
        c = control()
        if c["data_delay"]:
            await asyncio.sleep(c["data_delay"])
        to = ", ".join(envelope.rcpt_tos)
        if c["reject_at"] == "data":
            for a in envelope.rcpt_tos:
                v = verdict(c, a)
                if v:
                    log("reject", server.sid, "to=" + a, "code=" + v[:3])
                    return closing(server, v)
        drop = (c["drop_after"] is not None and stats["messages"] >= c["drop_after"]
                and drops_done < c["drop_count"])
        if not drop or c["drop_store"]:
            name = store(envelope)
        if drop:
            drops_done += 1
            stats["dropped"] += 1
            log("drop", server.sid, "to=" + to, "stored=%d" % (1 if c["drop_store"] else 0))
            server.transport.abort()
            return "421 4.3.0 dropped"   # never reaches the client
        server.messages += 1
        log("stored", server.sid, "to=" + to, "file=" + name)
        return "250 2.0.0 Ok: stored as %s" % name


def store(envelope):
    data = envelope.original_content or envelope.content
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    first = envelope.rcpt_tos[0] if envelope.rcpt_tos else "none"
    name = "%06d-%s.eml" % (next(seq), safe(first))
    tmp = os.path.join(args.dir, "mail", "tmp", name)
    with open(tmp, "wb") as f:
        f.write(b"X-Envelope-From: <%s>\r\nX-Envelope-To: %s\r\n" % (
            (envelope.mail_from or "").encode("utf-8", "replace"),
            ", ".join(envelope.rcpt_tos).encode("utf-8", "replace")))
        f.write(data)
    os.rename(tmp, os.path.join(args.dir, "mail", name))
    stats["messages"] += 1
    return name


class Session(SMTP):
    def __init__(self, *a, port=0, **kw):
        super().__init__(*a, **kw)
        self.sid = next(session_ids)
        self.port = port
        self.messages = 0

    def connection_made(self, transport):
        starttls = self._original_transport is not None
        super().connection_made(transport)
        if starttls:
            log("tls", self.sid)
        else:
            stats["sessions"] += 1
            peer = transport.get_extra_info("peername") or ("?", 0)
            log("open", self.sid, "peer=%s:%s" % peer[:2], "port=%d" % self.port)

    def connection_lost(self, error):
        log("close", self.sid, "messages=%d" % self.messages)
        super().connection_lost(error)


def authenticator(server, session, envelope, mechanism, auth_data):
    login = auth_data.login.decode("utf-8", "replace") if isinstance(auth_data.login, bytes) else str(auth_data.login)
    ok = True
    if args.auth == "exact":
        pw = auth_data.password
        if isinstance(pw, bytes):
            pw = pw.decode("utf-8", "replace")
        ok = login == args.user and pw == args.password
    log("auth", server.sid, "user=" + safe(login), "ok" if ok else "denied")
    # handled=False: let aiosmtpd answer 535 on failure (the default
    # handled=True means "already answered" and the client would hang)
    return AuthResult(success=ok, handled=False)


def main():
    global args, log_file
    p = argparse.ArgumentParser(description="SMTP sink for bulletin's tests")
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--smtps-port", type=int)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--require-starttls", action="store_true")
    p.add_argument("--auth", choices=("none", "any", "exact"), default="none")
    p.add_argument("--user", default="")
    p.add_argument("--password-file")
    p.add_argument("--control")
    p.add_argument("--tempfail", default="")
    p.add_argument("--permfail", default="")
    p.add_argument("--drop-after", type=int)
    args = p.parse_args()
    args.password = None
    if args.auth == "exact":
        if not args.user or not args.password_file:
            p.error("--auth exact needs --user and --password-file")
        with open(args.password_file, encoding="utf-8") as f:
            args.password = f.read().rstrip("\r\n")
    if (args.smtps_port or args.require_starttls) and not (args.cert and args.key):
        p.error("--smtps-port and --require-starttls need --cert and --key")
    args.dir = os.path.abspath(args.dir)
    args.control = args.control or os.path.join(args.dir, "control")
    os.makedirs(os.path.join(args.dir, "mail", "tmp"), exist_ok=True)
    log_file = open(os.path.join(args.dir, "sessions.log"), "a", encoding="utf-8")
    if args.tempfail or args.permfail or args.drop_after is not None:
        with open(args.control, "w", encoding="utf-8") as f:
            f.write("tempfail = %s\npermfail = %s\n" % (args.tempfail, args.permfail))
            if args.drop_after is not None:
                f.write("drop_after = %d\n" % args.drop_after)

    tls = None
    if args.cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.cert, args.key)

    def factory(port, implicit):
        def make():
            return Session(Handler(), port=port, hostname="sink.test.example",
                           enable_SMTPUTF8=True, data_size_limit=64 << 20,
                           tls_context=None if implicit else tls,
                           require_starttls=args.require_starttls and not implicit,
                           auth_required=args.auth != "none",
                           auth_require_tls=False,
                           authenticator=authenticator if args.auth != "none" else None)
        return make

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    servers = [loop.run_until_complete(loop.create_server(
        factory(args.port, False), "127.0.0.1", args.port))]
    if args.smtps_port:
        servers.append(loop.run_until_complete(loop.create_server(
            factory(args.smtps_port, True), "127.0.0.1", args.smtps_port, ssl=tls)))
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("sink: listening on 127.0.0.1:%d%s%s%s" % (
        args.port, " (STARTTLS)" if tls else "",
        " and :%d (SMTPS)" % args.smtps_port if args.smtps_port else "",
        " auth=" + args.auth), flush=True)
    loop.run_until_complete(stop.wait())
    for s in servers:
        s.close()
    print("sink: stopping after %(sessions)d sessions, %(messages)d messages, "
          "%(dropped)d dropped" % stats, flush=True)


if __name__ == "__main__":
    main()
