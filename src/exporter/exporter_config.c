/*
 * exporter_config.c -- the module file, read with libyaml's event parser
 * so that every error can name the line and column it comes from.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "dns/dns_name.h"
#include "exporter/exporter_config.h"
#include "util/parse.h"

#define MAX_MODULES 256
#define MAX_TIMEOUT 3600.0
#define MAX_MIN_INTERVAL 86400.0

typedef struct reader {
	yaml_parser_t p;
	const char *file;
	char *err;
	size_t errlen;
	const exporter_module *defaults;
	exporter_config *cfg;
	bool default_seen; /* the file defined "default" */
} reader;

static int fail_at(reader *r, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail_at(reader *r, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(r->err, r->errlen, "%s:%zu:%zu: ", r->file,
	    m->line + 1, m->column + 1);

	if (n < 0 || (size_t)n >= r->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* The next event; aliases are refused (a module file needs none). */
static int
next(reader *r, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&r->p, ev)) {
		const char *what = r->p.problem ? r->p.problem : "syntax error";
		yaml_mark_t m = r->p.problem_mark;

		return fail_at(r, &m, "%s", what);
	}
	if (ev->type == YAML_ALIAS_EVENT) {
		yaml_mark_t m = ev->start_mark;

		yaml_event_delete(ev);
		return fail_at(r, &m, "YAML aliases are not supported here");
	}
	return 0;
}

static const char *
scalar(const yaml_event_t *ev)
{
	return (const char *)ev->data.scalar.value;
}

/* An empty value ("key:" with nothing after it) reads as null. */
static bool
is_null(const yaml_event_t *ev)
{
	return ev->type == YAML_SCALAR_EVENT &&
	    ev->data.scalar.plain_implicit &&
	    (ev->data.scalar.length == 0 || strcmp(scalar(ev), "~") == 0 ||
	        strcmp(scalar(ev), "null") == 0);
}

static const char *
event_kind(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	case YAML_SEQUENCE_START_EVENT:
		return "a list";
	case YAML_SCALAR_EVENT:
		return "a plain value";
	default:
		return "something else";
	}
}

/* ---- values ------------------------------------------------------------ */

int
exporter_parse_duration(const char *s, double *out)
{
	static const struct {
		const char *unit;
		double seconds;
	} units[] = { { "ms", 0.001 }, { "s", 1 }, { "m", 60 }, { "h", 3600 },
		{ "d", 86400 } };
	double total = 0;
	bool bare = true;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s != '\0') {
		double v = 0, scale = 1;
		size_t k, ulen = 0;

		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s) && v < 1e9)
			v = v * 10 + (*s++ - '0');
		if (*s == '.') {
			if (!isdigit((unsigned char)*++s))
				return -1;
			while (isdigit((unsigned char)*s))
				v += (*s++ - '0') * (scale /= 10);
		}
		if (isdigit((unsigned char)*s))
			return -1; /* absurdly long number */
		if (*s == '\0' && bare) {
			*out = v; /* a bare number: seconds */
			return 0;
		}
		for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
			ulen = strlen(units[k].unit);
			if (strncmp(s, units[k].unit, ulen) == 0 &&
			    !isalpha((unsigned char)s[ulen]))
				break;
		}
		if (k == sizeof(units) / sizeof(units[0]))
			return -1;
		total += v * units[k].seconds;
		s += ulen;
		bare = false;
	}
	*out = total;
	return 0;
}

const char *
exporter_ip_protocol_name(bool use_ipv4, bool use_ipv6)
{
	if (use_ipv4 && use_ipv6)
		return "both";
	return use_ipv4 ? "ip4" : "ip6";
}

/* RFC 5321 4.1.1.1: a host name or an address literal. */
static bool
valid_helo(const char *s)
{
	char buf[64];
	size_t n = strlen(s);
	unsigned char bin[16];

	if (n > 2 && s[0] == '[' && s[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = '\0';
		if (strncmp(buf, "IPv6:", 5) == 0)
			return inet_pton(AF_INET6, buf + 5, bin) == 1;
		return inet_pton(AF_INET, buf, bin) == 1;
	}
	return dns_name_is_hostname(s, false);
}

static int
set_string(reader *r, const yaml_event_t *v, char **field)
{
	char *copy;

	if (v->data.scalar.length == 0 || v->data.scalar.length > 1024)
		return fail_at(r, &v->start_mark,
		    "expected a non-empty value of at most 1024 characters");
	if ((copy = strdup(scalar(v))) == NULL)
		return fail_at(r, &v->start_mark, "out of memory");
	free(*field);
	*field = copy;
	return 0;
}

static int
set_file(reader *r, const yaml_event_t *v, char **field)
{
	if (set_string(r, v, field) != 0)
		return -1;
	/* Checked now, so that a reload with a typo keeps the old modules. */
	if (access(*field, R_OK) != 0)
		return fail_at(
		    r, &v->start_mark, "cannot read \"%s\"", scalar(v));
	return 0;
}

static int
set_duration(reader *r, const yaml_event_t *v, double *field, double min,
    double max, const char *key)
{
	double d;

	if (exporter_parse_duration(scalar(v), &d) != 0 || d < min || d > max ||
	    (min == 0 && d == 0 && strcmp(key, "timeout") == 0))
		return fail_at(r, &v->start_mark,
		    "invalid %s \"%s\" (a duration such as 10s, 1m30s or "
		    "500ms, at most %.0fs%s)",
		    key, scalar(v), max,
		    strcmp(key, "timeout") == 0 ? ", more than 0" : "");
	*field = d;
	return 0;
}

static int
set_value(
    reader *r, exporter_module *m, const yaml_event_t *k, const yaml_event_t *v)
{
	const char *key = scalar(k), *s = scalar(v);
	long n;

	if (strcmp(key, "timeout") == 0)
		return set_duration(r, v, &m->timeout, 0, MAX_TIMEOUT, key);
	if (strcmp(key, "min_interval") == 0)
		return set_duration(
		    r, v, &m->min_interval, 0, MAX_MIN_INTERVAL, key);
	if (strcmp(key, "require_dane") == 0) {
		if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
			return fail_at(r, &v->start_mark,
			    "invalid require_dane \"%s\" (true or false)", s);
		m->require_dane = strcmp(s, "true") == 0;
		return 0;
	}
	if (strcmp(key, "ip_protocol") == 0) {
		if (strcmp(s, "ip4") != 0 && strcmp(s, "ip6") != 0 &&
		    strcmp(s, "both") != 0)
			return fail_at(r, &v->start_mark,
			    "invalid ip_protocol \"%s\" (ip4, ip6 or both)", s);
		m->use_ipv4 = strcmp(s, "ip6") != 0;
		m->use_ipv6 = strcmp(s, "ip4") != 0;
		return 0;
	}
	if (strcmp(key, "per_host") == 0) {
		if (parse_long(s, 1, 1000, &n) != 0)
			return fail_at(r, &v->start_mark,
			    "invalid per_host \"%s\" (1 to 1000)", s);
		m->per_host = (unsigned)n;
		return 0;
	}
	if (strcmp(key, "helo") == 0) {
		if (!valid_helo(s))
			return fail_at(r, &v->start_mark,
			    "invalid helo \"%s\" (a host name or an address "
			    "literal such as [192.0.2.1])",
			    s);
		return set_string(r, v, &m->helo);
	}
	if (strcmp(key, "resolver") == 0)
		return set_string(r, v, &m->resolver);
	if (strcmp(key, "trust_anchor") == 0)
		return set_file(r, v, &m->trust_anchor);
	if (strcmp(key, "root_hints") == 0)
		return set_file(r, v, &m->root_hints);
	return fail_at(r, &k->start_mark,
	    "unknown module setting \"%s\" (timeout, min_interval, "
	    "require_dane, ip_protocol, per_host, helo, resolver, "
	    "trust_anchor, root_hints)",
	    key);
}

/* ---- modules ----------------------------------------------------------- */

static void
module_clear(exporter_module *m)
{
	free(m->name);
	free(m->helo);
	free(m->resolver);
	free(m->trust_anchor);
	free(m->root_hints);
	memset(m, 0, sizeof(*m));
}

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* m = a deep copy of src, called `name`; 0 or -1 (out of memory). */
static int
module_copy(exporter_module *m, const exporter_module *src, const char *name)
{
	*m = *src;
	m->name = strdup(name);
	m->helo = dup_or_null(src->helo);
	m->resolver = dup_or_null(src->resolver);
	m->trust_anchor = dup_or_null(src->trust_anchor);
	m->root_hints = dup_or_null(src->root_hints);
	if (m->name == NULL || (src->helo && !m->helo) ||
	    (src->resolver && !m->resolver) ||
	    (src->trust_anchor && !m->trust_anchor) ||
	    (src->root_hints && !m->root_hints)) {
		module_clear(m);
		return -1;
	}
	return 0;
}

static bool
valid_module_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

/* The module's settings: a mapping of plain values (or nothing). */
static int
read_settings(reader *r, exporter_module *m, const yaml_event_t *start)
{
	yaml_event_t k, v;
	char keys[16][16]; /* the settings given so far */
	size_t nkeys = 0;

	if (is_null(start))
		return 0;
	if (start->type != YAML_MAPPING_START_EVENT)
		return fail_at(r, &start->start_mark,
		    "expected the module's settings (a mapping), not %s",
		    event_kind(start));
	for (;;) {
		int rc;

		if (next(r, &k) != 0)
			return -1;
		if (k.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&k);
			return 0;
		}
		if (k.type != YAML_SCALAR_EVENT) {
			rc = fail_at(r, &k.start_mark,
			    "expected a setting name, not %s", event_kind(&k));
			yaml_event_delete(&k);
			return rc;
		}
		for (size_t i = 0; i < nkeys; i++)
			if (strcmp(keys[i], scalar(&k)) == 0) {
				rc = fail_at(r, &k.start_mark,
				    "setting \"%s\" given twice", scalar(&k));
				yaml_event_delete(&k);
				return rc;
			}
		if (nkeys < 16 && k.data.scalar.length < 16)
			snprintf(
			    keys[nkeys++], sizeof(keys[0]), "%s", scalar(&k));
		if (next(r, &v) != 0) {
			yaml_event_delete(&k);
			return -1;
		}
		if (v.type != YAML_SCALAR_EVENT)
			rc = fail_at(r, &v.start_mark,
			    "expected a value for \"%s\", not %s", scalar(&k),
			    event_kind(&v));
		else
			rc = set_value(r, m, &k, &v);
		yaml_event_delete(&k);
		yaml_event_delete(&v);
		if (rc != 0)
			return -1;
	}
}

/* A new module slot called `name` (copied from the defaults). */
static exporter_module *
add_module(reader *r, const yaml_event_t *k)
{
	exporter_config *c = r->cfg;
	const char *name = scalar(k);
	exporter_module *grown;

	if (strcmp(name, "default") == 0) {
		if (r->default_seen) {
			fail_at(r, &k->start_mark,
			    "module \"default\" defined twice");
			return NULL;
		}
		r->default_seen = true;
		return &c->modules[0];
	}
	if (!valid_module_name(name)) {
		fail_at(r, &k->start_mark,
		    "invalid module name (1 to 64 letters, digits, '_', "
		    "'.' or '-')");
		return NULL;
	}
	if (exporter_config_find(c, name) != NULL) {
		fail_at(r, &k->start_mark, "module \"%s\" defined twice", name);
		return NULL;
	}
	if (c->n >= MAX_MODULES) {
		fail_at(r, &k->start_mark, "more than %d modules", MAX_MODULES);
		return NULL;
	}
	grown = realloc(c->modules, (c->n + 1) * sizeof(*c->modules));
	if (grown == NULL || module_copy(&grown[c->n], &grown[0], name) != 0) {
		if (grown != NULL)
			c->modules = grown;
		fail_at(r, &k->start_mark, "out of memory");
		return NULL;
	}
	c->modules = grown;
	return &c->modules[c->n++];
}

static int
read_modules(reader *r, const yaml_event_t *start)
{
	yaml_event_t k, v;

	if (is_null(start))
		return 0;
	if (start->type != YAML_MAPPING_START_EVENT)
		return fail_at(r, &start->start_mark,
		    "expected modules by name (a mapping), not %s",
		    event_kind(start));
	for (;;) {
		exporter_module *m;
		int rc;

		if (next(r, &k) != 0)
			return -1;
		if (k.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&k);
			return 0;
		}
		if (k.type != YAML_SCALAR_EVENT) {
			rc = fail_at(r, &k.start_mark,
			    "expected a module name, not %s", event_kind(&k));
			yaml_event_delete(&k);
			return rc;
		}
		m = add_module(r, &k);
		yaml_event_delete(&k);
		if (m == NULL || next(r, &v) != 0)
			return -1;
		rc = read_settings(r, m, &v);
		yaml_event_delete(&v);
		if (rc != 0)
			return -1;
	}
}

/* The document: a mapping whose only key is "modules" (or nothing). */
static int
read_top(reader *r, const yaml_event_t *start)
{
	yaml_event_t k, v;
	bool seen = false;

	if (is_null(start))
		return 0;
	if (start->type != YAML_MAPPING_START_EVENT)
		return fail_at(r, &start->start_mark,
		    "expected a mapping with the key \"modules\", not %s",
		    event_kind(start));
	for (;;) {
		int rc;

		if (next(r, &k) != 0)
			return -1;
		if (k.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&k);
			return 0;
		}
		if (k.type != YAML_SCALAR_EVENT ||
		    strcmp(scalar(&k), "modules") != 0 || seen) {
			rc = fail_at(r, &k.start_mark,
			    k.type == YAML_SCALAR_EVENT && seen ?
			        "\"modules\" given twice" :
			        "unknown top-level key (only \"modules\")");
			yaml_event_delete(&k);
			return rc;
		}
		seen = true;
		yaml_event_delete(&k);
		if (next(r, &v) != 0)
			return -1;
		rc = read_modules(r, &v);
		yaml_event_delete(&v);
		if (rc != 0)
			return -1;
	}
}

/* Expects an event of `type`; 0, or -1 after saying what came instead. */
static int
expect(reader *r, yaml_event_type_t type, const char *what)
{
	yaml_event_t ev;
	int rc = 0;

	if (next(r, &ev) != 0)
		return -1;
	if (ev.type != type)
		rc = fail_at(r, &ev.start_mark, "%s", what);
	yaml_event_delete(&ev);
	return rc;
}

static int
read_stream(reader *r)
{
	yaml_event_t ev;
	int rc;

	if (expect(r, YAML_STREAM_START_EVENT, "not a YAML stream") != 0 ||
	    next(r, &ev) != 0)
		return -1;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return 0; /* an empty file: the default module alone */
	}
	yaml_event_delete(&ev); /* DOCUMENT_START */
	if (next(r, &ev) != 0)
		return -1;
	rc = read_top(r, &ev);
	yaml_event_delete(&ev);
	if (rc != 0 ||
	    expect(r, YAML_DOCUMENT_END_EVENT, "unexpected content") != 0 ||
	    expect(r, YAML_STREAM_END_EVENT,
	        "a second YAML document (the file must hold one)") != 0)
		return -1;
	return 0;
}

int
exporter_config_parse(const char *text, size_t len, const char *name,
    const exporter_module *defaults, exporter_config **out, char *err,
    size_t errlen)
{
	reader r = {
		.file = name, .err = err, .errlen = errlen, .defaults = defaults
	};
	int rc;

	*out = NULL;
	r.cfg = calloc(1, sizeof(*r.cfg));
	if (r.cfg == NULL ||
	    (r.cfg->modules = calloc(1, sizeof(*r.cfg->modules))) == NULL ||
	    module_copy(&r.cfg->modules[0], defaults, "default") != 0) {
		exporter_config_free(r.cfg);
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	r.cfg->n = 1;
	if (text == NULL) {
		*out = r.cfg;
		return 0;
	}
	if (!yaml_parser_initialize(&r.p)) {
		exporter_config_free(r.cfg);
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	yaml_parser_set_input_string(&r.p, (const unsigned char *)text, len);
	rc = read_stream(&r);
	yaml_parser_delete(&r.p);
	if (rc != 0) {
		exporter_config_free(r.cfg);
		return -1;
	}
	*out = r.cfg;
	return 0;
}

/* The whole file in memory (module files are small): at most 1 MiB. */
static char *
slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0, cap = 1 << 20;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(cap + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
	} else {
		n = fread(buf, 1, cap + 1, f);
		if (ferror(f) || n > cap) {
			snprintf(err, errlen, "%s: %s", path,
			    n > cap ? "larger than 1 MiB" : "read error");
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

int
exporter_config_load(const char *path, const exporter_module *defaults,
    exporter_config **out, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (path != NULL && (text = slurp(path, &len, err, errlen)) == NULL) {
		*out = NULL;
		return -1;
	}
	rc = exporter_config_parse(
	    text, len, path ? path : "(defaults)", defaults, out, err, errlen);
	free(text);
	return rc;
}

const exporter_module *
exporter_config_find(const exporter_config *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->modules[i].name, name) == 0)
			return &c->modules[i];
	return NULL;
}

void
exporter_config_free(exporter_config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		module_clear(&c->modules[i]);
	free(c->modules);
	free(c);
}
