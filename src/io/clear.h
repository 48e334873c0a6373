/* The clear path: inner IP packets that an outbound bypass policy lets
 * through unprotected go back to the kernel as they are, on raw sockets
 * that take the whole IP header from us (IPv4 IPPROTO_RAW, which implies
 * IP_HDRINCL; IPv6 IPPROTO_RAW with IPV6_HDRINCL). The sockets carry
 * uipsecd's firewall mark (SO_MARK), which the policy routing rule in
 * io/route.h exempts from uipsecd's routing table: the kernel routes them
 * by the main table, not back into the TUN device.
 *
 * Also io_set_mark() for the daemon's other sockets (ESP, IKE).
 *
 * Threading: opened on the control thread before privileges are dropped
 * (SO_MARK needs CAP_NET_ADMIN, raw sockets CAP_NET_RAW); used from the
 * data-path loop with no privileges. */
#ifndef UIPSEC_IO_CLEAR_H
#define UIPSEC_IO_CLEAR_H

#include <stddef.h>
#include <stdint.h>

struct clear_sock {
	int fd4, fd6;   /* -1 if not open */
};

/* Open both raw sockets with SO_MARK mark. IPv4 is required, IPv6 only if
 * the host has it (fd6 stays -1). 0 or -errno. */
int clear_open(struct clear_sock *c, uint32_t mark);
void clear_close(struct clear_sock *c);

/* Where clear_send would send pkt: fills the family (AF_INET/AF_INET6)
 * and the 4 or 16 destination bytes. 0, or -EINVAL for something that is
 * not a whole IPv4/IPv6 header. Pure, for tests. */
int clear_dest(const uint8_t *pkt, size_t len, int *family, uint8_t dst[16]);

/* Send one IP packet (header included) as it is. 0 or -errno
 * (-EAFNOSUPPORT: IPv6 packet and no IPv6 socket). */
int clear_send(struct clear_sock *c, const uint8_t *pkt, size_t len);

/* SO_MARK on fd. 0 or -errno (-EPERM without CAP_NET_ADMIN). */
int io_set_mark(int fd, uint32_t mark);

#endif
