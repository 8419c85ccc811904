# tests/rollover/lib.sh -- sourced by the rollover lab tests: paths,
# pass/fail counting, the lab (shared with the other lab tests through the
# same lock), a scratch directory.
# shellcheck shell=bash

srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${abs_top_builddir:-$PWD}
DP=$builddir/daneprobe
LAB=$srcdir/tests/lab/lab
export LAB_DIR=${LAB_DIR:-$builddir/tests/lab/run}
export abs_top_builddir="$builddir"

pass=0
fail=0
skipped=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }
skip_case() { skipped=$((skipped + 1)); echo "ok - # SKIP $*"; }

# result STATUS WHAT [FILE]: ok when STATUS is 0; else not ok, showing FILE.
result() {
	if [ "$1" -eq 0 ]; then
		ok "$2"
	else
		not_ok "$2"
		if [ -n "${3:-}" ]; then sed 's/^/#   /' "$3"; fi
	fi
}

# expect WHAT WANT_RC REGEX COMMAND...: the command exits WANT_RC and its
# output (stdout and stderr) matches the extended REGEX.
expect() {
	local what=$1 want_rc=$2 re=$3 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want_rc" ] && printf '%s\n' "$out" | grep -Eq -- "$re"; then
		ok "$what (exit $rc)"
	else
		not_ok "$what: exit $rc (want $want_rc), want /$re/ in:"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
}

# expect_flat: like expect, on the output joined into one line with tabs,
# for patterns spanning lines (.*).
expect_flat() {
	local what=$1 want_rc=$2 re=$3 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want_rc" ] && printf '%s' "$out" | tr '\n' '\t' | grep -Eq -- "$re"; then
		ok "$what (exit $rc)"
	else
		not_ok "$what: exit $rc (want $want_rc), want /$re/ in:"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
}

finish() {
	echo "$pass passed, $fail failed, $skipped skipped"
	[ "$fail" -eq 0 ]
}

_cleanups=()
at_exit() { _cleanups=("$*" "${_cleanups[@]}"); }
_run_cleanups() {
	local c
	for c in "${_cleanups[@]}"; do eval "$c" || true; done
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

make_tmp() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/daneprobe-roll.XXXXXX")
	at_exit "rm -rf '$TMP'"
}

# Starts the lab unless it runs (then it is left running) and stops it at
# exit if this test started it.  The lock is the one the monitoring tests
# take, so no two lab tests start or stop the same lab at once (make -j).
lab_up() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: the lab needs root (ports 25 and 53 on 127.x)"
		exit 77
	fi
	[ -x "$DP" ] || { echo "FAIL: $DP not built"; exit 1; }
	mkdir -p "$(dirname "$LAB_DIR")"
	exec 9>"$LAB_DIR.monitoring.lock"
	flock -w 900 9 || { echo "FAIL: could not lock the lab"; exit 1; }
	if ! "$LAB" status >/dev/null 2>&1; then
		if ! "$LAB" start; then
			echo "FAIL: the lab did not start (LAB_DIR=$LAB_DIR)"
			exit 1
		fi
		at_exit "'$LAB' stop >/dev/null 2>&1"
	fi
	eval "$("$LAB" env)"
	# shellcheck disable=SC2034 # used by the tests that source this
	DNSOPTS=(--resolver "$LAB_RESOLVER" --trust-anchor "$LAB_ANCHOR" -t 10)
}

spki() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1; }

# Whether the lab has the rollover block (.dev/rollover-lab-request.md).
lab_has_rollover_block() {
	drill @"$LAB_RESOLVER" TLSA _25._tcp.mx-roll-next.dane.lab 2>/dev/null |
		grep -q 'IN[[:space:]]*TLSA[[:space:]]*3 1 1' && [ -r "$LAB_PKI/roll-next.crt" ]
}
