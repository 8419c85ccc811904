/*
 * report_nagios.c -- Monitoring Plugins output (status line, perfdata,
 * long output), following the Monitoring Plugins development guidelines.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "report_nagios.h"

/* Labels survive Nagios' parser only without '=', quotes and blanks. */
static void
perf_label(char *buf, size_t buflen, const char *host, const probe_address *a,
    const char *what)
{
	snprintf(buf, buflen, "%s[%s]%s%s_%s", host, a->addr.text,
	    a->key_family[0] ? "/" : "", a->key_family, what);
	for (char *p = buf; *p; p++)
		if (*p == '=' || *p == '\'' || *p == ' ' || *p == '|')
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
	fprintf(out, "mx_hosts=%zu;;;0 addresses=%zu;;;0 dane_verified=%zu;;;0 "
	    "failed=%zu;;;0 time=%.6fs;;;0", c.hosts, c.addrs, c.verified,
	    c.failed, d->ms_total / 1000.0);
	for (size_t i = 0; i < d->n_hosts; i++) {
		const probe_host *h = &d->hosts[i];

		for (size_t j = 0; j < h->n_addrs; j++) {
			const probe_address *a = &h->addrs[j];

			perf_seconds(out, h, a, "connect", a->ms_connect);
			perf_seconds(out, h, a, "banner", a->ms_banner);
			perf_seconds(out, h, a, "tls", a->ms_tls);
			perf_label(label, sizeof(label), h->name, a,
			    "tlsa_usable");
			fprintf(out, " %s=%zu;;;0", label, h->policy.n_usable);
			if (!a->tls_established || !a->tls.leaf.present)
				continue;
			perf_label(label, sizeof(label), h->name, a,
			    "cert_days");
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
	for (size_t i = 0; i < d->n_hosts; i++) {
		const probe_host *h = &d->hosts[i];

		if (h->policy.level == DANE_LEVEL_FAIL || h->n_addrs == 0)
			fprintf(out, "[%s] %s: %s\n",
			    probe_severity_name(h->severity), h->name, h->reason);
		/* Rollover readiness: a note unless robust (breaks-at-renewal
		 * already raised the host to WARNING, unless switched off). */
		if (h->rollover != NULL && h->rollover->verdict != DANE_ROLL_ROBUST)
			fprintf(out, "[%s] %s rollover: %s: %s%s\n",
			    h->rollover->verdict == DANE_ROLL_BREAKS_AT_RENEWAL &&
			    !d->no_rollover_warning ? "WARNING" : "INFO", h->name,
			    dane_roll_verdict_name(h->rollover->verdict),
			    h->rollover->reason, h->rollover->n_stale ?
			    " (stale TLSA records published)" : "");
		for (size_t j = 0; j < h->n_addrs; j++) {
			const probe_address *a = &h->addrs[j];

			fprintf(out, "[%s] %s[%s]:%d%s%s %s: %s\n",
			    probe_severity_name(a->severity), h->name,
			    a->addr.text, a->port, a->key_family[0] ? " " : "",
			    a->key_family, addr_state_name(a->state), a->reason);
		}
	}
}

void
report_nagios(FILE *out, const probe_domain *d, const expiry_thresholds *t)
{
	char summary[sizeof(d->summary)];

	/* A '|' in the summary would start perfdata early. */
	snprintf(summary, sizeof(summary), "%s", d->summary);
	for (char *p = summary; *p; p++)
		if (*p == '|' || *p == '\n')
			*p = '/';
	fprintf(out, "DANE-SMTP %s - %s | ", probe_severity_name(d->severity),
	    summary);
	perfdata(out, d, t);
	fputc('\n', out);
	long_output(out, d);
}
