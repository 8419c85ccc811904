/*
 * dane_rollup.h -- host and domain verdicts from the address verdicts
 * (dane_verdict.h), and the one-word DANE status, as pure functions of
 * small input structs.  The probe layer walks its result tree and feeds
 * these; nothing here knows the tree.  Table-tested in
 * tests/unit/test_dane_rollup.c.
 *
 * Inputs are folded: dane_host_tally_add() once per address of a host,
 * dane_domain_tally_add() once per host of a domain (after the host's
 * verdict).  Strings in tallies and facts are borrowed from the caller
 * and must outlive the calls that read them.
 */
#ifndef DANEPROBE_DANE_ROLLUP_H
#define DANEPROBE_DANE_ROLLUP_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/dane_policy.h"
#include "policy/dane_rollover.h"
#include "policy/dane_status.h"
#include "dns/dns_answer.h"

/* One address, as far as the roll-up cares. */
typedef struct dane_rollup_addr {
	addr_state state;
	probe_severity severity;
	const char *text; /* the address, for "[text]: reason" */
	const char *reason;
	/* Left out for a reason of this host (no route for its family). */
	bool skipped;
	/* Left out by the domain's address budget (--max-addresses). */
	bool capped;
} dane_rollup_addr;

/* The addresses of one host, folded.  Zero it, then add each address. */
typedef struct dane_host_tally {
	size_t n; /* addresses */
	size_t skipped;
	size_t probed;    /* neither skipped nor capped */
	size_t unmatched; /* probed, and its TLSA records did not match */
	const char *first_reason; /* of the first address */
	/* The worst address so far (the first one on a tie). */
	bool have_worst;
	probe_severity worst_severity;
	const char *worst_text, *worst_reason;
} dane_host_tally;

void dane_host_tally_add(dane_host_tally *t, const dane_rollup_addr *a);

/* True when the host has addresses and every one was skipped: it was
 * not looked at, which is neither a pass nor a failure. */
bool dane_host_tally_all_skipped(const dane_host_tally *t);

typedef struct dane_host_facts {
	const char *name; /* the MX exchange */
	dane_level level; /* its RFC 7672 policy */
	const char *policy_reason;
	dane_host_tally addrs;
	/* The rollover analysis of the TLSA RRset, when there is one. */
	bool has_rollover;
	dane_roll_verdict rollover;
	const char *rollover_reason;
} dane_host_facts;

typedef struct dane_host_verdict {
	probe_severity severity;
	char reason[400];
	bool bad_name; /* the exchange is no valid host name */
} dane_host_verdict;

/* A host's verdict: an invalid exchange name or a DNS policy failure is
 * CRITICAL; no address is CRITICAL; every address skipped is UNKNOWN;
 * else the worst address (skipped ones are OK and never the worst), and
 * a working host whose TLSA RRset breaks at the next renewal is a
 * WARNING when `rollover_warning`. */
void dane_rollup_host(
    const dane_host_facts *h, bool rollover_warning, dane_host_verdict *out);

/* Does a rollover verdict raise a working host to WARNING?  Only a TLSA
 * RRset that breaks at the next renewal, and only when the user did not
 * switch it off (--no-rollover-warning); other verdicts are notes. */
bool dane_rollup_rollover_warns(dane_roll_verdict v, bool rollover_warning);

/* Host: FAIL policy -> failed; DANE required -> verified when every
 * probed address matched its TLSA records, else failed (unknown when
 * every address was left out by --max-addresses); encrypt-only; none. */
dane_status dane_rollup_host_status(const dane_host_facts *h);

/* The hosts of one domain, folded.  Zero it, then add each host with
 * its verdict (dane_rollup_host()). */
typedef struct dane_domain_tally {
	size_t n_hosts;
	size_t counted; /* hosts not entirely skipped */
	size_t voided;  /* hosts whose DANE the insecure MX RRset voids */
	size_t failed, verified, encrypt_only, unknown; /* of counted hosts */
	/* Reason of the first host's first address, when every address of
	 * that host was skipped. */
	const char *first_unprobed;
	/* The worst counted host (the first one on a tie). */
	bool have_worst;
	probe_severity worst_severity;
	const char *worst_name, *worst_reason;
} dane_domain_tally;

void dane_domain_tally_add(dane_domain_tally *t, dane_mx_status mx,
    const dane_host_facts *h, probe_severity severity, const char *reason);

typedef struct dane_domain_facts {
	const char *domain;
	bool probe_error;   /* a local failure: no verdict at all */
	bool lookup_failed; /* the MX lookup failed: the engine said why */
	bool null_mx;       /* RFC 7505 */
	bool timed_out;     /* the overall deadline cut the probe short */
	dane_mx_status mx_status;
	/* As the engine left them; kept for a failed MX lookup. */
	probe_severity severity;
	const char *summary;
	/* Address counts of the whole domain (probe_domain_count()). */
	size_t addrs, verified, skipped;
	dane_domain_tally hosts;
	/* The first lookup of the domain (MX, then each host's A, AAAA,
	 * TLSA) that the prober's own DNS outage cut off
	 * (dns_answer.local_failure), or NULL. */
	const dns_answer *local_failure;
} dane_domain_facts;

typedef struct dane_domain_verdict {
	probe_severity severity;
	char summary[512];
	/* WARNING with a reason when the insecure MX RRset voids the hosts'
	 * TLSA records (dane_policy_mx_voids_dane()); OK and "" otherwise. */
	probe_severity mx_severity;
	char mx_reason[400];
	/* Nothing could be probed from here: a local fact, not a verdict. */
	bool probe_error;
} dane_domain_verdict;

/* Whether the hosts get verdicts at all: not on a probe error, a failed
 * MX lookup or a null MX (the domain's verdict says it all). */
bool dane_rollup_judges_hosts(const dane_domain_facts *d);

/* The domain's severity and summary line: the worst counted host, the
 * MX RRset's insecurity (at least WARNING), the overall timeout
 * (CRITICAL).  A local_failure overrides it all: not the domain's
 * verdict but the prober's outage (probe_error, UNKNOWN, a summary naming
 * the lookup); the hosts keep their verdicts. */
void dane_rollup_domain(const dane_domain_facts *d, dane_domain_verdict *out);

/* Domain: unknown on a probe error (never failed: the fault is ours);
 * null-mx; failed when the MX lookup failed, there is no host or any host
 * failed; insecure-mx when some host is verified but the MX RRset is
 * insecure (dane_policy_mx_voids_dane()); verified when all hosts are;
 * partial when some are; else encrypt-only when any host is; else none.
 * Hosts whose every address was left out by --max-addresses count for
 * nothing (their WARNING is in the severity). */
dane_status dane_rollup_domain_status(const dane_domain_facts *d);

/* Where a finished domain lands in a batch summary (probe_batch): each
 * domain in exactly one class, and a failing one with one cause. */
typedef enum dane_batch_class {
	DANE_BATCH_VALID = 0,      /* OK: DANE verified (or partial) */
	DANE_BATCH_NO_MAIL,        /* OK: null MX */
	DANE_BATCH_INSECURE_MX,    /* WARNING: TLSA match voided by the MX */
	DANE_BATCH_NOT_APPLICABLE, /* WARNING: no DANE / only unusable TLSA */
	DANE_BATCH_PARTIAL,        /* WARNING: some MX hosts without DANE */
	DANE_BATCH_CAPPED,         /* WARNING: addresses beyond the budget */
	DANE_BATCH_WARNING,        /* WARNING for another reason */
	DANE_BATCH_FAILING,        /* CRITICAL */
	DANE_BATCH_PROBE_ERROR,    /* UNKNOWN: our fault (local outage) */
	DANE_BATCH_UNKNOWN,        /* UNKNOWN otherwise */
} dane_batch_class;

typedef enum dane_batch_why {
	DANE_BATCH_WHY_NONE = 0, /* not failing */
	DANE_BATCH_WHY_STATE,    /* the first critical address's state */
	DANE_BATCH_WHY_BAD_NAME, /* an MX exchange that is no valid name */
	DANE_BATCH_WHY_DNS,      /* MX/host lookups failed or bogus */
} dane_batch_why;

/* The facts of one finished domain that the summary sorts by. */
typedef struct dane_batch_facts {
	probe_severity severity;
	dane_status status;
	probe_severity mx_severity;
	bool probe_error;
	bool any_capped;   /* an address left out by --max-addresses */
	bool any_bad_name; /* a host whose exchange is no valid name */
	/* The state of the first CRITICAL address (in host, then address
	 * order) whose state is a valid addr_state, if any. */
	bool have_critical;
	addr_state critical_state;
} dane_batch_facts;

typedef struct dane_batch_verdict {
	dane_batch_class cls;
	dane_batch_why why;
	addr_state state; /* for DANE_BATCH_WHY_STATE */
} dane_batch_verdict;

/* A WARNING has several causes, each with its own fix: the DANE status
 * and the MX verdict tell them apart, in that order (insecure MX, DANE
 * not applicable, partial, capped, other).  A failure is blamed on the
 * first critical address state, else the MX names, else DNS. */
void dane_rollup_batch_class(
    const dane_batch_facts *f, dane_batch_verdict *out);

#endif
