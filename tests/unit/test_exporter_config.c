/*
 * test_exporter_config.c -- the exporter's module file: every setting,
 * inheritance from the command line's defaults, durations, and every kind
 * of error with the line and column it names.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporter/exporter_config.h"

static exporter_module defaults = {
	.name = (char *)"ignored",
	.timeout = 30,
	.min_interval = 0,
	.require_dane = false,
	.use_ipv4 = true,
	.use_ipv6 = true,
	.per_host = 2,
	.helo = (char *)"probe.example",
	.resolver = NULL,
	.trust_anchor = NULL,
	.root_hints = NULL,
};

static exporter_config *
parse_ok(const char *text)
{
	exporter_config *c = NULL;
	char err[600] = "";

	cr_assert_eq(exporter_config_parse(text, strlen(text), "t.yml",
	                 &defaults, &c, err, sizeof(err)),
	    0, "refused: %s", err);
	cr_assert_not_null(c);
	return c;
}

Test(exporter_config, every_setting_is_read)
{
	exporter_config *c = parse_ok("modules:\n"
	                              "  strict:\n"
	                              "    timeout: 1m30s\n"
	                              "    min_interval: 500ms\n"
	                              "    require_dane: true\n"
	                              "    ip_protocol: ip6\n"
	                              "    per_host: 5\n"
	                              "    helo: \"[192.0.2.1]\"\n"
	                              "    resolver: 127.0.0.1@5353\n"
	                              "    trust_anchor: /dev/null\n"
	                              "    root_hints: /dev/null\n");
	const exporter_module *m = exporter_config_find(c, "strict");

	cr_assert_eq(c->n, 2);
	cr_assert_str_eq(c->modules[0].name, "default");
	cr_assert_not_null(m);
	cr_expect_float_eq(m->timeout, 90.0, 1e-9);
	cr_expect_float_eq(m->min_interval, 0.5, 1e-9);
	cr_expect(m->require_dane);
	cr_expect(!m->use_ipv4);
	cr_expect(m->use_ipv6);
	cr_expect_eq(m->per_host, 5);
	cr_expect_str_eq(m->helo, "[192.0.2.1]");
	cr_expect_str_eq(m->resolver, "127.0.0.1@5353");
	cr_expect_str_eq(m->trust_anchor, "/dev/null");
	cr_expect_str_eq(m->root_hints, "/dev/null");
	exporter_config_free(c);
}

Test(exporter_config, modules_inherit_the_command_line_defaults)
{
	exporter_config *c =
	    parse_ok("modules:\n  v4: {ip_protocol: ip4}\n  bare:\n");
	const exporter_module *v4 = exporter_config_find(c, "v4");
	const exporter_module *bare = exporter_config_find(c, "bare");

	cr_assert_eq(c->n, 3);
	cr_assert_not_null(v4);
	cr_assert_not_null(bare);
	cr_expect(v4->use_ipv4 && !v4->use_ipv6);
	cr_expect_float_eq(v4->timeout, 30.0, 1e-9);
	cr_expect_str_eq(v4->helo, "probe.example");
	cr_expect_null(v4->resolver);
	cr_expect_eq(bare->per_host, 2);
	cr_expect(bare->use_ipv4 && bare->use_ipv6);
	cr_expect_null(exporter_config_find(c, "nope"));
	exporter_config_free(c);
}

Test(exporter_config, the_file_may_redefine_default)
{
	exporter_config *c =
	    parse_ok("modules:\n  default:\n    timeout: 5s\n");

	cr_assert_eq(c->n, 1);
	cr_expect_str_eq(c->modules[0].name, "default");
	cr_expect_float_eq(c->modules[0].timeout, 5.0, 1e-9);
	cr_expect_str_eq(c->modules[0].helo, "probe.example");
	exporter_config_free(c);
}

Test(exporter_config, an_empty_file_is_the_default_module_alone)
{
	const char *texts[] = { "", "# nothing\n", "modules:\n", "---\n" };

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		exporter_config *c = parse_ok(texts[i]);

		cr_expect_eq(c->n, 1, "text %zu", i);
		exporter_config_free(c);
	}
}

/* Each bad file and the start of the error it must give. */
static const struct {
	const char *text;
	const char *error;
} bad[] = {
	{ "modules:\n  a:\n    timeout: 10x\n",
	    "t.yml:3:14: invalid timeout \"10x\"" },
	{ "modules:\n  a:\n    timeout: 0s\n", "t.yml:3:14: invalid timeout" },
	{ "modules:\n  a:\n    timeout: 2h\n", "t.yml:3:14: invalid timeout" },
	{ "modules:\n  a:\n    min_interval: -1s\n",
	    "t.yml:3:19: invalid min_interval" },
	{ "modules:\n  a:\n    colour: red\n",
	    "t.yml:3:5: unknown module setting \"colour\"" },
	{ "mods: {}\n", "t.yml:1:1: unknown top-level key" },
	{ "modules: {}\nmodules: {}\n", "t.yml:2:1: \"modules\" given twice" },
	{ "modules:\n  a:\n    require_dane: yes\n",
	    "t.yml:3:19: invalid require_dane \"yes\"" },
	{ "modules:\n  a:\n    ip_protocol: ipv4\n",
	    "t.yml:3:18: invalid ip_protocol \"ipv4\"" },
	{ "modules:\n  a:\n    per_host: 0\n",
	    "t.yml:3:15: invalid per_host \"0\"" },
	{ "modules:\n  a:\n    helo: \"bad host!\"\n",
	    "t.yml:3:11: invalid helo" },
	{ "modules:\n  a: {}\n  a: {}\n",
	    "t.yml:3:3: module \"a\" defined twice" },
	{ "modules:\n  default: {}\n  default: {}\n",
	    "t.yml:3:3: module \"default\" defined twice" },
	{ "modules:\n  a:\n    timeout: 5s\n    timeout: 6s\n",
	    "t.yml:4:5: setting \"timeout\" given twice" },
	{ "modules:\n  a:\n    trust_anchor: /nonexistent/anchor.key\n",
	    "t.yml:3:19: cannot read \"/nonexistent/anchor.key\"" },
	{ "modules:\n  - a\n", "t.yml:2:3: expected modules by name" },
	{ "modules:\n  a: [1]\n", "t.yml:2:6: expected the module's settings" },
	{ "modules:\n  a:\n    timeout: [5s]\n",
	    "t.yml:3:14: expected a value for \"timeout\"" },
	{ "modules:\n  a: &x {timeout: 5s}\n  b: *x\n",
	    "t.yml:3:6: YAML aliases are not supported" },
	{ "modules:\n  \"a b\": {}\n", "t.yml:2:3: invalid module name" },
	{ "modules: {}\n---\nmodules: {}\n",
	    "t.yml:2:1: a second YAML document" },
	{ "- modules\n", "t.yml:1:1: expected a mapping" },
	{ "modules:\n  a: {timeout: 5s\n", "t.yml:3:1: did not find expected" },
	{ "modules:\n  a:\n    resolver: \"\"\n",
	    "t.yml:3:15: expected a non-empty value" },
};

Test(exporter_config, every_error_names_line_and_column)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		exporter_config *c = (exporter_config *)1;
		char err[600] = "";
		int rc = exporter_config_parse(bad[i].text, strlen(bad[i].text),
		    "t.yml", &defaults, &c, err, sizeof(err));

		cr_expect_eq(rc, -1, "accepted: %s", bad[i].text);
		cr_expect_null(c, "no configuration on error (%zu)", i);
		cr_expect(strncmp(err, bad[i].error, strlen(bad[i].error)) == 0,
		    "case %zu: got \"%s\", want \"%s...\"", i, err,
		    bad[i].error);
	}
}

Test(exporter_config, load_reads_a_file_and_names_a_missing_one)
{
	char path[] = "/tmp/exporter-config-XXXXXX";
	int fd = mkstemp(path);
	const char text[] = "modules:\n  fast:\n    timeout: 3s\n";
	exporter_config *c = NULL;
	char err[600] = "";

	cr_assert(fd >= 0);
	cr_assert_eq(
	    write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	cr_assert_eq(
	    exporter_config_load(path, &defaults, &c, err, sizeof(err)), 0,
	    "%s", err);
	cr_expect_float_eq(exporter_config_find(c, "fast")->timeout, 3.0, 1e-9);
	exporter_config_free(c);
	unlink(path);
	cr_expect_eq(
	    exporter_config_load(path, &defaults, &c, err, sizeof(err)), -1);
	cr_expect_null(c);
	cr_expect(strncmp(err, path, strlen(path)) == 0, "%s", err);
	cr_assert_eq(
	    exporter_config_load(NULL, &defaults, &c, err, sizeof(err)), 0);
	cr_expect_eq(c->n, 1);
	exporter_config_free(c);
}

Test(exporter_config, durations_as_prometheus_writes_them)
{
	static const struct {
		const char *s;
		double v;
	} good[] = { { "10s", 10 }, { "1m30s", 90 }, { "500ms", 0.5 },
		{ "2h", 7200 }, { "1.5s", 1.5 }, { "7", 7 }, { "0", 0 },
		{ "1d", 86400 } };
	static const char *const worse[] = { "", "s", "10x", "1m30", "-1s",
		"1e3s", " 5s", "5s ", "5.s", "10 s", "1ms5" };
	double d;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_expect_eq(
		    exporter_parse_duration(good[i].s, &d), 0, "%s", good[i].s);
		cr_expect_float_eq(d, good[i].v, 1e-9, "%s", good[i].s);
	}
	for (size_t i = 0; i < sizeof(worse) / sizeof(worse[0]); i++)
		cr_expect_eq(exporter_parse_duration(worse[i], &d), -1,
		    "accepted \"%s\"", worse[i]);
}
