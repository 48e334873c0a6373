/* The five-tuple of an IP packet, as the SPD matches it (struct xfrm_flow):
 * addresses, protocol, ports (TCP, UDP, UDP-Lite, SCTP) or ICMP/ICMPv6 type
 * and code. */
#ifndef UIPSEC_DP_FLOW_H
#define UIPSEC_DP_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "xfrm/xfrm.h"

/* Parse the IPv4 or IPv6 packet at pkt (len bytes). Validates the header
 * lengths against len; skips IPv6 extension headers; non-first fragments
 * get ports 0. Returns false if the packet is malformed. */
bool dp_flow_parse(const uint8_t *pkt, uint32_t len, struct xfrm_flow *fl);

/* "icmp 10.1.0.2 > 10.2.0.2 type 8 code 0" / "tcp [fd01::2]:5201 > ..." */
const char *dp_flow_fmt(const struct xfrm_flow *fl, char *buf, unsigned len);

#endif
