/*
 * report_json.c -- the result tree as JSON, everything it holds: lookups
 * with their DNSSEC status, TLSA records with their usability, the host
 * policies, and every address with its state, reason, SMTP facts, timings,
 * TLS details, matched record and certificates.  The layout is the JSON
 * Schema contrib/json/daneprobe.schema.json (#/$defs/domain); change the
 * two together.
 *
 * Built with jansson so that escaping of hostile strings (banners,
 * certificate names) is never our problem.  Conventions: every key is
 * always present; a fact that does not exist is null, not a missing key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hex.h"
#include "report/report_json.h"

/* jansson refuses strings that are not UTF-8 (a server's banner may be
 * anything): such a string goes out with its non-ASCII bytes as '?'. */
static json_t *
str(const char *s)
{
	json_t *j;
	char *copy;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	if ((copy = strdup(s)) == NULL)
		return NULL;
	for (unsigned char *p = (unsigned char *)copy; *p; p++)
		if (*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *
num_or_null(double ms)
{
	return ms < 0 ? json_null() : json_real(ms);
}

/* Adds key: v to o; returns 1 on failure (v is released), so callers
 * can add up failures and give up once at the end. */
static int
put(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v) == 0 ? 0 : 1;
}

static int
append(json_t *a, json_t *v)
{
	return json_array_append_new(a, v) == 0 ? 0 : 1;
}

static json_t *
finish(json_t *o, int failures)
{
	if (o != NULL && failures == 0)
		return o;
	json_decref(o);
	return NULL;
}

/* ---- DNS ---------------------------------------------------------------- */

static json_t *
tlsa_json(const tlsa_record *r, int index)
{
	char rec[1200];
	json_t *o = json_object();
	int f = 0;

	if (o == NULL)
		return NULL;
	f += put(o, "record", str(tlsa_record_format(r, rec, sizeof(rec))));
	f += put(o, "usage", json_integer(r->usage));
	f += put(o, "selector", json_integer(r->selector));
	f += put(o, "mtype", json_integer(r->mtype));
	f += put(o, "usage_name", str(tlsa_usage_name(r->usage)));
	f += put(o, "selector_name", str(tlsa_selector_name(r->selector)));
	f += put(o, "mtype_name", str(tlsa_mtype_name(r->mtype)));
	f += put(
	    o, "usability", str(tlsa_usability_name(tlsa_record_usability(r))));
	if (index >= 0)
		f += put(o, "index", json_integer(index));
	return finish(o, f);
}

static json_t *
records_json(const dns_answer *a)
{
	json_t *recs = json_array();
	int f = 0;

	for (size_t i = 0; recs != NULL && i < a->count; i++) {
		if (a->addrs)
			f += append(recs, str(a->addrs[i].text));
		else if (a->mx)
			f += append(recs,
			    json_pack("{s:i, s:o}", "preference",
			        (int)a->mx[i].preference, "exchange",
			        str(a->mx[i].exchange)));
		else if (a->tlsa)
			f += append(recs, tlsa_json(&a->tlsa[i], -1));
	}
	return finish(recs, f);
}

static json_t *
answer_json(const dns_answer *a)
{
	json_t *o;
	int f = 0;

	if (a == NULL)
		return json_null();
	if ((o = json_object()) == NULL)
		return NULL;
	f += put(o, "name", str(a->qname ? a->qname : ""));
	f += put(o, "type", str(dns_type_name(a->qtype)));
	f += put(o, "status", str(dns_status_name(a->status)));
	f += put(o, "dnssec", str(dns_security_name(a->security)));
	f += put(o, "ttl", json_integer(a->ttl));
	f += put(o, "ms", json_real(a->elapsed_ms));
	f += put(o, "canonical_name", str(a->canonical_name));
	f += put(o, "reason", str(a->reason));
	f += put(o, "records", records_json(a));
	return finish(o, f);
}

/* ---- TLS ---------------------------------------------------------------- */

static json_t *
cert_json(const cert_facts *c)
{
	if (!c->present)
		return json_null();
	return json_pack("{s:o, s:o, s:o, s:I, s:I, s:o, s:i, s:s, s:s}",
	    "subject", str(c->subject), "issuer", str(c->issuer), "sans",
	    str(c->sans), "not_before", (json_int_t)c->not_before, "not_after",
	    (json_int_t)c->not_after, "key_type", str(c->key_type), "key_bits",
	    c->key_bits, "spki_sha256", c->spki_sha256, "cert_sha256",
	    c->cert_sha256);
}

static json_t *
chain_cert_json(const dane_chain_cert *c, size_t depth)
{
	char s256[65], s512[129], c256[65], c512[129];

	hex_encode(c->spki_sha256, sizeof(c->spki_sha256), s256, sizeof(s256));
	hex_encode(c->spki_sha512, sizeof(c->spki_sha512), s512, sizeof(s512));
	hex_encode(c->cert_sha256, sizeof(c->cert_sha256), c256, sizeof(c256));
	hex_encode(c->cert_sha512, sizeof(c->cert_sha512), c512, sizeof(c512));
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:b, s:I}", "depth",
	    (json_int_t)depth, "spki_sha256", s256, "spki_sha512", s512,
	    "cert_sha256", c256, "cert_sha512", c512, "on_path", c->on_path,
	    "self_signed", c->self_signed, "not_after",
	    (json_int_t)c->not_after);
}

static json_t *
chain_json(const dane_chain_digests *ch)
{
	json_t *o = json_object(), *certs = json_array();
	int f = 0;

	if (o == NULL || certs == NULL) {
		json_decref(certs);
		return finish(o, 1);
	}
	f += put(o, "sent", json_integer((json_int_t)ch->sent));
	f += put(o, "key_family", str(ch->key_family));
	for (size_t i = 0; i < ch->n && i < DANE_TLS_CHAIN_MAX; i++)
		f += append(certs, chain_cert_json(&ch->cert[i], i));
	f += put(o, "certs", certs);
	return finish(o, f);
}

/* The record that authenticated the address, with its index, or null. */
static json_t *
matched_json(const probe_host *h, const probe_address *a)
{
	int ai = h->policy.tlsa_answer_index, ri = a->tls.matched_index;
	const dns_answer *t = ai >= 0 && ai < 2 ? h->tlsa[ai] : NULL;

	if (t == NULL || t->tlsa == NULL || ri < 0 || (size_t)ri >= t->count)
		return json_null();
	return tlsa_json(&t->tlsa[ri], ri);
}

static json_t *
tls_json(const probe_host *h, const probe_address *a)
{
	const dane_tls_outcome *t = &a->tls;
	json_t *o;
	int f = 0;

	if (!a->tls_established)
		return json_null();
	if ((o = json_object()) == NULL)
		return NULL;
	f += put(o, "version", str(t->tls_version));
	f += put(o, "cipher", str(t->cipher));
	f += put(o, "chain_length", json_integer(t->chain_len));
	f += put(o, "authenticated", json_boolean(t->authenticated));
	f += put(o, "verify_code", json_integer(t->verify_code));
	f += put(o, "verify_reason", str(t->verify_reason));
	f += put(o, "matched_depth",
	    t->matched_depth >= 0 ? json_integer(t->matched_depth) :
	                            json_null());
	f += put(o, "matched_peername",
	    t->matched_peername[0] ? str(t->matched_peername) : json_null());
	f += put(o, "matched_record", matched_json(h, a));
	f += put(o, "leaf", cert_json(&t->leaf));
	f += put(o, "issuer", cert_json(&t->issuer));
	f += put(o, "leaf_days_left",
	    t->leaf.present ? json_integer(a->leaf_days_left) : json_null());
	f += put(o, "chain", chain_json(&t->chain));
	return finish(o, f);
}

/* ---- the tree ----------------------------------------------------------- */

static json_t *
timings_json(const probe_address *a)
{
	/* An address no session ran for has no timings at all, not zeros. */
	bool none = !a->smtp_attempted;

	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "connect",
	    num_or_null(none ? -1 : a->ms_connect), "banner",
	    num_or_null(none ? -1 : a->ms_banner), "ehlo",
	    num_or_null(none ? -1 : a->ms_ehlo), "starttls",
	    num_or_null(none ? -1 : a->ms_starttls), "tls",
	    num_or_null(none ? -1 : a->ms_tls), "total",
	    num_or_null(none ? -1 : a->ms_total));
}

static json_t *
address_json(const probe_host *h, const probe_address *a)
{
	json_t *o = json_object();
	int f = 0;

	if (o == NULL)
		return NULL;
	f += put(o, "address", str(a->addr.text));
	f +=
	    put(o, "family", str(a->addr.family == AF_INET6 ? "ipv6" : "ipv4"));
	f += put(o, "port", json_integer(a->port));
	f += put(o, "state", str(addr_state_name(a->state)));
	f += put(o, "severity", str(probe_severity_name(a->severity)));
	f += put(o, "severity_code", json_integer(a->severity));
	f += put(o, "reason", str(a->reason));
	f += put(o, "complete", json_boolean(a->complete));
	/* No session, no outcome: null, never the zero value "tls-ok". */
	f += put(o, "smtp_outcome",
	    a->smtp_attempted ? str(smtp_outcome_name(a->smtp_outcome)) :
	                        json_null());
	f += put(o, "smtp_state",
	    a->smtp_attempted ? str(smtp_state_name(a->smtp_state)) :
	                        json_null());
	f += put(o, "smtp_reason", str(a->smtp_reason));
	f += put(o, "banner", str(a->banner));
	f += put(o, "starttls_offered", json_boolean(a->starttls_offered));
	f += put(o, "tls_established", json_boolean(a->tls_established));
	f += put(o, "discarded_after_starttls",
	    json_integer((json_int_t)a->discarded_after_starttls));
	f += put(o, "timings_ms", timings_json(a));
	f += put(o, "tls", tls_json(h, a));
	return finish(o, f);
}

static json_t *
plan_json(const probe_host *h)
{
	json_t *names = json_array();
	int f = 0;

	for (size_t i = 0; names != NULL && i < h->plan.n && i < 2; i++)
		f += append(
		    names, str(h->tlsa_names[i] ? h->tlsa_names[i] : ""));
	if (names == NULL || f != 0) {
		json_decref(names);
		return NULL;
	}
	return json_pack("{s:o, s:o, s:o}", "names", names, "early_level",
	    h->plan.n == 0 ? str(dane_level_name(h->plan.early_level)) :
	                     json_null(),
	    "reason", str(h->plan.reason));
}

static json_t *
policy_json(const probe_host *h)
{
	const dane_host_policy *p = &h->policy;
	int i = p->tlsa_answer_index;

	return json_pack("{s:s, s:o, s:o, s:o, s:I, s:I}", "level",
	    dane_level_name(p->level), "reason", str(p->reason), "base_domain",
	    p->base_domain[0] ? str(p->base_domain) : json_null(), "tlsa_name",
	    i >= 0 && i < 2 && h->tlsa[i] ? str(h->tlsa[i]->qname) :
	                                    json_null(),
	    "usable_records", (json_int_t)p->n_usable, "unusable_records",
	    (json_int_t)p->n_unusable);
}

static json_t *
rollover_json(const dane_rollover_report *r)
{
	json_t *o, *recs, *chains;

	if (r == NULL)
		return json_null();
	recs = json_array();
	chains = json_array();
	for (size_t i = 0; recs && i < r->n_records; i++)
		json_array_append_new(recs,
		    json_pack("{s:I, s:s, s:b, s:o, s:o}", "index",
		        (json_int_t)i, "state",
		        dane_roll_rec_state_name(r->rec[i].state),
		        "next_candidate", r->rec[i].next_candidate,
		        "duplicate_of",
		        r->rec[i].duplicate_of >= 0 ?
		            json_integer(r->rec[i].duplicate_of) :
		            json_null(),
		        "note", str(r->rec[i].note)));
	for (size_t i = 0; chains && i < r->n_chains; i++)
		json_array_append_new(chains,
		    json_pack("{s:o, s:s, s:I, s:b, s:b, s:b, s:o}",
		        "key_family",
		        r->chain[i].key_family[0] ?
		            str(r->chain[i].key_family) :
		            json_null(),
		        "verdict", dane_roll_verdict_name(r->chain[i].verdict),
		        "matching", (json_int_t)r->chain[i].matching,
		        "survives_same_key", r->chain[i].survives_same_key,
		        "survives_next_key", r->chain[i].survives_next_key,
		        "survives_new_issuer", r->chain[i].survives_new_issuer,
		        "reason", str(r->chain[i].reason)));
	o = json_pack("{s:s, s:o, s:I, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I, "
	              "s:I}, s:o, s:o}",
	    "verdict", dane_roll_verdict_name(r->verdict), "reason",
	    str(r->reason), "ttl", (json_int_t)r->ttl, "safe_switch_at",
	    r->safe_switch_at ? json_integer((json_int_t)r->safe_switch_at) :
	                        json_null(),
	    "counts", "usable", (json_int_t)r->n_usable, "matching",
	    (json_int_t)r->n_matching, "stale", (json_int_t)r->n_stale,
	    "misplaced", (json_int_t)r->n_misplaced, "unusable",
	    (json_int_t)r->n_unusable, "duplicates",
	    (json_int_t)r->n_duplicates, "next", (json_int_t)r->n_next,
	    "records", recs, "chains", chains);
	return o;
}

static json_t *
host_json(const probe_host *h)
{
	json_t *o = json_object(), *lookups = json_array(),
	       *addrs = json_array();
	int f = 0;

	if (o == NULL || lookups == NULL || addrs == NULL) {
		json_decref(lookups);
		json_decref(addrs);
		return finish(o, 1);
	}
	f += put(o, "name", str(h->name));
	f += put(o, "preference", json_integer(h->preference));
	f += put(o, "severity", str(probe_severity_name(h->severity)));
	f += put(o, "severity_code", json_integer(h->severity));
	f += put(o, "dane_status", str(dane_status_name(h->dane_status)));
	f += put(o, "reason", str(h->reason));
	f += put(o, "tlsa_plan", plan_json(h));
	f += put(o, "policy", policy_json(h));
	f += put(o, "rollover", rollover_json(h->rollover));
	if (h->a)
		f += append(lookups, answer_json(h->a));
	if (h->aaaa)
		f += append(lookups, answer_json(h->aaaa));
	for (size_t i = 0; i < 2; i++)
		if (h->tlsa[i])
			f += append(lookups, answer_json(h->tlsa[i]));
	f += put(o, "lookups", lookups);
	for (size_t i = 0; i < h->n_addrs; i++)
		f += append(addrs, address_json(h, &h->addrs[i]));
	f += put(o, "addresses", addrs);
	return finish(o, f);
}

static json_t *
counts_json(const probe_domain *d)
{
	probe_counts c;

	probe_domain_count(d, &c);
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "hosts",
	    (json_int_t)c.hosts, "addresses", (json_int_t)c.addrs, "verified",
	    (json_int_t)c.verified, "failed", (json_int_t)c.failed, "no_dane",
	    (json_int_t)c.no_dane, "warn", (json_int_t)c.warn);
}

json_t *
report_json_domain(const probe_domain *d)
{
	json_t *o = json_object(), *hosts = json_array();
	int f = 0;

	if (o == NULL || hosts == NULL) {
		json_decref(hosts);
		return finish(o, 1);
	}
	f += put(o, "domain", str(d->domain));
	f += put(o, "kind", str(probe_domain_kind_name(d->kind)));
	/* Without an MX answer there is no MX status to speak of. */
	f += put(o, "mx_status",
	    d->kind == DOMAIN_LOOKUP_FAILED ?
	        json_null() :
	        str(dane_mx_status_name(d->mx_status)));
	/* The domain-level verdict on the MX RRset (insecure MX voiding
	 * TLSA records); null when there is nothing to say. */
	f += put(o, "mx_verdict",
	    d->mx_severity == SEVERITY_OK ?
	        json_null() :
	        json_pack("{s:s, s:i, s:o}", "severity",
	            probe_severity_name(d->mx_severity), "severity_code",
	            (int)d->mx_severity, "reason", str(d->mx_reason)));
	f += put(o, "severity", str(probe_severity_name(d->severity)));
	f += put(o, "severity_code", json_integer(d->severity));
	f += put(o, "dane_status", str(dane_status_name(d->dane_status)));
	f += put(o, "summary", str(d->summary));
	f += put(o, "started", json_integer((json_int_t)d->started));
	f += put(o, "ms_total", json_real(d->ms_total));
	f += put(o, "timed_out", json_boolean(d->timed_out));
	/* A local failure (no DNS server answered, ...): severity UNKNOWN,
	 * dane_status "unknown", the reason in summary. */
	f += put(o, "probe_error", json_boolean(d->probe_error));
	f += put(o, "counts", counts_json(d));
	f += put(o, "mx", answer_json(d->mx));
	for (size_t i = 0; i < d->n_hosts; i++)
		f += append(hosts, host_json(&d->hosts[i]));
	f += put(o, "hosts", hosts);
	return finish(o, f);
}
