/* pcapng writer. See pcapng.h. Block layout (all lengths in bytes, every
 * block and option padded to 32 bits):
 *
 *   block:  type(4) total_len(4) body... total_len(4)
 *   option: code(2) len(2) value, padded; opt_endofopt = code 0 len 0
 *   SHB 0x0A0D0D0A: byte-order magic 0x1A2B3C4D, version 1.0, section
 *                   length -1 (unknown), options (shb_userappl 4)
 *   IDB 0x00000001: linktype(2) reserved(2) snaplen(4), options
 *                   (if_name 2, if_tsresol 9 = 10^-9 s)
 *   EPB 0x00000006: iface(4) ts_high(4) ts_low(4) caplen(4) origlen(4)
 *                   data, padded; options (opt_comment 1) */
#include "dp/pcapng.h"
#include "dp/pcap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct pcapng_writer {
	FILE *f;
	int own;
	uint32_t nifaces;
};

static uint32_t pad4(uint32_t n)
{
	return (n + 3u) & ~3u;
}

static int put(struct pcapng_writer *w, const void *d, size_t n)
{
	return fwrite(d, 1, n, w->f) == n ? 0 : -EIO;
}

static int put32(struct pcapng_writer *w, uint32_t v)
{
	return put(w, &v, 4);
}

static int put_zero(struct pcapng_writer *w, size_t n)
{
	static const uint8_t z[4];

	return n ? put(w, z, n) : 0;
}

static uint32_t opt_len(uint32_t vlen)
{
	return 4 + pad4(vlen);
}

static int put_opt(struct pcapng_writer *w, uint16_t code, const void *v, uint16_t vlen)
{
	uint16_t h[2] = { code, vlen };
	int r = put(w, h, 4);

	if (!r && vlen)
		r = put(w, v, vlen);
	if (!r)
		r = put_zero(w, pad4(vlen) - vlen);
	return r;
}

static int shb(struct pcapng_writer *w)
{
	static const char app[] = "uipsec capture";
	uint32_t total = 28 + opt_len(sizeof(app) - 1) + 4;
	int64_t section = -1;
	uint16_t ver[2] = { 1, 0 };
	int r;

	r = put32(w, 0x0A0D0D0A);
	r |= put32(w, total);
	r |= put32(w, 0x1A2B3C4D);
	r |= put(w, ver, 4);
	r |= put(w, &section, 8);
	r |= put_opt(w, 4, app, sizeof(app) - 1);
	r |= put_opt(w, 0, NULL, 0);
	r |= put32(w, total);
	return r ? -EIO : 0;
}

static struct pcapng_writer *writer_new(FILE *f, int own)
{
	struct pcapng_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->f = f;
	w->own = own;
	if (shb(w) < 0) {
		free(w);
		return NULL;
	}
	return w;
}

struct pcapng_writer *pcapng_writer_new(FILE *f)
{
	return writer_new(f, 0);
}

struct pcapng_writer *pcapng_writer_open(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "wb");
	struct pcapng_writer *w;

	if (!f) {
		if (err)
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return NULL;
	}
	w = writer_new(f, 1);
	if (!w) {
		if (err)
			snprintf(err, errlen, "cannot write %s", path);
		fclose(f);
	}
	return w;
}

int pcapng_add_iface(struct pcapng_writer *w, uint32_t linktype, const char *name)
{
	size_t nl = name ? strlen(name) : 0;
	uint8_t tsresol = 9;
	uint32_t total, snap = PCAP_SNAPLEN;
	uint16_t lt[2] = { (uint16_t)linktype, 0 };
	int r;

	if (nl > 255)
		nl = 255;
	total = 16 + (nl ? opt_len((uint32_t)nl) : 0) + opt_len(1) + 4 + 4;
	r = put32(w, 1);
	r |= put32(w, total);
	r |= put(w, lt, 4);
	r |= put32(w, snap);
	if (nl)
		r |= put_opt(w, 2, name, (uint16_t)nl);
	r |= put_opt(w, 9, &tsresol, 1);
	r |= put_opt(w, 0, NULL, 0);
	r |= put32(w, total);
	if (r)
		return -EIO;
	return (int)w->nifaces++;
}

int pcapng_write(struct pcapng_writer *w, uint32_t iface, const void *data, uint32_t len,
                 uint32_t origlen, uint64_t ts_ns, const char *comment)
{
	size_t cl = comment ? strlen(comment) : 0;
	uint32_t total;
	int r;

	if (iface >= w->nifaces)
		return -EINVAL;
	if (len > PCAP_SNAPLEN)
		len = PCAP_SNAPLEN;
	if (origlen < len)
		origlen = len;
	if (cl > 65535)
		cl = 65535;
	total = 28 + pad4(len) + (cl ? opt_len((uint32_t)cl) + 4 : 0) + 4;
	r = put32(w, 6);
	r |= put32(w, total);
	r |= put32(w, iface);
	r |= put32(w, (uint32_t)(ts_ns >> 32));
	r |= put32(w, (uint32_t)ts_ns);
	r |= put32(w, len);
	r |= put32(w, origlen);
	if (len)
		r |= put(w, data, len);
	r |= put_zero(w, pad4(len) - len);
	if (cl) {
		r |= put_opt(w, 1, comment, (uint16_t)cl);
		r |= put_opt(w, 0, NULL, 0);
	}
	r |= put32(w, total);
	return r ? -EIO : 0;
}

int pcapng_writer_close(struct pcapng_writer *w)
{
	int r = 0;

	if (!w)
		return 0;
	if (fflush(w->f) != 0)
		r = -EIO;
	if (w->own && fclose(w->f) != 0)
		r = -EIO;
	free(w);
	return r;
}
