/*
 * exporter_metrics.c -- /metrics: counters kept by the exporter and the
 * process_* family, read the way the Go client reads them (procfs).
 */
#include "config.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "exporter/exporter_metrics.h"

static const double bucket_bounds[EXPORTER_DURATION_BUCKETS] = { 0.1, 0.25, 0.5,
	1, 2.5, 5, 10, 20, 30, 60 };

static const char *const result_names[EXPORTER_RESULT_COUNT] = { "ok",
	"warning", "critical", "unknown", "rejected", "error" };

const char *
exporter_result_name(exporter_result r)
{
	return (unsigned)r < EXPORTER_RESULT_COUNT ? result_names[r] :
	                                             "unknown";
}

void
exporter_metrics_init(exporter_metrics *m)
{
	exporter_process p;

	memset(m, 0, sizeof(*m));
	m->start_time =
	    exporter_process_read(&p) ? p.start_time : (double)time(NULL);
}

void
exporter_metrics_observe(exporter_metrics *m, exporter_result r, double s)
{
	m->probes[(unsigned)r < EXPORTER_RESULT_COUNT ?
	        r :
	        EXPORTER_RESULT_ERROR]++;
	if (r == EXPORTER_RESULT_REJECTED)
		return; /* no probe ran */
	for (size_t i = 0; i < EXPORTER_DURATION_BUCKETS; i++)
		if (s <= bucket_bounds[i]) {
			m->duration_buckets[i]++;
			break;
		}
	m->duration_count++;
	m->duration_sum += s;
}

/* ---- /proc/self -------------------------------------------------------- */

/* Fields of /proc/self/stat after the command name, as the Go client
 * (procfs) reads them: utime 14, stime 15, starttime 22, vsize 23,
 * rss 24 (1-based field numbers of proc(5)). */
static bool
read_stat(exporter_process *p)
{
	char buf[1024], *s;
	FILE *f = fopen("/proc/self/stat", "r");
	unsigned long utime, stime, vsize;
	unsigned long long starttime;
	long rss, tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	size_t n;

	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and ')': skip to the last ')'. */
	if ((s = strrchr(buf, ')')) == NULL || tck <= 0)
		return false;
	if (sscanf(s + 2,
	        "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu "
	        "%*d %*d %*d %*d %*d %*d %llu %lu %ld",
	        &utime, &stime, &starttime, &vsize, &rss) != 5)
		return false;
	p->cpu_seconds = (double)(utime + stime) / (double)tck;
	p->virtual_bytes = (double)vsize;
	p->resident_bytes = (double)rss * (double)page;
	p->start_time = (double)starttime / (double)tck;
	return true;
}

/* Boot time from /proc/stat ("btime"), to turn starttime into Unix time. */
static double
boot_time(void)
{
	char line[256];
	FILE *f = fopen("/proc/stat", "r");
	double bt = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "btime ", 6) == 0) {
			bt = strtod(line + 6, NULL);
			break;
		}
	fclose(f);
	return bt;
}

static double
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	double n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

bool
exporter_process_read(exporter_process *p)
{
	struct rlimit rl;

	memset(p, 0, sizeof(*p));
	if (!read_stat(p))
		return false;
	p->start_time += boot_time();
	p->open_fds = count_fds();
	p->max_fds =
	    getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ?
	    (double)rl.rlim_cur :
	    -1;
	return true;
}

/* ---- the exposition ---------------------------------------------------- */

static void
family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
one(FILE *out, const char *name, const char *type, const char *help, double v)
{
	family(out, name, type, help);
	fprintf(out, "%s %.17g\n", name, v);
}

static void
write_histogram(FILE *out, const exporter_metrics *m)
{
	const char *name = "daneprobe_exporter_probe_duration_seconds";
	uint64_t cum = 0;

	family(out, name, "histogram",
	    "How long the probes this exporter ran took (cache hits and "
	    "joined scrapes not counted again).");
	for (size_t i = 0; i < EXPORTER_DURATION_BUCKETS; i++) {
		cum += m->duration_buckets[i];
		fprintf(out, "%s_bucket{le=\"%g\"} %llu\n", name,
		    bucket_bounds[i], (unsigned long long)cum);
	}
	fprintf(out, "%s_bucket{le=\"+Inf\"} %llu\n", name,
	    (unsigned long long)m->duration_count);
	fprintf(out, "%s_sum %.17g\n", name, m->duration_sum);
	fprintf(out, "%s_count %llu\n", name,
	    (unsigned long long)m->duration_count);
}

static void
write_process(FILE *out)
{
	exporter_process p;

	if (!exporter_process_read(&p))
		return;
	one(out, "process_cpu_seconds_total", "counter",
	    "Total user and system CPU time spent in seconds.", p.cpu_seconds);
	one(out, "process_resident_memory_bytes", "gauge",
	    "Resident memory size in bytes.", p.resident_bytes);
	one(out, "process_virtual_memory_bytes", "gauge",
	    "Virtual memory size in bytes.", p.virtual_bytes);
	if (p.open_fds >= 0)
		one(out, "process_open_fds", "gauge",
		    "Number of open file descriptors.", p.open_fds);
	if (p.max_fds >= 0)
		one(out, "process_max_fds", "gauge",
		    "Maximum number of open file descriptors.", p.max_fds);
	one(out, "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds.",
	    p.start_time);
}

void
exporter_metrics_write(FILE *out, const exporter_metrics *m)
{
	const char *probes = "daneprobe_exporter_probes_total";

	family(out, probes, "counter",
	    "Probes run, by verdict (ok, warning, critical, unknown; error: "
	    "the probe could not run or hit a local outage), and scrapes of "
	    "/probe rejected (400, 503); cache hits and joined scrapes are "
	    "counted apart.");
	for (int r = 0; r < EXPORTER_RESULT_COUNT; r++)
		fprintf(out, "%s{result=\"%s\"} %llu\n", probes,
		    result_names[r], (unsigned long long)m->probes[r]);
	write_histogram(out, m);
	one(out, "daneprobe_exporter_probe_cache_hits_total", "counter",
	    "Scrapes answered from a result younger than the module's "
	    "min_interval.",
	    (double)m->cache_hits);
	one(out, "daneprobe_exporter_probe_coalesced_total", "counter",
	    "Scrapes that joined a probe of the same target and module "
	    "already running.",
	    (double)m->coalesced);
	one(out, "daneprobe_exporter_probes_in_flight", "gauge",
	    "Distinct probes running now.", m->in_flight);
	one(out, "daneprobe_exporter_dns_failures_total", "counter",
	    "DNS lookups of finished probes that failed (SERVFAIL, timeout, "
	    "local error; not NXDOMAIN or NODATA).",
	    (double)m->dns_failures);
	one(out, "daneprobe_exporter_smtp_sessions_total", "counter",
	    "SMTP sessions started.", (double)m->smtp_sessions);
	one(out, "daneprobe_exporter_smtp_failures_total", "counter",
	    "MX addresses of finished probes whose session failed (no "
	    "connection, timeout, SMTP error, TLS handshake failure).",
	    (double)m->smtp_failures);
	one(out, "daneprobe_exporter_http_requests_total", "counter",
	    "HTTP GET and HEAD requests within the limits, any path.",
	    (double)m->http_requests);
	family(out, "daneprobe_exporter_http_connections_dropped_total",
	    "counter",
	    "HTTP connections the exporter closed, by reason "
	    "(header_timeout: request headers not complete in time).");
	fprintf(out,
	    "daneprobe_exporter_http_connections_dropped_total"
	    "{reason=\"header_timeout\"} %" PRIu64 "\n",
	    m->http_header_timeouts);
	family(out, "daneprobe_exporter_build_info", "gauge",
	    "daneprobe version of this exporter (always 1).");
	fprintf(out, "daneprobe_exporter_build_info{version=\"%s\"} 1\n",
	    PACKAGE_VERSION);
	one(out, "daneprobe_exporter_config_last_reload_successful", "gauge",
	    "Whether the last configuration reload attempt was successful.",
	    m->reload_ok);
	one(out,
	    "daneprobe_exporter_config_last_reload_success_timestamp_seconds",
	    "gauge", "Timestamp of the last successful configuration reload.",
	    m->reload_time);
	write_process(out);
}
