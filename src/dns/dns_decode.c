/*
 * dns_decode.c -- what a lookup's dns_answer says: decoded from getdns's
 * response (the records themselves: dns_reply.c), or the timeout, error
 * or cancellation that stood in for one.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <getdns/getdns.h>

#include "dns/dns_name.h"
#include "dns/dns_reply.h"
#include "dns/dns_resolver_internal.h"

dns_answer *
dns_decode_new_answer(const char *name, uint16_t qtype)
{
	dns_answer *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->qtype = qtype;
	a->status = DNS_STATUS_ERROR;
	a->security = DNS_SECURITY_INDETERMINATE;
	if ((a->qname = dns_name_normalize(name)) == NULL ||
	    (a->canonical_name = strdup(a->qname)) == NULL) {
		dns_answer_free(a);
		return NULL;
	}
	return a;
}

void
dns_decode_timeout(const dns_resolver *r, dns_answer *a)
{
	a->status = DNS_STATUS_TIMEOUT;
	a->security = DNS_SECURITY_INDETERMINATE;
	snprintf(a->reason, sizeof(a->reason), "%s within %u ms", r->silent,
	    r->timeout_ms);
}

void
dns_decode_error(dns_answer *a, const char *what)
{
	a->status = DNS_STATUS_ERROR;
	a->security = DNS_SECURITY_INDETERMINATE;
	snprintf(a->reason, sizeof(a->reason), "%s", what);
}

/* The zones of the trust anchors getdns validates from: nothing outside
 * them is ever SECURE (dns_reply_decode()).  NULL when they cannot be
 * read; then that is not checked. */
char **
dns_decode_anchor_zones(getdns_context *ctx)
{
	getdns_list *tas = NULL;
	getdns_bindata *b;
	getdns_dict *rr;
	char **zones = NULL, *z;
	size_t i, k, n = 0, len = 0;

	if (getdns_context_get_dnssec_trust_anchors(ctx, &tas) ||
	    getdns_list_get_length(tas, &len) ||
	    (zones = calloc(len + 1, sizeof(*zones))) == NULL) {
		getdns_list_destroy(tas);
		return NULL;
	}
	for (i = 0; getdns_list_get_dict(tas, i, &rr) == GETDNS_RETURN_GOOD;
	     i++) {
		if (getdns_dict_get_bindata(rr, "name", &b) ||
		    (z = dns_name_from_wire(b)) == NULL)
			continue;
		for (k = 0; k < n && strcmp(zones[k], z) != 0; k++)
			;
		if (k < n)
			free(z);
		else
			zones[n++] = z;
	}
	getdns_list_destroy(tas);
	return zones;
}

void
dns_decode_anchor_zones_free(char **zones)
{
	for (size_t i = 0; zones != NULL && zones[i] != NULL; i++)
		free(zones[i]);
	free(zones);
}

static void
decode_complete(const dns_resolver *r, dns_answer *a, const getdns_dict *resp)
{
	getdns_list *replies;
	getdns_dict *reply;
	uint32_t status;

	if (getdns_dict_get_int(resp, "status", &status)) {
		dns_decode_error(
		    a, "getdns returned a response without status");
		return;
	}
	if (status == GETDNS_RESPSTATUS_ALL_TIMEOUT ||
	    getdns_dict_get_list(resp, "replies_tree", &replies) ||
	    getdns_list_get_dict(replies, 0, &reply)) {
		dns_decode_timeout(r, a);
		return;
	}
	/* Which records of the reply answer our question, and how secure
	 * they are: dns_reply.h. */
	dns_reply_decode(
	    a, reply, r->from, (const char *const *)r->anchor_zones);
}

void
dns_decode_response(const dns_resolver *r, dns_answer *a,
    getdns_callback_type_t type, const getdns_dict *resp)
{
	switch (type) {
	case GETDNS_CALLBACK_COMPLETE:
		decode_complete(r, a, resp);
		break;
	case GETDNS_CALLBACK_TIMEOUT:
		dns_decode_timeout(r, a);
		break;
	case GETDNS_CALLBACK_CANCEL:
		a->status = DNS_STATUS_CANCELLED;
		snprintf(a->reason, sizeof(a->reason), "lookup cancelled");
		break;
	case GETDNS_CALLBACK_ERROR:
		dns_decode_error(a, r->failed);
		break;
	default:
		dns_decode_error(a, "getdns could not complete the lookup");
		break;
	}
}

/* A cancelled answer carries no data, whatever had been decoded. */
void
dns_decode_cancelled(dns_answer *a)
{
	size_t i;

	for (i = 0; i < a->count; i++) {
		if (a->mx != NULL)
			free(a->mx[i].exchange);
		if (a->tlsa != NULL)
			tlsa_record_clear(&a->tlsa[i]);
	}
	free(a->mx);
	free(a->addrs);
	free(a->tlsa);
	free(a->wire);
	a->mx = NULL;
	a->addrs = NULL;
	a->tlsa = NULL;
	a->wire = NULL;
	a->wire_len = 0;
	a->count = 0;
	a->ttl = 0;
	a->status = DNS_STATUS_CANCELLED;
	a->security = DNS_SECURITY_INDETERMINATE;
	snprintf(a->reason, sizeof(a->reason),
	    "lookup cancelled: resolver shut down");
}
