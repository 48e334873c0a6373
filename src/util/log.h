/* Logging: four levels (err, warn, info, debug), one line per message,
 * tagged with a subsystem as charon's are (dmn, ike, chd, cfg, knl, net,
 * esp, ...) and, for IKE, with the connection and the IKE_SA's unique id
 * ("<s2s|1>"). Lines go to one or more sinks: stderr/stdout, files,
 * syslog, the systemd journal; each sink has a level per subsystem.
 *
 * Call sites:
 *   log_info("loaded %d connections", n);        this file's subsystem
 *   log_sub(LOG_SUB_KNL, LOG_INFO, "route ...");  an explicit one
 *   log_write(LOG_SUB_IKE, LOG_INFO, &ctx, ...);  with a context prefix
 * A file's subsystem is LOG_SUBSYS: CMake sets a default per folder
 * (LOG_SUBSYS_DEFAULT, see CMakeLists.txt); a file may choose its own with
 *   #define LOG_SUBSYS LOG_SUB_CHD
 * before its first #include.
 *
 * Levels are charon's numbers, -1 (silent) to 4, per subsystem per sink.
 * A message is written to a sink when its charon level (err 0; warn and
 * info 1; debug 2) is at most the sink's level for its subsystem; so the
 * default 1 shows err, warn and info, 2 adds debug, 0 errors only. uipsec
 * never logs key material, so 3 and 4 show what 2 shows.
 *
 * The log configuration is process-global (sinks and levels), like
 * syslog's own state: set at start-up and on reload, read everywhere.
 * Logging is thread-safe (data-path workers log); log_configure() may
 * run while other threads log. Never pass key material, nonces or shared
 * secrets to these functions. */
#ifndef UIPSEC_UTIL_LOG_H
#define UIPSEC_UTIL_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* charon's subsystems, in charon's order (debug.h). What uipsec logs
 * under each is in docs/daemon.md; the others are accepted in settings
 * so that a charon configuration carries over. */
enum log_sub {
	LOG_SUB_DMN,   /* daemon start, stop, signals, settings */
	LOG_SUB_MGR,   /* IKE_SA manager */
	LOG_SUB_IKE,   /* IKE_SAs */
	LOG_SUB_CHD,   /* CHILD_SAs */
	LOG_SUB_JOB,
	LOG_SUB_CFG,   /* configuration, control socket */
	LOG_SUB_KNL,   /* SAD/SPD installs, routes, rules, TUN device */
	LOG_SUB_NET,   /* sockets */
	LOG_SUB_ASN,
	LOG_SUB_ENC,   /* IKE message encoding */
	LOG_SUB_TNC,
	LOG_SUB_IMC,
	LOG_SUB_IMV,
	LOG_SUB_PTS,
	LOG_SUB_TLS,
	LOG_SUB_APP,   /* the uipsec command line */
	LOG_SUB_ESP,   /* the ESP data path */
	LOG_SUB_LIB,   /* utilities, crypto */
	LOG_SUB_COUNT,
};

#ifndef LOG_SUBSYS_DEFAULT
#define LOG_SUBSYS_DEFAULT LOG_SUB_LIB
#endif
#ifndef LOG_SUBSYS
#define LOG_SUBSYS LOG_SUBSYS_DEFAULT
#endif

#define LOG_LEVEL_SILENT (-1)
#define LOG_LEVEL_MAX 4
#define LOG_LEVEL_DEFAULT 1

/* What a line is about: charon's "<name|id>" prefix (ike_name). name is
 * the connection (NULL: "(unnamed)"), id the IKE_SA's unique id. */
struct log_ctx {
	const char *name;
	uint32_t id;
};

/* "ike" for LOG_SUB_IKE; NULL out of range. */
const char *log_sub_name(enum log_sub sub);
/* The subsystem named (case-insensitive: "ike", "IKE"), or -1. */
int log_sub_parse(const char *name);
/* The charon level of a message of this level (err 0, warn/info 1, debug 2). */
int log_level_charon(enum log_level level);

/* True if a message of this subsystem and level reaches some sink: the
 * cheap check before formatting anything on a hot path. */
bool log_enabled(enum log_sub sub, enum log_level level);

void log_write(enum log_sub sub, enum log_level level, const struct log_ctx *ctx,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_sub(sub, level, ...) log_write(sub, level, NULL, __VA_ARGS__)
#define log_msg(level, ...)      log_write(LOG_SUBSYS, level, NULL, __VA_ARGS__)
#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) \
	do { if (log_enabled(LOG_SUBSYS, LOG_DEBUG)) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

/* ---- configuration ---- */

enum log_target {
	LOG_TARGET_STDERR,
	LOG_TARGET_STDOUT,
	LOG_TARGET_FILE,
	LOG_TARGET_SYSLOG,
	LOG_TARGET_JOURNAL,
};

#define LOG_MAX_SINKS 16
#define LOG_PATH_MAX 256
#define LOG_JOURNAL_SOCKET "/run/systemd/journal/socket"
#define LOG_SYSLOG_SOCKET "/dev/log"
/* map_level's default in uipsec: syslog priority from the message's
 * severity (err LOG_ERR, warn LOG_WARNING, info LOG_INFO, debug
 * LOG_DEBUG). -1 is charon's default (everything LOG_INFO), N >= 0 maps
 * charon level L to priority N + L (at most LOG_DEBUG). */
#define LOG_MAP_SEVERITY (-2)

struct log_sink_cfg {
	enum log_target target;
	char path[LOG_PATH_MAX];   /* FILE: the file; SYSLOG, JOURNAL: the socket ("": default) */
	int facility;              /* SYSLOG: the facility's code (LOG_DAEMON's value) */
	int8_t level[LOG_SUB_COUNT];   /* -1..4 per subsystem */
	bool ike_name;             /* "<conn|id>" prefix (uipsec's default: yes) */
	bool log_level;            /* "[IKE1]": the level after the subsystem */
	bool append;               /* FILE: append (yes) or truncate at open */
	char time_format[64];      /* stderr/stdout/FILE: strftime(3) prefix, "" none */
	bool time_add_ms;          /* ".123" after the time */
	int map_level;             /* SYSLOG: LOG_MAP_SEVERITY, -1 or N */
};

struct log_config {
	struct log_sink_cfg sink[LOG_MAX_SINKS];
	unsigned nsinks;
	char ident[32];            /* line prefix, SYSLOG_IDENTIFIER ("": unchanged) */
	char syslog_ident[32];     /* openlog(3) ident ("": ident) */
};

/* A sink of target t with uipsec's defaults: every subsystem at level 1,
 * ike_name yes, append yes, facility daemon, map_level by severity. */
void log_sink_defaults(struct log_sink_cfg *s, enum log_target t);
/* Append a sink with defaults; NULL if the table is full. */
struct log_sink_cfg *log_config_add(struct log_config *c, enum log_target t);
/* The facility's code for a syslog facility name (daemon, auth, authpriv,
 * user, local0..local7), or -1. */
int log_syslog_facility(const char *name);

/* Open the sinks of c (files, the syslog and journal sockets) and make
 * them the current ones; the previous sinks are closed. On error nothing
 * changes: returns a negative errno and says why in err. */
int log_configure(const struct log_config *c, char *err, size_t errlen);
/* The same for a running daemon, which opens nothing (its sandbox lets
 * it open no file or socket): levels and formats change, file loggers
 * keep the files they have (by path), and a logger that would need a new
 * file, or the first syslog or journal one, is refused (-EPERM, why in
 * err; nothing changes). */
int log_reconfigure(const struct log_config *c, char *err, size_t errlen);

/* Shorthands for programs that only log to stderr: every subsystem of
 * one stderr sink at the charon level of this level (LOG_ERR: errors
 * only; LOG_DEBUG: everything). */
void log_set_level(enum log_level level);
/* The most verbose level any sink writes for any subsystem. */
enum log_level log_get_level(void);
/* Prefix every line with this program name (default "uipsec"). The
 * string must stay valid. */
void log_set_ident(const char *ident);

/* A tap: every line up to charon level `level` (whatever the sinks'
 * levels) is also passed to fn, after the sinks, outside the log's lock,
 * from whichever thread logged it (fn must be thread-safe or ignore
 * other threads, and must cope with being called again from inside
 * itself if it logs). msg is the sanitized text without prefixes, valid
 * during the call. fn NULL removes the tap. For streaming the log to
 * control clients (VICI "log" and "control-log"). */
typedef void (*log_tap_fn)(void *ctx, enum log_sub sub, enum log_level level, int clevel,
                           const struct log_ctx *lctx, const char *msg);
void log_set_tap(log_tap_fn fn, void *ctx, int level);

/* Lines that could not be written (a full journal socket, a failed file
 * write), since start. */
uint64_t log_lost(void);

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
		if (log_enabled(LOG_SUBSYS, LOG_WARN) && log_ratelimit_ok(&rl_)) \
			log_msg(LOG_WARN, __VA_ARGS__); \
	} while (0)

/* Debug message on the packet path: rate-limited per call site. */
#define log_debug_rl(...) \
	do { \
		static struct log_ratelimit rl_; \
		if (log_enabled(LOG_SUBSYS, LOG_DEBUG) && log_ratelimit_ok(&rl_)) \
			log_msg(LOG_DEBUG, __VA_ARGS__); \
	} while (0)

#endif
