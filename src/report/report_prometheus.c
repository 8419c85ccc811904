/*
 * report_prometheus.c -- the result trees as Prometheus text exposition.
 *
 * The format wants every sample of a metric in one group after its HELP
 * and TYPE lines, so the output is driven by a table of metrics, each
 * walked over the trees at its own scope (run, domain, MX host, address).
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "report/report_prometheus.h"

/* ---- text format primitives -------------------------------------------- */

void
report_prometheus_label_value(FILE *out, const char *value)
{
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", out);
		else if (*p == '"')
			fputs("\\\"", out);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(out, "\\\\x%02x", *p);
		else
			fputc(*p, out);
	}
}

/* HELP text escapes only backslash and newline. */
static void
help_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

#define MAX_LABELS 6

typedef struct labels {
	const char *key[MAX_LABELS];
	const char *value[MAX_LABELS];
	size_t n;
} labels;

static void
labels_add(labels *l, const char *key, const char *value)
{
	if (l->n < MAX_LABELS) {
		l->key[l->n] = key;
		l->value[l->n] = value;
		l->n++;
	}
}

/* Integral values (counts, timestamps) print without a fraction. */
static void
put_value(FILE *out, double v)
{
	if (v != v)
		fputs("NaN", out);
	else if (v > 1e15 || v < -1e15)
		fprintf(out, "%.17g", v);
	else if ((double)(int64_t)v == v)
		fprintf(out, "%lld", (long long)v);
	else
		fprintf(out, "%.9g", v);
}

static void
put_sample(FILE *out, const char *name, const labels *l, double v)
{
	fputs(name, out);
	if (l->n > 0) {
		fputc('{', out);
		for (size_t i = 0; i < l->n; i++) {
			fprintf(out, "%s%s=\"", i ? "," : "", l->key[i]);
			report_prometheus_label_value(out, l->value[i]);
			fputc('"', out);
		}
		fputc('}', out);
	}
	fputc(' ', out);
	put_value(out, v);
	fputc('\n', out);
}

/* One series per state, 1 for the current one (a Prometheus "state set").
 * The names and their count come from the module that owns the enum. */
static void
put_states(FILE *out, const char *name, const labels *base, const char *key,
    const char *(*name_of)(size_t), size_t n, size_t current)
{
	for (size_t i = 0; i < n; i++) {
		labels l = *base;

		labels_add(&l, key, name_of(i));
		put_sample(out, name, &l, i == current);
	}
}

/* put_states() walks the states by index: the owners' name functions,
 * taking their enums. */
static const char *
dane_status_state_name(size_t i)
{
	return dane_status_name((dane_status)i);
}

static const char *
dns_security_state_name(size_t i)
{
	return dns_security_name((dns_security)i);
}

static const char *
dane_level_state_name(size_t i)
{
	return dane_level_name((dane_level)i);
}

static const char *
roll_verdict_state_name(size_t i)
{
	return dane_roll_verdict_name((dane_roll_verdict)i);
}

static const char *
addr_state_state_name(size_t i)
{
	return addr_state_name((addr_state)i);
}

/* ---- the metrics -------------------------------------------------------- */

typedef enum scope { SCOPE_RUN, SCOPE_DOMAIN, SCOPE_HOST, SCOPE_ADDR } scope;

/* Where a metric function is called: the node and its identifying labels. */
typedef struct node {
	const report_run *run;
	size_t n_domains;
	const probe_domain *d;
	const probe_host *h;
	const probe_address *a;
	labels base;
} node;

typedef void (*metric_fn)(FILE *out, const char *name, const node *n);

static void
m_build_info(FILE *out, const char *name, const node *n)
{
	labels l = { .n = 0 };

	labels_add(&l, "version", PACKAGE_VERSION);
	put_sample(out, name, &l, 1);
}

static void
m_run_timestamp(FILE *out, const char *name, const node *n)
{
	put_sample(out, name, &n->base, (double)n->run->finished);
}

static void
m_run_duration(FILE *out, const char *name, const node *n)
{
	put_sample(out, name, &n->base, n->run->seconds);
}

static void
m_run_domains(FILE *out, const char *name, const node *n)
{
	put_sample(out, name, &n->base, (double)n->n_domains);
}

static void
m_probe_success(FILE *out, const char *name, const node *n)
{
	put_sample(out, name, &n->base, n->d->severity == SEVERITY_OK);
}

/* 1 when the probe could not look at the domain for a local reason.  No
 * reason label: the tree holds the reason as free text (the summary), and
 * a label made of it would mint a new series per wording. */
static void
m_probe_error(FILE *out, const char *name, const node *n)
{
	put_sample(out, name, &n->base, n->d->probe_error);
}

static void
m_domain_severity(FILE *out, const char *name, const node *n)
{
	put_sample(out, name, &n->base, n->d->severity);
}

static void
m_dane_status(FILE *out, const char *name, const node *n)
{
	/* DANE_STATUS_UNKNOWN (a probe error) is outside the set: all 0. */
	put_states(out, name, &n->base, "status", dane_status_state_name,
	    DANE_STATUS_COUNT, n->d->dane_status);
}

static void
m_domain_info(FILE *out, const char *name, const node *n)
{
	labels l = n->base;

	labels_add(&l, "kind", probe_domain_kind_name(n->d->kind));
	put_sample(out, name, &l, 1);
}

static void
m_mx_hosts(FILE *out, const char *name, const node *n)
{
	put_sample(out, name, &n->base, (double)n->d->n_hosts);
}

static void
m_mx_dnssec(FILE *out, const char *name, const node *n)
{
	/* Out of range when the MX lookup never completed: all zero. */
	size_t cur = n->d->mx ? (size_t)n->d->mx->security : DNS_SECURITY_COUNT;

	put_states(out, name, &n->base, "status", dns_security_state_name,
	    DNS_SECURITY_COUNT, cur);
}

static void
m_addresses(FILE *out, const char *name, const node *n)
{
	probe_counts c;

	probe_domain_count(n->d, &c);
	put_sample(out, name, &n->base, (double)c.addrs);
}

static void
m_addresses_verified(FILE *out, const char *name, const node *n)
{
	probe_counts c;

	probe_domain_count(n->d, &c);
	put_sample(out, name, &n->base, (double)c.verified);
}

static void
m_probe_duration(FILE *out, const char *name, const node *n)
{
	put_sample(out, name, &n->base, n->d->ms_total / 1000.0);
}

static void
m_probe_timestamp(FILE *out, const char *name, const node *n)
{
	put_sample(out, name, &n->base, (double)n->d->started);
}

static void
m_probe_timed_out(FILE *out, const char *name, const node *n)
{
	put_sample(out, name, &n->base, n->d->timed_out);
}

static void
m_mx_preference(FILE *out, const char *name, const node *n)
{
	put_sample(out, name, &n->base, n->h->preference);
}

static void
m_mx_severity(FILE *out, const char *name, const node *n)
{
	put_sample(out, name, &n->base, n->h->severity);
}

static void
m_mx_dane_level(FILE *out, const char *name, const node *n)
{
	put_states(out, name, &n->base, "level", dane_level_state_name,
	    DANE_LEVEL_COUNT, (size_t)n->h->policy.level);
}

static void
m_tlsa_usable(FILE *out, const char *name, const node *n)
{
	put_sample(out, name, &n->base, (double)n->h->policy.n_usable);
}

static void
m_tlsa_unusable(FILE *out, const char *name, const node *n)
{
	put_sample(out, name, &n->base, (double)n->h->policy.n_unusable);
}

static void
m_rollover_status(FILE *out, const char *name, const node *n)
{
	if (n->h->rollover != NULL)
		put_states(out, name, &n->base, "verdict",
		    roll_verdict_state_name, DANE_ROLL_VERDICT_COUNT,
		    (size_t)n->h->rollover->verdict);
}

static void
m_tlsa_stale(FILE *out, const char *name, const node *n)
{
	if (n->h->rollover != NULL)
		put_sample(
		    out, name, &n->base, (double)n->h->rollover->n_stale);
}

static void
m_tlsa_next(FILE *out, const char *name, const node *n)
{
	if (n->h->rollover != NULL)
		put_sample(out, name, &n->base, (double)n->h->rollover->n_next);
}

static void
m_tlsa_ttl(FILE *out, const char *name, const node *n)
{
	if (n->h->rollover != NULL)
		put_sample(out, name, &n->base, (double)n->h->rollover->ttl);
}

static void
m_safe_switch(FILE *out, const char *name, const node *n)
{
	if (n->h->rollover != NULL && n->h->rollover->safe_switch_at != 0)
		put_sample(out, name, &n->base,
		    (double)n->h->rollover->safe_switch_at);
}

static void
m_addr_severity(FILE *out, const char *name, const node *n)
{
	put_sample(out, name, &n->base, n->a->severity);
}

static void
m_addr_state(FILE *out, const char *name, const node *n)
{
	put_states(out, name, &n->base, "state", addr_state_state_name,
	    ADDR_STATE_COUNT, (size_t)n->a->state);
}

static void
m_starttls_offered(FILE *out, const char *name, const node *n)
{
	put_sample(out, name, &n->base, n->a->starttls_offered);
}

static void
m_tls_ok(FILE *out, const char *name, const node *n)
{
	put_sample(out, name, &n->base, n->a->tls_established);
}

static void
m_tls_version(FILE *out, const char *name, const node *n)
{
	labels l = n->base;

	if (!n->a->tls_established)
		return;
	labels_add(&l, "version", n->a->tls.tls_version);
	labels_add(&l, "cipher", n->a->tls.cipher);
	put_sample(out, name, &l, 1);
}

static void
m_tlsa_match(FILE *out, const char *name, const node *n)
{
	put_sample(out, name, &n->base,
	    n->a->tls_established && n->a->tls.authenticated);
}

/* The record that authenticated the address, or NULL. */
static const tlsa_record *
matched_record(const probe_host *h, const probe_address *a)
{
	int ai = h->policy.tlsa_answer_index, ri = a->tls.matched_index;
	const dns_answer *t;

	if (!a->tls_established || !a->tls.authenticated || ai < 0 || ai > 1 ||
	    ri < 0 || (t = h->tlsa[ai]) == NULL || t->tlsa == NULL ||
	    (size_t)ri >= t->count)
		return NULL;
	return &t->tlsa[ri];
}

static void
m_tlsa_match_info(FILE *out, const char *name, const node *n)
{
	const tlsa_record *r = matched_record(n->h, n->a);
	char u[4], s[4], m[4];
	labels l = n->base;

	if (r == NULL)
		return;
	snprintf(u, sizeof(u), "%u", r->usage);
	snprintf(s, sizeof(s), "%u", r->selector);
	snprintf(m, sizeof(m), "%u", r->mtype);
	labels_add(&l, "usage", u);
	labels_add(&l, "selector", s);
	labels_add(&l, "mtype", m);
	put_sample(out, name, &l, 1);
}

static void
m_cert_not_after(FILE *out, const char *name, const node *n)
{
	if (n->a->tls_established && n->a->tls.leaf.present)
		put_sample(
		    out, name, &n->base, (double)n->a->tls.leaf.not_after);
}

static void
m_phase_duration(FILE *out, const char *name, const node *n)
{
	const probe_address *a = n->a;
	const struct {
		const char *phase;
		double ms;
	} phases[] = {
		{ "connect", a->ms_connect },
		{ "banner", a->ms_banner },
		{ "ehlo", a->ms_ehlo },
		{ "starttls", a->ms_starttls },
		{ "tls", a->ms_tls },
		{ "total", a->ms_total },
	};

	/* Not started: no session, so no phase was timed at all. */
	if (a->state == ADDR_STATE_NOT_PROBED)
		return;
	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		labels l = n->base;

		if (phases[i].ms < 0)
			continue; /* phase not reached */
		labels_add(&l, "phase", phases[i].phase);
		put_sample(out, name, &l, phases[i].ms / 1000.0);
	}
}

typedef struct metric {
	const char *name;
	scope scope;
	metric_fn fn;
	const char *help;
} metric;

/* The documented metric list (daneprobe(1)); keep the two in step. */
static const metric metrics[] = {
	{ "daneprobe_build_info", SCOPE_RUN, m_build_info,
	    "daneprobe version that wrote this file (always 1)." },
	{ "daneprobe_last_run_timestamp_seconds", SCOPE_RUN, m_run_timestamp,
	    "When the last run of daneprobe check finished (Unix time)." },
	{ "daneprobe_run_duration_seconds", SCOPE_RUN, m_run_duration,
	    "How long the last run took, all domains together." },
	{ "daneprobe_run_domains", SCOPE_RUN, m_run_domains,
	    "Number of domains probed by the last run." },
	{ "daneprobe_probe_success", SCOPE_DOMAIN, m_probe_success,
	    "1 when the domain's verdict is OK, else 0." },
	{ "daneprobe_probe_error", SCOPE_DOMAIN, m_probe_error,
	    "1 when daneprobe could not check the domain for a local reason "
	    "(no DNS server answered, for example); the domain's DANE status "
	    "series are then all 0." },
	{ "daneprobe_domain_severity", SCOPE_DOMAIN, m_domain_severity,
	    "Domain verdict: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN." },
	{ "daneprobe_dane_status", SCOPE_DOMAIN, m_dane_status,
	    "DANE status of the domain, one series per status (1 = current; "
	    "all 0 on a probe error)." },
	{ "daneprobe_domain_info", SCOPE_DOMAIN, m_domain_info,
	    "How the domain's mail hosts were found (kind label); always 1." },
	{ "daneprobe_mx_hosts", SCOPE_DOMAIN, m_mx_hosts,
	    "Number of MX hosts probed (1 for an implicit MX, 0 for null MX)." },
	{ "daneprobe_mx_dnssec_status", SCOPE_DOMAIN, m_mx_dnssec,
	    "DNSSEC status of the MX lookup, one series per status "
	    "(all 0 when it did not complete)." },
	{ "daneprobe_mx_addresses", SCOPE_DOMAIN, m_addresses,
	    "Number of MX host addresses probed." },
	{ "daneprobe_mx_addresses_dane_verified", SCOPE_DOMAIN,
	    m_addresses_verified,
	    "Number of MX host addresses that authenticated with DANE." },
	{ "daneprobe_probe_duration_seconds", SCOPE_DOMAIN, m_probe_duration,
	    "How long probing the domain took." },
	{ "daneprobe_probe_timestamp_seconds", SCOPE_DOMAIN, m_probe_timestamp,
	    "When probing the domain started (Unix time)." },
	{ "daneprobe_probe_timed_out", SCOPE_DOMAIN, m_probe_timed_out,
	    "1 when the overall time limit cut the domain's probe short." },
	{ "daneprobe_mx_preference", SCOPE_HOST, m_mx_preference,
	    "MX preference of the host." },
	{ "daneprobe_mx_severity", SCOPE_HOST, m_mx_severity,
	    "MX host verdict: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN." },
	{ "daneprobe_mx_dane_level", SCOPE_HOST, m_mx_dane_level,
	    "RFC 7672 policy for the host from its DNS lookups, one series per "
	    "level (1 = current)." },
	{ "daneprobe_tlsa_usable_records", SCOPE_HOST, m_tlsa_usable,
	    "TLSA records usable for SMTP (DANE-TA/DANE-EE) in the host's "
	    "secure TLSA RRset." },
	{ "daneprobe_tlsa_unusable_records", SCOPE_HOST, m_tlsa_unusable,
	    "TLSA records unusable for SMTP (PKIX usages, unknown parameters)." },
	{ "daneprobe_tlsa_rollover_status", SCOPE_HOST, m_rollover_status,
	    "Will the TLSA RRset survive the next key rollover, one series per "
	    "verdict (1 = current); only for hosts with a secure TLSA RRset "
	    "whose server presented a certificate." },
	{ "daneprobe_tlsa_stale_records", SCOPE_HOST, m_tlsa_stale,
	    "Usable TLSA records that match no certificate the server presented "
	    "(stale: remove them once the TTL has passed)." },
	{ "daneprobe_tlsa_next_key_records", SCOPE_HOST, m_tlsa_next,
	    "DANE-EE SPKI records that match no presented key: candidates for "
	    "the next key." },
	{ "daneprobe_tlsa_ttl_seconds", SCOPE_HOST, m_tlsa_ttl,
	    "TTL of the TLSA RRset as the resolver returned it." },
	{ "daneprobe_tlsa_safe_switch_timestamp_seconds", SCOPE_HOST,
	    m_safe_switch,
	    "When a published next key may be deployed: now plus the TLSA TTL "
	    "(Unix time); only when a next-key record is published." },
	{ "daneprobe_address_severity", SCOPE_ADDR, m_addr_severity,
	    "Address verdict: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN." },
	{ "daneprobe_address_state", SCOPE_ADDR, m_addr_state,
	    "Outcome of the address's probe, one series per state "
	    "(1 = current)." },
	{ "daneprobe_starttls_offered", SCOPE_ADDR, m_starttls_offered,
	    "1 when the server offered STARTTLS in its EHLO reply." },
	{ "daneprobe_tls_handshake_ok", SCOPE_ADDR, m_tls_ok,
	    "1 when the TLS handshake completed." },
	{ "daneprobe_tls_version_info", SCOPE_ADDR, m_tls_version,
	    "Negotiated TLS version and cipher (present only after a TLS "
	    "handshake); always 1." },
	{ "daneprobe_tlsa_match", SCOPE_ADDR, m_tlsa_match,
	    "1 when the server's certificate chain matched a usable TLSA record "
	    "and DANE authentication succeeded." },
	{ "daneprobe_tlsa_match_info", SCOPE_ADDR, m_tlsa_match_info,
	    "Usage, selector and matching type of the TLSA record that matched "
	    "(present only on a match); always 1." },
	{ "daneprobe_cert_not_after_timestamp_seconds", SCOPE_ADDR,
	    m_cert_not_after,
	    "Expiry of the server's leaf certificate (Unix time; present only "
	    "after a TLS handshake)." },
	{ "daneprobe_phase_duration_seconds", SCOPE_ADDR, m_phase_duration,
	    "Time spent in each SMTP phase reached (connect, banner, ehlo, "
	    "starttls, tls) and in total." },
};

/* ---- walking the trees -------------------------------------------------- */

static bool
domain_repeated(const probe_domain *const *ds, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (ds[j] && strcasecmp(ds[j]->domain, ds[i]->domain) == 0)
			return true;
	return false;
}

static bool
host_repeated(const probe_domain *d, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcasecmp(d->hosts[j].name, d->hosts[i].name) == 0)
			return true;
	return false;
}

static bool
addr_repeated(const probe_host *h, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(h->addrs[j].addr.text, h->addrs[i].addr.text) == 0)
			return true;
	return false;
}

static void
walk_host(FILE *out, const metric *m, node *n)
{
	const probe_host *h = n->h;

	n->base.n = 1;
	labels_add(&n->base, "mx", h->name);
	if (m->scope == SCOPE_HOST) {
		m->fn(out, m->name, n);
		return;
	}
	for (size_t k = 0; k < h->n_addrs; k++) {
		if (addr_repeated(h, k))
			continue;
		n->a = &h->addrs[k];
		n->base.n = 2;
		labels_add(&n->base, "address", n->a->addr.text);
		m->fn(out, m->name, n);
	}
}

static void
walk_metric(FILE *out, const metric *m, node *n, const probe_domain *const *ds,
    size_t nd)
{
	if (m->scope == SCOPE_RUN) {
		n->base.n = 0;
		m->fn(out, m->name, n);
		return;
	}
	for (size_t i = 0; i < nd; i++) {
		if (ds[i] == NULL || domain_repeated(ds, i))
			continue;
		n->d = ds[i];
		n->base.n = 0;
		labels_add(&n->base, "domain", n->d->domain);
		if (m->scope == SCOPE_DOMAIN) {
			m->fn(out, m->name, n);
			continue;
		}
		for (size_t j = 0; j < n->d->n_hosts; j++) {
			if (host_repeated(n->d, j))
				continue;
			n->h = &n->d->hosts[j];
			walk_host(out, m, n);
		}
	}
}

void
report_prometheus(FILE *out, const probe_domain *const *domains, size_t n,
    const report_run *run)
{
	node nd = { .run = run };

	for (size_t i = 0; i < n; i++)
		if (domains[i] != NULL && !domain_repeated(domains, i))
			nd.n_domains++;
	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
		const metric *m = &metrics[i];

		fprintf(out, "# HELP %s ", m->name);
		help_text(out, m->help);
		fprintf(out, "\n# TYPE %s gauge\n", m->name);
		walk_metric(out, m, &nd, domains, n);
	}
}
