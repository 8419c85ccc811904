#include "config.h"

#include "tls/dane_tls.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "util/log.h"
#include "util/va_format.h"

/*
 * Signature algorithms per key family.  The server picks its certificate
 * from what the client offers (TLS 1.3: signature_algorithms; TLS 1.2: the
 * same extension, and OpenSSL also drops cipher suites whose authentication
 * no offered algorithm can serve), so a dual-certificate server can be
 * judged on each key.
 *
 * Each code point is listed once: OpenSSL rejects a list that names one
 * twice, and the TLS 1.2 spelling "ECDSA+SHA256" is the same code point
 * (0x0403) as TLS 1.3's ecdsa_secp256r1_sha256, "RSA-PSS+SHA256" the same
 * as rsa_pss_rsae_sha256.  The IANA names below therefore cover both
 * versions; the SHA-224/SHA-1 and PKCS#1 entries only matter to TLS 1.2
 * servers (TLS 1.3 ignores them), and we want old servers reported, not
 * refused.
 */
static const char ecdsa_sigalgs[] =
    "ecdsa_secp256r1_sha256:ecdsa_secp384r1_sha384:ecdsa_secp521r1_sha512:"
    "ECDSA+SHA224:ECDSA+SHA1";
static const char rsa_sigalgs[] =
    "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:"
    "rsa_pss_pss_sha256:rsa_pss_pss_sha384:rsa_pss_pss_sha512:"
    "rsa_pkcs1_sha256:rsa_pkcs1_sha384:rsa_pkcs1_sha512:"
    "RSA+SHA224:rsa_pkcs1_sha1";

/* "what: reason" from the oldest queued OpenSSL error (the root cause),
 * then empties the queue so the next call starts clean. */
static void
ossl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_peek_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;

	if (reason != NULL)
		snprintf(err, errlen, "%s: %s", what, reason);
	else if (e != 0)
		snprintf(err, errlen, "%s: OpenSSL error %lx", what, e);
	else
		snprintf(err, errlen, "%s failed", what);
	ERR_clear_error();
}

void
dane_tls_ctx_free(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}

SSL_CTX *
dane_tls_ctx_new(char *err, size_t errlen)
{
	SSL_CTX *ctx;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		ossl_err(err, errlen, "SSL_CTX_new");
		return NULL;
	}
	/*
	 * TLS 1.0 up to 1.3.  Security level 0, because in OpenSSL 3.0 level
	 * 1 already forbids SHA-1 in handshake signatures, which TLS 1.0 and
	 * 1.1 cannot avoid (their ServerKeyExchange is signed with MD5+SHA-1),
	 * and keys under 1024 bits.  Opportunistic SMTP (RFC 7435, RFC 7672
	 * section 1.3) prefers weak TLS to cleartext, so a verifier must be
	 * able to see such a server and report it rather than fail the
	 * handshake.  The cost: chain checks no longer reject small keys or
	 * SHA-1 signatures; the report shows key type and size instead.
	 * "DEFAULT" (no @SECLEVEL) keeps a system-wide CipherString from
	 * raising the level again; it never offers anonymous suites.
	 */
	if (SSL_CTX_dane_enable(ctx) <= 0 ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, 0) ||
	    !SSL_CTX_set_cipher_list(ctx, "DEFAULT")) {
		ossl_err(err, errlen, "TLS client context setup");
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_security_level(ctx, 0);
	/* Same spirit: OpenSSL 3.0 refuses servers without RFC 5746
	 * renegotiation_info; a probe that never renegotiates loses nothing
	 * by talking to them. */
	SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT);
	/* Never abort the handshake on a verification failure: the session
	 * finishes it and dane_tls_inspect() reports why.  No CA store is
	 * loaded: for SMTP only DANE authenticates (RFC 7672 section 3.1.3). */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* Each probe must see a full handshake with the certificate chain. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

static int
restrict_key_family(SSL *ssl, const char *family, char *err, size_t errlen)
{
	const char *list = NULL;

	if (strcmp(family, "ECDSA") == 0)
		list = ecdsa_sigalgs;
	else if (strcmp(family, "RSA") == 0)
		list = rsa_sigalgs;
	if (list == NULL) {
		snprintf(err, errlen, "unknown key family \"%.32s\"", family);
		return -1;
	}
	if (!SSL_set1_sigalgs_list(ssl, list)) {
		ossl_err(err, errlen, "SSL_set1_sigalgs_list");
		return -1;
	}
	return 0;
}

/*
 * RFC 7672 section 3.2.2: the names a DANE-TA chain's leaf must carry.
 * They replace the TLSA base domain that SSL_dane_enable() installed, so
 * the caller lists every name it accepts.  An empty name would switch
 * OpenSSL's name checks off altogether, hence refused.
 */
static int
add_ref_names(SSL *ssl, const dane_tls_params *p, char *err, size_t errlen)
{
	size_t i;
	int ok;

	for (i = 0; i < p->n_ref_names; i++) {
		const char *name = p->ref_names[i];

		if (name == NULL || *name == '\0') {
			snprintf(err, errlen, "empty reference identifier");
			return -1;
		}
		ok = i == 0 ? SSL_set1_host(ssl, name) :
		              SSL_add1_host(ssl, name);
		if (!ok) {
			ossl_err(err, errlen, "reference identifier");
			return -1;
		}
	}
	/* RFC 7672 section 3.2.3: a wildcard is a whole leftmost label. */
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return 0;
}

/* Adds one record.  Returns 1 when OpenSSL accepted it, 0 when it is
 * unusable (skipped), -1 on an internal error. */
static int
add_tlsa(SSL *ssl, size_t idx, const tlsa_record *r, char *err, size_t errlen)
{
	tlsa_usability u = tlsa_record_usability(r);
	int ret;

	if (u != TLSA_USABLE) {
		/* PKIX-TA/PKIX-EE never reach OpenSSL: RFC 7672 3.1.3. */
		log_debug("tlsa=%zu usage=%u selector=%u mtype=%u skipped=%s",
		    idx, r->usage, r->selector, r->mtype,
		    tlsa_usability_name(u));
		return 0;
	}
	ret = SSL_dane_tlsa_add(
	    ssl, r->usage, r->selector, r->mtype, r->data, r->len);
	if (ret < 0) {
		ossl_err(err, errlen, "SSL_dane_tlsa_add");
		return -1;
	}
	if (ret == 0) {
		unsigned long e = ERR_peek_error();

		log_debug("tlsa=%zu usage=%u selector=%u mtype=%u "
		          "unusable=\"%s\"",
		    idx, r->usage, r->selector, r->mtype,
		    e ? ERR_reason_error_string(e) : "rejected by OpenSSL");
		ERR_clear_error();
		return 0;
	}
	return 1;
}

static int
add_tlsa_records(SSL *ssl, const dane_tls_params *p, char *err, size_t errlen)
{
	size_t i, usable = 0;
	int ret;

	for (i = 0; i < p->n_tlsa; i++) {
		if ((ret = add_tlsa(ssl, i, &p->tlsa[i], err, errlen)) < 0)
			return -1;
		usable += (size_t)ret;
	}
	if (usable == 0) {
		const tlsa_record *r = p->n_tlsa ? &p->tlsa[0] : NULL;

		if (r == NULL)
			snprintf(
			    err, errlen, "DANE requested without TLSA records");
		else
			snprintf(err, errlen,
			    "none of the %zu TLSA record(s) is "
			    "usable for SMTP (first: %u %u %u, %s)",
			    p->n_tlsa, r->usage, r->selector, r->mtype,
			    tlsa_usability_name(tlsa_record_usability(r)));
		return -1;
	}
	return 0;
}

static int
setup_dane(SSL *ssl, const dane_tls_params *p, char *err, size_t errlen)
{
	/* The TLSA base domain is the primary reference identifier and the
	 * SNI name (RFC 7672 section 8.1). */
	if (SSL_dane_enable(ssl, p->sni) <= 0) {
		ossl_err(err, errlen, "SSL_dane_enable");
		return -1;
	}
	/* RFC 7672 section 3.1.1: DANE-EE ignores names (and expiry). */
	SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	if (add_ref_names(ssl, p, err, errlen) != 0)
		return -1;
	return add_tlsa_records(ssl, p, err, errlen);
}

SSL *
dane_tls_ssl_new(
    SSL_CTX *ctx, const dane_tls_params *p, char *err, size_t errlen)
{
	SSL *ssl;

	ERR_clear_error();
	if ((ssl = SSL_new(ctx)) == NULL) {
		ossl_err(err, errlen, "SSL_new");
		return NULL;
	}
	if (p->sni != NULL && !SSL_set_tlsext_host_name(ssl, p->sni)) {
		ossl_err(err, errlen, "SNI");
	} else if (p->key_family != NULL &&
	    restrict_key_family(ssl, p->key_family, err, errlen) != 0) {
		/* reason already in err */
	} else if (p->dane && setup_dane(ssl, p, err, errlen) != 0) {
		/* reason already in err */
	} else {
		return ssl;
	}
	SSL_free(ssl);
	return NULL;
}

/* ---- after the handshake ---- */

static bool
record_is(const tlsa_record *r, uint8_t usage, uint8_t selector, uint8_t mtype,
    const unsigned char *data, size_t len)
{
	return r->usage == usage && r->selector == selector &&
	    r->mtype == mtype && r->len == len &&
	    (len == 0 || memcmp(r->data, data, len) == 0);
}

/* Which of our records OpenSSL says matched (first equal one). */
static int
find_matched_index(SSL *ssl, const dane_tls_params *p)
{
	uint8_t usage, selector, mtype;
	const unsigned char *data = NULL;
	size_t len = 0, i;

	if (SSL_get0_dane_tlsa(ssl, &usage, &selector, &mtype, &data, &len) < 0)
		return -1;
	for (i = 0; i < p->n_tlsa; i++)
		if (record_is(&p->tlsa[i], usage, selector, mtype, data, len))
			return (int)i;
	return -1;
}

static bool
cert_matches(X509 *x, const tlsa_record *r)
{
	unsigned char *d = NULL;
	size_t len = 0;
	bool eq;

	if (cert_tlsa_data(x, r->selector, r->mtype, &d, &len) != 0)
		return false;
	eq = len == r->len && memcmp(d, r->data, len) == 0;
	OPENSSL_free(d);
	return eq;
}

/* After a failure OpenSSL no longer says whether a DANE-TA record had
 * matched, so find it ourselves in the chain as sent: RFC 7672 section
 * 3.2.1 requires the server to send the TA certificate.  Returns the
 * depth (>= 1), or -1. */
static int
find_ta_depth(STACK_OF(X509) * chain, const dane_tls_params *p)
{
	int d;
	size_t i;

	for (d = 1; chain != NULL && d < sk_X509_num(chain); d++) {
		for (i = 0; i < p->n_tlsa; i++) {
			const tlsa_record *r = &p->tlsa[i];

			if (r->usage == TLSA_USAGE_DANE_TA &&
			    tlsa_record_usability(r) == TLSA_USABLE &&
			    cert_matches(sk_X509_value(chain, d), r))
				return d;
		}
	}
	return -1;
}

static void
join_ref_names(const dane_tls_params *p, char *buf, size_t len)
{
	size_t i, used = 0;
	int n;

	buf[0] = '\0';
	if (p->n_ref_names == 0) {
		snprintf(buf, len, "%s", p->sni ? p->sni : "(no name)");
		return;
	}
	for (i = 0; i < p->n_ref_names && used < len; i++) {
		n = snprintf(buf + used, len - used, "%s%s", i ? " or " : "",
		    p->ref_names[i]);
		if (n < 0)
			return;
		used += (size_t)n;
	}
}

/* Truncation is fine here: the reason is for people, and bounded. */
static void set_reason(dane_tls_outcome *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
set_reason(dane_tls_outcome *out, const char *fmt, ...)
{
	VA_FORMAT(out->verify_reason, fmt);
}

static void
explain_name_mismatch(const dane_tls_params *p, dane_tls_outcome *out, int ta)
{
	char refs[128], head[48] = "";
	/* Without DNS SANs OpenSSL checks the subject CN: show the subject. */
	const char *names =
	    out->leaf.sans[0] ? out->leaf.sans : out->leaf.subject;

	join_ref_names(p, refs, sizeof(refs));
	if (ta > 0)
		snprintf(
		    head, sizeof(head), "DANE-TA matched at depth %d but ", ta);
	set_reason(out, "%sno certificate name matches %s (names: %s)", head,
	    refs, names);
}

static bool
only_dane_ta(const dane_tls_params *p)
{
	size_t i;

	for (i = 0; i < p->n_tlsa; i++)
		if (p->tlsa[i].usage == TLSA_USAGE_DANE_EE &&
		    tlsa_record_usability(&p->tlsa[i]) == TLSA_USABLE)
			return false;
	return true;
}

/* Gives the digest the operator would publish: the leaf's for DANE-EE,
 * the issuer's when the records are all DANE-TA. */
static void
explain_no_match(const dane_tls_params *p, dane_tls_outcome *out)
{
	bool issuer = out->issuer.present && only_dane_ta(p);

	set_reason(out,
	    "no TLSA record matched the certificate chain "
	    "(%s SPKI sha256 %s)",
	    issuer ? "depth-1" : "leaf",
	    issuer ? out->issuer.spki_sha256 : out->leaf.spki_sha256);
}

static void
explain_failure(SSL *ssl, const dane_tls_params *p, dane_tls_outcome *out)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	const char *what = X509_verify_cert_error_string(out->verify_code);
	int ta;

	if (!p->dane) {
		set_reason(out, "DANE not in use (%s)", what);
		return;
	}
	if (!out->leaf.present) {
		set_reason(out, "server sent no certificate");
		return;
	}
	if (out->verify_code == X509_V_ERR_DANE_NO_MATCH) {
		explain_no_match(p, out);
		return;
	}
	if (out->verify_code == X509_V_OK) {
		/* Cannot happen with records loaded; say so if it does. */
		set_reason(
		    out, "chain verified but no DANE match was recorded");
		return;
	}
	ta = find_ta_depth(chain, p);
	if (out->verify_code == X509_V_ERR_HOSTNAME_MISMATCH) {
		explain_name_mismatch(p, out, ta);
		return;
	}
	if (ta > 0)
		set_reason(out,
		    "%s (DANE-TA matched at depth %d and requires "
		    "a valid chain)",
		    what, ta);
	else
		set_reason(out, "%s", what);
}

static void
connection_facts(SSL *ssl, dane_tls_outcome *out)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);

	snprintf(out->tls_version, sizeof(out->tls_version), "%s",
	    SSL_get_version(ssl));
	snprintf(out->cipher, sizeof(out->cipher), "%s",
	    c ? SSL_CIPHER_get_name(c) : "");
	/* On the client side this chain starts with the leaf. */
	out->chain_len = chain ? sk_X509_num(chain) : 0;
	(void)cert_facts_from_x509(SSL_get0_peer_certificate(ssl), &out->leaf);
	if (out->chain_len > 1)
		(void)cert_facts_from_x509(
		    sk_X509_value(chain, 1), &out->issuer);
	(void)dane_chain_digests_from(chain, &out->chain);
}

/* ---- the presented chain's digests (for dane_rollover) ---- */

/* Fixed-size digest of the selector's DER into dst (dstlen bytes). */
static int
digest_into(X509 *x, int selector, int mtype, uint8_t *dst, size_t dstlen)
{
	unsigned char *d = NULL;
	size_t len = 0;
	int ok;

	if (cert_tlsa_data(x, selector, mtype, &d, &len) != 0)
		return -1;
	ok = len == dstlen;
	if (ok)
		memcpy(dst, d, len);
	OPENSSL_free(d);
	return ok ? 0 : -1;
}

static int
chain_cert_digests(X509 *x, dane_chain_cert *c)
{
	struct tm tm;

	memset(c, 0, sizeof(*c));
	if (digest_into(x, 1, 1, c->spki_sha256, sizeof(c->spki_sha256)) ||
	    digest_into(x, 1, 2, c->spki_sha512, sizeof(c->spki_sha512)) ||
	    digest_into(x, 0, 1, c->cert_sha256, sizeof(c->cert_sha256)) ||
	    digest_into(x, 0, 2, c->cert_sha512, sizeof(c->cert_sha512)))
		return -1;
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
		c->not_after = timegm(&tm);
	return 0;
}

/* parent issued child: names/key identifiers agree and the signature
 * verifies with parent's key. */
static bool
issued_by(X509 *child, X509 *parent)
{
	EVP_PKEY *key = X509_get0_pubkey(parent);
	bool ok;

	if (key == NULL || X509_check_issued(parent, child) != X509_V_OK)
		return false;
	ok = X509_verify(child, key) == 1;
	ERR_clear_error();
	return ok;
}

/*
 * Marks the certificates on the issuance path from the leaf.  Servers send
 * chains out of order or with extra certificates, and OpenSSL builds its
 * path from whatever was sent, so the walk looks at all of them; each step
 * takes an unused certificate that issued the current one.
 */
static void
mark_path(STACK_OF(X509) * chain, dane_chain_digests *out)
{
	int cur = 0, i, n = sk_X509_num(chain);

	if (out->n > 0)
		out->cert[0].on_path = true;
	for (int steps = 0; steps < n; steps++) {
		X509 *x = sk_X509_value(chain, cur);
		int next = -1;

		if (out->cert[cur].self_signed)
			return;
		for (i = 1; i < (int)out->n && next < 0; i++)
			if (!out->cert[i].on_path &&
			    issued_by(x, sk_X509_value(chain, i)))
				next = i;
		if (next < 0)
			return;
		out->cert[next].on_path = true;
		cur = next;
	}
}

int
dane_chain_digests_from(STACK_OF(X509) * chain, dane_chain_digests *out)
{
	int n = chain ? sk_X509_num(chain) : 0;

	memset(out, 0, sizeof(*out));
	out->sent = n > 0 ? (size_t)n : 0;
	for (int i = 0; i < n && i < DANE_TLS_CHAIN_MAX; i++) {
		X509 *x = sk_X509_value(chain, i);

		if (chain_cert_digests(x, &out->cert[i]) != 0)
			return -1;
		out->cert[i].self_signed = issued_by(x, x);
		out->n++;
	}
	mark_path(chain, out);
	return 0;
}

/* On success the reason says what matched, e.g. "DANE-TA 2 1 1 matched
 * the certificate at depth 1, name mx.example". */
static void
describe_match(SSL *ssl, dane_tls_outcome *out, bool by_signing_key)
{
	uint8_t u = 0, s = 0, m = 0;
	char name[300] = "";

	(void)SSL_get0_dane_tlsa(ssl, &u, &s, &m, NULL, NULL);
	if (out->matched_peername[0])
		snprintf(
		    name, sizeof(name), ", name %s", out->matched_peername);
	if (by_signing_key)
		set_reason(out,
		    "DANE-TA %u %u %u public key signed the "
		    "certificate at depth %d%s",
		    u, s, m, out->matched_depth, name);
	else if (out->matched_depth == 0)
		set_reason(out, "%s %u %u %u matched the leaf certificate%s",
		    tlsa_usage_name(u), u, s, m, name);
	else
		set_reason(out,
		    "%s %u %u %u matched the certificate at "
		    "depth %d%s",
		    tlsa_usage_name(u), u, s, m, out->matched_depth, name);
}

void
dane_tls_inspect(SSL *ssl, const dane_tls_params *p, dane_tls_outcome *out)
{
	EVP_PKEY *signing_key = NULL;
	const char *peer;
	int depth;

	memset(out, 0, sizeof(*out));
	out->matched_index = -1;
	out->matched_depth = -1;
	connection_facts(ssl, out);
	if (p->key_family != NULL)
		snprintf(out->chain.key_family, sizeof(out->chain.key_family),
		    "%s", p->key_family);
	out->verify_code = SSL_get_verify_result(ssl);
	depth = p->dane && out->verify_code == X509_V_OK ?
	    SSL_get0_dane_authority(ssl, NULL, &signing_key) :
	    -1;
	if (depth < 0) {
		explain_failure(ssl, p, out);
		return;
	}
	out->authenticated = true;
	out->matched_depth = depth;
	out->matched_index = find_matched_index(ssl, p);
	/* NULL when no name was checked (DANE-EE). */
	if ((peer = SSL_get0_peername(ssl)) != NULL)
		snprintf(out->matched_peername, sizeof(out->matched_peername),
		    "%s", peer);
	describe_match(ssl, out, signing_key != NULL);
}
