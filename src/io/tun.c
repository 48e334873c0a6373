/* TUN device creation and packet I/O. See tun.h. */
#include "io/tun.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r = 0;

	if (s < 0)
		return -errno;
	if (ioctl(s, req, ifr) < 0)
		r = -errno;
	close(s);
	return r;
}

int tun_set_mtu(const char *name, uint32_t mtu)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_mtu = (int)mtu;
	return ifreq_ioctl(SIOCSIFMTU, &ifr);
}

int tun_set_up(const char *name)
{
	struct ifreq ifr;
	int r;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	r = ifreq_ioctl(SIOCGIFFLAGS, &ifr);
	if (r < 0)
		return r;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ifreq_ioctl(SIOCSIFFLAGS, &ifr);
}

int tun_open(struct tun *t, const char *name, uint32_t mtu)
{
	struct ifreq ifr;
	int r;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (!name || !*name || strlen(name) >= TUN_NAME_MAX) {
		log_err("tun: bad interface name '%s'", name ? name : "");
		return -EINVAL;
	}
	/* IFF_TUN_EXCL makes TUNSETIFF fail with EBUSY if the name exists,
	 * instead of attaching to someone else's (persistent) device. A name
	 * taken by a non-TUN interface fails too. Check first for a clearer
	 * message. */
	if (if_nametoindex(name) != 0) {
		log_err("tun: interface %s already exists (another uipsecd running? use --tun NAME)",
		        name);
		return -EBUSY;
	}
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		r = -errno;
		log_err("tun: cannot open /dev/net/tun: %s", strerror(errno));
		return r;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)(IFF_TUN | IFF_NO_PI | IFF_TUN_EXCL);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		if (errno == EBUSY || errno == EEXIST)
			log_err("tun: interface %s already exists (another uipsecd running? use --tun NAME)",
			        name);
		else
			log_err("tun: TUNSETIFF %s: %s", name, strerror(errno));
		goto fail;
	}
	snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
	t->ifindex = (int)if_nametoindex(t->name);
	if (mtu) {
		r = tun_set_mtu(t->name, mtu);
		if (r < 0) {
			log_err("tun: set MTU %u on %s: %s", mtu, t->name, strerror(-r));
			goto fail;
		}
	}
	t->mtu = mtu;
	r = tun_set_up(t->name);
	if (r < 0) {
		log_err("tun: bring %s up: %s", t->name, strerror(-r));
		goto fail;
	}
	return 0;
fail:
	close(t->fd);
	t->fd = -1;
	return r;
}

void tun_close(struct tun *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

ssize_t tun_read(struct tun *t, void *buf, size_t len)
{
	ssize_t n = read(t->fd, buf, len);

	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
	return n;
}

int tun_write(struct tun *t, const void *buf, size_t len)
{
	ssize_t n = write(t->fd, buf, len);

	if (n < 0)
		return -errno;
	return 0;
}
