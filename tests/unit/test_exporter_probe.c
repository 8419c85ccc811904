/*
 * test_exporter_probe.c -- what /probe accepts (target, module, the scrape
 * timeout), and the scheduler behind it: a scrape of a running probe joins
 * it, a recent result is served again, the bound on probes in flight
 * refuses the next one, and a reload that fails keeps the modules in
 * force.  The probes go to a resolver on 127.0.0.1 port 1, where nothing
 * answers: each ends at its deadline.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporter/exporter_config.h"
#include "exporter/exporter_http.h"
#include "exporter/exporter_probe.h"
#include "util/ev_compat.h"

static exporter_module defaults = {
	.name = (char *)"default",
	.timeout = 30,
	.use_ipv4 = true,
	.use_ipv6 = true,
	.per_host = 2,
	.helo = (char *)"probe.example",
};

static exporter_config *
config(const char *text)
{
	exporter_config *c = NULL;
	char err[600] = "";

	cr_assert_eq(exporter_config_parse(text, strlen(text), "t.yml",
	                 &defaults, &c, err, sizeof(err)),
	    0, "%s", err);
	return c;
}

Test(exporter_probe, query_checks_target_and_module)
{
	exporter_config *c = config("modules:\n  strict: {}\n");
	static const struct {
		const char *target, *module;
		int status;
		const char *want; /* domain, or the start of the reason */
	} rows[] = {
		{ NULL, NULL, 400, "no target given" },
		{ "", NULL, 400, "no target given" },
		{ "a..b", NULL, 400, "invalid target:" },
		{ "bad domain.example", NULL, 400, "invalid target:" },
		{ ".", NULL, 400, "invalid target:" },
		{ "x\ny.example", NULL, 400, "invalid target:" },
		{ "Mail.Example.", NULL, 0, "mail.example" },
		{ "b\xc3\xbc"
		  "cher.example",
		    "", 0, "xn--bcher-kva.example" },
		{ "mail.example", "strict", 0, "mail.example" },
		{ "mail.example", "nope", 400, "unknown module \"nope\"" },
		{ "mail.example", "a\nb", 400, "unknown module \"a\\x0ab\"" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char domain[256] = "", err[400] = "";
		const exporter_module *m = NULL;
		int rc = exporter_probe_check_query(c, rows[i].target,
		    rows[i].module, domain, sizeof(domain), &m, err,
		    sizeof(err));

		cr_expect_eq(
		    rc, rows[i].status, "row %zu: %d (%s)", i, rc, err);
		if (rc == 0) {
			cr_expect_str_eq(domain, rows[i].want, "row %zu", i);
			cr_expect_str_eq(m->name,
			    rows[i].module && *rows[i].module ? rows[i].module :
			                                        "default");
		} else {
			cr_expect(strncmp(err, rows[i].want,
			              strlen(rows[i].want)) == 0,
			    "row %zu: \"%s\"", i, err);
			cr_expect_null(strchr(err, '\n'), "one line: %s", err);
		}
	}
	exporter_config_free(c);
}

Test(exporter_probe, deadline_is_the_scrape_timeout_less_a_margin)
{
	cr_expect_float_eq(exporter_probe_deadline(NULL, 30), 30, 1e-9);
	cr_expect_float_eq(exporter_probe_deadline("10", 30), 9.5, 1e-9);
	cr_expect_float_eq(exporter_probe_deadline("10", 5), 5, 1e-9);
	cr_expect_float_eq(exporter_probe_deadline("0.8", 30), 0.4, 1e-9);
	cr_expect_float_eq(exporter_probe_deadline("abc", 7), 7, 1e-9);
	cr_expect_float_eq(exporter_probe_deadline("-5", 7), 7, 1e-9);
	cr_expect_float_eq(exporter_probe_deadline("", 7), 7, 1e-9);
}

Test(exporter_probe, listen_addresses_as_prometheus_exporters_take_them)
{
	static const struct {
		const char *in, *addr;
		int port;
	} good[] = { { "127.0.0.1:10025", "127.0.0.1", 10025 },
		{ "[::1]:9", "::1", 9 }, { ":80", "::", 80 },
		{ "localhost:0", "127.0.0.1", 0 } };
	static const char *const worse[] = { "", "127.0.0.1",
		"127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "::1:80",
		"[::1]", "[x]:1", "example.org:80", "1.2.3:80",
		"127.0.0.1:8o" };
	char addr[64], err[200];
	int port;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_expect_eq(exporter_http_parse_listen(good[i].in, addr,
		                 sizeof(addr), &port, err, sizeof(err)),
		    0, "%s: %s", good[i].in, err);
		cr_expect_str_eq(addr, good[i].addr, "%s", good[i].in);
		cr_expect_eq(port, good[i].port, "%s", good[i].in);
	}
	for (size_t i = 0; i < sizeof(worse) / sizeof(worse[0]); i++)
		cr_expect_eq(exporter_http_parse_listen(worse[i], addr,
		                 sizeof(addr), &port, err, sizeof(err)),
		    -1, "accepted \"%s\"", worse[i]);
}

/* ---- the scheduler ------------------------------------------------------ */

static char anchor[] = "/tmp/exporter-anchor-XXXXXX";

static void
make_anchor(void)
{
	static const char key[] =
	    "victim.test.\tIN\tDNSKEY\t257 3 13 3J+SjelyjCNeZ29KmW46wEcoDP9+"
	    "3kPrJ7rXdW7ps6UlMAWYQuz6r0hdJB8PVpDNYWnSTYb3V9CzN6dz67Gv2A==\n";
	int fd = mkstemp(anchor);

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, key, sizeof(key) - 1), (ssize_t)sizeof(key) - 1);
	close(fd);
}

typedef struct answers {
	int n;
	char last[65536];
	struct ev_loop *loop;
	int stop_after;
} answers;

static void
on_answer(exporter_waiter *w, const char *body, size_t len, void *arg)
{
	answers *a = arg;

	(void)w;
	a->n++;
	snprintf(a->last, sizeof(a->last), "%.*s", (int)len, body);
	if (a->n >= a->stop_after)
		ev_break(a->loop, EVBREAK_ALL);
}

typedef struct fixture {
	struct ev_loop *loop;
	exporter_metrics metrics;
	exporter_prober *p;
	exporter_config *cfg;
} fixture;

static void
fixture_up(fixture *f, unsigned max_in_flight)
{
	char text[400], err[400] = "";

	make_anchor();
	snprintf(text, sizeof(text),
	    "modules:\n  default:\n    resolver: 127.0.0.1@1\n"
	    "    trust_anchor: %s\n    min_interval: 30s\n",
	    anchor);
	f->loop = ev_loop_new(EVFLAG_AUTO);
	exporter_metrics_init(&f->metrics);
	exporter_prober_params pp = { .max_in_flight = max_in_flight,
		.max_sessions = 64,
		.metrics = &f->metrics };
	f->p = exporter_prober_new(f->loop, &pp);
	cr_assert_not_null(f->p);
	f->cfg = config(text);
	cr_assert_eq(exporter_prober_configure(f->p, f->cfg, err, sizeof(err)),
	    0, "%s", err);
}

static void
fixture_down(fixture *f)
{
	exporter_prober_free(f->p);
	exporter_config_free(f->cfg);
	ev_loop_destroy(f->loop);
	unlink(anchor);
}

static exporter_start
request(fixture *f, const char *domain, double deadline, exporter_waiter *w,
    answers *a)
{
	const char *body = NULL;
	size_t len = 0;
	char err[400];

	return exporter_prober_request(f->p, domain, &f->cfg->modules[0],
	    deadline, w, on_answer, a, &body, &len, err, sizeof(err));
}

Test(exporter_probe, scrapes_join_a_running_probe_and_the_bound_refuses_more,
    .timeout = 20)
{
	fixture f;
	answers a = { .stop_after = 1000 };
	exporter_waiter w1, w2, w3, w4;
	exporter_config *bad;
	char err[400] = "";

	fixture_up(&f, 1);
	a.loop = f.loop;
	cr_assert_eq(
	    request(&f, "a.example", 5, &w1, &a), EXPORTER_START_WAITING);
	cr_assert_eq(
	    request(&f, "a.example", 5, &w2, &a), EXPORTER_START_WAITING);
	cr_expect_eq(f.metrics.coalesced, 1, "the second scrape joined");
	cr_expect_eq(exporter_prober_in_flight(f.p), 1, "one probe for both");
	cr_expect_eq(request(&f, "b.example", 5, &w3, &a), EXPORTER_START_BUSY,
	    "a second distinct probe is beyond --probe.max-in-flight 1");
	/* A reload that fails keeps the modules in force. */
	bad =
	    config("modules:\n  default:\n    resolver: \"not an address\"\n");
	cr_expect_eq(exporter_prober_configure(f.p, bad, err, sizeof(err)), -1);
	cr_expect_neq(err[0], '\0');
	exporter_config_free(bad);
	cr_expect_eq(
	    request(&f, "a.example", 5, &w4, &a), EXPORTER_START_WAITING);
	cr_expect_eq(f.metrics.coalesced, 2);
	exporter_prober_cancel(f.p, &w4);
	cr_expect_eq(a.n, 0, "nothing answered before the loop ran");
	fixture_down(&f); /* aborts: no callback */
	cr_expect_eq(a.n, 0);
}

Test(exporter_probe,
    a_probe_ends_at_its_deadline_and_its_result_is_served_again, .timeout = 20)
{
	fixture f;
	answers a = { .stop_after = 2 };
	exporter_waiter w1, w2, w3;
	const char *body = NULL;
	size_t len = 0;
	char err[400];
	double t0;

	fixture_up(&f, 4);
	a.loop = f.loop;
	t0 = ev_time();
	cr_assert_eq(
	    request(&f, "a.example", 1.0, &w1, &a), EXPORTER_START_WAITING);
	/* Joined with an earlier deadline of its own: answered first, empty. */
	cr_assert_eq(
	    request(&f, "a.example", 0.3, &w2, &a), EXPORTER_START_WAITING);
	ev_run(f.loop, 0);
	cr_assert_eq(a.n, 2);
	cr_expect_lt(ev_time() - t0, 1.5, "answered by the deadline");
	cr_expect_not_null(strstr(a.last, "\nprobe_success 0\n"), "%s", a.last);
	cr_expect_not_null(strstr(a.last, "daneprobe_probe_timed_out"),
	    "the probe's own answer has the daneprobe_* families");
	cr_expect_eq(f.metrics.probes[EXPORTER_RESULT_UNKNOWN] +
	        f.metrics.probes[EXPORTER_RESULT_ERROR] +
	        f.metrics.probes[EXPORTER_RESULT_CRITICAL],
	    1);
	cr_expect_eq(
	    exporter_prober_request(f.p, "a.example", &f.cfg->modules[0], 1.0,
	        &w3, on_answer, &a, &body, &len, err, sizeof(err)),
	    EXPORTER_START_CACHED, "min_interval 30s: served again");
	cr_expect_eq(f.metrics.cache_hits, 1);
	cr_expect_eq(len, strlen(a.last));
	cr_expect_eq(memcmp(body, a.last, len), 0,
	    "the same answer: %s\n--\n%s", body, a.last);
	fixture_down(&f);
}

Test(exporter_probe, a_reload_keeps_the_engines_whose_settings_did_not_change,
    .timeout = 20)
{
	fixture f;
	char text[600], err[400] = "";
	exporter_config *same, *changed;
	size_t in_force, retired;

	fixture_up(&f, 4);
	exporter_prober_engines(f.p, &in_force, &retired);
	cr_expect_eq(in_force, 1);
	/* Same DNS settings, another timeout and min_interval: one engine. */
	snprintf(text, sizeof(text),
	    "modules:\n  default:\n    resolver: 127.0.0.1@1\n"
	    "    trust_anchor: %s\n    min_interval: 30s\n"
	    "  quick:\n    resolver: 127.0.0.1@1\n    trust_anchor: %s\n"
	    "    timeout: 5s\n    min_interval: 0s\n",
	    anchor, anchor);
	same = config(text);
	cr_assert_eq(exporter_prober_configure(f.p, same, err, sizeof(err)), 0,
	    "%s", err);
	exporter_prober_engines(f.p, &in_force, &retired);
	cr_expect_eq(in_force, 1, "modules differing in timeouts share one");
	cr_expect_eq(retired, 0, "the engine in force is kept");
	exporter_config_free(f.cfg);
	f.cfg = same;
	/* require_dane changes the verdicts: an engine of its own. */
	snprintf(text, sizeof(text),
	    "modules:\n  default:\n    resolver: 127.0.0.1@1\n"
	    "    trust_anchor: %s\n"
	    "  strict:\n    resolver: 127.0.0.1@1\n    trust_anchor: %s\n"
	    "    require_dane: true\n",
	    anchor, anchor);
	changed = config(text);
	cr_assert_eq(exporter_prober_configure(f.p, changed, err, sizeof(err)),
	    0, "%s", err);
	exporter_prober_engines(f.p, &in_force, &retired);
	cr_expect_eq(in_force, 2);
	cr_expect_eq(retired, 0, "the default module's engine is kept again");
	exporter_config_free(f.cfg);
	f.cfg = changed;
	fixture_down(&f);
}
