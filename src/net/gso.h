/* Segmentation offload in userspace: split a TCP or UDP "super-packet"
 * (what a TUN device with IFF_VNET_HDR and TUNSETOFFLOAD hands over: one
 * IPv4/IPv6 header, one TCP or UDP header, up to 64 KiB of payload, plus a
 * virtio-net header saying how to cut it) into MTU-sized packets, the way
 * the kernel's tcp_gso_segment()/__udp_gso_segment() would, and complete a
 * checksum the kernel left partial (CHECKSUM_PARTIAL: the field holds the
 * pseudo-header sum, the rest is to be summed from csum_start).
 *
 * Each segment gets: IPv4 total length, identification (first id + i) and
 * header checksum; IPv6 payload length; TCP sequence number (first + i *
 * gso_size), FIN and PSH on the last segment only, CWR on the first only;
 * UDP length; and a full TCP/UDP checksum over the pseudo header.
 *
 * Pure functions on caller buffers: no allocation, no state beyond the
 * iterator. Any thread. */
#ifndef UIPSEC_NET_GSO_H
#define UIPSEC_NET_GSO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum net_gso_type {
	NET_GSO_NONE = 0,
	NET_GSO_TCPV4,
	NET_GSO_TCPV6,
	NET_GSO_UDP_L4,     /* UDP segmentation (USO), IPv4 or IPv6 */
};

/* The offload request of one packet (decoded from a virtio_net_hdr). */
struct net_gso {
	enum net_gso_type type;
	bool needs_csum;        /* VIRTIO_NET_HDR_F_NEEDS_CSUM */
	uint16_t csum_start;    /* where the partial checksum starts */
	uint16_t csum_offset;   /* the checksum field, from csum_start */
	uint16_t gso_size;      /* payload bytes per segment */
};

/* Complete a partial checksum in place (g->needs_csum, no segmentation):
 * sum pkt[csum_start..len) (the field holds the pseudo-header sum) and
 * store the complement. False if the offsets lie outside the packet. */
bool net_csum_complete(uint8_t *pkt, size_t len, uint16_t csum_start, uint16_t csum_offset);

/* Iterate over the segments of a super-packet. */
struct net_gso_iter {
	const uint8_t *pkt;
	size_t len;
	uint16_t ip_hlen;       /* IPv4 header with options, or the IPv6 header */
	uint16_t hlen;          /* ip_hlen + TCP/UDP header */
	uint16_t gso_size;
	uint8_t ipv;            /* 4 or 6 */
	uint8_t l4;             /* IP_PROTO_TCP or IP_PROTO_UDP */
	size_t pos;             /* payload offset of the next segment */
	unsigned index;         /* number of the next segment */
	unsigned count;         /* segments in all */
};

/* Check pkt/len against g and set up it. Accepts IPv4 (any IHL, not a
 * fragment) and IPv6 without extension headers, carrying TCP (for
 * TCPV4/TCPV6, the version must agree) or UDP (UDP_L4); gso_size > 0.
 * False (and nothing to iterate) if the packet is not one of those or its
 * lengths disagree. pkt must stay valid while iterating. */
bool net_gso_init(struct net_gso_iter *it, const uint8_t *pkt, size_t len,
                  const struct net_gso *g);

/* Write the next segment into out (cap bytes). Returns its length, 0 when
 * every segment has been written, or -1 if cap is too small (it does not
 * advance then). */
long net_gso_next(struct net_gso_iter *it, uint8_t *out, size_t cap);

/* Largest segment the iterator produces (header + gso_size). */
static inline size_t net_gso_max_seg(const struct net_gso_iter *it)
{
	return (size_t)it->hlen + it->gso_size;
}

#endif
