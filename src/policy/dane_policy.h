/*
 * dane_policy.h -- RFC 7672 host policy as pure functions of DNS lookup
 * results.  No I/O here: everything is table-tested in tests/unit.
 *
 * The decision is taken in two steps because the second lookup depends on
 * the first:
 *   1. dane_policy_tlsa_plan(): given the MX RRset status and the host's
 *      address lookups, which TLSA names (if any) to query (section 2.2.2).
 *   2. dane_policy_decide(): given those TLSA answers, the host's policy.
 */
#ifndef DANEPROBE_DANE_POLICY_H
#define DANEPROBE_DANE_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/dns_answer.h"

typedef enum dane_level {
	/* DANE does not apply: insecure MX/address/TLSA, or secure denial of
	 * TLSA.  Opportunistic TLS; a cleartext fall-back is allowed. */
	DANE_LEVEL_NONE = 0,
	/* Secure TLSA RRset with usable records: TLS and DANE authentication
	 * are mandatory (section 2.2). */
	DANE_LEVEL_REQUIRED,
	/* Secure TLSA RRset, every record unusable: TLS is mandatory but the
	 * peer is not authenticated (section 3.1.3 / 2.2). */
	DANE_LEVEL_ENCRYPT_ONLY,
	/* Bogus, SERVFAIL or timed-out lookup that DANE depends on: a DANE
	 * client must not deliver to this host (section 2.1.1). */
	DANE_LEVEL_FAIL,
	DANE_LEVEL_COUNT,
} dane_level;

/* "none", "required", "encrypt-only", "fail"; "unknown" outside
 * [0, DANE_LEVEL_COUNT). */
const char *dane_level_name(dane_level l);

/* How the next-hop's MX RRset looked. */
typedef enum dane_mx_status {
	DANE_MX_SECURE = 0, /* secure MX RRset */
	DANE_MX_INSECURE,   /* insecure MX RRset */
	DANE_MX_IMPLICIT_SECURE, /* no MX (secure denial): host = domain (RFC 5321 5.1) */
	DANE_MX_IMPLICIT_INSECURE, /* no MX, insecure denial */
} dane_mx_status;

/* "secure", "insecure", "implicit-secure", "implicit-insecure" */
const char *dane_mx_status_name(dane_mx_status s);

/*
 * Does the MX RRset's insecurity void a host's DANE protection?  True for
 * a host with TLSA records (REQUIRED or ENCRYPT_ONLY) reached through an
 * insecure MX RRset (or an insecure denial of MX): RFC 7672 2.2.1 lets a
 * client use those records, but an attacker who forges the unsigned MX
 * RRset redirects the mail to a host without TLSA records, and the match
 * proves nothing about where the mail should go.  Postfix logs such a
 * session "Trusted", not "Verified".  The domain is then a WARNING: sign
 * the zone of the MX RRset (and have its parent publish DS).
 */
bool dane_policy_mx_voids_dane(dane_mx_status mx, dane_level host_level);

/*
 * Is an MX exchange name a host name a sending MTA accepts?  Letters,
 * digits, '-' and '_' (Postfix valid_hostname() allows '_'), labels of 1
 * to 63 characters not starting or ending with '-', 253 characters at
 * most (RFC 1123 2.1, RFC 5321 2.3.5).  DNS itself carries any byte (a
 * zone may hold "mx\124x" or "mx\010x"); Postfix refuses such an MX
 * record as a "malformed domain name", so mail through it is never
 * delivered, whatever its TLSA records say.  `name` is as the resolver
 * presents it (no trailing dot; special bytes as \DDD or raw).
 */
bool dane_policy_valid_mx_name(const char *name);

/* Step 1 -------------------------------------------------------------- */

typedef struct dane_tlsa_plan {
	/* Names to try in order: [0] the CNAME-expanded host name (only when
	 * it differs from the original), then the original MX host name.
	 * n == 0: no TLSA lookup (DANE cannot apply or the host fails). */
	const char *names[2]; /* borrowed from the inputs */
	size_t n;
	dane_level early_level; /* meaningful when n == 0: NONE or FAIL */
	char reason[200];
} dane_tlsa_plan;

/* `host` is the MX exchange name; `a`/`aaaa` the address answers (either
 * may be NULL when that family was not looked up).  The MX status does
 * not change the plan (section 2.2.1: DANE MAY be used for hosts reached
 * through an insecure MX RRset); it is an input so that callers and
 * reports keep it next to the decision. */
void dane_policy_tlsa_plan(dane_mx_status mx, const char *host,
    const dns_answer *a, const dns_answer *aaaa, dane_tlsa_plan *out);

/* Step 2 -------------------------------------------------------------- */

typedef struct dane_host_policy {
	dane_level level;
	/* TLSA base domain: the name where the TLSA RRset was found; SNI and
	 * the first reference identifier (section 3.2.2).  Empty for NONE. */
	char base_domain[256];
	/* Index into the TLSA answer that decided (0 = plan.names[0]); -1 none. */
	int tlsa_answer_index;
	size_t n_usable; /* records usable for SMTP in that RRset */
	size_t n_unusable;
	char reason[240];
} dane_host_policy;

/*
 * `tlsa[i]` is the answer for plan->names[i], or NULL when that lookup was
 * not (yet) made.  Section 2.2.2: at the expanded name a secure RRset wins;
 * a secure denial or insecure answer there moves on to the original name;
 * bogus/SERVFAIL/timeout anywhere is a failure.
 */
void dane_policy_decide(const dane_tlsa_plan *plan,
    const dns_answer *const tlsa[2], dane_host_policy *out);

/* Whether the lookup for plan->names[i+1] is still needed after seeing
 * tlsa[i] (so the caller can stop early). */
bool dane_policy_need_next(const dns_answer *tlsa_i);

#endif
