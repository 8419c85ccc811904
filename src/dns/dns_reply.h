/*
 * dns_reply.h -- which records of one DNS reply answer the question that
 * was asked, and the dns_answer made of them.  Pure functions of a getdns
 * reply dict (one entry of a replies_tree, or a wire message turned into a
 * dict), so that every rule below is unit-tested from recorded bytes.
 *
 * In stub mode the resolver and the path to it are not trusted: only
 * DNSSEC signatures chained to the anchor count, and only for the name
 * that was asked.  getdns gives one DNSSEC status for a whole reply (the
 * worst of its RRsets that lie below a trust anchor), so a reply that
 * carries more than the answer could lend its status to records it does
 * not vouch for.  Hence, for a question (qname, qtype, IN):
 *
 *  - The reply must be a response (QR set) to exactly that question: the
 *    name compared case-insensitively, the type, class IN.  Anything else
 *    is NOT_OURS: a failed lookup (SERVFAIL), never NODATA -- getdns has
 *    been seen to hand back a leftover reply to another question.
 *  - The answer section must hold the answer and nothing else (RFC 1034
 *    3.6.2, RFC 4035 3.2): the CNAME chain that starts at qname, each
 *    CNAME owned by the previous name (at most DNS_REPLY_MAX_CHAIN links,
 *    no loops); the qtype RRset owned by the last name of the chain; the
 *    DNAMEs above names of the chain that synthesised a link (RFC 6672);
 *    and the RRSIGs over exactly those RRsets.  Any other RRset -- an
 *    RRset of the asked type at another owner above all -- makes the reply
 *    FOREIGN: a forgery or a broken server; the lookup fails as bogus.
 *    (Ignoring such RRsets would be enough never to use them, but then the
 *    reply's one DNSSEC status would not be the status of what is used.)
 *  - The authority and additional sections never supply records.  But
 *    getdns folds the signed RRsets of the authority section into its
 *    status too, so each RRSIG there must be by a zone that encloses both
 *    its owner and a name of the chain (a denial or wildcard proof for it,
 *    the NS of its zone); any other is FOREIGN as well.  The key cache
 *    (dns_keycache.c) also accepts a denial only from a zone enclosing the
 *    final name.
 *  - The security reported is getdns's status for the reply, and SECURE
 *    only if every RRset used carries an RRSIG by a zone that encloses its
 *    owner (for a denial: a signed SOA/NSEC/NSEC3 from a zone enclosing
 *    the final name) and every name of the chain lies below a trust
 *    anchor.  Otherwise the records used were never validated (getdns
 *    leaves RRsets outside every anchor out of its status), and the
 *    status is INDETERMINATE.  Along a CNAME chain that is the weakest
 *    link's status: getdns's status is already the worst of all RRsets.
 *
 * Ownership: dns_reply_examine() fills a caller's dns_reply_shape that
 * owns its strings until dns_reply_shape_clear(); the rr_info entries
 * borrow the reply's RR dicts, so the reply must outlive the shape.
 */
#ifndef DANEPROBE_DNS_REPLY_H
#define DANEPROBE_DNS_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <getdns/getdns.h>

#include "dns/dns_answer.h"

#define DNS_REPLY_MAX_CHAIN 8 /* CNAME links followed, as getdns does */

typedef enum dns_reply_fault {
	DNS_REPLY_FINE = 0,
	DNS_REPLY_NOT_OURS,  /* not a response to the question asked */
	DNS_REPLY_FOREIGN,   /* the answer section holds more than the answer */
	DNS_REPLY_MALFORMED, /* unreadable, CNAME loop, too long a chain, ... */
	DNS_REPLY_NOMEM,
} dns_reply_fault;

/* One RR of a section, as the rules need it. */
typedef struct dns_rr_info {
	const getdns_dict *rr; /* borrowed from the reply */
	char *owner;           /* owned, dns_name form */
	uint32_t type;
	uint32_t covered; /* RRSIG: type covered */
	char *signer;     /* RRSIG: signer's name, owned */
	char *target;     /* CNAME / DNAME: the target, owned */
} dns_rr_info;

typedef struct dns_reply_shape {
	dns_reply_fault fault;
	uint32_t rcode;
	uint16_t qtype;
	char
	    *chain[DNS_REPLY_MAX_CHAIN + 1]; /* owned: [0] qname, last: final */
	size_t n_chain;
	dns_rr_info *answer, *authority; /* owned */
	size_t n_answer, n_authority;
	size_t n_data; /* qtype RRs owned by the final name */
	bool
	    signed_chain; /* every RRset used has an RRSIG by an enclosing zone */
	bool
	    signed_denial; /* a signed SOA/NSEC/NSEC3 by a zone enclosing the final name */
	char detail[160]; /* what was wrong, for the reason */
} dns_reply_shape;

/* Examines `reply` as the answer to (qname, qtype): qname in dns_name
 * form.  Always fills *s (clear it with dns_reply_shape_clear()). */
void dns_reply_examine(const getdns_dict *reply, const char *qname,
    uint16_t qtype, dns_reply_shape *s);
void dns_reply_shape_clear(dns_reply_shape *s);

/* The last name of the chain (qname when there is no CNAME). */
const char *dns_reply_final(const dns_reply_shape *s);

/* The question of a reply: *qname malloc'd (caller frees).  0, or -1 when
 * the reply has no readable question. */
int dns_reply_question(const getdns_dict *reply, char **qname, uint16_t *qtype);

/* Whether `reply` is a response to (qname, qtype, IN); qname in dns_name
 * form. */
bool dns_reply_is_to(
    const getdns_dict *reply, const char *qname, uint16_t qtype);

/*
 * Fills `a` (qname and qtype set, as from the resolver) from `reply`:
 * status, security, canonical name, TTL, the records of the answer and a
 * reason.  `from` names the server for reasons ("from 127.53.0.1").
 * `anchors`: the zones of the trust anchors (NULL-terminated; NULL: not
 * checked); SECURE also needs every name of the chain below one of them.
 * Never fails: out of memory gives DNS_STATUS_ERROR.
 */
void dns_reply_decode(dns_answer *a, const getdns_dict *reply, const char *from,
    const char *const *anchors);

const char *dns_reply_fault_name(dns_reply_fault f);

#endif
