/* syslog(3) for util/log.c. A file of its own because <syslog.h> defines
 * LOG_ERR, LOG_INFO and LOG_DEBUG as macros, which clash with enum
 * log_level; this header and log_syslog.c deal in plain numbers. */
#ifndef UIPSEC_UTIL_LOG_SYSLOG_H
#define UIPSEC_UTIL_LOG_SYSLOG_H

/* The facility's code (LOG_DAEMON, ...) for its name, or -1. */
int log_syslog_facility_code(const char *name);
/* openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON): connects to /dev/log
 * now, before a privilege drop or a sandbox. ident must stay valid. */
void log_syslog_open(const char *ident);
void log_syslog_close(void);
/* syslog(facility | prio, "%s%s%s", tag, ctx, msg) */
void log_syslog_write(int facility, int prio, const char *tag, const char *ctx, const char *msg);

#endif
