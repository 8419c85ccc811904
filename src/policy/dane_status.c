/*
 * dane_status.c -- the one name table of each verdict enum.
 */
#include "config.h"

#include "policy/dane_status.h"

static const char *const severity_names[SEVERITY_COUNT] = {
	[SEVERITY_OK] = "OK",
	[SEVERITY_WARNING] = "WARNING",
	[SEVERITY_CRITICAL] = "CRITICAL",
	[SEVERITY_UNKNOWN] = "UNKNOWN",
};

const char *
probe_severity_name(probe_severity s)
{
	return (unsigned)s < SEVERITY_COUNT ? severity_names[s] : "UNKNOWN";
}

static int
severity_rank(probe_severity s)
{
	static const int rank[SEVERITY_COUNT] = {
		[SEVERITY_OK] = 0,
		[SEVERITY_WARNING] = 2,
		[SEVERITY_CRITICAL] = 3,
		[SEVERITY_UNKNOWN] = 1,
	};

	return (unsigned)s < SEVERITY_COUNT ? rank[s] : 1;
}

probe_severity
probe_severity_worst(probe_severity a, probe_severity b)
{
	return severity_rank(a) >= severity_rank(b) ? a : b;
}

static const char *const addr_state_names[ADDR_STATE_COUNT] = {
	[ADDR_STATE_DANE_VERIFIED] = "dane-verified",
	[ADDR_STATE_MATCHED_BUT_SMTP_FAILED] = "matched-but-smtp-failed",
	[ADDR_STATE_ENCRYPTED_UNAUTHENTICATED] = "encrypted-unauthenticated",
	[ADDR_STATE_TLS_NO_DANE] = "tls-no-dane",
	[ADDR_STATE_CLEARTEXT_NO_DANE] = "cleartext-no-dane",
	[ADDR_STATE_NO_STARTTLS] = "no-starttls",
	[ADDR_STATE_STARTTLS_REFUSED] = "starttls-refused",
	[ADDR_STATE_TLS_FAILED] = "tls-failed",
	[ADDR_STATE_UNTRUSTED] = "untrusted",
	[ADDR_STATE_CONNECT_FAILED] = "connect-failed",
	[ADDR_STATE_TIMEOUT] = "timeout",
	[ADDR_STATE_SMTP_ERROR] = "smtp-error",
	[ADDR_STATE_NOT_PROBED] = "not-probed",
};

const char *
addr_state_name(addr_state s)
{
	return (unsigned)s < ADDR_STATE_COUNT ? addr_state_names[s] : "unknown";
}

static const char *const dane_status_names[DANE_STATUS_COUNT] = {
	[DANE_STATUS_VERIFIED] = "verified",
	[DANE_STATUS_PARTIAL] = "partial",
	[DANE_STATUS_ENCRYPT_ONLY] = "encrypt-only",
	[DANE_STATUS_NONE] = "none",
	[DANE_STATUS_FAILED] = "failed",
	[DANE_STATUS_NULL_MX] = "null-mx",
	[DANE_STATUS_INSECURE_MX] = "insecure-mx",
};

const char *
dane_status_name(dane_status s)
{
	return (unsigned)s < DANE_STATUS_COUNT ? dane_status_names[s] :
	                                         "unknown";
}
