/*
 * tlsa_record.h -- one TLSA record (RFC 6698) and its usability for SMTP
 * under RFC 7672 section 3.1.3.
 *
 * Ownership: a tlsa_record owns its `data` buffer.  tlsa_record_copy()
 * allocates; tlsa_record_clear() frees the data and zeroes the struct.
 */
#ifndef DANEPROBE_TLSA_RECORD_H
#define DANEPROBE_TLSA_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The record's three fields (RFC 6698 section 2.1, RFC 7218 names). */
enum {
	TLSA_USAGE_PKIX_TA = 0,
	TLSA_USAGE_PKIX_EE = 1,
	TLSA_USAGE_DANE_TA = 2,
	TLSA_USAGE_DANE_EE = 3,
};
enum { TLSA_SELECTOR_CERT = 0, TLSA_SELECTOR_SPKI = 1 };
enum { TLSA_MTYPE_FULL = 0, TLSA_MTYPE_SHA256 = 1, TLSA_MTYPE_SHA512 = 2 };

typedef struct tlsa_record {
	uint8_t usage;
	uint8_t selector;
	uint8_t mtype;
	uint8_t *data; /* certificate association data, owned */
	size_t len;
} tlsa_record;

/* Why a record cannot be used for SMTP; TLSA_USABLE when it can. */
typedef enum tlsa_usability {
	TLSA_USABLE = 0,
	TLSA_UNUSABLE_PKIX_USAGE,    /* usage 0 or 1: RFC 7672 section 3.1.3 */
	TLSA_UNUSABLE_USAGE,         /* usage > 3 */
	TLSA_UNUSABLE_SELECTOR,      /* selector > 1 */
	TLSA_UNUSABLE_MTYPE,         /* matching type > 2 */
	TLSA_UNUSABLE_DIGEST_LENGTH, /* sha256 not 32 bytes, sha512 not 64 */
	TLSA_UNUSABLE_FULL_DATA, /* mtype 0 data that is not a DER cert/SPKI */
} tlsa_usability;

/* Pure: decides usability from the record's fields and data alone. */
tlsa_usability tlsa_record_usability(const tlsa_record *rec);
const char *tlsa_usability_name(tlsa_usability u);

/* "DANE-EE", "PKIX-TA", ...; "usage-N" for unknown values. */
const char *tlsa_usage_name(uint8_t usage);
const char *tlsa_selector_name(uint8_t selector); /* "Cert", "SPKI" */
const char *tlsa_mtype_name(uint8_t mtype);       /* "Full", "SHA2-256" */

/* Deep copy; returns 0, or -1 on allocation failure (dst zeroed). */
int tlsa_record_copy(tlsa_record *dst, const tlsa_record *src);
void tlsa_record_clear(tlsa_record *rec);

/* Presentation form "3 1 1 ab12..." (lowercase hex) into buf; returns buf.
 * Truncates safely when buf is short. */
char *tlsa_record_format(const tlsa_record *rec, char *buf, size_t buflen);

/* Parses presentation form "U S M HEX" (hex may contain spaces, as in zone
 * files).  Returns 0 and fills rec (caller clears), or -1 with a reason. */
int tlsa_record_parse(
    const char *text, tlsa_record *rec, char *err, size_t errlen);

/* Same usage/selector/mtype/data. */
bool tlsa_record_equal(const tlsa_record *a, const tlsa_record *b);

#endif
