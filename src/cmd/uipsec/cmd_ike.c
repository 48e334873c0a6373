/* uipsec load | initiate | terminate | rekey | list-conns | list-sas | list-certs |
 * list-pools:
 * the IKE
 * commands, in the spirit of swanctl. initiate, terminate and rekey are
 * strongSwan's own VICI commands, the ones swanctl sends (one protocol on
 * the socket: ctl/vici_swanctl.h), answered at once (timeout -1) as uipsec
 * always did; the others are one "uipsec-ike" call with the words as given. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/uipsec/uipsec.h"
#include "ctl/client.h"
#include "ctl/vici.h"
#include "util/mem.h"

static int ike_run(const struct uipsec_opts *o, int argc, char **argv)
{
	return uipsec_daemon_call(o, "ike", argc, argv);
}

static const char *opt(int argc, char **argv, const char *name)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return NULL;
}

/* initiate | terminate | rekey as VICI's commands of the same names. */
static int vici_run(const struct uipsec_opts *o, int argc, char **argv)
{
	const char *cmd = argv[0], *child = opt(argc, argv, "--child"), *ike = opt(argc, argv, "--ike");
	bool reauth = false;
	struct vici_buf b;
	struct vici_packet pk;
	char err[512], ok[8] = "", em[512] = "";
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd, r;

	for (int i = 1; i < argc; i++)
		reauth |= !strcmp(argv[i], "--reauth");
	if ((!child && !ike) || (child && ike) || (reauth && (child || strcmp(cmd, "rekey")))) {
		fprintf(stderr, "uipsec: %s needs --child NAME or --ike NAME%s\n", cmd,
		        !strcmp(cmd, "rekey") ? " (--reauth with --ike only)" : "");
		return 2;
	}
	fd = ctl_client_connect(o->control, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "uipsec: %s\n", err);
		return 1;
	}
	vici_buf_init(&b);
	vici_begin(&b, VICI_CMD_REQUEST, cmd);
	vici_kv_str(&b, child ? "child" : "ike", child ? child : ike);
	if (reauth)
		vici_kv_str(&b, "reauth", "yes");
	if (strcmp(cmd, "rekey"))
		vici_kv_str(&b, "timeout", "-1");   /* answer at once: uipsec list-sas follows it */
	r = vici_end(&b);
	if (r == 0)
		r = ctl_client_send(fd, &b);
	vici_buf_free(&b);
	/* no events were registered for: the next packet is the answer */
	if (r == 0)
		r = ctl_client_recv(fd, &buf, &len, &pk);
	close(fd);
	if (r < 0) {
		fprintf(stderr, "uipsec: %s: %s\n", cmd, strerror(-r));
		return 1;
	}
	if (pk.type != VICI_CMD_RESPONSE) {
		fprintf(stderr, "uipsec: uipsecd does not know the VICI command '%s' (an older "
		        "daemon?)\n", cmd);
		mem_free_wipe(buf, len);
		return 1;
	}
	vici_get_str(pk.msg, pk.msg_len, "success", ok, sizeof(ok));
	vici_get_str(pk.msg, pk.msg_len, "errmsg", em, sizeof(em));
	mem_free_wipe(buf, len);
	if (strcmp(ok, "yes")) {
		fprintf(stderr, "Error: %s\n", em[0] ? em : "failed");
		return 1;
	}
	printf("%s '%s'\n", !strcmp(cmd, "initiate") ? "initiating" :
	       !strcmp(cmd, "terminate") ? "terminating" : reauth ? "reauthenticating" : "rekeying",
	       child ? child : ike);
	return 0;
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

static void list_pools_help(FILE *out)
{
	fputs("Usage: uipsec list-pools\n"
	      "The virtual IP pools: name, addresses, online / offline leases / size, then\n"
	      "each lease with its state and the identity it belongs to.\n", out);
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
const struct uipsec_cmd uipsec_cmd_initiate = { "initiate", vici_run, "start a CHILD_SA", initiate_help };
const struct uipsec_cmd uipsec_cmd_terminate = { "terminate", vici_run, "delete IKE or CHILD SAs",
                                                 terminate_help };
const struct uipsec_cmd uipsec_cmd_rekey = { "rekey", vici_run, "rekey or reauthenticate SAs",
                                             rekey_help };
const struct uipsec_cmd uipsec_cmd_list_conns = { "list-conns", ike_run, "list loaded connections",
                                                  list_conns_help };
const struct uipsec_cmd uipsec_cmd_list_pools = { "list-pools", ike_run,
                                                  "list virtual IP pools and leases",
                                                  list_pools_help };
const struct uipsec_cmd uipsec_cmd_list_sas = { "list-sas", ike_run, "list IKE and CHILD SAs",
                                                list_sas_help };
const struct uipsec_cmd uipsec_cmd_list_certs = { "list-certs", ike_run, "list loaded certificates",
                                                  list_certs_help };
