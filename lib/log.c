/* log.c — see log.h.  Each message is formatted into one buffer and written
 * with a single write(2), so lines from several threads never interleave. */
#include "lib/log.h"
#include "lib/json.h"

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

/* The JSON line containerd expects from runc:
 * {"level":"error","msg":"PREFIX: text","time":"..."}.  A message whose
 * escaped form does not fit is cut (at a character boundary) until it does,
 * so the line is always whole JSON.  Returns the length, 0 if nothing fits. */
static size_t format_json(char *line, size_t size, enum log_level level, const char *msg,
			  const char *ts)
{
	for (size_t n = strlen(msg);; n /= 2) {
		while (n > 0 && ((unsigned char)msg[n] & 0xc0) == 0x80)
			n--; /* not inside a UTF-8 sequence */
		struct json_writer w;
		json_writer_init_fixed(&w, line, size - 1, NULL, 0);
		json_object_begin(&w);
		json_key_string(&w, "level", level_name(level));
		json_key(&w, "msg");
		json_string_len(&w, msg, n);
		json_key_string(&w, "time", ts);
		json_object_end(&w);
		size_t len;
		if (json_writer_text(&w, &len)) {
			line[len++] = '\n';
			return len;
		}
		if (n == 0)
			return 0;
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > log_level)
		return;
	/* "PREFIX: " then the message: the JSON "msg" is both, the text line
	 * puts the prefix elsewhere. */
	char msg[2048];
	int p = snprintf(msg, sizeof(msg), "%s: ", log_prefix);
	if (p < 0 || (size_t)p >= sizeof(msg))
		p = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg + p, sizeof(msg) - (size_t)p, fmt, ap);
	va_end(ap);

	struct timeval tv;
	gettimeofday(&tv, NULL);
	char ts[64];
	format_utc(ts, sizeof(ts), tv.tv_sec, (long)tv.tv_usec);

	char line[4608];
	size_t n;
	if (log_json) {
		n = format_json(line, sizeof(line), level, msg, ts);
	} else {
		int r = snprintf(line, sizeof(line), "%s %s[%d] %s: %s\n", ts, log_prefix,
				 (int)getpid(), level_name(level), msg + p);
		if (r < 0)
			return;
		n = (size_t)r;
		if (n >= sizeof(line)) {
			n = sizeof(line) - 1;
			line[n - 1] = '\n';
		}
	}
	if (n == 0)
		return;
	ssize_t w = write(log_fd, line, n);
	(void)w;
}
