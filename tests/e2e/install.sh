# install.sh - the administrator's path, end to end: `make install` into a
# DESTDIR, the units checked (systemd-analyze verify and security, when
# there), `bulletin init`, a config pointing at the private Dovecot and
# SMTP sink (servers.sh), passwords handed over the way LoadCredential=
# does, `check-config --connect`, then a week run with the units' exact
# ExecStart= lines: fetch (instant forwards go out), the daily digest, the
# weekly digest, and what arrived checked; local rule and template files
# override shipped ones; a second run is locked out; re-runs send nothing.
# Skips (77) without dovecot-imapd/python3-aiosmtpd/openssl/sqlite3
# unless CI=true.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
if [ -n "${VALGRIND:-}" ]; then
	# tests/valgrind.sh: `make install` would build into the directory of
	# $BULLETIN, its wrapper, and the installed binary runs unwrapped
	echo "# skip: make install is not tested under Valgrind"
	exit 77
fi
. tests/e2e/lib.sh
. tests/e2e/servers.sh
srv_require
sink_require
srv_init && (umask 077 && printf '%s\n' "$SRV_PW" >"$SRV/smtp.pw")
if ! srv_add_user bulletin || ! srv_start main ||
	! sink_start main --require-starttls --auth exact --user bulletin \
		--password-file "$SRV/smtp.pw"; then
	notok "test Dovecot and SMTP sink start"
	done_testing
	exit 1
fi
ROOT=$T/root
PREFIX=/usr/local
BIN=$ROOT$PREFIX/bin/bulletin
SHARE=$ROOT$PREFIX/share/bulletin
UNITS=$ROOT$PREFIX/lib/systemd/system
ETC=$T/etc/bulletin
STATE=$T/state

# --- make install ------------------------------------------------------
make -s B="$(dirname "$BULLETIN")" PREFIX=$PREFIX DESTDIR="$ROOT" install \
	>"$T/install.out" 2>&1
rc=$?
check "make install DESTDIR=... exits 0" test $rc = 0
[ $rc = 0 ] || sed 's/^/# /' "$T/install.out" | tail -n 10
check "installed: the binary" test -x "$BIN"
check "installed: the shipped rules and templates" test -f "$SHARE/filters/40-pac.rules" \
	-a -f "$SHARE/filters/passing.inc" -a -f "$SHARE/templates/digest.html"
check "installed: the example config" test -f "$SHARE/bulletin.conf.example"
check "installed: man pages bulletin(1), bulletin.conf(5), bulletin-rules(5)" \
	test -f "$ROOT$PREFIX/share/man/man1/bulletin.1" \
	-a -f "$ROOT$PREFIX/share/man/man5/bulletin.conf.5" \
	-a -f "$ROOT$PREFIX/share/man/man5/bulletin-rules.5"
check "installed: the units, ExecStart under PREFIX" \
	sh -c "grep -q '^ExecStart=$PREFIX/bin/bulletin run\$' '$UNITS/bulletin-fetch.service' &&
		grep -q '^ExecStart=$PREFIX/bin/bulletin --wait 3600 digest\$' '$UNITS/bulletin-digest.service' &&
		test -f '$UNITS/bulletin-fetch.timer' -a -f '$UNITS/bulletin-digest.timer'"
check "timers: fetch every 15 minutes, digest Monday 07:00, both Persistent" \
	sh -c "grep -q '^OnCalendar=\*:0/15\$' '$UNITS/bulletin-fetch.timer' &&
		grep -q '^OnCalendar=Mon \*-\*-\* 07:00:00\$' '$UNITS/bulletin-digest.timer' &&
		grep -q '^Persistent=true\$' '$UNITS/bulletin-fetch.timer' &&
		grep -q '^Persistent=true\$' '$UNITS/bulletin-digest.timer' &&
		grep -q '^RandomizedDelaySec=' '$UNITS/bulletin-fetch.timer'"

# --- the units, as systemd reads them -----------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
	# verify wants ExecStart's binary to exist: a copy pointing into ROOT
	mkdir -p "$T/units"
	for u in "$UNITS"/*; do
		sed "s|^ExecStart=$PREFIX/bin/bulletin|ExecStart=$BIN|" "$u" >"$T/units/${u##*/}"
	done
	systemd-analyze verify --man=no "$T"/units/* >"$T/verify.out" 2>&1
	check "systemd-analyze verify: no complaint" \
		sh -c "test $? = 0 && ! grep -q . '$T/verify.out'"
	sed 's/^/# /' "$T/verify.out" | head -n 5
	for s in fetch digest daily; do
		score=$(systemd-analyze security --offline=yes "$T/units/bulletin-$s.service" 2>/dev/null |
			sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
		echo "# bulletin-$s.service exposure: ${score:-unknown}"
		check "bulletin-$s.service: exposure $score <= 2.0 (systemd-analyze security)" \
			awk -v s="${score:-99}" 'BEGIN { exit !(s + 0 <= 2.0) }'
	done
else
	ok "# SKIP systemd-analyze not installed"
fi

# --- bulletin init, the config, the credentials -------------------------
"$BIN" --config "$ETC/bulletin.conf" --store "$STATE/bulletin.db" init >"$T/init.out" 2>&1
rc=$?
check "bulletin init: exit 0, config written, store created" \
	sh -c "test $rc = 0 && test -f '$ETC/bulletin.conf' && test -f '$STATE/bulletin.db'"
check "init: the config names the store" grep -q "^path = $STATE/bulletin.db\$" "$ETC/bulletin.conf"
check "init: the store is not readable by others" \
	sh -c "test \"\$(stat -c %a '$STATE/bulletin.db' | cut -c3)\" = 0"
"$BIN" --config "$ETC/bulletin.conf" init >"$T/init2.out" 2>&1
check "init again: the config is left as it is" \
	sh -c "test $? = 0 && grep -q 'left as it is' '$T/init2.out'"

# ini_set FILE SECTION KEY VALUE: sets "KEY = VALUE" in [SECTION], in
# place of a "KEY =" or "#KEY =" line there, else just below the header
ini_set() {
	awk -v s="[$2]" -v k="$3" -v v="$4" '
		/^\[/ { if (in_s && !done) { print k " = " v; done = 1 } in_s = ($0 == s) }
		in_s && !done && ($0 ~ "^#?" k " *=") { print k " = " v; done = 1; next }
		{ print }
		END { if (!done) { if (!in_s) print s; print k " = " v } }' "$1" >"$1.new" &&
		mv "$1.new" "$1"
}
C=$ETC/bulletin.conf
ini_set "$C" rules dir "$ETC/filters"
ini_set "$C" rules shipped "$SHARE/filters"
ini_set "$C" imap host 127.0.0.1
ini_set "$C" imap port "${SRV_IMAPS[main]}"
ini_set "$C" imap ca_file "$SRV_CA"
ini_set "$C" imap user bulletin
ini_set "$C" smtp url "smtp://127.0.0.1:${SINK_PORT[main]}"
ini_set "$C" smtp ca_file "$SRV_CA"
ini_set "$C" smtp user bulletin
ini_set "$C" smtp from "Branch Digest <digest@example.org>"
ini_set "$C" digest templates "$ETC/templates"
ini_set "$C" digest shipped_templates "$SHARE/templates"
ini_set "$C" digest request_address bulletin-request@example.org
ini_set "$C" store lock_wait 1
# local overrides: press switched off by an empty file, forward.txt ours
mkdir -p "$ETC/filters" "$ETC/templates"
: >"$ETC/filters/70-press.rules"
{ echo "LOCAL TEMPLATE"; cat "$SHARE/templates/forward.txt"; } >"$ETC/templates/forward.txt"
# what LoadCredential= hands over
mkdir -p "$T/cred"
(umask 077 && printf '%s\n' "$SRV_PW" >"$T/cred/imap.pass" && printf '%s\n' "$SRV_PW" >"$T/cred/smtp.pass")
export CREDENTIALS_DIRECTORY=$T/cred BULLETIN_CONFIG=$C STATE_DIRECTORY=$STATE

"$BIN" check-config --connect >"$T/cc.out" 2>&1
rc=$?
check "check-config --connect: exit 0 (IMAP login, SMTP AUTH over STARTTLS)" test $rc = 0
check "... says it logged in to both" \
	sh -c "grep -q '^imap 127.0.0.1: logged in' '$T/cc.out' && grep -q '^smtp .*authenticated' '$T/cc.out'"
[ $rc = 0 ] || sed 's/^/# /' "$T/cc.out" | head -n 10
CREDENTIALS_DIRECTORY=$T/nowhere "$BIN" check-config --connect >"$T/cc2.out" 2>&1
check "check-config without the credentials: non-zero, names the missing file" \
	sh -c "test $? != 0 && grep -q 'imap.pass' '$T/cc2.out'"

cp -p "$T/cred/imap.pass" "$T/cred/smtp.pass" "$ETC/"
env -u CREDENTIALS_DIRECTORY "$BIN" check-config --connect >"$T/cc3.out" 2>&1
check "run by hand (no CREDENTIALS_DIRECTORY): the .pass files beside the config are read" \
	sh -c "test $? = 0 && grep -q '^imap 127.0.0.1: logged in' '$T/cc3.out'"

"$BIN" subscriber add weekly@w.example --categories all >/dev/null &&
	"$BIN" subscriber add daily@d.example --categories all --mode daily >/dev/null &&
	"$BIN" subscriber add instant@i.example --categories pac --instant pac >/dev/null
check "three subscribers added (weekly, daily, instant pac)" test $? = 0

# exec_start UNIT: the unit's ExecStart=, run as systemd would run it
exec_start() {
	local cmd
	cmd=$(sed -n "s|^ExecStart=$PREFIX/bin/bulletin|$BIN|p" "$UNITS/$1")
	echo "# $1: ${cmd#"$BIN"}"
	$cmd >"$T/$1.out" 2>&1
}

# --- the week ----------------------------------------------------------
srv_fill bulletin INBOX tests/fixtures/inbox/cur
srv_fill bulletin INBOX tests/fixtures/inbox/new
exec_start bulletin-fetch.service
rc=$?
check "fetch unit (bulletin run): exit 0" test $rc = 0
[ $rc = 0 ] || sed 's/^/# /' "$T/bulletin-fetch.service.out" | head -n 10
check "... fetched the 18 sample bulletins" grep -q "^fetched 18 messages from INBOX" "$T/bulletin-fetch.service.out"
npac=$(sqlite3 "$STATE/bulletin.db" "select count(distinct i.msg_id) from items i join labels l on l.item_id = i.id where l.category = 'pac'")
nfwd=$(sink_rcpts main | grep -c '^instant@i.example$')
check "instant pac subscriber got each PAC bulletin once ($npac)" test "$nfwd" = "$npac" -a "$npac" -gt 0
f=$(grep -l '^X-Envelope-To: instant@i.example' "${SINK_DIR[main]}"/mail/*.eml | head -n 1)
check "... rendered from the local forward.txt (override)" grep -q "LOCAL TEMPLATE" "$f"
check "local empty 70-press.rules switched press off; the rest still labelled" \
	test "$(sqlite3 "$STATE/bulletin.db" "select count(*) from labels where category = 'press'"),$(sqlite3 "$STATE/bulletin.db" "select count(*) > 0 from labels where category = 'nao'")" = 0,1

# a day passes: yesterday's mail for the daily digest
sqlite3 "$STATE/bulletin.db" "update messages set received = received - 86400"
exec_start bulletin-daily.service
check "daily unit (digest --day last): exit 0" test $? = 0
check "... daily@ got one digest, weekly@ none yet" \
	test "$(sink_rcpts main | grep -c '^daily@d.example$'),$(sink_rcpts main | grep -c '^weekly@w.example$')" = 1,0
# the rest of the week passes: all of it now in the last complete week
sqlite3 "$STATE/bulletin.db" "update messages set received = received - 6 * 86400"
exec_start bulletin-digest.service
check "digest unit (digest): exit 0" test $? = 0
check "... weekly@ got one digest" test "$(sink_rcpts main | grep -c '^weekly@w.example$')" = 1
f=$(grep -l '^X-Envelope-To: weekly@w.example' "${SINK_DIR[main]}"/mail/*.eml | head -n 1)
check "... it lists PAC and NAO items and no press section" \
	sh -c "grep -qi 'Public Accounts' '$f' && grep -qi 'National Audit' '$f' && ! grep -qi '^press' '$f'"

before=$(sink_count main)
exec_start bulletin-fetch.service && exec_start bulletin-daily.service &&
	exec_start bulletin-digest.service
check "all three units again: exit 0, nothing new sent" \
	test $? = 0 -a "$(sink_count main)" = "$before"

"$BIN" status >"$T/status.out" 2>&1
check "status after the week: exit 0 (for monitoring)" test $? = 0
sed 's/^/# /' "$T/status.out" | head -n 12

# --- two runs at once ---------------------------------------------------
flock "$STATE/bulletin.db.lock" sleep 3 &
lockpid=$!
sleep 0.5
exec_start bulletin-fetch.service
rc=$?
wait $lockpid
check "a run while another holds the store: exit 0, says so" \
	sh -c "test $rc = 0 && grep -q 'another run holds' '$T/bulletin-fetch.service.out'"

leak=$(grep -l -F -- "$SRV_PW" "$T"/*.out 2>/dev/null)
check "the password appears in no output" test -z "$leak"
done_testing
