/* Identities as strongSwan writes, prints and matches them
 * (libstrongswan/utils/identification.c), for IKEv2's IDi/IDr payloads
 * (RFC 7296 section 3.5) and for certificate subjects and subjectAltNames.
 *
 * A struct crypto_id is a plain value (no pointers): its type and the bytes
 * of the ID payload's Identification Data, so it can be copied, compared
 * and put on the wire as is. Distinguished names are kept DER-encoded
 * (ID_DER_ASN1_DN); OpenSSL (d2i/i2d_X509_NAME) builds and reads them.
 *
 * Nothing here is secret. No global state. */
#ifndef UIPSEC_CRYPTO_IDENT_H
#define UIPSEC_CRYPTO_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 7296 section 3.5 ID types, plus the range/subnet types of RFC 2407
 * that strongSwan accepts in configurations (remote.id = 10.0.0.0/8) and
 * strongSwan's private URI type for subjectAltName URIs. */
enum crypto_id_type {
	CRYPTO_ID_ANY = 0,               /* %any: matches everything, never sent */
	CRYPTO_ID_IPV4_ADDR = 1,
	CRYPTO_ID_FQDN = 2,
	CRYPTO_ID_RFC822_ADDR = 3,
	CRYPTO_ID_IPV4_ADDR_SUBNET = 4,  /* address | netmask (8 bytes) */
	CRYPTO_ID_IPV6_ADDR = 5,
	CRYPTO_ID_IPV6_ADDR_SUBNET = 6,  /* address | netmask (32 bytes) */
	CRYPTO_ID_IPV4_ADDR_RANGE = 7,   /* from | to (8 bytes) */
	CRYPTO_ID_IPV6_ADDR_RANGE = 8,   /* from | to (32 bytes) */
	CRYPTO_ID_DER_ASN1_DN = 9,
	CRYPTO_ID_DER_ASN1_GN = 10,
	CRYPTO_ID_KEY_ID = 11,
	CRYPTO_ID_DER_ASN1_GN_URI = 201, /* strongSwan's ID_DER_ASN1_GN_URI; never sent */
};

/* Longest Identification Data kept (a DER DN of a long subject fits). */
#define CRYPTO_ID_MAX 1024
/* Room for any crypto_id_fmt() output of a CRYPTO_ID_MAX identity. */
#define CRYPTO_ID_STRLEN (3 * CRYPTO_ID_MAX + 64)

struct crypto_id {
	uint8_t type;                    /* enum crypto_id_type or another number */
	uint16_t len;
	uint8_t data[CRYPTO_ID_MAX];
};

/* strongSwan's id_match_t: how well an identity matches a pattern. Higher
 * is better; a connection lookup keeps the best. */
enum crypto_id_match {
	CRYPTO_ID_MATCH_NONE = 0,
	CRYPTO_ID_MATCH_ANY = 1,           /* pattern %any (or "*" for names) */
	CRYPTO_ID_MATCH_MAX_WILDCARDS = 2, /* a /0 subnet; DN quality floors at 3 */
	CRYPTO_ID_MATCH_ONE_WILDCARD = 19, /* DN: 20 minus the number of "*" RDNs */
	CRYPTO_ID_MATCH_PERFECT = 20,
};

/* Parse an identity as strongSwan does (identification_create_from_string):
 *   "" %any %any6 * 0.0.0.0 :: 0::0      ANY
 *   C=CH, O=strongSwan, CN=moon          DER_ASN1_DN ("," separates RDNs;
 *   /C=CH/O=strongSwan/CN=moon           a leading "/" makes "/" the separator;
 *                                        attribute names as strongSwan's table:
 *                                        C ST L O OU CN E Email emailAddress SN
 *                                        serialNumber DC UID T D N G I ID ...;
 *                                        values PrintableString if they fit,
 *                                        else UTF8String; E is IA5String; a
 *                                        value "*" is a wildcard in patterns)
 *   text with "=" that is not a DN       KEY_ID holding the text (strongSwan's
 *                                        fallback; e.g. an unknown attribute)
 *   192.0.2.1, 2001:db8::1               IPV4_ADDR, IPV6_ADDR
 *   10.0.0.0/8, 10.0.0.1-10.0.0.9        subnets and ranges (patterns)
 *   gw.example.org, @gw.example.org      FQDN
 *   user@example.org, @@user             RFC822_ADDR
 *   @#0a0b0c                             KEY_ID from hex
 *   other text with ":"                  KEY_ID holding the text
 *   ipv4: ipv6: ipv4net: ipv6net: ipv4range: ipv6range: rfc822: email:
 *   userfqdn: fqdn: dns: asn1dn: asn1gn: keyid: and {N}:
 *                                        the type given; the rest as is, or
 *                                        hex after "#"
 * Returns 0, or -EINVAL (value too long, bad hex) with a reason in err. */
int crypto_id_parse(const char *s, struct crypto_id *id, char *err, size_t errlen);

/* Print as strongSwan's %Y: "%any", addresses, subnets "10.0.0.0/8",
 * ranges "a-b", FQDN/RFC822/URI with non-printable bytes as '?', DNs as
 * "C=CH, O=strongSwan, CN=moon" (RDNs in the encoded order, ", " between,
 * unknown attribute types as the hex of their OID), KEY_ID as text if
 * printable and not 20 bytes long, else hex with ':' separators.
 * Always NUL-terminates (truncating). Returns buf. */
char *crypto_id_fmt(const struct crypto_id *id, char *buf, size_t buflen);

/* How well id matches pattern, with strongSwan's rules for the pattern's
 * type: %any matches all; FQDN and RFC822 case-insensitively, a leading
 * "*" matching any prefix ("*.example.org"); addresses exactly or inside a
 * subnet/range pattern; DNs RDN by RDN in order, same attribute types and
 * count, "*" values matching anything (PrintableString and email values
 * case-insensitively); other types byte for byte. */
enum crypto_id_match crypto_id_match(const struct crypto_id *id, const struct crypto_id *pattern);

/* Exact equality of type and data (FQDN/RFC822 case-insensitive, DNs RDN by
 * RDN as strongSwan's equals()). */
bool crypto_id_equal(const struct crypto_id *a, const struct crypto_id *b);

/* True if the identity holds wildcards ("*" RDN values or names, subnets,
 * ranges, %any): such an identity is a pattern and must not be sent. */
bool crypto_id_has_wildcards(const struct crypto_id *id);

/* From a received ID payload (type and Identification Data): checks the
 * length for addresses (4/16 bytes) and that a DER_ASN1_DN is one
 * well-formed Name (OpenSSL d2i_X509_NAME, nothing left over). Other types
 * are kept as bytes. Returns 0, or -EBADMSG with a reason in err. */
int crypto_id_from_payload(uint8_t type, const uint8_t *data, size_t len,
                           struct crypto_id *id, char *err, size_t errlen);

/* A DER-encoded Name (as in a certificate) as a DER_ASN1_DN identity.
 * Returns 0 or -EBADMSG (malformed, too long). */
int crypto_id_from_dn_der(const uint8_t *der, size_t len, struct crypto_id *id);

/* Number of RDN attribute values in a DER_ASN1_DN identity, -1 if id is not
 * a well-formed DN. */
int crypto_id_dn_count(const struct crypto_id *id);

#endif
