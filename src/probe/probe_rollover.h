/*
 * probe_rollover.h -- the result tree of `daneprobe rollover check|status`
 * for one MX host, built from the probe engine's result for that host
 * (probe_engine_start_host()): the RFC 7672 gate (dane_roll_gate_host()),
 * then per address the chains the engine's sessions saw, analysed
 * against the host's TLSA RRset (status), or the RRset analysed against
 * a new certificate or key (check).  Formatters (report_rollover) are
 * pure functions of it.
 *
 * Ownership: a probe_roll_host owns the probe_domain it was built from
 * (the TLSA answer `rrset` points into it) and its address array;
 * probe_roll_host_clear() frees both.
 */
#ifndef DANEPROBE_PROBE_ROLLOVER_H
#define DANEPROBE_PROBE_ROLLOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "policy/dane_roll_gate.h"
#include "policy/dane_rollover.h"
#include "probe/probe_result.h"

typedef struct probe_roll_addr {
	char addr[64];
	/* Not probed: this host has no route for the address's family and
	 * none was forced (as daneprobe check does); counts for nothing. */
	bool not_probed;
	bool failed; /* no handshake: reason says why */
	char reason[400];
	size_t n_chains;          /* chains analysed (rep.chain[]) */
	dane_rollover_report rep; /* valid when !not_probed && !failed */
	dane_roll_result result;
} probe_roll_addr;

typedef struct probe_roll_host {
	char name[256];
	char tlsa_name[300]; /* the RRset judged, or _PORT._tcp.NAME */
	dane_roll_result result;
	char reason[400]; /* the gate's or check's reason */
	/* The TLSA answer judged (NULL when no TLSA lookup was made); the
	 * secure RRset analysed when result passed the gate. */
	const dns_answer *tlsa;
	bool gated;    /* the gate stopped it: reason says why */
	bool analysed; /* check: rep valid */
	dane_rollover_report rep;
	probe_roll_addr *addrs; /* status */
	size_t n_addrs;
	bool no_address;     /* status: the host had nothing to probe */
	probe_domain *probe; /* owned */
} probe_roll_host;

/* rollover check: takes `d` (the engine's result for the host); fills
 * *out.  The new certificate or key is `id`.  Returns 0, -1 when out of
 * memory (out is then cleared and d freed). */
int probe_rollover_check(probe_domain *d, int port, const dane_roll_new *id,
    time_t now, probe_roll_host *out);

/* rollover status: takes `d`; fills *out (every address of the host). */
int probe_rollover_status(
    probe_domain *d, int port, time_t now, probe_roll_host *out);

void probe_roll_host_clear(probe_roll_host *h);

#endif
