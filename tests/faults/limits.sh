#!/bin/sh
# limits.sh BULLETIN [MB] - the hostile messages of hostile.py against the
# default [limits]: for each, `bulletin classify` and `bulletin ingest`
# (into a fresh store) under /usr/bin/time -v; prints a table of wall
# time, peak RSS, exit status, items and the problem reported.  Part of
# `make faults`; the figures are in docs/security.md.
BULLETIN=${1:?usage: limits.sh BULLETIN [MB]}
MB=${2:-63}
case $BULLETIN in /*) ;; *) BULLETIN=$PWD/$BULLETIN ;; esac
[ -x /usr/bin/time ] || { echo "limits.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
python3 tests/faults/hostile.py "$D/mail" "$MB" || exit 1
# time_of LOG: "wall_s peak_MB"
time_of() {
	awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = t[n] + 60 * t[n - 1] + (n > 2 ? 3600 * t[n - 2] : 0) }
		/Maximum resident set size/ { r = $2 / 1024 }
		END { printf "%.2f %.0f", s, r }' "$1"
}
printf '| %-15s | %7s | %13s | %13s | %14s | %14s | %5s | %s\n' message "size MB" \
	"classify s" "classify MB" "ingest s" "ingest MB" items "problem (classify --json)"
printf '|%s|\n' "-----------------|--------:|--------------:|--------------:|---------------:|---------------:|------:|---"
worst_t=0 worst_r=0
for f in "$D"/mail/*.eml; do
	name=$(basename "$f" .eml)
	size=$(($(stat -c %s "$f") / 1048576))
	/usr/bin/time -v "$BULLETIN" --config /dev/null --rules filters classify --json "$f" \
		>"$D/c.out" 2>"$D/c.time"
	crc=$?
	set -- $(time_of "$D/c.time")
	ct=$1 cr=$2
	rm -f "$D"/s.db*
	/usr/bin/time -v "$BULLETIN" --config /dev/null --rules filters --store "$D/s.db" \
		ingest "$f" >"$D/i.out" 2>"$D/i.time"
	irc=$?
	set -- $(time_of "$D/i.time")
	it=$1 ir=$2
	info=$(python3 -c '
import json, sys
try:
    o = json.loads(open(sys.argv[1]).readline())
    print(len(o.get("items", [])), (o.get("problem") or "-")[:60].replace("|", "/"))
except Exception as e:
    print("-", "no JSON (exit %s)" % sys.argv[2])' "$D/c.out" "$crc")
	printf '| %-15s | %7d | %6s (ex %2d) | %13s | %6s (ex %2d) | %14s | %5s | %s\n' \
		"$name" "$size" "$ct" "$crc" "$cr" "$it" "$irc" "$ir" "${info%% *}" "${info#* }"
	for v in "$ct" "$it"; do
		worst_t=$(echo "$worst_t $v" | awk '{ print ($2 > $1) ? $2 : $1 }')
	done
	for v in "$cr" "$ir"; do
		worst_r=$(echo "$worst_r $v" | awk '{ print ($2 > $1) ? $2 : $1 }')
	done
	# a signal is a crash: say so
	[ "$crc" -lt 128 ] && [ "$irc" -lt 128 ] || echo "CRASH: $name (classify $crc, ingest $irc)"
done
echo "worst case: $worst_t s, $worst_r MB peak RSS"
