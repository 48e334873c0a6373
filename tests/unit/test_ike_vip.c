/* Remote access between two IKE instances (tests/unit/ike_pair.c): A is
 * a road warrior with vips = 0.0.0.0 and local_ts dynamic, B a gateway
 * with remote_addrs = %any, remote_ts dynamic and local.pools. Checks
 * the lease, the traffic selectors narrowed to it on both ends (in the
 * SPDs), the DNS servers the client gets, the lease kept for the
 * identity across a reconnect and released when the IKE SA goes, pool
 * exhaustion (INTERNAL_ADDRESS_FAILURE), and a gateway without pools. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ike/ike.h"
#include "ike/ike_child.h"
#include "ike/ike_ctx.h"
#include "ike/ike_pool.h"
#include "ike/ike_proto.h"
#include "ike/ike_sa.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

#include "ike_pair.h"

/* B's pool "rw" from..to with DNS 10.2.0.53 and the site's subnet. */
static void pool_set(const char *from, const char *to)
{
	struct ike_pool_cfg pc;
	char err[256];

	memset(&pc, 0, sizeof(pc));
	snprintf(pc.name, sizeof(pc.name), "rw");
	pc.from = pair_ip(from);
	pc.to = pair_ip(to);
	pc.dns[pc.ndns++] = pair_ip("10.2.0.53");
	pc.subnets[0].addr = pair_ip("10.2.0.0");
	pc.subnets[0].len = 24;
	pc.nsubnets = 1;
	assert_int_equal(ike_pools_set(B.ike, IKE_POOL_FILE, &pc, 1, err, sizeof(err)), 0);
}

/* the address A asks for (vips = ADDRESS); NULL: any (0.0.0.0) */
static const char *a_vip_req;

/* A asks for an IPv4 address; B hands them out from "rw" to anyone. */
static void road_warrior(bool with_pool)
{
	char err[256];

	peers_up("aes256gcm16-prfsha256-x25519", "aes128gcm16", "aes256gcm16-prfsha256-x25519",
	         "aes128gcm16", NULL, NULL);
	assert_int_equal(ike_id_parse("carol@example.org", &A.cfg.local_id), 0);
	A.cfg.vip_family[0] = AF_INET;
	A.cfg.nvips = 1;
	if (a_vip_req)
		A.cfg.vip_req[0] = pair_ip(a_vip_req);
	a_vip_req = NULL;
	A.cfg.children[0].local_ts.n = 0;   /* dynamic: the virtual IP */
	assert_int_equal(ike_conn_add(A.ike, &A.cfg, err, sizeof(err)), 0);
	memset(&B.cfg.remote_addr, 0, sizeof(B.cfg.remote_addr));   /* %any */
	B.cfg.children[0].remote_ts.n = 0;
	if (with_pool) {
		snprintf(B.cfg.pools[0], sizeof(B.cfg.pools[0]), "rw");
		B.cfg.npools = 1;
	}
	assert_int_equal(ike_conn_add(B.ike, &B.cfg, err, sizeof(err)), 0);
}

static bool connect_a(void)
{
	if (ike_initiate(A.ike, "net"))
		return false;
	pair_deliver_all(32);
	return !strcmp(ike_conn_state(A.ike, "gw"), "ESTABLISHED");
}

static struct ike_pool *b_pool(void)
{
	assert_int_equal(B.ike->npools, 1);
	return B.ike->pools[0];
}

static void test_vip_lease(void **state)
{
	struct xfrm_flow fl = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	road_warrior(true);
	pool_set("10.3.0.0", "10.3.0.255");
	b_pool();
	/* a /24 written as a range: every address, from .0 */
	assert_true(connect_a());
	struct ike_sa *a = pair_sa(&A, NULL), *b = pair_sa(&B, NULL);
	assert_int_equal(a->nvip_local, 1);
	assert_true(ip_addr_equal(&a->vip_local[0], &(struct ip_addr){ AF_INET, { 10, 3, 0, 0 } }));
	assert_int_equal(b->nvip_remote, 1);
	assert_int_equal(ike_pool_online(b_pool()), 1);
	/* the client was told, with the DNS server */
	assert_int_equal(A.nvip_add, 1);
	assert_int_equal(A.vip_ndns, 1);
	assert_true(ip_addr_equal(&A.vip_dns[0], &(struct ip_addr){ AF_INET, { 10, 2, 0, 53 } }));
	assert_int_equal(ike_ctx_stats(B.ike)->vips_leased, 1);
	assert_int_equal(ike_ctx_stats(A.ike)->vips_received, 1);
	/* both CHILD SAs narrowed to the virtual IP */
	assert_int_equal(ike_child_count(A.ike), 1);
	assert_int_equal(ike_child_count(B.ike), 1);
	fl.saddr = pair_ip("10.3.0.0");
	fl.daddr = pair_ip("10.2.0.7");
	assert_non_null(spd_lookup(A.spd, XFRM_POLICY_OUT, &fl));
	fl.saddr = pair_ip("10.3.0.1");   /* not ours */
	assert_null(spd_lookup(A.spd, XFRM_POLICY_OUT, &fl));
	fl.saddr = pair_ip("10.2.0.7");
	fl.daddr = pair_ip("10.3.0.0");
	assert_non_null(spd_lookup(B.spd, XFRM_POLICY_OUT, &fl));
	fl.daddr = pair_ip("10.3.0.1");
	assert_null(spd_lookup(B.spd, XFRM_POLICY_OUT, &fl));
	/* listings */
	f = open_memstream(&buf, &len);
	ike_list_sas(A.ike, f);
	ike_list_sas(B.ike, f);
	ike_list_pools(B.ike, f);
	fclose(f);
	assert_non_null(strstr(buf, "local  vip 10.3.0.0"));
	assert_non_null(strstr(buf, "dns 10.2.0.53"));
	assert_non_null(strstr(buf, "remote vip 10.3.0.0 (pool rw)"));
	assert_non_null(strstr(buf, "online   'carol@example.org'"));
	free(buf);

	/* the client leaves: the lease goes offline, the address comes off */
	assert_int_equal(ike_terminate_ike(A.ike, "gw"), 0);
	pair_deliver_all(32);
	assert_int_equal(ike_sa_count(A.ike) + ike_sa_count(B.ike), 0);
	assert_int_equal(ike_pool_online(b_pool()), 0);
	assert_int_equal(ike_pool_offline(b_pool()), 1);
	assert_int_equal(A.nvip_del, 1);
	/* and comes back: the same address */
	assert_true(connect_a());
	a = pair_sa(&A, NULL);
	assert_true(ip_addr_equal(&a->vip_local[0], &(struct ip_addr){ AF_INET, { 10, 3, 0, 0 } }));
	assert_int_equal(ike_pool_online(b_pool()), 1);
	assert_int_equal(ike_pool_offline(b_pool()), 0);
}

/* A client that vanishes and reconnects with INITIAL_CONTACT: the old
 * IKE SA goes first, its lease goes offline and the new one gets it. */
static void test_vip_reconnect(void **state)
{
	road_warrior(true);
	pool_set("10.3.0.1", "10.3.0.1");   /* one address */
	assert_true(connect_a());
	/* A forgets everything (a reboot): a fresh core, same config */
	struct ike_sa *b = pair_sa(&B, NULL);
	uint32_t old = b->unique_id;
	ike_conn_del(A.ike, "gw");
	pair_deliver_all(32);   /* A's Delete: B releases */
	assert_int_equal(ike_pool_online(b_pool()), 0);
	/* on a reconnect without a Delete first, INITIAL_CONTACT replaces */
	char err[256];
	assert_int_equal(ike_conn_add(A.ike, &A.cfg, err, sizeof(err)), 0);
	assert_true(connect_a());
	b = pair_sa(&B, NULL);
	assert_int_not_equal(b->unique_id, old);
	struct ike_sa *a = pair_sa(&A, NULL);
	/* now A loses its SA silently, and connects again */
	a->state = IKE_STATE_DEAD;   /* as if the machine had lost it */
	ike_sa_destroy(a);
	assert_int_equal(ike_pool_online(b_pool()), 1);
	assert_true(connect_a());
	a = pair_sa(&A, NULL);
	assert_true(ip_addr_equal(&a->vip_local[0], &(struct ip_addr){ AF_INET, { 10, 3, 0, 1 } }));
	assert_int_equal(ike_sa_count(B.ike), 1);   /* the old one replaced */
	assert_int_equal(ike_pool_online(b_pool()), 1);
}

/* Every address online (someone else holds the one there is):
 * INTERNAL_ADDRESS_FAILURE, logged and counted; no CHILD SA; the
 * client ends its IKE SA. */
static void test_vip_exhausted(void **state)
{
	struct ike_id other;
	struct ip_addr got;

	road_warrior(true);
	pool_set("10.3.0.1", "10.3.0.1");
	assert_int_equal(ike_id_parse("dave@example.org", &other), 0);
	assert_int_equal(ike_pool_acquire(b_pool(), AF_INET, &other, NULL, 999, &got), 0);
	assert_false(connect_a());
	assert_int_equal(ike_ctx_stats(B.ike)->vip_failures, 1);
	assert_int_equal(ike_ctx_stats(A.ike)->vip_failures, 1);
	assert_int_equal(ike_child_count(A.ike) + ike_child_count(B.ike), 0);
	assert_int_equal(sad_count(A.sad) + sad_count(B.sad), 0);
	assert_int_equal(ike_sa_count(A.ike) + ike_sa_count(B.ike), 0);
	assert_true(A.nends >= 1);
	assert_string_equal(ike_end_reason_name(A.ends[0].reason), "no-virtual-ip");
	assert_int_equal(A.nvip_add, 0);
	/* dave's lease is untouched */
	assert_int_equal(ike_pool_online(b_pool()), 1);
}

/* vips = ADDRESS: A asks for that address; B, as charon's mem_pool,
 * assigns the next address of its pool when the address is outside it
 * (or in it but not A's lease); A takes what it got, its CHILD SA
 * narrowed to it. */
static void test_vip_requested(void **state)
{
	struct xfrm_flow fl = { 0 };

	(void)state;
	a_vip_req = "10.99.0.5";
	road_warrior(true);
	pool_set("10.3.0.1", "10.3.0.254");
	assert_true(connect_a());
	struct ike_sa *a = pair_sa(&A, NULL), *b = pair_sa(&B, NULL);
	assert_int_equal(a->nvip_local, 1);
	assert_true(ip_addr_equal(&a->vip_local[0], &(struct ip_addr){ AF_INET, { 10, 3, 0, 1 } }));
	assert_int_equal(b->nvip_remote, 1);
	assert_true(ip_addr_equal(&b->vip_remote[0], &a->vip_local[0]));
	fl.saddr = pair_ip("10.3.0.1");
	fl.daddr = pair_ip("10.2.0.7");
	assert_non_null(spd_lookup(A.spd, XFRM_POLICY_OUT, &fl));
	fl.saddr = pair_ip("10.99.0.5");
	assert_null(spd_lookup(A.spd, XFRM_POLICY_OUT, &fl));
	assert_int_equal(ike_terminate_ike(A.ike, "gw"), 0);
	pair_deliver_all(32);
	pair_down();

	/* in the pool but never leased: still the next address, as charon */
	a_vip_req = "10.3.0.9";
	road_warrior(true);
	pool_set("10.3.0.1", "10.3.0.254");
	assert_true(connect_a());
	a = pair_sa(&A, NULL);
	assert_true(ip_addr_equal(&a->vip_local[0], &(struct ip_addr){ AF_INET, { 10, 3, 0, 1 } }));
}

/* A gateway connection without pools: the request gets no address. */
static void test_vip_no_pool(void **state)
{
	road_warrior(false);
	assert_false(connect_a());
	assert_int_equal(ike_ctx_stats(B.ike)->vip_failures, 1);
	assert_int_equal(ike_sa_count(A.ike), 0);
}

/* Pools reloaded: the same definition keeps its leases; one with online
 * leases is neither replaced nor unloaded. */
static void test_vip_pool_reload(void **state)
{
	char err[256];

	road_warrior(true);
	pool_set("10.3.0.1", "10.3.0.9");
	assert_true(connect_a());
	struct ike_pool *p = b_pool();
	pool_set("10.3.0.1", "10.3.0.9");
	assert_ptr_equal(b_pool(), p);
	pool_set("10.4.0.1", "10.4.0.9");
	assert_ptr_equal(b_pool(), p);     /* online leases: kept as it was */
	assert_int_equal(ike_pools_set(B.ike, IKE_POOL_FILE, NULL, 0, err, sizeof(err)), 0);
	assert_ptr_equal(b_pool(), p);
	assert_int_equal(ike_terminate_ike(A.ike, "gw"), 0);
	pair_deliver_all(32);
	assert_int_equal(ike_pools_set(B.ike, IKE_POOL_FILE, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(B.ike->npools, 0);
}

/* An IKE SA rekeyed, by the client and by the gateway: the successor
 * keeps the virtual IP and the lease (owned by it now: released when it
 * goes), nothing is taken off the client's TUN device. */
static void test_vip_ike_rekey(void **state)
{
	for (int by_gw = 0; by_gw < 2; by_gw++) {
		char err[256];

		road_warrior(true);
		pool_set("10.3.0.1", "10.3.0.9");
		if (by_gw) {
			B.cfg.rekey_time = 600;
			assert_int_equal(ike_conn_add(B.ike, &B.cfg, err, sizeof(err)), 0);
		} else {
			A.cfg.rekey_time = 600;
			assert_int_equal(ike_conn_add(A.ike, &A.cfg, err, sizeof(err)), 0);
		}
		assert_true(connect_a());
		tick(601000);
		pair_deliver_all(32);
		assert_int_equal(ike_sa_count(A.ike), 1);
		assert_int_equal(ike_sa_count(B.ike), 1);
		struct ike_sa *a = pair_sa(&A, NULL), *b = pair_sa(&B, NULL);
		assert_true(a->unique_id > 1 || b->unique_id > 1);   /* the successors */
		assert_int_equal(a->nvip_local, 1);
		assert_int_equal(a->ndns, 1);
		assert_int_equal(b->nvip_remote, 1);
		assert_int_equal(A.nvip_del, 0);
		assert_int_equal(ike_pool_online(b_pool()), 1);
		assert_int_equal(ike_child_count(A.ike), 1);
		/* the successor's end releases the lease */
		assert_int_equal(ike_terminate_ike(A.ike, "gw"), 0);
		pair_deliver_all(32);
		assert_int_equal(ike_pool_online(b_pool()), 0);
		assert_int_equal(ike_pool_offline(b_pool()), 1);
		assert_int_equal(A.nvip_del, 1);
		pair_down();
	}
}

/* A CFG_REQUEST whose first attribute claims 0xffff bytes, inside a
 * correctly sealed IKE_AUTH request: the message parser refuses it
 * (ike_cp_parse in ike_pld_validate), the gateway answers INVALID_SYNTAX
 * and leases nothing. */
static void test_vip_bad_cp(void **state)
{
	uint8_t chain[4096], first;
	struct ike_hdr h;
	int len, off = 0;
	uint8_t t;

	road_warrior(true);
	pool_set("10.3.0.1", "10.3.0.9");
	assert_int_equal(ike_initiate(A.ike, "net"), 0);
	assert_true(deliver(false));
	assert_true(deliver(false));
	assert_int_equal(net_n, 1);             /* A's IKE_AUTH request */
	len = pair_open(&A, &net[0], &h, &first, chain, sizeof(chain));
	assert_true(len > 0);
	for (t = first; t != IKE_PLD_CP; ) {
		assert_true(t != 0 && off + 4 <= len);
		t = chain[off];
		off += (chain[off + 2] << 8) | chain[off + 3];
	}
	assert_true(off + 12 <= len);
	chain[off + 4 + 4 + 2] = chain[off + 4 + 4 + 3] = 0xff;   /* the attribute's length */
	assert_int_equal(pair_seal(&A, &h, first, chain, (size_t)len, &net[0]), 0);
	assert_true(deliver(false));
	assert_int_equal(ike_ctx_stats(B.ike)->syntax_errors, 1);
	assert_int_equal(ike_pool_online(b_pool()), 0);
	assert_int_equal(ike_ctx_stats(B.ike)->vips_leased, 0);
	pair_deliver_all(16);
	assert_int_equal(ike_sa_count(A.ike) + ike_sa_count(B.ike), 0);
	assert_int_equal(A.nvip_add, 0);
}

/* Make-before-break reauthentication of the client: the new IKE SA asks
 * for the address it has, the gateway gives it again to the same
 * identity (shared with the old IKE SA until that goes), the address
 * never leaves the client's TUN device, and the lease stays online. */
static void test_vip_reauth(void **state)
{
	road_warrior(true);
	pool_set("10.3.0.1", "10.3.0.9");
	assert_true(connect_a());
	assert_int_equal(ike_rekey_ike(A.ike, "gw", true), 0);
	pair_deliver_all(64);
	assert_int_equal(ike_sa_count(A.ike), 1);
	assert_int_equal(ike_sa_count(B.ike), 1);
	assert_string_equal(ike_end_reason_name(A.ends[0].reason), "reauthenticated");
	struct ike_sa *a = pair_sa(&A, NULL), *b = pair_sa(&B, NULL);
	assert_int_equal(a->nvip_local, 1);
	assert_true(ip_addr_equal(&a->vip_local[0], &(struct ip_addr){ AF_INET, { 10, 3, 0, 1 } }));
	assert_true(ip_addr_equal(&b->vip_remote[0], &a->vip_local[0]));
	assert_int_equal(A.nvip_del, 0);           /* never taken off */
	assert_int_equal(ike_pool_online(b_pool()), 1);
	assert_int_equal(ike_pool_offline(b_pool()), 0);
	assert_int_equal(ike_child_count(A.ike), 1);
	assert_int_equal(ike_child_count(B.ike), 1);
	/* and it goes when the new one does */
	assert_int_equal(ike_terminate_ike(A.ike, "gw"), 0);
	pair_deliver_all(32);
	assert_int_equal(ike_pool_online(b_pool()), 0);
	assert_int_equal(A.nvip_del, 1);
}

/* Connections chosen by identity, as charon chooses them: B has two
 * remote-access connections that differ only in remote id (carol, dave),
 * each with its own pool, and a PSK per identity in its table
 * (ike_psks_set); the connections' own keys are wrong on purpose, so
 * only the lookup by the peer's IDi at IKE_AUTH can succeed. Each client
 * gets its connection and its pool; carol with dave's key is refused. */
static void psk_entry(struct ike_psk_cfg *k, struct ike_id *id, const char *who, const char *key)
{
	assert_int_equal(ike_id_parse(who, id), 0);
	*k = (struct ike_psk_cfg){ .ids = id, .nids = 1, .key = (const uint8_t *)key,
	                           .len = strlen(key) };
}

static void b_two_conns(void)
{
	struct ike_pool_cfg pc[2];
	struct ike_conn_cfg *second = calloc(1, sizeof(*second));
	struct ike_psk_cfg keys[3];
	struct ike_id ids[3];
	char err[256];

	assert_non_null(second);
	memset(pc, 0, sizeof(pc));
	snprintf(pc[0].name, sizeof(pc[0].name), "p-carol");
	pc[0].from = pair_ip("10.3.1.1");
	pc[0].to = pair_ip("10.3.1.9");
	snprintf(pc[1].name, sizeof(pc[1].name), "p-dave");
	pc[1].from = pair_ip("10.3.2.1");
	pc[1].to = pair_ip("10.3.2.9");
	assert_int_equal(ike_pools_set(B.ike, IKE_POOL_FILE, pc, 2, err, sizeof(err)), 0);
	memset(&B.cfg.remote_addr, 0, sizeof(B.cfg.remote_addr));   /* %any */
	B.cfg.children[0].remote_ts.n = 0;
	memcpy(B.cfg.psk, "wrong", 5);   /* the table decides, not the connection */
	B.cfg.psk_len = 5;
	*second = B.cfg;
	snprintf(B.cfg.name, sizeof(B.cfg.name), "rw-carol");
	assert_int_equal(ike_id_parse("carol@example.org", &B.cfg.remote_id), 0);
	snprintf(B.cfg.pools[0], sizeof(B.cfg.pools[0]), "p-carol");
	B.cfg.npools = 1;
	assert_int_equal(ike_conn_add(B.ike, &B.cfg, err, sizeof(err)), 0);
	snprintf(second->name, sizeof(second->name), "rw-dave");
	assert_int_equal(ike_id_parse("dave@example.org", &second->remote_id), 0);
	snprintf(second->pools[0], sizeof(second->pools[0]), "p-dave");
	second->npools = 1;
	assert_int_equal(ike_conn_add(B.ike, second, err, sizeof(err)), 0);
	free(second);
	/* B's own key with both clients' (gateway-side owners: the clients) */
	psk_entry(&keys[0], &ids[0], "carol@example.org", "carol-key");
	psk_entry(&keys[1], &ids[1], "dave@example.org", "dave-key");
	keys[2] = (struct ike_psk_cfg){ .key = (const uint8_t *)"anyone", .len = 6 };
	assert_int_equal(ike_psks_set(B.ike, IKE_PSK_FILE, keys, 3), 0);
}

/* A as who with key (its connection's own PSK, no table). */
static void a_as(const char *who, const char *key)
{
	char err[256];

	ike_conn_del(A.ike, "gw");
	assert_int_equal(ike_id_parse(who, &A.cfg.local_id), 0);
	A.cfg.psk_len = strlen(key);
	memcpy(A.cfg.psk, key, A.cfg.psk_len);
	A.cfg.vip_family[0] = AF_INET;
	A.cfg.nvips = 1;
	A.cfg.children[0].local_ts.n = 0;
	assert_int_equal(ike_conn_add(A.ike, &A.cfg, err, sizeof(err)), 0);
}

static void test_vip_conn_by_identity(void **state)
{
	struct ike_sa *a, *b;

	peers_up("aes256gcm16-prfsha256-x25519", "aes128gcm16", "aes256gcm16-prfsha256-x25519",
	         "aes128gcm16", NULL, NULL);
	ike_conn_del(B.ike, "gw");
	b_two_conns();

	a_as("carol@example.org", "carol-key");
	assert_true(connect_a());
	a = pair_sa(&A, NULL);
	b = pair_sa(&B, NULL);
	assert_string_equal(b->conn->cfg.name, "rw-carol");
	assert_true(ip_addr_equal(&a->vip_local[0], &(struct ip_addr){ AF_INET, { 10, 3, 1, 1 } }));
	assert_int_equal(ike_terminate_ike(A.ike, "gw"), 0);
	pair_deliver_all(32);
	assert_int_equal(ike_sa_count(B.ike), 0);

	a_as("dave@example.org", "dave-key");
	assert_true(connect_a());
	a = pair_sa(&A, NULL);
	b = pair_sa(&B, NULL);
	assert_string_equal(b->conn->cfg.name, "rw-dave");
	assert_true(ip_addr_equal(&a->vip_local[0], &(struct ip_addr){ AF_INET, { 10, 3, 2, 1 } }));
	assert_int_equal(ike_terminate_ike(A.ike, "gw"), 0);
	pair_deliver_all(32);

	/* carol with dave's key: her connection, her identity's key: refused */
	uint64_t failed = ike_ctx_stats(B.ike)->auth_failed;
	a_as("carol@example.org", "dave-key");
	assert_false(connect_a());
	assert_int_equal(ike_ctx_stats(B.ike)->auth_failed, failed + 1);
	assert_int_equal(ike_sa_count(B.ike), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_vip_lease, pair_teardown),
		cmocka_unit_test_teardown(test_vip_reconnect, pair_teardown),
		cmocka_unit_test_teardown(test_vip_exhausted, pair_teardown),
		cmocka_unit_test_teardown(test_vip_requested, pair_teardown),
		cmocka_unit_test_teardown(test_vip_no_pool, pair_teardown),
		cmocka_unit_test_teardown(test_vip_pool_reload, pair_teardown),
		cmocka_unit_test_teardown(test_vip_ike_rekey, pair_teardown),
		cmocka_unit_test_teardown(test_vip_bad_cp, pair_teardown),
		cmocka_unit_test_teardown(test_vip_reauth, pair_teardown),
		cmocka_unit_test_teardown(test_vip_conn_by_identity, pair_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
