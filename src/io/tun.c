/* TUN device creation and packet I/O. See tun.h. */
#define LOG_SUBSYS LOG_SUB_KNL   /* log lines: the TUN device is our kernel interface */
#include "io/tun.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

/* Linux 6.2 added USO to TUN; older userspace headers (Debian 12 has 6.1)
 * do not name it, the running kernel may still have it. Values from the
 * kernel's uapi headers. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
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

int tun_set_txqlen(const char *name, unsigned qlen)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_qlen = (int)qlen;
	return ifreq_ioctl(SIOCSIFTXQLEN, &ifr);
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

/* Turn off IPv6 address generation on NAME (addr_gen_mode 1, "none"),
 * before it goes up: no link-local address, so no solicited-node group,
 * no MLD reports and no router solicitations on the TUN. IPv6 routed via
 * the device works without one. Best effort: a kernel without IPv6 (no
 * such file) or a read-only /proc only leaves the noise. */
static void tun_no_ipv6_ll(const char *name)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/addr_gen_mode", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_warn("tun: %s: %s", path, strerror(errno));
		return;
	}
	if (write(fd, "1\n", 2) != 2)
		log_warn("tun: %s: %s", path, strerror(errno));
	close(fd);
}

/* Ask for checksum offload and TSO, and USO where the kernel knows it
 * (Linux 6.2; older kernels refuse the unknown bits with EINVAL). */
static int set_offload(struct tun *t)
{
	unsigned long base = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
	int hsz = TUN_VNET_HDR_LEN;

	if (ioctl(t->fd, TUNSETVNETHDRSZ, &hsz) < 0)
		return -errno;
#ifdef TUN_F_USO4
	if (ioctl(t->fd, TUNSETOFFLOAD, base | TUN_F_USO4 | TUN_F_USO6) == 0) {
		t->vnet_hdr = t->tso = t->uso = true;
		return 0;
	}
#endif
	if (ioctl(t->fd, TUNSETOFFLOAD, base) < 0)
		return -errno;
	t->vnet_hdr = t->tso = true;
	return 0;
}

static int tun_create(struct tun *t, const char *name, uint32_t mtu, bool vnet, bool mq)
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
	ifr.ifr_flags = (short)(IFF_TUN | IFF_NO_PI | IFF_TUN_EXCL | (vnet ? IFF_VNET_HDR : 0) |
	                        (mq ? IFF_MULTI_QUEUE : 0));
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
	t->multi_queue = mq;
	if (vnet) {
		r = set_offload(t);
		if (r < 0)
			goto fail;
	}
	t->ifindex = (int)if_nametoindex(t->name);
	if (mtu) {
		r = tun_set_mtu(t->name, mtu);
		if (r < 0) {
			log_err("tun: set MTU %u on %s: %s", mtu, t->name, strerror(-r));
			goto fail;
		}
	}
	t->mtu = mtu;
	/* Only on a device we create: a persistent or handed-over one keeps
	 * what its owner set. Not fatal: the default ring works, it only
	 * drops more small packets under load. */
	r = tun_set_txqlen(t->name, TUN_TXQLEN);
	if (r < 0)
		log_warn("tun: transmit queue length %u on %s: %s (it stays the kernel's)",
		         TUN_TXQLEN, t->name, strerror(-r));
	tun_no_ipv6_ll(t->name);
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

int tun_attach_persistent(struct tun *t, const char *name, uint32_t mtu, bool offload)
{
	struct ifreq ifr;
	int r;

	memset(t, 0, sizeof(*t));
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		r = -errno;
		log_err("tun: cannot open /dev/net/tun: %s", strerror(errno));
		return r;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)(IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		log_err("tun: attach to %s: %s (a persistent TUN device of ours?)", name,
		        strerror(errno));
		goto fail;
	}
	snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
	if (offload && (r = set_offload(t)) < 0) {
		log_err("tun: offloads on %s: %s", t->name, strerror(-r));
		goto fail;
	}
	t->ifindex = (int)if_nametoindex(t->name);
	if (mtu && (r = tun_set_mtu(t->name, mtu)) < 0)
		log_warn("tun: MTU %u on %s: %s", mtu, t->name, strerror(-r));
	t->mtu = mtu;
	if ((r = tun_set_up(t->name)) < 0)
		log_warn("tun: bring %s up: %s", t->name, strerror(-r));
	return 0;
fail:
	close(t->fd);
	t->fd = -1;
	return r;
}

int tun_adopt(struct tun *t, int fd, uint32_t mtu)
{
	struct ifreq ifr;
	int r;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
		r = -errno;
		log_err("tun: handed-over descriptor %d is not an attached TUN device: %s", fd,
		        strerror(errno));
		return r;
	}
	if ((ifr.ifr_flags & (IFF_TUN | IFF_TAP)) != IFF_TUN || !(ifr.ifr_flags & IFF_NO_PI)) {
		log_err("tun: handed-over %s must be IFF_TUN | IFF_NO_PI (flags 0x%x)", ifr.ifr_name,
		        (unsigned)(unsigned short)ifr.ifr_flags);
		return -EINVAL;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return -errno;
	t->fd = fd;
	snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
	t->multi_queue = (ifr.ifr_flags & IFF_MULTI_QUEUE) != 0;
	t->ifindex = (int)if_nametoindex(t->name);
	/* the device carries a virtio-net header on every packet: read it
	 * (and take the offloads that come with it), whatever --offload says */
	if ((ifr.ifr_flags & IFF_VNET_HDR) && (r = set_offload(t)) < 0) {
		log_err("tun: %s has IFF_VNET_HDR but its offloads cannot be set: %s", t->name,
		        strerror(-r));
		t->fd = -1;
		return r;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", t->name);
	t->mtu = ifreq_ioctl(SIOCGIFMTU, &ifr) == 0 ? (uint32_t)ifr.ifr_mtu : 0;
	if (mtu && mtu != t->mtu) {
		r = tun_set_mtu(t->name, mtu);
		if (r < 0)
			log_warn("tun: cannot set MTU %u on %s (%s): it stays %u", mtu, t->name,
			         strerror(-r), t->mtu);
		else
			t->mtu = mtu;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", t->name);
	if (ifreq_ioctl(SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP))
		log_warn("tun: %s is down: bring it up where it was made", t->name);
	return 0;
}

int tun_open(struct tun *t, const char *name, uint32_t mtu)
{
	return tun_create(t, name, mtu, false, false);
}

int tun_open_offload(struct tun *t, const char *name, uint32_t mtu)
{
	return tun_open_mq(t, name, mtu, true, false);
}

int tun_open_mq(struct tun *t, const char *name, uint32_t mtu, bool offload, bool mq)
{
	int r = tun_create(t, name, mtu, offload, mq);

	if (offload && (r == -EINVAL || r == -EOPNOTSUPP)) {
		log_warn("tun: no offloads on %s (%s); one packet per read and write",
		         name, strerror(-r));
		r = tun_create(t, name, mtu, false, mq);
	}
	return r;
}

int tun_attach_queue(const struct tun *t, struct tun *q)
{
	struct ifreq ifr;
	int r;

	*q = *t;
	q->fd = -1;
	if (!t->multi_queue || t->fd < 0)
		return -EINVAL;
	q->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (q->fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)(IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE |
	                        (t->vnet_hdr ? IFF_VNET_HDR : 0));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", t->name);
	if (ioctl(q->fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		log_err("tun: attach a queue to %s: %s", t->name, strerror(errno));
		close(q->fd);
		q->fd = -1;
		return r;
	}
	return 0;
}

void tun_close(struct tun *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

ssize_t tun_read(struct tun *t, void *buf, size_t len)
{
	struct tun_vnet vh;
	ssize_t n;

	if (t->vnet_hdr)
		return tun_read_vnet(t, &vh, buf, len);
	n = read(t->fd, buf, len);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
	return n;
}

static enum tun_gso gso_from_virtio(uint8_t t)
{
	switch (t & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE: return TUN_GSO_NONE;
	case VIRTIO_NET_HDR_GSO_TCPV4: return TUN_GSO_TCPV4;
	case VIRTIO_NET_HDR_GSO_TCPV6: return TUN_GSO_TCPV6;
	case VIRTIO_NET_HDR_GSO_UDP: return TUN_GSO_UDP;
#ifdef VIRTIO_NET_HDR_GSO_UDP_L4
	case VIRTIO_NET_HDR_GSO_UDP_L4: return TUN_GSO_UDP_L4;
#endif
	default: return TUN_GSO_OTHER;
	}
}

static uint8_t gso_to_virtio(enum tun_gso g)
{
	switch (g) {
	case TUN_GSO_TCPV4: return VIRTIO_NET_HDR_GSO_TCPV4;
	case TUN_GSO_TCPV6: return VIRTIO_NET_HDR_GSO_TCPV6;
#ifdef VIRTIO_NET_HDR_GSO_UDP_L4
	case TUN_GSO_UDP_L4: return VIRTIO_NET_HDR_GSO_UDP_L4;
#endif
	default: return VIRTIO_NET_HDR_GSO_NONE;
	}
}

ssize_t tun_read_vnet(struct tun *t, struct tun_vnet *vh, void *buf, size_t len)
{
	struct virtio_net_hdr h;
	struct iovec iov[2] = { { &h, sizeof(h) }, { buf, len } };
	ssize_t n;

	memset(vh, 0, sizeof(*vh));
	if (!t->vnet_hdr) {
		n = read(t->fd, buf, len);
		goto out;
	}
	n = readv(t->fd, iov, 2);
	if (n >= 0 && (size_t)n < sizeof(h))
		return -EIO;
	if (n >= 0) {
		n -= (ssize_t)sizeof(h);
		vh->needs_csum = (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0;
		vh->gso = gso_from_virtio(h.gso_type);
		vh->hdr_len = h.hdr_len;
		vh->gso_size = h.gso_size;
		vh->csum_start = h.csum_start;
		vh->csum_offset = h.csum_offset;
	}
out:
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
	return n;
}

int tun_writev(struct tun *t, const struct tun_vnet *vh, const struct iovec *iov, int iovcnt)
{
	struct virtio_net_hdr h;
	struct iovec v[TUN_WRITEV_MAX + 1];
	ssize_t n;

	if (iovcnt < 1 || iovcnt > TUN_WRITEV_MAX)
		return -EINVAL;
	if (!t->vnet_hdr) {
		if (vh && vh->gso != TUN_GSO_NONE)
			return -EOPNOTSUPP;
		n = writev(t->fd, iov, iovcnt);
		return n < 0 ? -errno : 0;
	}
	memset(&h, 0, sizeof(h));
	if (vh) {
		h.flags = vh->needs_csum ? VIRTIO_NET_HDR_F_NEEDS_CSUM : 0;
		h.gso_type = gso_to_virtio(vh->gso);
		h.hdr_len = vh->hdr_len;
		h.gso_size = vh->gso_size;
		h.csum_start = vh->csum_start;
		h.csum_offset = vh->csum_offset;
	}
	v[0].iov_base = &h;
	v[0].iov_len = sizeof(h);
	memcpy(v + 1, iov, sizeof(*iov) * (size_t)iovcnt);
	n = writev(t->fd, v, iovcnt + 1);
	return n < 0 ? -errno : 0;
}

int tun_write(struct tun *t, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };

	return tun_writev(t, NULL, &iov, 1);
}
