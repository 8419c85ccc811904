/*
 * daneprobe -- DANE-SMTP (RFC 7672) verifier: the command dispatcher.
 * Each command lives in its own cmd_*.c file.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static void
overview(FILE *out)
{
	fprintf(out,
	    "Usage: daneprobe COMMAND [options] ...\n"
	    "\n"
	    "Commands:\n"
	    "  check DOMAIN...   audit the inbound-mail DANE of domains (RFC 7672)\n"
	    "  tlsa              print the TLSA record for a certificate, key or server\n"
	    "  rollover plan|check|status  change keys without breaking DANE\n"
	    "  rollover run|stage|publish|wait|switch|retire --state FILE\n"
	    "                    the same, done unattended (RFC 2136 + ACME)\n"
	    "  exporter          serve DANE probes to Prometheus (/probe?target=)\n"
	    "  version           print the version (also -V, --version)\n"
	    "  help [COMMAND [SUBCOMMAND]]  all of this help, or one command's\n"
	    "                    (also COMMAND --help, rollover SUBCOMMAND --help)\n");
}

static void
usage(FILE *out)
{
	overview(out);
	fputc('\n', out);
	cmd_check_usage(out);
	fputc('\n', out);
	cmd_tlsa_usage(out);
	fputc('\n', out);
	cmd_rollover_usage(out);
	fputc('\n', out);
	cmd_exporter_usage(out);
}

/* `daneprobe help [COMMAND [SUBCOMMAND]]`: one command's help only. */
static int
help(int argc, char **argv)
{
	const char *cmd = argc > 2 ? argv[2] : NULL;
	const char *sub = argc > 3 ? argv[3] : NULL;

	if (cmd == NULL) {
		usage(stdout);
		return 0;
	}
	if (argc > 4 || (sub != NULL && strcmp(cmd, "rollover") != 0)) {
		fprintf(stderr,
		    "daneprobe help: too many arguments\n"
		    "Usage: daneprobe help [COMMAND [SUBCOMMAND]]\n");
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "check") == 0)
		cmd_check_usage(stdout);
	else if (strcmp(cmd, "tlsa") == 0)
		cmd_tlsa_usage(stdout);
	else if (strcmp(cmd, "rollover") == 0)
		return cmd_rollover_help(stdout, sub);
	else if (strcmp(cmd, "exporter") == 0)
		cmd_exporter_usage(stdout);
	else if (strcmp(cmd, "version") == 0 || strcmp(cmd, "help") == 0)
		overview(stdout);
	else {
		fprintf(stderr,
		    "daneprobe help: unknown command \"%s\" "
		    "(check, tlsa, rollover, exporter)\n",
		    cmd);
		return EXIT_USAGE;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	/* A server that resets mid-write must give EPIPE, not kill us
	 * (OpenSSL writes with write(2), so MSG_NOSIGNAL cannot help). */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		overview(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "tlsa") == 0)
		return cmd_tlsa(argc - 1, argv + 1);
	if (strcmp(cmd, "rollover") == 0)
		return cmd_rollover(argc - 1, argv + 1);
	if (strcmp(cmd, "exporter") == 0)
		return cmd_exporter(argc - 1, argv + 1);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0 ||
	    strcmp(cmd, "-V") == 0) {
		printf("daneprobe %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0)
		return help(argc, argv);
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr,
	    "daneprobe: unknown command \"%s\"\n"
	    "Usage: daneprobe COMMAND [options] (check, tlsa, rollover, "
	    "exporter, version; daneprobe help lists them)\n",
	    cmd);
	return EXIT_USAGE;
}
