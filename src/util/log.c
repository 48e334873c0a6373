/* Logging: the subsystem and level filter, the sinks (stderr/stdout,
 * files, syslog, the journal's native protocol) and their line formats,
 * per-call-site rate limits; log_reason formats a refusal for a caller.
 *
 * State is process-global (see log.h): the sink table, guarded by a
 * read-write lock (every line takes it for reading, log_configure for
 * writing), and, beside it, the highest level of each subsystem over all
 * sinks, read without the lock (relaxed atomics) by log_enabled().
 *
 * Once uipsecd runs, its sandbox lets it open no file and no socket
 * (cmd/uipsecd/sandbox.c). So syslog is not syslog(3), which reconnects
 * with socket() when the syslog daemon restarts: syslog and journal lines
 * go out with sendto() on one unbound datagram socket opened at start,
 * and log_reconfigure() (a reload) keeps the open files and refuses
 * loggers that would need new ones. */
#include "util/log.h"
#include "util/clock.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_LEN 1024

static const char *const sub_names[LOG_SUB_COUNT] = {
	"dmn", "mgr", "ike", "chd", "job", "cfg", "knl", "net", "asn",
	"enc", "tnc", "imc", "imv", "pts", "tls", "app", "esp", "lib",
};
static const char *const sub_tags[LOG_SUB_COUNT] = {
	"DMN", "MGR", "IKE", "CHD", "JOB", "CFG", "KNL", "NET", "ASN",
	"ENC", "TNC", "IMC", "IMV", "PTS", "TLS", "APP", "ESP", "LIB",
};
_Static_assert(LOG_SUB_COUNT == 18, "subsystem tables above");

struct sink {
	struct log_sink_cfg cfg;
	FILE *f;            /* stderr, stdout or an opened file */
	bool own_f;         /* opened here, closed when no longer configured */
	struct sockaddr_un addr;   /* SYSLOG, JOURNAL: where dgram_fd sends */
	socklen_t addrlen;
};

/* RFC 5424 facility numbers (times 8: the codes of <syslog.h>) */
static const struct {
	const char *name;
	int code;
} facilities[] = {
	{ "user", 1 << 3 }, { "daemon", 3 << 3 }, { "auth", 4 << 3 }, { "authpriv", 10 << 3 },
	{ "local0", 16 << 3 }, { "local1", 17 << 3 }, { "local2", 18 << 3 }, { "local3", 19 << 3 },
	{ "local4", 20 << 3 }, { "local5", 21 << 3 }, { "local6", 22 << 3 }, { "local7", 23 << 3 },
};

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
/* Until log_configure(): one stderr sink at level 1, as uipsec always
 * logged. */
static struct sink sinks[LOG_MAX_SINKS] = {
	[0] = { .cfg = { .target = LOG_TARGET_STDERR, .ike_name = true, .append = true,
	                 .map_level = LOG_MAP_SEVERITY,
	                 .level = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 } },
	},
};
static unsigned nsinks = 1;
static char ident_buf[32] = "uipsec";
static const char *ident = ident_buf;
static char syslog_ident[32] = "uipsec";
/* one unbound AF_UNIX datagram socket for every syslog and journal sink */
static int dgram_fd = -1;
/* the highest level over the sinks, per subsystem (relaxed atomics) */
static int8_t max_level[LOG_SUB_COUNT] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
static uint64_t lost;

const char *log_sub_name(enum log_sub sub)
{
	return (unsigned)sub < LOG_SUB_COUNT ? sub_names[sub] : NULL;
}

int log_sub_parse(const char *name)
{
	for (int i = 0; i < LOG_SUB_COUNT; i++)
		if (!strcasecmp(name, sub_names[i]))
			return i;
	return -1;
}

int log_level_charon(enum log_level level)
{
	switch (level) {
	case LOG_ERR: return 0;
	case LOG_WARN:
	case LOG_INFO: return 1;
	default: return 2;
	}
}

/* The tap (log_set_tap): one, set and cleared on the control loop. */
static log_tap_fn tap_fn;
static void *tap_ctx;
static int tap_level = LOG_LEVEL_SILENT;

void log_set_tap(log_tap_fn fn, void *ctx, int level)
{
	pthread_rwlock_wrlock(&lock);
	tap_fn = fn;
	tap_ctx = ctx;
	pthread_rwlock_unlock(&lock);
	__atomic_store_n(&tap_level, fn ? level : LOG_LEVEL_SILENT, __ATOMIC_RELAXED);
}

bool log_enabled(enum log_sub sub, enum log_level level)
{
	if ((unsigned)sub >= LOG_SUB_COUNT)
		sub = LOG_SUB_LIB;
	return log_level_charon(level) <= __atomic_load_n(&max_level[sub], __ATOMIC_RELAXED) ||
	       log_level_charon(level) <= __atomic_load_n(&tap_level, __ATOMIC_RELAXED);
}

uint64_t log_lost(void)
{
	return __atomic_load_n(&lost, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------- output */

/* Control characters (a newline in a peer's identity, say) would let one
 * message pose as several lines: they become '?'. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static const char *level_name(enum log_level level)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };

	return (unsigned)level <= LOG_DEBUG ? names[level] : "debug";
}

/* "[IKE] " or "[IKE1] " */
static size_t fmt_tag(char *buf, size_t len, const struct sink *s, enum log_sub sub, int clevel)
{
	int n = s->cfg.log_level ? snprintf(buf, len, "[%s%d] ", sub_tags[sub], clevel)
	                         : snprintf(buf, len, "[%s] ", sub_tags[sub]);
	return n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
}

/* "<s2s|1> " when the sink wants it and there is a context */
static size_t fmt_ctx(char *buf, size_t len, const struct sink *s, const struct log_ctx *ctx)
{
	int n;

	if (!ctx || !s->cfg.ike_name) {
		buf[0] = '\0';
		return 0;
	}
	n = snprintf(buf, len, "<%s|%u> ", ctx->name ? ctx->name : "(unnamed)", (unsigned)ctx->id);
	sanitize(buf);
	return n < 0 ? 0 : (size_t)n >= len ? len - 1 : (size_t)n;
}

static void emit_stream(struct sink *s, enum log_sub sub, enum log_level level, int clevel,
                        const struct log_ctx *ctx, const char *msg)
{
	char when[96] = "", tag[16], pfx[160];

	if (s->cfg.time_format[0]) {
		struct timespec ts;
		struct tm tm;
		size_t n;

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		/* the format is the configuration's time_format: strftime
		 * reads no arguments, so any format is safe */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		n = strftime(when, sizeof(when) - 8, s->cfg.time_format, &tm);
#pragma GCC diagnostic pop
		if (s->cfg.time_add_ms)
			n += (size_t)snprintf(when + n, sizeof(when) - n, ".%03ld", ts.tv_nsec / 1000000);
		snprintf(when + n, sizeof(when) - n, " ");
	}
	fmt_tag(tag, sizeof(tag), s, sub, clevel);
	fmt_ctx(pfx, sizeof(pfx), s, ctx);
	/* one call, so that lines of several threads do not interleave; the
	 * initial sink's f is NULL (stderr is no constant initializer) */
	FILE *f = s->f ? s->f : stderr;
	if (fprintf(f, "%s%s[%s]: %s%s%s\n", when, ident, level_name(level), tag, pfx, msg) < 0 ||
	    fflush(f) != 0)
		__atomic_add_fetch(&lost, 1, __ATOMIC_RELAXED);
}

static int syslog_prio(const struct sink *s, enum log_level level, int clevel)
{
	/* RFC 5424 severities: 3 err, 4 warning, 6 info, 7 debug */
	static const int sev[] = { 3, 4, 6, 7 };
	int p;

	if (s->cfg.map_level == LOG_MAP_SEVERITY)
		return sev[level <= LOG_DEBUG ? level : LOG_DEBUG];
	if (s->cfg.map_level < 0)
		return 6;
	p = s->cfg.map_level + clevel;
	return p > 7 ? 7 : p;
}

/* syslog's local datagram format, as syslog(3) writes it to /dev/log:
 * "<PRI>Mmm dd hh:mm:ss ident[pid]: message" (RFC 3164). */
static void emit_syslog(struct sink *s, enum log_sub sub, enum log_level level, int clevel,
                        const struct log_ctx *ctx, const char *msg)
{
	char buf[LINE_MAX_LEN + 512], when[32], tag[16], pfx[160];
	struct tm tm;
	time_t now = time(NULL);
	int n;

	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%b %e %T", &tm);
	fmt_tag(tag, sizeof(tag), s, sub, clevel);
	fmt_ctx(pfx, sizeof(pfx), s, ctx);
	n = snprintf(buf, sizeof(buf), "<%d>%s %s[%d]: %s%s%s", s->cfg.facility |
	             syslog_prio(s, level, clevel), when, syslog_ident, (int)getpid(), tag, pfx, msg);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	if (sendto(dgram_fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT,
	           (const struct sockaddr *)&s->addr, s->addrlen) < 0)
		__atomic_add_fetch(&lost, 1, __ATOMIC_RELAXED);
}

/* systemd's native journal protocol (systemd.journal-fields(7),
 * "Native Journal Protocol"): one datagram of KEY=value lines. Values
 * never hold a newline (sanitize()), so the binary form is not needed.
 * The fields are charon-systemd's: GROUP, LEVEL, IKE_SA_NAME,
 * IKE_SA_UNIQUE_ID. */
static void emit_journal(struct sink *s, enum log_sub sub, enum log_level level, int clevel,
                         const struct log_ctx *ctx, const char *msg)
{
	static const int sev[] = { 3, 4, 6, 7 };
	char buf[LINE_MAX_LEN + 512], pfx[160];
	int n;

	fmt_ctx(pfx, sizeof(pfx), s, ctx);
	n = snprintf(buf, sizeof(buf),
	             "MESSAGE=%s%s\nPRIORITY=%d\nSYSLOG_IDENTIFIER=%s\nGROUP=%s\nLEVEL=%d\n",
	             pfx, msg, sev[level <= LOG_DEBUG ? level : LOG_DEBUG], ident, sub_tags[sub],
	             clevel);
	if (ctx && n > 0 && (size_t)n < sizeof(buf)) {
		char name[128] = "";

		if (ctx->name) {
			snprintf(name, sizeof(name), "IKE_SA_NAME=%s", ctx->name);
			sanitize(name);
		}
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "IKE_SA_UNIQUE_ID=%u\n%s%s",
		              (unsigned)ctx->id, name, name[0] ? "\n" : "");
	}
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    sendto(dgram_fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT,
	           (const struct sockaddr *)&s->addr, s->addrlen) < 0)
		__atomic_add_fetch(&lost, 1, __ATOMIC_RELAXED);
}

void log_write(enum log_sub sub, enum log_level level, const struct log_ctx *ctx,
               const char *fmt, ...)
{
	char msg[LINE_MAX_LEN];
	int clevel = log_level_charon(level), saved = errno;
	va_list ap;

	if ((unsigned)sub >= LOG_SUB_COUNT)
		sub = LOG_SUB_LIB;
	if (!log_enabled(sub, level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sanitize(msg);

	pthread_rwlock_rdlock(&lock);
	for (unsigned i = 0; i < nsinks; i++) {
		struct sink *s = &sinks[i];

		if (clevel > s->cfg.level[sub])
			continue;
		switch (s->cfg.target) {
		case LOG_TARGET_STDERR:
		case LOG_TARGET_STDOUT:
		case LOG_TARGET_FILE:
			emit_stream(s, sub, level, clevel, ctx, msg);
			break;
		case LOG_TARGET_SYSLOG:
			emit_syslog(s, sub, level, clevel, ctx, msg);
			break;
		case LOG_TARGET_JOURNAL:
			emit_journal(s, sub, level, clevel, ctx, msg);
			break;
		}
	}
	log_tap_fn tf = clevel <= __atomic_load_n(&tap_level, __ATOMIC_RELAXED) ? tap_fn : NULL;
	void *tc = tap_ctx;
	pthread_rwlock_unlock(&lock);
	if (tf)
		tf(tc, sub, level, clevel, ctx, msg);
	errno = saved;
}

/* ------------------------------------------------------------- configuration */

void log_sink_defaults(struct log_sink_cfg *s, enum log_target t)
{
	memset(s, 0, sizeof(*s));
	s->target = t;
	for (int i = 0; i < LOG_SUB_COUNT; i++)
		s->level[i] = LOG_LEVEL_DEFAULT;
	s->ike_name = true;
	s->append = true;
	s->facility = log_syslog_facility("daemon");
	s->map_level = LOG_MAP_SEVERITY;
}

struct log_sink_cfg *log_config_add(struct log_config *c, enum log_target t)
{
	struct log_sink_cfg *s;

	if (c->nsinks >= LOG_MAX_SINKS)
		return NULL;
	s = &c->sink[c->nsinks++];
	log_sink_defaults(s, t);
	return s;
}

int log_syslog_facility(const char *name)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (!strcmp(name, facilities[i].name))
			return facilities[i].code;
	return -1;
}

static void sink_close(struct sink *s)
{
	if (s->own_f && s->f)
		fclose(s->f);
	s->f = NULL;
	s->own_f = false;
}

/* The socket path of a syslog or journal sink, checked for a listener. */
static int sink_addr(struct sink *s, const char *path, const char *what, char *err,
                     size_t errlen)
{
	int r;

	if (strlen(path) >= sizeof(s->addr.sun_path)) {
		snprintf(err, errlen, "%s socket path too long: %s", what, path);
		return -ENAMETOOLONG;
	}
	s->addr.sun_family = AF_UNIX;
	memcpy(s->addr.sun_path, path, strlen(path) + 1);
	s->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
	/* is anyone there? a logger nobody listens to is an error when it
	 * is configured, not silence */
	if (access(path, W_OK) != 0) {
		r = -errno;
		snprintf(err, errlen, "no %s at %s: %s", what, path, strerror(-r));
		return r;
	}
	return 0;
}

/* Set up s for cfg. With old (a reload), a file logger takes over the open
 * file of an old one with the same path (taken[] marks it) and nothing new
 * is opened: a sink that would need it is refused. */
static int sink_open(struct sink *s, const struct log_sink_cfg *cfg, struct sink *old,
                     unsigned nold, bool *taken, char *err, size_t errlen)
{
	int fd, r;

	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	switch (cfg->target) {
	case LOG_TARGET_STDERR:
		s->f = stderr;
		return 0;
	case LOG_TARGET_STDOUT:
		s->f = stdout;
		return 0;
	case LOG_TARGET_FILE:
		if (old) {
			for (unsigned j = 0; j < nold; j++)
				if (!taken[j] && old[j].cfg.target == LOG_TARGET_FILE && old[j].own_f &&
				    !strcmp(old[j].cfg.path, cfg->path)) {
					taken[j] = true;
					s->f = old[j].f;
					s->own_f = true;
					return 0;
				}
			snprintf(err, errlen, "the file logger %s is new: it starts with the daemon "
			         "(a running uipsecd opens no files)", cfg->path);
			return -EPERM;
		}
		/* 0600: log lines name peers, addresses and identities */
		fd = open(cfg->path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY |
		          (cfg->append ? O_APPEND : O_TRUNC), 0600);
		if (fd < 0 || !(s->f = fdopen(fd, cfg->append ? "a" : "w"))) {
			r = -errno;
			if (fd >= 0)
				close(fd);
			snprintf(err, errlen, "cannot open log file %s: %s", cfg->path, strerror(-r));
			return r;
		}
		s->own_f = true;
		return 0;
	case LOG_TARGET_SYSLOG:
		return sink_addr(s, cfg->path[0] ? cfg->path : LOG_SYSLOG_SOCKET, "syslog", err, errlen);
	case LOG_TARGET_JOURNAL:
		return sink_addr(s, cfg->path[0] ? cfg->path : LOG_JOURNAL_SOCKET, "systemd journal",
		                 err, errlen);
	}
	snprintf(err, errlen, "unknown log target %d", (int)cfg->target);
	return -EINVAL;
}

static int configure(const struct log_config *c, bool reload, char *err, size_t errlen)
{
	static struct sink fresh[LOG_MAX_SINKS], old[LOG_MAX_SINKS];
	static pthread_mutex_t cfg_lock = PTHREAD_MUTEX_INITIALIZER;
	int8_t max[LOG_SUB_COUNT];
	unsigned n = c->nsinks > LOG_MAX_SINKS ? LOG_MAX_SINKS : c->nsinks, nold;
	bool taken[LOG_MAX_SINKS] = { false }, dgram = false;
	char e[256] = "";
	int r = 0;

	pthread_mutex_lock(&cfg_lock);
	/* old is only read here: the sinks change under the write lock below */
	memcpy(old, sinks, sizeof(old));
	nold = nsinks;
	for (unsigned i = 0; i < n; i++)
		dgram |= c->sink[i].target == LOG_TARGET_SYSLOG || c->sink[i].target == LOG_TARGET_JOURNAL;
	if (dgram && dgram_fd < 0) {
		if (reload) {
			snprintf(e, sizeof(e), "a syslog or journal logger is new: it starts with the "
			         "daemon (a running uipsecd opens no sockets)");
			r = -EPERM;
			goto fail;
		}
		dgram_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (dgram_fd < 0) {
			r = -errno;
			snprintf(e, sizeof(e), "log socket: %s", strerror(-r));
			goto fail;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		r = sink_open(&fresh[i], &c->sink[i], reload ? old : NULL, nold, taken, e, sizeof(e));
		if (r < 0) {
			while (i-- > 0)
				if (!reload)
					sink_close(&fresh[i]);
			goto fail;
		}
	}
	for (int k = 0; k < LOG_SUB_COUNT; k++) {
		max[k] = LOG_LEVEL_SILENT;
		for (unsigned i = 0; i < n; i++)
			if (fresh[i].cfg.level[k] > max[k])
				max[k] = fresh[i].cfg.level[k];
	}

	pthread_rwlock_wrlock(&lock);
	if (c->ident[0]) {
		snprintf(ident_buf, sizeof(ident_buf), "%s", c->ident);
		ident = ident_buf;
	}
	snprintf(syslog_ident, sizeof(syslog_ident), "%s", c->syslog_ident[0] ? c->syslog_ident : ident);
	memcpy(sinks, fresh, sizeof(sinks));
	nsinks = n;
	for (int k = 0; k < LOG_SUB_COUNT; k++)
		__atomic_store_n(&max_level[k], max[k], __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&lock);

	/* files no sink took over; at start, the socket if nothing uses it
	 * (a reload keeps it for the next) */
	for (unsigned i = 0; i < nold; i++)
		if (!taken[i])
			sink_close(&old[i]);
	if (!dgram && !reload && dgram_fd >= 0) {
		close(dgram_fd);
		dgram_fd = -1;
	}
	pthread_mutex_unlock(&cfg_lock);
	return 0;
fail:
	if (err && errlen)
		snprintf(err, errlen, "%s", e);
	pthread_mutex_unlock(&cfg_lock);
	return r;
}

int log_configure(const struct log_config *c, char *err, size_t errlen)
{
	return configure(c, false, err, errlen);
}

int log_reconfigure(const struct log_config *c, char *err, size_t errlen)
{
	return configure(c, true, err, errlen);
}

void log_set_level(enum log_level level)
{
	struct log_config c = { .nsinks = 0 };
	struct log_sink_cfg *s = log_config_add(&c, LOG_TARGET_STDERR);

	for (int i = 0; i < LOG_SUB_COUNT; i++)
		s->level[i] = (int8_t)log_level_charon(level);
	log_configure(&c, NULL, 0);
}

enum log_level log_get_level(void)
{
	int m = LOG_LEVEL_SILENT;

	for (int i = 0; i < LOG_SUB_COUNT; i++) {
		int l = __atomic_load_n(&max_level[i], __ATOMIC_RELAXED);
		if (l > m)
			m = l;
	}
	return m >= 2 ? LOG_DEBUG : m == 1 ? LOG_INFO : LOG_ERR;
}

void log_set_ident(const char *id)
{
	pthread_rwlock_wrlock(&lock);
	ident = id;
	pthread_rwlock_unlock(&lock);
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
