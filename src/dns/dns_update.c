/*
 * dns_update.c -- RFC 2136 updates with TSIG over TCP, on ldns (the
 * message, the signature and its check) and a blocking socket with one
 * deadline (the exchange is a single request and reply).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "dns/dns_update.h"

struct dns_update_msg {
	ldns_pkt *pkt; /* the request, with its TSIG (for the reply's MAC) */
	uint8_t *wire;
	size_t len;
};

static const char tsig_alg[] = "hmac-sha256.";

/* ================================================================ keys */

/* One token of a BIND key clause: a word, a quoted string, or one of
 * "{};".  Returns the token's length (0 at the end), or -1 for an
 * unterminated string. */
static int
next_token(const char **pp, char *tok, size_t toklen)
{
	const char *p = *pp;
	size_t n = 0;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || (p[0] == '/' && p[1] == '/'))
			p += strcspn(p, "\n");
		else
			break;
	}
	if (*p == '\0') {
		*pp = p;
		return 0;
	}
	if (strchr("{};", *p)) {
		tok[n++] = *p++;
	} else if (*p == '"') {
		p++;
		while (*p && *p != '"')
			if (n + 1 < toklen)
				tok[n++] = *p++;
			else
				p++;
		if (*p != '"')
			return -1;
		p++;
	} else {
		while (
		    *p && !isspace((unsigned char)*p) && !strchr("{};\"", *p))
			if (n + 1 < toklen)
				tok[n++] = *p++;
			else
				p++;
	}
	tok[n] = '\0';
	*pp = p;
	return (int)n > 0 ? (int)n : 1; /* "" is a token too */
}

/* Key name as ldns and the wire want it: lower case, absolute. */
static int
set_name(dns_tsig_key *key, const char *name, char *err, size_t errlen)
{
	size_t n = strlen(name);

	if (n == 0 || n > 253 ||
	    strspn(name,
	        "abcdefghijklmnopqrstuvwxyz"
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	        "0123456789-_.") != n) {
		snprintf(
		    err, errlen, "TSIG key name \"%.80s\" is not a name", name);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		key->name[i] = (char)tolower((unsigned char)name[i]);
	key->name[n] = '\0';
	if (key->name[n - 1] != '.')
		strcat(key->name, ".");
	return 0;
}

static int
set_algorithm(dns_tsig_key *key, const char *alg, char *err, size_t errlen)
{
	if (strcasecmp(alg, "hmac-sha256") != 0 &&
	    strcasecmp(alg, "hmac-sha256.") != 0) {
		snprintf(err, errlen,
		    "TSIG algorithm \"%.40s\" is not supported "
		    "(hmac-sha256)",
		    alg);
		return -1;
	}
	snprintf(key->algorithm, sizeof(key->algorithm), "%s", tsig_alg);
	return 0;
}

static int
set_secret(dns_tsig_key *key, const char *b64, char *err, size_t errlen)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                               "abcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char raw[sizeof(key->secret)];
	size_t n = strlen(b64), body = strspn(b64, alphabet);
	int len = -1;

	if (n == 0 || n >= sizeof(key->secret)) {
		snprintf(err, errlen, "the TSIG secret is %s",
		    n ? "too long" : "empty");
		return -1;
	}
	/* Up to two '=' of padding, whole quads only. */
	if (n % 4 == 0 && strspn(b64 + body, "=") == n - body && n - body <= 2)
		len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (len <= 0) {
		snprintf(err, errlen, "the TSIG secret is not base64");
		return -1;
	}
	memcpy(key->secret, b64, n + 1);
	return 0;
}

/* NAME:SECRET or ALGORITHM:NAME:SECRET on one line. */
static int
parse_short(const char *text, dns_tsig_key *key, char *err, size_t errlen)
{
	char buf[600], *a, *b, *c;
	size_t n = strcspn(text, "\r\n");
	int rc = -1;

	if (n >= sizeof(buf) || text[n + strspn(text + n, "\r\n")] != '\0') {
		snprintf(err, errlen,
		    "not a TSIG key (key \"NAME\" { ... }; "
		    "or NAME:SECRET)");
		return -1;
	}
	memcpy(buf, text, n);
	buf[n] = '\0';
	a = buf;
	if ((b = strchr(a, ':')) == NULL) {
		snprintf(err, errlen, "not a TSIG key (NAME:SECRET)");
		return -1;
	}
	*b++ = '\0';
	c = strchr(b, ':');
	if (c != NULL)
		*c++ = '\0';
	if (c == NULL)
		rc = set_algorithm(key, "hmac-sha256", err, errlen) == 0 &&
		        set_name(key, a, err, errlen) == 0 &&
		        set_secret(key, b, err, errlen) == 0 ?
		    0 :
		    -1;
	else
		rc = set_algorithm(key, a, err, errlen) == 0 &&
		        set_name(key, b, err, errlen) == 0 &&
		        set_secret(key, c, err, errlen) == 0 ?
		    0 :
		    -1;
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

/* One "algorithm X;" or "secret "S";" statement inside the braces. */
static int
parse_statement(const char **p, const char *word, dns_tsig_key *key, char *err,
    size_t errlen)
{
	char val[400], semi[8];
	int rc = -1;

	int n = next_token(p, val, sizeof(val));

	if (n < 0)
		snprintf(err, errlen,
		    "TSIG key file: \"%s\": a string is not "
		    "closed with \"",
		    word);
	else if (n == 0 || next_token(p, semi, sizeof(semi)) <= 0 ||
	    strcmp(semi, ";") != 0)
		snprintf(err, errlen,
		    "TSIG key file: \"%s\" needs a value and ;", word);
	else if (strcmp(word, "algorithm") == 0)
		rc = set_algorithm(key, val, err, errlen);
	else if (strcmp(word, "secret") == 0)
		rc = set_secret(key, val, err, errlen);
	else
		snprintf(err, errlen,
		    "TSIG key file: unknown statement \"%.40s\"", word);
	OPENSSL_cleanse(val, sizeof(val));
	return rc;
}

static int
parse_bind(const char *p, dns_tsig_key *key, char *err, size_t errlen)
{
	char tok[400];
	int n;

	if (next_token(&p, tok, sizeof(tok)) <= 0 || strcmp(tok, "key") != 0 ||
	    next_token(&p, tok, sizeof(tok)) <= 0 ||
	    set_name(key, tok, err, errlen) != 0 ||
	    next_token(&p, tok, sizeof(tok)) <= 0 || strcmp(tok, "{") != 0) {
		if (key->name[0] == '\0' || strcmp(tok, "{") != 0)
			snprintf(err, errlen,
			    "TSIG key file: expected key \"NAME\" {");
		return -1;
	}
	while (
	    (n = next_token(&p, tok, sizeof(tok))) > 0 && strcmp(tok, "}") != 0)
		if (parse_statement(&p, tok, key, err, errlen) != 0)
			return -1;
	if (n <= 0 || next_token(&p, tok, sizeof(tok)) <= 0 ||
	    strcmp(tok, ";") != 0) {
		snprintf(err, errlen, "TSIG key file: expected }; at the end");
		return -1;
	}
	if (next_token(&p, tok, sizeof(tok)) != 0) {
		snprintf(err, errlen,
		    "TSIG key file: more than one key (give a file with one)");
		return -1;
	}
	return 0;
}

int
dns_tsig_key_parse(
    const char *text, dns_tsig_key *key, char *err, size_t errlen)
{
	const char *p = text + strspn(text, " \t\r\n");
	int rc;

	memset(key, 0, sizeof(*key));
	/* A secret is base64 and a short form has no braces. */
	if (strchr(p, '{') != NULL)
		rc = parse_bind(p, key, err, errlen);
	else if (strchr(p, ':') != NULL)
		rc = parse_short(p, key, err, errlen);
	else {
		snprintf(err, errlen,
		    "not a TSIG key (key \"NAME\" { ... }; "
		    "or NAME:SECRET)");
		rc = -1;
	}
	if (rc == 0 && key->secret[0] == '\0') {
		snprintf(err, errlen, "TSIG key file: no secret");
		rc = -1;
	}
	if (rc == 0 && key->algorithm[0] == '\0') {
		snprintf(err, errlen, "TSIG key file: no algorithm");
		rc = -1;
	}
	if (rc != 0)
		dns_tsig_key_wipe(key);
	return rc;
}

int
dns_tsig_key_load(const char *path, dns_tsig_key *key, char *err, size_t errlen)
{
	char buf[65536], why[300];
	FILE *f = fopen(path, "r");
	size_t n;
	int rc;

	memset(key, 0, sizeof(*key));
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	rc = ferror(f) || !feof(f) ? -1 : 0;
	fclose(f);
	buf[n] = '\0';
	if (rc != 0 || memchr(buf, '\0', n) != NULL) {
		snprintf(
		    err, errlen, "%s: cannot read a TSIG key from it", path);
		OPENSSL_cleanse(buf, sizeof(buf));
		return -1;
	}
	rc = dns_tsig_key_parse(buf, key, why, sizeof(why));
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, why);
	return rc;
}

void
dns_tsig_key_wipe(dns_tsig_key *key)
{
	OPENSSL_cleanse(key, sizeof(*key));
}

/* ============================================================ messages */

/* The RR of one change, in the class and TTL its operation needs. */
static ldns_rr *
change_rr(const dns_update_change *c, char *err, size_t errlen)
{
	ldns_rr *rr = NULL;
	ldns_status s = ldns_rr_new_frm_str(&rr, c->rr, 0, NULL, NULL);

	if (s != LDNS_STATUS_OK) {
		snprintf(err, errlen, "not a resource record: \"%.200s\": %s",
		    c->rr, ldns_get_errorstr_by_id(s));
		return NULL;
	}
	if (c->op == DNS_UPDATE_DELETE) { /* RFC 2136 section 2.5.4 */
		ldns_rr_set_class(rr, LDNS_RR_CLASS_NONE);
		ldns_rr_set_ttl(rr, 0);
	}
	return rr;
}

/* "RRset exists (value independent)", RFC 2136 section 2.4.1. */
static ldns_rr *
exists_rr(const char *owner, uint16_t type, char *err, size_t errlen)
{
	ldns_rdf *name = ldns_dname_new_frm_str(owner);
	ldns_rr *rr;

	if (name == NULL) {
		snprintf(err, errlen, "not a name: \"%.200s\"", owner);
		return NULL;
	}
	if ((rr = ldns_rr_new()) == NULL) {
		ldns_rdf_deep_free(name);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ldns_rr_set_owner(rr, name);
	ldns_rr_set_type(rr, (ldns_rr_type)type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_ANY);
	ldns_rr_set_ttl(rr, 0);
	ldns_rr_set_question(rr, false);
	return rr;
}

/* The prerequisite and update lists; 0 or -1 with err. */
static int
fill_lists(const dns_update_params *p, ldns_rr_list *pr, ldns_rr_list *up,
    char *err, size_t errlen)
{
	ldns_rr *rr;

	if (p->exists_owner != NULL) {
		if ((rr = exists_rr(
		         p->exists_owner, p->exists_type, err, errlen)) == NULL)
			return -1;
		ldns_rr_list_push_rr(pr, rr);
	}
	for (size_t i = 0; i < p->n_changes; i++) {
		if ((rr = change_rr(&p->changes[i], err, errlen)) == NULL)
			return -1;
		ldns_rr_list_push_rr(up, rr);
	}
	return 0;
}

static int
sign_and_encode(
    dns_update_msg *m, const dns_update_params *p, char *err, size_t errlen)
{
	ldns_status s;

	ldns_pkt_set_id(m->pkt, p->id);
	if (p->key != NULL) {
		s = ldns_pkt_tsig_sign(m->pkt, p->key->name, p->key->secret,
		    300, p->key->algorithm, NULL);
		if (s != LDNS_STATUS_OK) {
			snprintf(err, errlen, "cannot sign the update: %s",
			    ldns_get_errorstr_by_id(s));
			return -1;
		}
	}
	if ((s = ldns_pkt2wire(&m->wire, m->pkt, &m->len)) != LDNS_STATUS_OK) {
		snprintf(err, errlen, "cannot encode the update: %s",
		    ldns_get_errorstr_by_id(s));
		return -1;
	}
	return 0;
}

int
dns_update_msg_new(
    const dns_update_params *p, dns_update_msg **out, char *err, size_t errlen)
{
	ldns_rr_list *pr = ldns_rr_list_new(), *up = ldns_rr_list_new();
	ldns_rdf *zone = ldns_dname_new_frm_str(p->zone);
	dns_update_msg *m = calloc(1, sizeof(*m));
	int rc = -1;

	*out = NULL;
	if (pr == NULL || up == NULL || m == NULL)
		snprintf(err, errlen, "out of memory");
	else if (zone == NULL)
		snprintf(err, errlen, "not a zone name: \"%.200s\"", p->zone);
	else if (fill_lists(p, pr, up, err, errlen) == 0) {
		/* The packet takes the zone name and copies the lists. */
		m->pkt =
		    ldns_update_pkt_new(zone, LDNS_RR_CLASS_IN, pr, up, NULL);
		zone = NULL;
		if (m->pkt == NULL)
			snprintf(err, errlen, "out of memory");
		else
			rc = sign_and_encode(m, p, err, errlen);
	}
	ldns_rdf_deep_free(zone);
	ldns_rr_list_deep_free(pr);
	ldns_rr_list_deep_free(up);
	if (rc == 0)
		*out = m;
	else
		dns_update_msg_free(m);
	return rc;
}

void
dns_update_msg_free(dns_update_msg *m)
{
	if (m == NULL)
		return;
	ldns_pkt_free(m->pkt);
	free(m->wire);
	free(m);
}

const uint8_t *
dns_update_msg_wire(const dns_update_msg *m, size_t *len)
{
	*len = m->len;
	return m->wire;
}

/* =============================================================== names */

const char *
dns_rcode_name(int rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL",
		"NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
		"NXRRSET", "NOTAUTH", "NOTZONE" };

	if (rcode >= 0 && rcode < (int)(sizeof(names) / sizeof(names[0])))
		return names[rcode];
	return "RCODE-other";
}

const char *
dns_tsig_error_name(int error)
{
	switch (error) {
	case 0:
		return "NOERROR";
	case 16:
		return "BADSIG";
	case 17:
		return "BADKEY";
	case 18:
		return "BADTIME";
	case 22:
		return "BADTRUNC";
	default:
		return "TSIG-error-other";
	}
}

/* ============================================================= replies */

/* The TSIG record's error field (RFC 8945 section 4.2), 0 without one. */
static int
tsig_error_of(const ldns_pkt *pkt)
{
	const ldns_rr *t = ldns_pkt_tsig(pkt);

	if (t == NULL || ldns_rr_rd_count(t) < 6)
		return 0;
	return ldns_rdf2native_int16(ldns_rr_rdf(t, 5));
}

/* Header checks: the reply belongs to this request.  0 or -1. */
static int
check_header(const dns_update_msg *m, const ldns_pkt *r, dns_update_result *res)
{
	if (!ldns_pkt_qr(r) || ldns_pkt_id(r) != ldns_pkt_id(m->pkt) ||
	    ldns_pkt_get_opcode(r) != LDNS_PACKET_UPDATE) {
		snprintf(res->reason, sizeof(res->reason),
		    "the reply does not answer the update (ID, opcode or QR)");
		return -1;
	}
	return 0;
}

static int
check_signature(const dns_update_msg *m, const dns_tsig_key *key, ldns_pkt *r,
    const uint8_t *wire, size_t len, dns_update_result *res)
{
	const ldns_rr *req_tsig = ldns_pkt_tsig(m->pkt);
	const ldns_rr *t = ldns_pkt_tsig(r);

	if (key == NULL || req_tsig == NULL)
		return 0;
	if (t == NULL) {
		snprintf(res->reason, sizeof(res->reason),
		    "the reply is not signed (no TSIG record)");
		return -1;
	}
	res->tsig_valid = ldns_pkt_tsig_verify(
	    r, wire, len, key->name, key->secret, ldns_rr_rdf(req_tsig, 3));
	if (!res->tsig_valid) {
		snprintf(res->reason, sizeof(res->reason),
		    "the reply's TSIG does not verify with key %s", key->name);
		return -1;
	}
	return 0;
}

int
dns_update_check_reply(const dns_update_msg *m, const dns_tsig_key *key,
    const uint8_t *wire, size_t len, dns_update_result *res)
{
	ldns_pkt *r = NULL;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	res->rcode = -1;
	if (ldns_wire2pkt(&r, wire, len) != LDNS_STATUS_OK) {
		snprintf(res->reason, sizeof(res->reason),
		    "the reply is not a DNS message");
		return -1;
	}
	if (check_header(m, r, res) == 0) {
		res->rcode = ldns_pkt_get_rcode(r);
		res->tsig_error = tsig_error_of(r);
		if (res->tsig_error != 0)
			snprintf(res->reason, sizeof(res->reason),
			    "%s (TSIG %s)", dns_rcode_name(res->rcode),
			    dns_tsig_error_name(res->tsig_error));
		else if (res->rcode != LDNS_RCODE_NOERROR)
			snprintf(res->reason, sizeof(res->reason), "%s",
			    dns_rcode_name(res->rcode));
		else if ((rc = check_signature(m, key, r, wire, len, res)) == 0)
			snprintf(res->reason, sizeof(res->reason), "NOERROR");
	}
	ldns_pkt_free(r);
	return rc;
}

/* ============================================================== socket */

/* "ADDR", "ADDR@PORT", "[ADDR]:PORT", "[ADDR]" into host and port. */
static int
split_server(
    const char *s, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *at;

	snprintf(port, portlen, "53");
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return -1;
		snprintf(host, hostlen, "%.*s", (int)(end - s - 1), s + 1);
		if (end[1] == ':')
			snprintf(port, portlen, "%s", end + 2);
		return 0;
	}
	if ((at = strchr(s, '@')) != NULL) {
		snprintf(host, hostlen, "%.*s", (int)(at - s), s);
		snprintf(port, portlen, "%s", at + 1);
		return 0;
	}
	snprintf(host, hostlen, "%s", s);
	return 0;
}

static long
ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000L +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

/* Waits for fd to be ready for `events` until the deadline; 0 or -1. */
static int
wait_fd(int fd, short events, const struct timespec *deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	long left;
	int n;

	do {
		if ((left = ms_left(deadline)) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&pfd, 1, (int)left);
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

static int
connect_server(const char *server, const struct timespec *deadline, char *err,
    size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char host[256], port[16];
	int fd = -1, soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (split_server(server, host, sizeof(host), port, sizeof(port)) != 0 ||
	    getaddrinfo(host, port, &hints, &ai) != 0) {
		snprintf(err, errlen,
		    "\"%.100s\" is not an address (ADDR[@PORT])", server);
		return -1;
	}
	fd = socket(
	    ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 &&
	    (errno != EINPROGRESS || wait_fd(fd, POLLOUT, deadline) != 0 ||
	        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 ||
	        (errno = soerr) != 0)) {
		snprintf(err, errlen, "cannot connect to %s: %s", server,
		    strerror(errno));
		close(fd);
		fd = -1;
	} else if (fd < 0)
		snprintf(err, errlen, "socket: %s", strerror(errno));
	freeaddrinfo(ai);
	return fd;
}

static int
io_all(
    int fd, bool out, uint8_t *buf, size_t len, const struct timespec *deadline)
{
	while (len > 0) {
		ssize_t n = out ? send(fd, buf, len, MSG_NOSIGNAL) :
		                  recv(fd, buf, len, 0);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n == 0) {
			errno = ECONNRESET;
			return -1;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR) {
			if (wait_fd(fd, out ? POLLOUT : POLLIN, deadline) != 0)
				return -1;
		} else
			return -1;
	}
	return 0;
}

/* One request and its reply with the two-byte length (RFC 1035 4.2.2);
 * the reply malloc'd in *reply. */
static int
exchange(int fd, const dns_update_msg *m, uint8_t **reply, size_t *rlen,
    const struct timespec *deadline)
{
	uint8_t hdr[2] = { (uint8_t)(m->len >> 8), (uint8_t)m->len };
	size_t n;

	*reply = NULL;
	if (io_all(fd, true, hdr, 2, deadline) != 0 ||
	    io_all(fd, true, m->wire, m->len, deadline) != 0 ||
	    io_all(fd, false, hdr, 2, deadline) != 0)
		return -1;
	n = (size_t)hdr[0] << 8 | hdr[1];
	if (n < 12 || (*reply = malloc(n)) == NULL) {
		errno = n < 12 ? EPROTO : ENOMEM;
		return -1;
	}
	*rlen = n;
	return io_all(fd, false, *reply, n, deadline);
}

int
dns_update_send(const dns_update_msg *m, const dns_tsig_key *key,
    const char *server, unsigned timeout_ms, dns_update_result *res, char *err,
    size_t errlen)
{
	struct timespec deadline;
	uint8_t *reply = NULL;
	size_t rlen = 0;
	int fd, rc = -1;

	memset(res, 0, sizeof(*res));
	res->rcode = -1;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	if ((fd = connect_server(server, &deadline, err, errlen)) < 0)
		return -1;
	if (exchange(fd, m, &reply, &rlen, &deadline) != 0)
		snprintf(err, errlen, "no reply from %s: %s", server,
		    strerror(errno));
	else if ((rc = dns_update_check_reply(m, key, reply, rlen, res)) != 0)
		snprintf(err, errlen, "%s", res->reason);
	free(reply);
	close(fd);
	return rc;
}
