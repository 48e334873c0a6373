/* uipsec pcap decrypt|encrypt --states FILE IN OUT: the data path over
 * capture files (src/dp/offline.c), with the states (and policies) of a
 * state file of ip xfrm lines. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/uipsec/uipsec.h"
#include "xfrmcli/xfrm_cmd.h"
#include "dp/offline.h"
#include "dp/pcap.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

static void pcap_help(FILE *out)
{
	fputs("Usage: uipsec pcap decrypt --states FILE IN.pcap OUT.pcap\n"
	      "       uipsec pcap encrypt --states FILE IN.pcap OUT.pcap\n"
	      "FILE holds 'ip xfrm state add ...' (and 'ip xfrm policy add ...') lines,\n"
	      "with or without the leading 'ip'; -f FILE before 'pcap' works too.\n"
	      "decrypt: every ESP packet of IN (raw or UDP 4500; pcap or pcapng; Ethernet,\n"
	      "  raw IP or Linux cooked) is looked up by (dst, SPI), replay-checked and\n"
	      "  decrypted; the inner packets go to OUT (raw IP). One verdict per packet\n"
	      "  (ok, no state, auth failed, replay, malformed, skipped) and the\n"
	      "  xfrm_stat counters are printed.\n"
	      "encrypt: every IP packet of IN is protected with the state of the matching\n"
	      "  'dir out' policy (or, without policies, the only matching state) and the\n"
	      "  ESP packets (with outer IP, and UDP if the state has encap) go to OUT.\n", out);
}

static int pcap_run(const struct uipsec_opts *o, int argc, char **argv)
{
	const char *states = o->state_file, *in = NULL, *out = NULL, *verb;
	struct sad *sad = NULL;
	struct spd *spd = NULL;
	struct pcap_reader *r = NULL;
	struct pcap_writer *w = NULL;
	struct dp_offline_stats st;
	char err[256];
	int rc = 1, i;

	if (argc < 2) {
		pcap_help(stderr);
		return 2;
	}
	verb = argv[1];
	if (strcmp(verb, "decrypt") && strcmp(verb, "encrypt")) {
		fprintf(stderr, "uipsec: unknown pcap command '%s' (decrypt or encrypt)\n", verb);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--states") || !strcmp(argv[i], "-f")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "uipsec: '%s' needs a file\n", argv[i]);
				return 2;
			}
			states = argv[++i];
		} else if (!strncmp(argv[i], "--states=", 9)) {
			states = argv[i] + 9;
		} else if (!in) {
			in = argv[i];
		} else if (!out) {
			out = argv[i];
		} else {
			fprintf(stderr, "uipsec: pcap %s: unexpected argument '%s'\n", verb, argv[i]);
			return 2;
		}
	}
	if (!states || !in || !out) {
		fprintf(stderr, "uipsec: pcap %s needs --states FILE IN.pcap OUT.pcap\n", verb);
		return 2;
	}

	memset(&st, 0, sizeof(st));
	sad = sad_new(NULL);
	spd = spd_new(NULL);
	if (!sad || !spd) {
		fputs("uipsec: out of memory\n", stderr);
		goto out;
	}
	if (xfrm_state_file_load(sad, spd, states, false, stderr))
		goto out;
	r = pcap_reader_open(in, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "uipsec: %s: %s\n", in, err);
		goto out;
	}
	w = pcap_writer_open(out, PCAP_LINKTYPE_RAW, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "uipsec: %s\n", err);
		goto out;
	}
	if (!strcmp(verb, "decrypt"))
		rc = dp_offline_decrypt(sad, r, w, stdout, &st);
	else
		rc = dp_offline_encrypt(sad, spd, r, w, stdout, &st);
	if (pcap_writer_close(w) < 0 && rc == 0)
		rc = -EIO;
	w = NULL;
	dp_offline_print_stats(stdout, &st);
	if (rc)
		fprintf(stderr, "uipsec: pcap %s: %s\n", verb,
		        rc == -EIO ? "cannot write the output file" : "the input capture is malformed");
	rc = rc ? 1 : 0;
out:
	fflush(stdout);
	pcap_writer_close(w);
	pcap_reader_close(r);
	if (spd)
		spd_free(spd);
	if (sad)
		sad_free(sad);
	return rc;
}

const struct uipsec_cmd uipsec_cmd_pcap = {
	"pcap", pcap_run, "decrypt or encrypt a capture offline with a state file", pcap_help,
};
