/*
 * report_nagios.c -- Monitoring Plugins output (status line, perfdata,
 * long output), following the Monitoring Plugins development guidelines.
 *
 * Every line goes through report_safe_line() with REPORT_SAFE_PIPE: MX
 * names, SMTP replies and certificate names are chosen by the domain's
 * owner (or an attacker on the path), and a '|' in any of them, on any
 * line, would start performance data, a newline would forge a line.
 * Perfdata labels are made of the same strings and are cleaned by
 * perf_label().
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "policy/dane_rollup.h"
#include "report/report_nagios.h"
#include "report/report_safe.h"

/* Labels survive Nagios' parser only without '=', quotes, blanks, '|'
 * and controls; non-ASCII goes too (graphers choke on it). */
static void
perf_label(char *buf, size_t buflen, const char *host, const probe_address *a,
    const char *what)
{
	snprintf(buf, buflen, "%s[%s]%s%s_%s", host, a->addr.text,
	    a->key_family[0] ? "/" : "", a->key_family, what);
	for (unsigned char *p = (unsigned char *)buf; *p; p++)
		if (*p == '=' || *p == '\'' || *p == '|' || *p <= ' ' ||
		    *p >= 0x7f)
			*p = '_';
}

static void
perf_seconds(FILE *out, const probe_host *h, const probe_address *a,
    const char *what, double ms)
{
	char label[400];

	if (ms < 0)
		return;
	perf_label(label, sizeof(label), h->name, a, what);
	fprintf(out, " %s=%.6fs;;;0", label, ms / 1000.0);
}

static void
perf_threshold(FILE *out, long v)
{
	if (v >= 0)
		fprintf(out, "%ld:", v);
}

static void
perfdata(FILE *out, const probe_domain *d, const expiry_thresholds *t)
{
	probe_counts c;
	char label[400];

	probe_domain_count(d, &c);
	fprintf(out,
	    "mx_hosts=%zu;;;0 addresses=%zu;;;0 dane_verified=%zu;;;0 "
	    "failed=%zu;;;0 time=%.6fs;;;0",
	    c.hosts, c.addrs, c.verified, c.failed, d->ms_total / 1000.0);
	for (size_t i = 0; i < d->n_hosts; i++) {
		const probe_host *h = &d->hosts[i];

		for (size_t j = 0; j < h->n_addrs; j++) {
			const probe_address *a = &h->addrs[j];

			perf_seconds(out, h, a, "connect", a->ms_connect);
			perf_seconds(out, h, a, "banner", a->ms_banner);
			perf_seconds(out, h, a, "tls", a->ms_tls);
			perf_label(
			    label, sizeof(label), h->name, a, "tlsa_usable");
			fprintf(out, " %s=%zu;;;0", label, h->policy.n_usable);
			if (!a->tls_established || !a->tls.leaf.present)
				continue;
			perf_label(
			    label, sizeof(label), h->name, a, "cert_days");
			fprintf(out, " %s=%ld;", label, a->leaf_days_left);
			perf_threshold(out, t->warn_days);
			fputc(';', out);
			perf_threshold(out, t->crit_days);
		}
	}
}

static void
long_output(FILE *out, const probe_domain *d)
{
	if (d->mx_severity != SEVERITY_OK)
		report_safe_line(out, REPORT_SAFE_PIPE, "[%s] %s",
		    probe_severity_name(d->mx_severity), d->mx_reason);
	for (size_t i = 0; i < d->n_hosts; i++) {
		const probe_host *h = &d->hosts[i];

		if (h->policy.level == DANE_LEVEL_FAIL || h->n_addrs == 0 ||
		    h->bad_name)
			report_safe_line(out, REPORT_SAFE_PIPE, "[%s] %s: %s",
			    probe_severity_name(h->severity), h->name,
			    h->reason);
		/* Rollover readiness: a note unless robust; WARNING when the
		 * policy raised the host for it. */
		if (h->rollover != NULL &&
		    h->rollover->verdict != DANE_ROLL_ROBUST)
			report_safe_line(out, REPORT_SAFE_PIPE,
			    "[%s] %s rollover: %s: %s%s",
			    dane_rollup_rollover_warns(
			        h->rollover->verdict, !d->no_rollover_warning) ?
			        probe_severity_name(SEVERITY_WARNING) :
			        "INFO",
			    h->name,
			    dane_roll_verdict_name(h->rollover->verdict),
			    h->rollover->reason,
			    h->rollover->n_stale ?
			        " (stale TLSA records published)" :
			        "");
		for (size_t j = 0; j < h->n_addrs; j++) {
			const probe_address *a = &h->addrs[j];

			report_safe_line(out, REPORT_SAFE_PIPE,
			    "[%s] %s[%s]:%d%s%s %s: %s",
			    probe_severity_name(a->severity), h->name,
			    a->addr.text, a->port, a->key_family[0] ? " " : "",
			    a->key_family, addr_state_name(a->state),
			    a->reason);
		}
	}
}

/* The status line up to the perfdata separator, escaped. */
static void
status_text(FILE *out, const probe_domain *d)
{
	char raw[sizeof(d->summary) + 64], safe[4 * sizeof(raw)];

	/* A local failure is not the domain's: say so before anything. */
	snprintf(raw, sizeof(raw), "DANE-SMTP %s - %s%s",
	    probe_severity_name(d->severity),
	    d->probe_error ? "probe error (local, not the domain's fault): " :
	                     "",
	    d->summary);
	fputs(report_safe(safe, sizeof(safe), raw, REPORT_SAFE_PIPE), out);
}

void
report_nagios(FILE *out, const probe_domain *d, const expiry_thresholds *t)
{
	status_text(out, d);
	fputs(" | ", out);
	perfdata(out, d, t);
	fputc('\n', out);
	long_output(out, d);
}
