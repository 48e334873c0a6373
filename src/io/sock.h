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
};

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
/* Segments of a received train not handed out yet (call
 * sock_recv_batch again before waiting for the descriptor). */
static inline bool sock_rx_pending(const struct sock *s)
{
	return s->gro && s->gro_off < s->gro_len;
}
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

#endif
