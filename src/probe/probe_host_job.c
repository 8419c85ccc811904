/*
 * probe_host_job.c -- host jobs, shared by every domain whose MX RRset
 * names the host: A + AAAA -> TLSA (expanded name, then original) ->
 * policy -> the addresses to probe, queued as far as some domain's
 * allotment reaches -> views of the result, shared by reference, handed
 * to the subscribed domains.  The design is told in probe_engine.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/dane_verdict.h"
#include "probe/probe_engine_internal.h"
#include "util/log.h"

static void job_start_tlsa(host_job *job);
static void job_decide(host_job *job);

/* ---- DNS: addresses and TLSA ------------------------------------------ */

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

static bool
job_lookup(
    host_job *job, const char *name, uint16_t qtype, enum lookup_kind kind)
{
	lookup_ctx tmpl = { .job = job, .kind = kind };

	return probe_start_lookup(job->eng, &tmpl, name, qtype);
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
		job->res.a = error_answer(
		    name, DNS_TYPE_A, "lookup could not be started");
		job->addr_lookups--;
	}
	if (cfg->use_ipv6 &&
	    !job_lookup(job, name, DNS_TYPE_AAAA, LOOKUP_AAAA)) {
		job->res.aaaa = error_answer(
		    name, DNS_TYPE_AAAA, "lookup could not be started");
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
		h->tlsa[0] = error_answer(
		    qname, DNS_TYPE_TLSA, "lookup could not be started");
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
		h->tlsa[step + 1] = error_answer(
		    qname, DNS_TYPE_TLSA, "lookup could not be started");
	}
	job_decide(job);
}

void
host_job_on_dns(host_job *job, enum lookup_kind kind, dns_answer *answer)
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

/* ---- the addresses to probe and the policy ---------------------------- */

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

/* The addresses to probe, none queued yet: domains ask (host_job_want). */
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
void
host_job_want(host_job *job, size_t k)
{
	if (k > job->n_first)
		k = job->n_first;
	if (k <= job->want) {
		host_job_maybe_done(job);
		return;
	}
	/* Hold deliveries until the whole prefix is queued: a session that
	 * fails at once must not look like the last one. */
	job->notifying++;
	for (size_t i = job->want; i < k; i++)
		if (addr_idle(job, i))
			addr_probe_queue(job, i);
	job->want = k;
	job->notifying--;
	host_job_maybe_done(job);
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
		domain_probe_allocate(s->dp);
	job->notifying--;
	host_job_maybe_done(job);
}

/* ---- handing host results to domains ---------------------------------- */

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
restrict_to_allot(
    probe_host *h, const host_job *job, size_t allot, unsigned cap)
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

static void analyze_rollover(probe_host *h, time_t now);

/* Fills *dst (cleared) with the domain's view of the master result: a
 * deep copy restricted to its allotment.  False when out of memory (dst
 * then holds the host's name and a failed policy). */
static bool
view_of_job(probe_host *dst, const host_job *job, size_t allot, time_t now)
{
	const probe_host *src = &job->res;

	if (probe_host_copy(dst, src) != 0) {
		dst->name = strdup(src->name);
		dst->policy.level = DANE_LEVEL_FAIL;
		snprintf(dst->policy.reason, sizeof(dst->policy.reason),
		    "out of memory");
		return false;
	}
	restrict_to_allot(dst, job, allot, job->eng->cfg.max_addresses);
	addr_probe_compact(dst);
	analyze_rollover(dst, now);
	return true;
}

/*
 * The shared view for an allotment of `allot` addresses.  Once that
 * prefix is complete the view cannot change any more (later sessions only
 * touch addresses beyond it, which the view marks capped or drops), so
 * every domain with the same allotment gets the same result; the one
 * thing that varies is the clock of the rollover analysis, hence a new
 * view when the second changes.  The job keeps a weak reference only: the
 * view lives as long as some domain holds it.  *fresh: a new view, with
 * one reference for the caller.  NULL when out of memory.
 */
static probe_host_shared *
job_shared_view(host_job *job, size_t allot, bool *fresh)
{
	time_t now = time(NULL);
	probe_host view;

	*fresh = false;
	if (job->view != NULL && job->view_allot == allot &&
	    job->view_time == now)
		return job->view;
	memset(&view, 0, sizeof(view));
	if (!view_of_job(&view, job, allot, now)) {
		probe_host_clear(&view);
		return NULL;
	}
	probe_host_shared_set_weak(job->view, NULL);
	job->view = probe_host_share(&view);
	if (job->view == NULL) {
		probe_host_clear(&view);
		return NULL;
	}
	probe_host_shared_set_weak(job->view, &job->view);
	job->view_allot = allot;
	job->view_time = now;
	*fresh = true;
	return job->view;
}

void
host_job_deliver(domain_probe *dp, size_t index, host_job *job)
{
	probe_host *dst = &dp->res->hosts[index];
	uint16_t pref = dst->preference;
	size_t allot = dp->hosts[index].allot;
	bool fresh;
	probe_host_shared *view = job_shared_view(job, allot, &fresh);

	probe_host_clear(dst);
	if (view != NULL) {
		probe_host_borrow(dst, view);
		if (fresh)
			probe_host_shared_unref(view); /* the domain holds it */
	} else
		view_of_job(dst, job, allot, time(NULL));
	dst->preference = pref;
	dp->hosts[index].done = true;
}

void
host_job_deliver_copy(domain_probe *dp, size_t index, const host_job *job)
{
	probe_host *dst = &dp->res->hosts[index];
	uint16_t pref = dst->preference;

	probe_host_clear(dst);
	view_of_job(dst, job, dp->hosts[index].allot, time(NULL));
	dst->preference = pref;
	dp->hosts[index].done = true;
}

/* Rollover analysis over the distinct chains the host presented. */
static void
analyze_rollover(probe_host *h, time_t now)
{
	const dane_chain_digests *chains[DANE_ROLL_MAX_CHAINS];
	const dns_answer *t;
	size_t n = 0;

	if (h->policy.tlsa_answer_index < 0 ||
	    (t = h->tlsa[h->policy.tlsa_answer_index]) == NULL || t->count == 0)
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
	dane_rollover_analyze(
	    t->tlsa, t->count, t->ttl, chains, n, now, h->rollover);
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
void
host_job_maybe_done(host_job *job)
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
		host_job_deliver(s->dp, s->index, job);
		domain_probe_maybe_done(s->dp);
		free(s);
	}
}

/* Only sessions some live domain still needs stay queued: after a
 * domain's deadline, those it alone wanted are cancelled. */
void
host_job_trim(host_job *job)
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
		          "for it any more",
		    job->res.name, pa->addr.text);
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
	host_job_maybe_done(job);
}

/* ---- subscribers ------------------------------------------------------ */

/* Subscribes the domain to the host's job (made and started when new);
 * the result comes once the domain's allotment is complete. */
void
host_job_subscribe(domain_probe *dp, size_t index)
{
	probe_engine *e = dp->eng;
	const char *name = dp->res->hosts[index].name;
	host_job *job = strmap_get(e->jobs_by_name, name);
	host_sub *s;
	bool fresh;

	/* A long-lived engine shares a host only while it is being probed:
	 * a finished job's result may be minutes old.  The old job stays on
	 * e->jobs until probe_engine_sweep() frees it. */
	if (job != NULL && e->cfg.fresh_hosts && host_job_idle(job)) {
		strmap_del(e->jobs_by_name, name);
		job = NULL;
	}
	fresh = job == NULL;

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

bool
host_job_idle(const host_job *job)
{
	if (!job->decided || job->subs != NULL || job->notifying)
		return false;
	for (size_t i = 0; job->addrs && i < job->res.n_addrs; i++)
		if (job->addrs[i].session != NULL || job->addrs[i].queued ||
		    job->addrs[i].holds_slot)
			return false;
	return true;
}

void
host_job_unsubscribe(domain_probe *dp, size_t index)
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

void
host_job_free(probe_engine *e, host_job *job)
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
	probe_host_shared_set_weak(job->view, NULL); /* domains keep it */
	probe_host_clear(&job->res);
	free(job);
}
