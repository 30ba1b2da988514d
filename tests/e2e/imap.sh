# imap.sh - `bulletin fetch` against a private Dovecot on 127.0.0.1 (see
# servers.sh): first sync, incremental sync, TLS modes and their failures,
# after = keep | seen | move:FOLDER, several folders, UIDVALIDITY change,
# check-config, no password in any output.  The slower fault cases (kills,
# timeouts) are in imap_faults.sh.  Skips (77) without dovecot-imapd/openssl
# unless CI=true.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. tests/e2e/lib.sh
. tests/e2e/servers.sh
srv_require
# every user before the start: Dovecot re-reads its passwd-file at most once a second
if ! srv_init || ! for u in bulletin seen mover multi names uv; do srv_add_user $u; done ||
	! srv_start main || ! srv_start wronghost wronghost; then
	notok "test Dovecot starts"
	done_testing
	exit 1
fi
IMAP=${SRV_IMAP[main]}

# run NAME CONF ARGS...: bulletin --config CONF ARGS, output in $T/NAME.{out,err}, status in $rc
run() {
	local name=$1 conf=$2
	shift 2
	$BULLETIN --config "$conf" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
}
fetch() { run "$1" "$2" fetch; }
count() { sqlite3 "$1" 'select count(*) from messages' 2>/dev/null || echo none; }
dups() { sqlite3 "$1" 'select count(*) from (select message_id from messages group by message_id having count(*) > 1)' 2>/dev/null || echo none; }
# ids_match DB USER FOLDER...: the store holds exactly the messages of those
# folders, each once (compared by their top-level Message-ID)
ids_match() {
	local db=$1 user=$2 f
	shift 2
	for f in "$@"; do srv_message_ids "$user" "$f"; done | sed 's/^<//; s/>$//' | sort >"$T/ids.srv"
	srv_store_ids "$db" >"$T/ids.db"
	if [ -s "$T/ids.srv" ] && cmp -s "$T/ids.srv" "$T/ids.db"; then return 0; fi
	diff "$T/ids.srv" "$T/ids.db" | head -n 6 | sed "s/^/# ids (server < > store): /"
	return 1
}
fetched() {	# NAME N FOLDER: the per-folder summary line
	grep -q "^fetched $2 messages\? from $3\b" "$T/$1.out"
}
has() { grep -qi -- "$2" "$T/$1.out" "$T/$1.err"; }	# NAME REGEX (stdout or stderr)
sql() { sqlite3 "$1" "$2" 2>/dev/null; }

# --- first sync, re-run, new mail --------------------------------------
srv_fill bulletin INBOX tests/fixtures/inbox/cur
srv_fill bulletin INBOX tests/fixtures/inbox/new
N=$(srv_status bulletin INBOX messages)
check "harness: INBOX holds the 18 sample bulletins" test "$N" = 18
C=$T/main.conf
srv_conf "$C"
D=$T/main.db
run checkok "$C" check-config
check "check-config accepts the IMAP config (exit 0, 'ok')" \
	eval 'test $rc = 0 && grep -qi "^ok" "$T/checkok.out"'

# a broken rule set: refused before any connection, nothing stored
mkdir -p "$T/badrules"
printf 'category nao\n  not a keyword\n' >"$T/badrules/10-bad.rules"
srv_conf "$T/badrules.conf" rules="$T/badrules"
fetch badrules "$T/badrules.conf"
check "fetch with a broken rule set exits 78, naming FILE:LINE" \
	eval 'test $rc = 78 && grep -q "10-bad.rules:2:" "$T/badrules.err"'
check "... and stores nothing" test "$(count "$T/badrules.db")" = none

fetch first "$C"
check "first fetch exits 0" test $rc = 0
check "first fetch prints 'fetched $N messages from INBOX'" fetched first "$N" INBOX
check "first fetch stores every message once" test "$(count "$D")" = "$N"
check "no duplicate Message-ID in the store" test "$(dups "$D")" = 0
check "stored Message-IDs are those of INBOX" ids_match "$D" bulletin INBOX
nitems=$(sql "$D" 'select count(*) from items')
check "summary line counts the stored items ($nitems items)" \
	grep -q "^fetched $N messages\? from INBOX, $nitems items\?" "$T/first.out"
check "summary line lists labels (nao)" grep -q "^fetched .*nao [0-9]" "$T/first.out"
uv=$(srv_status bulletin INBOX uidvalidity)
un=$(srv_status bulletin INBOX uidnext)
check "imap_folders holds INBOX's UIDVALIDITY and last UID" \
	test "$(sql "$D" "select uidvalidity || ' ' || last_uid from imap_folders where folder = 'INBOX'")" = "$uv $((un - 1))"
check "after = keep leaves the messages unseen (BODY.PEEK)" \
	test "$(srv_search bulletin INBOX UNSEEN)" = "$N"
check "after = keep leaves the messages in INBOX" test "$(srv_status bulletin INBOX messages)" = "$N"

fetch again "$C"
check "re-run exits 0" test $rc = 0
check "re-run fetches nothing ('fetched 0 messages')" fetched again 0 INBOX
check "re-run stores nothing" test "$(count "$D")" = "$N"

srv_gen "$T/new3" 3 append
srv_save bulletin INBOX "$T"/new3/*.eml
fetch after3 "$C"
check "after 3 APPENDs: exit 0" test $rc = 0
check "after 3 APPENDs: 'fetched 3 messages'" fetched after3 3 INBOX
check "after 3 APPENDs: exactly 3 more stored" test "$(count "$D")" = $((N + 3))
check "after 3 APPENDs: store = INBOX, no duplicate" ids_match "$D" bulletin INBOX
N=$((N + 3))

# the same account through `process`: reprocesses what is stored
run process "$C" process
check "process (reprocess the store) exits 0, keeps $N messages" \
	eval 'test $rc = 0 && test "$(count "$D")" = $N'

# --- TLS modes ----------------------------------------------------------
srv_conf "$T/starttls.conf" port="$IMAP" tls=starttls
fetch starttls "$T/starttls.conf"
check "tls = starttls: exit 0 and every message stored" \
	eval 'test $rc = 0 && test "$(count "$T/starttls.db")" = $N'
srv_conf "$T/plain.conf" port="$IMAP" tls=none ca_file=
fetch plain "$T/plain.conf"
check "tls = none to 127.0.0.1 (loopback, allow_plaintext = false): exit 0" test $rc = 0
check "tls = none: every message stored" test "$(count "$T/plain.db")" = "$N"
# a bare chroot may have no /etc/hosts: then "localhost" does not resolve
if getent hosts localhost >/dev/null 2>&1; then
	srv_conf "$T/localhost.conf" host=localhost
	fetch localhost "$T/localhost.conf"
	check "host = localhost (certificate DNS name): exit 0" \
		eval 'test $rc = 0 && test "$(count "$T/localhost.db")" = $N'
else
	ok "host = localhost # SKIP 'localhost' does not resolve here"
fi

srv_conf "$T/remote.conf" host=mail.example.org port=143 tls=none ca_file=
run remote "$T/remote.conf" check-config
check "check-config refuses tls = none to a non-loopback host (78)" test $rc = 78
check "... reported as FILE:LINE: message" grep -q "remote.conf:[0-9][0-9]*: " "$T/remote.err"
fetch remotefetch "$T/remote.conf"
check "fetch refuses tls = none to a non-loopback host (78) without connecting" test $rc = 78
srv_conf "$T/remoteok.conf" host=mail.example.org port=143 tls=none ca_file= allow_plaintext=true
run remoteok "$T/remoteok.conf" check-config
check "check-config accepts it with allow_plaintext = true" test $rc = 0

srv_conf "$T/badkey.conf" bogus_key=1
run badkey "$T/badkey.conf" check-config
line=$(grep -n '^bogus_key' "$T/badkey.conf" | cut -d: -f1)
check "check-config: unknown [imap] key exits 78" test $rc = 78
check "... reported as FILE:$line: unknown key" grep -q "badkey.conf:$line: .*bogus_key" "$T/badkey.err"

srv_conf "$T/worldpass.conf"
chmod 644 "$T/worldpass.conf.pass"
run worldpass "$T/worldpass.conf" check-config
check "check-config refuses a password file with mode 0644 (78)" test $rc = 78
check "... reported as FILE:LINE: message" grep -q "worldpass.conf:[0-9][0-9]*: " "$T/worldpass.err"
srv_conf "$T/grouppass.conf"
chmod 640 "$T/grouppass.conf.pass"
run grouppass "$T/grouppass.conf" check-config
check "check-config refuses a group-readable password file (0640, 78)" test $rc = 78

# broken [imap] values: 78, reported at the line of the key
bad_ok=1
for kv in password_file=/nonexistent/imap.pass tls=bogus after=move: after=delete \
	port=99999 timeout=0 batch=0; do
	srv_conf "$T/bad.conf" "$kv"
	chmod 600 "$T/bad.conf.pass"
	line=$(grep -n "^${kv%%=*} = " "$T/bad.conf" | cut -d: -f1)
	run bad "$T/bad.conf" check-config
	if [ $rc != 78 ] || ! grep -q "bad.conf:$line: " "$T/bad.err"; then
		bad_ok=0
		echo "# $kv: exit $rc, $(head -n 1 "$T/bad.err")"
	fi
	rm -f "$T/bad.conf.pass"
done
check "check-config: each broken [imap] value exits 78 with FILE:LINE of its key" test $bad_ok = 1

fetch worldfetch "$T/worldpass.conf"
check "fetch refuses a password file with mode 0644 (78)" test $rc = 78
check "... and stores nothing" test "$(count "$T/worldpass.db")" != "$N"

# --- failures: authentication, certificates, no server -------------------
srv_conf "$T/badpw.conf"
(umask 077 && echo "not-the-${SRV_PW}-x" | rev >"$T/badpw.conf.pass")
fetch badpw "$T/badpw.conf"
check "wrong password: exit 77 (EX_NOPERM)" test $rc = 77
check "wrong password: message says authentication/login failed" has badpw 'auth\|login\|password\|credential'
check "wrong password: nothing stored" test "$(count "$T/badpw.db")" = 0 -o "$(count "$T/badpw.db")" = none

srv_conf "$T/wrongca.conf" ca_file="$SRV_OTHERCA"
fetch wrongca "$T/wrongca.conf"
check "imaps with an unrelated CA: exit 76" test $rc = 76
check "... message mentions the certificate" has wrongca certificate
srv_conf "$T/wrongcast.conf" port="$IMAP" tls=starttls ca_file="$SRV_OTHERCA"
fetch wrongcast "$T/wrongcast.conf"
check "starttls with an unrelated CA: exit 76" test $rc = 76
check "... message mentions the certificate" has wrongcast certificate
srv_conf "$T/wronghost.conf" port="${SRV_IMAPS[wronghost]}"
fetch wronghost "$T/wronghost.conf"
check "certificate for another host name (wrong.example.org): exit 76" test $rc = 76
check "... message mentions the certificate or host name" has wronghost 'certificate\|host'
check "... nothing stored" test "$(count "$T/wronghost.db")" = 0 -o "$(count "$T/wronghost.db")" = none
srv_conf "$T/wronghostst.conf" port="${SRV_IMAP[wronghost]}" tls=starttls
fetch wronghostst "$T/wronghostst.conf"
check "starttls to a certificate for another host name: exit 76" test $rc = 76
check "... message mentions the certificate or host name" has wronghostst 'certificate\|host'
check "... nothing stored" test "$(count "$T/wronghostst.db")" = 0 -o "$(count "$T/wronghostst.db")" = none
srv_free_port
dead=$SRV_PORT
srv_conf "$T/dead.conf" port="$dead"
fetch dead "$T/dead.conf"
check "no server listening on port $dead: exit 69 (EX_UNAVAILABLE)" test $rc = 69
check "... message on stderr" test -s "$T/dead.err"

# --- after = seen | move:Processed ---------------------------------------
srv_fill seen INBOX tests/fixtures/inbox/cur
srv_conf "$T/seen.conf" user=seen after=seen
fetch seen "$T/seen.conf"
check "after = seen: exit 0, 14 stored" eval 'test $rc = 0 && test "$(count "$T/seen.db")" = 14'
check "after = seen: every message flagged \\Seen" test "$(srv_search seen INBOX SEEN)" = 14
check "after = seen: none left unseen, all still in INBOX" \
	eval 'test "$(srv_search seen INBOX UNSEEN)" = 0 && test "$(srv_status seen INBOX messages)" = 14'

srv_fill mover INBOX tests/fixtures/inbox/cur
srv_fill mover INBOX tests/fixtures/inbox/new
srv_mkfolder mover Processed
srv_conf "$T/move.conf" user=mover after=move:Processed
fetch move "$T/move.conf"
check "after = move:Processed: exit 0, 18 stored" eval 'test $rc = 0 && test "$(count "$T/move.db")" = 18'
check "after = move:Processed: INBOX is empty" test "$(srv_status mover INBOX messages)" = 0
check "after = move:Processed: Processed holds 18" test "$(srv_status mover Processed messages)" = 18
check "after = move:Processed: Processed = exactly the stored messages" ids_match "$T/move.db" mover Processed
srv_save mover INBOX "$T"/new3/*.eml
fetch move2 "$T/move.conf"
check "after = move: new mail fetched and moved too" \
	eval 'fetched move2 3 INBOX && test "$(srv_status mover INBOX messages)" = 0 && test "$(srv_status mover Processed messages)" = 21'
check "after = move: store = Processed, no duplicate" ids_match "$T/move.db" mover Processed

# --- several folders, each with its own state -----------------------------
srv_gen "$T/alerts" 10 alerts
srv_fill multi INBOX tests/fixtures/inbox/cur
srv_fill multi Lists tests/fixtures/inbox/new
srv_fill multi Alerts "$T/alerts"
srv_conf "$T/multi.conf" user=multi folders="INBOX,Lists,Alerts"
M=$T/multi.db
fetch multi "$T/multi.conf"
check "folders = INBOX,Lists,Alerts: exit 0" test $rc = 0
check "one summary line per folder (14, 4, 10)" \
	eval 'fetched multi 14 INBOX && fetched multi 4 Lists && fetched multi 10 Alerts'
check "all 28 stored once" eval 'test "$(count "$M")" = 28 && test "$(dups "$M")" = 0'
check "store = the three folders" ids_match "$M" multi INBOX Lists Alerts
ok_state=1
for f in INBOX Lists Alerts; do
	want="$(srv_status multi "$f" uidvalidity) $(($(srv_status multi "$f" uidnext) - 1))"
	got=$(sql "$M" "select uidvalidity || ' ' || last_uid from imap_folders where folder = '$f'")
	[ "$want" = "$got" ] || { ok_state=0; echo "# $f: imap_folders '$got', server '$want'"; }
done
check "imap_folders: one row per folder with its UIDVALIDITY and last UID" test $ok_state = 1
srv_gen "$T/lists2" 2 lists2
srv_save multi Lists "$T"/lists2/*.eml
fetch multi2 "$T/multi.conf"
check "new mail in Lists only: 'fetched 2 ... Lists', 0 from INBOX and Alerts" \
	eval 'test $rc = 0 && fetched multi2 2 Lists && fetched multi2 0 INBOX && fetched multi2 0 Alerts'
check "... 30 stored" test "$(count "$M")" = 30

# folder names with a space and with non-ASCII letters (sent as modified UTF-7)
srv_fill names "Press Releases" tests/fixtures/inbox/new
srv_fill names "Bülletins" tests/fixtures/inbox/cur
srv_conf "$T/names.conf" user=names "folders=Press Releases, Bülletins"
fetch names "$T/names.conf"
check "folder with a space ('Press Releases'): 'fetched 4'" fetched names 4 "Press Releases"
check "folder with non-ASCII letters ('Bülletins', mUTF-7 on the wire): 'fetched 14', exit 0" \
	eval 'test $rc = 0 && fetched names 14 "Bülletins"'
check "... 18 stored" test "$(count "$T/names.db")" = 18

# --- UIDVALIDITY change: folder deleted and recreated with the same mail ---
srv_fill uv Bulletins tests/fixtures/inbox/cur
srv_fill uv Bulletins tests/fixtures/inbox/new
srv_conf "$T/uv.conf" user=uv folders=Bulletins
U=$T/uv.db
fetch uv1 "$T/uv.conf"
check "UIDVALIDITY: first fetch of Bulletins stores 18" eval 'test $rc = 0 && test "$(count "$U")" = 18'
uv_old=$(srv_status uv Bulletins uidvalidity)
sleep 1
srv_doveadm mailbox delete -u uv Bulletins
srv_fill uv Bulletins tests/fixtures/inbox/cur
srv_fill uv Bulletins tests/fixtures/inbox/new
uv_new=$(srv_status uv Bulletins uidvalidity)
check "harness: the recreated folder has a new UIDVALIDITY ($uv_old -> $uv_new)" \
	test -n "$uv_old" -a "$uv_new" != "$uv_old" -a "$(srv_status uv Bulletins messages)" = 18
fetch uv2 "$T/uv.conf"
check "UIDVALIDITY changed: fetch exits 0" test $rc = 0
check "UIDVALIDITY changed: still 18, no duplicate" \
	eval 'test "$(count "$U")" = 18 && test "$(dups "$U")" = 0'
check "UIDVALIDITY changed: imap_folders has the new UIDVALIDITY" \
	test "$(sql "$U" "select uidvalidity from imap_folders where folder = 'Bulletins'")" = "$uv_new"
srv_save uv Bulletins "$T/new3/append-000001.eml"
fetch uv3 "$T/uv.conf"
check "after the change, new mail is fetched normally ('fetched 1')" \
	eval 'test $rc = 0 && fetched uv3 1 Bulletins && test "$(count "$U")" = 19'

# --- secrets --------------------------------------------------------------
run verbose "$C" -v fetch
check "fetch -v exits 0" test $rc = 0
leaks=$(grep -lF -e "$SRV_PW" "$T"/*.out "$T"/*.err 2>/dev/null)
check "the password appears in no output (stdout, stderr, -v)" test -z "$leaks"
[ -z "$leaks" ] || echo "# password found in: $leaks"
leaks=$(grep -lF -e "$(cat "$T/badpw.conf.pass")" "$T"/*.out "$T"/*.err 2>/dev/null)
check "the wrong password appears in no output either" test -z "$leaks"
leaks=$(grep -laF -e "$SRV_PW" "$T"/*.db "$T"/*.db-wal "$T"/*.db.raw \
    2>/dev/null)
check "the password is not written to any store" test -z "$leaks"
done_testing
