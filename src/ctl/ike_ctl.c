/* swanctl.conf model -> IKE connections, and the uipsec-ike control
 * command. The model is read, checked by src/conf/, then mapped here; the
 * IKE core copies what it needs (PSKs included), so the model is freed
 * right after loading. */
#include "ctl/ike_ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/creds.h"
#include "ctl/ctl_creds.h"
#include "conf/conf_pools.h"
#include "ctl/ctl.h"
#include "ctl/ctl_conf.h"
#include "ctl/vici.h"
#include "ike/ike.h"
#include "ike/ike_pool.h"
#include "util/log.h"
#include "util/mem.h"

/* err gets one line per connection that failed, in file order. */
static void add_line(char *err, size_t errlen, size_t *used, const char *line)
{
	int n;

	if (!err || !errlen || *used >= errlen - 1)
		return;
	n = snprintf(err + *used, errlen - *used, "%s%s", *used ? "\n" : "", line);
	if (n > 0)
		*used += (size_t)n < errlen - *used ? (size_t)n : errlen - *used - 1;
}

int ike_ctl_pool_cfgs(const struct conf *c, struct ike_pool_cfg **out, char *err, size_t errlen)
{
	struct ike_pool_cfg *pc = calloc(c->npools ? c->npools : 1, sizeof(*pc));

	*out = NULL;
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
	*out = pc;
	return (int)c->npools;
}

/* The pools section into the IKE core's pools (before the connections
 * that name them). */
static int pools_apply(struct ike_ctx *ike, const struct conf *c, char *err, size_t errlen)
{
	struct ike_pool_cfg *pc;
	int n = ike_ctl_pool_cfgs(c, &pc, err, errlen), rc;

	if (n < 0)
		return n;
	rc = ike_pools_set(ike, IKE_POOL_FILE, pc, (unsigned)n, err, errlen);
	free(pc);
	return rc;
}

static int add_all(struct ike_ctx *ike, const struct conf *c, const struct ctl_conf_env *env,
                   char *err, size_t errlen)
{
	struct ike_conn_cfg *cfg = calloc(1, sizeof(*cfg));
	int rc = 0, loaded = 0;
	size_t used = 0;

	if (!cfg)
		return -ENOMEM;
	if (err && errlen)
		err[0] = '\0';
	for (size_t i = 0; i < c->nconns; i++) {
		char e[1024];
		int r = ctl_conf_to_ike(c, &c->conns[i], env, cfg, e, sizeof(e));

		if (!r)
			r = ike_conn_add(ike, cfg, e, sizeof(e));
		free(cfg->children);   /* copied by ike_conn_add; no secrets in it */
		mem_wipe(cfg, sizeof(*cfg));
		if (r) {
			/* reported once, by the caller (which logs or answers it) */
			if (!rc)
				rc = r;
			add_line(err, errlen, &used, e);
			continue;
		}
		loaded++;
	}
	mem_free_wipe(cfg, sizeof(*cfg));
	return rc ? rc : loaded;
}

int ike_ctl_add(struct ike_ctx *ike, const struct conf *c, char *err, size_t errlen)
{
	return add_all(ike, c, NULL, err, errlen);
}

static int apply_env(struct ike_ctx *ike, const struct conf *c, const struct ctl_conf_env *env,
                     char *err, size_t errlen)
{
	unsigned max = ike_conn_names(ike, NULL, 0) + (unsigned)c->nconns;
	char (*names)[64] = calloc(max ? max : 1, 64);
	int rc;
	unsigned n;

	if (!names)
		return -ENOMEM;
	/* the pools first: the connections name them (reported by the caller) */
	if ((rc = conf_pools_check(c, err, errlen)) || (rc = pools_apply(ike, c, err, errlen)) ||
	    (rc = ctl_conf_psks_apply(ike, c, err, errlen))) {
		free(names);
		return rc;
	}
	rc = add_all(ike, c, env, err, errlen);
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

int ike_ctl_apply(struct ike_ctx *ike, const struct conf *c, char *err, size_t errlen)
{
	return apply_env(ike, c, NULL, err, errlen);
}

/* swanctl's credential folders beside conf_path, with the passphrases of
 * c's secrets section, into a new store that replaces creds's (what the
 * old one loaded and we can no longer read is kept: creds_load_dir_keep). */
static int load_creds(struct ctl_creds *creds, const struct conf *c, const char *confdir)
{
	struct creds_secret *sec = calloc(c->nkeys ? c->nkeys : 1, sizeof(*sec));
	struct creds_report rep = { 0 };
	struct creds *store = creds_new();
	size_t n = 0;
	int r;

	if (!sec || !store) {
		free(sec);
		creds_free(store);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->nkeys; i++) {
		int kind = creds_secret_kind(c->keys[i].name);
		if (kind < 0 || !c->keys[i].file || !c->keys[i].secret)
			continue;
		sec[n++] = (struct creds_secret){ .kind = (enum creds_kind)kind,
		                                  .file = c->keys[i].file,
		                                  .secret = c->keys[i].secret,
		                                  .secret_len = c->keys[i].secret_len };
	}
	r = creds_load_dir_keep(store, confdir, sec, n, creds->store, &rep);
	creds_report_log(&rep);
	creds_report_free(&rep);
	mem_free_wipe(sec, (c->nkeys ? c->nkeys : 1) * sizeof(*sec));
	if (r < 0) {
		creds_free(store);
		return r;
	}
	ctl_creds_set(creds, store);
	return 0;
}

int ike_ctl_load_file_creds(struct ike_ctx *ike, const char *conf_path, struct ctl_creds *creds,
                            char *err, size_t errlen)
{
	struct conf *c = NULL;
	char dir[4096];
	const char *slash;
	int rc = conf_load(conf_path, 0, &c, err, errlen);

	if (rc)
		return rc;
	slash = strrchr(conf_path, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == conf_path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - conf_path), conf_path);
	if (creds && (rc = load_creds(creds, c, dir)) < 0) {
		snprintf(err, errlen, "%s: credentials: %s", dir, strerror(-rc));
		conf_free(c);
		return rc;
	}
	struct ctl_conf_env env = { .store = creds ? creds->store : NULL, .confdir = dir };
	rc = apply_env(ike, c, creds ? &env : NULL, err, errlen);
	conf_free(c);
	return rc;
}

int ike_ctl_load_file(struct ike_ctx *ike, const char *conf_path, char *err, size_t errlen)
{
	return ike_ctl_load_file_creds(ike, conf_path, NULL, err, errlen);
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
		r = ike_ctl_load_file_creds(ic->ike, ic->conf_path, ic->creds, err, errlen);
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
	if (!strcmp(cmd, "list-certs")) {
		struct creds_list_opts lo = { .utc = argc > 1 && !strcmp(argv[1], "--utc") };
		if (argc > 2 || (argc == 2 && !lo.utc)) {
			snprintf(err, errlen, "list-certs takes only --utc");
			return -EINVAL;
		}
		if (ic->creds && ic->creds->store)
			creds_list_certs(ic->creds->store, out, &lo);
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
		P(half_open_timeouts);
		P(cert_malformed); P(cert_refused);
		P(ike_established); P(child_established); P(ike_deleted); P(child_deleted);
		P(invalid_ike_spi_sent); P(invalid_ike_spi_limited); P(invalid_ike_spi_rx);
		P(unknown_spi); P(init_over_budget); P(init_source_limited);
		P(init_shed);
		P(frag_tx); P(frag_rx); P(frag_msgs_tx); P(frag_reassembled); P(frag_drop_unkeyed);
		P(frag_drop_invalid); P(frag_drop_msgid); P(frag_drop_dup); P(frag_drop_overlap);
		P(frag_drop_limit); P(frag_incomplete); P(frag_bytes);
		P(vips_leased); P(vips_received); P(vip_failures);
		P(mobike_moves); P(mobike_child_moves); P(mobike_refused);
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
	char **argv = NULL, *obuf = NULL, err[8192] = "";   /* load: every refusal of the file */
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
