/*
 * probe_engine.c -- the domain probe as an explicit state machine.
 *
 *   MX lookup -> per host: A + AAAA -> TLSA (expanded name, then original)
 *             -> policy -> per address: SMTP/STARTTLS/TLS session
 *             -> verdicts -> result tree handed to the caller.
 *
 * Everything runs on one libev loop.  A domain probe finishes when every
 * host has a verdict, or when its deadline fires (then what is still
 * running is aborted and reported as timed out).  The probe object lives
 * on until its last DNS callback has come back (getdns may answer after
 * the deadline); late answers are ignored.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dane_tls.h"
#include "dane_verdict.h"
#include "ev_compat.h"
#include "log.h"
#include "probe_engine.h"
#include "smtp_session.h"

#define MAX_HOSTS 32       /* more MX hosts than this is a broken zone */
#define MAX_ADDRS_PER_HOST 16
#define DEADLINE_GRACE 0.5 /* let sessions report their own timeout first */

typedef struct domain_probe domain_probe;

typedef struct addr_probe {
	struct host_probe *hp;
	size_t index;
	smtp_session *session;   /* NULL when not running */
	dane_tls_params tls;     /* pointers into the host's result */
	const char *refs[2];
} addr_probe;

typedef struct host_probe {
	domain_probe *dp;
	size_t index;
	unsigned addr_lookups;   /* A/AAAA lookups outstanding */
	size_t tlsa_step;        /* TLSA name being looked up */
	bool decided;            /* policy known */
	bool done;               /* every address has a verdict */
	unsigned sessions;       /* SMTP sessions running */
	addr_probe *addrs;
} host_probe;

struct domain_probe {
	probe_engine *eng;
	probe_domain *res;
	probe_done_cb done;
	void *arg;
	ev_timer deadline;
	double t0;
	unsigned dns_pending;
	bool finished;           /* result handed over */
	host_probe *hosts;
	size_t n_hosts;          /* res may be gone when dp is freed */
	domain_probe *prev, *next;
};

struct probe_engine {
	struct ev_loop *loop;
	probe_config cfg;
	char *helo_name;
	dns_resolver *dns;
	SSL_CTX *ssl_ctx;
	size_t running;
	domain_probe *probes;    /* probes not yet freed */
};

enum lookup_kind { LOOKUP_MX, LOOKUP_A, LOOKUP_AAAA, LOOKUP_TLSA };

typedef struct lookup_ctx {
	domain_probe *dp;
	enum lookup_kind kind;
	size_t host;
} lookup_ctx;

static void host_start_tlsa(host_probe *hp);
static void host_decide(host_probe *hp);
static void domain_maybe_done(domain_probe *dp);

/* ---- lifetime ----------------------------------------------------------- */

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
	for (size_t i = 0; i < dp->n_hosts; i++)
		free(dp->hosts[i].addrs);
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
	res->ms_total = (ev_now(e->loop) - dp->t0) * 1000.0;
	probe_domain_finish(res, e->cfg.require_dane);
	dp->res = NULL;
	e->running--;
	dp->done(res, dp->arg);
	domain_probe_release(dp);
}

static void
domain_fail(domain_probe *dp, probe_severity sev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

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
start_lookup(domain_probe *dp, const char *name, uint16_t qtype,
    enum lookup_kind kind, size_t host)
{
	char err[200];
	lookup_ctx *lc = calloc(1, sizeof(*lc));

	if (lc == NULL)
		return false;
	lc->dp = dp;
	lc->kind = kind;
	lc->host = host;
	if (dns_lookup(dp->eng->dns, name, qtype, on_dns, lc, err,
	    sizeof(err)) != 0) {
		log_warn("lookup %s/%s: %s", name, dns_type_name(qtype), err);
		free(lc);
		return false;
	}
	dp->dns_pending++;
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
	res->hosts = calloc(n, sizeof(*res->hosts));
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

static bool
is_null_mx(const dns_answer *mx)
{
	return mx->count == 1 && mx->mx[0].exchange[0] == '\0';
}

static void start_hosts(domain_probe *dp);

static void
on_mx(domain_probe *dp, dns_answer *mx)
{
	probe_domain *res = dp->res;

	res->mx = mx;
	if (mx->security == DNS_SECURITY_BOGUS) {
		domain_fail(dp, SEVERITY_CRITICAL, "MX RRset is bogus (DNSSEC "
		    "validation failed): mail to this domain is deferred");
		return;
	}
	switch (mx->status) {
	case DNS_STATUS_OK:
		res->mx_status = mx->security == DNS_SECURITY_SECURE
		    ? DANE_MX_SECURE : DANE_MX_INSECURE;
		if (is_null_mx(mx)) {
			res->kind = DOMAIN_NULL_MX;
			domain_finish(dp);
			return;
		}
		res->kind = DOMAIN_MX;
		if (!hosts_from_mx(res, mx)) {
			domain_fail(dp, SEVERITY_UNKNOWN, "out of memory");
			return;
		}
		break;
	case DNS_STATUS_NODATA:
		/* RFC 5321 5.1: no MX, the domain itself is the host. */
		res->kind = DOMAIN_IMPLICIT_MX;
		res->mx_status = mx->security == DNS_SECURITY_SECURE
		    ? DANE_MX_IMPLICIT_SECURE : DANE_MX_IMPLICIT_INSECURE;
		res->hosts = calloc(1, sizeof(*res->hosts));
		if (res->hosts == NULL || !add_host(res, res->domain, 0)) {
			domain_fail(dp, SEVERITY_UNKNOWN, "out of memory");
			return;
		}
		break;
	case DNS_STATUS_NXDOMAIN:
		domain_fail(dp, SEVERITY_CRITICAL, "domain does not exist "
		    "(NXDOMAIN, %s)", dns_security_name(mx->security));
		return;
	case DNS_STATUS_TIMEOUT:
		domain_fail(dp, SEVERITY_UNKNOWN, "MX lookup timed out: %s",
		    mx->reason);
		return;
	case DNS_STATUS_SERVFAIL:
		domain_fail(dp, SEVERITY_CRITICAL, "MX lookup failed: %s",
		    mx->reason);
		return;
	default:
		domain_fail(dp, SEVERITY_UNKNOWN, "MX lookup error: %s",
		    mx->reason);
		return;
	}
	start_hosts(dp);
}

/* ---- hosts: addresses and TLSA ----------------------------------------- */

static void
start_hosts(domain_probe *dp)
{
	probe_domain *res = dp->res;
	const probe_config *cfg = &dp->eng->cfg;

	dp->n_hosts = res->n_hosts;
	dp->hosts = calloc(res->n_hosts ? res->n_hosts : 1,
	    sizeof(*dp->hosts));
	if (dp->hosts == NULL) {
		domain_fail(dp, SEVERITY_UNKNOWN, "out of memory");
		return;
	}
	for (size_t i = 0; i < res->n_hosts; i++) {
		host_probe *hp = &dp->hosts[i];

		hp->dp = dp;
		hp->index = i;
	}
	/* Start every lookup before any answer can finish the domain. */
	for (size_t i = 0; i < res->n_hosts; i++) {
		host_probe *hp = &dp->hosts[i];
		const char *name = res->hosts[i].name;

		if (cfg->use_ipv4) {
			hp->addr_lookups++;
			if (!start_lookup(dp, name, DNS_TYPE_A, LOOKUP_A, i)) {
				hp->addr_lookups--;
				res->hosts[i].a = error_answer(name, DNS_TYPE_A,
				    "lookup could not be started");
			}
		}
		if (cfg->use_ipv6) {
			hp->addr_lookups++;
			if (!start_lookup(dp, name, DNS_TYPE_AAAA, LOOKUP_AAAA,
			    i)) {
				hp->addr_lookups--;
				res->hosts[i].aaaa = error_answer(name,
				    DNS_TYPE_AAAA, "lookup could not be started");
			}
		}
	}
	for (size_t i = 0; i < res->n_hosts; i++)
		if (dp->hosts[i].addr_lookups == 0 && !dp->hosts[i].decided)
			host_start_tlsa(&dp->hosts[i]);
	domain_maybe_done(dp);
}

static void
host_start_tlsa(host_probe *hp)
{
	probe_host *h = &hp->dp->res->hosts[hp->index];
	char qname[300];

	dane_policy_tlsa_plan(hp->dp->res->mx_status, h->name, h->a, h->aaaa,
	    &h->plan);
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
	hp->tlsa_step = 0;
	if (h->plan.n == 0) {
		host_decide(hp);
		return;
	}
	snprintf(qname, sizeof(qname), "_%d._tcp.%s", hp->dp->eng->cfg.port,
	    h->plan.names[0]);
	if (!start_lookup(hp->dp, qname, DNS_TYPE_TLSA, LOOKUP_TLSA,
	    hp->index)) {
		h->tlsa[0] = error_answer(qname, DNS_TYPE_TLSA,
		    "lookup could not be started");
		host_decide(hp);
	}
}

static void
on_tlsa(host_probe *hp, dns_answer *t)
{
	probe_host *h = &hp->dp->res->hosts[hp->index];
	char qname[300];
	size_t step = hp->tlsa_step;

	h->tlsa[step] = t;
	if (step + 1 < h->plan.n && dane_policy_need_next(t)) {
		hp->tlsa_step++;
		snprintf(qname, sizeof(qname), "_%d._tcp.%s",
		    hp->dp->eng->cfg.port, h->plan.names[step + 1]);
		if (start_lookup(hp->dp, qname, DNS_TYPE_TLSA, LOOKUP_TLSA,
		    hp->index))
			return;
		h->tlsa[step + 1] = error_answer(qname, DNS_TYPE_TLSA,
		    "lookup could not be started");
	}
	host_decide(hp);
}

static void
on_dns(dns_answer *answer, void *arg)
{
	lookup_ctx *lc = arg;
	domain_probe *dp = lc->dp;
	enum lookup_kind kind = lc->kind;
	size_t host = lc->host;

	free(lc);
	if (answer->status == DNS_STATUS_CANCELLED) {
		/* The resolver is being torn down; so is dp (engine_free). */
		dns_answer_free(answer);
		return;
	}
	dp->dns_pending--;
	if (dp->finished) {
		dns_answer_free(answer);
		domain_probe_release(dp);
		return;
	}
	log_debug("dns %s %s: %s/%s %zu record(s)", answer->qname,
	    dns_type_name(answer->qtype), dns_status_name(answer->status),
	    dns_security_name(answer->security), answer->count);
	if (kind == LOOKUP_MX) {
		on_mx(dp, answer);
		return;
	}
	host_probe *hp = &dp->hosts[host];
	probe_host *h = &dp->res->hosts[host];

	if (kind == LOOKUP_TLSA) {
		on_tlsa(hp, answer);
	} else {
		if (kind == LOOKUP_A)
			h->a = answer;
		else
			h->aaaa = answer;
		if (--hp->addr_lookups == 0)
			host_start_tlsa(hp);
	}
	domain_maybe_done(dp);
}

/* ---- addresses: SMTP sessions ----------------------------------------- */

static void on_session_done(const smtp_session_result *r, void *arg);

static void
collect_addrs(const dns_answer *ans, probe_host *h)
{
	if (ans == NULL || ans->status != DNS_STATUS_OK)
		return;
	for (size_t i = 0; i < ans->count && h->n_addrs < 2 *
	    MAX_ADDRS_PER_HOST; i++) {
		if (i >= MAX_ADDRS_PER_HOST)
			break;
		memset(&h->addrs[h->n_addrs], 0, sizeof(h->addrs[0]));
		h->addrs[h->n_addrs].addr = ans->addrs[i];
		h->n_addrs++;
	}
}

static socklen_t
make_sockaddr(const dns_addr *a, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		s6->sin6_addr = a->u.v6;
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	s4->sin_addr = a->u.v4;
	return sizeof(*s4);
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
addr_not_started(probe_address *pa, const char *why)
{
	pa->state = ADDR_STATE_NOT_PROBED;
	pa->severity = SEVERITY_UNKNOWN;
	snprintf(pa->reason, sizeof(pa->reason), "not probed: %s", why);
}

static void
start_session(host_probe *hp, size_t i)
{
	domain_probe *dp = hp->dp;
	probe_engine *e = dp->eng;
	probe_host *h = &dp->res->hosts[hp->index];
	addr_probe *ap = &hp->addrs[i];
	probe_address *pa = &h->addrs[i];
	struct sockaddr_storage ss;
	smtp_session_params sp;
	char err[256], id[320];

	ap->hp = hp;
	ap->index = i;
	pa->port = e->cfg.port;
	tls_params_for(h, ap);
	memset(&sp, 0, sizeof(sp));
	sp.ssl = dane_tls_ssl_new(e->ssl_ctx, &ap->tls, err, sizeof(err));
	if (sp.ssl == NULL) {
		addr_not_started(pa, err);
		return;
	}
	snprintf(id, sizeof(id), "%s[%s]", h->name, pa->addr.text);
	sp.addrlen = make_sockaddr(&pa->addr, e->cfg.port, &ss);
	sp.addr = (const struct sockaddr *)&ss;
	sp.helo_name = e->helo_name;
	sp.phase_timeout = e->cfg.phase_timeout;
	sp.deadline = dp->t0 + e->cfg.timeout;
	sp.log_id = id;
	sp.done = on_session_done;
	sp.arg = ap;
	if (smtp_session_start(e->loop, &sp, &ap->session, err,
	    sizeof(err)) != 0) {
		ap->session = NULL;
		addr_not_started(pa, err);
		return;
	}
	hp->sessions++;
}

static void
host_start_sessions(host_probe *hp)
{
	probe_host *h = &hp->dp->res->hosts[hp->index];
	size_t cap = 2 * MAX_ADDRS_PER_HOST;

	h->addrs = calloc(cap, sizeof(*h->addrs));
	hp->addrs = calloc(cap, sizeof(*hp->addrs));
	if (h->addrs == NULL || hp->addrs == NULL) {
		h->policy.level = DANE_LEVEL_FAIL;
		snprintf(h->policy.reason, sizeof(h->policy.reason),
		    "out of memory");
		return;
	}
	collect_addrs(h->a, h);
	collect_addrs(h->aaaa, h);
	for (size_t i = 0; i < h->n_addrs; i++)
		start_session(hp, i);
}

static void
host_decide(host_probe *hp)
{
	probe_host *h = &hp->dp->res->hosts[hp->index];
	const dns_answer *t[2] = { h->tlsa[0], h->tlsa[1] };

	dane_policy_decide(&h->plan, t, &h->policy);
	hp->decided = true;
	log_debug("host %s: policy %s: %s", h->name,
	    dane_level_name(h->policy.level), h->policy.reason);
	if (h->policy.level != DANE_LEVEL_FAIL)
		host_start_sessions(hp);
	if (hp->sessions == 0)
		hp->done = true;
}

static void
record_session(probe_address *pa, const smtp_session_result *r)
{
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
judge_address(const probe_engine *e, const probe_host *h, probe_address *pa)
{
	dane_verdict_input in = {
		.level = h->policy.level,
		.outcome = pa->smtp_outcome,
		.state = pa->smtp_state,
		.smtp_reason = pa->smtp_reason,
		.tls_established = pa->tls_established,
		.tls = pa->tls_established ? &pa->tls : NULL,
		.require_dane = e->cfg.require_dane,
	};
	dane_verdict v;

	dane_verdict_address(&in, &v);
	if (pa->tls_established && pa->tls.leaf.present) {
		pa->leaf_days_left = cert_facts_days_left(&pa->tls.leaf,
		    time(NULL));
		dane_verdict_apply_expiry(&v, &pa->tls, pa->leaf_days_left,
		    &e->cfg.expiry);
	}
	pa->state = v.state;
	pa->severity = v.severity;
	snprintf(pa->reason, sizeof(pa->reason), "%s", v.reason);
}

static void
on_session_done(const smtp_session_result *r, void *arg)
{
	addr_probe *ap = arg;
	host_probe *hp = ap->hp;
	domain_probe *dp = hp->dp;
	probe_host *h = &dp->res->hosts[hp->index];
	probe_address *pa = &h->addrs[ap->index];

	ap->session = NULL; /* frees itself after we return */
	record_session(pa, r);
	if (r->ssl != NULL && r->tls_established)
		dane_tls_inspect(r->ssl, &ap->tls, &pa->tls);
	judge_address(dp->eng, h, pa);
	log_debug("%s[%s]: %s: %s", h->name, pa->addr.text,
	    addr_state_name(pa->state), pa->reason);
	if (--hp->sessions == 0)
		hp->done = true;
	domain_maybe_done(dp);
}

/* ---- completion and deadline ------------------------------------------- */

static void
domain_maybe_done(domain_probe *dp)
{
	if (dp->finished || dp->res->kind == DOMAIN_LOOKUP_FAILED)
		return;
	if (dp->hosts == NULL)
		return; /* MX lookup still running */
	for (size_t i = 0; i < dp->n_hosts; i++)
		if (!dp->hosts[i].done)
			return;
	domain_finish(dp);
}

static void
abort_host(domain_probe *dp, host_probe *hp)
{
	probe_host *h = &dp->res->hosts[hp->index];

	if (!hp->decided) {
		h->policy.level = DANE_LEVEL_FAIL;
		snprintf(h->policy.reason, sizeof(h->policy.reason),
		    "DNS lookups for %s did not complete within %.1f s",
		    h->name, dp->eng->cfg.timeout);
		hp->decided = true;
	}
	for (size_t i = 0; hp->addrs && i < h->n_addrs; i++) {
		addr_probe *ap = &hp->addrs[i];

		if (ap->session == NULL)
			continue;
		smtp_session_abort(ap->session);
		ap->session = NULL;
		h->addrs[i].state = ADDR_STATE_TIMEOUT;
		h->addrs[i].severity = SEVERITY_CRITICAL;
		snprintf(h->addrs[i].reason, sizeof(h->addrs[i].reason),
		    "no result within the overall timeout of %.1f s",
		    dp->eng->cfg.timeout);
	}
	hp->sessions = 0;
	hp->done = true;
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
	for (size_t i = 0; i < dp->n_hosts; i++)
		abort_host(dp, &dp->hosts[i]);
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
	if (e->helo_name == NULL) {
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
	/* Abort sessions first: their callbacks must not run any more. */
	for (domain_probe *dp = e->probes; dp != NULL; dp = dp->next) {
		if (dp->finished)
			continue;
		ev_timer_stop(e->loop, &dp->deadline);
		for (size_t i = 0; dp->hosts && i < dp->n_hosts; i++)
			for (size_t j = 0; dp->hosts[i].addrs &&
			    j < dp->res->hosts[i].n_addrs; j++)
				if (dp->hosts[i].addrs[j].session)
					smtp_session_abort(
					    dp->hosts[i].addrs[j].session);
	}
	/* Cancelled DNS callbacks only free their answers. */
	dns_resolver_free(e->dns);
	while (e->probes != NULL)
		domain_probe_free(e->probes);
	SSL_CTX_free(e->ssl_ctx);
	free(e->helo_name);
	free(e);
}

size_t
probe_engine_running(const probe_engine *e)
{
	return e->running;
}

int
probe_engine_start(probe_engine *e, const char *domain, probe_done_cb done,
    void *arg, char *err, size_t errlen)
{
	domain_probe *dp = calloc(1, sizeof(*dp));
	probe_domain *res = calloc(1, sizeof(*res));

	if (dp == NULL || res == NULL || (res->domain = strdup(domain)) ==
	    NULL) {
		free(dp);
		probe_domain_free(res);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	res->started = time(NULL);
	dp->eng = e;
	dp->res = res;
	dp->done = done;
	dp->arg = arg;
	dp->t0 = ev_now(e->loop);
	dp->next = e->probes;
	if (e->probes)
		e->probes->prev = dp;
	e->probes = dp;
	if (!start_lookup(dp, domain, DNS_TYPE_MX, LOOKUP_MX, 0)) {
		snprintf(err, errlen, "cannot start the MX lookup for %s",
		    domain);
		domain_probe_free(dp);
		return -1;
	}
	e->running++;
	ev_timer_init(&dp->deadline, on_deadline,
	    e->cfg.timeout + DEADLINE_GRACE, 0.0);
	dp->deadline.data = dp;
	ev_timer_start(e->loop, &dp->deadline);
	return 0;
}
