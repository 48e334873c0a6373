/* libFuzzer target: the pcap/pcapng reader and the link-layer helper on
 * arbitrary bytes. Every record returned must lie inside the input copy. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dp/pcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	return 0;
}
