/* Privilege drop for uipsecd. What stays and why:
 *   - the open descriptors (TUN, raw ESP and UDP 500/4500 sockets, the
 *     control socket): opening them needed root, using them does not;
 *   - CAP_NET_ADMIN, only when routes are managed: adding and removing
 *     routes through the TUN device as outbound policies come and go.
 * Everything else goes: uid/gid, supplementary groups, every other
 * capability; no_new_privs stops regaining any through exec. */
#include "priv.h"
#include "util/log.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int set_caps(bool net_admin)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (net_admin) {
		data[CAP_NET_ADMIN / 32].effective |= 1u << (CAP_NET_ADMIN % 32);
		data[CAP_NET_ADMIN / 32].permitted |= 1u << (CAP_NET_ADMIN % 32);
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

int priv_drop(const char *user, bool keep_net_admin)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;
	int r;

	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		log_err("--user %s: no such user", user);
		return -ENOENT;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	/* keep the permitted set across setuid so CAP_NET_ADMIN can stay */
	if (keep_net_admin && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		goto fail;
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		goto fail;
	r = set_caps(keep_net_admin);
	if (r < 0) {
		errno = -r;
		goto fail;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	/* check: we must not be able to get root back */
	if (setuid(0) == 0 && uid != 0) {
		log_err("privilege drop failed: could regain uid 0");
		return -EPERM;
	}
	log_info("dropped privileges to %s (uid %u gid %u)%s", user, (unsigned)uid,
	         (unsigned)gid, keep_net_admin ? ", keeping CAP_NET_ADMIN for routes" : "");
	return 0;
fail:
	r = -errno;
	log_err("dropping privileges to %s failed: %s", user, strerror(errno));
	return r;
}
