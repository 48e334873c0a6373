/* strongSwan's VICI wire format (src/libcharon/plugins/vici/README.md):
 * the framing and message encoding of uipsecd's control socket, so that a
 * later release can answer swanctl's own commands on the same socket.
 *
 * Transport: each packet is a 32-bit big-endian length (of what follows,
 * at most VICI_MAX_PACKET bytes) and the packet:
 *
 *   +--------+-----------------+-------------------------------+
 *   | type 1 | name (if named) | message (if the type has one) |
 *   +--------+-----------------+-------------------------------+
 *
 * Packet types: CMD_REQUEST (named, message), CMD_RESPONSE (message),
 * CMD_UNKNOWN, EVENT_REGISTER (named), EVENT_UNREGISTER (named),
 * EVENT_CONFIRM, EVENT_UNKNOWN, EVENT (named, message).
 *
 * A message is a sequence of elements, each a type byte and then:
 *   SECTION_START  name             (name: 8-bit length + bytes)
 *   SECTION_END
 *   KEY_VALUE      name value       (value: 16-bit BE length + bytes)
 *   LIST_START     name
 *   LIST_ITEM      value            (only inside a list)
 *   LIST_END
 * Sections nest; lists hold only items; everything must be closed.
 *
 * Ownership: a struct vici_buf owns its bytes. Parsed views point into the
 * caller's buffer and live as long as it does. */
#ifndef UIPSEC_CTL_VICI_H
#define UIPSEC_CTL_VICI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VICI_MAX_PACKET (512 * 1024)   /* as strongSwan: data after the length */
#define VICI_MAX_DEPTH 16              /* nesting of sections we accept */

enum vici_packet_type {
	VICI_CMD_REQUEST = 0,
	VICI_CMD_RESPONSE = 1,
	VICI_CMD_UNKNOWN = 2,
	VICI_EVENT_REGISTER = 3,
	VICI_EVENT_UNREGISTER = 4,
	VICI_EVENT_CONFIRM = 5,
	VICI_EVENT_UNKNOWN = 6,
	VICI_EVENT = 7,
};

enum vici_elem_type {
	VICI_SECTION_START = 1,
	VICI_SECTION_END = 2,
	VICI_KEY_VALUE = 3,
	VICI_LIST_START = 4,
	VICI_LIST_ITEM = 5,
	VICI_LIST_END = 6,
};

/* ---- encoding ---- */

/* A growing buffer holding one framed packet (length prefix included).
 * Errors are sticky: after one, every call is a no-op and vici_end()
 * returns it. */
struct vici_buf {
	uint8_t *data;
	size_t len, cap;
	int err;        /* 0 or -errno */
	int depth;      /* open sections */
	bool in_list;
};

void vici_buf_init(struct vici_buf *b);
/* Wipe (control messages may carry keys) and free. */
void vici_buf_free(struct vici_buf *b);

/* Start a packet of this type; name is required for named types and must
 * be NULL for the others. */
void vici_begin(struct vici_buf *b, enum vici_packet_type type, const char *name);
void vici_section_start(struct vici_buf *b, const char *name);
void vici_section_end(struct vici_buf *b);
void vici_kv(struct vici_buf *b, const char *name, const void *value, size_t len);
void vici_kv_str(struct vici_buf *b, const char *name, const char *value);
void vici_kv_fmt(struct vici_buf *b, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vici_list_start(struct vici_buf *b, const char *name);
void vici_list_item(struct vici_buf *b, const void *value, size_t len);
void vici_list_item_str(struct vici_buf *b, const char *value);
void vici_list_end(struct vici_buf *b);
/* Check balance, write the length prefix. 0, or -EINVAL (unbalanced, bad
 * name), -EMSGSIZE (over VICI_MAX_PACKET or a value over 65535), -ENOMEM.
 * The framed packet is b->data[0..b->len). */
int vici_end(struct vici_buf *b);

/* ---- decoding ---- */

/* A packet (the bytes after the length prefix), split into its parts. */
struct vici_packet {
	uint8_t type;
	char name[256];          /* NUL-terminated; empty for unnamed types */
	const uint8_t *msg;      /* message elements (may be empty) */
	size_t msg_len;
};

/* Length of the packet announced by a 4-byte prefix, or -EMSGSIZE if it
 * is 0 or over VICI_MAX_PACKET. */
long vici_frame_len(const uint8_t hdr[4]);

/* Parse a packet and validate its message completely (vici_msg_valid).
 * 0, or -EBADMSG for anything malformed (unknown type, truncated name,
 * name with a NUL byte, message on a type that has none, bad message). */
int vici_packet_parse(const uint8_t *data, size_t len, struct vici_packet *out);

/* True if msg is a well-formed element sequence (every length in bounds,
 * sections balanced and at most VICI_MAX_DEPTH deep, items only in lists,
 * nothing but items in lists). */
bool vici_msg_valid(const uint8_t *msg, size_t len);

/* Walk the elements of a valid message, in order. */
struct vici_iter {
	const uint8_t *p, *end;
	int depth;               /* sections open before the next element */
};
struct vici_elem {
	uint8_t type;            /* enum vici_elem_type */
	char name[256];          /* for SECTION_START, KEY_VALUE, LIST_START */
	const uint8_t *value;    /* for KEY_VALUE, LIST_ITEM */
	uint16_t value_len;
	int depth;               /* section depth of the element (top = 0) */
};
void vici_iter_init(struct vici_iter *it, const uint8_t *msg, size_t len);
/* 1 and *e filled, 0 at the end, -EBADMSG if malformed. */
int vici_iter_next(struct vici_iter *it, struct vici_elem *e);

/* Top-level key lookup: copies the value of key name as a NUL-terminated
 * string into out (size outlen). 0, -ENOENT, -EMSGSIZE (does not fit or
 * holds a NUL byte). msg must be valid. */
int vici_get_str(const uint8_t *msg, size_t len, const char *name, char *out, size_t outlen);

/* Top-level list lookup: up to max items copied as strings into one
 * allocation, NULL-terminated: (*argv)[i] point into it; release it with
 * vici_list_free(*argv) (wipes: xfrm commands carry keys). Returns the
 * number of items, -ENOENT, -E2BIG (more than max), -EMSGSIZE (an item has a
 * NUL byte), -ENOMEM. msg must be valid. */
int vici_get_list(const uint8_t *msg, size_t len, const char *name, char ***argv, int max);

void vici_list_free(char **argv);

#endif
