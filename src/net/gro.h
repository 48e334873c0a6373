/* Receive coalescing in userspace (the inverse of gso.h): in-order TCP
 * segments of one flow, as they come out of decryption, are put together
 * into one super-packet that a TUN device with a virtio-net header takes
 * in one write (GSO_TCPV4/TCPV6 with NEEDS_CSUM: the kernel forwards one
 * skb instead of dozens, and segments it again only if it must).
 *
 * Rules, as Linux tcp_gro_receive(): same addresses and ports, IPv4
 * without options or fragments (same TOS, TTL and DF), IPv6 without
 * extension headers (same traffic class, flow label, hop limit); TCP flags
 * only ACK (and PSH), same ACK number, same header length and option bytes;
 * the next segment's sequence number follows the last one; every segment
 * but the last carries exactly the first one's payload size; a shorter
 * segment or one with PSH ends the super-packet. Anything else (SYN, FIN,
 * RST, URG, CWR/ECE, no payload, UDP, ...) passes through alone, after the
 * super-packet of its own flow, so no flow is reordered. Checksums are not
 * verified (the packets were authenticated by ESP); the super-packet goes
 * out with NEEDS_CSUM and the pseudo-header sum in the TCP checksum field,
 * so the kernel computes (or never needs) the real ones.
 *
 * With g->udp set (the TUN device takes USO, Linux 6.2), UDP datagrams of
 * one flow (same addresses, ports, TOS/TTL/DF or traffic class/flow
 * label/hop limit) and equal size (the last may be shorter) are coalesced
 * the same way into a GSO_UDP_L4 super-packet, as UDP GSO would send them
 * (UDP length of the whole, pseudo-header sum in the checksum field); the
 * kernel cuts it back into the same datagrams before any socket that did
 * not ask for UDP_GRO sees them.
 *
 * The packets stay in the caller's buffers (no copy): the first
 * segment's headers are rewritten in place at flush, the output is a list
 * of pieces for writev(). Buffers must live until net_gro_flush().
 * One instance per thread. */
#ifndef UIPSEC_NET_GRO_H
#define UIPSEC_NET_GRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/gso.h"

#define NET_GRO_MAX_SEGS 64   /* segments per super-packet */
#define NET_GRO_FLOWS 8       /* flows held open at once */

/* What to write: pieces[0..npieces) in order, with the offload request g
 * (g.type NET_GSO_NONE: a plain packet, no checksum work asked) and
 * hdr_len (IP + TCP header of a super-packet). */
struct net_gro_out {
	struct net_gso g;
	uint16_t hdr_len;
	unsigned nsegs;       /* packets that went into it */
	unsigned npieces;
	const uint8_t *piece[NET_GRO_MAX_SEGS];
	uint32_t piece_len[NET_GRO_MAX_SEGS];
};

typedef void (*net_gro_emit_fn)(void *ctx, const struct net_gro_out *out);

struct net_gro_flow {
	bool used;
	bool closed;          /* a short or PSH segment ended it */
	uint8_t ipv;
	uint8_t proto;
	uint16_t ip_hlen, hlen, gso_size;
	uint8_t *head;        /* first packet, whole */
	uint32_t head_len;
	uint32_t next_seq;
	uint32_t total;       /* bytes of the super-packet so far */
	uint8_t last_flags;
	unsigned nseg;
	uint64_t age;
	const uint8_t *pl[NET_GRO_MAX_SEGS];   /* payloads of segments 2.. */
	uint32_t pl_len[NET_GRO_MAX_SEGS];
};

struct net_gro {
	bool udp;             /* coalesce UDP too (net_gro_init sets false) */
	net_gro_emit_fn emit;
	void *ctx;
	uint64_t clock;
	struct net_gro_flow flow[NET_GRO_FLOWS];
};

void net_gro_init(struct net_gro *g, net_gro_emit_fn emit, void *ctx);
/* Add one IP packet (pkt/len, caller's buffer, writable). It is emitted
 * now (alone) or held in a flow until a later add or net_gro_flush(). */
void net_gro_add(struct net_gro *g, uint8_t *pkt, uint32_t len);
/* Emit every held flow. Call before the packets' buffers are reused. */
void net_gro_flush(struct net_gro *g);

#endif
