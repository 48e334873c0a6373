/* pcap writer and pcap/pcapng reader (see pcap.h). Owns nothing global;
 * a reader or writer belongs to its caller. Used by the offline tools
 * (uipsec pcap ...) and by capture taps on the control loop.
 *
 * Classic pcap (all integers in the writer's byte order, told by magic):
 *
 *   file header (24)   magic(4) major(2) minor(2) thiszone(4) sigfigs(4)
 *                      snaplen(4) linktype(4)
 *   record header (16) ts_sec(4) ts_usec_or_nsec(4) incl_len(4) orig_len(4)
 *
 * pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks
 *
 *    0                   1                   2                   3
 *   +---------------------------------------------------------------+
 *   |                          Block Type                           |
 *   +---------------------------------------------------------------+
 *   |                      Block Total Length                       |
 *   +---------------------------------------------------------------+
 *   /                          Block Body                           /
 *   +---------------------------------------------------------------+
 *   |                      Block Total Length                       |
 *   +---------------------------------------------------------------+
 *
 * SHB (0x0A0D0D0A) carries the byte-order magic 0x1A2B3C4D and starts a
 * section (interfaces are numbered per section); IDB (1) declares an
 * interface (link type, options incl. if_tsresol); EPB (6) and SPB (3)
 * carry packets. */
#include "dp/pcap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PCAP_MAGIC_USEC  0xa1b2c3d4u
#define PCAP_MAGIC_NSEC  0xa1b23c4du
#define PCAPNG_SHB       0x0a0d0d0au
#define PCAPNG_IDB       0x00000001u
#define PCAPNG_SPB       0x00000003u
#define PCAPNG_EPB       0x00000006u
#define PCAPNG_BOM       0x1a2b3c4du
#define PCAPNG_MAX_IFACES 256
#define PCAP_FILE_MAX    (1u << 30)

static void seterr(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

/* ---- writer ---- */

struct pcap_writer {
	FILE *f;
	int own;
	int failed;
};

static int write_header(struct pcap_writer *w, uint32_t linktype)
{
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t thiszone;
		uint32_t sigfigs, snaplen, linktype;
	} h = { PCAP_MAGIC_USEC, 2, 4, 0, 0, PCAP_SNAPLEN, linktype };

	/* Host byte order, as libpcap writes it; readers use the magic. */
	return fwrite(&h, sizeof(h), 1, w->f) == 1 ? 0 : -EIO;
}

struct pcap_writer *pcap_writer_new(FILE *f, uint32_t linktype)
{
	struct pcap_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->f = f;
	if (write_header(w, linktype) < 0) {
		free(w);
		return NULL;
	}
	return w;
}

struct pcap_writer *pcap_writer_open(const char *path, uint32_t linktype,
                                     char *err, size_t errlen)
{
	struct pcap_writer *w;
	FILE *f = fopen(path, "wb");

	if (!f) {
		if (err && errlen)
			snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
		return NULL;
	}
	w = pcap_writer_new(f, linktype);
	if (!w) {
		fclose(f);
		if (err && errlen)
			snprintf(err, errlen, "cannot write '%s'", path);
		return NULL;
	}
	w->own = 1;
	return w;
}

int pcap_write(struct pcap_writer *w, const void *data, uint32_t len, uint64_t ts_ns)
{
	uint32_t caplen = len > PCAP_SNAPLEN ? PCAP_SNAPLEN : len;
	uint32_t h[4] = {
		(uint32_t)(ts_ns / 1000000000u),
		(uint32_t)(ts_ns % 1000000000u / 1000u),
		caplen, len,
	};

	if (fwrite(h, sizeof(h), 1, w->f) != 1 ||
	    (caplen && fwrite(data, caplen, 1, w->f) != 1)) {
		w->failed = 1;
		return -EIO;
	}
	return 0;
}

int pcap_writer_close(struct pcap_writer *w)
{
	int rc = 0;

	if (!w)
		return 0;
	if (fflush(w->f) != 0 || w->failed)
		rc = -EIO;
	if (w->own && fclose(w->f) != 0)
		rc = -EIO;
	free(w);
	return rc;
}

/* ---- reader ---- */

struct pcap_iface {
	uint32_t linktype;
	uint64_t ts_num;    /* ts units per second */
};

struct pcap_reader {
	uint8_t *buf;
	size_t len;
	size_t pos;
	bool ng;
	bool swap;          /* file byte order differs from ours */
	bool nsec;          /* classic: nanosecond timestamps */
	uint32_t linktype;  /* classic, or first IDB */
	struct pcap_iface ifaces[PCAPNG_MAX_IFACES];
	uint32_t nifaces;
	char err[128];
};

static uint16_t rd16(const struct pcap_reader *r, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return r->swap ? __builtin_bswap16(v) : v;
}

static uint32_t rd32(const struct pcap_reader *r, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return r->swap ? __builtin_bswap32(v) : v;
}

static int fail(struct pcap_reader *r, const char *msg)
{
	snprintf(r->err, sizeof(r->err), "%s at offset %zu", msg, r->pos);
	r->pos = r->len;   /* reading stops here */
	return -EINVAL;
}

/* Check a SHB at r->pos, set the byte order. Returns 0 or -EINVAL. */
static int shb_begin(struct pcap_reader *r)
{
	const uint8_t *p = r->buf + r->pos;
	uint32_t bom, total;

	if (r->len - r->pos < 28)
		return fail(r, "truncated pcapng section header");
	memcpy(&bom, p + 8, 4);
	if (bom == PCAPNG_BOM)
		r->swap = false;
	else if (bom == __builtin_bswap32(PCAPNG_BOM))
		r->swap = true;
	else
		return fail(r, "bad pcapng byte-order magic");
	total = rd32(r, p + 4);
	if (total < 28 || total % 4 || total > r->len - r->pos)
		return fail(r, "bad pcapng section header length");
	if (rd16(r, p + 12) != 1)
		return fail(r, "unsupported pcapng major version");
	r->nifaces = 0;
	r->pos += total;
	return 0;
}

static int reader_init(struct pcap_reader *r, char *err, size_t errlen)
{
	uint32_t magic;

	if (r->len < 4) {
		seterr(err, errlen, "file too short for a pcap header");
		return -EINVAL;
	}
	memcpy(&magic, r->buf, 4);
	if (magic == PCAPNG_SHB) {
		r->ng = true;
		if (shb_begin(r) < 0) {
			seterr(err, errlen, r->err);
			return -EINVAL;
		}
		r->linktype = 0;
		return 0;
	}
	if (magic == PCAP_MAGIC_USEC || magic == PCAP_MAGIC_NSEC) {
		r->swap = false;
	} else if (magic == __builtin_bswap32(PCAP_MAGIC_USEC) ||
	           magic == __builtin_bswap32(PCAP_MAGIC_NSEC)) {
		r->swap = true;
		magic = __builtin_bswap32(magic);
	} else {
		seterr(err, errlen, "not a pcap or pcapng file (bad magic)");
		return -EINVAL;
	}
	if (r->len < 24) {
		seterr(err, errlen, "truncated pcap file header");
		return -EINVAL;
	}
	r->nsec = magic == PCAP_MAGIC_NSEC;
	/* The upper 16 bits may carry FCS information; the link type is below. */
	r->linktype = rd32(r, r->buf + 20) & 0xffff;
	r->pos = 24;
	return 0;
}

struct pcap_reader *pcap_reader_open_mem(const void *data, size_t len,
                                         char *err, size_t errlen)
{
	struct pcap_reader *r = calloc(1, sizeof(*r));

	if (!r) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	r->buf = malloc(len ? len : 1);
	if (!r->buf) {
		free(r);
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	if (len)
		memcpy(r->buf, data, len);
	r->len = len;
	if (reader_init(r, err, errlen) < 0) {
		pcap_reader_close(r);
		return NULL;
	}
	return r;
}

struct pcap_reader *pcap_reader_open(const char *path, char *err, size_t errlen)
{
	struct pcap_reader *r = NULL;
	uint8_t *buf = NULL;
	size_t cap = 0, len = 0, n;
	FILE *f = fopen(path, "rb");

	if (!f) {
		if (err && errlen)
			snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			uint8_t *nb;

			if (cap >= PCAP_FILE_MAX) {
				seterr(err, errlen, "capture file larger than 1 GiB");
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				seterr(err, errlen, "out of memory");
				goto out;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		if (err && errlen)
			snprintf(err, errlen, "cannot read '%s'", path);
		goto out;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	r->buf = buf;
	r->len = len;
	buf = NULL;
	if (reader_init(r, err, errlen) < 0) {
		pcap_reader_close(r);
		r = NULL;
	}
out:
	free(buf);
	fclose(f);
	return r;
}

void pcap_reader_close(struct pcap_reader *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r);
}

const char *pcap_reader_error(const struct pcap_reader *r)
{
	return r->err[0] ? r->err : "no error";
}

const char *pcap_reader_format(const struct pcap_reader *r)
{
	return r->ng ? "pcapng" : "pcap";
}

uint32_t pcap_reader_linktype(const struct pcap_reader *r)
{
	return r->linktype;
}

static int next_classic(struct pcap_reader *r, struct pcap_record *rec)
{
	const uint8_t *p;
	uint32_t sec, frac, caplen, origlen;

	if (r->pos == r->len)
		return 0;
	if (r->len - r->pos < 16)
		return fail(r, "truncated pcap record header");
	p = r->buf + r->pos;
	sec = rd32(r, p);
	frac = rd32(r, p + 4);
	caplen = rd32(r, p + 8);
	origlen = rd32(r, p + 12);
	if (caplen > PCAP_SNAPLEN)
		return fail(r, "pcap record longer than the snap length");
	if (caplen > r->len - r->pos - 16)
		return fail(r, "truncated pcap record");
	rec->data = p + 16;
	rec->caplen = caplen;
	rec->origlen = origlen < caplen ? caplen : origlen;
	rec->ts_ns = (uint64_t)sec * 1000000000u +
	             (r->nsec ? (uint64_t)frac : (uint64_t)frac * 1000u);
	rec->linktype = r->linktype;
	rec->iface = 0;
	r->pos += 16 + (size_t)caplen;
	return 1;
}

/* if_tsresol: 10^-v (MSB clear) or 2^-v (MSB set) seconds per unit. */
static uint64_t tsresol_units(uint8_t v)
{
	uint64_t n = 1;

	if (v & 0x80) {
		v &= 0x7f;
		return v < 64 ? (uint64_t)1 << v : 0;
	}
	if (v > 19)
		return 0;
	while (v--)
		n *= 10;
	return n;
}

static uint64_t ts_to_ns(uint64_t ts, uint64_t units)
{
	if (units == 0)
		return 0;
	if (units == 1000000000u)
		return ts;
	/* Split to avoid overflow: whole seconds and the remainder. */
	return ts / units * 1000000000u +
	       (uint64_t)((unsigned __int128)(ts % units) * 1000000000u / units);
}

/* Parse an IDB body (after type and length). */
static int idb_parse(struct pcap_reader *r, const uint8_t *body, uint32_t blen)
{
	struct pcap_iface *ifc;
	uint32_t off = 8;

	if (blen < 8)
		return fail(r, "truncated pcapng interface block");
	if (r->nifaces >= PCAPNG_MAX_IFACES)
		return fail(r, "too many pcapng interfaces");
	ifc = &r->ifaces[r->nifaces];
	ifc->linktype = rd16(r, body);
	ifc->ts_num = 1000000;
	/* options: code(2) len(2) value padded to 4; opt_endofopt = 0 */
	while (blen - off >= 4) {
		uint16_t code = rd16(r, body + off), olen = rd16(r, body + off + 2);
		uint32_t padded = ((uint32_t)olen + 3u) & ~3u;

		if (code == 0)
			break;
		if (padded > blen - off - 4)
			return fail(r, "pcapng option runs past its block");
		if (code == 9 && olen >= 1) {   /* if_tsresol */
			uint64_t u = tsresol_units(body[off + 4]);
			if (u == 0)
				return fail(r, "bad pcapng if_tsresol");
			ifc->ts_num = u;
		}
		off += 4 + padded;
	}
	if (r->nifaces == 0 && r->linktype == 0)
		r->linktype = ifc->linktype;
	r->nifaces++;
	return 0;
}

static int next_ng(struct pcap_reader *r, struct pcap_record *rec)
{
	for (;;) {
		const uint8_t *p, *body;
		uint32_t type, total, blen;
		int rc;

		if (r->pos == r->len)
			return 0;
		if (r->len - r->pos < 12)
			return fail(r, "truncated pcapng block header");
		p = r->buf + r->pos;
		memcpy(&type, p, 4);
		if (type == PCAPNG_SHB) {
			/* A new section; its own byte order and interfaces. */
			if ((rc = shb_begin(r)) < 0)
				return rc;
			continue;
		}
		type = rd32(r, p);
		total = rd32(r, p + 4);
		if (total < 12 || total % 4)
			return fail(r, "bad pcapng block length");
		if (total > r->len - r->pos)
			return fail(r, "truncated pcapng block");
		if (rd32(r, p + total - 4) != total)
			return fail(r, "pcapng block lengths disagree");
		body = p + 8;
		blen = total - 12;

		if (type == PCAPNG_IDB) {
			if ((rc = idb_parse(r, body, blen)) < 0)
				return rc;
		} else if (type == PCAPNG_EPB) {
			uint32_t ifid, caplen, origlen;
			uint64_t ts;

			if (blen < 20)
				return fail(r, "truncated pcapng enhanced packet block");
			ifid = rd32(r, body);
			ts = (uint64_t)rd32(r, body + 4) << 32 | rd32(r, body + 8);
			caplen = rd32(r, body + 12);
			origlen = rd32(r, body + 16);
			if (ifid >= r->nifaces)
				return fail(r, "pcapng packet for an undeclared interface");
			if (caplen > blen - 20 || caplen > PCAP_SNAPLEN)
				return fail(r, "pcapng packet longer than its block");
			rec->data = body + 20;
			rec->caplen = caplen;
			rec->origlen = origlen < caplen ? caplen : origlen;
			rec->ts_ns = ts_to_ns(ts, r->ifaces[ifid].ts_num);
			rec->linktype = r->ifaces[ifid].linktype;
			rec->iface = ifid;
			r->pos += total;
			return 1;
		} else if (type == PCAPNG_SPB) {
			uint32_t origlen, caplen;

			if (blen < 4)
				return fail(r, "truncated pcapng simple packet block");
			if (r->nifaces == 0)
				return fail(r, "pcapng simple packet before any interface");
			origlen = rd32(r, body);
			caplen = blen - 4;
			if (origlen < caplen)
				caplen = origlen;   /* the rest is padding */
			if (caplen > PCAP_SNAPLEN)
				return fail(r, "pcapng packet longer than the snap length");
			rec->data = body + 4;
			rec->caplen = caplen;
			rec->origlen = origlen;
			rec->ts_ns = 0;
			rec->linktype = r->ifaces[0].linktype;
			rec->iface = 0;
			r->pos += total;
			return 1;
		}
		/* Any other block (name resolution, statistics, ...) is skipped. */
		r->pos += total;
	}
}

int pcap_reader_next(struct pcap_reader *r, struct pcap_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	return r->ng ? next_ng(r, rec) : next_classic(r, rec);
}

/* ---- link layer ---- */

#define ETH_P_IP_    0x0800
#define ETH_P_IPV6_  0x86dd
#define ETH_P_8021Q_ 0x8100
#define ETH_P_8021AD_ 0x88a8
#define ETH_P_QINQ1_ 0x9100

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int by_ethertype(uint16_t et, const uint8_t *p, uint32_t len,
                        const uint8_t **ip, uint32_t *iplen)
{
	if (et != ETH_P_IP_ && et != ETH_P_IPV6_)
		return -ENOENT;
	if (len == 0)
		return -EINVAL;
	*ip = p;
	*iplen = len;
	return 0;
}

int pcap_link_ip(uint32_t linktype, const uint8_t *frame, uint32_t len,
                 const uint8_t **ip, uint32_t *iplen)
{
	uint32_t off;
	uint16_t et;

	switch (linktype) {
	case PCAP_LINKTYPE_ETHERNET:
		/* dst(6) src(6) [TPID(2) TCI(2)]... ethertype(2) */
		if (len < 14)
			return -EINVAL;
		off = 12;
		et = be16(frame + off);
		while (et == ETH_P_8021Q_ || et == ETH_P_8021AD_ || et == ETH_P_QINQ1_) {
			off += 4;
			if (len < off + 2)
				return -EINVAL;
			et = be16(frame + off);
		}
		off += 2;
		return by_ethertype(et, frame + off, len - off, ip, iplen);
	case PCAP_LINKTYPE_RAW:
	case PCAP_LINKTYPE_IPV4:
	case PCAP_LINKTYPE_IPV6:
		if (len == 0)
			return -EINVAL;
		if ((frame[0] >> 4) != 4 && (frame[0] >> 4) != 6)
			return -ENOENT;
		*ip = frame;
		*iplen = len;
		return 0;
	case PCAP_LINKTYPE_LINUX_SLL:
		/* type(2) arphrd(2) addrlen(2) addr(8) protocol(2) */
		if (len < 16)
			return -EINVAL;
		return by_ethertype(be16(frame + 14), frame + 16, len - 16, ip, iplen);
	case PCAP_LINKTYPE_LINUX_SLL2:
		/* protocol(2) reserved(2) ifindex(4) arphrd(2) type(1) addrlen(1) addr(8) */
		if (len < 20)
			return -EINVAL;
		return by_ethertype(be16(frame), frame + 20, len - 20, ip, iplen);
	default:
		return -EPROTONOSUPPORT;
	}
}

const char *pcap_linktype_name(uint32_t linktype)
{
	switch (linktype) {
	case PCAP_LINKTYPE_ETHERNET: return "EN10MB";
	case PCAP_LINKTYPE_RAW: return "RAW";
	case PCAP_LINKTYPE_LINUX_SLL: return "LINUX_SLL";
	case PCAP_LINKTYPE_IPV4: return "IPV4";
	case PCAP_LINKTYPE_IPV6: return "IPV6";
	case PCAP_LINKTYPE_LINUX_SLL2: return "LINUX_SLL2";
	default: return "unknown";
	}
}
