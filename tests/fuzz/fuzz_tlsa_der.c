/*
 * fuzz_tlsa_der.c -- usability of full-data TLSA records (matching type 0)
 * whose association data is arbitrary bytes from DNS.
 *
 * tlsa_record_usability() hands mtype-0 data to OpenSSL's DER decoders
 * (d2i_X509 for selector 0, d2i_PUBKEY for selector 1) and accepts it only
 * when one object fills the data exactly.  The input is that data; it is
 * judged as a certificate and as a public key, under DANE-TA and DANE-EE
 * (same answer), and as digests (usable only at 32 and 64 bytes).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "dns/tlsa_record.h"
#include "fuzz.h"

const char fuzz_target_name[] = "tlsa_der";

static tlsa_usability
judge(uint8_t usage, uint8_t selector, uint8_t mtype, const uint8_t *data,
    size_t size)
{
	tlsa_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.usage = usage;
	rec.selector = selector;
	rec.mtype = mtype;
	rec.data = (uint8_t *)data; /* borrowed: never cleared here */
	rec.len = size;
	return tlsa_record_usability(&rec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (uint8_t sel = 0; sel < 2; sel++) {
		tlsa_usability ee = judge(3, sel, TLSA_MTYPE_FULL, data, size);
		tlsa_usability ta = judge(2, sel, TLSA_MTYPE_FULL, data, size);

		FUZZ_CHECK(ee == TLSA_USABLE || ee == TLSA_UNUSABLE_FULL_DATA);
		FUZZ_CHECK(ee == ta);
		if (size == 0)
			FUZZ_CHECK(ee == TLSA_UNUSABLE_FULL_DATA);
		FUZZ_CHECK(judge(3, sel, TLSA_MTYPE_SHA256, data, size) ==
		    (size == 32 ? TLSA_USABLE : TLSA_UNUSABLE_DIGEST_LENGTH));
		FUZZ_CHECK(judge(3, sel, TLSA_MTYPE_SHA512, data, size) ==
		    (size == 64 ? TLSA_USABLE : TLSA_UNUSABLE_DIGEST_LENGTH));
	}
	FUZZ_CHECK(judge(1, 0, TLSA_MTYPE_FULL, data, size) ==
	    TLSA_UNUSABLE_PKIX_USAGE);
	return 0;
}
