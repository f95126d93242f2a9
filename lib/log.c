/* log.c — see log.h.  Each message is formatted into one buffer and written
 * with a single write(2), so lines from several threads never interleave. */
#include "lib/log.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int log_fd = 2;
static int log_json;
static enum log_level log_level = LOG_WARN;
static char log_prefix[32] = "visor";

void log_init(int fd, int json, enum log_level level)
{
	if (fd >= 0)
		log_fd = fd;
	log_json = json;
	log_level = level;
}

void log_set_prefix(const char *prefix)
{
	snprintf(log_prefix, sizeof(log_prefix), "%s", prefix);
}

enum log_level log_get_level(void)
{
	return log_level;
}

int log_get_fd(void)
{
	return log_fd;
}

static const char *level_name(enum log_level l)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	return names[l];
}

/* Append s to out as JSON string content (without quotes). */
static size_t json_escape(char *out, size_t cap, const char *s)
{
	size_t n = 0;
	for (; *s && n + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20) {
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
		} else {
			out[n++] = (char)c;
		}
	}
	out[n] = 0;
	return n;
}

/* RFC 3339 UTC time.  Not gmtime_r: glibc's reads /etc/localtime on first
 * use, and a jailed Sentry or Gofer cannot (and must not) open files. */
static void format_utc(char *buf, size_t len, time_t secs, long usec)
{
	int64_t days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	/* Howard Hinnant's civil_from_days. */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", (int)y, (int)m, (int)d,
		 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), usec);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > log_level)
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	struct timeval tv;
	gettimeofday(&tv, NULL);
	char ts[64];
	format_utc(ts, sizeof(ts), tv.tv_sec, (long)tv.tv_usec);

	char line[4608];
	int n;
	if (log_json) {
		char esc[4096];
		json_escape(esc, sizeof(esc), msg);
		n = snprintf(line, sizeof(line), "{\"level\":\"%s\",\"msg\":\"%s: %s\",\"time\":\"%s\"}\n",
			     level_name(level), log_prefix, esc, ts);
	} else {
		n = snprintf(line, sizeof(line), "%s %s[%d] %s: %s\n", ts, log_prefix, (int)getpid(),
			     level_name(level), msg);
	}
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	ssize_t w = write(log_fd, line, (size_t)n);
	(void)w;
}
