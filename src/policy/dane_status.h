/*
 * dane_status.h -- the verdict vocabulary of the policy layer: severities,
 * address states and the one-word DANE status, each with its name table
 * and count.  Every layer above (probe tree, formatters, batch summary)
 * uses these names and counts; none keeps a copy.
 *
 * The C names keep their historic prefixes (probe_severity, addr_state):
 * they are what every report and test already spells.
 */
#ifndef DANEPROBE_DANE_STATUS_H
#define DANEPROBE_DANE_STATUS_H

/* Nagios numbering on purpose: the plugin's exit code is the severity. */
typedef enum probe_severity {
	SEVERITY_OK = 0,
	SEVERITY_WARNING = 1,
	SEVERITY_CRITICAL = 2,
	SEVERITY_UNKNOWN = 3,
	SEVERITY_COUNT,
} probe_severity;

const char *probe_severity_name(probe_severity s); /* "OK", "WARNING", ... */

/* Monitoring Plugins' max_state_alt order: CRITICAL > WARNING > UNKNOWN > OK. */
probe_severity probe_severity_worst(probe_severity a, probe_severity b);

typedef enum addr_state {
	ADDR_STATE_DANE_VERIFIED = 0,       /* TLS + DANE authentication ok */
	ADDR_STATE_MATCHED_BUT_SMTP_FAILED, /* DANE ok, SMTP failed after TLS */
	ADDR_STATE_ENCRYPTED_UNAUTHENTICATED, /* only unusable TLSA: TLS ok */
	ADDR_STATE_TLS_NO_DANE,               /* DANE not applicable, TLS ok */
	ADDR_STATE_CLEARTEXT_NO_DANE, /* DANE not applicable, no STARTTLS */
	ADDR_STATE_NO_STARTTLS,       /* TLS required, STARTTLS not offered */
	ADDR_STATE_STARTTLS_REFUSED,
	ADDR_STATE_TLS_FAILED,
	ADDR_STATE_UNTRUSTED, /* TLS ok, DANE authentication failed */
	ADDR_STATE_CONNECT_FAILED,
	ADDR_STATE_TIMEOUT,
	ADDR_STATE_SMTP_ERROR, /* rejected, garbage, closed */
	ADDR_STATE_NOT_PROBED,
	ADDR_STATE_COUNT,
} addr_state;

/* "dane-verified", ...; "unknown" outside [0, ADDR_STATE_COUNT). */
const char *addr_state_name(addr_state s);

/* What a DANE-validating sender gets, summed up in one word. */
typedef enum dane_status {
	DANE_STATUS_VERIFIED = 0, /* every address DANE-authenticated */
	DANE_STATUS_PARTIAL,      /* some hosts verified, others without DANE */
	DANE_STATUS_ENCRYPT_ONLY, /* only unusable TLSA records (TLS, no auth) */
	DANE_STATUS_NONE,         /* DANE does not apply (insecure / no TLSA) */
	DANE_STATUS_FAILED,       /* a DANE lookup or authentication failed */
	DANE_STATUS_NULL_MX,      /* RFC 7505: the domain accepts no mail */
	/* TLSA records of MX hosts match, but the MX RRset that names those
	 * hosts is not DNSSEC-signed: an attacker who forges the MX RRset
	 * sends mail to a host of his choice without TLSA records, so the
	 * match protects nothing (RFC 7672 2.2.1; Postfix logs such a
	 * session as "Trusted", not "Verified"). */
	DANE_STATUS_INSECURE_MX,
	DANE_STATUS_COUNT,
	/* Not determined: the probe could not look at the domain for a local
	 * reason (probe_domain.probe_error).  Deliberately outside the state
	 * set [0, DANE_STATUS_COUNT): a formatter that writes one series per
	 * status shows all of them 0, never "failed". */
	DANE_STATUS_UNKNOWN = DANE_STATUS_COUNT,
} dane_status;

/* "verified", "partial", "encrypt-only", "none", "failed", "null-mx",
 * "insecure-mx"; "unknown" for DANE_STATUS_UNKNOWN. */
const char *dane_status_name(dane_status s);

#endif
