/*
 * latrelay -- the internet's latency for the lab, in user space (this
 * kernel has no netem).  It listens on lab addresses in front of the lab's
 * SMTP servers and name servers and holds every byte (TCP) or datagram
 * (UDP) for half the round-trip time in each direction.
 *
 *   latrelay [--pidfile FILE] [--stats FILE]
 *            [--rtt MS] [--pause MS] [--pause-every K] [--cap N]
 *            --tcp LISTEN=UPSTREAM | --udp LISTEN=UPSTREAM ...
 *
 * LISTEN and UPSTREAM are A.B.C.D[+COUNT]:PORT: COUNT more consecutive
 * addresses after the first (x.x.x.0 and x.x.x.255 skipped), so one option
 * can put 10,000 listening addresses in front of 20 servers: the i-th
 * listening address relays to upstream address i mod (its COUNT + 1).
 * --rtt, --pause, --pause-every and --cap apply to the --tcp/--udp options
 * that follow them, so listeners can differ (0, 20, 80, 250 ms...).
 *
 * TCP: the client's connect() returns at once (the kernel answers it), but
 * the relay connects upstream only 1.5 RTT later, as the server of a real
 * path learns of a connection when the client's ACK arrives; so the first
 * byte the client reads (an SMTP banner) arrives 2 RTT after its connect(),
 * as on a real path, and every exchange after that takes one RTT.
 *
 * --pause MS: postscreen's greeting pause, MS more before the upstream
 * connect (so before the banner) on every K-th listening address of a range
 * (--pause-every K, default 1: all of them; 10 gives 10% of the hosts).
 *
 * --cap N: at most N sessions at once from one client address to one
 * listening address; beyond that the client gets "421 4.7.0 Too many
 * connections" (after the usual 2 RTT) and the connection closes, as
 * Postfix's smtpd_client_connection_count_limit does.
 *
 * --stats FILE: "sessions=S peak=P rejected=R datagrams=D" per listener
 * address on SIGUSR1 and at exit (for the benchmark and the tests).
 *
 * UDP: each client address+port gets its own upstream socket (so replies
 * find their way back); idle ones are closed after 30 s.
 *
 * The pidfile is written once every listener is bound: its existence means
 * ready.  SIGTERM or SIGINT: close everything, remove the pidfile, exit.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/ev_compat.h"

/* Stop reading a side when this much of it waits in the relay. */
#define QUEUE_LIMIT (256 * 1024)
#define UDP_IDLE 30.0
#define UDP_BUCKETS 4096
#define REJECT_TEXT "421 4.7.0 Too many connections from your address\r\n"

enum proto { PROTO_TCP, PROTO_UDP };

/* Bytes (or one datagram) held until `due`; eof: the sender's FIN. */
struct chunk {
	struct chunk *next;
	ev_tstamp due;
	size_t len, off;
	bool eof;
	struct usess *us; /* UDP: the session it belongs to */
	bool to_client;   /* UDP: direction */
	unsigned char data[];
};

struct client_count {
	struct client_count *next;
	uint32_t ip;
	int n;
};

struct listener {
	struct listener *next;
	enum proto proto;
	int fd;
	struct sockaddr_in addr, upstream;
	double half, pause; /* seconds */
	int cap;
	ev_io io;
	struct client_count *counts;
	struct chunk *head, *tail; /* UDP: both directions, one delay: FIFO */
	ev_timer tm;
	unsigned long sessions, peak, active, rejected, datagrams;
};

struct session;

/* One direction of a TCP session. */
struct dir {
	struct session *s;
	int *from, *to;
	struct chunk *head, *tail;
	size_t queued;
	bool eof_read, shut;
	ev_io rd, wr;
	ev_timer tm;
};

struct session {
	struct listener *l;
	int cfd, ufd;
	uint32_t client_ip;
	bool connected, rejected;
	struct dir up, down; /* up: client -> server */
	ev_timer start;
	ev_io conn;
};

struct usess {
	struct usess *next;
	struct listener *l;
	struct sockaddr_in client;
	int fd;
	ev_io io;
	ev_tstamp last;
	int pending;
};

static struct ev_loop *loop;
static struct listener *listeners;
static struct usess *ubuckets[UDP_BUCKETS];
static const char *stats_path;

static void dir_pump(struct dir *d);

static struct chunk *chunk_new(const void *data, size_t len, ev_tstamp due)
{
	struct chunk *c = calloc(1, sizeof *c + len);
	if (c == NULL)
		return NULL;
	memcpy(c->data, data, len);
	c->len = len;
	c->due = due;
	return c;
}

/* ------------------------------------------------------------ counting */

static struct client_count *count_of(struct listener *l, uint32_t ip)
{
	struct client_count *c;
	for (c = l->counts; c != NULL; c = c->next)
		if (c->ip == ip)
			return c;
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->ip = ip;
	c->next = l->counts;
	l->counts = c;
	return c;
}

static void write_stats(void)
{
	if (stats_path == NULL)
		return;
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", stats_path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		return;
	for (struct listener *l = listeners; l != NULL; l = l->next) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &l->addr.sin_addr, a, sizeof a);
		fprintf(f, "%s %s:%u sessions=%lu peak=%lu rejected=%lu datagrams=%lu\n",
			l->proto == PROTO_TCP ? "tcp" : "udp", a, ntohs(l->addr.sin_port),
			l->sessions, l->peak, l->rejected, l->datagrams);
	}
	fclose(f);
	rename(tmp, stats_path);
}

/* ----------------------------------------------------------------- TCP */

static void chunks_free(struct chunk *c)
{
	while (c != NULL) {
		struct chunk *n = c->next;
		free(c);
		c = n;
	}
}

static void dir_stop(struct dir *d)
{
	ev_io_stop(loop, &d->rd);
	ev_io_stop(loop, &d->wr);
	ev_timer_stop(loop, &d->tm);
	chunks_free(d->head);
	d->head = d->tail = NULL;
}

static void session_close(struct session *s)
{
	dir_stop(&s->up);
	dir_stop(&s->down);
	ev_timer_stop(loop, &s->start);
	ev_io_stop(loop, &s->conn);
	if (s->cfd >= 0)
		close(s->cfd);
	if (s->ufd >= 0)
		close(s->ufd);
	if (!s->rejected) {
		struct client_count *c = count_of(s->l, s->client_ip);
		if (c != NULL && c->n > 0)
			c->n--;
		s->l->active--;
	}
	free(s);
}

static void dir_push(struct dir *d, struct chunk *c)
{
	if (d->tail != NULL)
		d->tail->next = c;
	else
		d->head = c;
	d->tail = c;
	d->queued += c->len;
}

static void dir_rearm_read(struct dir *d)
{
	bool want = !d->eof_read && d->queued < QUEUE_LIMIT && *d->from >= 0;
	if (want && !ev_is_active(&d->rd)) {
		ev_io_set(&d->rd, *d->from, EV_READ);
		ev_io_start(loop, &d->rd);
	} else if (!want) {
		ev_io_stop(loop, &d->rd);
	}
}

/* Both FINs delivered: the session is over. */
static bool session_done(struct session *s)
{
	if (s->up.shut && s->down.shut) {
		session_close(s);
		return true;
	}
	return false;
}

/* Deliver what is due, arm the timer for the rest. */
static void dir_pump(struct dir *d)
{
	struct session *s = d->s;
	ev_timer_stop(loop, &d->tm);
	while (d->head != NULL && d->head->due <= ev_now(loop) + 0.0005) {
		if (!s->connected && d == &s->up)
			return; /* written once the upstream connect completes */
		struct chunk *c = d->head;
		if (c->eof) {
			shutdown(*d->to, SHUT_WR);
			d->shut = true;
			d->head = c->next;
			if (d->head == NULL)
				d->tail = NULL;
			free(c);
			if (session_done(s))
				return;
			continue;
		}
		ssize_t n = write(*d->to, c->data + c->off, c->len - c->off);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_set(&d->wr, *d->to, EV_WRITE);
			ev_io_start(loop, &d->wr);
			return;
		}
		if (n < 0) {
			session_close(s); /* a reset passes through at once */
			return;
		}
		c->off += (size_t)n;
		d->queued -= (size_t)n;
		if (c->off < c->len) {
			ev_io_set(&d->wr, *d->to, EV_WRITE);
			ev_io_start(loop, &d->wr);
			return;
		}
		d->head = c->next;
		if (d->head == NULL)
			d->tail = NULL;
		free(c);
	}
	ev_io_stop(loop, &d->wr);
	if (d->head != NULL) {
		ev_timer_set(&d->tm, d->head->due - ev_now(loop), 0.);
		ev_timer_start(loop, &d->tm);
	}
	dir_rearm_read(d);
}

static void on_dir_timer(EV_P_ ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	dir_pump(w->data);
}

static void on_dir_writable(EV_P_ ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct dir *d = w->data;
	ev_io_stop(EV_A_ w);
	dir_pump(d);
}

static void on_dir_readable(EV_P_ ev_io *w, int revents)
{
	(void)revents;
	struct dir *d = w->data;
	unsigned char buf[16384];
	ssize_t n = read(*d->from, buf, sizeof buf);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n < 0) {
		session_close(d->s);
		return;
	}
	struct chunk *c = chunk_new(buf, (size_t)n, ev_now(EV_A) + d->s->l->half);
	if (c == NULL) {
		session_close(d->s);
		return;
	}
	if (n == 0) {
		c->eof = true;
		d->eof_read = true;
	}
	if (d->s->rejected) {
		free(c); /* what a rejected client says is dropped */
		if (n == 0)
			ev_io_stop(EV_A_ w);
		return;
	}
	dir_push(d, c);
	dir_pump(d);
}

static void dir_init(struct dir *d, struct session *s, int *from, int *to)
{
	d->s = s;
	d->from = from;
	d->to = to;
	ev_io_init(&d->rd, on_dir_readable, -1, EV_READ);
	ev_io_init(&d->wr, on_dir_writable, -1, EV_WRITE);
	ev_timer_init(&d->tm, on_dir_timer, 0., 0.);
	d->rd.data = d->wr.data = d->tm.data = d;
}

static void on_upstream_connected(EV_P_ ev_io *w, int revents)
{
	(void)revents;
	struct session *s = w->data;
	int err = 0;
	socklen_t len = sizeof err;
	ev_io_stop(EV_A_ w);
	if (getsockopt(s->ufd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
		session_close(s); /* the client sees its connection closed */
		return;
	}
	s->connected = true;
	dir_rearm_read(&s->down);
	dir_pump(&s->up);
}

/* 1.5 RTT (+ pause) after accept: the server learns of the connection. */
static void on_session_start(EV_P_ ev_timer *w, int revents)
{
	(void)revents;
	struct session *s = w->data;
	if (s->rejected) {
		struct chunk *c = chunk_new(REJECT_TEXT, strlen(REJECT_TEXT),
					    ev_now(EV_A) + s->l->half);
		struct chunk *e = chunk_new("", 0, ev_now(EV_A) + s->l->half);
		if (c == NULL || e == NULL) {
			free(c);
			free(e);
			session_close(s);
			return;
		}
		e->eof = true;
		dir_push(&s->down, c);
		dir_push(&s->down, e);
		dir_pump(&s->down);
		return;
	}
	s->ufd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s->ufd < 0) {
		session_close(s);
		return;
	}
	if (connect(s->ufd, (struct sockaddr *)&s->l->upstream, sizeof s->l->upstream) < 0 &&
	    errno != EINPROGRESS) {
		session_close(s);
		return;
	}
	ev_io_init(&s->conn, on_upstream_connected, s->ufd, EV_WRITE);
	s->conn.data = s;
	ev_io_start(EV_A_ & s->conn);
}

static void on_tcp_accept(EV_P_ ev_io *w, int revents)
{
	(void)revents;
	struct listener *l = w->data;
	struct sockaddr_in peer;
	socklen_t plen = sizeof peer;
	int fd = accept4(l->fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK);
	if (fd < 0)
		return;
	struct session *s = calloc(1, sizeof *s);
	struct client_count *cc = count_of(l, peer.sin_addr.s_addr);
	if (s == NULL || cc == NULL) {
		free(s);
		close(fd);
		return;
	}
	s->l = l;
	s->cfd = fd;
	s->ufd = -1;
	s->client_ip = peer.sin_addr.s_addr;
	if (l->cap > 0 && cc->n >= l->cap) {
		s->rejected = true;
		l->rejected++;
	} else {
		cc->n++;
		l->sessions++;
		if (++l->active > l->peak)
			l->peak = l->active;
	}
	dir_init(&s->up, s, &s->cfd, &s->ufd);
	dir_init(&s->down, s, &s->ufd, &s->cfd);
	/* A rejected session ends when its 421 and FIN are out. */
	s->up.shut = s->rejected;
	dir_rearm_read(&s->up);
	double wait = 3 * l->half + (s->rejected ? 0 : l->pause);
	ev_timer_init(&s->start, on_session_start, wait, 0.);
	s->start.data = s;
	ev_timer_start(EV_A_ & s->start);
}

/* ----------------------------------------------------------------- UDP */

static unsigned ubucket(const struct listener *l, const struct sockaddr_in *a)
{
	uintptr_t h = (uintptr_t)l ^ a->sin_addr.s_addr ^ ((uint32_t)a->sin_port << 16);
	return (unsigned)((h * 2654435761u) >> 7) % UDP_BUCKETS;
}

static void udp_push(struct listener *l, struct chunk *c)
{
	if (l->tail != NULL)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	c->us->pending++;
	if (!ev_is_active(&l->tm)) {
		ev_timer_set(&l->tm, c->due - ev_now(loop), 0.);
		ev_timer_start(loop, &l->tm);
	}
}

static void on_udp_due(EV_P_ ev_timer *w, int revents)
{
	(void)revents;
	struct listener *l = w->data;
	while (l->head != NULL && l->head->due <= ev_now(EV_A) + 0.0005) {
		struct chunk *c = l->head;
		l->head = c->next;
		if (l->head == NULL)
			l->tail = NULL;
		if (c->to_client)
			sendto(l->fd, c->data, c->len, 0, (struct sockaddr *)&c->us->client,
			       sizeof c->us->client);
		else
			send(c->us->fd, c->data, c->len, 0);
		c->us->pending--;
		free(c);
	}
	if (l->head != NULL) {
		ev_timer_set(w, l->head->due - ev_now(EV_A), 0.);
		ev_timer_start(EV_A_ w);
	}
}

static void on_udp_reply(EV_P_ ev_io *w, int revents)
{
	(void)revents;
	struct usess *us = w->data;
	unsigned char buf[65536];
	ssize_t n = recv(us->fd, buf, sizeof buf, 0);
	if (n < 0)
		return;
	struct chunk *c = chunk_new(buf, (size_t)n, ev_now(EV_A) + us->l->half);
	if (c == NULL)
		return;
	c->us = us;
	c->to_client = true;
	us->last = ev_now(EV_A);
	udp_push(us->l, c);
}

static struct usess *usess_get(struct listener *l, const struct sockaddr_in *from)
{
	unsigned b = ubucket(l, from);
	struct usess *us;
	for (us = ubuckets[b]; us != NULL; us = us->next)
		if (us->l == l && us->client.sin_addr.s_addr == from->sin_addr.s_addr &&
		    us->client.sin_port == from->sin_port)
			return us;
	us = calloc(1, sizeof *us);
	if (us == NULL)
		return NULL;
	us->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (us->fd < 0 ||
	    connect(us->fd, (struct sockaddr *)&l->upstream, sizeof l->upstream) < 0) {
		if (us->fd >= 0)
			close(us->fd);
		free(us);
		return NULL;
	}
	us->l = l;
	us->client = *from;
	ev_io_init(&us->io, on_udp_reply, us->fd, EV_READ);
	us->io.data = us;
	ev_io_start(loop, &us->io);
	us->next = ubuckets[b];
	ubuckets[b] = us;
	l->sessions++;
	return us;
}

static void on_udp_query(EV_P_ ev_io *w, int revents)
{
	(void)revents;
	struct listener *l = w->data;
	unsigned char buf[65536];
	struct sockaddr_in from;
	socklen_t flen = sizeof from;
	ssize_t n = recvfrom(l->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
	if (n < 0 || flen != sizeof from)
		return;
	struct usess *us = usess_get(l, &from);
	if (us == NULL)
		return;
	struct chunk *c = chunk_new(buf, (size_t)n, ev_now(EV_A) + l->half);
	if (c == NULL)
		return;
	c->us = us;
	us->last = ev_now(EV_A);
	l->datagrams++;
	udp_push(l, c);
}

/* Close UDP sessions idle for UDP_IDLE seconds with nothing in flight. */
static void on_udp_sweep(EV_P_ ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	for (unsigned b = 0; b < UDP_BUCKETS; b++) {
		struct usess **pp = &ubuckets[b];
		while (*pp != NULL) {
			struct usess *us = *pp;
			if (us->pending == 0 && ev_now(EV_A) - us->last > UDP_IDLE) {
				*pp = us->next;
				ev_io_stop(EV_A_ & us->io);
				close(us->fd);
				free(us);
			} else {
				pp = &us->next;
			}
		}
	}
}

/* ------------------------------------------------------------- set-up */

/* A.B.C.D[+COUNT]:PORT -> first address, count (>= 1), port. */
static int parse_range(const char *spec, struct in_addr *first, unsigned *count, unsigned *port)
{
	char host[64];
	const char *colon = strrchr(spec, ':');
	if (colon == NULL || (size_t)(colon - spec) >= sizeof host)
		return -1;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	*count = 1;
	char *plus = strchr(host, '+');
	if (plus != NULL) {
		*plus = '\0';
		char *end;
		unsigned long more = strtoul(plus + 1, &end, 10);
		if (*end != '\0' || more > 100000)
			return -1;
		*count = (unsigned)more + 1;
	}
	char *end;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || p == 0 || p > 65535 || inet_pton(AF_INET, host, first) != 1)
		return -1;
	*port = (unsigned)p;
	return 0;
}

/* The i-th address of a range, skipping x.x.x.0 and x.x.x.255. */
static struct in_addr nth_addr(struct in_addr first, unsigned i)
{
	uint32_t a = ntohl(first.s_addr);
	for (unsigned k = 0; k < i; k++) {
		a++;
		while ((a & 0xff) == 0 || (a & 0xff) == 0xff)
			a++;
	}
	struct in_addr r = {htonl(a)};
	return r;
}

struct opts {
	double rtt_ms, pause_ms;
	unsigned pause_every;
	int cap;
};

static int bind_listener(struct listener *l)
{
	int type = l->proto == PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
	int one = 1;
	l->fd = socket(AF_INET, type | SOCK_NONBLOCK, 0);
	if (l->fd < 0)
		return -1;
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(l->fd, (struct sockaddr *)&l->addr, sizeof l->addr) < 0)
		return -1;
	if (l->proto == PROTO_TCP && listen(l->fd, 1024) < 0)
		return -1;
	if (l->proto == PROTO_TCP)
		ev_io_init(&l->io, on_tcp_accept, l->fd, EV_READ);
	else
		ev_io_init(&l->io, on_udp_query, l->fd, EV_READ);
	l->io.data = l;
	ev_timer_init(&l->tm, on_udp_due, 0., 0.);
	l->tm.data = l;
	ev_io_start(loop, &l->io);
	return 0;
}

static int add_listeners(enum proto proto, const char *arg, const struct opts *o)
{
	char spec[256];
	snprintf(spec, sizeof spec, "%s", arg);
	char *eq = strchr(spec, '=');
	struct in_addr la, ua;
	unsigned lcount, ucount, lport, uport;
	if (eq == NULL)
		return -1;
	*eq = '\0';
	if (parse_range(spec, &la, &lcount, &lport) < 0 ||
	    parse_range(eq + 1, &ua, &ucount, &uport) < 0)
		return -1;
	for (unsigned i = 0; i < lcount; i++) {
		struct listener *l = calloc(1, sizeof *l);
		if (l == NULL)
			return -1;
		l->proto = proto;
		l->addr.sin_family = l->upstream.sin_family = AF_INET;
		l->addr.sin_addr = nth_addr(la, i);
		l->addr.sin_port = htons((uint16_t)lport);
		l->upstream.sin_addr = nth_addr(ua, i % ucount);
		l->upstream.sin_port = htons((uint16_t)uport);
		l->half = o->rtt_ms / 2000.;
		l->pause = (o->pause_every > 0 && i % o->pause_every == 0) ? o->pause_ms / 1000. : 0;
		l->cap = o->cap;
		l->next = listeners;
		listeners = l;
		if (bind_listener(l) < 0) {
			char a[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &l->addr.sin_addr, a, sizeof a);
			fprintf(stderr, "latrelay: %s:%u: %s\n", a, lport, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void on_stop(EV_P_ ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(EV_A_ EVBREAK_ALL);
}

static void on_usr1(EV_P_ ev_signal *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	write_stats();
}

static void usage(void)
{
	fputs("usage: latrelay [--pidfile FILE] [--stats FILE] [--rtt MS] [--pause MS]\n"
	      "                [--pause-every K] [--cap N]\n"
	      "                --tcp|--udp A.B.C.D[+N]:PORT=A.B.C.D[+M]:PORT ...\n",
	      stderr);
}

/*
 * Room for one descriptor per listener and two per session: 10,000
 * listening addresses and thousands of sessions pass a usual hard limit of
 * 20,000.  Root may raise the hard limit; others get their hard limit.
 */
static void raise_fd_limit(void)
{
	struct rlimit r, want = {1 << 18, 1 << 18};
	if (getrlimit(RLIMIT_NOFILE, &r) != 0)
		return;
	if (r.rlim_max < want.rlim_max && setrlimit(RLIMIT_NOFILE, &want) == 0)
		return;
	r.rlim_cur = r.rlim_max;
	setrlimit(RLIMIT_NOFILE, &r);
}

static int parse_args(int argc, char **argv, const char **pidfile)
{
	static const struct option lo[] = {
		{"pidfile", required_argument, 0, 'p'}, {"stats", required_argument, 0, 's'},
		{"rtt", required_argument, 0, 'r'},     {"pause", required_argument, 0, 'g'},
		{"pause-every", required_argument, 0, 'k'}, {"cap", required_argument, 0, 'c'},
		{"tcp", required_argument, 0, 't'},     {"udp", required_argument, 0, 'u'},
		{"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
	struct opts o = {0, 0, 1, 0};
	int ch, n = 0;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'p': *pidfile = optarg; break;
		case 's': stats_path = optarg; break;
		case 'r': o.rtt_ms = atof(optarg); break;
		case 'g': o.pause_ms = atof(optarg); break;
		case 'k': o.pause_every = (unsigned)atoi(optarg); break;
		case 'c': o.cap = atoi(optarg); break;
		case 't':
		case 'u':
			if (add_listeners(ch == 't' ? PROTO_TCP : PROTO_UDP, optarg, &o) < 0) {
				fprintf(stderr, "latrelay: cannot listen as %s\n", optarg);
				return -1;
			}
			n++;
			break;
		default: usage(); return -1;
		}
	}
	if (n == 0 || optind != argc) {
		usage();
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *pidfile = NULL;
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	loop = ev_default_loop(0);
	if (parse_args(argc, argv, &pidfile) < 0)
		return 2;
	ev_signal sterm, sint, susr1;
	ev_timer sweep;
	ev_signal_init(&sterm, on_stop, SIGTERM);
	ev_signal_init(&sint, on_stop, SIGINT);
	ev_signal_init(&susr1, on_usr1, SIGUSR1);
	ev_timer_init(&sweep, on_udp_sweep, 10., 10.);
	ev_signal_start(loop, &sterm);
	ev_signal_start(loop, &sint);
	ev_signal_start(loop, &susr1);
	ev_timer_start(loop, &sweep);
	if (pidfile != NULL) {
		FILE *f = fopen(pidfile, "w");
		if (f == NULL) {
			perror(pidfile);
			return 1;
		}
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}
	ev_run(loop, 0);
	write_stats();
	if (pidfile != NULL)
		unlink(pidfile);
	return 0;
}
