/* sy_log.c - one line per call on stderr: time, level, tag, message. */
#include "sy_log.h"
#include "sy_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

enum sy_log_level sy_log_level = SY_LOG_INFO;
static char log_tag[32] = "sy";

void sy_log_set_tag(const char *tag)
{
	snprintf(log_tag, sizeof(log_tag), "%s", tag);
}

int sy_log_set_level_name(const char *name)
{
	static const char *names[] = {"error", "warn", "info", "debug"};
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			sy_log_level = (enum sy_log_level)i;
			return 0;
		}
	}
	return SY_EINVAL;
}

/* "2026-11-24T00:51:30.123Z " into out (26 bytes); the date and time part is formatted once
 * per second, since a busy worker logs a line per request. */
static size_t stamp(char *out)
{
	static _Thread_local time_t cached = -1;
	static _Thread_local char secs[24]; /* "2026-11-24T00:51:30" */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != cached) {
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm);
		cached = ts.tv_sec;
	}
	size_t n = strlen(secs);
	long ms = ts.tv_nsec / 1000000;
	memcpy(out, secs, n);
	out[n++] = '.';
	out[n++] = (char)('0' + ms / 100);
	out[n++] = (char)('0' + ms / 10 % 10);
	out[n++] = (char)('0' + ms % 10);
	out[n++] = 'Z';
	out[n++] = ' ';
	return n;
}

void sy_log_write(enum sy_log_level level, const char *fmt, ...)
{
	static const char *lv[] = {"ERROR", "WARN", "INFO", "DEBUG"};
	char line[2048];
	size_t at = stamp(line);
	int n = snprintf(line + at, sizeof(line) - at, "%s %s: ", lv[level], log_tag);
	if (n < 0)
		return;
	n += (int)at;
	va_list ap;
	va_start(ap, fmt);
	if ((size_t)n < sizeof(line))
		n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	fwrite(line, 1, (size_t)n, stderr);
}

const char *sy_log_field(char *out, size_t size, const char *s)
{
	if (!s || !s[0])
		return "-";
	size_t i = 0;
	for (; s[i] && i + 1 < size; i++)
		out[i] = s[i] > ' ' && s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
	return out;
}
