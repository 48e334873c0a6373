/* uipsecd's logging options and settings: the command line's loggers
 * (--log-target, charon's --use-syslog and --debug-<subsystem> LEVEL) and
 * the loggers of uipsecd.conf (--settings, conf/conf_daemon.h), put
 * together into the process's log configuration at start and on reload.
 *
 * Which loggers run (as charon decides between strongswan.conf and its
 * command line):
 *   - every logger uipsecd.conf defines;
 *   - the --log-target ones (or syslog with --use-syslog), at the levels
 *     of --debug / --debug-<subsystem> (default 1);
 *   - with neither, one stderr logger at those levels. */
#ifndef UIPSECD_LOGOPT_H
#define UIPSECD_LOGOPT_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/log.h"

struct conf_daemon;

/* getopt_long values, above main.c's own */
enum {
	LOGOPT_SETTINGS = 1000,
	LOGOPT_TARGET,
	LOGOPT_USE_SYSLOG,
	LOGOPT_DEBUG_SUB = 1100,   /* + enum log_sub */
};

#define LOGOPT_DEBUG_OPT(name, sub) \
	{ "debug-" name, required_argument, NULL, LOGOPT_DEBUG_SUB + (sub) }

/* Entries for main.c's struct option table. */
#define LOGOPT_LONG_OPTIONS \
	{ "settings", required_argument, NULL, LOGOPT_SETTINGS }, \
	{ "log-target", required_argument, NULL, LOGOPT_TARGET }, \
	{ "use-syslog", no_argument, NULL, LOGOPT_USE_SYSLOG }, \
	LOGOPT_DEBUG_OPT("dmn", LOG_SUB_DMN), LOGOPT_DEBUG_OPT("mgr", LOG_SUB_MGR), \
	LOGOPT_DEBUG_OPT("ike", LOG_SUB_IKE), LOGOPT_DEBUG_OPT("chd", LOG_SUB_CHD), \
	LOGOPT_DEBUG_OPT("job", LOG_SUB_JOB), LOGOPT_DEBUG_OPT("cfg", LOG_SUB_CFG), \
	LOGOPT_DEBUG_OPT("knl", LOG_SUB_KNL), LOGOPT_DEBUG_OPT("net", LOG_SUB_NET), \
	LOGOPT_DEBUG_OPT("asn", LOG_SUB_ASN), LOGOPT_DEBUG_OPT("enc", LOG_SUB_ENC), \
	LOGOPT_DEBUG_OPT("tnc", LOG_SUB_TNC), LOGOPT_DEBUG_OPT("imc", LOG_SUB_IMC), \
	LOGOPT_DEBUG_OPT("imv", LOG_SUB_IMV), LOGOPT_DEBUG_OPT("pts", LOG_SUB_PTS), \
	LOGOPT_DEBUG_OPT("tls", LOG_SUB_TLS), LOGOPT_DEBUG_OPT("app", LOG_SUB_APP), \
	LOGOPT_DEBUG_OPT("esp", LOG_SUB_ESP), LOGOPT_DEBUG_OPT("lib", LOG_SUB_LIB)

struct logopt {
	const char *settings;       /* uipsecd.conf */
	bool settings_given;        /* --settings: a missing file is an error */
	unsigned targets;           /* 1u << enum log_target, from the command line */
	bool debug;                 /* --debug: every subsystem at 2 */
	int8_t level[LOG_SUB_COUNT];
	bool level_given[LOG_SUB_COUNT];
};

void logopt_init(struct logopt *o);
/* Handle one of the options above (c: getopt's value). 0, or -1 after
 * saying why on stderr. */
int logopt_parse(struct logopt *o, int c, const char *arg);
/* Read the settings and switch the log configuration to it. At start
 * (reload false) an error is printed on stderr; on reload it is logged
 * and the previous loggers stay. A reload changes levels and formats and
 * drops loggers, but adds none that needs a new file or socket
 * (log_reconfigure: the sandbox lets the running daemon open none).
 * settings (not NULL) receives the rest of uipsecd.conf (its IKE fragment size and
 * retransmission settings; nothing given when there is no file), valid
 * when 0 is returned. 0 or -errno. */
int logopt_apply(const struct logopt *o, bool reload, struct conf_daemon *settings);
/* The help lines of these options. */
void logopt_usage(FILE *f);

#endif
