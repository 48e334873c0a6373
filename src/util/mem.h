/* Secret hygiene: wiping and constant-time comparison; checked allocation. */
#ifndef UIPSEC_UTIL_MEM_H
#define UIPSEC_UTIL_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Overwrite n bytes at p with zeros in a way the compiler cannot elide. */
void mem_wipe(void *p, size_t n);

/* Wipe n bytes at p, then free(p). NULL is fine. */
void mem_free_wipe(void *p, size_t n);

/* True if a and b hold the same n bytes; time depends only on n. */
bool mem_equal_ct(const void *a, const void *b, size_t n);

/* calloc that aborts on failure: only for start-up and control-plane
 * structures whose size we chose, never for sizes a peer controls. */
void *mem_zalloc(size_t n);

/* Room for one more element in a growable array: when n == *cap, *arr
 * (elements of elem bytes) is realloc'ed to twice *cap (16 at first).
 * 0, or -ENOMEM with *arr and *cap unchanged. realloc leaves the old block
 * unwiped: not for arrays that hold secrets. */
int mem_array_grow(void **arr, size_t *cap, size_t n, size_t elem);

/* Make *buf (*cap bytes, of which the first used are in use) hold at
 * least need bytes, for buffers that may hold keys: a new block (first
 * bytes when *cap is 0, doubled until large enough), the used bytes copied,
 * the old block wiped and freed; realloc would leave a copy behind. 0, or
 * -ENOMEM with *buf and *cap unchanged. */
int mem_grow_wipe(void **buf, size_t *cap, size_t used, size_t need, size_t first);

/* Parse a hex string ("0x..." or plain, even length) into out (max outmax
 * bytes). Returns the number of bytes or -1 on bad input. */
int mem_from_hex(const char *hex, unsigned char *out, size_t outmax);

/* Write 2*n hex digits and a NUL into out (size >= 2n+1). */
void mem_to_hex(const unsigned char *in, size_t n, char *out);

/* open_memstream() for text that may hold keys (ip xfrm state lines,
 * Wireshark key tables): the buffer grows by copying and wiping the old
 * one, and the stream is unbuffered, so no stale copy is left in freed
 * memory. *buf and *len are current after every write (*buf NUL-terminated,
 * never NULL while the stream is open). After fclose() the caller owns *buf
 * and frees it with mem_free_wipe(*buf, *len). NULL on failure. */
FILE *mem_stream_open(char **buf, size_t *len);

#endif
