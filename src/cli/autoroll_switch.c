/*
 * autoroll_switch.c -- the switch step: the ACME client certifies the
 * staged key (from a certificate request daneprobe makes, so the client
 * never chooses the key), the certificate goes in only when the TLSA
 * RRset as resolved vouches for it (the `rollover check --cert` gate),
 * the server reloads, and every address of the host must then be
 * DANE-verified with the new key, probed by the same engine as
 * `daneprobe check`.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "cli/autoroll.h"
#include "cli/cli_common.h"
#include "policy/dane_roll_gate.h"
#include "probe/probe_batch.h"
#include "probe/probe_rollover.h"
#include "tls/key_gen.h"
#include "tls/tlsa_gen.h"
#include "util/hex.h"
#include "util/output_file.h"

/* ============================================== probing the host */

typedef struct one_host {
	const char *name;
	bool given;
	probe_domain *d; /* owned */
	char why[300];
} one_host;

static const char *
next_host(void *arg)
{
	one_host *h = arg;

	if (h->given)
		return NULL;
	h->given = true;
	return h->name;
}

static void
on_result(probe_domain *d, void *arg)
{
	one_host *h = arg;

	probe_domain_free(h->d);
	h->d = d;
}

static void
on_not_started(const char *host, const char *reason, void *arg)
{
	one_host *h = arg;

	snprintf(h->why, sizeof(h->why), "%s", reason);
}

/* The engine's result for the host: DNS only, or with SMTP sessions to
 * every address.  NULL with c->line when it could not run. */
static probe_domain *
probe_mx_host(autoroll_ctx *c, bool sessions)
{
	cli_options co;
	probe_batch_params p;
	probe_batch_summary sum;
	one_host h = { .name = c->st.host };
	char err[300];

	cli_options_init(&co);
	co.net = c->o->net;
	co.probe.sessions =
	    sessions ? PROBE_SESSIONS_IF_TLSA : PROBE_SESSIONS_NONE;
	co.probe.connect = c->o->connect;
	cli_options_finish(&co);
	memset(&p, 0, sizeof(p));
	p.hosts = true;
	p.next = next_host;
	p.result = on_result;
	p.not_started = on_not_started;
	p.arg = &h;
	if (probe_batch_run(
	        &co.probe, &co.net.dns, &p, &sum, err, sizeof(err)) != 0)
		snprintf(c->line, sizeof(c->line), "%s", err);
	else if (h.d == NULL)
		snprintf(c->line, sizeof(c->line), "%s: %s", c->st.host,
		    h.why[0] ? h.why : "not probed");
	return h.d;
}

/* ============================================== the certificate */

static void
paths(const autoroll_ctx *c, char *csr, char *crt, size_t len)
{
	snprintf(csr, len, "%s.csr", c->st.next_key);
	snprintf(crt, len, "%s.crt", c->st.next_key);
}

/* The chain in `file` if its leaf holds the staged key; NULL otherwise. */
static STACK_OF(X509) *
    certified_chain(
        const autoroll_ctx *c, const char *file, char *why, size_t whylen)
{
	STACK_OF(X509) *certs = tlsa_gen_load_certs(file, why, whylen);
	EVP_PKEY *pub;
	char spki[65];

	if (certs == NULL)
		return NULL;
	pub = X509_get0_pubkey(sk_X509_value(certs, 0));
	if (pub == NULL || key_gen_spki_sha256(pub, spki) != 0 ||
	    strcmp(spki, c->st.next_spki) != 0) {
		snprintf(why, whylen,
		    "%s: the certificate is not for the staged "
		    "key",
		    file);
		sk_X509_pop_free(certs, X509_free);
		return NULL;
	}
	return certs;
}

static int
run_acme(autoroll_ctx *c, const char *csr, const char *crt)
{
	char e_csr[1200], e_out[1200], e_host[300], e_key[1200], why[200];
	char *env[] = { e_csr, e_out, e_host, e_key, NULL };

	snprintf(e_csr, sizeof(e_csr), "DANEPROBE_CSR=%s", csr);
	snprintf(e_out, sizeof(e_out), "DANEPROBE_CERT_OUT=%s", crt);
	snprintf(e_host, sizeof(e_host), "DANEPROBE_HOST=%s", c->st.host);
	snprintf(e_key, sizeof(e_key), "DANEPROBE_NEXT_KEY=%s", c->st.next_key);
	if (autoroll_command(c->o->acme_command, env, why, sizeof(why)) != 0) {
		snprintf(c->line, sizeof(c->line),
		    "the ACME command failed: %s", why);
		return -1;
	}
	return 0;
}

/* The certificate for the staged key: the one obtained before an
 * interruption, else a new one from the ACME command. */
static STACK_OF(X509) * obtain(autoroll_ctx *c)
{
	char csr[1100], crt[1100], why[400];
	STACK_OF(X509) * certs;
	EVP_PKEY *key;
	int rc;

	paths(c, csr, crt, sizeof(csr));
	if (access(crt, F_OK) == 0 &&
	    (certs = certified_chain(c, crt, why, sizeof(why))) != NULL)
		return certs;
	if (c->o->acme_command == NULL) {
		snprintf(c->line, sizeof(c->line), "give --acme-command");
		return NULL;
	}
	if ((key = key_gen_load(c->st.next_key, why, sizeof(why))) == NULL) {
		snprintf(c->line, sizeof(c->line), "%s", why);
		return NULL;
	}
	rc = key_gen_csr(csr, key, c->st.host, why, sizeof(why));
	EVP_PKEY_free(key);
	/* An ACME client may refuse to overwrite, or pick another name. */
	if (rc != 0 || (unlink(crt) != 0 && errno != ENOENT)) {
		snprintf(c->line, sizeof(c->line), "%s", rc ? why : crt);
		return NULL;
	}
	if (run_acme(c, csr, crt) != 0)
		return NULL;
	if ((certs = certified_chain(c, crt, why, sizeof(why))) == NULL)
		snprintf(c->line, sizeof(c->line), "%s", why);
	return certs;
}

/* The deploy-hook gate: the RRset as resolved holds a record for it. */
static int
gate(autoroll_ctx *c, STACK_OF(X509) * certs)
{
	dane_chain_digests chain;
	dane_roll_new nid = { .chain = &chain,
		.leaf = sk_X509_value(certs, 0),
		.has_certs = true,
		.label = "certificate" };
	probe_roll_host h;
	probe_domain *d;
	int rc = -1;

	if (dane_chain_digests_from(certs, &chain) != 0) {
		snprintf(
		    c->line, sizeof(c->line), "cannot hash the certificate");
		return -1;
	}
	if ((d = probe_mx_host(c, false)) == NULL)
		return -1;
	if (probe_rollover_check(d, c->st.port, &nid, time(NULL), &h) != 0)
		snprintf(c->line, sizeof(c->line), "out of memory");
	else if (h.result != DANE_ROLL_RESULT_PASS)
		snprintf(c->line, sizeof(c->line),
		    "rollover check refuses the new certificate: %s", h.reason);
	else
		rc = 0;
	probe_roll_host_clear(&h);
	return rc;
}

/* ============================================== install and verify */

static int
copy_file(
    const char *from, const char *to, mode_t mode, char *why, size_t whylen)
{
	char buf[65536];
	FILE *f = fopen(from, "r");
	size_t n;
	int rc;

	if (f == NULL) {
		snprintf(why, whylen, "%s: %s", from, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	rc = ferror(f) || !feof(f) ? -1 : 0;
	fclose(f);
	if (rc != 0)
		snprintf(why, whylen, "%s: cannot read it whole", from);
	else
		rc = output_file_write_mode(to, buf, n, mode, why, whylen);
	memset(buf, 0, sizeof(buf));
	return rc;
}

/* Key first: a server that rereads its files between the two writes
 * fails to load a mismatched pair and keeps the old one loaded. */
static int
install(autoroll_ctx *c)
{
	char csr[1100], crt[1100], why[600];

	paths(c, csr, crt, sizeof(csr));
	if (copy_file(c->st.next_key, c->st.key, 0600, why, sizeof(why)) != 0 ||
	    copy_file(crt, c->st.cert, 0644, why, sizeof(why)) != 0) {
		snprintf(c->line, sizeof(c->line), "install: %s", why);
		return -1;
	}
	if (c->o->reload_command != NULL &&
	    autoroll_command(c->o->reload_command, NULL, why, sizeof(why)) !=
	        0) {
		snprintf(c->line, sizeof(c->line),
		    "the reload command failed: %s", why);
		return -1;
	}
	return 0;
}

/* Every probed address authenticated with a leaf of the staged key: 0;
 * -1 with c->line; 1 when some address still presents another key (a
 * reload takes effect as the server's processes restart). */
static int
judge_addresses(autoroll_ctx *c, const probe_host *h)
{
	size_t probed = 0;
	char spki[65];

	for (size_t i = 0; i < h->n_addrs; i++) {
		const probe_address *a = &h->addrs[i];

		if (a->skipped || a->dropped)
			continue;
		probed++;
		hex_encode(
		    a->tls.chain.cert[0].spki_sha256, 32, spki, sizeof(spki));
		if (!a->tls_established || !a->tls.authenticated) {
			snprintf(c->line, sizeof(c->line),
			    "%s is not DANE-verified: %s", a->addr.text,
			    a->reason);
			return -1;
		}
		if (a->tls.chain.n == 0 || strcmp(spki, c->st.next_spki) != 0) {
			snprintf(c->line, sizeof(c->line),
			    "%s still presents another key (%s)", a->addr.text,
			    spki);
			return 1;
		}
	}
	if (probed == 0)
		snprintf(c->line, sizeof(c->line),
		    "no address of %s was probed", h->name);
	return probed ? 0 : -1;
}

static int
verify_once(autoroll_ctx *c)
{
	probe_domain *d = probe_mx_host(c, true);
	int rc = -1;

	if (d == NULL)
		return -1;
	if (d->n_hosts != 1)
		snprintf(
		    c->line, sizeof(c->line), "%s: %s", c->st.host, d->summary);
	else
		rc = judge_addresses(c, &d->hosts[0]);
	probe_domain_free(d);
	return rc;
}

/* After the reload: the server takes the new files as its processes
 * restart (Postfix: each smtpd as it finishes), so an address that still
 * presents the old key is asked again, once a second, for a while. */
enum { RELOAD_SECONDS = 30 };

static int
verify_served(autoroll_ctx *c)
{
	time_t end = time(NULL) + RELOAD_SECONDS;
	int rc;

	while ((rc = verify_once(c)) > 0 && time(NULL) < end)
		sleep(1);
	return rc == 0 ? 0 : -1;
}

/* ============================================== the step */

static autoroll_outcome
failed(autoroll_ctx *c)
{
	char copy[600];

	snprintf(copy, sizeof(copy), "%s", c->line);
	autoroll_fail(c, "switch: %s", copy);
	return AUTOROLL_FAILED;
}

/* Before anything changes: every authoritative server still serves the
 * next record (the wait step saw it; a server may have lost it since). */
static int
dns_still_ready(autoroll_ctx *c)
{
	uint32_t ttl;
	int agree;

	if (c->skip_wait)
		return 0;
	agree = autoroll_servers_agree(c, true, true, &ttl);
	if (agree > 0) {
		char copy[600];

		snprintf(copy, sizeof(copy), "%s", c->line);
		snprintf(c->line, sizeof(c->line), "refused: %s", copy);
	}
	return agree;
}

autoroll_outcome
autoroll_switch(autoroll_ctx *c)
{
	STACK_OF(X509) * certs;
	int rc;

	if (dns_still_ready(c) != 0)
		return failed(c);
	roll_state_begin(&c->st, ROLL_STEP_SWITCH);
	if (autoroll_save(c) >= 0)
		return AUTOROLL_FAILED;
	if ((certs = obtain(c)) == NULL)
		return failed(c);
	/* The override skips the gate too: that is what it shows. */
	rc = c->skip_wait ? 0 : gate(c, certs);
	sk_X509_pop_free(certs, X509_free);
	if (rc != 0 || install(c) != 0 || verify_served(c) != 0)
		return failed(c);
	c->st.switched_at = time(NULL);
	roll_state_finish(&c->st, ROLL_STEP_SWITCH);
	if (autoroll_save(c) >= 0)
		return AUTOROLL_FAILED;
	printf(
	    "switch: every address of %s is DANE-verified with the new key\n",
	    c->st.host);
	return AUTOROLL_DONE;
}
