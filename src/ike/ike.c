/* The IKE core's front door: the context, connections, the entry of
 * received messages (header checks, the IKE SA they belong to, then its
 * task manager), the control commands (initiate, terminate), xfrm events,
 * timers and listings. After every event from outside (a message, a
 * command, a tick, an xfrm event) it runs the task managers of all SAs,
 * so that what the event queued starts, and frees the SAs that ended.
 * Everything runs on the control loop. */
#include "ike/ike.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/prf.h"
#include "crypto/rand.h"
#include "ike/ike_authn.h"
#include "ike/ike_authn_psk.h"
#include "ike/ike_authn_pubkey.h"
#include "ike/ike_authn_eap.h"
#include "ike/ike_child.h"
#include "ike/ike_conn.h"
#include "ike/ike_ctx.h"
#include "ike/ike_init.h"
#include "ike/ike_mgr.h"
#include "ike/ike_mobike.h"
#include "ike/ike_pld.h"
#include "ike/ike_pool.h"
#include "ike/ike_sa.h"
#include "ike/ike_task.h"
#include "ike/ike_timers.h"
#include "ike/ike_vip.h"
#include "ike/ike_wire.h"
#include "util/mem.h"
#include "xfrm/backend.h"
#include "xfrm/xfrm.h"

static const char *const ike_end_names[IKE_END_MAX] = {
	[IKE_END_NONE] = "none",
	[IKE_END_DELETED_BY_PEER] = "deleted-by-peer",
	[IKE_END_DELETED_BY_US] = "deleted-by-us",
	[IKE_END_REKEYED] = "rekeyed",
	[IKE_END_REKEY_COLLISION] = "rekey-collision",
	[IKE_END_RETRANSMIT_GIVEUP] = "retransmit-giveup",
	[IKE_END_DPD_DEAD] = "dpd-dead",
	[IKE_END_HALF_OPEN_TIMEOUT] = "half-open-timeout",
	[IKE_END_NO_PROPOSAL] = "no-proposal",
	[IKE_END_INIT_FAILED] = "init-failed",
	[IKE_END_AUTH_FAILED] = "auth-failed",
	[IKE_END_REPLACED] = "replaced",
	[IKE_END_REAUTH] = "reauthenticated",
	[IKE_END_EXPIRED] = "expired",
	[IKE_END_PROTOCOL_ERROR] = "protocol-error",
	[IKE_END_NO_VIP] = "no-virtual-ip",
	[IKE_END_CONN_UNLOADED] = "conn-unloaded",
	[IKE_END_SHUTDOWN] = "shutdown",
	[IKE_END_INTERNAL] = "internal-error",
};

static const char *const child_end_names[CHILD_END_MAX] = {
	[CHILD_END_NONE] = "none",
	[CHILD_END_DELETED_BY_PEER] = "deleted-by-peer",
	[CHILD_END_DELETED_BY_US] = "deleted-by-us",
	[CHILD_END_REKEYED] = "rekeyed",
	[CHILD_END_REKEY_COLLISION] = "rekey-collision",
	[CHILD_END_EXPIRED] = "expired",
	[CHILD_END_IKE_ENDED] = "ike-sa-ended",
	[CHILD_END_NO_PROPOSAL] = "no-proposal",
	[CHILD_END_TS_UNACCEPTABLE] = "ts-unacceptable",
	[CHILD_END_REFUSED] = "refused",
	[CHILD_END_INVALID_RESPONSE] = "invalid-response",
	[CHILD_END_INSTALL_FAILED] = "install-failed",
	[CHILD_END_INTERNAL] = "internal-error",
};

static const char *const auth_class_names[IKE_AUTH_CLASS_MAX] = {
	[IKE_AUTH_CLASS_PSK] = "psk",
	[IKE_AUTH_CLASS_PUBKEY] = "pubkey",
	[IKE_AUTH_CLASS_EAP] = "eap",
};

const char *ike_auth_class_name(enum ike_auth_class c)
{
	return (unsigned)c < IKE_AUTH_CLASS_MAX ? auth_class_names[c] : "?";
}

const char *ike_end_reason_name(enum ike_end_reason r)
{
	return (unsigned)r < IKE_END_MAX ? ike_end_names[r] : "?";
}

const char *ike_child_end_reason_name(enum ike_child_end_reason r)
{
	return (unsigned)r < CHILD_END_MAX ? child_end_names[r] : "?";
}

/* The rate limits of what strangers can make us do (see init_admit and
 * unknown_sa_request below): IKE_SA_INIT requests a second from unknown
 * addresses, with a cookie, per source; INVALID_IKE_SPI answers a second. */
#define INIT_ANON_RATE 100000.0
#define INIT_COOKIE_RATE 100000.0
#define INIT_PER_SOURCE 20
#define NOSPI_RATE 20.0

static void on_acquire(void *arg, uint32_t reqid, const struct xfrm_selector *sel);
static void on_expire(void *arg, const struct xfrm_sa_id *id, bool hard);
static void on_unknown_spi(void *arg, const struct ip_addr *src, const struct ip_addr *dst,
                           uint32_t spi);

struct ike_ctx *ike_ctx_new(const struct ike_io *io, struct xfrm_backend *backend)
{
	struct ike_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	ctx->io = *io;
	ctx->be = backend;
	ctx->next_reqid = 1;
	/* charon 5.9.8's default charon.cookie_threshold (30, its charon.conf);
	 * its per-address cookie_threshold_ip is covered by init_admit's
	 * per-source limit */
	ctx->cookie_threshold = 30;
	ctx->half_open_max = 1000;
	ike_retransmit_defaults(&ctx->retx);
	/* the buckets start full */
	ctx->anon_tokens = INIT_ANON_RATE;
	ctx->cookie_tokens = INIT_COOKIE_RATE;
	ctx->nospi_tokens = NOSPI_RATE;
	ctx->anon_ms = ctx->nospi_ms = ike_now(ctx);
	ctx->fragment_size = IKE_FRAG_SIZE_DEFAULT;
	ctx->frag_max_message = IKE_MSG_MAX;
	ctx->frag_max = IKE_FRAG_MAX;
	ctx->frag_mem_max = IKE_FRAG_MEM_MAX;
	if (crypto_rand(ctx->cookie_secret, sizeof(ctx->cookie_secret)) ||
	    !(ctx->cookie_prf = crypto_prf_key_new(CRYPTO_PRF_HMAC_SHA2_256, ctx->cookie_secret,
	                                           sizeof(ctx->cookie_secret)))) {
		mem_free_wipe(ctx, sizeof(*ctx));
		return NULL;
	}
	/* eap registers here once it exists */
	ike_authn_register(ctx, IKE_AUTH_CLASS_PSK, ike_authn_psk_new);
	ike_authn_register(ctx, IKE_AUTH_CLASS_PUBKEY, ike_authn_pubkey_new);
	ike_authn_register(ctx, IKE_AUTH_CLASS_EAP, ike_authn_eap_new);
	if (backend) {
		struct xfrm_backend_events ev = { .ctx = ctx, .acquire = on_acquire,
		                                  .expire = on_expire, .unknown_spi = on_unknown_spi };
		xfrm_backend_listen(backend, &ev);
	}
	return ctx;
}

static void reap(struct ike_ctx *ctx)
{
	struct ike_sa *sa = ctx->sas, *next;

	if (!ctx->ndead)
		return;
	for (; sa; sa = next) {
		next = sa->next;
		if (sa->state == IKE_STATE_DEAD)
			ike_sa_destroy(sa);
	}
}

/* Start what an event queued; a reauthenticated SA that is up with its
 * children has the old one deleted (which queues more). Only the SAs on
 * ctx->work can have anything to do (ike_mgr_queue and a reauthentication
 * put them there; an SA whose tasks wait, for a free slot or for the SA
 * to be up, stays on it): a walk of every SA after every datagram made
 * the cost of a setup grow with the number of IKE SAs. New SAs join at the
 * head, so the walks below see only those that were there when they
 * began, as the walks of every SA did. */
static void run_all(struct ike_ctx *ctx)
{
	struct ike_sa *sa, *next;

	for (sa = ctx->work; sa; sa = sa->work_next)
		if (sa->state != IKE_STATE_DEAD && sa->reauth_spi_i)
			ike_conn_reauth_check(sa);
	for (sa = ctx->work; sa; sa = sa->work_next)
		if (sa->state != IKE_STATE_DEAD)
			ike_mgr_run(sa);
	for (sa = ctx->work; sa; sa = next) {
		next = sa->work_next;
		if (sa->state == IKE_STATE_DEAD || (!sa->mgr.queue && !sa->reauth_spi_i))
			ike_sa_work_done(sa);
	}
}

/* After an event from outside: start what it queued, then free the SAs
 * that ended. */
static void settle(struct ike_ctx *ctx)
{
	run_all(ctx);
	reap(ctx);
}

static void conn_untrap(struct ike_ctx *ctx, struct ike_conn *c)
{
	for (unsigned i = 0; i < c->cfg.nchildren; i++)
		if (c->child[i].trap_installed)
			ike_child_trap(ctx, c, (int)i, false);
}

/* The arrays of a connection's config and state (the PSK is in the
 * struct itself, wiped by its owner). */
static void conn_arrays_free(struct ike_conn *c)
{
	if (c->cfg.children)
		mem_free_wipe(c->cfg.children, c->cfg.nchildren * sizeof(*c->cfg.children));
	free(c->child);
	c->cfg.children = NULL;
	c->child = NULL;
}

static void conn_free(struct ike_ctx *ctx, struct ike_conn *c)
{
	conn_untrap(ctx, c);
	conn_arrays_free(c);
	ike_authn_pubkey_cfg_release(&c->cfg);
	mem_free_wipe(c, sizeof(*c));
}

void ike_ctx_free(struct ike_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->be)
		xfrm_backend_listen(ctx->be, NULL);
	while (ctx->sas) {
		ike_sa_end(ctx->sas, IKE_END_SHUTDOWN);
		ike_sa_destroy(ctx->sas);
	}
	while (ctx->conns) {
		struct ike_conn *c = ctx->conns;
		ctx->conns = c->next;
		conn_free(ctx, c);
	}
	for (unsigned i = 0; i < ctx->npools; i++)
		ike_pool_free(ctx->pools[i]);
	free(ctx->pools);
	ike_authn_psk_clear(ctx);
	crypto_prf_key_free(ctx->cookie_prf);
	free(ctx->sa_hash);
	free(ctx->id_hash);
	mem_free_wipe(ctx, sizeof(*ctx));
}

/* ---- pre-shared keys (ike_authn_psk.c keeps and looks them up) ---- */

int ike_psks_set(struct ike_ctx *ctx, enum ike_psk_source source, const struct ike_psk_cfg *psks,
                 unsigned n)
{
	return ike_authn_psk_set(ctx, source, psks, n);
}

/* ---- virtual IP pools ---- */

static struct ike_pool *pool_named(struct ike_ctx *ctx, const char *name)
{
	for (unsigned i = 0; i < ctx->npools; i++)
		if (!strcmp(ike_pool_cfg(ctx->pools[i])->name, name))
			return ctx->pools[i];
	return NULL;
}

static int pools_replace(struct ike_ctx *ctx, const struct ike_pool_cfg *cfgs, unsigned n,
                         char *err, size_t errlen)
{
	struct ike_pool **next = calloc((size_t)n + ctx->npools + 1, sizeof(*next));
	bool *kept = calloc((size_t)ctx->npools + 1, sizeof(*kept));
	unsigned nn = 0;
	int rc = 0;

	if (!next || !kept) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		struct ike_pool *old = pool_named(ctx, cfgs[i].name);
		for (unsigned k = 0; k < i; k++)
			if (!strcmp(cfgs[k].name, cfgs[i].name)) {
				snprintf(err, errlen, "pool %s defined twice", cfgs[i].name);
				rc = -EINVAL;
				goto out;
			}
		if (old && (!memcmp(ike_pool_cfg(old), &cfgs[i], sizeof(cfgs[i])) ||
		            ike_pool_online(old))) {
			/* the same pool keeps its leases; one whose addresses are
			 * online stays as it was (charon: "unable to replace") */
			if (memcmp(ike_pool_cfg(old), &cfgs[i], sizeof(cfgs[i])))
				log_sub(LOG_SUB_CFG, LOG_WARN, "pool %s has online leases, unable to replace",
				        cfgs[i].name);
			next[nn++] = old;
			continue;
		}
		if (!(next[nn] = ike_pool_new(&cfgs[i], err, errlen))) {
			rc = -EINVAL;
			goto out;
		}
		nn++;
	}
	for (unsigned i = 0; i < ctx->npools; i++) {
		bool in = false;
		for (unsigned k = 0; k < nn; k++)
			in |= next[k] == ctx->pools[i];
		kept[i] = in;
		if (!in && ike_pool_online(ctx->pools[i])) {
			log_sub(LOG_SUB_CFG, LOG_WARN, "pool %s has online leases, unable to unload",
			        ike_pool_cfg(ctx->pools[i])->name);
			/* unless a new pool of that name replaces it */
			bool named = false;
			for (unsigned k = 0; k < n; k++)
				named |= !strcmp(cfgs[k].name, ike_pool_cfg(ctx->pools[i])->name);
			if (!named) {
				next[nn++] = ctx->pools[i];
				kept[i] = true;
			}
		}
	}
	for (unsigned i = 0; i < ctx->npools; i++)
		if (!kept[i])
			ike_pool_free(ctx->pools[i]);
	free(ctx->pools);
	ctx->pools = next;
	ctx->npools = nn;
	next = NULL;
out:
	if (next) {
		/* free only the pools made here */
		for (unsigned k = 0; k < nn; k++) {
			bool old = false;
			for (unsigned i = 0; i < ctx->npools; i++)
				old |= next[k] == ctx->pools[i];
			if (!old)
				ike_pool_free(next[k]);
		}
		free(next);
	}
	free(kept);
	return rc;
}

static const char *source_name(unsigned s)
{
	return s == IKE_POOL_VICI ? "VICI (load-pool)" : "swanctl.conf";
}

/* The other sources' pools as they are, then source's new ones. */
int ike_pools_set(struct ike_ctx *ctx, enum ike_pool_source source,
                  const struct ike_pool_cfg *cfgs, unsigned n, char *err, size_t errlen)
{
	struct ike_pool_cfg *all = calloc((size_t)n + ctx->npools + 1, sizeof(*all));
	unsigned na = 0;
	int rc;

	if (!all) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < ctx->npools; i++)
		if (ike_pool_cfg(ctx->pools[i])->source != source)
			all[na++] = *ike_pool_cfg(ctx->pools[i]);
	for (unsigned i = 0; i < n; i++) {
		for (unsigned k = 0; k < na; k++)
			if (all[k].source != source && !strcmp(all[k].name, cfgs[i].name)) {
				snprintf(err, errlen, "pool %s: a pool of that name is loaded from %s",
				         cfgs[i].name, source_name(all[k].source));
				free(all);
				return -EINVAL;
			}
		all[na] = cfgs[i];
		all[na++].source = (uint8_t)source;
	}
	rc = pools_replace(ctx, all, na, err, errlen);
	free(all);
	return rc;
}

void ike_view_pools(struct ike_ctx *ctx,
                    void (*pool)(void *arg, const struct ike_view_pool *v),
                    void (*lease)(void *arg, const struct ip_addr *a, bool online,
                                  const char *id),
                    void *arg)
{
	for (unsigned i = 0; i < ctx->npools; i++) {
		const struct ike_pool *p = ctx->pools[i];
		struct ike_view_pool v = { .name = ike_pool_cfg(p)->name,
		                           .source = (enum ike_pool_source)ike_pool_cfg(p)->source,
		                           .base = ike_pool_base(p), .size = ike_pool_size(p),
		                           .online = ike_pool_online(p), .offline = ike_pool_offline(p) };
		pool(arg, &v);
		if (lease)
			ike_pool_leases(p, lease, arg);
	}
}

void ike_list_pools(struct ike_ctx *ctx, FILE *out)
{
	if (!ctx->npools)
		fprintf(out, "no pools loaded\n");
	for (unsigned i = 0; i < ctx->npools; i++)
		ike_pool_list(ctx->pools[i], out);
}

/* Send a Delete for an established IKE SA without waiting for the answer
 * (the SA is going away: shutdown, connection unloaded). */
static void delete_now(struct ike_sa *sa, const char *why)
{
	struct ike_mb mb;

	if (sa->state != IKE_STATE_ESTABLISHED)
		return;
	ike_mgr_unanswered_begin(sa, &mb, INFORMATIONAL);
	ike_pld_delete_put(&mb, IKE_PROTO_IKE, NULL, 0);
	ike_mgr_unanswered_send(sa, &mb);
	sa_info(sa, "%s: IKE_SA deleted", why);
}

void ike_ctx_shutdown(struct ike_ctx *ctx)
{
	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		delete_now(sa, "shutting down");
}

void ike_ctx_set_behind(struct ike_ctx *ctx, bool behind)
{
	ctx->behind = behind;
}

void ike_ctx_set_cookie_threshold(struct ike_ctx *ctx, unsigned threshold, unsigned max)
{
	ctx->cookie_threshold = threshold;
	ctx->half_open_max = max;
}

void ike_ctx_set_prefer_encap(struct ike_ctx *ctx, bool prefer)
{
	ctx->prefer_encap = prefer;
}

void ike_ctx_set_creds(struct ike_ctx *ctx, const struct ike_creds *creds)
{
	ctx->creds = creds;
}

const struct ike_stats *ike_ctx_stats(const struct ike_ctx *ctx)
{
	return &ctx->stats;
}

void ike_retransmit_defaults(struct ike_retransmit_cfg *rc)
{
	*rc = (struct ike_retransmit_cfg){ .tries = 7, .timeout = 1.0, .base = 1.8 };
}

int ike_ctx_set_retransmit(struct ike_ctx *ctx, const struct ike_retransmit_cfg *rc)
{
	if (rc->tries > 100 || !(rc->timeout > 0 && rc->timeout <= 3600) ||
	    !(rc->base >= 1 && rc->base <= 10) || rc->jitter > 100 || !(rc->limit >= 0))
		return -EINVAL;
	ctx->retx = *rc;
	return 0;
}

void ike_ctx_set_fragment_size(struct ike_ctx *ctx, unsigned fragment_size)
{
	ctx->fragment_size = fragment_size;
}

void ike_ctx_set_frag_limits(struct ike_ctx *ctx, size_t max_message, unsigned max_fragments,
                             size_t mem_max)
{
	if (max_message)
		ctx->frag_max_message = max_message > IKE_MSG_MAX ? IKE_MSG_MAX : max_message;
	if (max_fragments)
		ctx->frag_max = max_fragments > IKE_FRAG_MAX ? IKE_FRAG_MAX : max_fragments;
	if (mem_max)
		ctx->frag_mem_max = mem_max;
}

int ike_conn_add(struct ike_ctx *ctx, const struct ike_conn_cfg *cfg, char *err, size_t errlen)
{
	struct ike_conn *c, *old = ike_conn_find(ctx, cfg->name);

	bool psk = cfg->local_auth == IKE_AUTH_CLASS_PSK || cfg->remote_auth == IKE_AUTH_CLASS_PSK;

	/* with a table of keys (ike_psks_set) the PSK is found at IKE_AUTH */
	if (!cfg->name[0] || cfg->ike.n == 0 || (psk && cfg->psk_len == 0 && !ctx->psks_set) ||
	    (cfg->nchildren && !cfg->children)) {
		snprintf(err, errlen, "connection '%s': needs a name, IKE proposals and a PSK",
		         cfg->name);
		return -EINVAL;
	}
	if (!ike_authn_supported(ctx, cfg->local_auth) || !ike_authn_supported(ctx, cfg->remote_auth)) {
		snprintf(err, errlen, "connection '%s': auth = %s is not supported by uipsec's IKE yet "
		         "(psk, pubkey and eap are)", cfg->name,
		         ike_auth_class_name(ike_authn_supported(ctx, cfg->local_auth) ?
		                             cfg->remote_auth : cfg->local_auth));
		return -EINVAL;
	}
	if ((cfg->local_auth == IKE_AUTH_CLASS_EAP || cfg->remote_auth == IKE_AUTH_CLASS_EAP) &&
	    ike_authn_eap_check(cfg, err, errlen))
		return -EINVAL;
	for (unsigned i = 0; i < cfg->nchildren; i++)
		if (cfg->children[i].esp.n == 0) {
			snprintf(err, errlen, "connection '%s' child '%s': no ESP proposals", cfg->name,
			         cfg->children[i].name);
			return -EINVAL;
		}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	c->cfg.children = NULL;
	if (cfg->nchildren) {
		c->cfg.children = malloc(cfg->nchildren * sizeof(*cfg->children));
		c->child = calloc(cfg->nchildren, sizeof(*c->child));
		if (!c->cfg.children || !c->child) {
			conn_arrays_free(c);
			mem_free_wipe(c, sizeof(*c));
			return -ENOMEM;
		}
		memcpy(c->cfg.children, cfg->children, cfg->nchildren * sizeof(*cfg->children));
	}
	ike_authn_pubkey_cfg_hold(&c->cfg);   /* its own references, default ids */
	if (!c->cfg.local_port)
		c->cfg.local_port = 500;
	if (!c->cfg.remote_port)
		c->cfg.remote_port = 500;
	for (unsigned i = 0; i < c->cfg.nchildren; i++) {
		struct ike_child_cfg *cc = &c->cfg.children[i];
		/* keep the reqid of a reloaded child so installed SAs match */
		if (!cc->reqid && old)
			for (unsigned k = 0; k < old->cfg.nchildren; k++)
				if (!strcmp(old->cfg.children[k].name, cc->name))
					cc->reqid = old->cfg.children[k].reqid;
		if (!cc->reqid)
			cc->reqid = ctx->next_reqid++;
		cc->mode = cc->transport ? XFRM_MODE_TRANSPORT : XFRM_MODE_TUNNEL;
	}
	if (old) {
		/* replace in place: SAs keep pointing at the same conn */
		conn_untrap(ctx, old);
		conn_arrays_free(old);
		ike_authn_pubkey_cfg_release(&old->cfg);
		c->next = old->next;
		c->lost_state_ms = old->lost_state_ms;
		c->last_end = old->last_end;
		c->last_end_ms = old->last_end_ms;
		memcpy(old, c, sizeof(*c));
		mem_free_wipe(c, sizeof(*c));
		c = old;
	} else {
		c->next = ctx->conns;
		ctx->conns = c;
	}
	for (unsigned i = 0; i < c->cfg.nchildren; i++) {
		if (c->cfg.children[i].start_action == IKE_ACTION_TRAP)
			ike_child_trap(ctx, c, (int)i, true);
		else if (c->cfg.children[i].start_action == IKE_ACTION_START && !old)
			ike_conn_initiate(ctx, c, (int)i);
	}
	log_info("ike: loaded connection '%s' (%u children)", c->cfg.name, c->cfg.nchildren);
	settle(ctx);
	return 0;
}

int ike_conn_del(struct ike_ctx *ctx, const char *name)
{
	for (struct ike_conn **pp = &ctx->conns; *pp; pp = &(*pp)->next) {
		struct ike_conn *c = *pp;
		if (strcmp(c->cfg.name, name))
			continue;
		for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
			if (sa->conn == c) {
				delete_now(sa, "connection unloaded");
				ike_sa_end(sa, IKE_END_CONN_UNLOADED);
				sa->conn = NULL;
			}
		reap(ctx);
		*pp = c->next;
		conn_free(ctx, c);
		return 0;
	}
	return -ENOENT;
}

unsigned ike_conn_names(struct ike_ctx *ctx, char names[][64], unsigned max)
{
	unsigned n = 0;

	for (struct ike_conn *c = ctx->conns; c; c = c->next) {
		if (names && n < max)
			memcpy(names[n], c->cfg.name, 64);
		if (!names || n < max)
			n++;
	}
	return n;
}

/* Find the IKE SA a message belongs to. */
static struct ike_sa *sa_for(struct ike_ctx *ctx, const struct ike_hdr *h)
{
	if (h->exchange == IKE_SA_INIT && (h->flags & IKE_FLAG_RESPONSE)) {
		for (struct ike_sa *sa = ike_sa_by_spi_i(ctx, h->spi_i, NULL); sa;
		     sa = ike_sa_by_spi_i(ctx, h->spi_i, sa))
			if (sa->initiator && sa->state == IKE_STATE_INIT_SENT)
				return sa;
		return NULL;
	}
	return ike_sa_find(ctx, h->spi_i, h->spi_r);
}


static bool nospi_token(struct ike_ctx *ctx)
{
	uint64_t now = ike_now(ctx);

	ctx->nospi_tokens += (double)(now - ctx->nospi_ms) * NOSPI_RATE / 1000.0;
	if (ctx->nospi_tokens > NOSPI_RATE)
		ctx->nospi_tokens = NOSPI_RATE;
	ctx->nospi_ms = now;
	if (ctx->nospi_tokens < 1.0)
		return false;
	ctx->nospi_tokens -= 1.0;
	return true;
}

/* RFC 7296 2.21.4: a request for an IKE SA we do not know, from a peer we
 * have a connection for: we probably restarted and the peer did not.
 * Answer it (unprotected, same SPIs and message ID, INVALID_IKE_SPI, at
 * most 20 a second: never a response to a response, never bigger than
 * the request), and let the connections react (ike_conn.c: initiate the
 * children that are meant to be up, or check our IKE SA with the peer). */
static void unknown_sa_request(struct ike_ctx *ctx, const struct ike_endpoint *local,
                               const struct ike_endpoint *remote, const struct ike_hdr *h)
{
	bool known = false;

	for (struct ike_conn *c = ctx->conns; c && !known; c = c->next)
		known = ike_conn_matches(c, local, remote);
	if (!known)
		return;
	if (nospi_token(ctx)) {
		ctx->stats.invalid_ike_spi_sent++;
		ike_wire_notify_invalid_spi(ctx, local, remote, h);
	} else {
		ctx->stats.invalid_ike_spi_limited++;
	}
	ike_conn_peer_has_state(ctx, local, remote, "an IKE request for an unknown IKE_SA");
}

static void dispatch(struct ike_ctx *ctx, const struct ike_endpoint *local,
                     const struct ike_endpoint *remote, struct ike_msg *m)
{
	const struct ike_hdr *h = &m->hdr;
	struct ike_sa *sa;

	if (h->exchange == IKE_SA_INIT && !(h->flags & IKE_FLAG_RESPONSE)) {
		/* RFC 7296 2.2, 3.1: the first request of an IKE SA */
		if (h->spi_r != 0 || h->msgid != 0 || !(h->flags & IKE_FLAG_INITIATOR)) {
			ctx->stats.drop_malformed++;
			return;
		}
		if (m->unsupported_critical) {
			uint8_t t = m->unsupported_critical;
			ctx->stats.unsupported_critical++;
			ike_wire_notify_plain(ctx, local, remote, h, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD,
			                      &t, 1);
			return;
		}
		sa = ike_init_accept(ctx, local, remote, m);
		if (sa)
			ike_mgr_input(sa, local, remote, m);
		return;
	}
	sa = sa_for(ctx, h);
	if (!sa) {
		ctx->stats.drop_no_sa++;
		log_debug_rl("ike: message for unknown SPIs %016llx_i %016llx_r dropped",
		             (unsigned long long)h->spi_i, (unsigned long long)h->spi_r);
		if (!(h->flags & IKE_FLAG_RESPONSE))
			unknown_sa_request(ctx, local, remote, h);
		return;
	}
	/* the I flag names the original initiator as the sender */
	if (!!(h->flags & IKE_FLAG_INITIATOR) == sa->initiator) {
		ctx->stats.drop_unexpected++;
		return;
	}
	ike_mgr_input(sa, local, remote, m);
}

/* ---- IKE_SA_INIT floods ----
 * Under a flood of IKE_SA_INIT requests with spoofed sources the daemon
 * must read its socket faster than the flood fills it, or the kernel
 * drops the requests of real peers with the rest. So before anything is
 * parsed or computed (the cookie's HMAC, its answer): every source address
 * we know nothing of gets at most INIT_PER_SOURCE requests a second (a
 * peer sends one, and a few for COOKIE or INVALID_KE); requests that carry a cookie (RFC 7296
 * 2.6 puts it first), which a spoofed source cannot have, share a budget
 * of INIT_COOKIE_RATE a second; the others from addresses we know
 * nothing of (no connection names them, no IKE SA, no recent one) share
 * INIT_ANON_RATE. What is over is dropped, counted, unanswered: the
 * socket is read faster than the flood fills it, and known peers are never
 * held up by the anonymous flood. (Half-open SAs stay bounded by the
 * cookies, ike_init.c; a forged cookie costs a cookie check, no state.) */

/* Token buckets: filled at rate a second (at most a second's worth). */
static void bucket_fill(double *tokens, double rate, uint64_t elapsed_ms)
{
	*tokens += (double)elapsed_ms * rate / 1000.0;
	if (*tokens > rate)
		*tokens = rate;
}

static bool bucket_take(double *tokens)
{
	if (*tokens < 1.0)
		return false;
	*tokens -= 1.0;
	return true;
}

static bool init_admit(struct ike_ctx *ctx, const struct ip_addr *a, const uint8_t *msg,
                       size_t len)
{
	bool cookie, ok;
	uint64_t elapsed;
	uint64_t now = ike_now(ctx), sec = now / 1000;
	uint32_t h = 2166136261u;
	struct ike_init_src *e;

	for (size_t i = 0; i < ip_addr_len(a); i++)
		h = (h ^ a->a[i]) * 16777619u;
	e = &ctx->init_src[h % IKE_INIT_SRC_SLOTS];
	if (e->sec != sec || !ip_addr_equal(&e->addr, a)) {
		e->addr = *a;
		e->sec = sec;
		e->n = 0;
	}
	/* (a known peer may set up many IKE SAs at once: not limited here) */
	if (++e->n > INIT_PER_SOURCE && !ike_conn_known_peer(ctx, a)) {
		ctx->stats.init_source_limited++;
		return false;
	}
	/* first payload Notify (41) of type COOKIE (16390) */
	cookie = len >= 36 && msg[16] == 41 && msg[34] == 0x40 && msg[35] == 0x06;
	elapsed = now - ctx->anon_ms;
	ctx->anon_ms = now;
	bucket_fill(&ctx->anon_tokens, INIT_ANON_RATE, elapsed);
	bucket_fill(&ctx->cookie_tokens, INIT_COOKIE_RATE, elapsed);
	ok = bucket_take(cookie ? &ctx->cookie_tokens : &ctx->anon_tokens);
	/* behind the socket: only what carries a cookie, and known peers */
	if (ok && ctx->behind && !cookie) {
		if (ike_conn_known_peer(ctx, a))
			return true;
		ctx->stats.init_shed++;
		return false;
	}
	if (ok || ike_conn_known_peer(ctx, a))
		return true;
	ctx->stats.init_over_budget++;
	return false;
}

void ike_input(struct ike_ctx *ctx, const struct ike_endpoint *local,
               const struct ike_endpoint *remote, const uint8_t *msg, size_t len)
{
	struct ike_msg m;
	int rc;

	ctx->stats.rx++;
	/* an IKE_SA_INIT request (RFC 7296 3.1: exchange at 18, flags at 19) */
	if (len >= 28 && msg[18] == IKE_SA_INIT && !(msg[19] & IKE_FLAG_RESPONSE) &&
	    !init_admit(ctx, &remote->addr, msg, len)) {
		log_debug_rl("ike: IKE_SA_INIT from %s dropped: over the rate limit",
		             ip_addr_fmt(&remote->addr, (char[IP_ADDR_STRLEN]){ 0 }));
		return;
	}
	rc = ike_msg_parse(msg, len, &m);
	if (rc) {
		ctx->stats.drop_malformed++;
		log_debug_rl("ike: malformed message from %s dropped (%s)",
		             ip_addr_fmt(&remote->addr, (char[IP_ADDR_STRLEN]){ 0 }), strerror(-rc));
		return;
	}
	dispatch(ctx, local, remote, &m);
	ike_msg_clear(&m);
	settle(ctx);
}

int ike_initiate(struct ike_ctx *ctx, const char *name)
{
	int rc = -ENOENT;

	for (struct ike_conn *c = ctx->conns; c && rc <= 0; c = c->next) {
		bool whole = !strcmp(c->cfg.name, name);
		for (unsigned i = 0; i < c->cfg.nchildren; i++)
			if (whole || !strcmp(c->cfg.children[i].name, name)) {
				rc = ike_conn_initiate(ctx, c, (int)i);
				if (rc)
					goto out;
			}
		if (whole && c->cfg.nchildren == 0)
			rc = ike_conn_initiate(ctx, c, -1);
	}
out:
	settle(ctx);
	return rc;
}

int ike_terminate_ike(struct ike_ctx *ctx, const char *name)
{
	struct ike_conn *c = ike_conn_find(ctx, name);
	int n = 0;

	if (!c)
		return -ENOENT;
	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next) {
		if (sa->conn != c)
			continue;
		n++;
		if (sa->state == IKE_STATE_ESTABLISHED)
			ike_mgr_queue(sa, IKE_TASK_IKE_DELETE, IKE_END_DELETED_BY_US);
		else if (sa->state != IKE_STATE_DELETING)
			ike_sa_end(sa, IKE_END_DELETED_BY_US);
	}
	settle(ctx);
	return n ? 0 : -ENOENT;
}

int ike_terminate_child(struct ike_ctx *ctx, const char *name)
{
	int n = 0;

	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		for (struct ike_child_sa *c = sa->children; c; c = c->next)
			if (!strcmp(c->cfg.name, name) && c->state == CHILD_INSTALLED) {
				ike_mgr_queue(sa, IKE_TASK_CHILD_DELETE, c->spi_in);
				n++;
			}
	settle(ctx);
	return n ? 0 : -ENOENT;
}

int ike_rekey_ike(struct ike_ctx *ctx, const char *name, bool reauth)
{
	struct ike_conn *c = ike_conn_find(ctx, name);
	int n = 0;

	if (!c)
		return -ENOENT;
	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next) {
		if (sa->conn != c || sa->state != IKE_STATE_ESTABLISHED || sa->rekeyed)
			continue;
		if (reauth ? ike_conn_reauth(sa) != -ENOENT :
		             ike_mgr_queue(sa, IKE_TASK_IKE_REKEY, 0) != -ESHUTDOWN)
			n++;
	}
	settle(ctx);
	return n ? 0 : -ENOENT;
}

int ike_rekey_child(struct ike_ctx *ctx, const char *name)
{
	int n = 0;

	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next) {
		if (sa->state != IKE_STATE_ESTABLISHED)
			continue;
		for (struct ike_child_sa *c = sa->children; c; c = c->next) {
			bool replaced = false;
			if (strcmp(c->cfg.name, name) || c->state != CHILD_INSTALLED)
				continue;
			/* not the old half of a rekeying under way */
			for (struct ike_child_sa *x = sa->children; x; x = x->next)
				replaced |= x->rekeyed_spi == c->spi_in;
			if (!replaced) {
				ike_mgr_queue(sa, IKE_TASK_CHILD_REKEY, c->spi_in);
				n++;
			}
		}
	}
	settle(ctx);
	return n ? 0 : -ENOENT;
}

void ike_roam(struct ike_ctx *ctx)
{
	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		ike_mobike_roam(sa);
	settle(ctx);
}

void ike_tick(struct ike_ctx *ctx)
{
	uint64_t now = ike_now(ctx);

	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		ike_timers_run(sa, now);
	settle(ctx);
}

uint64_t ike_next_timer(struct ike_ctx *ctx)
{
	uint64_t next = UINT64_MAX;

	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next) {
		uint64_t t = ike_timers_next(sa);
		if (t < next)
			next = t;
	}
	return next;
}

/* The backend's acquire event: outbound traffic for reqid has no SA. The
 * packet's flow (sel) is not used yet (RFC 7296 2.9 would put it first
 * in TSi/TSr). */
static void on_acquire(void *arg, uint32_t reqid, const struct xfrm_selector *sel)
{
	struct ike_ctx *ctx = arg;

	for (struct ike_conn *c = ctx->conns; c; c = c->next)
		for (unsigned i = 0; i < c->cfg.nchildren; i++) {
			if (c->cfg.children[i].reqid != reqid)
				continue;
			/* already being negotiated? */
			struct ike_sa *sa = ike_conn_sa(ctx, c);
			if (sa) {
				for (struct ike_child_sa *x = sa->children; x; x = x->next)
					if (x->cfg.reqid == reqid)
						return;
				if (sa->state != IKE_STATE_ESTABLISHED && sa->auth_child == (int)i)
					return;
			}
			log_info("ike: acquire for reqid %u: initiating %s", reqid,
			         c->cfg.children[i].name);
			ike_conn_initiate(ctx, c, (int)i);
			run_all(ctx);   /* no reap: we are inside the data plane's event */
			return;
		}
}

/* The backend's expire event: a soft limit rekeys the CHILD SA, a hard
 * one deletes it (its states are gone already). */
static void on_expire(void *arg, const struct xfrm_sa_id *id, bool hard)
{
	struct ike_ctx *ctx = arg;

	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		for (struct ike_child_sa *c = sa->children; c; c = c->next) {
			if (c->state != CHILD_INSTALLED || (c->spi_in != id->spi && c->spi_out != id->spi))
				continue;
			if (sa->state != IKE_STATE_ESTABLISHED)
				return;
			if (hard) {
				sa_info(sa, "CHILD_SA %s (SPI %08x) hard expired", c->cfg.name, c->spi_in);
				c->delete_reason = CHILD_END_EXPIRED;
				ike_mgr_queue(sa, IKE_TASK_CHILD_DELETE, c->spi_in);
			} else {
				/* both states of a child expire: rekey once */
				for (struct ike_child_sa *x = sa->children; x; x = x->next)
					if (x->rekeyed_spi == c->spi_in)
						return;
				ike_mgr_queue(sa, IKE_TASK_CHILD_REKEY, c->spi_in);
			}
			run_all(ctx);   /* no reap: we are inside the data plane's event */
			return;
		}
}

/* The backend's unknown SPI event: ESP from src for an SA we do not have
 * (rate-limited by the data plane). */
static void on_unknown_spi(void *arg, const struct ip_addr *src, const struct ip_addr *dst,
                           uint32_t spi)
{
	struct ike_ctx *ctx = arg;
	struct ike_endpoint local = { .addr = *dst }, remote = { .addr = *src };
	char why[64];

	ctx->stats.unknown_spi++;
	snprintf(why, sizeof(why), "ESP with the unknown SPI %08x", spi);
	ike_conn_peer_has_state(ctx, &local, &remote, why);
	run_all(ctx);   /* no reap: we are inside the data plane's event */
}

const char *ike_conn_state(struct ike_ctx *ctx, const char *name)
{
	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		if (sa->conn && !strcmp(sa->conn->cfg.name, name))
			return ike_state_name(sa->state);
	return "NONE";
}

unsigned ike_sa_count(const struct ike_ctx *ctx)
{
	unsigned n = 0;

	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		n++;
	return n;
}

unsigned ike_conn_count(const struct ike_ctx *ctx)
{
	unsigned n = 0;

	for (const struct ike_conn *c = ctx->conns; c; c = c->next)
		n++;
	return n;
}

unsigned ike_child_count(const struct ike_ctx *ctx)
{
	unsigned n = 0;

	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next)
		for (struct ike_child_sa *c = sa->children; c; c = c->next)
			n += c->state == CHILD_INSTALLED;
	return n;
}

/* close_action and dpd_action as swanctl.conf spells them */
static const char *action_name(uint8_t a)
{
	return a == IKE_ACTION_START ? "restart" : a == IKE_ACTION_TRAP ? "trap" : "clear";
}

void ike_list_conns(struct ike_ctx *ctx, FILE *out)
{
	char a[IP_ADDR_STRLEN], b[IP_ADDR_STRLEN], buf[1024], id1[1200], id2[1200];

	for (struct ike_conn *c = ctx->conns; c; c = c->next) {
		const struct ike_conn_cfg *cf = &c->cfg;
		fprintf(out, "%s: IKEv2, %s[%u]...%s[%u]\n", cf->name, ip_addr_fmt(&cf->local_addr, a),
		        cf->local_port, ip_addr_is_zero(&cf->remote_addr) ? "%any" :
		        ip_addr_fmt(&cf->remote_addr, b), cf->remote_port);
		fprintf(out, "  proposals: %s\n", ike_proposals_fmt(&cf->ike, buf, sizeof(buf)));
		ike_authn_pubkey_list_auth(cf, true, out);
		ike_authn_pubkey_list_auth(cf, false, out);
		fprintf(out, "  dpd_delay %us, keyingtries %u, rekey_time %us, reauth_time %us, "
		        "over_time %us, rand_time %us%s\n", cf->dpd_delay, cf->keyingtries,
		        cf->rekey_time, cf->reauth_time, cf->over_time, cf->rand_time,
		        cf->unique_never ? ", unique never" : cf->unique_keep ? ", unique keep" :
		        cf->unique_replace ? ", unique replace" : "");
		if (c->last_end)
			fprintf(out, "  last IKE_SA ended %llus ago: %s\n",
			        (unsigned long long)((ike_now(ctx) - c->last_end_ms) / 1000),
			        ike_end_reason_name(c->last_end));
		for (unsigned i = 0; i < cf->nchildren; i++) {
			const struct ike_child_cfg *cc = &cf->children[i];
			struct ike_ts_list l = cc->local_ts, r = cc->remote_ts;
			fprintf(out, "  %s: %s, reqid %u, start_action %s\n", cc->name,
			        cc->mode == XFRM_MODE_TRANSPORT ? "TRANSPORT" : "TUNNEL", cc->reqid,
			        cc->start_action == IKE_ACTION_TRAP ? "trap" :
			        cc->start_action == IKE_ACTION_START ? "start" : "none");
			fprintf(out, "    close_action %s, dpd_action %s, rekey_time %us, life_time %us, "
			        "rand_time %us\n", action_name(cc->close_action),
			        action_name(cc->dpd_action), cc->rekey_time, cc->life_time, cc->rand_time);
			if (cc->rekey_bytes || cc->life_bytes || cc->rekey_packets || cc->life_packets)
				fprintf(out, "    rekey_bytes %llu, life_bytes %llu, rand_bytes %llu, "
				        "rekey_packets %llu, life_packets %llu, rand_packets %llu\n",
				        (unsigned long long)cc->rekey_bytes, (unsigned long long)cc->life_bytes,
				        (unsigned long long)cc->rand_bytes, (unsigned long long)cc->rekey_packets,
				        (unsigned long long)cc->life_packets,
				        (unsigned long long)cc->rand_packets);
			fprintf(out, "    esp proposals: %s\n", ike_proposals_fmt(&cc->esp, buf, sizeof(buf)));
			fprintf(out, "    local:  %s\n", l.n ? ike_ts_list_fmt(&l, id1, sizeof(id1)) : "dynamic");
			fprintf(out, "    remote: %s\n", r.n ? ike_ts_list_fmt(&r, id2, sizeof(id2)) : "dynamic");
		}
	}
}

static void child_counters(struct ike_ctx *ctx, const struct ip_addr *d, uint32_t spi,
                           uint64_t *bytes, uint64_t *pkts)
{
	struct xfrm_sa_id id = { .daddr = *d, .spi = spi, .proto = IPPROTO_ESP_ };
	struct xfrm_sa_counters n;

	xfrm_backend_query_sa(ctx->be, &id, &n);
	*bytes = n.bytes;
	*pkts = n.packets;
}

void ike_list_sas(struct ike_ctx *ctx, FILE *out)
{
	char a[IP_ADDR_STRLEN], b[IP_ADDR_STRLEN], buf[512], id1[IKE_ID_STRLEN], id2[IKE_ID_STRLEN];
	uint64_t now = ike_now(ctx);

	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next) {
		struct ike_id me = sa->conn ? sa->conn->cfg.local_id : (struct ike_id){ 0 };
		fprintf(out, "%s: %s, IKEv2, %016llx_i%s %016llx_r%s\n",
		        sa->conn ? sa->conn->cfg.name : "-", ike_state_name(sa->state),
		        (unsigned long long)sa->spi_i, sa->initiator ? "*" : "",
		        (unsigned long long)sa->spi_r, sa->initiator ? "" : "*");
		fprintf(out, "  local  '%s' @ %s[%u]%s\n", ike_id_fmt(&me, id1, sizeof(id1)),
		        ip_addr_fmt(&sa->local.addr, a), sa->local.port, sa->nat_local ? " (behind NAT)" : "");
		ike_authn_pubkey_list_sa(sa, true, out);
		fprintf(out, "  remote '%s' @ %s[%u]%s", ike_id_fmt(&sa->peer_id, id2, sizeof(id2)),
		        ip_addr_fmt(&sa->remote.addr, b), sa->remote.port,
		        sa->nat_remote ? " (behind NAT)" : "");
		/* as swanctl --list-sas: the EAP identity where it is not the IKE one */
		if (sa->peer_eap_id && !ike_id_equal(sa->peer_eap_id, &sa->peer_id))
			fprintf(out, " EAP: '%s'", ike_id_fmt(sa->peer_eap_id, id2, sizeof(id2)));
		fprintf(out, "\n");
		ike_authn_pubkey_list_sa(sa, false, out);
		if (sa->keys_ready)
			fprintf(out, "  %s\n", ike_proposal_fmt(&sa->prop, buf, sizeof(buf)));
		if (sa->mobike)
			fprintf(out, "  MOBIKE\n");
		for (unsigned i = 0; i < sa->nvip_local; i++)
			fprintf(out, "  local  vip %s\n", ip_addr_fmt(&sa->vip_local[i], a));
		for (unsigned i = 0; i < sa->nvip_remote; i++)
			fprintf(out, "  remote vip %s (pool %s)\n", ip_addr_fmt(&sa->vip_remote[i], a),
			        sa->vip_pool[i]);
		if (sa->ndns) {
			fprintf(out, "  dns");
			for (unsigned i = 0; i < sa->ndns; i++)
				fprintf(out, " %s", ip_addr_fmt(&sa->dns[i], a));
			fputc('\n', out);
		}
		if (sa->state == IKE_STATE_ESTABLISHED) {
			fprintf(out, "  established %llus ago",
			        (unsigned long long)((now - sa->established_ms) / 1000));
			if (sa->rekey_at_ms && !sa->rekeyed) {
				int64_t left = (int64_t)sa->rekey_at_ms - (int64_t)now;
				fprintf(out, ", rekeying in %llds", (long long)(left > 0 ? left / 1000 : 0));
			}
			fputc('\n', out);
		}
		for (struct ike_child_sa *c = sa->children; c; c = c->next) {
			uint64_t bi, pi, bo, po;
			child_counters(ctx, &c->local.addr, c->spi_in, &bi, &pi);
			child_counters(ctx, &c->remote.addr, c->spi_out, &bo, &po);
			fprintf(out, "  %s: %s, reqid %u, %s%s, ESP:%s\n", c->cfg.name,
			        c->state == CHILD_INSTALLED ? "INSTALLED" :
			        c->state == CHILD_CREATING ? "CREATING" : "DELETING", c->cfg.reqid,
			        c->cfg.mode == XFRM_MODE_TRANSPORT ? "TRANSPORT" : "TUNNEL",
			        c->encap ? "-in-UDP" : "", ike_proposal_fmt(&c->prop, buf, sizeof(buf)));
			if (c->state != CHILD_INSTALLED)
				continue;
			fprintf(out, "    installed %llus ago", (unsigned long long)((now - c->installed_ms) / 1000));
			if (c->rekey_ms)
				fprintf(out, ", rekeying in %llds", (long long)((int64_t)(c->rekey_ms - now) / 1000));
			fprintf(out, "\n    in  %08x, %llu bytes, %llu packets\n", c->spi_in,
			        (unsigned long long)bi, (unsigned long long)pi);
			fprintf(out, "    out %08x, %llu bytes, %llu packets\n", c->spi_out,
			        (unsigned long long)bo, (unsigned long long)po);
			fprintf(out, "    local  %s\n", ike_ts_list_fmt(&c->ts_local, id1, sizeof(id1)));
			fprintf(out, "    remote %s\n", ike_ts_list_fmt(&c->ts_remote, id2, sizeof(id2)));
		}
	}
}
