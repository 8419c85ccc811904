/*
 * dane_rollover.h -- does a host's TLSA RRset survive the next certificate
 * renewal?  A pure function of the RRset (records + TTL) and the chain(s)
 * the server presents (one per key family, e.g. ECDSA and RSA).
 *
 * Per record: does it match (which chain, which depth), does it match
 * nothing presented (stale -- or the pre-published next key), does it match
 * a certificate its usage cannot use (DANE-EE only matches the leaf, DANE-TA
 * only a certificate that issued the leaf), is it unusable for SMTP (RFC
 * 7672 section 3.1.3), or a duplicate of an earlier record.
 *
 * Per chain a verdict, from three renewals the RRset has to survive
 * (certificate-bound records, selector 0, survive none of them: they pin
 * a certificate, and a renewal replaces the leaf certificate every time
 * and the CA's intermediate whenever the CA rotates it -- Let's Encrypt
 * picks among several):
 *   same key     the leaf renewed with the same key (certbot --reuse-key):
 *                survived by a matching 3 1 x, or a 2 1 x of a
 *                certificate on the leaf's issuance path;
 *   next key     the leaf renewed with a new key: survived by a 3 1 x that
 *                matches no presented key (the pre-published next key), or
 *                a 2 1 x on the issuance path;
 *   new issuer   the same key certified through a different intermediate:
 *                survived by a matching 3 1 x, or a 2 1 x at depth >= 2
 *                (a root above the intermediate).
 *   robust             survives all three ("3 1 1 current + 3 1 1 next",
 *                      "3 1 1 + 2 1 1 of the issuer")
 *   fragile            survives a same-key renewal, not all three (a single
 *                      3 1 1; a single 2 1 1 of the intermediate)
 *   breaks-at-renewal  matches now, survives not even a same-key renewal
 *                      (3 0 x or 2 0 x alone)
 *   no-match           no usable record matches this chain now
 * Duplicates, and 2 x x records that match no certificate on the issuance
 * path (the leaf itself, an unrelated CA), never count as a partner
 * (Internet.nl issue 1283).
 *
 * Matching is by digest equality against the presented certificates, as
 * OpenSSL does it with one exception: a 2 1 0 record of a trust anchor the
 * server does not send (OpenSSL can check its signature) shows as stale.
 *
 * Ownership: none.  The report is a plain struct (fixed arrays), safe to
 * copy and embed; it holds no pointer into the inputs.
 */
#ifndef DANEPROBE_DANE_ROLLOVER_H
#define DANEPROBE_DANE_ROLLOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tls/dane_tls.h"
#include "dns/tlsa_record.h"

enum {
	DANE_ROLL_MAX_RECORDS = 32, /* more are counted in n_ignored */
	DANE_ROLL_MAX_CHAINS = 4,   /* more are ignored */
};

typedef enum dane_roll_rec_state {
	DANE_ROLL_REC_MATCH = 0, /* authenticates at least one chain */
	DANE_ROLL_REC_STALE,     /* usable, matches nothing presented */
	DANE_ROLL_REC_NOT_LEAF, /* 3 x x matching a certificate above the leaf */
	DANE_ROLL_REC_NOT_ISSUER, /* 2 x x matching the leaf, or a sent
	                           * certificate that did not issue the leaf */
	DANE_ROLL_REC_UNUSABLE,   /* see `usability` (RFC 7672 3.1.3) */
} dane_roll_rec_state;

/* "match", "stale", "not-leaf", "not-issuer", "unusable" */
const char *dane_roll_rec_state_name(dane_roll_rec_state s);

typedef struct dane_roll_record {
	dane_roll_rec_state state;
	tlsa_usability usability;
	/* Depth of the certificate this record names in chain i, or -1 (also
	 * for chains i >= n_chains).  Set for every state but unusable. */
	int depth[DANE_ROLL_MAX_CHAINS];
	unsigned chain_mask; /* bit i: authenticates chain i */
	/* A 3 1 x that matches nothing presented: counted as the next key
	 * (there is no telling it from a stale one; the note says both). */
	bool next_candidate;
	int duplicate_of; /* earlier record naming the same key or
	                            * certificate with the same usage, or -1 */
	char note[240];   /* words for people */
} dane_roll_record;

typedef enum dane_roll_verdict {
	DANE_ROLL_ROBUST = 0,
	DANE_ROLL_FRAGILE,
	DANE_ROLL_BREAKS_AT_RENEWAL,
	DANE_ROLL_NO_MATCH,  /* broken now for this chain */
	DANE_ROLL_NO_USABLE, /* RRset has no record usable for SMTP */
	DANE_ROLL_NO_CHAIN,  /* nothing presented to judge */
	DANE_ROLL_VERDICT_COUNT,
} dane_roll_verdict;

/* "robust", "fragile", "breaks-at-renewal", "no-match",
 * "no-usable-records", "no-chain"; "unknown" outside
 * [0, DANE_ROLL_VERDICT_COUNT). */
const char *dane_roll_verdict_name(dane_roll_verdict v);

typedef struct dane_roll_chain {
	dane_roll_verdict verdict;
	char key_family[8]; /* copied from the chain ("" if unknown) */
	size_t matching;    /* records that authenticate it now */
	bool survives_same_key, survives_next_key, survives_new_issuer;
	char reason[300];
} dane_roll_chain;

typedef struct dane_rollover_report {
	dane_roll_verdict verdict; /* worst over the chains (highest value) */
	char reason[400];          /* that chain's reason, "RSA: " prefixed
	                            * when there are several chains */
	size_t n_records;          /* analysed: min(n, DANE_ROLL_MAX_RECORDS) */
	size_t n_ignored;          /* records beyond the limit */
	dane_roll_record rec[DANE_ROLL_MAX_RECORDS];
	size_t n_chains;
	dane_roll_chain chain[DANE_ROLL_MAX_CHAINS];
	/* counts over rec[] */
	size_t n_usable, n_matching, n_stale, n_misplaced, n_unusable,
	    n_duplicates, n_next;
	uint32_t ttl; /* as given */
	/* When a next-key record is visible: now + ttl, the moment every
	 * cache still holding an RRset without it has expired (RFC 7671
	 * section 8.1).  0 when there is no next-key record. */
	time_t safe_switch_at;
} dane_rollover_report;

/*
 * Analyses recs[0..n) (the host's TLSA RRset, TTL `ttl`) against chains[0..
 * nchains) (NULL entries are skipped) at time `now`; fills *out entirely.
 * Pure apart from hashing mtype 0 (full) record data with SHA-256.
 */
void dane_rollover_analyze(const tlsa_record *recs, size_t n, uint32_t ttl,
    const dane_chain_digests *const *chains, size_t nchains, time_t now,
    dane_rollover_report *out);

#endif
