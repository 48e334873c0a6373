/* IKEv2 payload bodies (RFC 7296 section 3): validation of each payload's
 * structure (ike_pld_validate, called by the message parser), decoding
 * into host structs, and encoding into a message under construction.
 * All decoders take the body after the generic payload header. */
#ifndef UIPSEC_IKE_IKE_PLD_H
#define UIPSEC_IKE_IKE_PLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ike_msg.h"
#include "ike/ike_proposal.h"
#include "net/addr.h"

/* 0 if body is a well-formed payload of type, -EBADMSG otherwise. */
int ike_pld_validate(uint8_t type, const uint8_t *body, size_t len);

/* SA: proposals (at most IKE_PROPS_MAX kept; transforms with unknown
 * attributes are dropped, and proposals with an unknown transform type
 * marked unknown_type, as RFC 7296 3.3.6 says). */
int ike_pld_sa_parse(const uint8_t *body, size_t len, struct ike_proposals *out);
/* Write an SA payload; with strip_dh, key exchange transforms are left out. */
void ike_pld_sa_put(struct ike_mb *mb, const struct ike_proposals *ps, bool strip_dh);

/* KE: group and data (pointer into body). */
int ike_pld_ke_parse(const uint8_t *body, size_t len, uint16_t *group,
                     const uint8_t **data, size_t *dlen);
void ike_pld_ke_put(struct ike_mb *mb, uint16_t group, const uint8_t *data, size_t len);

/* Nonce, raw payload with an opaque body (vendor ID, nonce). */
void ike_pld_raw_put(struct ike_mb *mb, uint8_t type, const uint8_t *data, size_t len);

/* Identification (IDi/IDr), RFC 7296 3.5. The same value as struct
 * crypto_id (crypto/ident.h: strongSwan's identities, DNs as DER), so that
 * a DN of a certificate subject fits; ike_id_to_crypto/_from_crypto copy
 * between them. Type 0 is unset (%any). */
#define IKE_ID_MAX 1024
/* Room for ike_id_fmt of any identity. */
#define IKE_ID_STRLEN (3 * IKE_ID_MAX + 64)
struct ike_id {
	uint8_t type;          /* enum ike_id_type (crypto_id_type), 0 = unset */
	uint16_t len;
	uint8_t data[IKE_ID_MAX];
};
struct crypto_id;
void ike_id_to_crypto(const struct ike_id *id, struct crypto_id *out);
void ike_id_from_crypto(const struct crypto_id *id, struct ike_id *out);
/* Parse an identity as strongSwan writes it (crypto_id_parse): "192.0.2.1",
 * "2001:db8::1", "@fqdn" or "fqdn", "user@fqdn", "@#hexkeyid", a DN
 * "C=CH, O=strongSwan, CN=moon", patterns ("*.example.org", "CN=*",
 * "10.0.0.0/8"), or "%any" (unset). Returns 0 or -EINVAL. */
int ike_id_parse(const char *s, struct ike_id *id);
/* As strongSwan prints it (%Y): "192.0.2.1", "gw.example", "C=CH, CN=x",
 * "%any"; truncated to len. Returns buf. */
char *ike_id_fmt(const struct ike_id *id, char *buf, size_t len);
/* Same identity (FQDN/RFC822 case-insensitively, DNs RDN by RDN). */
bool ike_id_equal(const struct ike_id *a, const struct ike_id *b);
/* How well id matches pattern, as strongSwan's matches() (0: not at all;
 * an unset pattern matches everything with 1, an exact match is 20;
 * wildcards score in between): enum crypto_id_match. */
int ike_id_match(const struct ike_id *id, const struct ike_id *pattern);
/* A pattern (wildcards, subnets, %any): never sent as IDr. */
bool ike_id_has_wildcards(const struct ike_id *id);
/* The ID payload body: type, reserved, Identification Data (checked as
 * crypto_id_from_payload does: address lengths, one well-formed DN). */
int ike_pld_id_parse(const uint8_t *body, size_t len, struct ike_id *id);
void ike_pld_id_put(struct ike_mb *mb, uint8_t type, const struct ike_id *id);

/* CERT (RFC 7296 3.6): encoding and Certificate Data (pointer into body;
 * may be empty). 0 or -EBADMSG (no encoding byte). */
int ike_pld_cert_parse(const uint8_t *body, size_t len, uint8_t *encoding,
                       const uint8_t **data, size_t *dlen);
void ike_pld_cert_put(struct ike_mb *mb, uint8_t encoding, const uint8_t *data, size_t len);
/* CERTREQ (RFC 7296 3.7): encoding and Certification Authority data; with
 * encoding 4 (X.509 Signature) a list of 20-byte SHA-1 hashes of CA
 * SubjectPublicKeyInfos, which must hold at least one whole hash and no
 * partial one (as strongSwan's certreq_payload verify). 0 or -EBADMSG. */
#define IKE_CERTREQ_HASH_LEN 20
int ike_pld_certreq_parse(const uint8_t *body, size_t len, uint8_t *encoding,
                          const uint8_t **data, size_t *dlen);
void ike_pld_certreq_put(struct ike_mb *mb, uint8_t encoding, const uint8_t *data, size_t len);

/* AUTH: method and data. */
int ike_pld_auth_parse(const uint8_t *body, size_t len, uint8_t *method,
                       const uint8_t **data, size_t *dlen);
void ike_pld_auth_put(struct ike_mb *mb, uint8_t method, const uint8_t *data, size_t len);

/* Notify. */
struct ike_notify_pld {
	uint8_t protocol;
	uint8_t spi_len;
	uint16_t type;
	const uint8_t *spi;
	const uint8_t *data;
	size_t dlen;
};
/* "NO_PROPOSAL_CHOSEN" for a notify type; "error notify" or "status notify"
 * for types without a name here. */
const char *ike_notify_name(uint16_t type);
int ike_pld_notify_parse(const uint8_t *body, size_t len, struct ike_notify_pld *n);
void ike_pld_notify_put(struct ike_mb *mb, uint8_t protocol, const uint8_t *spi,
                        uint8_t spi_len, uint16_t type, const uint8_t *data, size_t dlen);

/* Delete: protocol and SPIs (4 bytes each for ESP; none for IKE). */
#define IKE_DEL_MAX 32
struct ike_delete_pld {
	uint8_t protocol;
	unsigned nspi;
	uint32_t spi[IKE_DEL_MAX];
};
int ike_pld_delete_parse(const uint8_t *body, size_t len, struct ike_delete_pld *d);
void ike_pld_delete_put(struct ike_mb *mb, uint8_t protocol, const uint32_t *spis, unsigned n);

/* Traffic selectors: address ranges, protocol and port ranges. */
struct ike_ts {
	uint8_t type;        /* IKE_TS_IPV4_ADDR_RANGE or IKE_TS_IPV6_ADDR_RANGE */
	uint8_t proto;       /* 0 = any */
	uint16_t port_lo, port_hi;
	struct ip_addr lo, hi;
};
#define IKE_TS_MAX 8
struct ike_ts_list {
	unsigned n;
	struct ike_ts ts[IKE_TS_MAX];
};
int ike_pld_ts_parse(const uint8_t *body, size_t len, struct ike_ts_list *out);
void ike_pld_ts_put(struct ike_mb *mb, uint8_t type, const struct ike_ts_list *l);
/* "10.1.0.0/24", "10.1.0.0/24[tcp/80]", "dynamic" is resolved by the
 * caller; returns 0 or -EINVAL. */
int ike_ts_parse(const char *s, struct ike_ts *ts);
char *ike_ts_fmt(const struct ike_ts *ts, char *buf, size_t len);
char *ike_ts_list_fmt(const struct ike_ts_list *l, char *buf, size_t len);
/* The TS covering exactly addr (a /32 or /128, any protocol/port). */
void ike_ts_from_addr(struct ike_ts *ts, const struct ip_addr *addr);
/* Intersection of a and b into out; false if empty. */
bool ike_ts_intersect(const struct ike_ts *a, const struct ike_ts *b, struct ike_ts *out);
/* Largest prefix covering the range (as xfrm selectors need). */
void ike_ts_to_prefix(const struct ike_ts *ts, struct ip_addr *addr, uint8_t *plen);

#endif
