/*
 * dns_answer.h -- the outcome of one DNS lookup, decoded into plain C types
 * together with its DNSSEC security status.
 *
 * RFC 7672 decisions depend on both the response status (NOERROR with data,
 * NODATA, NXDOMAIN, SERVFAIL, timeout) and the DNSSEC status; a lookup can
 * be "insecure" and still have failed, so both are always kept.
 *
 * Ownership: a dns_answer is allocated by the resolver and handed to the
 * callback, which owns it from then on and frees it with dns_answer_free().
 */
#ifndef DANEPROBE_DNS_ANSWER_H
#define DANEPROBE_DNS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "dns/tlsa_record.h"

/* RR type numbers (IANA DNS parameters): the types we ask for, */
enum {
	DNS_TYPE_A = 1,
	DNS_TYPE_MX = 15,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_TLSA = 52,
};
/* and the ones replies bring along: aliases, referrals, DNSSEC. */
enum {
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_SOA = 6,
	DNS_TYPE_DNAME = 39,
	DNS_TYPE_DS = 43,
	DNS_TYPE_RRSIG = 46,
	DNS_TYPE_NSEC = 47,
	DNS_TYPE_DNSKEY = 48,
	DNS_TYPE_NSEC3 = 50,
};

typedef enum dns_status {
	DNS_STATUS_OK = 0,    /* NOERROR with at least one record of qtype */
	DNS_STATUS_NODATA,    /* NOERROR, name exists, no record of qtype */
	DNS_STATUS_NXDOMAIN,  /* name does not exist */
	DNS_STATUS_SERVFAIL,  /* server failure, refused, or other rcode */
	DNS_STATUS_TIMEOUT,   /* no answer in time */
	DNS_STATUS_ERROR,     /* local error (bad name, out of memory, ...) */
	DNS_STATUS_CANCELLED, /* resolver torn down; callback must not use arg */
} dns_status;

typedef enum dns_security {
	DNS_SECURITY_SECURE = 0,
	DNS_SECURITY_INSECURE,
	DNS_SECURITY_BOGUS,
	DNS_SECURITY_INDETERMINATE,
	DNS_SECURITY_COUNT,
} dns_security;

typedef struct dns_mx {
	uint16_t preference;
	char *
	    exchange; /* owned; presentation form without trailing dot, "" for the null MX "." */
} dns_mx;

typedef struct dns_addr {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} u;
	char text[46]; /* INET6_ADDRSTRLEN */
} dns_addr;

typedef struct dns_answer {
	char *qname; /* owned; as asked, no trailing dot, lowercase */
	char *
	    canonical_name; /* owned; after CNAME expansion (== qname if none) */
	uint16_t qtype;
	dns_status status;
	dns_security security;
	uint32_t ttl;      /* TTL of the answer RRset (0 when none) */
	size_t count;      /* number of entries in the array matching qtype */
	dns_mx *mx;        /* qtype MX */
	dns_addr *addrs;   /* qtype A or AAAA */
	tlsa_record *tlsa; /* qtype TLSA */
	/* Other qtypes (NS, SOA, DNSKEY): the `count` records, each RR in
	 * uncompressed wire form, one after the other (owned; NULL when
	 * none).  What a caller hands to a DNS library as it came. */
	uint8_t *wire;
	size_t wire_len;
	double elapsed_ms; /* time the lookup took */
	char reason[160];  /* human words when status is not OK */
	/* Failed (TIMEOUT, ERROR, SERVFAIL) because no DNS server answered
	 * anything, not even for the root: the prober's own outage, not the
	 * name's fault (dns_resolver.h).  The reason then says what to check. */
	bool local_failure;
} dns_answer;

void dns_answer_free(dns_answer *a); /* NULL-safe; frees everything owned */

/* Deep copy for sharing one answer between several consumers; NULL on OOM. */
dns_answer *dns_answer_dup(const dns_answer *a);

const char *dns_status_name(dns_status s); /* "ok", "nodata", "nxdomain", ... */
/* "secure", "insecure", "bogus", "indeterminate"; "unknown" outside
 * [0, DNS_SECURITY_COUNT). */
const char *dns_security_name(dns_security s);
const char *dns_type_name(uint16_t qtype); /* "MX", "A", ... */

#endif
