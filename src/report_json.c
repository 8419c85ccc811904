/*
 * report_json.c -- the result tree as JSON.  Built with jansson so that
 * escaping of hostile strings (banners, certificate names) is never our
 * problem.
 */
#include "config.h"

#include <stdio.h>

#include "report_json.h"

static json_t *
answer_json(const dns_answer *a)
{
	char rec[1200];
	json_t *o, *recs;

	if (a == NULL)
		return json_null();
	o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:f}", "name",
	    a->qname ? a->qname : "", "type", dns_type_name(a->qtype),
	    "status", dns_status_name(a->status), "dnssec",
	    dns_security_name(a->security), "ttl", (json_int_t)a->ttl,
	    "ms", a->elapsed_ms);
	if (o == NULL)
		return NULL;
	if (a->canonical_name && a->qname &&
	    json_object_set_new(o, "canonical_name",
	    json_string(a->canonical_name)) != 0)
		goto fail;
	if (a->reason[0])
		json_object_set_new(o, "reason", json_string(a->reason));
	recs = json_array();
	json_object_set_new(o, "records", recs);
	for (size_t i = 0; i < a->count; i++) {
		if (a->addrs)
			json_array_append_new(recs,
			    json_string(a->addrs[i].text));
		else if (a->mx)
			json_array_append_new(recs, json_pack("{s:i, s:s}",
			    "preference", (json_int_t)a->mx[i].preference,
			    "exchange", a->mx[i].exchange));
		else if (a->tlsa)
			json_array_append_new(recs, json_pack(
			    "{s:s, s:i, s:i, s:i, s:s}", "record",
			    tlsa_record_format(&a->tlsa[i], rec, sizeof(rec)),
			    "usage", (json_int_t)a->tlsa[i].usage, "selector",
			    (json_int_t)a->tlsa[i].selector, "mtype",
			    (json_int_t)a->tlsa[i].mtype, "usability",
			    tlsa_usability_name(tlsa_record_usability(
			    &a->tlsa[i]))));
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *
cert_json(const cert_facts *c)
{
	if (!c->present)
		return json_null();
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:i, s:s, s:s}",
	    "subject", c->subject, "issuer", c->issuer, "sans", c->sans,
	    "not_before", (json_int_t)c->not_before, "not_after",
	    (json_int_t)c->not_after, "key_type", c->key_type, "key_bits",
	    c->key_bits, "spki_sha256", c->spki_sha256, "cert_sha256",
	    c->cert_sha256);
}

static json_t *
address_json(const probe_host *h, const probe_address *a)
{
	json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:b, s:b, "
	    "s:I}", "address", a->addr.text, "port", a->port, "state",
	    addr_state_name(a->state), "severity",
	    probe_severity_name(a->severity), "reason", a->reason, "smtp_outcome",
	    smtp_outcome_name(a->smtp_outcome), "banner", a->banner,
	    "starttls_offered", a->starttls_offered, "tls_established",
	    a->tls_established, "discarded_after_starttls",
	    (json_int_t)a->discarded_after_starttls);

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "timings_ms", json_pack(
	    "{s:f, s:f, s:f, s:f, s:f, s:f}", "connect", a->ms_connect,
	    "banner", a->ms_banner, "ehlo", a->ms_ehlo, "starttls",
	    a->ms_starttls, "tls", a->ms_tls, "total", a->ms_total));
	if (a->tls_established) {
		json_t *tls = json_pack("{s:s, s:s, s:i, s:b, s:s, s:i, s:o, "
		    "s:o, s:I}", "version", a->tls.tls_version, "cipher",
		    a->tls.cipher, "chain_length", a->tls.chain_len,
		    "authenticated", a->tls.authenticated, "verify_reason",
		    a->tls.verify_reason, "matched_depth", a->tls.matched_depth,
		    "leaf", cert_json(&a->tls.leaf), "issuer",
		    cert_json(&a->tls.issuer), "leaf_days_left",
		    (json_int_t)a->leaf_days_left);
		const dns_answer *t = h->policy.tlsa_answer_index >= 0
		    ? h->tlsa[h->policy.tlsa_answer_index] : NULL;
		char rec[1200];

		if (tls && t && a->tls.matched_index >= 0 &&
		    (size_t)a->tls.matched_index < t->count)
			json_object_set_new(tls, "matched_record", json_string(
			    tlsa_record_format(&t->tlsa[a->tls.matched_index],
			    rec, sizeof(rec))));
		json_object_set_new(o, "tls", tls ? tls : json_null());
	}
	return o;
}

static json_t *
host_json(const probe_host *h)
{
	json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:{s:s, s:s, s:s, s:I, "
	    "s:I}}", "name", h->name, "preference", (json_int_t)h->preference,
	    "severity", probe_severity_name(h->severity), "reason", h->reason,
	    "policy", "level", dane_level_name(h->policy.level), "reason",
	    h->policy.reason, "base_domain", h->policy.base_domain,
	    "usable_records", (json_int_t)h->policy.n_usable,
	    "unusable_records", (json_int_t)h->policy.n_unusable);
	json_t *lookups, *addrs;

	if (o == NULL)
		return NULL;
	lookups = json_array();
	json_object_set_new(o, "lookups", lookups);
	if (h->a)
		json_array_append_new(lookups, answer_json(h->a));
	if (h->aaaa)
		json_array_append_new(lookups, answer_json(h->aaaa));
	for (size_t i = 0; i < 2; i++)
		if (h->tlsa[i])
			json_array_append_new(lookups, answer_json(h->tlsa[i]));
	addrs = json_array();
	json_object_set_new(o, "addresses", addrs);
	for (size_t i = 0; i < h->n_addrs; i++)
		json_array_append_new(addrs, address_json(h, &h->addrs[i]));
	return o;
}

static const char *
kind_name(probe_domain_kind k)
{
	static const char *const names[] = { "mx", "implicit-mx", "null-mx",
	    "lookup-failed" };

	return (unsigned)k < 4 ? names[k] : "unknown";
}

json_t *
report_json_domain(const probe_domain *d)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:f, s:b}", "domain",
	    d->domain, "kind", kind_name(d->kind), "severity",
	    probe_severity_name(d->severity), "summary", d->summary, "started",
	    (json_int_t)d->started, "ms_total", d->ms_total, "timed_out",
	    d->timed_out);
	json_t *hosts;

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "mx", answer_json(d->mx));
	hosts = json_array();
	json_object_set_new(o, "hosts", hosts);
	for (size_t i = 0; i < d->n_hosts; i++)
		json_array_append_new(hosts, host_json(&d->hosts[i]));
	return o;
}
