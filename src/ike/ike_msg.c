/* IKEv2 header and payload chain: parsing (validate each length, then
 * look inside) and building. Runs on the control loop; the message buffer
 * of a parsed message belongs to the caller, the decrypted copy to the
 * struct ike_msg. */
#include "ike/ike_msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ike_cipher.h"
#include "crypto/prf.h"
#include "crypto/rand.h"
#include "ike/ike_pld.h"
#include "ike/ike_proto.h"
#include "util/bytes.h"
#include "util/mem.h"

/*
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Initiator's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Responder's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Message ID                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            Length                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *                  RFC 7296 Figure 4: IKE Header Format
 */
int ike_msg_parse_hdr(const uint8_t *buf, size_t len, struct ike_hdr *h)
{
	if (len < IKE_HDR_LEN)
		return -EBADMSG;
	h->spi_i = get_be64(buf);
	h->spi_r = get_be64(buf + 8);
	h->next = buf[16];
	h->version = buf[17];
	h->exchange = buf[18];
	h->flags = buf[19];
	h->msgid = get_be32(buf + 20);
	h->length = get_be32(buf + 24);
	if (h->length != len)
		return -EBADMSG;
	if ((h->version >> 4) != 2)
		return -EPROTONOSUPPORT;
	return 0;
}

static bool known_type(uint8_t t)
{
	return (t >= IKE_PLD_SA && t <= IKE_PLD_EAP) || t == IKE_PLD_SKF;
}

/*
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *                  RFC 7296 Figure 5: Generic Payload Header
 *
 * Walk a chain starting with type first over buf[0, len). The chain must
 * end exactly at len, except that SK (which must be last) covers the rest.
 */
static int parse_chain(struct ike_msg *m, uint8_t first, const uint8_t *buf, size_t len,
                       bool inner)
{
	uint8_t type = first;
	size_t off = 0;

	while (type != IKE_PLD_NONE) {
		if (len - off < IKE_PLD_HDR_LEN)
			return -EBADMSG;
		uint8_t next = buf[off];
		bool crit = buf[off + 1] & 0x80;
		uint16_t plen = get_be16(buf + off + 2);
		if (plen < IKE_PLD_HDR_LEN || plen > len - off)
			return -EBADMSG;
		const uint8_t *body = buf + off + IKE_PLD_HDR_LEN;
		uint16_t blen = (uint16_t)(plen - IKE_PLD_HDR_LEN);

		if (type == IKE_PLD_SK || type == IKE_PLD_SKF) {
			/* the SK (or SKF) payload is the last one; its next
			 * payload is the first inner one (RFC 7383 2.5: for an
			 * SKF, in the first fragment only) */
			if (inner || off + plen != len)
				return -EBADMSG;
			if (type == IKE_PLD_SK) {
				m->has_sk = true;
			} else {
				/* Fragment Number and Total Fragments, then the IV */
				if (blen < 4)
					return -EBADMSG;
				m->has_skf = true;
				m->frag_num = get_be16(body);
				m->frag_total = get_be16(body + 2);
			}
		} else if (known_type(type)) {
			if (ike_pld_validate(type, body, blen) != 0)
				return -EBADMSG;
		} else if (crit && !m->unsupported_critical) {
			/* RFC 7296 2.5: reject with UNSUPPORTED_CRITICAL_PAYLOAD */
			m->unsupported_critical = type;
		}
		if (m->npld >= IKE_MSG_MAX_PLDS)
			return -E2BIG;
		m->pld[m->npld++] = (struct ike_pld){ type, crit, inner, body, blen };
		off += plen;
		if (type == IKE_PLD_SK || type == IKE_PLD_SKF)
			break;
		type = next;
	}
	if (off != len)
		return -EBADMSG;
	return 0;
}

int ike_msg_parse(const uint8_t *buf, size_t len, struct ike_msg *m)
{
	int rc;

	memset(m, 0, sizeof(*m));
	rc = ike_msg_parse_hdr(buf, len, &m->hdr);
	if (rc)
		return rc;
	m->raw = buf;
	m->rawlen = len;
	return parse_chain(m, m->hdr.next, buf + IKE_HDR_LEN, len - IKE_HDR_LEN, false);
}

/*
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Initialization Vector                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Encrypted IKE Payloads                     ~
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               |             Padding (0-255 octets)            |
 * +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
 * |                                               |  Pad Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Integrity Checksum Data                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *                  RFC 7296 Figure 21: Encrypted Payload Format
 */
int ike_msg_decrypt(struct ike_msg *m, const struct crypto_ike_keys *k)
{
	const struct ike_pld *sk = NULL;
	size_t ivlen, icvlen, sk_off, ptlen;
	uint8_t first;
	int rc;

	if (m->reassembled) {
		/* each fragment was verified and decrypted as it came */
		if (m->npld)
			return -EALREADY;
		return parse_chain(m, m->inner_first, m->plain, m->plainlen, true) ? -EPROTO : 0;
	}
	ivlen = crypto_encr_iv_len(k->encr);
	icvlen = crypto_ike_icv_len(k->encr, k->integ);
	for (unsigned i = 0; i < m->npld; i++)
		if (m->pld[i].type == IKE_PLD_SK)
			sk = &m->pld[i];
	if (!sk)
		return -ENOENT;
	if (m->plain)
		return -EALREADY;
	if (sk->len < ivlen + icvlen + 1)
		return -EINVAL;
	sk_off = (size_t)(sk->body - m->raw);
	first = m->raw[sk_off - IKE_PLD_HDR_LEN];
	/* decrypt a copy so that the original stays intact for the
	 * response cache and for retransmission detection */
	m->plain = malloc(m->rawlen);
	if (!m->plain)
		return -ENOMEM;
	m->plainlen = m->rawlen;
	memcpy(m->plain, m->raw, m->rawlen);
	rc = crypto_ike_open(k, m->plain, m->rawlen, sk_off);
	if (rc)
		return rc;
	/* from here on the peer's keys vouch for what is inside: what is
	 * wrong with it is the peer's syntax error (RFC 7296 2.21.2) */
	ptlen = sk->len - ivlen - icvlen;
	uint8_t *pt = m->plain + sk_off + ivlen;
	uint8_t padlen = pt[ptlen - 1];
	if ((size_t)padlen + 1 > ptlen)
		return -EPROTO;
	rc = parse_chain(m, first, pt, ptlen - padlen - 1, true);
	return rc ? -EPROTO : 0;
}

/*
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Fragment Number        |        Total Fragments        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Initialization Vector                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Encrypted content                        ~
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               |             Padding (0-255 octets)            |
 * +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
 * |                                               |  Pad Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Integrity Checksum Data                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *            RFC 7383 Figure 2: Encrypted Fragment Payload
 *
 * Sealed like an SK payload whose "header" ends after Total Fragments:
 * for AEADs the associated data runs from the IKE header to the end of
 * Total Fragments (RFC 7383 2.5), for CBC the ICV covers everything
 * before it.
 */
#define SKF_FIELDS 4    /* Fragment Number, Total Fragments */

int ike_msg_frag_open(struct ike_msg *m, const struct crypto_ike_keys *k, uint8_t *first,
                      const uint8_t **content, size_t *len)
{
	const struct ike_pld *f = NULL;
	size_t ivlen = crypto_encr_iv_len(k->encr);
	size_t icvlen = crypto_ike_icv_len(k->encr, k->integ);
	size_t body_off, ptlen;
	uint8_t *pt, padlen;
	int rc;

	for (unsigned i = 0; i < m->npld; i++)
		if (m->pld[i].type == IKE_PLD_SKF)
			f = &m->pld[i];
	if (!f || !m->raw)
		return -ENOENT;
	if (m->plain)
		return -EALREADY;
	if (f->len < SKF_FIELDS + ivlen + icvlen + 1)
		return -EINVAL;
	body_off = (size_t)(f->body - m->raw);
	*first = m->raw[body_off - IKE_PLD_HDR_LEN];
	/* a copy: the datagram stays as it came (retransmission checks) */
	m->plain = malloc(m->rawlen);
	if (!m->plain)
		return -ENOMEM;
	m->plainlen = m->rawlen;
	memcpy(m->plain, m->raw, m->rawlen);
	rc = crypto_ike_open(k, m->plain, m->rawlen, body_off + SKF_FIELDS);
	if (rc)
		return rc;
	ptlen = f->len - SKF_FIELDS - ivlen - icvlen;
	pt = m->plain + body_off + SKF_FIELDS + ivlen;
	padlen = pt[ptlen - 1];
	if ((size_t)padlen + 1 > ptlen)
		return -EPROTO;
	*content = pt;
	*len = ptlen - padlen - 1;
	return 0;
}

void ike_msg_set_reassembled(struct ike_msg *m, const struct ike_hdr *h, uint8_t first,
                             uint8_t *plain, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->hdr = *h;
	m->reassembled = true;
	m->has_sk = true;   /* what the fragments carried was the SK payload's */
	m->inner_first = first;
	m->plain = plain;
	m->plainlen = len;
}

void ike_msg_clear(struct ike_msg *m)
{
	if (m->plain)
		mem_free_wipe(m->plain, m->plainlen);
	m->plain = NULL;
	m->npld = 0;
}

const struct ike_pld *ike_msg_find(const struct ike_msg *m, uint8_t type)
{
	for (unsigned i = 0; i < m->npld; i++)
		if (m->pld[i].type == type)
			return &m->pld[i];
	return NULL;
}

const struct ike_pld *ike_msg_find_notify(const struct ike_msg *m, uint16_t ntype)
{
	for (unsigned i = 0; i < m->npld; i++)
		if (m->pld[i].type == IKE_PLD_NOTIFY && get_be16(m->pld[i].body + 2) == ntype)
			return &m->pld[i];
	return NULL;
}

uint16_t ike_msg_error_notify(const struct ike_msg *m)
{
	for (unsigned i = 0; i < m->npld; i++)
		if (m->pld[i].type == IKE_PLD_NOTIFY) {
			uint16_t t = get_be16(m->pld[i].body + 2);
			if (t != 0 && t <= IKE_N_ERROR_MAX)
				return t;
		}
	return 0;
}

/* ---- building ---- */

uint8_t *ike_mb_put(struct ike_mb *mb, const void *data, size_t n)
{
	if (mb->oom)
		return NULL;
	if (mb->len + n > mb->cap) {
		size_t cap = mb->cap ? mb->cap : 512;
		while (cap < mb->len + n)
			cap *= 2;
		if (cap > IKE_MSG_MAX + 1024) {
			mb->oom = true;
			return NULL;
		}
		uint8_t *p = realloc(mb->p, cap);
		if (!p) {
			mb->oom = true;
			return NULL;
		}
		mb->p = p;
		mb->cap = cap;
	}
	uint8_t *dst = mb->p + mb->len;
	if (data)
		memcpy(dst, data, n);
	else
		memset(dst, 0, n);
	mb->len += n;
	return dst;
}

void ike_mb_init(struct ike_mb *mb, const struct ike_hdr *h)
{
	uint8_t *p;

	memset(mb, 0, sizeof(*mb));
	p = ike_mb_put(mb, NULL, IKE_HDR_LEN);
	if (!p)
		return;
	put_be64(p, h->spi_i);
	put_be64(p + 8, h->spi_r);
	p[16] = IKE_PLD_NONE;
	p[17] = IKE_VERSION;
	p[18] = h->exchange;
	p[19] = h->flags;
	put_be32(p + 20, h->msgid);
	mb->next_off = 16;
}

void ike_mb_free(struct ike_mb *mb)
{
	if (mb->p)
		mem_free_wipe(mb->p, mb->cap);
	memset(mb, 0, sizeof(*mb));
}

size_t ike_mb_open(struct ike_mb *mb, uint8_t type, bool critical)
{
	size_t off = mb->len;
	uint8_t *p = ike_mb_put(mb, NULL, IKE_PLD_HDR_LEN);

	if (!p)
		return 0;
	mb->p[mb->next_off] = type;
	p[1] = critical ? 0x80 : 0;
	mb->next_off = off;
	return off;
}

void ike_mb_close(struct ike_mb *mb, size_t off)
{
	if (mb->oom || off == 0)
		return;
	put_be16(mb->p + off + 2, (uint16_t)(mb->len - off));
}

void ike_mb_sk_open(struct ike_mb *mb, int encr)
{
	size_t off = ike_mb_open(mb, IKE_PLD_SK, false);

	mb->sk_off = off;
	ike_mb_put(mb, NULL, crypto_encr_iv_len(encr));
	/* the SK header's next payload field names the first inner payload */
	mb->next_off = off;
}

int ike_mb_finish(struct ike_mb *mb, const struct crypto_ike_keys *k)
{
	int rc = 0;

	if (mb->sk_off) {
		size_t ivlen = crypto_encr_iv_len(k->encr);
		size_t block = crypto_encr_block_len(k->encr);
		size_t icv = crypto_ike_icv_len(k->encr, k->integ);
		size_t body = mb->len - (mb->sk_off + IKE_PLD_HDR_LEN + ivlen);
		size_t pad = (block - (body + 1) % block) % block;
		uint8_t *p = ike_mb_put(mb, NULL, pad + 1);
		if (p)
			p[pad] = (uint8_t)pad;
		ike_mb_put(mb, NULL, icv);
		if (mb->oom)
			return -ENOMEM;
		put_be16(mb->p + mb->sk_off + 2, (uint16_t)(mb->len - mb->sk_off));
		put_be32(mb->p + 24, (uint32_t)mb->len);
		rc = crypto_ike_seal(k, mb->p, mb->len, mb->sk_off + IKE_PLD_HDR_LEN);
	} else {
		if (mb->oom)
			return -ENOMEM;
		put_be32(mb->p + 24, (uint32_t)mb->len);
	}
	if (mb->len > IKE_MSG_MAX)
		return -EMSGSIZE;
	return rc;
}

/* ---- fragments ---- */

/* The inner payloads of mb's open SK payload: offset and length. */
static size_t inner_off(const struct ike_mb *mb, const struct crypto_ike_keys *k)
{
	return mb->sk_off + IKE_PLD_HDR_LEN + crypto_encr_iv_len(k->encr);
}

size_t ike_mb_sealed_len(const struct ike_mb *mb, const struct crypto_ike_keys *k)
{
	size_t block, body, pad;

	if (!mb->sk_off)
		return mb->len;
	block = crypto_encr_block_len(k->encr);
	body = mb->len - inner_off(mb, k);
	pad = (block - (body + 1) % block) % block;
	return mb->len + pad + 1 + crypto_ike_icv_len(k->encr, k->integ);
}

size_t ike_frag_content_max(const struct crypto_ike_keys *k, size_t msg_max)
{
	size_t over = IKE_HDR_LEN + IKE_PLD_HDR_LEN + SKF_FIELDS + crypto_encr_iv_len(k->encr) +
	              crypto_ike_icv_len(k->encr, k->integ);
	size_t block = crypto_encr_block_len(k->encr), room;

	if (msg_max <= over)
		return 0;
	/* content, padding and the pad length byte, a multiple of the block */
	room = msg_max - over;
	room -= room % block;
	return room > 1 ? room - 1 : 0;
}

unsigned ike_mb_frag_count(const struct ike_mb *mb, const struct crypto_ike_keys *k,
                           size_t content)
{
	size_t inner;

	/* RFC 7383 2.5.3 would allow unprotected payloads in the first
	 * fragment; our messages have none (the SK payload comes first) */
	if (mb->oom || mb->sk_off != IKE_HDR_LEN || !content || mb->len < inner_off(mb, k))
		return 0;
	inner = mb->len - inner_off(mb, k);
	if (inner == 0)
		return 1;
	if ((inner + content - 1) / content > UINT16_MAX)
		return 0;
	return (unsigned)((inner + content - 1) / content);
}

int ike_msg_frag_seal(const uint8_t *hdr, uint8_t first, uint16_t num, uint16_t total,
                      const uint8_t *content, size_t len, const struct crypto_ike_keys *k,
                      uint8_t **out, size_t *outlen)
{
	size_t ivlen = crypto_encr_iv_len(k->encr);
	size_t block = crypto_encr_block_len(k->encr);
	size_t icv = crypto_ike_icv_len(k->encr, k->integ);
	size_t pad = (block - (len + 1) % block) % block;
	size_t flen = IKE_HDR_LEN + IKE_PLD_HDR_LEN + SKF_FIELDS + ivlen + len + pad + 1 + icv;
	uint8_t *buf, *p;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (flen > IKE_MSG_MAX)
		return -EINVAL;
	buf = calloc(1, flen);
	if (!buf)
		return -ENOMEM;
	/* the message's header, but for Next Payload and Length */
	memcpy(buf, hdr, IKE_HDR_LEN);
	buf[16] = IKE_PLD_SKF;
	put_be32(buf + 24, (uint32_t)flen);
	p = buf + IKE_HDR_LEN;
	p[0] = first;
	put_be16(p + 2, (uint16_t)(flen - IKE_HDR_LEN));
	put_be16(p + 4, num);
	put_be16(p + 6, total);
	p += IKE_PLD_HDR_LEN + SKF_FIELDS + ivlen;
	memcpy(p, content, len);
	p[len + pad] = (uint8_t)pad;
	rc = crypto_ike_seal(k, buf, flen, IKE_HDR_LEN + IKE_PLD_HDR_LEN + SKF_FIELDS);
	if (rc) {
		mem_free_wipe(buf, flen);
		return rc;
	}
	*out = buf;
	*outlen = flen;
	return 0;
}

int ike_mb_frag_build(const struct ike_mb *mb, const struct crypto_ike_keys *k, size_t content,
                      uint16_t num, uint16_t total, uint8_t **out, size_t *outlen)
{
	size_t off = inner_off(mb, k), inner, start, piece;

	*out = NULL;
	*outlen = 0;
	if (num < 1 || num > total || total != ike_mb_frag_count(mb, k, content))
		return -EINVAL;
	inner = mb->len - off;
	start = (size_t)(num - 1) * content;
	piece = inner - start < content ? inner - start : content;
	/* RFC 7383 2.5: the first fragment names the first inner payload,
	 * the others 0 */
	return ike_msg_frag_seal(mb->p, num == 1 ? mb->p[mb->sk_off] : IKE_PLD_NONE, num, total,
	                         mb->p + off + start, piece, k, out, outlen);
}
