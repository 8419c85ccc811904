# tests/lib.sh -- sourced by the shell tests (and tests/valgrind/run):
# paths, pass/fail counting, skips, cleanup on exit, a scratch directory,
# the lab.  Folder libraries (tests/monitoring/lib.sh, tests/rollover/lib.sh)
# source it and add their own helpers.
# shellcheck shell=bash

srcdir=${abs_top_srcdir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
builddir=${abs_top_builddir:-$PWD}
LAB=$srcdir/tests/lab/lab
export LAB_DIR=${LAB_DIR:-$builddir/tests/lab/run}
export abs_top_builddir="$builddir"

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }

# A test that cannot run here says why and exits 77 (SKIP).
skip() {
	echo "SKIP: $*"
	exit 77
}

need_root() { [ "$(id -u)" -eq 0 ] || skip "the lab needs root (ports 25 and 53 on 127.x)"; }

# Cleanups run at exit, last registered first.
_cleanups=()
at_exit() { _cleanups=("$*" "${_cleanups[@]}"); }
# shellcheck disable=SC2317 # called by the EXIT trap
_run_cleanups() {
	local c
	for c in "${_cleanups[@]}"; do eval "$c" || true; done
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

# make_tmp: $TMP, a private scratch directory, removed at exit.
make_tmp() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/daneprobe-$(basename "$0" .test).XXXXXX")
	at_exit "rm -rf '$TMP'"
}

# lab_up: starts the lab unless it runs already (then it is left running),
# stops it at exit if this test started it, and sets the lab's variables
# ($LAB_RESOLVER, $LAB_ANCHOR, $LAB_PKI, ...).  There is one lab per network
# namespace (its addresses are fixed), so every lab test holds this lock
# from here to its exit: under make -j no two of them start the lab at once,
# and none stops it under another.  The lock is in TMPDIR: a file in the
# build tree fails distcleancheck.
lab_up() {
	need_root
	mkdir -p "$(dirname "$LAB_DIR")"
	exec 9>"${TMPDIR:-/tmp}/daneprobe-lab.lock"
	flock -w 900 9 || { echo "FAIL: could not lock the lab"; exit 1; }
	if ! "$LAB" status >/dev/null 2>&1; then
		if ! "$LAB" start; then
			echo "FAIL: the lab did not start (LAB_DIR=$LAB_DIR)"
			exit 1
		fi
		at_exit "'$LAB' stop >/dev/null 2>&1"
	fi
	eval "$("$LAB" env)"
}

# lab_case_domains [LABEL...]: the domain cases of tests/lab/cases.tsv
# (not the bracketed host ones), one a line, sorted, without those whose
# first label is one of LABEL (e.g. tarpit: cases that only cost time).
lab_case_domains() {
	local skip
	skip=$(IFS='|'; echo "$*")
	grep -v '^#' "$srcdir/tests/lab/cases.tsv" | cut -f1 | grep -v '^\[' |
		grep -v -E "^(${skip:-\$^})\." | sort -u
}
