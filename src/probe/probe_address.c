/*
 * probe_address.c -- the per-address probes of a host job: an SMTP/TLS
 * session once the connection limiter grants a slot, the address's
 * verdict, and the second pass that probes an address again restricted
 * to the other key algorithm.  The design is told in probe_engine.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "policy/dane_verdict.h"
#include "probe/probe_engine_internal.h"
#include "smtp/smtp_route.h"
#include "util/log.h"

static void on_session_done(const smtp_session_result *r, void *arg);
static void judge_address(const probe_engine *e, const probe_host *h,
    probe_address *pa, bool no_route);

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
	host_job_maybe_done(job);
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
	if (smtp_session_start(e->loop, &sp, &ap->session, err, sizeof(err)) !=
	    0) {
		ap->session = NULL;
		addr_not_started(job, ap, err);
		return;
	}
	e->stats.sessions++;
	if (conn_limiter_active(e->limiter) > e->stats.peak_sessions)
		e->stats.peak_sessions = conn_limiter_active(e->limiter);
}

void
addr_probe_queue(host_job *job, size_t i)
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
	if (conn_limiter_acquire(
	        e->limiter, key, &ap->waiter, start_session, ap) != 0) {
		ap->queued = false;
		addr_not_started(job, ap, "out of memory");
	}
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
		long days =
		    dane_verdict_first_expiry(&pa->tls, time(NULL), &depth);

		pa->leaf_days_left =
		    cert_facts_days_left(&pa->tls.leaf, time(NULL));
		dane_verdict_apply_expiry(
		    &v, &pa->tls, days, depth, &e->cfg.expiry);
	}
	dane_verdict_note_tls_version(
	    &v, pa->tls_established, pa->tls.tls_version);
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
	if (job->eng->cfg.survey || ap->family != NULL ||
	    !pa->tls_established || !pa->tls.leaf.present ||
	    i >= MAX_PROBES_PER_HOST || ap->index >= job->want)
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
	addr_probe_queue(job, i);
}

/* A second-pass probe that saw no second key is not a result. */
static void
judge_second_pass(const probe_host *h, const addr_probe *ap, probe_address *pa)
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

void
addr_probe_compact(probe_host *h)
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
			if (j != i &&
			    memcmp(&h->addrs[j].addr, &h->addrs[i].addr,
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
	/* The route may have gone since the check in addr_probe_queue(). */
	judge_address(job->eng, h, pa,
	    r->outcome == SMTP_OUTCOME_CONNECT_FAILED &&
	        smtp_no_route(&pa->addr, pa->port));
	judge_second_pass(h, ap, pa);
	log_debug("%s[%s]%s%s: %s: %s", h->name, pa->addr.text,
	    pa->key_family[0] ? "/" : "", pa->key_family,
	    addr_state_name(pa->state), pa->reason);
	maybe_probe_other_key(job, ap);
	addr_finished(job, ap);
}
