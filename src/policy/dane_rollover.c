/*
 * dane_rollover.c -- TLSA RRset rollover analysis (see dane_rollover.h for
 * the model: three renewals an RRset has to survive).
 */
#include "config.h"

#include "policy/dane_rollover.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "util/hex.h"

static const char *const rec_state_names[] = {
	[DANE_ROLL_REC_MATCH] = "match",
	[DANE_ROLL_REC_STALE] = "stale",
	[DANE_ROLL_REC_NOT_LEAF] = "not-leaf",
	[DANE_ROLL_REC_NOT_ISSUER] = "not-issuer",
	[DANE_ROLL_REC_UNUSABLE] = "unusable",
};

static const char *const verdict_names[DANE_ROLL_VERDICT_COUNT] = {
	[DANE_ROLL_ROBUST] = "robust",
	[DANE_ROLL_FRAGILE] = "fragile",
	[DANE_ROLL_BREAKS_AT_RENEWAL] = "breaks-at-renewal",
	[DANE_ROLL_NO_MATCH] = "no-match",
	[DANE_ROLL_NO_USABLE] = "no-usable-records",
	[DANE_ROLL_NO_CHAIN] = "no-chain",
};

const char *
dane_roll_rec_state_name(dane_roll_rec_state s)
{
	if ((size_t)s >= sizeof(rec_state_names) / sizeof(rec_state_names[0]))
		return "unknown";
	return rec_state_names[s];
}

const char *
dane_roll_verdict_name(dane_roll_verdict v)
{
	if ((size_t)v >= sizeof(verdict_names) / sizeof(verdict_names[0]))
		return "unknown";
	return verdict_names[v];
}

/* Truncation is fine: notes and reasons are for people, and bounded. */
static void append(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* ---- matching one record against one certificate ---- */

/* SHA-256 of a full (mtype 0) record's data: equal to the certificate's
 * digest exactly when the data is that DER object. */
static bool
sha256_of(const tlsa_record *r, uint8_t out[32])
{
	unsigned int len = 0;

	return EVP_Digest(r->data, r->len, out, &len, EVP_sha256(), NULL) &&
	    len == 32;
}

static bool
rec_matches_cert(const tlsa_record *r, const dane_chain_cert *c)
{
	const uint8_t *d256 =
	    r->selector == TLSA_SELECTOR_SPKI ? c->spki_sha256 : c->cert_sha256;
	const uint8_t *d512 =
	    r->selector == TLSA_SELECTOR_SPKI ? c->spki_sha512 : c->cert_sha512;
	uint8_t full[32];

	switch (r->mtype) {
	case TLSA_MTYPE_SHA256:
		return r->len == 32 && memcmp(r->data, d256, 32) == 0;
	case TLSA_MTYPE_SHA512:
		return r->len == 64 && memcmp(r->data, d512, 64) == 0;
	case TLSA_MTYPE_FULL:
		return sha256_of(r, full) && memcmp(full, d256, 32) == 0;
	default:
		return false;
	}
}

/* Whether the record, at this depth, is what its usage may match:
 * DANE-EE the leaf, DANE-TA an issuer of the leaf (OpenSSL matches TA
 * records only at depth >= 1 of the chain it built). */
static bool
depth_fits(const tlsa_record *r, const dane_chain_digests *ch, size_t d)
{
	if (r->usage == TLSA_USAGE_DANE_EE)
		return d == 0;
	return d >= 1 && ch->cert[d].on_path;
}

/* The depth the record names in the chain, preferring a depth its usage
 * can use; -1 when it matches nothing.  *fits says whether it can. */
static int
find_depth(const tlsa_record *r, const dane_chain_digests *ch, bool *fits)
{
	int first = -1;

	*fits = false;
	for (size_t d = 0; d < ch->n && d < DANE_TLS_CHAIN_MAX; d++) {
		if (!rec_matches_cert(r, &ch->cert[d]))
			continue;
		if (depth_fits(r, ch, d)) {
			*fits = true;
			return (int)d;
		}
		if (first < 0)
			first = (int)d;
	}
	return first;
}

/* ---- per record ---- */

typedef struct chains {
	const dane_chain_digests *c[DANE_ROLL_MAX_CHAINS];
	size_t n;
} chains;

static const char *
family(const chains *cs, size_t i)
{
	const char *f = cs->c[i]->key_family;

	return f[0] ? f : "presented";
}

static void
match_record(const tlsa_record *r, const chains *cs, dane_roll_record *out)
{
	bool fits, any = false;

	for (size_t i = 0; i < DANE_ROLL_MAX_CHAINS; i++)
		out->depth[i] = -1;
	for (size_t i = 0; i < cs->n; i++) {
		out->depth[i] = find_depth(r, cs->c[i], &fits);
		if (fits)
			out->chain_mask |= 1u << i;
		any = any || out->depth[i] >= 0;
	}
	if (out->chain_mask != 0)
		out->state = DANE_ROLL_REC_MATCH;
	else if (!any)
		out->state = DANE_ROLL_REC_STALE;
	else if (r->usage == TLSA_USAGE_DANE_EE)
		out->state = DANE_ROLL_REC_NOT_LEAF;
	else
		out->state = DANE_ROLL_REC_NOT_ISSUER;
}

/* The record's certificate or key as a SHA-256 identity, when known:
 * sha256 data as is, full data hashed, sha512 data via the certificate it
 * matched.  Lets "3 1 1 X" and "3 1 0 <key with digest X>" be recognised
 * as one key. */
static bool
identity(const tlsa_record *r, const dane_roll_record *rr, const chains *cs,
    uint8_t out[32])
{
	if (r->mtype == TLSA_MTYPE_SHA256) {
		memcpy(out, r->data, 32);
		return true;
	}
	if (r->mtype == TLSA_MTYPE_FULL)
		return sha256_of(r, out);
	for (size_t i = 0; i < cs->n; i++) {
		const dane_chain_cert *c;

		if (rr->depth[i] < 0)
			continue;
		c = &cs->c[i]->cert[rr->depth[i]];
		memcpy(out,
		    r->selector == TLSA_SELECTOR_SPKI ? c->spki_sha256 :
		                                        c->cert_sha256,
		    32);
		return true;
	}
	return false;
}

static void
find_duplicates(
    const tlsa_record *recs, const chains *cs, dane_rollover_report *out)
{
	uint8_t id[DANE_ROLL_MAX_RECORDS][32];
	bool known[DANE_ROLL_MAX_RECORDS];

	for (size_t i = 0; i < out->n_records; i++) {
		out->rec[i].duplicate_of = -1;
		known[i] = out->rec[i].state != DANE_ROLL_REC_UNUSABLE &&
		    identity(&recs[i], &out->rec[i], cs, id[i]);
	}
	for (size_t i = 1; i < out->n_records; i++)
		for (size_t j = 0; j < i && out->rec[i].duplicate_of < 0; j++)
			if (known[i] && known[j] &&
			    recs[i].usage == recs[j].usage &&
			    recs[i].selector == recs[j].selector &&
			    memcmp(id[i], id[j], 32) == 0)
				out->rec[i].duplicate_of = (int)j;
}

static void
note_match(const tlsa_record *r, const dane_roll_record *rr, const chains *cs,
    char *buf, size_t len)
{
	bool ee = r->usage == TLSA_USAGE_DANE_EE;
	const char *what =
	    r->selector == TLSA_SELECTOR_SPKI ? "key" : "certificate";
	size_t i;

	for (i = 0; i < cs->n && !(rr->chain_mask & (1u << i)); i++)
		;
	if (ee)
		snprintf(buf, len, "matches the leaf %s", what);
	else
		snprintf(buf, len,
		    "matches the %s of the CA certificate at "
		    "depth %d, which issued the leaf",
		    what, rr->depth[i]);
	if (cs->n < 2)
		return;
	append(buf, len, " of the %s chain", family(cs, i));
	for (i = i + 1; i < cs->n; i++)
		if (rr->chain_mask & (1u << i))
			append(buf, len, " and the %s chain", family(cs, i));
	for (i = 0; i < cs->n; i++)
		if (!(rr->chain_mask & (1u << i)))
			append(buf, len, "; not the %s chain", family(cs, i));
}

static void
note_stale(const tlsa_record *r, const dane_roll_record *rr, uint32_t ttl,
    size_t nchains, char *buf, size_t len)
{
	if (nchains == 0)
		snprintf(buf, len, "not compared: no certificate presented");
	else if (rr->next_candidate)
		snprintf(buf, len,
		    "matches no presented key: the next key if "
		    "you published it ahead of a rollover, otherwise stale "
		    "(remove it once no server uses that key; caches keep "
		    "the RRset up to the TTL, %lu s)",
		    (unsigned long)ttl);
	else if (r->usage == TLSA_USAGE_DANE_TA)
		snprintf(buf, len,
		    "matches no certificate the server sent: "
		    "not an issuer of this chain (a DANE-TA certificate must "
		    "be sent, RFC 7672 section 3.2.1); stale unless a future "
		    "chain will use it");
	else
		snprintf(buf, len,
		    "matches nothing presented: stale (a 3 0 x "
		    "record pins one certificate, which renewal replaces); "
		    "remove it -- caches keep the RRset up to the TTL, %lu s",
		    (unsigned long)ttl);
}

static void
note_record(
    const tlsa_record *r, dane_roll_record *rr, const chains *cs, uint32_t ttl)
{
	char *buf = rr->note;
	size_t len = sizeof(rr->note);
	int d = -1;

	for (size_t i = 0; i < cs->n && d < 0; i++)
		d = rr->depth[i];
	switch (rr->state) {
	case DANE_ROLL_REC_MATCH:
		note_match(r, rr, cs, buf, len);
		break;
	case DANE_ROLL_REC_STALE:
		note_stale(r, rr, ttl, cs->n, buf, len);
		break;
	case DANE_ROLL_REC_NOT_LEAF:
		snprintf(buf, len,
		    "matches the CA certificate at depth %d, "
		    "but DANE-EE(3) only matches the leaf: publish it as "
		    "2 %u %u, or use the leaf's own digest",
		    d, r->selector, r->mtype);
		break;
	case DANE_ROLL_REC_NOT_ISSUER:
		if (d == 0)
			snprintf(buf, len,
			    "matches the leaf, but DANE-TA(2) "
			    "only matches a CA certificate that issued it: "
			    "this is the 3 %u %u record's key again",
			    r->selector, r->mtype);
		else
			snprintf(buf, len,
			    "matches the certificate sent at "
			    "depth %d, which did not issue the leaf",
			    d);
		break;
	case DANE_ROLL_REC_UNUSABLE:
		snprintf(buf, len, "unusable for SMTP: %s",
		    tlsa_usability_name(rr->usability));
		break;
	}
	if (rr->duplicate_of >= 0)
		append(buf, len, " (duplicate of record %d: counts once)",
		    rr->duplicate_of + 1);
}

/* ---- per chain ---- */

static void
survivals(const tlsa_record *recs, const dane_rollover_report *out, size_t ci,
    dane_roll_chain *c)
{
	for (size_t i = 0; i < out->n_records; i++) {
		const tlsa_record *r = &recs[i];
		const dane_roll_record *rr = &out->rec[i];
		bool spki = r->selector == TLSA_SELECTOR_SPKI;
		bool ee = r->usage == TLSA_USAGE_DANE_EE;

		if (rr->next_candidate)
			c->survives_next_key = true;
		if (!(rr->chain_mask & (1u << ci)))
			continue;
		c->matching++;
		if (!spki)
			continue; /* certificate-bound: survives no renewal */
		c->survives_same_key = true;
		if (ee || rr->depth[ci] >= 2)
			c->survives_new_issuer = true;
		if (!ee)
			c->survives_next_key = true;
	}
}

/* "3 1 1" of the first matching record of a kind, for reasons. */
static const tlsa_record *
first_match(const tlsa_record *recs, const dane_rollover_report *out, size_t ci,
    int usage, int selector)
{
	for (size_t i = 0; i < out->n_records; i++)
		if ((out->rec[i].chain_mask & (1u << ci)) &&
		    (usage < 0 || recs[i].usage == usage) &&
		    (selector < 0 || recs[i].selector == selector))
			return &recs[i];
	return NULL;
}

static void
reason_robust(const tlsa_record *recs, const dane_rollover_report *out,
    size_t ci, dane_roll_chain *c)
{
	const tlsa_record *ee = first_match(recs, out, ci, 3, 1);
	const tlsa_record *ta = first_match(recs, out, ci, 2, 1);

	if (ee != NULL && out->n_next > 0)
		snprintf(c->reason, sizeof(c->reason),
		    "3 1 %u of the current "
		    "key + 3 1 x of a next key: survives a renewal with either "
		    "key",
		    ee->mtype);
	else if (ee != NULL && ta != NULL)
		snprintf(c->reason, sizeof(c->reason),
		    "3 1 %u of the leaf key "
		    "+ 2 1 %u of a CA that issued it: survives a new key (the "
		    "CA still matches) and a new intermediate (the key still "
		    "matches)",
		    ee->mtype, ta->mtype);
	else
		snprintf(c->reason, sizeof(c->reason),
		    "2 1 x of a CA above "
		    "the intermediate: survives a new leaf key and a new "
		    "intermediate under the same CA");
}

static void
reason_fragile(const dane_roll_chain *c, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!c->survives_next_key)
		append(buf, len,
		    "a renewal with a new key breaks it (no "
		    "record of a next key or of the issuing CA's key): keep "
		    "the key (certbot --reuse-key) and publish the next key's "
		    "3 1 1 a TTL before switching (daneprobe rollover plan), "
		    "or add 2 1 1 of the issuing CA");
	if (!c->survives_new_issuer)
		append(buf, len,
		    "%sa change of the CA's intermediate breaks "
		    "it (only the intermediate's key matches): add 3 1 1 of "
		    "the leaf key",
		    buf[0] ? "; " : "");
}

static void
judge_chain(const tlsa_record *recs, const dane_rollover_report *out,
    const chains *cs, size_t ci, dane_roll_chain *c)
{
	const dane_chain_digests *ch = cs->c[ci];
	char leaf[65];

	snprintf(c->key_family, sizeof(c->key_family), "%s", ch->key_family);
	survivals(recs, out, ci, c);
	if (out->n_usable == 0) {
		c->verdict = DANE_ROLL_NO_USABLE;
		snprintf(c->reason, sizeof(c->reason),
		    "none of the %zu TLSA "
		    "records is usable for SMTP",
		    out->n_records);
	} else if (c->matching == 0) {
		c->verdict = DANE_ROLL_NO_MATCH;
		if (ch->n > 0)
			hex_encode(
			    ch->cert[0].spki_sha256, 32, leaf, sizeof(leaf));
		else
			snprintf(leaf, sizeof(leaf), "none sent");
		snprintf(c->reason, sizeof(c->reason),
		    "no usable TLSA record "
		    "matches the presented chain (leaf key: 3 1 1 %s)",
		    leaf);
	} else if (!c->survives_same_key) {
		c->verdict = DANE_ROLL_BREAKS_AT_RENEWAL;
		snprintf(c->reason, sizeof(c->reason),
		    "only certificate-bound "
		    "records (selector 0) match: they stop matching at the next "
		    "renewal, which replaces the certificate; publish 3 1 1 of "
		    "the leaf key instead");
	} else if (c->survives_next_key && c->survives_new_issuer) {
		c->verdict = DANE_ROLL_ROBUST;
		reason_robust(recs, out, ci, c);
	} else {
		c->verdict = DANE_ROLL_FRAGILE;
		reason_fragile(c, c->reason, sizeof(c->reason));
	}
}

/* ---- the whole RRset ---- */

static void
count(dane_rollover_report *out)
{
	for (size_t i = 0; i < out->n_records; i++) {
		const dane_roll_record *rr = &out->rec[i];

		out->n_usable += rr->state != DANE_ROLL_REC_UNUSABLE;
		out->n_matching += rr->state == DANE_ROLL_REC_MATCH;
		out->n_stale += rr->state == DANE_ROLL_REC_STALE;
		out->n_misplaced += rr->state == DANE_ROLL_REC_NOT_LEAF ||
		    rr->state == DANE_ROLL_REC_NOT_ISSUER;
		out->n_unusable += rr->state == DANE_ROLL_REC_UNUSABLE;
		out->n_duplicates += rr->duplicate_of >= 0;
		out->n_next += rr->next_candidate;
	}
}

static void
classify_records(
    const tlsa_record *recs, const chains *cs, dane_rollover_report *out)
{
	for (size_t i = 0; i < out->n_records; i++) {
		dane_roll_record *rr = &out->rec[i];

		rr->usability = tlsa_record_usability(&recs[i]);
		if (rr->usability != TLSA_USABLE) {
			rr->state = DANE_ROLL_REC_UNUSABLE;
			for (size_t j = 0; j < DANE_ROLL_MAX_CHAINS; j++)
				rr->depth[j] = -1;
		} else {
			match_record(&recs[i], cs, rr);
		}
	}
	find_duplicates(recs, cs, out);
	for (size_t i = 0; i < out->n_records; i++) {
		dane_roll_record *rr = &out->rec[i];

		rr->next_candidate = cs->n > 0 &&
		    rr->state == DANE_ROLL_REC_STALE && rr->duplicate_of < 0 &&
		    recs[i].usage == TLSA_USAGE_DANE_EE &&
		    recs[i].selector == TLSA_SELECTOR_SPKI;
	}
}

static void
overall(dane_rollover_report *out)
{
	size_t worst = 0;

	if (out->n_chains == 0) {
		out->verdict =
		    out->n_usable ? DANE_ROLL_NO_CHAIN : DANE_ROLL_NO_USABLE;
		snprintf(out->reason, sizeof(out->reason), "%s",
		    out->n_usable ? "no certificate presented to compare with" :
		                    "no TLSA record is usable for SMTP");
		return;
	}
	for (size_t i = 1; i < out->n_chains; i++)
		if (out->chain[i].verdict > out->chain[worst].verdict)
			worst = i;
	out->verdict = out->chain[worst].verdict;
	if (out->n_chains > 1)
		snprintf(out->reason, sizeof(out->reason), "%s: %s",
		    out->chain[worst].key_family[0] ?
		        out->chain[worst].key_family :
		        "chain",
		    out->chain[worst].reason);
	else
		snprintf(out->reason, sizeof(out->reason), "%s",
		    out->chain[worst].reason);
}

void
dane_rollover_analyze(const tlsa_record *recs, size_t n, uint32_t ttl,
    const dane_chain_digests *const *chains_in, size_t nchains, time_t now,
    dane_rollover_report *out)
{
	chains cs = { .n = 0 };

	memset(out, 0, sizeof(*out));
	out->ttl = ttl;
	out->n_records = n < DANE_ROLL_MAX_RECORDS ? n : DANE_ROLL_MAX_RECORDS;
	out->n_ignored = n - out->n_records;
	for (size_t i = 0; i < nchains && cs.n < DANE_ROLL_MAX_CHAINS; i++)
		if (chains_in != NULL && chains_in[i] != NULL)
			cs.c[cs.n++] = chains_in[i];
	out->n_chains = cs.n;
	classify_records(recs, &cs, out);
	count(out);
	for (size_t i = 0; i < out->n_records; i++)
		note_record(&recs[i], &out->rec[i], &cs, ttl);
	for (size_t i = 0; i < cs.n; i++)
		judge_chain(recs, out, &cs, i, &out->chain[i]);
	overall(out);
	if (out->n_next > 0)
		out->safe_switch_at = now + (time_t)ttl;
}
