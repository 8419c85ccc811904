/*
 * daneprobe -- DANE-SMTP (RFC 7672) verifier: the command dispatcher.
 * Each command lives in its own cmd_*.c file.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"

static void
usage(FILE *out)
{
	fprintf(out,
"Usage: daneprobe COMMAND [options] ...\n"
"\n"
"Commands:\n"
"  check DOMAIN...   audit the inbound-mail DANE of domains (RFC 7672)\n"
"  tlsa              print the TLSA record for a certificate, key or server\n"
"  rollover plan|check|status  change keys without breaking DANE\n"
"  version           print the version\n"
"  help [COMMAND]    this help, or a command's help\n"
"\n");
	cmd_check_usage(out);
	fputc('\n', out);
	cmd_tlsa_usage(out);
	fputc('\n', out);
	cmd_rollover_usage(out);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "tlsa") == 0)
		return cmd_tlsa(argc - 1, argv + 1);
	if (strcmp(argv[1], "rollover") == 0)
		return cmd_rollover(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0 ||
	    strcmp(argv[1], "--version") == 0) {
		printf("daneprobe %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "daneprobe: unknown command \"%s\" (see daneprobe "
	    "help)\n", argv[1]);
	return EXIT_USAGE;
}
