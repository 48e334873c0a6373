/* Payload bodies: validate, decode, encode. Every decoder checks every
 * length against the bytes that remain before reading; values are copied
 * out with the get_be* helpers (no casts of wire structs). */
#include "ike/ike_pld.h"
#include "ike/ike_cp.h"
#include "ike/ike_eap.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ident.h"
#include "ike/ike_proto.h"
#include "util/bytes.h"
#include "util/mem.h"

/*
 * SA payload body: one or more proposals.
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |         Proposal Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        SPI (variable)                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        <Transforms>                           ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *                  RFC 7296 Figure 7: Proposal Substructure
 *
 * | Last Substruc |   RESERVED    |        Transform Length       |
 * |Transform Type |   RESERVED    |          Transform ID         |
 * ~                      Transform Attributes                     ~
 *                  RFC 7296 Figure 8: Transform Substructure
 *
 * |A|       Attribute Type        |    AF=0  Attribute Length     |
 * |                               |    AF=1  Attribute Value      |
 *                  RFC 7296 Figure 9: Data Attributes
 *
 * The walk below is used both to validate (out == NULL) and to decode.
 */
static int sa_walk(const uint8_t *b, size_t len, struct ike_proposals *out)
{
	size_t off = 0;
	bool last = false;

	if (out)
		memset(out, 0, sizeof(*out));
	if (len == 0)
		return -EBADMSG;
	while (off < len) {
		if (last || len - off < 8)
			return -EBADMSG;
		uint8_t more = b[off];
		uint16_t plen = get_be16(b + off + 2);
		uint8_t spi_len = b[off + 6], ntrans = b[off + 7];
		if ((more != 0 && more != 2) || plen < 8 || plen > len - off)
			return -EBADMSG;
		if ((size_t)8 + spi_len > plen)
			return -EBADMSG;
		last = more == 0;
		struct ike_proposal *p = NULL;
		if (out && out->n < IKE_PROPS_MAX && spi_len <= 8) {
			p = &out->p[out->n];
			memset(p, 0, sizeof(*p));
			p->num = b[off + 4];
			p->protocol = b[off + 5];
			p->spi_len = spi_len;
			memcpy(p->spi, b + off + 8, spi_len);
		}
		size_t t = off + 8 + spi_len, end = off + plen;
		bool tlast = ntrans == 0;
		unsigned seen = 0;
		while (t < end) {
			if (tlast || end - t < 8)
				return -EBADMSG;
			uint8_t tmore = b[t];
			uint16_t tlen = get_be16(b + t + 2);
			if ((tmore != 0 && tmore != 3) || tlen < 8 || tlen > end - t)
				return -EBADMSG;
			tlast = tmore == 0;
			uint8_t ttype = b[t + 4];
			uint16_t tid = get_be16(b + t + 6);
			uint16_t keylen = 0;
			bool unknown_attr = false;
			size_t a = t + 8;
			while (a < t + tlen) {
				if (t + tlen - a < 4)
					return -EBADMSG;
				uint16_t atype = get_be16(b + a);
				if (atype & 0x8000) {
					if ((atype & 0x7fff) == IKE_ATTR_KEY_LENGTH)
						keylen = get_be16(b + a + 2);
					else
						unknown_attr = true;
					a += 4;
				} else {
					uint16_t alen = get_be16(b + a + 2);
					if (alen > t + tlen - a - 4)
						return -EBADMSG;
					unknown_attr = true;
					a += 4 + (size_t)alen;
				}
			}
			seen++;
			/* RFC 7296 3.3.6: an unknown transform type spoils the
			 * whole proposal (recorded however many transforms
			 * follow); an unknown attribute only its transform */
			if (p && (ttype == 0 || ttype >= IKE_TRANS_MAX) && !p->unknown_type) {
				p->unknown_type = true;
				p->unknown_type_id = ttype;
			}
			if (p && !unknown_attr && p->ntrans < IKE_PROP_MAX_TRANS)
				p->trans[p->ntrans++] = (struct ike_transform){ ttype, tid, keylen };
			t += tlen;
		}
		if (seen != ntrans || !tlast)
			return -EBADMSG;
		if (p)
			out->n++;
		off = end;
	}
	return last ? 0 : -EBADMSG;
}

int ike_pld_sa_parse(const uint8_t *body, size_t len, struct ike_proposals *out)
{
	return sa_walk(body, len, out);
}

void ike_pld_sa_put(struct ike_mb *mb, const struct ike_proposals *ps, bool strip_dh)
{
	size_t off = ike_mb_open(mb, IKE_PLD_SA, false);

	for (unsigned i = 0; i < ps->n; i++) {
		const struct ike_proposal *p = &ps->p[i];
		size_t poff = mb->len;
		unsigned n = 0;
		uint8_t *h = ike_mb_put(mb, NULL, 8);
		ike_mb_put(mb, p->spi, p->spi_len);
		for (unsigned k = 0; k < p->ntrans; k++) {
			const struct ike_transform *t = &p->trans[k];
			if (strip_dh && t->type == IKE_TRANS_DH)
				continue;
			uint8_t *th = ike_mb_put(mb, NULL, t->keylen ? 12 : 8);
			if (!th)
				return;
			th[0] = 3;
			put_be16(th + 2, t->keylen ? 12 : 8);
			th[4] = t->type;
			put_be16(th + 6, t->id);
			if (t->keylen) {
				put_be16(th + 8, 0x8000 | IKE_ATTR_KEY_LENGTH);
				put_be16(th + 10, t->keylen);
			}
			n++;
		}
		if (!h || mb->oom)
			return;
		/* fix up: last transform, proposal header */
		size_t t = poff + 8 + p->spi_len, lastt = t;
		while (t < mb->len) {
			lastt = t;
			t += get_be16(mb->p + t + 2);
		}
		if (n)
			mb->p[lastt] = 0;
		h = mb->p + poff;
		h[0] = i + 1 < ps->n ? 2 : 0;
		put_be16(h + 2, (uint16_t)(mb->len - poff));
		h[4] = p->num ? p->num : (uint8_t)(i + 1);
		h[5] = p->protocol;
		h[6] = p->spi_len;
		h[7] = (uint8_t)n;
	}
	ike_mb_close(mb, off);
}

/*
 * | Diffie-Hellman Group Num      |           RESERVED            |
 * ~                       Key Exchange Data                       ~
 *                  RFC 7296 Figure 10: Key Exchange Payload Format
 */
int ike_pld_ke_parse(const uint8_t *body, size_t len, uint16_t *group,
                     const uint8_t **data, size_t *dlen)
{
	if (len < 4)
		return -EBADMSG;
	*group = get_be16(body);
	*data = body + 4;
	*dlen = len - 4;
	return 0;
}

void ike_pld_ke_put(struct ike_mb *mb, uint16_t group, const uint8_t *data, size_t len)
{
	size_t off = ike_mb_open(mb, IKE_PLD_KE, false);
	uint8_t *h = ike_mb_put(mb, NULL, 4);

	if (h)
		put_be16(h, group);
	ike_mb_put(mb, data, len);
	ike_mb_close(mb, off);
}

void ike_pld_raw_put(struct ike_mb *mb, uint8_t type, const uint8_t *data, size_t len)
{
	size_t off = ike_mb_open(mb, type, false);

	ike_mb_put(mb, data, len);
	ike_mb_close(mb, off);
}

/*
 * |   ID Type     |                 RESERVED                      |
 * ~                   Identification Data                         ~
 *                  RFC 7296 Figure 11: Identification Payload Format
 */
int ike_pld_id_parse(const uint8_t *body, size_t len, struct ike_id *id)
{
	struct crypto_id cid;
	char err[128];

	memset(id, 0, sizeof(*id));
	if (len < 4 || len - 4 > IKE_ID_MAX)
		return -EBADMSG;
	if (crypto_id_from_payload(body[0], body + 4, len - 4, &cid, err, sizeof(err)))
		return -EBADMSG;
	ike_id_from_crypto(&cid, id);
	return 0;
}

void ike_pld_id_put(struct ike_mb *mb, uint8_t type, const struct ike_id *id)
{
	size_t off = ike_mb_open(mb, type, false);
	uint8_t *h = ike_mb_put(mb, NULL, 4);

	if (h)
		h[0] = id->type;
	ike_mb_put(mb, id->data, id->len);
	ike_mb_close(mb, off);
}

/* struct ike_id and struct crypto_id hold the same: copy field by field
 * (the sizes agree, checked below). */
_Static_assert(IKE_ID_MAX == CRYPTO_ID_MAX, "ike_id and crypto_id hold the same identities");

void ike_id_to_crypto(const struct ike_id *id, struct crypto_id *out)
{
	memset(out, 0, sizeof(*out));
	out->type = id->type;
	out->len = id->len > CRYPTO_ID_MAX ? CRYPTO_ID_MAX : id->len;
	memcpy(out->data, id->data, out->len);
}

void ike_id_from_crypto(const struct crypto_id *id, struct ike_id *out)
{
	memset(out, 0, sizeof(*out));
	out->type = id->type;
	out->len = id->len > IKE_ID_MAX ? IKE_ID_MAX : id->len;
	memcpy(out->data, id->data, out->len);
}

int ike_id_parse(const char *s, struct ike_id *id)
{
	struct crypto_id cid;
	char err[128];

	memset(id, 0, sizeof(*id));
	if (crypto_id_parse(s, &cid, err, sizeof(err)))
		return -EINVAL;
	ike_id_from_crypto(&cid, id);
	return 0;
}

char *ike_id_fmt(const struct ike_id *id, char *buf, size_t len)
{
	struct crypto_id cid;

	ike_id_to_crypto(id, &cid);
	return crypto_id_fmt(&cid, buf, len);
}

bool ike_id_equal(const struct ike_id *a, const struct ike_id *b)
{
	struct crypto_id x, y;

	ike_id_to_crypto(a, &x);
	ike_id_to_crypto(b, &y);
	return crypto_id_equal(&x, &y);
}

int ike_id_match(const struct ike_id *id, const struct ike_id *pattern)
{
	struct crypto_id x, y;

	ike_id_to_crypto(id, &x);
	ike_id_to_crypto(pattern, &y);
	return (int)crypto_id_match(&x, &y);
}

bool ike_id_has_wildcards(const struct ike_id *id)
{
	struct crypto_id x;

	ike_id_to_crypto(id, &x);
	return crypto_id_has_wildcards(&x);
}

/*
 * | Cert Encoding |                                               |
 * +-+-+-+-+-+-+-+-+                                               |
 * ~                       Certificate Data                        ~
 *                  RFC 7296 Figure 12: Certificate Payload Format
 */
int ike_pld_cert_parse(const uint8_t *body, size_t len, uint8_t *encoding,
                       const uint8_t **data, size_t *dlen)
{
	if (len < 1)
		return -EBADMSG;
	*encoding = body[0];
	*data = body + 1;
	*dlen = len - 1;
	return 0;
}

/* CERT and CERTREQ: one encoding byte, then the data */
static void encoded_put(struct ike_mb *mb, uint8_t type, uint8_t encoding, const uint8_t *data,
                        size_t len)
{
	size_t off = ike_mb_open(mb, type, false);

	ike_mb_put(mb, &encoding, 1);
	ike_mb_put(mb, data, len);
	ike_mb_close(mb, off);
}

void ike_pld_cert_put(struct ike_mb *mb, uint8_t encoding, const uint8_t *data, size_t len)
{
	encoded_put(mb, IKE_PLD_CERT, encoding, data, len);
}

/*
 * | Cert Encoding |                                               |
 * +-+-+-+-+-+-+-+-+                                               |
 * ~                    Certification Authority                    ~
 *                  RFC 7296 Figure 13: Certificate Request Payload Format
 */
int ike_pld_certreq_parse(const uint8_t *body, size_t len, uint8_t *encoding,
                          const uint8_t **data, size_t *dlen)
{
	/* the same layout as CERT: one encoding byte, then the data */
	if (ike_pld_cert_parse(body, len, encoding, data, dlen))
		return -EBADMSG;
	/* RFC 7296 3.7: concatenated SHA-1 hashes for X.509 */
	if (*encoding == IKE_CERT_X509_SIGNATURE &&
	    (*dlen < IKE_CERTREQ_HASH_LEN || *dlen % IKE_CERTREQ_HASH_LEN))
		return -EBADMSG;
	return 0;
}

void ike_pld_certreq_put(struct ike_mb *mb, uint8_t encoding, const uint8_t *data, size_t len)
{
	encoded_put(mb, IKE_PLD_CERTREQ, encoding, data, len);
}

/*
 * | Auth Method   |                RESERVED                       |
 * ~                      Authentication Data                      ~
 *                  RFC 7296 Figure 14: Authentication Payload Format
 */
int ike_pld_auth_parse(const uint8_t *body, size_t len, uint8_t *method,
                       const uint8_t **data, size_t *dlen)
{
	if (len < 5)
		return -EBADMSG;
	*method = body[0];
	*data = body + 4;
	*dlen = len - 4;
	return 0;
}

void ike_pld_auth_put(struct ike_mb *mb, uint8_t method, const uint8_t *data, size_t len)
{
	size_t off = ike_mb_open(mb, IKE_PLD_AUTH, false);
	uint8_t *h = ike_mb_put(mb, NULL, 4);

	if (h)
		h[0] = method;
	ike_mb_put(mb, data, len);
	ike_mb_close(mb, off);
}

/*
 * |  Protocol ID  |   SPI Size    |      Notify Message Type      |
 * ~                Security Parameter Index (SPI)                 ~
 * ~                       Notification Data                       ~
 *                  RFC 7296 Figure 16: Notify Payload Format
 */
int ike_pld_notify_parse(const uint8_t *body, size_t len, struct ike_notify_pld *n)
{
	if (len < 4 || (size_t)4 + body[1] > len)
		return -EBADMSG;
	n->protocol = body[0];
	n->spi_len = body[1];
	n->type = get_be16(body + 2);
	n->spi = body + 4;
	n->data = body + 4 + n->spi_len;
	n->dlen = len - 4 - n->spi_len;
	return 0;
}

void ike_pld_notify_put(struct ike_mb *mb, uint8_t protocol, const uint8_t *spi,
                        uint8_t spi_len, uint16_t type, const uint8_t *data, size_t dlen)
{
	size_t off = ike_mb_open(mb, IKE_PLD_NOTIFY, false);
	uint8_t *h = ike_mb_put(mb, NULL, 4);

	if (h) {
		h[0] = protocol;
		h[1] = spi_len;
		put_be16(h + 2, type);
	}
	ike_mb_put(mb, spi, spi_len);
	ike_mb_put(mb, data, dlen);
	ike_mb_close(mb, off);
}

/*
 * | Protocol ID   |   SPI Size    |          Num of SPIs          |
 * ~               Security Parameter Index(es) (SPI)              ~
 *                  RFC 7296 Figure 17: Delete Payload Format
 */
int ike_pld_delete_parse(const uint8_t *body, size_t len, struct ike_delete_pld *d)
{
	memset(d, 0, sizeof(*d));
	if (len < 4)
		return -EBADMSG;
	d->protocol = body[0];
	uint8_t spi_len = body[1];
	uint16_t n = get_be16(body + 2);
	if ((size_t)spi_len * n != len - 4)
		return -EBADMSG;
	if (d->protocol == IKE_PROTO_IKE)
		return spi_len == 0 && n == 0 ? 0 : -EBADMSG;
	if (spi_len != 4)
		return -EBADMSG;
	for (unsigned i = 0; i < n && d->nspi < IKE_DEL_MAX; i++)
		d->spi[d->nspi++] = get_be32(body + 4 + 4 * i);
	return 0;
}

void ike_pld_delete_put(struct ike_mb *mb, uint8_t protocol, const uint32_t *spis, unsigned n)
{
	size_t off = ike_mb_open(mb, IKE_PLD_DELETE, false);
	uint8_t *h = ike_mb_put(mb, NULL, 4);

	if (h) {
		h[0] = protocol;
		h[1] = protocol == IKE_PROTO_IKE ? 0 : 4;
		put_be16(h + 2, (uint16_t)n);
	}
	for (unsigned i = 0; i < n; i++) {
		uint8_t *s = ike_mb_put(mb, NULL, 4);
		if (s)
			put_be32(s, spis[i]);
	}
	ike_mb_close(mb, off);
}

/*
 * | Number of TSs |                 RESERVED                      |
 * ~                       <Traffic Selectors>                     ~
 *                  RFC 7296 Figure 19: Traffic Selectors Payload Format
 *
 * |   TS Type     |IP Protocol ID*|       Selector Length         |
 * |           Start Port*         |           End Port*           |
 * ~                         Starting Address*                     ~
 * ~                         Ending Address*                       ~
 *                  RFC 7296 Figure 20: Traffic Selector
 */
static int ts_walk(const uint8_t *b, size_t len, struct ike_ts_list *out)
{
	size_t off = 4;

	if (out)
		memset(out, 0, sizeof(*out));
	if (len < 4 || b[0] == 0)
		return -EBADMSG;
	for (unsigned i = 0; i < b[0]; i++) {
		if (len - off < 8)
			return -EBADMSG;
		uint8_t type = b[off];
		uint16_t slen = get_be16(b + off + 2);
		if (slen < 8 || slen > len - off)
			return -EBADMSG;
		size_t alen = type == IKE_TS_IPV4_ADDR_RANGE ? 4 :
		              type == IKE_TS_IPV6_ADDR_RANGE ? 16 : 0;
		if (alen && slen != 8 + 2 * alen)
			return -EBADMSG;
		if (alen && out && out->n < IKE_TS_MAX) {
			struct ike_ts *t = &out->ts[out->n++];
			int fam = alen == 4 ? AF_INET : AF_INET6;
			t->type = type;
			t->proto = b[off + 1];
			t->port_lo = get_be16(b + off + 4);
			t->port_hi = get_be16(b + off + 6);
			ip_addr_from_bytes(&t->lo, fam, b + off + 8);
			ip_addr_from_bytes(&t->hi, fam, b + off + 8 + alen);
		}
		off += slen;
	}
	return off == len ? 0 : -EBADMSG;
}

int ike_pld_ts_parse(const uint8_t *body, size_t len, struct ike_ts_list *out)
{
	return ts_walk(body, len, out);
}

void ike_pld_ts_put(struct ike_mb *mb, uint8_t type, const struct ike_ts_list *l)
{
	size_t off = ike_mb_open(mb, type, false);
	uint8_t *h = ike_mb_put(mb, NULL, 4);

	if (h)
		h[0] = (uint8_t)l->n;
	for (unsigned i = 0; i < l->n; i++) {
		const struct ike_ts *t = &l->ts[i];
		size_t alen = t->type == IKE_TS_IPV4_ADDR_RANGE ? 4 : 16;
		uint8_t *s = ike_mb_put(mb, NULL, 8 + 2 * alen);
		if (!s)
			return;
		s[0] = t->type;
		s[1] = t->proto;
		put_be16(s + 2, (uint16_t)(8 + 2 * alen));
		put_be16(s + 4, t->port_lo);
		put_be16(s + 6, t->port_hi);
		memcpy(s + 8, t->lo.a, alen);
		memcpy(s + 8 + alen, t->hi.a, alen);
	}
	ike_mb_close(mb, off);
}

static int addr_cmp(const struct ip_addr *a, const struct ip_addr *b)
{
	return memcmp(a->a, b->a, 16);
}

bool ike_ts_intersect(const struct ike_ts *a, const struct ike_ts *b, struct ike_ts *out)
{
	if (a->type != b->type)
		return false;
	if (a->proto && b->proto && a->proto != b->proto)
		return false;
	out->type = a->type;
	out->proto = a->proto ? a->proto : b->proto;
	out->port_lo = a->port_lo > b->port_lo ? a->port_lo : b->port_lo;
	out->port_hi = a->port_hi < b->port_hi ? a->port_hi : b->port_hi;
	if (out->port_lo > out->port_hi)
		return false;
	out->lo = addr_cmp(&a->lo, &b->lo) > 0 ? a->lo : b->lo;
	out->hi = addr_cmp(&a->hi, &b->hi) < 0 ? a->hi : b->hi;
	return addr_cmp(&out->lo, &out->hi) <= 0;
}

void ike_ts_to_prefix(const struct ike_ts *ts, struct ip_addr *addr, uint8_t *plen)
{
	unsigned bits = ts->type == IKE_TS_IPV4_ADDR_RANGE ? 32 : 128, n = 0;

	*addr = ts->lo;
	while (n < bits) {
		unsigned byte = n / 8, bit = 7 - n % 8;
		if (((ts->lo.a[byte] >> bit) & 1) != ((ts->hi.a[byte] >> bit) & 1))
			break;
		n++;
	}
	for (unsigned k = n; k < bits; k++)
		addr->a[k / 8] &= (uint8_t)~(1u << (7 - k % 8));
	*plen = (uint8_t)n;
}

static void ts_from_prefix(struct ike_ts *ts, const struct ip_addr *a, uint8_t plen)
{
	unsigned bits = a->family == AF_INET ? 32 : 128;

	memset(ts, 0, sizeof(*ts));
	ts->type = a->family == AF_INET ? IKE_TS_IPV4_ADDR_RANGE : IKE_TS_IPV6_ADDR_RANGE;
	ts->port_hi = 0xffff;
	ts->lo = *a;
	ts->hi = *a;
	for (unsigned k = plen; k < bits; k++) {
		ts->lo.a[k / 8] &= (uint8_t)~(1u << (7 - k % 8));
		ts->hi.a[k / 8] |= (uint8_t)(1u << (7 - k % 8));
	}
}

void ike_ts_from_addr(struct ike_ts *ts, const struct ip_addr *addr)
{
	ts_from_prefix(ts, addr, addr->family == AF_INET ? 32 : 128);
}

int ike_ts_parse(const char *s, struct ike_ts *ts)
{
	char buf[128], *br;
	struct ip_addr a;
	uint8_t plen;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	br = strchr(buf, '[');
	if (br)
		*br++ = '\0';
	if (ip_prefix_parse(buf, &a, &plen))
		return -EINVAL;
	ts_from_prefix(ts, &a, plen);
	if (br) {
		/* [proto] or [proto/port] or [/port] */
		char *end = strchr(br, ']');
		if (!end || end[1])
			return -EINVAL;
		*end = '\0';
		char *slash = strchr(br, '/');
		if (slash)
			*slash++ = '\0';
		if (*br) {
			if (!strcmp(br, "tcp")) ts->proto = 6;
			else if (!strcmp(br, "udp")) ts->proto = 17;
			else if (!strcmp(br, "icmp")) ts->proto = 1;
			else if (!strcmp(br, "icmpv6") || !strcmp(br, "ipv6-icmp")) ts->proto = 58;
			else {
				char *e;
				long v = strtol(br, &e, 10);
				if (*e || v < 0 || v > 255)
					return -EINVAL;
				ts->proto = (uint8_t)v;
			}
		}
		if (slash && *slash) {
			char *e;
			long lo = strtol(slash, &e, 10), hi = lo;
			if (*e == '-')
				hi = strtol(e + 1, &e, 10);
			if (*e || lo < 0 || hi > 65535 || lo > hi)
				return -EINVAL;
			ts->port_lo = (uint16_t)lo;
			ts->port_hi = (uint16_t)hi;
		}
	}
	return 0;
}

char *ike_ts_fmt(const struct ike_ts *ts, char *buf, size_t len)
{
	struct ip_addr a;
	uint8_t plen;
	char s[IP_ADDR_STRLEN];
	int n;

	ike_ts_to_prefix(ts, &a, &plen);
	n = snprintf(buf, len, "%s/%u", ip_addr_fmt(&a, s), plen);
	if (n > 0 && (size_t)n < len && (ts->proto || ts->port_lo != 0 || ts->port_hi != 0xffff)) {
		if (ts->port_lo == 0 && ts->port_hi == 0xffff)
			snprintf(buf + n, len - (size_t)n, "[%u]", ts->proto);
		else if (ts->port_lo == ts->port_hi)
			snprintf(buf + n, len - (size_t)n, "[%u/%u]", ts->proto, ts->port_lo);
		else
			snprintf(buf + n, len - (size_t)n, "[%u/%u-%u]", ts->proto, ts->port_lo,
			         ts->port_hi);
	}
	return buf;
}

char *ike_ts_list_fmt(const struct ike_ts_list *l, char *buf, size_t len)
{
	size_t off = 0;
	char one[96];

	buf[0] = '\0';
	for (unsigned i = 0; i < l->n && off + 1 < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? " " : "",
		                 ike_ts_fmt(&l->ts[i], one, sizeof(one)));
		if (n > 0)
			off += (size_t)n;
	}
	return buf;
}

int ike_pld_validate(uint8_t type, const uint8_t *body, size_t len)
{
	struct ike_notify_pld n;
	struct ike_delete_pld d;
	struct ike_id id;
	const uint8_t *data;
	size_t dlen;
	uint8_t enc;

	switch (type) {
	case IKE_PLD_SA:
		return sa_walk(body, len, NULL);
	case IKE_PLD_KE:
		return len >= 4 ? 0 : -EBADMSG;
	case IKE_PLD_IDI:
	case IKE_PLD_IDR:
		return ike_pld_id_parse(body, len, &id);
	case IKE_PLD_AUTH:
		return len >= 5 ? 0 : -EBADMSG;
	case IKE_PLD_CERT:
		return ike_pld_cert_parse(body, len, &enc, &data, &dlen);
	case IKE_PLD_CERTREQ:
		return ike_pld_certreq_parse(body, len, &enc, &data, &dlen);
	case IKE_PLD_NONCE:
		/* RFC 7296 3.9: 16 to 256 octets */
		return len >= IKE_NONCE_MIN && len <= IKE_NONCE_MAX ? 0 : -EBADMSG;
	case IKE_PLD_NOTIFY:
		return ike_pld_notify_parse(body, len, &n);
	case IKE_PLD_DELETE:
		return ike_pld_delete_parse(body, len, &d);
	case IKE_PLD_TSI:
	case IKE_PLD_TSR:
		return ts_walk(body, len, NULL);
	case IKE_PLD_CP: {
		struct ike_cp cp;
		return ike_cp_parse(body, len, &cp);
	}
	case IKE_PLD_SKF:
		return len >= 4 ? 0 : -EBADMSG;
	case IKE_PLD_EAP: {
		struct ike_eap e;
		return ike_eap_parse(body, len, &e);
	}
	default:
		return 0;   /* opaque: vendor ID */
	}
}

const char *ike_notify_name(uint16_t type)
{
	switch (type) {
	case IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD: return "UNSUPPORTED_CRITICAL_PAYLOAD";
	case IKE_N_INVALID_IKE_SPI: return "INVALID_IKE_SPI";
	case IKE_N_INVALID_MAJOR_VERSION: return "INVALID_MAJOR_VERSION";
	case IKE_N_INVALID_SYNTAX: return "INVALID_SYNTAX";
	case IKE_N_INVALID_MESSAGE_ID: return "INVALID_MESSAGE_ID";
	case IKE_N_INVALID_SPI: return "INVALID_SPI";
	case IKE_N_NO_PROPOSAL_CHOSEN: return "NO_PROPOSAL_CHOSEN";
	case IKE_N_INVALID_KE_PAYLOAD: return "INVALID_KE_PAYLOAD";
	case IKE_N_AUTHENTICATION_FAILED: return "AUTHENTICATION_FAILED";
	case IKE_N_SINGLE_PAIR_REQUIRED: return "SINGLE_PAIR_REQUIRED";
	case IKE_N_NO_ADDITIONAL_SAS: return "NO_ADDITIONAL_SAS";
	case IKE_N_INTERNAL_ADDRESS_FAILURE: return "INTERNAL_ADDRESS_FAILURE";
	case IKE_N_FAILED_CP_REQUIRED: return "FAILED_CP_REQUIRED";
	case IKE_N_TS_UNACCEPTABLE: return "TS_UNACCEPTABLE";
	case IKE_N_INVALID_SELECTORS: return "INVALID_SELECTORS";
	case IKE_N_TEMPORARY_FAILURE: return "TEMPORARY_FAILURE";
	case IKE_N_CHILD_SA_NOT_FOUND: return "CHILD_SA_NOT_FOUND";
	case IKE_N_COOKIE: return "COOKIE";
	default: return type <= IKE_N_ERROR_MAX ? "error notify" : "status notify";
	}
}
