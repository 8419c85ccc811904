/*
 * probe_rollup.h -- the result tree handed to the policy layer's
 * roll-up (policy/dane_rollup.h): walks the tree, collects the facts the
 * policy needs and writes its verdicts back.  No decision is taken here.
 */
#ifndef DANEPROBE_PROBE_ROLLUP_H
#define DANEPROBE_PROBE_ROLLUP_H

#include "policy/dane_rollup.h"
#include "probe/probe_result.h"

/* Computes host and domain severities, reasons and the summary from the
 * leaves (address verdicts, host policies, MX result), by
 * dane_rollup_host() and dane_rollup_domain().  Options such as
 * --require-dane are already in the address verdicts
 * (dane_verdict_address()); the roll-up takes the worst, and adds the
 * one domain-level judgement: TLSA records reached through an insecure MX
 * RRset make the domain at least WARNING (dane_policy_mx_voids_dane()).
 * A probe_error domain is left as the engine made it, severity UNKNOWN;
 * a lookup that the prober's own DNS outage cut off (dns_answer.
 * local_failure) makes the domain a probe error (dane_rollup_domain()). */
void probe_domain_finish(probe_domain *d);

/* probe_domain_finish() also stores the one-word DANE status of every
 * host and of the domain (dane_rollup_host_status(),
 * dane_rollup_domain_status(): see there) in the tree; these read it. */
static inline dane_status
dane_status_host(const probe_host *h)
{
	return h->dane_status;
}

static inline dane_status
dane_status_domain(const probe_domain *d)
{
	return d->dane_status;
}

#endif
