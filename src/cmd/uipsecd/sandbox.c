/* uipsecd's sandbox (sandbox.h): the privilege drop and the seccomp
 * allow-list. Runs once, on the main thread, before any other thread.
 *
 * What the daemon keeps after start-up, and why:
 *   - its open descriptors (TUN device, UDP 500/4500 and raw ESP sockets,
 *     the clear-path raw sockets, the control and metrics listeners, the
 *     epoll, timer, signal and event descriptors): opening them needed
 *     root, using them needs nothing;
 *   - CAP_NET_ADMIN, only while routes are managed (not --no-routes):
 *     routes into the TUN device are added and removed as outbound
 *     policies come and go (rtnetlink RTM_NEWROUTE/RTM_DELROUTE), the
 *     routing rule is removed at exit, and an initiator without
 *     local_addrs asks for its source address with the fwmark (SO_MARK);
 * and nothing else:
 *   - not CAP_NET_BIND_SERVICE: ports 500 and 4500 are bound at start;
 *   - not CAP_NET_RAW: the raw ESP and clear-path sockets are open;
 *   - not CAP_SETUID/SETGID/SETPCAP, CAP_DAC_*, CAP_SYS_*: nothing at run
 *     time changes credentials, reads other users' files or tunes the
 *     system;
 *   - the uid: a user of its own (SANDBOX_DEFAULT_USER), so that no other
 *     process shares it (another `nobody` process could signal or ptrace
 *     a daemon running as nobody); where that user does not exist, uid 0
 *     stays, without capabilities, with SECBIT_NOROOT (exec as root gains
 *     nothing) and a filter that allows no open for writing;
 *   - the bounding and ambient sets are emptied and no_new_privs is set:
 *     no exec can bring any capability back (the filter forbids exec
 *     anyway; these hold when the filter is off);
 *   - non-dumpable: no core file with keys in it, and no ptrace by a
 *     process of the same uid (the kernel's own rule for dumpable 0).
 *
 * The seccomp filter (libseccomp) lists the calls the daemon makes after
 * start-up, grouped below by the code that makes them, with the reason.
 * They were collected by running every netns and interop test with the
 * filter in log mode (SCMP_ACT_LOG; the kernel logs each call outside the
 * list) and reading the kernel log. Anything else traps: a handler writes
 * one line naming the call and the process dies of SIGSYS. Two calls the
 * daemon makes but must not do after the drop fail with EPERM instead
 * (unlink at exit, see below). */
#include "sandbox.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/netlink.h>

/* Sanitizer run-times make calls of their own (shadow memory, the leak
 * checker's ptrace of the process, TSan's background thread) that no
 * allow-list of ours can foresee: in such builds the filter is off by
 * default and the process stays dumpable (LeakSanitizer ptraces it). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(memory_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif
#ifndef SANDBOX_SANITIZER
#define SANDBOX_SANITIZER 0
#endif

void sandbox_init(struct sandbox *sb)
{
	memset(sb, 0, sizeof(*sb));
	sb->start_uid = getuid();
	sb->started_root = geteuid() == 0;
}

int sandbox_resolve(struct sandbox *sb, const struct sandbox_cfg *cfg)
{
	const char *name = cfg->user ? cfg->user : SANDBOX_DEFAULT_USER;
	struct passwd *pw;

	sb->switch_user = false;
	if (!sb->started_root) {
		/* rootless (descriptors handed over, docs/containers.md):
		 * there is nothing to switch from */
		if (cfg->user && strcmp(cfg->user, "root") != 0)
			log_warn("--user %s: not started as root; staying uid %u", cfg->user,
			         (unsigned)getuid());
		snprintf(sb->user, sizeof(sb->user), "uid %u", (unsigned)getuid());
		sb->uid = getuid();
		sb->gid = getgid();
		return 0;
	}
	if (cfg->user && !strcmp(cfg->user, "root")) {
		snprintf(sb->user, sizeof(sb->user), "root");
		return 0;
	}
	errno = 0;
	pw = getpwnam(name);
	if (!pw) {
		if (cfg->user) {
			log_err("--user %s: no such user", cfg->user);
			return -ENOENT;
		}
		/* No dedicated user on this system (a build tree, not a
		 * package). Refusing to start would surprise someone who ran
		 * charon as root until now; running as nobody would share a
		 * uid with other daemons. Stay uid 0 without capabilities. */
		log_warn("no user '%s': staying uid 0 (without capabilities, with no_new_privs "
		         "and the seccomp filter); create it (useradd --system --no-create-home "
		         "--shell /usr/sbin/nologin %s) or pass --user USER (--user root: "
		         "this, without the warning)", name, name);
		snprintf(sb->user, sizeof(sb->user), "root");
		return 0;
	}
	if (pw->pw_uid == 0) {
		snprintf(sb->user, sizeof(sb->user), "%s", name);
		return 0;
	}
	sb->switch_user = true;
	sb->uid = pw->pw_uid;
	sb->gid = pw->pw_gid;
	snprintf(sb->user, sizeof(sb->user), "%s", name);
	return 0;
}

bool sandbox_signal_ok(const struct sandbox *sb, uint32_t uid, int32_t code)
{
	/* SI_KERNEL: generated by the kernel (a terminal's ^C or hang-up),
	 * not sent by a process */
	if (code == SI_KERNEL)
		return true;
	return uid == 0 || uid == (uint32_t)sb->start_uid;
}

/* ------------------------------------------------------------- capabilities */

static int caps_set(bool net_admin)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (net_admin) {
		data[CAP_NET_ADMIN / 32].effective |= 1u << (CAP_NET_ADMIN % 32);
		data[CAP_NET_ADMIN / 32].permitted |= 1u << (CAP_NET_ADMIN % 32);
	}
	/* inheritable stays empty: nothing passes through an exec */
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

static bool cap_have(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	return (data[cap / 32].effective >> (cap % 32)) & 1;
}

bool sandbox_cap_net_admin(void)
{
	return cap_have(CAP_NET_ADMIN);
}

/* Empty the bounding set (needs CAP_SETPCAP, which root has now): what
 * an exec could ever gain. Stops at the first number the kernel does not
 * know. */
static void bounding_clear(void)
{
	int cap;

	for (cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break;
}

/* ------------------------------------------------------------- seccomp */

/* Async-signal-safe: one line for the log, then die of SIGSYS (the
 * handler was installed with SA_RESETHAND | SA_NODEFER, so the second
 * SIGSYS takes the default action at once). Returning would let the
 * forbidden call appear to have failed and the code go on. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char line[200], num[24];
	size_t n = 0, k;
	unsigned v = (unsigned)si->si_syscall;
	const char *parts[] = { "uipsecd[err]: seccomp: system call ", num,
	                        " is not on the allow-list (scmp_sys_resolver ", num,
	                        " names it; uipsecd --seccomp log to run on and see every"
	                        " such call in the kernel log); stopping\n" };

	(void)uc;
	k = sizeof(num) - 1;
	num[k] = '\0';
	do {
		num[--k] = (char)('0' + v % 10);
		v /= 10;
	} while (v && k);
	memmove(num, num + k, sizeof(num) - k);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		for (const char *p = parts[i]; *p && n < sizeof(line); p++)
			line[n++] = *p;
	if (write(2, line, n) < 0)
		(void)0;
	raise(sig);
}

/* One group of calls allowed without looking at their arguments. */
struct sc_group {
	const char *why;
	const int *nr;
	size_t n;
};

#define GROUP(why, ...) \
	{ why, (const int[]){ __VA_ARGS__ }, sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int) }

static const struct sc_group sc_groups[] = {
	GROUP("event loop (io/loop.c): wait, timers and eventfds read, signalfd read; "
	      "workers' loops are created after the filter (gw_attach)",
	      SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_pwait2),
	      SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_create1), SCMP_SYS(timerfd_settime),
	      SCMP_SYS(timerfd_gettime)),
	GROUP("packets and control messages on descriptors opened before the drop: TUN "
	      "read/readv/writev, UDP and raw sockets recvmmsg/recvmsg/sendmmsg/sendmsg, "
	      "control and metrics connections accept4/recv/send, eventfd write",
	      SCMP_SYS(read), SCMP_SYS(readv), SCMP_SYS(write), SCMP_SYS(writev),
	      SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(recvmmsg), SCMP_SYS(sendto),
	      SCMP_SYS(sendmsg), SCMP_SYS(sendmmsg), SCMP_SYS(accept4), SCMP_SYS(shutdown),
	      SCMP_SYS(close), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
	      SCMP_SYS(getsockopt), SCMP_SYS(fcntl)),
	GROUP("netlink and route lookups at run time: getifaddrs every second "
	      "(dp_refresh_local), routes as policies change (io/route.c), `uipsec explain` "
	      "(io/route_get.c), the source address of an initiator (net/route_src.c): "
	      "bind and connect on the sockets the socket() rule below admits",
	      SCMP_SYS(bind), SCMP_SYS(connect)),
	GROUP("memory: malloc (brk, mmap, munmap, mremap, madvise), thread stacks "
	      "(mprotect of the guard page: PROT_EXEC is refused by the rules below)",
	      SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise)),
	GROUP("threads of --workers (pthread_create, joins, locks) and the C library's own "
	      "housekeeping: futex, robust lists, rseq, signal masks, exit",
	      SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	      SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigaction),
	      SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(gettid),
	      SCMP_SYS(getpid), SCMP_SYS(tgkill), SCMP_SYS(exit), SCMP_SYS(exit_group),
	      SCMP_SYS(restart_syscall), SCMP_SYS(set_tid_address)),
	GROUP("time and randomness: monotonic and real clocks (vDSO first; the call when "
	      "it falls back), SPIs, nonces, IVs and DH keys from getrandom (OpenSSL)",
	      SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
	      SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(getrandom)),
	GROUP("reading swanctl.conf again (SIGHUP, `uipsec load`): stat, directory "
	      "listing for include globs, access(); the open itself is the read-only rule "
	      "below; uname for VICI's `version`",
	      SCMP_SYS(newfstatat), SCMP_SYS(fstat), SCMP_SYS(statx), SCMP_SYS(lseek),
	      SCMP_SYS(getdents64), SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2),
	      SCMP_SYS(readlink), SCMP_SYS(uname), SCMP_SYS(getuid), SCMP_SYS(geteuid),
	      SCMP_SYS(getgid), SCMP_SYS(getegid)),
};

static int rule(scmp_filter_ctx f, uint32_t action, int nr, unsigned n,
                const struct scmp_arg_cmp *cmp)
{
	int r = seccomp_rule_add_array(f, action, nr, n, cmp);

	/* a call this architecture does not have (open on arm64): nothing */
	return r == -EDOM || r == -EFAULT ? 0 : r;
}

static int filter_build(scmp_filter_ctx f)
{
	size_t g, i;
	int r = 0;

	for (g = 0; g < sizeof(sc_groups) / sizeof(sc_groups[0]) && !r; g++)
		for (i = 0; i < sc_groups[g].n && !r; i++)
			r = rule(f, SCMP_ACT_ALLOW, sc_groups[g].nr[i], 0, NULL);
	if (r)
		return r;

	/* socket(): netlink routing (getifaddrs, routes, route lookups) and
	 * UDP for the source-address lookup; nothing else. No raw, packet or
	 * UNIX sockets: the ones the daemon needs are open, and a new one
	 * would only serve an attacker. */
	struct scmp_arg_cmp nl[] = { SCMP_A0(SCMP_CMP_EQ, AF_NETLINK),
	                             SCMP_A2(SCMP_CMP_EQ, NETLINK_ROUTE) };
	struct scmp_arg_cmp u4[] = { SCMP_A0(SCMP_CMP_EQ, AF_INET),
	                             SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_DGRAM) };
	struct scmp_arg_cmp u6[] = { SCMP_A0(SCMP_CMP_EQ, AF_INET6),
	                             SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_DGRAM) };
	if ((r = rule(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2, nl)) ||
	    (r = rule(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2, u4)) ||
	    (r = rule(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2, u6)))
		return r;

	/* setsockopt(): SO_RCVTIMEO on a route lookup's netlink socket and
	 * SO_MARK on the source-address lookup's (needs CAP_NET_ADMIN, kept
	 * only with routes); options of the open sockets are set at start. */
	struct scmp_arg_cmp so_tmo[] = { SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET),
	                                 SCMP_A2(SCMP_CMP_EQ, SO_RCVTIMEO) };
	struct scmp_arg_cmp so_mark[] = { SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET),
	                                  SCMP_A2(SCMP_CMP_EQ, SO_MARK) };
	if ((r = rule(f, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2, so_tmo)) ||
	    (r = rule(f, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2, so_mark)))
		return r;

	/* open: read only (swanctl.conf and its includes on reload). No
	 * creating, truncating or writing any file, so that even uid 0
	 * without capabilities (no dedicated user) cannot change one. */
	/* O_TMPFILE includes O_DIRECTORY, which opendir() sets (include
	 * globs): test only the bit of its own (Linux __O_TMPFILE) */
	const scmp_datum_t wr = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | (O_TMPFILE & ~O_DIRECTORY);
	struct scmp_arg_cmp ro_at[] = { SCMP_A2(SCMP_CMP_MASKED_EQ, wr, O_RDONLY) };
	struct scmp_arg_cmp ro[] = { SCMP_A1(SCMP_CMP_MASKED_EQ, wr, O_RDONLY) };
	if ((r = rule(f, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1, ro_at)) ||
	    (r = rule(f, SCMP_ACT_ALLOW, SCMP_SYS(open), 1, ro)))
		return r;
	/* openat2 takes its flags in a struct the filter cannot read: the C
	 * library falls back to openat on ENOSYS */
	if ((r = rule(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0, NULL)))
		return r;

	/* memory without PROT_EXEC: no code made executable at run time
	 * (nothing in the daemon needs it; an exploit would) */
	struct scmp_arg_cmp nx[] = { SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0) };
	if ((r = rule(f, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, nx)) ||
	    (r = rule(f, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, nx)))
		return r;

	/* threads only (pthread_create for --workers, after the filter):
	 * clone with CLONE_THREAD; never a new process (fork, exec: the
	 * updown scripts to come belong to a privileged parent,
	 * docs/security.md). clone3 passes its flags in a struct: ENOSYS
	 * makes the C library use clone. */
	struct scmp_arg_cmp thr[] = { SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD) };
	if ((r = rule(f, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, thr)) ||
	    (r = rule(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0, NULL)))
		return r;

	/* unlink: the control socket at exit (ctl_server_free). After the
	 * drop it may not: refused with EPERM, the file stays, and the next
	 * start removes it once it has checked that it is a dead socket. */
	if ((r = rule(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unlink), 0, NULL)) ||
	    (r = rule(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unlinkat), 0, NULL)))
		return r;
	return 0;
}

static int filter_load(enum sandbox_seccomp mode)
{
	scmp_filter_ctx f;
	struct sigaction sa;
	int r;

	f = seccomp_init(mode == SANDBOX_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
	if (!f)
		return -ENOMEM;
	r = filter_build(f);
	if (r == 0 && mode == SANDBOX_SECCOMP_ON) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigsys;
		sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
		if (sigaction(SIGSYS, &sa, NULL) < 0)
			r = -errno;
	}
	if (r == 0)
		r = seccomp_load(f);
	seccomp_release(f);
	return r;
}

/* ------------------------------------------------------------- enter */

int sandbox_enter(struct sandbox *sb, const struct sandbox_cfg *cfg)
{
	enum sandbox_seccomp sc = cfg->seccomp;
	bool want_na = cfg->net_admin && cap_have(CAP_NET_ADMIN);
	bool uid0 = sb->started_root && !sb->switch_user;
	int r;

	if (SANDBOX_SANITIZER && !cfg->seccomp_given)
		sc = SANDBOX_SECCOMP_OFF;
	if (sb->started_root) {
		bounding_clear();
		/* uid 0 stays: exec as root must not grant capabilities
		 * (SECBIT_NOROOT), locked so that it stays that way */
		if (uid0 && prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED, 0, 0, 0) < 0)
			log_warn("sandbox: cannot set SECBIT_NOROOT: %s", strerror(errno));
	}
	if (sb->switch_user) {
		/* keep the permitted set across setresuid so CAP_NET_ADMIN can
		 * stay; the capset below empties everything else */
		if (want_na && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			goto fail;
		if (setgroups(1, &sb->gid) < 0 || setresgid(sb->gid, sb->gid, sb->gid) < 0 ||
		    setresuid(sb->uid, sb->uid, sb->uid) < 0)
			goto fail;
	}
	r = caps_set(want_na);
	if (r < 0) {
		errno = -r;
		goto fail;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto fail;
	if (!SANDBOX_SANITIZER && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		goto fail;
	/* check: root must be out of reach */
	if (sb->switch_user && (setuid(0) == 0 || seteuid(0) == 0)) {
		log_err("sandbox: privilege drop failed: could regain uid 0");
		return -EPERM;
	}
	sb->net_admin = want_na;
	if (cfg->net_admin && !want_na)
		log_warn("sandbox: no CAP_NET_ADMIN to keep: routes cannot follow policies");
	if (sc != SANDBOX_SECCOMP_OFF) {
		r = filter_load(sc);
		if (r < 0) {
			log_err("sandbox: cannot load the seccomp filter: %s (--seccomp off to run "
			        "without)", strerror(-r));
			return r;
		}
		sb->filtered = true;
	}
	log_info("sandbox: %s (uid %u gid %u), capabilities: %s; no_new_privs; seccomp %s",
	         sb->user, (unsigned)getuid(), (unsigned)getgid(),
	         want_na ? "CAP_NET_ADMIN (routes)" : "none",
	         sc == SANDBOX_SECCOMP_ON ? "allow-list (kill)" :
	         sc == SANDBOX_SECCOMP_LOG ? "allow-list (log only)" :
	         SANDBOX_SANITIZER && !cfg->seccomp_given ? "off (sanitizer build)" : "off");
	return 0;
fail:
	r = -errno;
	log_err("sandbox: dropping privileges to %s failed: %s", sb->user, strerror(errno));
	return r;
}

/* ------------------------------------------------------------- self-test */

int sandbox_selftest(const char *what, const char *path)
{
	int fd;

	if (!strcmp(what, "exec")) {
		char *const argv[] = { (char *)"/bin/true", NULL };
		execv("/bin/true", argv);
		log_err("selftest: execve returned: %s", strerror(errno));
		return -1;
	}
	if (!strcmp(what, "socket-raw")) {
		fd = socket(AF_PACKET, SOCK_RAW, 0);
		log_err("selftest: socket(AF_PACKET) returned %d (%s)", fd, strerror(errno));
		return fd >= 0 ? -1 : 0;
	}
	if (!strcmp(what, "open-write")) {
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		log_err("selftest: open for writing returned %d (%s)", fd, strerror(errno));
		return fd >= 0 ? -1 : 0;
	}
	if (!strcmp(what, "unlink")) {
		if (unlink(path) == 0) {
			log_err("selftest: unlink %s succeeded", path);
			return -1;
		}
		log_info("selftest: unlink %s refused: %s", path, strerror(errno));
		return errno == EPERM ? 0 : -1;
	}
	return -EINVAL;
}
