/*
 * dane_roll_gate.c -- rollover check/status decisions (dane_roll_gate.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "policy/dane_roll_gate.h"
#include "util/hex.h"

static const char *const result_names[DANE_ROLL_RESULT_COUNT] = {
	"pass",
	"fail",
	"unknown",
	"unknown",
};
static const char *const result_words[DANE_ROLL_RESULT_COUNT] = {
	"OK",
	"FAIL",
	"UNKNOWN",
	"UNKNOWN",
};

const char *
dane_roll_result_name(dane_roll_result r)
{
	return (unsigned)r < DANE_ROLL_RESULT_COUNT ? result_names[r] : "?";
}

const char *
dane_roll_result_word(dane_roll_result r)
{
	return (unsigned)r < DANE_ROLL_RESULT_COUNT ? result_words[r] : "?";
}

dane_roll_result
dane_roll_result_worse(dane_roll_result a, dane_roll_result b)
{
	static const int rank[DANE_ROLL_RESULT_COUNT] = { 0, 3, 1, 2 };

	if ((unsigned)a >= DANE_ROLL_RESULT_COUNT)
		return b;
	if ((unsigned)b >= DANE_ROLL_RESULT_COUNT)
		return a;
	return rank[b] > rank[a] ? b : a;
}

/* Not an answer but a failure to get one (SERVFAIL, timeout, bogus). */
static bool
lookup_failed(const dns_answer *a)
{
	return a->security == DNS_SECURITY_BOGUS ||
	    (a->status != DNS_STATUS_OK && a->status != DNS_STATUS_NODATA &&
	        a->status != DNS_STATUS_NXDOMAIN);
}

/* What one TLSA answer allows; the reason otherwise. */
static dane_roll_result
tlsa_answer_result(const dns_answer *a, char *why, size_t len)
{
	if (a->security == DNS_SECURITY_BOGUS) {
		snprintf(why, len, "TLSA lookup is DNSSEC-bogus (%s)",
		    a->reason[0] ? a->reason : "validation failed");
		return DANE_ROLL_RESULT_RETRY;
	}
	switch (a->status) {
	case DNS_STATUS_OK:
		break;
	case DNS_STATUS_NODATA:
	case DNS_STATUS_NXDOMAIN:
		snprintf(why, len,
		    "no TLSA records at %s (%s, %s): DANE does "
		    "not apply, so no record vouches for any key",
		    a->qname, dns_status_name(a->status),
		    dns_security_name(a->security));
		return DANE_ROLL_RESULT_FAIL;
	default:
		snprintf(why, len, "TLSA lookup failed: %s%s%s",
		    dns_status_name(a->status), a->reason[0] ? ": " : "",
		    a->reason);
		return DANE_ROLL_RESULT_RETRY;
	}
	if (a->security != DNS_SECURITY_SECURE) {
		snprintf(why, len,
		    "the TLSA RRset is %s, not DNSSEC-secure: "
		    "senders ignore it (RFC 7672 section 2.2)",
		    dns_security_name(a->security));
		return DANE_ROLL_RESULT_FAIL;
	}
	return DANE_ROLL_RESULT_PASS;
}

/* The prober's own outage cut a lookup off: nothing was learnt. */
static const dns_answer *
local_failure(const dns_answer *const as[4])
{
	for (size_t i = 0; i < 4; i++)
		if (as[i] != NULL && as[i]->local_failure)
			return as[i];
	return NULL;
}

/* The TLSA answer that decided a policy other than REQUIRED/ENCRYPT_ONLY:
 * the failed one, else the last one looked up (section 2.2.2 moves on
 * from the expanded name to the original). */
static const dns_answer *
deciding_answer(const dane_tlsa_plan *plan, const dns_answer *const tlsa[2])
{
	const dns_answer *last = NULL;

	for (size_t i = 0; i < plan->n && i < 2; i++) {
		if (tlsa[i] == NULL)
			continue;
		if (lookup_failed(tlsa[i]))
			return tlsa[i];
		last = tlsa[i];
	}
	return last;
}

/* No TLSA lookup: the addresses stopped it (dane_policy_tlsa_plan()). */
static dane_roll_result
no_lookup_result(const dns_answer *a, const dns_answer *aaaa,
    const dane_tlsa_plan *plan, char *why, size_t len)
{
	if ((a != NULL && lookup_failed(a)) ||
	    (aaaa != NULL && lookup_failed(aaaa))) {
		snprintf(why, len, "no TLSA lookup: %s", plan->reason);
		return DANE_ROLL_RESULT_RETRY;
	}
	/* Insecure addresses: a sender makes no TLSA lookup, so for it any
	 * TLSA RRset of the host is as good as insecure. */
	if (plan->early_level == DANE_LEVEL_NONE)
		snprintf(why, len,
		    "the TLSA RRset is insecure to senders: %s, "
		    "so no record vouches for any key",
		    plan->reason);
	else
		snprintf(why, len,
		    "%s: DANE does not apply, so no record "
		    "vouches for any key",
		    plan->reason);
	return DANE_ROLL_RESULT_FAIL;
}

dane_roll_result
dane_roll_gate_host(const dns_answer *a, const dns_answer *aaaa,
    const dane_tlsa_plan *plan, const dane_host_policy *pol,
    const dns_answer *const tlsa[2], const dns_answer **judged, char *why,
    size_t len)
{
	const dns_answer *as[4] = { tlsa[0], tlsa[1], a, aaaa }, *t;
	dane_roll_result r;

	*judged = deciding_answer(plan, tlsa);
	why[0] = '\0';
	if ((t = local_failure(as)) != NULL) {
		snprintf(why, len,
		    "TLSA lookup not done, DNS unreachable from "
		    "here: %s",
		    t->reason);
		return DANE_ROLL_RESULT_LOCAL;
	}
	if ((pol->level == DANE_LEVEL_REQUIRED ||
	        pol->level == DANE_LEVEL_ENCRYPT_ONLY) &&
	    pol->tlsa_answer_index >= 0 && pol->tlsa_answer_index < 2 &&
	    tlsa[pol->tlsa_answer_index] != NULL) {
		*judged = tlsa[pol->tlsa_answer_index];
		return DANE_ROLL_RESULT_PASS;
	}
	if (plan->n == 0)
		return no_lookup_result(a, aaaa, plan, why, len);
	if ((t = *judged) == NULL) {
		snprintf(why, len, "no answer to the TLSA lookup");
		return DANE_ROLL_RESULT_RETRY;
	}
	if ((r = tlsa_answer_result(t, why, len)) != DANE_ROLL_RESULT_PASS)
		return r;
	/* A secure answer the policy still refused. */
	snprintf(why, len, "%s", pol->reason);
	return pol->level == DANE_LEVEL_FAIL ? DANE_ROLL_RESULT_RETRY :
	                                       DANE_ROLL_RESULT_FAIL;
}

static bool
has_usage(const dns_answer *a, uint8_t usage)
{
	for (size_t i = 0; i < a->count; i++)
		if (a->tlsa[i].usage == usage)
			return true;
	return false;
}

static void
no_match_reason(
    const dns_answer *a, const dane_roll_new *id, char *buf, size_t len)
{
	char leaf[65];

	hex_encode(id->chain->cert[0].spki_sha256, 32, leaf, sizeof(leaf));
	snprintf(buf, len,
	    "no usable TLSA record matches the new %s: publish "
	    "3 1 1 %s first, wait one TTL, then switch%s",
	    id->label, leaf,
	    id->chain->n == 1 && id->has_certs &&
	            has_usage(a, TLSA_USAGE_DANE_TA) ?
	        " (the RRset has DANE-TA records: give the whole chain, e.g. "
	        "fullchain.pem, to match them)" :
	        "");
}

static bool
ee_matches(const dns_answer *a, const dane_rollover_report *rep)
{
	for (size_t i = 0; i < rep->n_records; i++)
		if ((rep->rec[i].chain_mask & 1u) &&
		    a->tlsa[i].usage == TLSA_USAGE_DANE_EE)
			return true;
	return false;
}

/*
 * When only DANE-TA records match, the sender also checks the leaf's names
 * against the TLSA base domain and its validity (RFC 7672 sections 3.2.2
 * and 3.2.1), so the new certificate must pass those too.  (The MX host
 * name is the only reference identifier checked here; a sender also
 * accepts the domain's own name when the MX is a CNAME target.)  0 ok,
 * -1 with a reason.
 */
static int
ta_leaf_ok(const char *host, X509 *leaf, char *buf, size_t len)
{
	if (leaf == NULL)
		return 0;
	if (X509_check_host(leaf, host, 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
	        NULL) != 1) {
		snprintf(buf, len,
		    "only DANE-TA records match the new "
		    "certificate, and it does not name %s (DANE-TA checks "
		    "names, RFC 7672 section 3.2.2)",
		    host);
		return -1;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(leaf)) >= 0 ||
	    X509_cmp_current_time(X509_get0_notAfter(leaf)) <= 0) {
		snprintf(buf, len,
		    "only DANE-TA records match the new "
		    "certificate, and it is not valid now (DANE-TA checks "
		    "validity)");
		return -1;
	}
	return 0;
}

dane_roll_result
dane_roll_check(const dns_answer *rrset, const char *host,
    const dane_roll_new *id, time_t now, dane_rollover_report *rep,
    char *reason, size_t len)
{
	const dane_chain_digests *cp[1] = { id->chain };
	size_t m;

	dane_rollover_analyze(
	    rrset->tlsa, rrset->count, rrset->ttl, cp, 1, now, rep);
	if ((m = rep->chain[0].matching) == 0) {
		no_match_reason(rrset, id, reason, len);
		return DANE_ROLL_RESULT_FAIL;
	}
	if (!ee_matches(rrset, rep) &&
	    ta_leaf_ok(host, id->leaf, reason, len) != 0)
		return DANE_ROLL_RESULT_FAIL;
	snprintf(reason, len, "%zu usable TLSA record%s match%s the new %s", m,
	    m == 1 ? "" : "s", m == 1 ? "es" : "", id->label);
	return DANE_ROLL_RESULT_PASS;
}

dane_roll_result
dane_roll_status_result(const dane_rollover_report *rep)
{
	return rep->verdict == DANE_ROLL_ROBUST ? DANE_ROLL_RESULT_PASS :
	                                          DANE_ROLL_RESULT_FAIL;
}
