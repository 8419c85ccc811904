/*
 * test_probe_batch.c -- the batch summary without the network: finished
 * domains from result_tree.h counted into exactly one row each
 * (probe_batch_count()), and the table that prints the rows.  Running a
 * batch needs DNS and SMTP servers: tests/lab/batch.test does that.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/probe_batch.h"
#include "result_tree.h"

/* ---- the batch summary: one row per cause ------------------------------- */

/* A one-host domain: its first address (of room for two) DANE-verified;
 * not finished. */
static probe_domain *
verified_domain(void)
{
	probe_domain *d = rt_domain("example.org", DOMAIN_MX, DANE_MX_SECURE,
	    1);
	probe_host *h = rt_host(d, 0, "mx1.example.org", DANE_LEVEL_REQUIRED,
	    2);

	rt_addr(h, 0, "192.0.2.25", ADDR_STATE_DANE_VERIFIED);
	h->n_addrs = 1;
	return d;
}

static probe_batch_summary
count_one(probe_domain *d)
{
	probe_batch_summary s;

	memset(&s, 0, sizeof(s));
	probe_batch_count(&s, d);
	cr_expect_eq(s.total, 1);
	probe_domain_free(d);
	return s;
}

Test(probe_batch, insecure_mx_is_not_counted_as_dane_not_applicable)
{
	probe_domain *d = verified_domain();
	probe_batch_summary s;

	d->mx_status = DANE_MX_INSECURE;
	probe_domain_finish(d);
	cr_assert_eq(d->severity, SEVERITY_WARNING, "%s", d->summary);
	s = count_one(d);
	cr_expect_eq(s.insecure_mx, 1);
	cr_expect_eq(s.not_applicable, 0);
}

Test(probe_batch, capped_addresses_have_their_own_row)
{
	probe_domain *d = verified_domain();
	probe_address *pa = &d->hosts[0].addrs[1];
	probe_batch_summary s;

	snprintf(pa->addr.text, sizeof(pa->addr.text), "192.0.2.26");
	pa->state = ADDR_STATE_NOT_PROBED;
	pa->severity = SEVERITY_WARNING;
	pa->capped = pa->complete = true;
	d->hosts[0].n_addrs = 2;
	probe_domain_finish(d);
	cr_assert_eq(d->severity, SEVERITY_WARNING, "%s", d->summary);
	s = count_one(d);
	cr_expect_eq(s.capped, 1);
	cr_expect_eq(s.not_applicable, 0);
}

Test(probe_batch, no_dane_is_dane_not_applicable)
{
	probe_domain *d = rt_domain("example.org", DOMAIN_MX, DANE_MX_SECURE,
	    1);
	probe_host *h = rt_host(d, 0, "mx1.example.org", DANE_LEVEL_NONE, 1);
	probe_batch_summary s;

	rt_addr(h, 0, "192.0.2.25", ADDR_STATE_TLS_NO_DANE);
	cr_assert_eq(h->addrs[0].severity, SEVERITY_WARNING);
	probe_domain_finish(d);
	cr_assert_eq(d->severity, SEVERITY_WARNING, "%s", d->summary);
	s = count_one(d);
	cr_expect_eq(s.not_applicable, 1);
	cr_expect_eq(s.insecure_mx + s.capped + s.warning + s.partial, 0);
}

Test(probe_batch, bad_mx_name_is_not_a_dns_failure)
{
	probe_domain *d = verified_domain();
	probe_batch_summary s;

	free(d->hosts[0].name);
	d->hosts[0].name = strdup("-mx1.example.org");
	probe_domain_finish(d);
	cr_assert_eq(d->severity, SEVERITY_CRITICAL, "%s", d->summary);
	s = count_one(d);
	cr_expect_eq(s.failing, 1);
	cr_expect_eq(s.why_bad_name, 1);
	cr_expect_eq(s.why_dns, 0);
}

Test(probe_batch, probe_error_is_not_an_unknown_verdict)
{
	probe_domain *d = rt_probe_error("example.org", "no DNS server answered");
	probe_batch_summary s;

	probe_domain_finish(d);
	cr_assert_eq(d->severity, SEVERITY_UNKNOWN);
	s = count_one(d);
	cr_expect_eq(s.probe_error, 1);
	cr_expect_eq(s.unknown + s.failing, 0);
}

Test(probe_batch, summary_table_names_each_row)
{
	probe_batch_summary s;
	char *buf = NULL;

	memset(&s, 0, sizeof(s));
	s.total = 5;
	s.insecure_mx = s.capped = s.probe_error = s.failing = 1;
	s.why_bad_name = 1;
	s.not_applicable = 1;
	s.cpu_seconds = -1;
	RT_CAPTURE(buf, probe_batch_print_summary(out, &s));
	cr_expect_not_null(strstr(buf, "  insecure MX RRset   1\n"), "%s", buf);
	cr_expect_not_null(strstr(buf, "  addresses capped    1\n"), "%s", buf);
	cr_expect_not_null(strstr(buf, "  probe error (local) 1\n"), "%s", buf);
	cr_expect_not_null(strstr(buf, "    bad-mx-name"), "%s", buf);
	cr_expect_not_null(strstr(buf, "  DANE not applicable 1\n"), "%s", buf);
	cr_expect_null(strstr(buf, "dns-failure"), "%s", buf);
	free(buf);
}
