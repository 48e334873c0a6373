/* VICI encoder and decoder. See vici.h for the format.
 *
 * Decoding validates before it interprets: every name and value length is
 * checked against the bytes that remain, names are copied out with their
 * length, and the element grammar (balanced sections, items only in
 * lists) is checked by one pass before any caller walks the message. */
#include "ctl/vici.h"
#include "util/bytes.h"
#include "util/mem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- encoding */

void vici_buf_init(struct vici_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void vici_buf_free(struct vici_buf *b)
{
	if (b->data)
		mem_free_wipe(b->data, b->cap);
	memset(b, 0, sizeof(*b));
}

static bool named_type(int type)
{
	return type == VICI_CMD_REQUEST || type == VICI_EVENT_REGISTER ||
	       type == VICI_EVENT_UNREGISTER || type == VICI_EVENT;
}

static bool has_message(int type)
{
	return type == VICI_CMD_REQUEST || type == VICI_CMD_RESPONSE || type == VICI_EVENT;
}

static void put(struct vici_buf *b, const void *d, size_t n)
{
	if (b->err)
		return;
	if (b->len + n > VICI_MAX_PACKET + 4) {
		b->err = -EMSGSIZE;
		return;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *nd;

		while (cap < b->len + n)
			cap *= 2;
		/* grow by copying so that the old copy can be wiped */
		nd = malloc(cap);
		if (!nd) {
			b->err = -ENOMEM;
			return;
		}
		if (b->len)
			memcpy(nd, b->data, b->len);
		if (b->data)
			mem_free_wipe(b->data, b->cap);
		b->data = nd;
		b->cap = cap;
	}
	memcpy(b->data + b->len, d, n);
	b->len += n;
}

static void put_u8(struct vici_buf *b, uint8_t v)
{
	put(b, &v, 1);
}

static void put_name(struct vici_buf *b, const char *name)
{
	size_t n;

	if (!name) {
		if (!b->err)
			b->err = -EINVAL;
		return;
	}
	n = strlen(name);
	if (n > 255) {
		if (!b->err)
			b->err = -EINVAL;
		return;
	}
	put_u8(b, (uint8_t)n);
	put(b, name, n);
}

static void put_value(struct vici_buf *b, const void *v, size_t n)
{
	uint8_t l[2];

	if (n > 0xffff) {
		if (!b->err)
			b->err = -EMSGSIZE;
		return;
	}
	put_be16(l, (uint16_t)n);
	put(b, l, 2);
	put(b, v, n);
}

static void fail(struct vici_buf *b, int err)
{
	if (!b->err)
		b->err = err;
}

void vici_begin(struct vici_buf *b, enum vici_packet_type type, const char *name)
{
	static const uint8_t zero[4];

	b->len = 0;
	b->err = 0;
	b->depth = 0;
	b->in_list = false;
	if ((unsigned)type > VICI_EVENT || named_type(type) != (name != NULL)) {
		fail(b, -EINVAL);
		return;
	}
	put(b, zero, 4);
	put_u8(b, (uint8_t)type);
	if (name)
		put_name(b, name);
}

void vici_section_start(struct vici_buf *b, const char *name)
{
	if (b->in_list)
		fail(b, -EINVAL);
	put_u8(b, VICI_SECTION_START);
	put_name(b, name);
	b->depth++;
}

void vici_section_end(struct vici_buf *b)
{
	if (b->in_list || b->depth == 0)
		fail(b, -EINVAL);
	put_u8(b, VICI_SECTION_END);
	b->depth--;
}

void vici_kv(struct vici_buf *b, const char *name, const void *value, size_t len)
{
	if (b->in_list)
		fail(b, -EINVAL);
	put_u8(b, VICI_KEY_VALUE);
	put_name(b, name);
	put_value(b, value, len);
}

void vici_kv_str(struct vici_buf *b, const char *name, const char *value)
{
	vici_kv(b, name, value, strlen(value));
}

void vici_kv_fmt(struct vici_buf *b, const char *name, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		fail(b, -EMSGSIZE);
		return;
	}
	vici_kv(b, name, tmp, (size_t)n);
}

void vici_list_start(struct vici_buf *b, const char *name)
{
	if (b->in_list)
		fail(b, -EINVAL);
	put_u8(b, VICI_LIST_START);
	put_name(b, name);
	b->in_list = true;
}

void vici_list_item(struct vici_buf *b, const void *value, size_t len)
{
	if (!b->in_list)
		fail(b, -EINVAL);
	put_u8(b, VICI_LIST_ITEM);
	put_value(b, value, len);
}

void vici_list_item_str(struct vici_buf *b, const char *value)
{
	vici_list_item(b, value, strlen(value));
}

void vici_list_end(struct vici_buf *b)
{
	if (!b->in_list)
		fail(b, -EINVAL);
	put_u8(b, VICI_LIST_END);
	b->in_list = false;
}

int vici_end(struct vici_buf *b)
{
	if (!b->err && (b->depth != 0 || b->in_list || b->len < 5))
		b->err = -EINVAL;
	if (!b->err && !has_message(b->data[4]) && b->len != 5 + (named_type(b->data[4]) ?
	                                                          1u + b->data[5] : 0u))
		b->err = -EINVAL;
	if (b->err)
		return b->err;
	put_be32(b->data, (uint32_t)(b->len - 4));
	return 0;
}

/* ---------------------------------------------------------------- decoding */

long vici_frame_len(const uint8_t hdr[4])
{
	uint32_t n = get_be32(hdr);

	if (n == 0 || n > VICI_MAX_PACKET)
		return -EMSGSIZE;
	return (long)n;
}

/* Read an 8-bit-length name at *p (bounded by end) into out[256]. */
static bool take_name(const uint8_t **p, const uint8_t *end, char *out)
{
	size_t n;

	if (end - *p < 1)
		return false;
	n = **p;
	if ((size_t)(end - *p - 1) < n)
		return false;
	if (memchr(*p + 1, 0, n))
		return false;
	memcpy(out, *p + 1, n);
	out[n] = '\0';
	*p += 1 + n;
	return true;
}

static bool take_value(const uint8_t **p, const uint8_t *end, const uint8_t **v, uint16_t *vl)
{
	uint16_t n;

	if (end - *p < 2)
		return false;
	n = get_be16(*p);
	if ((size_t)(end - *p - 2) < n)
		return false;
	*v = *p + 2;
	*vl = n;
	*p += 2 + n;
	return true;
}

void vici_iter_init(struct vici_iter *it, const uint8_t *msg, size_t len)
{
	it->p = msg;
	it->end = msg + len;
	it->depth = 0;
}

/* One element, syntax only (lengths); grammar is checked by the caller. */
static int next_raw(struct vici_iter *it, struct vici_elem *e)
{
	const uint8_t *p = it->p;

	if (p >= it->end)
		return 0;
	e->type = *p++;
	e->name[0] = '\0';
	e->value = NULL;
	e->value_len = 0;
	switch (e->type) {
	case VICI_SECTION_START:
	case VICI_LIST_START:
		if (!take_name(&p, it->end, e->name))
			return -EBADMSG;
		break;
	case VICI_KEY_VALUE:
		if (!take_name(&p, it->end, e->name) ||
		    !take_value(&p, it->end, &e->value, &e->value_len))
			return -EBADMSG;
		break;
	case VICI_LIST_ITEM:
		if (!take_value(&p, it->end, &e->value, &e->value_len))
			return -EBADMSG;
		break;
	case VICI_SECTION_END:
	case VICI_LIST_END:
		break;
	default:
		return -EBADMSG;
	}
	it->p = p;
	return 1;
}

bool vici_msg_valid(const uint8_t *msg, size_t len)
{
	struct vici_iter it;
	struct vici_elem e;
	int depth = 0, r;
	bool in_list = false;

	vici_iter_init(&it, msg, len);
	while ((r = next_raw(&it, &e)) == 1) {
		switch (e.type) {
		case VICI_SECTION_START:
			if (in_list || ++depth > VICI_MAX_DEPTH)
				return false;
			break;
		case VICI_SECTION_END:
			if (in_list || depth-- == 0)
				return false;
			break;
		case VICI_KEY_VALUE:
			if (in_list)
				return false;
			break;
		case VICI_LIST_START:
			if (in_list)
				return false;
			in_list = true;
			break;
		case VICI_LIST_ITEM:
			if (!in_list)
				return false;
			break;
		case VICI_LIST_END:
			if (!in_list)
				return false;
			in_list = false;
			break;
		}
	}
	return r == 0 && depth == 0 && !in_list;
}

int vici_iter_next(struct vici_iter *it, struct vici_elem *e)
{
	int r = next_raw(it, e);

	if (r != 1)
		return r;
	if (e->type == VICI_SECTION_END && it->depth > 0)
		it->depth--;
	e->depth = it->depth;
	if (e->type == VICI_SECTION_START)
		it->depth++;
	return 1;
}

int vici_packet_parse(const uint8_t *data, size_t len, struct vici_packet *out)
{
	const uint8_t *p = data, *end = data + len;

	memset(out, 0, sizeof(*out));
	if (len < 1 || len > VICI_MAX_PACKET)
		return -EBADMSG;
	out->type = *p++;
	if (out->type > VICI_EVENT)
		return -EBADMSG;
	if (named_type(out->type) && !take_name(&p, end, out->name))
		return -EBADMSG;
	out->msg = p;
	out->msg_len = (size_t)(end - p);
	if (!has_message(out->type) && out->msg_len != 0)
		return -EBADMSG;
	if (!vici_msg_valid(out->msg, out->msg_len))
		return -EBADMSG;
	return 0;
}

/* Walk top-level elements, calling back for the first matching one. */
static const uint8_t *find_top(const uint8_t *msg, size_t len, uint8_t type, const char *name,
                               struct vici_iter *it_out, struct vici_elem *e)
{
	int depth = 0;

	vici_iter_init(it_out, msg, len);
	while (next_raw(it_out, e) == 1) {
		if (depth == 0 && e->type == type && strcmp(e->name, name) == 0)
			return it_out->p;
		if (e->type == VICI_SECTION_START)
			depth++;
		else if (e->type == VICI_SECTION_END)
			depth--;
	}
	return NULL;
}

int vici_get_str(const uint8_t *msg, size_t len, const char *name, char *out, size_t outlen)
{
	struct vici_iter it;
	struct vici_elem e;

	if (!find_top(msg, len, VICI_KEY_VALUE, name, &it, &e))
		return -ENOENT;
	if ((size_t)e.value_len + 1 > outlen || memchr(e.value, 0, e.value_len))
		return -EMSGSIZE;
	memcpy(out, e.value, e.value_len);
	out[e.value_len] = '\0';
	return 0;
}

int vici_get_list(const uint8_t *msg, size_t len, const char *name, char ***argv, int max)
{
	struct vici_iter it, first;
	struct vici_elem e;
	size_t bytes = 0;
	int n = 0, i;
	char **v, *s;

	*argv = NULL;
	if (!find_top(msg, len, VICI_LIST_START, name, &it, &e))
		return -ENOENT;
	first = it;
	while (next_raw(&it, &e) == 1 && e.type == VICI_LIST_ITEM) {
		if (memchr(e.value, 0, e.value_len))
			return -EMSGSIZE;
		if (++n > max)
			return -E2BIG;
		bytes += (size_t)e.value_len + 1;
	}
	v = malloc(sizeof(char *) * ((size_t)n + 1) + bytes);
	if (!v)
		return -ENOMEM;
	s = (char *)(v + n + 1);
	it = first;
	for (i = 0; i < n; i++) {
		next_raw(&it, &e);
		memcpy(s, e.value, e.value_len);
		s[e.value_len] = '\0';
		v[i] = s;
		s += e.value_len + 1;
	}
	v[n] = NULL;
	*argv = v;
	return n;
}

void vici_list_free(char **argv)
{
	char **a;

	if (!argv)
		return;
	for (a = argv; *a; a++)
		mem_wipe(*a, strlen(*a));
	free(argv);
}
