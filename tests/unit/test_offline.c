/* dp/offline: encrypt a capture of inner packets and decrypt it back with
 * our own ESP, replays, and a table of malformed outer packets (lengths
 * that lie, fragments, IPv6 extension headers running off the end, UDP 4500
 * keepalives and IKE) with their verdicts and xfrm_stat counters. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xfrmcli/xfrm_cmd.h"
#include "dp/offline.h"
#include "dp/pcap.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"
#include "xfrm_run.h"

struct cap {
	char *buf;
	size_t len;
	FILE *f;
	struct pcap_writer *w;
};

static void cap_open(struct cap *c, uint32_t linktype)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	c->w = pcap_writer_new(c->f, linktype);
	assert_non_null(c->w);
}

static void cap_close(struct cap *c)
{
	assert_int_equal(pcap_writer_close(c->w), 0);
	fclose(c->f);
}

static size_t ip4(uint8_t *p, uint8_t proto, const uint8_t *pl, size_t pllen,
                  const char *src, const char *dst)
{
	struct ip_addr s, d;

	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)((20 + pllen) >> 8);
	p[3] = (uint8_t)(20 + pllen);
	p[8] = 64;
	p[9] = proto;
	ip_addr_parse(src, &s);
	ip_addr_parse(dst, &d);
	memcpy(p + 12, s.a, 4);
	memcpy(p + 16, d.a, 4);
	memcpy(p + 20, pl, pllen);
	return 20 + pllen;
}

#define GCM "aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128"

static char *run_decrypt(struct sad *sad, const struct cap *in, struct cap *out,
                         struct dp_offline_stats *st)
{
	char err[128], *log = NULL;
	size_t loglen = 0;
	struct pcap_reader *r = pcap_reader_open_mem(in->buf, in->len, err, sizeof(err));
	FILE *lf = open_memstream(&log, &loglen);

	assert_non_null(r);
	memset(st, 0, sizeof(*st));
	cap_open(out, PCAP_LINKTYPE_RAW);
	assert_int_equal(dp_offline_decrypt(sad, r, out->w, lf, st), 0);
	cap_close(out);
	fclose(lf);
	pcap_reader_close(r);
	return log;
}

static void test_encrypt_decrypt(void **state)
{
	struct sad *sad = sad_new(NULL);
	struct spd *spd = spd_new(NULL);
	struct cap plain, enc, dec, dup;
	struct dp_offline_stats st;
	struct pcap_reader *r;
	struct pcap_record rec;
	char err[128], *log = NULL;
	size_t loglen = 0;
	uint8_t pkts[3][200];
	size_t lens[3];
	FILE *lf;

	xfrm_run_line(sad, spd, "state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 1 "
	              "mode tunnel replay-window 32 " GCM);
	/* the inbound twin must not be picked for outbound traffic: the policy decides */
	xfrm_run_line(sad, spd, "state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x2000 reqid 2 "
	              "mode tunnel " GCM);
	xfrm_run_line(sad, spd, "policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir out "
	              "tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel");

	cap_open(&plain, PCAP_LINKTYPE_RAW);
	for (int i = 0; i < 3; i++) {
		uint8_t pl[100];

		memset(pl, 'a' + i, sizeof(pl));
		pl[0] = 8;   /* ICMP echo */
		lens[i] = ip4(pkts[i], 1, pl, 40 + 30 * (size_t)i, "10.1.0.2", "10.2.0.2");
		assert_int_equal(pcap_write(plain.w, pkts[i], (uint32_t)lens[i], 1000u * (unsigned)i), 0);
	}
	/* no policy for this one: dropped, as uipsecd's output path drops it
	 * (it used to be written in clear: issue 14) */
	{
		uint8_t p[64], pl[8] = { 8 };
		size_t n = ip4(p, 1, pl, sizeof(pl), "10.9.0.2", "10.2.0.2");
		assert_int_equal(pcap_write(plain.w, p, (uint32_t)n, 0), 0);
	}
	cap_close(&plain);

	r = pcap_reader_open_mem(plain.buf, plain.len, err, sizeof(err));
	assert_non_null(r);
	memset(&st, 0, sizeof(st));
	cap_open(&enc, PCAP_LINKTYPE_RAW);
	lf = open_memstream(&log, &loglen);
	assert_int_equal(dp_offline_encrypt(sad, spd, r, enc.w, lf, &st), 0);
	fclose(lf);
	cap_close(&enc);
	pcap_reader_close(r);
	assert_string_equal(log, "#1 ok spi 0x00001000 seq 1\n"
	                         "#2 ok spi 0x00001000 seq 2\n"
	                         "#3 ok spi 0x00001000 seq 3\n"
	                         "#4 dropped (no dir out policy)\n");
	free(log);
	assert_int_equal(st.ok, 3);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.mib.mib[XFRM_MIB_OUT_POL_ERROR], 1);

	log = run_decrypt(sad, &enc, &dec, &st);
	assert_string_equal(log, "#1 ok spi 0x00001000 seq 1\n"
	                         "#2 ok spi 0x00001000 seq 2\n"
	                         "#3 ok spi 0x00001000 seq 3\n");
	free(log);
	r = pcap_reader_open_mem(dec.buf, dec.len, err, sizeof(err));
	assert_non_null(r);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pcap_reader_next(r, &rec), 1);
		assert_int_equal(rec.caplen, lens[i]);
		assert_memory_equal(rec.data, pkts[i], lens[i]);
		assert_true(rec.ts_ns == 1000u * (unsigned)i);
	}
	assert_int_equal(pcap_reader_next(r, &rec), 0);   /* only decrypted packets */
	pcap_reader_close(r);

	/* the same capture again: every ESP packet is now a replay */
	log = run_decrypt(sad, &enc, &dup, &st);
	assert_non_null(strstr(log, "#1 replay spi 0x00001000 seq 1 (replay)\n"));
	assert_int_equal(st.replay, 3);
	assert_int_equal(st.mib.mib[XFRM_MIB_IN_STATE_SEQ_ERROR], 3);
	free(log);

	free(plain.buf);
	free(enc.buf);
	free(dec.buf);
	free(dup.buf);
	spd_free(spd);
	sad_free(sad);
}

/* Outer packets that lie; each row: bytes, and the verdict line. */
static void test_malformed(void **state)
{
	struct sad *sad = sad_new(NULL);
	struct spd *spd = spd_new(NULL);
	struct cap in, out;
	struct dp_offline_stats st;
	uint8_t p[256], esp[64];
	char *log;
	size_t n;

	xfrm_run_line(sad, spd, "state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 " GCM);
	memset(esp, 0, sizeof(esp));
	esp[2] = 0x10;   /* SPI 0x1000 */
	esp[7] = 1;      /* seq 1 */
	cap_open(&in, PCAP_LINKTYPE_RAW);

	/* 1: total length beyond the capture */
	n = ip4(p, 50, esp, 40, "192.0.2.1", "192.0.2.2");
	p[3] += 10;
	pcap_write(in.w, p, (uint32_t)n, 0);
	/* 2: header length below 20 */
	n = ip4(p, 50, esp, 40, "192.0.2.1", "192.0.2.2");
	p[0] = 0x44;
	pcap_write(in.w, p, (uint32_t)n, 0);
	/* 3: ESP shorter than SPI + seq */
	n = ip4(p, 50, esp, 6, "192.0.2.1", "192.0.2.2");
	pcap_write(in.w, p, (uint32_t)n, 0);
	/* 4: a fragment */
	n = ip4(p, 50, esp, 40, "192.0.2.1", "192.0.2.2");
	p[6] = 0x20;
	pcap_write(in.w, p, (uint32_t)n, 0);
	/* 5: ESP shorter than IV + ICV (state found, esp_input says so) */
	n = ip4(p, 50, esp, 20, "192.0.2.1", "192.0.2.2");
	pcap_write(in.w, p, (uint32_t)n, 0);
	/* 6: UDP 4500 whose length lies */
	{
		uint8_t u[48] = { 0x11, 0x94, 0x11, 0x94, 0x00, 0xff };
		n = ip4(p, 17, u, sizeof(u), "192.0.2.1", "192.0.2.2");
		pcap_write(in.w, p, (uint32_t)n, 0);
	}
	/* 7: NAT-T keepalive, 8: IKE behind the non-ESP marker */
	{
		uint8_t k[9] = { 0x11, 0x94, 0x11, 0x94, 0x00, 0x09, 0, 0, 0xff };
		uint8_t ike[16] = { 0x11, 0x94, 0x11, 0x94, 0x00, 0x10 };
		n = ip4(p, 17, k, sizeof(k), "192.0.2.1", "192.0.2.2");
		pcap_write(in.w, p, (uint32_t)n, 0);
		n = ip4(p, 17, ike, sizeof(ike), "192.0.2.1", "192.0.2.2");
		pcap_write(in.w, p, (uint32_t)n, 0);
	}
	/* 9: IPv6 with a hop-by-hop header claiming more than the packet */
	{
		uint8_t v6[56] = { 0x60 };
		v6[5] = 16;   /* payload length */
		v6[6] = 0;    /* hop-by-hop */
		v6[40] = 50;
		v6[41] = 3;   /* (3 + 1) * 8 = 32 bytes > 16 */
		pcap_write(in.w, v6, sizeof(v6), 0);
	}
	/* 10: not IP at all */
	pcap_write(in.w, "\x10\x20\x30", 3, 0);
	/* 11: no state for this SPI */
	esp[3] = 0x77;
	n = ip4(p, 50, esp, 40, "192.0.2.1", "192.0.2.2");
	pcap_write(in.w, p, (uint32_t)n, 0);
	cap_close(&in);

	log = run_decrypt(sad, &in, &out, &st);
	assert_string_equal(log,
		"#1 malformed (IPv4 total length beyond the captured bytes)\n"
		"#2 malformed (bad IPv4 header length)\n"
		"#3 malformed (ESP header truncated)\n"
		"#4 malformed (fragment: reassembly is not done)\n"
		"#5 malformed (bad-length) spi 0x00001000 seq 1\n"
		"#6 malformed (bad UDP length)\n"
		"#7 skipped (not esp (NAT-T keepalive))\n"
		"#8 skipped (not esp (IKE, non-ESP marker))\n"
		"#9 malformed (IPv6 extension header runs past the packet)\n"
		"#10 skipped (not ip)\n"
		"#11 no state spi 0x00001077 dst 192.0.2.2\n");
	free(log);
	assert_int_equal(st.packets, 11);
	assert_int_equal(st.malformed, 7);
	assert_int_equal(st.no_state, 1);
	assert_int_equal(st.skipped, 3);
	assert_int_equal(st.ok, 0);
	assert_int_equal(st.mib.mib[XFRM_MIB_IN_NO_STATES], 1);
	assert_int_equal(st.mib.mib[XFRM_MIB_IN_HDR_ERROR], 7);
	free(in.buf);
	free(out.buf);
	spd_free(spd);
	sad_free(sad);
}

static void test_print_stats(void **state)
{
	struct dp_offline_stats st = { .packets = 3, .ok = 2, .replay = 1 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	st.mib.mib[XFRM_MIB_IN_STATE_SEQ_ERROR] = 1;
	dp_offline_print_stats(f, &st);
	fclose(f);
	assert_true(strncmp(text, "3 packets: 2 ok, 0 no state, 0 auth failed, 1 replay, "
	                          "0 malformed, 0 dropped, 0 skipped\nXfrmInError             \t0\n",
	                    strlen("3 packets: 2 ok, 0 no state, 0 auth failed, 1 replay, "
	                           "0 malformed, 0 dropped, 0 skipped\nXfrmInError             \t0\n")) == 0);
	assert_non_null(strstr(text, "\nXfrmInStateSeqError     \t1\n"));
	assert_non_null(strstr(text, "\nXfrmAcquireError        \t0\n"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encrypt_decrypt),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_print_stats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
