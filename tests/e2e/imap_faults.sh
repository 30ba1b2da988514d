# imap_faults.sh - `bulletin fetch` when things break: the client killed
# (SIGKILL) in the middle of a 2000-message sync, the server killed in the
# middle of one, a server that never answers (timeout), a server that speaks
# no IMAP, a server that hangs up.  Afterwards every message is stored exactly
# once.  Uses the private Dovecot of servers.sh; skips (77) without
# dovecot-imapd/openssl unless CI=true.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. tests/e2e/lib.sh
. tests/e2e/servers.sh
srv_require
if ! srv_init || ! srv_add_user big || ! srv_add_user mover || ! srv_start main; then
	notok "test Dovecot starts"
	done_testing
	exit 1
fi
BIG=${IMAP_FAULTS_N:-2000}

run() {
	local name=$1 conf=$2
	shift 2
	$BULLETIN --config "$conf" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
}
count() { sqlite3 "$1" 'select count(*) from messages' 2>/dev/null || echo 0; }
dups() { sqlite3 "$1" 'select count(*) from (select message_id from messages group by message_id having count(*) > 1)' 2>/dev/null || echo none; }
# ids_match DB USER FOLDER: the store holds exactly that folder's messages,
# once each (compared by their top-level Message-ID)
ids_match() {
	srv_message_ids "$2" "$3" | sed 's/^<//; s/>$//' | sort >"$T/ids.srv"
	srv_store_ids "$1" >"$T/ids.db"
	if [ -s "$T/ids.srv" ] && cmp -s "$T/ids.srv" "$T/ids.db"; then return 0; fi
	diff "$T/ids.srv" "$T/ids.db" | head -n 6 | sed "s/^/# ids (server < > store): /"
	return 1
}
# fetch_bg NAME CONF: start `bulletin fetch` in the background, PID in $bg
fetch_bg() {
	$BULLETIN --config "$2" fetch >"$T/$1.out" 2>"$T/$1.err" &
	bg=$!
	srv_track "$bg"
}
# wait_rows DB PID SECS: wait until DB has a stored message (0) or PID is
# gone (1) or SECS passed (2)
wait_rows() {
	local i
	for i in $(seq $(($3 * 100))); do
		kill -0 "$2" 2>/dev/null || return 1
		[ "$(count "$1")" -gt 0 ] 2>/dev/null && return 0
		sleep 0.01
	done
	return 2
}
# wait_max PID SECS: wait for PID, at most SECS (then SIGKILL it); status in $rc, 124 = hung
wait_max() {
	local i
	for i in $(seq $(($2 * 10))); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		rc=124
		return
	fi
	wait "$1"
	rc=$?
}

srv_gen "$T/big" "$BIG" big
srv_fill big INBOX "$T/big"
check "harness: INBOX holds $BIG messages" test "$(srv_status big INBOX messages)" = "$BIG"

# --- bulletin fetch killed (SIGKILL) mid-sync, then re-run ---------------------
C=$T/kill.conf
srv_conf "$C" user=big batch=50
fetch_bg killed "$C"
wait_rows "$T/kill.db" "$bg" 60
w=$?
# a short random extra delay, so that the kill lands anywhere in a batch
sleep "0.0$((RANDOM % 5))"
# bulletin runs bulletin-fetch, which runs bulletin-work: they die with it
kids=$(pgrep -P "$bg"); kids="$kids $(for k in $kids; do pgrep -P "$k"; done)"
kill -KILL "$bg" 2>/dev/null
wait "$bg" 2>/dev/null
left=""
for i in $(seq 50); do
	left=""
	for k in $kids; do kill -0 "$k" 2>/dev/null && left="$left $k"; done
	[ -z "$left" ] && break
	sleep 0.1
done
check "no bulletin-fetch or bulletin-work outlives the killed fetch" test -z "$left"
for k in $left; do kill -KILL "$k" 2>/dev/null; done
at_kill=$(count "$T/kill.db")
echo "# fetch killed with $at_kill of $BIG stored (wait status $w)"
if [ "$w" = 0 ] && [ "$at_kill" -lt "$BIG" ]; then
	ok "fetch SIGKILLed part-way ($at_kill of $BIG stored)"
elif [ "$at_kill" = "$BIG" ]; then
	ok "fetch SIGKILLed part-way # SKIP it had stored all $BIG before the kill"
else
	notok "fetch SIGKILLed part-way: nothing was stored (wait status $w)"
	sed 's/^/#   /' "$T/killed.err" | head -n 5
fi
check "after the kill: no duplicate Message-ID" test "$(dups "$T/kill.db")" = 0
run rerun "$C" fetch
check "re-run after the kill exits 0" test $rc = 0
check "re-run after the kill: $BIG stored, exactly once each" \
	eval 'test "$(count "$T/kill.db")" = $BIG && test "$(dups "$T/kill.db")" = 0'
check "re-run after the kill: store = INBOX" ids_match "$T/kill.db" big INBOX
check "re-run after the kill fetched only the rest ('fetched $((BIG - at_kill))' or fewer)" \
	eval 'got=$(sed -n "s/^fetched \([0-9]*\) messages\? from INBOX.*/\1/p" "$T/rerun.out"); test -n "$got" && test "$got" -le $((BIG - at_kill))'
run rerun2 "$C" fetch
check "a third run fetches nothing" grep -q "^fetched 0 messages\? from INBOX" "$T/rerun2.out"

# --- the processing child (bulletin-work) killed mid-sync ------------------------
# what it held is stored raw and reported, a new child does the rest, the
# run exits 70; `bulletin process` then makes the missing items
C=$T/workkill.conf
srv_conf "$C" user=big batch=50
fetch_bg workkilled "$C"
wait_rows "$T/workkill.db" "$bg" 60
fpid=$(pgrep -P "$bg" -x bulletin-fetch)
wpid=${fpid:+$(pgrep -P "$fpid" -x bulletin-work)}
# the parser's process holds no socket (the IMAP connection) and no
# descriptor beyond its pipes and what it opened itself
wfds=${wpid:+$(ls -l "/proc/$wpid/fd" 2>/dev/null | grep -c 'socket:')}
[ -n "$wpid" ] && kill -KILL "$wpid" 2>/dev/null
wait "$bg"
rc=$?
at_kill=$(count "$T/workkill.db")
items() { sqlite3 "$1" 'select count(*) from items'; }
if [ -z "$wpid" ] || ! grep -q "bulletin-work" "$T/workkilled.err"; then
	ok "bulletin-work killed mid-sync # SKIP the fetch had finished first"
else
	check "bulletin-work holds no socket (found ${wfds:-?})" test "${wfds:-1}" = 0
	check "bulletin-work killed mid-sync: fetch exits 70 (exit $rc)" test $rc = 70
	check "... all $BIG stored" test "$at_kill" = $BIG
	check "... the messages it held are reported, with what to do" \
		grep -q "stored without their items.*bulletin process" "$T/workkilled.err"
	check "... fewer items than a whole run" \
		test "$(items "$T/workkill.db")" -lt "$(items "$T/kill.db")"
	run workprocess "$C" process
	check "... then 'bulletin process' exits 0 and makes them all" \
		eval 'test $rc = 0 && test "$(items "$T/workkill.db")" = "$(items "$T/kill.db")"'
	check "... and their fields: store = INBOX, once each" \
		eval 'test "$(dups "$T/workkill.db")" = 0 && ids_match "$T/workkill.db" big INBOX'
fi

# --- the processing child stuck (SIGSTOP), [limits] max_seconds = 2 ------------
# as a parser that never returns: given up after the limit and replaced
C=$T/workstop.conf
srv_conf "$C" user=big batch=50
printf '[limits]\nmax_seconds = 2\n' >>"$C"
fetch_bg workstop "$C"
wait_rows "$T/workstop.db" "$bg" 60
fpid=$(pgrep -P "$bg" -x bulletin-fetch)
wpid=${fpid:+$(pgrep -P "$fpid" -x bulletin-work)}
[ -n "$wpid" ] && kill -STOP "$wpid" 2>/dev/null
wait_max "$bg" 60
if [ -z "$wpid" ] || ! grep -q "max_seconds" "$T/workstop.err"; then
	ok "bulletin-work stopped mid-sync # SKIP the fetch had finished first"
else
	check "bulletin-work stuck: given up after max_seconds, fetch exits 70 (exit $rc)" test $rc = 70
	check "... the stuck child is gone" eval '! kill -0 "$wpid" 2>/dev/null'
	check "... all $BIG stored" test "$(count "$T/workstop.db")" = $BIG
	run workstopprocess "$C" process
	check "... 'bulletin process' then makes every item" \
		eval 'test $rc = 0 && test "$(items "$T/workstop.db")" = "$(items "$T/kill.db")"'
fi

# --- Dovecot killed (SIGKILL, master and children) mid-fetch ---------------------
C=$T/srvkill.conf
srv_conf "$C" user=big batch=50
fetch_bg srvkilled "$C"
wait_rows "$T/srvkill.db" "$bg" 60
w=$?
srv_kill9 main
wait_max "$bg" 30
at_kill=$(count "$T/srvkill.db")
echo "# server killed with $at_kill of $BIG stored (wait status $w), fetch exit $rc"
if [ "$w" != 0 ] && [ "$at_kill" = "$BIG" ]; then
	for t in "fetch exits 69" "error on stderr" "stored messages kept"; do
		ok "server killed mid-fetch: $t # SKIP fetch had finished before the kill"
	done
else
	check "server killed mid-fetch: fetch exits 69, not hung (exit $rc; 124 = hung 30 s)" \
		test "$rc" = 69
	check "server killed: the error is on stderr (connection/server)" \
		grep -qi 'connect\|server\|lost\|closed\|eof\|reset\|read\|unavailable' "$T/srvkilled.err"
	check "server killed: messages stored before it are kept ($at_kill), none twice" \
		eval 'test "$at_kill" -gt 0 && test "$(dups "$T/srvkill.db")" = 0'
fi
run srvdown "$C" fetch
check "fetch while the server is down exits 69" test $rc = 69
if srv_start main; then ok "Dovecot restarted on the same ports"; else notok "Dovecot restarted on the same ports"; fi
run srvback "$C" fetch
check "after the restart, fetch exits 0" test $rc = 0
check "after the restart: $BIG stored, exactly once each" \
	eval 'test "$(count "$T/srvkill.db")" = $BIG && test "$(dups "$T/srvkill.db")" = 0'
check "after the restart: store = INBOX" ids_match "$T/srvkill.db" big INBOX

# --- Dovecot frozen (SIGSTOP) mid-fetch: the read timeout must fire ----------
C=$T/frozen.conf
srv_conf "$C" user=big batch=50 timeout=3
fetch_bg frozen "$C"
wait_rows "$T/frozen.db" "$bg" 60
w=$?
frozen=$(srv_pids main)
kill -STOP $frozen 2>/dev/null
start=$(date +%s)
wait_max "$bg" 30
took=$(($(date +%s) - start))
kill -CONT $frozen 2>/dev/null
if [ "$w" != 0 ]; then
	ok "server frozen mid-fetch # SKIP fetch had finished before the freeze"
else
	check "server frozen mid-fetch, timeout = 3: exit 69 after ${took}s (124 = hung 30 s)" \
		test "$rc" = 69 -a "$took" -le 10
fi
run unfrozen "$C" fetch
check "after the freeze, a re-run completes: $BIG stored once each" \
	eval 'test $rc = 0 && test "$(count "$T/frozen.db")" = $BIG && test "$(dups "$T/frozen.db")" = 0'

# --- fetch killed mid-sync with after = move:Processed ----------------------
srv_gen "$T/mv" 1000 mv
srv_fill mover INBOX "$T/mv"
srv_mkfolder mover Processed
C=$T/mvkill.conf
srv_conf "$C" user=mover batch=50 after=move:Processed
fetch_bg mvkilled "$C"
wait_rows "$T/mvkill.db" "$bg" 60
sleep "0.0$((RANDOM % 5))"
kill -KILL "$bg" 2>/dev/null
wait "$bg" 2>/dev/null
echo "# move run killed with $(count "$T/mvkill.db") stored, $(srv_status mover Processed messages) moved"
run mvrerun "$C" fetch
check "after = move, killed then re-run: exit 0" test $rc = 0
check "... INBOX empty, Processed holds all 1000" \
	eval 'test "$(srv_status mover INBOX messages)" = 0 && test "$(srv_status mover Processed messages)" = 1000'
check "... store = Processed, each once" ids_match "$T/mvkill.db" mover Processed

# --- servers that misbehave -----------------------------------------------
srv_fake silent
silent=$SRV_FAKE_PORT
srv_conf "$T/silent.conf" port="$silent" tls=none ca_file= timeout=2
start=$(date +%s)
fetch_bg silent "$T/silent.conf"
wait_max "$bg" 30
took=$(($(date +%s) - start))
check "server that never sends a greeting, timeout = 2: exit 69" test $rc = 69
check "... gives up in time (${took}s, timeout 2)" test "$took" -le 8
check "... says so on stderr" grep -qi 'time' "$T/silent.err"
srv_conf "$T/silenttls.conf" port="$silent" timeout=2
start=$(date +%s)
fetch_bg silenttls "$T/silenttls.conf"
wait_max "$bg" 30
took=$(($(date +%s) - start))
check "imaps to a server that never answers the TLS handshake: exit 69 within ${took}s" \
	test $rc = 69 -a "$took" -le 8

srv_fake garbage
garbage=$SRV_FAKE_PORT
srv_conf "$T/garbage.conf" port="$garbage" tls=none ca_file= timeout=3
fetch_bg garbage "$T/garbage.conf"
wait_max "$bg" 30
check "server greeting is not IMAP: exit 76 (protocol error)" test $rc = 76
check "... message on stderr" test -s "$T/garbage.err"

srv_fake close
closer=$SRV_FAKE_PORT
srv_conf "$T/close.conf" port="$closer" tls=none ca_file= timeout=3
fetch_bg close "$T/close.conf"
wait_max "$bg" 30
check "server hangs up at once: exit 69" test $rc = 69

leaks=$(grep -lF -e "$SRV_PW" "$T"/*.out "$T"/*.err 2>/dev/null)
check "the password appears in no output" test -z "$leaks"
done_testing
