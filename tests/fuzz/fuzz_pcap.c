/* libFuzzer target: the pcap/pcapng reader, the link-layer helper and the
 * offline ESP input path (dp/offline.c: outer IP/UDP parsing, SAD lookup,
 * esp_input) on arbitrary bytes. Every record returned must lie inside the
 * input copy. A fresh SAD per input keeps runs independent. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "xfrmcli/xfrm_cmd.h"
#include "dp/offline.h"
#include "dp/pcap.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const states[] = {
	"state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 mode tunnel replay-window 32 "
	"aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128",
	"state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1002 mode tunnel "
	"replay-window 128 enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f "
	"auth-trunc 'hmac(sha256)' 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 128 "
	"encap espinudp 4500 4500 0.0.0.0",
	"state add src 2001:db8:1::2 dst 2001:db8:2::2 proto esp spi 0x1003 mode transport "
	"aead 'rfc7539esp(chacha20,poly1305)' "
	"0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40414243 128",
};

static void offline(const uint8_t *data, size_t size)
{
	struct sad *sad = sad_new(NULL);
	struct spd *spd = spd_new(NULL);
	FILE *sink = fopen("/dev/null", "w");
	struct pcap_writer *w = NULL;
	struct pcap_reader *r = NULL;
	struct dp_offline_stats st = { 0 };
	char err[128];

	if (!sad || !spd || !sink)
		goto out;
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		char line[512], *argv[64];
		const char *why;
		int argc;

		snprintf(line, sizeof(line), "%s", states[i]);
		argc = xfrm_line_split(line, argv, 64, &why);
		if (xfrm_cmd_run(sad, spd, argc, argv, sink, sink))
			abort();
	}
	r = pcap_reader_open_mem(data, size, err, sizeof(err));
	w = pcap_writer_new(sink, PCAP_LINKTYPE_RAW);
	if (r && w)
		dp_offline_decrypt(sad, r, w, sink, &st);
out:
	pcap_writer_close(w);
	pcap_reader_close(r);
	if (sink)
		fclose(sink);
	if (spd)
		spd_free(spd);
	if (sad)
		sad_free(sad);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128];
	struct pcap_record rec;
	struct pcap_reader *r = pcap_reader_open_mem(data, size, err, sizeof(err));
	unsigned n = 0;

	if (!r)
		return 0;
	while (pcap_reader_next(r, &rec) == 1 && n++ < 100000) {
		const uint8_t *ip;
		uint32_t iplen;
		volatile uint8_t sink = 0;

		if (rec.caplen > size)
			abort();
		if (pcap_link_ip(rec.linktype, rec.data, rec.caplen, &ip, &iplen) == 0) {
			if (ip < rec.data || ip + iplen > rec.data + rec.caplen)
				abort();
			for (uint32_t i = 0; i < iplen; i++)
				sink ^= ip[i];
		}
		(void)sink;
	}
	pcap_reader_close(r);
	offline(data, size);
	return 0;
}
