/* Helpers shared by esp_out.c, esp_in.c and esp.c; not an API. */
#ifndef UIPSEC_ESP_ESP_PRIV_H
#define UIPSEC_ESP_ESP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "xfrm/sad.h"

#define ESP_HDR_LEN 8        /* SPI + sequence number */
#define ESP_TRAILER_LEN 2    /* pad length + next header */

/* Lifetimes: sad_sa_hard_reached() before a packet, sad_sa_count() after
 * one that passed (xfrm/sad.h), the one implementation the SAD and its
 * tests use too. */

#endif
