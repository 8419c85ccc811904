# tests/monitoring/lib.sh -- sourced by the monitoring shell tests: paths,
# pass/fail counting, loud skips, cleanup on exit, the lab, free ports.
# shellcheck shell=bash

srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${abs_top_builddir:-$PWD}
DANEPROBE=$builddir/daneprobe
PLUGIN=$builddir/check_dane_smtp
LAB=$srcdir/tests/lab/lab
export LAB_DIR=${LAB_DIR:-$builddir/tests/lab/run}
export abs_top_builddir="$builddir"
PY=/usr/bin/python3   # Debian's, which python3-jsonschema installs into

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# has_line FILE LINE: FILE contains exactly this line.
has_line() { grep -Fqx -- "$2" "$1"; }

finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

# A test whose tool is missing says so loudly and exits 77 (SKIP).
skip() {
	echo "SKIP: $*" >&2
	echo "SKIP: $*"
	echo "0 passed, 0 failed, 1 skipped"
	exit 77
}

need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root (the lab binds ports 25 and 53 on 127.x)"; }

# need_cmd COMMAND PACKAGE
need_cmd() {
	command -v "$1" >/dev/null 2>&1 ||
		skip "$1 not found: apt-get install $2 (contrib/dev/install-deps does)"
}

# Cleanups run at exit, last registered first.
_cleanups=()
at_exit() { _cleanups=("$*" "${_cleanups[@]}"); }
_run_cleanups() {
	local c
	for c in "${_cleanups[@]}"; do eval "$c" || true; done
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

# A private scratch directory, removed at exit.
make_tmp() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/daneprobe-mon.XXXXXX")
	at_exit "rm -rf '$TMP'"
}

# Starts the lab unless it runs already (then it is left running), and
# stops it at exit if this test started it.  The lock keeps two of these
# tests from starting or stopping the lab at once under make -j (there is
# only one lab per machine: its addresses are fixed).
lab_up() {
	need_root
	mkdir -p "$(dirname "$LAB_DIR")"
	exec 9>"${TMPDIR:-/tmp}/daneprobe-monitoring-lab.lock"
	flock -w 900 9 || { echo "FAIL: could not lock the lab"; exit 1; }
	if ! "$LAB" status >/dev/null 2>&1; then
		if ! "$LAB" start; then
			echo "FAIL: the lab did not start (LAB_DIR=$LAB_DIR)"
			echo "0 passed, 1 failed"
			exit 1
		fi
		at_exit "'$LAB' stop >/dev/null 2>&1"
	fi
	eval "$("$LAB" env)"
}

# probe ARGS...: daneprobe check against the lab.
probe() {
	"$DANEPROBE" check --resolver "$LAB_RESOLVER" --trust-anchor "$LAB_ANCHOR" \
		--helo probe.lab -t 10 "$@"
}

# The lab's domain cases (tests/lab/cases.tsv): "target<TAB>exit<TAB>extra".
# Rows whose options point at another resolver test the resolver, not
# the domain (the domain repeats an earlier row): they are left out.  So is
# many-mx: its 100 MX hosts share one address, and in an all-cases batch
# the per-address cap queues their sessions against -t (cases.test and
# batch.test cover it).
lab_cases() {
	awk -F '\t' '$1 !~ /^(#|\[|$)/ && $1 != "many-mx.dane.lab" && $2 != "-" && $5 !~ /--resolver/ {
		print $1 "\t" $2 "\t" ($5 == "" ? "-" : $5) }' "$srcdir/tests/lab/cases.tsv"
}

# A TCP port on 127.0.0.1 that is free right now.
free_port() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for SECONDS COMMAND...: retries the command every 0.2 s.
wait_for() {
	local limit=$(($1 * 5)) i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.2
	done
}

# kill_wait PID: ends a process this test started and reaps it.
kill_wait() {
	kill "$1" 2>/dev/null || return 0
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.2
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}
