/* IKEv2 messages: the fixed header, the payload chain, the Encrypted
 * payload (SK) and the Encrypted Fragment payload (SKF, RFC 7383). Parsing validates every length against the bytes that
 * remain before looking inside (validate, then parse); building writes a
 * chain with the next-payload fields patched as payloads are appended.
 *
 * A parsed struct ike_msg borrows the datagram (raw) and owns the
 * decrypted copy of the SK contents (freed by ike_msg_clear). A message
 * put back together from fragments (reassembled) has no datagram: it
 * owns the inner payload chain, which ike_msg_decrypt parses. */
#ifndef UIPSEC_IKE_IKE_MSG_H
#define UIPSEC_IKE_IKE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/ike_cipher.h"

struct ike_endpoint;

struct ike_hdr {
	uint64_t spi_i, spi_r;
	uint8_t next;        /* first payload type */
	uint8_t version;     /* major << 4 | minor */
	uint8_t exchange;
	uint8_t flags;
	uint32_t msgid;
	uint32_t length;
};

struct ike_pld {
	uint8_t type;
	bool critical;
	bool encrypted;      /* found inside SK */
	const uint8_t *body; /* after the generic header */
	uint16_t len;        /* of body */
};

#define IKE_MSG_MAX_PLDS 64

struct ike_msg {
	struct ike_hdr hdr;
	const uint8_t *raw;
	size_t rawlen;
	unsigned npld;
	struct ike_pld pld[IKE_MSG_MAX_PLDS];
	uint8_t unsupported_critical; /* first unknown critical payload type, 0 none */
	bool has_sk;                  /* an SK payload, the last one (or reassembled) */
	bool has_skf;                 /* an Encrypted Fragment payload, the last one */
	uint16_t frag_num, frag_total;/* its Fragment Number and Total Fragments */
	bool reassembled;             /* from fragments: plain is the inner chain */
	uint8_t inner_first;          /* reassembled: the first inner payload's type */
	uint8_t *plain;               /* decrypted copy (owned) */
	size_t plainlen;
	/* where a message for an IKE SA arrived (borrowed, set by
	 * ike_mgr_input; NULL elsewhere): MOBIKE moves to them (RFC 4555) */
	const struct ike_endpoint *local, *remote;
};

/* Parse and check the header: length field equals len, major version 2.
 * Returns 0, -EBADMSG (malformed), -EPROTONOSUPPORT (major version). */
int ike_msg_parse_hdr(const uint8_t *buf, size_t len, struct ike_hdr *h);

/* Parse the header and the outer payload chain into m (m->raw = buf).
 * Each known payload is checked by ike_pld_validate(). An SK or SKF
 * payload must be the last one; it stays as a payload until
 * ike_msg_decrypt() / ike_msg_frag_open(). An SKF's Fragment Number and
 * Total Fragments are read into m (not checked: that is reassembly's).
 * Returns 0 or -EBADMSG / -E2BIG (too many payloads) / -EPROTONOSUPPORT. */
int ike_msg_parse(const uint8_t *buf, size_t len, struct ike_msg *m);

/* Verify and decrypt the SK payload with the peer's keys and append the
 * inner payloads (encrypted = true). Returns 0, -ENOENT (no SK),
 * -EBADMSG (the ICV did not verify), -EINVAL (lengths that cannot be
 * decrypted: nothing verified), -EPROTO (verified and decrypted, but the
 * padding or the inner payload chain is malformed: a syntax error of
 * whoever holds the keys, answered with INVALID_SYNTAX). A reassembled
 * message was verified fragment by fragment: only its inner chain is
 * parsed (k unused; 0 or -EPROTO). */
int ike_msg_decrypt(struct ike_msg *m, const struct crypto_ike_keys *k);

/* RFC 7383 2.5, 2.6.1: verify the ICV of m's Encrypted Fragment payload
 * with the peer's keys and decrypt a copy (m->plain, owned by m). Its
 * Next Payload into *first, the decrypted content (padding removed,
 * pointing into m->plain) into *content and *len. Returns 0, -ENOENT (no
 * SKF), -EBADMSG (the ICV did not verify), -EINVAL (lengths that cannot
 * be decrypted: nothing verified), -EPROTO (verified, but the padding is
 * malformed). */
int ike_msg_frag_open(struct ike_msg *m, const struct crypto_ike_keys *k, uint8_t *first,
                      const uint8_t **content, size_t *len);
/* Make m a message reassembled from fragments: header h (length set to
 * what the whole message would have been), first inner payload type
 * first, inner chain plain[0, len) (taken over: wiped and freed by
 * ike_msg_clear). m is empty before. */
void ike_msg_set_reassembled(struct ike_msg *m, const struct ike_hdr *h, uint8_t first,
                             uint8_t *plain, size_t len);

void ike_msg_clear(struct ike_msg *m);

/* First payload of type (among encrypted ones only if enc_only). */
const struct ike_pld *ike_msg_find(const struct ike_msg *m, uint8_t type);
/* First notify payload of notify type ntype, or NULL. */
const struct ike_pld *ike_msg_find_notify(const struct ike_msg *m, uint16_t ntype);
/* The first error notify (type < 16384): its type, or 0. */
uint16_t ike_msg_error_notify(const struct ike_msg *m);

/* ---- building ---- */

struct ike_mb {
	uint8_t *p;
	size_t len, cap;
	bool oom;
	size_t next_off;   /* offset of the next-payload byte to patch */
	size_t sk_off;     /* offset of the SK generic header, 0 if none */
};

/* Start a message with header h (length is filled in at the end). */
void ike_mb_init(struct ike_mb *mb, const struct ike_hdr *h);
void ike_mb_free(struct ike_mb *mb);
/* Append n bytes (copied if data != NULL, zero otherwise); returns a
 * pointer to them or NULL (and mb->oom) on allocation failure. */
uint8_t *ike_mb_put(struct ike_mb *mb, const void *data, size_t n);
/* Open a payload of type: writes its generic header, chains it. Returns
 * the offset to pass to ike_mb_close. */
size_t ike_mb_open(struct ike_mb *mb, uint8_t type, bool critical);
/* Set the payload's length. */
void ike_mb_close(struct ike_mb *mb, size_t off);
/* Open the SK payload: the payloads that follow go inside it. */
void ike_mb_sk_open(struct ike_mb *mb, int encr);
/* Finish the message: pad and encrypt the SK payload (if open) with keys
 * k, set the lengths. Returns 0 or a negative errno. */
int ike_mb_finish(struct ike_mb *mb, const struct crypto_ike_keys *k);

/* ---- fragments (RFC 7383 2.5) ----
 * A message whose SK payload follows the header directly can instead be
 * sent as Encrypted Fragment payloads: its inner payloads cut into pieces
 * of at most `content` bytes, each piece its own message with the same
 * header (Next Payload SKF, its own length), sealed on its own. */

/* The length mb would have once finished with k. */
size_t ike_mb_sealed_len(const struct ike_mb *mb, const struct crypto_ike_keys *k);
/* The most inner-payload bytes one fragment may carry for a message of
 * at most msg_max bytes (IKE header included) with k's algorithms; 0 if
 * not even one fits. */
size_t ike_frag_content_max(const struct crypto_ike_keys *k, size_t msg_max);
/* How many fragments of at most content bytes mb's inner payloads need;
 * 0 if mb cannot be fragmented (no SK right after the header, out of
 * memory, content 0). */
unsigned ike_mb_frag_count(const struct ike_mb *mb, const struct crypto_ike_keys *k,
                           size_t content);
/* One Encrypted Fragment message: the IKE header hdr (IKE_HDR_LEN bytes;
 * Next Payload and Length are set here), an SKF with Next Payload first,
 * Fragment Number num, Total Fragments total and content[0, len), padded
 * and sealed with k, into a new buffer *out of *outlen bytes (the caller
 * frees it). 0, -EINVAL (too long), -ENOMEM, -EIO. */
int ike_msg_frag_seal(const uint8_t *hdr, uint8_t first, uint16_t num, uint16_t total,
                      const uint8_t *content, size_t len, const struct crypto_ike_keys *k,
                      uint8_t **out, size_t *outlen);
/* Fragment num (1..total) of mb, sealed with k, into a new buffer *out
 * (the caller frees it) of *outlen bytes. mb is not changed. 0, -EINVAL,
 * -ENOMEM, -EIO. */
int ike_mb_frag_build(const struct ike_mb *mb, const struct crypto_ike_keys *k, size_t content,
                      uint16_t num, uint16_t total, uint8_t **out, size_t *outlen);

#endif
