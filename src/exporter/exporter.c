/*
 * exporter.c -- the exporter's run: startup, the three pages, SIGHUP
 * reloads, and the orderly stop on SIGTERM/SIGINT.
 */
#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exporter/exporter.h"
#include "exporter/exporter_http.h"
#include "exporter/exporter_metrics.h"
#include "exporter/exporter_probe.h"
#include "util/ev_compat.h"
#include "util/log.h"

#define RECENT 20       /* probes on the landing page */
#define MAX_URI 2048    /* bytes of path and query */
#define IDLE_TIMEOUT 10 /* seconds a connection may stall */
#define STOP_GRACE 0.5  /* seconds to send the last answers */
#define EXPOSITION "text/plain; version=0.0.4; charset=utf-8"
#define TEXT "text/plain; charset=utf-8"

typedef struct recent_probe {
	char target[254];
	char module[65];
	char status[16];
	double seconds;
	time_t when;
} recent_probe;

typedef struct exporter {
	struct ev_loop *loop;
	const exporter_options *o;
	exporter_config *cfg;
	exporter_prober *prober;
	exporter_http *http;
	exporter_metrics metrics;
	ev_signal hup, term, intr;
	ev_timer stop_timer;
	bool stopping;
	recent_probe recent[RECENT];
	size_t n_recent; /* probes recorded so far */
} exporter;

/* Events an operator must see whatever the log level: one line each. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "daneprobe: exporter: %s\n", line);
	fflush(stderr);
}

/* ---- the pages --------------------------------------------------------- */

static void
reply_text(exporter_request *r, unsigned status, const char *text)
{
	char line[600];
	int n = snprintf(line, sizeof(line), "%s\n", text);

	exporter_request_reply(r, status, TEXT, line,
	    n > 0 && (size_t)n < sizeof(line) ? (size_t)n : strlen(line));
}

static void
html_escaped(FILE *out, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			fputc(*s, out);
		}
}

static void
landing_rows(FILE *out, const exporter *x)
{
	size_t n = x->n_recent < RECENT ? x->n_recent : RECENT;

	for (size_t i = 0; i < n; i++) {
		const recent_probe *p =
		    &x->recent[(x->n_recent - 1 - i) % RECENT];
		char when[32];
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
		    gmtime_r(&p->when, &tm));
		fputs("<tr><td>", out);
		html_escaped(out, p->target);
		fputs("</td><td>", out);
		html_escaped(out, p->module);
		fputs("</td><td>", out);
		html_escaped(out, p->status);
		fprintf(out, "</td><td>%.3f s</td><td>%s UTC</td></tr>\n",
		    p->seconds, when);
	}
}

static void
page_landing(exporter *x, exporter_request *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (out == NULL) {
		reply_text(r, 500, "out of memory");
		return;
	}
	fprintf(out,
	    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>daneprobe exporter</title></head><body>\n"
	    "<h1>daneprobe exporter</h1>\n"
	    "<p>DANE for SMTP (RFC 7672), probed for Prometheus.</p>\n<ul>\n"
	    "<li><a href=\"metrics\">Metrics</a></li>\n"
	    "<li><a href=\"probe?target=example.org\">Probe "
	    "example.org</a> (module default)</li>\n</ul>\n"
	    "<h2>Recent probes</h2>\n<table border=\"1\">\n"
	    "<tr><th>Target</th><th>Module</th><th>Status</th>"
	    "<th>Duration</th><th>Finished</th></tr>\n");
	landing_rows(out, x);
	fprintf(out, "</table>\n<p>daneprobe %s</p>\n</body></html>\n",
	    PACKAGE_VERSION);
	if (fclose(out) != 0) {
		free(buf);
		reply_text(r, 500, "out of memory");
		return;
	}
	exporter_request_reply(r, 200, "text/html; charset=utf-8", buf, len);
	free(buf);
}

static void
page_metrics(exporter *x, exporter_request *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (out == NULL) {
		reply_text(r, 500, "out of memory");
		return;
	}
	exporter_prober_update_metrics(x->prober);
	exporter_metrics_write(out, &x->metrics);
	if (fclose(out) != 0) {
		free(buf);
		reply_text(r, 500, "out of memory");
		return;
	}
	exporter_request_reply(r, 200, EXPOSITION, buf, len);
	free(buf);
}

static void
on_probe_answer(exporter_waiter *w, const char *body, size_t len, void *arg)
{
	(void)w;
	exporter_request_reply(arg, 200, EXPOSITION, body, len);
}

static void
reject(exporter *x, exporter_request *r, unsigned status, const char *why)
{
	x->metrics.probes[EXPORTER_RESULT_REJECTED]++;
	reply_text(r, status, why);
}

static void
page_probe(exporter *x, exporter_request *r)
{
	char domain[256], err[400];
	const exporter_module *m;
	const char *body = NULL;
	size_t len = 0;
	double deadline;

	if (x->stopping) {
		reject(x, r, 503, "shutting down");
		return;
	}
	if (exporter_probe_check_query(x->cfg,
	        exporter_request_arg(r, "target"),
	        exporter_request_arg(r, "module"), domain, sizeof(domain), &m,
	        err, sizeof(err)) != 0) {
		reject(x, r, 400, err);
		return;
	}
	deadline = exporter_probe_deadline(
	    exporter_request_header(r, "X-Prometheus-Scrape-Timeout-Seconds"),
	    m->timeout);
	switch (exporter_prober_request(x->prober, domain, m, deadline,
	    exporter_request_waiter(r), on_probe_answer, r, &body, &len, err,
	    sizeof(err))) {
	case EXPORTER_START_WAITING:
		return; /* on_probe_answer() replies */
	case EXPORTER_START_CACHED:
		exporter_request_reply(r, 200, EXPOSITION, body, len);
		return;
	case EXPORTER_START_BUSY:
		reject(x, r, 503, err);
		return;
	case EXPORTER_START_ERROR:
	default:
		x->metrics.probes[EXPORTER_RESULT_ERROR]++;
		reply_text(r, 500, err);
		return;
	}
}

static void
handle(exporter_request *r, const char *path, void *arg)
{
	exporter *x = arg;

	x->metrics.http_requests++;
	if (strcmp(path, "/probe") == 0)
		page_probe(x, r);
	else if (strcmp(path, "/metrics") == 0)
		page_metrics(x, r);
	else if (strcmp(path, "/") == 0)
		page_landing(x, r);
	else
		reply_text(
		    r, 404, "not found (/, /metrics, /probe?target=DOMAIN)");
}

static void
on_abort(exporter_request *r, void *arg)
{
	exporter *x = arg;

	exporter_prober_cancel(x->prober, exporter_request_waiter(r));
}

static void
on_finish(const exporter_probe_info *info, void *arg)
{
	exporter *x = arg;
	recent_probe *p = &x->recent[x->n_recent++ % RECENT];

	snprintf(p->target, sizeof(p->target), "%s", info->target);
	snprintf(p->module, sizeof(p->module), "%s", info->module);
	snprintf(p->status, sizeof(p->status), "%s", info->status);
	p->seconds = info->seconds;
	p->when = time(NULL);
	log_info("exporter: probe target=%s module=%s status=%s "
	         "seconds=%.3f timed_out=%s",
	    info->target, info->module, info->status, info->seconds,
	    info->timed_out ? "yes" : "no");
}

/* ---- configuration ----------------------------------------------------- */

/* Loads the module file and makes its engines; 0, or -1 (logged). */
static int
load(exporter *x, const char *what)
{
	exporter_config *cfg;
	char err[1200];

	if (exporter_config_load(x->o->config_file, &x->o->defaults, &cfg, err,
	        sizeof(err)) != 0 ||
	    exporter_prober_configure(x->prober, cfg, err, sizeof(err)) != 0) {
		if (cfg != NULL)
			exporter_config_free(cfg);
		x->metrics.reload_ok = false;
		say("%s failed, %s: %s", what,
		    x->cfg ? "the modules in force stay" : "not started", err);
		return -1;
	}
	exporter_config_free(x->cfg);
	x->cfg = cfg;
	x->metrics.reload_ok = true;
	x->metrics.reload_time = (double)time(NULL);
	if (x->o->config_file != NULL)
		say("%s: %zu module(s) from %s", what, cfg->n,
		    x->o->config_file);
	return 0;
}

static void
on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	load(w->data, "reload");
}

static void
on_stop_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* Answers the scrapes still waiting, lets the loop send the answers for a
 * moment, then leaves it.  No new connection is accepted meanwhile. */
static void
on_term(struct ev_loop *loop, ev_signal *w, int revents)
{
	exporter *x = w->data;

	(void)revents;
	if (x->stopping)
		return;
	x->stopping = true;
	say("stopping (signal %d)", w->signum);
	exporter_http_quiesce(x->http);
	exporter_prober_flush(x->prober);
	ev_signal_stop(loop, &x->hup);
	ev_timer_init(&x->stop_timer, on_stop_timer, STOP_GRACE, 0);
	ev_timer_start(loop, &x->stop_timer);
}

static void
signals_start(exporter *x)
{
	ev_signal_init(&x->hup, on_hup, SIGHUP);
	ev_signal_init(&x->term, on_term, SIGTERM);
	ev_signal_init(&x->intr, on_term, SIGINT);
	x->hup.data = x->term.data = x->intr.data = x;
	ev_signal_start(x->loop, &x->hup);
	ev_signal_start(x->loop, &x->term);
	ev_signal_start(x->loop, &x->intr);
}

static void
signals_stop(exporter *x)
{
	ev_signal_stop(x->loop, &x->hup);
	ev_signal_stop(x->loop, &x->term);
	ev_signal_stop(x->loop, &x->intr);
	ev_timer_stop(x->loop, &x->stop_timer);
}

static int
start(exporter *x)
{
	exporter_prober_params pp = { .max_in_flight = x->o->max_in_flight,
		.max_sessions = x->o->max_sessions,
		.metrics = &x->metrics,
		.on_finish = on_finish,
		.arg = x };
	exporter_http_params hp = { .listen = x->o->listen,
		.max_connections = x->o->max_connections,
		.idle_timeout = IDLE_TIMEOUT,
		.header_timeout = x->o->header_timeout,
		.header_timeouts = &x->metrics.http_header_timeouts,
		.max_uri = MAX_URI,
		.handle = handle,
		.on_abort = on_abort,
		.arg = x };
	char bound[80], err[300];

	if ((x->prober = exporter_prober_new(x->loop, &pp)) == NULL) {
		say("out of memory");
		return -1;
	}
	if (load(x, "loading the modules") != 0)
		return -1;
	if (exporter_http_new(x->loop, &hp, &x->http, bound, sizeof(bound), err,
	        sizeof(err)) != 0) {
		say("%s", err);
		return -1;
	}
	signals_start(x);
	say("listening on %s", bound);
	return 0;
}

int
exporter_run(const exporter_options *o)
{
	exporter x;
	int rc = 1;

	memset(&x, 0, sizeof(x));
	x.o = o;
	exporter_metrics_init(&x.metrics);
	ev_init(&x.stop_timer, on_stop_timer);
	if ((x.loop = ev_loop_new(EVFLAG_AUTO)) == NULL) {
		say("cannot create the event loop");
		return 1;
	}
	if (start(&x) == 0) {
		ev_run(x.loop, 0);
		rc = 0;
		say("stopped");
	}
	signals_stop(&x);
	/* HTTP first: a request still waiting drops its waiter. */
	exporter_http_free(x.http);
	exporter_prober_free(x.prober);
	exporter_config_free(x.cfg);
	ev_loop_destroy(x.loop);
	return rc;
}
