/*
 * test_exporter_metrics.c -- /metrics: the counters by result, the
 * histogram (cumulative buckets, +Inf, sum and count), the connections
 * dropped for slow headers, the reload state
 * and the process_* family read from /proc/self.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/exporter_metrics.h"

static char *
render(const exporter_metrics *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	cr_assert_not_null(out);
	exporter_metrics_write(out, m);
	cr_assert_eq(fclose(out), 0);
	return buf;
}

static void
has_line(const char *text, const char *line)
{
	char *want = NULL;

	cr_assert(asprintf(&want, "\n%s\n", line) > 0);
	cr_expect_not_null(strstr(text, want), "missing line: %s", line);
	free(want);
}

Test(exporter_metrics, counters_and_histogram_as_the_text_format_wants)
{
	exporter_metrics m;
	char *text;

	exporter_metrics_init(&m);
	exporter_metrics_observe(&m, EXPORTER_RESULT_OK, 0.05);
	exporter_metrics_observe(&m, EXPORTER_RESULT_OK, 0.3);
	exporter_metrics_observe(&m, EXPORTER_RESULT_CRITICAL, 12);
	exporter_metrics_observe(&m, EXPORTER_RESULT_UNKNOWN, 100);
	exporter_metrics_observe(&m, EXPORTER_RESULT_REJECTED, 0);
	m.reload_ok = true;
	m.reload_time = 1700000000;
	m.http_header_timeouts = 12345678901ULL;
	text = render(&m);
	has_line(text, "# TYPE daneprobe_exporter_probes_total counter");
	has_line(text, "daneprobe_exporter_probes_total{result=\"ok\"} 2");
	has_line(
	    text, "daneprobe_exporter_probes_total{result=\"critical\"} 1");
	has_line(
	    text, "daneprobe_exporter_probes_total{result=\"rejected\"} 1");
	has_line(text, "daneprobe_exporter_probes_total{result=\"error\"} 0");
	has_line(
	    text, "# TYPE daneprobe_exporter_probe_duration_seconds histogram");
	has_line(text,
	    "daneprobe_exporter_probe_duration_seconds_bucket{le=\"0.1\"} 1");
	has_line(text,
	    "daneprobe_exporter_probe_duration_seconds_bucket{le=\"0.5\"} 2");
	has_line(text,
	    "daneprobe_exporter_probe_duration_seconds_bucket{le=\"20\"} 3");
	has_line(text,
	    "daneprobe_exporter_probe_duration_seconds_bucket{le=\"60\"} 3");
	has_line(text,
	    "daneprobe_exporter_probe_duration_seconds_bucket{le=\"+Inf\"} 4");
	has_line(text, "daneprobe_exporter_probe_duration_seconds_count 4");
	has_line(text,
	    "daneprobe_exporter_probe_duration_seconds_sum 112.34999999999999");
	has_line(text,
	    "# TYPE daneprobe_exporter_http_connections_dropped_total counter");
	has_line(text,
	    "daneprobe_exporter_http_connections_dropped_total"
	    "{reason=\"header_timeout\"} 12345678901");
	has_line(text, "daneprobe_exporter_config_last_reload_successful 1");
	has_line(text,
	    "daneprobe_exporter_config_last_reload_success_timestamp_seconds "
	    "1700000000");
	free(text);
}

Test(exporter_metrics, process_metrics_come_from_proc_self)
{
	exporter_metrics m;
	exporter_process p;
	char *text;

	exporter_metrics_init(&m);
	cr_assert(exporter_process_read(&p), "/proc/self is readable");
	cr_expect_gt(p.resident_bytes, 1024 * 1024);
	cr_expect_geq(p.virtual_bytes, p.resident_bytes);
	cr_expect_geq(p.open_fds, 3);
	cr_expect_gt(p.max_fds, p.open_fds);
	cr_expect_gt(p.start_time, 1.5e9, "Unix time, not ticks since boot");
	cr_expect_lt(p.start_time, 1e11);
	text = render(&m);
	for (const char *const *n =
	         (const char *const[]){ "process_cpu_seconds_total",
	             "process_resident_memory_bytes",
	             "process_virtual_memory_bytes", "process_open_fds",
	             "process_max_fds", "process_start_time_seconds", NULL };
	     *n != NULL; n++) {
		char *want = NULL;

		cr_assert(asprintf(&want, "\n# HELP %s ", *n) > 0);
		cr_expect_not_null(strstr(text, want), "no %s", *n);
		free(want);
	}
	free(text);
}
