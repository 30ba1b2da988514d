# smtp.sh - digests delivered over real SMTP (tests/e2e/smtp_sink.py, an
# aiosmtpd sink on 127.0.0.1 started by servers.sh): the right recipients
# only, well-formed multipart/alternative digests with the list headers,
# one SMTP session for many messages, re-runs send nothing new, 4xx
# deferred then sent, 5xx recorded failed, a connection dropped mid-DATA, STARTTLS with the test CA,
# SMTPS, a wrong CA, a certificate for another host name or a wrong
# password stops the run with nothing sent, plain text refused to a
# non-loopback host and accepted to 127.0.0.1, kill -9 during a
# 300-digest send, and the password in no output.  Skips (77) without
# python3-aiosmtpd/openssl/sqlite3 unless CI=true.
#
# Each scenario has its own store (a copy of one ingest of the sample
# inbox) and its own recipient domain (@a.example, @b.example, ...), so
# the sinks' files can be told apart.  Retry backoff is skipped by setting
# the outbox's next_try to 0 with sqlite3 (bulletin send has no --now).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. tests/e2e/lib.sh
. tests/e2e/servers.sh
sink_require
if ! sink_init; then
	notok "test certificates made"
	done_testing
	exit 1
fi
PW=$SRV/smtp.pw
(umask 077 && printf '%s\n' "$SRV_PW" >"$PW")
# main: STARTTLS required, AUTH with exactly bulletin / $SRV_PW;
# plain: no TLS, no AUTH (for tls = none)
if ! sink_start main --require-starttls --auth exact --user bulletin \
	--password-file "$PW" || ! sink_start plain; then
	notok "test SMTP sinks start"
	done_testing
	exit 1
fi
MAIN=${SINK_DIR[main]}
wait_day_end
WEEK=$(date -u +%G-W%V)
PY=${SINK_PY:-/usr/bin/python3}

# run NAME CONF ARGS...: bulletin --config CONF ARGS, output in
# $T/NAME.{out,err}, status in $rc
run() {
	local name=$1 conf=$2
	shift 2
	$BULLETIN --config "$conf" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
}
has() { grep -qi -- "$2" "$T/$1.out" "$T/$1.err"; }	# NAME REGEX
sql() { sqlite3 "$1" "$2" 2>/dev/null; }
# rcpts SINK DOMAIN: the envelope recipients @DOMAIN stored by SINK, sorted
rcpts() { sink_rcpts "$1" | grep "@$2\$"; }
# files SINK DOMAIN: the stored messages for @DOMAIN
files() { grep -l "^X-Envelope-To: .*@$2" "${SINK_DIR[$1]}"/mail/*.eml 2>/dev/null; }
expect() { printf '%s\n' "$@" | sort; }
# checko NAME DESCRIPTION CMD...: check, showing the output of run NAME
# as TAP comments when it fails
checko() {
	local out=$1 before=$nfail
	shift
	check "$@"
	[ "$nfail" = "$before" ] || sed 's/^/# /' "$T/$out.out" "$T/$out.err" | head -n 15
}

# one ingest of the sample inbox, copied for every scenario
BASE=$T/base.db
$BULLETIN --config /dev/null --store "$BASE" --rules filters ingest \
	tests/fixtures/inbox >"$T/ingest.out" 2>&1
check "harness: sample inbox ingested" \
	test "$(sql "$BASE" 'select count(*) from messages')" -ge 18

# scenario NAME DOMAIN [conf KEY=VALUE...]: $C (config), $D (store) for
# NAME, with subscribers ann (nao,pac), bob (all), dan (hmip) weekly and
# cat (press) daily @DOMAIN
scenario() {
	local name=$1 dom=$2
	shift 2
	C=$T/$name.conf
	D=$T/$name.db
	cp "$BASE" "$D" && cp "$BASE.raw" "$D.raw"	# the items' text is there
	sink_conf "$C" main store="$D" digest.templates=templates \
		digest.name="Probation Bulletin" from=digest@example.org \
		digest.list_id="Probation Bulletin <probation.example.org>" "$@"
	$BULLETIN --config "$C" subscriber add "ann@$dom" --categories nao,pac >/dev/null &&
		$BULLETIN --config "$C" subscriber add "bob@$dom" --categories all >/dev/null &&
		$BULLETIN --config "$C" subscriber add "dan@$dom" --categories hmip >/dev/null &&
		$BULLETIN --config "$C" subscriber add "cat@$dom" --categories press --mode daily >/dev/null
}

# --- A: STARTTLS + AUTH, the right recipients, well-formed digests ------
scenario a a.example
before=$(sink_sessions main)
run a1 "$C" digest --period "$WEEK"
checko a1 "digest sends over STARTTLS with the test CA (exit 0)" test "$rc" = 0
check "digests reach ann, bob and dan only (not the daily cat)" \
	test "$(rcpts main a.example)" = "$(expect ann@a.example bob@a.example dan@a.example)"
check "all digests went over one SMTP session" \
	test "$(($(sink_sessions main) - before))" = 1
check "the sink saw STARTTLS and AUTH before the mail" \
	sh -c "grep -q '^tls ' '$MAIN/sessions.log' && grep -q '^auth .* user=bulletin ok' '$MAIN/sessions.log'"
files main a.example >"$T/a.files"
check "each digest parses: multipart/alternative, To, list headers, envelope" \
	"$PY" - "$T/a.files" <<'PY'
import email, sys
from email import policy
files = open(sys.argv[1]).read().split()
assert len(files) == 3, files
for f in files:
    raw = open(f, "rb").read()
    assert raw.count(b"\n") == raw.count(b"\r\n"), (f, "bare LF")
    env_from, env_to = raw.split(b"\r\n")[:2]
    assert env_from == b"X-Envelope-From: <digest@example.org>", env_from
    rcpt = env_to.split(b": ", 1)[1].decode()
    m = email.message_from_bytes(raw, policy=policy.default)
    assert not m.defects, (f, m.defects)
    assert m.get_content_type() == "multipart/alternative", m.get_content_type()
    parts = [p.get_content_type() for p in m.iter_parts()]
    assert parts == ["text/plain", "text/html"], parts
    assert m["To"] == rcpt, (m["To"], rcpt)
    assert "digest@example.org" in str(m["From"]), m["From"]
    assert "probation.example.org" in str(m["List-Id"]), m["List-Id"]
    unsub = str(m["List-Unsubscribe"])
    assert "mailto:bulletin-request@example.org" in unsub, unsub
    assert m["Precedence"] == "bulk", m["Precedence"]
    assert m["Auto-Submitted"] == "auto-generated", m["Auto-Submitted"]
    assert m["Message-ID"] and m["Date"] and m["Subject"]
    assert m.get_body(("plain",)).get_content().strip()
    assert m.get_body(("html",)).get_content().strip()
PY
nsent=$(sink_count main)
run a2 "$C" digest --period "$WEEK"
checko a2 "digest again for the same period exits 0" test "$rc" = 0
run a3 "$C" send
checko a3 "send with nothing queued exits 0" test "$rc" = 0
check "... and neither re-run sent anything" test "$(sink_count main)" = "$nsent"
check "the outbox records the three digests sent" \
	test "$(sql "$D" "select count(*) from outbox where kind='digest' and state='sent'")" = 3

# --- B: 4xx for one recipient, then sent by a later run -------------------
scenario b b.example
sink_control main "tempfail = bob@b.example"
run b1 "$C" digest --period "$WEEK"
checko b1 "a 4xx for one recipient: digest exits 75 (EX_TEMPFAIL)" test "$rc" = 75
check "... the others are delivered" \
	test "$(rcpts main b.example)" = "$(expect ann@b.example dan@b.example)"
check "... bob's is queued for a retry" \
	test "$(sql "$D" "select count(*) from outbox where rcpt='bob@b.example' and state='queued' and attempts=1 and next_try > strftime('%s','now')")" = 1
check "... and the 4xx reply is reported" has b1 "450"
sink_control main
run b2 "$C" send
check "send before the retry is due sends nothing" \
	test "$(rcpts main b.example | grep -c bob)" = 0
sql "$D" "update outbox set next_try = 0 where state = 'queued'"
run b3 "$C" send
checko b3 "send once the retry is due exits 0" test "$rc" = 0
check "... and delivers bob's digest, once" \
	test "$(rcpts main b.example)" = "$(expect ann@b.example bob@b.example dan@b.example)"

# --- C: 5xx for one recipient: recorded failed, the others delivered ----
scenario c c.example
sink_control main "permfail = bob@c.example"
run c1 "$C" digest --period "$WEEK"
checko c1 "a 5xx for one recipient: digest exits 65 (EX_DATAERR)" test "$rc" = 65
check "... the others are delivered" \
	test "$(rcpts main c.example)" = "$(expect ann@c.example dan@c.example)"
check "... bob's is recorded failed" \
	test "$(sql "$D" "select state from outbox where rcpt='bob@c.example'")" = failed
check "... with the 550 reply reported" has c1 "550"
sink_control main
sql "$D" "update outbox set next_try = 0"
run c2 "$C" send
check "a failed digest is not sent again" test "$(rcpts main c.example | grep -c bob)" = 0

# --- D: wrong CA: clear error, non-zero exit, nothing sent --------------
scenario d d.example ca_file="$SRV_OTHERCA"
run d1 "$C" digest --period "$WEEK"
check "a server certificate from another CA: non-zero exit" test "$rc" != 0
checko d1 "... exit 69 (EX_UNAVAILABLE)" test "$rc" = 69
check "... says why (certificate)" has d1 "certificate"
check "... and nothing was sent" test -z "$(rcpts main d.example)"
check "... the digests stay queued" \
	test "$(sql "$D" "select count(*) from outbox where state='queued'")" = 3
sink_conf "$C" main store="$D" digest.templates=templates \
	digest.name="Probation Bulletin" from=digest@example.org
run d2 "$C" send
check "with the right CA the queued digests go out" \
	test "$(rcpts main d.example)" = "$(expect ann@d.example bob@d.example dan@d.example)"

# --- E: wrong password: stops the run, nothing sent ---------------------
scenario e e.example password_file="$T/e.wrongpass"
(umask 077 && echo "not-the-password" >"$T/e.wrongpass")
run e1 "$C" digest --period "$WEEK"
checko e1 "a refused login: exit 69 (EX_UNAVAILABLE)" test "$rc" = 69
check "... and says so (535)" has e1 "535\|auth\|login"
check "... nothing was sent" test -z "$(rcpts main e.example)"

# --- W: a certificate for another host name (wrong.example.org, signed by
# the test CA): STARTTLS and SMTPS stop before AUTH, nothing sent ---------
if SINK_CERT=wronghost sink_start wronghost --auth exact --user bulletin \
	--password-file "$PW"; then
	WH=${SINK_DIR[wronghost]}
	scenario w w.example url="smtp://127.0.0.1:${SINK_PORT[wronghost]}"
	run w1 "$C" digest --period "$WEEK"
	checko w1 "STARTTLS to a certificate for another host name: exit 69" test "$rc" = 69
	check "... says why (certificate or host name)" has w1 "certificate\|host name"
	scenario x x.example url="smtps://127.0.0.1:${SINK_SMTPS[wronghost]}" tls=smtps
	run x1 "$C" digest --period "$WEEK"
	checko x1 "SMTPS to a certificate for another host name: exit 69" test "$rc" = 69
	check "... says why (certificate or host name)" has x1 "certificate\|host name"
	check "... neither sent anything" test "$(sink_count wronghost)" = 0
	check "... nor tried AUTH (the password stays here)" \
		sh -c "! grep -q '^auth ' '$WH/sessions.log'"
	check "... the digests stay queued" \
		test "$(sql "$D" "select count(*) from outbox where state='queued'")" = 3
	sink_stop wronghost
else
	notok "a sink with a wrong-host certificate starts"
fi

# --- N: plain text to a host that is not loopback: refused unless
# allow_plaintext, before connecting ----------------------------------------
scenario n n.example url="smtp://mail.example.org:2525" tls=none ca_file=
run n1 "$C" digest --period "$WEEK"
checko n1 "tls = none to a non-loopback host: refused (exit 78)" test "$rc" = 78
check "... saying so" has n1 "plain text"
check "... the digests stay queued" \
	test "$(sql "$D" "select count(*) from outbox where state='queued'")" = 3

# --- F: SMTPS (implicit TLS) --------------------------------------------
scenario f f.example url="smtps://127.0.0.1:${SINK_SMTPS[main]}" tls=smtps
run f1 "$C" digest --period "$WEEK"
checko f1 "SMTPS with the test CA delivers (exit 0)" test "$rc" = 0
check "... to the right recipients" \
	test "$(rcpts main f.example)" = "$(expect ann@f.example bob@f.example dan@f.example)"

# --- G: plain text to 127.0.0.1 -----------------------------------------
scenario g g.example url="smtp://127.0.0.1:${SINK_PORT[plain]}" tls=none \
	ca_file= user= password_file=
run g1 "$C" digest --period "$WEEK"
checko g1 "tls = none to 127.0.0.1 delivers (exit 0)" test "$rc" = 0
check "... to the right recipients" \
	test "$(rcpts plain g.example)" = "$(expect ann@g.example bob@g.example dan@g.example)"
check "... without STARTTLS" sh -c "! grep -q '^tls ' '${SINK_DIR[plain]}/sessions.log'"

# --- H, L: the config forms of the brief (from with a display name,
# list_id as a bare id): either they work, or check-config refuses them
# up front as FILE:LINE; not "ok" from check-config and then a failed run
scenario h h.example from="Branch Digest <digest@example.org>"
run h0 "$C" check-config
if [ "$rc" != 0 ]; then
	check "from = 'Branch Digest <digest@example.org>' refused by check-config as FILE:LINE" \
		grep -q "$C:[0-9]" "$T/h0.out" "$T/h0.err"
else
	run h1 "$C" digest --period "$WEEK"
	checko h1 "from = 'Branch Digest <digest@example.org>' passes check-config, so digest delivers (exit 0)" test "$rc" = 0
	check "... with the bare address as envelope sender" \
		eval 'f=$(files main h.example | head -n 1); test -n "$f" && head -n 1 "$f" | grep -q "^X-Envelope-From: <digest@example.org>"'
fi
scenario l l.example digest.list_id=probation.example.org
run l0 "$C" check-config
if [ "$rc" != 0 ]; then
	check "list_id = probation.example.org refused by check-config as FILE:LINE" \
		grep -q "$C:[0-9]" "$T/l0.out" "$T/l0.err"
else
	run l1 "$C" digest --period "$WEEK"
	checko l1 "list_id = probation.example.org passes check-config, so digest delivers (exit 0)" test "$rc" = 0
	check "... as List-Id: <probation.example.org>" \
		eval 'f=$(files main l.example | head -n 1); test -n "$f" && grep -qi "^List-Id:.*<probation.example.org>" "$f"'
fi

# --- M: the connection dropped mid-DATA: deferred, the rest still sent --
scenario m m.example
sink_control main "drop_after = $(($(sink_count main) + 1))"
run m1 "$C" digest --period "$WEEK"
checko m1 "a connection dropped during DATA: digest exits 75 (EX_TEMPFAIL)" test "$rc" = 75
check "... the digests after the drop still go out (on a new connection)" \
	test "$(rcpts main m.example | wc -l)" = 2
sink_control main
sql "$D" "update outbox set next_try = 0 where state = 'queued'"
run m2 "$C" send
checko m2 "... and the dropped one is sent by the next due send" test "$rc" = 0
check "... once each" \
	test "$(rcpts main m.example)" = "$(expect ann@m.example bob@m.example dan@m.example)"

# --- K: kill -9 during a 300-digest send, then re-run -------------------
scenario k k.example
for i in $(seq -w 1 300); do
	$BULLETIN --config "$C" subscriber add "s$i@k.example" --categories all >/dev/null || break
done
check "harness: 300 more subscribers added" \
	test "$($BULLETIN --config "$C" subscriber list | grep -c '@k.example')" = 304
sink_control main "data_delay = 0.01"
# bulletin runs in a subshell whose stderr is discarded, so that bash's
# "Killed" notice stays out of the TAP stream
(
	$BULLETIN --config "$C" digest --period "$WEEK" >"$T/k1.out" 2>"$T/k1.err" &
	echo $! >"$T/k1.pid"
	wait
) 2>/dev/null &
spid=$!
for i in $(seq 50); do [ -s "$T/k1.pid" ] && break; sleep 0.05; done
kpid=$(cat "$T/k1.pid")
for i in $(seq 600); do
	[ "$(files main k.example | wc -l)" -ge 60 ] && break
	kill -0 "$kpid" 2>/dev/null || break
	sleep 0.05
done
killed=0
if kill -0 "$kpid" 2>/dev/null; then kill -KILL "$kpid" && killed=1; fi
wait "$spid"
got=$(files main k.example | wc -l)
check "harness: bulletin digest killed part-way ($got of 303 delivered)" \
	sh -c "test $killed = 1 && test $got -lt 303"
sink_control main
run k2 "$C" send
checko k2 "send after the kill exits 0" test "$rc" = 0
run k3 "$C" digest --period "$WEEK"
checko k3 "digest after the kill exits 0" test "$rc" = 0
rcpts main k.example >"$T/k.rcpts"
dups=$(uniq -d "$T/k.rcpts" | wc -l)
check "every subscriber got a digest (303 = 300 + ann, bob, dan)" \
	test "$(sort -u "$T/k.rcpts" | wc -l)" = 303
check "at most one duplicate (the message in flight at the kill): $dups" \
	test "$dups" -le 1

# --- the password in no output ------------------------------------------
check "the SMTP password appears in no output of bulletin" \
	sh -c "! cat '$T'/*.out '$T'/*.err | grep -qF -- '$SRV_PW'"
check "... nor in what the sink received or logged" \
	sh -c "! grep -rqF -- '$SRV_PW' '$MAIN/mail' '$MAIN/sessions.log' '$MAIN/sink.out'"
check "... nor in the store" \
	sh -c "! grep -aqF -- '$SRV_PW' '$T'/*.db"

done_testing
