/* Helpers shared by esp_out.c, esp_in.c and esp.c; not an API. */
#ifndef UIPSEC_ESP_ESP_PRIV_H
#define UIPSEC_ESP_ESP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "util/clock.h"
#include "xfrm/sad.h"

#define ESP_HDR_LEN 8        /* SPI + sequence number */
#define ESP_TRAILER_LEN 2    /* pad length + next header */

/* Hard packet/byte limits (0 and XFRM_INF mean none). */
static inline bool esp_sa_hard_expired(const struct sad_sa *sa)
{
	if (sa->state == SAD_STATE_DEAD)
		return true;
	if (sa->lft.hard_packet_limit && sa->curlft.packets >= sa->lft.hard_packet_limit)
		return true;
	if (sa->lft.hard_byte_limit && sa->curlft.bytes >= sa->lft.hard_byte_limit)
		return true;
	return false;
}

/* Count one accepted packet of len (inner) bytes; dir 0 in, 1 out. */
static inline void esp_sa_account(struct sad_sa *sa, uint32_t len, int dir)
{
	sa->curlft.bytes += len;
	sa->curlft.packets++;
	if (!sa->curlft.use_time) {
		sa->curlft.use_time = clock_mono_sec();
		sa->curlft.use_time_wall = clock_wall_sec();
		if (!sa->curlft.use_time)
			sa->curlft.use_time = 1;
	}
	if (dir) {
		sa->stats.out_packets++;
		sa->stats.out_bytes += len;
	} else {
		sa->stats.in_packets++;
		sa->stats.in_bytes += len;
	}
}

#endif
