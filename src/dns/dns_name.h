/*
 * dns_name.h -- domain names in the one form daneprobe compares and
 * prints: presentation format, lowercase, without the trailing dot, and
 * "" for the root (so the null MX "." has exchange "").
 *
 * Ownership: both return a malloc'd string the caller frees, or NULL on
 * allocation failure (or, for dns_name_from_wire, a malformed name).
 */
#ifndef DANEPROBE_DNS_NAME_H
#define DANEPROBE_DNS_NAME_H

#include <stdbool.h>

#include <getdns/getdns.h>

char *dns_name_normalize(const char *name);
char *dns_name_from_wire(const getdns_bindata *wire);

/* Whether `name` is `zone` or below it (both in the form above; the root
 * "" encloses every name).  Label-wise: "xdane.lab" is not within
 * "dane.lab". */
bool dns_name_within(const char *name, const char *zone);

/* The parent of a name in the form above ("" for a top-level name), a
 * pointer into `name`; NULL for the root itself. */
const char *dns_name_parent(const char *name);

/* Host name syntax: labels of 1-63 letters, digits and inner hyphens
 * (and '_' when `underscore`: Postfix accepts it in MX names), at most
 * 253 octets.  The one check for EHLO names and MX exchanges. */
bool dns_name_is_hostname(const char *name, bool underscore);

#endif
