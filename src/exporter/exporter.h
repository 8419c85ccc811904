/*
 * exporter.h -- `daneprobe exporter`: a Prometheus exporter in the
 * multi-target pattern of blackbox_exporter.  Prometheus scrapes
 * /probe?target=DOMAIN[&module=NAME]; the exporter probes the domain and
 * answers with the daneprobe_* families of `check --format prometheus`
 * plus probe_success and probe_duration_seconds.  /metrics has its own
 * metrics, / a landing page with the last probes.
 *
 * Everything runs on one libev loop: HTTP (exporter_http), the probes
 * (exporter_probe), SIGHUP (reload the module file: a bad file keeps the
 * modules in force and says why), SIGTERM and SIGINT (stop accepting,
 * answer the scrapes still waiting with probe_success 0, free everything,
 * return 0).
 */
#ifndef DANEPROBE_EXPORTER_H
#define DANEPROBE_EXPORTER_H

#include <stddef.h>

#include "exporter/exporter_config.h"

/* Prometheus's list of exporter ports is full from 9100 to 9999;
 * daneprobe(1) says why this one. */
#define EXPORTER_DEFAULT_PORT 10025
#define EXPORTER_DEFAULT_LISTEN "127.0.0.1:10025"

typedef struct exporter_options {
	const char *listen;       /* --web.listen-address */
	const char *config_file;  /* --config.file, or NULL */
	exporter_module defaults; /* the module "default" (strings borrowed) */
	unsigned max_in_flight;   /* --probe.max-in-flight */
	unsigned max_connections; /* --web.max-connections */
	unsigned header_timeout;  /* --web.header-timeout, seconds */
	unsigned max_sessions;    /* SMTP sessions at once, all probes */
} exporter_options;

/* Runs until SIGTERM or SIGINT.  Returns 0, or 1 after saying on stderr
 * why it could not start (bad module file, address in use, ...). */
int exporter_run(const exporter_options *o);

#endif
