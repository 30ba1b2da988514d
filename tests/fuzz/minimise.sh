#!/bin/sh
# minimise.sh BINDIR WORKDIR TARGET... - after a campaign: merges the
# checked-in seeds and WORKDIR/TARGET/corpus into a minimal set that
# keeps every coverage edge (libFuzzer -merge=1 -use_counters=0: edges,
# not hit-count buckets, so the set stays a few dozen KB; smaller inputs
# preferred) and makes it the new tests/fuzz/TARGET/seeds.  Reproducers
# in crashes/ are kept apart and never merged away.
bin=$1 work=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
export LSAN_OPTIONS="suppressions=$here/lsan.supp"
for t in "$@"; do
	new=$(mktemp -d)
	"$bin/fuzz_$t" -merge=1 -use_counters=0 -rss_limit_mb=2048 \
	    -timeout=30 "$new" \
	    "$here/$t/seeds" "$work/$t/corpus" </dev/null \
	    >"$work/$t/merge.log" 2>&1 || {
		echo "fuzz_$t: merge failed, see $work/$t/merge.log"
		rm -rf "$new"
		exit 1
	}
	rm -f "$here/$t/seeds/"*
	cp "$new"/* "$here/$t/seeds/"
	rm -rf "$new"
	echo "fuzz_$t: $(ls "$here/$t/seeds" | wc -l) seeds," \
	    "$(du -sb "$here/$t/seeds" | cut -f1) bytes"
done
