#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "util/log.h"

static log_level current_level = LOG_LEVEL_WARN;

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void
log_set_level(log_level level)
{
	current_level = level;
}

log_level
log_get_level(void)
{
	return current_level;
}

void
log_msg(log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > current_level)
		return;
	fprintf(stderr, "daneprobe: %s: ", level_names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
