/* uipsec: the command line. Parses the global options, then hands the
 * rest to one subcommand from the table below (each in its own
 * cmd_*.c). Commands either act offline (on a state file, on captures) or
 * talk to uipsecd through uipsec_daemon_call(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "cmd/uipsec/uipsec.h"
#include "ctl/client.h"
#include "ctl/ctl.h"
#include "util/log.h"


/* Every subcommand: one line each. */
static const struct uipsec_cmd *const commands[] = {
	&uipsec_cmd_xfrm,
	&uipsec_cmd_pcap,
	&uipsec_cmd_load,
	&uipsec_cmd_initiate,
	&uipsec_cmd_terminate,
	&uipsec_cmd_rekey,
	&uipsec_cmd_list_conns,
	&uipsec_cmd_list_sas,
	&uipsec_cmd_list_certs,
	&uipsec_cmd_list_pools,
	&uipsec_cmd_ike_stats,
	&uipsec_cmd_stats,
	&uipsec_cmd_trace,
	&uipsec_cmd_capture,
	&uipsec_cmd_keys,
	&uipsec_cmd_explain,
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct uipsec_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static void usage(FILE *out)
{
	fputs("Usage: uipsec [OPTIONS] COMMAND [ARGS...]\n"
	      "\n"
	      "Options:\n"
	      "  --control PATH        uipsecd control socket (default " CTL_DEFAULT_PATH ")\n"
	      "  -f, --state-file FILE act on a state file of 'ip xfrm' lines instead of\n"
	      "                        the daemon (xfrm commands; pcap --states default)\n"
	      "  -s, --stats           more detail, like ip -s\n"
	      "  -k, --keys            xfrm state list/get: print the ESP keys (hidden\n"
	      "                        otherwise; ip xfrm always prints them)\n"
	      "  -j, --json            JSON output (xfrm state/policy list, stats, list-sas,\n"
	      "                        list-conns, list-certs); also accepted as a word\n"
	      "                        after the command\n"
	      "  -h, --help            this help; 'uipsec help COMMAND' for one command\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
}

/* The daemon path: one VICI command "uipsec-CMD" on the control socket
 * (src/ctl/cmds.h), whose output is printed as it comes. */
int uipsec_daemon_call(const struct uipsec_opts *o, const char *cmd, int argc, char **argv)
{
	char err[512], name[64];
	int fd, r;

	fd = ctl_client_connect(o->control, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "uipsec: %s\n", err);
		return 1;
	}
	snprintf(name, sizeof(name), "uipsec-%s", cmd);
	r = ctl_client_call(fd, name, argc, argv, stdout, err, sizeof(err));
	close(fd);
	fflush(stdout);
	if (r != 0) {
		fprintf(stderr, "%s%s\n", r < 0 ? "uipsec: " : "", err);
		return 1;
	}
	return 0;
}

static int opt_value(int argc, char **argv, int *i, const char **out)
{
	const char *a = argv[*i], *eq = strchr(a, '=');

	if (a[1] == '-' && eq) {
		*out = eq + 1;
		return 0;
	}
	if (*i + 1 >= argc) {
		fprintf(stderr, "uipsec: option '%s' needs a value\n", a);
		return -1;
	}
	*out = argv[++*i];
	return 0;
}

static bool opt_is(const char *a, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(a, name, n) && (a[n] == 0 || a[n] == '=');
}

int main(int argc, char **argv)
{
	struct uipsec_opts o = { .control = CTL_DEFAULT_PATH };
	const struct uipsec_cmd *c;
	int i;

	log_set_ident("uipsec");
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (opt_is(a, "--control")) {
			if (opt_value(argc, argv, &i, &o.control))
				return 2;
		} else if (!strcmp(a, "-f") || opt_is(a, "--state-file")) {
			if (opt_value(argc, argv, &i, &o.state_file))
				return 2;
		} else if (!strcmp(a, "-s") || !strcmp(a, "--stats")) {
			o.stats = true;
		} else if (!strcmp(a, "-k") || !strcmp(a, "--keys")) {
			o.keys = true;
		} else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			o.json = true;
		} else if (!strcmp(a, "--")) {
			i++;
			break;
		} else {
			fprintf(stderr, "uipsec: unknown option '%s' (see uipsec --help)\n", a);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "help")) {
		if (i + 1 < argc) {
			c = find_cmd(argv[i + 1]);
			if (!c) {
				fprintf(stderr, "uipsec: unknown command '%s'\n", argv[i + 1]);
				return 2;
			}
			c->help(stdout);
		} else {
			usage(stdout);
		}
		return 0;
	}
	/* "--json" after the command word means the same as before it */
	{
		int w = i + 1;
		for (int k = i + 1; k < argc; k++) {
			if (!strcmp(argv[k], "--json"))
				o.json = true;
			else
				argv[w++] = argv[k];
		}
		argc = w;
		argv[argc] = NULL;
	}
	if (o.json && !(i + 1 < argc && (!strcmp(argv[i + 1], "--help") ||
	                                 !strcmp(argv[i + 1], "-h"))))
		return uipsec_json_run(&o, argc - i, argv + i);
	c = find_cmd(argv[i]);
	if (!c) {
		fprintf(stderr, "uipsec: unknown command '%s' (see uipsec --help)\n", argv[i]);
		return 2;
	}
	if (i + 1 < argc && (!strcmp(argv[i + 1], "--help") || !strcmp(argv[i + 1], "-h"))) {
		c->help(stdout);
		return 0;
	}
	return c->run(&o, argc - i, argv + i);
}
