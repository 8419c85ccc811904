#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dns/dns_answer.h"

static void
free_records(dns_answer *a)
{
	size_t i;

	if (a->mx != NULL)
		for (i = 0; i < a->count; i++)
			free(a->mx[i].exchange);
	if (a->tlsa != NULL)
		for (i = 0; i < a->count; i++)
			tlsa_record_clear(&a->tlsa[i]);
	free(a->mx);
	free(a->addrs);
	free(a->tlsa);
	free(a->wire);
}

void
dns_answer_free(dns_answer *a)
{
	if (a == NULL)
		return;
	free_records(a);
	free(a->qname);
	free(a->canonical_name);
	free(a);
}

static char *
dup_str(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

/* Copies the one record array that matches the source; each array holds
 * `count` entries (a->count is set by the caller beforehand). */
static int
dup_records(dns_answer *d, const dns_answer *s)
{
	size_t i, n = s->count;

	if (s->mx != NULL && n > 0) {
		if ((d->mx = calloc(n, sizeof(*d->mx))) == NULL)
			return -1;
		for (i = 0; i < n; i++) {
			d->mx[i].preference = s->mx[i].preference;
			if ((d->mx[i].exchange = dup_str(s->mx[i].exchange)) ==
			        NULL &&
			    s->mx[i].exchange != NULL)
				return -1;
		}
	}
	if (s->addrs != NULL && n > 0) {
		if ((d->addrs = calloc(n, sizeof(*d->addrs))) == NULL)
			return -1;
		memcpy(d->addrs, s->addrs, n * sizeof(*d->addrs));
	}
	if (s->tlsa != NULL && n > 0) {
		if ((d->tlsa = calloc(n, sizeof(*d->tlsa))) == NULL)
			return -1;
		for (i = 0; i < n; i++)
			if (tlsa_record_copy(&d->tlsa[i], &s->tlsa[i]) < 0)
				return -1;
	}
	if (s->wire != NULL && s->wire_len > 0) {
		if ((d->wire = malloc(s->wire_len)) == NULL)
			return -1;
		memcpy(d->wire, s->wire, s->wire_len);
	}
	return 0;
}

dns_answer *
dns_answer_dup(const dns_answer *a)
{
	dns_answer *d;

	if (a == NULL || (d = malloc(sizeof(*d))) == NULL)
		return NULL;
	/* Scalars and the reason buffer by value; pointers replaced below so
	 * that a partial failure frees only what this copy owns. */
	*d = *a;
	d->qname = d->canonical_name = NULL;
	d->mx = NULL;
	d->addrs = NULL;
	d->tlsa = NULL;
	d->wire = NULL;
	if ((a->qname != NULL && (d->qname = strdup(a->qname)) == NULL) ||
	    (a->canonical_name != NULL &&
	        (d->canonical_name = strdup(a->canonical_name)) == NULL) ||
	    dup_records(d, a) < 0) {
		dns_answer_free(d);
		return NULL;
	}
	return d;
}

const char *
dns_status_name(dns_status s)
{
	static const char *const names[] = {
		[DNS_STATUS_OK] = "ok",
		[DNS_STATUS_NODATA] = "nodata",
		[DNS_STATUS_NXDOMAIN] = "nxdomain",
		[DNS_STATUS_SERVFAIL] = "servfail",
		[DNS_STATUS_TIMEOUT] = "timeout",
		[DNS_STATUS_ERROR] = "error",
		[DNS_STATUS_CANCELLED] = "cancelled",
	};

	if ((size_t)s >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[s];
}

const char *
dns_security_name(dns_security s)
{
	static const char *const names[DNS_SECURITY_COUNT] = {
		[DNS_SECURITY_SECURE] = "secure",
		[DNS_SECURITY_INSECURE] = "insecure",
		[DNS_SECURITY_BOGUS] = "bogus",
		[DNS_SECURITY_INDETERMINATE] = "indeterminate",
	};

	if ((size_t)s >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[s];
}

const char *
dns_type_name(uint16_t qtype)
{
	switch (qtype) {
	case DNS_TYPE_A:
		return "A";
	case DNS_TYPE_CNAME:
		return "CNAME";
	case DNS_TYPE_MX:
		return "MX";
	case DNS_TYPE_AAAA:
		return "AAAA";
	case DNS_TYPE_TLSA:
		return "TLSA";
	default:
		return "unknown";
	}
}
