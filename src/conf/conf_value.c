/* Typed swanctl.conf values: durations, booleans, numbers, secrets, lists,
 * identities, addresses and traffic selectors, following the rules of
 * strongSwan's vici_config.c and identification.c. Pure functions of their
 * input; nothing here keeps state. */
#include "conf/conf.h"
#include "conf/conf_value.h"
#include "util/mem.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- scalars ------------------------------------------------------------ */

/* Unsigned decimal or 0x hex at s; stops at the first other character.
 * Returns the number of characters used (0: none) or -1 on overflow. */
static int scan_uint(const char *s, uint64_t *out)
{
	const char *p = s;
	uint64_t v = 0;
	unsigned base = 10;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) {
		base = 16;
		p += 2;
	}
	if (!isxdigit((unsigned char)*p) || (base == 10 && !isdigit((unsigned char)*p)))
		return 0;
	for (;; p++) {
		unsigned d;

		if (isdigit((unsigned char)*p))
			d = (unsigned)(*p - '0');
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	*out = v;
	return (int)(p - s);
}

int conf_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;
	int n = scan_uint(s, &v);

	if (n <= 0 || s[n] != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A number with an optional one-letter unit suffix (case-insensitive,
 * spaces allowed before it); units is a NUL-terminated list of lower-case
 * letters and mul their multipliers. A plain number counts 1 each. */
static int parse_scaled(const char *s, const char *units, const uint64_t *mul,
                        uint64_t *out)
{
	uint64_t v, m = 1;
	int n = scan_uint(s, &v);
	const char *p, *u;

	if (n <= 0)
		return -EINVAL;
	p = s + n;
	while (*p == ' ')
		p++;
	if (*p) {
		u = strchr(units, tolower((unsigned char)*p));
		if (!u)
			return -EINVAL;
		m = mul[u - units];
		p++;
	}
	if (*p != '\0' || v > UINT64_MAX / m)
		return -EINVAL;
	*out = v * m;
	return 0;
}

int conf_parse_duration(const char *s, uint64_t *out)
{
	static const uint64_t mul[] = { 86400, 3600, 60, 1 };

	return parse_scaled(s, "dhms", mul, out);
}

int conf_parse_bytes(const char *s, uint64_t *out)
{
	static const uint64_t mul[] = { 1ull << 30, 1ull << 20, 1ull << 10 };

	return parse_scaled(s, "gmk", mul, out);
}

int conf_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "enabled", "1" };
	static const char *const no[] = { "no", "false", "disabled", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 with optional '=' padding; white space is skipped. */
static int base64_decode(const char *s, uint8_t *out, size_t *outlen)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t n = 0;
	bool pad = false;

	for (; *s; s++) {
		int v;

		if (isspace((unsigned char)*s))
			continue;
		if (*s == '=') {
			pad = true;
			continue;
		}
		v = b64val((unsigned char)*s);
		if (v < 0 || pad)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	acc = 0;
	*outlen = n;
	return 0;
}

int conf_parse_secret(const char *s, uint8_t **out, size_t *len)
{
	size_t slen = strlen(s), n = 0;
	uint8_t *buf;
	int rc = 0;

	if (slen == 0)
		return -EINVAL;
	buf = malloc(slen + 1);
	if (!buf)
		return -ENOMEM;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		int r = mem_from_hex(s + 2, buf, slen);
		if (r < 0)
			rc = -EINVAL;
		else
			n = (size_t)r;
	} else if (s[0] == '0' && s[1] == 's') {
		rc = base64_decode(s + 2, buf, &n);
	} else {
		memcpy(buf, s, slen);
		n = slen;
	}
	if (!rc && n == 0)
		rc = -EINVAL;
	if (rc) {
		mem_free_wipe(buf, slen + 1);
		return rc;
	}
	*out = buf;
	*len = n;
	return 0;
}

void conf_list_free(char **items, size_t n)
{
	if (!items)
		return;
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

int conf_split_list(const char *s, char ***items, size_t *n)
{
	size_t count = 1, k = 0;
	char **arr;

	for (const char *p = s; *p; p++)
		if (*p == ',')
			count++;
	arr = calloc(count, sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	for (const char *p = s;; ) {
		const char *end = strchr(p, ',');
		const char *e = end ? end : p + strlen(p);

		while (p < e && isspace((unsigned char)*p))
			p++;
		while (e > p && isspace((unsigned char)e[-1]))
			e--;
		if (e == p) {
			conf_list_free(arr, k);
			return -EINVAL;
		}
		arr[k] = strndup(p, (size_t)(e - p));
		if (!arr[k]) {
			conf_list_free(arr, k);
			return -ENOMEM;
		}
		k++;
		if (!end)
			break;
		p = end + 1;
	}
	*items = arr;
	*n = k;
	return 0;
}

/* ---- identities ----------------------------------------------------------- */

static int id_set(struct conf_id *id, unsigned type, const void *data, size_t len,
                  const char **why)
{
	if (len > CONF_ID_MAX) {
		if (why)
			*why = "identity longer than 256 bytes";
		return -EINVAL;
	}
	memset(id, 0, sizeof(*id));
	id->type = (uint8_t)type;
	id->len = (uint16_t)len;
	if (len)
		memcpy(id->data, data, len);
	return 0;
}

/* Hex after '#': pairs of hex digits, ':' separators allowed. */
static int id_set_hex(struct conf_id *id, unsigned type, const char *hex, const char **why)
{
	uint8_t buf[CONF_ID_MAX];
	size_t n = 0;

	while (*hex) {
		int hi, lo;

		if (*hex == ':' || *hex == ' ') {
			hex++;
			continue;
		}
		if (!isxdigit((unsigned char)hex[0]) || !isxdigit((unsigned char)hex[1]) ||
		    n == sizeof(buf)) {
			if (why)
				*why = n == sizeof(buf) ? "identity longer than 256 bytes"
				                        : "bad hex digits after '#'";
			return -EINVAL;
		}
		hi = isdigit((unsigned char)hex[0]) ? hex[0] - '0' : tolower((unsigned char)hex[0]) - 'a' + 10;
		lo = isdigit((unsigned char)hex[1]) ? hex[1] - '0' : tolower((unsigned char)hex[1]) - 'a' + 10;
		buf[n++] = (uint8_t)(hi << 4 | lo);
		hex += 2;
	}
	return id_set(id, type, buf, n, why);
}

static const struct {
	const char *prefix;
	int type;                 /* -1: not supported */
} id_prefixes[] = {
	{ "ipv4:", CONF_ID_IPV4_ADDR }, { "ipv6:", CONF_ID_IPV6_ADDR },
	{ "rfc822:", CONF_ID_RFC822_ADDR }, { "email:", CONF_ID_RFC822_ADDR },
	{ "userfqdn:", CONF_ID_RFC822_ADDR }, { "fqdn:", CONF_ID_FQDN },
	{ "dns:", CONF_ID_FQDN }, { "asn1dn:", -1 }, { "asn1gn:", -1 },
	{ "keyid:", CONF_ID_KEY_ID },
};

int conf_id_parse(const char *s, struct conf_id *out, const char **why)
{
	struct conf_id id;
	int rc;

	if (why)
		*why = NULL;
	/* Explicit type prefix: "fqdn:...", "{11}:..." */
	for (size_t i = 0; i < sizeof(id_prefixes) / sizeof(id_prefixes[0]); i++) {
		size_t pl = strlen(id_prefixes[i].prefix);

		if (strncasecmp(s, id_prefixes[i].prefix, pl) != 0)
			continue;
		if (id_prefixes[i].type < 0) {
			if (why)
				*why = "asn1dn: and asn1gn: identities (DER in hex) are not supported by uipsec; "
				       "write a distinguished name as text";
			return -EINVAL;
		}
		s += pl;
		rc = *s == '#' ? id_set_hex(&id, (unsigned)id_prefixes[i].type, s + 1, why)
		               : id_set(&id, (unsigned)id_prefixes[i].type, s, strlen(s), why);
		goto done;
	}
	if (s[0] == '{') {
		char *end;
		unsigned long type = strtoul(s + 1, &end, 0);

		if (isdigit((unsigned char)s[1]) && end[0] == '}' && end[1] == ':' && type <= 255) {
			if (type == CONF_ID_DER_ASN1_DN || type == CONF_ID_DER_ASN1_GN) {
				if (why)
					*why = "ASN.1 identities in {N}: form are not supported by uipsec; "
					       "write a distinguished name as text";
				return -EINVAL;
			}
			s = end + 2;
			rc = *s == '#' ? id_set_hex(&id, (unsigned)type, s + 1, why)
			               : id_set(&id, (unsigned)type, s, strlen(s), why);
			goto done;
		}
	}
	if (strchr(s, '=')) {
		/* a distinguished name: kept as written (conf has no ASN.1; the
		 * DER form is ctl/ctl_creds's, through src/crypto/) */
		rc = id_set(&id, CONF_ID_DER_ASN1_DN, s, strlen(s), why);
		goto done;
	}
	if (!strchr(s, '@')) {
		static const char *const any[] = { "", "%any", "%any6", "0.0.0.0", "*", "::", "0::0" };
		uint8_t a[16];

		for (size_t i = 0; i < sizeof(any) / sizeof(any[0]); i++)
			if (strcmp(s, any[i]) == 0) {
				rc = id_set(&id, CONF_ID_ANY, NULL, 0, why);
				goto done;
			}
		if (!strchr(s, ':')) {
			if (inet_pton(AF_INET, s, a) == 1)
				rc = id_set(&id, CONF_ID_IPV4_ADDR, a, 4, why);
			else
				rc = id_set(&id, CONF_ID_FQDN, s, strlen(s), why);
		} else {
			if (inet_pton(AF_INET6, s, a) == 1)
				rc = id_set(&id, CONF_ID_IPV6_ADDR, a, 16, why);
			else
				rc = id_set(&id, CONF_ID_KEY_ID, s, strlen(s), why);
		}
		goto done;
	}
	if (s[0] == '@') {
		if (s[1] == '#')
			rc = id_set_hex(&id, CONF_ID_KEY_ID, s + 2, why);
		else if (s[1] == '@')
			rc = id_set(&id, CONF_ID_RFC822_ADDR, s + 2, strlen(s + 2), why);
		else
			rc = id_set(&id, CONF_ID_FQDN, s + 1, strlen(s + 1), why);
	} else {
		rc = id_set(&id, CONF_ID_RFC822_ADDR, s, strlen(s), why);
	}
done:
	if (rc)
		return rc;
	*out = id;
	return 0;
}

static bool printable(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (d[i] < 0x20 || d[i] > 0x7e)
			return false;
	return true;
}

const char *conf_id_fmt(const struct conf_id *id, char *buf, size_t buflen)
{
	char tmp[IP_ADDR_STRLEN];

	if (!buflen)
		return buf;
	switch (id->type) {
	case CONF_ID_ANY:
		snprintf(buf, buflen, "%%any");
		break;
	case CONF_ID_IPV4_ADDR:
	case CONF_ID_IPV6_ADDR:
		if (id->len == (id->type == CONF_ID_IPV4_ADDR ? 4 : 16) &&
		    inet_ntop(id->type == CONF_ID_IPV4_ADDR ? AF_INET : AF_INET6, id->data, tmp, sizeof(tmp)))
			snprintf(buf, buflen, "%s", tmp);
		else
			snprintf(buf, buflen, "(invalid address identity)");
		break;
	default:
		if (printable(id->data, id->len) && id->len) {
			snprintf(buf, buflen, "%.*s", (int)id->len, (const char *)id->data);
		} else {
			size_t o = (size_t)snprintf(buf, buflen, "#");
			for (size_t i = 0; i < id->len && o + 3 <= buflen; i++)
				o += (size_t)snprintf(buf + o, buflen - o, "%02x", id->data[i]);
		}
		break;
	}
	return buf;
}

static bool is_text_id(uint8_t type)
{
	return type == CONF_ID_FQDN || type == CONF_ID_RFC822_ADDR;
}

static bool text_eq_nocase(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tolower(a[i]) != tolower(b[i]))
			return false;
	return true;
}

bool conf_id_equal(const struct conf_id *a, const struct conf_id *b)
{
	if (a->type != b->type || a->len != b->len)
		return false;
	if (is_text_id(a->type))
		return text_eq_nocase(a->data, b->data, a->len);
	return memcmp(a->data, b->data, a->len) == 0;
}

enum conf_id_match conf_id_match(const struct conf_id *id, const struct conf_id *pattern)
{
	if (pattern->type == CONF_ID_ANY)
		return CONF_ID_MATCH_ANY;
	if (id->type != pattern->type)
		return CONF_ID_MATCH_NONE;
	if (conf_id_equal(id, pattern))
		return CONF_ID_MATCH_PERFECT;
	/* One leading '*' in an FQDN/RFC822 pattern matches any prefix. */
	if (is_text_id(pattern->type) && pattern->len && pattern->data[0] == '*') {
		size_t sl = (size_t)pattern->len - 1;

		if (sl == 0)
			return CONF_ID_MATCH_ANY;
		if (id->len >= sl && text_eq_nocase(id->data + id->len - sl, pattern->data + 1, sl))
			return CONF_ID_MATCH_ONE_WILDCARD;
	}
	return CONF_ID_MATCH_NONE;
}

/* ---- addresses ------------------------------------------------------------ */

/* Last address of prefix/len. */
static void prefix_last(const struct ip_addr *net, uint8_t len, struct ip_addr *last)
{
	size_t bytes = ip_addr_len(net);

	*last = *net;
	for (size_t i = 0; i < bytes; i++) {
		unsigned bit0 = (unsigned)i * 8;
		if (bit0 + 8 <= len)
			continue;
		if (bit0 >= len)
			last->a[i] = 0xff;
		else
			last->a[i] |= (uint8_t)(0xff >> (len - bit0));
	}
}

static int addr_cmp(const struct ip_addr *x, const struct ip_addr *y)
{
	return memcmp(x->a, y->a, 16);
}

/* "a-b" with both addresses of one family and a <= b. */
static int parse_range(const char *s, struct ip_addr *from, struct ip_addr *to)
{
	const char *dash = strchr(s, '-');
	char lo[IP_ADDR_STRLEN];

	if (!dash || (size_t)(dash - s) >= sizeof(lo))
		return -EINVAL;
	memcpy(lo, s, (size_t)(dash - s));
	lo[dash - s] = '\0';
	if (ip_addr_parse(lo, from) || ip_addr_parse(dash + 1, to) ||
	    from->family != to->family || addr_cmp(from, to) > 0)
		return -EINVAL;
	return 0;
}

/* "10.0.0.0/8" with an explicit length; the bare-address case is handled
 * by the callers. */
static int parse_cidr(const char *s, struct ip_addr *net, uint8_t *len)
{
	const char *slash = strchr(s, '/');

	if (!slash || !isdigit((unsigned char)slash[1]))
		return -EINVAL;
	return ip_prefix_parse(s, net, len);
}

static bool is_hostname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-')
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
			return false;
	return true;
}

static bool has_letter(const char *s)
{
	for (; *s; s++)
		if (isalpha((unsigned char)*s))
			return true;
	return false;
}

int conf_addr_parse(const char *s, struct conf_addr *out)
{
	struct conf_addr a;

	memset(&a, 0, sizeof(a));
	if (strcmp(s, "%any") == 0) {
		a.kind = CONF_ADDR_ANY;
	} else if (strcmp(s, "%any4") == 0) {
		a.kind = CONF_ADDR_ANY;
		a.family = AF_INET;
	} else if (strcmp(s, "%any6") == 0) {
		a.kind = CONF_ADDR_ANY;
		a.family = AF_INET6;
	} else if (ip_addr_parse(s, &a.from) == 0) {
		a.kind = CONF_ADDR_IP;
		a.family = a.from.family;
		a.to = a.from;
		a.prefixlen = (uint8_t)(ip_addr_len(&a.from) * 8);
	} else if (strchr(s, '/')) {
		if (parse_cidr(s, &a.from, &a.prefixlen))
			return -EINVAL;
		a.kind = CONF_ADDR_PREFIX;
		a.family = a.from.family;
		prefix_last(&a.from, a.prefixlen, &a.to);
	} else if (parse_range(s, &a.from, &a.to) == 0) {
		a.kind = CONF_ADDR_RANGE;
		a.family = a.from.family;
	} else if (is_hostname(s) && has_letter(s)) {
		/* A name; without any letter it is a mistyped address or range
		 * ("10.1.0.300", "10.0.0.9-10.0.0.1"), not a name. */
		a.kind = CONF_ADDR_DNS;
		a.dns = strdup(s);
		if (!a.dns)
			return -ENOMEM;
	} else {
		return -EINVAL;
	}
	*out = a;
	return 0;
}

bool conf_addr_contains(const struct conf_addr *e, const struct ip_addr *a)
{
	switch (e->kind) {
	case CONF_ADDR_ANY:
		return e->family == 0 || e->family == a->family;
	case CONF_ADDR_IP:
	case CONF_ADDR_PREFIX:
	case CONF_ADDR_RANGE:
		return e->family == a->family && addr_cmp(&e->from, a) <= 0 && addr_cmp(a, &e->to) <= 0;
	default:
		return false;
	}
}

/* ---- traffic selectors ---------------------------------------------------- */

static const struct { const char *name; uint8_t proto; } proto_names[] = {
	{ "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "gre", 47 }, { "esp", 50 },
	{ "ah", 51 }, { "ipv6-icmp", 58 }, { "icmpv6", 58 }, { "sctp", 132 },
	{ "udplite", 136 },
};

static int parse_proto(const char *s, uint8_t *out)
{
	uint64_t v;

	if (strcmp(s, "any") == 0 || *s == '\0') {
		*out = 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++)
		if (strcasecmp(s, proto_names[i].name) == 0) {
			*out = proto_names[i].proto;
			return 0;
		}
	if (conf_parse_uint(s, 255, &v) == 0) {
		*out = (uint8_t)v;
		return 0;
	}
	{
		struct protoent *pe = getprotobyname(s);
		if (pe && pe->p_proto >= 0 && pe->p_proto <= 255) {
			*out = (uint8_t)pe->p_proto;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_port(const char *s, uint16_t *out)
{
	uint64_t v;

	if (conf_parse_uint(s, 65535, &v) == 0) {
		*out = (uint16_t)v;
		return 0;
	}
	if (isalpha((unsigned char)*s)) {
		struct servent *se = getservbyname(s, NULL);
		if (se) {
			*out = ntohs((uint16_t)se->s_port);
			return 0;
		}
	}
	return -EINVAL;
}

/* "[proto]" or "[proto/port]" with port a number, name, "a-b", "any" or
 * "opaque". */
static int parse_protoport(const char *s, struct conf_ts *ts, const char **why)
{
	char buf[128], *slash, *port, *dash;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	port = slash ? slash + 1 : NULL;
	if (slash)
		*slash = '\0';
	if (parse_proto(buf, &ts->proto)) {
		if (why)
			*why = "unknown protocol in [proto/port]";
		return -EINVAL;
	}
	ts->port_from = 0;
	ts->port_to = 65535;
	if (!port || !*port || strcmp(port, "any") == 0)
		return 0;
	if (strcmp(port, "opaque") == 0) {
		ts->port_from = 65535;
		ts->port_to = 0;
		return 0;
	}
	dash = strchr(port, '-');
	if (dash)
		*dash = '\0';
	if (parse_port(port, &ts->port_from))
		goto bad;
	ts->port_to = ts->port_from;
	if (dash && (parse_port(dash + 1, &ts->port_to) || ts->port_to < ts->port_from))
		goto bad;
	return 0;
bad:
	if (why)
		*why = "bad port in [proto/port] (a number, a service name, a range a-b, any or opaque)";
	return -EINVAL;
}

int conf_ts_parse(const char *s, struct conf_ts *out, const char **why)
{
	struct conf_ts ts;
	char addr[128];
	const char *br = strchr(s, '[');
	size_t alen = br ? (size_t)(br - s) : strlen(s);
	uint8_t len;

	if (why)
		*why = NULL;
	memset(&ts, 0, sizeof(ts));
	ts.port_to = 65535;
	if (br) {
		char pp[128];
		size_t pl = strlen(br + 1);

		if (pl == 0 || br[pl] != ']' || pl - 1 >= sizeof(pp) || memchr(br + 1, ']', pl - 1)) {
			if (why)
				*why = "unbalanced [proto/port]";
			return -EINVAL;
		}
		memcpy(pp, br + 1, pl - 1);
		pp[pl - 1] = '\0';
		if (parse_protoport(pp, &ts, why))
			return -EINVAL;
	}
	if (alen >= sizeof(addr))
		goto bad;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	while (alen && addr[alen - 1] == ' ')
		addr[--alen] = '\0';
	if (strcmp(addr, "dynamic") == 0) {
		ts.dynamic = true;
		ts.prefixlen = -1;
	} else if (strchr(addr, '-')) {
		if (parse_range(addr, &ts.from, &ts.to))
			goto bad;
		ts.family = ts.from.family;
		ts.prefixlen = -1;
	} else {
		if (strchr(addr, '/')) {
			if (parse_cidr(addr, &ts.from, &len))
				goto bad;
		} else {
			if (ip_addr_parse(addr, &ts.from))
				goto bad;
			len = (uint8_t)(ip_addr_len(&ts.from) * 8);
		}
		ts.family = ts.from.family;
		ts.prefixlen = len;
		prefix_last(&ts.from, len, &ts.to);
	}
	*out = ts;
	return 0;
bad:
	if (why)
		*why = "expected a subnet (10.1.0.0/24), an address, a range (a-b) or dynamic";
	return -EINVAL;
}

const char *conf_ts_fmt(const struct conf_ts *ts, char *buf, size_t buflen)
{
	char a[IP_ADDR_STRLEN], b[IP_ADDR_STRLEN];
	size_t o;

	if (!buflen)
		return buf;
	if (ts->dynamic)
		o = (size_t)snprintf(buf, buflen, "dynamic");
	else if (ts->prefixlen >= 0)
		o = (size_t)snprintf(buf, buflen, "%s/%d", ip_addr_fmt(&ts->from, a), ts->prefixlen);
	else
		o = (size_t)snprintf(buf, buflen, "%s-%s", ip_addr_fmt(&ts->from, a), ip_addr_fmt(&ts->to, b));
	if (o >= buflen)
		return buf;
	if (ts->proto || ts->port_from != 0 || ts->port_to != 65535) {
		if (ts->port_from == 0 && ts->port_to == 65535)
			snprintf(buf + o, buflen - o, "[%u]", ts->proto);
		else if (ts->port_from == 65535 && ts->port_to == 0)
			snprintf(buf + o, buflen - o, "[%u/opaque]", ts->proto);
		else if (ts->port_from == ts->port_to)
			snprintf(buf + o, buflen - o, "[%u/%u]", ts->proto, ts->port_from);
		else
			snprintf(buf + o, buflen - o, "[%u/%u-%u]", ts->proto, ts->port_from, ts->port_to);
	}
	return buf;
}
