/* ESP over capture files: decrypt every ESP packet of a capture with the
 * states of a SAD (as xfrm_input would: lookup by (daddr, SPI, esp),
 * replay check, ICV, decap), or encrypt a capture of inner packets with
 * the SPD/SAD (as xfrm_output would). One verdict line per packet and the
 * xfrm_stat counters, for uipsec pcap decrypt|encrypt.
 *
 * Single-threaded; the caller owns the SAD, SPD, reader and writer. */
#ifndef UIPSEC_DP_OFFLINE_H
#define UIPSEC_DP_OFFLINE_H

#include <stdint.h>
#include <stdio.h>

#include "dp/pcap.h"
#include "xfrm/xfrm.h"

struct sad;
struct spd;

struct dp_offline_stats {
	uint64_t packets;      /* records read */
	uint64_t ok;           /* decrypted / encrypted and written */
	uint64_t no_state;
	uint64_t auth_failed;
	uint64_t replay;
	uint64_t malformed;
	uint64_t skipped;      /* not IP, not ESP, bypass: nothing to do */
	uint64_t dropped;      /* other drops (policy block, expired, ...) */
	struct xfrm_stats mib; /* the /proc/net/xfrm_stat counters */
};

/* Decrypt r into w (inner packets, w should be LINKTYPE_RAW). Prints
 *   #N ok spi 0x00001000 seq 1
 *   #N no state spi 0x00001000 dst 192.0.2.2
 *   #N auth failed spi ... seq ...   #N replay spi ... seq ...
 *   #N malformed (bad-length) ...    #N skipped (not esp: udp 500)
 * to log. Returns 0, or -EINVAL if the capture itself is malformed
 * (reported on log; what came before was processed), -EIO on write error. */
int dp_offline_decrypt(struct sad *sad, struct pcap_reader *r, struct pcap_writer *w,
                       FILE *log, struct dp_offline_stats *st);

/* Encrypt r (inner packets) into w (outer ESP packets, LINKTYPE_RAW).
 * With policies, each packet gets what uipsecd's output path gives it
 * (xfrm_lookup_out, xfrm/lookup.h): the state of the first template of the
 * matching dir out policy; a bypass policy writes it in clear; no policy,
 * a block policy or no state drops it (as uipsecd does, counted under the
 * same xfrm_stat counter); link-local and multicast packets no policy
 * covers are skipped (uipsecd ignores them). With no policies at all (a
 * file of states only), the state is the only one whose selector (and, in
 * transport mode, addresses) match the packet. */
int dp_offline_encrypt(struct sad *sad, struct spd *spd, struct pcap_reader *r,
                       struct pcap_writer *w, FILE *log, struct dp_offline_stats *st);

/* Totals and every xfrm_stat counter in /proc/net/xfrm_stat's format. */
void dp_offline_print_stats(FILE *out, const struct dp_offline_stats *st);

#endif
