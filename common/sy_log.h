/* sy_log.h - leveled logging with a process tag ("cp", "dp/2", "mock").
 *
 * The macros test the level before evaluating their arguments, so a disabled level costs
 * one comparison. Never pass a prompt, a completion, an API key, a provider key or a key's
 * hash to these functions. */
#ifndef SY_LOG_H
#define SY_LOG_H

#include <stddef.h>

enum sy_log_level {
	SY_LOG_ERROR,
	SY_LOG_WARN,
	SY_LOG_INFO,
	SY_LOG_DEBUG
};

extern enum sy_log_level sy_log_level;

/* Set the tag printed on every line (copied). */
void sy_log_set_tag(const char *tag);
/* Parse "error|warn|info|debug"; returns 0 or SY_EINVAL. */
int sy_log_set_level_name(const char *name);
/* s as a key=value log field, at most size - 1 characters: "-" when NULL or empty, and
 * nothing a client chose can break the line or forge a field (spaces, controls and non-ASCII
 * become '?'). Returns out, or the constant "-". */
const char *sy_log_field(char *out, size_t size, const char *s);
void sy_log_write(enum sy_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define sy_log(level, ...)                                                                         \
	do {                                                                                       \
		if ((level) <= sy_log_level)                                                       \
			sy_log_write((level), __VA_ARGS__);                                        \
	} while (0)
#define sy_err(...) sy_log(SY_LOG_ERROR, __VA_ARGS__)
#define sy_warn(...) sy_log(SY_LOG_WARN, __VA_ARGS__)
#define sy_info(...) sy_log(SY_LOG_INFO, __VA_ARGS__)
#define sy_debug(...) sy_log(SY_LOG_DEBUG, __VA_ARGS__)

#endif
