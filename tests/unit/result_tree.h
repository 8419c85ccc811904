/*
 * result_tree.h -- hand-built result trees for the formatter tests (no
 * probing): a domain, its hosts with one TLSA record, addresses that went
 * through TLS.  Everything is freed by probe_domain_free().
 */
#ifndef DANEPROBE_TEST_RESULT_TREE_H
#define DANEPROBE_TEST_RESULT_TREE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/probe_result.h"
#include "probe/probe_rollup.h"

static inline dns_answer *
rt_answer(const char *qname, uint16_t qtype, dns_security sec)
{
	dns_answer *a = calloc(1, sizeof(*a));

	cr_assert_not_null(a);
	a->qname = strdup(qname);
	a->canonical_name = strdup(qname);
	a->qtype = qtype;
	a->status = DNS_STATUS_OK;
	a->security = sec;
	return a;
}

static inline probe_domain *
rt_domain(const char *name, probe_domain_kind kind, dane_mx_status mx,
    size_t n_hosts)
{
	probe_domain *d = calloc(1, sizeof(*d));

	cr_assert_not_null(d);
	d->domain = strdup(name);
	d->kind = kind;
	d->mx_status = mx;
	d->mx = rt_answer(name, DNS_TYPE_MX, mx == DANE_MX_SECURE ||
	    mx == DANE_MX_IMPLICIT_SECURE ? DNS_SECURITY_SECURE
	    : DNS_SECURITY_INSECURE);
	d->n_hosts = n_hosts;
	d->hosts = n_hosts ? calloc(n_hosts, sizeof(*d->hosts)) : NULL;
	d->started = 1700000000;
	d->ms_total = 1500;
	return d;
}

/* The domain a local failure left: no MX answer, no hosts. */
static inline probe_domain *
rt_probe_error(const char *name, const char *why)
{
	probe_domain *d = calloc(1, sizeof(*d));

	cr_assert_not_null(d);
	d->domain = strdup(name);
	d->kind = DOMAIN_LOOKUP_FAILED;
	d->probe_error = true;
	d->severity = SEVERITY_UNKNOWN;
	snprintf(d->summary, sizeof(d->summary), "%s: %s", name, why);
	d->started = 1700000000;
	return d;
}

/* p.example, which this host could not check (no DNS server answered);
 * finished. */
static inline probe_domain *
rt_no_dns_domain(void)
{
	probe_domain *d = rt_probe_error("p.example", "no DNS server answered");

	probe_domain_finish(d);
	return d;
}

/* A host with one DANE-EE 3 1 1 record (when level needs one). */
static inline probe_host *
rt_host(probe_domain *d, size_t i, const char *name, dane_level level,
    size_t n_addrs)
{
	probe_host *h = &d->hosts[i];

	h->name = strdup(name);
	h->preference = (uint16_t)(10 * (i + 1));
	h->policy.level = level;
	h->policy.tlsa_answer_index = -1;
	snprintf(h->policy.reason, sizeof(h->policy.reason), "policy of %s",
	    name);
	if (level == DANE_LEVEL_REQUIRED || level == DANE_LEVEL_ENCRYPT_ONLY) {
		dns_answer *t = rt_answer("_25._tcp.x", DNS_TYPE_TLSA,
		    DNS_SECURITY_SECURE);

		t->count = 1;
		t->tlsa = calloc(1, sizeof(*t->tlsa));
		t->tlsa[0].usage = level == DANE_LEVEL_REQUIRED ? 3 : 1;
		t->tlsa[0].selector = 1;
		t->tlsa[0].mtype = 1;
		h->tlsa[0] = t;
		h->policy.tlsa_answer_index = 0;
		h->policy.n_usable = level == DANE_LEVEL_REQUIRED;
		h->policy.n_unusable = level != DANE_LEVEL_REQUIRED;
	}
	h->n_addrs = n_addrs;
	h->addrs = calloc(n_addrs ? n_addrs : 1, sizeof(*h->addrs));
	return h;
}

/* An address that went all the way through TLS; severity from state. */
static inline probe_address *
rt_addr(probe_host *h, size_t i, const char *text, addr_state state)
{
	probe_address *a = &h->addrs[i];
	bool ok = state == ADDR_STATE_DANE_VERIFIED;

	snprintf(a->addr.text, sizeof(a->addr.text), "%s", text);
	a->port = 25;
	a->state = state;
	a->severity = ok ? SEVERITY_OK : state == ADDR_STATE_TLS_NO_DANE ||
	    state == ADDR_STATE_ENCRYPTED_UNAUTHENTICATED ? SEVERITY_WARNING
	    : SEVERITY_CRITICAL;
	snprintf(a->reason, sizeof(a->reason), "%s", ok ?
	    "DANE authenticated (DANE-EE 3 1 1 matched)" : "not verified");
	a->starttls_offered = true;
	a->tls_established = true;
	a->tls.authenticated = ok;
	a->tls.matched_index = ok ? 0 : -1;
	a->tls.matched_depth = ok ? 0 : -1;
	snprintf(a->tls.tls_version, sizeof(a->tls.tls_version), "TLSv1.3");
	snprintf(a->tls.cipher, sizeof(a->tls.cipher), "TLS_AES_256_GCM_SHA384");
	a->tls.leaf.present = true;
	a->tls.leaf.not_after = 1827426236;
	a->leaf_days_left = 300;
	a->ms_connect = 1.5;
	a->ms_banner = 250;
	a->ms_ehlo = 0.25;
	a->ms_starttls = 0.5;
	a->ms_tls = 3.75;
	a->ms_total = 256;
	a->complete = true;
	return a;
}

/* Output of a formatter into a string (caller frees). */
#define RT_CAPTURE(buf, stmt) do { \
	size_t rt_len_ = 0; \
	FILE *out = open_memstream(&(buf), &rt_len_); \
	cr_assert_not_null(out); \
	stmt; \
	fclose(out); \
} while (0)

/* example.org: mx1 (DANE-EE, verified) and mx2 (DANE-EE, 192.0.2.2 not
 * matched, 2001:db8::2 verified); severities and DANE statuses set, not
 * finished. */
static inline probe_domain *
rt_mixed_domain(void)
{
	probe_domain *d = rt_domain("example.org", DOMAIN_MX, DANE_MX_SECURE,
	    2);
	probe_host *h1 = rt_host(d, 0, "mx1.example.org", DANE_LEVEL_REQUIRED,
	    1);
	probe_host *h2 = rt_host(d, 1, "mx2.example.org", DANE_LEVEL_REQUIRED,
	    2);

	rt_addr(h1, 0, "192.0.2.1", ADDR_STATE_DANE_VERIFIED);
	rt_addr(h2, 0, "192.0.2.2", ADDR_STATE_UNTRUSTED);
	rt_addr(h2, 1, "2001:db8::2", ADDR_STATE_DANE_VERIFIED);
	h1->severity = SEVERITY_OK;
	h2->severity = SEVERITY_CRITICAL;
	d->severity = SEVERITY_CRITICAL;
	h1->dane_status = DANE_STATUS_VERIFIED;
	h2->dane_status = DANE_STATUS_FAILED;
	d->dane_status = DANE_STATUS_FAILED;
	return d;
}

/* i.example: an insecure MX RRset naming a host whose TLSA records are
 * signed and match; finished. */
static inline probe_domain *
rt_insecure_mx_domain(void)
{
	probe_domain *d = rt_domain("i.example", DOMAIN_MX, DANE_MX_INSECURE, 1);
	probe_host *h = rt_host(d, 0, "mx.signed.example", DANE_LEVEL_REQUIRED,
	    1);

	rt_addr(h, 0, "192.0.2.1", ADDR_STATE_DANE_VERIFIED);
	probe_domain_finish(d);
	return d;
}

#endif
