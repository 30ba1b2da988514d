#!/bin/bash
# campaign.sh - the fault campaign: bulletin against a real Dovecot and a
# real SMTP sink (tests/e2e/servers.sh) while things break, counting what
# was lost, doubled or crashed.  `make faults` runs it in full; `make
# check` runs a short version (tests/e2e/faults.sh).  Speaks TAP and ends
# with a table: fault, runs, messages lost, duplicates, documented-window
# duplicates, crashes.
#
#   kill -9 of `bulletin run` (fetch + forwards + send), of `bulletin
#     digest` and of `bulletin send` at random moments, each followed by a
#     clean re-run; every round starts from a copy of the same store, so
#     each kill lands somewhere in a complete large sync or send
#   the IMAP server stopped (TERM) or killed (KILL) mid-fetch, then
#     restarted; the imap process that serves us stalled (SIGSTOP) shorter
#     and longer than [imap] timeout
#   the SMTP server dropping the connection mid-DATA (before and after
#     storing the message), answering 421/451/452/550/554 to DATA
#   a full file system under the store (a tmpfs mounted here) during a
#     fetch and during a send
#   two runs at once, a digest during a fetch (the store lock)
#
# "lost": owed and never stored / delivered.  "duplicates": stored or
# delivered more than once, outside the documented window.  "window": a
# second delivery of a message the server had accepted before the sent
# mark was committed (README, "At most one duplicate, and only after a
# crash"): counted apart, at most one per kill.  "crashes": runs that
# ended on a signal we did not send, or with a sanitizer report.
#
# Environment: BULLETIN (the binary), FAULTS_KILLS (kills of run, and of
# digest + send together; default 50), FAULTS_MSGS (messages in the
# mailbox, default 3000), FAULTS_SUBS (digest subscribers, default 1000),
# FAULTS_SEED (random seed, default: the time), FAULTS_TABLE (a file for
# the table too).  Needs root for the tmpfs (else that case is skipped).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. tests/e2e/lib.sh
. tests/e2e/servers.sh
srv_require
sink_require

KILLS=${FAULTS_KILLS:-50}
MSGS=${FAULTS_MSGS:-3000}
SUBS=${FAULTS_SUBS:-1000}
SEED=${FAULTS_SEED:-$(date +%s)}
RANDOM=$SEED
PY=/usr/bin/python3
TALLY="$PY tests/faults/tally.py"
wait_day_end
WEEK=$(date -u +%G-W%V)
echo "# fault campaign: $KILLS kills, $MSGS messages, $SUBS subscribers, seed $SEED"

if ! srv_init || ! srv_add_user big || ! srv_start main; then
	notok "test Dovecot starts"
	done_testing
	exit 1
fi
PW=$SRV/smtp.pw
(umask 077 && printf '%s\n' "$SRV_PW" >"$PW")
if ! sink_start main --require-starttls --auth exact --user bulletin \
	--password-file "$PW"; then
	notok "test SMTP sink starts"
	done_testing
	exit 1
fi
SINK=${SINK_DIR[main]}

# --- the table -------------------------------------------------------------
section() { echo "# [${SECONDS}s] $*"; }
FAULTS=()
declare -A F_RUNS F_LOST F_DUP F_WIN F_CRASH
fault() {	# NAME: the row further counts go to
	FAULT=$1
	if [ -z "${F_RUNS[$FAULT]+x}" ]; then
		FAULTS+=("$FAULT")
		F_RUNS[$FAULT]=0 F_LOST[$FAULT]=0 F_DUP[$FAULT]=0
		F_WIN[$FAULT]=0 F_CRASH[$FAULT]=0
	fi
}
add() {	# lost dups window
	F_LOST[$FAULT]=$((F_LOST[$FAULT] + $1))
	F_DUP[$FAULT]=$((F_DUP[$FAULT] + $2))
	F_WIN[$FAULT]=$((F_WIN[$FAULT] + $3))
}
# crashed NAME RC [KILLED]: a run's end; a signal we did not send or a
# sanitizer's report is a crash
crashed() {
	local name=$1 rc=$2 killed=${3:-0}
	F_RUNS[$FAULT]=$((F_RUNS[$FAULT] + 1))
	if { [ "$rc" -ge 128 ] && ! { [ "$killed" = 1 ] && [ "$rc" = 137 ]; }; } ||
		grep -qE 'AddressSanitizer|runtime error:|LeakSanitizer|Segmentation|Aborted' \
			"$T/$name.err" 2>/dev/null; then
		F_CRASH[$FAULT]=$((F_CRASH[$FAULT] + 1))
		echo "# CRASH in $name (exit $rc):"
		sed 's/^/#   /' "$T/$name.err" | head -n 20
		return 0
	fi
	return 1
}

# --- helpers ---------------------------------------------------------------
# run NAME CONF ARGS...: bulletin in the foreground; status in $rc
run() {
	local name=$1 conf=$2
	shift 2
	$BULLETIN --config "$conf" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	crashed "$name" "$rc"
}
# start NAME CONF ARGS...: bulletin in the background, PID in $bg
start() {
	local name=$1 conf=$2
	shift 2
	$BULLETIN --config "$conf" "$@" >"$T/$name.out" 2>"$T/$name.err" &
	bg=$!
	srv_track "$bg"
}
# finish NAME PID [KILLED]: wait for it; status in $rc
finish() {
	wait "$2" 2>/dev/null
	rc=$?
	crashed "$1" "$rc" "${3:-0}"
}
# kill_at NAME MS: kill -9 $bg after MS milliseconds; $killed = 1 when it
# was still running then
kill_at() {
	sleep "$(printf '%d.%03d' $(($2 / 1000)) $(($2 % 1000)))"
	killed=0
	if kill -0 "$bg" 2>/dev/null; then
		kill -KILL "$bg" 2>/dev/null && killed=1
	fi
	finish "$1" "$bg" "$killed"
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
rand_ms() { echo $(((RANDOM * 32768 + RANDOM) % ($1 + 1))); }	# 0..MAX
sql() { sqlite3 "$1" "$2" 2>/dev/null; }
intact() { [ "$(sql "$1" 'pragma integrity_check')" = ok ]; }
# BASE DB: a copy of the store BASE, with its raw file (messages, items' text)
fresh() {
	rm -f "$2" "$2-wal" "$2-shm" "$2.lock" "$2.raw"
	cp "$1" "$2" && { [ ! -e "$1.raw" ] || cp "$1.raw" "$2.raw"; }
}
seq_now() { $TALLY seq "$SINK"; }
has() { grep -qi -- "$2" "$T/$1.err" "$T/$1.out"; }	# NAME REGEX
# store_tally DB: lost/dups against the mailbox ($T/ids); $s_lost $s_dup
store_tally() {
	set -- $($TALLY store "$1" "$T/ids")
	s_lost=$1 s_dup=$(($2 + $3))
}
# sent_tally DB FROM [--expect|--save FILE]: $o_owed $o_arrived $o_lost
# $o_dup $o_win $o_unsent (window from $T/win)
sent_tally() {
	local db=$1 from=$2
	shift 2
	set -- $($TALLY sent "$db" "$SINK" "$from" "$T/win" "$@")
	o_owed=$1 o_arrived=$2 o_lost=$3 o_dup=$4 o_win=$5 o_unsent=$6
}

# CONF NAME STORE [KEY=VALUE...]: a config with [imap] (user big, batch
# 50) and [smtp] (the sink, STARTTLS + AUTH); imap.KEY, smtp.KEY, store.KEY
# override or add keys
conf() {
	local file=$T/$1.conf store=$2 kv
	shift 2
	declare -A c=(
		[imap.host]=127.0.0.1 [imap.port]=${SRV_IMAPS[main]} [imap.tls]=imaps
		[imap.ca_file]=$SRV_CA [imap.user]=big [imap.password_file]=$PW
		[imap.folders]=INBOX [imap.timeout]=10 [imap.batch]=50
		[smtp.url]=smtp://127.0.0.1:${SINK_PORT[main]} [smtp.tls]=starttls
		[smtp.ca_file]=$SRV_CA [smtp.user]=bulletin [smtp.password_file]=$PW
		[smtp.from]="Branch Digest <digest@example.org>" [smtp.timeout]=10
		[digest.templates]=templates [digest.name]="Probation Bulletin"
		[digest.list_id]=probation.example.org
	)
	for kv in "$@"; do c[${kv%%=*}]=${kv#*=}; done
	{
		printf '[store]\npath = %s\n' "$store"
		for k in "${!c[@]}"; do
			case $k in store.*) [ -n "${c[$k]}" ] && printf '%s = %s\n' "${k#*.}" "${c[$k]}" ;; esac
		done
		printf '[rules]\ndir = filters\n'
		local s k
		for s in imap smtp digest; do
			printf '[%s]\n' "$s"
			for k in "${!c[@]}"; do
				case $k in $s.*) [ -n "${c[$k]}" ] && printf '%s = %s\n' "${k#*.}" "${c[$k]}" ;; esac
			done
		done
	} >"$file"
	CONF=$file
}

# --- the mailbox and the base stores ------------------------------------------
# bench/gen_corpus.py: bulletins of every shape (alternative, HTML-only,
# base64, windows-1252, forwards, attachments) that the rules label, so
# that instant subscribers are owed forwards
python3 bench/gen_corpus.py "$T/corpus" "$MSGS" 4 "$SEED" >/dev/null 2>&1
srv_fill big INBOX "$T/corpus/maildir/cur"
srv_fill big INBOX "$T/corpus/maildir/new"
rm -rf "$T/corpus"
srv_message_ids big INBOX | sed 's/^<//; s/>$//' >"$T/ids"
check "harness: INBOX holds $MSGS messages" \
	test "$(srv_status big INBOX messages)" = "$MSGS" -a "$(wc -l <"$T/ids")" = "$MSGS"

# run base: two instant subscribers and three weekly ones
conf runbase "$T/runbase.db"
RUNCONF=$CONF
for a in "inst1@i.example --categories pac --instant pac" \
	"inst2@i.example --categories nao,hmip --instant nao,hmip" \
	"week1@w.example --categories all" "week2@w.example --categories nao" \
	"week3@w.example --categories pac,hmip"; do
	$BULLETIN --config "$RUNCONF" subscriber add $a >/dev/null || echo "# cannot add $a"
done
# digest base: the sample inbox and $SUBS weekly subscribers to all (one
# added with the CLI, the rest copied from it in SQL: 1000 CLI runs would
# take longer than the campaign)
conf digbase "$T/digbase.db"
DIGCONF=$CONF
$BULLETIN --config "$DIGCONF" ingest tests/fixtures/inbox >/dev/null 2>&1
$BULLETIN --config "$DIGCONF" subscriber add d00000@d.example --categories all >/dev/null
sql "$T/digbase.db" "
INSERT INTO subscribers (address, name, confirmed, token, created, changed)
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $SUBS - 1)
  SELECT printf('d%05d@d.example', i), '', 1, lower(hex(randomblob(16))),
         s.created, s.changed FROM n, subscribers s WHERE s.address = 'd00000@d.example';
INSERT INTO subscriptions (subscriber, category, mode)
  SELECT s.id, x.category, x.mode FROM subscribers s, subscriptions x
  WHERE x.subscriber = (SELECT id FROM subscribers WHERE address = 'd00000@d.example')
    AND s.address != 'd00000@d.example';"
check "harness: $SUBS digest subscribers" \
	test "$(sql "$T/digbase.db" 'select count(*) from subscribers')" = "$SUBS"
# the same store with the SMTP server away: queues without sending
conf digdead "$T/digbase.db" smtp.url=smtp://127.0.0.1:1 smtp.tls=none \
	smtp.ca_file= smtp.user= smtp.password_file=
DEADCONF=$CONF

# --- 1. kill -9 of bulletin run ------------------------------------------------
section "kill -9 of run"
# a clean run first: what is owed, and how long a whole run takes
fault "kill -9 bulletin run (sync + forwards + send)"
conf run "$T/run.db"
C=$CONF
fresh "$T/runbase.db" "$T/run.db"
: >"$T/win"
from=$(($(seq_now) + 1))
t0=$(now_ms)
run run0 "$C" run
DUR=$(($(now_ms) - t0))
check "clean run: exit 0 in ${DUR} ms" test "$rc" = 0
store_tally "$T/run.db"
sent_tally "$T/run.db" "$from" --save "$T/run.owed"
check "clean run: the mailbox stored once ($s_lost lost, $s_dup duplicates)" \
	test "$s_lost" = 0 -a "$s_dup" = 0
check "clean run: $o_owed forwards owed, all delivered once" \
	test "$o_owed" -gt 0 -a "$o_lost" = 0 -a "$o_dup" = 0 -a "$o_unsent" = 0
bad=0
for r in $(seq "$KILLS"); do
	fresh "$T/runbase.db" "$T/run.db"
	from=$(($(seq_now) + 1))
	ms=$(rand_ms "$DUR")
	start "runk$r" "$C" run
	kill_at "runk$r" "$ms"
	$TALLY window "$T/run.db" "$SINK" "$from" "$T/win" >"$T/win.n"
	at=$(sql "$T/run.db" 'select count(*) from messages')
	ok_db=1; intact "$T/run.db" || ok_db=0
	run "runr$r" "$C" run
	store_tally "$T/run.db"
	sent_tally "$T/run.db" "$from" --expect "$T/run.owed"
	add $((s_lost + o_lost)) $((s_dup + o_dup)) "$o_win"
	echo "# run kill $r at ${ms} ms (killed=$killed): $at stored; re-run exit $rc:" \
		"store lost $s_lost dup $s_dup; forwards owed $o_owed lost $o_lost dup $o_dup window $o_win"
	if [ "$ok_db" = 0 ] || [ "$rc" != 0 ] || [ "$s_lost$s_dup$o_lost$o_dup" != 0000 ] ||
		[ "$o_win" -gt 1 ] || ! intact "$T/run.db"; then
		bad=$((bad + 1))
		sed 's/^/#   /' "$T/runr$r.err" | head -n 5
	fi
done
check "kill -9 of run at $KILLS random moments: integrity ok, re-run exits 0, nothing lost or doubled" \
	test "$bad" = 0

# --- 2. kill -9 of bulletin digest, and of bulletin send -----------------------
section "kill -9 of digest and send"
fault "kill -9 bulletin digest (render + queue + send)"
conf dig "$T/dig.db"
C=$CONF
conf digq "$T/dig.db" smtp.url=smtp://127.0.0.1:1 smtp.tls=none \
	smtp.ca_file= smtp.user= smtp.password_file=
CQ=$CONF
fresh "$T/digbase.db" "$T/dig.db"
: >"$T/win"
from=$(($(seq_now) + 1))
t0=$(now_ms)
run dig0 "$C" digest --period "$WEEK"
DDUR=$(($(now_ms) - t0))
sent_tally "$T/dig.db" "$from" --save "$T/dig.owed"
check "clean digest: exit 0 in ${DDUR} ms, $o_owed digests owed ($SUBS subscribers), each delivered once" \
	test "$rc" = 0 -a "$o_owed" = "$SUBS" -a "$o_lost" = 0 -a "$o_dup" = 0
# the queue step alone (no server), then a clean send: its duration
fresh "$T/digbase.db" "$T/dig.db"
run digq0 "$CQ" digest --period "$WEEK"
sql "$T/dig.db" "update outbox set next_try = 0, attempts = 0"
from=$(($(seq_now) + 1))
t0=$(now_ms)
run send0 "$C" send
SDUR=$(($(now_ms) - t0))
sent_tally "$T/dig.db" "$from" --expect "$T/dig.owed"
check "clean send of $SUBS queued digests: exit 0 in ${SDUR} ms, each delivered once" \
	test "$rc" = 0 -a "$o_lost" = 0 -a "$o_dup" = 0
fault "kill -9 bulletin send"
fault "kill -9 bulletin digest (render + queue + send)"
bad=0
for r in $(seq "$KILLS"); do
	fresh "$T/digbase.db" "$T/dig.db"
	if [ $((r % 2)) = 1 ]; then
		fault "kill -9 bulletin digest (render + queue + send)"
		cmd="digest --period $WEEK" dur=$DDUR
	else
		fault "kill -9 bulletin send"
		run "digq$r" "$CQ" digest --period "$WEEK"
		sql "$T/dig.db" "update outbox set next_try = 0, attempts = 0"
		cmd=send dur=$SDUR
	fi
	from=$(($(seq_now) + 1))
	ms=$(rand_ms "$dur")
	start "digk$r" "$C" $cmd
	kill_at "digk$r" "$ms"
	$TALLY window "$T/dig.db" "$SINK" "$from" "$T/win" >/dev/null
	queued=$(sql "$T/dig.db" "select count(*) from outbox where state = 'queued'")
	ok_db=1; intact "$T/dig.db" || ok_db=0
	run "digr$r" "$C" $cmd
	sent_tally "$T/dig.db" "$from" --expect "$T/dig.owed"
	add "$o_lost" "$o_dup" "$o_win"
	echo "# ${cmd%% *} kill $r at ${ms} ms (killed=$killed): $queued still queued; re-run exit $rc:" \
		"owed $o_owed arrived $o_arrived lost $o_lost dup $o_dup window $o_win"
	if [ "$ok_db" = 0 ] || [ "$rc" != 0 ] || [ "$o_lost$o_dup$o_unsent" != 000 ] ||
		[ "$o_win" -gt 1 ] || ! intact "$T/dig.db"; then
		bad=$((bad + 1))
		sed 's/^/#   /' "$T/digr$r.err" | head -n 5
	fi
done
check "kill -9 of digest / send at $KILLS random moments: integrity ok, re-run exits 0, every digest delivered, at most the window doubled" \
	test "$bad" = 0

# --- 3. the IMAP server stopped, restarted, stalled --------------------------
section "IMAP server faults"
# wait_rows DB PID: until DB holds a message (0) or PID is gone (1)
wait_rows() {
	local i
	for i in $(seq 3000); do
		kill -0 "$2" 2>/dev/null || return 1
		[ "$(sql "$1" 'select count(*) from messages')" -gt 0 ] 2>/dev/null && return 0
		sleep 0.01
	done
	return 1
}
# after_all NAME [DB]: the store = the mailbox, each forward delivered
# once since $from; adds to the row; 0 when all is well
after_all() {
	local db=${2:-$T/$1.db}
	store_tally "$db"
	sent_tally "$db" "$from" --expect "$T/run.owed"
	add $((s_lost + o_lost)) $((s_dup + o_dup)) "$o_win"
	echo "# $1: store lost $s_lost dup $s_dup; forwards lost $o_lost dup $o_dup window $o_win unsent $o_unsent"
	[ "$s_lost$s_dup$o_lost$o_dup$o_unsent" = 00000 ] && intact "$db"
}

# the imap process that serves our connection (not the master, not
# imap-login): a child of the Dovecot master we started
imap_child() {
	ps -o pid=,comm= --ppid "${SRV_PID[main]}" 2>/dev/null | awk '$2 == "imap" { print $1 }'
}
# wait_busy DB PID: until DB holds a message while PID still runs and
# our imap process is there (its PID in $kids); 1 when PID ended first
wait_busy() {
	local i
	kids=""
	for i in $(seq 3000); do
		kill -0 "$2" 2>/dev/null || return 1
		[ -n "$kids" ] || kids=$(imap_child)
		if [ -n "$kids" ] && [ "$(sql "$1" 'select count(*) from messages')" -gt 0 ] 2>/dev/null; then
			return 0
		fi
		sleep 0.01
	done
	return 1
}

# stopkill NAME HOW: `run` with the server stopped (TERM: Dovecot's
# own shutdown) or killed (KILL, master and children) once the first
# batch is stored; then a run while it is down, a restart and a re-run
stopkill() {
	local nm=$1 how=$2 w=0
	conf "$nm" "$T/$nm.db"
	fresh "$T/runbase.db" "$T/$nm.db"
	: >"$T/win"
	from=$(($(seq_now) + 1))
	start "${nm}1" "$CONF" run
	wait_busy "$T/$nm.db" "$bg" || w=1
	# at once, by PID: the fetch is quick
	if [ "$how" = TERM ]; then
		kill -TERM "${SRV_PID[main]}"
		srv_stop main
	else
		kill -KILL "${SRV_PID[main]}" $kids
		srv_kill9 main
	fi
	finish "${nm}1" "$bg"
	echo "# $nm: server $how mid-fetch: run exit $rc, $(sql "$T/$nm.db" 'select count(*) from messages') stored; $(head -n 1 "$T/${nm}1.err")"
	if [ "$w" = 1 ]; then
		ok "server $how mid-fetch # SKIP the run had finished first"
	elif [ "$how" = TERM ]; then
		# Dovecot lets a running session finish: 0, or 69 if it did not
		check "server stopped (TERM) mid-fetch: run exits 0 or 69 ($rc)" \
			eval 'test "$rc" = 0 || { test "$rc" = 69 && has "${nm}1" "lost\|closed\|connect"; }'
	else
		check "server killed mid-fetch: run exits 69 ($rc)" test "$rc" = 69
		check "... saying the connection was lost" has "${nm}1" 'lost\|closed\|eof\|reset'
	fi
	check "... the store is intact" intact "$T/$nm.db"
	run "${nm}2" "$CONF" run
	check "run while the server is down: exit 69 ($rc)" test "$rc" = 69
	check "... with a clear error" has "${nm}2" 'connect'
	if srv_start main; then ok "Dovecot restarted"; else notok "Dovecot restarted"; fi
	run "${nm}3" "$CONF" run
	check "after the restart: run exits 0" test "$rc" = 0
	check "after the restart: mailbox stored once, forwards delivered once" after_all "$nm"
}
fault "IMAP server stopped or killed mid-fetch, restarted"
stopkill stop TERM
stopkill kill KILL

# stall NAME SECS TIMEOUT: run `run` with [imap] timeout TIMEOUT, SIGSTOP
# our imap process for SECS once the first batch is stored
stall() {
	local name=$1 secs=$2 to=$3 i
	conf "$name" "$T/$name.db" imap.timeout="$to"
	fresh "$T/runbase.db" "$T/$name.db"
	: >"$T/win"
	from=$(($(seq_now) + 1))
	start "${name}1" "$CONF" fetch
	stalled=0 t0=$(now_ms) t1=""
	if wait_busy "$T/$name.db" "$bg"; then
		kill -STOP $kids && stalled=1
		t0=$(now_ms)
		# stalled for SECS whatever happens; when did fetch give up?
		for i in $(seq $((secs * 10))); do
			[ -z "$t1" ] && ! kill -0 "$bg" 2>/dev/null && t1=$(now_ms)
			sleep 0.1
		done
		kill -CONT $kids
	fi
	finish "${name}1" "$bg"
	took=$((${t1:-$(now_ms)} - t0))
	rc1=$rc
	echo "# $name: imap process(es) '$(echo $kids)' stopped $secs s (timeout $to): exit $rc1 after ${took} ms"
}
fault "IMAP process stalled (SIGSTOP) mid-FETCH"
stall stall 2 10
if [ "$stalled" = 1 ]; then
	check "imap process stalled 2 s (timeout 10): fetch waits it out, exit 0" test "$rc1" = 0
else
	ok "imap process stalled 2 s # SKIP no imap process found mid-fetch (finished first?)"
fi
run stall2 "$CONF" run
check "... a re-run completes: mailbox stored once, forwards once" after_all stall
stall stallto 10 2
if [ "$stalled" = 1 ]; then
	check "imap process stalled 10 s (timeout 2): fetch exits 69 (exit $rc1)" test "$rc1" = 69
	# measured: about twice [imap] timeout (4.1 s for 2), never the
	# whole stall
	check "... well before the stall ends (${took} ms)" test "$took" -lt 7000
	check "... saying it timed out" has stallto1 'time'
else
	ok "imap process stalled 10 s # SKIP no imap process found mid-fetch (finished first?)"
fi
run stallto2 "$CONF" run
check "... a re-run completes: mailbox stored once, forwards once" after_all stallto

# --- 4. the SMTP server misbehaving --------------------------------------------
section "SMTP server faults"
# a small digest store: the sample inbox, subscribers a, b, c @DOMAIN
conf smtpbase "$T/smtpbase.db"
$BULLETIN --config "$CONF" ingest tests/fixtures/inbox >/dev/null 2>&1
for u in a b c; do
	$BULLETIN --config "$CONF" subscriber add "$u@s.example" --categories all >/dev/null
done
conf smtp "$T/smtp.db"
C=$CONF
fresh "$T/smtpbase.db" "$T/smtp.db"
: >"$T/win"
from=$(($(seq_now) + 1))
run smtp0 "$C" digest --period "$WEEK"
sent_tally "$T/smtp.db" "$from" --save "$T/smtp.owed"
check "harness: a clean digest to a, b, c (exit $rc, $o_owed owed)" test "$rc" = 0 -a "$o_owed" = 3
# smtp_fault NAME CONTROL...: digest with the sink told CONTROL, then the
# sink healed, retries made due, send; prints what was seen
smtp_fault() {
	local name=$1
	shift
	fresh "$T/smtpbase.db" "$T/smtp.db"
	: >"$T/win"
	from=$(($(seq_now) + 1))
	sink_control main "$@"
	run "${name}1" "$C" digest --period "$WEEK"
	rc1=$rc
	$TALLY window "$T/smtp.db" "$SINK" "$from" "$T/win" >/dev/null
	sink_control main
	intact1=0; intact "$T/smtp.db" && intact1=1
	state1=$(sql "$T/smtp.db" "select group_concat(rcpt || ':' || state || ':' || substr(reply, 1, 3), ' ') from outbox")
	sql "$T/smtp.db" "update outbox set next_try = 0 where state = 'queued'"
	run "${name}2" "$C" send
	rc2=$rc
	echo "# $name: first run exit $rc1 ($state1), then send exit $rc2"
}
for code in 421 451 452; do
	fault "SMTP $code to DATA"
	smtp_fault "smtp$code" "tempfail = b@s.example" "tempfail_code = $code" "reject_at = data"
	check "$code to DATA: digest exits 75, the others delivered, the store intact" \
		test "$rc1" = 75 -a "$intact1" = 1
	check "... the reply ($code) is reported" has "smtp${code}1" "$code"
	sent_tally "$T/smtp.db" "$from" --expect "$T/smtp.owed"
	add "$o_lost" "$o_dup" "$o_win"
	check "... the next due send delivers it: all 3 once (lost $o_lost, dup $o_dup)" \
		test "$rc2" = 0 -a "$o_lost" = 0 -a "$o_dup" = 0 -a "$o_win" = 0
done
for code in 550 554; do
	fault "SMTP $code to DATA"
	smtp_fault "smtp$code" "permfail = b@s.example" "permfail_code = $code" "reject_at = data"
	check "$code to DATA: digest exits 65, the store intact" \
		test "$rc1" = 65 -a "$intact1" = 1
	check "... the reply ($code) is reported and kept in outbox.reply" \
		eval 'has "smtp${code}1" "$code" && test "$(sql "$T/smtp.db" "select substr(reply, 1, 3) from outbox where rcpt = '"'b@s.example'"' and state = '"'failed'"'")" = '"$code"
	sent_tally "$T/smtp.db" "$from" --expect "$T/smtp.owed"
	# b's digest was refused by the server: failed by design, not lost
	add $((o_lost - 1)) "$o_dup" "$o_win"
	check "... a and c delivered once, b not retried (lost $((o_lost - 1)), dup $o_dup)" \
		test "$rc2" = 0 -a "$o_lost" = 1 -a "$o_dup" = 0 -a "$o_arrived" = 2
done
fault "SMTP connection dropped mid-DATA"
smtp_fault drop "drop_after = $(sink_count main)" "drop_count = 1"
check "dropped mid-DATA: digest exits 75, store intact" test "$rc1" = 75 -a "$intact1" = 1
sent_tally "$T/smtp.db" "$from" --expect "$T/smtp.owed"
add "$o_lost" "$o_dup" "$o_win"
check "... the next due send delivers it: all 3 once (lost $o_lost, dup $o_dup)" \
	test "$rc2" = 0 -a "$o_lost" = 0 -a "$o_dup" = 0
fault "SMTP connection dropped after DATA stored (lost 250)"
smtp_fault dropst "drop_after = $(sink_count main)" "drop_count = 2" "drop_store = 1"
check "dropped after the sink stored it: digest exits 75, store intact" \
	test "$rc1" = 75 -a "$intact1" = 1
sent_tally "$T/smtp.db" "$from" --expect "$T/smtp.owed"
add "$o_lost" "$o_dup" "$o_win"
check "... all 3 delivered; the unacknowledged one twice, counted as the window ($o_win)" \
	test "$rc2" = 0 -a "$o_lost" = 0 -a "$o_dup" = 0 -a "$o_win" = 1

# --- 5. a full file system under the store -----------------------------------
section "full disk"
fault "full disk under the store (tmpfs)"
DISK=$T/disk
mkdir -p "$DISK"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=1m,mode=0755 bulletin-faults "$DISK" 2>"$T/mount.err"; then
	# unmounted by the EXIT trap too (chained in front of the others)
	prev=$(trap -p EXIT)
	eval "set -- ${prev#trap -- }"
	trap "umount '$DISK' 2>/dev/null; $1" EXIT
	conf disk "$DISK/disk.db"
	C=$CONF
	fresh "$T/runbase.db" "$DISK/disk.db" 2>/dev/null || true
	: >"$T/win"
	from=$(($(seq_now) + 1))
	run disk1 "$C" run
	echo "# store on a 1 MB tmpfs: run exit $rc, $(sql "$DISK/disk.db" 'select count(*) from messages') stored"
	head -n 3 "$T/disk1.err" | sed 's/^/#   /'
	check "fetch into a full file system: non-zero exit, not a crash ($rc)" \
		test "$rc" != 0 -a "$rc" -lt 128
	check "... says the disk is full" has disk1 'full\|space'
	check "... the store is intact" intact "$DISK/disk.db"
	mount -o remount,size=256m "$DISK"
	run disk2 "$C" run
	check "with room again, run exits 0" test "$rc" = 0
	check "... mailbox stored once, forwards delivered once" after_all disk "$DISK/disk.db"
	# the sent marks: queue while there is room, then fill the disk and send
	rm -f "$DISK"/*
	conf diskq "$DISK/dq.db" smtp.url=smtp://127.0.0.1:1 smtp.tls=none \
		smtp.ca_file= smtp.user= smtp.password_file=
	fresh "$T/digbase.db" "$DISK/dq.db"
	run diskq1 "$CONF" digest --period "$WEEK"
	sql "$DISK/dq.db" "update outbox set next_try = 0, attempts = 0; pragma wal_checkpoint(truncate)" >/dev/null
	conf disks "$DISK/dq.db"
	C=$CONF
	: >"$T/win"
	from=$(($(seq_now) + 1))
	# room for the shared-memory index and a few commits of the WAL
	# (32 KB pages), then none
	mount -o remount,size=$(($(stat -c %s "$DISK/dq.db") / 1024 + 1024))k "$DISK"
	avail=$(df -k --output=avail "$DISK" | tail -n 1)
	dd if=/dev/zero of="$DISK/filler" bs=4k count=$(((avail - 256) / 4)) 2>/dev/null
	run disks1 "$C" send
	echo "# send with 256 KB left: exit $rc, $(($(seq_now) - from + 1)) delivered"
	head -n 3 "$T/disks1.err" | sed 's/^/#   /'
	check "send with the disk full: exit 74 (EX_IOERR), not a crash ($rc)" \
		test "$rc" = 74
	check "... says the disk is full" has disks1 'full\|space'
	rm -f "$DISK/filler"
	mount -o remount,size=256m "$DISK"
	check "... the store is intact" intact "$DISK/dq.db"
	$TALLY window "$DISK/dq.db" "$SINK" "$from" "$T/win" >/dev/null
	run disks2 "$C" send
	sent_tally "$DISK/dq.db" "$from" --expect "$T/dig.owed"
	add "$o_lost" "$o_dup" "$o_win"
	check "with room again, send exits 0: every digest delivered (lost $o_lost), window $o_win, dup $o_dup" \
		test "$rc" = 0 -a "$o_lost" = 0 -a "$o_dup" = 0 -a "$o_win" -le 1
	umount "$DISK"
else
	for t in "fetch into a full file system" "send with the disk full"; do
		ok "$t # SKIP cannot mount a tmpfs here ($(head -c 80 "$T/mount.err" 2>/dev/null || echo 'not root'))"
	done
fi

# --- 6. two runs at once; a digest during a fetch --------------------------------
section "the store lock"
# the store lock ([store] lock_wait, mailer/lock.c): if this build has
# none, the cases still run and are reported, but as skips
has_lock=0
conf lockprobe "$T/lockprobe.db" store.lock_wait=1
$BULLETIN --config "$CONF" check-config >/dev/null 2>&1 && has_lock=1
fault "two runs at once"
conf two "$T/two.db"
C=$CONF
fresh "$T/runbase.db" "$T/two.db"
: >"$T/win"
from=$(($(seq_now) + 1))
start two1 "$C" run
p1=$bg
start two2 "$C" run
p2=$bg
finish two1 "$p1"
rc1=$rc
finish two2 "$p2"
rc2=$rc
echo "# two runs at once: exits $rc1 and $rc2$(grep -h 'another run holds' "$T/two1.err" "$T/two2.err" | sed 's/^/; /')"
if after_all two && [ "$rc1" = 0 ] && [ "$rc2" = 0 ]; then
	ok "two runs at once: both exit 0, mailbox stored once, forwards delivered once"
elif [ "$has_lock" = 0 ]; then
	ok "two runs at once # SKIP no store lock in this build (exits $rc1/$rc2, lost $s_lost/$o_lost, dup $s_dup/$o_dup)"
else
	notok "two runs at once: both exit 0, mailbox stored once, forwards delivered once"
fi
# a second run that gives up: lock_wait = 0 against a run held up by a
# slow sink
if [ "$has_lock" = 1 ]; then
	conf two0 "$T/two.db" store.lock_wait=0
	fresh "$T/runbase.db" "$T/two.db"
	sink_control main "data_delay = 0.2"
	from=$(($(seq_now) + 1))
	start twoa "$C" run
	pa=$bg
	wait_rows "$T/two.db" "$pa"
	run twob "$CONF" run
	rcb=$rc
	sink_control main
	finish twoa "$pa"
	check "lock_wait = 0 beside a running run: exits 0 at once" test "$rcb" = 0
	check "... printing 'another run holds ....lock; exiting'" \
		grep -q "another run holds .*two.db.lock.*exiting" "$T/twob.err" "$T/twob.out"
	run twoc "$C" run
	check "... and the first run plus a re-run leave everything once" after_all two
else
	ok "lock_wait = 0 beside a running run # SKIP no store lock in this build"
fi

fault "digest during a fetch"
conf dduring "$T/dduring.db"
C=$CONF
fresh "$T/runbase.db" "$T/dduring.db"
: >"$T/win"
from=$(($(seq_now) + 1))
start ddf "$C" fetch
pf=$bg
wait_rows "$T/dduring.db" "$pf"
run ddd "$C" digest --period "$WEEK"
rcd=$rc
finish ddf "$pf"
rcf=$rc
echo "# digest during a fetch: fetch exit $rcf, digest exit $rcd: $(grep -h '^sent' "$T/ddd.out")"
run ddr "$C" run
week=$(sql "$T/dduring.db" "select count(*) from outbox where kind = 'digest'")
got=$($TALLY sent "$T/dduring.db" "$SINK" "$from" - | awk '{ print $2 }')
store_tally "$T/dduring.db"
add "$s_lost" "$s_dup" 0
echo "# ... then run: exit $rc; $week digests queued; store lost $s_lost dup $s_dup"
dd_ok=0
[ "$rcf" = 0 ] && [ "$rcd" = 0 ] && [ "$rc" = 0 ] && [ "$s_lost$s_dup" = 00 ] &&
	[ "$week" = 3 ] && intact "$T/dduring.db" && dd_ok=1
# each weekly subscriber's digest once, with the items stored by then
dmsgs=$(sql "$T/dduring.db" "select count(*) from outbox where kind = 'digest' and state = 'sent'")
rcpts=$($TALLY sent "$T/dduring.db" "$SINK" "$from" - | awk '{ print $4 }')
add 0 "$rcpts" 0
if [ "$dd_ok" = 1 ] && [ "$dmsgs" = 3 ] && [ "$rcpts" = 0 ]; then
	ok "digest during a fetch: both exit 0, 3 digests delivered once, mailbox stored once"
elif [ "$has_lock" = 0 ]; then
	ok "digest during a fetch # SKIP no store lock in this build (exits $rcf/$rcd)"
else
	notok "digest during a fetch: both exit 0, 3 digests delivered once, mailbox stored once ($got)"
fi

# --- the password in no output ------------------------------------------------
check "the test password appears in no output of the campaign" \
	sh -c "! cat '$T'/*.out '$T'/*.err | grep -qF -- '$SRV_PW'"

# --- the table ------------------------------------------------------------------
section "the table"
table() {
	local f tot=0 tl=0 td=0 tw=0 tc=0
	printf '| %-52s | %5s | %13s | %10s | %6s | %7s |\n' fault runs "messages lost" duplicates window crashes
	printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' $(seq 54))" "------:" "--------------:" "-----------:" "-------:" "--------:"
	for f in "${FAULTS[@]}"; do
		printf '| %-52s | %5d | %13d | %10d | %6d | %7d |\n' "$f" "${F_RUNS[$f]}" \
			"${F_LOST[$f]}" "${F_DUP[$f]}" "${F_WIN[$f]}" "${F_CRASH[$f]}"
		tot=$((tot + F_RUNS[$f])) tl=$((tl + F_LOST[$f])) td=$((td + F_DUP[$f]))
		tw=$((tw + F_WIN[$f])) tc=$((tc + F_CRASH[$f]))
	done
	printf '| %-52s | %5d | %13d | %10d | %6d | %7d |\n' total "$tot" "$tl" "$td" "$tw" "$tc"
	TOT_LOST=$tl TOT_DUP=$td TOT_CRASH=$tc
}
echo
echo "fault campaign, seed $SEED: $KILLS kills, $MSGS messages, $SUBS subscribers"
echo "(runs: bulletin processes started, killed ones included; window: documented duplicates, at most one per kill)"
table >"$T/table"
cat "$T/table"
[ -z "${FAULTS_TABLE:-}" ] || cp "$T/table" "$FAULTS_TABLE"
check "campaign: no message lost, none doubled outside the window, no crash" \
	test "$TOT_LOST$TOT_DUP$TOT_CRASH" = 000
done_testing
