/*
 * cli_key.h -- the options that name a certificate or key to hash, parsed
 * in one place: --cert, --key and, for an encrypted private key,
 * --password or --password-file.  `daneprobe tlsa` and `daneprobe
 * rollover` (plan, check) take them.
 *
 * A command puts CLI_KEY_LONG_OPTIONS into its option table (beside
 * CLI_NET_LONG_OPTIONS, not CLI_PROBE_LONG_OPTIONS: the codes overlap),
 * numbers its own long options from CLI_KEY_OPT_FREE and hands every
 * option to cli_key_option() (after cli_net_option()).
 */
#ifndef DANEPROBE_CLI_KEY_H
#define DANEPROBE_CLI_KEY_H

#include <stddef.h>

#include "cli/cli_args.h"
#include "cli/cli_net.h"

enum {
	CLI_OPT_CERT = CLI_NET_OPT_FREE,
	CLI_OPT_KEY,
	CLI_OPT_PASSWORD,
	CLI_OPT_PASSWORD_FILE,
	CLI_KEY_OPT_FREE,
};

#define CLI_KEY_LONG_OPTIONS \
	{ "cert", required_argument, NULL, CLI_OPT_CERT }, \
	    { "key", required_argument, NULL, CLI_OPT_KEY }, \
	    { "password", required_argument, NULL, CLI_OPT_PASSWORD }, \
	{ \
		"password-file", required_argument, NULL, \
		    CLI_OPT_PASSWORD_FILE \
	}

typedef struct cli_key_options {
	const char *cert, *key;    /* argv strings, borrowed */
	const char *password_file; /* argv string, borrowed */
	const char *password;      /* pw once given or read, else NULL */
	char pw[1024];             /* the password; cli_key_wipe() it */
	cli_seen seen;             /* options of the group given */
} cli_key_options;

/* Applies option `c` with `arg`.  Returns 1 when handled, 0 when `c` is
 * not a key option, -1 with a reason in err when an option comes twice or
 * the --password is too long.  --password is copied into k->pw and wiped
 * from argv. */
int cli_key_option(
    cli_key_options *k, int c, char *arg, char *err, size_t errlen);

/* With --password-file, reads the password into k->pw.  0 (k->password
 * is then the password, or NULL when none was given), or -1 with the
 * reason in err. */
int cli_key_read_password(cli_key_options *k, char *err, size_t errlen);

/* Overwrites the password buffer; call once the key is loaded. */
void cli_key_wipe(cli_key_options *k);

#endif
