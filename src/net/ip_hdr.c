/* Building a plain IPv4 or IPv6 header (no options or extension headers)
 * in front of a payload: the outer header of ESP, the header transport mode
 * puts back, and the headers a capture rebuilds. See net/ip.h. */
#include "net/ip.h"
#include "util/bytes.h"

#include <string.h>
#include <sys/socket.h>

size_t ip_hdr_size(int family, size_t payload_len)
{
	if (family == AF_INET)
		return payload_len <= 0xffff - IP4_HDR_LEN ? IP4_HDR_LEN : 0;
	if (family == AF_INET6)
		return payload_len <= 0xffff ? IP6_HDR_LEN : 0;
	return 0;
}

size_t ip_hdr_put(uint8_t *out, int family, const uint8_t *saddr, const uint8_t *daddr,
                  uint8_t proto, size_t payload_len)
{
	size_t hl = ip_hdr_size(family, payload_len);

	if (hl == IP4_HDR_LEN) {
		struct ip4_hdr ip = { 0 };

		ip.ver_ihl = 0x45;
		put_be16(ip.tot_len, (uint16_t)(payload_len + IP4_HDR_LEN));
		ip.ttl = IP_DEFAULT_TTL;
		ip.proto = proto;
		memcpy(ip.saddr, saddr, 4);
		memcpy(ip.daddr, daddr, 4);
		put_be16(ip.csum, ip_csum(&ip, sizeof(ip)));
		memcpy(out, &ip, sizeof(ip));
	} else if (hl == IP6_HDR_LEN) {
		struct ip6_hdr ip = { 0 };

		ip.vtc_flow[0] = 0x60;
		put_be16(ip.payload_len, (uint16_t)payload_len);
		ip.nexthdr = proto;
		ip.hop_limit = IP_DEFAULT_TTL;
		memcpy(ip.saddr, saddr, 16);
		memcpy(ip.daddr, daddr, 16);
		memcpy(out, &ip, sizeof(ip));
	}
	return hl;
}
