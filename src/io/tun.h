/* TUN device: layer-3 packets (IFF_TUN | IFF_NO_PI) between the kernel and
 * the data path. The device exists as long as its descriptor is open
 * (not persistent), so closing it removes the device and its routes.
 *
 * Threading: create on the control thread before dropping privileges;
 * reads and writes from the data-path loop. */
#ifndef UIPSEC_IO_TUN_H
#define UIPSEC_IO_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TUN_NAME_MAX 16   /* IFNAMSIZ */

struct tun {
	int fd;                   /* non-blocking */
	int ifindex;
	uint32_t mtu;
	char name[TUN_NAME_MAX];
	/* Offloads (tun_open_offload): every read and write carries a
	 * virtio-net header; tso: TCP super-packets, uso: UDP ones. */
	bool vnet_hdr;
	bool tso, uso;
	bool multi_queue;         /* IFF_MULTI_QUEUE: more queues with tun_attach_queue */
};

/* The virtio-net header (struct virtio_net_hdr, 10 bytes, native byte
 * order as the kernel uses it for TUN on little-endian hosts), decoded. */
#define TUN_VNET_HDR_LEN 10
/* Most pieces tun_writev takes (a GRO super-packet: headers + 64 payloads). */
#define TUN_WRITEV_MAX 72
enum tun_gso {
	TUN_GSO_NONE = 0,
	TUN_GSO_TCPV4,
	TUN_GSO_UDP,       /* VIRTIO_NET_HDR_GSO_UDP (UFO): not asked for, refused */
	TUN_GSO_TCPV6,
	TUN_GSO_UDP_L4,
	TUN_GSO_OTHER,
};
struct tun_vnet {
	bool needs_csum;      /* VIRTIO_NET_HDR_F_NEEDS_CSUM */
	enum tun_gso gso;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

/* Create TUN device name (exclusively: if an interface of that name
 * exists, for instance another uipsecd's, this fails with -EBUSY and logs
 * a clear message), set its MTU and bring it up. 0 or -errno. */
int tun_open(struct tun *t, const char *name, uint32_t mtu);
/* As tun_open, but with IFF_VNET_HDR and TUNSETOFFLOAD (checksum, TSO4,
 * TSO6, TSO_ECN, and USO4/USO6 where the kernel has them, Linux >= 6.2),
 * so that the kernel hands over TCP (and UDP) super-packets of up to 64
 * KiB and accepts them. Falls back to a device without the vnet header
 * (t->vnet_hdr false) if the kernel refuses. 0 or -errno. */
int tun_open_offload(struct tun *t, const char *name, uint32_t mtu);
/* tun_open (offload false) or tun_open_offload (true), with
 * IFF_MULTI_QUEUE if mq: t is the device's first queue. */
int tun_open_mq(struct tun *t, const char *name, uint32_t mtu, bool offload, bool mq);
/* Open another queue of the multi-queue device t into q (the same device
 * fields, its own descriptor). The kernel spreads the packets it sends
 * to the device over the queues by flow (and keeps a flow on the queue
 * its packets were last written from); a packet may be written to any
 * queue. 0 or -errno. Close with tun_close; the device goes when the
 * last queue is closed. */
int tun_attach_queue(const struct tun *t, struct tun *q);
/* Attach to the persistent TUN device name that someone made for us (ip
 * tuntap add NAME mode tun user UID: then no capability is needed), with
 * the offloads if offload, and try to set its MTU and bring it up (a
 * refusal is a warning: whoever made it may have done both). 0 or -errno
 * (logged). */
int tun_attach_persistent(struct tun *t, const char *name, uint32_t mtu, bool offload);
/* Take a TUN descriptor someone else opened and attached (io/inherit.h):
 * TUNGETIFF gives the name and flags (IFF_TUN and IFF_NO_PI required;
 * with IFF_VNET_HDR the offloads are asked for as tun_open_offload does:
 * refused, the descriptor is refused). If mtu is non-zero and differs from
 * the device's, set it (needs CAP_NET_ADMIN: a refusal is a warning, the
 * device keeps its MTU). The device is not brought up: whoever made it
 * does that (a warning if it is down). 0 or -errno (logged). */
int tun_adopt(struct tun *t, int fd, uint32_t mtu);
/* Close the descriptor; the kernel removes the device. */
void tun_close(struct tun *t);

/* Read one packet into buf (without t->vnet_hdr; with it, use
 * tun_read_vnet). Returns its length, 0 if nothing is pending
 * (EAGAIN), or -errno. */
ssize_t tun_read(struct tun *t, void *buf, size_t len);
/* Write one IP packet (with an empty virtio-net header if t->vnet_hdr).
 * 0 or -errno. */
int tun_write(struct tun *t, const void *buf, size_t len);

/* With t->vnet_hdr: read one packet and its virtio-net header into
 * *vh (buf gets the packet only). Returns the packet length, 0 if nothing
 * is pending, or -errno. */
ssize_t tun_read_vnet(struct tun *t, struct tun_vnet *vh, void *buf, size_t len);
/* Write one packet given as iovcnt pieces (struct iovec), with the
 * virtio-net header vh (NULL: none, no offload asked) in front when
 * t->vnet_hdr. 0 or -errno. */
struct iovec;
int tun_writev(struct tun *t, const struct tun_vnet *vh, const struct iovec *iov, int iovcnt);

/* The transmit queue length uipsecd gives the TUN devices it creates:
 * the kernel's ring between the stack and our reads (packets, not bytes;
 * the kernel default is 500). A flood of small packets drops at a 500-packet
 * ring whenever uipsecd waits a few milliseconds for a CPU
 * (docs/performance.md, "The TUN queue"). */
#define TUN_TXQLEN 4096

/* Set MTU / transmit queue length / bring up an interface by name with
 * ioctl (any interface). 0 or -errno. */
int tun_set_mtu(const char *name, uint32_t mtu);
int tun_set_txqlen(const char *name, unsigned qlen);
int tun_set_up(const char *name);

#endif
