/*
 * dns_config.c -- the getdns context of a resolver: recursive or stub
 * mode, the upstream, trust anchors, root hints and the extensions each
 * kind of lookup asks with.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>

#include "dns/dns_answer.h"
#include "dns/dns_reply.h"
#include "dns/dns_resolver_internal.h"

typedef struct upstream {
	int family;
	unsigned char addr[16];
	unsigned port;
	char text[INET6_ADDRSTRLEN + 8];
} upstream;

void
dns_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
parse_port(const char *s, unsigned *port)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

/* Splits "ADDR", "ADDR@PORT", "[V6]", "[V6]:PORT", "V6@PORT" and the
 * unambiguous "V4:PORT" into host and port text. */
static int
split_upstream(const char *spec, char *host, size_t hostlen, const char **port)
{
	const char *begin = spec, *end, *sep;

	*port = NULL;
	if (spec[0] == '[') {
		begin = spec + 1;
		if ((end = strchr(begin, ']')) == NULL)
			return -1;
		if (end[1] == ':' || end[1] == '@')
			*port = end + 2;
		else if (end[1] != '\0')
			return -1;
	} else if ((sep = strchr(spec, '@')) != NULL) {
		end = sep;
		*port = sep + 1;
	} else if ((sep = strchr(spec, ':')) != NULL &&
	    strchr(sep + 1, ':') == NULL) {
		end = sep;
		*port = sep + 1;
	} else {
		end = spec + strlen(spec);
	}
	if (end == begin || (size_t)(end - begin) >= hostlen)
		return -1;
	memcpy(host, begin, (size_t)(end - begin));
	host[end - begin] = '\0';
	return 0;
}

static int
parse_upstream(const char *spec, upstream *u, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port;

	memset(u, 0, sizeof(*u));
	u->port = 53;
	if (split_upstream(spec, host, sizeof(host), &port) < 0) {
		dns_errf(err, errlen,
		    "bad resolver \"%s\": expected ADDR, ADDR@PORT "
		    "or [IPV6]:PORT",
		    spec);
		return -1;
	}
	if (inet_pton(AF_INET, host, u->addr) == 1)
		u->family = AF_INET;
	else if (inet_pton(AF_INET6, host, u->addr) == 1)
		u->family = AF_INET6;
	else {
		dns_errf(err, errlen,
		    "bad resolver \"%s\": \"%s\" is not an IP "
		    "address",
		    spec, host);
		return -1;
	}
	if (port != NULL && parse_port(port, &u->port) < 0) {
		dns_errf(err, errlen, "bad resolver \"%s\": bad port \"%s\"",
		    spec, port);
		return -1;
	}
	if (u->port == 53)
		snprintf(u->text, sizeof(u->text), "%s", host);
	else
		snprintf(u->text, sizeof(u->text), "%s@%u", host, u->port);
	return 0;
}

static int
set_upstream(getdns_context *ctx, const upstream *u, char *err, size_t errlen)
{
	getdns_bindata data = { u->family == AF_INET ? 4 : 16,
		(uint8_t *)u->addr };
	getdns_dict *d = getdns_dict_create();
	getdns_list *l = getdns_list_create();
	getdns_return_t gr = GETDNS_RETURN_MEMORY_ERROR;

	if (d == NULL || l == NULL)
		;
	else if ((gr = getdns_dict_util_set_string(d, "address_type",
	              u->family == AF_INET ? "IPv4" : "IPv6")))
		;
	else if ((gr = getdns_dict_set_bindata(d, "address_data", &data)))
		;
	else if ((gr = getdns_dict_set_int(d, "port", u->port)))
		;
	else if ((gr = getdns_list_set_dict(l, 0, d)))
		;
	else
		gr = getdns_context_set_upstream_recursive_servers(ctx, l);
	getdns_dict_destroy(d);
	getdns_list_destroy(l);
	if (gr)
		dns_errf(err, errlen, "cannot use resolver %s: %s", u->text,
		    getdns_get_errorstr_by_id(gr));
	return gr ? -1 : 0;
}

static size_t
count_anchor_rrs(const getdns_list *rrs)
{
	getdns_dict *rr;
	uint32_t type;
	size_t i, n = 0;

	for (i = 0; getdns_list_get_dict(rrs, i, &rr) == GETDNS_RETURN_GOOD;
	     i++)
		if (getdns_dict_get_int(rr, "type", &type) ==
		        GETDNS_RETURN_GOOD &&
		    (type == DNS_TYPE_DNSKEY || type == DNS_TYPE_DS))
			n++;
	return n;
}

/* Reads the zone-file records of the `what` file at path into *rrs (the
 * caller must getdns_list_destroy() it).  Returns -1 with a reason in err
 * when it cannot be opened or parsed. */
static int
read_rr_file(const char *path, const char *what, bool fifo_ok,
    getdns_list **rrs, char *err, size_t errlen)
{
	getdns_return_t gr;
	struct stat st;
	FILE *f;

	*rrs = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		dns_errf(err, errlen, "cannot open %s file %s: %s", what, path,
		    strerror(errno));
		return -1;
	}
	/* getdns_fp2rr_list() never returns on a directory (reads fail
	 * without reaching EOF) and would not on an endless device. */
	if (fstat(fileno(f), &st) < 0 ||
	    !(S_ISREG(st.st_mode) || (fifo_ok && S_ISFIFO(st.st_mode)))) {
		dns_errf(err, errlen, "%s file %s is not a regular file", what,
		    path);
		fclose(f);
		return -1;
	}
	gr = getdns_fp2rr_list(f, rrs, NULL, 3600);
	fclose(f);
	if (gr) {
		dns_errf(err, errlen, "cannot parse %s file %s: %s", what, path,
		    getdns_get_errorstr_by_id(gr));
		getdns_list_destroy(*rrs);
		*rrs = NULL;
		return -1;
	}
	return 0;
}

static int
set_trust_anchors(
    getdns_context *ctx, const char *path, char *err, size_t errlen)
{
	getdns_list *rrs;
	getdns_return_t gr;

	if (read_rr_file(path, "trust anchor", true, &rrs, err, errlen) < 0)
		return -1;
	if (count_anchor_rrs(rrs) == 0) {
		dns_errf(err, errlen,
		    "no DNSKEY or DS records in trust anchor "
		    "file %s",
		    path);
		gr = GETDNS_RETURN_GENERIC_ERROR;
	} else if ((gr = getdns_context_set_dnssec_trust_anchors(ctx, rrs))) {
		dns_errf(err, errlen, "cannot use trust anchors from %s: %s",
		    path, getdns_get_errorstr_by_id(gr));
	}
	getdns_list_destroy(rrs);
	return gr ? -1 : 0;
}

/* Appends the address of an A or AAAA rr to `servers`; other rrs are
 * skipped.  Returns the number appended (0 or 1), or -1 on error. */
static int
append_root_server(getdns_list *servers, const getdns_dict *rr)
{
	getdns_bindata *ip = NULL;
	getdns_dict *srv;
	uint32_t type = 0;
	size_t n = 0;
	int rc = -1;

	if (getdns_dict_get_int(rr, "type", &type) != GETDNS_RETURN_GOOD ||
	    (type != DNS_TYPE_A && type != DNS_TYPE_AAAA))
		return 0;
	if (getdns_dict_get_bindata(rr, "/rdata/ipv4_address", &ip) &&
	    getdns_dict_get_bindata(rr, "/rdata/ipv6_address", &ip))
		return -1;
	if ((srv = getdns_dict_create()) == NULL)
		return -1;
	if (getdns_dict_util_set_string(srv, "address_type",
	        type == DNS_TYPE_A ? "IPv4" : "IPv6") == GETDNS_RETURN_GOOD &&
	    getdns_dict_set_bindata(srv, "address_data", ip) ==
	        GETDNS_RETURN_GOOD &&
	    getdns_list_get_length(servers, &n) == GETDNS_RETURN_GOOD &&
	    getdns_list_set_dict(servers, n, srv) == GETDNS_RETURN_GOOD)
		rc = 1;
	getdns_dict_destroy(srv);
	return rc;
}

/* Recursion starts at the servers of a root-hints file instead of the
 * real root: the lab's own signed root, or a private root. */
static int
set_root_hints(getdns_context *ctx, const char *path, char *err, size_t errlen)
{
	getdns_list *rrs, *servers;
	getdns_dict *rr;
	getdns_return_t gr = GETDNS_RETURN_GOOD;
	int n = 0, k = 0;

	if (read_rr_file(path, "root hints", false, &rrs, err, errlen) < 0)
		return -1;
	if ((servers = getdns_list_create()) == NULL) {
		getdns_list_destroy(rrs);
		dns_errf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0;
	     k >= 0 && getdns_list_get_dict(rrs, i, &rr) == GETDNS_RETURN_GOOD;
	     i++)
		if ((k = append_root_server(servers, rr)) > 0)
			n += k;
	if (k < 0)
		dns_errf(err, errlen,
		    "bad address record in root hints file %s", path);
	else if (n == 0)
		dns_errf(err, errlen,
		    "no A or AAAA records in root hints file %s", path);
	else if ((gr = getdns_context_set_dns_root_servers(ctx, servers)))
		dns_errf(err, errlen, "cannot use root hints from %s: %s", path,
		    getdns_get_errorstr_by_id(gr));
	getdns_list_destroy(servers);
	getdns_list_destroy(rrs);
	return k < 0 || n == 0 || gr ? -1 : 0;
}

/* getdns >= 1.5 fetches root anchors over HTTP from data.iana.org when it
 * lacks anchors ("Zero configuration DNSSEC"); an empty verify CA/email is
 * the documented way to switch that off, so the anchor file is the only
 * source of trust and nothing leaves 127/8 in stub mode towards 127/8. */
static getdns_return_t
disable_zero_config(getdns_context *ctx)
{
	getdns_return_t gr;

	if ((gr = getdns_context_set_trust_anchors_verify_CA(ctx, "")))
		return gr;
	return getdns_context_set_trust_anchors_verify_email(ctx, "");
}

static getdns_return_t
set_tcp_only(getdns_context *ctx)
{
	getdns_transport_list_t tcp[] = { GETDNS_TRANSPORT_TCP };

	return getdns_context_set_dns_transport_list(ctx, 1, tcp);
}

static int
configure_mode(dns_resolver *r, const char *spec, bool full_validation,
    char *err, size_t errlen)
{
	getdns_return_t gr;
	upstream u;

	if (spec == NULL) {
		snprintf(
		    r->from, sizeof(r->from), "during recursive resolution");
		snprintf(r->silent, sizeof(r->silent),
		    "no answer from the authoritative servers");
		snprintf(r->failed, sizeof(r->failed),
		    "getdns could not complete the lookup");
		gr = getdns_context_set_resolution_type(
		    r->ctx, GETDNS_RESOLUTION_RECURSING);
		if (gr)
			dns_errf(err, errlen,
			    "cannot select recursive mode: %s",
			    getdns_get_errorstr_by_id(gr));
		return gr ? -1 : 0;
	}
	if (parse_upstream(spec, &u, err, errlen) < 0)
		return -1;
	snprintf(r->from, sizeof(r->from), "from %s", u.text);
	snprintf(r->upstream, sizeof(r->upstream), "%s", u.text);
	snprintf(
	    r->silent, sizeof(r->silent), "no answer from resolver %s", u.text);
	/* Over TCP only, an unreachable resolver is a failed connection,
	 * which getdns reports as ERROR at once rather than as a timeout. */
	snprintf(r->failed, sizeof(r->failed),
	    "no answer from resolver %s (TCP connection failed)", u.text);
	if ((gr = getdns_context_set_resolution_type(
	         r->ctx, GETDNS_RESOLUTION_STUB))) {
		dns_errf(err, errlen, "cannot select stub mode: %s",
		    getdns_get_errorstr_by_id(gr));
		return -1;
	}
	if (set_upstream(r->ctx, &u, err, errlen) < 0)
		return -1;
	/* TCP only, pipelined over one connection to the resolver: getdns
	 * 1.6.0 keeps the upstream's shared TCP socket in the lookup after a
	 * UDP answer came back truncated, and closes it under libev's feet
	 * when that lookup is cancelled (libev aborts); a TCP-only lookup
	 * never owns a socket.  tests/valgrind/README.md has the details. */
	if ((gr = set_tcp_only(r->ctx))) {
		dns_errf(err, errlen, "cannot select TCP transport: %s",
		    getdns_get_errorstr_by_id(gr));
		return -1;
	}
	/* Only in stub mode: in recursive mode libunbound keeps its own
	 * cache of validated keys. */
	if (!full_validation && (r->keys = dns_keycache_new()) == NULL) {
		dns_errf(err, errlen, "out of memory");
		return -1;
	}
	/* Close TCP connections to the upstream as soon as they are idle:
	 * lingering sockets would keep the caller's loop running.  Only
	 * valid once upstreams exist (getdns 1.6 walks the list). */
	if ((gr = getdns_context_set_idle_timeout(r->ctx, 0))) {
		dns_errf(err, errlen, "cannot set idle timeout: %s",
		    getdns_get_errorstr_by_id(gr));
		return -1;
	}
	return 0;
}

static getdns_dict *
make_do_bit_extensions(void)
{
	getdns_dict *ext = getdns_dict_create(), *opt = getdns_dict_create();
	bool ok = ext != NULL && opt != NULL &&
	    getdns_dict_set_int(opt, "do_bit", 1) == GETDNS_RETURN_GOOD &&
	    getdns_dict_set_dict(ext, "add_opt_parameters", opt) ==
	        GETDNS_RETURN_GOOD;

	getdns_dict_destroy(opt);
	if (!ok) {
		getdns_dict_destroy(ext);
		return NULL;
	}
	return ext;
}

static int
make_extensions(dns_resolver *r, char *err, size_t errlen)
{
	/* dnssec_return_all_statuses, not dnssec_return_status: the latter
	 * silently drops bogus replies (leaving no reply at all to report);
	 * with all statuses they come back marked BOGUS. */
	if ((r->extensions = getdns_dict_create()) == NULL ||
	    getdns_dict_set_int(r->extensions, "dnssec_return_all_statuses",
	        GETDNS_EXTENSION_TRUE)) {
		dns_errf(err, errlen, "out of memory");
		return -1;
	}
	if (r->keys == NULL)
		return 0;
	/* The fast ask: DO set so the RRSIGs and denial proofs come along,
	 * checked against the key cache instead of by getdns. */
	if ((r->fast_extensions = make_do_bit_extensions()) == NULL) {
		dns_errf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* getdns 1.6.0 copies the name of its root-hints temporary file into the
 * context without the terminating NUL (context.c, memcpy of strlen bytes
 * into a malloc'd buffer), so getdns_context_destroy() unlinks a name with
 * garbage behind it: a read of uninitialised memory, and one file
 * /tmp/getdns-root-dns-servers-XXXXXX left behind per --root-hints run.
 * Zeroed allocations terminate the name. */
static void *
zeroed_malloc(size_t n)
{
	return calloc(1, n);
}

int
dns_config_context(
    dns_resolver *r, const dns_resolver_config *cfg, char *err, size_t errlen)
{
	const char *anchors = cfg->trust_anchor_file != NULL ?
	    cfg->trust_anchor_file :
	    DEFAULT_TRUST_ANCHOR;
	getdns_return_t gr;

	/* set_from_os = 0: neither /etc/resolv.conf nor /etc/hosts may steer
	 * a DANE probe; the upstream (if any) comes from cfg alone. */
	if ((gr = getdns_context_create_with_memory_functions(
	         &r->ctx, 0, zeroed_malloc, realloc, free)))
		dns_errf(err, errlen, "cannot create getdns context: %s",
		    getdns_get_errorstr_by_id(gr));
	else if ((gr = getdns_context_set_eventloop(
	              r->ctx, dns_evloop_base(r->evloop))))
		dns_errf(err, errlen, "cannot attach getdns to libev: %s",
		    getdns_get_errorstr_by_id(gr));
	else if ((gr = getdns_context_set_timeout(r->ctx,
	              (uint64_t)r->timeout_ms + DNS_GETDNS_TIMEOUT_SLACK_MS)))
		dns_errf(err, errlen, "cannot set DNS timeout: %s",
		    getdns_get_errorstr_by_id(gr));
	else if ((gr = disable_zero_config(r->ctx)))
		dns_errf(err, errlen,
		    "cannot disable trust anchor fetching: %s",
		    getdns_get_errorstr_by_id(gr));
	if (gr)
		return -1;
	if (cfg->root_hints_file != NULL && cfg->resolver != NULL) {
		dns_errf(err, errlen,
		    "root hints are for recursive mode; "
		    "with a resolver given they would not be used");
		return -1;
	}
	if (set_trust_anchors(r->ctx, anchors, err, errlen) < 0 ||
	    (cfg->root_hints_file != NULL &&
	        set_root_hints(r->ctx, cfg->root_hints_file, err, errlen) <
	            0) ||
	    configure_mode(r, cfg->resolver,
	        getenv("DANEPROBE_FULL_VALIDATION") != NULL, err, errlen) < 0 ||
	    make_extensions(r, err, errlen) < 0)
		return -1;
	return 0;
}
