#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_name.h"

char *
dns_name_normalize(const char *name)
{
	size_t len = strlen(name), i;
	char *s;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		s[i] = (char)tolower((unsigned char)name[i]);
	s[len] = '\0';
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
