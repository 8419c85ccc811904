/*
 * cli_key.c -- the certificate and key options (cli_key.h).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>

#include <openssl/crypto.h>

#include "cli/cli_key.h"
#include "tls/tlsa_gen.h"

static const struct option key_options[] = {
	CLI_KEY_LONG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

int
cli_key_option(cli_key_options *k, int c, char *arg, char *err, size_t errlen)
{
	if (c < CLI_OPT_CERT || c >= CLI_KEY_OPT_FREE)
		return 0;
	/* A value given twice would quietly lose one of them. */
	if (cli_seen_once(&k->seen, key_options, c, err, errlen) != 0)
		return -1;
	switch (c) {
	case CLI_OPT_CERT:
		k->cert = arg;
		return 1;
	case CLI_OPT_KEY:
		k->key = arg;
		return 1;
	case CLI_OPT_PASSWORD:
		if (tlsa_gen_take_password(arg, k->pw, sizeof(k->pw)) != 0) {
			snprintf(err, errlen,
			    "--password: longer than %zu "
			    "bytes",
			    sizeof(k->pw) - 1);
			return -1;
		}
		k->password = k->pw;
		return 1;
	case CLI_OPT_PASSWORD_FILE:
		k->password_file = arg;
		return 1;
	default:
		return 0;
	}
}

int
cli_key_read_password(cli_key_options *k, char *err, size_t errlen)
{
	if (k->password_file == NULL)
		return 0;
	if (tlsa_gen_read_password(
	        k->password_file, k->pw, sizeof(k->pw), err, errlen) != 0)
		return -1;
	k->password = k->pw;
	return 0;
}

void
cli_key_wipe(cli_key_options *k)
{
	OPENSSL_cleanse(k->pw, sizeof(k->pw));
}
