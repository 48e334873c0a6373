/* uipsecd.conf: the daemon's settings (conf_daemon.h), read from a
 * strongswan.conf-syntax tree into a log configuration. Every refusal is
 * collected (one line each, file:line:col and the option's dotted path)
 * so that a file's mistakes show at once. Runs at start-up and on reload
 * (SIGHUP), on the daemon's loop. Besides the loggers it holds
 * fragment_size, the IKE fragment size (charon.fragment_size), and raw_esp
 * (charon.plugins.kernel-libipsec.raw_esp). */
#include "conf/conf_daemon.h"
#include "conf/conf_settings.h"
#include "conf/conf_value.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_REFUSALS 32

struct builder {
	char *err;
	size_t errlen, used;
	unsigned nerr;
};

/* Append "file:line:col: path: message" as one line of err. */
__attribute__((format(printf, 4, 5)))
static void refuse(struct builder *b, const struct conf_loc *loc, const char *path,
                   const char *fmt, ...)
{
	va_list ap;
	int n;

	b->nerr++;
	if (!b->err || !b->errlen || b->nerr > MAX_REFUSALS || b->used + 1 >= b->errlen)
		return;
	n = snprintf(b->err + b->used, b->errlen - b->used, "%s%s:%u:%u: %s: ",
	             b->used ? "\n" : "", loc->file ? loc->file : "?", loc->line, loc->col, path);
	if (n < 0 || b->used + (size_t)n >= b->errlen) {
		b->used = b->errlen - 1;
		return;
	}
	b->used += (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(b->err + b->used, b->errlen - b->used, fmt, ap);
	va_end(ap);
	b->used = n < 0 || b->used + (size_t)n >= b->errlen ? b->errlen - 1 : b->used + (size_t)n;
}

static const char *join(char *buf, size_t len, const char *a, const char *b)
{
	snprintf(buf, len, "%s.%s", a, b);
	return buf;
}

/* Which options a logger section takes besides its levels. */
enum {
	OPT_FILE = 1u << 0,      /* path append flush_line time_format time_add_ms */
	OPT_SYSLOG = 1u << 1,    /* map_level */
};

static bool get_bool(struct builder *b, const struct conf_kv *kv, const char *path, bool *out)
{
	if (!kv->value)
		return false;   /* "key =": the default stays */
	if (conf_parse_bool(kv->value, out) < 0) {
		refuse(b, &kv->loc, path, "'%s' is not yes or no", kv->value);
		return false;
	}
	return true;
}

static bool get_int(struct builder *b, const struct conf_kv *kv, const char *path, int min,
                    int max, int *out)
{
	const char *s = kv->value;
	char *end;
	long v;

	if (!s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno || v < min || v > max) {
		refuse(b, &kv->loc, path, "'%s' is not a number from %d to %d", s, min, max);
		return false;
	}
	*out = (int)v;
	return true;
}

static bool get_double(struct builder *b, const struct conf_kv *kv, const char *path, double min,
                       double max, bool open_min, double *out)
{
	const char *s = kv->value;
	char *end;
	double v;

	if (!s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno || !(v >= min) || !(v <= max) ||
	    (open_min && v == min)) {
		if (open_min)
			refuse(b, &kv->loc, path, "'%s' is not a number above %g and at most %g", s,
			       min, max);
		else
			refuse(b, &kv->loc, path, "'%s' is not a number from %g to %g", s, min, max);
		return false;
	}
	*out = v;
	return true;
}

/* charon.retransmit_* (strongswan.conf(5)), in the uipsecd section */
static bool retransmit_option(struct builder *b, const struct conf_kv *kv, const char *path,
                              struct conf_daemon *d)
{
	const char *k = kv->key;
	int v;

	if (!strcmp(k, "retransmit_tries")) {
		if (get_int(b, kv, path, 0, 100, &v)) {
			d->retransmit.tries = (unsigned)v;
			d->retransmit.given |= CONF_RETX_TRIES;
		}
	} else if (!strcmp(k, "retransmit_jitter")) {
		if (get_int(b, kv, path, 0, 100, &v)) {
			d->retransmit.jitter = (unsigned)v;
			d->retransmit.given |= CONF_RETX_JITTER;
		}
	} else if (!strcmp(k, "retransmit_timeout")) {
		if (get_double(b, kv, path, 0, 3600, true, &d->retransmit.timeout))
			d->retransmit.given |= CONF_RETX_TIMEOUT;
	} else if (!strcmp(k, "retransmit_base")) {
		if (get_double(b, kv, path, 1, 10, false, &d->retransmit.base))
			d->retransmit.given |= CONF_RETX_BASE;
	} else if (!strcmp(k, "retransmit_limit")) {
		if (get_double(b, kv, path, 0, 86400, false, &d->retransmit.limit))
			d->retransmit.given |= CONF_RETX_LIMIT;
	} else {
		return false;
	}
	return true;
}

static void get_str(struct builder *b, const struct conf_kv *kv, const char *path, char *out,
                    size_t len)
{
	if (!kv->value) {
		out[0] = '\0';
		return;
	}
	if (strlen(kv->value) >= len) {
		refuse(b, &kv->loc, path, "longer than %zu characters", len - 1);
		return;
	}
	memcpy(out, kv->value, strlen(kv->value) + 1);
}

/* The options of one logger: levels ("default" first, then each
 * subsystem), then the rest. */
static void logger(struct builder *b, const struct conf_section *s, const char *path,
                   unsigned opts, struct log_sink_cfg *cfg)
{
	const struct conf_kv *kv = conf_section_kv(s, "default");
	char p[512];
	int v;

	if (kv && get_int(b, kv, join(p, sizeof(p), path, "default"), LOG_LEVEL_SILENT,
	                  LOG_LEVEL_MAX, &v))
		for (int i = 0; i < LOG_SUB_COUNT; i++)
			cfg->level[i] = (int8_t)v;
	for (size_t i = 0; i < s->nkv; i++) {
		const char *k = s->kv[i].key;
		int sub = log_sub_parse(k);

		kv = &s->kv[i];
		join(p, sizeof(p), path, k);
		if (!strcmp(k, "default"))
			continue;
		if (sub >= 0) {   /* charon matches names case-insensitively too */
			if (get_int(b, kv, p, LOG_LEVEL_SILENT, LOG_LEVEL_MAX, &v))
				cfg->level[sub] = (int8_t)v;
		} else if (!strcmp(k, "ike_name")) {
			get_bool(b, kv, p, &cfg->ike_name);
		} else if (!strcmp(k, "log_level")) {
			get_bool(b, kv, p, &cfg->log_level);
		} else if ((opts & OPT_FILE) && !strcmp(k, "path")) {
			get_str(b, kv, p, cfg->path, sizeof(cfg->path));
		} else if ((opts & OPT_FILE) && !strcmp(k, "append")) {
			get_bool(b, kv, p, &cfg->append);
		} else if ((opts & OPT_FILE) && !strcmp(k, "flush_line")) {
			bool ignored;
			/* both values are fine: every line is flushed anyway */
			get_bool(b, kv, p, &ignored);
		} else if ((opts & OPT_FILE) && !strcmp(k, "time_format")) {
			get_str(b, kv, p, cfg->time_format, sizeof(cfg->time_format));
		} else if ((opts & OPT_FILE) && !strcmp(k, "time_add_ms")) {
			get_bool(b, kv, p, &cfg->time_add_ms);
		} else if ((opts & OPT_SYSLOG) && !strcmp(k, "map_level")) {
			if (!kv->value)
				cfg->map_level = LOG_MAP_SEVERITY;
			else if (get_int(b, kv, p, -1, 7, &v))
				cfg->map_level = v;
		} else {
			refuse(b, &kv->loc, p, "unknown option (a logger takes default, the "
			       "subsystems dmn mgr ike chd job cfg knl net asn enc tnc imc imv pts "
			       "tls app esp lib, ike_name, log_level%s%s)",
			       opts & OPT_FILE ? ", path, append, flush_line, time_format, time_add_ms" : "",
			       opts & OPT_SYSLOG ? ", map_level" : "");
		}
	}
	for (size_t i = 0; i < s->nsub; i++)
		refuse(b, &s->sub[i]->loc, join(p, sizeof(p), path, s->sub[i]->name),
		       "unknown section (a logger holds options only)");
}

static struct log_sink_cfg *add_sink(struct builder *b, struct conf_daemon *d,
                                     const struct conf_section *s, const char *path,
                                     enum log_target t)
{
	struct log_sink_cfg *cfg = log_config_add(&d->log, t);

	if (!cfg)
		refuse(b, &s->loc, path, "more than %u loggers", LOG_MAX_SINKS);
	return cfg;
}

static void filelog(struct builder *b, const struct conf_section *fl, struct conf_daemon *d)
{
	char p[512];

	for (size_t i = 0; i < fl->nkv; i++)
		refuse(b, &fl->kv[i].loc, join(p, sizeof(p), "uipsecd.filelog", fl->kv[i].key),
		       "unknown option (filelog holds one section per log file)");
	for (size_t i = 0; i < fl->nsub; i++) {
		const struct conf_section *s = fl->sub[i];
		struct log_sink_cfg tmp, *cfg;
		const char *file;

		join(p, sizeof(p), "uipsecd.filelog", s->name);
		log_sink_defaults(&tmp, LOG_TARGET_FILE);
		logger(b, s, p, OPT_FILE, &tmp);
		file = tmp.path[0] ? tmp.path : s->name;
		if (!strcmp(file, "stderr"))
			tmp.target = LOG_TARGET_STDERR;
		else if (!strcmp(file, "stdout"))
			tmp.target = LOG_TARGET_STDOUT;
		else if (file[0] != '/')
			refuse(b, &s->loc, p, "'%s' is not an absolute path (nor stderr or stdout)", file);
		else if (strlen(file) >= sizeof(tmp.path))
			refuse(b, &s->loc, p, "path longer than %zu characters", sizeof(tmp.path) - 1);
		if (tmp.target == LOG_TARGET_FILE && strlen(file) < sizeof(tmp.path))
			memmove(tmp.path, file, strlen(file) + 1);
		cfg = add_sink(b, d, s, p, tmp.target);
		if (cfg)
			*cfg = tmp;
	}
}

static void syslogs(struct builder *b, const struct conf_section *sl, struct conf_daemon *d)
{
	char p[512];

	for (size_t i = 0; i < sl->nkv; i++) {
		const struct conf_kv *kv = &sl->kv[i];

		join(p, sizeof(p), "uipsecd.syslog", kv->key);
		if (!strcmp(kv->key, "identifier"))
			get_str(b, kv, p, d->log.syslog_ident, sizeof(d->log.syslog_ident));
		else
			refuse(b, &kv->loc, p, "unknown option (syslog holds identifier and one "
			       "section per facility)");
	}
	for (size_t i = 0; i < sl->nsub; i++) {
		const struct conf_section *s = sl->sub[i];
		int fac = log_syslog_facility(s->name);
		struct log_sink_cfg *cfg;

		join(p, sizeof(p), "uipsecd.syslog", s->name);
		if (fac < 0) {
			refuse(b, &s->loc, p, "unknown syslog facility (daemon, auth, authpriv, user, "
			       "local0 to local7)");
			continue;
		}
		cfg = add_sink(b, d, s, p, LOG_TARGET_SYSLOG);
		if (!cfg)
			continue;
		cfg->facility = fac;
		logger(b, s, p, OPT_SYSLOG, cfg);
	}
}

/* uipsecd.resolve: charon's resolve plugin (DNS servers a client
 * receives to resolvconf or systemd-resolved) */
static void resolve_section(struct builder *b, const struct conf_section *s,
                            struct conf_daemon *d)
{
	for (size_t i = 0; i < s->nkv; i++) {
		const struct conf_kv *kv = &s->kv[i];
		char p[512];
		bool on;

		join(p, sizeof(p), "uipsecd.resolve", kv->key);
		if (!strcmp(kv->key, "enable") || !strcmp(kv->key, "load")) {
			if (get_bool(b, kv, p, &on))
				d->resolve_off = !on;
		} else if (!strcmp(kv->key, "resolvconf_iface")) {
			get_str(b, kv, p, d->resolve_iface, sizeof(d->resolve_iface));
			for (const char *c = d->resolve_iface; *c; c++)
				if (*c == '/' || *c == ' ' || *c == '\t') {
					refuse(b, &kv->loc, p, "'%s' is not a resolvconf record name (no '/', "
					       "no blanks)", kv->value);
					d->resolve_iface[0] = '\0';
					break;
				}
		} else if (!strcmp(kv->key, "file")) {
			refuse(b, &kv->loc, p, "not supported: uipsecd never writes a resolv.conf "
			       "itself; it hands the servers to resolvconf or resolvectl");
		} else {
			refuse(b, &kv->loc, p, "unknown option (resolve holds enable and "
			       "resolvconf_iface)");
		}
	}
	for (size_t i = 0; i < s->nsub; i++) {
		char p[512];
		if (s->sub[i]->referenced)
			continue;
		join(p, sizeof(p), "uipsecd.resolve", s->sub[i]->name);
		refuse(b, &s->sub[i]->loc, p, "unknown section (resolve holds options only)");
	}
}

static void build(struct builder *b, const struct conf_section *root, struct conf_daemon *d)
{
	const struct conf_section *u = NULL;

	for (size_t i = 0; i < root->nkv; i++)
		refuse(b, &root->kv[i].loc, root->kv[i].key,
		       "unknown option at the top level (settings go in the uipsecd section)");
	for (size_t i = 0; i < root->nsub; i++) {
		const struct conf_section *s = root->sub[i];

		if (!strcmp(s->name, "uipsecd"))
			u = s;
		else if (s->referenced)
			continue;   /* a template others inherit from */
		else if (!strcmp(s->name, "charon") || !strcmp(s->name, "charon-systemd"))
			refuse(b, &s->loc, s->name, "uipsecd reads its settings from a section named "
			       "uipsecd (what charon's section holds for charon)");
		else
			refuse(b, &s->loc, s->name, "unknown section (uipsecd.conf holds the section "
			       "uipsecd)");
	}
	if (!u)
		return;
	for (size_t i = 0; i < u->nkv; i++) {
		const struct conf_kv *kv = &u->kv[i];
		char p[512];
		int v;

		join(p, sizeof(p), "uipsecd", kv->key);
		if (!strcmp(kv->key, "fragment_size")) {
			/* charon.fragment_size; below 256 bytes a fragment holds
			 * too little to be of use (and 255 of them too little of
			 * a message) */
			if (get_int(b, kv, p, 0, 65535, &v)) {
				if (v > 0 && v < 256)
					refuse(b, &kv->loc, p, "'%s' is not 0 or a number from 256 to 65535",
					       kv->value);
				else
					d->fragment_size = (unsigned)v;
			}
		} else if (!strcmp(kv->key, "raw_esp")) {
			/* charon.plugins.kernel-libipsec.raw_esp */
			get_bool(b, kv, p, &d->raw_esp);
		} else if (!retransmit_option(b, kv, p, d)) {
			refuse(b, &kv->loc, p, "unknown option (uipsecd holds fragment_size, raw_esp, "
			       "retransmit_tries, _timeout, _base, _jitter, _limit and the sections "
			       "filelog, syslog, journal and resolve)");
		}
	}
	for (size_t i = 0; i < u->nsub; i++) {
		const struct conf_section *s = u->sub[i];
		char p[512];

		join(p, sizeof(p), "uipsecd", s->name);
		if (!strcmp(s->name, "filelog")) {
			filelog(b, s, d);
		} else if (!strcmp(s->name, "syslog")) {
			syslogs(b, s, d);
		} else if (!strcmp(s->name, "journal")) {
			struct log_sink_cfg *cfg = add_sink(b, d, s, p, LOG_TARGET_JOURNAL);
			if (cfg)
				logger(b, s, p, 0, cfg);
		} else if (!strcmp(s->name, "resolve")) {
			resolve_section(b, s, d);
		} else if (!s->referenced) {
			refuse(b, &s->loc, p, "unknown section (uipsecd holds filelog, syslog, "
			       "journal and resolve)");
		}
	}
}

static int load_tree(struct conf_tree *t, struct conf_daemon *out, char *err, size_t errlen)
{
	struct builder b = { .err = err, .errlen = errlen };
	int rc = conf_settings_resolve(t, err, errlen);

	if (rc)
		return rc;
	build(&b, t->root, out);
	if (b.nerr > MAX_REFUSALS && err && b.used + 1 < errlen)
		snprintf(err + b.used, errlen - b.used, "\n(%u more)", b.nerr - MAX_REFUSALS);
	return b.nerr ? -EINVAL : 0;
}

int conf_daemon_parse_buffer(const char *buf, size_t len, const char *name,
                             struct conf_daemon *out, char *err, size_t errlen)
{
	struct conf_tree *t;
	int rc;

	memset(out, 0, sizeof(*out));
	out->fragment_size = CONF_DAEMON_FRAGMENT_SIZE;
	if (err && errlen)
		err[0] = '\0';
	rc = conf_settings_parse_buffer(buf, len, name, CONF_PARSE_NO_INCLUDE, &t, err, errlen);
	if (rc)
		return rc;
	rc = load_tree(t, out, err, errlen);
	conf_tree_free(t);
	return rc;
}

int conf_daemon_load(const char *path, struct conf_daemon *out, char *err, size_t errlen)
{
	struct conf_tree *t;
	int rc;

	memset(out, 0, sizeof(*out));
	out->fragment_size = CONF_DAEMON_FRAGMENT_SIZE;
	if (err && errlen)
		err[0] = '\0';
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return -ENOENT;
	rc = conf_settings_parse_file(path, 0, &t, err, errlen);
	if (rc)
		return rc;
	rc = load_tree(t, out, err, errlen);
	conf_tree_free(t);
	return rc;
}
