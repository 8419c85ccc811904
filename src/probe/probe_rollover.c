/*
 * probe_rollover.c -- the rollover result tree from the engine's result
 * (probe_rollover.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "probe/probe_rollover.h"
#include "smtp/smtp_session.h"

/* The engine's result for the one host probed; NULL when there is none. */
static probe_host *
the_host(probe_domain *d)
{
	return d != NULL && d->n_hosts > 0 ? &d->hosts[0] : NULL;
}

/* Takes d; the RFC 7672 gate of its host. */
static void
gate(probe_domain *d, int port, probe_roll_host *out)
{
	probe_host *h = the_host(d);
	const dns_answer *t[2];

	memset(out, 0, sizeof(*out));
	out->probe = d;
	snprintf(out->name, sizeof(out->name), "%s", h ? h->name : d->domain);
	snprintf(out->tlsa_name, sizeof(out->tlsa_name), "_%d._tcp.%s", port,
	    out->name);
	if (h == NULL) {
		out->result = DANE_ROLL_RESULT_RETRY;
		out->gated = true;
		snprintf(out->reason, sizeof(out->reason), "%s", d->summary);
		return;
	}
	t[0] = h->tlsa[0];
	t[1] = h->tlsa[1];
	out->result = dane_roll_gate_host(h->a, h->aaaa, &h->plan, &h->policy,
	    t, &out->tlsa, out->reason, sizeof(out->reason));
	out->gated = out->result != DANE_ROLL_RESULT_PASS;
	if (out->tlsa != NULL && out->tlsa->qname != NULL)
		snprintf(out->tlsa_name, sizeof(out->tlsa_name), "%s",
		    out->tlsa->qname);
}

int
probe_rollover_check(probe_domain *d, int port, const dane_roll_new *id,
    time_t now, probe_roll_host *out)
{
	gate(d, port, out);
	if (out->result != DANE_ROLL_RESULT_PASS)
		return 0;
	out->result = dane_roll_check(out->tlsa, out->name, id, now, &out->rep,
	    out->reason, sizeof(out->reason));
	out->analysed = true;
	return 0;
}

/* The key algorithm of a chain: the engine's label for a dual-key server,
 * else the leaf's key type; "" when neither tells. */
static const char *
chain_family(const probe_address *pa)
{
	if (pa->key_family[0] != '\0')
		return pa->key_family;
	if (!pa->tls.leaf.present)
		return "";
	if (strncmp(pa->tls.leaf.key_type, "RSA", 3) == 0)
		return "RSA";
	if (strncmp(pa->tls.leaf.key_type, "EC", 2) == 0)
		return "ECDSA";
	return "";
}

/* Why an address gave no chain: what the session said. */
static void
failure_reason(
    const probe_roll_host *rh, const probe_address *pa, probe_roll_addr *ra)
{
	const char *why = pa->reason;

	if (pa->smtp_attempted)
		why = pa->smtp_reason[0] ? pa->smtp_reason :
		                           smtp_outcome_name(pa->smtp_outcome);
	/* "RSA": the wording of the earlier per-family fetch, kept so the
	 * output stays the same; the engine's first handshake offers
	 * every algorithm. */
	snprintf(ra->reason, sizeof(ra->reason), "%s [%s]:%d, RSA: %s",
	    rh->name, ra->addr, pa->port, why);
}

/* One address: its entries in h->addrs (one per key algorithm seen). */
static void
status_addr(const probe_roll_host *rh, const probe_host *h, const char *addr,
    time_t now, probe_roll_addr *ra)
{
	dane_chain_digests ch[DANE_ROLL_MAX_CHAINS];
	const dane_chain_digests *cp[DANE_ROLL_MAX_CHAINS];
	const probe_address *first = NULL;
	size_t k = 0;

	snprintf(ra->addr, sizeof(ra->addr), "%s", addr);
	/* ECDSA before RSA, whichever the server chose first. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < h->n_addrs && k < 2; i++) {
			const probe_address *pa = &h->addrs[i];
			bool rsa;

			if (strcmp(pa->addr.text, addr) != 0)
				continue;
			if (first == NULL)
				first = pa;
			if (pa->skipped && pass == 0) {
				ra->not_probed = true;
				snprintf(ra->reason, sizeof(ra->reason),
				    "not probed: no %s route on this host",
				    pa->addr.family == AF_INET6 ? "IPv6" :
				                                  "IPv4");
			}
			if (!pa->tls_established || pa->tls.chain.n == 0)
				continue;
			rsa = strcmp(chain_family(pa), "RSA") == 0;
			if (rsa != (pass == 1))
				continue;
			ch[k] = pa->tls.chain;
			snprintf(ch[k].key_family, sizeof(ch[k].key_family),
			    "%s", chain_family(pa));
			cp[k] = &ch[k];
			k++;
		}
	if (ra->not_probed)
		return;
	if (k == 0) {
		ra->failed = true;
		ra->result = DANE_ROLL_RESULT_RETRY;
		failure_reason(rh, first, ra);
		return;
	}
	ra->n_chains = k;
	dane_rollover_analyze(rh->tlsa->tlsa, rh->tlsa->count, rh->tlsa->ttl,
	    cp, k, now, &ra->rep);
	ra->result = dane_roll_status_result(&ra->rep);
}

static bool
listed(const probe_roll_host *rh, const char *addr)
{
	for (size_t i = 0; i < rh->n_addrs; i++)
		if (strcmp(rh->addrs[i].addr, addr) == 0)
			return true;
	return false;
}

/* The host's result over its addresses: a failure sticks; nothing
 * reachable from here is our limit, not the host's state. */
static dane_roll_result
status_result(const probe_roll_host *rh)
{
	dane_roll_result worst = DANE_ROLL_RESULT_PASS, w;
	size_t probed = 0;

	for (size_t i = 0; i < rh->n_addrs; i++) {
		if (rh->addrs[i].not_probed)
			continue;
		probed++;
		w = rh->addrs[i].result;
		if (w == DANE_ROLL_RESULT_FAIL ||
		    worst == DANE_ROLL_RESULT_PASS)
			worst = worst == DANE_ROLL_RESULT_FAIL ?
			    DANE_ROLL_RESULT_FAIL :
			    w;
	}
	return probed == 0 ? DANE_ROLL_RESULT_LOCAL : worst;
}

int
probe_rollover_status(
    probe_domain *d, int port, time_t now, probe_roll_host *out)
{
	const probe_host *h;

	gate(d, port, out);
	if (out->result != DANE_ROLL_RESULT_PASS)
		return 0;
	h = the_host(d);
	if (h->n_addrs > 0 &&
	    (out->addrs = calloc(h->n_addrs, sizeof(*out->addrs))) == NULL) {
		probe_roll_host_clear(out);
		return -1;
	}
	for (size_t i = 0; i < h->n_addrs; i++)
		if (!listed(out, h->addrs[i].addr.text))
			status_addr(out, h, h->addrs[i].addr.text, now,
			    &out->addrs[out->n_addrs++]);
	if (out->n_addrs == 0) {
		out->no_address = true;
		out->gated = true;
		out->result = DANE_ROLL_RESULT_RETRY;
		snprintf(out->reason, sizeof(out->reason),
		    "no address to "
		    "connect to");
		return 0;
	}
	out->result = status_result(out);
	return 0;
}

void
probe_roll_host_clear(probe_roll_host *h)
{
	if (h == NULL)
		return;
	free(h->addrs);
	probe_domain_free(h->probe);
	memset(h, 0, sizeof(*h));
}
