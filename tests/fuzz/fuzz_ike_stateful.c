/* libFuzzer target: a stateful IKE fuzzer. Two IKE instances in one
 * process (tests/unit/ike_pair.c: deterministic RNG, fake clock, in-memory
 * network, a SAD/SPD behind each) complete IKE_SA_INIT, and optionally
 * IKE_AUTH with a CHILD SA; then the input drives them as a script whose
 * messages are correctly encrypted and integrity-protected with the IKE
 * SA's keys, so that the code behind the integrity check is what gets
 * fuzzed: IKE_AUTH, CREATE_CHILD_SA (CHILD SAs, rekeys, the IKE rekey) and
 * INFORMATIONAL, as requests and as responses, on both ends.
 *
 * Input: one setup byte, then records [op][len:2, big-endian][len bytes]:
 *   setup   bit 0: 0 stop after IKE_SA_INIT (A's IKE_AUTH request is
 *           queued), 1 establish; bits 1-2: the proposals (AES-GCM; AES-CBC
 *           with HMAC-SHA256, ECP and ESN; ChaCha20-Poly1305 with PFS;
 *           AES-GCM with ECP and PFS); bit 3: A rekeys its IKE SA after an
 *           hour; bit 4: IKE fragmentation (RFC 7383) on both ends with a
 *           fragment size of 160 + 40 * bits 5-6 bytes, so that IKE_AUTH
 *           and CREATE_CHILD_SA messages go in Encrypted Fragment
 *           messages (the harness delivers until both are up)
 *   op % 8  0 REPLACE  the next queued message's plaintext becomes data
 *                      (data[0]: the first payload type, then the chain),
 *                      sealed again with its sender's keys, delivered;
 *                      a fragment's content is replaced likewise (its
 *                      numbers kept)
 *           1 DELIVER  the next queued message as it is
 *           2 INJECT   a new message: data[0] bit 0 sender (A/B), bit 1 a
 *                      response (to the receiver's request in flight),
 *                      bits 2-3 the exchange (IKE_AUTH, CREATE_CHILD_SA,
 *                      INFORMATIONAL, data[1]); data[1] bits 0-1 the
 *                      message ID (the sender's next, the one the receiver
 *                      expects, the in-flight one, data[2..5]); data[6]:
 *                      the first payload type, then the chain;
 *                      data[0] bit 4: sent as Encrypted Fragment messages,
 *                      the chain cut into 1 + (data[1] >> 2 & 7) pieces,
 *                      bit 5 in reverse order, bit 6 fragment 1 sent once
 *                      more with other content (overlap), bit 7 a Total
 *                      one higher than sent (never completes)
 *           3 EVENT    data[0] % 8: A or B (bit 3) initiates "net",
 *                      terminates "net", terminates the IKE SA, a soft or
 *                      hard expire of SAD state data[1], (6) its address
 *                      changes (MOBIKE roaming, ike_roam), else the clock
 *                      moves on data[1] * 30 s
 *           4 MUTATE   XOR the next queued message's plaintext (or a
 *                      fragment's content) at (data[2i] | data[2i+1] << 8)
 *                      % length with data[2i+1], seal, deliver
 *           5 DROP     lose the next queued message
 *           6 ALL      deliver until nothing is queued (bounded)
 *           7 TICK     data[0] * 1 s on the clock (retransmits, timeouts)
 * After every record: both ends' SADs hold exactly the states of their
 * installed CHILD SAs (pair_consistent), else abort; at the end, once
 * the clock has passed the reassembly timeout, neither end holds any
 * fragment. ASan checks memory and leaks; the pair is freed after every
 * input.
 *
 * Seeds (tests/fuzz/corpus/fuzz_ike_stateful) are the real exchanges:
 * UIPSEC_FUZZ_WRITE_SEEDS=dir makes the target write them and exit (they
 * carry the actual plaintexts of IKE_AUTH, CREATE_CHILD_SA, rekeys,
 * deletes and liveness checks); UIPSEC_FUZZ_VERBOSE=1 prints where an
 * input left both ends (states, CHILD SAs, counters). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "ike/ike_msg.h"
#include "ike/ike_proto.h"
#include "ike_pair.h"
#include "util/bytes.h"
#include "util/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RECORDS_MAX 48
#define CHAIN_MAX 3000   /* sealed messages stay within the pair's buffers */

enum op { OP_REPLACE, OP_DELIVER, OP_INJECT, OP_EVENT, OP_MUTATE, OP_DROP, OP_ALL, OP_TICK };

static const struct {
	const char *ike, *esp;
} setups[4] = {
	{ "aes256gcm16-prfsha256-x25519", "aes128gcm16" },
	/* no MODP: OpenSSL draws MODP keys itself, past the deterministic
	 * RNG, and an input must always run the same */
	{ "aes128-sha256-ecp256", "aes128-sha256-esn" },
	{ "chacha20poly1305-prfsha256-ecp256", "chacha20poly1305-x25519" },
	{ "aes256gcm16-prfsha384-ecp384", "aes256gcm16-ecp256" },
};

/* When seeds are written: the plaintext the last REPLACE found, so that
 * the seed carries it. */
static uint8_t *capture;
static size_t capture_len;

static void check(void)
{
	const char *why;

	if ((why = pair_consistent(&A)) || (why = pair_consistent(&B))) {
		fprintf(stderr, "invariant broken: %s\n", why);
		abort();
	}
}

static struct peer *sender_of(const struct pkt_q *q)
{
	return ip_addr_equal(&q->from.addr, &A.addr) ? &A : &B;
}

/* Seal chain as the next queued message's new plaintext and deliver it;
 * a message that cannot be opened (IKE_SA_INIT, a gone SA) goes as it is. */
static void replace(const uint8_t *d, size_t n)
{
	uint8_t chain[CHAIN_MAX + 64], first;
	uint16_t num, total;
	struct ike_hdr h;
	struct pkt_q q;
	int len;

	if (!net_n)
		return;
	q = net[0];
	len = pair_frag_open(sender_of(&q), &q, &h, &first, &num, &total, chain, sizeof(chain));
	if (len >= 0) {
		if (capture && n == 0) {
			capture[0] = first;
			memcpy(capture + 1, chain, (size_t)len);
			capture_len = 1 + (size_t)len;
		}
		if (n > 0 && n - 1 <= CHAIN_MAX &&
		    pair_frag_seal(sender_of(&q), &h, d[0], num, total, d + 1, n - 1, &net[0]) != 0)
			return;
		deliver(false);
		return;
	}
	len = pair_open(sender_of(&q), &q, &h, &first, chain, sizeof(chain));
	if (len >= 0 && capture && n == 0) {
		/* writing seeds: record the real plaintext */
		capture[0] = first;
		memcpy(capture + 1, chain, (size_t)len);
		capture_len = 1 + (size_t)len;
	}
	if (len >= 0 && n > 0 && n - 1 <= CHAIN_MAX &&
	    pair_seal(sender_of(&q), &h, d[0], d + 1, n - 1, &net[0]) != 0)
		return;
	deliver(false);
}

static void mutate(const uint8_t *d, size_t n)
{
	uint8_t chain[CHAIN_MAX + 64], first;
	uint16_t num, total;
	struct ike_hdr h;
	bool frag;
	int len;

	if (!net_n)
		return;
	len = pair_frag_open(sender_of(&net[0]), &net[0], &h, &first, &num, &total, chain,
	                     sizeof(chain));
	frag = len >= 0;
	if (!frag)
		len = pair_open(sender_of(&net[0]), &net[0], &h, &first, chain, sizeof(chain));
	if (len > 0) {
		for (size_t i = 0; i + 1 < n; i += 2)
			chain[(d[i] | d[i + 1] << 8) % (size_t)len] ^= d[i + 1] | 1;
		if (frag)
			pair_frag_seal(sender_of(&net[0]), &h, first, num, total, chain, (size_t)len,
			               &net[0]);
		else
			pair_seal(sender_of(&net[0]), &h, first, chain, (size_t)len, &net[0]);
	}
	deliver(false);
}

/* chain[0, len) (first payload first) from sender as Encrypted Fragment
 * messages with header h, as inject's data[0] bits 4-7 and data[1] bits
 * 2-4 say. */
static void inject_frags(struct peer *from, const struct ike_hdr *h, uint8_t how, uint8_t pieces,
                         uint8_t first, const uint8_t *chain, size_t len)
{
	unsigned k = 1u + (pieces >> 2 & 7), total = k + (how & 0x80 ? 1 : 0);
	size_t piece = (len + k - 1) / k;
	struct pkt_q q;

	for (unsigned j = 0; j < k; j++) {
		unsigned i = how & 0x20 ? k - 1 - j : j;
		size_t off = i * piece < len ? i * piece : len;
		size_t plen = len - off < piece ? len - off : piece;
		memset(&q, 0, sizeof(q));
		if (pair_frag_seal(from, h, i == 0 ? first : IKE_PLD_NONE, (uint16_t)(i + 1),
		                   (uint16_t)total, chain + off, plen, &q) == 0)
			pair_inject(&q);
		if (i == 0 && (how & 0x40) && plen) {
			uint8_t other[CHAIN_MAX];
			memcpy(other, chain + off, plen);
			other[0] ^= 0x80;
			memset(&q, 0, sizeof(q));
			if (pair_frag_seal(from, h, first, 1, (uint16_t)total, other, plen, &q) == 0)
				pair_inject(&q);
		}
	}
}

static void inject(const uint8_t *d, size_t n)
{
	static const uint8_t exchanges[3] = { IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL };
	struct peer *from, *to;
	struct ike_sa *sa, *rsa;
	struct ike_hdr h;
	struct pkt_q q;
	uint32_t msgid = 0;
	bool response;

	if (n < 7 || n - 7 > CHAIN_MAX)
		return;
	from = d[0] & 1 ? &B : &A;
	to = from == &A ? &B : &A;
	response = d[0] & 2;
	sa = pair_sa(from, NULL);
	if (!sa)
		return;
	memset(&h, 0, sizeof(h));
	pair_sa_spis(sa, &h.spi_i, &h.spi_r);
	h.exchange = (d[0] >> 2 & 3) < 3 ? exchanges[d[0] >> 2 & 3] : d[1];
	h.flags = (uint8_t)((from == &A ? IKE_FLAG_INITIATOR : 0) | (response ? IKE_FLAG_RESPONSE : 0));
	rsa = pair_sa(to, &h);
	switch (d[1] & 3) {
	case 0:
		msgid = pair_take_msgid(sa);
		break;
	case 1:
		if (rsa)
			msgid = response ? 0 : pair_expected_msgid(rsa);
		break;
	case 2:
		if (rsa)
			pair_in_flight(response ? rsa : sa, &msgid);
		break;
	default:
		msgid = get_be32(d + 2);
		break;
	}
	h.msgid = msgid;
	if (d[0] & 0x10) {
		inject_frags(from, &h, d[0], d[1], d[6], d + 7, n - 7);
		return;
	}
	memset(&q, 0, sizeof(q));
	if (pair_seal(from, &h, d[6], d + 7, n - 7, &q) == 0)
		pair_inject(&q);
}

static void event(const uint8_t *d, size_t n)
{
	struct peer *p;

	if (n < 2)
		return;
	p = d[0] & 8 ? &B : &A;
	switch (d[0] % 8) {
	case 0: ike_initiate(p->ike, "net"); break;
	case 1: ike_terminate_child(p->ike, "net"); break;
	case 2: ike_terminate_ike(p->ike, "gw"); break;
	case 3: pair_expire(p, d[1] % 8, false); break;
	case 4: pair_expire(p, d[1] % 8, true); break;
	case 6:
		/* p's address changes (and back, the next time): MOBIKE roaming */
		p->addr.a[3] ^= 10;
		ike_roam(p->ike);
		break;
	default: tick((uint64_t)d[1] * 30000); break;
	}
}

static void run(const uint8_t *data, size_t size)
{
	uint8_t setup = size ? data[0] : 0;
	char err[128];
	size_t off = 1;

	peers_up(setups[setup >> 1 & 3].ike, setups[setup >> 1 & 3].esp, setups[setup >> 1 & 3].ike,
	         setups[setup >> 1 & 3].esp, NULL, NULL);
	if (setup & 8) {
		A.cfg.rekey_time = 3600;
		ike_conn_add(A.ike, &A.cfg, err, sizeof(err));
	}
	if (setup & 16) {
		ike_ctx_set_fragment_size(A.ike, 160 + 40 * (setup >> 5 & 3));
		ike_ctx_set_fragment_size(B.ike, 160 + 40 * (setup >> 5 & 3));
	}
	if (ike_initiate(A.ike, "net"))
		abort();
	deliver(false);
	deliver(false);
	if (setup & 1) {
		/* IKE_AUTH both ways, in as many datagrams as it takes */
		pair_deliver_all(64);
		if (strcmp(ike_conn_state(A.ike, "gw"), "ESTABLISHED") ||
		    strcmp(ike_conn_state(B.ike, "gw"), "ESTABLISHED")) {
			fprintf(stderr, "the harness did not establish\n");
			abort();
		}
	}
	check();
	for (unsigned r = 0; r < RECORDS_MAX && off + 3 <= size; r++) {
		uint8_t op = data[off] % 8;
		size_t n = (size_t)data[off + 1] << 8 | data[off + 2];
		const uint8_t *d = data + off + 3;
		if (n > size - off - 3)
			n = size - off - 3;
		off += 3 + n;
		switch (op) {
		case OP_REPLACE: replace(d, n); break;
		case OP_DELIVER: deliver(false); break;
		case OP_INJECT: inject(d, n); break;
		case OP_EVENT: event(d, n); break;
		case OP_MUTATE: mutate(d, n); break;
		case OP_DROP: deliver(true); break;
		case OP_ALL: pair_deliver_all(64); break;
		case OP_TICK: tick(n ? (uint64_t)d[0] * 1000 : 1000); break;
		}
		check();
	}
	/* let it settle: whatever is queued, then every timer */
	pair_deliver_all(64);
	for (int i = 0; i < 8; i++) {
		tick(30000);
		pair_deliver_all(64);
	}
	check();
	/* past the reassembly timeout nothing may be held (RFC 7383 state
	 * bounded in time as in memory) */
	tick(30000);
	if (ike_ctx_stats(A.ike)->frag_bytes || ike_ctx_stats(B.ike)->frag_bytes) {
		fprintf(stderr, "invariant broken: fragments held after the timeout (A %llu, B %llu "
		        "bytes)\n", (unsigned long long)ike_ctx_stats(A.ike)->frag_bytes,
		        (unsigned long long)ike_ctx_stats(B.ike)->frag_bytes);
		abort();
	}
	if (getenv("UIPSEC_FUZZ_VERBOSE")) {
		const struct ike_stats *a = ike_ctx_stats(A.ike), *b = ike_ctx_stats(B.ike);
		fprintf(stderr, "A %s, %u children; B %s, %u children; A ike/child up %llu/%llu, "
		        "B syntax %llu early %llu icv %llu; frag reassembled A %llu B %llu; mobike "
		        "moves A %llu B %llu, B refused %llu\n", ike_conn_state(A.ike, "gw"),
		        ike_child_count(A.ike), ike_conn_state(B.ike, "gw"), ike_child_count(B.ike),
		        (unsigned long long)a->ike_established, (unsigned long long)a->child_established,
		        (unsigned long long)b->syntax_errors, (unsigned long long)b->drop_before_auth,
		        (unsigned long long)b->drop_icv, (unsigned long long)a->frag_reassembled,
		        (unsigned long long)b->frag_reassembled, (unsigned long long)a->mobike_moves,
		        (unsigned long long)b->mobike_moves, (unsigned long long)b->mobike_refused);
	}
	pair_down();
}

/* ---- seeds ---- */

struct rec {
	uint8_t op;
	uint8_t d[80];
	size_t n;
};

/* Run the script recs (setup byte first) and write it to dir/name, each
 * empty REPLACE filled with the plaintext it found. */
static void seed(const char *dir, const char *name, uint8_t setup, const struct rec *recs,
                 unsigned nrec)
{
	uint8_t *buf = malloc(65536), *cap = malloc(65536);
	size_t len = 1;
	char path[1024];
	FILE *f;

	if (!buf || !cap)
		abort();
	buf[0] = setup;
	/* replay the records one by one, growing the input, so that each
	 * REPLACE captures the plaintext at its point of the script */
	for (unsigned i = 0; i < nrec; i++) {
		size_t start = len;
		buf[len++] = recs[i].op;
		buf[len++] = (uint8_t)(recs[i].n >> 8);
		buf[len++] = (uint8_t)recs[i].n;
		memcpy(buf + len, recs[i].d, recs[i].n);
		len += recs[i].n;
		if (recs[i].op == OP_REPLACE && recs[i].n == 0) {
			capture = cap;
			capture_len = 0;
			run(buf, len);
			capture = NULL;
			if (capture_len) {
				len = start;
				buf[len++] = OP_REPLACE;
				buf[len++] = (uint8_t)(capture_len >> 8);
				buf[len++] = (uint8_t)capture_len;
				memcpy(buf + len, cap, capture_len);
				len += capture_len;
			}
		}
	}
	run(buf, len);   /* the seed as written must run */
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
	fclose(f);
	free(buf);
	free(cap);
}

static void write_seeds(const char *dir)
{
	const struct rec r_auth[] = { { OP_REPLACE, { 0 }, 0 }, { OP_ALL, { 0 }, 0 } };
	const struct rec r_child[] = { { OP_EVENT, { 0, 0 }, 2 }, { OP_REPLACE, { 0 }, 0 },
	                               { OP_ALL, { 0 }, 0 } };
	const struct rec r_child_resp[] = { { OP_EVENT, { 0, 0 }, 2 }, { OP_DELIVER, { 0 }, 0 },
	                                    { OP_REPLACE, { 0 }, 0 }, { OP_ALL, { 0 }, 0 } };
	const struct rec r_rekey[] = { { OP_EVENT, { 3, 0 }, 2 }, { OP_REPLACE, { 0 }, 0 },
	                               { OP_ALL, { 0 }, 0 } };
	const struct rec r_delete[] = { { OP_EVENT, { 1, 0 }, 2 }, { OP_REPLACE, { 0 }, 0 },
	                                { OP_ALL, { 0 }, 0 } };
	const struct rec r_ike_delete[] = { { OP_EVENT, { 2, 0 }, 2 }, { OP_REPLACE, { 0 }, 0 },
	                                    { OP_ALL, { 0 }, 0 } };
	const struct rec r_ike_rekey[] = { { OP_EVENT, { 5, 121 }, 2 }, { OP_REPLACE, { 0 }, 0 },
	                                   { OP_ALL, { 0 }, 0 } };
	/* A's liveness check (empty INFORMATIONAL), B's Delete(IKE) before
	 * IKE_AUTH, as injected records */
	const struct rec r_dpd[] = { { OP_INJECT, { 2 << 2, 0, 0, 0, 0, 0, 0 }, 7 },
	                             { OP_ALL, { 0 }, 0 } };
	const struct rec r_early[] = { { OP_INJECT, { 2 << 2, 1, 0, 0, 0, 0, IKE_PLD_DELETE,
	                                              0, 0, 0, 8, IKE_PROTO_IKE, 0, 0, 0 }, 15 },
	                               { OP_ALL, { 0 }, 0 } };

	seed(dir, "ike_auth", 0, r_auth, 2);
	seed(dir, "ike_auth_cbc", 2, r_auth, 2);
	seed(dir, "child_create", 1, r_child, 3);
	seed(dir, "child_create_pfs", 5, r_child, 3);
	seed(dir, "child_create_response", 1, r_child_resp, 4);
	seed(dir, "child_rekey", 1, r_rekey, 3);
	seed(dir, "child_delete", 1, r_delete, 3);
	seed(dir, "ike_delete", 1, r_ike_delete, 3);
	seed(dir, "ike_rekey", 1 | 8, r_ike_rekey, 3);
	seed(dir, "dpd", 1, r_dpd, 2);
	seed(dir, "info_before_auth", 0, r_early, 2);
	/* with fragments: IKE_AUTH's first fragment replaced; a CHILD SA in
	 * fragments; an INFORMATIONAL (INITIAL_CONTACT) injected in two
	 * fragments, the first sent twice with other content (overlap) */
	const struct rec r_frag_info[] = { { OP_INJECT, { 0x10 | 0x40 | 2 << 2, 1 | 1 << 2,
	                                                  0, 0, 0, 0, IKE_PLD_NOTIFY, 0, 0, 0, 8,
	                                                  0, 0, 0x40, 0x00 }, 15 },
	                                   { OP_ALL, { 0 }, 0 } };
	/* MOBIKE: A roams (its UPDATE_SA_ADDRESSES replaced), and one injected
	 * with its NAT detection notifies */
	const struct rec r_roam[] = { { OP_EVENT, { 6, 0 }, 2 }, { OP_REPLACE, { 0 }, 0 },
	                              { OP_ALL, { 0 }, 0 } };
	const struct rec r_update[] = {
		{ OP_INJECT, { 2 << 2, 0, 0, 0, 0, 0, IKE_PLD_NOTIFY,
		               IKE_PLD_NOTIFY, 0, 0, 8, 0, 0, 0x40, 0x10,
		               IKE_PLD_NOTIFY, 0, 0, 28, 0, 0, 0x40, 0x04,
		               1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
		               0, 0, 0, 28, 0, 0, 0x40, 0x05,
		               1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 },
		  71 },
		{ OP_ALL, { 0 }, 0 } };
	seed(dir, "mobike_roam", 1, r_roam, 3);
	seed(dir, "mobike_update", 1, r_update, 2);
	seed(dir, "ike_auth_frag", 16, r_auth, 2);
	seed(dir, "child_create_frag", 1 | 16 | 32, r_child, 3);
	seed(dir, "info_frag", 1 | 16, r_frag_info, 2);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("UIPSEC_FUZZ_WRITE_SEEDS");

	log_set_level(LOG_ERR);
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size);
	return 0;
}
