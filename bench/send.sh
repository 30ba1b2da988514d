#!/usr/bin/env bash
# bench/send.sh [BUILD_DIR [BASE_BUILD_DIR]] - render and send N weekly
# digests: `bulletin digest` (render, queue, send over one reused libcurl
# connection) against other senders of the very same messages to the same
# sink.
#
# Setup (untimed): the sample inbox (tests/fixtures/inbox) ingested into a
# store with N subscribers (all categories, weekly), an SMTP sink
# (tests/e2e/smtp_sink.py, aiosmtpd, 127.0.0.1, ports 14500-14599, stopped
# by PID at exit; see tests/e2e/servers.sh), and one untimed `bulletin
# digest` whose N messages, as the sink stored them, are what the other
# senders send: every sender moves the same bytes.  Each repetition runs
# every method once, the order rotated from one repetition to the next
# (a sink that slows as its folder fills, or a disk still writing back
# the previous method's files, then hits each method alike), with `sync`
# before each:
#   render     bulletin digest --dry-run --out DIR    render only, no SMTP
#   bulletin   bulletin digest --period WEEK          render + queue + send
#   send       bulletin send, the N digests queued beforehand (untimed)
#   curl       one `curl --upload-file` process per message
#   curl-K     one curl process, all messages chained with `next` in a -K
#              file (libcurl reuses the connection: the tool's best case)
#   smtplib    Python smtplib, one connection, sendmail() per message
#              (TCP_NODELAY set)
# With BASE_BUILD_DIR, its bulletin runs render, bulletin and send as well
# (rows "base: ..."): a before/after in one invocation.  Prints a Markdown table
# of medians (also bench/out/send/results.md): seconds, digests/s, the
# ratio to smtplib, peak RSS of the bulletin runs (GNU time), SMTP
# sessions the sink saw, and whether it received exactly N.
#
# Environment: N=500 subscribers, REPS=3, TLS=0 (1: STARTTLS with the
# test CA and AUTH PLAIN for every sender).  The aiosmtpd sink is the
# ceiling for one-connection senders (a few hundred messages/s, see
# the peer figures in bench/README.md); compare rows of one run only.
set -u
N=${N:-500}
REPS=${REPS:-3}
TLS=${TLS:-0}

cd "$(dirname "$0")/.." || exit 1
BUILD=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "send.sh: no build directory '${1:-build}'" >&2; exit 1; }
BULLETIN=$BUILD/bulletin
BASE=
if [ -n "${2:-}" ]; then
	BASE=$(cd "$2" 2>/dev/null && pwd)/bulletin || { echo "send.sh: no build directory '$2'" >&2; exit 1; }
	[ -x "$BASE" ] || { echo "send.sh: $BASE is missing (make)" >&2; exit 1; }
fi
OUT=$PWD/bench/out/send
rm -rf "$OUT"
mkdir -p "$OUT"
[ -x "$BULLETIN" ] || { echo "send.sh: $BULLETIN is missing (make)" >&2; exit 1; }
command -v curl >/dev/null || { echo "send.sh: needs curl (apt-get install curl)" >&2; exit 1; }
TIME=/usr/bin/time
"$TIME" -f %M true >/dev/null 2>&1 || { echo "send.sh: needs GNU time (apt-get install time)" >&2; exit 1; }

. tests/e2e/servers.sh
PY=$SINK_PY
if ! "$PY" -c 'import aiosmtpd' 2>/dev/null || ! command -v sqlite3 >/dev/null ||
	! command -v openssl >/dev/null; then
	echo "send.sh: needs python3-aiosmtpd, sqlite3, openssl (apt-get install python3-aiosmtpd sqlite3 openssl)" >&2
	exit 1
fi
sink_init || exit 1
if [ "$TLS" = 1 ]; then
	sink_start bench --require-starttls --auth any || exit 1
else
	sink_start bench || exit 1
fi
SD=${SINK_DIR[bench]}
PORT=${SINK_PORT[bench]}
WEEK=$(date -u +%G-W%V)
FROM=digest@example.org

# --- store: sample inbox + N subscribers (untimed) -----------------------
STORE0=$OUT/store0.db
CONF=$OUT/bench.conf
conf() {	# STORE
	if [ "$TLS" = 1 ]; then
		sink_conf "$CONF" bench store="$1" digest.templates=templates \
			digest.name="Probation Bulletin" from=$FROM \
			digest.list_id="Probation Bulletin <probation.example.org>" \
			user=bench
	else
		sink_conf "$CONF" bench store="$1" digest.templates=templates \
			digest.name="Probation Bulletin" from=$FROM \
			digest.list_id="Probation Bulletin <probation.example.org>" \
			tls=none ca_file= user= password_file=
	fi
}
conf "$STORE0"
echo "send.sh: store with the sample inbox and $N subscribers (untimed) ..."
"$BULLETIN" --config "$CONF" ingest tests/fixtures/inbox >/dev/null || exit 1
for i in $(seq -w 1 "$N"); do
	"$BULLETIN" --config "$CONF" subscriber add "reader$i@bench.example" \
		--categories all >/dev/null || exit 1
done

# the same configuration without [smtp] url: digest queues, sends nothing
sed 's/^url = .*/url =/' "$CONF" >"$OUT/queue.conf"

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
canary() { local t0 t1; t0=$(now); "$PY" -c 'sum(i*i for i in range(10**7))'; t1=$(now); secs "$t0" "$t1"; }
received() { find "$SD/mail" -maxdepth 1 -name '*.eml' | wc -l; }
sessions() { sink_sessions bench; }

# the messages of one bulletin run, as the sink received them (the outbox
# drops a body once sent), for the other senders: NNN.eml + list
extract() {	# FIRST_SEQ DIR: sink files numbered above FIRST_SEQ
	"$PY" - "$SD/mail" "$1" "$2" <<'PY'
import os, sys
src, first, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(d, exist_ok=True)
with open(os.path.join(d, "list"), "w") as lst:
    for name in sorted(os.listdir(src)):
        if not name.endswith(".eml") or int(name.split("-")[0]) <= first:
            continue
        raw = open(os.path.join(src, name), "rb").read()
        env_from, env_to, body = raw.split(b"\r\n", 2)
        f = os.path.join(d, name)
        with open(f, "wb") as out:
            out.write(body)
        lst.write("%s %s\n" % (env_to.split(b": ", 1)[1].decode(), f))
PY
}
last_seq() {	# the sink's highest file number so far
	local n
	n=$(find "$SD/mail" -maxdepth 1 -name '*.eml' -printf '%f\n' | sort |
		tail -n 1 | sed 's/-.*//; s/^0*//')
	echo "${n:-0}"
}

CURL_TLS=()
[ "$TLS" = 1 ] && CURL_TLS=(--ssl-reqd --cacert "$SRV_CA" -u "bench:$SRV_PW")
cat >"$OUT/smtplib_1conn.py" <<'PY'
import os, smtplib, socket, ssl, sys
port, listfile, sender = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = smtplib.SMTP("127.0.0.1", port, timeout=120)
s.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.ehlo("bench.example")
if os.environ.get("TLS") == "1":
    s.starttls(context=ssl.create_default_context(cafile=os.environ["CA"]))
    s.ehlo("bench.example")
    s.login("bench", os.environ["PW"])
for line in open(listfile):
    rcpt, f = line.split()
    with open(f, "rb") as fh:
        s.sendmail(sender, [rcpt], fh.read())
s.quit()
PY

# run METHOD REP: one timed run; appends to raw.tsv
run() {
	local m=$1 rep=$2 d=$OUT/run-$2 r0 s0 t0 t1 rc n
	r0=$(received)
	s0=$(sessions)
	t0=$(now)
	case $m in
	render | base-render)
		"$TIME" -o "$d/rss" -f %M "$(bin "$m")" --config "$CONF" --store "$d/$m.db" \
			digest --period "$WEEK" --dry-run --out "$d/$m" >"$OUT/$m.log" 2>&1
		;;
	bulletin | base-bulletin)
		"$TIME" -o "$d/rss" -f %M "$(bin "$m")" --config "$CONF" --store "$d/$m.db" \
			digest --period "$WEEK" >"$OUT/$m.log" 2>&1
		;;
	send | base-send)
		"$TIME" -o "$d/rss" -f %M "$(bin "$m")" --config "$CONF" --store "$d/$m.db" \
			send >"$OUT/$m.log" 2>&1
		;;
	curl)
		while read -r rcpt f; do
			curl -sS --url "smtp://127.0.0.1:$PORT" "${CURL_TLS[@]}" \
				--mail-from "$FROM" --mail-rcpt "$rcpt" --upload-file "$f" || exit 1
		done <"$MSGS/list" >"$OUT/$m.log" 2>&1
		;;
	curl-K)
		curl -sS -K "$OUT/curl.cfg" >"$OUT/$m.log" 2>&1
		;;
	smtplib)
		TLS=$TLS CA=$SRV_CA PW=$SRV_PW "$PY" "$OUT/smtplib_1conn.py" "$PORT" \
			"$MSGS/list" "$FROM" >"$OUT/$m.log" 2>&1
		;;
	esac
	rc=$?
	t1=$(now)
	n=$(($(received) - r0))
	case $m in *render) n=$(find "$d/$m" -name '*.eml' | wc -l) ;; esac
	rss=-
	[ -s "$d/rss" ] && rss=$(tail -n 1 "$d/rss")
	rm -f "$d/rss"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$rep" "$rc" "$(secs "$t0" "$t1")" \
		"$n" "$(($(sessions) - s0))" "$rss" >>"$OUT/raw.tsv"
}
bin() { case $1 in base-*) echo "$BASE" ;; *) echo "$BULLETIN" ;; esac; }

# prepare METHOD REP (untimed): a fresh copy of the store (for send with
# the N digests queued in it), then sync
prepare() {
	local m=$1 d=$OUT/run-$2
	case $m in
	render | base-render)
		rm -rf "${d:?}/$m" "$d/$m.db"*
		cp "$STORE0" "$d/$m.db"
		;;
	bulletin | base-bulletin)
		rm -f "$d/$m.db"*
		cp "$STORE0" "$d/$m.db"
		;;
	send | base-send)
		rm -f "$d/$m.db"*
		cp "$STORE0" "$d/$m.db"
		"$(bin "$m")" --config "$OUT/queue.conf" --store "$d/$m.db" digest \
			--period "$WEEK" >"$OUT/$m-queue.log" 2>&1
		[ "$(sqlite3 "$d/$m.db" "select count(*) from outbox where state = 'queued'")" = "$N" ] ||
			echo "send.sh: $m: queueing beforehand failed (see $OUT/$m-queue.log)" >&2
		;;
	esac
	sync
}

# the peers' messages: those of one untimed bulletin run, as the sink
# stored them
MSGS=$OUT/msgs
cp "$STORE0" "$OUT/msgs.db"
seq0=$(last_seq)
"$BULLETIN" --config "$CONF" --store "$OUT/msgs.db" digest --period "$WEEK" \
	>"$OUT/msgs.log" 2>&1 || { echo "send.sh: bulletin digest failed (see $OUT/msgs.log)" >&2; exit 1; }
rm -f "$OUT/msgs.db"*
extract "$seq0" "$MSGS"
BYTES=$(cut -d' ' -f2 "$MSGS/list" | xargs cat | wc -c)
{
	first=1
	while read -r rcpt f; do
		[ $first = 1 ] || echo next
		first=0
		echo "url = \"smtp://127.0.0.1:$PORT\""
		echo "mail-from = \"$FROM\""
		echo "mail-rcpt = \"$rcpt\""
		echo "upload-file = \"$f\""
		if [ "$TLS" = 1 ]; then
			echo "ssl-reqd"
			echo "cacert = \"$SRV_CA\""
			echo "user = \"bench:$SRV_PW\""
		fi
	done <"$MSGS/list"
} >"$OUT/curl.cfg"

METHODS="render bulletin send smtplib curl-K curl"
[ -n "$BASE" ] && METHODS="render base-render bulletin base-bulletin send base-send smtplib curl-K curl"
C0=$(canary)
printf 'method\trep\trc\twall_s\tmessages\tsessions\tpeak_rss_kb\n' >"$OUT/raw.tsv"
echo "send.sh: N=$N digests, TLS=$TLS, REPS=$REPS, sink 127.0.0.1:$PORT"
set -- $METHODS
for rep in $(seq "$REPS"); do
	mkdir -p "$OUT/run-$rep"
	for m in "$@"; do
		prepare "$m" "$rep"
		run "$m" "$rep"
	done
	rm -rf "$OUT/run-$rep"
	# the next repetition starts one method later
	first=$1
	shift
	set -- "$@" "$first"
done
C1=$(canary)

"$PY" - "$OUT/raw.tsv" "$N" "$TLS" "$C0" "$C1" "${BYTES:-0}" <<'PY' | tee "$OUT/results.md"
import csv, statistics, sys
raw, n, tls, c0, c1, nbytes = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
rows = list(csv.DictReader(open(raw), delimiter="\t"))
print("N=%d digests (~%.1f KiB each), %s; CPU canary %s s before, %s s after\n" % (
    n, nbytes / max(n, 1) / 1024, "STARTTLS + AUTH" if tls == "1" else "plain SMTP", c0, c1))
print("| method | median s | digests/s | vs smtplib | peak RSS MB | sink sessions | exactly N | runs |")
print("|---|---:|---:|---:|---:|---:|---|---:|")
desc = {"render": "bulletin digest --dry-run (render only)",
        "base-render": "base: bulletin digest --dry-run (render only)",
        "bulletin": "bulletin digest (render + queue + send, one connection)",
        "base-bulletin": "base: bulletin digest (render + queue + send)",
        "send": "bulletin send (queued beforehand, one connection)",
        "base-send": "base: bulletin send (queued beforehand)",
        "curl": "curl, 1 process/message", "curl-K": "curl -K, 1 connection",
        "smtplib": "Python smtplib, 1 connection"}
def median(m):
    rs = [r for r in rows if r["method"] == m]
    return statistics.median(float(r["wall_s"]) for r in rs) if rs else 0
ref = median("smtplib")
for m in ("render", "base-render", "bulletin", "base-bulletin", "send", "base-send", "curl", "curl-K", "smtplib"):
    rs = [r for r in rows if r["method"] == m]
    if not rs:
        continue
    ok = all(r["rc"] == "0" and int(r["messages"]) == n for r in rs)
    s = median(m)
    sess = statistics.median(int(r["sessions"]) for r in rs)
    rss = [int(r["peak_rss_kb"]) for r in rs if r["peak_rss_kb"] != "-"]
    print("| %s | %.2f | %.0f | %s | %s | %s | %s | %d |" % (
        desc[m], s, n / s if s else 0,
        "%.2f" % (ref / s) if ref and s and "render" not in m else "-",
        "%.1f" % (max(rss) / 1024) if rss else "-",
        "-" if "render" in m else "%g" % sess, "yes" if ok else "NO", len(rs)))
PY
sink_stop bench
