# tests/monitoring/lib.sh -- sourced by the monitoring shell tests: what
# tests/lib.sh has (paths, pass/fail counting, cleanup on exit, make_tmp,
# lab_up), loud skips, checks, the lab's cases, free ports.
# shellcheck shell=bash

# shellcheck source=tests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
DANEPROBE=$builddir/daneprobe
PLUGIN=$builddir/check_dane_smtp
PY=/usr/bin/python3   # Debian's, which python3-jsonschema installs into

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

# A test whose tool is missing says so loudly (on stderr too, and in the
# summary line) and exits 77 (SKIP).
skip() {
	echo "SKIP: $*" >&2
	echo "SKIP: $*"
	echo "0 passed, 0 failed, 1 skipped"
	exit 77
}

# need_cmd COMMAND PACKAGE
need_cmd() {
	command -v "$1" >/dev/null 2>&1 ||
		skip "$1 not found: apt-get install $2 (contrib/dev/install-deps does)"
}

# probe ARGS...: daneprobe check against the lab, -t 10 unless ARGS have
# their own -t (an option given twice is refused).
probe() {
	local t=(-t 10)
	case " $* " in *" -t "* | *" --timeout "*) t=() ;; esac
	"$DANEPROBE" check --resolver "$LAB_RESOLVER" --trust-anchor "$LAB_ANCHOR" \
		--helo probe.lab "${t[@]}" "$@"
}

# The lab's domain cases (tests/lab/cases.tsv): "target<TAB>exit<TAB>extra".
# Rows whose options point at another resolver test the resolver, not
# the domain (the domain repeats an earlier row), and rows whose options
# change the verdict (--no-rollover-warning) test the option: they are
# left out.  So is
# many-mx: its 100 MX hosts share one address, and in an all-cases batch
# the per-address cap queues their sessions against -t (cases.test and
# batch.test cover it).
lab_cases() {
	awk -F '\t' '$1 !~ /^(#|\[|$)/ && $1 != "many-mx.dane.lab" && $2 != "-" && $5 !~ /--resolver|--no-rollover-warning/ {
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
