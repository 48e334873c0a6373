/* EAP messages inside IKEv2's EAP payload and EAP-MSCHAPv2's type data
 * (ike_eap.h): validate, then parse, every length against the bytes that
 * remain; encode into a message under construction. Pure functions, no
 * state. */
#include "ike/ike_eap.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "ike/ike_msg.h"
#include "ike/ike_proto.h"
#include "util/bytes.h"

#define EAP_HDR_LEN 4
#define MSCHAP_HDR_LEN 4          /* OpCode, MS-CHAPv2-ID, MS-Length */
#define MSCHAP_CHAL_VALUE 16
#define MSCHAP_RESP_VALUE 49      /* Peer-Challenge 16, Reserved 8, NT-Response 24, Flags 1 */

int ike_eap_parse(const uint8_t *body, size_t len, struct ike_eap *e)
{
	uint16_t elen;

	memset(e, 0, sizeof(*e));
	if (len < EAP_HDR_LEN)
		return -EBADMSG;
	elen = get_be16(body + 2);
	if (elen != len)
		return -EBADMSG;            /* a Length that lies, or a second message */
	e->code = body[0];
	e->id = body[1];
	switch (e->code) {
	case IKE_EAP_SUCCESS:
	case IKE_EAP_FAILURE:
		/* RFC 3748 4.2: no data */
		return len == EAP_HDR_LEN ? 0 : -EBADMSG;
	case IKE_EAP_REQUEST:
	case IKE_EAP_RESPONSE:
		if (len < EAP_HDR_LEN + 1)
			return -EBADMSG;
		e->type = body[4];
		e->data = body + 5;
		e->dlen = len - 5;
		return 0;
	default:
		return -EBADMSG;
	}
}

void ike_eap_put(struct ike_mb *mb, uint8_t code, uint8_t id, uint8_t type, const uint8_t *data,
                 size_t dlen)
{
	bool typed = code == IKE_EAP_REQUEST || code == IKE_EAP_RESPONSE;
	size_t n = EAP_HDR_LEN + (typed ? 1 + dlen : 0);
	uint8_t h[5];
	size_t off;

	if (n > 0xffff) {
		mb->oom = true;
		return;
	}
	off = ike_mb_open(mb, IKE_PLD_EAP, false);
	h[0] = code;
	h[1] = id;
	put_be16(h + 2, (uint16_t)n);
	h[4] = type;
	ike_mb_put(mb, h, typed ? 5 : 4);
	if (typed && dlen)
		ike_mb_put(mb, data, dlen);
	ike_mb_close(mb, off);
}

int ike_mschap_parse(const struct ike_eap *e, struct ike_mschap *m)
{
	const uint8_t *d = e->data;
	size_t n = e->dlen, vlen;
	static const uint8_t zero[8];

	memset(m, 0, sizeof(*m));
	if (e->type != IKE_EAP_MSCHAPV2 || n < 1)
		return -EBADMSG;
	m->op = d[0];
	if (e->code == IKE_EAP_RESPONSE && n == 1 &&
	    (m->op == IKE_MSCHAP_SUCCESS || m->op == IKE_MSCHAP_FAILURE))
		return 0;                   /* the peer's acknowledgement: OpCode alone */
	if (n < MSCHAP_HDR_LEN)
		return -EBADMSG;
	m->ms_id = d[1];
	if (get_be16(d + 2) != n)
		return -EBADMSG;            /* MS-Length must be EAP Length - 5 */
	d += MSCHAP_HDR_LEN;
	n -= MSCHAP_HDR_LEN;
	switch (m->op) {
	case IKE_MSCHAP_CHALLENGE:
	case IKE_MSCHAP_RESPONSE:
		if ((m->op == IKE_MSCHAP_CHALLENGE) != (e->code == IKE_EAP_REQUEST))
			return -EBADMSG;
		vlen = m->op == IKE_MSCHAP_CHALLENGE ? MSCHAP_CHAL_VALUE : MSCHAP_RESP_VALUE;
		if (n < 1 + vlen || d[0] != vlen)
			return -EBADMSG;
		m->chal = d + 1;
		if (m->op == IKE_MSCHAP_RESPONSE) {
			if (memcmp(d + 1 + 16, zero, 8))
				return -EBADMSG;    /* Reserved: zero (draft 2.2) */
			m->nt_resp = d + 1 + 16 + 8;
			m->flags = d[1 + 16 + 8 + 24];
		}
		m->name = d + 1 + vlen;
		m->name_len = n - 1 - vlen;
		return m->name_len <= IKE_EAP_NAME_MAX ? 0 : -EBADMSG;
	case IKE_MSCHAP_SUCCESS:
	case IKE_MSCHAP_FAILURE:
		if (e->code != IKE_EAP_REQUEST)
			return -EBADMSG;
		m->msg = d;
		m->msg_len = n;
		return 0;
	case IKE_MSCHAP_CHANGE_PASSWORD:
		return -EOPNOTSUPP;
	default:
		return -EBADMSG;
	}
}

static size_t hdr(uint8_t op, uint8_t ms_id, size_t total, uint8_t *out)
{
	out[0] = op;
	out[1] = ms_id;
	put_be16(out + 2, (uint16_t)total);
	return MSCHAP_HDR_LEN;
}

size_t ike_mschap_build_challenge(uint8_t ms_id, const uint8_t chal[16], const char *name,
                                  uint8_t *out)
{
	size_t nlen = strlen(name), total = MSCHAP_HDR_LEN + 1 + MSCHAP_CHAL_VALUE + nlen;
	size_t o;

	if (total > IKE_EAP_MSG_MAX - 5 || nlen > IKE_EAP_NAME_MAX)
		return 0;
	o = hdr(IKE_MSCHAP_CHALLENGE, ms_id, total, out);
	out[o++] = MSCHAP_CHAL_VALUE;
	memcpy(out + o, chal, MSCHAP_CHAL_VALUE);
	memcpy(out + o + MSCHAP_CHAL_VALUE, name, nlen);
	return total;
}

size_t ike_mschap_build_response(uint8_t ms_id, const uint8_t peer_chal[16],
                                 const uint8_t nt_resp[24], const uint8_t *name, size_t nlen,
                                 uint8_t *out)
{
	size_t total = MSCHAP_HDR_LEN + 1 + MSCHAP_RESP_VALUE + nlen;
	size_t o;

	if (total > IKE_EAP_MSG_MAX - 5 || nlen > IKE_EAP_NAME_MAX)
		return 0;
	o = hdr(IKE_MSCHAP_RESPONSE, ms_id, total, out);
	out[o++] = MSCHAP_RESP_VALUE;
	memcpy(out + o, peer_chal, 16);
	memset(out + o + 16, 0, 8);
	memcpy(out + o + 24, nt_resp, 24);
	out[o + 48] = 0;                 /* Flags */
	memcpy(out + o + 49, name, nlen);
	return total;
}

size_t ike_mschap_build_text(uint8_t op, uint8_t ms_id, const char *msg, uint8_t *out)
{
	size_t mlen = strlen(msg), total = MSCHAP_HDR_LEN + mlen;

	if (total > IKE_EAP_MSG_MAX - 5)
		return 0;
	hdr(op, ms_id, total, out);
	memcpy(out + MSCHAP_HDR_LEN, msg, mlen);
	return total;
}
