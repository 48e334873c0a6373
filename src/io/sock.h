/* The public sockets of the data path: UDP (port 4500 for ESP in UDP and
 * IKE behind the non-ESP marker, port 500 for IKE) and raw IP protocol 50
 * (ESP) sockets, IPv4 and IPv6, all plain userspace sockets (no kernel
 * UDP_ENCAP: the kernel never sees ESP as anything but payload).
 *
 * Packets are received and sent in batches (recvmmsg/sendmmsg) into and
 * from struct pkt buffers; the caller owns the buffers on every path.
 *
 * Threading: opened on the control thread before privileges are dropped;
 * used from the data-path loop. */
#ifndef UIPSEC_IO_SOCK_H
#define UIPSEC_IO_SOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "pkt/pkt.h"

enum sock_kind {
	SOCK_UDP4,
	SOCK_UDP6,
	SOCK_RAW4,   /* receives the IPv4 header (stripped by sock_recv_batch) */
	SOCK_RAW6,
};

struct sock {
	int fd;              /* -1 if not open */
	enum sock_kind kind;
	uint16_t port;       /* UDP: bound port, host order */
	bool gso;            /* UDP: send trains with UDP_SEGMENT (off after a refusal) */
	bool borrowed;       /* fd belongs to another struct sock (sock_borrow) */
	/* counters (batch sizes: packets per call) */
	uint64_t rx_calls, rx_pkts;
	uint64_t tx_calls, tx_pkts, tx_errors;
	uint64_t gso_sends, gso_pkts, gso_fallbacks;
	/* UDP GRO receive (sock_udp_enable_gro): a train arrives as one
	 * datagram in gro_buf and is handed out a segment at a time. */
	bool gro;
	uint8_t *gro_buf;
	uint32_t gro_len, gro_off;
	uint16_t gro_seg;
	struct pkt_meta gro_meta;
	uint64_t gro_trains, gro_pkts;
	/* Datagrams larger than the caller's buffers (sock_udp_enable_big):
	 * received whole into big and handed out by sock_recv_big. */
	uint8_t big_mode;          /* enum sock_big */
	bool big_ready;            /* big holds a datagram not handed out yet */
	uint8_t *big_buf;          /* PKT_HEADROOM + SOCK_BIG_MAX + PKT_TAILROOM */
	struct pkt big;
	uint64_t big_pkts;         /* datagrams handed out through big */
	uint64_t big_lost;         /* of those, lost: two in one batch (below) */
};

/* Which datagrams too large for a pool buffer a UDP socket still takes. */
enum sock_big {
	SOCK_BIG_NONE = 0,    /* none: they arrive with len 0 (counted as bad) */
	SOCK_BIG_ALL,         /* every one (UDP 500: IKE only) */
	SOCK_BIG_MARKED,      /* those that start with four zero bytes: the
	                       * RFC 3948 non-ESP marker on UDP 4500 (IKE); an
	                       * ESP packet keeps the pool's size limit */
};
/* The largest datagram a socket with big datagrams takes whole: every
 * UDP datagram (IPv4 65,507 bytes of payload, IPv6 65,527). */
#define SOCK_BIG_MAX 65536

/* Open a non-blocking UDP socket bound to port on any address (IPv6 with
 * IPV6_V6ONLY), with destination address reporting. 0 or -errno. */
int sock_udp_open(struct sock *s, int family, uint16_t port);
/* Ask the kernel for UDP GRO on a UDP socket (UDP_GRO, Linux 5.0): a
 * UDP_SEGMENT train from the peer arrives whole, as one datagram, instead
 * of being cut into one skb per datagram at the socket. 0 or -errno (then
 * the socket works as before). */
int sock_udp_enable_gro(struct sock *s);
/* The same with SO_REUSEPORT, for one socket per data-path worker on one
 * port: the kernel spreads received datagrams over the group by a hash
 * of addresses and ports, so one peer's ESP stays on one worker. Every
 * socket of the group must be opened this way (by the same user). */
int sock_udp_open_reuseport(struct sock *s, int family, uint16_t port);
/* Send (only) on another struct's descriptor, with counters of its own:
 * for a second thread sending on the same socket. sock_close leaves the
 * descriptor open. The owner must outlive the borrower. */
void sock_borrow(struct sock *s, const struct sock *from);
/* How full the socket's receive queue is, in 1/256ths of its buffer
 * (SO_MEMINFO: memory queued against the buffer's size), 0..256; -errno
 * if the kernel cannot say. */
int sock_rx_fill(const struct sock *s);
/* Segments of a received train not handed out yet (call
 * sock_recv_batch again before waiting for the descriptor). */
static inline bool sock_rx_pending(const struct sock *s)
{
	return s->gro && s->gro_off < s->gro_len;
}
/* Take datagrams larger than the buffers sock_recv_batch is given (an
 * IKE message with certificates, big KE payloads or a long proposal list
 * easily passes 2 KiB), as which says, into a buffer of the socket's own
 * (about 66 KiB, allocated here once). The common path is unchanged: with
 * UDP GRO every datagram is read into the GRO buffer anyway; without it
 * each message of a recvmmsg batch gets a second iovec on that buffer,
 * used only by a datagram that does not fit its packet buffer. If two
 * such datagrams arrive in one batch, the earlier one's tail was
 * overwritten: it is dropped and counted in big_lost (IKE retransmits).
 * 0 or -errno. */
int sock_udp_enable_big(struct sock *s, enum sock_big which);
/* The large datagram the last sock_recv_batch received (at most one per
 * call), or NULL. The packet (headroom and tailroom as a pool buffer's)
 * belongs to the socket and is valid until the next sock_recv_batch or
 * sock_close; each is handed out once. */
struct pkt *sock_recv_big(struct sock *s);
/* Take a UDP socket someone else opened and bound (io/inherit.h): it must
 * be a UDP socket of family, bound to port (IPv6: with IPV6_V6ONLY). The
 * options sock_udp_open sets are set (no privilege needed); a receive
 * buffer as large as ours needs CAP_NET_ADMIN or net.core.rmem_max. On
 * success s owns fd. 0 or -errno (logged, with name in the message). */
int sock_udp_adopt(struct sock *s, int fd, int family, uint16_t port, const char *name);
/* The same for a raw socket of IP protocol 50 (ESP). */
int sock_raw_esp_adopt(struct sock *s, int fd, int family, const char *name);
/* Open a raw socket for IP protocol 50. 0 or -errno. */
int sock_raw_esp_open(struct sock *s, int family);
void sock_close(struct sock *s);

/* Receive up to n packets into pkts[0..n-1] (empty buffers with headroom,
 * owned by the caller). On return pkts[i] holds the transport payload (UDP
 * payload, or ESP from the SPI on) and its meta: family, outer addresses,
 * ports and udp_encap. Malformed IPv4 headers on the raw socket get len 0.
 * With UDP GRO, each segment of a train is copied into its own buffer
 * (the one copy beyond the kernel's on this path: each needs its own
 * headroom for decapsulation).
 * A datagram too large for its buffer is left out of pkts[0..return) and
 * handed out by sock_recv_big (with sock_udp_enable_big), or returned with
 * len 0 (without). pkts[0..n) may be reordered; the caller still owns all
 * n buffers.
 * Returns the number received (0 if none pending) or -errno. */
int sock_recv_batch(struct sock *s, struct pkt **pkts, unsigned n);

/* Send pkts[0..n-1]: each p's data is the UDP payload (UDP sockets) or the
 * ESP packet (raw sockets), sent from p->meta.saddr (if set) to
 * p->meta.daddr (and p->meta.dport for UDP). On a UDP socket with s->gso,
 * runs of packets to the same destination with equal lengths (the last of
 * a run may be shorter) go out as one UDP GSO train (one sendmsg with
 * UDP_SEGMENT; the kernel cuts it into datagrams as late as possible). At
 * most 64 packets per call. Returns the number the kernel accepted (the
 * rest were dropped) or -errno. */
int sock_send_batch(struct sock *s, struct pkt **pkts, unsigned n);
/* As sock_send_batch, one sendmmsg, but every packet its own datagram, never
 * a GSO train: for IKE, whose fragments must leave as the datagrams a
 * capture on the sending host shows (a train is one large packet there). */
int sock_send_each(struct sock *s, struct pkt **pkts, unsigned n);
/* A receive buffer of bytes for s (SO_RCVBUFFORCE while we may, else
 * SO_RCVBUF up to net.core.rmem_max): sockets opened here have 4 MiB. */
void sock_set_rcvbuf(struct sock *s, int bytes);

#endif
