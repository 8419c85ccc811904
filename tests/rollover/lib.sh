# tests/rollover/lib.sh -- sourced by the rollover tests: what
# tests/lib.sh has (paths, pass/fail counting, cleanup on exit, make_tmp,
# lab_up), expectations, the lab's resolver options, SPKI digests.
# shellcheck shell=bash

# shellcheck source=tests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
DP=$builddir/daneprobe

skipped=0
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

# expect_eq WHAT GOT WANT: ok when GOT is WANT (and not empty).
expect_eq() {
	if [ "$2" = "$3" ] && [ -n "$3" ]; then ok "$1"; else
		not_ok "$1: got '$2', want '$3'"
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

# lab_up (tests/lib.sh), and $DNSOPTS: the options that point daneprobe
# at the lab's resolver.
rollover_lab_up() {
	need_root
	[ -x "$DP" ] || { echo "FAIL: $DP not built"; exit 1; }
	lab_up
	# shellcheck disable=SC2034 # used by the tests that source this
	DNSOPTS=(--resolver "$LAB_RESOLVER" --trust-anchor "$LAB_ANCHOR" -t 10)
}

# spki CERT: the SHA-256 of the certificate's SubjectPublicKeyInfo, by openssl.
spki() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1; }

# Whether the lab has the rollover block (.dev/rollover-lab-request.md).
lab_has_rollover_block() {
	drill @"$LAB_RESOLVER" TLSA _25._tcp.mx-roll-next.dane.lab 2>/dev/null |
		grep -q 'IN[[:space:]]*TLSA[[:space:]]*3 1 1' && [ -r "$LAB_PKI/roll-next.crt" ]
}
