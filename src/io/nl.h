/* Walking a buffer of netlink messages safely, for the parsers in
 * src/io/ (addr_watch.c, route.c, route_get.c). Internal to src/io/. */
#ifndef UIPSEC_IO_NL_H
#define UIPSEC_IO_NL_H

#include <linux/netlink.h>
#include <stddef.h>

/* The message after h in a buffer of which *len bytes remain from h, or
 * NULL at the end. NLMSG_NEXT on a size_t: a last message whose length
 * is not a multiple of 4 would make *len wrap around instead of ending
 * the walk (found by tests/fuzz/fuzz_netlink.c). Use with NLMSG_OK:
 *   for (h = buf; h && NLMSG_OK(h, len); h = nl_next(h, &len)) */
static inline const struct nlmsghdr *nl_next(const struct nlmsghdr *h, size_t *len)
{
	size_t step = NLMSG_ALIGN((size_t)h->nlmsg_len);

	if (step >= *len)
		return NULL;
	*len -= step;
	return (const struct nlmsghdr *)((const char *)h + step);
}

#endif
