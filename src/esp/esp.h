/* ESP (RFC 4303) for one state: encapsulation and decapsulation in place,
 * tunnel and transport mode, IPv4 and IPv6 inner and outer, with
 * UDP encapsulation (RFC 3948) handled by esp/udp_encap.h.
 *
 * Ownership: these functions borrow p and the state. They never free p;
 * the caller sends, writes or frees it according to the verdict. */
#ifndef UIPSEC_ESP_ESP_H
#define UIPSEC_ESP_ESP_H

#include <stdint.h>

#include "pkt/pkt.h"
#include "xfrm/drop.h"
#include "xfrm/sad.h"

/* The cipher context sa->crypto is built by sad_add() through
 * crypto_esp_new() (crypto/esp_crypto.h); these functions only use it. */

/* Per-packet overhead of sa in bytes at most (ESP header, IV, max padding to
 * the block, trailer, ICV; plus outer IP and UDP when tunnel/encap). */
uint32_t esp_overhead(const struct sad_sa *sa);

/* Accounting: on DROP_NONE both directions add the inner packet to
 * sa->curlft (bytes, packets, first use) and sa->stats (in/out packets and
 * bytes); every drop bumps its sa->stats counter (replay, integrity_failed,
 * bad_padding, malformed, seq_overflow, expired). A state that is DEAD, or
 * whose curlft already reached a hard packet/byte limit (0 = none), drops
 * with DROP_IN_EXPIRED/DROP_OUT_EXPIRED (sad_sa_hard_reached; the counting
 * is sad_sa_count, xfrm/sad.h). The packet that makes a counter reach a
 * soft or hard limit sets sa->limit_reached; the events are the SAD's: the
 * caller reports it (sad_sa_report on the SAD's thread; the data path:
 * dp_sa_limit).
 *
 * Outbound. On entry p holds one IP packet (tunnel: the inner packet;
 * transport: the packet whose payload is protected). Assigns the next
 * sequence number (refusing to wrap), encrypts, and on DROP_NONE leaves p
 * holding the ESP packet from the SPI to the ICV, with p->meta set to the
 * outer family, addresses, and UDP ports if encapsulated. The outer IP (and
 * UDP) header is not added: the socket adds it (see esp_push_outer()). */
enum drop_reason esp_output(struct sad_sa *sa, struct pkt *p);

/* Inbound. On entry p holds the ESP packet from the SPI to the end and
 * p->meta the outer addresses; sa was found by (daddr, spi, esp). Replay
 * check, ICV verification, replay update, pad and next-header checks, in
 * RFC 4303 order. On DROP_NONE p holds the inner IP packet (transport: with
 * an IP header rebuilt from p->meta). Per-state counters are updated. */
enum drop_reason esp_input(struct sad_sa *sa, struct pkt *p);
/* esp_input drop reasons: DROP_BAD_LEN (shorter than SPI+seq+IV+trailer+
 * ICV, CBC not whole blocks, inner IP length lies), DROP_BAD_SPI (not
 * sa->spi), DROP_REPLAY / DROP_REPLAY_OLD / DROP_SEQ_ZERO, DROP_AUTH_FAILED,
 * DROP_BAD_PADDING (pad length or padding bytes 1, 2, ... wrong),
 * DROP_BAD_NEXT_HEADER (tunnel mode: not 4/41 or not matching the inner
 * version), DROP_DUMMY (next header 59, RFC 4303 2.6: discarded, no error),
 * DROP_IN_EXPIRED, DROP_IN_NO_BUFFER (no headroom for the transport-mode
 * header), DROP_IN_STATE_INVALID (no crypto context or meta family). In
 * tunnel mode TFC padding after the inner packet is removed. Tests can fix
 * the IV with crypto_esp_set_test_iv(sa->crypto, ...). */

/* The stages of esp_input, in the order it runs them (RFC 4303 3.4.3,
 * 3.4.4), named for the trace after the Linux functions they stand for. */
enum esp_in_stage {
	ESP_IN_CHECK,            /* the state is usable, lengths, the SPI */
	ESP_IN_REPLAY_CHECK,     /* xfrm_replay_check (also infers the ESN high bits) */
	ESP_IN_DECRYPT,          /* esp_input proper: ICV and decryption */
	ESP_IN_REPLAY_ADVANCE,   /* xfrm_replay_advance, only after the ICV verified */
	ESP_IN_DECAP,            /* trailer, next header, decapsulation (tunnel:
	                          * xfrm_inner_mode_input, transport:
	                          * xfrm_transport_input) */
};

/* Someone who wants to see each stage (the packet trace, dp/input.c).
 * stage() is called for every stage esp_input passes, with DROP_NONE, and
 * for the stage that decided a drop, with its reason: so the calls are
 * ESP_IN_CHECK, ESP_IN_REPLAY_CHECK, ... in order, every one but the last
 * with DROP_NONE, and the last with the verdict esp_input returns (for
 * DROP_NONE the last is ESP_IN_DECAP). seq: the full sequence number from
 * ESP_IN_REPLAY_CHECK on (0 before). Called on the packet's thread, under
 * the state's lock; it must not change sa or p. */
struct esp_in_obs {
	void *ctx;
	void (*stage)(void *ctx, const struct sad_sa *sa, enum esp_in_stage stage,
	              enum drop_reason r, uint64_t seq);
};

/* esp_input reporting each stage to obs (esp_input is this with none, and
 * costs nothing for it). */
enum drop_reason esp_input_obs(struct sad_sa *sa, struct pkt *p, const struct esp_in_obs *obs);

/* Batch forms: verdicts[i] for pkts[i]. Same contract as above. */
void esp_output_batch(struct sad_sa *sa, struct pkt **pkts, uint32_t n,
                      enum drop_reason *verdicts);
void esp_input_batch(struct sad_sa *sa, struct pkt **pkts, uint32_t n,
                     enum drop_reason *verdicts);

/* Prepend the outer IPv4/IPv6 header (and UDP header if the state is UDP
 * encapsulated) to an ESP packet from esp_output(), for pcap writing and
 * raw sockets with header inclusion. Returns DROP_NONE or DROP_OUT_NO_ROOM. */
enum drop_reason esp_push_outer(const struct sad_sa *sa, struct pkt *p);

#endif
