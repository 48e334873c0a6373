/* Logging to stderr with a level filter and per-call-site rate limits;
 * log_reason formats a refusal for a caller.
 * The level and ident are process-global: set at start-up, read after. */
#include "util/log.h"
#include "util/clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

static enum log_level cur_level = LOG_INFO;
static const char *cur_ident = "uipsec";

void log_set_level(enum log_level level) { cur_level = level; }
enum log_level log_get_level(void) { return cur_level; }
void log_set_ident(const char *ident) { cur_ident = ident; }

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };
	char line[1024];
	va_list ap;

	if (level > cur_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s[%s]: %s\n", cur_ident, names[level], line);
}

int log_reason(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Only reached at debug level; one lock for every call site keeps the
 * counters right when several data-path workers log. */
static pthread_mutex_t rl_lock = PTHREAD_MUTEX_INITIALIZER;

bool log_ratelimit_ok(struct log_ratelimit *rl)
{
	uint64_t now = clock_mono_ns();
	unsigned suppressed = 0;
	bool ok;

	pthread_mutex_lock(&rl_lock);

	if (now - rl->window_start_ns > 1000000000ull) {
		suppressed = rl->suppressed;
		rl->window_start_ns = now;
		rl->count = 0;
		rl->suppressed = 0;
	}
	ok = rl->count < 10;
	if (ok)
		rl->count++;
	else
		rl->suppressed++;
	pthread_mutex_unlock(&rl_lock);
	if (suppressed)
		log_msg(LOG_DEBUG, "(%u similar messages suppressed)", suppressed);
	return ok;
}
