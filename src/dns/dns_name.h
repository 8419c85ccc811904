/*
 * dns_name.h -- domain names in the one form daneprobe compares and
 * prints: presentation format, lowercase, without the trailing dot, and
 * "" for the root (so the null MX "." has exchange "").
 *
 * Ownership: dns_name_normalize() and dns_name_from_wire() return a
 * malloc'd string the caller frees, or NULL on
 * allocation failure (or, for dns_name_from_wire, a malformed name).
 */
#ifndef DANEPROBE_DNS_NAME_H
#define DANEPROBE_DNS_NAME_H

#include <stdbool.h>
#include <stddef.h>

#include <getdns/getdns.h>

char *dns_name_normalize(const char *name);
char *dns_name_from_wire(const getdns_bindata *wire);

/*
 * A mail domain or host name someone typed or listed, into the form above
 * (out, outlen bytes): lower case, one trailing dot stripped, UTF-8
 * U-labels turned into A-labels (IDNA2008, UTS #46 non-transitional:
 * bücher.example -> xn--bcher-kva.example), and refused when it cannot be
 * a mail domain (labels of 1-63 letters, digits, '-' or '_', at most 253
 * octets).  Returns 0, or -1 with a reason in err, which quotes the name
 * as typed when it is plain text (text_is_plain(), at most 100
 * characters), else escaped by text_escape().  The one normaliser of
 * input names; dns_name_normalize() applies the same case and dot rule
 * to names that come from the DNS.
 */
int dns_name_parse(
    const char *in, char *out, size_t outlen, char *err, size_t errlen);

/* A name for a diagnostic to quote (at most 100 characters; buf of
 * 104): as typed when it is plain text (an IDN such as "ü.xn--zz" stays
 * legible), else every byte that is not printable ASCII escaped (ESC,
 * CSI and a forged newline stay text).  Returns buf. */
const char *dns_name_shown(const char *in, char *buf, size_t len);

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
