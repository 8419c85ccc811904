/*
 * report_rollover.c -- rollover check/status as text and JSON
 * (report_rollover.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "report/report_rollover.h"
#include "report/report_safe.h"
#include "util/utc_time.h"

static void
records_text(FILE *out, const dns_answer *a, const dane_rollover_report *rep)
{
	char text[300];

	for (size_t i = 0; i < rep->n_records; i++) {
		tlsa_record_format(&a->tlsa[i], text, sizeof(text));
		/* The digest's head is enough to tell records apart. */
		if (strlen(text) > 22)
			strcpy(text + 19, "...");
		report_safe_line(out, 0, "  %zu. %s  %s: %s", i + 1, text,
		    dane_roll_rec_state_name(rep->rec[i].state),
		    rep->rec[i].note);
	}
	if (rep->n_ignored > 0)
		report_safe_line(out, 0, "  (%zu more records not analysed)",
		    rep->n_ignored);
}

void
report_rollover_check_text(FILE *out, const probe_roll_host *h, time_t now)
{
	char when[40];

	report_safe_line(out, 0, "%s: %s: %s", h->name,
	    dane_roll_result_word(h->result), h->reason);
	if (!h->analysed)
		return;
	if (h->result == DANE_ROLL_RESULT_PASS) {
		utc_time_format(now + (time_t)h->tlsa->ttl, when, sizeof(when));
		/* Visible now; a cache that fetched the RRset just before
		 * the record appeared keeps the old one for one TTL. */
		report_safe_line(out, 0,
		    "  switch safe from %s at the latest "
		    "(now + TTL %lu s; already safe if the record was "
		    "published more than a TTL ago)",
		    when, (unsigned long)h->tlsa->ttl);
		report_safe_line(out, 0,
		    "  after the switch the RRset is %s: "
		    "%s",
		    dane_roll_verdict_name(h->rep.verdict), h->rep.reason);
	}
	records_text(out, h->tlsa, &h->rep);
}

/* "ECDSA+RSA" or "one certificate": the key families presented. */
static void
families_text(const probe_roll_addr *a, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t c = 0; c < a->n_chains && o < len; c++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", c ? "+" : "",
		    a->rep.chain[c].key_family[0] ? a->rep.chain[c].key_family :
		                                    "one certificate");
}

static void
status_addr_text(FILE *out, const probe_roll_host *h, const probe_roll_addr *a)
{
	const dane_rollover_report *r = &a->rep;
	char fam[64];

	if (a->not_probed || a->failed) {
		report_safe_line(out, 0, "%s [%s]: %s: %s", h->name, a->addr,
		    a->not_probed ? "not-probed" : "UNKNOWN", a->reason);
		return;
	}
	families_text(a, fam, sizeof(fam));
	report_safe_line(out, 0, "%s [%s] (%s): %s: %s", h->name, a->addr, fam,
	    dane_roll_verdict_name(r->verdict), r->reason);
	for (size_t c = 0; c < r->n_chains && r->n_chains > 1; c++)
		report_safe_line(out, 0, "  %s chain: %s: %s",
		    r->chain[c].key_family,
		    dane_roll_verdict_name(r->chain[c].verdict),
		    r->chain[c].reason);
	report_safe_line(out, 0, "  TLSA %s, TTL %lu s", h->tlsa_name,
	    (unsigned long)h->tlsa->ttl);
	records_text(out, h->tlsa, r);
}

void
report_rollover_status_text(FILE *out, const probe_roll_host *h)
{
	if (h->gated) {
		report_safe_line(out, 0, "%s: %s: %s", h->name,
		    dane_roll_result_word(h->result), h->reason);
		return;
	}
	for (size_t i = 0; i < h->n_addrs; i++)
		status_addr_text(out, h, &h->addrs[i]);
}

/* The analysis, as report_json.c writes absent facts: null. */
static json_t *
analysis_json(const dns_answer *a, const dane_rollover_report *rep)
{
	json_t *recs = json_array(), *chains = json_array();
	char text[300];

	for (size_t i = 0; i < rep->n_records; i++) {
		tlsa_record_format(&a->tlsa[i], text, sizeof(text));
		json_array_append_new(recs,
		    json_pack("{s:s, s:s, s:b, s:o, "
		              "s:s}",
		        "record", text, "state",
		        dane_roll_rec_state_name(rep->rec[i].state),
		        "next_candidate", rep->rec[i].next_candidate,
		        "duplicate_of",
		        rep->rec[i].duplicate_of >= 0 ?
		            json_integer(rep->rec[i].duplicate_of) :
		            json_null(),
		        "note", rep->rec[i].note));
	}
	for (size_t i = 0; i < rep->n_chains; i++)
		json_array_append_new(chains,
		    json_pack("{s:s, s:s, s:I, s:s}", "key_family",
		        rep->chain[i].key_family, "verdict",
		        dane_roll_verdict_name(rep->chain[i].verdict),
		        "matching", (json_int_t)rep->chain[i].matching,
		        "reason", rep->chain[i].reason));
	return json_pack("{s:s, s:s, s:I, s:o, s:o, s:o}", "verdict",
	    dane_roll_verdict_name(rep->verdict), "reason", rep->reason, "ttl",
	    (json_int_t)rep->ttl, "safe_switch_at",
	    rep->safe_switch_at ?
	        json_integer((json_int_t)rep->safe_switch_at) :
	        json_null(),
	    "records", recs, "chains", chains);
}

json_t *
report_rollover_check_json(const probe_roll_host *h)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "host", h->name,
	    "tlsa_name", h->tlsa_name, "result",
	    dane_roll_result_name(h->result), "reason", h->reason);

	if (o == NULL)
		return NULL;
	if (h->tlsa != NULL) {
		json_object_set_new(o, "dns_status",
		    json_string(dns_status_name(h->tlsa->status)));
		json_object_set_new(o, "dnssec",
		    json_string(dns_security_name(h->tlsa->security)));
	}
	if (h->analysed) {
		json_object_set_new(o, "ttl", json_integer(h->tlsa->ttl));
		json_object_set_new(
		    o, "rollover", analysis_json(h->tlsa, &h->rep));
	}
	return o;
}

json_t *
report_rollover_status_json(const probe_roll_host *h)
{
	json_t *addrs;

	if (h->gated)
		return json_pack(
		    "{s:s, s:s}", "host", h->name, "error", h->reason);
	addrs = json_array();
	for (size_t i = 0; i < h->n_addrs; i++) {
		const probe_roll_addr *a = &h->addrs[i];
		json_t *o = json_pack("{s:s}", "address", a->addr);

		if (a->not_probed)
			json_object_set_new(
			    o, "not_probed", json_string(a->reason));
		else if (a->failed)
			json_object_set_new(o, "error", json_string(a->reason));
		else
			json_object_set_new(
			    o, "rollover", analysis_json(h->tlsa, &a->rep));
		json_array_append_new(addrs, o);
	}
	return json_pack("{s:s, s:s, s:o}", "host", h->name, "tlsa_name",
	    h->tlsa_name, "addresses", addrs);
}

int
report_rollover_document(FILE *out, json_t *hosts)
{
	json_t *doc = json_pack(
	    "{s:s, s:o}", "daneprobe", PACKAGE_VERSION, "hosts", hosts);
	int rc = doc != NULL && json_dumpf(doc, out, JSON_INDENT(2)) == 0 &&
	        fputc('\n', out) != EOF ?
	    0 :
	    -1;

	json_decref(doc);
	return rc;
}
