/* Permission check of the configuration files, OpenSSH-style (sshd
 * refuses a private host key others can read; for a configuration that a
 * drop-in for charon must keep starting with, uipsecd warns: see
 * conf_perm.h and docs/security.md). Runs on the control loop at load and
 * reload; stat() only. */
#include "conf_perm.h"
#include "util/log.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

unsigned conf_perm_check(char *const *files, size_t n, bool secrets, uid_t uid, gid_t gid)
{
	unsigned warned = 0;

	for (size_t i = 0; i < n; i++) {
		struct stat st;
		mode_t m;

		/* the file's own mode: a symbolic link's target is what is read */
		if (stat(files[i], &st) < 0)
			continue;
		m = st.st_mode & 07777;
		if (st.st_uid != 0 && st.st_uid != uid) {
			log_warn("%s is owned by uid %u, not root: that user can change the "
			         "configuration%s (chown root %s)", files[i], (unsigned)st.st_uid,
			         secrets ? " and read its secrets" : "", files[i]);
			warned++;
		} else if (m & (S_IWGRP | S_IWOTH)) {
			log_warn("%s is writable by %s: other users can change the configuration "
			         "(chmod %s %s)", files[i], m & S_IWOTH ? "every user" : "its group",
			         secrets ? "600" : "go-w", files[i]);
			warned++;
		} else if (secrets && (m & S_IROTH)) {
			log_warn("%s holds secrets and is readable by every user (chmod 600 %s, "
			         "or root:uipsec 0640 if the daemon must reread it)", files[i], files[i]);
			warned++;
		} else if (secrets && (m & S_IRGRP) && st.st_gid != 0 && st.st_gid != gid) {
			log_warn("%s holds secrets and is readable by group %u (chmod 600 %s, or "
			         "root:uipsec 0640 if the daemon must reread it)", files[i],
			         (unsigned)st.st_gid, files[i]);
			warned++;
		}
	}
	return warned;
}
