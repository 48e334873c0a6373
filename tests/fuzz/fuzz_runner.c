/* libFuzzer target: the helper process's request decoder (ctl/runner.h).
 * The input is one request as the helper receives it. runner_decode must
 * accept or refuse it without crashing, never spawning anything (it is
 * pure: the fuzzer never reaches the spawner). What it accepts must hold
 * what runner.h promises: strings inside the message and NUL-ended, a
 * non-empty command, "NAME=value" environment strings, DNS servers of a
 * known family; an accepted DNS request re-encodes to the same bytes. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "ctl/runner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const uint8_t *data, size_t size, const char *s)
{
	assert((const uint8_t *)s > data && (const uint8_t *)s < data + size);
	assert(memchr(s, '\0', size - (size_t)((const uint8_t *)s - data)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct runner_req q;
	static uint8_t again[RUNNER_MSG_MAX];

	if (size > RUNNER_MSG_MAX)
		return 0;
	if (runner_decode(data, size, &q) < 0)
		return 0;
	if (q.kind == RUNNER_UPDOWN) {
		inside(data, size, q.cmd);
		assert(q.cmd[0]);
		assert(q.nenv <= RUNNER_ENV_MAX && !q.env[q.nenv]);
		for (unsigned i = 0; i < q.nenv; i++) {
			inside(data, size, q.env[i]);
			assert(q.env[i][0] != '=' && strchr(q.env[i], '='));
		}
	} else {
		assert(q.kind == RUNNER_DNS);
		inside(data, size, q.name);
		assert(q.ndns <= RUNNER_DNS_MAX);
		for (unsigned i = 0; i < q.ndns; i++)
			assert(q.dns[i].family == AF_INET || q.dns[i].family == AF_INET6);
		int n = runner_encode_dns(again, sizeof(again), q.name, q.dns, q.ndns);
		assert(n >= 0 && (size_t)n == size && !memcmp(again, data, size));
	}
	return 0;
}
