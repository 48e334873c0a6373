/* libFuzzer target: the rtnetlink parsers of src/io/ on arbitrary bytes,
 * as if the kernel had sent them: address and route events
 * (addr_watch_count, which addr_watch_drain calls), the answer to
 * RTM_GETROUTE and RTM_GETLINK (route_answer_parse,
 * route_link_name_parse, which route_get calls) and the ACK of a route,
 * rule or address request (route_ack_parse). The input sits in a heap
 * buffer of exactly its length (ASan sees any read past it), aligned as
 * recv's buffers are. Invariants that trap: the event count is bounded by the
 * number of headers that fit, a parsed route answer has addresses of the
 * asked family and no name yet, a parsed name is terminated, and the
 * errors are the documented ones. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "io/addr_watch.h"
#include "io/route.h"
#include "io/route_get.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route_answer ans;
	char name[IF_NAMESIZE];
	unsigned char *buf;
	unsigned n;
	int idx, r;

	/* malloc(0) may return NULL: keep one byte, pass size */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);

	n = addr_watch_count(buf, size);
	if (n > size / sizeof(struct nlmsghdr))
		__builtin_trap();

	r = route_answer_parse(buf, size, AF_INET, &ans, &idx);
	if (r > 0 || r < -4095 || (r == 0 && ans.oif[0]))
		__builtin_trap();
	if (r == 0 && ((ans.has_gateway && ans.gateway.family != AF_INET) ||
	               (ans.has_prefsrc && ans.prefsrc.family != AF_INET)))
		__builtin_trap();
	r = route_answer_parse(buf, size, AF_INET6, &ans, &idx);
	if (r > 0 || r < -4095 || (r == 0 && ans.oif[0]))
		__builtin_trap();
	if (r == 0 && ((ans.has_gateway && ans.gateway.family != AF_INET6) ||
	               (ans.has_prefsrc && ans.prefsrc.family != AF_INET6)))
		__builtin_trap();

	memset(name, 'x', sizeof(name));
	r = route_link_name_parse(buf, size, name, sizeof(name));
	if (r == 0 && !memchr(name, '\0', sizeof(name)))
		__builtin_trap();
	if (r != 0 && r != -EBADMSG && r != -ENOENT)
		__builtin_trap();

	/* 0 (the ACK) or a negative errno, never a positive "success" */
	r = route_ack_parse(buf, size);
	if (r > 0 || r < -4095)
		__builtin_trap();

	free(buf);
	return 0;
}
