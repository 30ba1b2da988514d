#!/bin/sh
# valgrind.sh BUILD_DIR [unit|e2e] - the unit tests (plain build) and the end-to-end
# tests with every program under Valgrind (memcheck, full leak check,
# definite leaks are errors), then the figures: processes, errors,
# definitely lost bytes.  Each program is replaced by a wrapper script in
# BUILD_DIR/valgrind/ that execs valgrind on the real one (same PID, so
# the tests' kill -9 still hits it), and tests/run.sh is pointed at that
# directory.  Suppressions for library-internal noise only:
# tests/valgrind.supp.  Exit status: tests/run.sh's, or 1 when any
# process had an error.
B=${1:-build}
VG=$B/valgrind
LOGS=$PWD/$VG/logs
SUPP=$PWD/tests/valgrind.supp
command -v valgrind >/dev/null 2>&1 || { echo "valgrind.sh: valgrind is not installed" >&2; exit 1; }
rm -rf "$VG"
mkdir -p "$LOGS"

wrap() {	# NAME REAL
	cat >"$VG/$1" <<WRAP
#!/bin/sh
# GLib: plain malloc, so that memcheck sees every block
G_SLICE=always-malloc G_DEBUG=gc-friendly exec valgrind --tool=memcheck \\
	--leak-check=full --show-leak-kinds=definite \\
	--errors-for-leak-kinds=definite --error-exitcode=99 --vgdb=no \\
	--num-callers=30 --suppressions=$SUPP \\
	--log-file=$LOGS/$1.\$\$.\$(date +%s%N).log \\
	$2 "\$@"
WRAP
	chmod +x "$VG/$1"
}
for t in "$B"/test_*; do
	[ -x "$t" ] && wrap "${t##*/}" "$PWD/$t"
done
wrap bulletin "$PWD/$B/bulletin"
# tests/e2e/fuzz.sh looks for the fuzz targets beside $BULLETIN; they run
# as they are (they carry their own sanitizers)
[ -d "$B/fuzz" ] && ln -s "$PWD/$B/fuzz" "$VG/fuzz"

# tests/e2e/faults.sh skips itself under Valgrind (its kills land at
# random moments measured without it, and it checks timings), and so does
# install.sh (`make install` would build over the wrapper)
VALGRIND=1 sh tests/run.sh "$VG" "${2:-all}"
rc=$?

# the figures, from every process's log
awk '
	FNR == 1 { procs++ }
	/ERROR SUMMARY:/ { for (i = 1; i <= NF; i++) if ($i == "SUMMARY:") e = $(i + 1);
		gsub(",", "", e); errors += e; if (e > 0) bad[FILENAME] = 1 }
	/definitely lost:/ { for (i = 1; i <= NF; i++) if ($i == "lost:") b = $(i + 1);
		gsub(",", "", b); lost += b }
	END {
		printf "valgrind: %d processes, %d errors, %d bytes definitely lost\n", procs, errors, lost
		for (f in bad) print "  errors in " f
	}' "$LOGS"/*.log | tee "$VG/summary"
grep -q ', 0 errors, 0 bytes' "$VG/summary" || rc=1
exit $rc
