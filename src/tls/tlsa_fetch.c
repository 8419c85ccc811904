/*
 * tlsa_fetch.c -- a live server's chains, one SMTP STARTTLS handshake per
 * key algorithm (see tlsa_gen.h).
 */
#include "config.h"

#include "tls/tlsa_gen.h"

#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "tls/dane_tls.h"
#include "util/ev_compat.h"
#include "util/log.h"
#include "smtp/smtp_route.h"
#include "smtp/smtp_session.h"

/* ---- a live server's chain ---- */

typedef struct fetch_one {
	STACK_OF(X509) * certs;
	char reason[256];
} fetch_one;

/* Keeps references to the chain: the SSL is freed after this returns. */
static void
fetch_done(const smtp_session_result *r, void *arg)
{
	fetch_one *f = arg;
	STACK_OF(X509) *chain = r->ssl ? SSL_get_peer_cert_chain(r->ssl) : NULL;

	snprintf(f->reason, sizeof(f->reason), "%s", r->reason);
	if (!r->tls_established || chain == NULL || sk_X509_num(chain) == 0) {
		if (f->reason[0] == '\0')
			snprintf(f->reason, sizeof(f->reason), "%s",
			    smtp_outcome_name(r->outcome));
		return;
	}
	f->certs = X509_chain_up_ref(chain);
}

static int
fetch_at(struct ev_loop *loop, SSL_CTX *ctx, const tlsa_gen_fetch_params *p,
    const char *family, const struct addrinfo *ai, fetch_one *f)
{
	dane_tls_params tp = { .sni = p->host, .key_family = family };
	smtp_session_params sp = { 0 };
	SSL *ssl = dane_tls_ssl_new(ctx, &tp, f->reason, sizeof(f->reason));

	if (ssl == NULL)
		return -1;
	sp.addr = ai->ai_addr;
	sp.addrlen = ai->ai_addrlen;
	sp.helo_name = p->helo;
	sp.phase_timeout = p->timeout;
	sp.deadline = ev_now(loop) + p->timeout;
	sp.ssl = ssl;
	sp.log_id = family;
	sp.done = fetch_done;
	sp.arg = f;
	if (smtp_session_start(loop, &sp, NULL, f->reason, sizeof(f->reason)) !=
	    0)
		return -1;
	ev_run(loop, 0);
	return f->certs != NULL ? 0 : -1;
}

static int
resolve(const tlsa_gen_fetch_params *p, struct addrinfo **res, char *err,
    size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%d", p->port);
	/* Not AI_ADDRCONFIG: it ignores loopback and cannot be forced;
	 * fetch_family() checks the route of each address instead. */
	hints.ai_flags = p->connect ? AI_NUMERICHOST : 0;
	hints.ai_family = p->ip_family;
	rc = getaddrinfo(p->connect ? p->connect : p->host, port, &hints, res);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s",
		    p->connect ? p->connect : p->host, gai_strerror(rc));
		return -1;
	}
	return 0;
}

static void
addr_text(const struct addrinfo *ai, char *buf, size_t len)
{
	char host[64] = "?";

	(void)getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL,
	    0, NI_NUMERICHOST);
	snprintf(buf, len, "%s", host);
}

static bool
same_leaf(STACK_OF(X509) * a, STACK_OF(X509) * b)
{
	return X509_cmp(sk_X509_value(a, 0), sk_X509_value(b, 0)) == 0;
}

/* An address of a family this host has no route for, none forced: not
 * tried, as daneprobe check leaves it out (smtp_no_route()). */
static bool
skip_no_route(const tlsa_gen_fetch_params *p, const struct addrinfo *ai)
{
	dns_addr a;

	if (p->connect != NULL || p->ip_family != AF_UNSPEC)
		return false;
	memset(&a, 0, sizeof(a));
	a.family = ai->ai_family;
	if (ai->ai_family == AF_INET6)
		a.u.v6 = ((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
	else if (ai->ai_family == AF_INET)
		a.u.v4 = ((const struct sockaddr_in *)ai->ai_addr)->sin_addr;
	else
		return false;
	return smtp_no_route(&a, p->port);
}

/* One family: the first address that completes a handshake. */
static int
fetch_family(struct ev_loop *loop, SSL_CTX *ctx, const tlsa_gen_fetch_params *p,
    const char *family, const struct addrinfo *ais, tlsa_gen_chain *out,
    char *why, size_t wlen)
{
	for (const struct addrinfo *ai = ais; ai != NULL; ai = ai->ai_next) {
		fetch_one f = { NULL, "" };

		addr_text(ai, out->address, sizeof(out->address));
		if (skip_no_route(p, ai)) {
			snprintf(why, wlen,
			    "%s [%s]:%d: not probed: no %s "
			    "route on this host",
			    p->host, out->address, p->port,
			    ai->ai_family == AF_INET6 ? "IPv6" : "IPv4");
			log_info("%s", why);
			continue;
		}
		if (fetch_at(loop, ctx, p, family, ai, &f) == 0) {
			out->certs = f.certs;
			snprintf(out->key_family, sizeof(out->key_family), "%s",
			    family);
			return 0;
		}
		snprintf(why, wlen, "%s [%s]:%d, %s: %s", p->host, out->address,
		    p->port, family, f.reason);
		log_info("%s", why);
	}
	return -1;
}

int
tlsa_gen_fetch(const tlsa_gen_fetch_params *p, tlsa_gen_chain **chains,
    char *err, size_t errlen)
{
	static const char *const families[] = { "ECDSA", "RSA" };
	struct addrinfo *ais = NULL;
	struct ev_loop *loop = NULL;
	SSL_CTX *ctx = NULL;
	tlsa_gen_chain *out = calloc(2, sizeof(*out));
	int n = 0;

	*chains = NULL;
	snprintf(err, errlen, "no TLS handshake with %s", p->host);
	if (out == NULL || resolve(p, &ais, err, errlen) != 0 ||
	    (loop = ev_loop_new(EVFLAG_AUTO)) == NULL ||
	    (ctx = dane_tls_ctx_new(err, errlen)) == NULL)
		goto out;
	for (int i = 0; i < 2; i++) {
		if (p->key_family != NULL &&
		    strcasecmp(p->key_family, families[i]) != 0)
			continue;
		if (fetch_family(loop, ctx, p, families[i], ais, &out[n], err,
		        errlen) != 0)
			continue;
		/* A server with one certificate presents it to both. */
		if (n > 0 && same_leaf(out[0].certs, out[n].certs)) {
			sk_X509_pop_free(out[n].certs, X509_free);
			memset(&out[n], 0, sizeof(out[n]));
			out[0].key_family[0] = '\0';
			continue;
		}
		n++;
	}
out:
	SSL_CTX_free(ctx);
	if (loop != NULL)
		ev_loop_destroy(loop);
	if (ais != NULL)
		freeaddrinfo(ais);
	if (n == 0) {
		free(out);
		return -1;
	}
	*chains = out;
	return n;
}

void
tlsa_gen_chains_free(tlsa_gen_chain *chains, int n)
{
	for (int i = 0; chains != NULL && i < n; i++)
		sk_X509_pop_free(chains[i].certs, X509_free);
	free(chains);
}
