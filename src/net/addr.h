/* IP addresses and prefixes, IPv4 and IPv6 in one type. */
#ifndef UIPSEC_NET_ADDR_H
#define UIPSEC_NET_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* family is AF_INET or AF_INET6 (0 = unset/any). IPv4 uses a[0..3], the rest
 * stays zero so that addresses compare and hash with memcmp over a[16]. */
struct ip_addr {
	uint8_t family;
	uint8_t a[16];
};

#define IP_ADDR_STRLEN 46

/* Parse "192.0.2.1" or "2001:db8::1". Returns 0 or -EINVAL. */
int ip_addr_parse(const char *s, struct ip_addr *out);
/* Format into buf (IP_ADDR_STRLEN bytes); returns buf. "any" if unset. */
const char *ip_addr_fmt(const struct ip_addr *a, char *buf);
bool ip_addr_equal(const struct ip_addr *x, const struct ip_addr *y);
bool ip_addr_is_zero(const struct ip_addr *a);
/* Bytes of address for the family (4 or 16, 0 if unset). */
size_t ip_addr_len(const struct ip_addr *a);
void ip_addr_from_bytes(struct ip_addr *out, int family, const void *bytes);

/* Parse "10.1.0.0/24", "2001:db8::/32" or a bare address (full length).
 * The address bits beyond len are cleared. Returns 0 or -EINVAL. */
int ip_prefix_parse(const char *s, struct ip_addr *addr, uint8_t *len);
/* True if a is inside prefix/len (same family; len 0 matches any of it). */
bool ip_prefix_match(const struct ip_addr *prefix, uint8_t len, const struct ip_addr *a);

/* sockaddr conversions (port in host order). */
void ip_addr_to_sockaddr(const struct ip_addr *a, uint16_t port,
                         struct sockaddr_storage *ss, socklen_t *sslen);
void ip_addr_from_sockaddr(struct ip_addr *a, uint16_t *port, const struct sockaddr *sa);

/* net/route_src.c: the source address the kernel's routing picks to
 * reach dst (a connected UDP socket, nothing sent). 0 or -errno
 * (-ENETUNREACH: no route). */
int ip_route_src(const struct ip_addr *dst, struct ip_addr *src);
/* The same for a packet carrying firewall mark `mark` (0: none), as
 * uipsecd's marked sockets send it (io/route.h: the mark skips uipsecd's
 * routing table). Setting the mark needs CAP_NET_ADMIN; without it the
 * lookup is the unmarked one. */
int ip_route_src_mark(const struct ip_addr *dst, uint32_t mark, struct ip_addr *src);

#endif
