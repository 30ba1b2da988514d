# faults.sh - the short fault campaign (tests/faults/campaign.sh with a few
# kills and a smaller mailbox); `make faults` runs the full one.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
if [ -n "${VALGRIND:-}" ]; then
	# kills timed for a native binary and timing checks: not under Valgrind
	echo "# skip: the fault campaign does not run under Valgrind"
	exit 77
fi
export FAULTS_KILLS=${FAULTS_KILLS:-6} FAULTS_MSGS=${FAULTS_MSGS:-600} \
	FAULTS_SUBS=${FAULTS_SUBS:-200}
exec bash tests/faults/campaign.sh
