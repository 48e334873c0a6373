/* uipsec trace: stream the daemon's packet traces (VICI event
 * "uipsec-trace") after setting this connection's filter with the command
 * of the same name. */
#include "cmd/uipsec/uipsec.h"
#include "ctl/client.h"
#include "ctl/vici.h"
#include "util/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void trace_help(FILE *out)
{
	fputs("Usage: uipsec trace [-n COUNT] [host PREFIX] [src PREFIX] [dst PREFIX]\n"
	      "                    [spi SPI] [proto icmp|tcp|udp|esp|ipv6-icmp|NUM]\n"
	      "Print each matching packet's way through uipsecd, one line per stage,\n"
	      "named after the Linux function the stage stands for (xfrm_input,\n"
	      "xfrm_state_lookup, xfrm_replay_check, esp_input, xfrm_replay_advance,\n"
	      "xfrm_policy_check; xfrm_lookup, xfrm_state_find, esp_output, xfrm_output),\n"
	      "with the SA, the policy, the verdict and the drop reason.\n"
	      "host matches outer or inner addresses; src/dst the inner packet (the\n"
	      "outer one if it was never decrypted); all given must match.\n"
	      "-n COUNT: stop after COUNT packets (default: until ^C).\n", out);
}

/* Register for the trace event and print each packet's lines. */
static int stream(int fd, long count)
{
	struct vici_buf b;
	struct vici_packet pk;
	struct vici_iter it;
	struct vici_elem e;
	uint8_t *buf;
	size_t len;
	long seen = 0;
	int r;

	vici_buf_init(&b);
	vici_begin(&b, VICI_EVENT_REGISTER, "uipsec-trace");
	r = vici_end(&b);
	if (r == 0)
		r = ctl_client_send(fd, &b);
	vici_buf_free(&b);
	if (r < 0) {
		fprintf(stderr, "uipsec: cannot register for traces: %s\n", strerror(-r));
		return 1;
	}
	while (count == 0 || seen < count) {
		r = ctl_client_recv(fd, &buf, &len, &pk);
		if (r == -ECONNRESET) {
			fputs("uipsec: uipsecd closed the connection\n", stderr);
			return 0;
		}
		if (r < 0) {
			fprintf(stderr, "uipsec: trace: %s\n", strerror(-r));
			return 1;
		}
		if (pk.type == VICI_EVENT_UNKNOWN) {
			fputs("uipsec: uipsecd does not offer traces\n", stderr);
			mem_free_wipe(buf, len);
			return 1;
		}
		if (pk.type == VICI_EVENT && strcmp(pk.name, "uipsec-trace") == 0) {
			vici_iter_init(&it, pk.msg, pk.msg_len);
			while (vici_iter_next(&it, &e) == 1)
				if (e.type == VICI_LIST_ITEM)
					printf("%.*s\n", (int)e.value_len, (const char *)e.value);
			fflush(stdout);
			seen++;
		}
		mem_free_wipe(buf, len);
	}
	return 0;
}

static int trace_run(const struct uipsec_opts *o, int argc, char **argv)
{
	long count = 0;
	int first = 1, fd, rc;
	char err[512];

	if (argc > 1 && strcmp(argv[1], "-n") == 0) {
		char *end;

		if (argc < 3) {
			fputs("uipsec: trace -n needs a count\n", stderr);
			return 2;
		}
		count = strtol(argv[2], &end, 10);
		if (*argv[2] == '\0' || *end != '\0' || count <= 0) {
			fprintf(stderr, "uipsec: trace -n needs a positive count, not '%s'\n", argv[2]);
			return 2;
		}
		first = 3;
	}
	fd = ctl_client_connect(o->control, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "uipsec: %s\n", err);
		return 1;
	}
	/* the filter belongs to this connection; then the event stream */
	rc = ctl_client_call(fd, "uipsec-trace", argc - first, argv + first, stdout, err,
	                     sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "uipsec: %s\n", err);
		close(fd);
		return rc == 1 ? 2 : 1;
	}
	rc = stream(fd, count);
	close(fd);
	return rc;
}

const struct uipsec_cmd uipsec_cmd_trace = {
	"trace", trace_run, "show packets' way through uipsecd, stage by stage", trace_help,
};
