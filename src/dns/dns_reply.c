#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <getdns/getdns_extra.h>

#include "dns/dns_name.h"
#include "dns/dns_reply.h"
#include "util/va_format.h"

#define DNS_CLASS_IN 1

const char *
dns_reply_fault_name(dns_reply_fault f)
{
	static const char *const names[] = {
		[DNS_REPLY_FINE] = "fine",
		[DNS_REPLY_NOT_OURS] = "not-ours",
		[DNS_REPLY_FOREIGN] = "foreign",
		[DNS_REPLY_MALFORMED] = "malformed",
		[DNS_REPLY_NOMEM] = "nomem",
	};

	if ((size_t)f >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[f];
}

static void fault(dns_reply_shape *s, dns_reply_fault f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fault(dns_reply_shape *s, dns_reply_fault f, const char *fmt, ...)
{
	if (s->fault != DNS_REPLY_FINE)
		return; /* the first fault found is the one reported */
	s->fault = f;
	VA_FORMAT(s->detail, fmt);
}

/* ------------------------------------------------------------------ */
/* Reading the sections                                                 */

static const char *
type_text(uint32_t type, char buf[16])
{
	const char *name = dns_type_name((uint16_t)type);

	if (type <= 0xffff && strcmp(name, "unknown") != 0)
		return name;
	switch (type) {
	case DNS_TYPE_NS:
		return "NS";
	case DNS_TYPE_SOA:
		return "SOA";
	case DNS_TYPE_DNAME:
		return "DNAME";
	case DNS_TYPE_DS:
		return "DS";
	case DNS_TYPE_RRSIG:
		return "RRSIG";
	case DNS_TYPE_NSEC:
		return "NSEC";
	case DNS_TYPE_DNSKEY:
		return "DNSKEY";
	case DNS_TYPE_NSEC3:
		return "NSEC3";
	default:
		snprintf(buf, 16, "TYPE%u", (unsigned)type);
		return buf;
	}
}

static char *
rdata_name(const getdns_dict *rdata, const char *field)
{
	getdns_bindata *b;

	if (rdata == NULL || getdns_dict_get_bindata(rdata, field, &b))
		return NULL;
	return dns_name_from_wire(b);
}

/* 0, or -1 when the RR cannot be read. */
static int
rr_info_fill(dns_rr_info *ri, const getdns_dict *rr)
{
	getdns_bindata *b;
	getdns_dict *rdata = NULL;

	ri->rr = rr;
	if (getdns_dict_get_int(rr, "type", &ri->type) ||
	    getdns_dict_get_bindata(rr, "name", &b) ||
	    (ri->owner = dns_name_from_wire(b)) == NULL)
		return -1;
	(void)getdns_dict_get_dict(rr, "rdata", &rdata);
	switch (ri->type) {
	case DNS_TYPE_RRSIG:
		if (rdata == NULL ||
		    getdns_dict_get_int(rdata, "type_covered", &ri->covered) ||
		    (ri->signer = rdata_name(rdata, "signers_name")) == NULL)
			return -1;
		break;
	case DNS_TYPE_CNAME:
		if ((ri->target = rdata_name(rdata, "cname")) == NULL)
			return -1;
		break;
	case DNS_TYPE_DNAME:
		if ((ri->target = rdata_name(rdata, "target")) == NULL)
			return -1;
		break;
	default:
		break;
	}
	return 0;
}

static void
rr_infos_free(dns_rr_info *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].owner);
		free(v[i].signer);
		free(v[i].target);
	}
	free(v);
}

static void
read_section(dns_reply_shape *s, const getdns_dict *reply, const char *name,
    dns_rr_info **out, size_t *n_out)
{
	getdns_list *rrs = NULL;
	getdns_dict *rr;
	size_t n = 0, i;

	*out = NULL;
	*n_out = 0;
	if (getdns_dict_get_list(reply, name, &rrs) ||
	    getdns_list_get_length(rrs, &n) || n == 0)
		return; /* an absent section is an empty one */
	if ((*out = calloc(n, sizeof(**out))) == NULL) {
		fault(s, DNS_REPLY_NOMEM, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		*n_out = i + 1;
		if (getdns_list_get_dict(rrs, i, &rr) ||
		    rr_info_fill(&(*out)[i], rr) < 0) {
			fault(s, DNS_REPLY_MALFORMED,
			    "unreadable record in the "
			    "%s section",
			    name);
			return;
		}
	}
}

/* ------------------------------------------------------------------ */
/* The question                                                         */

int
dns_reply_question(const getdns_dict *reply, char **qname, uint16_t *qtype)
{
	getdns_bindata *b;
	uint32_t t;

	*qname = NULL;
	if (getdns_dict_get_int(reply, "/question/qtype", &t) ||
	    getdns_dict_get_bindata(reply, "/question/qname", &b) ||
	    (*qname = dns_name_from_wire(b)) == NULL)
		return -1;
	*qtype = (uint16_t)t;
	return 0;
}

/* Whether the reply is a response (QR set) to (qname, qtype, IN).  Both
 * have been seen from getdns in recursive mode: when libunbound reaches no
 * server it hands back its own query (QR clear, ". NS"), and a leftover
 * reply to another lookup (an insecure NODATA for "ns-dead.<zone> AAAA"
 * given to a TLSA lookup); either would read as "no records here". */
static void
check_question(dns_reply_shape *s, const getdns_dict *reply, const char *qname,
    uint16_t qtype)
{
	uint32_t qr = 0, qclass = 0;
	uint16_t t = 0;
	char *name = NULL, buf[16];

	if (getdns_dict_get_int(reply, "/header/qr", &qr) || qr != 1)
		fault(s, DNS_REPLY_NOT_OURS, "a message that is no response");
	else if (dns_reply_question(reply, &name, &t) < 0 ||
	    getdns_dict_get_int(reply, "/question/qclass", &qclass))
		fault(s, DNS_REPLY_NOT_OURS, "a response without a question");
	else if (t != qtype || qclass != DNS_CLASS_IN ||
	    strcmp(name, qname) != 0)
		fault(s, DNS_REPLY_NOT_OURS,
		    "a response to \"%s\" %s%s, not "
		    "the question asked",
		    name, type_text(t, buf),
		    qclass != DNS_CLASS_IN ? " (not class IN)" : "");
	free(name);
}

bool
dns_reply_is_to(const getdns_dict *reply, const char *qname, uint16_t qtype)
{
	dns_reply_shape s;

	memset(&s, 0, sizeof(s));
	check_question(&s, reply, qname, qtype);
	return s.fault == DNS_REPLY_FINE;
}

/* ------------------------------------------------------------------ */
/* The CNAME chain and what the answer section may hold                 */

/* The one CNAME owned by `name`, or NULL; two make the reply malformed. */
static const dns_rr_info *
cname_at(dns_reply_shape *s, const char *name)
{
	const dns_rr_info *found = NULL;

	for (size_t i = 0; i < s->n_answer; i++) {
		const dns_rr_info *ri = &s->answer[i];

		if (ri->type != DNS_TYPE_CNAME || strcmp(ri->owner, name) != 0)
			continue;
		if (found != NULL) {
			fault(s, DNS_REPLY_MALFORMED, "two CNAMEs at \"%s\"",
			    name);
			return NULL;
		}
		found = ri;
	}
	return found;
}

static bool
in_chain(const dns_reply_shape *s, const char *name)
{
	for (size_t i = 0; i < s->n_chain; i++)
		if (strcmp(s->chain[i], name) == 0)
			return true;
	return false;
}

static void
follow_chain(dns_reply_shape *s, const char *qname)
{
	const dns_rr_info *cn;

	if ((s->chain[0] = strdup(qname)) == NULL) {
		fault(s, DNS_REPLY_NOMEM, "out of memory");
		return;
	}
	s->n_chain = 1;
	/* A CNAME question is answered by the CNAME itself. */
	while (s->qtype != DNS_TYPE_CNAME &&
	    (cn = cname_at(s, s->chain[s->n_chain - 1])) != NULL) {
		if (in_chain(s, cn->target)) {
			fault(s, DNS_REPLY_MALFORMED, "CNAME loop at \"%s\"",
			    cn->target);
			return;
		}
		if (s->n_chain == DNS_REPLY_MAX_CHAIN + 1) {
			fault(s, DNS_REPLY_MALFORMED,
			    "more than %d CNAMEs in "
			    "a row",
			    DNS_REPLY_MAX_CHAIN);
			return;
		}
		if ((s->chain[s->n_chain] = strdup(cn->target)) == NULL) {
			fault(s, DNS_REPLY_NOMEM, "out of memory");
			return;
		}
		s->n_chain++;
	}
}

const char *
dns_reply_final(const dns_reply_shape *s)
{
	return s->n_chain > 0 ? s->chain[s->n_chain - 1] : "";
}

/* Whether (owner, type) is an RRset of the answer: a link of the chain or
 * the data at its end. */
static bool
is_used(const dns_reply_shape *s, const char *owner, uint32_t type)
{
	for (size_t i = 0; i < s->n_chain; i++) {
		if (strcmp(owner, s->chain[i]) != 0)
			continue;
		return i + 1 < s->n_chain ? type == DNS_TYPE_CNAME :
		                            type == s->qtype;
	}
	return false;
}

/* Whether a DNAME at `owner` lies above a name of the chain. */
static bool
dname_above_chain(const dns_reply_shape *s, const char *owner)
{
	for (size_t i = 0; i < s->n_chain; i++)
		if (strcmp(owner, s->chain[i]) != 0 &&
		    dns_name_within(s->chain[i], owner))
			return true;
	return false;
}

static bool
allowed(const dns_reply_shape *s, const char *owner, uint32_t type)
{
	return is_used(s, owner, type) ||
	    (type == DNS_TYPE_DNAME && dname_above_chain(s, owner));
}

static uint32_t
rr_class(const dns_rr_info *ri)
{
	uint32_t c = 0;

	(void)getdns_dict_get_int(ri->rr, "class", &c);
	return c;
}

static void
check_answer_section(dns_reply_shape *s)
{
	char buf[16];

	for (size_t i = 0; i < s->n_answer; i++) {
		const dns_rr_info *ri = &s->answer[i];
		uint32_t type =
		    ri->type == DNS_TYPE_RRSIG ? ri->covered : ri->type;

		if (rr_class(ri) == DNS_CLASS_IN && allowed(s, ri->owner, type))
			continue;
		fault(s, DNS_REPLY_FOREIGN, "%s%s at \"%s\"",
		    ri->type == DNS_TYPE_RRSIG ? "RRSIG over " : "",
		    type_text(type, buf), ri->owner);
		return;
	}
}

/* The authority section supplies no records, but getdns validates its
 * signed RRsets along with the answer and folds them into the one status
 * of the reply.  So a signed RRset there must be a proof for a name of
 * the chain (a denial, a wildcard expansion) or the NS of its zone: from
 * a zone that holds both its own owner and a name of the chain. */
static void
check_authority_section(dns_reply_shape *s)
{
	char buf[16];

	for (size_t i = 0; i < s->n_authority; i++) {
		const dns_rr_info *ri = &s->authority[i];
		bool encloses = false;

		if (ri->type != DNS_TYPE_RRSIG)
			continue;
		for (size_t j = 0; j < s->n_chain && !encloses; j++)
			encloses = dns_name_within(s->chain[j], ri->signer);
		if (encloses && dns_name_within(ri->owner, ri->signer))
			continue;
		fault(s, DNS_REPLY_FOREIGN,
		    "a proof signed by \"%s\" (RRSIG "
		    "over %s at \"%s\")",
		    ri->signer, type_text(ri->covered, buf), ri->owner);
		return;
	}
}

/* ------------------------------------------------------------------ */
/* Signatures over what is used                                         */

static bool
has_sig(const dns_rr_info *v, size_t n, const char *owner, uint32_t type)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].type == DNS_TYPE_RRSIG && v[i].covered == type &&
		    strcmp(v[i].owner, owner) == 0 &&
		    dns_name_within(owner, v[i].signer))
			return true;
	return false;
}

/* A link synthesised from a signed DNAME above it counts as signed. */
static bool
link_signed(const dns_reply_shape *s, const char *owner)
{
	if (has_sig(s->answer, s->n_answer, owner, DNS_TYPE_CNAME))
		return true;
	for (size_t i = 0; i < s->n_answer; i++) {
		const dns_rr_info *ri = &s->answer[i];

		if (ri->type == DNS_TYPE_DNAME &&
		    strcmp(ri->owner, owner) != 0 &&
		    dns_name_within(owner, ri->owner) &&
		    has_sig(s->answer, s->n_answer, ri->owner, DNS_TYPE_DNAME))
			return true;
	}
	return false;
}

static bool
denial_signed(const dns_reply_shape *s)
{
	const char *final = dns_reply_final(s);

	for (size_t i = 0; i < s->n_authority; i++) {
		const dns_rr_info *ri = &s->authority[i];

		if (ri->type == DNS_TYPE_RRSIG &&
		    (ri->covered == DNS_TYPE_SOA ||
		        ri->covered == DNS_TYPE_NSEC ||
		        ri->covered == DNS_TYPE_NSEC3) &&
		    dns_name_within(final, ri->signer) &&
		    dns_name_within(ri->owner, ri->signer))
			return true;
	}
	return false;
}

static void
weigh_signatures(dns_reply_shape *s)
{
	const char *final = dns_reply_final(s);

	s->signed_chain = true;
	for (size_t i = 0; i + 1 < s->n_chain; i++)
		if (!link_signed(s, s->chain[i]))
			s->signed_chain = false;
	if (s->n_data > 0 && !has_sig(s->answer, s->n_answer, final, s->qtype))
		s->signed_chain = false;
	s->signed_denial = denial_signed(s);
}

void
dns_reply_examine(const getdns_dict *reply, const char *qname, uint16_t qtype,
    dns_reply_shape *s)
{
	memset(s, 0, sizeof(*s));
	s->qtype = qtype;
	check_question(s, reply, qname, qtype);
	if (getdns_dict_get_int(reply, "/header/rcode", &s->rcode))
		fault(s, DNS_REPLY_MALFORMED, "a reply without header");
	read_section(s, reply, "answer", &s->answer, &s->n_answer);
	read_section(s, reply, "authority", &s->authority, &s->n_authority);
	if (s->fault != DNS_REPLY_FINE)
		return;
	follow_chain(s, qname);
	if (s->fault != DNS_REPLY_FINE)
		return;
	check_answer_section(s);
	check_authority_section(s);
	for (size_t i = 0; i < s->n_answer; i++)
		if (s->answer[i].type == qtype &&
		    strcmp(s->answer[i].owner, dns_reply_final(s)) == 0)
			s->n_data++;
	if (s->rcode == 3 && s->n_data > 0)
		fault(s, DNS_REPLY_MALFORMED,
		    "NXDOMAIN with records of the "
		    "asked type");
	weigh_signatures(s);
}

void
dns_reply_shape_clear(dns_reply_shape *s)
{
	for (size_t i = 0; i < s->n_chain; i++)
		free(s->chain[i]);
	rr_infos_free(s->answer, s->n_answer);
	rr_infos_free(s->authority, s->n_authority);
	memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------------ */
/* Decoding the records used into a dns_answer                          */

static int
decode_mx(const getdns_dict *rdata, dns_mx *mx)
{
	getdns_bindata *exch;
	uint32_t pref;

	if (getdns_dict_get_int(rdata, "preference", &pref) ||
	    getdns_dict_get_bindata(rdata, "exchange", &exch) ||
	    (mx->exchange = dns_name_from_wire(exch)) == NULL)
		return -1;
	mx->preference = (uint16_t)pref;
	return 0;
}

static int
decode_addr(const getdns_dict *rdata, uint16_t qtype, dns_addr *a)
{
	getdns_bindata *b;

	a->family = qtype == DNS_TYPE_A ? AF_INET : AF_INET6;
	if (getdns_dict_get_bindata(rdata,
	        qtype == DNS_TYPE_A ? "ipv4_address" : "ipv6_address", &b))
		return -1;
	if (b->size != (qtype == DNS_TYPE_A ? 4u : 16u))
		return -1;
	memcpy(&a->u, b->data, b->size);
	if (inet_ntop(a->family, &a->u, a->text, sizeof(a->text)) == NULL)
		return -1;
	return 0;
}

static int
decode_tlsa(const getdns_dict *rdata, tlsa_record *t)
{
	getdns_bindata *d;
	uint32_t u, s, m;

	if (getdns_dict_get_int(rdata, "certificate_usage", &u) ||
	    getdns_dict_get_int(rdata, "selector", &s) ||
	    getdns_dict_get_int(rdata, "matching_type", &m) ||
	    getdns_dict_get_bindata(rdata, "certificate_association_data", &d))
		return -1;
	t->usage = (uint8_t)u;
	t->selector = (uint8_t)s;
	t->mtype = (uint8_t)m;
	t->len = d->size;
	if (d->size > 0) {
		if ((t->data = malloc(d->size)) == NULL)
			return -1;
		memcpy(t->data, d->data, d->size);
	}
	return 0;
}

static int
alloc_records(dns_answer *a, size_t n)
{
	if (n == 0)
		return 0;
	switch (a->qtype) {
	case DNS_TYPE_MX:
		return (a->mx = calloc(n, sizeof(*a->mx))) ? 0 : -1;
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA:
		return (a->addrs = calloc(n, sizeof(*a->addrs))) ? 0 : -1;
	case DNS_TYPE_TLSA:
		return (a->tlsa = calloc(n, sizeof(*a->tlsa))) ? 0 : -1;
	default:
		return 0;
	}
}

/* Appends the RR in wire form to a->wire (the types not decoded). */
static int
append_wire(dns_answer *a, const getdns_dict *rr)
{
	uint8_t *w = NULL, *grown;
	size_t len = 0;

	if (getdns_rr_dict2wire(rr, &w, &len) != GETDNS_RETURN_GOOD)
		return -1;
	if ((grown = realloc(a->wire, a->wire_len + len)) == NULL) {
		free(w);
		return -1;
	}
	memcpy(grown + a->wire_len, w, len);
	a->wire = grown;
	a->wire_len += len;
	free(w);
	return 0;
}

static int
decode_one(dns_answer *a, const getdns_dict *rdata)
{
	switch (a->qtype) {
	case DNS_TYPE_MX:
		return decode_mx(rdata, &a->mx[a->count]);
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA:
		return decode_addr(rdata, a->qtype, &a->addrs[a->count]);
	case DNS_TYPE_TLSA:
		return decode_tlsa(rdata, &a->tlsa[a->count]);
	default:
		return 0; /* other types are only counted */
	}
}

/* Fills the record array with the qtype RRs owned by the final name and
 * the RRset's TTL (the minimum, as a cache would use).  a->count grows as
 * entries are filled, so a failure leaves a consistent answer for
 * dns_answer_free(). */
static int
decode_records(dns_answer *a, const dns_reply_shape *s)
{
	const char *final = dns_reply_final(s);
	getdns_dict *rdata;
	uint32_t ttl;

	if (alloc_records(a, s->n_data) < 0)
		return -1;
	for (size_t i = 0; i < s->n_answer; i++) {
		const dns_rr_info *ri = &s->answer[i];

		if (ri->type != a->qtype || strcmp(ri->owner, final) != 0)
			continue;
		if (getdns_dict_get_dict(ri->rr, "rdata", &rdata) ||
		    decode_one(a, rdata) < 0)
			return -1;
		if (a->qtype != DNS_TYPE_MX && a->qtype != DNS_TYPE_A &&
		    a->qtype != DNS_TYPE_AAAA && a->qtype != DNS_TYPE_TLSA &&
		    append_wire(a, ri->rr) < 0)
			return -1;
		if (!getdns_dict_get_int(ri->rr, "ttl", &ttl) &&
		    (a->count == 0 || ttl < a->ttl))
			a->ttl = ttl;
		a->count++;
	}
	return 0;
}

static const char *
rcode_name(uint32_t rcode)
{
	static const char *const names[] = {
		"NOERROR",
		"FORMERR",
		"SERVFAIL",
		"NXDOMAIN",
		"NOTIMP",
		"REFUSED",
		"YXDOMAIN",
		"YXRRSET",
		"NXRRSET",
		"NOTAUTH",
		"NOTZONE",
	};

	return rcode < sizeof(names) / sizeof(names[0]) ? names[rcode] :
	                                                  "unknown RCODE";
}

static dns_security
map_security(const getdns_dict *reply)
{
	uint32_t st;

	if (getdns_dict_get_int(reply, "dnssec_status", &st))
		return DNS_SECURITY_INDETERMINATE;
	switch (st) {
	case GETDNS_DNSSEC_SECURE:
		return DNS_SECURITY_SECURE;
	case GETDNS_DNSSEC_INSECURE:
		return DNS_SECURITY_INSECURE;
	case GETDNS_DNSSEC_BOGUS:
		return DNS_SECURITY_BOGUS;
	default:
		return DNS_SECURITY_INDETERMINATE;
	}
}

/* The response status comes from the rcode, not the DNSSEC status:
 * getdns reports a dead nameserver as INSECURE with rcode SERVFAIL. */
static void
set_status(dns_answer *a, uint32_t rcode, const char *from)
{
	if (rcode == 0)
		a->status = a->count > 0 ? DNS_STATUS_OK : DNS_STATUS_NODATA;
	else if (rcode == 3)
		a->status = DNS_STATUS_NXDOMAIN;
	else
		a->status = DNS_STATUS_SERVFAIL;

	if (a->status == DNS_STATUS_SERVFAIL)
		snprintf(a->reason, sizeof(a->reason), "%s %s",
		    rcode_name(rcode), from);
	else if (a->security == DNS_SECURITY_BOGUS)
		snprintf(a->reason, sizeof(a->reason),
		    "DNSSEC validation failed (bogus)");
	else if (a->status == DNS_STATUS_NXDOMAIN)
		snprintf(a->reason, sizeof(a->reason),
		    "name does not exist (NXDOMAIN)");
	else if (a->status == DNS_STATUS_NODATA)
		snprintf(a->reason, sizeof(a->reason),
		    "no %s records at this name", dns_type_name(a->qtype));
	else if (a->security == DNS_SECURITY_INDETERMINATE)
		snprintf(a->reason, sizeof(a->reason),
		    "DNSSEC status indeterminate");
}

/* The reply cannot answer the question: no records, no status to trust. */
static void
set_unusable(dns_answer *a, const dns_reply_shape *s, const char *from)
{
	switch (s->fault) {
	case DNS_REPLY_NOT_OURS:
		a->status = DNS_STATUS_SERVFAIL;
		a->security = DNS_SECURITY_INDETERMINATE;
		snprintf(a->reason, sizeof(a->reason), "no usable reply %s: %s",
		    from, s->detail);
		break;
	case DNS_REPLY_FOREIGN:
		/* Records the question did not ask for, in the place of the
		 * answer: a forgery (or a broken server); a validating
		 * resolver would not pass it on either. */
		a->status = DNS_STATUS_SERVFAIL;
		a->security = DNS_SECURITY_BOGUS;
		snprintf(a->reason, sizeof(a->reason),
		    "reply %s holds %s, "
		    "which is no part of the answer (forged?)",
		    from, s->detail);
		break;
	case DNS_REPLY_NOMEM:
		a->status = DNS_STATUS_ERROR;
		a->security = DNS_SECURITY_INDETERMINATE;
		snprintf(a->reason, sizeof(a->reason), "out of memory");
		break;
	case DNS_REPLY_MALFORMED:
	default:
		a->status = DNS_STATUS_SERVFAIL;
		a->security = DNS_SECURITY_INDETERMINATE;
		snprintf(a->reason, sizeof(a->reason), "malformed reply %s: %s",
		    from, s->detail);
		break;
	}
}

static void
set_canonical_name(dns_answer *a, const dns_reply_shape *s)
{
	char *name = strdup(dns_reply_final(s));

	if (name == NULL)
		return; /* keep the one there is */
	free(a->canonical_name);
	a->canonical_name = name;
}

/* Whether every name of the chain lies below a trust anchor: getdns
 * leaves RRsets elsewhere out of its status (INDETERMINATE), so a status
 * of SECURE says nothing about them. */
static bool
chain_anchored(const dns_reply_shape *s, const char *const *anchors)
{
	for (size_t i = 0; anchors != NULL && i < s->n_chain; i++) {
		size_t k;

		for (k = 0; anchors[k] != NULL &&
		     !dns_name_within(s->chain[i], anchors[k]);
		     k++)
			;
		if (anchors[k] == NULL)
			return false;
	}
	return true;
}

void
dns_reply_decode(dns_answer *a, const getdns_dict *reply, const char *from,
    const char *const *anchors)
{
	dns_reply_shape s;

	dns_reply_examine(reply, a->qname, a->qtype, &s);
	if (s.fault != DNS_REPLY_FINE) {
		set_unusable(a, &s, from);
		dns_reply_shape_clear(&s);
		return;
	}
	a->security = map_security(reply);
	if (a->security == DNS_SECURITY_SECURE &&
	    (s.rcode == 0 || s.rcode == 3) &&
	    !(s.signed_chain && (s.n_data > 0 || s.signed_denial) &&
	        chain_anchored(&s, anchors)))
		/* getdns vouched for other RRsets (or none): what is used
		 * here was never validated. */
		a->security = DNS_SECURITY_INDETERMINATE;
	set_canonical_name(a, &s);
	if (s.rcode == 0 && decode_records(a, &s) < 0) {
		a->status = DNS_STATUS_ERROR;
		a->security = DNS_SECURITY_INDETERMINATE;
		snprintf(a->reason, sizeof(a->reason),
		    "cannot decode the answer records");
	} else {
		set_status(a, s.rcode, from);
	}
	dns_reply_shape_clear(&s);
}
