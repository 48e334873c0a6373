/* syslog(3) for the log sinks (see log_syslog.h for why this is apart).
 * openlog/closelog/syslog are thread-safe in glibc. */
#include "util/log_syslog.h"

#include <stdbool.h>
#include <string.h>
#include <syslog.h>

static const struct {
	const char *name;
	int code;
} facilities[] = {
	{ "daemon", LOG_DAEMON }, { "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV },
	{ "user", LOG_USER }, { "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

static bool opened;

int log_syslog_facility_code(const char *name)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (!strcmp(name, facilities[i].name))
			return facilities[i].code;
	return -1;
}

void log_syslog_open(const char *ident)
{
	if (opened)
		closelog();
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	opened = true;
}

void log_syslog_close(void)
{
	if (opened)
		closelog();
	opened = false;
}

void log_syslog_write(int facility, int prio, const char *tag, const char *ctx, const char *msg)
{
	syslog((facility & LOG_FACMASK) | (prio & LOG_PRIMASK), "%s%s%s", tag, ctx, msg);
}
