# tests/exporter/lib.sh -- sourced by the exporter tests: what
# tests/monitoring/lib.sh has (paths, checks, loud skips, free ports, the
# lab), plus starting the exporter and a real Prometheus server and asking
# Prometheus's HTTP API.
# shellcheck shell=bash

# shellcheck source=tests/monitoring/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../monitoring/lib.sh"
PROMAPI=$srcdir/tests/exporter/promapi.py

# start_exporter [OPTION...]: `daneprobe exporter` on a free port of
# 127.0.0.1 with the lab's resolver and anchor, logging to $TMP/exporter.log;
# sets EXPORTER (ADDR:PORT) and EXPORTER_PID, and waits for its "listening"
# line.  Stopped at exit.
start_exporter() {
	local port
	port=$(free_port)
	"$DANEPROBE" exporter --web.listen-address "127.0.0.1:$port" \
		--resolver "$LAB_RESOLVER" --trust-anchor "$LAB_ANCHOR" \
		--helo probe.lab "$@" 2>"$TMP/exporter.log" &
	EXPORTER_PID=$!
	EXPORTER=127.0.0.1:$port
	at_exit "kill_wait $EXPORTER_PID"
	if ! wait_for 30 grep -q "exporter: listening on 127.0.0.1:$port" "$TMP/exporter.log"; then
		echo "FAIL: the exporter did not come up:"
		sed 's/^/#   /' "$TMP/exporter.log" | tail -20
		exit 1
	fi
}

# scrape_config INTERVAL TIMEOUT TARGET...: a prometheus.yml on stdout with
# the shipped rules and two jobs, made from contrib/prometheus/
# daneprobe-exporter.yml as a user would: its probe job (blackbox-style
# relabeling to the exporter's /probe) with the intervals and targets set,
# and its job for the exporter's own /metrics.
scrape_config() {
	local interval=$1 timeout=$2 t
	shift 2
	cat <<YAML
global:
  scrape_interval: $interval
  scrape_timeout: $timeout
  evaluation_interval: $interval
rule_files:
  - $srcdir/contrib/prometheus/daneprobe-exporter-rules.yml
YAML
	# The shipped file, its example values replaced: the exporter's
	# address, the intervals (the global ones apply), and the targets.
	awk -v addr="$EXPORTER" '
	/^ *#/ { next }
	/^ *scrape_(interval|timeout):/ { next }
	/^ *- (example\.org|example\.net)$/ { if (!done++) print "          @TARGETS@"; next }
	{ gsub(/127\.0\.0\.1:[0-9]+/, addr); print }' \
		"$srcdir/contrib/prometheus/daneprobe-exporter.yml" >"$TMP/jobs.yml"
	for t in "$@"; do printf '          - %s\n' "$t"; done >"$TMP/targets.yml"
	sed -e "/@TARGETS@/{r $TMP/targets.yml" -e 'd}' "$TMP/jobs.yml"
}

# start_prometheus CONFIG: a real Prometheus server on a free port of
# 127.0.0.1 with its data under the build tree (removed at exit); sets PROM
# (its URL) and PROM_PID and waits until it is ready.
start_prometheus() {
	local port data
	port=$(free_port)
	mkdir -p "$builddir/tests/exporter"
	data=$(mktemp -d "$builddir/tests/exporter/prometheus-data.XXXXXX")
	prometheus --config.file="$1" --storage.tsdb.path="$data" \
		--web.listen-address="127.0.0.1:$port" --log.level=warn \
		>"$TMP/prometheus.log" 2>&1 &
	PROM_PID=$!
	PROM=http://127.0.0.1:$port
	at_exit "rm -rf '$data'"
	at_exit "kill_wait $PROM_PID"
	if ! wait_for 60 $PY "$PROMAPI" "$PROM" value 'vector(1)'; then
		echo "FAIL: prometheus did not come up:"
		sed 's/^/#   /' "$TMP/prometheus.log" | tail -20
		exit 1
	fi
}

# promq EXPR: the single value of EXPR now, or "none".
promq() { $PY "$PROMAPI" "$PROM" value "$1"; }
