/* uipsec keys --wireshark and uipsec explain: two questions to uipsecd
 * (ctl/vis.h), answered as text. */
#include "cmd/uipsec/uipsec.h"

#include <string.h>

static void keys_help(FILE *out)
{
	fputs("Usage: uipsec keys --wireshark\n"
	      "The current SAs as lines of Wireshark's ESP SA table (the esp_sa file,\n"
	      "Preferences > Protocols > ESP > ESP SAs), one per SA:\n"
	      "  \"IPv4\",\"SRC\",\"DST\",\"0xSPI\",\"ENCRYPTION\",\"0xKEY\",\"AUTHENTICATION\",\"0xKEY\"\n"
	      "with Wireshark's algorithm names (AES-GCM keys include the 4-byte salt).\n"
	      "SAs whose algorithm Wireshark's ESP dissector cannot decrypt (ChaCha20-Poly1305,\n"
	      "AES-GMAC) are written as '#' comment lines saying so.\n"
	      "IKE SAs (Wireshark's ikev2_decryption_table) are not exported yet.\n"
	      "Decrypt a capture of the public interface with, for each line:\n"
	      "  tshark -o esp.enable_encryption_decode:TRUE -o 'uat:esp_sa:LINE' -r FILE\n"
	      "or append the lines to ~/.config/wireshark/esp_sa.\n"
	      "The output holds the keys: treat it like the keys themselves.\n", out);
}

static int keys_run(const struct uipsec_opts *o, int argc, char **argv)
{
	char *words[] = { "wireshark" };

	if (argc != 2 || strcmp(argv[1], "--wireshark") != 0) {
		fputs("uipsec: keys needs --wireshark (the only format so far)\n", stderr);
		return 2;
	}
	return uipsec_daemon_call(o, "keys", 1, words);
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
