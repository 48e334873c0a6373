/* uipsecd's logging options and settings (logopt.h): parse the command
 * line's, read uipsecd.conf's, and configure util/log with both. Runs at
 * start-up and on SIGHUP, on the daemon's loop. */
#include "logopt.h"
#include "conf/conf_daemon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void logopt_init(struct logopt *o)
{
	memset(o, 0, sizeof(*o));
	o->settings = CONF_DAEMON_DEFAULT_PATH;
	for (int i = 0; i < LOG_SUB_COUNT; i++)
		o->level[i] = LOG_LEVEL_DEFAULT;
}

static int parse_targets(struct logopt *o, const char *arg)
{
	char buf[128], *save = NULL, *t;

	if (strlen(arg) >= sizeof(buf) || !*arg)
		goto bad;
	memcpy(buf, arg, strlen(arg) + 1);
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "stderr"))
			o->targets |= 1u << LOG_TARGET_STDERR;
		else if (!strcmp(t, "syslog"))
			o->targets |= 1u << LOG_TARGET_SYSLOG;
		else if (!strcmp(t, "journal"))
			o->targets |= 1u << LOG_TARGET_JOURNAL;
		else
			goto bad;
	}
	return 0;
bad:
	fprintf(stderr, "uipsecd: --log-target takes stderr, syslog and journal, "
	        "comma-separated, not '%s'\n", arg);
	return -1;
}

int logopt_parse(struct logopt *o, int c, const char *arg)
{
	char *end;
	long v;

	switch (c) {
	case LOGOPT_SETTINGS:
		o->settings = arg;
		o->settings_given = true;
		return 0;
	case LOGOPT_TARGET:
		return parse_targets(o, arg);
	case LOGOPT_USE_SYSLOG:
		o->targets |= 1u << LOG_TARGET_SYSLOG;
		return 0;
	}
	if (c >= LOGOPT_DEBUG_SUB && c < LOGOPT_DEBUG_SUB + LOG_SUB_COUNT) {
		int sub = c - LOGOPT_DEBUG_SUB;

		errno = 0;
		v = strtol(arg, &end, 10);
		if (!*arg || *end || errno || v < LOG_LEVEL_SILENT || v > LOG_LEVEL_MAX) {
			fprintf(stderr, "uipsecd: --debug-%s takes a level from -1 to 4, not '%s'\n",
			        log_sub_name((enum log_sub)sub), arg);
			return -1;
		}
		o->level[sub] = (int8_t)v;
		o->level_given[sub] = true;
		return 0;
	}
	fprintf(stderr, "uipsecd: internal: unknown logging option %d\n", c);
	return -1;
}

static bool any_level_given(const struct logopt *o)
{
	for (int i = 0; i < LOG_SUB_COUNT; i++)
		if (o->level_given[i])
			return true;
	return o->debug;
}

int logopt_apply(const struct logopt *o, bool reload, struct conf_daemon *settings)
{
	struct conf_daemon d;
	char err[4096] = "";
	unsigned targets = o->targets;
	bool from_settings;
	int r;

	r = conf_daemon_load(o->settings, &d, err, sizeof(err));
	if (r == -ENOENT && o->settings_given) {
		snprintf(err, sizeof(err), "--settings %s: no such file", o->settings);
	} else if (r == -ENOENT) {
		r = 0;      /* no uipsecd.conf: defaults, as charon without strongswan.conf */
	}
	if (r < 0) {
		if (reload) {
			/* one log line per refusal */
			for (char *line = err, *nl; line && *line; line = nl) {
				nl = strchr(line, '\n');
				if (nl)
					*nl++ = '\0';
				log_err("%s", line);
			}
			log_err("%s: keeping the previous loggers", o->settings);
		} else {
			fprintf(stderr, "uipsecd: %s\n", err);
		}
		return r;
	}
	from_settings = d.log.nsinks > 0;
	if (!targets && !from_settings)
		targets = 1u << LOG_TARGET_STDERR;
	for (int t = 0; t <= LOG_TARGET_JOURNAL; t++) {
		struct log_sink_cfg *s;

		if (!(targets & (1u << t)))
			continue;
		s = log_config_add(&d.log, (enum log_target)t);
		if (!s) {
			snprintf(err, sizeof(err), "too many loggers (at most %u)", LOG_MAX_SINKS);
			r = -E2BIG;
			goto fail;
		}
		for (int i = 0; i < LOG_SUB_COUNT; i++)
			s->level[i] = o->level_given[i] ? o->level[i] : o->debug ? 2 : o->level[i];
	}
	r = reload ? log_reconfigure(&d.log, err, sizeof(err)) : log_configure(&d.log, err, sizeof(err));
	if (r < 0)
		goto fail;
	if (settings)
		*settings = d;
	if (from_settings && !o->targets && any_level_given(o))
		log_warn("--debug options set the levels of command-line loggers; %s defines the "
		         "loggers (add --log-target stderr for one at those levels)", o->settings);
	if (settings)
		*settings = d;
	return 0;
fail:
	if (reload)
		log_err("logging: %s: keeping the previous loggers", err);
	else
		fprintf(stderr, "uipsecd: %s\n", err);
	return r;
}

void logopt_usage(FILE *f)
{
	fprintf(f,
	        "  --settings FILE  uipsecd's own settings: loggers (default %s;\n"
	        "                   missing: one stderr logger)\n"
	        "  --log-target T[,T...]  log to stderr, syslog and/or journal (native\n"
	        "                   protocol) at the --debug levels; default: stderr unless\n"
	        "                   the settings define loggers\n"
	        "  --use-syslog     as charon: --log-target syslog\n"
	        "  --debug-SUB N    level -1..4 of subsystem SUB (dmn mgr ike chd job cfg knl\n"
	        "                   net asn enc tnc imc imv pts tls app esp lib) for the\n"
	        "                   command-line loggers (default 1; --debug: all at 2)\n",
	        CONF_DAEMON_DEFAULT_PATH);
}
