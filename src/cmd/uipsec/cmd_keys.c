/* uipsec keys --wireshark and uipsec explain: two questions to uipsecd
 * (ctl/vis.h), answered as text. */
#include "cmd/uipsec/uipsec.h"

#include <string.h>

static void keys_help(FILE *out)
{
	fputs("Usage: uipsec keys --wireshark [--esp | --ike]\n"
	      "The current SAs as lines of Wireshark's tables; without --esp or --ike both\n"
	      "blocks, each after a '#' line naming its table.\n"
	      "--esp: the ESP SA table (the esp_sa file, Preferences > Protocols > ESP >\n"
	      "ESP SAs), one line per SA:\n"
	      "  \"IPv4\",\"SRC\",\"DST\",\"0xSPI\",\"ENCRYPTION\",\"0xKEY\",\"AUTHENTICATION\",\"0xKEY\"\n"
	      "with Wireshark's algorithm names (AES-GCM keys include the 4-byte salt).\n"
	      "SAs whose algorithm Wireshark's ESP dissector cannot decrypt (ChaCha20-Poly1305,\n"
	      "AES-GMAC) are written as '#' comment lines saying so.\n"
	      "--ike: the IKEv2 decryption table (ikev2_decryption_table, Preferences >\n"
	      "Protocols > ISAKMP), one line per IKE SA:\n"
	      "  SPIi,SPIr,SK_ei,SK_er,\"ENCRYPTION\",SK_ai,SK_ar,\"INTEGRITY\"\n"
	      "(bare hex; ChaCha20-Poly1305 IKE SAs are '#' comments: Wireshark 4.0\n"
	      "cannot decrypt them).\n"
	      "Decrypt a capture of the public interface with, for each line:\n"
	      "  tshark -o esp.enable_encryption_decode:TRUE -o 'uat:esp_sa:LINE' -r FILE\n"
	      "  tshark -o 'uat:ikev2_decryption_table:LINE' -r FILE\n"
	      "or append the lines to ~/.config/wireshark/esp_sa or ikev2_decryption_table.\n"
	      "The output holds the keys: treat it like the keys themselves.\n", out);
}

static int keys_run(const struct uipsec_opts *o, int argc, char **argv)
{
	char *words[] = { "wireshark", "all" };

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--esp"))
			words[1] = "esp";
		else if (!strcmp(argv[i], "--ike"))
			words[1] = "ike";
		else if (strcmp(argv[i], "--wireshark") != 0) {
			fprintf(stderr, "uipsec: keys: unexpected '%s' (see uipsec keys --help)\n",
			        argv[i]);
			return 2;
		}
	}
	if (argc < 2 || (argc == 2 && strcmp(argv[1], "--wireshark") != 0)) {
		fputs("uipsec: keys needs --wireshark (the only format so far)\n", stderr);
		return 2;
	}
	return uipsec_daemon_call(o, "keys", 2, words);
}

const struct uipsec_cmd uipsec_cmd_keys = {
	"keys", keys_run, "export SA keys for Wireshark (--wireshark)", keys_help,
};

static void explain_help(FILE *out)
{
	fputs("Usage: uipsec explain SRC DST [PROTO [PORT]]\n"
	      "What uipsecd would do with a packet from SRC to DST, and with its reply,\n"
	      "without sending anything:\n"
	      "  - leaving through the tunnel: the outbound policy (dir out) it matches, or\n"
	      "    none (with the nearest policies and the field that did not match); the SA\n"
	      "    it would use, or why there is none (no SA yet: the first packet raises an\n"
	      "    acquire; a block policy);\n"
	      "  - arriving from the tunnel: the policy (dir fwd, or in for this host's\n"
	      "    addresses) that must accept it after decryption, and its inbound SA;\n"
	      "  - the kernel's route to the destination (like 'ip route get'), and whether\n"
	      "    that route leads into the TUN device at all.\n"
	      "Drops are named with the xfrm_stat counter they would bump (see uipsec stats).\n"
	      "PROTO: icmp (echo request by default), tcp, udp, ipv6-icmp, sctp or a number;\n"
	      "PORT: the destination port, or the ICMP type.\n"
	      "Nothing changes: no counter, no policy hit, no acquire.\n", out);
}

static int explain_run(const struct uipsec_opts *o, int argc, char **argv)
{
	if (argc < 3 || argc > 5) {
		fputs("uipsec: explain needs SRC DST [PROTO [PORT]] (see uipsec explain --help)\n",
		      stderr);
		return 2;
	}
	return uipsec_daemon_call(o, "explain", argc - 1, argv + 1);
}

const struct uipsec_cmd uipsec_cmd_explain = {
	"explain", explain_run, "which policy, SA and route a packet would get, and why",
	explain_help,
};
