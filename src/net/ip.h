/* IPv4, IPv6 and UDP headers as they are on the wire, protocol numbers,
 * and the Internet checksum (RFC 1071).
 *
 * The structs hold network byte order and contain only byte-sized members
 * or byte arrays, so they have no padding and no alignment needs: copy
 * headers in and out with memcpy and convert with get_be16/put_be16
 * (util/bytes.h) at the parse boundary. */
#ifndef UIPSEC_NET_IP_H
#define UIPSEC_NET_IP_H

#include <stddef.h>
#include <stdint.h>

/* IANA protocol numbers (avoid depending on the libc spelling). */
enum ip_proto {
	IP_PROTO_HOPOPTS = 0,
	IP_PROTO_ICMP = 1,
	IP_PROTO_IPIP = 4,      /* IPv4 in IP: tunnel-mode next header */
	IP_PROTO_TCP = 6,
	IP_PROTO_UDP = 17,
	IP_PROTO_IPV6 = 41,     /* IPv6 in IP */
	IP_PROTO_ROUTING = 43,
	IP_PROTO_FRAGMENT = 44,
	IP_PROTO_ESP = 50,
	IP_PROTO_AH = 51,
	IP_PROTO_ICMPV6 = 58,
	IP_PROTO_NONE = 59,     /* no next header: ESP dummy packet (RFC 4303 2.6) */
	IP_PROTO_DSTOPTS = 60,
};

#define IP4_HDR_LEN 20
#define IP6_HDR_LEN 40
#define UDP_HDR_LEN 8
#define IP_DEFAULT_TTL 64

/*    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   |         Identification        |Flags|      Fragment Offset    |
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   |                       Source Address                          |
 *   |                    Destination Address                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ */
struct ip4_hdr {
	uint8_t ver_ihl;
	uint8_t tos;
	uint8_t tot_len[2];
	uint8_t id[2];
	uint8_t frag_off[2];
	uint8_t ttl;
	uint8_t proto;
	uint8_t csum[2];
	uint8_t saddr[4];
	uint8_t daddr[4];
};

/*   | Version| Traffic Class |           Flow Label                  |
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   |                 Source Address (16 bytes)                     |
 *   |              Destination Address (16 bytes)                   | */
struct ip6_hdr {
	uint8_t vtc_flow[4];
	uint8_t payload_len[2];
	uint8_t nexthdr;
	uint8_t hop_limit;
	uint8_t saddr[16];
	uint8_t daddr[16];
};

/*   |          Source Port          |       Destination Port        |
 *   |            Length             |           Checksum            | */
struct udp_hdr {
	uint8_t sport[2];
	uint8_t dport[2];
	uint8_t len[2];
	uint8_t csum[2];
};

_Static_assert(sizeof(struct ip4_hdr) == IP4_HDR_LEN, "ip4_hdr layout");
_Static_assert(sizeof(struct ip6_hdr) == IP6_HDR_LEN, "ip6_hdr layout");
_Static_assert(sizeof(struct udp_hdr) == UDP_HDR_LEN, "udp_hdr layout");

/* One's complement sum of len bytes (big-endian 16-bit words, an odd last
 * byte padded with zero) added to sum; fold with ip_csum_fold(). */
uint32_t ip_csum_partial(const void *data, size_t len, uint32_t sum);
/* Copy len bytes from src to dst (which must not overlap) and return what
 * ip_csum_partial(src, len, sum) returns, in one pass over src. */
uint32_t ip_csum_copy(void *restrict dst, const void *restrict src, size_t len, uint32_t sum);
/* Fold a partial sum and complement it: the checksum to store (host order,
 * write it with put_be16). */
uint16_t ip_csum_fold(uint32_t sum);
/* Checksum of a buffer (the IPv4 header checksum with the field zeroed;
 * a buffer that includes a correct checksum folds to 0). */
uint16_t ip_csum(const void *data, size_t len);
/* UDP/TCP/ICMPv6 checksum over an IPv4 or IPv6 pseudo header (addresses of
 * alen 4 or 16 bytes, protocol, length) and the transport bytes l4/len,
 * whose checksum field must be zero. For UDP a result of 0 is returned as
 * 0xffff (RFC 768). */
uint16_t ip_csum_pseudo(const uint8_t *saddr, const uint8_t *daddr, size_t alen,
                        uint8_t proto, const void *l4, size_t len);
/* The same with the transport bytes already summed: l4_sum is a partial
 * sum of the len transport bytes (checksum field zero), e.g. from
 * ip_csum_partial() or ip_csum_copy(). */
uint16_t ip_csum_pseudo_sum(const uint8_t *saddr, const uint8_t *daddr, size_t alen,
                            uint8_t proto, size_t len, uint32_t l4_sum);

/* The length of a plain header (no options, no extension headers) of
 * family AF_INET or AF_INET6 in front of payload_len bytes: 20 or 40, or 0
 * for another family or a payload too long for the length field. */
size_t ip_hdr_size(int family, size_t payload_len);
/* Write that header at out (room for ip_hdr_size() bytes): TTL/hop limit
 * IP_DEFAULT_TTL, protocol/next header proto, addresses of 4 or 16 bytes,
 * the IPv4 checksum. Returns ip_hdr_size(); writes nothing when it is 0. */
size_t ip_hdr_put(uint8_t *out, int family, const uint8_t *saddr, const uint8_t *daddr,
                  uint8_t proto, size_t payload_len);

#endif
