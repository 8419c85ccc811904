/*
 * dane_roll_gate.h -- the decisions of `daneprobe rollover check|status`
 * as pure functions of the probe's facts: can a host's TLSA RRset be
 * judged at all (RFC 7672 host policy: secure addresses, CNAME expansion,
 * secure TLSA RRset), does it vouch for a new certificate or key, and
 * does what a server presents now pass.  The analysis itself is
 * dane_rollover_analyze().
 *
 * Ownership: none; every output is a plain struct or a caller's buffer.
 */
#ifndef DANEPROBE_DANE_ROLL_GATE_H
#define DANEPROBE_DANE_ROLL_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "dns/dns_answer.h"
#include "policy/dane_policy.h"
#include "policy/dane_rollover.h"
#include "tls/dane_tls.h"

/* Numbered as the commands' exit status. */
typedef enum dane_roll_result {
	DANE_ROLL_RESULT_PASS = 0,
	DANE_ROLL_RESULT_FAIL = 1, /* the DNS answered and does not vouch */
	DANE_ROLL_RESULT_RETRY =
	    2, /* a lookup or connection failed: try again */
	/* No DNS server answered at all (the prober's outage): nothing was
	 * learnt about the host. */
	DANE_ROLL_RESULT_LOCAL = 3,
	DANE_ROLL_RESULT_COUNT,
} dane_roll_result;

/* "pass", "fail", "unknown", "unknown" (JSON) */
const char *dane_roll_result_name(dane_roll_result r);
/* "OK", "FAIL", "UNKNOWN", "UNKNOWN" (text) */
const char *dane_roll_result_word(dane_roll_result r);

/* The run's exit status over hosts: a failure needs action and outranks
 * the prober's own DNS outage, which outranks a lookup to retry. */
dane_roll_result dane_roll_result_worse(dane_roll_result a, dane_roll_result b);

/*
 * Whether a host's TLSA RRset can be judged: PASS with *judged the secure
 * TLSA answer the RFC 7672 host policy settled on (REQUIRED or
 * ENCRYPT_ONLY), else the result and the reason in why, with *judged the
 * TLSA answer that decided (NULL when no TLSA lookup was made).  `a`, `aaaa`,
 * `plan`, `pol` and `tlsa` are the host's lookups and policy as the probe
 * engine made them (dane_policy_tlsa_plan(), dane_policy_decide()).
 */
dane_roll_result dane_roll_gate_host(const dns_answer *a,
    const dns_answer *aaaa, const dane_tlsa_plan *plan,
    const dane_host_policy *pol, const dns_answer *const tlsa[2],
    const dns_answer **judged, char *why, size_t len);

/* The new certificate (`certs` non-NULL, leaf first) or key whose digests
 * are `chain`, for dane_roll_check(). */
typedef struct dane_roll_new {
	const dane_chain_digests *chain;
	X509 *leaf;        /* borrowed; NULL for a key */
	bool has_certs;    /* a certificate file, not a key */
	const char *label; /* "certificate" or "key" */
} dane_roll_new;

/*
 * rollover check: does the secure RRset `rrset` of MX host `host` hold a
 * usable record matching the new certificate or key?  Fills *rep (the
 * analysis after the switch) and the reason; PASS or FAIL.
 */
dane_roll_result dane_roll_check(const dns_answer *rrset, const char *host,
    const dane_roll_new *id, time_t now, dane_rollover_report *rep,
    char *reason, size_t len);

/* rollover status passes only a robust RRset: anything less needs work
 * before the next renewal. */
dane_roll_result dane_roll_status_result(const dane_rollover_report *rep);

#endif
