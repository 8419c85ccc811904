/*
 * probe_engine_internal.h -- what the files of the probe engine share, and
 * nothing outside them may include: probe_engine.h is the contract.
 *
 *   probe_engine.c    engine setup and teardown, the domain lifetime: MX
 *                     lookup, the address budget, completion, deadline
 *   probe_host_job.c  host jobs shared between domains: a host's address
 *                     and TLSA lookups, its policy, its subscribers and
 *                     the shared views of its result handed to them
 *   probe_address.c   the per-address SMTP/TLS probes (through the
 *                     connection limiter), their verdicts and the second
 *                     key-algorithm pass
 *
 * probe_engine.c tells how the pieces work together.  Everything here runs
 * on the engine's loop.
 */
#ifndef DANEPROBE_PROBE_ENGINE_INTERNAL_H
#define DANEPROBE_PROBE_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dns/dns_resolver.h"
#include "probe/conn_limiter.h"
#include "probe/probe_config.h"
#include "probe/probe_engine.h"
#include "probe/probe_result.h"
#include "smtp/smtp_session.h"
#include "tls/dane_tls.h"
#include "util/ev_compat.h"
#include "util/strmap.h"

#define MAX_ADDRS_PER_FAMILY 16
/* Two address families, and each address probed once per key algorithm. */
#define MAX_PROBES_PER_HOST (2 * 2 * MAX_ADDRS_PER_FAMILY)

typedef struct domain_probe domain_probe;
typedef struct host_job host_job;

#define NO_TWIN SIZE_MAX

typedef struct addr_probe {
	host_job *job;
	size_t index;
	size_t twin;           /* first pass: its second pass, or NO_TWIN */
	size_t first;          /* second pass: its first pass */
	smtp_session *session; /* NULL when not running */
	conn_waiter waiter;    /* connection slot, queued or held */
	bool holds_slot;
	bool queued;
	const char *family;  /* second pass: "ECDSA"/"RSA"; NULL first */
	dane_tls_params tls; /* pointers into the job's result */
	const char *refs[2];
} addr_probe;

typedef struct host_sub {
	domain_probe *dp;
	size_t index;
	struct host_sub *next;
} host_sub;

struct host_job {
	probe_engine *eng;
	probe_host res;        /* the master result */
	unsigned addr_lookups; /* A/AAAA lookups outstanding */
	size_t tlsa_step;      /* TLSA name being looked up */
	bool decided;          /* policy known, addresses collected */
	/* Walks in progress that must see no delivery yet.  A count, not a
	 * flag: job_decide()'s walk reaches host_job_want() of the same
	 * job, and an address with no route completes at once, so an inner
	 * walk ending must not let host_job_maybe_done() free the list the
	 * outer one is walking. */
	unsigned notifying;
	size_t n_first; /* first-pass addresses (res.addrs[0..n)) */
	size_t want;    /* first-pass prefix queued for a domain */
	addr_probe *addrs;
	host_sub *subs;
	host_job *next_all;
	/* The last view handed out, a weak reference (reset to NULL when
	 * the last domain holding it lets go): domains with the same
	 * allotment in the same second share it (host_job_deliver). */
	probe_host_shared *view;
	size_t view_allot;
	time_t view_time;
};

typedef struct domain_host {
	host_job *job;
	bool done;
	bool allotted; /* allot is fixed */
	size_t allot;  /* first-pass addresses this domain probes */
} domain_host;

struct domain_probe {
	probe_engine *eng;
	probe_domain *res;
	probe_done_cb done;
	void *arg;
	ev_timer deadline;
	double timeout; /* seconds until the deadline */
	double t0;
	unsigned dns_pending;
	bool finished;       /* result handed over */
	unsigned allocating; /* giving out the budget: do not finish */
	domain_host *hosts;
	size_t n_hosts; /* res may be gone when dp is freed */
	domain_probe *prev, *next;
};

struct probe_engine {
	struct ev_loop *loop;
	probe_config cfg;
	char *helo_name;
	dns_resolver *dns;
	SSL_CTX *ssl_ctx;
	conn_limiter *limiter;
	strmap *jobs_by_name;
	host_job *jobs; /* every job, for freeing */
	size_t running;
	domain_probe *probes; /* probes not yet freed */
	probe_engine_stats stats;
};

enum lookup_kind { LOOKUP_MX, LOOKUP_A, LOOKUP_AAAA, LOOKUP_TLSA };

typedef struct lookup_ctx {
	domain_probe *dp; /* LOOKUP_MX */
	host_job *job;    /* the others */
	enum lookup_kind kind;
} lookup_ctx;

/* probe_engine.c */
/* Starts a lookup for *tmpl (copied); false when it could not start. */
bool probe_start_lookup(
    probe_engine *e, lookup_ctx *tmpl, const char *name, uint16_t qtype);
/* Gives out the domain's address budget as far as its hosts are known. */
void domain_probe_allocate(domain_probe *dp);
/* Finishes the domain once every host has delivered. */
void domain_probe_maybe_done(domain_probe *dp);

/* probe_host_job.c */
/* A's, AAAA's or TLSA's answer (owned by the job from now on). */
void host_job_on_dns(host_job *job, enum lookup_kind kind, dns_answer *answer);
/* Some domain needs the first k addresses: queues those not yet queued. */
void host_job_want(host_job *job, size_t k);
/* Hands the result to every subscriber whose allotment is complete. */
void host_job_maybe_done(host_job *job);
/* Cancels the queued sessions no live subscriber needs any more. */
void host_job_trim(host_job *job);
/* Hands the job's result to host `index` of dp, as dp's allotment sees
 * it, and marks that host done.  The host shares it (probe_host.shared)
 * with every domain that got the same view: call it only once dp's
 * allotment is complete. */
void host_job_deliver(domain_probe *dp, size_t index, host_job *job);
/* The same as a copy that host `index` of dp owns and may change: for a
 * result taken before it is complete (the domain's deadline). */
void host_job_deliver_copy(domain_probe *dp, size_t index, const host_job *job);
/* Subscribes host `index` of dp to its host's job (made and started when
 * new); out of memory marks the host done and failed. */
void host_job_subscribe(domain_probe *dp, size_t index);
/* No subscriber, no lookup, no session running or queued: a finished job
 * (with cfg.fresh_hosts it is not shared any more). */
bool host_job_idle(const host_job *job);
/* Removes that subscription, if any. */
void host_job_unsubscribe(domain_probe *dp, size_t index);
/* Aborts the job's sessions, leaves the limiter's queue and frees job. */
void host_job_free(probe_engine *e, host_job *job);

/* probe_address.c */
/* Probes address i of the job (a session through the limiter), or judges
 * it at once when it has no route or a survey needs no session. */
void addr_probe_queue(host_job *job, size_t i);
/* Drops the dropped addresses from h (a second pass that saw no second
 * key, or one beyond the allotment) and the labels of lone survivors. */
void addr_probe_compact(probe_host *h);

#endif
