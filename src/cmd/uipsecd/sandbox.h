/* uipsecd's sandbox: what the daemon keeps after start-up, and the
 * seccomp allow-list of the system calls it may still make. The reasons
 * for each kept privilege and each allowed call are written beside them
 * in sandbox.c; docs/security.md has the overview and the plan for
 * splitting the daemon into processes.
 *
 * Use: sandbox_init() first (before anything that changes credentials),
 * sandbox_resolve() while the user database is readable (before the
 * descriptors are opened: a wrong --user fails early), sandbox_enter()
 * once every descriptor, route rule and the configuration are in place
 * and before any thread is started (capabilities are per thread, and the
 * seccomp filter is inherited only by threads created after it). */
#ifndef UIPSECD_SANDBOX_H
#define UIPSECD_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The user a packaged install creates (scripts/deps.sh creates it on the
 * test machines; `useradd --system --no-create-home --shell
 * /usr/sbin/nologin uipsec`). */
#define SANDBOX_DEFAULT_USER "uipsec"

enum sandbox_seccomp {
	SANDBOX_SECCOMP_ON = 0,   /* a call outside the list: logged, process killed (SIGSYS) */
	SANDBOX_SECCOMP_LOG,      /* a call outside the list: allowed, logged by the kernel
	                           * (audit/dmesg, type=1326): to find what is missing */
	SANDBOX_SECCOMP_OFF,      /* no filter (debugging; sanitizer builds by default) */
};

struct sandbox_cfg {
	const char *user;         /* --user; NULL: SANDBOX_DEFAULT_USER if it exists */
	bool net_admin;           /* keep CAP_NET_ADMIN: routes follow policies (gw.h) */
	enum sandbox_seccomp seccomp;
	bool seccomp_given;       /* --seccomp on the command line (else: default) */
};

struct sandbox {
	uid_t start_uid;          /* real uid at start: who may signal us (below) */
	bool started_root;        /* effective uid 0 at start */
	bool switch_user;         /* resolved: setresuid to uid/gid */
	uid_t uid;
	gid_t gid;
	char user[64];            /* for log lines */
	bool net_admin;           /* CAP_NET_ADMIN kept */
	bool filtered;            /* seccomp filter loaded */
};

/* Does this thread have CAP_NET_ADMIN (effective) now? */
bool sandbox_cap_net_admin(void);

/* Record who started us. */
void sandbox_init(struct sandbox *sb);

/* Decide the user: cfg->user (refused if it does not exist; "root" keeps
 * uid 0), else SANDBOX_DEFAULT_USER if it exists, else stay uid 0 with a
 * warning (the capabilities, no_new_privs and the filter still apply).
 * Without root at start (rootless: descriptors handed over), no switch.
 * 0 or -errno (logged). */
int sandbox_resolve(struct sandbox *sb, const struct sandbox_cfg *cfg);

/* Drop to the resolved user with CAP_NET_ADMIN (cfg->net_admin and we
 * had it) or no capability at all, empty the bounding and ambient sets,
 * set no_new_privs and non-dumpable, then load the seccomp filter
 * (cfg->seccomp). Logs one line saying what is left. 0 or -errno
 * (logged; the caller must not go on). */
int sandbox_enter(struct sandbox *sb, const struct sandbox_cfg *cfg);

/* May a signal with this sender (signalfd ssi_uid and ssi_code) stop or
 * reload the daemon? From the kernel (a terminal's ^C, SI_KERNEL), from
 * root, or from the user who started the daemon; not from others that
 * share the user we dropped to (with --user nobody, any nobody process). */
bool sandbox_signal_ok(const struct sandbox *sb, uint32_t uid, int32_t code);

/* For tests (uipsecd --sandbox-selftest WHAT, after sandbox_enter): make
 * a call the filter forbids. "exec" (execve: the process is killed with
 * SIGSYS after a log line), "socket-raw" (a packet socket: killed),
 * "write-file PATH"-less "open-write" (open /dev/null for writing:
 * killed), "unlink" (of the control socket: refused with EPERM, which
 * this returns as 0). Returns 0 if the call failed as it should, -1 if it
 * succeeded (the filter is not working), -EINVAL for an unknown WHAT. */
int sandbox_selftest(const char *what, const char *path);

#endif
