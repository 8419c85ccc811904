/*
 * dane_rollup.c -- address verdicts rolled up into host and domain
 * verdicts, and the one-word DANE status (RFC 7672 2.2.1 for the MX
 * RRset).  Pure: the probe layer supplies the facts.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "policy/dane_rollup.h"

/* The TLSA records matched: SMTP may have failed later, DANE did not. */
static bool
address_matched(addr_state s)
{
	return s == ADDR_STATE_DANE_VERIFIED ||
	    s == ADDR_STATE_MATCHED_BUT_SMTP_FAILED;
}

void
dane_host_tally_add(dane_host_tally *t, const dane_rollup_addr *a)
{
	if (t->n == 0)
		t->first_reason = a->reason;
	t->n++;
	if (a->skipped)
		t->skipped++;
	if (!a->skipped && !a->capped) {
		t->probed++;
		if (!address_matched(a->state))
			t->unmatched++;
	}
	if (!t->have_worst ||
	    probe_severity_worst(t->worst_severity, a->severity) !=
	        t->worst_severity) {
		t->have_worst = true;
		t->worst_severity = a->severity;
		t->worst_text = a->text;
		t->worst_reason = a->reason;
	}
}

bool
dane_host_tally_all_skipped(const dane_host_tally *t)
{
	return t->n > 0 && t->skipped == t->n;
}

bool
dane_rollup_rollover_warns(dane_roll_verdict v, bool rollover_warning)
{
	return v == DANE_ROLL_BREAKS_AT_RENEWAL && rollover_warning;
}

static void
host_set(dane_host_verdict *out, probe_severity sev, const char *reason)
{
	out->severity = sev;
	snprintf(out->reason, sizeof(out->reason), "%s", reason);
}

void
dane_rollup_host(
    const dane_host_facts *h, bool rollover_warning, dane_host_verdict *out)
{
	const dane_host_tally *t = &h->addrs;

	memset(out, 0, sizeof(*out));
	out->bad_name = !dane_policy_valid_mx_name(h->name);
	if (out->bad_name) {
		host_set(out, SEVERITY_CRITICAL,
		    "not a valid host name (RFC "
		    "5321 2.3.5): sending MTAs such as Postfix refuse this MX "
		    "record as malformed and never deliver through it; fix: "
		    "name a host of letters, digits and '-'");
		return;
	}
	if (h->level == DANE_LEVEL_FAIL) {
		host_set(out, SEVERITY_CRITICAL, h->policy_reason);
		return;
	}
	if (t->n == 0) {
		host_set(out, SEVERITY_CRITICAL, "no address was probed");
		return;
	}
	if (dane_host_tally_all_skipped(t)) {
		host_set(out, SEVERITY_UNKNOWN, t->first_reason);
		return;
	}
	out->severity = t->worst_severity;
	if (t->worst_severity == SEVERITY_OK)
		snprintf(
		    out->reason, sizeof(out->reason), "%s", h->policy_reason);
	else
		snprintf(out->reason, sizeof(out->reason), "[%s]: %s",
		    t->worst_text, t->worst_reason);
	/* Working today but certain to break at the next renewal (x 0 x
	 * records only): the operator must hear it before it happens --
	 * unless told the certificate is long-lived on purpose. */
	if (out->severity == SEVERITY_OK && h->has_rollover &&
	    dane_rollup_rollover_warns(h->rollover, rollover_warning)) {
		out->severity = SEVERITY_WARNING;
		snprintf(out->reason, sizeof(out->reason),
		    "TLSA RRset breaks at "
		    "the next certificate renewal: %s",
		    h->rollover_reason);
	}
}

dane_status
dane_rollup_host_status(const dane_host_facts *h)
{
	const dane_host_tally *t = &h->addrs;

	switch (h->level) {
	case DANE_LEVEL_REQUIRED:
		if (t->n == 0 || t->unmatched > 0)
			return DANE_STATUS_FAILED;
		if (t->probed > 0)
			return DANE_STATUS_VERIFIED;
		/* None reachable from here: nothing was authenticated (the
		 * domain leaves such a host out).  Every address beyond
		 * --max-addresses: not determined. */
		return dane_host_tally_all_skipped(t) ? DANE_STATUS_FAILED :
		                                        DANE_STATUS_UNKNOWN;
	case DANE_LEVEL_ENCRYPT_ONLY:
		return DANE_STATUS_ENCRYPT_ONLY;
	case DANE_LEVEL_NONE:
		return DANE_STATUS_NONE;
	case DANE_LEVEL_FAIL:
	default:
		return DANE_STATUS_FAILED;
	}
}

void
dane_domain_tally_add(dane_domain_tally *t, dane_mx_status mx,
    const dane_host_facts *h, probe_severity severity, const char *reason)
{
	bool skipped = dane_host_tally_all_skipped(&h->addrs);

	if (t->n_hosts == 0 && skipped)
		t->first_unprobed = h->addrs.first_reason;
	t->n_hosts++;
	if (dane_policy_mx_voids_dane(mx, h->level))
		t->voided++;
	/* A host unreachable from here is left out, as a sender without
	 * that address family leaves it out. */
	if (skipped)
		return;
	t->counted++;
	switch (dane_rollup_host_status(h)) {
	case DANE_STATUS_FAILED:
		t->failed++;
		break;
	case DANE_STATUS_VERIFIED:
		t->verified++;
		break;
	case DANE_STATUS_ENCRYPT_ONLY:
		t->encrypt_only++;
		break;
	case DANE_STATUS_UNKNOWN:
		t->unknown++; /* every address beyond the budget */
		break;
	default:
		break;
	}
	if (!t->have_worst ||
	    probe_severity_worst(t->worst_severity, severity) !=
	        t->worst_severity) {
		t->have_worst = true;
		t->worst_severity = severity;
		t->worst_name = h->name;
		t->worst_reason = reason;
	}
}

bool
dane_rollup_judges_hosts(const dane_domain_facts *d)
{
	return !d->probe_error && !d->lookup_failed && !d->null_mx;
}

/* Nothing was left to probe: UNKNOWN, a fact about this host, never OK. */
static void
summarize_unprobed(const dane_domain_facts *d, dane_domain_verdict *out)
{
	const char *why =
	    d->hosts.first_unprobed ? d->hosts.first_unprobed : "";
	const char *prefix = "not probed: ";

	if (strncmp(why, prefix, strlen(prefix)) == 0)
		why += strlen(prefix);
	out->severity = SEVERITY_UNKNOWN;
	out->probe_error = true;
	snprintf(out->summary, sizeof(out->summary),
	    "%s: no MX address could "
	    "be probed from here: %s",
	    d->domain, why);
}

static void
summarize(const dane_domain_facts *d, dane_domain_verdict *out)
{
	const dane_domain_tally *t = &d->hosts;
	size_t len;

	if (!t->have_worst && t->n_hosts > 0) {
		summarize_unprobed(d, out);
		return;
	}
	if (!t->have_worst) {
		snprintf(out->summary, sizeof(out->summary),
		    "%s: no MX host to "
		    "probe",
		    d->domain);
		out->severity = SEVERITY_CRITICAL;
		return;
	}
	out->severity = t->worst_severity;
	if (out->severity == SEVERITY_OK)
		snprintf(out->summary, sizeof(out->summary),
		    "%s: %zu/%zu MX address(es) DANE-verified on %zu host(s)",
		    d->domain, d->verified, d->addrs, t->n_hosts);
	else
		snprintf(out->summary, sizeof(out->summary),
		    "%s: %s%s%s (%zu/%zu address(es) DANE-verified)", d->domain,
		    t->worst_name, t->worst_reason[0] == '[' ? "" : ": ",
		    t->worst_reason, d->verified, d->addrs);
	len = strlen(out->summary);
	if (d->skipped > 0)
		snprintf(out->summary + len, sizeof(out->summary) - len,
		    "; %zu address(es) not probed (no route for their family "
		    "on this host)",
		    d->skipped);
}

/*
 * RFC 7672 2.2.1: TLSA records of hosts named by an unsigned MX RRset
 * authenticate whatever host the (forgeable) MX RRset names.  The match
 * stays visible per address; the domain becomes a WARNING naming the
 * RRset and the fix.
 */
static void
judge_mx(const dane_domain_facts *d, dane_domain_verdict *out)
{
	bool implicit = d->mx_status == DANE_MX_IMPLICIT_INSECURE;
	size_t len;

	if (d->hosts.voided == 0)
		return;
	out->mx_severity = SEVERITY_WARNING;
	snprintf(out->mx_reason, sizeof(out->mx_reason),
	    "%s %s is not "
	    "DNSSEC-signed (insecure): a forged MX RRset sends mail to a host "
	    "without TLSA records, so the TLSA records of %zu MX host(s) "
	    "protect nothing (RFC 7672 2.2.1; Postfix: \"Trusted\", not "
	    "\"Verified\"); fix: sign the zone of %s with DNSSEC and have its "
	    "parent publish the DS record",
	    implicit ? "the denial of the MX "
	               "RRset of" :
	               "the MX RRset of",
	    d->domain, d->hosts.voided, d->domain);
	if (out->severity == SEVERITY_OK) {
		out->severity = SEVERITY_WARNING;
		snprintf(out->summary, sizeof(out->summary),
		    "%s: MX RRset is "
		    "not DNSSEC-signed, a forged MX bypasses DANE (%zu/%zu MX "
		    "address(es) match their TLSA records): sign the zone and "
		    "publish DS in its parent",
		    d->domain, d->verified, d->addrs);
		return;
	}
	out->severity = probe_severity_worst(out->severity, SEVERITY_WARNING);
	len = strlen(out->summary);
	snprintf(out->summary + len, sizeof(out->summary) - len,
	    "; MX RRset not DNSSEC-signed");
}

/* Not the domain's verdict but the prober's outage (probe_domain). */
static void
judge_local_failure(const dane_domain_facts *d, dane_domain_verdict *out)
{
	const dns_answer *a = d->local_failure;

	out->probe_error = true;
	out->severity = SEVERITY_UNKNOWN;
	snprintf(out->summary, sizeof(out->summary),
	    "%s: not checked, DNS "
	    "unreachable from here (%s %s): %s",
	    d->domain, a->qname, dns_type_name(a->qtype), a->reason);
}

static void
judge_domain(const dane_domain_facts *d, dane_domain_verdict *out)
{
	memset(out, 0, sizeof(*out));
	out->mx_severity = SEVERITY_OK;
	out->severity = d->severity;
	out->probe_error = d->probe_error;
	snprintf(out->summary, sizeof(out->summary), "%s",
	    d->summary ? d->summary : "");
	if (d->probe_error) {
		/* Our fault, not the domain's: no verdict about it at all. */
		out->severity = SEVERITY_UNKNOWN;
		return;
	}
	if (d->lookup_failed)
		return; /* the engine already said why */
	if (d->null_mx) {
		out->severity = SEVERITY_OK;
		snprintf(out->summary, sizeof(out->summary),
		    "%s: null MX (RFC 7505): the domain accepts no mail%s",
		    d->domain,
		    d->mx_status == DANE_MX_INSECURE ?
		        " (MX RRset not DNSSEC-signed)" :
		        "");
		return;
	}
	summarize(d, out);
	judge_mx(d, out);
	if (d->timed_out) {
		size_t len = strlen(out->summary);

		out->severity =
		    probe_severity_worst(out->severity, SEVERITY_CRITICAL);
		snprintf(out->summary + len, sizeof(out->summary) - len,
		    " [overall timeout reached]");
	}
}

void
dane_rollup_domain(const dane_domain_facts *d, dane_domain_verdict *out)
{
	judge_domain(d, out);
	if (d->local_failure != NULL)
		judge_local_failure(d, out);
}

dane_status
dane_rollup_domain_status(const dane_domain_facts *d)
{
	const dane_domain_tally *t = &d->hosts;

	if (d->probe_error)
		return DANE_STATUS_UNKNOWN;
	if (d->null_mx)
		return DANE_STATUS_NULL_MX;
	if (d->lookup_failed || t->n_hosts == 0 || t->counted == 0 ||
	    t->failed > 0)
		return DANE_STATUS_FAILED;
	if (t->verified > 0 && t->voided > 0)
		return DANE_STATUS_INSECURE_MX;
	if (t->verified > 0 && t->verified + t->unknown == t->counted)
		return DANE_STATUS_VERIFIED;
	if (t->verified > 0)
		return DANE_STATUS_PARTIAL;
	return t->encrypt_only > 0 ? DANE_STATUS_ENCRYPT_ONLY :
	                             DANE_STATUS_NONE;
}

static dane_batch_class
warning_class(const dane_batch_facts *f)
{
	if (f->status == DANE_STATUS_INSECURE_MX ||
	    f->mx_severity != SEVERITY_OK)
		return DANE_BATCH_INSECURE_MX;
	if (f->status == DANE_STATUS_NONE ||
	    f->status == DANE_STATUS_ENCRYPT_ONLY)
		return DANE_BATCH_NOT_APPLICABLE;
	if (f->status == DANE_STATUS_PARTIAL)
		return DANE_BATCH_PARTIAL;
	return f->any_capped ? DANE_BATCH_CAPPED : DANE_BATCH_WARNING;
}

static void
blame_failure(const dane_batch_facts *f, dane_batch_verdict *out)
{
	if (f->have_critical &&
	    (unsigned)f->critical_state < ADDR_STATE_COUNT) {
		out->why = DANE_BATCH_WHY_STATE;
		out->state = f->critical_state;
	} else if (f->any_bad_name)
		out->why = DANE_BATCH_WHY_BAD_NAME;
	else
		out->why = DANE_BATCH_WHY_DNS;
}

void
dane_rollup_batch_class(const dane_batch_facts *f, dane_batch_verdict *out)
{
	memset(out, 0, sizeof(*out));
	switch (f->severity) {
	case SEVERITY_OK:
		out->cls = f->status == DANE_STATUS_NULL_MX ?
		    DANE_BATCH_NO_MAIL :
		    DANE_BATCH_VALID;
		break;
	case SEVERITY_WARNING:
		out->cls = warning_class(f);
		break;
	case SEVERITY_CRITICAL:
		out->cls = DANE_BATCH_FAILING;
		blame_failure(f, out);
		break;
	default:
		out->cls = f->status == DANE_STATUS_UNKNOWN && f->probe_error ?
		    DANE_BATCH_PROBE_ERROR :
		    DANE_BATCH_UNKNOWN;
		break;
	}
}
