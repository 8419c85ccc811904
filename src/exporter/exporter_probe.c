/*
 * exporter_probe.c -- probes for /probe: engines by settings, joined and
 * cached results, the bound on probes in flight.
 *
 * Entries: one per (module, target) key while its probe runs and, after
 * that, while its result is younger than the module's min_interval.  A
 * running entry belongs to the engine's done callback; a finished one to
 * the map (and the sweep timer, which drops it when it expires).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/dns_name.h"
#include "exporter/exporter_probe.h"
#include "probe/conn_limiter.h"
#include "probe/probe_engine.h"
#include "report/report_prometheus.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/strmap.h"

#define SWEEP_SECONDS 2.0
#define MAX_CACHED 10000  /* finished results kept at most */
#define SCRAPE_MARGIN 0.5 /* seconds kept for the answer's way back */
#define MAX_MODULE_NAME 64

/* One limiter for all engines, shared by count. */
typedef struct shared_limiter {
	conn_limiter *l;
	unsigned per_host;
	unsigned refs;
} shared_limiter;

typedef struct engine_slot {
	probe_engine *eng;
	char *key; /* the settings that make it distinct */
	char *helo, *resolver, *anchor, *hints; /* the engine borrows them */
	shared_limiter *lim;
	double timeout; /* the engine's (longest) timeout */
	bool retired;   /* a reload replaced it: freed once idle */
	bool keep;      /* a reload in progress uses it again */
	size_t sessions_counted;
	struct engine_slot *next;
} engine_slot;

struct exporter_entry {
	exporter_prober *p;
	char *key;    /* module "\n" target */
	char *target; /* normalised domain */
	char *module;
	unsigned generation; /* configuration it was started under */
	engine_slot *slot;
	bool running;
	double started, ends; /* ev_now; ends: the probe's deadline */
	double expires;       /* finished: served again until then */
	char *body;           /* finished: the exposition */
	size_t len;
	exporter_waiter *waiters;
	exporter_entry *next_done; /* finished entries, for the sweep */
};

struct exporter_prober {
	struct ev_loop *loop;
	exporter_prober_params params;
	const exporter_config *cfg;
	engine_slot **slot_of; /* per module of cfg */
	engine_slot *slots;    /* all, current and retired */
	shared_limiter *lim;   /* the current one */
	unsigned generation;
	strmap *entries;
	exporter_entry *done; /* finished entries */
	size_t n_done;
	unsigned running;
	size_t sessions_retired; /* counted from engines freed */
	ev_timer sweep;
};

/* ---- pure checks ------------------------------------------------------- */

int
exporter_probe_check_query(const exporter_config *cfg, const char *target,
    const char *module, char *domain, size_t domainlen,
    const exporter_module **m, char *err, size_t errlen)
{
	char why[300];

	if (target == NULL || *target == '\0') {
		snprintf(err, errlen, "no target given (/probe?target=DOMAIN)");
		return 400;
	}
	if (dns_name_parse(target, domain, domainlen, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "invalid target: %s", why);
		return 400;
	}
	if (domain[0] == '\0') {
		snprintf(err, errlen,
		    "invalid target: the root is no mail "
		    "domain");
		return 400;
	}
	if (module == NULL || *module == '\0')
		module = "default";
	if ((*m = exporter_config_find(cfg, module)) == NULL) {
		char shown[104];

		snprintf(err, errlen, "unknown module \"%s\"",
		    dns_name_shown(module, shown, sizeof(shown)));
		return 400;
	}
	return 0;
}

double
exporter_probe_deadline(const char *scrape_timeout, double timeout)
{
	double h, d;

	if (scrape_timeout == NULL || parse_seconds(scrape_timeout, &h) != 0)
		return timeout;
	d = h - SCRAPE_MARGIN < h / 2 ? h / 2 : h - SCRAPE_MARGIN;
	return d < timeout ? d : timeout;
}

/* ---- engines ----------------------------------------------------------- */

static void
slot_free(exporter_prober *p, engine_slot *s)
{
	probe_engine_stats st;

	if (s->eng != NULL) {
		probe_engine_get_stats(s->eng, &st);
		p->sessions_retired += st.sessions;
	}
	probe_engine_free(s->eng);
	if (s->lim != NULL && --s->lim->refs == 0) {
		conn_limiter_free(s->lim->l);
		free(s->lim);
	}
	free(s->key);
	free(s->helo);
	free(s->resolver);
	free(s->anchor);
	free(s->hints);
	free(s);
}

/* What makes two modules' probes differ, timeouts aside. */
static char *
slot_key(const exporter_module *m)
{
	char *k = NULL;

	if (asprintf(&k, "%s\n%s\n%s\n%s\n%d%d%d",
	        m->resolver ? m->resolver : "",
	        m->trust_anchor ? m->trust_anchor : "",
	        m->root_hints ? m->root_hints : "", m->helo ? m->helo : "",
	        m->use_ipv4, m->use_ipv6, m->require_dane) < 0)
		return NULL;
	return k;
}

static char *
dup_opt(const char *s, bool *oom)
{
	char *c = s ? strdup(s) : NULL;

	if (s != NULL && c == NULL)
		*oom = true;
	return c;
}

/* The longest timeout of the modules that use key: sessions and DNS
 * lookups are sized by it, each probe's own deadline cuts shorter. */
static double
longest_timeout(const exporter_config *cfg, const char *key)
{
	double t = 1;

	for (size_t i = 0; i < cfg->n; i++) {
		char *k = slot_key(&cfg->modules[i]);

		if (k != NULL && strcmp(k, key) == 0 &&
		    cfg->modules[i].timeout > t)
			t = cfg->modules[i].timeout;
		free(k);
	}
	return t;
}

static engine_slot *
slot_new(exporter_prober *p, const exporter_config *cfg,
    const exporter_module *m, shared_limiter *lim, char *key, char *err,
    size_t errlen)
{
	engine_slot *s = calloc(1, sizeof(*s));
	probe_config pc;
	dns_resolver_config dns;
	bool oom = false;

	if (s == NULL) {
		free(key);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->key = key;
	s->helo = dup_opt(m->helo, &oom);
	s->resolver = dup_opt(m->resolver, &oom);
	s->anchor = dup_opt(m->trust_anchor, &oom);
	s->hints = dup_opt(m->root_hints, &oom);
	s->lim = lim;
	lim->refs++;
	memset(&pc, 0, sizeof(pc));
	pc.helo_name = s->helo;
	pc.port = 25;
	pc.use_ipv4 = m->use_ipv4;
	pc.use_ipv6 = m->use_ipv6;
	pc.timeout = s->timeout = longest_timeout(cfg, key);
	pc.phase_timeout = probe_phase_timeout(pc.timeout);
	pc.require_dane = m->require_dane;
	pc.expiry.warn_days = 20;
	pc.expiry.crit_days = 7;
	pc.per_host = lim->per_host;
	pc.max_sessions = p->params.max_sessions;
	pc.max_addresses = 32;
	pc.fresh_hosts = true;
	pc.limiter = lim->l;
	memset(&dns, 0, sizeof(dns));
	dns.resolver = s->resolver;
	dns.trust_anchor_file = s->anchor;
	dns.root_hints_file = s->hints;
	dns.timeout_ms = probe_dns_timeout_ms(pc.timeout);
	if (oom) {
		snprintf(err, errlen, "out of memory");
		slot_free(p, s);
		return NULL;
	}
	if (probe_engine_new(p->loop, &pc, &dns, &s->eng, err, errlen) != 0) {
		slot_free(p, s);
		return NULL;
	}
	return s;
}

/* The smallest per_host of all modules: the limit protects the mail
 * server, whichever module asks. */
static unsigned
strictest_per_host(const exporter_config *cfg)
{
	unsigned n = 0;

	for (size_t i = 0; i < cfg->n; i++)
		if (n == 0 || cfg->modules[i].per_host < n)
			n = cfg->modules[i].per_host;
	return n ? n : 2;
}

static shared_limiter *
limiter_for(exporter_prober *p, const exporter_config *cfg)
{
	unsigned per_host = strictest_per_host(cfg);
	shared_limiter *lim;

	if (p->lim != NULL && p->lim->per_host == per_host)
		return p->lim;
	if ((lim = calloc(1, sizeof(*lim))) == NULL)
		return NULL;
	lim->per_host = per_host;
	lim->l = conn_limiter_new(per_host, p->params.max_sessions);
	if (lim->l == NULL) {
		free(lim);
		return NULL;
	}
	return lim;
}

/* An engine in force with the same settings, which a reload keeps (and
 * with it the zone keys its resolver has validated); NULL if none. */
static engine_slot *
reusable(exporter_prober *p, const exporter_config *cfg, const char *key,
    const shared_limiter *lim)
{
	for (engine_slot *s = p->slots; s != NULL; s = s->next)
		if (!s->retired && s->lim == lim && strcmp(s->key, key) == 0 &&
		    s->timeout == longest_timeout(cfg, key))
			return s;
	return NULL;
}

/* Builds the slots of cfg: new ones into *list, those in force that it
 * keeps marked `keep`; map[i] is module i's.  0 or -1 (err). */
static int
build_slots(exporter_prober *p, const exporter_config *cfg, shared_limiter *lim,
    engine_slot **list, engine_slot **map, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->n; i++) {
		char *key = slot_key(&cfg->modules[i]);
		engine_slot *s;

		if (key == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (s = *list; s != NULL; s = s->next)
			if (strcmp(s->key, key) == 0)
				break;
		if (s == NULL && (s = reusable(p, cfg, key, lim)) != NULL)
			s->keep = true;
		if (s != NULL) {
			free(key);
			map[i] = s;
			continue;
		}
		s = slot_new(p, cfg, &cfg->modules[i], lim, key, err, errlen);
		if (s == NULL)
			return -1;
		s->next = *list;
		*list = s;
		map[i] = s;
	}
	return 0;
}

static void drop_done(exporter_prober *p, bool all);

int
exporter_prober_configure(
    exporter_prober *p, const exporter_config *cfg, char *err, size_t errlen)
{
	engine_slot *fresh = NULL, **map = calloc(cfg->n, sizeof(*map));
	shared_limiter *lim = limiter_for(p, cfg);
	int rc = -1;

	if (map == NULL || lim == NULL)
		snprintf(err, errlen, "out of memory");
	else {
		lim->refs++; /* held while building */
		rc = build_slots(p, cfg, lim, &fresh, map, err, errlen);
	}
	if (rc != 0) {
		for (engine_slot *s = p->slots; s != NULL; s = s->next)
			s->keep = false;
		while (fresh != NULL) {
			engine_slot *n = fresh->next;

			slot_free(p, fresh);
			fresh = n;
		}
		if (lim != NULL && --lim->refs == 0) {
			conn_limiter_free(lim->l);
			free(lim);
		}
		free(map);
		return -1;
	}
	lim->refs--; /* the new slots hold it now */
	for (engine_slot *s = p->slots; s != NULL; s = s->next) {
		s->retired = s->retired || !s->keep;
		s->keep = false;
	}
	for (engine_slot *s = fresh; s != NULL;) {
		engine_slot *n = s->next;

		s->next = p->slots;
		p->slots = s;
		s = n;
	}
	free(p->slot_of);
	p->slot_of = map;
	p->cfg = cfg;
	p->lim = lim;
	p->generation++;
	drop_done(p, true);
	return 0;
}

/* ---- answers ----------------------------------------------------------- */

/* blackbox's probe_success: the domain works for a DANE-validating
 * sender.  WARNING counts as up (the mail is delivered securely; the
 * warning is about what comes, e.g. an expiring certificate), CRITICAL
 * and UNKNOWN as down, and so does a probe cut short by its deadline. */
static bool
probe_up(const probe_domain *d)
{
	return !d->timed_out && !d->probe_error &&
	    (d->severity == SEVERITY_OK || d->severity == SEVERITY_WARNING);
}

static void
blackbox_families(FILE *out, bool up, double seconds)
{
	fprintf(out,
	    "# HELP probe_success Whether the probe was a success (1: the "
	    "domain's verdict is OK or WARNING).\n"
	    "# TYPE probe_success gauge\n"
	    "probe_success %d\n"
	    "# HELP probe_duration_seconds How long the probe took, in "
	    "seconds (for a cached result: the probe that made it).\n"
	    "# TYPE probe_duration_seconds gauge\n"
	    "probe_duration_seconds %.6f\n",
	    up ? 1 : 0, seconds);
}

/* The whole answer for a finished probe; NULL when out of memory. */
static char *
render(const probe_domain *d, double seconds, size_t *len)
{
	char *buf = NULL;
	FILE *mem = open_memstream(&buf, len);
	report_run run = { .finished = time(NULL), .seconds = seconds };

	if (mem == NULL)
		return NULL;
	report_prometheus(mem, &d, 1, &run);
	blackbox_families(mem, probe_up(d), seconds);
	if (fclose(mem) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static exporter_result
result_of(const probe_domain *d)
{
	if (d->probe_error)
		return EXPORTER_RESULT_ERROR;
	switch (d->severity) {
	case SEVERITY_OK:
		return EXPORTER_RESULT_OK;
	case SEVERITY_WARNING:
		return EXPORTER_RESULT_WARNING;
	case SEVERITY_CRITICAL:
		return EXPORTER_RESULT_CRITICAL;
	default:
		return EXPORTER_RESULT_UNKNOWN;
	}
}

static bool
dns_failed(const dns_answer *a)
{
	return a != NULL &&
	    (a->status == DNS_STATUS_SERVFAIL ||
	        a->status == DNS_STATUS_TIMEOUT ||
	        a->status == DNS_STATUS_ERROR);
}

static uint64_t
count_dns_failures(const probe_domain *d)
{
	uint64_t n = dns_failed(d->mx);

	for (size_t i = 0; i < d->n_hosts; i++) {
		const probe_host *h = &d->hosts[i];

		n += dns_failed(h->a) + dns_failed(h->aaaa) +
		    dns_failed(h->tlsa[0]) + dns_failed(h->tlsa[1]);
	}
	return n;
}

/* Addresses whose session failed for the network's or the server's
 * sake, not for DANE's. */
static uint64_t
count_smtp_failures(const probe_domain *d)
{
	uint64_t n = 0;

	for (size_t i = 0; i < d->n_hosts; i++)
		for (size_t k = 0; k < d->hosts[i].n_addrs; k++)
			switch (d->hosts[i].addrs[k].state) {
			case ADDR_STATE_CONNECT_FAILED:
			case ADDR_STATE_TIMEOUT:
			case ADDR_STATE_SMTP_ERROR:
			case ADDR_STATE_TLS_FAILED:
			case ADDR_STATE_STARTTLS_REFUSED:
				n++;
				break;
			default:
				break;
			}
	return n;
}

static void
waiter_unlink(exporter_prober *p, exporter_waiter *w)
{
	ev_timer_stop(p->loop, &w->timer);
	if (w->pprev != NULL) {
		*w->pprev = w->next;
		if (w->next != NULL)
			w->next->pprev = w->pprev;
	}
	w->next = NULL;
	w->pprev = NULL;
	w->entry = NULL;
}

/* Hands body to every waiter of e (each removed before its call). */
static void
answer_all(exporter_prober *p, exporter_entry *e, const char *body, size_t len)
{
	while (e->waiters != NULL) {
		exporter_waiter *w = e->waiters;

		waiter_unlink(p, w);
		w->done(w, body, len, w->arg);
	}
}

/* An answer with no daneprobe_* series: probe_success 0. */
static void
answer_empty(exporter_waiter *w, double seconds)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);

	if (mem != NULL) {
		blackbox_families(mem, false, seconds);
		if (fclose(mem) != 0)
			len = 0;
	}
	w->done(w, buf ? buf : "", buf ? len : 0, w->arg);
	free(buf);
}

static void
entry_free(exporter_entry *e)
{
	free(e->key);
	free(e->target);
	free(e->module);
	free(e->body);
	free(e);
}

static void
record(exporter_prober *p, const exporter_entry *e, const probe_domain *d,
    exporter_result r, double seconds)
{
	exporter_probe_info info = { .target = e->target,
		.module = e->module,
		.status = d ? probe_severity_name(d->severity) : "ERROR",
		.result = r,
		.seconds = seconds,
		.timed_out = d && d->timed_out };

	exporter_metrics_observe(p->params.metrics, r, seconds);
	if (p->params.on_finish != NULL)
		p->params.on_finish(&info, p->params.arg);
}

static void
on_probe_done(probe_domain *d, void *arg)
{
	exporter_entry *e = arg;
	exporter_prober *p = e->p;
	double seconds = ev_now(p->loop) - e->started;
	const exporter_module *m;

	e->running = false;
	p->running--;
	p->params.metrics->in_flight = p->running;
	p->params.metrics->dns_failures += count_dns_failures(d);
	p->params.metrics->smtp_failures += count_smtp_failures(d);
	e->body = render(d, seconds, &e->len);
	record(
	    p, e, d, e->body ? result_of(d) : EXPORTER_RESULT_ERROR, seconds);
	probe_domain_free(d);
	if (e->body != NULL)
		answer_all(p, e, e->body, e->len);
	else
		while (e->waiters != NULL) {
			exporter_waiter *w = e->waiters;

			waiter_unlink(p, w);
			answer_empty(w, seconds);
		}
	m = e->generation == p->generation ?
	    exporter_config_find(p->cfg, e->module) :
	    NULL;
	if (e->body == NULL || m == NULL || m->min_interval <= 0 ||
	    p->n_done >= MAX_CACHED) {
		strmap_del(p->entries, e->key);
		entry_free(e);
		return;
	}
	e->expires = ev_now(p->loop) + m->min_interval;
	e->next_done = p->done;
	p->done = e;
	p->n_done++;
}

/* A joined scrape whose own deadline came before the probe's. */
static void
on_waiter_deadline(struct ev_loop *loop, ev_timer *t, int revents)
{
	exporter_waiter *w = t->data;
	exporter_entry *e = w->entry;

	(void)revents;
	waiter_unlink(e->p, w);
	answer_empty(w, ev_now(loop) - w->t0);
}

static void
waiter_add(
    exporter_prober *p, exporter_entry *e, exporter_waiter *w, double deadline)
{
	double now = ev_now(p->loop);

	w->entry = e;
	w->t0 = now;
	w->next = e->waiters;
	w->pprev = &e->waiters;
	if (e->waiters != NULL)
		e->waiters->pprev = &w->next;
	e->waiters = w;
	ev_timer_init(&w->timer, on_waiter_deadline, deadline, 0);
	w->timer.data = w;
	if (now + deadline < e->ends)
		ev_timer_start(p->loop, &w->timer);
}

static exporter_entry *
entry_new(
    exporter_prober *p, const char *key, const char *domain, const char *module)
{
	exporter_entry *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->p = p;
	e->key = strdup(key);
	e->target = strdup(domain);
	e->module = strdup(module);
	if (e->key == NULL || e->target == NULL || e->module == NULL ||
	    strmap_put(p->entries, key, e) != 0) {
		entry_free(e);
		return NULL;
	}
	return e;
}

/* Removes a finished entry from the done list and the map. */
static void
unlink_done(exporter_prober *p, exporter_entry *e)
{
	for (exporter_entry **q = &p->done; *q != NULL; q = &(*q)->next_done)
		if (*q == e) {
			*q = e->next_done;
			p->n_done--;
			break;
		}
	strmap_del(p->entries, e->key);
	entry_free(e);
}

static exporter_start
start_probe(exporter_prober *p, const char *key, const char *domain,
    const exporter_module *m, double deadline, char *err, size_t errlen,
    exporter_entry **out)
{
	size_t i = (size_t)(m - p->cfg->modules);
	engine_slot *s = p->slot_of[i];
	exporter_entry *e;

	if (p->running >= p->params.max_in_flight) {
		snprintf(err, errlen,
		    "%u probes in flight already (--probe.max-in-flight)",
		    p->running);
		return EXPORTER_START_BUSY;
	}
	if ((e = entry_new(p, key, domain, m->name)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return EXPORTER_START_ERROR;
	}
	e->generation = p->generation;
	e->slot = s;
	e->started = ev_now(p->loop);
	e->ends = e->started + deadline;
	if (probe_engine_start_within(
	        s->eng, domain, deadline, on_probe_done, e, err, errlen) != 0) {
		strmap_del(p->entries, key);
		entry_free(e);
		return EXPORTER_START_ERROR;
	}
	e->running = true;
	p->running++;
	p->params.metrics->in_flight = p->running;
	*out = e;
	return EXPORTER_START_WAITING;
}

exporter_start
exporter_prober_request(exporter_prober *p, const char *domain,
    const exporter_module *m, double deadline, exporter_waiter *w,
    exporter_probe_cb done, void *arg, const char **body, size_t *len,
    char *err, size_t errlen)
{
	char key[MAX_MODULE_NAME + 300];
	exporter_entry *e;
	exporter_start rc;

	snprintf(key, sizeof(key), "%s\n%s", m->name, domain);
	memset(w, 0, sizeof(*w));
	w->done = done;
	w->arg = arg;
	e = strmap_get(p->entries, key);
	if (e != NULL && !e->running && ev_now(p->loop) >= e->expires) {
		unlink_done(p, e);
		e = NULL;
	}
	if (e != NULL && !e->running) {
		p->params.metrics->cache_hits++;
		*body = e->body;
		*len = e->len;
		return EXPORTER_START_CACHED;
	}
	if (e != NULL) {
		p->params.metrics->coalesced++;
		waiter_add(p, e, w, deadline);
		return EXPORTER_START_WAITING;
	}
	rc = start_probe(p, key, domain, m, deadline, err, errlen, &e);
	if (rc == EXPORTER_START_WAITING)
		waiter_add(p, e, w, deadline);
	return rc;
}

void
exporter_prober_cancel(exporter_prober *p, exporter_waiter *w)
{
	if (w->entry != NULL)
		waiter_unlink(p, w);
}

static void
flush_cb(const char *key, void *value, void *arg)
{
	exporter_entry *e = value;
	exporter_prober *p = arg;

	(void)key;
	while (e->waiters != NULL) {
		exporter_waiter *w = e->waiters;

		waiter_unlink(p, w);
		answer_empty(w, ev_now(p->loop) - w->t0);
	}
}

void
exporter_prober_flush(exporter_prober *p)
{
	/* The callbacks only hand the answer over: the map stays as it is. */
	strmap_each(p->entries, flush_cb, p);
}

unsigned
exporter_prober_in_flight(const exporter_prober *p)
{
	return p->running;
}

void
exporter_prober_engines(
    const exporter_prober *p, size_t *in_force, size_t *retired)
{
	*in_force = *retired = 0;
	for (const engine_slot *s = p->slots; s != NULL; s = s->next)
		(*(s->retired ? retired : in_force))++;
}

void
exporter_prober_update_metrics(exporter_prober *p)
{
	size_t n = p->sessions_retired;

	for (engine_slot *s = p->slots; s != NULL; s = s->next) {
		probe_engine_stats st;

		probe_engine_get_stats(s->eng, &st);
		n += st.sessions;
	}
	p->params.metrics->smtp_sessions = n;
	p->params.metrics->in_flight = p->running;
}

/* ---- housekeeping ------------------------------------------------------ */

/* Drops finished entries: the expired ones, or all (after a reload). */
static void
drop_done(exporter_prober *p, bool all)
{
	double now = ev_now(p->loop);

	for (exporter_entry **q = &p->done; *q != NULL;) {
		exporter_entry *e = *q;

		if (!all && now < e->expires) {
			q = &e->next_done;
			continue;
		}
		*q = e->next_done;
		p->n_done--;
		strmap_del(p->entries, e->key);
		entry_free(e);
	}
}

static void
on_sweep(struct ev_loop *loop, ev_timer *t, int revents)
{
	exporter_prober *p = t->data;

	(void)loop;
	(void)revents;
	drop_done(p, false);
	for (engine_slot **q = &p->slots; *q != NULL;) {
		engine_slot *s = *q;

		if (s->retired && probe_engine_running(s->eng) == 0) {
			*q = s->next;
			slot_free(p, s);
			continue;
		}
		probe_engine_sweep(s->eng);
		q = &s->next;
	}
}

exporter_prober *
exporter_prober_new(struct ev_loop *loop, const exporter_prober_params *params)
{
	exporter_prober *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->loop = loop;
	p->params = *params;
	if (p->params.max_in_flight == 0)
		p->params.max_in_flight = 1;
	if ((p->entries = strmap_new()) == NULL) {
		free(p);
		return NULL;
	}
	ev_timer_init(&p->sweep, on_sweep, SWEEP_SECONDS, SWEEP_SECONDS);
	p->sweep.data = p;
	ev_timer_start(loop, &p->sweep);
	return p;
}

static void
free_entry_cb(const char *key, void *value, void *arg)
{
	exporter_entry *e = value;
	exporter_prober *p = arg;

	(void)key;
	while (e->waiters != NULL)
		waiter_unlink(p, e->waiters);
	entry_free(e);
}

void
exporter_prober_free(exporter_prober *p)
{
	if (p == NULL)
		return;
	ev_timer_stop(p->loop, &p->sweep);
	/* Engines first: their done callbacks must not run any more. */
	while (p->slots != NULL) {
		engine_slot *n = p->slots->next;

		slot_free(p, p->slots);
		p->slots = n;
	}
	strmap_each(p->entries, free_entry_cb, p);
	strmap_free(p->entries);
	free(p->slot_of);
	free(p);
}
