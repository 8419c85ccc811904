/*
 * test_probe_engine.c -- the probe engine's error paths, without the lab:
 * setup refused (bad resolver address, missing trust anchor), a resolver
 * that never answers (the deadline ends every probe, each done callback
 * runs exactly once), a resolver port where nothing listens (a probe
 * error, not the domain's fault), and freeing the engine with probes in
 * flight (no callback, no leak under ASan; a new engine on the same loop
 * works).  Only loopback addresses of this host are used.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe/probe_engine.h"
#include "util/ev_compat.h"

/* Any well-formed DNSKEY will do: nothing here validates anything. */
static const char anchor_rr[] =
    "victim.test.\tIN\tDNSKEY\t257 3 13 3J+SjelyjCNeZ29KmW46wEcoDP9+3kPrJ7rX"
    "dW7ps6UlMAWYQuz6r0hdJB8PVpDNYWnSTYb3V9CzN6dz67Gv2A==\n";

static char anchor_path[64];
static int silent_udp = -1, silent_tcp = -1;
static struct ev_loop *loop;

static void
write_anchor(void)
{
	int fd;

	snprintf(anchor_path, sizeof(anchor_path), "/tmp/anchor.XXXXXX");
	fd = mkstemp(anchor_path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, anchor_rr, sizeof(anchor_rr) - 1),
	    (ssize_t)(sizeof(anchor_rr) - 1));
	close(fd);
}

static void
setup(void)
{
	write_anchor();
	loop = ev_loop_new(EVFLAG_AUTO);
	cr_assert_not_null(loop);
}

static void
teardown(void)
{
	if (silent_udp >= 0)
		close(silent_udp);
	if (silent_tcp >= 0)
		close(silent_tcp);
	silent_udp = silent_tcp = -1;
	ev_loop_destroy(loop);
	unlink(anchor_path);
}

/* A socket of `type` bound to 127.0.0.1:port (0: any); returns its port. */
static int
bind_loopback(int type, int port, int *fd)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	*fd = socket(AF_INET, type, 0);
	cr_assert_geq(*fd, 0);
	cr_assert_eq(bind(*fd, (struct sockaddr *)&sin, sizeof(sin)), 0,
	    "bind 127.0.0.1:%d", port);
	cr_assert_eq(getsockname(*fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/* "127.0.0.1@PORT" of a resolver that reads and never answers: a UDP
 * socket nobody reads and a TCP listener that never accepts. */
static void
silent_resolver(char *buf, size_t len)
{
	int port = bind_loopback(SOCK_DGRAM, 0, &silent_udp);

	bind_loopback(SOCK_STREAM, port, &silent_tcp);
	cr_assert_eq(listen(silent_tcp, 16), 0);
	snprintf(buf, len, "127.0.0.1@%d", port);
}

/* "127.0.0.1@PORT" where nothing listens (a port just given back). */
static void
closed_resolver(char *buf, size_t len)
{
	int fd, port = bind_loopback(SOCK_DGRAM, 0, &fd);

	close(fd);
	snprintf(buf, len, "127.0.0.1@%d", port);
}

static probe_config
config(double timeout)
{
	probe_config c = {
		.helo_name = "probe.test",
		.port = 25,
		.use_ipv4 = true,
		.use_ipv6 = true,
		.timeout = timeout,
		.phase_timeout = timeout,
		.expiry = { .warn_days = -1, .crit_days = -1 },
	};

	return c;
}

typedef struct done_log {
	size_t calls;
	probe_domain *res;
} done_log;

static void
on_done(probe_domain *res, void *arg)
{
	done_log *l = arg;

	l->calls++;
	if (l->res != NULL)
		probe_domain_free(l->res); /* a second call: counted, freed */
	l->res = res;
}

static void
run_until_idle(probe_engine *e)
{
	while (probe_engine_running(e) > 0)
		ev_run(loop, EVRUN_ONCE);
}

TestSuite(probe_engine, .init = setup, .fini = teardown, .timeout = 20);

Test(probe_engine, new_refuses_a_bad_resolver_address)
{
	probe_config c = config(1.0);
	dns_resolver_config d = { .resolver = "not an address",
		.trust_anchor_file = anchor_path };
	probe_engine *e = (probe_engine *)&c; /* must be reset to NULL */
	char err[256] = "";

	cr_assert_eq(probe_engine_new(loop, &c, &d, &e, err, sizeof(err)), -1);
	cr_assert_null(e);
	cr_assert_neq(err[0], '\0', "a reason is given");
}

Test(probe_engine, new_refuses_a_missing_trust_anchor)
{
	probe_config c = config(1.0);
	dns_resolver_config d = { .resolver = "127.0.0.1",
		.trust_anchor_file = "/nonexistent/anchor.key" };
	probe_engine *e = NULL;
	char err[256] = "";

	cr_assert_eq(probe_engine_new(loop, &c, &d, &e, err, sizeof(err)), -1);
	cr_assert_null(e);
	cr_assert_neq(err[0], '\0');
}

/* A resolver that never answers: the deadline (timeout + grace) ends
 * every probe, domains and a host alike, each callback exactly once. */
Test(probe_engine, silent_resolver_ends_each_probe_once_at_the_deadline)
{
	probe_config c = config(0.4);
	char addr[64];
	dns_resolver_config d = { .trust_anchor_file = anchor_path,
		.timeout_ms = 10000 };
	const char *names[] = { "a.example", "b.example", "a.example" };
	done_log logs[4];
	probe_engine *e;
	char err[256];
	double t0;

	silent_resolver(addr, sizeof(addr));
	d.resolver = addr;
	memset(logs, 0, sizeof(logs));
	cr_assert_eq(probe_engine_new(loop, &c, &d, &e, err, sizeof(err)), 0,
	    "%s", err);
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(probe_engine_start(e, names[i], on_done, &logs[i],
		                 err, sizeof(err)),
		    0, "%s", err);
	cr_assert_eq(probe_engine_start_host(e, "mx.example", on_done,
	                 &logs[3], err, sizeof(err)),
	    0, "%s", err);
	cr_assert_eq(probe_engine_running(e), 4);
	t0 = ev_now(loop);
	run_until_idle(e);
	cr_expect_geq(ev_now(loop) - t0, 0.4, "not before the deadline");
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(logs[i].calls, 1, "%s: %zu calls", names[i],
		    logs[i].calls);
		cr_expect_str_eq(logs[i].res->domain, names[i]);
		cr_expect_eq(logs[i].res->kind, DOMAIN_LOOKUP_FAILED);
		cr_expect_eq(logs[i].res->severity, SEVERITY_UNKNOWN);
		cr_expect(logs[i].res->timed_out);
		cr_expect_not(logs[i].res->probe_error);
		cr_expect_not_null(strstr(logs[i].res->summary,
		    "MX lookup did not complete within 0.4 s"), "%s",
		    logs[i].res->summary);
		probe_domain_free(logs[i].res);
	}
	cr_assert_eq(logs[3].calls, 1);
	cr_assert_eq(logs[3].res->n_hosts, 1);
	cr_expect_eq(logs[3].res->hosts[0].policy.level, DANE_LEVEL_FAIL);
	cr_expect_str_eq(logs[3].res->hosts[0].policy.reason,
	    "DNS lookups for mx.example did not complete within 0.4 s");
	cr_expect_eq(logs[3].res->severity, SEVERITY_CRITICAL);
	probe_domain_free(logs[3].res);
	/* The lookups still pending are cancelled: no callback, no leak. */
	probe_engine_free(e);
	for (size_t i = 0; i < 4; i++)
		cr_expect_eq(logs[i].calls, 1, "still once after the free");
}

/* Nothing listens at the resolver's port: the prober's outage, reported
 * as a probe error (UNKNOWN), never as the domain's failure. */
Test(probe_engine, closed_resolver_port_is_a_probe_error)
{
	probe_config c = config(3.0);
	char addr[64];
	dns_resolver_config d = { .trust_anchor_file = anchor_path,
		.timeout_ms = 1000 };
	done_log log = { 0 };
	probe_engine *e;
	char err[256];

	closed_resolver(addr, sizeof(addr));
	d.resolver = addr;
	cr_assert_eq(probe_engine_new(loop, &c, &d, &e, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(probe_engine_start(e, "c.example", on_done, &log, err,
	                 sizeof(err)),
	    0, "%s", err);
	run_until_idle(e);
	cr_assert_eq(log.calls, 1);
	cr_expect(log.res->probe_error, "summary: %s", log.res->summary);
	cr_expect_eq(log.res->severity, SEVERITY_UNKNOWN);
	cr_expect_eq(log.res->dane_status, DANE_STATUS_UNKNOWN);
	cr_expect_not_null(strstr(log.res->summary,
	    "c.example: not checked, DNS unreachable from here (c.example MX)"),
	    "%s", log.res->summary);
	probe_domain_free(log.res);
	probe_engine_free(e);
}

/* Freed with probes in flight: their callbacks never run; a new engine on
 * the same loop starts and finishes its own probe. */
Test(probe_engine, free_with_probes_running_then_start_again)
{
	probe_config c = config(0.3);
	char addr[64];
	dns_resolver_config d = { .trust_anchor_file = anchor_path,
		.timeout_ms = 10000 };
	done_log gone[2], again;
	probe_engine *e;
	char err[256];

	silent_resolver(addr, sizeof(addr));
	d.resolver = addr;
	memset(gone, 0, sizeof(gone));
	memset(&again, 0, sizeof(again));
	cr_assert_eq(probe_engine_new(loop, &c, &d, &e, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(probe_engine_start(e, "x.example", on_done, &gone[0], err,
	                 sizeof(err)),
	    0);
	cr_assert_eq(probe_engine_start_host(e, "mx.x.example", on_done,
	                 &gone[1], err, sizeof(err)),
	    0);
	ev_run(loop, EVRUN_NOWAIT); /* the lookups are on their way */
	probe_engine_free(e);
	ev_run(loop, EVRUN_NOWAIT);
	cr_assert_eq(gone[0].calls, 0);
	cr_assert_eq(gone[1].calls, 0);
	cr_assert_eq(probe_engine_new(loop, &c, &d, &e, err, sizeof(err)), 0,
	    "%s", err);
	cr_assert_eq(probe_engine_start(e, "y.example", on_done, &again, err,
	                 sizeof(err)),
	    0);
	run_until_idle(e);
	cr_assert_eq(again.calls, 1);
	cr_expect_str_eq(again.res->domain, "y.example");
	cr_expect(again.res->timed_out);
	probe_domain_free(again.res);
	probe_engine_free(e);
}
