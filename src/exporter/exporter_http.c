/*
 * exporter_http.c -- libmicrohttpd in epoll mode on the libev loop.
 */
#include "config.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exporter/exporter_http.h"
#include "util/log.h"

typedef struct exporter_conn exporter_conn;

/* Request line and headers fit well within this; more is an attack. */
#define CONNECTION_MEMORY (32 * 1024)

struct exporter_http {
	struct ev_loop *loop;
	exporter_http_params params;
	struct MHD_Daemon *d;
	ev_io io;       /* MHD's epoll descriptor */
	ev_timer timer; /* MHD_get_timeout() */
	ev_timer kick;  /* run MHD soon (a resumed connection) */
	/* Connections whose request headers are not complete yet, oldest
	 * deadline first (every deadline is now + header_timeout when set,
	 * so appending keeps the order). */
	exporter_conn *slow_head, *slow_tail;
	ev_timer header_timer; /* the oldest deadline */
};

/* One TCP connection, from MHD's NOTIFY_STARTED to NOTIFY_CLOSED. */
struct exporter_conn {
	MHD_socket fd;
	ev_tstamp deadline; /* headers complete by then, or shutdown */
	bool listed;        /* in the slow list */
	exporter_conn *prev, *next;
};

struct exporter_request {
	exporter_http *h;
	struct MHD_Connection *conn;
	size_t uri_len;
	bool headers;   /* the first call (headers only) has passed */
	bool handled;   /* the handler has seen it */
	bool suspended; /* waiting for exporter_request_reply() */
	struct MHD_Response *response; /* to queue */
	unsigned status;
	exporter_waiter waiter;
};

/* ---- MHD on libev ------------------------------------------------------ */

static void
run(exporter_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	MHD_run(h->d);
	ev_timer_stop(h->loop, &h->timer);
	if (MHD_get_timeout(h->d, &ms) == MHD_YES) {
		ev_timer_set(&h->timer, (double)ms / 1000.0, 0.0);
		ev_timer_start(h->loop, &h->timer);
	}
}

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	run(w->data);
}

static void
on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	run(w->data);
}

static void
kick(exporter_http *h)
{
	if (!ev_is_active(&h->kick))
		ev_timer_start(h->loop, &h->kick);
}

/* MHD's messages as one log line each. */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	/* A client gone mid-request (or shut down for its headers' deadline)
	 * says nothing about the server: under a flood of slow clients a
	 * warning each would drown the log. */
	if (strstr(buf, "closed by remote side") != NULL ||
	    strstr(buf, "detected connection closure") != NULL)
		log_debug("http: %s", buf);
	else
		log_warn("http: %s", buf);
}

/* ---- the header deadline ----------------------------------------------- */

/* MHD's own timeout counts inactivity only: a client sending a byte of
 * its headers every few seconds would hold its connection forever, and
 * enough of them fill --web.max-connections.  So the request line and
 * headers must be complete header_timeout seconds after the connection
 * was accepted (or after the request line of a later request on a
 * kept-alive connection), or the connection is shut down. */

static void
slow_append(exporter_http *h, exporter_conn *c)
{
	/* The loop's time dates from before MHD_run(), which may have taken
	 * a while: without the update a deadline could come early. */
	ev_now_update(h->loop);
	c->deadline = ev_now(h->loop) + (ev_tstamp)h->params.header_timeout;
	c->prev = h->slow_tail;
	c->next = NULL;
	if (h->slow_tail != NULL)
		h->slow_tail->next = c;
	else
		h->slow_head = c;
	h->slow_tail = c;
	c->listed = true;
	if (!ev_is_active(&h->header_timer)) {
		ev_timer_set(
		    &h->header_timer, (ev_tstamp)h->params.header_timeout, 0.0);
		ev_timer_start(h->loop, &h->header_timer);
	}
}

static void
slow_remove(exporter_http *h, exporter_conn *c)
{
	if (!c->listed)
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		h->slow_head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		h->slow_tail = c->prev;
	c->prev = c->next = NULL;
	c->listed = false;
}

static exporter_conn *
conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info != NULL ? info->socket_context : NULL;
}

/* Shuts down every connection past its deadline.  shutdown(), not
 * close(): the descriptor stays MHD's, MHD sees the end of the stream
 * and closes the connection itself (NOTIFY_CLOSED frees c). */
static void
on_header_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	exporter_http *h = w->data;
	ev_tstamp now = ev_now(loop);
	exporter_conn *c;
	unsigned n = 0;

	(void)revents;
	while ((c = h->slow_head) != NULL && c->deadline <= now) {
		slow_remove(h, c);
		shutdown(c->fd, SHUT_RDWR);
		n++;
	}
	if (n > 0) {
		if (h->params.header_timeouts != NULL)
			*h->params.header_timeouts += n;
		log_info("http: closed %u connection%s without complete "
		         "headers after %u s",
		    n, n == 1 ? "" : "s", h->params.header_timeout);
		kick(h);
	}
	if (c != NULL) {
		ev_timer_set(w, c->deadline - now, 0.0);
		ev_timer_start(loop, w);
	}
}

static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	exporter_http *h = cls;
	exporter_conn *c = *socket_context;
	const union MHD_ConnectionInfo *info;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (c != NULL) {
			slow_remove(h, c);
			free(c);
			*socket_context = NULL;
		}
		/* At the connection limit MHD takes its listening socket out of
		 * its epoll set, and puts it back only at the start of a run:
		 * run again soon, or a client waiting in the listen queue waits
		 * for some other event (up to the idle timeout). */
		kick(h);
		return;
	}
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info == NULL || (c = calloc(1, sizeof(*c))) == NULL) {
		/* Untracked, it would escape the deadline: refuse it. */
		if (info != NULL)
			shutdown(info->connect_fd, SHUT_RDWR);
		return;
	}
	c->fd = info->connect_fd;
	*socket_context = c;
	slow_append(h, c);
}

/* ---- requests ---------------------------------------------------------- */

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	exporter_request *r = calloc(1, sizeof(*r));
	exporter_conn *c;

	if (r == NULL)
		return NULL;
	r->h = cls;
	r->conn = conn;
	r->uri_len = strlen(uri);
	c = conn_of(conn);
	if (c != NULL && !c->listed)
		slow_append(r->h, c); /* a later request on this connection */
	return r;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	exporter_http *h = cls;
	exporter_request *r = *con_cls;

	(void)conn;
	(void)toe;
	if (r == NULL)
		return;
	if (r->handled && r->response == NULL && r->suspended &&
	    h->params.on_abort != NULL)
		h->params.on_abort(r, h->params.arg);
	if (r->response != NULL)
		MHD_destroy_response(r->response);
	free(r);
	*con_cls = NULL;
}

static enum MHD_Result
queue(exporter_request *r)
{
	enum MHD_Result ret =
	    MHD_queue_response(r->conn, r->status, r->response);

	MHD_destroy_response(r->response);
	r->response = NULL;
	return ret;
}

static enum MHD_Result
reply_now(exporter_request *r, unsigned status, const char *text)
{
	exporter_request_reply(
	    r, status, "text/plain; charset=utf-8", text, strlen(text));
	return queue(r);
}

static enum MHD_Result
on_access(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	exporter_http *h = cls;
	exporter_request *r = *con_cls;

	(void)version;
	(void)upload_data;
	if (r == NULL)
		return MHD_NO; /* out of memory: close */
	r->conn = conn;
	if (r->response != NULL)
		return queue(r); /* resumed with its answer */
	if (r->handled)
		return MHD_YES;
	/* An answer queued in the first call makes libmicrohttpd close the
	 * connection after it: answer from the second, so that Prometheus
	 * keeps its connection alive. */
	if (!r->headers) {
		exporter_conn *c = conn_of(conn);

		if (c != NULL)
			slow_remove(h, c); /* headers complete in time */
		r->headers = true;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0; /* a body we do not want */
		return MHD_YES;
	}
	r->handled = true;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply_now(r, 405, "only GET and HEAD\n");
	if (r->uri_len > h->params.max_uri)
		return reply_now(r, 400, "request URI too long\n");
	h->params.handle(r, url, h->params.arg);
	if (r->response != NULL)
		return queue(r);
	MHD_suspend_connection(conn);
	r->suspended = true;
	return MHD_YES;
}

const char *
exporter_request_arg(exporter_request *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *
exporter_request_header(exporter_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

exporter_waiter *
exporter_request_waiter(exporter_request *r)
{
	return &r->waiter;
}

void
exporter_request_reply(exporter_request *r, unsigned status,
    const char *content_type, const char *body, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
	    len, (void *)body, MHD_RESPMEM_MUST_COPY);

	if (resp == NULL) {
		/* Out of memory: an empty 500 is all we can say. */
		resp = MHD_create_response_from_buffer(
		    0, (void *)"", MHD_RESPMEM_PERSISTENT);
		status = 500;
	}
	if (resp == NULL)
		return;
	MHD_add_response_header(resp, "Content-Type", content_type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	r->response = resp;
	r->status = status;
	if (r->suspended) {
		r->suspended = false;
		MHD_resume_connection(r->conn);
		kick(r->h);
	}
}

/* ---- setup ------------------------------------------------------------- */

int
exporter_http_parse_listen(const char *s, char *addr, size_t addrlen, int *port,
    char *err, size_t errlen)
{
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2], *end;
	size_t hl;
	long p;
	unsigned char bin[16];

	if (colon == NULL || colon[1] == '\0')
		goto bad;
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || p < 0 || p > 65535 || colon[1] == '-' ||
	    colon[1] == '+')
		goto bad;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		memmove(host, host + 1, hl - 1);
		if (inet_pton(AF_INET6, host, bin) != 1)
			goto bad;
	} else if (hl == 0) {
		snprintf(host, sizeof(host), "::");
	} else if (strcmp(host, "localhost") == 0) {
		snprintf(host, sizeof(host), "127.0.0.1");
	} else if (inet_pton(AF_INET, host, bin) != 1) {
		goto bad;
	}
	snprintf(addr, addrlen, "%s", host);
	*port = (int)p;
	return 0;
bad:
	snprintf(err, errlen,
	    "invalid listen address \"%.100s\" (ADDR:PORT, [IPv6]:PORT or "
	    ":PORT)",
	    s);
	return -1;
}

static struct MHD_Daemon *
start_daemon(exporter_http *h, const struct sockaddr *sa, unsigned flags)
{
	const exporter_http_params *p = &h->params;

	return MHD_start_daemon(flags, 0, NULL, NULL, on_access, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, MHD_OPTION_SOCK_ADDR, sa,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
	    MHD_OPTION_CONNECTION_LIMIT, p->max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, p->idle_timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, h, MHD_OPTION_NOTIFY_COMPLETED,
	    on_completed, h, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
	    MHD_OPTION_END);
}

int
exporter_http_new(struct ev_loop *loop, const exporter_http_params *params,
    exporter_http **out, char *bound, size_t boundlen, char *err, size_t errlen)
{
	exporter_http *h;
	char addr[INET6_ADDRSTRLEN + 2];
	int port;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const struct sockaddr *sa;
	unsigned flags =
	    MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	bool v6;

	*out = NULL;
	if (exporter_http_parse_listen(
	        params->listen, addr, sizeof(addr), &port, err, errlen) != 0)
		return -1;
	v6 = strchr(addr, ':') != NULL;
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (v6) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &sin6.sin6_addr);
		sa = (const struct sockaddr *)&sin6;
		flags |=
		    strcmp(addr, "::") == 0 ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	} else {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, addr, &sin.sin_addr);
		sa = (const struct sockaddr *)&sin;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->loop = loop;
	h->params = *params;
	ev_init(&h->header_timer, on_header_timer);
	h->header_timer.data = h;
	if ((h->d = start_daemon(h, sa, flags)) == NULL) {
		snprintf(err, errlen,
		    "cannot listen on %s (in use, or not "
		    "an address of this host?)",
		    params->listen);
		free(h);
		return -1;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	ev_io_init(&h->io, on_io, info->epoll_fd, EV_READ);
	h->io.data = h;
	ev_io_start(loop, &h->io);
	ev_init(&h->timer, on_timer);
	h->timer.data = h;
	ev_timer_init(&h->kick, on_timer, 0.0, 0.0);
	h->kick.data = h;
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(bound, boundlen, v6 ? "[%s]:%u" : "%s:%u", addr,
	    info ? (unsigned)info->port : (unsigned)port);
	*out = h;
	run(h);
	return 0;
}

void
exporter_http_quiesce(exporter_http *h)
{
	MHD_socket fd = MHD_quiesce_daemon(h->d);

	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	kick(h);
}

void
exporter_http_free(exporter_http *h)
{
	if (h == NULL)
		return;
	ev_io_stop(h->loop, &h->io);
	MHD_stop_daemon(h->d);
	/* After MHD: closing its connections kicks the loop again. */
	ev_timer_stop(h->loop, &h->timer);
	ev_timer_stop(h->loop, &h->kick);
	ev_timer_stop(h->loop, &h->header_timer);
	free(h);
}
