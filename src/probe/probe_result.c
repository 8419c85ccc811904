/*
 * probe_result.c -- the result tree as data: names, copying, freeing,
 * counting.  Its verdicts are the policy layer's (probe_rollup.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/probe_result.h"

static const char *const kind_names[DOMAIN_KIND_COUNT] = {
	[DOMAIN_MX] = "mx",
	[DOMAIN_IMPLICIT_MX] = "implicit-mx",
	[DOMAIN_NULL_MX] = "null-mx",
	[DOMAIN_LOOKUP_FAILED] = "lookup-failed",
};

const char *
probe_domain_kind_name(probe_domain_kind k)
{
	return (unsigned)k < DOMAIN_KIND_COUNT ? kind_names[k] : "unknown";
}

struct probe_host_shared {
	unsigned refs;
	probe_host h;             /* owns its parts: h.shared is NULL */
	probe_host_shared **weak; /* cleared when freed; NULL: none */
};

void
probe_host_clear(probe_host *h)
{
	if (h->shared != NULL) {
		probe_host_shared_unref(h->shared);
		memset(h, 0, sizeof(*h));
		return;
	}
	free(h->name);
	dns_answer_free(h->a);
	dns_answer_free(h->aaaa);
	for (size_t i = 0; i < 2; i++) {
		dns_answer_free(h->tlsa[i]);
		free(h->tlsa_names[i]);
	}
	free(h->addrs);
	free(h->rollover);
	memset(h, 0, sizeof(*h));
}

static int
dup_answer(dns_answer **dst, const dns_answer *src)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	*dst = dns_answer_dup(src);
	return *dst ? 0 : -1;
}

int
probe_host_copy(probe_host *dst, const probe_host *src)
{
	*dst = *src;
	dst->shared = NULL;
	dst->name = NULL;
	dst->a = dst->aaaa = NULL;
	dst->tlsa[0] = dst->tlsa[1] = NULL;
	dst->tlsa_names[0] = dst->tlsa_names[1] = NULL;
	dst->addrs = NULL;
	dst->rollover = NULL;
	if (src->rollover != NULL) {
		dst->rollover = malloc(sizeof(*dst->rollover));
		if (dst->rollover == NULL)
			goto fail;
		*dst->rollover = *src->rollover;
	}
	if ((dst->name = strdup(src->name)) == NULL ||
	    dup_answer(&dst->a, src->a) != 0 ||
	    dup_answer(&dst->aaaa, src->aaaa) != 0)
		goto fail;
	for (size_t i = 0; i < 2; i++) {
		if (dup_answer(&dst->tlsa[i], src->tlsa[i]) != 0)
			goto fail;
		if (src->tlsa_names[i] != NULL &&
		    (dst->tlsa_names[i] = strdup(src->tlsa_names[i])) == NULL)
			goto fail;
		/* The plan points at the names; re-point it at ours. */
		if (i < dst->plan.n)
			dst->plan.names[i] = dst->tlsa_names[i];
	}
	if (src->n_addrs > 0) {
		dst->addrs = calloc(src->n_addrs, sizeof(*dst->addrs));
		if (dst->addrs == NULL)
			goto fail;
		memcpy(
		    dst->addrs, src->addrs, src->n_addrs * sizeof(*dst->addrs));
	}
	return 0;
fail:
	probe_host_clear(dst);
	return -1;
}

probe_host_shared *
probe_host_share(probe_host *src)
{
	probe_host_shared *s = malloc(sizeof(*s));

	if (s == NULL)
		return NULL;
	s->refs = 1;
	s->weak = NULL;
	s->h = *src;
	memset(src, 0, sizeof(*src));
	return s;
}

void
probe_host_borrow(probe_host *dst, probe_host_shared *s)
{
	*dst = s->h;
	dst->shared = s;
	s->refs++;
}

void
probe_host_shared_unref(probe_host_shared *s)
{
	if (s == NULL || --s->refs > 0)
		return;
	if (s->weak != NULL)
		*s->weak = NULL;
	probe_host_clear(&s->h);
	free(s);
}

void
probe_host_shared_set_weak(probe_host_shared *s, probe_host_shared **slot)
{
	if (s != NULL)
		s->weak = slot;
}

void
probe_domain_free(probe_domain *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n_hosts; i++)
		probe_host_clear(&d->hosts[i]);
	free(d->hosts);
	dns_answer_free(d->mx);
	free(d->domain);
	free(d);
}

void
probe_domain_count(const probe_domain *d, probe_counts *c)
{
	memset(c, 0, sizeof(*c));
	c->hosts = d->n_hosts;
	for (size_t i = 0; i < d->n_hosts; i++) {
		const probe_host *h = &d->hosts[i];

		if (h->policy.level == DANE_LEVEL_FAIL)
			c->failed++;
		for (size_t j = 0; j < h->n_addrs; j++) {
			const probe_address *a = &h->addrs[j];

			if (a->skipped) {
				c->skipped++;
				continue;
			}
			c->addrs++;
			if (a->state == ADDR_STATE_DANE_VERIFIED)
				c->verified++;
			if (a->state == ADDR_STATE_TLS_NO_DANE ||
			    a->state == ADDR_STATE_CLEARTEXT_NO_DANE)
				c->no_dane++;
			if (a->severity == SEVERITY_CRITICAL)
				c->failed++;
			else if (a->severity == SEVERITY_WARNING)
				c->warn++;
		}
	}
}
