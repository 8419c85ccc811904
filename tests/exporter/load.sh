#!/bin/bash
# Load test of `daneprobe exporter` against the lab (not in make check:
# `make exporter-load`, as root, in the lab's network namespace; ~3 min).
#  - a real Prometheus scrapes 200 lab domains (bulk subtrees, README of
#    tests/lab "Bulk domains": implicit-MX hKK, shared-MX bKK, slow) every
#    5 s for 2 minutes through the exporter's /probe, plus its /metrics;
#  - at the same time tests/exporter/loadclient.py keeps 1000 connections
#    open at once (probes, /metrics, bad requests) and 300 slowloris
#    connections that send a header a byte a second.
# Asserts: the exporter does not crash; its RSS stays under a bound
# (sampled from /proc every second; the maximum is printed); every
# Prometheus scrape of every target succeeded (up 1 throughout) within its
# timeout (scrape_duration_seconds < scrape_timeout); no lab SMTP address
# saw more sessions at once than --per-host (labsmtpd's .peak files);
# slowloris connections are dropped.  Prints RSS max, CPU seconds per
# probe and probes/s.
# Knobs: LOAD_SECONDS (120) LOAD_INTERVAL (5) LOAD_TARGETS (200)
# LOAD_CONNS (1000) LOAD_SLOW (300) LOAD_PER_HOST (2) LOAD_RSS_MAX_MB (256).
set -u
. "$(dirname "$0")/lib.sh"

D=${LOAD_SECONDS:-120}
INTERVAL=${LOAD_INTERVAL:-5}
NT=${LOAD_TARGETS:-200}
CONNS=${LOAD_CONNS:-1000}
SLOW=${LOAD_SLOW:-300}
PER_HOST=${LOAD_PER_HOST:-2}
RSS_MAX_MB=${LOAD_RSS_MAX_MB:-256}

need_root
need_cmd prometheus prometheus
make_tmp
lab_up

# 200 targets: 8 slow (300 ms before each banner, one address), the rest
# alternating implicit-MX and shared-MX domains over every bulk subtree
# (08, 16 and 24 broken on purpose: mixed verdicts).
hosts=${LAB_BULK_HOSTS:-24}
{
	seq -f 'd%04g.slow.dane.lab' 8
	i=0
	while [ $((i + 8)) -lt "$NT" ]; do
		k=$(printf '%02d' $((i % hosts + 1)))
		if [ $((i / hosts % 2)) -eq 0 ]; then
			printf 'l%04d.h%s.dane.lab\n' "$i" "$k"
		else
			printf 'l%04d.b%s.dane.lab\n' "$i" "$k"
		fi
		i=$((i + 1))
	done
} >"$TMP/targets"
echo "# $(wc -l <"$TMP/targets") targets, scraped every ${INTERVAL}s for ${D}s; $CONNS flood + $SLOW slowloris connections; --per-host $PER_HOST"

# As many descriptors as the systemd unit gives it.
ulimit -n 8192
start_exporter --per-host "$PER_HOST" --web.max-connections 2048
echo "# exporter at $EXPORTER (pid $EXPORTER_PID)"

# The SMTP peak counters start from zero (no traffic flows yet).
peaks=("$LAB_SMTPD"/127.25.1.*.peak "$LAB_SMTPD/127.25.2.1.peak")
for f in "${peaks[@]}"; do : >"$f"; done

metrics() {
	$PY -c 'import sys, urllib.request
print(urllib.request.urlopen("http://" + sys.argv[1] + "/metrics", timeout=10).read().decode())' "$EXPORTER"
}
# sum_metric FILE NAME: sum of NAME's samples (any labels).
sum_metric() {
	awk -v n="$2" '$1 == n || index($1, n "{") == 1 { s += $NF } END { printf "%.6f\n", s }' "$1"
}

# Resident memory every second, until told to stop.
(while kill -0 "$EXPORTER_PID" 2>/dev/null && [ ! -e "$TMP/stop-rss" ]; do
	awk '/^VmRSS:/ { print $2 }' "/proc/$EXPORTER_PID/status" 2>/dev/null
	sleep 1
done) >"$TMP/rss" &
rss_pid=$!
at_exit "touch '$TMP/stop-rss'; wait $rss_pid 2>/dev/null"

mapfile -t targets <"$TMP/targets"
scrape_config "${INTERVAL}s" "${INTERVAL}s" "${targets[@]}" >"$TMP/prometheus.yml"
start_prometheus "$TMP/prometheus.yml"
echo "# prometheus at $PROM (pid $PROM_PID)"
check "Prometheus scraped all $NT targets once" \
	$PY "$PROMAPI" "$PROM" wait 60 "count(up{job=\"daneprobe\"}) == $NT"

metrics >"$TMP/m0"
t0=$(date +%s.%N)
echo "# load for ${D}s from $(date -u +%T)"
$PY "$srcdir/tests/exporter/loadclient.py" flood 127.0.0.1 "${EXPORTER#*:}" "$CONNS" "$D" "$TMP/targets" >"$TMP/flood.json" 2>"$TMP/flood.err" &
flood_pid=$!
$PY "$srcdir/tests/exporter/loadclient.py" slowloris 127.0.0.1 "${EXPORTER#*:}" "$SLOW" "$D" >"$TMP/slow.json" 2>"$TMP/slow.err" &
slow_pid=$!
wait "$flood_pid"
check "flood client ran to its end (exit $?)" [ -s "$TMP/flood.json" ]
wait "$slow_pid"
check "slowloris client ran to its end (exit $?)" [ -s "$TMP/slow.json" ]
t1=$(date +%s.%N)
metrics >"$TMP/m1"
touch "$TMP/stop-rss"

check "the exporter is still running" kill -0 "$EXPORTER_PID"
check "the exporter logged no sanitizer report or abort" \
	eval '! grep -Eq "AddressSanitizer|runtime error|Assertion|Aborted" "$TMP/exporter.log"'

# Prometheus's view of the window (plus the first scrapes before it).
win=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", b - a + 10 }')
sel='job="daneprobe"'
v=$(promq "count(min_over_time(up{$sel}[${win}s]) < 1) or vector(0)")
check "targets with a failed scrape (up 0) during the load: $v" [ "$v" = 0 ]
v=$(promq "min(count_over_time(up{$sel}[${win}s]))")
check "fewest scrapes of one target in the window: $v (want >= $((D / INTERVAL - 2)))" \
	[ "${v%.*}" -ge $((D / INTERVAL - 2)) ]
smax=$(promq "max(max_over_time(scrape_duration_seconds{$sel}[${win}s]))")
check "slowest scrape ${smax}s, under the ${INTERVAL}s scrape timeout" \
	awk -v v="$smax" -v t="$INTERVAL" 'BEGIN { exit !(v != "none" && v < t) }'
pmax=$(promq "max(max_over_time(probe_duration_seconds{$sel}[${win}s]))")
echo "# slowest probe_duration_seconds ${pmax}s"
v=$(promq "min_over_time(up{job=\"daneprobe-exporter\"}[${win}s])")
check "exporter /metrics: up 1 throughout (min $v)" [ "$v" = 1 ]
ok_targets=$(promq "count(probe_success{$sel} == 1)")
echo "# probe_success 1 for $ok_targets of $NT targets (bulk subtrees 08, 16 and 24 are broken on purpose)"

# Memory.
rss_kb=$(sort -n "$TMP/rss" | tail -1)
n_rss=$(wc -l <"$TMP/rss")
check "exporter RSS max $((rss_kb / 1024)) MiB over $n_rss samples (bound ${RSS_MAX_MB} MiB)" \
	test "$n_rss" -gt $((D / 2)) -a "$((rss_kb / 1024))" -le "$RSS_MAX_MB"

# Sessions per SMTP address.
worst=0
for f in "${peaks[@]}"; do
	p=$(sed -n 's/.*peak=\([0-9]*\).*/\1/p' "$f")
	[ "${p:-0}" -gt "$worst" ] && worst=$p && worst_f=$f
done
total=$(cat "${peaks[@]}" | sed -n 's/.*total=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
check "most SMTP sessions at once on one lab address: $worst ($(basename "${worst_f:-none}" .peak)), --per-host $PER_HOST; $total sessions in all" \
	test "$worst" -le "$PER_HOST" -a "$total" -gt 0

# The clients' view.
read -r flood_summary < <($PY - "$TMP/flood.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
n = sum(d["status"].values())
lat = d["latency"]
probe_max = max([v["max"] for k, v in lat.items() if k.startswith("/probe ")] or [0])
print(n, sum(d["errors"].values()), d["open_max"], probe_max)
PY
)
read -r fn ferr fopen fprobe_max <<<"$flood_summary"
echo "# flood: $(cat "$TMP/flood.json")"
check "flood: $fn answers, $ferr errors, $fopen connections open at once" \
	test "$fn" -gt 0 -a "$fopen" -ge $((CONNS * 9 / 10))
check "flood: slowest /probe answer ${fprobe_max}s, within the 5 s scrape timeout it sent" \
	awk -v v="$fprobe_max" 'BEGIN { exit !(v < 5.5) }'
echo "# slowloris: $(cat "$TMP/slow.json")"
held=$($PY -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["held_seconds"]["n"], d["held_seconds"]["max"])' "$TMP/slow.json")
read -r held_n held_max <<<"$held"
check "slowloris: the exporter dropped $held_n slow connections, each after at most ${held_max}s" \
	[ "$held_n" -ge "$SLOW" ]

# The figures.
dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
cpu=$(awk -v a="$(sum_metric "$TMP/m0" process_cpu_seconds_total)" -v b="$(sum_metric "$TMP/m1" process_cpu_seconds_total)" 'BEGIN { print b - a }')
probes=$(awk -v a="$(sum_metric "$TMP/m0" daneprobe_exporter_probe_duration_seconds_count)" -v b="$(sum_metric "$TMP/m1" daneprobe_exporter_probe_duration_seconds_count)" 'BEGIN { print b - a }')
scrapes=$(awk -v a="$(sum_metric "$TMP/m0" daneprobe_exporter_probes_total)" -v b="$(sum_metric "$TMP/m1" daneprobe_exporter_probes_total)" 'BEGIN { print b - a }')
echo "# ---- figures (${dt%.*} s under load) ----"
echo "# exporter RSS max: $((rss_kb / 1024)) MiB ($rss_kb kB)"
echo "# exporter CPU: $cpu s; probes run: $probes; /probe answers: $scrapes"
awk -v c="$cpu" -v p="$probes" -v s="$scrapes" -v t="$dt" 'BEGIN {
	if (p > 0) printf "# CPU seconds per probe run: %.4f\n", c / p
	if (s > 0) printf "# CPU seconds per /probe answer: %.5f\n", c / s
	printf "# probes/s: %.1f; /probe answers/s: %.1f\n", p / t, s / t }'
check "the exporter ran probes during the load ($probes)" awk -v p="$probes" 'BEGIN { exit !(p > 0) }'

finish
