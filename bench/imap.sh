#!/usr/bin/env bash
# bench/imap.sh [BUILD_DIR] - first IMAP sync of N messages: `bulletin fetch`
# against mbsync, from the same private Dovecot on 127.0.0.1, with TLS
# (imaps, certificate checked against a CA made at run time) and without.
#
# For each TLS mode and each of REPS repetitions (interleaved):
#   bulletin  bulletin --config C fetch      fresh store, then a no-op re-run
#   mbsync    mbsync -q -c RC inbox          fresh Maildir, then a no-op re-run
# and prints a Markdown table of medians (also bench/out/imap/results.md):
# msgs/s of the first sync, MB/s, client peak RSS (GNU time %M), the no-op
# re-run's seconds, and bulletin's msgs/s over mbsync's in the same mode.
# The Dovecot instance, certificates and passwords come from
# tests/e2e/servers.sh (ports 14400-14499, stopped by PID at exit).
#
# Environment: N=10000 messages, SIZE_KB=20 average size, SEED=1 (corpus of
# bench/gen_corpus.py, kept in bench/out/imap-corpus/), REPS=1.  A run whose
# count is not N (store rows, Maildir files) is reported as failed (status 99).
# As root, missing dovecot-imapd, openssl, isync (mbsync), GNU time and
# python3 are installed with apt-get.
set -u
N=${N:-10000}
SIZE_KB=${SIZE_KB:-20}
SEED=${SEED:-1}
REPS=${REPS:-1}

cd "$(dirname "$0")/.." || exit 1
BUILD=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "imap.sh: no build directory '${1:-build}'" >&2; exit 1; }
BULLETIN=$BUILD/bulletin
OUT=$PWD/bench/out/imap
CORPUS=$PWD/bench/out/imap-corpus
mkdir -p "$OUT"

# --- tools -------------------------------------------------------------------
need=""
[ -x /usr/sbin/dovecot ] && [ -e /usr/lib/dovecot/imap ] && command -v doveadm >/dev/null || need="$need dovecot-imapd"
command -v openssl >/dev/null || need="$need openssl"
command -v mbsync >/dev/null || need="$need isync"
[ -x /usr/bin/time ] || need="$need time"
command -v python3 >/dev/null || need="$need python3"
command -v sqlite3 >/dev/null || need="$need sqlite3"
if [ -n "$need" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "installing:$need"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends $need >/dev/null || exit 1
	else
		echo "imap.sh: needed:$need (as root: apt-get install$need)" >&2
		exit 1
	fi
fi
[ -x "$BULLETIN" ] || echo "imap.sh: $BULLETIN is missing; its rows will say 'failed'" >&2

# --- corpus and server -------------------------------------------------------------
want="$N $SIZE_KB $SEED"
if [ "$(cat "$CORPUS/corpus.params" 2>/dev/null)" != "$(python3 -c 'import sys; print("%d %g %d" % (int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])))' $want)" ]; then
	echo "generating corpus: N=$N SIZE_KB=$SIZE_KB SEED=$SEED in $CORPUS/"
	rm -rf "$CORPUS"
	python3 bench/gen_corpus.py "$CORPUS" "$N" "$SIZE_KB" "$SEED" || exit 1
	rm -f "$CORPUS/corpus.mbox"	# only the Maildir is used here
fi
MB=$(cat "$CORPUS"/maildir/cur/* "$CORPUS"/maildir/new/* | wc -c | awk '{ print $1 / 1e6 }')

. tests/e2e/servers.sh
srv_init && srv_add_user bench && srv_start main || { echo "imap.sh: Dovecot did not start" >&2; exit 1; }
echo "Dovecot: imap 127.0.0.1:${SRV_IMAP[main]}, imaps ${SRV_IMAPS[main]} (scratch $SRV)"
srv_fill bench INBOX "$CORPUS/maildir/cur" && srv_fill bench INBOX "$CORPUS/maildir/new" || exit 1
have=$(srv_status bench INBOX messages)
[ "$have" = "$N" ] || { echo "imap.sh: INBOX holds $have messages, not $N" >&2; exit 1; }
W=$SRV/work
mkdir -p "$W"
(umask 077 && printf '%s\n' "$SRV_PW" >"$W/pass")

# --- clients -----------------------------------------------------------------------
conf_bulletin() {	# TLS -> $W/bulletin-TLS.conf
	local tls=$1 port=${SRV_IMAPS[main]} ca="ca_file = $SRV_CA"
	[ "$tls" = none ] && { port=${SRV_IMAP[main]}; ca=""; }
	cat >"$W/bulletin-$tls.conf" <<EOF
[store]
path = $W/store-$tls.db
[rules]
dir = filters
[imap]
host = 127.0.0.1
port = $port
tls = $tls
$ca
user = bench
password_file = $W/pass
folders = INBOX
after = keep
timeout = 30
batch = 250
EOF
}
conf_mbsync() {	# TLS -> $W/mbsync-TLS.rc (mbsync 1.4 checks DNS names only: localhost)
	local tls=$1
	{
		echo "IMAPAccount bench"
		if [ "$tls" = imaps ]; then
			echo "Host localhost"; echo "Port ${SRV_IMAPS[main]}"
			echo "SSLType IMAPS"; echo "CertificateFile $SRV_CA"
		else
			echo "Host 127.0.0.1"; echo "Port ${SRV_IMAP[main]}"; echo "SSLType None"
		fi
		echo "User bench"; echo "PassCmd \"cat $W/pass\""; echo "AuthMechs LOGIN"
		echo; echo "IMAPStore far"; echo "Account bench"
		echo; echo "MaildirStore near"; echo "Path $W/mbsync-$tls/"; echo "Inbox $W/mbsync-$tls/INBOX"
		echo; echo "Channel inbox"; echo "Far :far:INBOX"; echo "Near :near:INBOX"
		echo "Sync Pull"; echo "Create Near"; echo "Expunge None"; echo "SyncState *"
	} >"$W/mbsync-$tls.rc"
}

# measure LOG CMD...: "STATUS WALL_S MAXRSS_KB CPU_S" (client user + system)
measure() {
	local log=$1 st=0 t0 t1 rss cpu
	shift
	t0=$(date +%s%N)
	/usr/bin/time -o "$W/time.out" -f '%M %U %S' "$@" >"$log" 2>&1 </dev/null || st=$?
	t1=$(date +%s%N)
	set -- $(tail -n 1 "$W/time.out" 2>/dev/null)
	rss=${1:-0} cpu=$(awk -v u="${2:-0}" -v s="${3:-0}" 'BEGIN { printf "%.2f", u + s }')
	case $rss in '' | *[!0-9]*) rss=0 ;; esac
	echo "$st $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }') $rss $cpu"
}
canary() {
	python3 -c 'import time
t = time.perf_counter(); sum(i * i for i in range(10**7))
print("%.2f" % (time.perf_counter() - t))'
}

RAW=$OUT/raw.tsv
printf 'rep\ttls\ttool\tphase\tstatus\twall_s\tmaxrss_kb\tcpu_s\tcount\n' >"$RAW"
record() {	# REP TLS TOOL PHASE "ST WALL RSS" COUNT
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$(echo $5 | tr ' ' '\t')" "$6" >>"$RAW"
	local r=($5)
	if [ "${r[0]}" = 0 ]; then
		printf '  rep %s %-5s %-8s %-5s %7.2f s %6.1f MB  %s messages\n' "$1" "$2" "$3" "$4" \
			"${r[1]}" "$(awk -v k="${r[2]}" 'BEGIN { print k / 1024 }')" "$6"
	else
		printf '  rep %s %-5s %-8s %-5s failed (exit %s, see %s)\n' "$1" "$2" "$3" "$4" "${r[0]}" "$OUT/$3-$2-$4.log"
	fi
}
run_bulletin() {	# REP TLS
	local rep=$1 tls=$2 r c
	rm -f "$W/store-$tls.db" "$W/store-$tls.db-wal" "$W/store-$tls.db-shm" \
	    "$W/store-$tls.db.raw"
	sync	# write back the last run's files now, not during this one
	r=$(measure "$OUT/bulletin-$tls-first.log" "$BULLETIN" --config "$W/bulletin-$tls.conf" fetch)
	c=$(sqlite3 "$W/store-$tls.db" 'select count(*) from messages' 2>/dev/null || echo 0)
	if [ "$c" != "$N" ]; then	# a wrong count is a failure (status 99)
		echo "  (bulletin stored $c of $N)"
		[ "${r%% *}" = 0 ] && r="99 ${r#* }"
	fi
	record "$rep" "$tls" bulletin first "$r" "$c"
	r=$(measure "$OUT/bulletin-$tls-noop.log" "$BULLETIN" --config "$W/bulletin-$tls.conf" fetch)
	record "$rep" "$tls" bulletin noop "$r" "$(sqlite3 "$W/store-$tls.db" 'select count(*) from messages' 2>/dev/null)"
}
run_mbsync() {	# REP TLS
	local rep=$1 tls=$2 r c
	rm -rf "$W/mbsync-$tls"
	mkdir -p "$W/mbsync-$tls"
	sync
	r=$(measure "$OUT/mbsync-$tls-first.log" mbsync -q -c "$W/mbsync-$tls.rc" inbox)
	c=$(find "$W/mbsync-$tls/INBOX/cur" "$W/mbsync-$tls/INBOX/new" -type f 2>/dev/null | wc -l)
	if [ "$c" != "$N" ]; then
		echo "  (mbsync wrote $c of $N)"
		[ "${r%% *}" = 0 ] && r="99 ${r#* }"
	fi
	record "$rep" "$tls" mbsync first "$r" "$c"
	sleep 1.1	# mbsync waits 1 s after a recent change of its Maildir
	r=$(measure "$OUT/mbsync-$tls-noop.log" mbsync -q -c "$W/mbsync-$tls.rc" inbox)
	record "$rep" "$tls" mbsync noop "$r" "$c"
}

for tls in imaps none; do conf_bulletin $tls; conf_mbsync $tls; done
# rep 0 is a warm-up, left out of the table: Dovecot builds its index cache
# and the page cache fills on the first full read of the folder
echo "warm-up (rep 0, not in the table): every tool once"
for tls in imaps none; do
	run_bulletin 0 "$tls" >/dev/null
	run_mbsync 0 "$tls" >/dev/null
done
CANARY0=$(canary)
echo "N=$N SIZE_KB=$SIZE_KB ($MB MB), REPS=$REPS, CPU canary ${CANARY0}s"
for rep in $(seq "$REPS"); do
	for tls in imaps none; do
		run_bulletin "$rep" "$tls"
		run_mbsync "$rep" "$tls"
	done
done
CANARY1=$(canary)

# --- table -----------------------------------------------------------------------------
python3 - "$RAW" "$N" "$MB" "$CANARY0" "$CANARY1" "$SIZE_KB" "$REPS" >"$OUT/results.md" <<'PY'
import csv, statistics, sys, datetime, platform
raw, n, mb, c0, c1, kb, reps = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), *sys.argv[4:]
rows = [r for r in csv.DictReader(open(raw), delimiter="\t") if r["rep"] != "0"]
def sel(tool, tls, phase):
    return [r for r in rows if (r["tool"], r["tls"], r["phase"]) == (tool, tls, phase)]
def med(rs, key):
    ok = [float(r[key]) for r in rs if r["status"] == "0"]
    return statistics.median(ok) if ok and len(ok) == len(rs) else None
cpu = "?"
try:
    cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
except Exception:
    pass
print("# IMAP first sync: bulletin fetch vs mbsync\n")
print("%s UTC, %s, N=%d (~%s KB, %.1f MB), REPS=%s, CPU canary %ss before, %ss after\n"
      % (datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), cpu, n, kb, mb, reps, c0, c1))
print("| tls | tool | first sync s | msgs/s | MB/s | client CPU s | peak RSS MB | no-op re-run s | ratio to mbsync |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for tls in ("imaps", "none"):
    rate = {}
    for tool in ("mbsync", "bulletin"):
        first, noop = sel(tool, tls, "first"), sel(tool, tls, "noop")
        s = med(first, "wall_s")
        rss = max([int(r["maxrss_kb"]) for r in first + noop] or [0]) / 1024
        rate[tool] = n / s if s else None
        ns = med(noop, "wall_s")
        ratio = "1.00" if tool == "mbsync" else (
            "%.2f" % (rate[tool] / rate["mbsync"]) if rate[tool] and rate.get("mbsync") else "")
        if s is None:
            print("| %s | %s | failed | | | | | | |" % (tls, tool))
            continue
        print("| %s | %s | %.2f | %.0f | %.1f | %.2f | %.1f | %s | %s |" % (
            tls, tool, s, n / s, mb / s, med(first, "cpu_s"), rss,
            "%.3f" % ns if ns is not None else "failed", ratio))
print("\nfirst sync = fresh store / fresh Maildir; no-op = the same command again at once"
      " (mbsync after 1.1 s). bulletin also parses, splits, classifies and stores in SQLite;"
      " mbsync writes (and fsyncs) one file per message.")
PY
cat "$OUT/results.md"
