/* Logging: four levels (err, warn, info, debug), one line per message.
 *
 * The log configuration is process-global (a level and a sink): it is set
 * once at start-up and read everywhere, like syslog's own state.
 * Never pass key material, nonces or shared secrets to these functions. */
#ifndef UIPSEC_UTIL_LOG_H
#define UIPSEC_UTIL_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Set the most verbose level that is printed (default LOG_INFO). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Prefix every line with this program name (default "uipsec"). */
void log_set_ident(const char *ident);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) \
	do { if (log_get_level() >= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

/* Not a log line: for functions that explain a refusal to their caller.
 * Formats the reason into err (errlen bytes; nothing if err is NULL or
 * errlen 0) and returns -EINVAL. */
int log_reason(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A token bucket for rate-limited logging on the packet path. */
struct log_ratelimit {
	uint64_t window_start_ns;
	uint32_t count;
	uint32_t suppressed;
};

/* True if a message may be printed now (at most 10 per second per bucket). */
bool log_ratelimit_ok(struct log_ratelimit *rl);

/* A warning a peer can cause at will (an IKE message over the size
 * limit): rate-limited per call site, at most 10 per second. */
#define log_warn_rl(...) \
	do { \
		static struct log_ratelimit rl_; \
		if (log_ratelimit_ok(&rl_)) \
			log_msg(LOG_WARN, __VA_ARGS__); \
	} while (0)

/* Debug message on the packet path: rate-limited per call site. */
#define log_debug_rl(...) \
	do { \
		static struct log_ratelimit rl_; \
		if (log_get_level() >= LOG_DEBUG && log_ratelimit_ok(&rl_)) \
			log_msg(LOG_DEBUG, __VA_ARGS__); \
	} while (0)

#endif
