/* IP address and prefix helpers. */
#include "net/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ip_addr_parse(const char *s, struct ip_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

const char *ip_addr_fmt(const struct ip_addr *a, char *buf)
{
	if (a->family != AF_INET && a->family != AF_INET6) {
		strcpy(buf, "any");
		return buf;
	}
	if (!inet_ntop(a->family, a->a, buf, IP_ADDR_STRLEN))
		strcpy(buf, "?");
	return buf;
}

bool ip_addr_equal(const struct ip_addr *x, const struct ip_addr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, 16) == 0;
}

bool ip_addr_is_zero(const struct ip_addr *a)
{
	static const uint8_t zero[16];
	return memcmp(a->a, zero, 16) == 0;
}

size_t ip_addr_len(const struct ip_addr *a)
{
	return a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;
}

void ip_addr_from_bytes(struct ip_addr *out, int family, const void *bytes)
{
	memset(out, 0, sizeof(*out));
	out->family = (uint8_t)family;
	memcpy(out->a, bytes, family == AF_INET ? 4 : 16);
}

int ip_prefix_parse(const char *s, struct ip_addr *addr, uint8_t *len)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long l;
	char *end;

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (ip_addr_parse(buf, addr) < 0)
		return -EINVAL;
	if (!slash) {
		*len = (uint8_t)(ip_addr_len(addr) * 8);
		return 0;
	}
	if (!slash[1])
		return -EINVAL;
	errno = 0;
	l = strtoul(slash + 1, &end, 10);
	if (errno || *end || l > ip_addr_len(addr) * 8)
		return -EINVAL;
	*len = (uint8_t)l;
	for (unsigned bit = *len; bit < 128; bit++)
		addr->a[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	return 0;
}

bool ip_prefix_match(const struct ip_addr *prefix, uint8_t len, const struct ip_addr *a)
{
	unsigned full = len / 8, rest = len % 8;

	if (prefix->family != a->family)
		return false;
	if (memcmp(prefix->a, a->a, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff00u >> rest);
		if ((prefix->a[full] ^ a->a[full]) & mask)
			return false;
	}
	return true;
}

void ip_addr_to_sockaddr(const struct ip_addr *a, uint16_t port,
                         struct sockaddr_storage *ss, socklen_t *sslen)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->a, 16);
		*sslen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a->a, 4);
		*sslen = sizeof(*s4);
	}
}

void ip_addr_from_sockaddr(struct ip_addr *a, uint16_t *port, const struct sockaddr *sa)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		ip_addr_from_bytes(a, AF_INET6, &s6->sin6_addr);
		if (port)
			*port = ntohs(s6->sin6_port);
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		ip_addr_from_bytes(a, AF_INET, &s4->sin_addr);
		if (port)
			*port = ntohs(s4->sin_port);
	}
}
