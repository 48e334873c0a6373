/* uipsec xfrm state|policy ...: iproute2's ip xfrm grammar. With
 * -f FILE the command runs on the SAD/SPD loaded from the state file (and
 * the file is rewritten if the command changed anything); without, it goes
 * to uipsecd, which runs the same xfrm_cmd_run(). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/uipsec/uipsec.h"
#include "ctl/client.h"
#include "ctl/vici.h"
#include "xfrmcli/xfrm_cmd.h"
#include "util/mem.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

static void xfrm_help(FILE *out)
{
	fputs("Usage: uipsec [-f STATE-FILE] xfrm [-s] [-k] { state | policy } COMMAND ...\n"
	      "       uipsec xfrm monitor   (daemon only; keys never shown)\n"
	      "The grammar of ip xfrm (ip-xfrm(8)); without -f the daemon runs it.\n"
	      "Keys print as [hidden] unless -k is given.\n\n", out);
	xfrm_cmd_usage(out, NULL);
}

/* ip xfrm monitor: register for the daemon's "uipsec-monitor" event and
 * print each event's text until the daemon goes away (or ^C). */
static int xfrm_monitor(const struct uipsec_opts *o)
{
	struct vici_buf b;
	char err[512];
	int fd, r;

	fd = ctl_client_connect(o->control, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "uipsec: %s\n", err);
		return 1;
	}
	vici_buf_init(&b);
	vici_begin(&b, VICI_EVENT_REGISTER, "uipsec-monitor");
	r = vici_end(&b);
	if (r == 0)
		r = ctl_client_send(fd, &b);
	vici_buf_free(&b);
	while (r == 0) {
		struct vici_packet pk;
		struct vici_iter it;
		struct vici_elem e;
		uint8_t *buf = NULL;
		size_t len = 0;

		r = ctl_client_recv(fd, &buf, &len, &pk);
		if (r < 0)
			break;
		if (pk.type == VICI_EVENT_UNKNOWN) {
			fputs("uipsec: uipsecd does not offer xfrm monitor events\n", stderr);
			r = 1;
		} else if (pk.type == VICI_EVENT && !strcmp(pk.name, "uipsec-monitor")) {
			vici_iter_init(&it, pk.msg, pk.msg_len);
			while (vici_iter_next(&it, &e) == 1)
				if (e.depth == 0 && e.type == VICI_KEY_VALUE && !strcmp(e.name, "output"))
					fwrite(e.value, 1, e.value_len, stdout);
			fflush(stdout);
		}
		mem_free_wipe(buf, len);
	}
	close(fd);
	if (r == -ECONNRESET) {
		fputs("uipsec: uipsecd closed the connection\n", stderr);
		return 0;
	}
	if (r < 0)
		fprintf(stderr, "uipsec: xfrm monitor: %s\n", strerror(-r));
	return r ? 1 : 0;
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
	args = calloc((size_t)argc + 2, sizeof(*args));
	if (!args) {
		fputs("uipsec: out of memory\n", stderr);
		return 1;
	}
	if (o->stats)
		args[n++] = "-s";
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	/* -k anywhere is xfrm_cmd_run's; at the end it leaves the checks
	 * below (help, monitor) as they are */
	if (o->keys && n > 0)
		args[n++] = "-k";
	if (n == 0 || (n == 1 && o->stats) || (n == 1 && !strcmp(args[0], "help"))) {
		xfrm_help(n ? stdout : stderr);
		free(args);
		return n ? 0 : 2;
	}
	{
		/* "state help" / "policy help" need neither a file nor the daemon */
		int w = o->stats ? 1 : 0;

		if (n == w + 2 && !strcmp(args[w + 1], "help") &&
		    (!strcmp(args[w], "state") || !strcmp(args[w], "policy"))) {
			xfrm_cmd_usage(stdout, args[w]);
			free(args);
			return 0;
		}
	}
	if (o->state_file) {
		if (!strcmp(args[0], "monitor")) {
			fputs("uipsec: xfrm monitor needs the daemon, not a state file\n", stderr);
			rc = 2;
		} else {
			rc = xfrm_offline(o, n, args);
		}
	} else if (!strcmp(args[0], "monitor") || (o->stats && n > 1 && !strcmp(args[1], "monitor"))) {
		rc = xfrm_monitor(o);
	} else {
		rc = uipsec_daemon_call(o, "xfrm", n, args);
	}
	free(args);
	return rc;
}

const struct uipsec_cmd uipsec_cmd_xfrm = {
	"xfrm", xfrm_run, "ip xfrm state|policy commands (manual keys)", xfrm_help,
};
