/*
 * log.h — the one logger of every visor process.
 *
 * The runtime CLI logs to --log (or stderr) in text or JSON (the format
 * containerd expects from runc: {"level":"error","msg":"...","time":"..."}).
 * The Sentry and Gofer log to an inherited fd.  Thread-safe.
 */
#ifndef VISOR_LIB_LOG_H
#define VISOR_LIB_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* fd: where to write (-1 keeps stderr); json: JSON lines instead of text. */
void log_init(int fd, int json, enum log_level level);
void log_set_prefix(const char *prefix); /* e.g. "sentry", "gofer" */
enum log_level log_get_level(void);
int log_get_fd(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_get_level() >= LOG_DEBUG)                                                  \
			log_msg(LOG_DEBUG, __VA_ARGS__);                                           \
	} while (0)

#endif
