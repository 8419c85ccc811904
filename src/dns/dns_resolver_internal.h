/*
 * dns_resolver_internal.h -- what the files of the resolver share, and
 * nothing outside src/dns may include: dns_resolver.h is the contract.
 *
 *   dns_resolver.c  the lookups: the queue, getdns requests, deadlines,
 *                   delivery from the loop, teardown
 *   dns_config.c    the getdns context: mode, upstream, trust anchors,
 *                   root hints, extensions
 *   dns_decode.c    a getdns response (or its absence) as a dns_answer
 *   dns_canary.c    local failures: does any DNS server answer at all?
 *   dns_keyfetch.c  DNSKEY lookups for the key cache, and the queries
 *                   waiting for them
 *
 * Every function here runs on the loop and owns nothing it is not told
 * to own.
 */
#ifndef DANEPROBE_DNS_RESOLVER_INTERNAL_H
#define DANEPROBE_DNS_RESOLVER_INTERNAL_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <getdns/getdns.h>

#include "util/ev_compat.h"
#include "dns/dns_evloop.h"
#include "dns/dns_keycache.h"
#include "dns/dns_resolver.h"

/* getdns's own timeout lies this far beyond our deadline: see
 * dns_resolver_cancel() in dns_resolver.c. */
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
	QUERY_FAST,    /* asked with the DO bit, to check against r->keys */
	QUERY_KEYWAIT, /* answered; waiting for its signers' keys */
	QUERY_FULL,    /* asked with getdns validating the whole chain */
} query_phase;

typedef struct dns_query dns_query;
struct dns_query {
	dns_query *prev, *next; /* r->inflight, doubly linked */
	dns_query *ready_next;  /* r->ready, FIFO */
	dns_query *wait_next;   /* r->waiting, FIFO */
	char *name;             /* owned while waiting to start */
	dns_resolver *r;
	dns_callback cb;
	void *arg;
	dns_answer
	    *answer; /* allocated up front so OOM later still yields one */
	struct timespec started;
	query_phase phase;
	getdns_dict *held; /* QUERY_KEYWAIT: the fast response, owned */
	ev_timer deadline; /* from the start until answered, all phases */
	getdns_transaction_t tid; /* of the getdns request in flight, if any */
	bool begun;               /* started is set, deadline running */
	bool in_getdns;           /* a getdns request of ours is out (tid) */
	bool expired;  /* our deadline cancelled it: CANCEL means timeout */
	bool answered; /* getdns has called back */
};

/* Where the validation work went; logged (-v) when the resolver is freed,
 * and keycache.test reads that line. */
typedef struct resolver_stats {
	unsigned long lookups; /* dns_lookup() calls that started */
	unsigned long
	    cached_keys;    /* answered SECURE against cached zone keys */
	unsigned long full; /* asked again with full getdns validation */
	unsigned long key_fetches; /* DNSKEY RRsets validated for the cache */
} resolver_stats;

typedef struct key_fetch key_fetch; /* dns_keyfetch.c */

/*
 * ". NS", asked to tell a name whose servers fail from a prober that
 * reaches no DNS server at all (dns_resolver.h, local failures).  Asked
 * with the first lookup, so that its word is in by the time that lookup
 * fails, and again when a failure comes with no reply seen since the
 * failed lookup began.
 */
typedef enum canary_state {
	CANARY_IDLE, /* not asked yet */
	CANARY_RUNNING,
	CANARY_ANSWERED, /* a reply came back: DNS works */
	CANARY_SILENT,   /* no reply within the DNS timeout */
} canary_state;

typedef struct dns_canary {
	canary_state state;
	bool wanted; /* on_deliver() asks it */
	ev_timer deadline;
	getdns_transaction_t tid;
	struct timespec ended; /* when it last answered or fell silent */
} dns_canary;

struct dns_resolver {
	struct ev_loop *loop;
	getdns_context *ctx;
	dns_evloop *evloop;           /* getdns's events; outlives ctx */
	getdns_dict *extensions;      /* full validation by getdns */
	getdns_dict *fast_extensions; /* DO bit only: checked against keys */
	dns_keycache *keys;           /* NULL: every lookup in full */
	key_fetch *fetch_queue;       /* DNSKEY lookups not yet started */
	resolver_stats stats;
	ev_timer deliver;
	dns_query *inflight;
	dns_query *ready, **ready_tail;
	dns_query *waiting, **waiting_tail; /* not yet handed to getdns */
	unsigned n_inflight, max_inflight;
	unsigned pending;
	unsigned timeout_ms;
	char from[96];   /* "from 127.53.0.1" / "during recursive resolution" */
	char silent[96]; /* "no answer from resolver 127.53.0.1" / ... */
	char failed
	    [128]; /* why getdns calls back with ERROR (no reply at all) */
	char upstream[INET6_ADDRSTRLEN + 8]; /* stub mode: "127.53.0.1"; "" */
	struct timespec last_reply; /* of the last reply from any server */
	bool heard;                 /* last_reply is set */
	dns_canary canary;
	dns_query *held, **held_tail; /* failures waiting for the canary */
	char *
	    *anchor_zones; /* NULL-terminated, owned; loaded at first decode */
	bool delivering;   /* inside on_deliver(): free must not free r */
	bool closing;      /* dns_resolver_free() has begun */
};

/* Formats a reason into err, if there is room for one. */
void dns_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* dns_resolver.c: the lookup queue. */
/* Has on_deliver() run soon: it delivers answers and starts queued work. */
void dns_resolver_kick(dns_resolver *r);
/* Queues q, answered, for its callback. */
void dns_query_ready(dns_resolver *r, dns_query *q);
/* Decodes resp (owned; freed here) into q's answer and delivers q. */
void dns_query_finish(dns_resolver *r, dns_query *q,
    getdns_callback_type_t type, getdns_dict *resp);
/* Asks q again with full getdns validation. */
void dns_query_retry_full(dns_resolver *r, dns_query *q);
/* Cancels the getdns request tid at our deadline: getdns never times a
 * request out itself (why: dns_resolver.c).  getdns calls the request's
 * callback with CANCEL from inside this call.  False when getdns no
 * longer knows tid. */
bool dns_resolver_cancel(dns_resolver *r, getdns_transaction_t tid);

/* dns_config.c: creates and sets up r->ctx, r->keys, the extensions and
 * the texts of failure reasons; on failure the caller frees what is set. */
int dns_config_context(
    dns_resolver *r, const dns_resolver_config *cfg, char *err, size_t errlen);

/* dns_decode.c */
/* A fresh answer to (name, qtype), ERROR until decoded; NULL: no memory. */
dns_answer *dns_decode_new_answer(const char *name, uint16_t qtype);
void dns_decode_response(const dns_resolver *r, dns_answer *a,
    getdns_callback_type_t type, const getdns_dict *resp);
void dns_decode_timeout(const dns_resolver *r, dns_answer *a);
void dns_decode_error(dns_answer *a, const char *what);
void dns_decode_cancelled(dns_answer *a);
/* The zones of getdns's trust anchors, NULL-terminated and owned; NULL
 * when they cannot be read. */
char **dns_decode_anchor_zones(getdns_context *ctx);
void dns_decode_anchor_zones_free(char **zones);

/* dns_canary.c */
void dns_canary_init(dns_resolver *r);
/* Asks the canary with a first lookup, so its word is in when that fails. */
void dns_canary_want_first(dns_resolver *r);
/* Starts the canary if it is wanted; from on_deliver() only. */
void dns_canary_start_wanted(dns_resolver *r);
/* Notes when a server last replied. */
void dns_canary_note_reply(dns_resolver *r, const dns_answer *a);
/* True when q's failure waits for the canary (it is then held). */
bool dns_canary_hold(dns_resolver *r, dns_query *q);

/* dns_keyfetch.c */
/* True when q, whose fast reply resp is, is no longer the caller's
 * business: it waits for its signers' keys (and owns resp) or is asked
 * again (resp freed).  False: resp is still the caller's, to decode. */
bool dns_keyfetch_check(
    dns_resolver *r, dns_query *q, getdns_dict *resp, bool may_wait);
/* Starts the queued DNSKEY lookups; from on_deliver() only. */
void dns_keyfetch_start(dns_resolver *r);
/* Frees the DNSKEY lookups never started. */
void dns_keyfetch_discard(dns_resolver *r);

#endif
