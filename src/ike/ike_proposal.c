/* Proposal parsing, printing and selection. Pure functions over the
 * caller's structs. Only algorithms the crypto layer implements are
 * accepted in configuration; more are known by name so that a peer's
 * offer can be printed ("peer proposed 3des-sha1-modp1024"). */
#include "ike/ike_proposal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ike/ike_proto.h"

struct alg_name {
	const char *name;
	uint8_t type;
	uint16_t id;
	uint16_t keylen;
	bool ok_ike, ok_esp;    /* accepted in configuration */
};

static const struct alg_name algs[] = {
	{ "aes128", IKE_TRANS_ENCR, 12, 128, true, true },
	{ "aes192", IKE_TRANS_ENCR, 12, 192, true, false },
	{ "aes256", IKE_TRANS_ENCR, 12, 256, true, true },
	{ "aes", IKE_TRANS_ENCR, 12, 128, true, true },
	{ "aes128gcm16", IKE_TRANS_ENCR, 20, 128, true, true },
	{ "aes192gcm16", IKE_TRANS_ENCR, 20, 192, true, false },
	{ "aes256gcm16", IKE_TRANS_ENCR, 20, 256, true, true },
	{ "aes128gcm128", IKE_TRANS_ENCR, 20, 128, true, true },
	{ "aes256gcm128", IKE_TRANS_ENCR, 20, 256, true, true },
	{ "chacha20poly1305", IKE_TRANS_ENCR, 28, 0, true, true },
	{ "3des", IKE_TRANS_ENCR, 3, 0, false, false },
	{ "aes128gcm8", IKE_TRANS_ENCR, 18, 128, false, false },
	{ "aes128gcm12", IKE_TRANS_ENCR, 19, 128, false, false },
	{ "aes128ctr", IKE_TRANS_ENCR, 13, 128, false, false },
	{ "null", IKE_TRANS_ENCR, 11, 0, false, false },
	{ "sha256", IKE_TRANS_INTEG, 12, 0, true, true },
	{ "sha2_256", IKE_TRANS_INTEG, 12, 0, true, true },
	{ "sha384", IKE_TRANS_INTEG, 13, 0, true, true },
	{ "sha2_384", IKE_TRANS_INTEG, 13, 0, true, true },
	{ "sha512", IKE_TRANS_INTEG, 14, 0, true, true },
	{ "sha2_512", IKE_TRANS_INTEG, 14, 0, true, true },
	{ "sha1", IKE_TRANS_INTEG, 2, 0, false, false },
	{ "md5", IKE_TRANS_INTEG, 1, 0, false, false },
	{ "aesxcbc", IKE_TRANS_INTEG, 5, 0, false, false },
	{ "prfsha256", IKE_TRANS_PRF, 5, 0, true, false },
	{ "prfsha384", IKE_TRANS_PRF, 6, 0, true, false },
	{ "prfsha512", IKE_TRANS_PRF, 7, 0, true, false },
	{ "prfsha1", IKE_TRANS_PRF, 2, 0, false, false },
	{ "prfmd5", IKE_TRANS_PRF, 1, 0, false, false },
	{ "prfaesxcbc", IKE_TRANS_PRF, 4, 0, false, false },
	{ "modp2048", IKE_TRANS_DH, 14, 0, true, true },
	{ "modp3072", IKE_TRANS_DH, 15, 0, true, true },
	{ "ecp256", IKE_TRANS_DH, 19, 0, true, true },
	{ "ecp384", IKE_TRANS_DH, 20, 0, true, true },
	{ "x25519", IKE_TRANS_DH, 31, 0, true, true },
	{ "curve25519", IKE_TRANS_DH, 31, 0, true, true },
	{ "modp768", IKE_TRANS_DH, 1, 0, false, false },
	{ "modp1024", IKE_TRANS_DH, 2, 0, false, false },
	{ "modp1536", IKE_TRANS_DH, 5, 0, false, false },
	{ "modp4096", IKE_TRANS_DH, 16, 0, false, false },
	{ "ecp521", IKE_TRANS_DH, 21, 0, false, false },
	{ "x448", IKE_TRANS_DH, 32, 0, false, false },
	{ "noesn", IKE_TRANS_ESN, 0, 0, false, true },
	{ "esn", IKE_TRANS_ESN, 1, 0, false, true },
};

#define NALGS (sizeof(algs) / sizeof(algs[0]))

static bool is_aead(uint16_t encr)
{
	return encr == 20 || encr == 28 || encr == 18 || encr == 19;
}

char *ike_transform_name(const struct ike_transform *t, char *buf, size_t len)
{
	static const char *const tn[] = { "?", "ENCR", "PRF", "INTEG", "DH", "ESN" };

	for (size_t i = 0; i < NALGS; i++)
		if (algs[i].type == t->type && algs[i].id == t->id &&
		    (algs[i].keylen == t->keylen || (algs[i].keylen == 0 && t->keylen == 0))) {
			snprintf(buf, len, "%s", algs[i].name);
			return buf;
		}
	if (t->type == 0 || t->type >= IKE_TRANS_MAX)
		snprintf(buf, len, "TYPE%u_%u", t->type, t->id);
	else if (t->keylen)
		snprintf(buf, len, "%s_%u_%u", tn[t->type], t->id, t->keylen);
	else
		snprintf(buf, len, "%s_%u", tn[t->type], t->id);
	return buf;
}

char *ike_proposal_fmt(const struct ike_proposal *p, char *buf, size_t len)
{
	static const uint8_t order[] = { IKE_TRANS_ENCR, IKE_TRANS_INTEG, IKE_TRANS_PRF,
	                                 IKE_TRANS_DH, IKE_TRANS_ESN };
	size_t off = 0;
	char name[32];

	buf[0] = '\0';
	/* the known types in this order, then those we do not know */
	for (size_t o = 0; o <= sizeof(order); o++)
		for (unsigned i = 0; i < p->ntrans; i++) {
			const struct ike_transform *t = &p->trans[i];
			if (o < sizeof(order) ? t->type != order[o] :
			    t->type != 0 && t->type < IKE_TRANS_MAX)
				continue;
			/* don't print the implied "none" transforms */
			if ((t->type == IKE_TRANS_INTEG || t->type == IKE_TRANS_DH) && t->id == 0)
				continue;
			ike_transform_name(t, name, sizeof(name));
			int n = snprintf(buf + off, len > off ? len - off : 0, "%s%s",
			                 off ? "-" : "", name);
			if (n > 0)
				off += (size_t)n;
		}
	if (off >= len && len > 0)
		buf[len - 1] = '\0';
	return buf;
}

char *ike_proposals_fmt(const struct ike_proposals *ps, char *buf, size_t len)
{
	size_t off = 0;
	char one[256];

	buf[0] = '\0';
	for (unsigned i = 0; i < ps->n && off + 1 < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
		                 ike_proposal_fmt(&ps->p[i], one, sizeof(one)));
		if (n > 0)
			off += (size_t)n;
	}
	return buf;
}

uint16_t ike_proposal_get(const struct ike_proposal *p, uint8_t type, uint16_t *keylen)
{
	for (unsigned i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == type) {
			if (keylen)
				*keylen = p->trans[i].keylen;
			return p->trans[i].id;
		}
	if (keylen)
		*keylen = 0;
	return 0;
}

bool ike_proposal_has(const struct ike_proposal *p, uint8_t type, uint16_t id)
{
	for (unsigned i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == type && p->trans[i].id == id)
			return true;
	return false;
}

static bool has_type(const struct ike_proposal *p, uint8_t type)
{
	for (unsigned i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == type)
			return true;
	return false;
}

static int add_trans(struct ike_proposal *p, uint8_t type, uint16_t id, uint16_t keylen)
{
	if (p->ntrans >= IKE_PROP_MAX_TRANS)
		return -E2BIG;
	for (unsigned i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == type && p->trans[i].id == id && p->trans[i].keylen == keylen)
			return 0;
	p->trans[p->ntrans++] = (struct ike_transform){ type, id, keylen };
	return 0;
}

static int parse_one(const char *s, size_t slen, uint8_t protocol, struct ike_proposal *p,
                     char *err, size_t errlen)
{
	char tok[48];
	size_t i = 0;
	bool aead = false, plain = false;

	memset(p, 0, sizeof(*p));
	p->protocol = protocol;
	while (i < slen) {
		size_t j = i;
		while (j < slen && s[j] != '-')
			j++;
		if (j - i == 0 || j - i >= sizeof(tok)) {
			snprintf(err, errlen, "empty or overlong algorithm in '%.*s'", (int)slen, s);
			return -EINVAL;
		}
		memcpy(tok, s + i, j - i);
		tok[j - i] = '\0';
		const struct alg_name *a = NULL;
		for (size_t k = 0; k < NALGS; k++)
			if (strcmp(algs[k].name, tok) == 0) {
				a = &algs[k];
				break;
			}
		if (!a || !(protocol == IKE_PROTO_IKE ? a->ok_ike : a->ok_esp)) {
			snprintf(err, errlen, "%s algorithm '%s' in '%.*s'",
			         a ? "unsupported" : "unknown", tok, (int)slen, s);
			return -EINVAL;
		}
		if (a->type == IKE_TRANS_ENCR) {
			if (is_aead(a->id))
				aead = true;
			else
				plain = true;
		}
		if (add_trans(p, a->type, a->id, a->keylen)) {
			snprintf(err, errlen, "too many algorithms in '%.*s'", (int)slen, s);
			return -EINVAL;
		}
		/* strongSwan: in IKE proposals an integrity algorithm implies
		 * the PRF of the same hash unless a PRF is given */
		i = j + 1;
	}
	if (aead && plain) {
		snprintf(err, errlen, "'%.*s' mixes AEAD and non-AEAD ciphers", (int)slen, s);
		return -EINVAL;
	}
	if (!has_type(p, IKE_TRANS_ENCR)) {
		snprintf(err, errlen, "no encryption algorithm in '%.*s'", (int)slen, s);
		return -EINVAL;
	}
	if (plain && !has_type(p, IKE_TRANS_INTEG)) {
		snprintf(err, errlen, "no integrity algorithm in '%.*s'", (int)slen, s);
		return -EINVAL;
	}
	if (aead && has_type(p, IKE_TRANS_INTEG)) {
		snprintf(err, errlen, "AEAD cipher with an integrity algorithm in '%.*s'", (int)slen, s);
		return -EINVAL;
	}
	if (protocol == IKE_PROTO_IKE) {
		if (!has_type(p, IKE_TRANS_PRF)) {
			if (aead) {
				snprintf(err, errlen, "AEAD proposal '%.*s' needs a PRF (e.g. prfsha256)",
				         (int)slen, s);
				return -EINVAL;
			}
			unsigned n = p->ntrans;
			for (unsigned k = 0; k < n; k++)
				if (p->trans[k].type == IKE_TRANS_INTEG)
					add_trans(p, IKE_TRANS_PRF, (uint16_t)(p->trans[k].id - 7), 0);
		}
		if (!has_type(p, IKE_TRANS_DH)) {
			snprintf(err, errlen, "no key exchange method in IKE proposal '%.*s'",
			         (int)slen, s);
			return -EINVAL;
		}
		if (has_type(p, IKE_TRANS_ESN)) {
			snprintf(err, errlen, "esn/noesn in IKE proposal '%.*s'", (int)slen, s);
			return -EINVAL;
		}
	} else if (!has_type(p, IKE_TRANS_ESN)) {
		add_trans(p, IKE_TRANS_ESN, 0, 0);
	}
	return 0;
}

int ike_proposals_parse(const char *s, uint8_t protocol, struct ike_proposals *out,
                        char *err, size_t errlen)
{
	char dummy[8];
	size_t i = 0, len = strlen(s);

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	memset(out, 0, sizeof(*out));
	while (i <= len) {
		size_t j = i;
		while (j < len && s[j] != ',')
			j++;
		size_t a = i, b = j;
		while (a < b && (s[a] == ' ' || s[a] == '\t'))
			a++;
		while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
			b--;
		if (b > a) {
			if (out->n >= IKE_PROPS_MAX) {
				snprintf(err, errlen, "more than %d proposals", IKE_PROPS_MAX);
				return -EINVAL;
			}
			int rc = parse_one(s + a, b - a, protocol, &out->p[out->n], err, errlen);
			if (rc)
				return rc;
			out->p[out->n].num = (uint8_t)(out->n + 1);
			out->n++;
		}
		i = j + 1;
	}
	if (out->n == 0) {
		snprintf(err, errlen, "empty proposal list");
		return -EINVAL;
	}
	return 0;
}

/* For one transform type: the first of ours present in theirs. Types absent
 * on a side count as "none" (id 0) for INTEG, DH and ESN. Returns false if
 * there is no common transform. */
static bool pick(const struct ike_proposal *o, const struct ike_proposal *t, uint8_t type,
                 struct ike_transform *out)
{
	struct ike_transform none = { type, 0, 0 };
	bool o_has = has_type(o, type), t_has = has_type(t, type);
	bool none_ok = type == IKE_TRANS_INTEG || type == IKE_TRANS_DH || type == IKE_TRANS_ESN;

	if (!o_has && !t_has) {
		*out = none;
		return none_ok || type == IKE_TRANS_PRF;
	}
	for (unsigned i = 0; i < o->ntrans || (!o_has && i == 0); i++) {
		const struct ike_transform *a = o_has ? &o->trans[i] : &none;
		if (o_has && a->type != type)
			continue;
		if (!t_has) {
			if (none_ok && a->id == 0) {
				*out = none;
				return true;
			}
			continue;
		}
		for (unsigned j = 0; j < t->ntrans; j++) {
			const struct ike_transform *b = &t->trans[j];
			if (b->type == type && b->id == a->id && b->keylen == a->keylen) {
				*out = *a;
				return true;
			}
		}
		if (!o_has)
			break;
	}
	return false;
}

bool ike_proposal_select(const struct ike_proposals *ours, const struct ike_proposals *theirs,
                         bool ignore_dh, struct ike_proposal *chosen)
{
	for (unsigned i = 0; i < ours->n; i++) {
		for (unsigned j = 0; j < theirs->n; j++) {
			const struct ike_proposal *o = &ours->p[i], *t = &theirs->p[j];
			struct ike_proposal c;
			bool ok = true;

			/* RFC 7296 3.3.6: a transform type we do not understand
			 * makes the proposal unacceptable; the others in the SA
			 * payload are still considered */
			if (o->protocol != t->protocol || t->unknown_type || o->unknown_type)
				continue;
			memset(&c, 0, sizeof(c));
			c.num = t->num;
			c.protocol = t->protocol;
			c.spi_len = t->spi_len;
			memcpy(c.spi, t->spi, sizeof(c.spi));
			for (uint8_t type = IKE_TRANS_ENCR; type < IKE_TRANS_MAX && ok; type++) {
				struct ike_transform tr;
				if (type == IKE_TRANS_DH && ignore_dh)
					continue;
				if (type == IKE_TRANS_PRF && o->protocol != IKE_PROTO_IKE)
					continue;
				if (type == IKE_TRANS_ESN && o->protocol == IKE_PROTO_IKE)
					continue;
				if (!pick(o, t, type, &tr)) {
					ok = false;
					break;
				}
				if (tr.id != 0 || type == IKE_TRANS_ENCR || type == IKE_TRANS_ESN)
					c.trans[c.ntrans++] = tr;
			}
			if (ok && ike_proposal_get(&c, IKE_TRANS_ENCR, NULL) != 0) {
				uint16_t e = ike_proposal_get(&c, IKE_TRANS_ENCR, NULL);
				/* a non-AEAD cipher needs an integrity algorithm */
				if (!is_aead(e) && ike_proposal_get(&c, IKE_TRANS_INTEG, NULL) == 0)
					continue;
				if (o->protocol == IKE_PROTO_IKE &&
				    (ike_proposal_get(&c, IKE_TRANS_PRF, NULL) == 0 ||
				     (!ignore_dh && ike_proposal_get(&c, IKE_TRANS_DH, NULL) == 0)))
					continue;
				*chosen = c;
				return true;
			}
		}
	}
	return false;
}
