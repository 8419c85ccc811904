#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "dns/dns_name.h"
#include "util/text_escape.h"

/* The length of name without its one trailing dot. */
static size_t
len_without_dot(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && name[len - 1] == '.' ? len - 1 : len;
}

/* The case rule: the len bytes of name in lower case, terminated. */
static void
copy_lower(const char *name, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)name[i]);
	out[len] = '\0';
}

char *
dns_name_normalize(const char *name)
{
	size_t len = len_without_dot(name);
	char *s;

	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	copy_lower(name, len, s);
	return s;
}

char *
dns_name_from_wire(const getdns_bindata *wire)
{
	char *fqdn = NULL, *s;

	if (getdns_convert_dns_name_to_fqdn(wire, &fqdn))
		return NULL;
	s = dns_name_normalize(fqdn);
	free(fqdn);
	return s;
}

bool
dns_name_within(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	if (z == 0)
		return true;
	if (n < z || strcmp(name + n - z, zone) != 0)
		return false;
	return n == z || name[n - z - 1] == '.';
}

const char *
dns_name_parent(const char *name)
{
	const char *dot;

	if (name[0] == '\0')
		return NULL;
	dot = strchr(name, '.');
	return dot != NULL ? dot + 1 : name + strlen(name);
}

static bool
host_char(unsigned char c, bool underscore)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || (underscore && c == '_');
}

bool
dns_name_is_hostname(const char *name, bool underscore)
{
	size_t len = strlen(name), label = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || name[i - 1] == '-' ||
			    name[i - label] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!host_char(c, underscore))
			return false;
		label++;
	}
	return true;
}

const char *
dns_name_shown(const char *in, char *buf, size_t len)
{
	if (strlen(in) <= 100 && strchr(in, '\\') == NULL &&
	    text_is_plain(in) && strlen(in) < len) {
		memcpy(buf, in, strlen(in) + 1);
		return buf;
	}
	text_escape(in, 100, true, buf, len);
	return buf;
}

static bool
is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* Whether the len bytes of in are LDH (and '_') labels of 1-63 octets. */
static bool
labels_ok(const char *in, size_t len)
{
	size_t label = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	/* Only one trailing dot is the root: "example.org.." has an empty
	 * last label and must not become "example.org.", a second spelling
	 * of "example.org" that would defeat duplicate detection. */
	return label > 0;
}

/* The ASCII checks: LDH (and '_') labels of 1-63 octets, at most 253. */
static int
parse_ascii(const char *in, const char *shown, char *out, size_t outlen,
    char *err, size_t errlen)
{
	size_t len = len_without_dot(in);
	char esc[104];

	if (len == 0 || len > 253 || len >= outlen) {
		snprintf(err, errlen, "invalid domain name \"%s\": %s",
		    dns_name_shown(shown, esc, sizeof(esc)),
		    len == 0 ? "empty" : "too long");
		return -1;
	}
	if (!labels_ok(in, len)) {
		snprintf(err, errlen, "invalid domain name \"%s\"",
		    dns_name_shown(shown, esc, sizeof(esc)));
		return -1;
	}
	copy_lower(in, len, out);
	return 0;
}

/*
 * A name with non-ASCII characters is taken as UTF-8 U-labels and turned
 * into A-labels (bücher.example -> xn--bcher-kva.example): IDNA2008 with
 * UTS #46 mapping but not its transitional processing (ß stays ß), as
 * mail software does (RFC 6530 family).  DNS and every report use the
 * A-label.
 */
int
dns_name_parse(
    const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
	char *alabel = NULL, esc[104];
	int rc;

	if (is_ascii(in))
		return parse_ascii(in, in, out, outlen, err, errlen);
	rc = idn2_to_ascii_8z(in, &alabel, IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
		snprintf(err, errlen,
		    "invalid domain name \"%s\": %s "
		    "(internationalized names must be UTF-8 and valid "
		    "IDNA2008)",
		    dns_name_shown(in, esc, sizeof(esc)), idn2_strerror(rc));
		return -1;
	}
	rc = parse_ascii(alabel, in, out, outlen, err, errlen);
	idn2_free(alabel);
	return rc;
}
