/* TUN device: layer-3 packets (IFF_TUN | IFF_NO_PI) between the kernel and
 * the data path. The device exists as long as its descriptor is open
 * (not persistent), so closing it removes the device and its routes.
 *
 * Threading: create on the control thread before dropping privileges;
 * reads and writes from the data-path loop. */
#ifndef UIPSEC_IO_TUN_H
#define UIPSEC_IO_TUN_H

#include <stdint.h>
#include <sys/types.h>

#define TUN_NAME_MAX 16   /* IFNAMSIZ */

struct tun {
	int fd;                   /* non-blocking */
	int ifindex;
	uint32_t mtu;
	char name[TUN_NAME_MAX];
};

/* Create TUN device name (exclusively: if an interface of that name
 * exists, for instance another uipsecd's, this fails with -EBUSY and logs
 * a clear message), set its MTU and bring it up. 0 or -errno. */
int tun_open(struct tun *t, const char *name, uint32_t mtu);
/* Close the descriptor; the kernel removes the device. */
void tun_close(struct tun *t);

/* Read one packet into buf. Returns its length, 0 if nothing is pending
 * (EAGAIN), or -errno. */
ssize_t tun_read(struct tun *t, void *buf, size_t len);
/* Write one IP packet. 0 or -errno. */
int tun_write(struct tun *t, const void *buf, size_t len);

/* Set MTU / bring up an interface by name with ioctl (any interface). */
int tun_set_mtu(const char *name, uint32_t mtu);
int tun_set_up(const char *name);

#endif
