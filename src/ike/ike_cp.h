/* The Configuration payload (RFC 7296 3.15): decoding (validated, then
 * parsed) and encoding of CFG_REQUEST / CFG_REPLY with the attributes a
 * remote-access client and gateway exchange: INTERNAL_IP4/6_ADDRESS,
 * INTERNAL_IP4/6_DNS, INTERNAL_IP4_NBNS (and INTERNAL_IP6_NBNS, 11, of
 * RFC 4306, which charon still sends), INTERNAL_IP4/6_SUBNET.
 * Other attributes are skipped and counted. Internal to src/ike/. */
#ifndef UIPSEC_IKE_IKE_CP_H
#define UIPSEC_IKE_IKE_CP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ike_msg.h"
#include "ike/ike_pool.h"
#include "net/addr.h"

enum ike_cfg_type {
	IKE_CFG_REQUEST = 1,
	IKE_CFG_REPLY = 2,
	IKE_CFG_SET = 3,
	IKE_CFG_ACK = 4,
};

/* RFC 7296 3.15.1 (and 11, INTERNAL_IP6_NBNS, of RFC 4306) */
enum ike_cp_attr {
	IKE_CPA_INTERNAL_IP4_ADDRESS = 1,
	IKE_CPA_INTERNAL_IP4_NETMASK = 2,
	IKE_CPA_INTERNAL_IP4_DNS = 3,
	IKE_CPA_INTERNAL_IP4_NBNS = 4,
	IKE_CPA_INTERNAL_IP4_DHCP = 6,
	IKE_CPA_APPLICATION_VERSION = 7,
	IKE_CPA_INTERNAL_IP6_ADDRESS = 8,
	IKE_CPA_INTERNAL_IP6_DNS = 10,
	IKE_CPA_INTERNAL_IP6_NBNS = 11,
	IKE_CPA_INTERNAL_IP6_DHCP = 12,
	IKE_CPA_INTERNAL_IP4_SUBNET = 13,
	IKE_CPA_SUPPORTED_ATTRIBUTES = 14,
	IKE_CPA_INTERNAL_IP6_SUBNET = 15,
};

#define IKE_CP_ADDR_MAX 4      /* addresses kept (both families together) */
#define IKE_CP_LIST_MAX 8      /* DNS, NBNS servers, subnets kept, each */
#define IKE_CP_ATTRS_MAX 64    /* attributes in one payload; more is malformed */

/* A decoded CP payload. In a CFG_REQUEST an attribute without a value
 * asks for one (ask_* counts them per family: [0] IPv4, [1] IPv6) and
 * one with a value is a hint (addrs); in a CFG_REPLY the values are the
 * answer. Encoding writes the values, then an empty attribute for each
 * ask_* that no value of its family answers. */
struct ike_cp {
	uint8_t type;                          /* enum ike_cfg_type */
	uint8_t ask_addr[2], ask_dns[2], ask_nbns[2], ask_subnet[2];
	struct ike_prefix addrs[IKE_CP_ADDR_MAX];   /* IPv4: /32; IPv6: its prefix length */
	unsigned naddrs;
	struct ip_addr dns[IKE_CP_LIST_MAX];
	unsigned ndns;
	struct ip_addr nbns[IKE_CP_LIST_MAX];
	unsigned nnbns;
	struct ike_prefix subnets[IKE_CP_LIST_MAX];
	unsigned nsubnets;
	unsigned nskipped;                     /* unknown attributes, values beyond the limits */
};

/* Decode a CP payload body (after the generic header). 0, or -EBADMSG if
 * it is shorter than its header, an attribute overruns the body, a known
 * attribute has a length its type does not allow (RFC 7296 3.15.1), an
 * IPv6 prefix length exceeds 128, a subnet mask is not contiguous, or
 * there are more than IKE_CP_ATTRS_MAX attributes. */
int ike_cp_parse(const uint8_t *body, size_t len, struct ike_cp *out);
/* Append a CP payload to mb. */
void ike_cp_put(struct ike_mb *mb, const struct ike_cp *cp);
/* "CFG_REQUEST", ... ("CFG_TYPE_n" for others, into a static buffer). */
const char *ike_cp_type_name(uint8_t type);
/* "10.3.0.1 dns 10.1.0.53 ..." : the values, for logs. Returns buf. */
char *ike_cp_fmt(const struct ike_cp *cp, char *buf, size_t len);

#endif
