/* RFC 3948 demultiplexing of UDP/4500 payloads. Pure function, any thread. */
#include "esp/udp_encap.h"

/* RFC 3948 section 2.2: the non-ESP marker is four zero bytes where an ESP
 * packet has its SPI, and SPI 0 is reserved (RFC 4303 section 2.1), so
 * four zero bytes always mean "not ESP", whatever follows. What follows
 * is IKE's to judge: a marker followed by fewer bytes than an IKE header
 * goes to IKE, which refuses it as malformed (counted there). Classifying
 * it as ESP would look up SPI 0 and count XfrmInNoStates, which says the
 * wrong thing. Section 2.3: a single 0xff byte is a NAT keepalive. */
enum udp_encap_kind udp_encap_classify(const uint8_t *payload, size_t len)
{
	if (len == 1 && payload[0] == 0xff)
		return UDP_ENCAP_KIND_KEEPALIVE;
	if (len >= UDP_ENCAP_NON_ESP_MARKER_LEN &&
	    !payload[0] && !payload[1] && !payload[2] && !payload[3])
		return UDP_ENCAP_KIND_IKE;
	/* ESP: an SPI (non-zero: not the marker) and a sequence number */
	if (len < 8)
		return UDP_ENCAP_KIND_INVALID;
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
