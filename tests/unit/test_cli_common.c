/*
 * test_cli_common.c -- the command line's option group and parsers, from
 * tables: each row a command line as a front-end passes it, the exit it
 * must lead to and the reason it must give (the words users see today).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <getopt.h>
#include <string.h>

#include "cli/cli_args.h"
#include "cli/cli_common.h"
#include "cli/cli_key.h"
#include "cli/cli_net.h"
#include "util/parse.h"

static const struct option probe_table[] = {
	CLI_PROBE_LONG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* Parses argv (NULL-terminated, argv[0] included) as check and the
 * plugin do; returns 0, or -1 with the reason in err. */
static int
parse(cli_options *o, char **argv, char *err, size_t errlen)
{
	int argc = 0, c;

	while (argv[argc] != NULL)
		argc++;
	optind = 0;        /* glibc: full reinitialisation */
	opterr = 0;
	cli_options_init(o);
	err[0] = '\0';
	while ((c = getopt_long(argc, argv, ":" CLI_PROBE_SHORT_OPTIONS,
	    probe_table, NULL)) != -1) {
		int rc = cli_probe_option(o, c, optarg, err, errlen);

		if (rc == -1)
			return -1;
		if (rc == 0) {
			cli_bad_option(argv, probe_table, c, err, errlen);
			return -1;
		}
	}
	cli_options_finish(o);
	return 0;
}

typedef struct bad_case {
	const char *args[6];
	const char *why;
} bad_case;

static const bad_case bad_cases[] = {
	{ { "-t", "0" }, "invalid timeout \"0\" (seconds, up to 3600)" },
	{ { "-t", "3601" }, "invalid timeout \"3601\" (seconds, up to 3600)" },
	{ { "--timeout=1x" }, "invalid timeout \"1x\" (seconds, up to 3600)" },
	{ { "-t", "5", "-t", "5" },
	    "option -t/--timeout given twice (it takes one value)" },
	{ { "-p", "0" }, "invalid port \"0\"" },
	{ { "-p", "65536" }, "invalid port \"65536\"" },
	{ { "-p", "25x" }, "invalid port \"25x\"" },
	{ { "-p", "1", "--port", "2" },
	    "option -p/--port given twice (it takes one value)" },
	{ { "-4", "-6" }, "-4 and -6 contradict each other (give neither to "
	    "probe both families)" },
	{ { "--ipv6", "--ipv4" }, "-4 and -6 contradict each other (give "
	    "neither to probe both families)" },
	{ { "--helo", "a b" }, "invalid --helo \"a b\": give a host name "
	    "(mail.example.org) or an address literal ([192.0.2.1])" },
	{ { "--helo", "[1.2.3]" }, "invalid --helo \"[1.2.3]\": an address "
	    "literal is [192.0.2.1] or [IPv6:2001:db8::1]" },
	{ { "--helo", "\x1b[31mred" }, "invalid --helo \"\\x1b[31mred\": give "
	    "a host name (mail.example.org) or an address literal "
	    "([192.0.2.1])" },
	{ { "--helo", "a", "--helo", "b" },
	    "option --helo given twice (it takes one value)" },
	{ { "--resolver", "a", "--resolver", "b" },
	    "option --resolver given twice (it takes one value)" },
	{ { "--trust-anchor", "a", "--trust-anchor", "b" },
	    "option --trust-anchor given twice (it takes one value)" },
	{ { "--root-hints", "a", "--root-hints", "b" },
	    "option --root-hints given twice (it takes one value)" },
	{ { "-w", "x" }, "invalid warning threshold \"x\" (use DAYS:)" },
	{ { "-c", "1:2" }, "invalid critical threshold \"1:2\" (use DAYS:)" },
	{ { "-w", "5", "-w", "6" },
	    "option -w/--warning given twice (it takes one value)" },
	{ { "--max-addresses", "-1" },
	    "invalid --max-addresses \"-1\" (0 for no limit)" },
	{ { "--max-addresses", "1", "--max-addresses", "1" },
	    "option --max-addresses given twice (it takes one value)" },
	{ { "-x" }, "unknown option \"-x\"" },
	{ { "-t" }, "option \"-t\" needs an argument" },
	{ { "--timeout" }, "option \"--timeout\" needs an argument" },
	{ { "--bogus=1" }, "unknown option \"--bogus\"" },
	{ { "--r", "x" }, "ambiguous option \"--r\"" },
	{ { "--require-dane=1" }, "option \"--require-dane\" takes no "
	    "argument" },
};

Test(cli_common, each_bad_option_gives_todays_reason)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		char *argv[8] = { "prog" }, err[512];
		cli_options o;

		for (size_t k = 0; k < 6 && bad_cases[i].args[k]; k++)
			argv[k + 1] = (char *)bad_cases[i].args[k];
		cr_expect_eq(parse(&o, argv, err, sizeof(err)), -1,
		    "case %zu (%s) accepted", i, bad_cases[i].why);
		cr_expect_str_eq(err, bad_cases[i].why, "case %zu", i);
	}
}

Test(cli_common, defaults_map_onto_the_probe_config)
{
	char *argv[] = { "prog", NULL }, err[512];
	cli_options o;

	cr_assert_eq(parse(&o, argv, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(o.probe.port, 25);
	cr_assert(o.probe.use_ipv4 && o.probe.use_ipv6);
	cr_assert_float_eq(o.probe.timeout, 30.0, 1e-9);
	cr_assert_float_eq(o.probe.phase_timeout, 15.0, 1e-9);
	cr_assert_eq(o.net.dns.timeout_ms, 10000);
	cr_assert_eq(o.probe.expiry.warn_days, 20);
	cr_assert_eq(o.probe.expiry.crit_days, 7);
	cr_assert_eq(o.probe.max_addresses, CLI_DEFAULT_MAX_ADDRESSES);
	cr_assert_eq(o.probe.per_host, 2);
	cr_assert_neq(o.probe.max_sessions, 0);
	cr_assert_str_eq(o.probe.helo_name, o.net.helo);
	cr_assert_neq(o.probe.helo_name[0], '\0');
	cr_assert_null(o.net.dns.resolver);
}

Test(cli_common, given_values_map_onto_the_probe_config)
{
	char *argv[] = { "prog", "-t", "0.3", "-p", "2525", "-6", "--helo",
	    "[IPv6:2001:db8::1]", "--resolver", "127.0.0.1@5353",
	    "--trust-anchor", "ta", "--root-hints", "rh", "-w", "30:", "-c",
	    "~:", "--require-dane", "--no-rollover-warning",
	    "--max-addresses", "0", NULL };
	char err[512];
	cli_options o;

	cr_assert_eq(parse(&o, argv, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(o.probe.port, 2525);
	cr_assert(!o.probe.use_ipv4 && o.probe.use_ipv6);
	cr_assert_float_eq(o.probe.timeout, 0.3, 1e-9);
	cr_assert_float_eq(o.probe.phase_timeout, 0.3, 1e-9);
	/* Half of 0.3 s is below the floor: 200 ms. */
	cr_assert_eq(o.net.dns.timeout_ms, 200);
	cr_assert_str_eq(o.probe.helo_name, "[IPv6:2001:db8::1]");
	cr_assert_str_eq(o.net.dns.resolver, "127.0.0.1@5353");
	cr_assert_str_eq(o.net.dns.trust_anchor_file, "ta");
	cr_assert_str_eq(o.net.dns.root_hints_file, "rh");
	cr_assert_eq(o.probe.expiry.warn_days, 30);
	cr_assert_eq(o.probe.expiry.crit_days, -1);
	cr_assert(o.probe.require_dane && o.probe.no_rollover_warning);
	cr_assert_eq(o.probe.max_addresses, 0);
}

Test(cli_common, the_same_family_twice_is_no_contradiction)
{
	char *argv[] = { "prog", "-4", "--ipv4", NULL }, err[512];
	cli_options o;

	cr_assert_eq(parse(&o, argv, err, sizeof(err)), 0, "%s", err);
	cr_assert(o.probe.use_ipv4 && !o.probe.use_ipv6);
}

/* Each command keeps its own words for the two refusals that differ. */
Test(cli_net, a_command_words_its_refusals)
{
	static const cli_net_words words = { "", "for both families" };
	cli_net_options n;
	char err[300];

	cli_net_init(&n, &words);
	cr_assert_eq(cli_net_option(&n, 't', "0", err, sizeof(err)), -1);
	cr_assert_str_eq(err, "invalid timeout \"0\"");
	cr_assert_eq(cli_net_option(&n, '4', NULL, err, sizeof(err)), 1);
	cr_assert_eq(cli_net_option(&n, '6', NULL, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "-4 and -6 contradict each other (give neither "
	    "for both families)");
	cr_assert_eq(cli_net_option(&n, 'w', "5", err, sizeof(err)), 0);
	cr_assert(cli_net_wants(&n, '4') && !cli_net_wants(&n, '6'));
}

typedef struct dns_timeout_case {
	double seconds;
	unsigned ms;
} dns_timeout_case;

/* Half the budget, at least 200 ms, at most 10 s: the same for every
 * command (rollover too). */
Test(cli_net, dns_timeout_is_half_the_budget_within_bounds)
{
	static const dns_timeout_case cases[] = {
		{ 0.001, 200 }, { 0.3, 200 }, { 0.4, 200 }, { 1.0, 500 },
		{ 5.0, 2500 }, { 20.0, 10000 }, { 3600.0, 10000 },
	};
	static const cli_net_words words = { "", "" };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cli_net_options n;

		cli_net_init(&n, &words);
		n.timeout = cases[i].seconds;
		cli_net_finish(&n);
		cr_expect_eq(n.dns.timeout_ms, cases[i].ms, "%g s: %u ms",
		    cases[i].seconds, n.dns.timeout_ms);
	}
}

typedef struct long_case {
	const char *s;
	long min, max;
	int rc;
	long v;
} long_case;

Test(parse, parse_long_takes_whole_numbers_in_range)
{
	static const long_case cases[] = {
		{ "25", 1, 65535, 0, 25 }, { "65535", 1, 65535, 0, 65535 },
		{ "65536", 1, 65535, -1, 0 }, { "0", 1, 65535, -1, 0 },
		{ "-5", -5, -5, 0, -5 }, { "", 0, 9, -1, 0 },
		{ "1x", 0, 9, -1, 0 }, { "99999999999999999999", 0, 9, -1, 0 },
		{ NULL, 0, 9, -1, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long v = 777;

		cr_expect_eq(parse_long(cases[i].s, cases[i].min, cases[i].max,
		    &v), cases[i].rc, "case %zu", i);
		cr_expect_eq(v, cases[i].rc == 0 ? cases[i].v : 777,
		    "case %zu", i);
	}
}

Test(parse, parse_seconds_takes_up_to_an_hour)
{
	static const char *const good[] = { "0.5", "30", "3600", "1e1" };
	static const char *const bad[] = { "0", "-1", "3600.5", "nan", "inf",
	    "", "5s" };
	double d;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect_eq(parse_seconds(good[i], &d), 0, "%s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(parse_seconds(bad[i], &d), -1, "%s", bad[i]);
}

Test(cli_common, days_thresholds_take_nagios_forms)
{
	static const struct { const char *s; int rc; long v; } cases[] = {
		{ "20", 0, 20 }, { "20:", 0, 20 }, { "~:", 0, -1 },
		{ "", 0, -1 }, { "1:2", -1, 0 }, { "@5", -1, 0 },
		{ "100001:", -1, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long v = 777;

		cr_expect_eq(cli_parse_days_threshold(cases[i].s, &v),
		    cases[i].rc, "%s", cases[i].s);
		if (cases[i].rc == 0)
			cr_expect_eq(v, cases[i].v, "%s", cases[i].s);
	}
}

Test(cli_args, a_command_usage_error_goes_to_stderr_escaped,
    .init = cr_redirect_stderr)
{
	static const cli_usage u = { "daneprobe x", "Usage: daneprobe x" };

	cr_assert_eq(cli_usage_error(&u, "bad \"%s\"", "\x1b[2J"), 3);
	fflush(stderr);
	cr_assert_stderr_eq_str("daneprobe x: bad \"\\x1b[2J\"\n"
	    "Usage: daneprobe x\n");
}

Test(cli_args, the_plugin_usage_error_is_an_unknown_status_on_stdout,
    .init = cr_redirect_stdout)
{
	static const cli_usage u = { NULL, "Usage: check_x -H DOMAIN" };

	cr_assert_eq(cli_usage_error(&u, "%s", "no domain given"), 3);
	fflush(stdout);
	cr_assert_stdout_eq_str("DANE-SMTP UNKNOWN - no domain given\n"
	    "Usage: check_x -H DOMAIN\n");
}

Test(cli_key, takes_the_key_options_and_refuses_one_twice)
{
	cli_key_options k;
	char cert[] = "c.pem", pass[] = "secret", err[200] = "";

	memset(&k, 0, sizeof(k));
	cr_assert_eq(cli_key_option(&k, 't', cert, err, sizeof(err)), 0);
	cr_assert_eq(cli_key_option(&k, CLI_OPT_CERT, cert, err,
	    sizeof(err)), 1);
	cr_assert_str_eq(k.cert, "c.pem");
	cr_assert_eq(cli_key_option(&k, CLI_OPT_PASSWORD, pass, err,
	    sizeof(err)), 1);
	cr_assert_str_eq(k.password, "secret");
	cr_assert_eq(k.password, k.pw);
	/* The password leaves argv, so ps no longer shows it. */
	cr_assert_str_neq(pass, "secret");
	cr_assert_eq(cli_key_option(&k, CLI_OPT_CERT, cert, err,
	    sizeof(err)), -1);
	cr_assert_str_eq(err, "option --cert given twice (it takes one "
	    "value)");
	cli_key_wipe(&k);
	cr_assert_eq(k.pw[0], '\0');
}

Test(cli_key, refuses_a_password_longer_than_its_buffer)
{
	cli_key_options k;
	char pass[1100], err[200] = "";

	memset(&k, 0, sizeof(k));
	memset(pass, 'a', sizeof(pass) - 1);
	pass[sizeof(pass) - 1] = '\0';
	cr_assert_eq(cli_key_option(&k, CLI_OPT_PASSWORD, pass, err,
	    sizeof(err)), -1);
	cr_assert_str_eq(err, "--password: longer than 1023 bytes");
	cr_assert_null(k.password);
}

Test(cli_key, without_a_password_file_the_password_stays_as_given)
{
	cli_key_options k;
	char err[200] = "";

	memset(&k, 0, sizeof(k));
	cr_assert_eq(cli_key_read_password(&k, err, sizeof(err)), 0);
	cr_assert_null(k.password);
	k.password_file = "/nonexistent/pw";
	cr_assert_eq(cli_key_read_password(&k, err, sizeof(err)), -1);
	cr_assert_neq(err[0], '\0');
	cr_assert_null(k.password);
}
