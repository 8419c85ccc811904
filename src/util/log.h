/*
 * log.h -- diagnostics on stderr as key=value lines.
 *
 * stdout carries only a front-end's output; everything here goes to stderr.
 * Level is process-wide (set once by main from -v/--debug).
 */
#ifndef DANEPROBE_LOG_H
#define DANEPROBE_LOG_H

typedef enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
} log_level;

void log_set_level(log_level level);
log_level log_get_level(void);

/* Prints "daneprobe: LEVEL: <message>\n" when level <= the process level. */
void log_msg(log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
