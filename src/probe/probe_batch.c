/*
 * probe_batch.c -- bounded concurrency over the probe engine.
 *
 * The loop starts up to `concurrency` domains, and each completion starts
 * the next one, so memory and sockets stay bounded however long the list.
 * SIGINT/SIGTERM stop the loop when asked to; what finished was already
 * handed out.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/ev_compat.h"
#include "probe/probe_batch.h"
#include "policy/dane_rollup.h"

typedef struct batch {
	const probe_batch_params *p;
	probe_batch_summary *sum;
	probe_engine *eng;
	struct ev_loop *loop;
	bool exhausted;
	bool stop;
	double t0;
	ev_signal sigint, sigterm;
	ev_timer tick;
} batch;

static bool
any_capped(const probe_domain *d)
{
	for (size_t i = 0; i < d->n_hosts; i++)
		for (size_t j = 0; j < d->hosts[i].n_addrs; j++)
			if (d->hosts[i].addrs[j].capped)
				return true;
	return false;
}

static bool
any_bad_name(const probe_domain *d)
{
	for (size_t i = 0; i < d->n_hosts; i++)
		if (d->hosts[i].bad_name)
			return true;
	return false;
}

/* The first CRITICAL address with a valid state, in tree order. */
static bool
first_critical(const probe_domain *d, addr_state *state)
{
	for (size_t i = 0; i < d->n_hosts; i++)
		for (size_t j = 0; j < d->hosts[i].n_addrs; j++) {
			const probe_address *pa = &d->hosts[i].addrs[j];

			if (pa->severity == SEVERITY_CRITICAL &&
			    (unsigned)pa->state < ADDR_STATE_COUNT) {
				*state = pa->state;
				return true;
			}
		}
	return false;
}

/* Counts the domain where the policy's summary classes put it. */
void
probe_batch_count(probe_batch_summary *s, const probe_domain *d)
{
	dane_batch_facts f = {
		.severity = d->severity,
		.status = d->dane_status,
		.mx_severity = d->mx_severity,
		.probe_error = d->probe_error,
		.any_capped = any_capped(d),
		.any_bad_name = any_bad_name(d),
	};
	size_t *by_class[] = {
		[DANE_BATCH_VALID] = &s->dane_valid,
		[DANE_BATCH_NO_MAIL] = &s->no_mail,
		[DANE_BATCH_INSECURE_MX] = &s->insecure_mx,
		[DANE_BATCH_NOT_APPLICABLE] = &s->not_applicable,
		[DANE_BATCH_PARTIAL] = &s->partial,
		[DANE_BATCH_CAPPED] = &s->capped,
		[DANE_BATCH_WARNING] = &s->warning,
		[DANE_BATCH_FAILING] = &s->failing,
		[DANE_BATCH_PROBE_ERROR] = &s->probe_error,
		[DANE_BATCH_UNKNOWN] = &s->unknown,
	};
	dane_batch_verdict v;

	f.have_critical = first_critical(d, &f.critical_state);
	dane_rollup_batch_class(&f, &v);
	s->total++;
	(*by_class[v.cls])++;
	if (v.why == DANE_BATCH_WHY_STATE)
		s->why[v.state]++;
	else if (v.why == DANE_BATCH_WHY_BAD_NAME)
		s->why_bad_name++;
	else if (v.why == DANE_BATCH_WHY_DNS)
		s->why_dns++;
}

static void start_more(batch *b);

static void
on_result(probe_domain *d, void *arg)
{
	batch *b = arg;

	probe_batch_count(b->sum, d);
	b->p->result(d, b->p->arg);
	start_more(b);
}

static void
start_more(batch *b)
{
	unsigned limit = b->p->concurrency ? b->p->concurrency : 64;
	char err[256];

	while (
	    !b->stop && !b->exhausted && probe_engine_running(b->eng) < limit) {
		const char *domain = b->p->next(b->p->arg);

		if (domain == NULL) {
			b->exhausted = true;
			break;
		}
		if ((b->p->hosts ? probe_engine_start_host :
		                   probe_engine_start)(
		        b->eng, domain, on_result, b, err, sizeof(err)) == 0)
			continue;
		if (b->p->not_started != NULL)
			b->p->not_started(domain, err, b->p->arg);
		else
			fprintf(stderr, "daneprobe: %s: %s\n", domain, err);
	}
}

static void
progress_line(batch *b, bool final)
{
	double el = ev_now(b->loop) - b->t0;
	double rate = el > 0 ? (double)b->sum->total / el : 0;
	size_t total = b->p->expected_total;

	if (total > 0 && rate > 0 && total > b->sum->total)
		fprintf(stderr,
		    "\r\033[K[%zu/%zu] %.1f domains/s, ETA %.0fs, "
		    "%zu failing",
		    b->sum->total, total, rate,
		    (double)(total - b->sum->total) / rate, b->sum->failing);
	else
		fprintf(stderr,
		    "\r\033[K[%zu%s%.0zu] %.1f domains/s, %zu "
		    "failing",
		    b->sum->total, total ? "/" : "", total, rate,
		    b->sum->failing);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

static void
on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	progress_line(w->data, false);
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	batch *b = w->data;

	(void)revents;
	b->stop = true;
	b->sum->interrupted = true;
	ev_break(loop, EVBREAK_ALL);
}

static void
watchers_start(batch *b)
{
	if (b->p->stop_on_signal) {
		ev_signal_init(&b->sigint, on_signal, SIGINT);
		ev_signal_init(&b->sigterm, on_signal, SIGTERM);
		b->sigint.data = b->sigterm.data = b;
		ev_signal_start(b->loop, &b->sigint);
		ev_signal_start(b->loop, &b->sigterm);
	}
	if (b->p->progress) {
		ev_timer_init(&b->tick, on_tick, 0.5, 0.5);
		b->tick.data = b;
		ev_timer_start(b->loop, &b->tick);
	}
}

static void
watchers_stop(batch *b)
{
	if (b->p->stop_on_signal) {
		ev_signal_stop(b->loop, &b->sigint);
		ev_signal_stop(b->loop, &b->sigterm);
	}
	if (b->p->progress)
		ev_timer_stop(b->loop, &b->tick);
}

/* Measured after the engine is freed, so its teardown counts too. */
static void
measure_self(probe_batch_summary *sum)
{
	struct rusage ru;

	sum->cpu_seconds = -1;
	sum->peak_rss_kib = -1;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return;
	sum->cpu_seconds = (double)ru.ru_utime.tv_sec +
	    (double)ru.ru_stime.tv_sec +
	    ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
	/* Linux counts ru_maxrss in KiB. */
	sum->peak_rss_kib = ru.ru_maxrss;
}

int
probe_batch_run(const probe_config *cfg, const dns_resolver_config *dns,
    const probe_batch_params *p, probe_batch_summary *sum, char *err,
    size_t errlen)
{
	batch b;

	memset(sum, 0, sizeof(*sum));
	memset(&b, 0, sizeof(b));
	b.p = p;
	b.sum = sum;
	/* Signals need the default loop in libev. */
	b.loop = ev_default_loop(EVFLAG_AUTO);
	if (b.loop == NULL) {
		snprintf(err, errlen, "cannot create the event loop");
		return -1;
	}
	if (probe_engine_new(b.loop, cfg, dns, &b.eng, err, errlen) != 0)
		return -1;
	b.t0 = ev_now(b.loop);
	watchers_start(&b);
	start_more(&b);
	while (!b.stop && probe_engine_running(b.eng) > 0)
		ev_run(b.loop, EVRUN_ONCE);
	watchers_stop(&b);
	sum->seconds = ev_now(b.loop) - b.t0;
	probe_engine_get_stats(b.eng, &sum->engine);
	if (p->progress)
		progress_line(&b, true);
	/* Interrupted probes are dropped: never a half-finished verdict. */
	probe_engine_free(b.eng);
	measure_self(sum);
	return 0;
}

void
probe_batch_print_summary(FILE *out, const probe_batch_summary *s)
{
	fprintf(out, "\nSummary: %zu domain(s) in %.1f s%s\n", s->total,
	    s->seconds, s->interrupted ? " (INTERRUPTED)" : "");
	fprintf(out, "  DANE-valid          %zu\n", s->dane_valid);
	fprintf(out, "  failing             %zu\n", s->failing);
	for (unsigned i = 0; i < ADDR_STATE_COUNT; i++)
		if (s->why[i])
			fprintf(out, "    %-22s %zu\n",
			    addr_state_name((addr_state)i), s->why[i]);
	if (s->why_bad_name)
		fprintf(out, "    %-22s %zu\n", "bad-mx-name", s->why_bad_name);
	if (s->why_dns)
		fprintf(out, "    %-22s %zu\n", "dns-failure", s->why_dns);
	fprintf(out, "  insecure MX RRset   %zu\n", s->insecure_mx);
	fprintf(out, "  DANE not applicable %zu\n", s->not_applicable);
	fprintf(out, "  DANE partial        %zu\n", s->partial);
	fprintf(out, "  addresses capped    %zu\n", s->capped);
	fprintf(out, "  other warnings      %zu\n", s->warning);
	fprintf(out, "  null MX (no mail)   %zu\n", s->no_mail);
	fprintf(out, "  probe error (local) %zu\n", s->probe_error);
	fprintf(out, "  unknown             %zu\n", s->unknown);
	fprintf(out,
	    "  MX hosts probed once each: %zu (reused %zu times), "
	    "%zu SMTP sessions, at most %u at once\n",
	    s->engine.host_jobs, s->engine.host_reuses, s->engine.sessions,
	    s->engine.peak_sessions);
	if (s->cpu_seconds < 0)
		return;
	fprintf(out, "  cpu: %.2f s user+sys", s->cpu_seconds);
	if (s->total > 0)
		fprintf(out, " (%.2f ms/domain)",
		    s->cpu_seconds * 1000.0 / (double)s->total);
	if (s->peak_rss_kib >= 0)
		fprintf(out, ", peak RSS %.1f MiB",
		    (double)s->peak_rss_kib / 1024.0);
	fputc('\n', out);
}
