/*
 * probe_result.c -- the result tree: names, freeing, the roll-up of
 * address verdicts into host and domain verdicts, and the one-word DANE
 * status every report shows.
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

void
probe_host_clear(probe_host *h)
{
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
		memcpy(dst->addrs, src->addrs, src->n_addrs *
		    sizeof(*dst->addrs));
	}
	return 0;
fail:
	probe_host_clear(dst);
	return -1;
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

/* Every address was left out (no route for its family here): the host
 * was not looked at, which is neither a pass nor a failure. */
static const probe_address *
all_skipped(const probe_host *h)
{
	for (size_t i = 0; i < h->n_addrs; i++)
		if (!h->addrs[i].skipped)
			return NULL;
	return h->n_addrs > 0 ? &h->addrs[0] : NULL;
}

/* A host's verdict: its DNS policy failure, or the worst of its addresses
 * (skipped ones are OK and never the worst). */
static void
finish_host(probe_host *h, bool rollover_warning)
{
	const probe_address *worst = NULL;

	h->bad_name = !dane_policy_valid_mx_name(h->name);
	if (h->bad_name) {
		h->severity = SEVERITY_CRITICAL;
		snprintf(h->reason, sizeof(h->reason), "not a valid host name "
		    "(RFC 5321 2.3.5): sending MTAs such as Postfix refuse this "
		    "MX record as malformed and never deliver through it; fix: "
		    "name a host of letters, digits and '-'");
		return;
	}

	if (h->policy.level == DANE_LEVEL_FAIL) {
		h->severity = SEVERITY_CRITICAL;
		snprintf(h->reason, sizeof(h->reason), "%s", h->policy.reason);
		return;
	}
	if (h->n_addrs == 0) {
		h->severity = SEVERITY_CRITICAL;
		snprintf(h->reason, sizeof(h->reason), "no address was probed");
		return;
	}
	if ((worst = all_skipped(h)) != NULL) {
		h->severity = SEVERITY_UNKNOWN;
		snprintf(h->reason, sizeof(h->reason), "%s", worst->reason);
		return;
	}
	for (size_t i = 0; i < h->n_addrs; i++) {
		const probe_address *a = &h->addrs[i];

		if (worst == NULL ||
		    probe_severity_worst(worst->severity, a->severity) !=
		    worst->severity)
			worst = a;
	}
	h->severity = worst->severity;
	if (worst->severity == SEVERITY_OK)
		snprintf(h->reason, sizeof(h->reason), "%s", h->policy.reason);
	else
		snprintf(h->reason, sizeof(h->reason), "[%s]: %s",
		    worst->addr.text, worst->reason);
	/* Working today but certain to break at the next renewal (x 0 x
	 * records only): the operator must hear it before it happens --
	 * unless told the certificate is long-lived on purpose. */
	if (rollover_warning && h->severity == SEVERITY_OK &&
	    h->rollover != NULL &&
	    h->rollover->verdict == DANE_ROLL_BREAKS_AT_RENEWAL) {
		h->severity = SEVERITY_WARNING;
		snprintf(h->reason, sizeof(h->reason), "TLSA RRset breaks at "
		    "the next certificate renewal: %s", h->rollover->reason);
	}
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

/* The hosts that count: all but those with every address skipped. */
static bool
host_counts(const probe_host *h)
{
	return all_skipped(h) == NULL;
}

/* Nothing was left to probe: UNKNOWN, a fact about this host, never OK. */
static void
summarize_unprobed(probe_domain *d)
{
	const char *why = all_skipped(&d->hosts[0])->reason;
	const char *prefix = "not probed: ";

	if (strncmp(why, prefix, strlen(prefix)) == 0)
		why += strlen(prefix);
	d->severity = SEVERITY_UNKNOWN;
	d->probe_error = true;
	snprintf(d->summary, sizeof(d->summary), "%s: no MX address could be "
	    "probed from here: %s", d->domain, why);
}

static void
summarize(probe_domain *d)
{
	const probe_host *worst = NULL;
	probe_counts c;
	size_t len;

	probe_domain_count(d, &c);
	for (size_t i = 0; i < d->n_hosts; i++) {
		if (!host_counts(&d->hosts[i]))
			continue;
		if (worst == NULL ||
		    probe_severity_worst(worst->severity, d->hosts[i].severity) !=
		    worst->severity)
			worst = &d->hosts[i];
	}
	if (worst == NULL && d->n_hosts > 0) {
		summarize_unprobed(d);
		return;
	}
	if (worst == NULL) {
		snprintf(d->summary, sizeof(d->summary), "%s: no MX host to probe",
		    d->domain);
		d->severity = SEVERITY_CRITICAL;
		return;
	}
	d->severity = worst->severity;
	if (d->severity == SEVERITY_OK)
		snprintf(d->summary, sizeof(d->summary),
		    "%s: %zu/%zu MX address(es) DANE-verified on %zu host(s)",
		    d->domain, c.verified, c.addrs, c.hosts);
	else
		snprintf(d->summary, sizeof(d->summary),
		    "%s: %s%s%s (%zu/%zu address(es) DANE-verified)", d->domain,
		    worst->name, worst->reason[0] == '[' ? "" : ": ",
		    worst->reason, c.verified, c.addrs);
	len = strlen(d->summary);
	if (c.skipped > 0)
		snprintf(d->summary + len, sizeof(d->summary) - len,
		    "; %zu address(es) not probed (no route for their family "
		    "on this host)", c.skipped);
}

/* Hosts whose TLSA records an insecure MX RRset makes worthless. */
static size_t
hosts_voided_by_mx(const probe_domain *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_hosts; i++)
		if (dane_policy_mx_voids_dane(d->mx_status,
		    d->hosts[i].policy.level))
			n++;
	return n;
}

/*
 * RFC 7672 2.2.1: TLSA records of hosts named by an unsigned MX RRset
 * authenticate whatever host the (forgeable) MX RRset names.  The match
 * stays visible per address; the domain becomes a WARNING naming the
 * RRset and the fix.
 */
static void
judge_mx(probe_domain *d)
{
	size_t voided = hosts_voided_by_mx(d), len;
	bool implicit = d->mx_status == DANE_MX_IMPLICIT_INSECURE;

	d->mx_severity = SEVERITY_OK;
	d->mx_reason[0] = '\0';
	if (voided == 0)
		return;
	d->mx_severity = SEVERITY_WARNING;
	snprintf(d->mx_reason, sizeof(d->mx_reason), "%s %s is not "
	    "DNSSEC-signed (insecure): a forged MX RRset sends mail to a host "
	    "without TLSA records, so the TLSA records of %zu MX host(s) "
	    "protect nothing (RFC 7672 2.2.1; Postfix: \"Trusted\", not "
	    "\"Verified\"); fix: sign the zone of %s with DNSSEC and have its "
	    "parent publish the DS record", implicit ? "the denial of the MX "
	    "RRset of" : "the MX RRset of", d->domain, voided, d->domain);
	if (d->severity == SEVERITY_OK) {
		probe_counts c;

		probe_domain_count(d, &c);
		d->severity = SEVERITY_WARNING;
		snprintf(d->summary, sizeof(d->summary), "%s: MX RRset is not "
		    "DNSSEC-signed, a forged MX bypasses DANE (%zu/%zu MX "
		    "address(es) match their TLSA records): sign the zone and "
		    "publish DS in its parent", d->domain, c.verified, c.addrs);
		return;
	}
	d->severity = probe_severity_worst(d->severity, SEVERITY_WARNING);
	len = strlen(d->summary);
	snprintf(d->summary + len, sizeof(d->summary) - len,
	    "; MX RRset not DNSSEC-signed");
}

void
probe_domain_finish(probe_domain *d)
{
	d->mx_severity = SEVERITY_OK;
	d->mx_reason[0] = '\0';
	if (d->probe_error) {
		/* Our fault, not the domain's: no verdict about it at all. */
		d->severity = SEVERITY_UNKNOWN;
		return;
	}
	if (d->kind == DOMAIN_LOOKUP_FAILED)
		return; /* the engine already said why */
	if (d->kind == DOMAIN_NULL_MX) {
		d->severity = SEVERITY_OK;
		snprintf(d->summary, sizeof(d->summary),
		    "%s: null MX (RFC 7505): the domain accepts no mail%s",
		    d->domain, d->mx_status == DANE_MX_INSECURE ?
		    " (MX RRset not DNSSEC-signed)" : "");
		return;
	}
	for (size_t i = 0; i < d->n_hosts; i++)
		finish_host(&d->hosts[i], !d->no_rollover_warning);
	summarize(d);
	judge_mx(d);
	if (d->timed_out) {
		size_t len = strlen(d->summary);

		d->severity = probe_severity_worst(d->severity,
		    SEVERITY_CRITICAL);
		snprintf(d->summary + len, sizeof(d->summary) - len,
		    " [overall timeout reached]");
	}
}

/* ---- DANE status -------------------------------------------------------- */

/* The TLSA records matched: SMTP may have failed later, DANE did not. */
static bool
address_matched(const probe_address *a)
{
	return a->state == ADDR_STATE_DANE_VERIFIED ||
	    a->state == ADDR_STATE_MATCHED_BUT_SMTP_FAILED;
}

dane_status
dane_status_host(const probe_host *h)
{
	switch (h->policy.level) {
	case DANE_LEVEL_REQUIRED: {
		size_t probed = 0;

		if (h->n_addrs == 0)
			return DANE_STATUS_FAILED;
		for (size_t i = 0; i < h->n_addrs; i++) {
			/* Unreachable from here, or beyond --max-addresses. */
			if (h->addrs[i].skipped || h->addrs[i].capped)
				continue;
			probed++;
			if (!address_matched(&h->addrs[i]))
				return DANE_STATUS_FAILED;
		}
		if (probed > 0)
			return DANE_STATUS_VERIFIED;
		/* None reachable from here: nothing was authenticated (the
		 * domain leaves such a host out, host_counts()). */
		return all_skipped(h) != NULL ? DANE_STATUS_FAILED :
		    DANE_STATUS_UNKNOWN;
	}
	case DANE_LEVEL_ENCRYPT_ONLY:
		return DANE_STATUS_ENCRYPT_ONLY;
	case DANE_LEVEL_NONE:
		return DANE_STATUS_NONE;
	case DANE_LEVEL_FAIL:
	default:
		return DANE_STATUS_FAILED;
	}
}

dane_status
dane_status_domain(const probe_domain *d)
{
	size_t verified = 0, encrypt_only = 0, unknown = 0, counted = 0;

	if (d->probe_error)
		return DANE_STATUS_UNKNOWN;
	if (d->kind == DOMAIN_NULL_MX)
		return DANE_STATUS_NULL_MX;
	if (d->kind == DOMAIN_LOOKUP_FAILED || d->n_hosts == 0)
		return DANE_STATUS_FAILED;
	for (size_t i = 0; i < d->n_hosts; i++) {
		/* A host unreachable from here is left out, as a sender
		 * without that address family leaves it out. */
		if (!host_counts(&d->hosts[i]))
			continue;
		counted++;
		switch (dane_status_host(&d->hosts[i])) {
		case DANE_STATUS_FAILED:
			return DANE_STATUS_FAILED;
		case DANE_STATUS_VERIFIED:
			verified++;
			break;
		case DANE_STATUS_ENCRYPT_ONLY:
			encrypt_only++;
			break;
		case DANE_STATUS_UNKNOWN:
			unknown++; /* every address beyond the budget */
			break;
		default:
			break;
		}
	}
	if (counted == 0)
		return DANE_STATUS_FAILED;
	if (verified > 0 && hosts_voided_by_mx(d) > 0)
		return DANE_STATUS_INSECURE_MX;
	if (verified > 0 && verified + unknown == counted)
		return DANE_STATUS_VERIFIED;
	if (verified > 0)
		return DANE_STATUS_PARTIAL;
	return encrypt_only > 0 ? DANE_STATUS_ENCRYPT_ONLY : DANE_STATUS_NONE;
}
