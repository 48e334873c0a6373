/* uipsec --json: the JSON form of the list and stats commands, answered by
 * uipsecd's "uipsec-json" command (ctl/vis.h, ctl/json.h):
 *   uipsec --json xfrm state list [FILTER]    array of states (no keys)
 *   uipsec --json xfrm policy list [FILTER]   array of policies
 *   uipsec --json stats                       xfrm_stat, data path, per state
 *   uipsec --json list-sas                    IKE SAs with their CHILD SAs
 *   uipsec --json list-conns                  loaded connections and children
 *   uipsec --json list-certs                  loaded certificates, CRLs, raw keys */
#include "cmd/uipsec/uipsec.h"

#include <stdlib.h>
#include <string.h>

static bool is_stats_word(const char *w)
{
	return !strcmp(w, "-s") || !strcmp(w, "-stats") || !strcmp(w, "--stats") ||
	       !strcmp(w, "-statistics");
}

int uipsec_json_run(const struct uipsec_opts *o, int argc, char **argv)
{
	const char *cmd = argv[0];
	char **args;
	int n = 0, rc;

	if (o->state_file) {
		fputs("uipsec: --json needs the daemon, not a state file\n", stderr);
		return 2;
	}
	if (!strcmp(cmd, "stats")) {
		char *w[] = { "stats" };
		if (argc > 1) {
			fprintf(stderr, "uipsec: stats takes no arguments (got '%s')\n", argv[1]);
			return 2;
		}
		return uipsec_daemon_call(o, "json", 1, w);
	}
	if (!strcmp(cmd, "list-sas") || !strcmp(cmd, "list-conns") || !strcmp(cmd, "list-certs")) {
		char *w[] = { argv[0] };
		if (argc > 1) {
			fprintf(stderr, "uipsec: %s takes no arguments (got '%s')\n", cmd, argv[1]);
			return 2;
		}
		return uipsec_daemon_call(o, "json", 1, w);
	}
	if (strcmp(cmd, "xfrm") != 0) {
		fprintf(stderr, "uipsec: --json is for xfrm state list, xfrm policy list, stats, "
		        "list-sas, list-conns and list-certs, not '%s'\n", cmd);
		return 2;
	}
	args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args) {
		fputs("uipsec: out of memory\n", stderr);
		return 1;
	}
	for (int i = 1; i < argc; i++)
		if (!is_stats_word(argv[i]))
			args[n++] = argv[i];
	if (n == 0 || (strcmp(args[0], "state") && strcmp(args[0], "sa") &&
	               strcmp(args[0], "policy") && strcmp(args[0], "pol")) ||
	    (n >= 2 && strcmp(args[1], "list") && strcmp(args[1], "show") &&
	     strcmp(args[1], "ls") && strcmp(args[1], "lst"))) {
		fputs("uipsec: --json works with 'xfrm state list' and 'xfrm policy list'\n", stderr);
		free(args);
		return 2;
	}
	rc = uipsec_daemon_call(o, "json", n, args);
	free(args);
	return rc;
}
