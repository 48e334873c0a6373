/* Handed-over descriptors (inherit.h): the socket-activation protocol of
 * sd_listen_fds(3), read by hand (no libsystemd). */
#include "io/inherit.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LISTEN_FDS_START 3

static const char *const names[IO_FD_MAX] = {
	[IO_FD_TUN] = "tun", [IO_FD_IKE4] = "ike", [IO_FD_IKE6] = "ike6",
	[IO_FD_NAT4] = "natt", [IO_FD_NAT6] = "natt6", [IO_FD_ESP4] = "esp",
	[IO_FD_ESP6] = "esp6",
};

const char *io_fd_name(enum io_fd_kind k)
{
	return k < IO_FD_MAX ? names[k] : "?";
}

static void unset_env(void)
{
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

int io_fds_from_env(struct io_fds *f)
{
	const char *pid_s = getenv("LISTEN_PID"), *n_s = getenv("LISTEN_FDS");
	const char *names_s = getenv("LISTEN_FDNAMES");
	char *list = NULL, *save = NULL, *tok, *end;
	long pid, n, i = 0;
	int k, rc = 0;

	for (k = 0; k < IO_FD_MAX; k++)
		f->fd[k] = -1;
	f->any = false;
	if (!n_s)
		return 0;
	pid = pid_s ? strtol(pid_s, &end, 10) : 0;
	if (!pid_s || *end || pid != (long)getpid()) {
		/* meant for another process (sd_listen_fds(3): ignore) */
		unset_env();
		return 0;
	}
	n = strtol(n_s, &end, 10);
	if (*n_s == '\0' || *end || n < 1 || n > IO_FD_MAX) {
		log_err("LISTEN_FDS=%s: want 1 to %d descriptors", n_s, IO_FD_MAX);
		rc = -EINVAL;
		goto out;
	}
	if (!names_s) {
		log_err("LISTEN_FDS without LISTEN_FDNAMES: name each descriptor (tun, ike, ike6, "
		        "natt, natt6, esp, esp6)");
		rc = -EINVAL;
		goto out;
	}
	list = strdup(names_s);
	if (!list) {
		rc = -ENOMEM;
		goto out;
	}
	for (tok = strtok_r(list, ":", &save); tok; tok = strtok_r(NULL, ":", &save), i++) {
		int fd = (int)(LISTEN_FDS_START + i);

		if (i >= n) {
			log_err("LISTEN_FDNAMES names more descriptors than LISTEN_FDS=%ld", n);
			rc = -EINVAL;
			goto out;
		}
		for (k = 0; k < IO_FD_MAX && strcmp(tok, names[k]); k++)
			;
		if (k == IO_FD_MAX || f->fd[k] >= 0) {
			log_err("LISTEN_FDNAMES: '%s' is %s (tun, ike, ike6, natt, natt6, esp, esp6, "
			        "each once)", tok, k == IO_FD_MAX ? "not a descriptor uipsecd takes" :
			        "named twice");
			rc = -EINVAL;
			goto out;
		}
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			log_err("handed-over descriptor %d (%s): %s", fd, tok, strerror(errno));
			rc = -EBADF;
			goto out;
		}
		f->fd[k] = fd;
		f->any = true;
	}
	if (i != n) {
		log_err("LISTEN_FDS=%ld but LISTEN_FDNAMES names %ld", n, i);
		rc = -EINVAL;
	}
out:
	free(list);
	unset_env();
	return rc;
}

void io_fds_close_rest(struct io_fds *f)
{
	for (int k = 0; k < IO_FD_MAX; k++) {
		if (f->fd[k] >= 0)
			close(f->fd[k]);
		f->fd[k] = -1;
	}
}
