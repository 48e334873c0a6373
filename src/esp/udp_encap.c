/* RFC 3948 demultiplexing of UDP/4500 payloads. Pure function, any thread. */
#include "esp/udp_encap.h"

#define IKE_HDR_LEN 28

enum udp_encap_kind udp_encap_classify(const uint8_t *payload, size_t len)
{
	if (len == 1 && payload[0] == 0xff)
		return UDP_ENCAP_KIND_KEEPALIVE;
	if (len < 8)
		return UDP_ENCAP_KIND_INVALID;
	if (!payload[0] && !payload[1] && !payload[2] && !payload[3])
		return len >= UDP_ENCAP_NON_ESP_MARKER_LEN + IKE_HDR_LEN ?
		       UDP_ENCAP_KIND_IKE : UDP_ENCAP_KIND_INVALID;
	return UDP_ENCAP_KIND_ESP;
}

const char *udp_encap_kind_name(enum udp_encap_kind k)
{
	switch (k) {
	case UDP_ENCAP_KIND_KEEPALIVE: return "keepalive";
	case UDP_ENCAP_KIND_IKE:       return "ike";
	case UDP_ENCAP_KIND_ESP:       return "esp";
	case UDP_ENCAP_KIND_INVALID:   break;
	}
	return "invalid";
}
