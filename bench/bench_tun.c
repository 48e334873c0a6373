/* What the kernel interfaces of issue 6 would save, measured on this
 * machine: moving 64 KiB of TCP through a TUN device one packet per system
 * call (as uipsecd does today) against one GSO super-packet per call
 * (IFF_VNET_HDR + TUNSETOFFLOAD), and sending the same bytes as UDP
 * datagrams with sendmmsg against one sendmsg with UDP_SEGMENT.
 *
 *   tun   write 47 TCP segments (1,360-byte payload, 1,400-byte packets)
 *         into TUN device "in", which the kernel forwards to TUN device
 *         "out", and read them back from "out"; against one write of the
 *         same 47 segments as a TSO super-packet with a virtio_net_hdr,
 *         forwarded as one skb, read back as one super-packet.
 *   udp   47 datagrams of 1,400 bytes routed to TUN "out" and read back:
 *         one sendmmsg against one sendmsg with UDP_SEGMENT (with USO on
 *         "out" where the kernel has it, Linux >= 6.2, so that the train
 *         stays one skb; otherwise the kernel splits it before "out").
 *   gro   the receiving side of ESP in UDP: 47 datagrams of 1,400 bytes
 *         sent as one UDP_SEGMENT train over loopback, received with
 *         recvmmsg (the kernel splits the train) against one recvmsg
 *         with UDP_GRO (the train stays one buffer, split in userspace by
 *         the gso_size the kernel reports).
 *
 * Every figure is the best of ROUNDS slices of SLICE seconds, alternating
 * between the two ways, wall clock (the kernel's forwarding runs inline in
 * the calling thread), so that other load on a shared machine counts as
 * little as possible. Segments that do not come back out are not counted:
 * if none do, the figure is reported as failed, not made up.
 *
 * Runs in a private network namespace (unshare), so it needs root; without
 * it, it says so and exits 0. Part of `make bench` (docs/performance.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/udp.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20   /* Linux 6.2 */
#define TUN_F_USO6 0x40
#endif
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

#define SEGS 47                 /* 47 * 1,360 = 63,920 bytes: one 64 KiB TSO packet */
#define MSS 1360
#define PKT_LEN (20 + 20 + MSS) /* IPv4 + TCP + payload */
#define UDP_PAYLOAD 1372        /* IPv4 + UDP + 1,372 = 1,400 bytes */
#define ROUNDS 5
#define SLICE 0.2
#define BIG (sizeof(struct virtio_net_hdr) + 65536)
#define GRO_BUF (64 * 1536)     /* 64 datagrams for recvmmsg, or one train */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static int sysctl_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* A TUN device, non-blocking; with vnet, a virtio_net_hdr before every
 * packet and the offloads in `offload` (TUN_F_*). -errno on failure. */
static int tun_make(const char *name, bool vnet, unsigned offload)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)(IFF_TUN | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 ||
	    (vnet && ioctl(fd, TUNSETOFFLOAD, (unsigned long)offload) < 0)) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* Address/24, MTU, up; and optionally a route to dst/24 through it. */
static int if_setup(const char *name, const char *addr, unsigned mtu, const char *route_dst)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin->sin_addr);
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
		goto fail;
	inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
	if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
		goto fail;
	ifr.ifr_mtu = (int)mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
		goto fail;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		goto fail;
	if (route_dst) {
		struct rtentry rt;
		memset(&rt, 0, sizeof(rt));
		((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
		inet_pton(AF_INET, route_dst, &((struct sockaddr_in *)&rt.rt_dst)->sin_addr);
		((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
		inet_pton(AF_INET, "255.255.255.0", &((struct sockaddr_in *)&rt.rt_genmask)->sin_addr);
		rt.rt_flags = RTF_UP;
		rt.rt_dev = (char *)name;
		if (ioctl(s, SIOCADDRT, &rt) < 0)
			goto fail;
	}
	close(s);
	return 0;
fail:
	r = -errno;
	close(s);
	return r;
}

/* IPv4 + TCP headers for a packet of total length tot from 10.9.0.2 to
 * 10.<net>.0.2; the TCP checksum field holds the pseudo-header sum (what a
 * NEEDS_CSUM packet carries; forwarding does not check it). */
static void build_tcp(uint8_t *p, size_t tot, uint8_t net)
{
	static const uint8_t src[4] = { 10, 9, 0, 2 };
	const uint8_t dst[4] = { 10, net, 0, 2 };
	uint32_t sum;

	memset(p, 0, 40);
	p[0] = 0x45;
	p[2] = (uint8_t)(tot >> 8);
	p[3] = (uint8_t)tot;
	p[6] = 0x40;               /* DF */
	p[8] = 64;
	p[9] = IPPROTO_TCP;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	sum = ~csum_fold(csum_add(0, p, 20)) & 0xffff;
	p[10] = (uint8_t)(sum >> 8);
	p[11] = (uint8_t)sum;
	p[20] = 0x9c; p[21] = 0x40;   /* ports 40000 -> 5201 */
	p[22] = 0x14; p[23] = 0x51;
	p[32] = 0x50;                 /* data offset 5 */
	p[33] = 0x10;                 /* ACK */
	p[34] = 0xff; p[35] = 0xff;   /* window */
	sum = csum_add(0, src, 4);
	sum = csum_add(sum, dst, 4);
	sum += IPPROTO_TCP + (uint32_t)(tot - 20);
	sum = csum_fold(sum);
	p[36] = (uint8_t)(sum >> 8);
	p[37] = (uint8_t)sum;
}

/* Read "out" dry; returns segments of size seg seen (super-packets count
 * as several). */
static long drain(int fd, uint8_t *buf, bool vnet, size_t seg)
{
	long n = 0;
	ssize_t got;
	while ((got = read(fd, buf, BIG)) > 0) {
		if (vnet) {
			struct virtio_net_hdr h;
			memcpy(&h, buf, sizeof(h));
			size_t hdr = sizeof(h) + (h.gso_type == VIRTIO_NET_HDR_GSO_UDP_L4 ? 28 : 40);
			if (h.gso_type != VIRTIO_NET_HDR_GSO_NONE && h.gso_size && (size_t)got > hdr)
				n += (long)(((size_t)got - hdr + h.gso_size - 1) / h.gso_size);
			else
				n++;
		} else {
			n++;
		}
	}
	(void)seg;
	return n;
}

struct way {
	const char *label;
	bool vnet;
	long segs;       /* best slice: segments out per second */
};

/* One slice of the tun experiment; returns segments/s that came out. */
static double tun_slice(int in, int out, bool vnet, uint8_t *pkt, uint8_t *buf)
{
	double t0 = now(), t;
	long moved = 0;
	do {
		int i;
		if (vnet) {
			if (write(in, pkt, sizeof(struct virtio_net_hdr) + 40 + SEGS * MSS) < 0 &&
			    errno != EAGAIN)
				return -1;
		} else {
			for (i = 0; i < SEGS; i++)
				if (write(in, pkt, PKT_LEN) < 0 && errno != EAGAIN)
					return -1;
		}
		moved += drain(out, buf, vnet, MSS);
		t = now();
	} while (t - t0 < SLICE);
	return (double)moved / (t - t0);
}

static int tun_setup(bool vnet, int *in, int *out)
{
	unsigned off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
	int r;
	*in = tun_make(vnet ? "tin1" : "tin0", vnet, off);
	*out = tun_make(vnet ? "tout1" : "tout0", vnet, off);
	if (*in < 0 || *out < 0)
		return *in < 0 ? *in : *out;
	/* in: 10.9.0.1/24 and 10.19.0.1/24 (the senders' side); out:
	 * 10.7.0.1/24 and 10.17.0.1/24 with routes to 10.8.0.0/24 and
	 * 10.18.0.0/24, where the packets go. */
	r = if_setup(vnet ? "tin1" : "tin0", vnet ? "10.19.0.1" : "10.9.0.1", 1500, NULL);
	if (!r)
		r = if_setup(vnet ? "tout1" : "tout0", vnet ? "10.17.0.1" : "10.7.0.1", 1500,
		             vnet ? "10.18.0.0" : "10.8.0.0");
	return r;
}

static void bench_tun(void)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, w, k, r;
	uint8_t *pkt = calloc(1, BIG), *buf = malloc(BIG);
	double best[2] = { 0, 0 }, v;
	struct virtio_net_hdr h;

	for (w = 0; w < 2; w++) {
		r = tun_setup(w == 1, &in[w], &out[w]);
		if (r) {
			printf("tun: setup failed: %s\n", strerror(-r));
			goto out;
		}
	}
	for (k = 0; k < ROUNDS; k++) {
		for (w = 0; w < 2; w++) {
			if (w == 0) {
				build_tcp(pkt, PKT_LEN, 8);
			} else {
				memset(&h, 0, sizeof(h));
				h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
				h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
				h.hdr_len = 40;
				h.gso_size = MSS;
				h.csum_start = 20;
				h.csum_offset = 16;
				memcpy(pkt, &h, sizeof(h));
				build_tcp(pkt + sizeof(h), 40 + SEGS * MSS, 18);
			}
			v = tun_slice(in[w], out[w], w == 1, pkt, buf);
			if (v > best[w])
				best[w] = v;
		}
	}
	printf("TUN, 64 KiB of TCP in, forwarded, out (%d segments of %d bytes):\n", SEGS, PKT_LEN);
	printf("  one packet per read/write        %10.0f segments/s  %6.2f Gbit/s\n",
	       best[0], best[0] * PKT_LEN * 8 / 1e9);
	if (best[1] > 0)
		printf("  vnet_hdr + TSO super-packets     %10.0f segments/s  %6.2f Gbit/s  %.1fx\n",
		       best[1], best[1] * PKT_LEN * 8 / 1e9, best[0] > 0 ? best[1] / best[0] : 0);
	else
		printf("  vnet_hdr + TSO super-packets     failed: nothing came out\n");
out:
	for (w = 0; w < 2; w++) {
		if (in[w] >= 0) close(in[w]);
		if (out[w] >= 0) close(out[w]);
	}
	free(pkt);
	free(buf);
}

/* One slice of the udp experiment. */
static double udp_slice(int s, int out, bool gso, bool vnet, uint8_t *payload, uint8_t *buf)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(4500) };
	const char *dst = gso ? "10.28.0.2" : "10.26.0.2";
	struct mmsghdr mm[SEGS];
	struct iovec iov[SEGS];
	double t0 = now(), t;
	long moved = 0;
	int i;

	inet_pton(AF_INET, dst, &to.sin_addr);
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < SEGS; i++) {
		iov[i].iov_base = payload;
		iov[i].iov_len = gso ? (size_t)SEGS * UDP_PAYLOAD : UDP_PAYLOAD;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = &to;
		mm[i].msg_hdr.msg_namelen = sizeof(to);
	}
	do {
		if (gso) {
			if (sendmsg(s, &mm[0].msg_hdr, 0) < 0 && errno != EAGAIN && errno != ENOBUFS)
				return -1;
		} else if (sendmmsg(s, mm, SEGS, 0) < 0 && errno != EAGAIN && errno != ENOBUFS) {
			return -1;
		}
		moved += drain(out, buf, vnet, UDP_PAYLOAD);
		t = now();
	} while (t - t0 < SLICE);
	return (double)moved / (t - t0);
}

static void bench_udp(void)
{
	int s[2] = { -1, -1 }, out[2] = { -1, -1 }, w, k, r, seg = UDP_PAYLOAD;
	uint8_t *payload = calloc(1, BIG), *buf = malloc(BIG);
	double best[2] = { 0, 0 }, v;
	bool uso = true;
	static const char *names[2] = { "uout0", "uout1" };
	static const char *addrs[2] = { "10.25.0.1", "10.27.0.1" };
	static const char *routes[2] = { "10.26.0.0", "10.28.0.0" };

	for (w = 0; w < 2; w++) {
		unsigned off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6;
		out[w] = tun_make(names[w], w == 1, off);
		if (out[w] == -EINVAL && w == 1) {
			uso = false;     /* kernel without USO on TUN */
			out[w] = tun_make(names[w], true, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
		}
		if (out[w] < 0) {
			printf("udp: TUN setup failed: %s\n", strerror(-out[w]));
			goto out;
		}
		s[w] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (s[w] < 0 || (r = if_setup(names[w], addrs[w], 1500, routes[w])) != 0) {
			printf("udp: setup failed: %s\n", strerror(s[w] < 0 ? errno : -r));
			goto out;
		}
		if (w == 1 && setsockopt(s[w], IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg)) < 0) {
			printf("udp: UDP_SEGMENT: %s\n", strerror(errno));
			goto out;
		}
	}
	for (k = 0; k < ROUNDS; k++) {
		for (w = 0; w < 2; w++) {
			v = udp_slice(s[w], out[w], w == 1, w == 1, payload, buf);
			if (v > best[w])
				best[w] = v;
		}
	}
	printf("UDP, %d datagrams of 1,400 bytes sent, read back from TUN:\n", SEGS);
	printf("  sendmmsg                         %10.0f datagrams/s %6.2f Gbit/s\n",
	       best[0], best[0] * 1400 * 8 / 1e9);
	if (best[1] > 0)
		printf("  sendmsg + UDP_SEGMENT%s %10.0f datagrams/s %6.2f Gbit/s  %.1fx\n",
		       uso ? " (USO TUN)  " : " (no USO)   ", best[1], best[1] * 1400 * 8 / 1e9,
		       best[0] > 0 ? best[1] / best[0] : 0);
	else
		printf("  sendmsg + UDP_SEGMENT            failed: nothing came out\n");
out:
	for (w = 0; w < 2; w++) {
		if (s[w] >= 0) close(s[w]);
		if (out[w] >= 0) close(out[w]);
	}
	free(payload);
	free(buf);
}

/* Receive until EAGAIN; returns segments received. */
static long gro_drain(int s, bool gro, uint8_t *buf)
{
	long n = 0;
	if (gro) {
		char ctl[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { .iov_base = buf, .iov_len = GRO_BUF };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t got;
		for (;;) {
			struct cmsghdr *c;
			int gso = 0;
			mh.msg_control = ctl;
			mh.msg_controllen = sizeof(ctl);
			got = recvmsg(s, &mh, 0);
			if (got <= 0)
				break;
			for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
				if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO)
					memcpy(&gso, CMSG_DATA(c), sizeof(gso));
			n += gso > 0 ? (got + gso - 1) / gso : 1;
		}
	} else {
		struct mmsghdr mm[64];
		struct iovec iov[64];
		int i, got;
		for (i = 0; i < 64; i++) {
			iov[i].iov_base = buf + (size_t)i * 1536;
			iov[i].iov_len = 1536;
			memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		while ((got = recvmmsg(s, mm, 64, 0, NULL)) > 0)
			n += got;
	}
	return n;
}

static void bench_gro(void)
{
	int tx = -1, rx[2] = { -1, -1 }, w, k, one = 1, seg = UDP_PAYLOAD, big = 8 << 20;
	uint8_t *payload = calloc(1, BIG), *buf = malloc(GRO_BUF);
	double best[2] = { 0, 0 };
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct ifreq ifr;

	/* lo is down in a new namespace. */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "lo");
	tx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (tx < 0 || ioctl(tx, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(tx, SIOCSIFFLAGS, &ifr) < 0) ||
	    setsockopt(tx, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg)) < 0) {
		printf("gro: setup failed: %s\n", strerror(errno));
		goto out;
	}
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	for (w = 0; w < 2; w++) {
		rx[w] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		a.sin_port = htons((uint16_t)(4501 + w));
		if (rx[w] < 0 || bind(rx[w], (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    setsockopt(rx[w], SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0 ||
		    (w == 1 && setsockopt(rx[w], IPPROTO_UDP, UDP_GRO, &one, sizeof(one)) < 0)) {
			printf("gro: receive socket: %s\n", strerror(errno));
			goto out;
		}
	}
	for (k = 0; k < ROUNDS; k++) {
		for (w = 0; w < 2; w++) {
			double t0 = now(), t;
			long moved = 0;
			a.sin_port = htons((uint16_t)(4501 + w));
			do {
				if (sendto(tx, payload, (size_t)SEGS * UDP_PAYLOAD, 0,
				           (struct sockaddr *)&a, sizeof(a)) < 0 &&
				    errno != EAGAIN && errno != ENOBUFS) {
					printf("gro: send: %s\n", strerror(errno));
					goto out;
				}
				moved += gro_drain(rx[w], w == 1, buf);
				t = now();
			} while (t - t0 < SLICE);
			if ((double)moved / (t - t0) > best[w])
				best[w] = (double)moved / (t - t0);
		}
	}
	printf("UDP receive, trains of %d datagrams of 1,400 bytes (UDP_SEGMENT) over loopback:\n", SEGS);
	printf("  recvmmsg                         %10.0f datagrams/s %6.2f Gbit/s\n",
	       best[0], best[0] * 1400 * 8 / 1e9);
	if (best[1] > 0)
		printf("  recvmsg + UDP_GRO                %10.0f datagrams/s %6.2f Gbit/s  %.1fx\n",
		       best[1], best[1] * 1400 * 8 / 1e9, best[0] > 0 ? best[1] / best[0] : 0);
	else
		printf("  recvmsg + UDP_GRO                failed: nothing came in\n");
out:
	if (tx >= 0) close(tx);
	for (w = 0; w < 2; w++)
		if (rx[w] >= 0) close(rx[w]);
	free(payload);
	free(buf);
}

int main(void)
{
	if (unshare(CLONE_NEWNET) < 0) {
		printf("bench_tun: skipped: needs root for a private network namespace (%s)\n",
		       strerror(errno));
		return 0;
	}
	if (sysctl_write("/proc/sys/net/ipv4/ip_forward", "1") < 0 ||
	    sysctl_write("/proc/sys/net/ipv4/conf/all/rp_filter", "0") < 0 ||
	    sysctl_write("/proc/sys/net/ipv4/conf/default/rp_filter", "0") < 0) {
		printf("bench_tun: cannot set up forwarding in the namespace\n");
		return 1;
	}
	printf("Kernel interfaces of issue 6, best of %d slices of %.1f s, wall clock, one thread\n",
	       ROUNDS, SLICE);
	bench_tun();
	bench_udp();
	bench_gro();
	return 0;
}
