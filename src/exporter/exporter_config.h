/*
 * exporter_config.h -- the exporter's modules: named sets of probe
 * settings a scrape picks with `module=NAME`, read from a YAML file in the
 * manner of blackbox_exporter's:
 *
 *   modules:
 *     strict:
 *       timeout: 10s
 *       require_dane: true
 *       ip_protocol: ip4        # ip4, ip6 or both (the default)
 *       per_host: 2
 *       helo: probe.example.org
 *       resolver: 127.0.0.1@53
 *       trust_anchor: /etc/daneprobe/anchor.key
 *       root_hints: /etc/daneprobe/root.hints
 *       min_interval: 30s
 *
 * Every module starts from the command line's settings (the implicit
 * module "default", which the file may redefine) and overrides the keys it
 * gives.  Unknown keys, repeated keys or modules, and bad values are
 * errors that name the file, line and column.
 *
 * Ownership: exporter_config_load()/_parse() allocate the configuration;
 * exporter_config_free() frees it with its modules and strings.
 */
#ifndef DANEPROBE_EXPORTER_CONFIG_H
#define DANEPROBE_EXPORTER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct exporter_module {
	char *name;
	double timeout;      /* seconds, the probe's longest deadline */
	double min_interval; /* seconds a result is served again; 0: never */
	bool require_dane;
	bool use_ipv4, use_ipv6; /* ip_protocol */
	unsigned per_host;       /* connections to one address at once */
	char *helo;              /* EHLO name */
	char *resolver;          /* NULL: full recursion */
	char *trust_anchor;      /* NULL: the default anchor file */
	char *root_hints;        /* NULL: the built-in root servers */
} exporter_module;

typedef struct exporter_config {
	exporter_module *modules; /* "default" first */
	size_t n;
} exporter_config;

/* The module file `path` on top of `defaults` (whose name is ignored:
 * it becomes "default").  path NULL: the default module alone.
 * Returns 0, or -1 with "FILE:LINE:COLUMN: reason" in err. */
int exporter_config_load(const char *path, const exporter_module *defaults,
    exporter_config **out, char *err, size_t errlen);

/* The same from text in memory; `name` is the file name errors show. */
int exporter_config_parse(const char *text, size_t len, const char *name,
    const exporter_module *defaults, exporter_config **out, char *err,
    size_t errlen);

/* The module called `name`, or NULL. */
const exporter_module *exporter_config_find(
    const exporter_config *c, const char *name);

void exporter_config_free(exporter_config *c);

/* A duration as Prometheus writes them: "10s", "1m30s", "500ms", "2h";
 * a bare number is seconds.  0, or -1 when malformed. */
int exporter_parse_duration(const char *s, double *out);

/* The ip_protocol names: "ip4", "ip6", "both". */
const char *exporter_ip_protocol_name(bool use_ipv4, bool use_ipv6);

#endif
