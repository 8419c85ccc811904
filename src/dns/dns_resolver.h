/*
 * dns_resolver.h -- asynchronous, DNSSEC-validating lookups through getdns
 * on the caller's libev loop.
 *
 * Two modes: full recursion (resolver == NULL) validating from the trust
 * anchor file, or stub mode towards one upstream (resolver "ADDR[@PORT]"),
 * in which getdns still validates every answer itself -- the upstream's AD
 * bit is never trusted.  In stub mode a lookup first asks with the DO bit
 * and checks the signed answer against the keys of its signer zone that
 * getdns has already validated in this run (dns_keycache.h); whatever that
 * cannot show to be secure is asked again with getdns validating the whole
 * chain, so the cache only ever makes "secure" cheaper.  With
 * DANEPROBE_FULL_VALIDATION set in the environment there is no cache and
 * getdns validates every answer in full, in every front-end that resolves
 * (for comparing verdicts, and for an operator who suspects the cache).
 *
 * Local failures: a lookup that times out or fails is the name's fault
 * only while the rest of the DNS answers.  The resolver tracks when a
 * genuine reply (NOERROR or NXDOMAIN) last arrived, and asks ". NS" (the
 * canary) with the first lookup and again whenever a failure comes with
 * no reply seen since that lookup began.  A failure during which neither
 * any reply nor the canary came back is delivered with local_failure set
 * and a reason saying what to check (outbound port 53, the resolver); it
 * waits for the canary's outcome at most one DNS timeout.
 *
 * In either mode only the answer to the question asked counts: a reply to
 * another question is a failed lookup, and a reply whose answer section
 * holds records of other names than the query name and its CNAME chain is
 * bogus (dns_reply.h).  In stub mode the upstream and the path to it are
 * not trusted at all: only signatures chained to the trust anchor count.
 *
 * Ownership: dns_resolver_new() allocates; dns_resolver_free() frees it and
 * cancels outstanding lookups, invoking their callbacks with
 * DNS_STATUS_CANCELLED (those callbacks must only free the answer).
 * The loop must outlive the resolver.
 */
#ifndef DANEPROBE_DNS_RESOLVER_H
#define DANEPROBE_DNS_RESOLVER_H

#include <stdint.h>

#include "dns/dns_answer.h"

struct ev_loop;

typedef struct dns_resolver dns_resolver;

typedef struct dns_resolver_config {
	const char *
	    resolver; /* NULL: full recursion; else "ADDR[@PORT]" (IPv6 as "::1" or "[::1]:53" or "::1@53") */
	const char *
	    trust_anchor_file; /* NULL: DEFAULT_TRUST_ANCHOR; DNSKEY or DS RRs in zone-file format */
	/* Recursive mode only: where recursion starts, as unbound's root-hints
	 * file (zone-file format; the A/AAAA records are the servers).  NULL:
	 * libunbound's built-in list of the real root servers. */
	const char *root_hints_file;
	unsigned timeout_ms; /* per lookup; 0 = 5000 */
	/* Lookups handed to getdns at once; more wait in a FIFO (0 = 64).
	 * A batch of a thousand domains must not flood the resolver: unbound
	 * drops queries beyond its num-queries-per-thread. */
	unsigned max_inflight;
} dns_resolver_config;

/* Returns 0 and sets *out, or -1 with a human reason in err (e.g. unreadable
 * trust anchor, bad resolver address). */
int dns_resolver_new(struct ev_loop *loop, const dns_resolver_config *cfg,
    dns_resolver **out, char *err, size_t errlen);
void dns_resolver_free(dns_resolver *r);

/* Called exactly once per lookup, from the loop.  The callback owns
 * `answer` and must dns_answer_free() it. */
typedef void (*dns_callback)(dns_answer *answer, void *arg);

/* Starts a lookup of (name, qtype).  Returns 0, or -1 when it could not
 * even be started (then the callback is never called; reason in err). */
int dns_lookup(dns_resolver *r, const char *name, uint16_t qtype,
    dns_callback cb, void *arg, char *err, size_t errlen);

/* Number of lookups started and not yet called back. */
unsigned dns_resolver_pending(const dns_resolver *r);

#endif
