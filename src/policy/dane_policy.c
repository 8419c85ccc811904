/*
 * dane_policy.c -- RFC 7672 sections 2.2.1 and 2.2.2 as pure functions.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy/dane_policy.h"
#include "dns/dns_name.h"
#include "util/va_format.h"

static const char *const level_names[DANE_LEVEL_COUNT] = {
	[DANE_LEVEL_NONE] = "none",
	[DANE_LEVEL_REQUIRED] = "required",
	[DANE_LEVEL_ENCRYPT_ONLY] = "encrypt-only",
	[DANE_LEVEL_FAIL] = "fail",
};

const char *
dane_level_name(dane_level l)
{
	if ((unsigned)l < DANE_LEVEL_COUNT)
		return level_names[l];
	return "unknown";
}

static const char *const mx_status_names[] = {
	[DANE_MX_SECURE] = "secure",
	[DANE_MX_INSECURE] = "insecure",
	[DANE_MX_IMPLICIT_SECURE] = "implicit-secure",
	[DANE_MX_IMPLICIT_INSECURE] = "implicit-insecure",
};

const char *
dane_mx_status_name(dane_mx_status s)
{
	if ((unsigned)s < sizeof(mx_status_names) / sizeof(mx_status_names[0]))
		return mx_status_names[s];
	return "unknown";
}

bool
dane_policy_mx_voids_dane(dane_mx_status mx, dane_level host_level)
{
	bool insecure =
	    mx == DANE_MX_INSECURE || mx == DANE_MX_IMPLICIT_INSECURE;

	return insecure &&
	    (host_level == DANE_LEVEL_REQUIRED ||
	        host_level == DANE_LEVEL_ENCRYPT_ONLY);
}

bool
dane_policy_valid_mx_name(const char *name)
{
	return dns_name_is_hostname(name, true);
}

static bool
lookup_failed(const dns_answer *a)
{
	return a->status == DNS_STATUS_SERVFAIL ||
	    a->status == DNS_STATUS_TIMEOUT || a->status == DNS_STATUS_ERROR ||
	    a->status == DNS_STATUS_CANCELLED ||
	    a->security == DNS_SECURITY_BOGUS;
}

static bool
is_denial(const dns_answer *a)
{
	return a->status == DNS_STATUS_NODATA ||
	    a->status == DNS_STATUS_NXDOMAIN;
}

static void plan_stop(dane_tlsa_plan *out, dane_level level, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
plan_stop(dane_tlsa_plan *out, dane_level level, const char *fmt, ...)
{
	out->n = 0;
	out->early_level = level;
	VA_FORMAT(out->reason, fmt);
}

/*
 * Section 2.2.2: TLSA records are looked up only when the address records
 * are secure.  A family whose lookup failed is skipped the way a sending
 * MTA skips it (it just has fewer addresses); the host fails only when no
 * family produced addresses.
 */
void
dane_policy_tlsa_plan(dane_mx_status mx, const char *host, const dns_answer *a,
    const dns_answer *aaaa, dane_tlsa_plan *out)
{
	const dns_answer *fam[2] = { a, aaaa };
	const dns_answer *with_data = NULL, *failed = NULL;
	bool all_secure = true;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < 2; i++) {
		if (fam[i] == NULL)
			continue;
		if (lookup_failed(fam[i])) {
			if (failed == NULL)
				failed = fam[i];
			continue;
		}
		if (fam[i]->status != DNS_STATUS_OK || fam[i]->count == 0)
			continue;
		if (with_data == NULL)
			with_data = fam[i];
		if (fam[i]->security != DNS_SECURITY_SECURE)
			all_secure = false;
	}
	if (with_data == NULL) {
		if (failed != NULL)
			plan_stop(out, DANE_LEVEL_FAIL,
			    "%s lookup for %s failed: %s",
			    dns_type_name(failed->qtype), host,
			    failed->security == DNS_SECURITY_BOGUS ?
			        "bogus (DNSSEC validation "
			        "failed)" :
			        failed->reason[0] ?
			        failed->reason :
			        dns_status_name(failed->status));
		else
			plan_stop(out, DANE_LEVEL_FAIL,
			    "%s has no A or AAAA records", host);
		return;
	}
	/*
	 * An insecure MX RRset does not stop DANE: section 2.2.1 lets the
	 * client use the TLSA records of MX hosts in signed zones (a hoster's
	 * signed MX serving unsigned customer domains), and Postfix does.
	 * What matters from here on is the host's own records.
	 */
	(void)mx;
	if (!all_secure) {
		plan_stop(out, DANE_LEVEL_NONE,
		    "address records of %s are not "
		    "DNSSEC-signed, so no TLSA lookup (RFC 7672 2.2.2)",
		    host);
		return;
	}
	/* A CNAME'd host: the expanded name first, then the original. */
	if (with_data->canonical_name != NULL &&
	    strcasecmp(with_data->canonical_name, host) != 0)
		out->names[out->n++] = with_data->canonical_name;
	out->names[out->n++] = host;
	out->early_level = DANE_LEVEL_NONE;
}

bool
dane_policy_need_next(const dns_answer *t)
{
	if (t == NULL)
		return true;
	if (lookup_failed(t))
		return false;
	if (t->security == DNS_SECURITY_SECURE)
		return is_denial(t);
	/* insecure or indeterminate: nothing usable here, try the next name */
	return true;
}

static void
count_usable(const dns_answer *t, dane_host_policy *out)
{
	for (size_t i = 0; i < t->count; i++) {
		if (tlsa_record_usability(&t->tlsa[i]) == TLSA_USABLE)
			out->n_usable++;
		else
			out->n_unusable++;
	}
}

/* The TLSA owner name as looked up: _PORT._tcp.NAME with the probe's
 * port (RFC 6698 3), so no message says _25 for another port. */
static const char *
owner(const dns_answer *t, const char *name)
{
	return t != NULL && t->qname != NULL ? t->qname : name;
}

static void
decide_found(const dane_tlsa_plan *plan, size_t i, const dns_answer *t,
    dane_host_policy *out)
{
	out->tlsa_answer_index = (int)i;
	snprintf(
	    out->base_domain, sizeof(out->base_domain), "%s", plan->names[i]);
	count_usable(t, out);
	if (out->n_usable > 0) {
		out->level = DANE_LEVEL_REQUIRED;
		snprintf(out->reason, sizeof(out->reason),
		    "secure TLSA RRset at %s with %zu usable record(s): "
		    "DANE authentication required",
		    owner(t, plan->names[i]), out->n_usable);
	} else {
		out->level = DANE_LEVEL_ENCRYPT_ONLY;
		snprintf(out->reason, sizeof(out->reason),
		    "secure TLSA RRset at %s has only unusable records "
		    "(%zu): TLS required but unauthenticated (RFC 7672 3.1.3)",
		    owner(t, plan->names[i]), out->n_unusable);
	}
}

static void
decide_failed(const dane_tlsa_plan *plan, size_t i, const dns_answer *t,
    dane_host_policy *out)
{
	out->level = DANE_LEVEL_FAIL;
	out->tlsa_answer_index = (int)i;
	if (t->security == DNS_SECURITY_BOGUS)
		snprintf(out->reason, sizeof(out->reason),
		    "TLSA lookup for %s is bogus (DNSSEC validation "
		    "failed): a DANE client will not deliver here",
		    owner(t, plan->names[i]));
	else
		snprintf(out->reason, sizeof(out->reason),
		    "TLSA lookup for %s failed (%s%s%s): a DANE client "
		    "will defer mail (RFC 7672 2.1.1)",
		    owner(t, plan->names[i]), dns_status_name(t->status),
		    t->reason[0] ? ": " : "", t->reason);
}

void
dane_policy_decide(const dane_tlsa_plan *plan, const dns_answer *const tlsa[2],
    dane_host_policy *out)
{
	const char *why = "no TLSA records (secure denial of existence)";

	memset(out, 0, sizeof(*out));
	out->tlsa_answer_index = -1;
	if (plan->n == 0) {
		out->level = plan->early_level;
		snprintf(out->reason, sizeof(out->reason), "%s", plan->reason);
		return;
	}
	for (size_t i = 0; i < plan->n; i++) {
		const dns_answer *t = tlsa[i];

		if (t == NULL) {
			out->level = DANE_LEVEL_FAIL;
			snprintf(out->reason, sizeof(out->reason),
			    "TLSA lookup for %s was not completed",
			    plan->names[i]);
			return;
		}
		if (lookup_failed(t)) {
			decide_failed(plan, i, t, out);
			return;
		}
		if (t->security == DNS_SECURITY_SECURE &&
		    t->status == DNS_STATUS_OK && t->count > 0) {
			decide_found(plan, i, t, out);
			return;
		}
		if (t->security != DNS_SECURITY_SECURE)
			why = "TLSA RRset is not DNSSEC-signed (insecure)";
		else
			why = "no TLSA records (secure denial of existence)";
	}
	out->level = DANE_LEVEL_NONE;
	snprintf(out->reason, sizeof(out->reason),
	    "%s at %s%s%s: DANE does not apply", why,
	    owner(tlsa[plan->n - 1], plan->names[plan->n - 1]),
	    plan->n > 1 ? " or " : "",
	    plan->n > 1 ? owner(tlsa[0], plan->names[0]) : "");
}
