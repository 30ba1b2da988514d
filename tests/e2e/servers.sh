# servers.sh - sourced (by bash) by the IMAP end-to-end tests and bench/imap.sh:
# private Dovecot instances on 127.0.0.1, certificates made at run time,
# mailbox filling, fake servers for fault cases, bulletin configs.
#
#   srv_require               skip (exit 77) without dovecot/openssl/python3/
#                             sqlite3, or fail when CI=true
#   srv_init                  scratch dir $SRV (mode 755, Dovecot's users must
#                             traverse it), certificates, passwd file, mail
#                             user, cleanup trap (chained to any EXIT trap)
#   srv_start NAME [CERT]     start Dovecot NAME (imap on ${SRV_IMAP[NAME]},
#                             imaps on ${SRV_IMAPS[NAME]} = imap + 1); CERT is
#                             "server" (default: CN/SAN localhost, IP:127.0.0.1)
#                             or "wronghost" (wrong.example.org); a second
#                             start of a stopped NAME reuses its ports
#   srv_stop NAME             TERM the master we started, then KILL (by PID)
#                             any of its descendants still there
#   srv_kill9 NAME            SIGKILL the master and all its descendants at once
#   srv_add_user USER         a passwd-file user with password $SRV_PW (add
#                             users before srv_start: a running Dovecot
#                             notices a changed file only a second later)
#   srv_fill USER FOLDER DIR  copy the files in DIR into USER's FOLDER (Maildir
#                             files, unseen) and let Dovecot index them
#   srv_save USER FOLDER FILE...  deliver through doveadm save (IMAP-like append)
#   srv_gen DIR N [TAG] [KB]  write N messages with unique Message-IDs to DIR
#   srv_status USER FOLDER FIELD  one field of doveadm mailbox status
#   srv_search USER FOLDER QUERY...  number of messages matching a doveadm query
#   srv_fake MODE             a fake server (silent|garbage|close) on a free
#                             port, $SRV_FAKE_PORT; killed at exit (call it
#                             in this shell, not in $(...))
#   srv_free_port             $SRV_PORT := a port in 14400-14499 nobody
#                             listens on and this process has not handed out
#   srv_conf FILE KEY=VALUE...  a bulletin config ([imap] keys; store=, rules=)
#   srv_message_ids USER FOLDER  the folder's Message-IDs, sorted
#   srv_store_ids DB          the top-level Message-IDs of a store's raw messages
#
# Every process is started here and stopped by its PID; the system Dovecot
# configuration and service are never read or touched.  Ports 14400-14499.

SRV_CONF_USER=${SRV_MAIL_USER:-bulletintest}
SRV_DOVECOT=${DOVECOT:-/usr/sbin/dovecot}
declare -A SRV_IMAP SRV_IMAPS SRV_PID
SRV_USED_PORTS=" "
SRV_EXTRA_PIDS=""

srv_require() {
	local missing="" t
	for t in "$SRV_DOVECOT" doveadm openssl python3 sqlite3; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $(basename "$t")"
	done
	if [ -x "$SRV_DOVECOT" ] && [ ! -e /usr/lib/dovecot/imap ]; then
		missing="$missing dovecot-imapd"
	fi
	[ -z "$missing" ] && return 0
	if [ "${CI:-}" = true ]; then
		echo "not ok 1 - needed for the IMAP tests:$missing (apt-get install dovecot-imapd openssl)"
		exit 1
	fi
	echo "# skip: needed for the IMAP tests:$missing (apt-get install dovecot-imapd openssl)"
	exit 77
}

srv_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# srv_await PID PORT1 PORT2 SETTLE: waits (up to 10 s) until both ports
# answer, then SETTLE seconds more; 0 when PID is still alive then, so the
# ports are ours and not someone else's (a server that failed to bind
# exits), 1 when it died or never listened.
srv_await() {
	local pid=$1 i
	for i in $(seq 100); do
		if srv_port_open "$2" && srv_port_open "$3"; then
			sleep "$4"
			kill -0 "$pid" 2>/dev/null
			return
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

srv_free_port() {
	local i p
	for i in $(seq 0 99); do
		p=$((14400 + ($$ + i * 7) % 100))
		case "$SRV_USED_PORTS" in *" $p "*) continue ;; esac
		srv_port_open "$p" && continue
		SRV_USED_PORTS="$SRV_USED_PORTS$p "
		SRV_PORT=$p
		return 0
	done
	echo "servers.sh: no free port in 14400-14499" >&2
	return 1
}

# $SRV_PORT := P, a free pair P, P+1
srv_free_pair() {
	local i p
	for i in $(seq 0 98); do
		p=$((14400 + ($$ + i * 2) % 99))
		case "$SRV_USED_PORTS" in *" $p "* | *" $((p + 1)) "*) continue ;; esac
		srv_port_open "$p" && continue
		srv_port_open "$((p + 1))" && continue
		SRV_USED_PORTS="$SRV_USED_PORTS$p $((p + 1)) "
		SRV_PORT=$p
		return 0
	done
	echo "servers.sh: no free port pair in 14400-14499" >&2
	return 1
}

srv_descendants() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$c"
		srv_descendants "$c"
	done
}

srv_cleanup() {
	local name p
	for p in $SRV_EXTRA_PIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	for name in "${!SRV_PID[@]}"; do
		[ -n "${SRV_PID[$name]}" ] && srv_stop "$name" >/dev/null 2>&1
	done
	[ -n "${SRV:-}" ] && [ -d "$SRV" ] && rm -rf "$SRV"
}

# srv_track PID: kill PID at exit if still running
srv_track() { SRV_EXTRA_PIDS="$SRV_EXTRA_PIDS $1"; }

srv_mkcert() {	# NAME CA SUBJ SAN
	local name=$1 ca=$2 subj=$3 san=$4 d=$SRV/ssl
	openssl req -new -newkey rsa:2048 -nodes -subj "$subj" \
		-keyout "$d/$name.key" -out "$d/$name.csr" 2>/dev/null || return 1
	printf '%s\n' "basicConstraints = critical, CA:FALSE" \
		"keyUsage = critical, digitalSignature, keyEncipherment" \
		"extendedKeyUsage = serverAuth" \
		"subjectAltName = $san" >"$d/$name.ext"
	openssl x509 -req -in "$d/$name.csr" -CA "$d/$ca.pem" -CAkey "$d/$ca.key" \
		-CAcreateserial -days 30 -sha256 -extfile "$d/$name.ext" \
		-out "$d/$name.pem" 2>/dev/null || return 1
	chmod 600 "$d/$name.key"
}

srv_mkca() {	# NAME CN
	local d=$SRV/ssl
	openssl req -x509 -new -newkey rsa:2048 -nodes -days 30 -sha256 \
		-subj "/CN=$2" \
		-addext "basicConstraints = critical, CA:TRUE" \
		-addext "keyUsage = critical, keyCertSign, cRLSign" \
		-keyout "$d/$1.key" -out "$d/$1.pem" 2>/dev/null
}

srv_init() {
	local prev
	SRV=$(mktemp -d /tmp/bulletin-imap.XXXXXX) || return 1
	chmod 755 "$SRV"
	# chain the cleanup in front of an existing EXIT trap (lib.sh's)
	prev=$(trap -p EXIT)
	if [ -n "$prev" ]; then
		eval "set -- ${prev#trap -- }"
		trap "srv_cleanup; $1" EXIT
	else
		trap srv_cleanup EXIT
	fi
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir -p "$SRV/ssl" "$SRV/mail"
	# test CA + server cert (localhost, 127.0.0.1), an unrelated CA, and a
	# cert for another host name signed by the test CA
	srv_mkca ca "bulletin test CA $$" &&
		srv_mkca otherca "unrelated test CA $$" &&
		srv_mkcert server ca "/CN=localhost" "DNS:localhost, IP:127.0.0.1" &&
		srv_mkcert wronghost ca "/CN=wrong.example.org" "DNS:wrong.example.org" ||
		{ echo "servers.sh: openssl failed" >&2; return 1; }
	openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 \
		-out "$SRV/ssl/dh.pem" 2>/dev/null ||
		openssl dhparam -dsaparam -out "$SRV/ssl/dh.pem" 2048 2>/dev/null
	SRV_CA=$SRV/ssl/ca.pem
	SRV_OTHERCA=$SRV/ssl/otherca.pem
	# a password that appears nowhere else, so that leaks can be grepped for
	SRV_PW="pw-$(openssl rand -hex 10)-secret"
	# tests/run.sh greps every test's output for these at the end
	[ -z "${BULLETIN_SECRETS:-}" ] || printf '%s\n' "$SRV_PW" >>"$BULLETIN_SECRETS"
	: >"$SRV/passwd"
	if [ "$(id -u)" = 0 ]; then
		if ! id "$SRV_CONF_USER" >/dev/null 2>&1; then
			useradd --system --user-group --no-create-home \
				--home-dir /nonexistent --shell /usr/sbin/nologin \
				"$SRV_CONF_USER" || return 1
		fi
		SRV_MUSER=$SRV_CONF_USER
		SRV_LOGIN_USER=dovenull
		SRV_INTERNAL_USER=dovecot
		id dovenull >/dev/null 2>&1 || SRV_LOGIN_USER=$SRV_MUSER
		id dovecot >/dev/null 2>&1 || SRV_INTERNAL_USER=$SRV_MUSER
		chown "root:$(id -gn "$SRV_INTERNAL_USER")" "$SRV/passwd"
		chmod 640 "$SRV/passwd"
	else
		SRV_MUSER=$(id -un)
		SRV_LOGIN_USER=$SRV_MUSER
		SRV_INTERNAL_USER=$SRV_MUSER
	fi
	SRV_MUID=$(id -u "$SRV_MUSER")
	SRV_MGID=$(id -g "$SRV_MUSER")
	chown "$SRV_MUID:$SRV_MGID" "$SRV/mail"
}

srv_add_user() {
	grep -q "^$1:" "$SRV/passwd" 2>/dev/null && return 0
	printf '%s:{PLAIN}%s::::::\n' "$1" "$SRV_PW" >>"$SRV/passwd"
	# Dovecot re-reads the file when its mtime (seconds) changes: give
	# every version its own
	SRV_PWSTAMP=$((${SRV_PWSTAMP:-$(($(date +%s) - 100000))} + 1))
	touch -d "@$SRV_PWSTAMP" "$SRV/passwd"
}

srv_write_conf() {	# NAME CERT
	local name=$1 cert=$2 d=$SRV/$1 unpriv=""
	mkdir -p "$d/run" "$d/state" "$d/log"
	[ "$(id -u)" = 0 ] || unpriv=1
	cat >"$d/dovecot.conf" <<EOF
# private test instance made by tests/e2e/servers.sh
instance_name = bulletin-test-$name-$$
base_dir = $d/run
state_dir = $d/state
log_path = $d/log/dovecot.log
info_log_path = $d/log/info.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$SRV/ssl/$cert.pem
ssl_key = <$SRV/ssl/$cert.key
ssl_dh = <$SRV/ssl/dh.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = $SRV_LOGIN_USER
default_internal_user = $SRV_INTERNAL_USER
first_valid_uid = $SRV_MUID
last_valid_uid = 0
first_valid_gid = $SRV_MGID
mail_uid = $SRV_MUID
mail_gid = $SRV_MGID
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $SRV/passwd
}
userdb {
  driver = static
  args = uid=$SRV_MUID gid=$SRV_MGID home=$SRV/mail/%n
}
protocol imap {
  mail_max_userip_connections = 100
}
service imap-login {
${unpriv:+  chroot =}
  inet_listener imap {
    address = 127.0.0.1
    port = ${SRV_IMAP[$name]}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${SRV_IMAPS[$name]}
    ssl = yes
  }
}
EOF
	if [ -n "$unpriv" ]; then
		cat >>"$d/dovecot.conf" <<EOF
default_internal_group = $(id -gn)
service anvil {
  chroot =
}
service auth {
  user = \$default_internal_user
}
service auth-worker {
  user = \$default_internal_user
}
EOF
	fi
}

srv_start() {
	local name=$1 cert=${2:-server} try
	if [ -n "${SRV_IMAP[$name]:-}" ]; then	# a restart: the same ports
		srv_start1 "$name"
		return
	fi
	# a first start: new ports, again with others if another process took
	# them between the probe and Dovecot's bind (tests running in parallel)
	for try in 1 2 3; do
		srv_free_pair || return 1
		SRV_IMAP[$name]=$SRV_PORT
		SRV_IMAPS[$name]=$((SRV_PORT + 1))
		srv_write_conf "$name" "$cert"
		srv_start1 "$name" && return 0
	done
	return 1
}

srv_start1() {
	local name=$1 p pid i
	for p in "${SRV_IMAP[$name]}" "${SRV_IMAPS[$name]}"; do
		if srv_port_open "$p"; then
			echo "servers.sh: port $p already in use" >&2
			return 1
		fi
	done
	"$SRV_DOVECOT" -F -c "$SRV/$name/dovecot.conf" </dev/null \
		>>"$SRV/$name/log/dovecot.out" 2>&1 &
	pid=$!
	SRV_PID[$name]=$pid
	srv_await "$pid" "${SRV_IMAP[$name]}" "${SRV_IMAPS[$name]}" 0.2 && return 0
	echo "servers.sh: dovecot $name failed to start" >&2
	tail -n 5 "$SRV/$name/log/dovecot.out" "$SRV/$name/log/dovecot.log" >&2 2>/dev/null
	srv_stop "$name"
	return 1
}

# the master we started and all its descendants
srv_pids() {
	local pid=${SRV_PID[$1]:-}
	[ -n "$pid" ] || return 0
	echo "$pid"
	srv_descendants "$pid"
}

srv_stop() {
	local name=$1 pid=${SRV_PID[$1]:-} kids i k
	[ -n "$pid" ] || return 0
	kids=$(srv_descendants "$pid")
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	for k in $kids; do kill -KILL "$k" 2>/dev/null; done
	wait "$pid" 2>/dev/null
	SRV_PID[$name]=""
	return 0
}

srv_kill9() {
	local name=$1 all
	all=$(srv_pids "$name")
	[ -n "$all" ] || return 0
	kill -KILL $all 2>/dev/null
	wait "${SRV_PID[$name]}" 2>/dev/null
	SRV_PID[$name]=""
	# the listening sockets go with the processes
	return 0
}

# doveadm against our running instance (the first one started if none named)
srv_doveadm() {
	local conf
	conf=$SRV/${SRV_DOVEADM_INSTANCE:-main}/dovecot.conf
	doveadm -c "$conf" "$@"
}

# folder directory of USER's FOLDER (Maildir++ layout)
srv_folder_dir() {
	if [ "$2" = INBOX ]; then
		echo "$SRV/mail/$1/Maildir"
	else
		# Dovecot keeps folder names on disk in modified UTF-7
		echo "$SRV/mail/$1/Maildir/.$(python3 -c '
import base64, sys
out, run = [], ""
def flush():
    if run:
        b = base64.b64encode(run.encode("utf-16-be")).decode()
        out.append("&" + b.rstrip("=").replace("/", ",") + "-")
for ch in sys.argv[1] + "\0":
    if 0x20 <= ord(ch) <= 0x7e or ch == "\0":
        flush(); run = ""
        if ch != "\0":
            out.append("&-" if ch == "&" else ch)
    else:
        run += ch
print("".join(out))' "$2" | tr / .)"
	fi
}

srv_mkfolder() {	# USER FOLDER
	if [ "$2" = INBOX ]; then
		srv_doveadm mailbox status -u "$1" messages INBOX >/dev/null
	else
		srv_doveadm mailbox create -u "$1" "$2" 2>/dev/null
		srv_doveadm mailbox status -u "$1" messages "$2" >/dev/null
	fi
}

srv_fill() {	# USER FOLDER SRCDIR
	local user=$1 folder=$2 src=$3 d
	srv_mkfolder "$user" "$folder" || return 1
	d=$(srv_folder_dir "$user" "$folder")
	mkdir -p "$d/cur" "$d/new" "$d/tmp"
	python3 - "$src" "$d/cur" <<'PY' || return 1
import os, shutil, sys, time, uuid
src, dst = sys.argv[1], sys.argv[2]
now = int(time.time())
for i, name in enumerate(sorted(os.listdir(src))):
    f = os.path.join(src, name)
    if os.path.isfile(f):
        shutil.copyfile(f, os.path.join(dst, "%d.M%dR%s.bulletintest:2," % (now, i, uuid.uuid4().hex[:12])))
PY
	chown -R "$SRV_MUID:$SRV_MGID" "$SRV/mail/$user"
	srv_doveadm force-resync -u "$user" "$folder"
}

srv_save() {	# USER FOLDER FILE...
	local user=$1 folder=$2 f
	shift 2
	for f in "$@"; do
		srv_doveadm save -u "$user" -m "$folder" <"$f" || return 1
	done
}

srv_status() {	# USER FOLDER FIELD
	srv_doveadm -f flow mailbox status -u "$1" "$3" "$2" 2>/dev/null |
		sed -n "s/.*$3=\([0-9]*\).*/\1/p"
}

srv_search() {	# USER FOLDER QUERY...
	local user=$1 folder=$2
	shift 2
	srv_doveadm search -u "$user" mailbox "$folder" "$@" 2>/dev/null | wc -l
}

# the Message-IDs in USER's FOLDER, sorted
srv_message_ids() {
	srv_doveadm -f flow fetch -u "$1" hdr.message-id mailbox "$2" 2>/dev/null |
		sed -n 's/^hdr.message-id=[[:space:]]*//p' | sort
}

srv_gen() {	# DIR N [TAG] [SIZE_KB]
	mkdir -p "$1"
	python3 - "$1" "$2" "${3:-m}" "${4:-1}" <<'PY'
import os, sys, random
out, n, tag, kb = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
rnd = random.Random(tag)
words = ("probation service report inspection union branch committee members "
         "caseload staffing audit national office accounts public officers "
         "court supervision rehabilitation community campaign meeting").split()
topics = ["National Audit Office report on probation", "Public Accounts Committee hearing",
          "HM Inspectorate of Probation inspection", "Branch report", "Napo news"]
for i in range(1, n + 1):
    paras, size = [], 0
    while size < kb * 1024:
        p = " ".join(rnd.choice(words) for _ in range(60))
        paras.append(p)
        size += len(p) + 2
    title = "%s %s-%d" % (topics[i % len(topics)], tag, i)
    body = "%s\n%s\n\n%s\n\nRead more: https://news.example.org/%s/%d\n" % (
        title, "=" * len(title), "\n\n".join(paras), tag, i)
    msg = ("From: Bulletin Desk <desk@news.example.org>\r\n"
           "To: branch@example.net\r\n"
           "Subject: Bulletin %s %d\r\n"
           "Date: Mon, 16 Nov 2026 %02d:%02d:%02d +0000\r\n"
           "Message-ID: <%s.%d.%d@test.bulletin.example>\r\n"
           "MIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\n" % (
               tag, i, i // 3600 % 24, i // 60 % 60, i % 60, tag, i, n)
           + body.replace("\n", "\r\n"))
    with open(os.path.join(out, "%s-%06d.eml" % (tag, i)), "w", newline="") as f:
        f.write(msg)
PY
}

# a fake server on a free port: silent (accepts, never speaks), garbage (a
# non-IMAP greeting), close (accepts and closes at once).  Port in $SRV_FAKE_PORT.
srv_fake() {
	local mode=$1 port pid i
	srv_free_port || return 1
	port=$SRV_PORT
	python3 - "$mode" "$port" </dev/null >/dev/null 2>&1 <<'PY' &
import socket, sys, time, threading
mode, port = sys.argv[1], int(sys.argv[2])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
keep = []
while True:
    c, _ = s.accept()
    if mode == "garbage":
        c.sendall(b"HELLO this is not IMAP\r\n220 nor SMTP\r\n\x00\xff garbage\r\n")
        keep.append(c)
    elif mode == "close":
        c.close()
    else:
        keep.append(c)
PY
	pid=$!
	srv_track "$pid"
	for i in $(seq 50); do
		srv_port_open "$port" && break
		sleep 0.1
	done
	SRV_FAKE_PORT=$port
}

# srv_conf FILE KEY=VALUE...: a bulletin config.  store=, rules= go to their
# sections, every other KEY to [imap] (defaults: host 127.0.0.1, the imaps
# port of instance "main", tls imaps, ca_file the test CA, user bulletin,
# password_file FILE.pass (mode 0600), folders INBOX, after keep, timeout 10,
# batch 250).  KEY= (empty) drops the key.
srv_conf() {
	local file=$1 kv k v
	shift
	declare -A c=(
		[host]=127.0.0.1 [port]=${SRV_IMAPS[main]:-} [tls]=imaps
		[ca_file]=$SRV_CA [user]=bulletin [password_file]=$file.pass
		[folders]=INBOX [after]=keep [allow_plaintext]=false
		[timeout]=10 [batch]=250
	)
	local store=${file%.conf}.db rules=filters
	local order="host port tls ca_file user password_file folders after allow_plaintext timeout batch"
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		case $k in
		store) store=$v ;;
		rules) rules=$v ;;
		*)
			case " $order " in *" $k "*) ;; *) order="$order $k" ;; esac
			c[$k]=$v
			;;
		esac
	done
	if [ ! -e "$file.pass" ]; then
		(umask 077 && printf '%s\n' "$SRV_PW" >"$file.pass")
	fi
	{
		printf '[store]\npath = %s\n[rules]\ndir = %s\n[imap]\n' "$store" "$rules"
		for k in $order; do
			[ -n "${c[$k]}" ] && printf '%s = %s\n' "$k" "${c[$k]}"
		done
	} >"$file"
}

# the top-level Message-IDs of the raw messages in a bulletin store, sorted,
# without <> (the messages.message_id column holds the forwarded bulletin's
# ID for a forward, so it is not used here)
srv_store_ids() {
	{ python3 - "$1" <<'PY' 2>/dev/null
import email, sqlite3, sys
ids = []
f = None
for raw, at, size in sqlite3.connect(sys.argv[1]).execute(
        "select raw, raw_at, size from messages"):
    if at is not None:     # in STORE.raw (rawfile.h)
        f = f or open(sys.argv[1] + ".raw", "rb")
        f.seek(at)
        raw = f.read(size)
    mid = email.message_from_bytes(bytes(raw))["Message-ID"] or ""
    ids.append(mid.strip().strip("<>"))
print("\n".join(ids))
PY
	} | sort
}

# --- SMTP sink (tests/e2e/smtp_sink.py, aiosmtpd) ------------------------
#
#   sink_require              skip (exit 77) without python3-aiosmtpd (for
#                             /usr/bin/python3), openssl or sqlite3, or fail
#                             when CI=true
#   sink_init                 srv_init (scratch dir, test CA and certs) if not
#                             done yet, and a cleanup trap for the sinks
#   sink_start NAME [FLAG...] start sink NAME: SMTP (+STARTTLS) on
#                             ${SINK_PORT[NAME]}, SMTPS on ${SINK_SMTPS[NAME]}
#                             = port + 1, cert $SINK_CERT (default "server",
#                             or "wronghost"); files in ${SINK_DIR[NAME]}
#                             (mail/, sessions.log, control, sink.out); FLAGs
#                             go to smtp_sink.py (--require-starttls,
#                             --auth any|exact, --user U --password-file F,
#                             --tempfail A,B --permfail A --drop-after N); a
#                             second start of a stopped NAME reuses its ports
#   sink_stop NAME            TERM (then KILL) the sink we started, by PID
#   sink_control NAME LINE... replace the sink's control file (re-read by the
#                             sink on every MAIL/RCPT/DATA), e.g.
#                             sink_control main "tempfail = a@example.net"
#   sink_count NAME           number of messages stored
#   sink_sessions NAME        number of SMTP sessions (connections that
#                             said EHLO; port probes do not count)
#   sink_rcpts NAME           the envelope recipients of the stored messages,
#                             one a line, sorted (repeats kept)
#   sink_conf FILE NAME KEY=VALUE...  a bulletin config sending to sink NAME
#                             ([smtp] keys; digest.KEY to [digest]; store=,
#                             rules=; KEY= drops a key)
#
# Ports 14500-14599; every sink is stopped by its PID.

SINK_PY=${SINK_PYTHON:-/usr/bin/python3}
SINK_SCRIPT=${SINK_SCRIPT:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/smtp_sink.py}
declare -A SINK_PORT SINK_SMTPS SINK_PID SINK_DIR SINK_ARGS

sink_require() {
	local missing=""
	"$SINK_PY" -c 'import aiosmtpd' 2>/dev/null || missing="$missing python3-aiosmtpd"
	command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
	command -v sqlite3 >/dev/null 2>&1 || missing="$missing sqlite3"
	[ -z "$missing" ] && return 0
	if [ "${CI:-}" = true ]; then
		echo "not ok 1 - needed for the SMTP tests:$missing (apt-get install$missing)"
		exit 1
	fi
	echo "# skip: needed for the SMTP tests:$missing (apt-get install$missing)"
	exit 77
}

sink_cleanup() {
	local name
	for name in "${!SINK_PID[@]}"; do
		[ -n "${SINK_PID[$name]}" ] && sink_stop "$name" >/dev/null 2>&1
	done
	return 0
}

sink_init() {
	local prev
	if [ -z "${SRV:-}" ] || [ ! -d "$SRV/ssl" ]; then
		srv_init || return 1
	fi
	[ -n "${SINK_TRAP:-}" ] && return 0
	SINK_TRAP=1
	prev=$(trap -p EXIT)
	if [ -n "$prev" ]; then
		eval "set -- ${prev#trap -- }"
		trap "sink_cleanup; $1" EXIT
	else
		trap sink_cleanup EXIT
	fi
}

# $SRV_PORT := P, a free pair P, P+1 in 14500-14599
sink_free_pair() {
	local i p
	for i in $(seq 0 98); do
		p=$((14500 + ($$ + i * 2) % 99))
		case "$SRV_USED_PORTS" in *" $p "* | *" $((p + 1)) "*) continue ;; esac
		srv_port_open "$p" && continue
		srv_port_open "$((p + 1))" && continue
		SRV_USED_PORTS="$SRV_USED_PORTS$p $((p + 1)) "
		SRV_PORT=$p
		return 0
	done
	echo "servers.sh: no free port pair in 14500-14599" >&2
	return 1
}

sink_start() {
	local name=$1 try cert=${SINK_CERT:-server}
	shift
	sink_init || return 1
	SINK_DIR[$name]=$SRV/sink-$name
	mkdir -p "${SINK_DIR[$name]}"
	if [ -n "${SINK_PORT[$name]:-}" ]; then	# a restart: the same ports
		[ $# -gt 0 ] || eval "set -- ${SINK_ARGS[$name]}"
		sink_start1 "$name" "$cert" "$@"
		return
	fi
	SINK_ARGS[$name]=$(printf '%q ' "$@")
	for try in 1 2 3; do
		sink_free_pair || return 1
		SINK_PORT[$name]=$SRV_PORT
		SINK_SMTPS[$name]=$((SRV_PORT + 1))
		sink_start1 "$name" "$cert" "$@" && return 0
	done
	return 1
}

sink_start1() {
	local name=$1 cert=$2 d=${SINK_DIR[$1]} pid i
	shift 2
	"$SINK_PY" "$SINK_SCRIPT" --dir "$d" --port "${SINK_PORT[$name]}" \
		--smtps-port "${SINK_SMTPS[$name]}" \
		--cert "$SRV/ssl/$cert.pem" --key "$SRV/ssl/$cert.key" "$@" \
		</dev/null >>"$d/sink.out" 2>&1 &
	pid=$!
	SINK_PID[$name]=$pid
	srv_await "$pid" "${SINK_PORT[$name]}" "${SINK_SMTPS[$name]}" 0.1 && return 0
	echo "servers.sh: smtp sink $name failed to start" >&2
	tail -n 5 "$d/sink.out" >&2
	sink_stop "$name"
	return 1
}

sink_stop() {
	local name=$1 pid=${SINK_PID[$1]:-} i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	SINK_PID[$name]=""
	return 0
}

sink_control() {
	local name=$1
	shift
	printf '%s\n' "$@" >"${SINK_DIR[$name]}/control.tmp" &&
		mv "${SINK_DIR[$name]}/control.tmp" "${SINK_DIR[$name]}/control"
}

sink_count() {
	find "${SINK_DIR[$1]}/mail" -maxdepth 1 -name '*.eml' 2>/dev/null | wc -l
}

sink_sessions() {	# connections that said EHLO (port probes do not)
	awk '$1 == "ehlo" { s[$2] } END { print length(s) }' \
		"${SINK_DIR[$1]}/sessions.log" 2>/dev/null || echo 0
}

sink_rcpts() {
	local f
	for f in "${SINK_DIR[$1]}"/mail/*.eml; do
		[ -e "$f" ] || continue
		sed -n '2{s/^X-Envelope-To: //;s/\r$//;p;q}' "$f"
	done | sort
}

# sink_conf FILE NAME KEY=VALUE...: a bulletin config sending to sink NAME.
# Defaults: url smtp://127.0.0.1:PORT, tls starttls, ca_file the test CA,
# user bulletin, password_file FILE.pass (mode 0600, $SRV_PW), from
# "Branch Digest <digest@example.org>", timeout 10, rate 0; [digest]
# list_id probation.example.org, request_address bulletin-request@example.org.
sink_conf() {
	local file=$1 name=$2 kv k v
	shift 2
	declare -A c=(
		[url]=smtp://127.0.0.1:${SINK_PORT[$name]:-} [tls]=starttls
		[ca_file]=$SRV_CA [user]=bulletin [password_file]=$file.pass
		[from]="Branch Digest <digest@example.org>" [timeout]=10 [rate]=0
		[digest.list_id]=probation.example.org
		[digest.request_address]=bulletin-request@example.org
	)
	local store=${file%.conf}.db rules=filters
	local order="url tls ca_file user password_file from timeout rate"
	local dorder="digest.list_id digest.request_address"
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		case $k in
		store) store=$v ;;
		rules) rules=$v ;;
		digest.*)
			case " $dorder " in *" $k "*) ;; *) dorder="$dorder $k" ;; esac
			c[$k]=$v
			;;
		*)
			case " $order " in *" $k "*) ;; *) order="$order $k" ;; esac
			c[$k]=$v
			;;
		esac
	done
	if [ ! -e "$file.pass" ]; then
		(umask 077 && printf '%s\n' "$SRV_PW" >"$file.pass")
	fi
	{
		printf '[store]\npath = %s\n[rules]\ndir = %s\n[smtp]\n' "$store" "$rules"
		for k in $order; do
			[ -n "${c[$k]}" ] && printf '%s = %s\n' "$k" "${c[$k]}"
		done
		printf '[digest]\n'
		for k in $dorder; do
			[ -n "${c[$k]}" ] && printf '%s = %s\n' "${k#digest.}" "${c[$k]}"
		done
	} >"$file"
}
