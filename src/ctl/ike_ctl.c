/* swanctl.conf model -> IKE connections, and the uipsec-ike control
 * command. The model is read, checked by src/conf/, then mapped here; the
 * IKE core copies what it needs (PSKs included), so the model is freed
 * right after loading. */
#include "ctl/ike_ctl.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/conf_pools.h"
#include "ctl/ctl.h"
#include "ctl/ctl_conf.h"
#include "ctl/vici.h"
#include "ike/ike.h"
#include "ike/ike_pool.h"
#include "ike/ike_proto.h"
#include "util/log.h"
#include "util/mem.h"

static int join_proposals(char *const *p, size_t n, const char *dflt, char *out, size_t len)
{
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *s = strcmp(p[i], "default") ? p[i] : dflt;
		int k = snprintf(out + off, len - off, "%s%s", off ? ", " : "", s);
		if (k < 0 || (size_t)k >= len - off)
			return -E2BIG;
		off += (size_t)k;
	}
	if (!n)
		snprintf(out, len, "%s", dflt);
	return 0;
}

static void id_from_conf(struct ike_id *id, const struct conf_id *c)
{
	memset(id, 0, sizeof(*id));
	id->type = c->type;
	id->len = c->len > IKE_ID_MAX ? IKE_ID_MAX : c->len;
	memcpy(id->data, c->data, id->len);
}

static void ts_from_conf(struct ike_ts_list *l, const struct conf_ts *ts, size_t n)
{
	l->n = 0;
	for (size_t i = 0; i < n && l->n < IKE_TS_MAX; i++) {
		if (ts[i].dynamic)
			continue;   /* n == 0 below means "our/their address" */
		struct ike_ts *t = &l->ts[l->n++];
		t->type = ts[i].family == AF_INET6 ? IKE_TS_IPV6_ADDR_RANGE : IKE_TS_IPV4_ADDR_RANGE;
		t->proto = ts[i].proto;
		t->port_lo = ts[i].port_from;
		t->port_hi = ts[i].port_to;
		t->lo = ts[i].from;
		t->hi = ts[i].to;
	}
}

/* The first usable address of a local_addrs/remote_addrs list. */
static int pick_addr(const struct conf_addr *a, size_t n, struct ip_addr *out, bool *any)
{
	memset(out, 0, sizeof(*out));
	*any = false;
	for (size_t i = 0; i < n; i++) {
		switch (a[i].kind) {
		case CONF_ADDR_IP:
			*out = a[i].from;
			return 0;
		case CONF_ADDR_DNS: {
			struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
			if (getaddrinfo(a[i].dns, NULL, &hints, &res) == 0 && res) {
				uint16_t port;
				ip_addr_from_sockaddr(out, &port, res->ai_addr);
				freeaddrinfo(res);
				return 0;
			}
			break;
		}
		default:
			*any = true;
			break;
		}
	}
	return n == 0 ? (*any = true, 0) : (*any ? 0 : -ENOENT);
}

/* The authentication class of one end (local/remote auth = ...). src/conf/
 * accepts psk only for now, and a missing remote section means psk too;
 * anything else is refused here rather than taken for psk. */
static int auth_class(const struct conf_conn *cc, const struct conf_auth *a, const char *end,
                      uint8_t *cls, char *err, size_t errlen)
{
	switch (a->method) {
	case 0:
	case CONF_AUTH_PSK:
		*cls = IKE_AUTH_CLASS_PSK;
		return 0;
	default:
		snprintf(err, errlen, "%s:%u: connection '%s': %s auth method %u is not supported by "
		         "uipsec's IKE", cc->file, cc->line, cc->name, end, a->method);
		return -EINVAL;
	}
}

static int conn_from_conf(const struct conf *c, const struct conf_conn *cc,
                          struct ike_conn_cfg *cfg, char *err, size_t errlen)
{
	char props[2048];
	bool any;

	memset(cfg, 0, sizeof(*cfg));
	/* Refuse what the IKE core cannot do rather than drop it below. */
	if (ctl_conf_check(cc, err, errlen))
		return -EINVAL;
	snprintf(cfg->name, sizeof(cfg->name), "%s", cc->name);
	if (pick_addr(cc->local_addrs, cc->nlocal_addrs, &cfg->local_addr, &any) ||
	    pick_addr(cc->remote_addrs, cc->nremote_addrs, &cfg->remote_addr, &any)) {
		snprintf(err, errlen, "%s:%u: connection '%s': cannot resolve local_addrs/remote_addrs",
		         cc->file, cc->line, cc->name);
		return -EINVAL;
	}
	cfg->local_port = cc->local_port;
	cfg->remote_port = cc->remote_port;
	cfg->childless = cc->childless == CONF_CHILDLESS_FORCE ? IKE_CHILDLESS_FORCE :
	                 cc->childless == CONF_CHILDLESS_NEVER ? IKE_CHILDLESS_NEVER :
	                 IKE_CHILDLESS_ALLOW;
	if (join_proposals(cc->proposals, cc->nproposals, IKE_CTL_DEFAULT_IKE, props, sizeof(props)) ||
	    ike_proposals_parse(props, IKE_PROTO_IKE, &cfg->ike, err, errlen)) {
		char why[256];
		snprintf(why, sizeof(why), "%.200s", err);
		snprintf(err, errlen, "%s:%u: connection '%s': proposals: %.200s", cc->file, cc->line,
		         cc->name, why);
		return -EINVAL;
	}
	if (auth_class(cc, &cc->local, "local", &cfg->local_auth, err, errlen) ||
	    auth_class(cc, &cc->remote, "remote", &cfg->remote_auth, err, errlen))
		return -EINVAL;
	/* IKE fragmentation (RFC 7383), as charon's ike_cfg has it */
	cfg->fragmentation = cc->fragmentation == CONF_FRAG_ACCEPT ? IKE_FRAG_ACCEPT :
	                     cc->fragmentation == CONF_FRAG_FORCE ? IKE_FRAG_FORCE :
	                     cc->fragmentation == CONF_FRAG_NO ? IKE_FRAG_NO : IKE_FRAG_YES;
	if (cc->local.has_id)
		id_from_conf(&cfg->local_id, &cc->local.id);
	if (cc->remote.has_id)
		id_from_conf(&cfg->remote_id, &cc->remote.id);

	/* the PSK, chosen as charon does: by our identity (our address if
	 * none is configured) and the peer's */
	struct conf_id me = cc->local.id, other = cc->remote.id;
	if (!cc->local.has_id && cfg->local_addr.family) {
		memset(&me, 0, sizeof(me));
		me.type = cfg->local_addr.family == AF_INET ? CONF_ID_IPV4_ADDR : CONF_ID_IPV6_ADDR;
		me.len = (uint16_t)ip_addr_len(&cfg->local_addr);
		memcpy(me.data, cfg->local_addr.a, me.len);
	}
	if (!cc->remote.has_id && cfg->remote_addr.family) {
		memset(&other, 0, sizeof(other));
		other.type = cfg->remote_addr.family == AF_INET ? CONF_ID_IPV4_ADDR : CONF_ID_IPV6_ADDR;
		other.len = (uint16_t)ip_addr_len(&cfg->remote_addr);
		memcpy(other.data, cfg->remote_addr.a, other.len);
	}
	const struct conf_secret *s = conf_secret_find_ike(c, &me, &other);
	if (s && s->secret_len > IKE_PSK_MAX) {
		snprintf(err, errlen, "%s:%u: connection '%s': its pre-shared key is longer than "
		         "%d bytes", cc->file, cc->line, cc->name, IKE_PSK_MAX);
		return -EINVAL;
	}
	if (!s || s->secret_len == 0) {
		char a[600], b[600];
		snprintf(err, errlen, "%s:%u: connection '%s': no pre-shared key in secrets for "
		         "'%s' - '%s'", cc->file, cc->line, cc->name, conf_id_fmt(&me, a, sizeof(a)),
		         conf_id_fmt(&other, b, sizeof(b)));
		return -EINVAL;
	}
	memcpy(cfg->psk, s->secret, s->secret_len);
	cfg->psk_len = s->secret_len;
	cfg->dpd_delay = (uint32_t)cc->dpd_delay;
	/* charon reads dpd_timeout for IKEv1 only: IKEv2 liveness checks end
	 * with the retransmission settings, and so do uipsec's */
	if (cc->dpd_timeout)
		log_info("%s:%u: connection '%s': dpd_timeout applies to IKEv1 only (as in charon); "
		         "an IKEv2 liveness check gives up as the retransmission settings say",
		         cc->file, cc->line, cc->name);
	cfg->rekey_time = (uint32_t)cc->rekey_time;
	cfg->reauth_time = (uint32_t)cc->reauth_time;
	cfg->over_time = (uint32_t)cc->over_time;
	cfg->rand_time = (uint32_t)cc->rand_time;
	cfg->keyingtries = cc->keyingtries;
	cfg->unique_never = cc->unique == CONF_UNIQUE_NEVER;
	cfg->encap = cc->encap;
	/* remote access: vips as a client, pools as a gateway */
	for (size_t i = 0; i < cc->nvips && i < 2; i++)
		cfg->vip_family[cfg->nvips++] = cc->vips[i];
	for (size_t i = 0; i < cc->npools && i < IKE_CONN_POOLS_MAX; i++)
		snprintf(cfg->pools[cfg->npools++], sizeof(cfg->pools[0]), "%s", cc->pools[i]);
	if (cc->nchildren > UINT32_MAX / sizeof(*cfg->children)) {
		snprintf(err, errlen, "%s:%u: connection '%s': too many children", cc->file,
		         cc->line, cc->name);
		return -EINVAL;
	}
	if (cc->nchildren && !(cfg->children = calloc(cc->nchildren, sizeof(*cfg->children)))) {
		snprintf(err, errlen, "%s:%u: connection '%s': out of memory", cc->file, cc->line,
		         cc->name);
		return -ENOMEM;
	}
	cfg->nchildren = (unsigned)cc->nchildren;
	for (size_t i = 0; i < cc->nchildren; i++) {
		const struct conf_child *ch = &cc->children[i];
		struct ike_child_cfg *k = &cfg->children[i];
		snprintf(k->name, sizeof(k->name), "%s", ch->name);
		ts_from_conf(&k->local_ts, ch->local_ts, ch->nlocal_ts);
		ts_from_conf(&k->remote_ts, ch->remote_ts, ch->nremote_ts);
		if (join_proposals(ch->esp_proposals, ch->nesp_proposals, IKE_CTL_DEFAULT_ESP, props,
		                   sizeof(props)) ||
		    ike_proposals_parse(props, IKE_PROTO_ESP, &k->esp, err, errlen)) {
			char why[256];
			snprintf(why, sizeof(why), "%.200s", err);
			snprintf(err, errlen, "%s:%u: child '%s': esp_proposals: %.200s", ch->file, ch->line,
			         ch->name, why);
			return -EINVAL;
		}
		k->transport = ch->mode == CONF_MODE_TRANSPORT;
		k->start_action = (ch->start_action & CONF_START_START) ? IKE_ACTION_START :
		                  (ch->start_action & CONF_START_TRAP) ? IKE_ACTION_TRAP : IKE_ACTION_NONE;
		k->close_action = ch->close_action == CONF_ACTION_START ? IKE_ACTION_START :
		                  ch->close_action == CONF_ACTION_TRAP ? IKE_ACTION_TRAP : IKE_ACTION_NONE;
		k->dpd_action = ch->dpd_action == CONF_ACTION_START ? IKE_ACTION_START :
		                ch->dpd_action == CONF_ACTION_TRAP ? IKE_ACTION_TRAP : IKE_ACTION_NONE;
		k->rekey_time = (uint32_t)ch->rekey_time;
		k->life_time = (uint32_t)ch->life_time;
		k->rand_time = (uint32_t)ch->rand_time;
		k->rekey_bytes = ch->rekey_bytes;
		k->life_bytes = ch->life_bytes;
		k->rand_bytes = ch->rand_bytes;
		k->rekey_packets = ch->rekey_packets;
		k->life_packets = ch->life_packets;
		k->rand_packets = ch->rand_packets;
		k->replay_window = ch->replay_window;
	}
	return 0;
}

/* The pools section into the IKE core's pools (before the connections
 * that name them). */
static int pools_apply(struct ike_ctx *ike, const struct conf *c, char *err, size_t errlen)
{
	struct ike_pool_cfg *pc = calloc(c->npools ? c->npools : 1, sizeof(*pc));
	int rc;

	if (!pc)
		return -ENOMEM;
	for (size_t i = 0; i < c->npools; i++) {
		const struct conf_pool *cp = &c->pools[i];
		struct ike_pool_cfg *k = &pc[i];

		snprintf(k->name, sizeof(k->name), "%s", cp->name);
		k->from = cp->addrs.from;
		k->to = cp->addrs.kind == CONF_ADDR_IP ? cp->addrs.from : cp->addrs.to;
		k->prefix = cp->addrs.kind == CONF_ADDR_PREFIX;
		k->prefixlen = cp->addrs.prefixlen;
		for (size_t j = 0; j < cp->ndns && k->ndns < IKE_POOL_ATTR_MAX; j++)
			k->dns[k->ndns++] = cp->dns[j];
		for (size_t j = 0; j < cp->nnbns && k->nnbns < IKE_POOL_ATTR_MAX; j++)
			k->nbns[k->nnbns++] = cp->nbns[j];
		for (size_t j = 0; j < cp->nsubnets && k->nsubnets < IKE_POOL_ATTR_MAX; j++) {
			k->subnets[k->nsubnets].addr = cp->subnets[j].from;
			k->subnets[k->nsubnets].len = cp->subnets[j].kind == CONF_ADDR_PREFIX ?
			                              cp->subnets[j].prefixlen :
			                              (cp->subnets[j].from.family == AF_INET ? 32 : 128);
			k->nsubnets++;
		}
		if (cp->ndns > IKE_POOL_ATTR_MAX || cp->nnbns > IKE_POOL_ATTR_MAX ||
		    cp->nsubnets > IKE_POOL_ATTR_MAX) {
			snprintf(err, errlen, "%s:%u: pool '%s': more than %d dns, nbns or subnet values",
			         cp->file, cp->line, cp->name, IKE_POOL_ATTR_MAX);
			free(pc);
			return -EINVAL;
		}
	}
	rc = ike_pools_set(ike, pc, (unsigned)c->npools, err, errlen);
	free(pc);
	return rc;
}

static int add_all(struct ike_ctx *ike, const struct conf *c, char *err, size_t errlen)
{
	struct ike_conn_cfg *cfg = calloc(1, sizeof(*cfg));
	int rc = 0, loaded = 0;

	if (!cfg)
		return -ENOMEM;
	for (size_t i = 0; i < c->nconns; i++) {
		char e[512];
		int r = conn_from_conf(c, &c->conns[i], cfg, e, sizeof(e));
		if (!r)
			r = ike_conn_add(ike, cfg, e, sizeof(e));
		free(cfg->children);   /* copied by ike_conn_add; no secrets in it */
		mem_wipe(cfg, sizeof(*cfg));
		if (r) {
			log_err("%s", e);
			if (!rc) {
				rc = r;
				snprintf(err, errlen, "%s", e);
			}
			continue;
		}
		loaded++;
	}
	mem_free_wipe(cfg, sizeof(*cfg));
	return rc ? rc : loaded;
}

int ike_ctl_add(struct ike_ctx *ike, const struct conf *c, char *err, size_t errlen)
{
	return add_all(ike, c, err, errlen);
}

int ike_ctl_apply(struct ike_ctx *ike, const struct conf *c, char *err, size_t errlen)
{
	unsigned max = ike_conn_names(ike, NULL, 0) + (unsigned)c->nconns;
	char (*names)[64] = calloc(max ? max : 1, 64);
	int rc;
	unsigned n;

	if (!names)
		return -ENOMEM;
	/* the pools first: the connections name them */
	if ((rc = conf_pools_check(c, err, errlen)) || (rc = pools_apply(ike, c, err, errlen))) {
		log_err("%s", err);
		free(names);
		return rc;
	}
	rc = add_all(ike, c, err, errlen);
	/* connections that are gone from the file */
	n = ike_conn_names(ike, names, max);
	for (unsigned i = 0; i < n; i++)
		if (!conf_conn_find(c, names[i])) {
			log_info("ike: unloading connection '%s'", names[i]);
			ike_conn_del(ike, names[i]);
		}
	free(names);
	return rc;
}

int ike_ctl_load_file(struct ike_ctx *ike, const char *conf_path, char *err, size_t errlen)
{
	struct conf *c = NULL;
	int rc = conf_load(conf_path, &c, err, errlen);

	if (rc)
		return rc;
	rc = ike_ctl_apply(ike, c, err, errlen);
	conf_free(c);
	return rc;
}

/* ---- the control command ---- */

static void put_text(struct vici_buf *resp, const char *text, size_t len)
{
	vici_list_start(resp, "output");
	for (size_t off = 0; off < len; off += 60000)
		vici_list_item(resp, text + off, len - off > 60000 ? 60000 : len - off);
	vici_list_end(resp);
}

static int run(struct ike_ctl *ic, int argc, char **argv, FILE *out, char *err, size_t errlen)
{
	const char *cmd = argv[0];
	int r;

	if (!strcmp(cmd, "load")) {
		if (ic->on_load)
			ic->on_load(ic->on_load_ctx, ic->conf_path);
		r = ike_ctl_load_file(ic->ike, ic->conf_path, err, errlen);
		if (r < 0)
			return r;
		fprintf(out, "loaded %d connection%s from %s\n", r, r == 1 ? "" : "s", ic->conf_path);
		return 0;
	}
	/* initiate, terminate and rekey are VICI's own commands
	 * (ctl/vici_swanctl.c), which uipsec sends too: one protocol */
	if (!strcmp(cmd, "list-conns")) {
		ike_list_conns(ic->ike, out);
		return 0;
	}
	if (!strcmp(cmd, "list-sas")) {
		ike_list_sas(ic->ike, out);
		return 0;
	}
	if (!strcmp(cmd, "list-pools")) {
		ike_list_pools(ic->ike, out);
		return 0;
	}
	if (!strcmp(cmd, "stats") || !strcmp(cmd, "ike-stats")) {
		const struct ike_stats *s = ike_ctx_stats(ic->ike);
#define P(f) fprintf(out, "%-22s %llu\n", #f, (unsigned long long)s->f)
		P(rx); P(tx); P(retransmits); P(resent_responses); P(drop_malformed); P(drop_no_sa);
		P(drop_icv); P(drop_unprotected); P(drop_msgid); P(drop_unexpected);
		P(drop_before_auth); P(syntax_errors);
		P(unsupported_critical); P(cookies_sent); P(cookies_bad); P(invalid_ke_sent);
		P(no_proposal); P(auth_failed); P(ts_unacceptable); P(half_open_refused);
		P(ike_established); P(child_established); P(ike_deleted); P(child_deleted);
		P(invalid_ike_spi_sent); P(invalid_ike_spi_limited); P(invalid_ike_spi_rx);
		P(unknown_spi); P(init_over_budget); P(init_source_limited);
		P(frag_tx); P(frag_rx); P(frag_msgs_tx); P(frag_reassembled); P(frag_drop_unkeyed);
		P(frag_drop_invalid); P(frag_drop_msgid); P(frag_drop_dup); P(frag_drop_overlap);
		P(frag_drop_limit); P(frag_incomplete); P(frag_bytes);
		P(vips_leased); P(vips_received); P(vip_failures);
#undef P
		return 0;
	}
	snprintf(err, errlen, "unknown IKE command '%s'", cmd);
	return -EINVAL;
}

static void cmd_ike(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                    struct vici_buf *resp)
{
	struct ike_ctl *ic = ctx;
	char **argv = NULL, *obuf = NULL, err[1024] = "";
	size_t olen = 0;
	FILE *out;
	int argc, r;

	argc = vici_get_list(req->msg, req->msg_len, "argv", &argv, 32);
	if (argc < 1) {
		vici_kv_str(resp, "success", "no");
		vici_kv_str(resp, "errmsg", "Error: request has no argv list");
		vici_list_free(argv);
		return;
	}
	out = open_memstream(&obuf, &olen);
	if (!out) {
		vici_kv_str(resp, "success", "no");
		vici_kv_str(resp, "errmsg", "Error: out of memory");
		vici_list_free(argv);
		return;
	}
	r = run(ic, argc, argv, out, err, sizeof(err));
	fclose(out);
	vici_kv_str(resp, "success", r < 0 ? "no" : "yes");
	if (olen)
		put_text(resp, obuf, olen);
	if (r < 0)
		vici_kv_fmt(resp, "errmsg", "Error: %s", err[0] ? err : strerror(-r));
	free(obuf);
	vici_list_free(argv);
}

int ike_ctl_register(struct ike_ctl *ic)
{
	return ctl_server_add_cmd(ic->srv, "uipsec-ike", cmd_ike, ic);
}
