#!/bin/sh
# bench/run.sh BUILD_DIR - throughput of bulletin against bare GMime.
#
# Generates (or reuses) a synthetic corpus in bench/out/, then for each input
# path (maildir, mbox) times, REPS times each, interleaved:
#   gmime      BUILD_DIR/gmime-baseline PATH
#   classify   BUILD_DIR/bulletin classify --rules filters --json PATH
#   ingest     BUILD_DIR/bulletin --store bench/out/store.db ingest \
#                  --rules filters PATH          (fresh store every time)
# and prints a Markdown table of medians (also bench/out/results.md).  A tool
# that fails is reported as "failed" and the run goes on.
#
# Environment: N=20000 messages, SIZE_KB=15 average size, SEED=1, REPS=3.
# Timing is wall clock around the whole process (startup, rule compilation
# and store setup included); peak RSS is GNU time's %M.  Missing python3 or
# GNU time (package "time") are installed with apt-get when run as root.
set -eu

N=${N:-20000}
SIZE_KB=${SIZE_KB:-15}
SEED=${SEED:-1}
REPS=${REPS:-3}

if [ $# -ne 1 ]; then
	echo "usage: bench/run.sh BUILD_DIR" >&2
	exit 2
fi
BUILD=$(cd "$1" && pwd) || { echo "run.sh: no build directory '$1'" >&2; exit 1; }
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"

if ! command -v python3 >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "installing: python3"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends python3 >/dev/null
	else
		echo "run.sh: python3 is needed; as root run: apt-get install python3" >&2
		exit 1
	fi
fi
if [ ! -x /usr/bin/time ]; then # GNU time, for peak RSS
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "installing: time"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends time >/dev/null
	else
		echo "run.sh: GNU time is needed; as root run: apt-get install time" >&2
		exit 1
	fi
fi
if [ ! -x "$BUILD/gmime-baseline" ]; then
	echo "run.sh: '$BUILD/gmime-baseline' is missing; run 'make bench'" >&2
	exit 1
fi
# (a missing or failing bulletin is reported in the table, not fatal)

# --- corpus ----------------------------------------------------------------
want=$(python3 -c 'import sys; print("%d %g %d" % (int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])))' \
	"$N" "$SIZE_KB" "$SEED")
have=$(cat "$OUT/corpus.params" 2>/dev/null || true)
if [ "$have" != "$want" ] || [ ! -f "$OUT/corpus.mbox" ] ||
	[ ! -d "$OUT/maildir/cur" ]; then
	echo "generating corpus: N=$N SIZE_KB=$SIZE_KB SEED=$SEED in $OUT/"
	python3 bench/gen_corpus.py "$OUT" "$N" "$SIZE_KB" "$SEED"
else
	echo "reusing corpus in $OUT/ (N=$N SIZE_KB=$SIZE_KB SEED=$SEED)"
fi

# --- measuring -------------------------------------------------------------
# measure OUTFILE ERRFILE CMD...: prints "STATUS WALL_S MAXRSS_KB".  Peak
# RSS comes from GNU time, whose own footprint before exec is ~2 MB (a
# python wrapper's rusage would report its own ~14 MB for a smaller tool);
# wall time from date(1), for sub-centisecond resolution.
TIMEF=$OUT/time.out
measure() {
	mo=$1 me=$2
	shift 2
	rm -f "$TIMEF"
	t0=$(date +%s%N)
	# time's own status: the command's, or 128+N when killed by signal N
	# (where %x would say 0)
	st=0
	/usr/bin/time -o "$TIMEF" -f '%M' "$@" >"$mo" 2>"$me" </dev/null || st=$?
	t1=$(date +%s%N)
	rss=$(tail -n 1 "$TIMEF" 2>/dev/null || true)
	case $rss in '' | *[!0-9]*) rss=0 ;; esac
	echo "$st $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }') $rss"
}

canary() { # a fixed pure-Python CPU loop: drift indicator for this machine
	python3 -c 'import time
t = time.perf_counter(); sum(i * i for i in range(10**7))
print("%.2f" % (time.perf_counter() - t))'
}

RAW=$OUT/raw.tsv
printf 'rep\tpath\ttool\tstatus\twall_s\tmaxrss_kb\n' > "$RAW"
STORE=$OUT/store.db

path_of() {
	case $1 in
	maildir) echo "$OUT/maildir" ;;
	mbox) echo "$OUT/corpus.mbox" ;;
	esac
}

run_tool() { # run_tool REP PATHNAME TOOL
	p=$(path_of "$2")
	log=$OUT/$3-$2.log
	case $3 in
	gmime)
		set -- "$1" "$2" "$3" "$BUILD/gmime-baseline" "$p" ;;
	classify)
		set -- "$1" "$2" "$3" "$BUILD/bulletin" classify --rules filters \
			--json "$p" ;;
	ingest)
		rm -f "$STORE" "$STORE-wal" "$STORE-shm" "$STORE-journal" "$STORE.raw"
		set -- "$1" "$2" "$3" "$BUILD/bulletin" --store "$STORE" ingest \
			--rules filters "$p" ;;
	esac
	rep=$1 pname=$2 tool=$3
	shift 3
	r=$(measure /dev/null "$log" "$@")
	printf '%s\t%s\t%s\t%s\n' "$rep" "$pname" "$tool" "$r" | tr ' ' '\t' >> "$RAW"
	# shellcheck disable=SC2086 # split "STATUS WALL RSS" on purpose
	set -- $r
	if [ "$1" = 0 ]; then
		printf '  rep %s %-8s %-9s %6.2f s %7.1f MB\n' "$rep" "$pname" "$tool" \
			"$2" "$(echo "$3" | awk '{ print $1 / 1024 }')"
	else
		printf '  rep %s %-8s %-9s failed (exit %s, see %s)\n' "$rep" "$pname" \
			"$tool" "$1" "$log"
	fi
}

CANARY0=$(canary)
echo "CPU canary before: $CANARY0 s"

# Untimed warm-up: page cache for both copies of the corpus.
for pn in maildir mbox; do
	measure /dev/null /dev/null "$BUILD/gmime-baseline" "$(path_of $pn)" >/dev/null
done

i=1
while [ "$i" -le "$REPS" ]; do
	for pn in maildir mbox; do
		for tool in gmime classify ingest; do
			run_tool "$i" "$pn" "$tool"
		done
	done
	i=$((i + 1))
done
rm -f "$STORE" "$STORE-wal" "$STORE-shm" "$STORE-journal" "$STORE.raw"

CANARY1=$(canary)
echo "CPU canary after: $CANARY1 s"

# --- report ----------------------------------------------------------------
python3 - "$RAW" "$OUT" "$N" "$SIZE_KB" "$REPS" "$CANARY0" "$CANARY1" \
	> "$OUT/results.md" <<'EOF'
import csv, os, platform, statistics as st, sys, time
raw, out, n, size_kb, reps, c0, c1 = sys.argv[1:8]
n = int(n)
rows = list(csv.DictReader(open(raw), delimiter="\t"))

def size_of(pn):
    if pn == "mbox":
        return os.path.getsize(os.path.join(out, "corpus.mbox"))
    total = 0
    for sub in ("cur", "new"):
        d = os.path.join(out, "maildir", sub)
        for f in os.listdir(d):
            total += os.path.getsize(os.path.join(d, f))
    return total

cpu = "?"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
print("# bulletin benchmark\n")
print("%s; N=%d messages, SIZE_KB=%s, median of %s runs; %s, %d CPUs, %s.\n"
      % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), n, size_kb, reps,
         cpu, os.cpu_count() or 0, platform.platform()))
print("CPU canary (fixed Python loop): %s s before, %s s after; compare runs"
      " only when these are close.\n" % (c0, c1))
print("| path | tool | msgs/s | MB/s | peak RSS MB | ratio to gmime |")
print("|---|---|---:|---:|---:|---:|")
ratios = {}
for pn in ("maildir", "mbox"):
    mb = size_of(pn) / 1e6
    base = None
    for tool in ("gmime", "classify", "ingest"):
        rs = [r for r in rows if r["path"] == pn and r["tool"] == tool]
        ok = [r for r in rs if r["status"] == "0"]
        if not rs or len(ok) < len(rs):
            print("| %s | %s | failed | failed | failed | failed |" % (pn, tool))
            continue
        wall = st.median(float(r["wall_s"]) for r in ok)
        rss = max(int(r["maxrss_kb"]) for r in ok) / 1024
        rate = n / wall if wall > 0 else float("inf")
        if tool == "gmime":
            base = rate
        ratio = rate / base if base else float("nan")
        ratios[(pn, tool)] = ratio
        print("| %s | %s | %.0f | %.1f | %.1f | %s |"
              % (pn, tool, rate, mb / wall if wall > 0 else float("inf"), rss,
                 "%.2f" % ratio if base else "n/a"))
print()
for pn in ("maildir", "mbox"):
    r = ratios.get((pn, "ingest"))
    print("ingest / gmime on %s: %s (target >= 0.50)"
          % (pn, "%.2f" % r if r is not None and r == r else "n/a"))
EOF
echo
cat "$OUT/results.md"
echo
echo "written: $OUT/results.md (raw runs: $RAW, tool output: $OUT/*.log)"
