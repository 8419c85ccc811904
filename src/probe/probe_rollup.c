/*
 * probe_rollup.c -- feeds the result tree to the policy layer's roll-up
 * and stores its verdicts in the tree.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "probe/probe_rollup.h"

/* The verdicts are copied whole: the tree's buffers are the policy's. */
_Static_assert(sizeof(((probe_host *)0)->reason) ==
        sizeof(((dane_host_verdict *)0)->reason),
    "host reason size");
_Static_assert(sizeof(((probe_domain *)0)->summary) ==
        sizeof(((dane_domain_verdict *)0)->summary),
    "summary size");
_Static_assert(sizeof(((probe_domain *)0)->mx_reason) ==
        sizeof(((dane_domain_verdict *)0)->mx_reason),
    "mx reason size");

static void
host_facts(const probe_host *h, dane_host_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->name = h->name;
	f->level = h->policy.level;
	f->policy_reason = h->policy.reason;
	f->has_rollover = h->rollover != NULL;
	f->rollover =
	    h->rollover != NULL ? h->rollover->verdict : DANE_ROLL_NO_CHAIN;
	f->rollover_reason = h->rollover != NULL ? h->rollover->reason : "";
	for (size_t i = 0; i < h->n_addrs; i++) {
		const probe_address *pa = &h->addrs[i];
		dane_rollup_addr a = {
			.state = pa->state,
			.severity = pa->severity,
			.text = pa->addr.text,
			.reason = pa->reason,
			.skipped = pa->skipped,
			.capped = pa->capped,
		};

		dane_host_tally_add(&f->addrs, &a);
	}
}

/* A lookup of the domain that the prober's own DNS outage cut off. */
static const dns_answer *
local_failure_of(const probe_domain *d)
{
	if (d->mx != NULL && d->mx->local_failure)
		return d->mx;
	for (size_t i = 0; i < d->n_hosts; i++) {
		const probe_host *h = &d->hosts[i];
		const dns_answer *as[] = { h->a, h->aaaa, h->tlsa[0],
			h->tlsa[1] };

		for (size_t k = 0; k < sizeof(as) / sizeof(as[0]); k++)
			if (as[k] != NULL && as[k]->local_failure)
				return as[k];
	}
	return NULL;
}

/* Everything but the hosts' tally, which needs their verdicts. */
static void
domain_facts(const probe_domain *d, dane_domain_facts *f)
{
	probe_counts c;

	memset(f, 0, sizeof(*f));
	probe_domain_count(d, &c);
	f->domain = d->domain;
	f->probe_error = d->probe_error;
	f->lookup_failed = d->kind == DOMAIN_LOOKUP_FAILED;
	f->null_mx = d->kind == DOMAIN_NULL_MX;
	f->timed_out = d->timed_out;
	f->mx_status = d->mx_status;
	f->severity = d->severity;
	f->summary = d->summary;
	f->addrs = c.addrs;
	f->verified = c.verified;
	f->skipped = c.skipped;
	f->local_failure = local_failure_of(d);
}

static void
tally_hosts(const probe_domain *d, dane_domain_facts *f)
{
	for (size_t i = 0; i < d->n_hosts; i++) {
		const probe_host *h = &d->hosts[i];
		dane_host_facts hf;

		host_facts(h, &hf);
		dane_domain_tally_add(
		    &f->hosts, d->mx_status, &hf, h->severity, h->reason);
	}
}

static void
finish_host(probe_host *h, bool rollover_warning)
{
	dane_host_facts f;
	dane_host_verdict v;

	host_facts(h, &f);
	dane_rollup_host(&f, rollover_warning, &v);
	h->severity = v.severity;
	h->bad_name = v.bad_name;
	memcpy(h->reason, v.reason, sizeof(h->reason));
}

/* Every host's status, judged or not (a probe error keeps its hosts). */
static void
store_host_status(probe_domain *d)
{
	for (size_t i = 0; i < d->n_hosts; i++) {
		probe_host *h = &d->hosts[i];
		dane_host_facts f;

		host_facts(h, &f);
		h->dane_status = dane_rollup_host_status(&f);
	}
}

void
probe_domain_finish(probe_domain *d)
{
	dane_domain_facts f;
	dane_domain_verdict v;

	domain_facts(d, &f);
	if (dane_rollup_judges_hosts(&f))
		for (size_t i = 0; i < d->n_hosts; i++)
			finish_host(&d->hosts[i], !d->no_rollover_warning);
	tally_hosts(d, &f);
	dane_rollup_domain(&f, &v);
	d->severity = v.severity;
	d->probe_error = v.probe_error;
	d->mx_severity = v.mx_severity;
	memcpy(d->summary, v.summary, sizeof(d->summary));
	memcpy(d->mx_reason, v.mx_reason, sizeof(d->mx_reason));
	/* The status is that of the finished domain: the facts as the
	 * verdict left them (the tally already holds the hosts' verdicts). */
	f.probe_error = d->probe_error;
	f.severity = d->severity;
	f.summary = d->summary;
	d->dane_status = dane_rollup_domain_status(&f);
	store_host_status(d);
}
