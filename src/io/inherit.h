/* Descriptors handed over by whoever started us (rootless operation,
 * docs/containers.md): systemd's socket-activation protocol (sd_listen_fds
 * (3)): LISTEN_PID is our pid, LISTEN_FDS=N descriptors from 3 on, and
 * LISTEN_FDNAMES names them, colon-separated:
 *
 *   tun     an open /dev/net/tun descriptor attached to a TUN device
 *           (IFF_TUN | IFF_NO_PI, optionally IFF_VNET_HDR)
 *   ike     UDP socket bound to port 500, IPv4      ike6   the same, IPv6 (V6ONLY)
 *   natt    UDP socket bound to port 4500, IPv4     natt6  the same, IPv6 (V6ONLY)
 *   esp     raw IPv4 socket for protocol 50         esp6   the same, IPv6
 *
 * A systemd .socket unit (ListenDatagram=500, FileDescriptorName=ike) or
 * `uipsec-launch` (src/cmd/uipsec-launch) provides them. The variables
 * are removed from the environment once read, and the descriptors get
 * FD_CLOEXEC. Threading: start-up only. */
#ifndef UIPSEC_IO_INHERIT_H
#define UIPSEC_IO_INHERIT_H

#include <stdbool.h>

enum io_fd_kind { IO_FD_TUN, IO_FD_IKE4, IO_FD_IKE6, IO_FD_NAT4, IO_FD_NAT6,
                  IO_FD_ESP4, IO_FD_ESP6, IO_FD_MAX };

struct io_fds {
	int fd[IO_FD_MAX];        /* -1: not handed over */
	bool any;                 /* at least one was */
};

/* The name of kind k in LISTEN_FDNAMES. */
const char *io_fd_name(enum io_fd_kind k);

/* Read the environment into *f (all -1 without LISTEN_FDS, or when
 * LISTEN_PID is another process's). An unknown or repeated name, or a
 * count and names that do not agree, is an error: 0 or -EINVAL (logged). */
int io_fds_from_env(struct io_fds *f);

/* Close every descriptor in *f that was not taken (set to -1 by the
 * taker). */
void io_fds_close_rest(struct io_fds *f);

#endif
