/* libFuzzer target: the control socket's VICI decoder. Feeds the input as a
 * stream of framed packets (like a client connection), parses each, walks
 * its elements and looks up the keys the daemon reads; every packet that
 * parses must re-encode to the same bytes when rebuilt element by element. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/vici.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reencode(const struct vici_packet *pk, const uint8_t *raw, size_t rawlen)
{
	struct vici_buf b;
	struct vici_iter it;
	struct vici_elem e;

	vici_buf_init(&b);
	vici_begin(&b, pk->type, pk->name[0] || pk->type == VICI_CMD_REQUEST ||
	           pk->type == VICI_EVENT || pk->type == VICI_EVENT_REGISTER ||
	           pk->type == VICI_EVENT_UNREGISTER ? pk->name : NULL);
	vici_iter_init(&it, pk->msg, pk->msg_len);
	while (vici_iter_next(&it, &e) == 1) {
		switch (e.type) {
		case VICI_SECTION_START: vici_section_start(&b, e.name); break;
		case VICI_SECTION_END: vici_section_end(&b); break;
		case VICI_KEY_VALUE: vici_kv(&b, e.name, e.value, e.value_len); break;
		case VICI_LIST_START: vici_list_start(&b, e.name); break;
		case VICI_LIST_ITEM: vici_list_item(&b, e.value, e.value_len); break;
		case VICI_LIST_END: vici_list_end(&b); break;
		default: abort();
		}
	}
	if (vici_end(&b) != 0 || b.len != rawlen + 4 || memcmp(b.data + 4, raw, rawlen) != 0)
		abort();
	vici_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	while (size >= 4) {
		long n = vici_frame_len(data);
		struct vici_packet pk;
		char val[64];
		char **argv;

		if (n < 0 || (size_t)n > size - 4)
			break;
		/* copy so that reads past the packet are caught */
		uint8_t *pkt = malloc((size_t)n);
		memcpy(pkt, data + 4, (size_t)n);
		if (vici_packet_parse(pkt, (size_t)n, &pk) == 0) {
			vici_get_str(pk.msg, pk.msg_len, "output", val, sizeof(val));
			if (vici_get_list(pk.msg, pk.msg_len, "argv", &argv, 64) >= 0)
				vici_list_free(argv);
			reencode(&pk, pkt, (size_t)n);
		}
		free(pkt);
		data += 4 + n;
		size -= 4 + (size_t)n;
	}
	return 0;
}
