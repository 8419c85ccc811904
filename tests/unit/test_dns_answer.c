/*
 * test_dns_answer.c -- dns_answer copies, frees and name tables (pure),
 * plus the parts of dns_resolver that need no nameserver: configuration
 * errors, refused lookups and cancellation on free.
 *
 * The cancellation test sends one query to a closed port on 127.0.0.1
 * and frees the resolver before any answer could matter, so its outcome
 * does not depend on the network.  Two more talk TCP to 127.0.0.1 only: a
 * listener that never answers (our own deadline ends the lookup) and a
 * closed port (a failed connection, reported at once).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "dns/dns_answer.h"
#include "dns/dns_resolver.h"
#include "util/ev_compat.h"

/* ------------------------------------------------------------------ */
/* Building answers the way the resolver does (all heap, owned).        */

static dns_answer *
answer_base(const char *qname, const char *cname, uint16_t qtype)
{
	dns_answer *a = calloc(1, sizeof(*a));

	cr_assert_not_null(a);
	a->qname = strdup(qname);
	a->canonical_name = strdup(cname);
	a->qtype = qtype;
	a->status = DNS_STATUS_OK;
	a->security = DNS_SECURITY_SECURE;
	a->ttl = 300;
	a->elapsed_ms = 12.5;
	return a;
}

static dns_answer *
mx_answer(void)
{
	dns_answer *a = answer_base("example.test", "example.test",
	    DNS_TYPE_MX);

	a->count = 2;
	a->mx = calloc(2, sizeof(*a->mx));
	a->mx[0].preference = 10;
	a->mx[0].exchange = strdup("mx1.example.test");
	a->mx[1].preference = 0;
	a->mx[1].exchange = strdup(""); /* null MX */
	return a;
}

static dns_answer *
addr_answer(void)
{
	dns_answer *a = answer_base("mx.test", "real.test", DNS_TYPE_AAAA);

	a->count = 1;
	a->addrs = calloc(1, sizeof(*a->addrs));
	a->addrs[0].family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::25", &a->addrs[0].u.v6);
	strcpy(a->addrs[0].text, "2001:db8::25");
	return a;
}

static dns_answer *
tlsa_answer(void)
{
	dns_answer *a = answer_base("_25._tcp.mx.test", "_25._tcp.mx.test",
	    DNS_TYPE_TLSA);
	char err[64];

	a->count = 2;
	a->tlsa = calloc(2, sizeof(*a->tlsa));
	cr_assert_eq(tlsa_record_parse("3 1 1 " "0102030405060708090a0b0c0d0e0f10"
	    "1112131415161718191a1b1c1d1e1f20", &a->tlsa[0], err,
	    sizeof(err)), 0);
	cr_assert_eq(tlsa_record_parse("2 0 1 " "ff02030405060708090a0b0c0d0e0f10"
	    "1112131415161718191a1b1c1d1e1f20", &a->tlsa[1], err,
	    sizeof(err)), 0);
	return a;
}

static void
expect_same_scalars(const dns_answer *d, const dns_answer *a)
{
	cr_expect_neq(d, a);
	cr_expect_str_eq(d->qname, a->qname);
	cr_expect_neq(d->qname, a->qname);
	cr_expect_str_eq(d->canonical_name, a->canonical_name);
	cr_expect_neq(d->canonical_name, a->canonical_name);
	cr_expect_eq(d->qtype, a->qtype);
	cr_expect_eq(d->status, a->status);
	cr_expect_eq(d->security, a->security);
	cr_expect_eq(d->ttl, a->ttl);
	cr_expect_eq(d->count, a->count);
	cr_expect_eq(d->elapsed_ms, a->elapsed_ms);
	cr_expect_str_eq(d->reason, a->reason);
}

Test(dns_answer, dup_of_mx_answer_is_deep)
{
	dns_answer *a = mx_answer(), *d;

	snprintf(a->reason, sizeof(a->reason), "kept");
	d = dns_answer_dup(a);
	cr_assert_not_null(d);
	expect_same_scalars(d, a);
	cr_assert_not_null(d->mx);
	cr_expect_null(d->addrs);
	cr_expect_null(d->tlsa);
	cr_expect_eq(d->mx[0].preference, 10);
	cr_expect_str_eq(d->mx[0].exchange, "mx1.example.test");
	cr_expect_neq(d->mx[0].exchange, a->mx[0].exchange);
	cr_expect_eq(d->mx[1].preference, 0);
	cr_expect_str_eq(d->mx[1].exchange, "");
	/* The copy outlives the original. */
	dns_answer_free(a);
	cr_expect_str_eq(d->mx[0].exchange, "mx1.example.test");
	cr_expect_str_eq(d->reason, "kept");
	dns_answer_free(d);
}

Test(dns_answer, dup_of_address_answer_copies_addresses)
{
	dns_answer *a = addr_answer(), *d = dns_answer_dup(a);
	char text[INET6_ADDRSTRLEN];

	cr_assert_not_null(d);
	expect_same_scalars(d, a);
	cr_assert_not_null(d->addrs);
	cr_expect_neq(d->addrs, a->addrs);
	cr_expect_eq(d->addrs[0].family, AF_INET6);
	cr_expect_str_eq(d->addrs[0].text, "2001:db8::25");
	inet_ntop(AF_INET6, &d->addrs[0].u.v6, text, sizeof(text));
	cr_expect_str_eq(text, "2001:db8::25");
	cr_expect_str_eq(d->canonical_name, "real.test");
	dns_answer_free(a);
	dns_answer_free(d);
}

Test(dns_answer, dup_of_tlsa_answer_copies_record_data)
{
	dns_answer *a = tlsa_answer(), *d = dns_answer_dup(a);
	size_t i;

	cr_assert_not_null(d);
	expect_same_scalars(d, a);
	cr_assert_not_null(d->tlsa);
	for (i = 0; i < a->count; i++) {
		cr_expect(tlsa_record_equal(&d->tlsa[i], &a->tlsa[i]), "row %zu", i);
		cr_expect_neq(d->tlsa[i].data, a->tlsa[i].data);
	}
	a->tlsa[0].data[0] = 0xee;
	cr_expect_eq(d->tlsa[0].data[0], 0x01);
	dns_answer_free(a);
	dns_answer_free(d);
}

Test(dns_answer, dup_of_failed_lookup_keeps_reason_and_no_records)
{
	dns_answer *a = answer_base("gone.test", "gone.test", DNS_TYPE_MX), *d;

	a->status = DNS_STATUS_SERVFAIL;
	a->security = DNS_SECURITY_INSECURE;
	a->ttl = 0;
	snprintf(a->reason, sizeof(a->reason), "SERVFAIL from 127.53.0.1");
	d = dns_answer_dup(a);
	cr_assert_not_null(d);
	expect_same_scalars(d, a);
	cr_expect_null(d->mx);
	cr_expect_null(d->addrs);
	cr_expect_null(d->tlsa);
	cr_expect_str_eq(d->reason, "SERVFAIL from 127.53.0.1");
	dns_answer_free(a);
	dns_answer_free(d);
}

Test(dns_answer, dup_and_free_accept_null)
{
	cr_expect_null(dns_answer_dup(NULL));
	dns_answer_free(NULL);
}

Test(dns_answer, status_names_are_distinct_and_stable)
{
	static const char *const want[] = {
		[DNS_STATUS_OK] = "ok",
		[DNS_STATUS_NODATA] = "nodata",
		[DNS_STATUS_NXDOMAIN] = "nxdomain",
		[DNS_STATUS_SERVFAIL] = "servfail",
		[DNS_STATUS_TIMEOUT] = "timeout",
		[DNS_STATUS_ERROR] = "error",
		[DNS_STATUS_CANCELLED] = "cancelled",
	};
	dns_status s;

	for (s = DNS_STATUS_OK; s <= DNS_STATUS_CANCELLED; s++)
		cr_expect_str_eq(dns_status_name(s), want[s], "status %d", s);
	/* 7 is past the table but still representable in the enum. */
	cr_expect_str_eq(dns_status_name((dns_status)7), "unknown");
}

Test(dns_answer, security_names_match_the_contract)
{
	cr_expect_str_eq(dns_security_name(DNS_SECURITY_SECURE), "secure");
	cr_expect_str_eq(dns_security_name(DNS_SECURITY_INSECURE), "insecure");
	cr_expect_str_eq(dns_security_name(DNS_SECURITY_BOGUS), "bogus");
	cr_expect_str_eq(dns_security_name(DNS_SECURITY_INDETERMINATE),
	    "indeterminate");
}

Test(dns_answer, type_names_cover_the_types_we_ask_for)
{
	cr_expect_str_eq(dns_type_name(DNS_TYPE_A), "A");
	cr_expect_str_eq(dns_type_name(DNS_TYPE_AAAA), "AAAA");
	cr_expect_str_eq(dns_type_name(DNS_TYPE_MX), "MX");
	cr_expect_str_eq(dns_type_name(DNS_TYPE_TLSA), "TLSA");
	cr_expect_str_eq(dns_type_name(DNS_TYPE_CNAME), "CNAME");
	cr_expect_str_eq(dns_type_name(99), "unknown");
	cr_expect_str_eq(dns_type_name(0), "unknown");
}

/* ------------------------------------------------------------------ */
/* dns_resolver without a nameserver                                    */

/* A DNSKEY in zone-file form (a throwaway test key). */
static const char test_dnskey[] =
    ". IN DNSKEY 257 3 13 H53IixWyBHjyvb9wFkKuVQxs5lnDxt0C8PneBahXuGEcU3HA"
    "FXYDeVv5PbxleptFFiIaa8ML8YHD+maCUpXVDA==\n";

static char anchor_path[64];
static struct ev_loop *loop;

static const char *
write_anchor(const char *content)
{
	int fd;

	snprintf(anchor_path, sizeof(anchor_path), "/tmp/dp-anchor-XXXXXX");
	fd = mkstemp(anchor_path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, content, strlen(content)),
	    (ssize_t)strlen(content));
	close(fd);
	return anchor_path;
}

static void
res_setup(void)
{
	anchor_path[0] = '\0';
	loop = ev_loop_new(EVFLAG_AUTO);
	cr_assert_not_null(loop);
}

static void
res_teardown(void)
{
	if (anchor_path[0] != '\0')
		unlink(anchor_path);
	ev_loop_destroy(loop);
}

TestSuite(dns_resolver, .init = res_setup, .fini = res_teardown,
    .timeout = 20);

static int
try_new(const char *resolver, const char *anchor, dns_resolver **r,
    char *err, size_t errlen)
{
	dns_resolver_config cfg = { .resolver = resolver,
	    .trust_anchor_file = anchor, .timeout_ms = 1000 };

	return dns_resolver_new(loop, &cfg, r, err, errlen);
}

Test(dns_resolver, missing_trust_anchor_file_is_a_clear_error)
{
	dns_resolver *r = (dns_resolver *)1;
	char err[256] = "";

	cr_expect_eq(try_new("127.0.0.1", "/nonexistent/anchor.key", &r, err,
	    sizeof(err)), -1);
	cr_expect_null(r);
	cr_expect_not_null(strstr(err, "/nonexistent/anchor.key"), "%s", err);
	cr_expect_not_null(strstr(err, "No such file"), "%s", err);
}

Test(dns_resolver, anchor_file_without_keys_is_rejected)
{
	static const char *const contents[] = {
		"",
		"; only a comment\n",
		"example. 300 IN A 192.0.2.1\n",
	};
	size_t i;

	for (i = 0; i < sizeof(contents) / sizeof(contents[0]); i++) {
		dns_resolver *r;
		char err[256] = "";
		const char *path = write_anchor(contents[i]);

		cr_expect_eq(try_new("127.0.0.1", path, &r, err, sizeof(err)), -1,
		    "row %zu accepted", i);
		cr_expect_not_null(strstr(err, "no DNSKEY or DS"),
		    "row %zu: %s", i, err);
		unlink(anchor_path);
		anchor_path[0] = '\0';
	}
}

Test(dns_resolver, directory_or_device_as_trust_anchor_is_rejected)
{
	static const char *const paths[] = { "/", "/dev/zero" };
	size_t i;

	/* getdns' zone-file reader would spin forever on these. */
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		dns_resolver *r;
		char err[256] = "";

		cr_expect_eq(try_new("127.0.0.1", paths[i], &r, err, sizeof(err)),
		    -1, "%s accepted", paths[i]);
		cr_expect_not_null(strstr(err, "not a regular file"), "%s: %s",
		    paths[i], err);
	}
}

Test(dns_resolver, unparseable_anchor_file_is_rejected)
{
	dns_resolver *r;
	char err[256] = "";

	cr_expect_eq(try_new("127.0.0.1",
	    write_anchor(". IN DNSKEY this is not a key\n"), &r, err,
	    sizeof(err)), -1);
	cr_expect_neq(err[0], '\0');
}

Test(dns_resolver, resolver_address_forms_are_accepted)
{
	static const char *const good[] = {
		"127.0.0.1", "127.0.0.1@5300", "127.0.0.1:5300", "[::1]:53",
		"[::1]", "[::1]@5353", "::1", "::1@53", "2001:db8::1",
	};
	const char *path = write_anchor(test_dnskey);
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		dns_resolver *r = NULL;
		char err[256] = "";

		cr_expect_eq(try_new(good[i], path, &r, err, sizeof(err)), 0,
		    "\"%s\" rejected: %s", good[i], err);
		cr_expect_eq(dns_resolver_pending(r), 0);
		dns_resolver_free(r);
	}
}

Test(dns_resolver, bad_resolver_addresses_are_rejected)
{
	static const char *const bad[] = {
		"", "localhost", "127.0.0.1@", "127.0.0.1@0", "127.0.0.1@65536",
		"127.0.0.1@53x", "127.0.0.1:", "[::1", "[::1]x", "[::1]:",
		"::1@port", "1.2.3.4.5", "[]:53", "@53",
	};
	const char *path = write_anchor(test_dnskey);
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dns_resolver *r = (dns_resolver *)1;
		char err[256] = "";

		cr_expect_eq(try_new(bad[i], path, &r, err, sizeof(err)), -1,
		    "\"%s\" accepted", bad[i]);
		cr_expect_null(r);
		cr_expect_not_null(strstr(err, "bad resolver"), "\"%s\": %s",
		    bad[i], err);
	}
}

Test(dns_resolver, recursive_mode_sets_up_without_a_resolver)
{
	dns_resolver *r = NULL;
	char err[256] = "";

	cr_expect_eq(try_new(NULL, write_anchor(test_dnskey), &r, err,
	    sizeof(err)), 0, "%s", err);
	cr_expect_not_null(r);
	dns_resolver_free(r);
	dns_resolver_free(NULL);
}

static int calls;
static dns_status last_status;
static dns_resolver *cb_resolver;
static int lookup_from_cancel_rc;

static void
count_cb(dns_answer *a, void *arg)
{
	char err[64];

	cr_expect_eq(arg, &calls);
	calls++;
	last_status = a->status;
	/* The contract: after CANCELLED the resolver takes no new work. */
	if (a->status == DNS_STATUS_CANCELLED)
		lookup_from_cancel_rc = dns_lookup(cb_resolver, "x.test",
		    DNS_TYPE_A, count_cb, &calls, err, sizeof(err));
	dns_answer_free(a);
}

Test(dns_resolver, lookup_of_an_invalid_name_fails_without_callback)
{
	dns_resolver *r = NULL;
	char err[256] = "", name[300];

	cr_assert_eq(try_new("127.0.0.1@9", write_anchor(test_dnskey), &r, err,
	    sizeof(err)), 0, "%s", err);
	memset(name, 'a', 70); /* a label longer than 63 octets */
	strcpy(name + 70, ".test");
	calls = 0;
	cr_expect_eq(dns_lookup(r, name, DNS_TYPE_MX, count_cb, &calls, err,
	    sizeof(err)), -1);
	cr_expect_neq(err[0], '\0');
	cr_expect_eq(dns_resolver_pending(r), 0);
	ev_run(loop, EVRUN_NOWAIT);
	cr_expect_eq(calls, 0);
	dns_resolver_free(r);
	cr_expect_eq(calls, 0);
}

Test(dns_resolver, free_cancels_lookups_in_flight_exactly_once)
{
	dns_resolver *r = NULL;
	char err[256] = "";

	cr_assert_eq(try_new("127.0.0.1@9", write_anchor(test_dnskey), &r, err,
	    sizeof(err)), 0, "%s", err);
	calls = 0;
	lookup_from_cancel_rc = 0;
	cb_resolver = r;
	cr_assert_eq(dns_lookup(r, "mx.test", DNS_TYPE_MX, count_cb, &calls,
	    err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(dns_lookup(r, "_25._tcp.mx.test", DNS_TYPE_TLSA, count_cb,
	    &calls, err, sizeof(err)), 0, "%s", err);
	/* Never from inside dns_lookup(): only from the loop or free. */
	cr_expect_eq(calls, 0);
	cr_expect_eq(dns_resolver_pending(r), 2);
	dns_resolver_free(r);
	cr_expect_eq(calls, 2);
	cr_expect_eq(last_status, DNS_STATUS_CANCELLED);
	cr_expect_eq(lookup_from_cancel_rc, -1);
	/* Nothing of the resolver may be left on the loop. */
	ev_run(loop, 0);
	cr_expect_eq(calls, 2);
}

static void
free_from_cb(dns_answer *a, void *arg)
{
	(void)arg;
	calls++;
	last_status = a->status;
	dns_answer_free(a);
	if (cb_resolver != NULL) {
		dns_resolver *r = cb_resolver;

		cb_resolver = NULL;
		dns_resolver_free(r);
	}
}

Test(dns_resolver, callback_may_free_the_resolver)
{
	dns_resolver *r = NULL;
	dns_resolver_config cfg = { .resolver = "127.0.0.1@9",
	    .timeout_ms = 300 };
	char err[256] = "";

	cfg.trust_anchor_file = write_anchor(test_dnskey);
	cr_assert_eq(dns_resolver_new(loop, &cfg, &r, err, sizeof(err)), 0,
	    "%s", err);
	calls = 0;
	cb_resolver = r;
	cr_assert_eq(dns_lookup(r, "a.test", DNS_TYPE_A, free_from_cb, NULL,
	    err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(dns_lookup(r, "b.test", DNS_TYPE_A, free_from_cb, NULL,
	    err, sizeof(err)), 0, "%s", err);
	/* Port 9 is closed: over TCP both fail at once; the first callback
	 * frees the resolver, which cancels the second. */
	ev_run(loop, 0);
	cr_expect_eq(calls, 2);
	cr_expect_null(cb_resolver);
}

/* A resolver that takes TCP connections (the kernel completes them from
 * the backlog) and never answers: lookups must end at our own deadline,
 * as timeouts, since getdns's timeout is set far beyond it. */
static char last_reason[256];
static double last_elapsed_ms;

static void
reason_cb(dns_answer *a, void *arg)
{
	(void)arg;
	calls++;
	last_status = a->status;
	last_elapsed_ms = a->elapsed_ms;
	snprintf(last_reason, sizeof(last_reason), "%s", a->reason);
	dns_answer_free(a);
}

static int
silent_listener(unsigned *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(fd, 8), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

Test(dns_resolver, silent_resolver_times_out_at_our_deadline)
{
	dns_resolver *r = NULL;
	dns_resolver_config cfg = { .timeout_ms = 300 };
	char err[256] = "", spec[32], want[256];
	unsigned port;
	int fd = silent_listener(&port);

	snprintf(spec, sizeof(spec), "127.0.0.1@%u", port);
	cfg.resolver = spec;
	cfg.trust_anchor_file = write_anchor(test_dnskey);
	cr_assert_eq(dns_resolver_new(loop, &cfg, &r, err, sizeof(err)), 0,
	    "%s", err);
	calls = 0;
	cr_assert_eq(dns_lookup(r, "a.test", DNS_TYPE_A, reason_cb, NULL, err,
	    sizeof(err)), 0, "%s", err);
	ev_run(loop, 0);
	cr_expect_eq(calls, 1);
	cr_expect_eq(last_status, DNS_STATUS_TIMEOUT);
	/* Nothing at all answered, not even the root canary: a local
	 * outage, and the reason says what to check. */
	snprintf(want, sizeof(want), "no answer from resolver %s within 0.3 s, "
	    "not even for the root: is it running, and open to this host "
	    "over TCP?", spec);
	cr_expect_str_eq(last_reason, want);
	cr_expect_geq(last_elapsed_ms, 250.0);
	cr_expect_lt(last_elapsed_ms, 5000.0);
	cr_expect_eq(dns_resolver_pending(r), 0);
	dns_resolver_free(r);
	close(fd);
}

/* Over TCP, a closed port is a failed connection, reported at once. */
Test(dns_resolver, refused_resolver_fails_at_once)
{
	dns_resolver *r = NULL;
	dns_resolver_config cfg = { .resolver = "127.0.0.1@9",
	    .timeout_ms = 5000 };
	char err[256] = "";

	cfg.trust_anchor_file = write_anchor(test_dnskey);
	cr_assert_eq(dns_resolver_new(loop, &cfg, &r, err, sizeof(err)), 0,
	    "%s", err);
	calls = 0;
	cr_assert_eq(dns_lookup(r, "a.test", DNS_TYPE_A, reason_cb, NULL, err,
	    sizeof(err)), 0, "%s", err);
	ev_run(loop, 0);
	cr_expect_eq(calls, 1);
	cr_expect_eq(last_status, DNS_STATUS_ERROR);
	cr_expect_str_eq(last_reason,
	    "no answer from resolver 127.0.0.1@9 (TCP connection failed): "
	    "is it running, and open to this host over TCP?");
	cr_expect_lt(last_elapsed_ms, 2000.0);
	dns_resolver_free(r);
}
