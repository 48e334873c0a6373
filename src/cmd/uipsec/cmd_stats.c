/* uipsec stats: the daemon's counters. */
#include "cmd/uipsec/uipsec.h"

#include <stdio.h>

static void stats_help(FILE *out)
{
	fputs("Usage: uipsec stats\n"
	      "uipsecd's xfrm_stat counters in the format of /proc/net/xfrm_stat, its\n"
	      "data-path counters, and per state: packets, bytes and each error kind.\n", out);
}

static int stats_run(const struct uipsec_opts *o, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "uipsec: stats takes no arguments (got '%s')\n", argv[1]);
		return 2;
	}
	return uipsec_daemon_call(o, "stats", 0, NULL);
}

const struct uipsec_cmd uipsec_cmd_stats = {
	"stats", stats_run, "xfrm_stat counters and per-state counters of uipsecd", stats_help,
};
