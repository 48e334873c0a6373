/* Typed values of swanctl.conf options: the scalar parsers conf.c uses to
 * check each option (internal to src/conf/; identities, addresses and
 * traffic selectors are public in conf.h). Every parser returns 0 or
 * -EINVAL and leaves *out alone on error. */
#ifndef UIPSEC_CONF_VALUE_H
#define UIPSEC_CONF_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "30", "10s", "30m", "4h", "1d", also "0x1e" and "10 m" (strongSwan's
 * parse_time); seconds. */
int conf_parse_duration(const char *s, uint64_t *out);

/* A volume: a number with an optional k, m or g suffix (x1024). */
int conf_parse_bytes(const char *s, uint64_t *out);

/* yes/true/enabled/1 and no/false/disabled/0, case-insensitive. */
int conf_parse_bool(const char *s, bool *out);

/* Decimal or 0x hex, at most max. */
int conf_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* A secret as swanctl.conf writes it: "0x" + hex, "0s" + base64, or the
 * text itself. *out is malloc'd (wipe it); empty secrets are rejected. */
int conf_parse_secret(const char *s, uint8_t **out, size_t *len);

/* Split a comma-separated list, trimming blanks around each item. Empty
 * items are an error. *items is an array of malloc'd strings. */
int conf_split_list(const char *s, char ***items, size_t *n);
void conf_list_free(char **items, size_t n);

#endif
