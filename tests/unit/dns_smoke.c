/*
 * dns_smoke -- manual check of the DNS module against a lab (not a unit
 * test: it needs a running nameserver).  Starts every lookup given on the
 * command line at once on one libev loop and prints each decoded answer.
 *
 *   dns_smoke [-r RESOLVER] [-a ANCHOR] [-t TIMEOUT_MS] [-c CANCEL_MS]
 *             NAME TYPE [NAME TYPE ...]
 *
 * -c frees the resolver CANCEL_MS after start, with lookups in flight, to
 * exercise cancellation (run under valgrind/ASan to check for leaks).
 * Exit status: 0 when every started lookup was called back exactly once.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dns/dns_resolver.h"
#include "util/ev_compat.h"

static unsigned started, answered;
static dns_resolver *resolver;

static uint16_t
parse_type(const char *s)
{
	static const struct {
		const char *name;
		uint16_t type;
	} types[] = {
		{ "A", DNS_TYPE_A }, { "AAAA", DNS_TYPE_AAAA },
		{ "MX", DNS_TYPE_MX }, { "TLSA", DNS_TYPE_TLSA },
		{ "CNAME", DNS_TYPE_CNAME },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(s, types[i].name) == 0)
			return types[i].type;
	return (uint16_t)atoi(s);
}

static void
print_records(const dns_answer *a)
{
	char buf[1024];
	size_t i;

	for (i = 0; i < a->count; i++) {
		if (a->mx != NULL)
			printf("  MX %u %s\n", (unsigned)a->mx[i].preference,
			    a->mx[i].exchange[0] ? a->mx[i].exchange : ".");
		else if (a->addrs != NULL)
			printf("  %s %s\n", a->addrs[i].family == AF_INET ?
			    "A" : "AAAA", a->addrs[i].text);
		else if (a->tlsa != NULL)
			printf("  TLSA %s (%s %s %s: %s)\n",
			    tlsa_record_format(&a->tlsa[i], buf, sizeof(buf)),
			    tlsa_usage_name(a->tlsa[i].usage),
			    tlsa_selector_name(a->tlsa[i].selector),
			    tlsa_mtype_name(a->tlsa[i].mtype),
			    tlsa_usability_name(
			    tlsa_record_usability(&a->tlsa[i])));
	}
}

static void
on_answer(dns_answer *a, void *arg)
{
	const char *label = arg;

	answered++;
	printf("%s %s: status=%s security=%s canonical=%s ttl=%u count=%zu "
	    "elapsed=%.1fms%s%s\n", label, dns_type_name(a->qtype),
	    dns_status_name(a->status), dns_security_name(a->security),
	    a->canonical_name, (unsigned)a->ttl, a->count, a->elapsed_ms,
	    a->reason[0] ? " reason=" : "", a->reason);
	print_records(a);
	fflush(stdout);
	dns_answer_free(a);
}

static void
on_cancel_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	fprintf(stderr, "dns_smoke: freeing resolver with %u pending\n",
	    dns_resolver_pending(resolver));
	dns_resolver_free(resolver);
	resolver = NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: dns_smoke [-r RESOLVER] [-a ANCHOR] "
	    "[-t TIMEOUT_MS] [-c CANCEL_MS] NAME TYPE [NAME TYPE ...]\n");
}

int
main(int argc, char **argv)
{
	dns_resolver_config cfg = { 0 };
	struct ev_loop *loop = ev_default_loop(0);
	ev_timer cancel_timer;
	double cancel_ms = -1;
	char err[256];
	int c, i;

	while ((c = getopt(argc, argv, "r:a:t:c:")) != -1) {
		switch (c) {
		case 'r': cfg.resolver = optarg; break;
		case 'a': cfg.trust_anchor_file = optarg; break;
		case 't': cfg.timeout_ms = (unsigned)atoi(optarg); break;
		case 'c': cancel_ms = atof(optarg); break;
		default: usage(); return 2;
		}
	}
	if (optind >= argc || (argc - optind) % 2 != 0) {
		usage();
		return 2;
	}
	if (dns_resolver_new(loop, &cfg, &resolver, err, sizeof(err)) < 0) {
		fprintf(stderr, "dns_smoke: %s\n", err);
		return 1;
	}
	for (i = optind; i < argc; i += 2) {
		if (dns_lookup(resolver, argv[i], parse_type(argv[i + 1]),
		    on_answer, argv[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "dns_smoke: %s\n", err);
			continue;
		}
		started++;
	}
	if (cancel_ms >= 0) {
		ev_timer_init(&cancel_timer, on_cancel_timer, cancel_ms / 1e3, 0.);
		ev_timer_start(loop, &cancel_timer);
	}
	ev_run(loop, 0);
	dns_resolver_free(resolver);
	ev_loop_destroy(loop);
	fprintf(stderr, "dns_smoke: %u started, %u answered\n", started,
	    answered);
	return started == answered ? 0 : 1;
}
