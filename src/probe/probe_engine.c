/*
 * probe_engine.c -- domain probes and shared host jobs as explicit state
 * machines on one libev loop.
 *
 *   domain: MX lookup -> subscribe to one host job per MX host
 *           -> every host result shared in -> verdict roll-up -> done
 *   host job: A + AAAA -> TLSA (expanded name, then original) -> policy
 *           -> per address (through the connection limiter): SMTP/TLS
 *           -> verdicts -> one shared view handed to every subscribed domain
 *
 * Host jobs live for the whole run (a cache keyed by host name), so a host
 * named by many domains is resolved and probed once.  A domain's deadline
 * only ends that domain's wait: the shared job runs on for the others,
 * but the sessions it had queued that no live domain needs are cancelled.
 * Domain probes live until their MX lookup has called back (getdns may
 * answer after the deadline); late answers are ignored.
 *
 * Address budget (--max-addresses): a domain chooses where we connect, so
 * it gets at most cfg.max_addresses addresses, given out in MX preference
 * order once each host's addresses are known ("allot").  A host job
 * probes the longest prefix of its address list that any live subscriber
 * was allotted (host_job_want); a domain gets its host's result once its own
 * prefix is complete, with the addresses beyond its allotment reported as
 * not probed.
 *
 * This file: engine setup and teardown and the domain's side (MX lookup,
 * the address budget, completion, deadline); the host jobs are in
 * probe_host_job.c, the address probes in probe_address.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "policy/dane_verdict.h"
#include "probe/probe_engine_internal.h"
#include "probe/probe_rollup.h"
#include "util/log.h"

#define MAX_HOSTS 128      /* more MX hosts than this is a broken zone */
#define DEADLINE_GRACE 0.5 /* let sessions report their own timeout first */

/* ---- domain lifetime -------------------------------------------------- */

static void
domain_probe_free(domain_probe *dp)
{
	probe_engine *e = dp->eng;

	if (dp->prev)
		dp->prev->next = dp->next;
	else
		e->probes = dp->next;
	if (dp->next)
		dp->next->prev = dp->prev;
	free(dp->hosts);
	probe_domain_free(dp->res); /* NULL once handed over */
	free(dp);
}

static void
domain_probe_release(domain_probe *dp)
{
	if (dp->finished && dp->dns_pending == 0)
		domain_probe_free(dp);
}

/* Hands the result over; the probe object stays until DNS is quiet. */
static void
domain_finish(domain_probe *dp)
{
	probe_domain *res = dp->res;
	probe_engine *e = dp->eng;

	if (dp->finished)
		return;
	dp->finished = true;
	ev_timer_stop(e->loop, &dp->deadline);
	for (size_t i = 0; i < dp->n_hosts; i++)
		if (!dp->hosts[i].done)
			host_job_unsubscribe(dp, i);
	res->ms_total = (ev_now(e->loop) - dp->t0) * 1000.0;
	probe_domain_finish(res);
	dp->res = NULL;
	e->running--;
	dp->done(res, dp->arg);
	domain_probe_release(dp);
}

static void domain_fail(domain_probe *dp, probe_severity sev, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
domain_fail(domain_probe *dp, probe_severity sev, const char *fmt, ...)
{
	va_list ap;
	int n;

	dp->res->kind = DOMAIN_LOOKUP_FAILED;
	dp->res->severity = sev;
	n = snprintf(dp->res->summary, sizeof(dp->res->summary),
	    "%s: ", dp->res->domain);
	va_start(ap, fmt);
	vsnprintf(dp->res->summary + n, sizeof(dp->res->summary) - (size_t)n,
	    fmt, ap);
	va_end(ap);
	domain_finish(dp);
}

/* ---- DNS plumbing ----------------------------------------------------- */

static void on_dns(dns_answer *answer, void *arg);

bool
probe_start_lookup(
    probe_engine *e, lookup_ctx *tmpl, const char *name, uint16_t qtype)
{
	char err[200];
	lookup_ctx *lc = malloc(sizeof(*lc));

	if (lc == NULL)
		return false;
	*lc = *tmpl;
	if (dns_lookup(e->dns, name, qtype, on_dns, lc, err, sizeof(err)) !=
	    0) {
		log_warn("lookup %s/%s: %s", name, dns_type_name(qtype), err);
		free(lc);
		return false;
	}
	if (lc->dp != NULL)
		lc->dp->dns_pending++;
	return true;
}

/* ---- the address budget ----------------------------------------------- */

/*
 * Gives out the domain's address budget in MX preference order, as far
 * as the hosts' address lists are known, and asks each host job for its
 * share.  Finishing the domain waits until the walk is over.
 */
void
domain_probe_allocate(domain_probe *dp)
{
	unsigned cap = dp->eng->cfg.max_addresses;
	size_t left = cap ? cap : SIZE_MAX;

	dp->allocating++;
	for (size_t i = 0; i < dp->n_hosts; i++) {
		domain_host *dh = &dp->hosts[i];
		host_job *job = dh->job;

		if (!dh->allotted && job == NULL) {
			dh->allotted =
			    true; /* out of memory: nothing to probe */
			dh->allot = 0;
		}
		if (!dh->allotted) {
			if (!job->decided)
				break; /* later hosts wait for this one */
			dh->allot = job->n_first < left ? job->n_first : left;
			dh->allotted = true;
			if (dh->allot < job->n_first)
				dp->eng->stats.addrs_capped +=
				    job->n_first - dh->allot;
			if (!dh->done)
				host_job_want(job, dh->allot);
		}
		left -= dh->allot < left ? dh->allot : left;
	}
	dp->allocating--;
	domain_probe_maybe_done(dp);
}

/* ---- MX --------------------------------------------------------------- */

static int
cmp_mx(const void *a, const void *b)
{
	const dns_mx *x = a, *y = b;

	return (int)x->preference - (int)y->preference;
}

static bool
host_known(const probe_domain *res, const char *name)
{
	for (size_t i = 0; i < res->n_hosts; i++)
		if (strcasecmp(res->hosts[i].name, name) == 0)
			return true;
	return false;
}

static bool
add_host(probe_domain *res, const char *name, uint16_t pref)
{
	probe_host *h = &res->hosts[res->n_hosts];

	memset(h, 0, sizeof(*h));
	h->name = strdup(name);
	if (h->name == NULL)
		return false;
	h->preference = pref;
	res->n_hosts++;
	return true;
}

static bool
hosts_from_mx(probe_domain *res, dns_answer *mx)
{
	size_t n = mx->count < MAX_HOSTS ? mx->count : MAX_HOSTS;

	if (mx->count > MAX_HOSTS)
		log_warn("%s: %zu MX records, probing the first %d",
		    res->domain, mx->count, MAX_HOSTS);
	qsort(mx->mx, mx->count, sizeof(mx->mx[0]), cmp_mx);
	res->hosts = calloc(n ? n : 1, sizeof(*res->hosts));
	if (res->hosts == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *name = mx->mx[i].exchange;

		/* A null MX among real ones is a zone error; skip it. */
		if (name[0] == '\0' || host_known(res, name))
			continue;
		if (!add_host(res, name, mx->mx[i].preference))
			return false;
	}
	return true;
}

static void
start_hosts(domain_probe *dp)
{
	probe_domain *res = dp->res;

	dp->n_hosts = res->n_hosts;
	dp->hosts = calloc(res->n_hosts ? res->n_hosts : 1, sizeof(*dp->hosts));
	if (dp->hosts == NULL) {
		domain_fail(dp, SEVERITY_UNKNOWN, "out of memory");
		return;
	}
	dp->allocating++;
	for (size_t i = 0; i < res->n_hosts; i++)
		host_job_subscribe(dp, i);
	dp->allocating--;
	domain_probe_allocate(dp);
}

static void
on_mx(domain_probe *dp, dns_answer *mx)
{
	probe_domain *res = dp->res;
	dane_mx_verdict v;

	res->mx = mx;
	dane_verdict_mx(mx, &v);
	switch (v.kind) {
	case DANE_MX_KIND_NULL:
		res->mx_status = v.status;
		res->kind = DOMAIN_NULL_MX;
		domain_finish(dp);
		return;
	case DANE_MX_KIND_HOSTS:
		res->mx_status = v.status;
		res->kind = DOMAIN_MX;
		if (!hosts_from_mx(res, mx)) {
			domain_fail(dp, SEVERITY_UNKNOWN, "out of memory");
			return;
		}
		break;
	case DANE_MX_KIND_IMPLICIT:
		res->mx_status = v.status;
		res->kind = DOMAIN_IMPLICIT_MX;
		res->hosts = calloc(1, sizeof(*res->hosts));
		if (res->hosts == NULL || !add_host(res, res->domain, 0)) {
			domain_fail(dp, SEVERITY_UNKNOWN, "out of memory");
			return;
		}
		break;
	case DANE_MX_KIND_FAILED:
	default:
		domain_fail(dp, v.severity, "%s", v.reason);
		return;
	}
	start_hosts(dp);
}

static void
on_dns(dns_answer *answer, void *arg)
{
	lookup_ctx lc = *(lookup_ctx *)arg;

	free(arg);
	if (answer->status == DNS_STATUS_CANCELLED) {
		/* The resolver is being torn down, and so is the engine. */
		dns_answer_free(answer);
		return;
	}
	log_debug("dns %s %s: %s/%s %zu record(s)", answer->qname,
	    dns_type_name(answer->qtype), dns_status_name(answer->status),
	    dns_security_name(answer->security), answer->count);
	if (lc.kind != LOOKUP_MX) {
		host_job_on_dns(lc.job, lc.kind, answer);
		return;
	}
	lc.dp->dns_pending--;
	if (lc.dp->finished) {
		dns_answer_free(answer);
		domain_probe_release(lc.dp);
		return;
	}
	on_mx(lc.dp, answer);
}

/* ---- completion and deadline ------------------------------------------ */

void
domain_probe_maybe_done(domain_probe *dp)
{
	if (dp->finished || dp->allocating ||
	    dp->res->kind == DOMAIN_LOOKUP_FAILED)
		return;
	if (dp->hosts == NULL)
		return; /* MX lookup still running */
	for (size_t i = 0; i < dp->n_hosts; i++)
		if (!dp->hosts[i].done)
			return;
	domain_finish(dp);
}

static void
allot_rest(domain_probe *dp)
{
	unsigned cap = dp->eng->cfg.max_addresses;
	size_t left = cap ? cap : SIZE_MAX;

	for (size_t i = 0; i < dp->n_hosts; i++) {
		domain_host *dh = &dp->hosts[i];

		if (!dh->allotted && dh->job != NULL && dh->job->decided) {
			dh->allot =
			    dh->job->n_first < left ? dh->job->n_first : left;
			dh->allotted = true;
		}
		if (dh->allotted)
			left -= dh->allot < left ? dh->allot : left;
	}
}

/* The domain stops waiting for a host job: take what it has so far. */
static void
timeout_host(domain_probe *dp, size_t index)
{
	host_job *job = dp->hosts[index].job;
	probe_host *h;
	double t = dp->timeout;

	if (dp->hosts[index].done || job == NULL)
		return;
	host_job_unsubscribe(dp, index);
	host_job_deliver_copy(dp, index, job);
	/* Sessions queued for this domain alone are not needed any more. */
	host_job_trim(job);
	h = &dp->res->hosts[index];
	if (!job->decided) {
		dane_verdict_host_timeout(&h->policy, h->name, t);
		return;
	}
	for (size_t i = 0; i < h->n_addrs; i++) {
		probe_address *pa = &h->addrs[i];
		dane_verdict v;

		if (pa->complete)
			continue;
		dane_verdict_overall_timeout(&v, t);
		pa->state = v.state;
		pa->severity = v.severity;
		pa->complete = true;
		snprintf(pa->reason, sizeof(pa->reason), "%s", v.reason);
	}
}

static void
on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	domain_probe *dp = w->data;
	dane_mx_verdict v;

	(void)loop;
	(void)revents;
	dp->res->timed_out = true;
	if (dp->hosts == NULL) {
		dane_verdict_mx_timeout(&v, dp->timeout);
		domain_fail(dp, v.severity, "%s", v.reason);
		return;
	}
	/* Hosts still waiting for a budget get their share now: their
	 * addresses were never probed and time out, not "beyond the cap". */
	dp->allocating++;
	allot_rest(dp);
	for (size_t i = 0; i < dp->n_hosts; i++)
		timeout_host(dp, i);
	dp->allocating--;
	domain_finish(dp);
}

/* ---- public API ------------------------------------------------------- */

int
probe_engine_new(struct ev_loop *loop, const probe_config *cfg,
    const dns_resolver_config *dns, probe_engine **out, char *err,
    size_t errlen)
{
	probe_engine *e = calloc(1, sizeof(*e));

	*out = NULL;
	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	e->loop = loop;
	e->cfg = *cfg;
	e->helo_name = strdup(cfg->helo_name ? cfg->helo_name : "localhost");
	e->limiter = cfg->limiter != NULL ?
	    cfg->limiter :
	    conn_limiter_new(cfg->per_host, cfg->max_sessions);
	e->jobs_by_name = strmap_new();
	if (e->helo_name == NULL || e->limiter == NULL ||
	    e->jobs_by_name == NULL) {
		snprintf(err, errlen, "out of memory");
		probe_engine_free(e);
		return -1;
	}
	if (dns_resolver_new(loop, dns, &e->dns, err, errlen) != 0) {
		probe_engine_free(e);
		return -1;
	}
	e->ssl_ctx = dane_tls_ctx_new(err, errlen);
	if (e->ssl_ctx == NULL) {
		probe_engine_free(e);
		return -1;
	}
	*out = e;
	return 0;
}

void
probe_engine_free(probe_engine *e)
{
	if (e == NULL)
		return;
	for (domain_probe *dp = e->probes; dp != NULL; dp = dp->next)
		ev_timer_stop(e->loop, &dp->deadline);
	/* Sessions first (their callbacks must not run any more), then the
	 * resolver, whose cancelled callbacks only free their answers. */
	for (host_job *j = e->jobs; j != NULL; j = j->next_all)
		for (size_t i = 0; j->addrs && i < j->res.n_addrs; i++)
			if (j->addrs[i].session != NULL) {
				smtp_session_abort(j->addrs[i].session);
				j->addrs[i].session = NULL;
			}
	dns_resolver_free(e->dns);
	while (e->probes != NULL)
		domain_probe_free(e->probes);
	while (e->jobs != NULL) {
		host_job *next = e->jobs->next_all;

		host_job_free(e, e->jobs);
		e->jobs = next;
	}
	if (e->limiter != e->cfg.limiter)
		conn_limiter_free(e->limiter);
	strmap_free(e->jobs_by_name);
	dane_tls_ctx_free(e->ssl_ctx);
	free(e->helo_name);
	free(e);
}

size_t
probe_engine_sweep(probe_engine *e)
{
	size_t n = 0;

	if (!e->cfg.fresh_hosts)
		return 0;
	for (host_job **p = &e->jobs; *p != NULL;) {
		host_job *job = *p;

		if (!host_job_idle(job)) {
			p = &job->next_all;
			continue;
		}
		*p = job->next_all;
		if (strmap_get(e->jobs_by_name, job->res.name) == job)
			strmap_del(e->jobs_by_name, job->res.name);
		host_job_free(e, job);
		n++;
	}
	return n;
}

size_t
probe_engine_running(const probe_engine *e)
{
	return e->running;
}

void
probe_engine_get_stats(const probe_engine *e, probe_engine_stats *out)
{
	*out = e->stats;
}

unsigned
probe_engine_peak_per_address(const probe_engine *e, const char *addr_port)
{
	return conn_limiter_peak(e->limiter, addr_port);
}

/* A new probe of `name`, linked into the engine; NULL when out of memory. */
static domain_probe *
domain_probe_new(
    probe_engine *e, const char *name, probe_done_cb done, void *arg)
{
	domain_probe *dp = calloc(1, sizeof(*dp));
	probe_domain *res = calloc(1, sizeof(*res));

	if (dp == NULL || res == NULL || (res->domain = strdup(name)) == NULL) {
		free(dp);
		probe_domain_free(res);
		return NULL;
	}
	res->started = time(NULL);
	res->no_rollover_warning = e->cfg.no_rollover_warning;
	dp->eng = e;
	dp->res = res;
	dp->done = done;
	dp->arg = arg;
	dp->t0 = ev_now(e->loop);
	dp->next = e->probes;
	if (e->probes)
		e->probes->prev = dp;
	e->probes = dp;
	return dp;
}

/* The domain's time limit is `seconds`; the deadline fires `grace` later
 * so that sessions report their own timeout first. */
static void
deadline_start(domain_probe *dp, double seconds, double grace)
{
	probe_engine *e = dp->eng;

	e->running++;
	dp->timeout = seconds;
	ev_timer_init(&dp->deadline, on_deadline, seconds + grace, 0.0);
	dp->deadline.data = dp;
	ev_timer_start(e->loop, &dp->deadline);
}

static int
start_domain(probe_engine *e, const char *domain, double seconds, double grace,
    probe_done_cb done, void *arg, char *err, size_t errlen)
{
	domain_probe *dp = domain_probe_new(e, domain, done, arg);
	lookup_ctx tmpl = { .kind = LOOKUP_MX };

	if (dp == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	tmpl.dp = dp;
	if (!probe_start_lookup(e, &tmpl, domain, DNS_TYPE_MX)) {
		snprintf(
		    err, errlen, "cannot start the MX lookup for %s", domain);
		domain_probe_free(dp);
		return -1;
	}
	deadline_start(dp, seconds, grace);
	return 0;
}

int
probe_engine_start(probe_engine *e, const char *domain, probe_done_cb done,
    void *arg, char *err, size_t errlen)
{
	return start_domain(
	    e, domain, e->cfg.timeout, DEADLINE_GRACE, done, arg, err, errlen);
}

int
probe_engine_start_within(probe_engine *e, const char *domain, double seconds,
    probe_done_cb done, void *arg, char *err, size_t errlen)
{
	/* The result is due by then: the grace comes out of it. */
	double grace =
	    seconds > 2 * DEADLINE_GRACE ? DEADLINE_GRACE : seconds / 2;

	return start_domain(
	    e, domain, seconds - grace, grace, done, arg, err, errlen);
}

int
probe_engine_start_host(probe_engine *e, const char *host, probe_done_cb done,
    void *arg, char *err, size_t errlen)
{
	domain_probe *dp = domain_probe_new(e, host, done, arg);
	probe_domain *res = dp ? dp->res : NULL;

	if (dp == NULL ||
	    (res->hosts = calloc(1, sizeof(*res->hosts))) == NULL ||
	    !add_host(res, host, 0)) {
		if (dp != NULL)
			domain_probe_free(dp);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	res->kind = DOMAIN_MX;
	res->mx_status = DANE_MX_SECURE;
	deadline_start(dp, e->cfg.timeout, DEADLINE_GRACE);
	/* May finish (and free dp) before it returns. */
	start_hosts(dp);
	return 0;
}
