/* uipsec load | initiate | terminate | rekey | list-conns | list-sas | list-certs: the IKE
 * commands, in the spirit of swanctl. Each is one "uipsec-ike" call to
 * uipsecd with the words as given. */
#include <stdio.h>
#include <string.h>

#include "cmd/uipsec/uipsec.h"

static int ike_run(const struct uipsec_opts *o, int argc, char **argv)
{
	return uipsec_daemon_call(o, "ike", argc, argv);
}

static void load_help(FILE *out)
{
	fputs("Usage: uipsec load\n"
	      "(Re)load connections and secrets from uipsecd's swanctl.conf; connections no\n"
	      "longer in the file are unloaded and their SAs deleted.\n", out);
}

static void initiate_help(FILE *out)
{
	fputs("Usage: uipsec initiate --child NAME | --ike NAME\n"
	      "Start the CHILD_SA NAME (or every child of connection NAME), reusing an\n"
	      "established IKE_SA of its connection.\n", out);
}

static void terminate_help(FILE *out)
{
	fputs("Usage: uipsec terminate --ike NAME | --child NAME\n"
	      "Delete the IKE_SAs of connection NAME (with their CHILD_SAs), or the CHILD_SAs\n"
	      "named NAME.\n", out);
}

static void rekey_help(FILE *out)
{
	fputs("Usage: uipsec rekey --ike NAME [--reauth] | --child NAME\n"
	      "Rekey the IKE_SAs of connection NAME (with --reauth: reauthenticate them,\n"
	      "make-before-break), or the CHILD_SAs named NAME, now (swanctl --rekey).\n", out);
}

static void list_conns_help(FILE *out)
{
	fputs("Usage: uipsec list-conns\nThe loaded connections and their children.\n", out);
}

static void list_sas_help(FILE *out)
{
	fputs("Usage: uipsec list-sas\n"
	      "IKE_SAs and CHILD_SAs: SPIs, algorithms, traffic selectors, bytes and\n"
	      "packets, time to rekey.\n", out);
}

static void list_certs_help(FILE *out)
{
	fputs("Usage: uipsec list-certs [--utc]\n"
	      "The certificates, CRLs and raw public keys uipsecd loaded from the credential\n"
	      "folders next to its swanctl.conf (x509/, x509ca/, x509crl/, pubkey/), as\n"
	      "swanctl --list-certs prints them, each with the file it came from; --utc:\n"
	      "times in UTC.\n", out);
}

static void ike_stats_help(FILE *out)
{
	fputs("Usage: uipsec ike-stats\n"
	      "The IKE core's counters: messages, drops by reason (malformed, unknown SPIs,\n"
	      "failed ICV, unprotected, message ID), cookies, notifies, SAs.\n", out);
}

const struct uipsec_cmd uipsec_cmd_ike_stats = { "ike-stats", ike_run, "IKE counters",
                                                 ike_stats_help };
const struct uipsec_cmd uipsec_cmd_load = { "load", ike_run, "load swanctl.conf connections", load_help };
const struct uipsec_cmd uipsec_cmd_initiate = { "initiate", ike_run, "start a CHILD_SA", initiate_help };
const struct uipsec_cmd uipsec_cmd_terminate = { "terminate", ike_run, "delete IKE or CHILD SAs",
                                                 terminate_help };
const struct uipsec_cmd uipsec_cmd_rekey = { "rekey", ike_run, "rekey or reauthenticate SAs",
                                             rekey_help };
const struct uipsec_cmd uipsec_cmd_list_conns = { "list-conns", ike_run, "list loaded connections",
                                                  list_conns_help };
const struct uipsec_cmd uipsec_cmd_list_sas = { "list-sas", ike_run, "list IKE and CHILD SAs",
                                                list_sas_help };
const struct uipsec_cmd uipsec_cmd_list_certs = { "list-certs", ike_run, "list loaded certificates",
                                                  list_certs_help };
