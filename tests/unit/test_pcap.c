/* pcap writer and pcap/pcapng reader: round trips, both byte orders,
 * nanosecond files, pcapng sections and interfaces, link types, and
 * truncated or lying files (every prefix of a valid file is read without
 * a crash and ends in a clean error or end of file). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dp/pcap.h"

/* ---- a little byte builder, either byte order ---- */

struct buf {
	uint8_t b[4096];
	size_t n;
	int be;   /* write integers big-endian */
};

static void put8(struct buf *b, uint8_t v) { b->b[b->n++] = v; }
static void put16(struct buf *b, uint16_t v)
{
	if (b->be) { put8(b, (uint8_t)(v >> 8)); put8(b, (uint8_t)v); }
	else { put8(b, (uint8_t)v); put8(b, (uint8_t)(v >> 8)); }
}
static void put32(struct buf *b, uint32_t v)
{
	if (b->be) { put16(b, (uint16_t)(v >> 16)); put16(b, (uint16_t)v); }
	else { put16(b, (uint16_t)v); put16(b, (uint16_t)(v >> 16)); }
}
static void putn(struct buf *b, const void *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += n;
}
static void pad4(struct buf *b)
{
	while (b->n % 4)
		put8(b, 0);
}
/* Patch a block's two length fields once its body is written. */
static void block_end(struct buf *b, size_t start)
{
	uint32_t total;
	size_t save;

	pad4(b);
	total = (uint32_t)(b->n - start + 4);
	put32(b, total);
	save = b->n;
	b->n = start + 4;
	put32(b, total);
	b->n = save;
}

static const uint8_t ip4_pkt[] = {
	0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
	10, 1, 0, 2, 10, 2, 0, 2, 0x04, 0xd2, 0x16, 0x2e, 0x00, 0x08, 0x00, 0x00,
};
static const uint8_t ip6_pkt[40] = { 0x60, 0, 0, 0, 0, 0, 59, 64 };

static char tmpdir[64];

static int setup(void **state)
{
	strcpy(tmpdir, "/tmp/test_pcap.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_write_read_roundtrip(void **state)
{
	char path[128], err[128];
	struct pcap_writer *w;
	struct pcap_reader *r;
	struct pcap_record rec;
	uint8_t big[3000];

	memset(big, 0xab, sizeof(big));
	big[0] = 0x45;
	snprintf(path, sizeof(path), "%s/rt.pcap", tmpdir);
	w = pcap_writer_open(path, PCAP_LINKTYPE_RAW, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(pcap_write(w, ip4_pkt, sizeof(ip4_pkt), 1700000000123456789ull), 0);
	assert_int_equal(pcap_write(w, ip6_pkt, sizeof(ip6_pkt), 5000), 0);
	assert_int_equal(pcap_write(w, big, sizeof(big), 0), 0);
	assert_int_equal(pcap_write(w, "", 0, 0), 0);
	assert_int_equal(pcap_writer_close(w), 0);

	r = pcap_reader_open(path, err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(pcap_reader_format(r), "pcap");
	assert_int_equal(pcap_reader_linktype(r), PCAP_LINKTYPE_RAW);
	assert_int_equal(pcap_reader_next(r, &rec), 1);
	assert_int_equal(rec.caplen, sizeof(ip4_pkt));
	assert_memory_equal(rec.data, ip4_pkt, sizeof(ip4_pkt));
	assert_true(rec.ts_ns == 1700000000123456000ull);   /* usec resolution */
	assert_int_equal(rec.linktype, PCAP_LINKTYPE_RAW);
	assert_int_equal(pcap_reader_next(r, &rec), 1);
	assert_memory_equal(rec.data, ip6_pkt, sizeof(ip6_pkt));
	assert_true(rec.ts_ns == 5000);
	assert_int_equal(pcap_reader_next(r, &rec), 1);
	assert_int_equal(rec.caplen, sizeof(big));
	assert_memory_equal(rec.data, big, sizeof(big));
	assert_int_equal(pcap_reader_next(r, &rec), 1);
	assert_int_equal(rec.caplen, 0);
	assert_int_equal(pcap_reader_next(r, &rec), 0);
	assert_int_equal(pcap_reader_next(r, &rec), 0);
	pcap_reader_close(r);
}

/* A classic file written big-endian with nanosecond timestamps. */
static void test_classic_swapped_nsec(void **state)
{
	struct buf b = { .be = 1 };
	struct pcap_reader *r;
	struct pcap_record rec;
	char err[128];

	put32(&b, 0xa1b23c4d);
	put16(&b, 2); put16(&b, 4); put32(&b, 0); put32(&b, 0);
	put32(&b, 65535);
	put32(&b, 0x10000000u | PCAP_LINKTYPE_IPV4);   /* FCS bits above the type */
	put32(&b, 10); put32(&b, 999999999); put32(&b, sizeof(ip4_pkt)); put32(&b, 1500);
	putn(&b, ip4_pkt, sizeof(ip4_pkt));

	r = pcap_reader_open_mem(b.b, b.n, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(pcap_reader_linktype(r), PCAP_LINKTYPE_IPV4);
	assert_int_equal(pcap_reader_next(r, &rec), 1);
	assert_true(rec.ts_ns == 10999999999ull);
	assert_int_equal(rec.caplen, sizeof(ip4_pkt));
	assert_int_equal(rec.origlen, 1500);
	assert_memory_equal(rec.data, ip4_pkt, sizeof(ip4_pkt));
	assert_int_equal(pcap_reader_next(r, &rec), 0);
	pcap_reader_close(r);
}

/* Section: SHB, IDB(linktype, tsresol), NRB (skipped), EPB, SPB. */
static void ng_section(struct buf *b, uint16_t linktype, int tsresol,
                       const void *pkt, uint32_t len, uint64_t ts)
{
	size_t s;
	static const uint8_t nrb_body[8];

	s = b->n;   /* SHB */
	put32(b, 0x0a0d0d0a); put32(b, 0);
	put32(b, 0x1a2b3c4d); put16(b, 1); put16(b, 0);
	put32(b, 0xffffffff); put32(b, 0xffffffff);   /* section length unknown */
	block_end(b, s);

	s = b->n;   /* IDB */
	put32(b, 1); put32(b, 0);
	put16(b, linktype); put16(b, 0); put32(b, 0);
	if (tsresol >= 0) {
		put16(b, 9); put16(b, 1); put8(b, (uint8_t)tsresol); pad4(b);
	}
	put16(b, 2); put16(b, 3); putn(b, "et0", 3); pad4(b);   /* if_name */
	put16(b, 0); put16(b, 0);
	block_end(b, s);

	s = b->n;   /* NRB: skipped */
	put32(b, 4); put32(b, 0);
	putn(b, nrb_body, sizeof(nrb_body));
	block_end(b, s);

	s = b->n;   /* EPB */
	put32(b, 6); put32(b, 0);
	put32(b, 0); put32(b, (uint32_t)(ts >> 32)); put32(b, (uint32_t)ts);
	put32(b, len); put32(b, len);
	putn(b, pkt, len);
	block_end(b, s);

	s = b->n;   /* SPB */
	put32(b, 3); put32(b, 0);
	put32(b, len);
	putn(b, pkt, len);
	block_end(b, s);
}

static void test_pcapng_sections(void **state)
{
	struct buf b = { .be = 0 };
	struct pcap_reader *r;
	struct pcap_record rec;
	char err[128];
	uint8_t eth[14 + sizeof(ip4_pkt)] = { 0 };

	eth[12] = 0x08;
	memcpy(eth + 14, ip4_pkt, sizeof(ip4_pkt));
	ng_section(&b, PCAP_LINKTYPE_ETHERNET, 9, eth, sizeof(eth), 1234567890123ull);
	b.be = 1;   /* second section, other byte order, default usec */
	ng_section(&b, PCAP_LINKTYPE_RAW, -1, ip6_pkt, sizeof(ip6_pkt), 42);

	r = pcap_reader_open_mem(b.b, b.n, err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(pcap_reader_format(r), "pcapng");
	assert_int_equal(pcap_reader_next(r, &rec), 1);
	assert_int_equal(pcap_reader_linktype(r), PCAP_LINKTYPE_ETHERNET);
	assert_int_equal(rec.linktype, PCAP_LINKTYPE_ETHERNET);
	assert_true(rec.ts_ns == 1234567890123ull);
	assert_int_equal(rec.caplen, sizeof(eth));
	assert_memory_equal(rec.data, eth, sizeof(eth));
	assert_int_equal(pcap_reader_next(r, &rec), 1);   /* SPB */
	assert_int_equal(rec.caplen, sizeof(eth));
	assert_memory_equal(rec.data, eth, sizeof(eth));

	assert_int_equal(pcap_reader_next(r, &rec), 1);
	assert_int_equal(rec.linktype, PCAP_LINKTYPE_RAW);
	assert_true(rec.ts_ns == 42000);
	assert_memory_equal(rec.data, ip6_pkt, sizeof(ip6_pkt));
	assert_int_equal(pcap_reader_next(r, &rec), 1);
	assert_int_equal(pcap_reader_next(r, &rec), 0);
	pcap_reader_close(r);
}

/* Every prefix of a valid file: no crash, and either a clean open error
 * or records followed by end of file / a named error. */
static void check_prefixes(const uint8_t *file, size_t len, unsigned want_records)
{
	for (size_t cut = 0; cut <= len; cut++) {
		char err[128] = "";
		struct pcap_record rec;
		struct pcap_reader *r = pcap_reader_open_mem(file, cut, err, sizeof(err));
		unsigned n = 0;
		int rc;

		if (!r) {
			assert_true(err[0] != 0);
			continue;
		}
		while ((rc = pcap_reader_next(r, &rec)) == 1) {
			assert_true(rec.caplen <= cut);
			n++;
		}
		if (cut == len) {
			assert_int_equal(rc, 0);
			assert_int_equal(n, want_records);
		} else if (rc < 0) {
			assert_int_equal(rc, -EINVAL);
			assert_non_null(strstr(pcap_reader_error(r), "offset"));
		}
		pcap_reader_close(r);
	}
}

static void test_truncated_files(void **state)
{
	struct buf b = { .be = 0 };
	char path[128], err[128];
	struct pcap_writer *w;
	FILE *f;
	uint8_t file[512];
	size_t n;

	snprintf(path, sizeof(path), "%s/tr.pcap", tmpdir);
	w = pcap_writer_open(path, PCAP_LINKTYPE_RAW, err, sizeof(err));
	assert_non_null(w);
	pcap_write(w, ip4_pkt, sizeof(ip4_pkt), 1);
	pcap_write(w, ip6_pkt, sizeof(ip6_pkt), 2);
	pcap_writer_close(w);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(file, 1, sizeof(file), f);
	fclose(f);
	assert_int_equal(n, 24 + 16 + sizeof(ip4_pkt) + 16 + sizeof(ip6_pkt));
	check_prefixes(file, n, 2);

	ng_section(&b, PCAP_LINKTYPE_RAW, 6, ip4_pkt, sizeof(ip4_pkt), 7);
	check_prefixes(b.b, b.n, 2);
}

static void test_lying_lengths(void **state)
{
	struct buf b = { .be = 0 };
	struct pcap_reader *r;
	struct pcap_record rec;
	char err[128];

	/* classic record claiming more bytes than the file has */
	put32(&b, 0xa1b2c3d4); put16(&b, 2); put16(&b, 4); put32(&b, 0); put32(&b, 0);
	put32(&b, 65535); put32(&b, 101);
	put32(&b, 0); put32(&b, 0); put32(&b, 1000); put32(&b, 1000);
	putn(&b, ip4_pkt, sizeof(ip4_pkt));
	r = pcap_reader_open_mem(b.b, b.n, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(pcap_reader_next(r, &rec), -EINVAL);
	assert_non_null(strstr(pcap_reader_error(r), "truncated pcap record"));
	assert_int_equal(pcap_reader_next(r, &rec), 0);   /* stays stopped */
	pcap_reader_close(r);

	/* EPB whose captured length runs past its block */
	{
		struct buf c = { .be = 0 };
		size_t off = 0;

		ng_section(&c, PCAP_LINKTYPE_RAW, -1, ip4_pkt, sizeof(ip4_pkt), 0);
		/* skip SHB, IDB and NRB to reach the EPB, then bump its caplen */
		for (int i = 0; i < 3; i++) {
			uint32_t t;
			memcpy(&t, c.b + off + 4, 4);
			off += t;
		}
		c.b[off + 20] = 0xff;   /* caplen low byte */
		r = pcap_reader_open_mem(c.b, c.n, err, sizeof(err));
		assert_non_null(r);
		assert_int_equal(pcap_reader_next(r, &rec), -EINVAL);
		assert_non_null(strstr(pcap_reader_error(r), "longer than its block"));
		pcap_reader_close(r);

		/* trailing length disagreeing with the leading one (last block) */
		c.n = 0;
		ng_section(&c, PCAP_LINKTYPE_RAW, -1, ip4_pkt, sizeof(ip4_pkt), 0);
		c.b[c.n - 4] ^= 0x04;
		r = pcap_reader_open_mem(c.b, c.n, err, sizeof(err));
		assert_non_null(r);
		assert_int_equal(pcap_reader_next(r, &rec), 1);   /* the EPB is fine */
		assert_int_equal(pcap_reader_next(r, &rec), -EINVAL);
		assert_non_null(strstr(pcap_reader_error(r), "disagree"));
		pcap_reader_close(r);
	}

	/* bad magic */
	assert_null(pcap_reader_open_mem("abcdefghijklmnopqrstuvwxyz", 26, err, sizeof(err)));
	assert_non_null(strstr(err, "magic"));
	assert_null(pcap_reader_open_mem("", 0, err, sizeof(err)));
}

static void test_link_types(void **state)
{
	const uint8_t *ip;
	uint32_t iplen;
	uint8_t f[128];

	/* Ethernet with two VLAN tags (802.1ad outer, 802.1Q inner) */
	memset(f, 0, sizeof(f));
	f[12] = 0x88; f[13] = 0xa8; f[16] = 0x81; f[17] = 0x00; f[20] = 0x86; f[21] = 0xdd;
	memcpy(f + 22, ip6_pkt, sizeof(ip6_pkt));
	assert_int_equal(pcap_link_ip(PCAP_LINKTYPE_ETHERNET, f, 22 + 40, &ip, &iplen), 0);
	assert_ptr_equal(ip, f + 22);
	assert_int_equal(iplen, 40);
	/* truncated inside the tags */
	assert_int_equal(pcap_link_ip(PCAP_LINKTYPE_ETHERNET, f, 19, &ip, &iplen), -EINVAL);
	assert_int_equal(pcap_link_ip(PCAP_LINKTYPE_ETHERNET, f, 5, &ip, &iplen), -EINVAL);
	/* ARP */
	f[12] = 0x08; f[13] = 0x06;
	assert_int_equal(pcap_link_ip(PCAP_LINKTYPE_ETHERNET, f, 60, &ip, &iplen), -ENOENT);

	/* Linux cooked v1: protocol at 14, payload at 16 */
	memset(f, 0, sizeof(f));
	f[14] = 0x08; f[15] = 0x00;
	memcpy(f + 16, ip4_pkt, sizeof(ip4_pkt));
	assert_int_equal(pcap_link_ip(PCAP_LINKTYPE_LINUX_SLL, f, 16 + sizeof(ip4_pkt), &ip, &iplen), 0);
	assert_ptr_equal(ip, f + 16);
	assert_int_equal(pcap_link_ip(PCAP_LINKTYPE_LINUX_SLL, f, 15, &ip, &iplen), -EINVAL);

	/* Linux cooked v2: protocol at 0, payload at 20 */
	memset(f, 0, sizeof(f));
	f[0] = 0x08;
	memcpy(f + 20, ip4_pkt, sizeof(ip4_pkt));
	assert_int_equal(pcap_link_ip(PCAP_LINKTYPE_LINUX_SLL2, f, 20 + sizeof(ip4_pkt), &ip, &iplen), 0);
	assert_ptr_equal(ip, f + 20);
	assert_int_equal(pcap_link_ip(PCAP_LINKTYPE_LINUX_SLL2, f, 20, &ip, &iplen), -EINVAL);

	/* raw */
	assert_int_equal(pcap_link_ip(PCAP_LINKTYPE_RAW, ip4_pkt, sizeof(ip4_pkt), &ip, &iplen), 0);
	assert_int_equal(pcap_link_ip(PCAP_LINKTYPE_IPV6, ip6_pkt, sizeof(ip6_pkt), &ip, &iplen), 0);
	assert_int_equal(pcap_link_ip(PCAP_LINKTYPE_RAW, (const uint8_t *)"\x10", 1, &ip, &iplen), -ENOENT);
	assert_int_equal(pcap_link_ip(PCAP_LINKTYPE_RAW, ip4_pkt, 0, &ip, &iplen), -EINVAL);
	assert_int_equal(pcap_link_ip(147, ip4_pkt, sizeof(ip4_pkt), &ip, &iplen), -EPROTONOSUPPORT);
	assert_string_equal(pcap_linktype_name(PCAP_LINKTYPE_LINUX_SLL2), "LINUX_SLL2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_read_roundtrip),
		cmocka_unit_test(test_classic_swapped_nsec),
		cmocka_unit_test(test_pcapng_sections),
		cmocka_unit_test(test_truncated_files),
		cmocka_unit_test(test_lying_lengths),
		cmocka_unit_test(test_link_types),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
