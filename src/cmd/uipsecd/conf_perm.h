/* Who else may read or change the configuration (issue 15 item 9). */
#ifndef UIPSECD_CONF_PERM_H
#define UIPSECD_CONF_PERM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Check each of files[0..n) (every file a swanctl.conf load read, includes
 * too) and log one warning per file that
 *   - other users may change: group- or world-writable, or owned by a
 *     user other than root and the daemon's (a local user could add a
 *     connection or a secret: always a warning);
 *   - other users may read, when the configuration holds secrets: world-
 *     readable, or group-readable by a group other than root's and the
 *     daemon's own (root:uipsec 0640 is how the daemon rereads it after
 *     the drop).
 * Warns, never refuses (docs/security.md says why). The daemon's user is
 * uid/gid (after the drop); root is always fine. Returns the number of
 * warnings. */
unsigned conf_perm_check(char *const *files, size_t n, bool secrets, uid_t uid, gid_t gid);

#endif
