/* The uipsec command line: global options and the table of subcommands.
 *
 * To add a command, write src/cmd/uipsec/cmd_NAME.c defining
 *   const struct uipsec_cmd uipsec_cmd_NAME = { "NAME", run, "summary", help };
 * declare it below, and add &uipsec_cmd_NAME to the table in main.c. */
#ifndef UIPSEC_CMD_UIPSEC_H
#define UIPSEC_CMD_UIPSEC_H

#include <stdbool.h>
#include <stdio.h>

struct uipsec_opts {
	const char *control;      /* --control PATH (daemon socket) */
	const char *state_file;   /* -f/--state-file FILE: act offline on a file */
	bool stats;               /* -s: statistics, like ip -s */
	bool keys;                /* -k: xfrm state prints the keys (hidden by default) */
	bool json;                /* -j/--json: JSON output (cmd_json.c) */
};

struct uipsec_cmd {
	const char *name;
	/* argv[0] is the command name; returns the process exit status. */
	int (*run)(const struct uipsec_opts *o, int argc, char **argv);
	const char *summary;      /* one line for uipsec --help */
	void (*help)(FILE *out);  /* uipsec help NAME / uipsec NAME --help */
};

/* Send one command to uipsecd over the control socket (--control) and
 * print its output; returns the exit status. The single place where the
 * command line talks to the daemon. */
int uipsec_daemon_call(const struct uipsec_opts *o, const char *cmd, int argc, char **argv);

/* The JSON form of a list or stats command (argv[0] is the command). */
int uipsec_json_run(const struct uipsec_opts *o, int argc, char **argv);

extern const struct uipsec_cmd uipsec_cmd_xfrm;
extern const struct uipsec_cmd uipsec_cmd_pcap;
extern const struct uipsec_cmd uipsec_cmd_load;
extern const struct uipsec_cmd uipsec_cmd_initiate;
extern const struct uipsec_cmd uipsec_cmd_terminate;
extern const struct uipsec_cmd uipsec_cmd_rekey;
extern const struct uipsec_cmd uipsec_cmd_list_conns;
extern const struct uipsec_cmd uipsec_cmd_list_sas;
extern const struct uipsec_cmd uipsec_cmd_list_certs;
extern const struct uipsec_cmd uipsec_cmd_list_pools;
extern const struct uipsec_cmd uipsec_cmd_ike_stats;
extern const struct uipsec_cmd uipsec_cmd_stats;   /* cmd_stats.c */
extern const struct uipsec_cmd uipsec_cmd_trace;   /* cmd_trace.c */
extern const struct uipsec_cmd uipsec_cmd_capture;
extern const struct uipsec_cmd uipsec_cmd_keys;
extern const struct uipsec_cmd uipsec_cmd_explain;

#endif
