/*
 * fuzz_trust_anchor.c -- the trust anchor file reader behind --trust-anchor
 * (dns_resolver_new: getdns_fp2rr_list, the DNSKEY/DS count, handing the
 * anchors to getdns) against arbitrary file contents.
 *
 * The input is written to a private temporary file that serves as the
 * anchor file.  The resolver is created in stub mode towards 127.0.0.1
 * port 9 (discard) and freed without a single lookup, so no packet is ever
 * sent.  A refused file must come with a reason; an accepted one must
 * have given a resolver.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/ev_compat.h"
#include "dns/dns_resolver.h"
#include "fuzz.h"

const char fuzz_target_name[] = "trust_anchor";

static char anchor_path[64];
static int anchor_fd = -1;
static struct ev_loop *loop;

static void
remove_anchor(void)
{
	if (anchor_fd >= 0)
		unlink(anchor_path);
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(anchor_path, sizeof(anchor_path), "%s/fuzz-anchor-XXXXXX",
	    tmp != NULL && strlen(tmp) < 40 ? tmp : "/tmp");
	FUZZ_CHECK((anchor_fd = mkstemp(anchor_path)) >= 0);
	atexit(remove_anchor);
	FUZZ_CHECK((loop = ev_loop_new(EVFLAG_AUTO)) != NULL);
}

static void
write_anchor(const uint8_t *data, size_t size)
{
	size_t off = 0;

	FUZZ_CHECK(ftruncate(anchor_fd, 0) == 0);
	while (off < size) {
		ssize_t n = pwrite(anchor_fd, data + off, size - off,
		    (off_t)off);

		FUZZ_CHECK(n > 0);
		off += (size_t)n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dns_resolver_config cfg = {
		.resolver = "127.0.0.1@9",
		.trust_anchor_file = anchor_path,
		.timeout_ms = 1000,
	};
	dns_resolver *r = NULL;
	char err[512];

	if (loop == NULL)
		setup();
	write_anchor(data, size);
	err[0] = '\0';
	if (dns_resolver_new(loop, &cfg, &r, err, sizeof(err)) == 0) {
		FUZZ_CHECK(r != NULL);
		FUZZ_CHECK(dns_resolver_pending(r) == 0);
		dns_resolver_free(r);
	} else {
		FUZZ_CHECK(r == NULL);
		FUZZ_CHECK(err[0] != '\0');
	}
	/* Nothing may be left for the loop to do: no socket, no timer. */
	FUZZ_CHECK(ev_run(loop, EVRUN_NOWAIT) == 0);
	return 0;
}
