/*
 * dns_zone.c -- a zone's keys and servers through the validating resolver
 * (getdns, dns_resolver.h), and direct questions to one authoritative
 * server checked against those keys (ldns).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns/dns_name.h"
#include "dns/dns_zone.h"
#include "util/ev_compat.h"
#include "util/hex.h"

/* ============================================ through the resolver */

enum { MAX_LOOKUPS = 2 * DNS_ZONE_MAX_SERVERS + 8 };

typedef struct lookups {
	size_t n;
	dns_answer *ans[MAX_LOOKUPS];
} lookups;

typedef struct slot {
	lookups *l;
	size_t i;
} slot;

static void
on_answer(dns_answer *a, void *arg)
{
	slot *s = arg;

	s->l->ans[s->i] = a;
}

/* Runs the lookups (name[i], type[i]) to the end on a loop of their own;
 * answers in l->ans (NULL where one could not start). */
static int
run_lookups(const dns_resolver_config *cfg, char names[][256],
    const uint16_t *types, size_t n, lookups *l, char *err, size_t errlen)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	dns_resolver *r = NULL;
	slot slots[MAX_LOOKUPS];
	char why[200];

	memset(l, 0, sizeof(*l));
	l->n = n;
	if (loop == NULL || n > MAX_LOOKUPS) {
		snprintf(err, errlen, "cannot start the lookups");
		if (loop != NULL)
			ev_loop_destroy(loop);
		return -1;
	}
	if (dns_resolver_new(loop, cfg, &r, err, errlen) != 0) {
		ev_loop_destroy(loop);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		slots[i].l = l;
		slots[i].i = i;
		if (dns_lookup(r, names[i], types[i], on_answer, &slots[i], why,
		        sizeof(why)) != 0)
			l->ans[i] = NULL;
	}
	while (dns_resolver_pending(r) > 0)
		ev_run(loop, EVRUN_ONCE);
	dns_resolver_free(r);
	ev_loop_destroy(loop);
	return 0;
}

static void
lookups_free(lookups *l)
{
	for (size_t i = 0; i < l->n; i++)
		dns_answer_free(l->ans[i]);
	memset(l, 0, sizeof(*l));
}

/* The first domain name in each RR's rdata (NS, SOA MNAME), by index. */
static int
wire_names(const dns_answer *a, char out[][256], size_t max, size_t *n)
{
	size_t pos = 0;

	*n = 0;
	while (a->wire != NULL && pos < a->wire_len && *n < max) {
		ldns_rr *rr = NULL;
		char *s;

		if (ldns_wire2rr(&rr, a->wire, a->wire_len, &pos,
		        LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
			return -1;
		if (ldns_rr_rd_count(rr) > 0 &&
		    (s = ldns_rdf2str(ldns_rr_rdf(rr, 0))) != NULL) {
			size_t len = strlen(s);

			if (len > 1 && s[len - 1] == '.')
				s[len - 1] = '\0';
			snprintf(out[(*n)++], 256, "%s", s);
			free(s);
		}
		ldns_rr_free(rr);
	}
	return 0;
}

static int
need_secure(const dns_answer *a, const char *what, char *err, size_t errlen)
{
	if (a == NULL) {
		snprintf(err, errlen, "%s: the lookup did not start", what);
		return -1;
	}
	if (a->status != DNS_STATUS_OK) {
		snprintf(err, errlen, "%s %s: %s%s%s", a->qname, what,
		    dns_status_name(a->status), a->reason[0] ? ": " : "",
		    a->reason);
		return -1;
	}
	if (a->security != DNS_SECURITY_SECURE) {
		snprintf(err, errlen, "%s %s is %s, not DNSSEC-secure",
		    a->qname, what, dns_security_name(a->security));
		return -1;
	}
	return 0;
}

/* The addresses of hosts[0..n) (A and AAAA); primary from hosts[0]. */
static int
find_addresses(const dns_resolver_config *cfg, char hosts[][256], size_t n,
    dns_zone_info *zi, char *err, size_t errlen)
{
	static char names[MAX_LOOKUPS][256]; /* 17 KiB: not on the stack */
	uint16_t types[MAX_LOOKUPS] = { 0 };
	lookups l;

	for (size_t i = 0; i < n; i++) {
		memcpy(names[2 * i], hosts[i], 256);
		memcpy(names[2 * i + 1], hosts[i], 256);
		types[2 * i] = DNS_TYPE_A;
		types[2 * i + 1] = DNS_TYPE_AAAA;
	}
	if (run_lookups(cfg, names, types, 2 * n, &l, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < 2 * n; i++) {
		const dns_answer *a = l.ans[i];

		for (size_t k = 0; a && a->status == DNS_STATUS_OK &&
		     k < a->count && zi->n_servers < DNS_ZONE_MAX_SERVERS;
		     k++) {
			if (i < 2 && zi->primary[0] == '\0')
				snprintf(zi->primary, sizeof(zi->primary), "%s",
				    a->addrs[k].text);
			if (i >= 2)
				snprintf(zi->servers[zi->n_servers++], 64, "%s",
				    a->addrs[k].text);
		}
	}
	lookups_free(&l);
	return 0;
}

int
dns_zone_lookup(const dns_resolver_config *cfg, const char *zone,
    dns_zone_info *zi, char *err, size_t errlen)
{
	char names[3][256], hosts[DNS_ZONE_MAX_SERVERS + 1][256];
	uint16_t types[3] = { DNS_TYPE_SOA, DNS_TYPE_DNSKEY, DNS_TYPE_NS };
	lookups l;
	size_t n_mname = 0, n_ns = 0;
	int rc = -1;

	memset(zi, 0, sizeof(*zi));
	snprintf(zi->zone, sizeof(zi->zone), "%s", zone);
	for (int i = 0; i < 3; i++)
		snprintf(names[i], sizeof(names[i]), "%s", zone);
	if (run_lookups(cfg, names, types, 3, &l, err, errlen) != 0)
		return -1;
	if (need_secure(l.ans[0], "SOA", err, errlen) == 0 &&
	    need_secure(l.ans[1], "DNSKEY", err, errlen) == 0 &&
	    need_secure(l.ans[2], "NS", err, errlen) == 0 &&
	    wire_names(l.ans[0], hosts, 1, &n_mname) == 0 && n_mname == 1 &&
	    wire_names(l.ans[2], hosts + 1, DNS_ZONE_MAX_SERVERS, &n_ns) == 0) {
		snprintf(zi->mname, sizeof(zi->mname), "%s", hosts[0]);
		zi->dnskey = l.ans[1]->wire;
		zi->dnskey_len = l.ans[1]->wire_len;
		l.ans[1]->wire = NULL;
		rc = find_addresses(cfg, hosts, 1 + n_ns, zi, err, errlen);
	} else if (n_mname != 1 && err[0] == '\0')
		snprintf(
		    err, errlen, "%s: cannot read the SOA or NS records", zone);
	lookups_free(&l);
	if (rc == 0 && zi->n_servers == 0) {
		snprintf(err, errlen, "%s: no address for any NS host", zone);
		rc = -1;
	}
	if (rc != 0)
		dns_zone_info_clear(zi);
	return rc;
}

void
dns_zone_info_clear(dns_zone_info *zi)
{
	free(zi->dnskey);
	memset(zi, 0, sizeof(*zi));
}

/* ==================================================== asked directly */

static ldns_resolver *
direct_resolver(
    const char *server, unsigned timeout_ms, char *err, size_t errlen)
{
	char host[64];
	const char *at = strchr(server, '@');
	long port = 53;
	ldns_resolver *res = ldns_resolver_new();
	ldns_rdf *addr;
	struct timeval tv = { (time_t)(timeout_ms / 1000),
		(suseconds_t)(timeout_ms % 1000) * 1000 };

	snprintf(host, sizeof(host), "%.*s",
	    at ? (int)(at - server) : (int)strlen(server), server);
	if (at != NULL)
		port = strtol(at + 1, NULL, 10);
	addr = ldns_rdf_new_frm_str(
	    strchr(host, ':') ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, host);
	if (res == NULL || addr == NULL || port <= 0 || port > 65535 ||
	    ldns_resolver_push_nameserver(res, addr) != LDNS_STATUS_OK) {
		snprintf(err, errlen, "\"%s\" is not an address", server);
		ldns_rdf_deep_free(addr);
		ldns_resolver_deep_free(res);
		return NULL;
	}
	ldns_rdf_deep_free(addr);
	ldns_resolver_set_port(res, (uint16_t)port);
	ldns_resolver_set_recursive(res, false);
	ldns_resolver_set_dnssec(res, true);
	ldns_resolver_set_usevc(res, true);
	ldns_resolver_set_retry(res, 1);
	ldns_resolver_set_timeout(res, tv);
	return res;
}

static int
take_records(const ldns_rr_list *rrset, dns_served *out)
{
	size_t n = ldns_rr_list_rr_count(rrset);

	if (n == 0)
		return 0;
	if ((out->recs = calloc(n, sizeof(*out->recs))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrset, i);
		const ldns_rdf *d = ldns_rr_rdf(rr, 3);
		tlsa_record *t = &out->recs[out->n];

		if (ldns_rr_rd_count(rr) != 4 || d == NULL)
			continue;
		t->usage = ldns_rdf2native_int8(ldns_rr_rdf(rr, 0));
		t->selector = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
		t->mtype = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
		if ((t->data = malloc(ldns_rdf_size(d) + 1)) == NULL)
			return -1;
		memcpy(t->data, ldns_rdf_data(d), ldns_rdf_size(d));
		t->len = ldns_rdf_size(d);
		out->n++;
		out->ttl = ldns_rr_ttl(rr);
	}
	return 0;
}

static ldns_rr_list *
zone_keys(const dns_zone_info *zi)
{
	ldns_rr_list *keys = ldns_rr_list_new();
	size_t pos = 0;

	while (keys != NULL && pos < zi->dnskey_len) {
		ldns_rr *rr = NULL;

		if (ldns_wire2rr(&rr, zi->dnskey, zi->dnskey_len, &pos,
		        LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
			break;
		ldns_rr_list_push_rr(keys, rr);
	}
	return keys;
}

/* Finds an RRSIG over rrset that verifies with the zone's keys at now. */
static void
check_signatures(const ldns_rr_list *rrset, const ldns_rr_list *sigs,
    const dns_zone_info *zi, time_t now, dns_served *out)
{
	ldns_rr_list *keys = zone_keys(zi);
	ldns_status last = LDNS_STATUS_CRYPTO_NO_RRSIG;

	for (size_t i = 0; keys != NULL && i < ldns_rr_list_rr_count(sigs);
	     i++) {
		ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		ldns_rr_list *good = ldns_rr_list_new();

		if (ldns_rdf2native_int16(ldns_rr_rrsig_typecovered(sig)) ==
		        LDNS_RR_TYPE_TLSA &&
		    (last = ldns_verify_rrsig_keylist_time(
		         (ldns_rr_list *)rrset, sig, keys, now, good)) ==
		        LDNS_STATUS_OK) {
			out->signed_valid = true;
			out->orig_ttl =
			    ldns_rdf2native_int32(ldns_rr_rrsig_origttl(sig));
		}
		ldns_rr_list_free(good);
		if (out->signed_valid)
			break;
	}
	if (!out->signed_valid)
		snprintf(out->reason, sizeof(out->reason),
		    "no valid RRSIG over the TLSA RRset: %s",
		    ldns_get_errorstr_by_id(last));
	ldns_rr_list_deep_free(keys);
}

static int
judge_reply(ldns_pkt *pkt, ldns_rdf *qname, const dns_zone_info *zi, time_t now,
    dns_served *out)
{
	ldns_rr_list *rrset, *sigs;
	int rc = -1;

	out->rcode = ldns_pkt_get_rcode(pkt);
	out->authoritative = ldns_pkt_aa(pkt);
	if (!out->authoritative) {
		snprintf(out->reason, sizeof(out->reason),
		    "not authoritative for it (no AA bit, rcode %d)",
		    out->rcode);
		return -1;
	}
	if (out->rcode != LDNS_RCODE_NOERROR &&
	    out->rcode != LDNS_RCODE_NXDOMAIN) {
		snprintf(
		    out->reason, sizeof(out->reason), "rcode %d", out->rcode);
		return -1;
	}
	rrset = ldns_pkt_rr_list_by_name_and_type(
	    pkt, qname, LDNS_RR_TYPE_TLSA, LDNS_SECTION_ANSWER);
	sigs = ldns_pkt_rr_list_by_name_and_type(
	    pkt, qname, LDNS_RR_TYPE_RRSIG, LDNS_SECTION_ANSWER);
	if (rrset == NULL)
		rc = 0; /* no such RRset: nothing to sign */
	else if (take_records(rrset, out) != 0)
		snprintf(out->reason, sizeof(out->reason), "out of memory");
	else {
		check_signatures(rrset, sigs, zi, now, out);
		rc = out->signed_valid ? 0 : -1;
	}
	ldns_rr_list_deep_free(rrset);
	ldns_rr_list_deep_free(sigs);
	return rc;
}

int
dns_zone_served(const char *server, const char *owner, const dns_zone_info *zi,
    time_t now, unsigned timeout_ms, dns_served *out)
{
	char err[200];
	ldns_resolver *res;
	ldns_rdf *qname = ldns_dname_new_frm_str(owner);
	ldns_pkt *pkt = NULL;
	ldns_status st;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->rcode = -1;
	if (qname == NULL) {
		snprintf(
		    out->reason, sizeof(out->reason), "not a name: %s", owner);
		return -1;
	}
	if ((res = direct_resolver(server, timeout_ms, err, sizeof(err))) ==
	    NULL) {
		snprintf(out->reason, sizeof(out->reason), "%s", err);
		ldns_rdf_deep_free(qname);
		return -1;
	}
	st = ldns_resolver_send(
	    &pkt, res, qname, LDNS_RR_TYPE_TLSA, LDNS_RR_CLASS_IN, 0);
	if (st != LDNS_STATUS_OK || pkt == NULL)
		snprintf(out->reason, sizeof(out->reason), "no answer: %s",
		    ldns_get_errorstr_by_id(st));
	else
		rc = judge_reply(pkt, qname, zi, now, out);
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(qname);
	ldns_resolver_deep_free(res);
	return rc;
}

void
dns_served_clear(dns_served *s)
{
	for (size_t i = 0; s->recs != NULL && i < s->n; i++)
		tlsa_record_clear(&s->recs[i]);
	free(s->recs);
	memset(s, 0, sizeof(*s));
}

bool
dns_served_has_spki(const dns_served *s, const char *spki_hex)
{
	char hex[65];

	for (size_t i = 0; i < s->n; i++) {
		const tlsa_record *t = &s->recs[i];

		if (t->usage == TLSA_USAGE_DANE_EE &&
		    t->selector == TLSA_SELECTOR_SPKI &&
		    t->mtype == TLSA_MTYPE_SHA256 && t->len == 32 &&
		    strcmp(hex_encode(t->data, 32, hex, sizeof(hex)),
		        spki_hex) == 0)
			return true;
	}
	return false;
}
