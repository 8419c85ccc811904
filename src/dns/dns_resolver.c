#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>

#include "util/ev_compat.h"
#include "dns/dns_evloop.h"
#include "dns/dns_keycache.h"
#include "dns/dns_name.h"
#include "dns/dns_reply.h"
#include "dns/dns_resolver.h"
#include "util/log.h"

#define DNS_DEFAULT_TIMEOUT_MS 5000
/* getdns's own timeout lies this far beyond our deadline: see on_deadline(). */
#define DNS_GETDNS_TIMEOUT_SLACK_MS 60000

/*
 * One lookup.  It sits in r->inflight while getdns works on it and moves to
 * r->ready when getdns calls back; callbacks are made from r->deliver, a
 * 0-second timer, never from inside getdns: getdns may call back
 * synchronously from getdns_general(), and getdns_context_destroy() asserts
 * that it is not running inside one of its own callbacks, so a caller that
 * frees the resolver from its callback would otherwise abort.
 *
 * Each lookup in flight has a deadline timer of our own; getdns never times
 * a lookup out itself (see on_deadline()).
 */
typedef enum query_phase {
	QUERY_FAST,     /* asked with the DO bit, to check against r->keys */
	QUERY_KEYWAIT,  /* answered; waiting for its signers' keys */
	QUERY_FULL,     /* asked with getdns validating the whole chain */
} query_phase;

typedef struct dns_query dns_query;
struct dns_query {
	dns_query *prev, *next;   /* r->inflight, doubly linked */
	dns_query *ready_next;    /* r->ready, FIFO */
	dns_query *wait_next;     /* r->waiting, FIFO */
	char *name;               /* owned while waiting to start */
	dns_resolver *r;
	dns_callback cb;
	void *arg;
	dns_answer *answer;       /* allocated up front so OOM later still yields one */
	struct timespec started;
	query_phase phase;
	getdns_dict *held;        /* QUERY_KEYWAIT: the fast response, owned */
	ev_timer deadline;        /* from the start until answered, all phases */
	getdns_transaction_t tid; /* of the getdns request in flight, if any */
	bool begun;               /* started is set, deadline running */
	bool in_getdns;           /* a getdns request of ours is out (tid) */
	bool expired;             /* our deadline cancelled it: CANCEL means timeout */
	bool answered;            /* getdns has called back */
};

/* Where the validation work went; logged (-v) when the resolver is freed,
 * and keycache.test reads that line. */
typedef struct resolver_stats {
	unsigned long lookups;       /* dns_lookup() calls that started */
	unsigned long cached_keys;   /* answered SECURE against cached zone keys */
	unsigned long full;          /* asked again with full getdns validation */
	unsigned long key_fetches;   /* DNSKEY RRsets validated for the cache */
} resolver_stats;

/* A DNSKEY lookup for the key cache; queued until the loop starts it. */
typedef struct key_fetch key_fetch;
struct key_fetch {
	key_fetch *next;          /* r->fetch_queue */
	dns_resolver *r;
	char *zone;               /* owned */
	ev_timer deadline;        /* running while getdns has it */
	getdns_transaction_t tid;
	bool starting;            /* inside getdns_general(): on_key() must not free */
	bool done;                /* on_key() ran while starting */
};

/*
 * ". NS", asked to tell a name whose servers fail from a prober that
 * reaches no DNS server at all (dns_resolver.h, local failures).  Asked
 * with the first lookup, so that its word is in by the time that lookup
 * fails, and again when a failure comes with no reply seen since the
 * failed lookup began.
 */
typedef enum canary_state {
	CANARY_IDLE,      /* not asked yet */
	CANARY_RUNNING,
	CANARY_ANSWERED,  /* a reply came back: DNS works */
	CANARY_SILENT,    /* no reply within the DNS timeout */
} canary_state;

typedef struct dns_canary {
	canary_state state;
	bool wanted;              /* on_deliver() asks it */
	ev_timer deadline;
	getdns_transaction_t tid;
	struct timespec ended;    /* when it last answered or fell silent */
} dns_canary;

struct dns_resolver {
	struct ev_loop *loop;
	getdns_context *ctx;
	dns_evloop *evloop;            /* getdns's events; outlives ctx */
	getdns_dict *extensions;       /* full validation by getdns */
	getdns_dict *fast_extensions;  /* DO bit only: checked against keys */
	dns_keycache *keys;            /* NULL: every lookup in full */
	key_fetch *fetch_queue;        /* DNSKEY lookups not yet started */
	resolver_stats stats;
	ev_timer deliver;
	dns_query *inflight;
	dns_query *ready, **ready_tail;
	dns_query *waiting, **waiting_tail;  /* not yet handed to getdns */
	unsigned n_inflight, max_inflight;
	unsigned pending;
	unsigned timeout_ms;
	char from[96];      /* "from 127.53.0.1" / "during recursive resolution" */
	char silent[96];    /* "no answer from resolver 127.53.0.1" / ... */
	char failed[128];   /* why getdns calls back with ERROR (no reply at all) */
	char upstream[INET6_ADDRSTRLEN + 8]; /* stub mode: "127.53.0.1"; "" */
	struct timespec last_reply;  /* of the last reply from any server */
	bool heard;                  /* last_reply is set */
	dns_canary canary;
	dns_query *held, **held_tail; /* failures waiting for the canary */
	char **anchor_zones; /* NULL-terminated, owned; loaded at first decode */
	bool delivering;    /* inside on_deliver(): free must not free r */
	bool closing;       /* dns_resolver_free() has begun */
};

typedef struct upstream {
	int family;
	unsigned char addr[16];
	unsigned port;
	char text[INET6_ADDRSTRLEN + 8];
} upstream;

static void
errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Configuration                                                        */

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
split_upstream(const char *spec, char *host, size_t hostlen,
    const char **port)
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
		errf(err, errlen, "bad resolver \"%s\": expected ADDR, ADDR@PORT "
		    "or [IPV6]:PORT", spec);
		return -1;
	}
	if (inet_pton(AF_INET, host, u->addr) == 1)
		u->family = AF_INET;
	else if (inet_pton(AF_INET6, host, u->addr) == 1)
		u->family = AF_INET6;
	else {
		errf(err, errlen, "bad resolver \"%s\": \"%s\" is not an IP "
		    "address", spec, host);
		return -1;
	}
	if (port != NULL && parse_port(port, &u->port) < 0) {
		errf(err, errlen, "bad resolver \"%s\": bad port \"%s\"", spec,
		    port);
		return -1;
	}
	if (u->port == 53)
		snprintf(u->text, sizeof(u->text), "%s", host);
	else
		snprintf(u->text, sizeof(u->text), "%s@%u", host, u->port);
	return 0;
}

static int
set_upstream(getdns_context *ctx, const upstream *u, char *err,
    size_t errlen)
{
	getdns_bindata data = {
		u->family == AF_INET ? 4 : 16, (uint8_t *)u->addr
	};
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
		errf(err, errlen, "cannot use resolver %s: %s", u->text,
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
		if (getdns_dict_get_int(rr, "type", &type) == GETDNS_RETURN_GOOD &&
		    (type == DNS_TYPE_DNSKEY || type == DNS_TYPE_DS))
			n++;
	return n;
}

static int
set_trust_anchors(getdns_context *ctx, const char *path, char *err,
    size_t errlen)
{
	getdns_list *rrs = NULL;
	getdns_return_t gr;
	struct stat st;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		errf(err, errlen, "cannot open trust anchor file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	/* getdns_fp2rr_list() never returns on a directory (reads fail
	 * without reaching EOF) and would not on an endless device. */
	if (fstat(fileno(f), &st) < 0 ||
	    !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode))) {
		errf(err, errlen, "trust anchor file %s is not a regular file",
		    path);
		fclose(f);
		return -1;
	}
	gr = getdns_fp2rr_list(f, &rrs, NULL, 3600);
	fclose(f);
	if (gr) {
		errf(err, errlen, "cannot parse trust anchor file %s: %s", path,
		    getdns_get_errorstr_by_id(gr));
	} else if (count_anchor_rrs(rrs) == 0) {
		errf(err, errlen, "no DNSKEY or DS records in trust anchor "
		    "file %s", path);
		gr = GETDNS_RETURN_GENERIC_ERROR;
	} else if ((gr = getdns_context_set_dnssec_trust_anchors(ctx, rrs))) {
		errf(err, errlen, "cannot use trust anchors from %s: %s", path,
		    getdns_get_errorstr_by_id(gr));
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
set_root_hints(getdns_context *ctx, const char *path, char *err,
    size_t errlen)
{
	getdns_list *rrs = NULL, *servers = NULL;
	getdns_dict *rr;
	getdns_return_t gr;
	struct stat st;
	int n = 0, k = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		errf(err, errlen, "cannot open root hints file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		errf(err, errlen, "root hints file %s is not a regular file",
		    path);
		fclose(f);
		return -1;
	}
	gr = getdns_fp2rr_list(f, &rrs, NULL, 3600);
	fclose(f);
	if (gr) {
		errf(err, errlen, "cannot parse root hints file %s: %s", path,
		    getdns_get_errorstr_by_id(gr));
		return -1;
	}
	if ((servers = getdns_list_create()) == NULL) {
		getdns_list_destroy(rrs);
		errf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; k >= 0 &&
	    getdns_list_get_dict(rrs, i, &rr) == GETDNS_RETURN_GOOD; i++)
		if ((k = append_root_server(servers, rr)) > 0)
			n += k;
	if (k < 0)
		errf(err, errlen, "bad address record in root hints file %s",
		    path);
	else if (n == 0)
		errf(err, errlen, "no A or AAAA records in root hints file %s",
		    path);
	else if ((gr = getdns_context_set_dns_root_servers(ctx, servers)))
		errf(err, errlen, "cannot use root hints from %s: %s", path,
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
		snprintf(r->from, sizeof(r->from), "during recursive resolution");
		snprintf(r->silent, sizeof(r->silent),
		    "no answer from the authoritative servers");
		snprintf(r->failed, sizeof(r->failed),
		    "getdns could not complete the lookup");
		gr = getdns_context_set_resolution_type(r->ctx,
		    GETDNS_RESOLUTION_RECURSING);
		if (gr)
			errf(err, errlen, "cannot select recursive mode: %s",
			    getdns_get_errorstr_by_id(gr));
		return gr ? -1 : 0;
	}
	if (parse_upstream(spec, &u, err, errlen) < 0)
		return -1;
	snprintf(r->from, sizeof(r->from), "from %s", u.text);
	snprintf(r->upstream, sizeof(r->upstream), "%s", u.text);
	snprintf(r->silent, sizeof(r->silent), "no answer from resolver %s",
	    u.text);
	/* Over TCP only, an unreachable resolver is a failed connection,
	 * which getdns reports as ERROR at once rather than as a timeout. */
	snprintf(r->failed, sizeof(r->failed),
	    "no answer from resolver %s (TCP connection failed)", u.text);
	if ((gr = getdns_context_set_resolution_type(r->ctx,
	    GETDNS_RESOLUTION_STUB))) {
		errf(err, errlen, "cannot select stub mode: %s",
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
		errf(err, errlen, "cannot select TCP transport: %s",
		    getdns_get_errorstr_by_id(gr));
		return -1;
	}
	/* Only in stub mode: in recursive mode libunbound keeps its own
	 * cache of validated keys. */
	if (!full_validation && (r->keys = dns_keycache_new()) == NULL) {
		errf(err, errlen, "out of memory");
		return -1;
	}
	/* Close TCP connections to the upstream as soon as they are idle:
	 * lingering sockets would keep the caller's loop running.  Only
	 * valid once upstreams exist (getdns 1.6 walks the list). */
	if ((gr = getdns_context_set_idle_timeout(r->ctx, 0))) {
		errf(err, errlen, "cannot set idle timeout: %s",
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
		errf(err, errlen, "out of memory");
		return -1;
	}
	if (r->keys == NULL)
		return 0;
	/* The fast ask: DO set so the RRSIGs and denial proofs come along,
	 * checked against the key cache instead of by getdns. */
	if ((r->fast_extensions = make_do_bit_extensions()) == NULL) {
		errf(err, errlen, "out of memory");
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

static int
configure_context(dns_resolver *r, const dns_resolver_config *cfg,
    char *err, size_t errlen)
{
	const char *anchors = cfg->trust_anchor_file != NULL ?
	    cfg->trust_anchor_file : DEFAULT_TRUST_ANCHOR;
	getdns_return_t gr;

	/* set_from_os = 0: neither /etc/resolv.conf nor /etc/hosts may steer
	 * a DANE probe; the upstream (if any) comes from cfg alone. */
	if ((gr = getdns_context_create_with_memory_functions(&r->ctx, 0,
	    zeroed_malloc, realloc, free)))
		errf(err, errlen, "cannot create getdns context: %s",
		    getdns_get_errorstr_by_id(gr));
	else if ((gr = getdns_context_set_eventloop(r->ctx,
	    dns_evloop_base(r->evloop))))
		errf(err, errlen, "cannot attach getdns to libev: %s",
		    getdns_get_errorstr_by_id(gr));
	else if ((gr = getdns_context_set_timeout(r->ctx,
	    (uint64_t)r->timeout_ms + DNS_GETDNS_TIMEOUT_SLACK_MS)))
		errf(err, errlen, "cannot set DNS timeout: %s",
		    getdns_get_errorstr_by_id(gr));
	else if ((gr = disable_zero_config(r->ctx)))
		errf(err, errlen, "cannot disable trust anchor fetching: %s",
		    getdns_get_errorstr_by_id(gr));
	if (gr)
		return -1;
	if (cfg->root_hints_file != NULL && cfg->resolver != NULL) {
		errf(err, errlen, "root hints are for recursive mode; "
		    "with a resolver given they would not be used");
		return -1;
	}
	if (set_trust_anchors(r->ctx, anchors, err, errlen) < 0 ||
	    (cfg->root_hints_file != NULL &&
	    set_root_hints(r->ctx, cfg->root_hints_file, err, errlen) < 0) ||
	    configure_mode(r, cfg->resolver,
	    getenv("DANEPROBE_FULL_VALIDATION") != NULL, err, errlen) < 0 ||
	    make_extensions(r, err, errlen) < 0)
		return -1;
	return 0;
}

static void on_deliver(struct ev_loop *loop, ev_timer *w, int revents);
static void on_canary_deadline(struct ev_loop *loop, ev_timer *w,
    int revents);
static void drain_waiting(dns_resolver *r);

int
dns_resolver_new(struct ev_loop *loop, const dns_resolver_config *cfg,
    dns_resolver **out, char *err, size_t errlen)
{
	dns_resolver *r;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		errf(err, errlen, "out of memory");
		return -1;
	}
	r->loop = loop;
	r->ready_tail = &r->ready;
	r->waiting_tail = &r->waiting;
	r->held_tail = &r->held;
	r->max_inflight = cfg->max_inflight != 0 ? cfg->max_inflight : 64;
	r->timeout_ms = cfg->timeout_ms != 0 ? cfg->timeout_ms :
	    DNS_DEFAULT_TIMEOUT_MS;
	ev_timer_init(&r->deliver, on_deliver, 0., 0.);
	r->deliver.data = r;
	ev_timer_init(&r->canary.deadline, on_canary_deadline,
	    r->timeout_ms / 1e3, 0.);
	r->canary.deadline.data = r;
	if ((r->evloop = dns_evloop_new(loop)) == NULL) {
		errf(err, errlen, "out of memory");
		free(r);
		return -1;
	}
	if (configure_context(r, cfg, err, errlen) < 0) {
		if (r->ctx != NULL)
			getdns_context_destroy(r->ctx);
		dns_evloop_free(r->evloop);
		getdns_dict_destroy(r->extensions);
		getdns_dict_destroy(r->fast_extensions);
		dns_keycache_free(r->keys);
		free(r);
		return -1;
	}
	*out = r;
	return 0;
}

unsigned
dns_resolver_pending(const dns_resolver *r)
{
	return r == NULL ? 0 : r->pending;
}

/* ------------------------------------------------------------------ */
/* Decoding a getdns response into a dns_answer                        */

static double
ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

static void
set_timeout(const dns_resolver *r, dns_answer *a)
{
	a->status = DNS_STATUS_TIMEOUT;
	a->security = DNS_SECURITY_INDETERMINATE;
	snprintf(a->reason, sizeof(a->reason), "%s within %u ms", r->silent,
	    r->timeout_ms);
}

static void
set_error(dns_answer *a, const char *what)
{
	a->status = DNS_STATUS_ERROR;
	a->security = DNS_SECURITY_INDETERMINATE;
	snprintf(a->reason, sizeof(a->reason), "%s", what);
}

/* The zones of the trust anchors getdns validates from: nothing outside
 * them is ever SECURE (dns_reply_decode()).  NULL when they cannot be
 * read; then that is not checked. */
static char **
anchor_zones_of(getdns_context *ctx)
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

static void
anchor_zones_free(char **zones)
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
		set_error(a, "getdns returned a response without status");
		return;
	}
	if (status == GETDNS_RESPSTATUS_ALL_TIMEOUT ||
	    getdns_dict_get_list(resp, "replies_tree", &replies) ||
	    getdns_list_get_dict(replies, 0, &reply)) {
		set_timeout(r, a);
		return;
	}
	/* Which records of the reply answer our question, and how secure
	 * they are: dns_reply.h. */
	dns_reply_decode(a, reply, r->from,
	    (const char *const *)r->anchor_zones);
}

static void
decode_response(const dns_resolver *r, dns_answer *a,
    getdns_callback_type_t type, const getdns_dict *resp)
{
	switch (type) {
	case GETDNS_CALLBACK_COMPLETE:
		decode_complete(r, a, resp);
		break;
	case GETDNS_CALLBACK_TIMEOUT:
		set_timeout(r, a);
		break;
	case GETDNS_CALLBACK_CANCEL:
		a->status = DNS_STATUS_CANCELLED;
		snprintf(a->reason, sizeof(a->reason), "lookup cancelled");
		break;
	case GETDNS_CALLBACK_ERROR:
		set_error(a, r->failed);
		break;
	default:
		set_error(a, "getdns could not complete the lookup");
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Lookups                                                              */

static void
inflight_unlink(dns_resolver *r, dns_query *q)
{
	r->n_inflight--;
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		r->inflight = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
}

/* Has on_deliver() run soon: it delivers answers and starts queued work. */
static void
kick(dns_resolver *r)
{
	/* While closing, dns_resolver_free() drains the queues itself. */
	if (!r->closing && !ev_is_active(&r->deliver)) {
		ev_timer_set(&r->deliver, 0., 0.);
		ev_timer_start(r->loop, &r->deliver);
	}
}

static void
ready_push(dns_resolver *r, dns_query *q)
{
	q->ready_next = NULL;
	*r->ready_tail = q;
	r->ready_tail = &q->ready_next;
	kick(r);
}

/* ------------------------------------------------------------------ */
/* Local failures: does any DNS server answer at all?                   */

static dns_answer *answer_new(const char *name, uint16_t qtype);

static bool
ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Whether `a` came back from a server.  In stub mode any reply of the
 * resolver, SERVFAIL too: it is up, and its SERVFAIL is about the name.
 * In recursive mode only NOERROR and NXDOMAIN: libunbound makes up a
 * SERVFAIL (or echoes the query) when it reaches no server at all. */
static bool
is_reply(const dns_resolver *r, const dns_answer *a)
{
	switch (a->status) {
	case DNS_STATUS_OK:
	case DNS_STATUS_NODATA:
	case DNS_STATUS_NXDOMAIN:
		return true;
	case DNS_STATUS_SERVFAIL:
		return r->upstream[0] != '\0';
	default:
		return false;
	}
}

static void
note_reply(dns_resolver *r, const dns_answer *a)
{
	if (!is_reply(r, a))
		return;
	clock_gettime(CLOCK_MONOTONIC, &r->last_reply);
	r->heard = true;
}

/* Whether some server replied to anything since t. */
static bool
heard_since(const dns_resolver *r, const struct timespec *t)
{
	return r->heard && !ts_before(&r->last_reply, t);
}

static bool
is_no_answer(const dns_resolver *r, const dns_answer *a)
{
	return a->status == DNS_STATUS_TIMEOUT ||
	    a->status == DNS_STATUS_ERROR ||
	    (a->status == DNS_STATUS_SERVFAIL && !is_reply(r, a));
}

/* The failure was the prober's: say so, and what to check. */
static void
set_local_failure(const dns_resolver *r, dns_answer *a)
{
	double s = r->timeout_ms / 1e3;

	a->local_failure = true;
	if (r->upstream[0] == '\0')
		snprintf(a->reason, sizeof(a->reason), "no DNS server answered "
		    "within %.1f s, not even a root server: check outbound "
		    "port 53 (UDP and TCP), or use --resolver", s);
	else if (a->status == DNS_STATUS_TIMEOUT)
		snprintf(a->reason, sizeof(a->reason), "no answer from "
		    "resolver %s within %.1f s, not even for the root: is it "
		    "running, and open to this host over TCP?", r->upstream, s);
	else
		snprintf(a->reason, sizeof(a->reason), "no answer from "
		    "resolver %s (TCP connection failed): is it running, and "
		    "open to this host over TCP?", r->upstream);
}

/* Holds q's failure until the canary has spoken, unless the answer is
 * already clear: a reply since q began means DNS works (the failure is
 * the name's); a canary silent since q began means nothing answers. */
static bool
hold_for_canary(dns_resolver *r, dns_query *q)
{
	dns_canary *c = &r->canary;

	if (r->closing || !is_no_answer(r, q->answer) ||
	    heard_since(r, &q->started))
		return false;
	if (c->state == CANARY_SILENT && !ts_before(&c->ended, &q->started)) {
		set_local_failure(r, q->answer);
		return false;
	}
	q->ready_next = NULL;
	*r->held_tail = q;
	r->held_tail = &q->ready_next;
	if (c->state != CANARY_RUNNING) {
		c->wanted = true;
		kick(r);
	}
	return true;
}

/* The canary has spoken: every held failure goes to its caller. */
static void
release_held(dns_resolver *r)
{
	dns_query *q;

	while ((q = r->held) != NULL) {
		if ((r->held = q->ready_next) == NULL)
			r->held_tail = &r->held;
		if (!heard_since(r, &q->started))
			set_local_failure(r, q->answer);
		ready_push(r, q);
	}
}

static void
canary_done(dns_resolver *r, bool answered)
{
	dns_canary *c = &r->canary;

	ev_timer_stop(r->loop, &c->deadline);
	c->state = answered ? CANARY_ANSWERED : CANARY_SILENT;
	clock_gettime(CLOCK_MONOTONIC, &c->ended);
	if (answered) {
		r->last_reply = c->ended;
		r->heard = true;
	}
	log_debug("dns: canary \". NS\": %s", answered ? "answered" :
	    "no answer");
	release_held(r);
}

static void
on_canary(getdns_context *ctx, getdns_callback_type_t type,
    getdns_dict *resp, void *userarg, getdns_transaction_t tid)
{
	dns_resolver *r = userarg;
	dns_answer *a;

	(void)ctx;
	(void)tid;
	if (r->closing || r->canary.state != CANARY_RUNNING) {
		getdns_dict_destroy(resp);
		return;
	}
	if ((a = answer_new(".", DNS_TYPE_NS)) != NULL)
		decode_response(r, a, type, resp);
	getdns_dict_destroy(resp);
	canary_done(r, a != NULL && is_reply(r, a));
	dns_answer_free(a);
}

/* Same reasons as on_deadline(): getdns never times it out itself. */
static void
on_canary_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	dns_resolver *r = w->data;

	(void)loop;
	(void)revents;
	/* getdns calls on_canary() with CANCEL from inside this call. */
	if (getdns_cancel_callback(r->ctx, r->canary.tid) !=
	    GETDNS_RETURN_GOOD && r->canary.state == CANARY_RUNNING)
		canary_done(r, false);
}

/* Asks ". NS", without DNSSEC: only whether anything answers matters.
 * From the loop only (on_deliver()). */
static void
canary_start(dns_resolver *r)
{
	dns_canary *c = &r->canary;
	getdns_return_t gr;

	c->wanted = false;
	if (r->closing || c->state == CANARY_RUNNING)
		return;
	c->state = CANARY_RUNNING;
	ev_timer_set(&c->deadline, r->timeout_ms / 1e3, 0.);
	ev_now_update(r->loop);
	ev_timer_start(r->loop, &c->deadline);
	gr = getdns_general(r->ctx, ".", DNS_TYPE_NS, NULL, r, &c->tid,
	    on_canary);
	if (gr != GETDNS_RETURN_GOOD && c->state == CANARY_RUNNING)
		canary_done(r, false);
}

/* q has its answer: the deadline stops and the caller hears of it,
 * once it is clear whose failure a failure is. */
static void
query_deliver(dns_resolver *r, dns_query *q)
{
	ev_timer_stop(r->loop, &q->deadline);
	q->answered = true;
	note_reply(r, q->answer);
	if (hold_for_canary(r, q))
		return;
	ready_push(r, q);
}

static dns_query *
ready_pop(dns_resolver *r)
{
	dns_query *q = r->ready;

	if (q != NULL && (r->ready = q->ready_next) == NULL)
		r->ready_tail = &r->ready;
	return q;
}

/* Decodes the response (owned; freed here) into q's answer and queues q
 * for delivery. */
static void
query_finish(dns_resolver *r, dns_query *q, getdns_callback_type_t type,
    getdns_dict *resp)
{
	q->answer->elapsed_ms = ms_since(&q->started);
	if (r->anchor_zones == NULL && r->ctx != NULL)
		r->anchor_zones = anchor_zones_of(r->ctx);
	if (q->expired) /* the CANCEL that on_deadline() asked for */
		set_timeout(r, q->answer);
	else
		decode_response(r, q->answer, type, resp);
	getdns_dict_destroy(resp);
	log_debug("dns: %s %s: %s, %s, %zu records, %.1f ms%s%s",
	    q->answer->qname, dns_type_name(q->answer->qtype),
	    dns_status_name(q->answer->status),
	    dns_security_name(q->answer->security), q->answer->count,
	    q->answer->elapsed_ms, q->answer->reason[0] ? ": " : "",
	    q->answer->reason);
	inflight_unlink(r, q);
	query_deliver(r, q);
}

/* Answers q as timed out, wherever it is but inside getdns. */
static void
query_expire(dns_resolver *r, dns_query *q)
{
	getdns_dict_destroy(q->held);
	q->held = NULL;
	q->answer->elapsed_ms = ms_since(&q->started);
	set_timeout(r, q->answer);
	query_deliver(r, q);
}

/* Asks again with full getdns validation, from the loop: q gives up its
 * slot and goes to the head of the queue, which starts it at once. */
static void
query_retry_full(dns_resolver *r, dns_query *q)
{
	getdns_dict_destroy(q->held);
	q->held = NULL;
	q->phase = QUERY_FULL;
	r->stats.full++;
	inflight_unlink(r, q);
	if ((q->wait_next = r->waiting) == NULL)
		r->waiting_tail = &q->wait_next;
	r->waiting = q;
	kick(r);
}

static void
key_fetch_queue(dns_resolver *r, char *zone)
{
	key_fetch *kf;

	if (dns_keycache_set_pending(r->keys, zone) < 0 ||
	    (kf = calloc(1, sizeof(*kf))) == NULL) {
		/* Without a fetch the zone must not stay PENDING: its
		 * waiters would wait for ever. */
		dns_keycache_set_failed(r->keys, zone, time(NULL));
		free(zone);
		return;
	}
	kf->r = r;
	kf->zone = zone;
	kf->next = r->fetch_queue;
	r->fetch_queue = kf;
	kick(r);
}

/* What the key cache makes of q's reply; true when q is no longer the
 * caller's business (waiting for keys, or asked again). */
static bool
query_check_keys(dns_resolver *r, dns_query *q, getdns_dict *resp,
    bool may_wait)
{
	char *missing[DNS_KEYCHECK_MAX_SIGNERS];
	getdns_dict *reply;
	size_t i, n = 0;

	if (getdns_dict_get_dict(resp, "/replies_tree/0", &reply))
		return false; /* no reply: decode it as the timeout it is */
	/* The cache judges a reply against the question in it: only one to
	 * our question may get that far.  Any other goes to full
	 * validation, whose reply is checked again when decoded. */
	if (!dns_reply_is_to(reply, q->answer->qname, q->answer->qtype)) {
		getdns_dict_destroy(resp);
		query_retry_full(r, q);
		return true;
	}
	switch (dns_keycache_check(r->keys, reply, time(NULL), may_wait,
	    missing, &n)) {
	case DNS_KEYCHECK_SECURE:
		r->stats.cached_keys++;
		getdns_dict_set_int(reply, "dnssec_status",
		    GETDNS_DNSSEC_SECURE);
		return false;
	case DNS_KEYCHECK_WAIT:
		for (i = 0; i < n; i++)
			key_fetch_queue(r, missing[i]);
		q->phase = QUERY_KEYWAIT;
		q->held = resp;
		return true;
	case DNS_KEYCHECK_FULL:
	default:
		getdns_dict_destroy(resp);
		query_retry_full(r, q);
		return true;
	}
}

/* A zone's keys are settled: every query waiting for them moves on. */
static void
wake_key_waiters(dns_resolver *r)
{
	dns_query *q, *next;
	getdns_dict *resp;

	for (q = r->inflight; q != NULL; q = next) {
		next = q->next;
		if (q->phase != QUERY_KEYWAIT)
			continue;
		resp = q->held;
		q->held = NULL;
		if (query_check_keys(r, q, resp, false))
			continue;
		query_finish(r, q, GETDNS_CALLBACK_COMPLETE, resp);
	}
}

static void
on_getdns(getdns_context *ctx, getdns_callback_type_t type,
    getdns_dict *resp, void *userarg, getdns_transaction_t tid)
{
	dns_query *q = userarg;
	dns_resolver *r = q->r;

	(void)ctx;
	(void)tid;
	q->in_getdns = false;
	if (q->phase == QUERY_FAST && type == GETDNS_CALLBACK_COMPLETE &&
	    !q->expired && !r->closing && query_check_keys(r, q, resp, true))
		return;
	query_finish(r, q, type, resp);
}

/*
 * A lookup reached our deadline, in whatever phase: it is answered as a
 * timeout and getdns drops it.  getdns's own timeout is set well beyond
 * ours because getdns 1.6.0 frees a DNSSEC chain sub-query (DNSKEY/DS)
 * that times out by itself while the chain still points at it (use after
 * free); cancelling the lookup instead takes its chain down in order.
 * Safe because stub mode is TCP only (configure_mode()); recursive mode
 * cancels through libunbound.
 */
static void
on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	dns_query *q = w->data;
	dns_resolver *r = q->r;

	(void)loop;
	(void)revents;
	q->expired = true;
	if (q->in_getdns) {
		/* getdns calls on_getdns() with CANCEL from inside this
		 * call, which answers q as a timeout. */
		if (getdns_cancel_callback(r->ctx, q->tid) ==
		    GETDNS_RETURN_GOOD && q->answered)
			return;
		q->in_getdns = false; /* unknown to getdns: cannot happen */
	} else if (q->phase != QUERY_KEYWAIT) {
		return; /* queued to be asked again: drain_waiting() answers */
	}
	inflight_unlink(r, q);
	query_expire(r, q);
}

static void
on_key(getdns_context *ctx, getdns_callback_type_t type,
    getdns_dict *resp, void *userarg, getdns_transaction_t tid)
{
	key_fetch *kf = userarg;
	dns_resolver *r = kf->r;
	getdns_dict *reply = NULL;
	time_t now = time(NULL);
	bool valid = false;

	(void)ctx;
	(void)tid;
	ev_timer_stop(r->loop, &kf->deadline);
	if (!r->closing) {
		if (type == GETDNS_CALLBACK_COMPLETE &&
		    !getdns_dict_get_dict(resp, "/replies_tree/0", &reply))
			valid = dns_keycache_take_keys(r->keys, kf->zone, reply,
			    now) == 0;
		else
			dns_keycache_set_failed(r->keys, kf->zone, now);
		log_debug("dns: keys of zone \"%s\": %s", kf->zone,
		    valid ? "validated, cached" :
		    "not validated, answers in full");
		wake_key_waiters(r);
	}
	getdns_dict_destroy(resp);
	if (kf->starting) {
		kf->done = true; /* start_key_fetches() frees it */
		return;
	}
	free(kf->zone);
	free(kf);
}

/* A DNSKEY lookup as late as any other: cancelled (on_key() then marks
 * the zone FAILED), for the same getdns reasons as on_deadline(). */
static void
on_key_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	key_fetch *kf = w->data;

	(void)loop;
	(void)revents;
	getdns_cancel_callback(kf->r->ctx, kf->tid);
}

/* Starts the queued DNSKEY lookups; from the loop only. */
static void
start_key_fetches(dns_resolver *r)
{
	getdns_return_t gr;
	key_fetch *kf;

	while (!r->closing && (kf = r->fetch_queue) != NULL) {
		r->fetch_queue = kf->next;
		r->stats.key_fetches++;
		ev_timer_init(&kf->deadline, on_key_deadline,
		    r->timeout_ms / 1e3, 0.);
		kf->deadline.data = kf;
		ev_now_update(r->loop);
		ev_timer_start(r->loop, &kf->deadline);
		kf->starting = true;
		gr = getdns_general(r->ctx, kf->zone[0] ? kf->zone : ".",
		    DNS_TYPE_DNSKEY, r->extensions, kf, &kf->tid, on_key);
		kf->starting = false;
		if (gr == GETDNS_RETURN_GOOD && !kf->done)
			continue; /* on_key() owns kf now */
		ev_timer_stop(r->loop, &kf->deadline);
		if (!kf->done) {
			dns_keycache_set_failed(r->keys, kf->zone, time(NULL));
			wake_key_waiters(r);
		}
		free(kf->zone);
		free(kf);
	}
}

static void
on_deliver(struct ev_loop *loop, ev_timer *w, int revents)
{
	dns_resolver *r = w->data;
	dns_query *q;

	(void)loop;
	(void)revents;
	r->delivering = true;
	if (r->canary.wanted)
		canary_start(r);
	start_key_fetches(r);
	while (!r->closing && (q = ready_pop(r)) != NULL) {
		dns_callback cb = q->cb;
		void *arg = q->arg;
		dns_answer *a = q->answer;

		r->pending--;
		free(q);
		cb(a, arg); /* may start lookups or free the resolver */
		drain_waiting(r);
	}
	drain_waiting(r);
	r->delivering = false;
	if (r->closing)
		free(r); /* dns_resolver_free() ran in a callback and left r to us */
}

static dns_answer *
answer_new(const char *name, uint16_t qtype)
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

/* Hands q to getdns.  Returns the getdns error, if it refused. */
static getdns_return_t
query_start(dns_resolver *r, dns_query *q, const char *name)
{
	getdns_transaction_t tid;
	getdns_return_t gr;

	if (!q->begun) {
		clock_gettime(CLOCK_MONOTONIC, &q->started);
		r->stats.lookups++;
	}
	if ((q->next = r->inflight) != NULL)
		q->next->prev = q;
	r->inflight = q;
	r->n_inflight++;
	q->in_getdns = true;
	gr = getdns_general(r->ctx, name, q->answer->qtype,
	    q->phase == QUERY_FAST ? r->fast_extensions : r->extensions, q,
	    &tid, on_getdns);
	if (q->answered)
		return GETDNS_RETURN_GOOD; /* called back and finished already */
	if (gr != GETDNS_RETURN_GOOD && q->in_getdns) {
		q->in_getdns = false;
		inflight_unlink(r, q);
		return gr;
	}
	if (q->in_getdns)
		q->tid = tid;
	if (!q->begun) {
		/* One deadline for the whole lookup, whatever phases it goes
		 * through; from now, not from when this loop iteration began:
		 * a batch may have spent long in callbacks since. */
		q->begun = true;
		ev_now_update(r->loop);
		ev_timer_start(r->loop, &q->deadline);
	}
	return GETDNS_RETURN_GOOD;
}

/* Starts waiting lookups while there is room; from the loop only, never
 * inside a getdns callback. */
static void
drain_waiting(dns_resolver *r)
{
	while (!r->closing && r->waiting != NULL &&
	    r->n_inflight < r->max_inflight) {
		dns_query *q = r->waiting;
		getdns_return_t gr;

		if ((r->waiting = q->wait_next) == NULL)
			r->waiting_tail = &r->waiting;
		if (q->expired) { /* ran out while queued to be asked again */
			query_expire(r, q);
			continue;
		}
		gr = query_start(r, q, q->name != NULL ? q->name :
		    q->answer->qname);
		if (gr != GETDNS_RETURN_GOOD) {
			set_error(q->answer, getdns_get_errorstr_by_id(gr));
			query_deliver(r, q);
		}
		free(q->name);
		q->name = NULL;
	}
}

int
dns_lookup(dns_resolver *r, const char *name, uint16_t qtype,
    dns_callback cb, void *arg, char *err, size_t errlen)
{
	getdns_return_t gr;
	dns_query *q;

	if (r->closing) {
		errf(err, errlen, "resolver is shutting down");
		return -1;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->answer = answer_new(name, qtype)) == NULL) {
		free(q);
		errf(err, errlen, "out of memory");
		return -1;
	}
	q->r = r;
	q->cb = cb;
	q->arg = arg;
	if (r->canary.state == CANARY_IDLE && !r->canary.wanted) {
		r->canary.wanted = true; /* its word is in when q fails */
		kick(r);
	}
	q->phase = r->keys != NULL ? QUERY_FAST : QUERY_FULL;
	ev_timer_init(&q->deadline, on_deadline, r->timeout_ms / 1e3, 0.);
	q->deadline.data = q;
	if (r->n_inflight >= r->max_inflight || r->waiting != NULL) {
		if ((q->name = strdup(name)) == NULL) {
			dns_answer_free(q->answer);
			free(q);
			errf(err, errlen, "out of memory");
			return -1;
		}
		*r->waiting_tail = q;
		r->waiting_tail = &q->wait_next;
		r->pending++;
		return 0;
	}
	r->pending++;
	if ((gr = query_start(r, q, name)) == GETDNS_RETURN_GOOD)
		return 0;
	r->pending--;
	dns_answer_free(q->answer);
	free(q);
	errf(err, errlen, "cannot look up %s %s: %s", name, dns_type_name(qtype),
	    getdns_get_errorstr_by_id(gr));
	return -1;
}

/* ------------------------------------------------------------------ */
/* Teardown                                                             */

/* A cancelled answer carries no data, whatever had been decoded. */
static void
make_cancelled(dns_answer *a)
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
	a->mx = NULL;
	a->addrs = NULL;
	a->tlsa = NULL;
	a->count = 0;
	a->ttl = 0;
	a->status = DNS_STATUS_CANCELLED;
	a->security = DNS_SECURITY_INDETERMINATE;
	snprintf(a->reason, sizeof(a->reason),
	    "lookup cancelled: resolver shut down");
}

/* Calls back every lookup not yet called back, with CANCELLED.  getdns is
 * gone by now, so nothing can be added behind our back; a callback that
 * tries dns_lookup() is refused because r->closing is set. */
static void
cancel_all(dns_resolver *r)
{
	dns_query *q;

	for (;;) {
		if ((q = r->inflight) != NULL) {
			inflight_unlink(r, q);
		} else if ((q = r->waiting) != NULL) {
			if ((r->waiting = q->wait_next) == NULL)
				r->waiting_tail = &r->waiting;
			free(q->name);
		} else if ((q = r->held) != NULL) {
			if ((r->held = q->ready_next) == NULL)
				r->held_tail = &r->held;
		} else if ((q = ready_pop(r)) == NULL) {
			break;
		}
		ev_timer_stop(r->loop, &q->deadline);
		getdns_dict_destroy(q->held);
		make_cancelled(q->answer);
		r->pending--;
		q->cb(q->answer, q->arg);
		free(q);
	}
}

void
dns_resolver_free(dns_resolver *r)
{
	key_fetch *kf;

	if (r == NULL || r->closing)
		return;
	if (r->stats.lookups > 0)
		log_info("dns: %lu lookups: %lu secure against cached zone keys, "
		    "%lu validated in full by getdns, %lu zone key sets "
		    "validated", r->stats.lookups, r->stats.cached_keys,
		    r->keys == NULL ? r->stats.lookups : r->stats.full,
		    r->stats.key_fetches);
	r->closing = true;
	ev_timer_stop(r->loop, &r->deliver);
	ev_timer_stop(r->loop, &r->canary.deadline);
	/* getdns calls on_getdns() with CANCEL for each lookup it still has,
	 * which moves them to r->ready (ready_push() does not restart the
	 * timer while closing). */
	getdns_context_destroy(r->ctx);
	r->ctx = NULL;
	/* Only now: libunbound cleared its events through it just above. */
	dns_evloop_free(r->evloop);
	r->evloop = NULL;
	cancel_all(r);
	while ((kf = r->fetch_queue) != NULL) {
		r->fetch_queue = kf->next;
		free(kf->zone);
		free(kf);
	}
	dns_keycache_free(r->keys);
	r->keys = NULL;
	anchor_zones_free(r->anchor_zones);
	r->anchor_zones = NULL;
	getdns_dict_destroy(r->extensions);
	getdns_dict_destroy(r->fast_extensions);
	r->extensions = r->fast_extensions = NULL;
	if (!r->delivering)
		free(r);
}
