/* esp_tool: run esp_output/esp_input on packets from a file, for tests that
 * compare uipsec's ESP with another implementation (tests/scapy/).
 *
 *   esp_tool encrypt|decrypt [options] IN OUT
 *
 * IN and OUT hold records: a 4-byte big-endian length, then the bytes.
 * encrypt: IN holds inner IP packets; OUT gets whole outer packets (outer
 * IP, UDP if --encap, ESP). decrypt: IN holds whole outer packets; OUT gets
 * the inner packet of each, or an empty record if it was dropped. One line
 * per packet goes to stdout: the drop reason name ("ok" when accepted).
 *
 * Options (keys in hex, salt included for AEADs as ip xfrm takes them):
 *   --aead NAME --key HEX --icv BITS       or
 *   --enc NAME --key HEX --auth NAME --akey HEX [--trunc BITS]
 *   --spi HEX --src ADDR --dst ADDR --mode tunnel|transport
 *   [--esn] [--encap SPORT:DPORT] [--oseq N] [--replay-top N] [--window N] */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto/esp_crypto.h"
#include "esp/esp.h"
#include "esp/udp_encap.h"
#include "net/ip.h"
#include "util/bytes.h"
#include "util/mem.h"
#include "xfrm/sad.h"

static void usage(void)
{
	fputs("usage: esp_tool encrypt|decrypt (--aead NAME --key HEX --icv BITS |\n"
	      "         --enc NAME --key HEX --auth NAME --akey HEX [--trunc BITS])\n"
	      "         --spi HEX --src ADDR --dst ADDR --mode tunnel|transport\n"
	      "         [--esn] [--encap SPORT:DPORT] [--oseq N] [--replay-top N]\n"
	      "         [--window N] IN OUT\n", stderr);
	exit(2);
}

static int read_record(FILE *f, uint8_t *buf, uint32_t max, uint32_t *len)
{
	uint8_t hdr[4];

	if (fread(hdr, 1, 4, f) != 4)
		return 0;
	*len = get_be32(hdr);
	if (*len > max || fread(buf, 1, *len, f) != *len) {
		fprintf(stderr, "esp_tool: bad record\n");
		exit(1);
	}
	return 1;
}

static void write_record(FILE *f, const uint8_t *buf, uint32_t len)
{
	uint8_t hdr[4];

	put_be32(hdr, len);
	if (fwrite(hdr, 1, 4, f) != 4 || (len && fwrite(buf, 1, len, f) != len)) {
		fprintf(stderr, "esp_tool: write failed\n");
		exit(1);
	}
}

/* Strip the outer IP (and UDP) header, filling p->meta. */
static enum drop_reason strip_outer(struct pkt *p)
{
	const uint8_t *d = pkt_data(p);
	uint8_t proto;
	uint32_t hl;

	if (p->len >= IP4_HDR_LEN && (d[0] >> 4) == 4) {
		hl = (uint32_t)(d[0] & 0x0f) * 4;
		if (hl < IP4_HDR_LEN || hl > p->len)
			return DROP_BAD_LEN;
		proto = d[9];
		p->meta.family = AF_INET;
		memcpy(p->meta.saddr, d + 12, 4);
		memcpy(p->meta.daddr, d + 16, 4);
	} else if (p->len >= IP6_HDR_LEN && (d[0] >> 4) == 6) {
		hl = IP6_HDR_LEN;
		proto = d[6];
		p->meta.family = AF_INET6;
		memcpy(p->meta.saddr, d + 8, 16);
		memcpy(p->meta.daddr, d + 24, 16);
	} else {
		return DROP_NOT_ESP;
	}
	if (proto == IP_PROTO_UDP) {
		if (p->len < hl + UDP_HDR_LEN)
			return DROP_BAD_LEN;
		p->meta.udp_encap = 1;
		p->meta.sport = get_be16(d + hl);
		p->meta.dport = get_be16(d + hl + 2);
		hl += UDP_HDR_LEN;
		if (udp_encap_classify(d + hl, p->len - hl) != UDP_ENCAP_KIND_ESP)
			return DROP_NOT_ESP;
	} else if (proto != IP_PROTO_ESP) {
		return DROP_NOT_ESP;
	}
	pkt_pull(p, hl);
	return DROP_NONE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "aead", 1, NULL, 'A' }, { "enc", 1, NULL, 'E' }, { "auth", 1, NULL, 'U' },
		{ "key", 1, NULL, 'k' }, { "akey", 1, NULL, 'K' }, { "icv", 1, NULL, 'i' },
		{ "trunc", 1, NULL, 't' }, { "spi", 1, NULL, 's' }, { "src", 1, NULL, 'S' },
		{ "dst", 1, NULL, 'D' }, { "mode", 1, NULL, 'm' }, { "esn", 0, NULL, 'n' },
		{ "encap", 1, NULL, 'c' }, { "oseq", 1, NULL, 'o' },
		{ "replay-top", 1, NULL, 'r' }, { "window", 1, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	static uint8_t buf[PKT_DEFAULT_CAP];
	struct crypto_esp_algs a = { 0 };
	uint8_t key[64], akey[128];
	struct sad_sa sa;
	uint32_t window = 128;
	uint64_t replay_top = 0;
	bool encrypt, esn = false;
	char err[200];
	FILE *in, *out;
	int o, n;

	memset(&sa, 0, sizeof(sa));
	sa.mode = XFRM_MODE_TUNNEL;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'A': a.aead = optarg; break;
		case 'E': a.enc = optarg; break;
		case 'U': a.auth = optarg; break;
		case 'k':
			if ((n = mem_from_hex(optarg, key, sizeof(key))) < 0)
				usage();
			a.aead_key = a.enc_key = key;
			a.aead_key_len = a.enc_key_len = (size_t)n;
			break;
		case 'K':
			if ((n = mem_from_hex(optarg, akey, sizeof(akey))) < 0)
				usage();
			a.auth_key = akey;
			a.auth_key_len = (size_t)n;
			break;
		case 'i': a.aead_icv_bits = (unsigned)atoi(optarg); break;
		case 't': a.auth_trunc_bits = (unsigned)atoi(optarg); break;
		case 's': sa.spi = (uint32_t)strtoul(optarg, NULL, 16); break;
		case 'S': if (ip_addr_parse(optarg, &sa.saddr)) usage(); break;
		case 'D': if (ip_addr_parse(optarg, &sa.daddr)) usage(); break;
		case 'm':
			if (!strcmp(optarg, "transport"))
				sa.mode = XFRM_MODE_TRANSPORT;
			else if (strcmp(optarg, "tunnel"))
				usage();
			break;
		case 'n': esn = true; break;
		case 'c':
			if (sscanf(optarg, "%hu:%hu", &sa.encap.sport, &sa.encap.dport) != 2)
				usage();
			sa.encap.type = UDP_ENCAP_ESPINUDP_;
			break;
		case 'o': sa.oseq = strtoull(optarg, NULL, 0); break;
		case 'r': replay_top = strtoull(optarg, NULL, 0); break;
		case 'w': window = (uint32_t)atoi(optarg); break;
		default: usage();
		}
	}
	if (argc - optind != 3)
		usage();
	if (!strcmp(argv[optind], "encrypt"))
		encrypt = true;
	else if (!strcmp(argv[optind], "decrypt"))
		encrypt = false;
	else
		usage();
	if (a.aead)
		a.enc_key = NULL, a.enc_key_len = 0;
	else
		a.aead_key = NULL, a.aead_key_len = 0;
	if (crypto_esp_new(&a, &sa.crypto, err, sizeof(err))) {
		fprintf(stderr, "esp_tool: %s\n", err);
		return 1;
	}
	sa.proto = IPPROTO_ESP_;
	sa.flags = esn ? SAD_FLAG_ESN : 0;
	if (!replay_init(&sa.replay, window, esn)) {
		fprintf(stderr, "esp_tool: bad window %u\n", window);
		return 1;
	}
	replay_set_top(&sa.replay, replay_top);
	in = fopen(argv[optind + 1], "rb");
	out = fopen(argv[optind + 2], "wb");
	if (!in || !out) {
		fprintf(stderr, "esp_tool: cannot open files\n");
		return 1;
	}
	for (;;) {
		struct pkt p;
		uint32_t len;
		enum drop_reason r;

		pkt_init(&p, buf, sizeof(buf), PKT_HEADROOM);
		if (!read_record(in, pkt_data(&p), sizeof(buf) - PKT_HEADROOM - PKT_TAILROOM,
		                 &len))
			break;
		p.len = len;
		if (encrypt) {
			r = esp_output(&sa, &p);
			if (!r)
				r = esp_push_outer(&sa, &p);
		} else {
			r = strip_outer(&p);
			if (!r)
				r = esp_input(&sa, &p);
		}
		printf("%s\n", drop_reason_name(r));
		write_record(out, pkt_data(&p), r ? 0 : p.len);
	}
	fclose(in);
	if (fclose(out)) {
		fprintf(stderr, "esp_tool: write failed\n");
		return 1;
	}
	crypto_esp_free(sa.crypto);
	mem_wipe(key, sizeof(key));
	mem_wipe(akey, sizeof(akey));
	return 0;
}
