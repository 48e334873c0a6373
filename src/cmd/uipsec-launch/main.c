/* uipsec-launch: open what uipsecd needs privileges for, give up every
 * privilege, and run uipsecd with the descriptors (docs/containers.md).
 *
 *   uipsec-launch [--tun NAME] [--mtu N] [--no-offload] [--raw-esp] [--no-ipv6]
 *                 [--route PREFIX]... --user USER|UID[:GID] -- uipsecd ARGS...
 *
 * As root (or with CAP_NET_ADMIN and CAP_NET_BIND_SERVICE, plus CAP_NET_RAW
 * for --raw-esp, and CAP_SETUID/CAP_SETGID for --user) in the network
 * namespace uipsecd is to serve: creates the TUN device (or attaches to a
 * persistent one of that name the caller may use, e.g. made by `ip tuntap
 * add NAME mode tun user UID`), sets its MTU and brings it up, adds a route
 * via it for each --route (routes are not changed after that: there is no
 * privilege left to change them), binds UDP 500 and 4500 (IPv4, and IPv6
 * unless --no-ipv6), opens raw ESP sockets if --raw-esp; then switches to
 * USER with no capability in any set (effective, permitted, inheritable,
 * ambient, bounding) and no_new_privs, and execs the command with the
 * descriptors from 3 on, named in LISTEN_FDNAMES (io/inherit.h). uipsecd
 * then runs with no privilege at all. */
#include "io/route.h"
#include "io/sock.h"
#include "io/tun.h"
#include "net/addr.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_ROUTES 32
#define MAX_FDS 7

static void usage(FILE *f)
{
	fputs("usage: uipsec-launch [--tun NAME] [--mtu N] [--no-offload] [--raw-esp] [--no-ipv6]\n"
	      "                     [--route PREFIX]... --user USER|UID[:GID] -- uipsecd ARGS...\n"
	      "  --tun NAME      TUN device to create, or a persistent one to attach to\n"
	      "                  (default ipsec0)\n"
	      "  --mtu N         its MTU (default 1379, as uipsecd's)\n"
	      "  --no-offload    no virtio-net header (no TSO/GRO on the TUN device)\n"
	      "  --raw-esp       also open raw ESP sockets (needs CAP_NET_RAW); without\n"
	      "                  them ESP goes in UDP only (encap = yes on both peers)\n"
	      "  --no-ipv6       IPv4 sockets only\n"
	      "  --route PREFIX  a route to PREFIX via the TUN device (repeatable)\n"
	      "  --user U        the user uipsecd runs as (name, or UID[:GID])\n", f);
}

static int parse_user(const char *s, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(s);
	char *end;
	unsigned long u, g;

	if (pw) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		return 0;
	}
	u = strtoul(s, &end, 10);
	if (end == s || (*end && *end != ':'))
		return -1;
	g = u;
	if (*end == ':') {
		g = strtoul(end + 1, &end, 10);
		if (*end)
			return -1;
	}
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}

/* Every capability out of every set, for good; no_new_privs. */
static int drop_all(uid_t uid, gid_t gid)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	int cap;

	for (cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break;
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -errno;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return -EPERM;
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_TUN = 256, O_MTU, O_NOOFF, O_RAW, O_NOV6, O_ROUTE, O_USER, O_HELP };
	static const struct option lo[] = {
		{ "tun", required_argument, NULL, O_TUN }, { "mtu", required_argument, NULL, O_MTU },
		{ "no-offload", no_argument, NULL, O_NOOFF }, { "raw-esp", no_argument, NULL, O_RAW },
		{ "no-ipv6", no_argument, NULL, O_NOV6 }, { "route", required_argument, NULL, O_ROUTE },
		{ "user", required_argument, NULL, O_USER }, { "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *tun_name = "ipsec0", *user = NULL, *routes[MAX_ROUTES];
	unsigned nroutes = 0, mtu = 1379;
	bool offload = true, raw = false, v6 = true;
	struct { int fd; const char *name; } fds[MAX_FDS];
	unsigned nfds = 0, i;
	struct tun t;
	struct sock s;
	uid_t uid;
	gid_t gid;
	char names[128] = "", num[16];
	int c, r;

	log_set_ident("uipsec-launch");
	while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (c) {
		case O_TUN: tun_name = optarg; break;
		case O_MTU: mtu = (unsigned)strtoul(optarg, NULL, 10); break;
		case O_NOOFF: offload = false; break;
		case O_RAW: raw = true; break;
		case O_NOV6: v6 = false; break;
		case O_ROUTE:
			if (nroutes == MAX_ROUTES) {
				log_err("at most %d --route", MAX_ROUTES);
				return 2;
			}
			routes[nroutes++] = optarg;
			break;
		case O_USER: user = optarg; break;
		case 'h':
		case O_HELP: usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!user || optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (parse_user(user, &uid, &gid) < 0) {
		log_err("--user %s: no such user", user);
		return 2;
	}

	/* The TUN device: new, or the persistent one of that name. */
	if (if_nametoindex(tun_name))   /* a persistent device (ip tuntap add ... user UID) */
		r = tun_attach_persistent(&t, tun_name, mtu, offload);
	else
		r = tun_open_mq(&t, tun_name, mtu, offload, false);
	if (r < 0)
		return 1;
	fds[nfds].fd = t.fd;
	fds[nfds++].name = "tun";
	for (i = 0; i < nroutes; i++) {
		struct ip_addr a;
		uint8_t len;

		if (ip_prefix_parse(routes[i], &a, &len) < 0) {
			log_err("--route %s: not a prefix", routes[i]);
			return 2;
		}
		r = route_netlink(true, t.ifindex, &a, len);
		if (r < 0 && r != -EEXIST) {
			log_err("route %s dev %s: %s", routes[i], t.name, strerror(-r));
			return 1;
		}
	}
	/* UDP 500 and 4500, then raw ESP: as uipsecd's sockets are made */
	const struct { int family; uint16_t port; const char *name; } udp[] = {
		{ AF_INET, 500, "ike" }, { AF_INET, 4500, "natt" },
		{ AF_INET6, 500, "ike6" }, { AF_INET6, 4500, "natt6" },
	};
	for (i = 0; i < 4; i++) {
		if (udp[i].family == AF_INET6 && !v6)
			continue;
		r = sock_udp_open(&s, udp[i].family, udp[i].port);
		if (r < 0) {
			log_err("UDP port %u (%s): %s", udp[i].port, udp[i].family == AF_INET ? "IPv4" :
			        "IPv6", strerror(-r));
			return 1;
		}
		fds[nfds].fd = s.fd;
		fds[nfds++].name = udp[i].name;
	}
	if (raw) {
		for (i = 0; i < (v6 ? 2u : 1u); i++) {
			r = sock_raw_esp_open(&s, i ? AF_INET6 : AF_INET);
			if (r < 0) {
				log_err("raw ESP socket: %s", strerror(-r));
				return 1;
			}
			fds[nfds].fd = s.fd;
			fds[nfds++].name = i ? "esp6" : "esp";
		}
	}

	r = drop_all(uid, gid);
	if (r < 0) {
		log_err("cannot drop to uid %u gid %u: %s", (unsigned)uid, (unsigned)gid, strerror(-r));
		return 1;
	}
	/* Descriptors 3.. in order; dup2 leaves the copies without
	 * FD_CLOEXEC, so they survive the exec. First out of the way of 3.. */
	for (i = 0; i < nfds; i++) {
		int hi = fcntl(fds[i].fd, F_DUPFD_CLOEXEC, 3 + MAX_FDS);

		if (hi < 0)
			return 1;
		close(fds[i].fd);
		fds[i].fd = hi;
	}
	for (i = 0; i < nfds; i++) {
		if (dup2(fds[i].fd, (int)(3 + i)) < 0)
			return 1;
		close(fds[i].fd);
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ":" : "",
		         fds[i].name);
	}
	snprintf(num, sizeof(num), "%u", nfds);
	setenv("LISTEN_FDS", num, 1);
	setenv("LISTEN_FDNAMES", names, 1);
	snprintf(num, sizeof(num), "%d", (int)getpid());   /* exec keeps the pid */
	setenv("LISTEN_PID", num, 1);
	execvp(argv[optind], argv + optind);
	log_err("cannot run %s: %s", argv[optind], strerror(errno));
	return 127;
}
