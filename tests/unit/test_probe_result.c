/*
 * test_probe_result.c -- the roll-up of address verdicts into host and
 * domain verdicts where an address family has no route on the probing
 * host, the --no-rollover-warning switch, and the route check itself in a
 * private network namespace (lo down, IPv6 off, 127.0.0.1 removed); the
 * DANE status of hosts and domains (dane_status_*()).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy/dane_verdict.h"
#include "smtp/smtp_route.h"
#include "probe/probe_result.h"
#include "result_tree.h"

static dns_addr
addr_of(const char *text)
{
	dns_addr a;

	memset(&a, 0, sizeof(a));
	snprintf(a.text, sizeof(a.text), "%s", text);
	if (strchr(text, ':') != NULL) {
		a.family = AF_INET6;
		cr_assert_eq(inet_pton(AF_INET6, text, &a.u.v6), 1);
	} else {
		a.family = AF_INET;
		cr_assert_eq(inet_pton(AF_INET, text, &a.u.v4), 1);
	}
	return a;
}

/* One address judged as the engine judges it. */
static void
judge(probe_address *pa, const char *text, smtp_outcome outcome, bool auth,
    bool no_route, bool forced)
{
	dane_tls_outcome tls;
	dane_verdict v;

	memset(pa, 0, sizeof(*pa));
	memset(&tls, 0, sizeof(tls));
	pa->addr = addr_of(text);
	pa->port = 25;
	tls.authenticated = auth;
	strcpy(tls.verify_reason, auth ? "DANE-EE matched" : "no match");
	dane_verdict_input in = {
		.level = DANE_LEVEL_REQUIRED, .outcome = outcome,
		.state = SMTP_STATE_DONE, .smtp_reason = "x",
		.tls_established = outcome == SMTP_OUTCOME_TLS_OK,
		.tls = outcome == SMTP_OUTCOME_TLS_OK ? &tls : NULL,
		.no_route = no_route, .family = pa->addr.family,
		.family_forced = forced,
	};
	dane_verdict_address(&in, &v);
	pa->state = v.state;
	pa->severity = v.severity;
	pa->skipped = v.skipped;
	pa->complete = true;
	snprintf(pa->reason, sizeof(pa->reason), "%s", v.reason);
}

/* A domain with one MX host holding the given addresses (freed by
 * probe_domain_free). */
static probe_domain *
domain_with(size_t n_hosts)
{
	probe_domain *d = calloc(1, sizeof(*d));

	cr_assert_not_null(d);
	d->domain = strdup("example.org");
	d->kind = DOMAIN_MX;
	d->hosts = calloc(n_hosts, sizeof(*d->hosts));
	d->n_hosts = n_hosts;
	for (size_t i = 0; i < n_hosts; i++) {
		d->hosts[i].name = strdup(i ? "mx2.example.org"
		    : "mx1.example.org");
		d->hosts[i].policy.level = DANE_LEVEL_REQUIRED;
		d->hosts[i].policy.tlsa_answer_index = -1;
		snprintf(d->hosts[i].policy.reason,
		    sizeof(d->hosts[i].policy.reason), "DANE required");
		d->hosts[i].addrs = calloc(4, sizeof(probe_address));
	}
	return d;
}

Test(probe_result, no_route_address_is_skipped_not_failed)
{
	probe_address pa;

	judge(&pa, "2001:db8::25", SMTP_OUTCOME_CONNECT_FAILED, false, true,
	    false);
	cr_expect_eq(pa.state, ADDR_STATE_NOT_PROBED);
	cr_expect_eq(pa.severity, SEVERITY_OK);
	cr_expect(pa.skipped);
	cr_expect_str_eq(pa.reason, "not probed: no IPv6 route on this host");
	judge(&pa, "192.0.2.25", SMTP_OUTCOME_CONNECT_FAILED, false, true,
	    false);
	cr_expect_str_eq(pa.reason, "not probed: no IPv4 route on this host");
}

Test(probe_result, no_route_counts_when_the_family_was_forced)
{
	probe_address pa;

	judge(&pa, "2001:db8::25", SMTP_OUTCOME_CONNECT_FAILED, false, true,
	    true);
	cr_expect_eq(pa.state, ADDR_STATE_CONNECT_FAILED);
	cr_expect_eq(pa.severity, SEVERITY_CRITICAL);
	cr_expect_not(pa.skipped);
	cr_expect_not_null(strstr(pa.reason, "no IPv6 route on this host"),
	    "%s", pa.reason);
}

Test(probe_result, dual_stack_host_is_ok_on_its_reachable_family)
{
	probe_domain *d = domain_with(1);
	probe_host *h = &d->hosts[0];
	probe_counts c;

	judge(&h->addrs[0], "192.0.2.25", SMTP_OUTCOME_TLS_OK, true, false,
	    false);
	judge(&h->addrs[1], "2001:db8::25", SMTP_OUTCOME_CONNECT_FAILED, false,
	    true, false);
	h->n_addrs = 2;
	probe_domain_finish(d);
	cr_expect_eq(h->severity, SEVERITY_OK);
	cr_expect_eq(d->severity, SEVERITY_OK, "%s", d->summary);
	cr_expect_not(d->probe_error);
	cr_expect_not_null(strstr(d->summary, "1/1 MX address(es) "
	    "DANE-verified"), "%s", d->summary);
	cr_expect_not_null(strstr(d->summary, "1 address(es) not probed"),
	    "%s", d->summary);
	probe_domain_count(d, &c);
	cr_expect_eq(c.addrs, 1);
	cr_expect_eq(c.skipped, 1);
	cr_expect_eq(c.verified, 1);
	cr_expect_eq(dane_status_domain(d), DANE_STATUS_VERIFIED);
	probe_domain_free(d);
}

Test(probe_result, a_failure_on_the_reachable_family_still_counts)
{
	probe_domain *d = domain_with(1);
	probe_host *h = &d->hosts[0];

	judge(&h->addrs[0], "192.0.2.25", SMTP_OUTCOME_TLS_OK, false, false,
	    false);
	judge(&h->addrs[1], "2001:db8::25", SMTP_OUTCOME_CONNECT_FAILED, false,
	    true, false);
	h->n_addrs = 2;
	probe_domain_finish(d);
	cr_expect_eq(d->severity, SEVERITY_CRITICAL, "%s", d->summary);
	cr_expect_eq(dane_status_domain(d), DANE_STATUS_FAILED);
	probe_domain_free(d);
}

Test(probe_result, nothing_left_to_probe_is_unknown_never_ok)
{
	probe_domain *d = domain_with(1);
	probe_host *h = &d->hosts[0];

	judge(&h->addrs[0], "2001:db8::25", SMTP_OUTCOME_CONNECT_FAILED, false,
	    true, false);
	judge(&h->addrs[1], "2001:db8::26", SMTP_OUTCOME_CONNECT_FAILED, false,
	    true, false);
	h->n_addrs = 2;
	probe_domain_finish(d);
	cr_expect_eq(h->severity, SEVERITY_UNKNOWN);
	cr_expect_eq(d->severity, SEVERITY_UNKNOWN, "%s", d->summary);
	cr_expect(d->probe_error);
	cr_expect_not_null(strstr(d->summary, "no IPv6 route on this host"),
	    "%s", d->summary);
	/* A probe error: neither verified nor a DANE failure. */
	cr_expect_eq(dane_status_domain(d), DANE_STATUS_UNKNOWN);
	probe_domain_free(d);
}

/* An IPv6-only backup MX is left out as a sender without IPv6 leaves it
 * out; the domain is judged on the host it can reach. */
Test(probe_result, unreachable_host_leaves_the_domain_verdict_alone)
{
	probe_domain *d = domain_with(2);

	judge(&d->hosts[0].addrs[0], "192.0.2.25", SMTP_OUTCOME_TLS_OK, true,
	    false, false);
	d->hosts[0].n_addrs = 1;
	judge(&d->hosts[1].addrs[0], "2001:db8::25",
	    SMTP_OUTCOME_CONNECT_FAILED, false, true, false);
	d->hosts[1].n_addrs = 1;
	probe_domain_finish(d);
	cr_expect_eq(d->hosts[1].severity, SEVERITY_UNKNOWN);
	cr_expect_eq(d->severity, SEVERITY_OK, "%s", d->summary);
	cr_expect_eq(dane_status_domain(d), DANE_STATUS_VERIFIED);
	probe_domain_free(d);
}

static probe_domain *
breaking_domain(bool no_warning)
{
	probe_domain *d = domain_with(1);
	probe_host *h = &d->hosts[0];

	judge(&h->addrs[0], "192.0.2.25", SMTP_OUTCOME_TLS_OK, true, false,
	    false);
	h->n_addrs = 1;
	h->rollover = calloc(1, sizeof(*h->rollover));
	h->rollover->verdict = DANE_ROLL_BREAKS_AT_RENEWAL;
	snprintf(h->rollover->reason, sizeof(h->rollover->reason),
	    "only 3 0 1 records");
	d->no_rollover_warning = no_warning;
	probe_domain_finish(d);
	return d;
}

Test(probe_result, breaks_at_renewal_warns_by_default)
{
	probe_domain *d = breaking_domain(false);

	cr_expect_eq(d->severity, SEVERITY_WARNING, "%s", d->summary);
	cr_expect_not_null(strstr(d->summary, "breaks at the next"));
	probe_domain_free(d);
}

Test(probe_result, no_rollover_warning_keeps_it_ok)
{
	probe_domain *d = breaking_domain(true);

	cr_expect_eq(d->severity, SEVERITY_OK, "%s", d->summary);
	probe_domain_free(d);
}

/* ---- the route check, in a network namespace of its own ----------------- */

/* Criterion forks every test, so the namespace dies with this test. */
static void
private_netns(void)
{
	if (unshare(CLONE_NEWNET) != 0)
		cr_skip_test("no private network namespace here (%s): needs "
		    "root", strerror(errno));
}

static void
lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	cr_assert_eq(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	cr_assert_eq(ioctl(fd, SIOCSIFFLAGS, &ifr), 0, "lo up: %s",
	    strerror(errno));
	close(fd);
}

static void
write_sysctl(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		cr_skip_test("%s: %s (no IPv6 in this kernel?)", path,
		    strerror(errno));
	cr_assert_gt(fputs(value, f), 0);
	cr_assert_eq(fclose(f), 0, "%s: %s", path, strerror(errno));
}

static bool
no_route(const char *text)
{
	dns_addr a = addr_of(text);

	return smtp_no_route(&a, 25);
}

Test(probe_route, loopback_down_has_no_route_for_either_family)
{
	private_netns();
	cr_expect(no_route("127.0.0.1"));
	cr_expect(no_route("::1"));
	cr_expect(no_route("192.0.2.25"));
}

Test(probe_route, ipv6_disabled_leaves_ipv4_reachable)
{
	private_netns();
	lo_up();
	cr_expect_not(no_route("127.0.0.1"));
	cr_expect_not(no_route("::1"), "IPv6 on lo is on at first");
	write_sysctl("/proc/sys/net/ipv6/conf/lo/disable_ipv6", "1");
	cr_expect(no_route("::1"));
	cr_expect(no_route("2001:db8::25"));
	cr_expect_not(no_route("127.0.0.1"));
	/* A local address without a default route: IPv4 elsewhere has no
	 * route either (ENETUNREACH), which is the same fact. */
	cr_expect(no_route("192.0.2.25"));
}

Test(probe_route, ipv4_removed_leaves_ipv6_reachable)
{
	private_netns();
	lo_up();
	if (system("ip addr del 127.0.0.1/8 dev lo 2>/dev/null") != 0)
		cr_skip_test("ip(8) could not remove 127.0.0.1/8 from lo");
	cr_expect(no_route("127.0.0.1"));
	cr_expect_not(no_route("::1"));
}

/* ---- DANE status roll-up ------------------------------------------------ */

/* dane_status_*() live in probe_result (the JSON report shows them too);
 * they are tested here, on trees from result_tree.h. */

typedef struct status_case {
	dane_level levels[2];
	addr_state states[2];  /* the single address of each host */
	size_t n_hosts;
	dane_status want;
} status_case;

ParameterizedTestParameters(probe_result, dane_status_of_domain)
{
	static status_case cases[] = {
		{ { DANE_LEVEL_REQUIRED, DANE_LEVEL_REQUIRED },
		  { ADDR_STATE_DANE_VERIFIED, ADDR_STATE_DANE_VERIFIED }, 2,
		  DANE_STATUS_VERIFIED },
		{ { DANE_LEVEL_REQUIRED, 0 },
		  { ADDR_STATE_MATCHED_BUT_SMTP_FAILED, 0 }, 1,
		  DANE_STATUS_VERIFIED },
		{ { DANE_LEVEL_REQUIRED, DANE_LEVEL_REQUIRED },
		  { ADDR_STATE_DANE_VERIFIED, ADDR_STATE_UNTRUSTED }, 2,
		  DANE_STATUS_FAILED },
		{ { DANE_LEVEL_REQUIRED, DANE_LEVEL_FAIL },
		  { ADDR_STATE_DANE_VERIFIED, ADDR_STATE_NOT_PROBED }, 2,
		  DANE_STATUS_FAILED },
		{ { DANE_LEVEL_REQUIRED, 0 }, { ADDR_STATE_TIMEOUT, 0 }, 1,
		  DANE_STATUS_FAILED },
		{ { DANE_LEVEL_REQUIRED, DANE_LEVEL_NONE },
		  { ADDR_STATE_DANE_VERIFIED, ADDR_STATE_TLS_NO_DANE }, 2,
		  DANE_STATUS_PARTIAL },
		{ { DANE_LEVEL_ENCRYPT_ONLY, DANE_LEVEL_NONE },
		  { ADDR_STATE_ENCRYPTED_UNAUTHENTICATED,
		    ADDR_STATE_TLS_NO_DANE }, 2, DANE_STATUS_ENCRYPT_ONLY },
		{ { DANE_LEVEL_NONE, DANE_LEVEL_NONE },
		  { ADDR_STATE_TLS_NO_DANE, ADDR_STATE_CLEARTEXT_NO_DANE }, 2,
		  DANE_STATUS_NONE },
		{ { 0, 0 }, { 0, 0 }, 0, DANE_STATUS_FAILED },
	};

	return cr_make_param_array(status_case, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(status_case *c, probe_result, dane_status_of_domain)
{
	probe_domain *d = rt_domain("s.example", DOMAIN_MX, DANE_MX_SECURE,
	    c->n_hosts);

	for (size_t i = 0; i < c->n_hosts; i++) {
		char name[32];
		probe_host *h;

		snprintf(name, sizeof(name), "mx%zu.s.example", i);
		h = rt_host(d, i, name, c->levels[i], 1);
		rt_addr(h, 0, "192.0.2.1", c->states[i]);
	}
	probe_domain_finish(d);
	cr_assert_str_eq(dane_status_name(dane_status_domain(d)),
	    dane_status_name(c->want));
	probe_domain_free(d);
}

Test(probe_result, dane_status_of_null_mx_and_failed_lookup)
{
	probe_domain *d = rt_domain("n.example", DOMAIN_NULL_MX,
	    DANE_MX_SECURE, 0);

	probe_domain_finish(d);
	cr_assert_eq(dane_status_domain(d), DANE_STATUS_NULL_MX);
	d->kind = DOMAIN_LOOKUP_FAILED;
	probe_domain_finish(d);
	cr_assert_eq(dane_status_domain(d), DANE_STATUS_FAILED);
	cr_assert_str_eq(dane_status_name(DANE_STATUS_COUNT), "unknown");
	probe_domain_free(d);
}

/* One host result, shared by reference: two domains borrow it, the first
 * one freed leaves the other's view intact (ASan would see a use after
 * free), and a deep copy of a borrowing host owns its parts. */
Test(probe_result, shared_host_outlives_the_first_domain_freed)
{
	probe_domain *d1 = domain_with(1), *d2 = domain_with(1);
	probe_host master, copy;
	probe_host_shared *s, *weak;

	master = d1->hosts[0];
	memset(&d1->hosts[0], 0, sizeof(d1->hosts[0]));
	master.n_addrs = 1;
	judge(&master.addrs[0], "192.0.2.1", SMTP_OUTCOME_TLS_OK, true, false,
	    false);
	s = probe_host_share(&master);
	cr_assert_not_null(s);
	weak = s;
	probe_host_shared_set_weak(s, &weak);
	cr_assert_null(master.name, "the parts moved into the shared result");
	probe_host_clear(&d2->hosts[0]);
	probe_host_borrow(&d1->hosts[0], s);
	probe_host_borrow(&d2->hosts[0], s);
	probe_host_shared_unref(s);
	cr_assert_eq(d1->hosts[0].addrs, d2->hosts[0].addrs);
	d1->hosts[0].preference = 10;
	cr_assert_eq(d2->hosts[0].preference, 0, "the node's own field");
	probe_domain_finish(d1);
	probe_domain_free(d1);
	cr_assert_str_eq(d2->hosts[0].name, "mx1.example.org");
	cr_assert_eq(d2->hosts[0].addrs[0].state, ADDR_STATE_DANE_VERIFIED);
	cr_assert_eq(probe_host_copy(&copy, &d2->hosts[0]), 0);
	cr_assert_null(copy.shared);
	cr_assert_neq(copy.addrs, d2->hosts[0].addrs);
	cr_assert_eq(weak, s, "alive while a domain holds it");
	probe_domain_free(d2);
	cr_assert_null(weak, "the last reference cleared the weak one");
	cr_assert_str_eq(copy.name, "mx1.example.org");
	probe_host_clear(&copy);
}
