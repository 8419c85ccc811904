/*
 * probe_engine.c -- domain probes and shared host jobs as explicit state
 * machines on one libev loop.
 *
 *   domain: MX lookup -> subscribe to one host job per MX host
 *           -> every host result copied in -> verdict roll-up -> done
 *   host job: A + AAAA -> TLSA (expanded name, then original) -> policy
 *           -> per address (through the connection limiter): SMTP/TLS
 *           -> verdicts -> copies handed to every subscribed domain
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
 * was allotted (job_want); a domain gets its host's result once its own
 * prefix is complete, with the addresses beyond its allotment reported as
 * not probed.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "probe/conn_limiter.h"
#include "tls/dane_tls.h"
#include "policy/dane_verdict.h"
#include "util/ev_compat.h"
#include "util/log.h"
#include "probe/probe_engine.h"
#include "probe/probe_rollup.h"
#include "smtp/smtp_route.h"
#include "smtp/smtp_session.h"
#include "util/strmap.h"

#define MAX_HOSTS 128      /* more MX hosts than this is a broken zone */
#define MAX_ADDRS_PER_FAMILY 16
/* Two address families, and each address probed once per key algorithm. */
#define MAX_PROBES_PER_HOST (2 * 2 * MAX_ADDRS_PER_FAMILY)
#define DEADLINE_GRACE 0.5 /* let sessions report their own timeout first */

typedef struct domain_probe domain_probe;
typedef struct host_job host_job;

#define NO_TWIN SIZE_MAX

typedef struct addr_probe {
	host_job *job;
	size_t index;
	size_t twin;             /* first pass: its second pass, or NO_TWIN */
	size_t first;            /* second pass: its first pass */
	smtp_session *session;   /* NULL when not running */
	conn_waiter waiter;      /* connection slot, queued or held */
	bool holds_slot;
	bool queued;
	const char *family;      /* second pass: "ECDSA"/"RSA"; NULL first */
	dane_tls_params tls;     /* pointers into the job's result */
	const char *refs[2];
} addr_probe;

typedef struct host_sub {
	domain_probe *dp;
	size_t index;
	struct host_sub *next;
} host_sub;

struct host_job {
	probe_engine *eng;
	probe_host res;          /* the master result */
	unsigned addr_lookups;   /* A/AAAA lookups outstanding */
	size_t tlsa_step;        /* TLSA name being looked up */
	bool decided;            /* policy known, addresses collected */
	/* Walks in progress that must see no delivery yet.  A count, not a
	 * flag: job_decide()'s walk reaches job_want() of the same job, and
	 * an address with no route completes at once, so an inner walk
	 * ending must not let job_maybe_done() free the list the outer one
	 * is walking. */
	unsigned notifying;
	size_t n_first;          /* first-pass addresses (res.addrs[0..n)) */
	size_t want;             /* first-pass prefix queued for a domain */
	addr_probe *addrs;
	host_sub *subs;
	host_job *next_all;
};

typedef struct domain_host {
	host_job *job;
	bool done;
	bool allotted;           /* allot is fixed */
	size_t allot;            /* first-pass addresses this domain probes */
} domain_host;

struct domain_probe {
	probe_engine *eng;
	probe_domain *res;
	probe_done_cb done;
	void *arg;
	ev_timer deadline;
	double t0;
	unsigned dns_pending;
	bool finished;           /* result handed over */
	unsigned allocating;     /* giving out the budget: do not finish */
	domain_host *hosts;
	size_t n_hosts;          /* res may be gone when dp is freed */
	domain_probe *prev, *next;
};

struct probe_engine {
	struct ev_loop *loop;
	probe_config cfg;
	char *helo_name;
	dns_resolver *dns;
	SSL_CTX *ssl_ctx;
	conn_limiter *limiter;
	strmap *jobs_by_name;
	host_job *jobs;          /* every job, for freeing */
	size_t running;
	domain_probe *probes;    /* probes not yet freed */
	probe_engine_stats stats;
};

enum lookup_kind { LOOKUP_MX, LOOKUP_A, LOOKUP_AAAA, LOOKUP_TLSA };

typedef struct lookup_ctx {
	domain_probe *dp;        /* LOOKUP_MX */
	host_job *job;           /* the others */
	enum lookup_kind kind;
} lookup_ctx;

static void job_start_tlsa(host_job *job);
static void job_decide(host_job *job);
static void job_maybe_done(host_job *job);
static void domain_maybe_done(domain_probe *dp);
static void domain_allocate(domain_probe *dp);

/* ---- domain lifetime --------------------------------------------------- */

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

static void
unsubscribe(domain_probe *dp, size_t index)
{
	host_job *job = dp->hosts[index].job;

	if (job == NULL)
		return;
	for (host_sub **p = &job->subs; *p != NULL; p = &(*p)->next) {
		if ((*p)->dp == dp && (*p)->index == index) {
			host_sub *s = *p;

			*p = s->next;
			free(s);
			return;
		}
	}
}

/* A lookup of the domain that the prober's own DNS outage cut off. */
static const dns_answer *
local_failure_of(const probe_domain *res)
{
	if (res->mx != NULL && res->mx->local_failure)
		return res->mx;
	for (size_t i = 0; i < res->n_hosts; i++) {
		const probe_host *h = &res->hosts[i];
		const dns_answer *as[] = { h->a, h->aaaa, h->tlsa[0], h->tlsa[1] };

		for (size_t k = 0; k < sizeof(as) / sizeof(as[0]); k++)
			if (as[k] != NULL && as[k]->local_failure)
				return as[k];
	}
	return NULL;
}

/* Not the domain's verdict but the prober's outage (probe_result.h). */
static void
mark_probe_error(probe_domain *res)
{
	const dns_answer *a = local_failure_of(res);

	if (a == NULL)
		return;
	res->probe_error = true;
	res->severity = SEVERITY_UNKNOWN;
	snprintf(res->summary, sizeof(res->summary), "%s: not checked, DNS "
	    "unreachable from here (%s %s): %s", res->domain, a->qname,
	    dns_type_name(a->qtype), a->reason);
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
			unsubscribe(dp, i);
	res->ms_total = (ev_now(e->loop) - dp->t0) * 1000.0;
	probe_domain_finish(res);
	mark_probe_error(res);
	dp->res = NULL;
	e->running--;
	dp->done(res, dp->arg);
	domain_probe_release(dp);
}

static void domain_fail(domain_probe *dp, probe_severity sev,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
domain_fail(domain_probe *dp, probe_severity sev, const char *fmt, ...)
{
	va_list ap;
	int n;

	dp->res->kind = DOMAIN_LOOKUP_FAILED;
	dp->res->severity = sev;
	n = snprintf(dp->res->summary, sizeof(dp->res->summary), "%s: ",
	    dp->res->domain);
	va_start(ap, fmt);
	vsnprintf(dp->res->summary + n, sizeof(dp->res->summary) - (size_t)n,
	    fmt, ap);
	va_end(ap);
	domain_finish(dp);
}

/* ---- DNS plumbing ------------------------------------------------------- */

static void on_dns(dns_answer *answer, void *arg);

static bool
start_lookup(probe_engine *e, lookup_ctx *tmpl, const char *name,
    uint16_t qtype)
{
	char err[200];
	lookup_ctx *lc = malloc(sizeof(*lc));

	if (lc == NULL)
		return false;
	*lc = *tmpl;
	if (dns_lookup(e->dns, name, qtype, on_dns, lc, err, sizeof(err)) != 0) {
		log_warn("lookup %s/%s: %s", name, dns_type_name(qtype), err);
		free(lc);
		return false;
	}
	if (lc->dp != NULL)
		lc->dp->dns_pending++;
	return true;
}

/* A lookup that could not even start is recorded as a local error. */
static dns_answer *
error_answer(const char *name, uint16_t qtype, const char *why)
{
	dns_answer *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->qname = strdup(name);
	a->canonical_name = strdup(name);
	a->qtype = qtype;
	a->status = DNS_STATUS_ERROR;
	a->security = DNS_SECURITY_INDETERMINATE;
	snprintf(a->reason, sizeof(a->reason), "%s", why);
	return a;
}

/* ---- host jobs: addresses and TLSA ------------------------------------ */

static bool
job_lookup(host_job *job, const char *name, uint16_t qtype,
    enum lookup_kind kind)
{
	lookup_ctx tmpl = { .job = job, .kind = kind };

	return start_lookup(job->eng, &tmpl, name, qtype);
}

static host_job *
job_new(probe_engine *e, const char *name)
{
	host_job *job = calloc(1, sizeof(*job));

	if (job == NULL)
		return NULL;
	job->eng = e;
	job->res.name = strdup(name);
	if (job->res.name == NULL ||
	    strmap_put(e->jobs_by_name, name, job) != 0) {
		free(job->res.name);
		free(job);
		return NULL;
	}
	job->next_all = e->jobs;
	e->jobs = job;
	e->stats.host_jobs++;
	return job;
}

static void
job_start(host_job *job)
{
	const probe_config *cfg = &job->eng->cfg;
	const char *name = job->res.name;

	/* Count both first: an immediate failure must not end the step. */
	job->addr_lookups = (cfg->use_ipv4 ? 1 : 0) + (cfg->use_ipv6 ? 1 : 0);
	if (cfg->use_ipv4 && !job_lookup(job, name, DNS_TYPE_A, LOOKUP_A)) {
		job->res.a = error_answer(name, DNS_TYPE_A,
		    "lookup could not be started");
		job->addr_lookups--;
	}
	if (cfg->use_ipv6 && !job_lookup(job, name, DNS_TYPE_AAAA,
	    LOOKUP_AAAA)) {
		job->res.aaaa = error_answer(name, DNS_TYPE_AAAA,
		    "lookup could not be started");
		job->addr_lookups--;
	}
	if (job->addr_lookups == 0)
		job_start_tlsa(job);
}

static void
job_start_tlsa(host_job *job)
{
	probe_host *h = &job->res;
	char qname[300];

	/* The MX status does not change the plan (RFC 7672 2.2.1). */
	dane_policy_tlsa_plan(DANE_MX_SECURE, h->name, h->a, h->aaaa, &h->plan);
	/* The plan borrows names from the answers; keep our own copies. */
	for (size_t i = 0; i < h->plan.n; i++) {
		h->tlsa_names[i] = strdup(h->plan.names[i]);
		if (h->tlsa_names[i] == NULL) {
			h->plan.n = 0;
			h->plan.early_level = DANE_LEVEL_FAIL;
			snprintf(h->plan.reason, sizeof(h->plan.reason),
			    "out of memory");
			break;
		}
		h->plan.names[i] = h->tlsa_names[i];
	}
	job->tlsa_step = 0;
	if (h->plan.n == 0) {
		job_decide(job);
		return;
	}
	snprintf(qname, sizeof(qname), "_%d._tcp.%s", job->eng->cfg.port,
	    h->plan.names[0]);
	if (!job_lookup(job, qname, DNS_TYPE_TLSA, LOOKUP_TLSA)) {
		h->tlsa[0] = error_answer(qname, DNS_TYPE_TLSA,
		    "lookup could not be started");
		job_decide(job);
	}
}

static void
job_on_tlsa(host_job *job, dns_answer *t)
{
	probe_host *h = &job->res;
	char qname[300];
	size_t step = job->tlsa_step;

	h->tlsa[step] = t;
	if (step + 1 < h->plan.n && dane_policy_need_next(t)) {
		job->tlsa_step++;
		snprintf(qname, sizeof(qname), "_%d._tcp.%s",
		    job->eng->cfg.port, h->plan.names[step + 1]);
		if (job_lookup(job, qname, DNS_TYPE_TLSA, LOOKUP_TLSA))
			return;
		h->tlsa[step + 1] = error_answer(qname, DNS_TYPE_TLSA,
		    "lookup could not be started");
	}
	job_decide(job);
}

static void
job_on_dns(host_job *job, enum lookup_kind kind, dns_answer *answer)
{
	if (kind == LOOKUP_TLSA) {
		job_on_tlsa(job, answer);
		return;
	}
	if (kind == LOOKUP_A)
		job->res.a = answer;
	else
		job->res.aaaa = answer;
	if (--job->addr_lookups == 0)
		job_start_tlsa(job);
}

/* ---- addresses: SMTP sessions ----------------------------------------- */

static void on_session_done(const smtp_session_result *r, void *arg);
static void judge_address(const probe_engine *e, const probe_host *h,
    probe_address *pa, bool no_route);

static void
collect_addrs(const dns_answer *ans, probe_host *h)
{
	if (ans == NULL || ans->status != DNS_STATUS_OK)
		return;
	for (size_t i = 0; i < ans->count && i < MAX_ADDRS_PER_FAMILY; i++) {
		memset(&h->addrs[h->n_addrs], 0, sizeof(h->addrs[0]));
		h->addrs[h->n_addrs].addr = ans->addrs[i];
		h->n_addrs++;
	}
}

/* --connect: that address literal instead of the host's addresses. */
static void
collect_connect(const char *literal, probe_host *h)
{
	dns_addr *a = &h->addrs[0].addr;

	memset(&h->addrs[0], 0, sizeof(h->addrs[0]));
	if (inet_pton(AF_INET, literal, &a->u.v4) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, literal, &a->u.v6) == 1)
		a->family = AF_INET6;
	else
		return;
	snprintf(a->text, sizeof(a->text), "%s", literal);
	h->n_addrs = 1;
}

/* TLS parameters per RFC 7672 3.2.2: SNI is the TLSA base domain; the
 * reference identifiers are the base domain and the original MX name. */
static void
tls_params_for(const probe_host *h, addr_probe *ap)
{
	const dane_host_policy *pol = &h->policy;
	const dns_answer *t = NULL;

	memset(&ap->tls, 0, sizeof(ap->tls));
	ap->tls.sni = pol->base_domain[0] ? pol->base_domain : h->name;
	ap->tls.key_family = ap->family;
	if (pol->level != DANE_LEVEL_REQUIRED)
		return;
	t = h->tlsa[pol->tlsa_answer_index];
	ap->refs[0] = pol->base_domain;
	ap->tls.n_ref_names = 1;
	if (strcasecmp(pol->base_domain, h->name) != 0)
		ap->refs[ap->tls.n_ref_names++] = h->name;
	ap->tls.ref_names = ap->refs;
	ap->tls.dane = true;
	ap->tls.tlsa = t->tlsa;
	ap->tls.n_tlsa = t->count;
}

static void
addr_finished(host_job *job, addr_probe *ap)
{
	probe_engine *e = job->eng;

	if (ap->holds_slot) {
		ap->holds_slot = false;
		conn_limiter_release(e->limiter, &ap->waiter);
	}
	job_maybe_done(job);
}

static void
addr_not_started(host_job *job, addr_probe *ap, const char *why)
{
	probe_address *pa = &job->res.addrs[ap->index];
	dane_verdict v;

	dane_verdict_not_started(&v, why);
	pa->state = v.state;
	pa->severity = v.severity;
	pa->complete = true;
	snprintf(pa->reason, sizeof(pa->reason), "%s", v.reason);
	addr_finished(job, ap);
}

/* Runs when the limiter grants a connection slot (maybe much later). */
static void
start_session(void *arg)
{
	addr_probe *ap = arg;
	host_job *job = ap->job;
	probe_engine *e = job->eng;
	probe_host *h = &job->res;
	probe_address *pa = &h->addrs[ap->index];
	struct sockaddr_storage ss;
	smtp_session_params sp;
	char err[256], id[320];

	ap->queued = false;
	ap->holds_slot = true;
	tls_params_for(h, ap);
	memset(&sp, 0, sizeof(sp));
	sp.ssl = dane_tls_ssl_new(e->ssl_ctx, &ap->tls, err, sizeof(err));
	if (sp.ssl == NULL) {
		addr_not_started(job, ap, err);
		return;
	}
	snprintf(id, sizeof(id), "%s[%s]", h->name, pa->addr.text);
	sp.addrlen = smtp_sockaddr(&pa->addr, e->cfg.port, &ss);
	sp.addr = (const struct sockaddr *)&ss;
	sp.helo_name = e->helo_name;
	sp.phase_timeout = e->cfg.phase_timeout;
	sp.deadline = ev_now(e->loop) + e->cfg.timeout;
	sp.log_id = id;
	sp.done = on_session_done;
	sp.arg = ap;
	if (smtp_session_start(e->loop, &sp, &ap->session, err,
	    sizeof(err)) != 0) {
		ap->session = NULL;
		addr_not_started(job, ap, err);
		return;
	}
	e->stats.sessions++;
	if (conn_limiter_active(e->limiter) > e->stats.peak_sessions)
		e->stats.peak_sessions = conn_limiter_active(e->limiter);
}

static void
queue_session(host_job *job, size_t i)
{
	probe_engine *e = job->eng;
	addr_probe *ap = &job->addrs[i];
	probe_address *pa = &job->res.addrs[i];
	char key[80];

	ap->job = job;
	ap->index = i;
	pa->port = e->cfg.port;
	/* No slot and no session for an address this host cannot reach. */
	if (smtp_no_route(&pa->addr, e->cfg.port)) {
		pa->ms_connect = pa->ms_banner = pa->ms_ehlo = -1;
		pa->ms_starttls = pa->ms_tls = pa->ms_total = -1;
		judge_address(e, &job->res, pa, true);
		addr_finished(job, ap);
		return;
	}
	/* --survey: where DANE does not apply the verdict comes from DNS
	 * alone.  (Encrypt-only hosts are probed: TLS is mandatory there.) */
	if (e->cfg.survey && job->res.policy.level == DANE_LEVEL_NONE) {
		pa->ms_connect = pa->ms_banner = pa->ms_ehlo = -1;
		pa->ms_starttls = pa->ms_tls = pa->ms_total = -1;
		judge_address(e, &job->res, pa, false);
		addr_finished(job, ap);
		return;
	}
	ap->queued = true;
	snprintf(key, sizeof(key), "[%s]:%d", pa->addr.text, e->cfg.port);
	if (conn_limiter_acquire(e->limiter, key, &ap->waiter, start_session,
	    ap) != 0) {
		ap->queued = false;
		addr_not_started(job, ap, "out of memory");
	}
}

/* The addresses to probe, none queued yet: domains ask (job_want). */
static void
job_collect(host_job *job)
{
	probe_host *h = &job->res;
	size_t cap = MAX_PROBES_PER_HOST;

	h->addrs = calloc(cap, sizeof(*h->addrs));
	job->addrs = calloc(cap, sizeof(*job->addrs));
	if (h->addrs == NULL || job->addrs == NULL) {
		h->policy.level = DANE_LEVEL_FAIL;
		snprintf(h->policy.reason, sizeof(h->policy.reason),
		    "out of memory");
		return;
	}
	if (job->eng->cfg.connect != NULL)
		collect_connect(job->eng->cfg.connect, h);
	else {
		collect_addrs(h->a, h);
		collect_addrs(h->aaaa, h);
	}
	job->n_first = h->n_addrs;
	for (size_t i = 0; i < h->n_addrs; i++)
		h->addrs[i].port = job->eng->cfg.port; /* probed or not */
	for (size_t i = 0; i < cap; i++) {
		job->addrs[i].job = job;
		job->addrs[i].index = i;
		job->addrs[i].twin = NO_TWIN;
		job->addrs[i].first = i;
	}
}

/* A first-pass address neither queued, running nor finished. */
static bool
addr_idle(const host_job *job, size_t i)
{
	const addr_probe *ap = &job->addrs[i];

	return !ap->queued && ap->session == NULL && !ap->holds_slot &&
	    !job->res.addrs[i].complete;
}

/* Some domain needs the first k addresses: queue those not yet queued. */
static void
job_want(host_job *job, size_t k)
{
	if (k > job->n_first)
		k = job->n_first;
	if (k <= job->want) {
		job_maybe_done(job);
		return;
	}
	/* Hold deliveries until the whole prefix is queued: a session that
	 * fails at once must not look like the last one. */
	job->notifying++;
	for (size_t i = job->want; i < k; i++)
		if (addr_idle(job, i))
			queue_session(job, i);
	job->want = k;
	job->notifying--;
	job_maybe_done(job);
}

/* Whether a host of this policy gets SMTP sessions (probe_sessions). */
static bool
wants_sessions(const probe_config *cfg, dane_level level)
{
	switch (cfg->sessions) {
	case PROBE_SESSIONS_NONE:
		return false;
	case PROBE_SESSIONS_IF_TLSA:
		return level == DANE_LEVEL_REQUIRED ||
		    level == DANE_LEVEL_ENCRYPT_ONLY;
	default:
		return level != DANE_LEVEL_FAIL;
	}
}

static void
job_decide(host_job *job)
{
	probe_host *h = &job->res;
	const dns_answer *t[2] = { h->tlsa[0], h->tlsa[1] };

	dane_policy_decide(&h->plan, t, &h->policy);
	log_debug("host %s: policy %s: %s", h->name,
	    dane_level_name(h->policy.level), h->policy.reason);
	if (wants_sessions(&job->eng->cfg, h->policy.level))
		job_collect(job);
	job->decided = true;
	/* Each subscriber now knows this host's address count and may give
	 * out its budget; nothing is delivered while we walk the list. */
	job->notifying++;
	for (host_sub *s = job->subs; s != NULL; s = s->next)
		domain_allocate(s->dp);
	job->notifying--;
	job_maybe_done(job);
}

static void
record_session(probe_address *pa, const smtp_session_result *r)
{
	pa->smtp_attempted = true;
	pa->smtp_outcome = r->outcome;
	pa->smtp_state = r->state;
	snprintf(pa->smtp_reason, sizeof(pa->smtp_reason), "%s", r->reason);
	snprintf(pa->banner, sizeof(pa->banner), "%s", r->banner);
	pa->starttls_offered = r->starttls_offered;
	pa->tls_established = r->tls_established;
	pa->discarded_after_starttls = r->discarded_after_starttls;
	pa->ms_connect = r->ms_connect;
	pa->ms_banner = r->ms_banner;
	pa->ms_ehlo = r->ms_ehlo;
	pa->ms_starttls = r->ms_starttls;
	pa->ms_tls = r->ms_tls;
	pa->ms_total = r->ms_total;
}

static void
judge_address(const probe_engine *e, const probe_host *h, probe_address *pa,
    bool no_route)
{
	dane_verdict_input in = {
		.level = h->policy.level,
		.outcome = pa->smtp_outcome,
		.state = pa->smtp_state,
		.smtp_reason = pa->smtp_reason,
		.tls_established = pa->tls_established,
		.tls = pa->tls_established ? &pa->tls : NULL,
		.require_dane = e->cfg.require_dane,
		.no_route = no_route,
		.family = pa->addr.family,
		.family_forced = !(e->cfg.use_ipv4 && e->cfg.use_ipv6),
		.survey = e->cfg.survey,
	};
	dane_verdict v;

	dane_verdict_address(&in, &v);
	if (pa->tls_established && pa->tls.leaf.present) {
		int depth;
		long days = dane_verdict_first_expiry(&pa->tls, time(NULL),
		    &depth);

		pa->leaf_days_left = cert_facts_days_left(&pa->tls.leaf,
		    time(NULL));
		dane_verdict_apply_expiry(&v, &pa->tls, days, depth,
		    &e->cfg.expiry);
	}
	dane_verdict_note_tls_version(&v, pa->tls_established,
	    pa->tls.tls_version);
	pa->state = v.state;
	pa->severity = v.severity;
	pa->skipped = v.skipped;
	pa->complete = true;
	snprintf(pa->reason, sizeof(pa->reason), "%s", v.reason);
}

/* The key algorithm a leaf's key belongs to, and the other one. */
static const char *
other_family(const cert_facts *leaf, const char **mine)
{
	if (strncmp(leaf->key_type, "RSA", 3) == 0) {
		*mine = "RSA";
		return "ECDSA";
	}
	if (strncmp(leaf->key_type, "EC", 2) == 0) {
		*mine = "ECDSA";
		return "RSA";
	}
	return NULL;
}

/*
 * A server may hold an ECDSA and an RSA certificate and pick by the
 * client's signature algorithms: after a first handshake, probe the same
 * address once more restricted to the other algorithm, so both keys are
 * judged (a TLSA RRset that matches only one of them fails half the
 * senders).  A server with one key fails that handshake or repeats its
 * key; the second probe is then dropped.
 */
static void
maybe_probe_other_key(host_job *job, addr_probe *ap)
{
	probe_host *h = &job->res;
	probe_address *pa = &h->addrs[ap->index];
	const char *mine = NULL, *other;
	size_t i = h->n_addrs;

	/* (not for an address no live domain wants any more, nor in a
	 * survey: one session per address) */
	if (job->eng->cfg.survey || ap->family != NULL || !pa->tls_established ||
	    !pa->tls.leaf.present || i >= MAX_PROBES_PER_HOST ||
	    ap->index >= job->want)
		return;
	if ((other = other_family(&pa->tls.leaf, &mine)) == NULL)
		return;
	snprintf(pa->key_family, sizeof(pa->key_family), "%s", mine);
	memset(&h->addrs[i], 0, sizeof(h->addrs[i]));
	h->addrs[i].addr = pa->addr;
	snprintf(h->addrs[i].key_family, sizeof(h->addrs[i].key_family), "%s",
	    other);
	h->n_addrs++;
	job->addrs[i].family = other;
	job->addrs[i].first = ap->index;
	ap->twin = i;
	queue_session(job, i);
}

/* A second-pass probe that saw no second key is not a result. */
static void
judge_second_pass(const probe_host *h, const addr_probe *ap,
    probe_address *pa)
{
	const probe_address *first = NULL;

	if (ap->family == NULL)
		return;
	for (size_t i = 0; i < h->n_addrs; i++)
		if (&h->addrs[i] != pa && h->addrs[i].tls_established &&
		    memcmp(&h->addrs[i].addr, &pa->addr, sizeof(pa->addr)) == 0)
			first = &h->addrs[i];
	if (!pa->tls_established || first == NULL ||
	    strcmp(first->tls.leaf.spki_sha256, pa->tls.leaf.spki_sha256) == 0)
		pa->dropped = true;
}

static void
compact_addrs(probe_host *h)
{
	size_t n = 0;

	for (size_t i = 0; i < h->n_addrs; i++) {
		if (h->addrs[i].dropped)
			continue;
		if (n != i)
			h->addrs[n] = h->addrs[i];
		n++;
	}
	h->n_addrs = n;
	/* A lone survivor of a pair needs no algorithm label. */
	for (size_t i = 0; i < n; i++) {
		bool twin = false;

		for (size_t j = 0; j < n; j++)
			if (j != i && memcmp(&h->addrs[j].addr, &h->addrs[i].addr,
			    sizeof(h->addrs[i].addr)) == 0)
				twin = true;
		if (!twin)
			h->addrs[i].key_family[0] = '\0';
	}
}

static void
on_session_done(const smtp_session_result *r, void *arg)
{
	addr_probe *ap = arg;
	host_job *job = ap->job;
	probe_host *h = &job->res;
	probe_address *pa = &h->addrs[ap->index];

	ap->session = NULL; /* frees itself after we return */
	record_session(pa, r);
	if (r->ssl != NULL && r->tls_established)
		dane_tls_inspect(r->ssl, &ap->tls, &pa->tls);
	/* The route may have gone since the check in queue_session(). */
	judge_address(job->eng, h, pa, r->outcome ==
	    SMTP_OUTCOME_CONNECT_FAILED && smtp_no_route(&pa->addr,
	    pa->port));
	judge_second_pass(h, ap, pa);
	log_debug("%s[%s]%s%s: %s: %s", h->name, pa->addr.text,
	    pa->key_family[0] ? "/" : "", pa->key_family,
	    addr_state_name(pa->state), pa->reason);
	maybe_probe_other_key(job, ap);
	addr_finished(job, ap);
}

/* ---- handing host results to domains ----------------------------------- */

/* An address left out by the domain's budget: reported, never silently
 * dropped, and never OK (a host of such addresses only is a WARNING). */
static void
mark_capped(probe_address *pa, unsigned cap, int port)
{
	dns_addr addr = pa->addr;
	dane_verdict v;

	dane_verdict_capped(&v, cap);
	memset(pa, 0, sizeof(*pa));
	pa->addr = addr;
	pa->port = port;
	pa->state = v.state;
	pa->severity = v.severity;
	pa->complete = true;
	pa->capped = true;
	pa->ms_connect = pa->ms_banner = pa->ms_ehlo = pa->ms_starttls = -1;
	pa->ms_tls = pa->ms_total = -1;
	snprintf(pa->reason, sizeof(pa->reason), "%s", v.reason);
}

/* The domain's view of the master result: its allotment only. */
static void
restrict_to_allot(probe_host *h, const host_job *job, size_t allot,
    unsigned cap)
{
	for (size_t i = 0; i < h->n_addrs && job->addrs != NULL; i++) {
		size_t first = i < job->n_first ? i : job->addrs[i].first;

		if (first < allot)
			continue;
		if (i < job->n_first)
			mark_capped(&h->addrs[i], cap, job->eng->cfg.port);
		else
			h->addrs[i].dropped = true; /* second pass of one */
	}
}

static void analyze_rollover(probe_host *h);

static void
deliver_host(domain_probe *dp, size_t index, const host_job *job)
{
	probe_host *dst = &dp->res->hosts[index];
	const probe_host *src = &job->res;
	uint16_t pref = dst->preference;

	probe_host_clear(dst);
	if (probe_host_copy(dst, src) != 0) {
		dst->name = strdup(src->name);
		dst->policy.level = DANE_LEVEL_FAIL;
		snprintf(dst->policy.reason, sizeof(dst->policy.reason),
		    "out of memory");
	} else {
		restrict_to_allot(dst, job, dp->hosts[index].allot,
		    dp->eng->cfg.max_addresses);
		compact_addrs(dst);
		analyze_rollover(dst);
	}
	dst->preference = pref;
	dp->hosts[index].done = true;
}

/* Rollover analysis over the distinct chains the host presented. */
static void
analyze_rollover(probe_host *h)
{
	const dane_chain_digests *chains[DANE_ROLL_MAX_CHAINS];
	const dns_answer *t;
	size_t n = 0;

	if (h->policy.tlsa_answer_index < 0 ||
	    (t = h->tlsa[h->policy.tlsa_answer_index]) == NULL ||
	    t->count == 0)
		return;
	for (size_t i = 0; i < h->n_addrs && n < DANE_ROLL_MAX_CHAINS; i++) {
		const probe_address *pa = &h->addrs[i];
		bool seen = false;

		if (!pa->tls_established || pa->tls.chain.n == 0)
			continue;
		for (size_t j = 0; j < n; j++)
			if (memcmp(chains[j]->cert[0].spki_sha256,
			    pa->tls.chain.cert[0].spki_sha256, 32) == 0)
				seen = true;
		if (!seen)
			chains[n++] = &pa->tls.chain;
	}
	if (n == 0 || (h->rollover = malloc(sizeof(*h->rollover))) == NULL)
		return;
	dane_rollover_analyze(t->tlsa, t->count, t->ttl, chains, n, time(NULL),
	    h->rollover);
}

/* Every address of the first k, and its second pass, has a verdict. */
static bool
prefix_complete(const host_job *job, size_t k)
{
	for (size_t i = 0; i < k && i < job->n_first; i++) {
		size_t t = job->addrs[i].twin;

		if (!job->res.addrs[i].complete ||
		    (t != NO_TWIN && !job->res.addrs[t].complete))
			return false;
	}
	return true;
}

/* Hands the result to every subscriber whose allotment is complete. */
static void
job_maybe_done(host_job *job)
{
	host_sub *ready = NULL, **p = &job->subs;

	if (!job->decided || job->notifying)
		return;
	/* Delivering may finish (and free) domains: detach first. */
	while (*p != NULL) {
		host_sub *s = *p;
		const domain_host *dh = &s->dp->hosts[s->index];

		if (!dh->allotted || !prefix_complete(job, dh->allot)) {
			p = &s->next;
			continue;
		}
		*p = s->next;
		s->next = ready;
		ready = s;
	}
	while (ready != NULL) {
		host_sub *s = ready;

		ready = s->next;
		deliver_host(s->dp, s->index, job);
		domain_maybe_done(s->dp);
		free(s);
	}
}

/* Only sessions some live domain still needs stay queued: after a
 * domain's deadline, those it alone wanted are cancelled. */
static void
job_trim(host_job *job)
{
	probe_engine *e = job->eng;
	size_t need = 0;

	for (const host_sub *s = job->subs; s != NULL; s = s->next) {
		const domain_host *dh = &s->dp->hosts[s->index];

		if (dh->allotted && dh->allot > need)
			need = dh->allot;
	}
	if (!job->decided || job->addrs == NULL || need >= job->want)
		return;
	for (size_t i = need; i < job->res.n_addrs; i++) {
		addr_probe *ap = &job->addrs[i];
		probe_address *pa = &job->res.addrs[i];
		size_t first = i < job->n_first ? i : ap->first;

		if (first < need || !ap->queued)
			continue;
		conn_limiter_cancel(e->limiter, &ap->waiter);
		ap->queued = false;
		e->stats.sessions_cancelled++;
		log_debug("%s[%s]: queued session cancelled: no domain waits "
		    "for it any more", job->res.name, pa->addr.text);
		if (i < job->n_first) {
			/* idle again: a later domain may still want it */
			dns_addr addr = pa->addr;

			memset(pa, 0, sizeof(*pa));
			pa->addr = addr;
			pa->port = e->cfg.port;
		} else {
			pa->dropped = true;
			pa->complete = true;
		}
	}
	job->want = need;
	job_maybe_done(job);
}

/*
 * Gives out the domain's address budget in MX preference order, as far
 * as the hosts' address lists are known, and asks each host job for its
 * share.  Finishing the domain waits until the walk is over.
 */
static void
domain_allocate(domain_probe *dp)
{
	unsigned cap = dp->eng->cfg.max_addresses;
	size_t left = cap ? cap : SIZE_MAX;

	dp->allocating++;
	for (size_t i = 0; i < dp->n_hosts; i++) {
		domain_host *dh = &dp->hosts[i];
		host_job *job = dh->job;

		if (!dh->allotted && job == NULL) {
			dh->allotted = true; /* out of memory: nothing to probe */
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
				job_want(job, dh->allot);
		}
		left -= dh->allot < left ? dh->allot : left;
	}
	dp->allocating--;
	domain_maybe_done(dp);
}

/* Subscribes the domain to the host's job (made and started when new);
 * the result comes once the domain's allotment is complete. */
static void
subscribe(domain_probe *dp, size_t index)
{
	probe_engine *e = dp->eng;
	const char *name = dp->res->hosts[index].name;
	host_job *job = strmap_get(e->jobs_by_name, name);
	host_sub *s;
	bool fresh = job == NULL;

	if (fresh && (job = job_new(e, name)) == NULL)
		goto oom;
	dp->hosts[index].job = job;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto oom;
	s->dp = dp;
	s->index = index;
	s->next = job->subs;
	job->subs = s;
	if (fresh)
		job_start(job);
	else
		e->stats.host_reuses++;
	return;
oom:
	dp->hosts[index].done = true;
	dp->res->hosts[index].policy.level = DANE_LEVEL_FAIL;
	snprintf(dp->res->hosts[index].policy.reason,
	    sizeof(dp->res->hosts[index].policy.reason), "out of memory");
}

/* ---- MX ------------------------------------------------------------------ */

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
	dp->hosts = calloc(res->n_hosts ? res->n_hosts : 1,
	    sizeof(*dp->hosts));
	if (dp->hosts == NULL) {
		domain_fail(dp, SEVERITY_UNKNOWN, "out of memory");
		return;
	}
	dp->allocating++;
	for (size_t i = 0; i < res->n_hosts; i++)
		subscribe(dp, i);
	dp->allocating--;
	domain_allocate(dp);
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
		job_on_dns(lc.job, lc.kind, answer);
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

/* ---- completion and deadline ------------------------------------------- */

static void
domain_maybe_done(domain_probe *dp)
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
			dh->allot = dh->job->n_first < left ? dh->job->n_first
			    : left;
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
	double t = dp->eng->cfg.timeout;

	if (dp->hosts[index].done || job == NULL)
		return;
	unsubscribe(dp, index);
	deliver_host(dp, index, job);
	/* Sessions queued for this domain alone are not needed any more. */
	job_trim(job);
	h = &dp->res->hosts[index];
	if (!job->decided) {
		h->policy.level = DANE_LEVEL_FAIL;
		snprintf(h->policy.reason, sizeof(h->policy.reason),
		    "DNS lookups for %s did not complete within %.1f s",
		    h->name, t);
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

	(void)loop;
	(void)revents;
	dp->res->timed_out = true;
	if (dp->hosts == NULL) {
		domain_fail(dp, SEVERITY_UNKNOWN, "MX lookup did not complete "
		    "within %.1f s", dp->eng->cfg.timeout);
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

/* ---- public API -------------------------------------------------------- */

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
	e->limiter = conn_limiter_new(cfg->per_host, cfg->max_sessions);
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

static void
job_free(probe_engine *e, host_job *job)
{
	for (size_t i = 0; job->addrs && i < job->res.n_addrs; i++) {
		addr_probe *ap = &job->addrs[i];

		if (ap->session != NULL)
			smtp_session_abort(ap->session);
		if (ap->queued)
			conn_limiter_cancel(e->limiter, &ap->waiter);
	}
	while (job->subs != NULL) {
		host_sub *s = job->subs;

		job->subs = s->next;
		free(s);
	}
	free(job->addrs);
	probe_host_clear(&job->res);
	free(job);
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

		job_free(e, e->jobs);
		e->jobs = next;
	}
	conn_limiter_free(e->limiter);
	strmap_free(e->jobs_by_name);
	dane_tls_ctx_free(e->ssl_ctx);
	free(e->helo_name);
	free(e);
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
domain_probe_new(probe_engine *e, const char *name, probe_done_cb done,
    void *arg)
{
	domain_probe *dp = calloc(1, sizeof(*dp));
	probe_domain *res = calloc(1, sizeof(*res));

	if (dp == NULL || res == NULL || (res->domain = strdup(name)) ==
	    NULL) {
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

static void
deadline_start(domain_probe *dp)
{
	probe_engine *e = dp->eng;

	e->running++;
	ev_timer_init(&dp->deadline, on_deadline,
	    e->cfg.timeout + DEADLINE_GRACE, 0.0);
	dp->deadline.data = dp;
	ev_timer_start(e->loop, &dp->deadline);
}

int
probe_engine_start(probe_engine *e, const char *domain, probe_done_cb done,
    void *arg, char *err, size_t errlen)
{
	domain_probe *dp = domain_probe_new(e, domain, done, arg);
	lookup_ctx tmpl = { .kind = LOOKUP_MX };

	if (dp == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	tmpl.dp = dp;
	if (!start_lookup(e, &tmpl, domain, DNS_TYPE_MX)) {
		snprintf(err, errlen, "cannot start the MX lookup for %s",
		    domain);
		domain_probe_free(dp);
		return -1;
	}
	deadline_start(dp);
	return 0;
}

int
probe_engine_start_host(probe_engine *e, const char *host,
    probe_done_cb done, void *arg, char *err, size_t errlen)
{
	domain_probe *dp = domain_probe_new(e, host, done, arg);
	probe_domain *res = dp ? dp->res : NULL;

	if (dp == NULL || (res->hosts = calloc(1, sizeof(*res->hosts))) ==
	    NULL || !add_host(res, host, 0)) {
		if (dp != NULL)
			domain_probe_free(dp);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	res->kind = DOMAIN_MX;
	res->mx_status = DANE_MX_SECURE;
	deadline_start(dp);
	/* May finish (and free dp) before it returns. */
	start_hosts(dp);
	return 0;
}
