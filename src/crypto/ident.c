/* Identities with strongSwan's parsing, printing and matching rules
 * (identification.c in libstrongswan 5.9.8, reproduced from its documented
 * behaviour). Distinguished names are built and read with OpenSSL's
 * X509_NAME (i2d/d2i), never by hand; the RDN-by-RDN comparison walks
 * X509_NAME entries. Values only; nothing is kept between calls. */
#include "crypto/ident.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "util/log.h"
#include "util/mem.h"

/* The attribute names strongSwan accepts in DN strings (x501rdns[]), with
 * the OID and the string type it encodes values in. */
struct rdn_name {
	const char *name;
	const char *oid;
	int type;       /* V_ASN1_PRINTABLESTRING (UTF8String if not printable) or V_ASN1_IA5STRING */
};

static const struct rdn_name rdn_names[] = {
	{ "ND", "0.2.262.1.10.7.20", V_ASN1_PRINTABLESTRING },
	{ "UID", "0.9.2342.19200300.100.1.1", V_ASN1_PRINTABLESTRING },
	{ "DC", "0.9.2342.19200300.100.1.25", V_ASN1_PRINTABLESTRING },
	{ "CN", "2.5.4.3", V_ASN1_PRINTABLESTRING },
	{ "SN", "2.5.4.4", V_ASN1_PRINTABLESTRING },
	{ "serialNumber", "2.5.4.5", V_ASN1_PRINTABLESTRING },
	{ "C", "2.5.4.6", V_ASN1_PRINTABLESTRING },
	{ "L", "2.5.4.7", V_ASN1_PRINTABLESTRING },
	{ "ST", "2.5.4.8", V_ASN1_PRINTABLESTRING },
	{ "STREET", "2.5.4.9", V_ASN1_PRINTABLESTRING },
	{ "O", "2.5.4.10", V_ASN1_PRINTABLESTRING },
	{ "OU", "2.5.4.11", V_ASN1_PRINTABLESTRING },
	{ "T", "2.5.4.12", V_ASN1_PRINTABLESTRING },
	{ "D", "2.5.4.13", V_ASN1_PRINTABLESTRING },
	{ "postalAddress", "2.5.4.16", V_ASN1_PRINTABLESTRING },
	{ "postalCode", "2.5.4.17", V_ASN1_PRINTABLESTRING },
	{ "N", "2.5.4.41", V_ASN1_PRINTABLESTRING },
	{ "G", "2.5.4.42", V_ASN1_PRINTABLESTRING },
	{ "I", "2.5.4.43", V_ASN1_PRINTABLESTRING },
	{ "dnQualifier", "2.5.4.46", V_ASN1_PRINTABLESTRING },
	{ "dmdName", "2.5.4.54", V_ASN1_PRINTABLESTRING },
	{ "pseudonym", "2.5.4.65", V_ASN1_PRINTABLESTRING },
	{ "ID", "2.5.4.45", V_ASN1_PRINTABLESTRING },
	{ "EN", "2.16.840.1.113730.3.1.3", V_ASN1_PRINTABLESTRING },
	{ "employeeNumber", "2.16.840.1.113730.3.1.3", V_ASN1_PRINTABLESTRING },
	{ "E", "1.2.840.113549.1.9.1", V_ASN1_IA5STRING },
	{ "Email", "1.2.840.113549.1.9.1", V_ASN1_IA5STRING },
	{ "emailAddress", "1.2.840.113549.1.9.1", V_ASN1_IA5STRING },
	{ "UN", "1.2.840.113549.1.9.2", V_ASN1_IA5STRING },
	{ "unstructuredName", "1.2.840.113549.1.9.2", V_ASN1_IA5STRING },
	{ "UA", "1.2.840.113549.1.9.8", V_ASN1_PRINTABLESTRING },
	{ "unstructuredAddress", "1.2.840.113549.1.9.8", V_ASN1_PRINTABLESTRING },
};

/* The names strongSwan prints for attribute OIDs (its oid.txt). */
static const struct { const char *oid, *name; } rdn_print_names[] = {
	{ "0.2.262.1.10.7.20", "ND" },
	{ "0.9.2342.19200300.100.1.1", "UID" },
	{ "0.9.2342.19200300.100.1.25", "DC" },
	{ "2.5.4.3", "CN" }, { "2.5.4.4", "SN" }, { "2.5.4.5", "serialNumber" },
	{ "2.5.4.6", "C" }, { "2.5.4.7", "L" }, { "2.5.4.8", "ST" },
	{ "2.5.4.9", "STREET" }, { "2.5.4.10", "O" }, { "2.5.4.11", "OU" },
	{ "2.5.4.12", "T" }, { "2.5.4.13", "D" }, { "2.5.4.16", "postalAddress" },
	{ "2.5.4.17", "postalCode" }, { "2.5.4.41", "N" }, { "2.5.4.42", "G" },
	{ "2.5.4.43", "I" }, { "2.5.4.45", "ID" }, { "2.5.4.46", "dnQualifier" },
	{ "2.5.4.54", "dmdName" }, { "2.5.4.65", "pseudonym" }, { "2.5.4.72", "role" },
	{ "1.2.840.113549.1.9.1", "E" }, { "1.2.840.113549.1.9.2", "unstructuredName" },
	{ "1.2.840.113549.1.9.8", "unstructuredAddress" },
	{ "2.16.840.1.113730.3.1.3", "employeeNumber" },
};

#define RDN_MAX 20          /* strongSwan's atodn() limit */
#define EMAIL_OID "1.2.840.113549.1.9.1"

static int set_data(struct crypto_id *id, int type, const void *p, size_t n,
                    char *err, size_t errlen)
{
	if (n > CRYPTO_ID_MAX)
		return log_reason(err, errlen, "identity longer than %d bytes", CRYPTO_ID_MAX);
	id->type = (uint8_t)type;
	id->len = (uint16_t)n;
	if (n)
		memcpy(id->data, p, n);
	return 0;
}

static int set_hex(struct crypto_id *id, int type, const char *hex, char *err, size_t errlen)
{
	int n;

	if (strlen(hex) > 2 * CRYPTO_ID_MAX)
		return log_reason(err, errlen, "identity longer than %d bytes", CRYPTO_ID_MAX);
	n = mem_from_hex(hex, id->data, CRYPTO_ID_MAX);
	if (n < 0)
		return log_reason(err, errlen, "invalid hex in identity");
	id->type = (uint8_t)type;
	id->len = (uint16_t)n;
	return 0;
}

/* ASN.1 PrintableString characters (X.680 41.4). */
static bool is_printablestring(const char *s, size_t n)
{
	static const char extra[] = " '()+,-./:=?";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(c < 0x80 && isalnum(c)) && !strchr(extra, c))
			return false;
	}
	return true;
}

/* ---- DN strings (strongSwan's atodn) ---- */

enum dn_state { SEARCH_OID, READ_OID, SEARCH_NAME, READ_NAME, UNKNOWN_OID };

/* Append one single-valued RDN. */
static int dn_add(X509_NAME *name, const struct rdn_name *r, const char *v, size_t n)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(r->oid, 1);
	int type = r->type;
	int ok;

	if (!obj)
		return -ENOMEM;
	if (type == V_ASN1_PRINTABLESTRING && !is_printablestring(v, n))
		type = V_ASN1_UTF8STRING;
	/* With an explicit string type OpenSSL stores the bytes as given. */
	ok = X509_NAME_add_entry_by_OBJ(name, obj, type, (const unsigned char *)(n ? v : ""),
	                                (int)n, -1, 0);
	ASN1_OBJECT_free(obj);
	return ok == 1 ? 0 : -ENOMEM;
}

/* Parse "C=CH, O=strongSwan, CN=moon" (or "/C=CH/O=..") into DER.
 * Returns 0, -ENOTSUP (not a DN we know: the caller falls back to KEY_ID,
 * as strongSwan does) or -EINVAL (too long). */
static int dn_parse(const char *src, struct crypto_id *id, char *err, size_t errlen)
{
	enum dn_state state = SEARCH_OID;
	const char *oid = NULL, *val = NULL;
	size_t oidlen = 0, vallen = 0, white = 0;
	const struct rdn_name *cur = NULL;
	char sep = '\0';
	int count = 0, rc = 0;
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	int derlen;

	if (!name)
		return -ENOMEM;
	for (;; src++) {
		char c = *src;

		switch (state) {
		case SEARCH_OID:
			if (!sep && c == '/') {
				sep = '/';
				break;
			}
			if (c != ' ' && c != '\0') {
				if (!sep)
					sep = ',';
				oid = src;
				oidlen = 1;
				state = READ_OID;
			}
			break;
		case READ_OID:
			if (c != ' ' && c != '=' && c != '\0') {
				oidlen++;
				break;
			}
			if (c == '\0') {
				rc = -ENOTSUP;      /* unterminated attribute name */
				break;
			}
			cur = NULL;
			for (size_t i = 0; i < sizeof(rdn_names) / sizeof(rdn_names[0]); i++)
				if (strlen(rdn_names[i].name) == oidlen &&
				    strncasecmp(rdn_names[i].name, oid, oidlen) == 0) {
					cur = &rdn_names[i];
					break;
				}
			state = cur ? SEARCH_NAME : UNKNOWN_OID;
			if (!cur)
				rc = -ENOTSUP;
			break;
		case SEARCH_NAME:
			if (c == ' ' || c == '=')
				break;
			if (c != sep && c != '\0') {
				val = src;
				vallen = 1;
				white = 0;
				state = READ_NAME;
				break;
			}
			/* an empty value: c is the separator or the end */
			val = src;
			vallen = 0;
			white = 0;
			state = READ_NAME;
			/* fall through */
		case READ_NAME:
			if (c != sep && c != '\0') {
				vallen++;
				white = c == ' ' ? white + 1 : 0;
				break;
			}
			vallen -= white;
			if (count >= RDN_MAX) {
				rc = -ENOTSUP;
			} else if (rc == 0) {
				int r = dn_add(name, cur, val, vallen);
				if (r)
					rc = r;
				count++;
			}
			state = SEARCH_OID;
			break;
		case UNKNOWN_OID:
			break;
		}
		if (c == '\0' || rc == -ENOMEM)
			break;
	}
	if (state == READ_OID && rc == 0)
		rc = -ENOTSUP;
	if (rc == 0) {
		derlen = i2d_X509_NAME(name, &der);
		if (derlen <= 0)
			rc = -ENOTSUP;
		else
			rc = set_data(id, CRYPTO_ID_DER_ASN1_DN, der, (size_t)derlen, err, errlen);
		OPENSSL_free(der);
	}
	X509_NAME_free(name);
	return rc;
}

/* ---- addresses ---- */

static int netmask_bits(const uint8_t *mask, size_t n)
{
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t b = mask[i];
		if (b == 0)
			break;
		if (b == 0xff) {
			bits += 8;
			continue;
		}
		while (b & 0x80) {
			bits++;
			b <<= 1;
		}
	}
	return bits;
}

/* "a", "a/bits", "a-b" (strongSwan's create_ip_address_from_string).
 * Returns 0 or -1 if s is not an address of that family. */
static int ip_parse(const char *s, bool v4, struct crypto_id *id)
{
	size_t asz = v4 ? 4 : 16;
	int af = v4 ? AF_INET : AF_INET6;
	uint8_t enc[32];
	char buf[128];
	char *sep;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	sep = strchr(buf, '/');
	if (sep) {
		char *end;
		long bits;

		*sep = '\0';
		if (inet_pton(af, buf, enc) != 1)
			return -1;
		/* strongSwan uses atoi(); be as lenient about the number but keep it sane */
		bits = strtol(sep + 1, &end, 10);
		if (end == sep + 1 || bits < 0 || bits > (long)(8 * asz))
			return -1;
		for (size_t i = 0; i < asz; i++) {
			int b = bits > 8 ? 8 : (int)bits;
			uint8_t m = (uint8_t)(b ? 0xff << (8 - b) : 0);
			enc[asz + i] = m;
			enc[i] &= m;
			bits -= b;
		}
		return set_data(id, v4 ? CRYPTO_ID_IPV4_ADDR_SUBNET : CRYPTO_ID_IPV6_ADDR_SUBNET,
		                enc, 2 * asz, NULL, 0);
	}
	sep = strchr(buf, '-');
	if (sep) {
		*sep = '\0';
		if (inet_pton(af, buf, enc) != 1 || inet_pton(af, sep + 1, enc + asz) != 1)
			return -1;
		if (memcmp(enc, enc + asz, asz) > 0)
			return -1;
		return set_data(id, v4 ? CRYPTO_ID_IPV4_ADDR_RANGE : CRYPTO_ID_IPV6_ADDR_RANGE,
		                enc, 2 * asz, NULL, 0);
	}
	if (inet_pton(af, buf, enc) != 1)
		return -1;
	return set_data(id, v4 ? CRYPTO_ID_IPV4_ADDR : CRYPTO_ID_IPV6_ADDR, enc, asz, NULL, 0);
}

/* ---- parsing ---- */

static const struct { const char *pfx; int type; } prefixes[] = {
	{ "ipv4:", CRYPTO_ID_IPV4_ADDR }, { "ipv6:", CRYPTO_ID_IPV6_ADDR },
	{ "ipv4net:", CRYPTO_ID_IPV4_ADDR_SUBNET }, { "ipv6net:", CRYPTO_ID_IPV6_ADDR_SUBNET },
	{ "ipv4range:", CRYPTO_ID_IPV4_ADDR_RANGE }, { "ipv6range:", CRYPTO_ID_IPV6_ADDR_RANGE },
	{ "rfc822:", CRYPTO_ID_RFC822_ADDR }, { "email:", CRYPTO_ID_RFC822_ADDR },
	{ "userfqdn:", CRYPTO_ID_RFC822_ADDR }, { "fqdn:", CRYPTO_ID_FQDN },
	{ "dns:", CRYPTO_ID_FQDN }, { "asn1dn:", CRYPTO_ID_DER_ASN1_DN },
	{ "asn1gn:", CRYPTO_ID_DER_ASN1_GN }, { "keyid:", CRYPTO_ID_KEY_ID },
};

int crypto_id_parse(const char *s, struct crypto_id *id, char *err, size_t errlen)
{
	int rc;

	memset(id, 0, sizeof(*id));
	if (!s)
		return 0;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i].pfx);
		if (strncasecmp(s, prefixes[i].pfx, n) == 0) {
			s += n;
			if (*s == '#')
				return set_hex(id, prefixes[i].type, s + 1, err, errlen);
			return set_data(id, prefixes[i].type, s, strlen(s), err, errlen);
		}
	}
	if (s[0] == '{') {
		char *end;
		unsigned long t = strtoul(s + 1, &end, 0);

		if (end != s + 1 && end[0] == '}' && end[1] == ':') {
			if (t > 255)
				return log_reason(err, errlen, "identity type %lu out of range", t);
			s = end + 2;
			if (*s == '#')
				return set_hex(id, (int)t, s + 1, err, errlen);
			return set_data(id, (int)t, s, strlen(s), err, errlen);
		}
	}
	if (strchr(s, '=')) {
		rc = dn_parse(s, id, err, errlen);
		if (rc == -ENOTSUP) {
			memset(id, 0, sizeof(*id));
			return set_data(id, CRYPTO_ID_KEY_ID, s, strlen(s), err, errlen);
		}
		return rc;
	}
	if (!strchr(s, '@')) {
		static const char *const any[] = { "", "%any", "%any6", "0.0.0.0", "*", "::", "0::0" };
		for (size_t i = 0; i < sizeof(any) / sizeof(any[0]); i++)
			if (strcmp(s, any[i]) == 0)
				return 0;
		if (!strchr(s, ':')) {
			if (ip_parse(s, true, id) == 0)
				return 0;
			return set_data(id, CRYPTO_ID_FQDN, s, strlen(s), err, errlen);
		}
		if (ip_parse(s, false, id) == 0)
			return 0;
		return set_data(id, CRYPTO_ID_KEY_ID, s, strlen(s), err, errlen);
	}
	if (s[0] == '@') {
		if (s[1] == '#')
			return set_hex(id, CRYPTO_ID_KEY_ID, s + 2, err, errlen);
		if (s[1] == '@')
			return set_data(id, CRYPTO_ID_RFC822_ADDR, s + 2, strlen(s + 2), err, errlen);
		return set_data(id, CRYPTO_ID_FQDN, s + 1, strlen(s + 1), err, errlen);
	}
	return set_data(id, CRYPTO_ID_RFC822_ADDR, s, strlen(s), err, errlen);
}

/* ---- DNs as X509_NAME ---- */

static X509_NAME *dn_decode(const struct crypto_id *id)
{
	const unsigned char *p = id->data;
	X509_NAME *n;

	if (id->type != CRYPTO_ID_DER_ASN1_DN || id->len == 0)
		return NULL;
	n = d2i_X509_NAME(NULL, &p, id->len);
	if (n && p != id->data + id->len) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

int crypto_id_from_dn_der(const uint8_t *der, size_t len, struct crypto_id *id)
{
	memset(id, 0, sizeof(*id));
	if (len == 0 || len > CRYPTO_ID_MAX)
		return -EBADMSG;
	id->type = CRYPTO_ID_DER_ASN1_DN;
	id->len = (uint16_t)len;
	memcpy(id->data, der, len);
	if (crypto_id_dn_count(id) < 0) {
		memset(id, 0, sizeof(*id));
		return -EBADMSG;
	}
	return 0;
}

int crypto_id_dn_count(const struct crypto_id *id)
{
	X509_NAME *n = dn_decode(id);
	int c;

	if (!n)
		return -1;
	c = X509_NAME_entry_count(n);
	X509_NAME_free(n);
	return c;
}

int crypto_id_from_payload(uint8_t type, const uint8_t *data, size_t len,
                           struct crypto_id *id, char *err, size_t errlen)
{
	memset(id, 0, sizeof(*id));
	if (len > CRYPTO_ID_MAX) {
		log_reason(err, errlen, "identification data of %zu bytes (at most %d)", len, CRYPTO_ID_MAX);
		return -EBADMSG;
	}
	switch (type) {
	case CRYPTO_ID_IPV4_ADDR:
		if (len != 4)
			goto bad_len;
		break;
	case CRYPTO_ID_IPV6_ADDR:
		if (len != 16)
			goto bad_len;
		break;
	case CRYPTO_ID_DER_ASN1_DN:
		if (crypto_id_from_dn_der(data, len, id)) {
			log_reason(err, errlen, "ID_DER_ASN1_DN is not a well-formed distinguished name");
			return -EBADMSG;
		}
		return 0;
	case CRYPTO_ID_ANY:
		log_reason(err, errlen, "identification type 0 is reserved");
		return -EBADMSG;
	default:
		break;
	}
	id->type = type;
	id->len = (uint16_t)len;
	if (len)
		memcpy(id->data, data, len);
	return 0;
bad_len:
	log_reason(err, errlen, "ID type %u with %zu bytes of address", type, len);
	return -EBADMSG;
}

/* ---- printing ---- */

struct out {
	char *buf;
	size_t len, pos;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->pos >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->pos += (size_t)n;
	if (o->pos >= o->len)
		o->pos = o->len;
}

/* Bytes with non-printable ones as '?' (strongSwan's chunk_printable). */
static void put_printable(struct out *o, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n && o->pos + 1 < o->len; i++) {
		o->buf[o->pos++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
		o->buf[o->pos] = '\0';
	}
}

static void put_hex(struct out *o, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(o, i ? ":%02x" : "%02x", p[i]);
}

static bool all_printable(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] >= 0x7f)
			return false;
	return true;
}

static const char *rdn_print_name(const ASN1_OBJECT *obj, char *num, size_t numlen)
{
	if (OBJ_obj2txt(num, (int)numlen, obj, 1) <= 0)
		return NULL;
	for (size_t i = 0; i < sizeof(rdn_print_names) / sizeof(rdn_print_names[0]); i++)
		if (strcmp(rdn_print_names[i].oid, num) == 0)
			return rdn_print_names[i].name;
	return NULL;
}

static void put_dn(struct out *o, const struct crypto_id *id)
{
	X509_NAME *n = dn_decode(id);
	int count;

	if (!n) {
		put(o, "(invalid ID_DER_ASN1_DN)");
		return;
	}
	count = X509_NAME_entry_count(n);
	for (int i = 0; i < count; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(n, i);
		const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
		const ASN1_STRING *v = X509_NAME_ENTRY_get_data(e);
		char num[128];
		const char *nm = rdn_print_name(obj, num, sizeof(num));

		if (i)
			put(o, ", ");
		if (nm) {
			put(o, "%s=", nm);
		} else {
			/* strongSwan prints an unknown OID as the hex of its body */
			unsigned char *der = NULL;
			int dl = i2d_ASN1_OBJECT(obj, &der);
			if (dl > 2)
				put_hex(o, der + 2, (size_t)dl - 2);
			OPENSSL_free(der);
			put(o, "=");
		}
		put_printable(o, ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v));
	}
	X509_NAME_free(n);
}

char *crypto_id_fmt(const struct crypto_id *id, char *buf, size_t buflen)
{
	struct out o = { buf, buflen, 0 };
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (!buflen)
		return buf;
	buf[0] = '\0';
	switch (id->type) {
	case CRYPTO_ID_ANY:
		put(&o, "%%any");
		break;
	case CRYPTO_ID_IPV4_ADDR:
	case CRYPTO_ID_IPV6_ADDR: {
		int af = id->type == CRYPTO_ID_IPV4_ADDR ? AF_INET : AF_INET6;
		size_t sz = af == AF_INET ? 4 : 16;
		if (id->len < sz || !inet_ntop(af, id->data, a, sizeof(a)))
			put(&o, "(invalid %s)", af == AF_INET ? "ID_IPV4_ADDR" : "ID_IPV6_ADDR");
		else
			put(&o, "%s", a);
		break;
	}
	case CRYPTO_ID_IPV4_ADDR_SUBNET:
	case CRYPTO_ID_IPV6_ADDR_SUBNET:
	case CRYPTO_ID_IPV4_ADDR_RANGE:
	case CRYPTO_ID_IPV6_ADDR_RANGE: {
		bool v4 = id->type == CRYPTO_ID_IPV4_ADDR_SUBNET || id->type == CRYPTO_ID_IPV4_ADDR_RANGE;
		bool subnet = id->type == CRYPTO_ID_IPV4_ADDR_SUBNET || id->type == CRYPTO_ID_IPV6_ADDR_SUBNET;
		int af = v4 ? AF_INET : AF_INET6;
		size_t sz = v4 ? 4 : 16;
		if (id->len < 2 * sz || !inet_ntop(af, id->data, a, sizeof(a)) ||
		    !inet_ntop(af, id->data + sz, b, sizeof(b))) {
			put(&o, "(invalid ID type %u)", id->type);
		} else if (subnet) {
			put(&o, "%s/%d", a, netmask_bits(id->data + sz, sz));
		} else {
			put(&o, "%s-%s", a, b);
		}
		break;
	}
	case CRYPTO_ID_FQDN:
	case CRYPTO_ID_RFC822_ADDR:
	case CRYPTO_ID_DER_ASN1_GN_URI:
		put_printable(&o, id->data, id->len);
		break;
	case CRYPTO_ID_DER_ASN1_DN:
		put_dn(&o, id);
		break;
	case CRYPTO_ID_DER_ASN1_GN:
		put(&o, "(ASN.1 general name)");
		break;
	case CRYPTO_ID_KEY_ID:
		if (all_printable(id->data, id->len) && id->len != 20)
			put_printable(&o, id->data, id->len);
		else
			put_hex(&o, id->data, id->len);
		break;
	default:
		put(&o, "(unknown ID type: %u)", id->type);
		break;
	}
	return buf;
}

/* ---- matching ---- */

static bool rdn_value_equal(const ASN1_OBJECT *oid, const ASN1_STRING *a, const ASN1_STRING *b)
{
	int ta = ASN1_STRING_type(a), tb = ASN1_STRING_type(b);
	int la = ASN1_STRING_length(a), lb = ASN1_STRING_length(b);
	const char *pa = (const char *)ASN1_STRING_get0_data(a);
	const char *pb = (const char *)ASN1_STRING_get0_data(b);
	char num[64];

	if (la != lb)
		return false;
	if (ta == tb && (ta == V_ASN1_PRINTABLESTRING ||
	    (ta == V_ASN1_IA5STRING && OBJ_obj2txt(num, sizeof(num), oid, 1) > 0 &&
	     strcmp(num, EMAIL_OID) == 0)))
		return strncasecmp(pa, pb, (size_t)la) == 0;
	return memcmp(pa, pb, (size_t)la) == 0;
}

static bool is_wildcard(const ASN1_STRING *s)
{
	return ASN1_STRING_length(s) == 1 && ASN1_STRING_get0_data(s)[0] == '*';
}

/* strongSwan's compare_dn(): same number of RDNs, pairwise same attribute
 * type, values equal or "*" in the pattern (wc counts them; with wc NULL no
 * wildcards are allowed). */
static bool dn_compare(const struct crypto_id *t, const struct crypto_id *o, int *wc)
{
	X509_NAME *tn, *on;
	bool ok = false;
	int n;

	if (wc)
		*wc = 0;
	if (t->len == o->len && memcmp(t->data, o->data, t->len) == 0)
		return crypto_id_dn_count(t) >= 0;
	tn = dn_decode(t);
	on = dn_decode(o);
	if (!tn || !on)
		goto out;
	n = X509_NAME_entry_count(tn);
	if (n != X509_NAME_entry_count(on))
		goto out;
	for (int i = 0; i < n; i++) {
		const X509_NAME_ENTRY *te = X509_NAME_get_entry(tn, i);
		const X509_NAME_ENTRY *oe = X509_NAME_get_entry(on, i);
		const ASN1_OBJECT *toid = X509_NAME_ENTRY_get_object(te);
		const ASN1_STRING *tv = X509_NAME_ENTRY_get_data(te);
		const ASN1_STRING *ov = X509_NAME_ENTRY_get_data(oe);

		if (OBJ_cmp(toid, X509_NAME_ENTRY_get_object(oe)) != 0)
			goto out;
		if (wc && is_wildcard(ov)) {
			(*wc)++;
			continue;
		}
		if (!rdn_value_equal(toid, tv, ov))
			goto out;
	}
	ok = true;
out:
	X509_NAME_free(tn);
	X509_NAME_free(on);
	return ok;
}

static bool no_nul(const struct crypto_id *id)
{
	return memchr(id->data, 0, id->len) == NULL;
}

static bool string_equal(const struct crypto_id *a, const struct crypto_id *b)
{
	return a->type == b->type && a->len == b->len && no_nul(a) && no_nul(b) &&
	       strncasecmp((const char *)a->data, (const char *)b->data, a->len) == 0;
}

static enum crypto_id_match match_string(const struct crypto_id *id, const struct crypto_id *p)
{
	size_t len = p->len;

	if (id->type != p->type)
		return CRYPTO_ID_MATCH_NONE;
	if (string_equal(id, p))
		return CRYPTO_ID_MATCH_PERFECT;
	if (len == 0 || id->len < len)
		return CRYPTO_ID_MATCH_NONE;
	if (p->data[0] == '*') {
		if (len == 1)
			return CRYPTO_ID_MATCH_ANY;
		len--;
		if (memchr(p->data + 1, 0, len) == NULL && memchr(id->data, 0, id->len) == NULL &&
		    strncasecmp((const char *)id->data + id->len - len,
		                (const char *)p->data + 1, len) == 0)
			return CRYPTO_ID_MATCH_ONE_WILDCARD;
	}
	return CRYPTO_ID_MATCH_NONE;
}

static enum crypto_id_match match_range(const struct crypto_id *id, const struct crypto_id *p)
{
	size_t sz = id->type == CRYPTO_ID_IPV4_ADDR ? 4 : 16;
	const uint8_t *a = id->data, *x = p->data, *y = p->data + sz;

	if (id->type == p->type && id->len == p->len && memcmp(id->data, p->data, id->len) == 0)
		return CRYPTO_ID_MATCH_PERFECT;
	if (id->len != sz || p->len != 2 * sz)
		return CRYPTO_ID_MATCH_NONE;
	if ((id->type == CRYPTO_ID_IPV4_ADDR && p->type == CRYPTO_ID_IPV4_ADDR_SUBNET) ||
	    (id->type == CRYPTO_ID_IPV6_ADDR && p->type == CRYPTO_ID_IPV6_ADDR_SUBNET)) {
		int bits = netmask_bits(y, sz);
		if (bits == 0)
			return CRYPTO_ID_MATCH_MAX_WILDCARDS;
		if (bits == (int)(8 * sz))
			return memcmp(a, x, sz) == 0 ? CRYPTO_ID_MATCH_PERFECT : CRYPTO_ID_MATCH_NONE;
		for (size_t i = 0; i < sz; i++)
			if ((a[i] ^ x[i]) & y[i])
				return CRYPTO_ID_MATCH_NONE;
		return CRYPTO_ID_MATCH_ONE_WILDCARD;
	}
	if ((id->type == CRYPTO_ID_IPV4_ADDR && p->type == CRYPTO_ID_IPV4_ADDR_RANGE) ||
	    (id->type == CRYPTO_ID_IPV6_ADDR && p->type == CRYPTO_ID_IPV6_ADDR_RANGE)) {
		int sign = memcmp(y, x, sz);
		if (sign < 0 || memcmp(a, x, sz) < 0 || memcmp(a, y, sz) > 0)
			return CRYPTO_ID_MATCH_NONE;
		return sign ? CRYPTO_ID_MATCH_ONE_WILDCARD : CRYPTO_ID_MATCH_PERFECT;
	}
	return CRYPTO_ID_MATCH_NONE;
}

enum crypto_id_match crypto_id_match(const struct crypto_id *id, const struct crypto_id *pattern)
{
	int wc;

	if (pattern->type == CRYPTO_ID_ANY)
		return CRYPTO_ID_MATCH_ANY;
	switch (id->type) {
	case CRYPTO_ID_ANY:
		return CRYPTO_ID_MATCH_NONE;
	case CRYPTO_ID_FQDN:
	case CRYPTO_ID_RFC822_ADDR:
		return match_string(id, pattern);
	case CRYPTO_ID_DER_ASN1_DN:
		if (pattern->type != CRYPTO_ID_DER_ASN1_DN || !dn_compare(id, pattern, &wc))
			return CRYPTO_ID_MATCH_NONE;
		if (wc > CRYPTO_ID_MATCH_ONE_WILDCARD - CRYPTO_ID_MATCH_MAX_WILDCARDS)
			wc = CRYPTO_ID_MATCH_ONE_WILDCARD - CRYPTO_ID_MATCH_MAX_WILDCARDS;
		return (enum crypto_id_match)(CRYPTO_ID_MATCH_PERFECT - wc);
	case CRYPTO_ID_IPV4_ADDR:
	case CRYPTO_ID_IPV6_ADDR:
		return match_range(id, pattern);
	default:
		return id->type == pattern->type && id->len == pattern->len &&
		       memcmp(id->data, pattern->data, id->len) == 0 ?
		       CRYPTO_ID_MATCH_PERFECT : CRYPTO_ID_MATCH_NONE;
	}
}

bool crypto_id_equal(const struct crypto_id *a, const struct crypto_id *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case CRYPTO_ID_ANY:
		return true;
	case CRYPTO_ID_FQDN:
	case CRYPTO_ID_RFC822_ADDR:
		return string_equal(a, b);
	case CRYPTO_ID_DER_ASN1_DN:
		return a->len == b->len && dn_compare(a, b, NULL);
	default:
		return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
	}
}

bool crypto_id_has_wildcards(const struct crypto_id *id)
{
	X509_NAME *n;
	bool wc = false;

	switch (id->type) {
	case CRYPTO_ID_ANY:
	case CRYPTO_ID_IPV4_ADDR_SUBNET:
	case CRYPTO_ID_IPV6_ADDR_SUBNET:
	case CRYPTO_ID_IPV4_ADDR_RANGE:
	case CRYPTO_ID_IPV6_ADDR_RANGE:
		return true;
	case CRYPTO_ID_FQDN:
	case CRYPTO_ID_RFC822_ADDR:
		return memchr(id->data, '*', id->len) != NULL;
	case CRYPTO_ID_DER_ASN1_DN:
		n = dn_decode(id);
		for (int i = 0; n && i < X509_NAME_entry_count(n); i++)
			if (is_wildcard(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i))))
				wc = true;
		X509_NAME_free(n);
		return wc;
	default:
		return false;
	}
}
