/*
 * exporter_http.h -- the exporter's HTTP server: libmicrohttpd driven by
 * the caller's libev loop, without threads.  MHD runs in epoll mode; an
 * ev_io watches its epoll descriptor and an ev_timer follows
 * MHD_get_timeout(), and MHD_run() runs when either fires.  A request the
 * handler cannot answer at once (a /probe waiting for its probe) is
 * suspended until exporter_request_reply(), then resumed.
 *
 * Limits against slow or hostile clients: a connection cap, an idle
 * timeout per connection (a client is closed when it stalls), a deadline
 * for the request line and headers counted from the accept (a slowloris
 * client that trickles a byte now and then is closed all the same, so
 * that it cannot hold the connection cap),
 * a memory limit per connection (which bounds the request line and
 * headers: beyond it MHD answers 431/414 itself), a length limit for the
 * request URI (400), GET and HEAD only (405).
 *
 * Ownership: exporter_http_new() allocates; exporter_http_free() closes
 * every connection (each request still waiting gets the on_abort call
 * first) and frees the server.  An exporter_request lives from the
 * handler call until its response is sent or its connection closes.
 */
#ifndef DANEPROBE_EXPORTER_HTTP_H
#define DANEPROBE_EXPORTER_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "exporter/exporter_probe.h"
#include "util/ev_compat.h"

typedef struct exporter_http exporter_http;
typedef struct exporter_request exporter_request;

typedef struct exporter_http_params {
	const char *listen;       /* "ADDR:PORT", "[ADDR]:PORT" or ":PORT" */
	unsigned max_connections; /* open connections at most */
	unsigned idle_timeout;    /* seconds a connection may stall */
	unsigned header_timeout;  /* seconds from accept to complete headers */
	/* Counts the connections closed for header_timeout, or NULL; the
	 * caller's storage, to outlive the server. */
	uint64_t *header_timeouts;
	size_t max_uri; /* bytes of path and query at most */
	/* Called for every GET/HEAD within the limits, with the path
	 * (query string removed).  It answers with exporter_request_reply(),
	 * now or later from the loop. */
	void (*handle)(exporter_request *r, const char *path, void *arg);
	/* The connection of a request still waiting is closing (server
	 * shutdown): drop every reference to r. */
	void (*on_abort)(exporter_request *r, void *arg);
	void *arg;
} exporter_http_params;

/* Listens on params->listen.  Returns 0 with the address actually bound
 * ("127.0.0.1:9119") in bound, or -1 with a reason. */
int exporter_http_new(struct ev_loop *loop, const exporter_http_params *params,
    exporter_http **out, char *bound, size_t boundlen, char *err,
    size_t errlen);
void exporter_http_free(exporter_http *h);

/* Stops accepting connections (the listening socket closes); those open
 * go on until exporter_http_free(). */
void exporter_http_quiesce(exporter_http *h);

/* Splits "ADDR:PORT" ("[v6]:PORT", ":PORT" for every address, "localhost"
 * for 127.0.0.1) into an address and port; 0, or -1 with a reason. */
int exporter_http_parse_listen(const char *s, char *addr, size_t addrlen,
    int *port, char *err, size_t errlen);

/* A query argument (URL-decoded) or NULL; a header or NULL. */
const char *exporter_request_arg(exporter_request *r, const char *key);
const char *exporter_request_header(exporter_request *r, const char *name);

/* Storage for the /probe waiter, as long as the request lives. */
exporter_waiter *exporter_request_waiter(exporter_request *r);

/* Answers r (the body is copied).  Call exactly once per request. */
void exporter_request_reply(exporter_request *r, unsigned status,
    const char *content_type, const char *body, size_t len);

#endif
