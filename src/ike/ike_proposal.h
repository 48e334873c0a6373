/* IKE and ESP proposals: strongSwan's proposal syntax
 * ("aes256-sha256-modp2048", "aes128gcm16-prfsha256-x25519",
 * "aes128gcm16-modp2048-esn"), printing ("peer proposed ..."), and the
 * selection of one transform per type from two proposal lists
 * (RFC 7296 section 2.7; our configured order wins, like charon). */
#ifndef UIPSEC_IKE_IKE_PROPOSAL_H
#define UIPSEC_IKE_IKE_PROPOSAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_PROP_MAX_TRANS 24
#define IKE_PROPS_MAX 16

struct ike_transform {
	uint8_t type;     /* enum ike_transform_type */
	uint16_t id;
	uint16_t keylen;  /* bits; 0 = no key length attribute */
};

struct ike_proposal {
	uint8_t num;        /* proposal number on the wire (1, 2, ...) */
	uint8_t protocol;   /* IKE_PROTO_IKE or IKE_PROTO_ESP */
	uint8_t spi_len;    /* 0 (IKE_SA_INIT), 4 (ESP), 8 (IKE rekey) */
	uint8_t spi[8];
	uint8_t ntrans;
	struct ike_transform trans[IKE_PROP_MAX_TRANS];
	/* RFC 7296 3.3.6: the peer's proposal holds a transform type we do
	 * not know (0, or past ESN: RFC 9370's ADDKE types 6-12 included),
	 * so the whole proposal is unacceptable; set by ike_pld_sa_parse,
	 * type is the first such one (for logs) */
	bool unknown_type;
	uint8_t unknown_type_id;
};

struct ike_proposals {
	unsigned n;
	struct ike_proposal p[IKE_PROPS_MAX];
};

/* Parse a comma-separated list of proposals for protocol (IKE_PROTO_IKE or
 * IKE_PROTO_ESP). Returns 0 or -EINVAL with a reason in err
 * ("unknown algorithm 'aes129' in 'aes129-sha256'"). */
int ike_proposals_parse(const char *s, uint8_t protocol, struct ike_proposals *out,
                        char *err, size_t errlen);

/* "aes256-sha256-prfsha256-modp2048" into buf; returns buf. */
char *ike_proposal_fmt(const struct ike_proposal *p, char *buf, size_t len);
/* All proposals, ", " separated. */
char *ike_proposals_fmt(const struct ike_proposals *ps, char *buf, size_t len);

/* Choose the first of our proposals for which every transform type has a
 * common transform with one of theirs. Their proposals with an unknown
 * transform type are skipped whole (RFC 7296 3.3.6); their transforms
 * with an unknown ID only never match. With ignore_dh (the first CHILD_SA
 * in IKE_AUTH), key exchange transforms are left out on both sides. On
 * success *chosen holds one transform per type, the peer's proposal number
 * and SPI. Returns false if nothing matches. */
bool ike_proposal_select(const struct ike_proposals *ours, const struct ike_proposals *theirs,
                         bool ignore_dh, struct ike_proposal *chosen);

/* The first transform of type in p: its id (0 if none) and key length. */
uint16_t ike_proposal_get(const struct ike_proposal *p, uint8_t type, uint16_t *keylen);
/* True if p offers DH group (for INVALID_KE_PAYLOAD handling). */
bool ike_proposal_has(const struct ike_proposal *p, uint8_t type, uint16_t id);
/* Name of a transform ("aes256gcm16", "x25519", "ENCR_99"); returns buf. */
char *ike_transform_name(const struct ike_transform *t, char *buf, size_t len);

#endif
