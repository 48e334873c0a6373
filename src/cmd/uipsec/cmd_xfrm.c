/* uipsec xfrm state|policy ...: iproute2's ip xfrm grammar. With
 * -f FILE the command runs on the SAD/SPD loaded from the state file (and
 * the file is rewritten if the command changed anything); without, it goes
 * to uipsecd, which runs the same xfrm_cmd_run(). */
#include <stdlib.h>
#include <string.h>

#include "cmd/uipsec/uipsec.h"
#include "ctl/xfrm_cmd.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

static void xfrm_help(FILE *out)
{
	fputs("Usage: uipsec [-f STATE-FILE] xfrm [-s] { state | policy } COMMAND ...\n"
	      "       uipsec xfrm monitor   (daemon only)\n"
	      "The grammar of ip xfrm (ip-xfrm(8)); without -f the daemon runs it.\n\n", out);
	xfrm_cmd_usage(out, NULL);
}

static int xfrm_offline(const struct uipsec_opts *o, int argc, char **argv)
{
	struct sad *sad = sad_new(NULL);
	struct spd *spd = spd_new(NULL);
	bool modifies = xfrm_cmd_modifies(argc, argv);
	int rc = 1;

	if (!sad || !spd) {
		fputs("uipsec: out of memory\n", stderr);
		goto out;
	}
	/* A command that adds to a file that does not exist yet creates it. */
	if (xfrm_state_file_load(sad, spd, o->state_file, modifies, stderr))
		goto out;
	if (xfrm_cmd_run(sad, spd, argc, argv, stdout, stderr))
		goto out;
	if (modifies && xfrm_state_file_save(sad, spd, o->state_file, stderr))
		goto out;
	rc = 0;
out:
	fflush(stdout);
	if (spd)
		spd_free(spd);
	if (sad)
		sad_free(sad);
	return rc;
}

static int xfrm_run(const struct uipsec_opts *o, int argc, char **argv)
{
	char **args;
	int n = 0, rc;

	/* argv[0] is "xfrm"; "uipsec -s xfrm ..." means "xfrm -s ...". */
	args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args) {
		fputs("uipsec: out of memory\n", stderr);
		return 1;
	}
	if (o->stats)
		args[n++] = "-s";
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	if (n == 0 || (n == 1 && o->stats) || (n == 1 && !strcmp(args[0], "help"))) {
		xfrm_help(n ? stdout : stderr);
		free(args);
		return n ? 0 : 2;
	}
	if (o->state_file) {
		if (!strcmp(args[0], "monitor")) {
			fputs("uipsec: xfrm monitor needs the daemon, not a state file\n", stderr);
			rc = 2;
		} else {
			rc = xfrm_offline(o, n, args);
		}
	} else {
		rc = uipsec_daemon_call(o, "xfrm", n, args);
	}
	free(args);
	return rc;
}

const struct uipsec_cmd uipsec_cmd_xfrm = {
	"xfrm", xfrm_run, "ip xfrm state|policy commands (manual keys)", xfrm_help,
};
