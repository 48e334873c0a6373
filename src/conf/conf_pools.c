/* swanctl.conf's remote-access options (see conf_pools.h): the pools
 * section and the connection options vips and pools. Runs at start-up
 * and on reload, from conf.c's builder; owns what it puts in the model
 * (freed by conf_pools_free, conf_conn_ra_free). */
#include "conf/conf_pools.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_build.h"
#include "conf/conf_options.h"
#include "conf/conf_value.h"

/* "file:line:col: path: message", as conf.c writes its errors */
__attribute__((format(printf, 5, 6)))
static int fail(char *err, size_t errlen, const struct conf_loc *loc, const char *path,
                const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return -EINVAL;
	n = snprintf(err, errlen, "%s:%u:%u: %s: ", loc->file ? loc->file : "?", loc->line,
	             loc->col, path);
	if (n < 0 || (size_t)n >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int addr_list(const struct conf_kv *kv, const char *path, struct ip_addr **out,
                     size_t *n, char *err, size_t errlen)
{
	char **items = NULL;
	size_t ni = 0;
	int rc;

	if (!kv->value)
		return 0;
	if ((rc = conf_split_list(kv->value, &items, &ni)))
		return rc == -ENOMEM ? rc : fail(err, errlen, &kv->loc, path, "invalid list");
	*out = calloc(ni ? ni : 1, sizeof(**out));
	if (!*out) {
		conf_list_free(items, ni);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ni && !rc; i++)
		if (ip_addr_parse(items[i], &(*out)[(*n)++]))
			rc = fail(err, errlen, &kv->loc, path, "invalid address '%s'", items[i]);
	conf_list_free(items, ni);
	return rc;
}

static int subnet_list(const struct conf_kv *kv, const char *path, struct conf_pool *pl,
                       char *err, size_t errlen)
{
	char **items = NULL;
	size_t ni = 0;
	int rc;

	if (!kv->value)
		return 0;
	if ((rc = conf_split_list(kv->value, &items, &ni)))
		return rc == -ENOMEM ? rc : fail(err, errlen, &kv->loc, path, "invalid list");
	pl->subnets = calloc(ni ? ni : 1, sizeof(*pl->subnets));
	if (!pl->subnets) {
		conf_list_free(items, ni);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ni && !rc; i++) {
		struct conf_addr *a = &pl->subnets[pl->nsubnets];
		if (conf_addr_parse(items[i], a) ||
		    (a->kind != CONF_ADDR_PREFIX && a->kind != CONF_ADDR_IP)) {
			free(a->dns);
			rc = fail(err, errlen, &kv->loc, path, "invalid subnet '%s' (expected CIDR)",
			          items[i]);
		} else {
			pl->nsubnets++;
		}
	}
	conf_list_free(items, ni);
	return rc;
}

/* One pool; every error goes to the builder (at its place) and the
 * reading goes on. 0 or -ENOMEM. */
static int build_pool(struct builder *b, const struct conf_section *s, const char *path,
                      struct conf_pool *pl)
{
	char p[1024], e[1024];
	bool have_addrs = false;
	int rc;

	pl->name = strdup(s->name);
	if (!pl->name)
		return -ENOMEM;
	pl->file = s->loc.file;
	pl->line = s->loc.line;
	for (size_t i = 0; i < s->nsub; i++)
		conf_build_fail(b, &s->sub[i]->loc, conf_build_subpath(p, sizeof(p), path, s->sub[i]->name),
		                "unknown section (a pool has options only)");
	for (size_t i = 0; i < s->nkv; i++) {
		const struct conf_kv *kv = &s->kv[i];
		const struct conf_opt *o = conf_opt_find(CONF_SC_POOL, kv->key, false);
		const char *k = o ? o->name : "";

		conf_build_subpath(p, sizeof(p), path, kv->key);
		e[0] = '\0';
		rc = 0;
		if (!o || (o->flags & CONF_F_ANY)) {
			/* numeric attribute types (<attr>), or no strongSwan name */
			if (kv->key[0] >= '0' && kv->key[0] <= '9' && o)
				conf_build_fail(b, &kv->loc, p, "not supported: %s", o->why);
			else
				conf_build_fail(b, &kv->loc, p,
				                "unknown option (a pool has addrs, dns, nbns and subnet)");
			continue;
		}
		if (o->sup == CONF_SUP_NO) {
			conf_build_fail(b, &kv->loc, p, "not supported: %s", o->why);
			continue;
		}
		if (!strcmp(k, "addrs")) {
			if (!kv->value)
				continue;
			have_addrs = true;   /* written: a bad value is reported as such */
			if (!strcmp(kv->value, "dhcp") || !strcmp(kv->value, "radius")) {
				conf_build_fail(b, &kv->loc, p,
				                "addresses from %s are not supported by uipsec (a prefix or a "
				                "range)", kv->value);
				continue;
			}
			free(pl->addrs.dns);
			memset(&pl->addrs, 0, sizeof(pl->addrs));
			if (conf_addr_parse(kv->value, &pl->addrs) ||
			    (pl->addrs.kind != CONF_ADDR_PREFIX && pl->addrs.kind != CONF_ADDR_RANGE &&
			     pl->addrs.kind != CONF_ADDR_IP)) {
				conf_build_fail(b, &kv->loc, p,
				                "invalid addrs '%s' (a prefix such as 10.3.0.0/24 or a range "
				                "such as 10.3.0.1-10.3.0.100)", kv->value);
				continue;
			}
		} else if (!strcmp(k, "dns")) {
			rc = addr_list(kv, p, &pl->dns, &pl->ndns, e, sizeof(e));
		} else if (!strcmp(k, "nbns")) {
			rc = addr_list(kv, p, &pl->nbns, &pl->nnbns, e, sizeof(e));
		} else if (!strcmp(k, "subnet")) {
			rc = subnet_list(kv, p, pl, e, sizeof(e));
		}
		if (rc == -ENOMEM)
			return rc;
		if (rc)
			conf_build_fail_text(b, &kv->loc, e);
	}
	if (!have_addrs)
		conf_build_fail(b, &s->loc, path, "no addrs: a pool needs addrs = prefix or range");
	return 0;
}

int conf_pools_build(struct builder *b, const struct conf_section *s, struct conf *c)
{
	char p[512];
	int rc = 0;

	for (size_t i = 0; i < s->nkv; i++)
		conf_build_fail(b, &s->kv[i].loc, conf_build_subpath(p, sizeof(p), "pools", s->kv[i].key),
		                "unknown option (pools holds one section per pool)");
	c->pools = calloc(s->nsub ? s->nsub : 1, sizeof(*c->pools));
	if (!c->pools)
		return -ENOMEM;
	for (size_t i = 0; i < s->nsub && !rc; i++) {
		snprintf(p, sizeof(p), "pools.%s", s->sub[i]->name);
		rc = build_pool(b, s->sub[i], p, &c->pools[c->npools++]);
	}
	return rc;
}

int conf_vips_parse(const struct conf_kv *kv, const char *path, struct conf_conn *cn, char *err,
                    size_t errlen)
{
	char **items = NULL;
	size_t ni = 0;
	int rc;

	cn->nvips = 0;
	if (!kv->value)
		return 0;
	if ((rc = conf_split_list(kv->value, &items, &ni)))
		return rc == -ENOMEM ? rc : fail(err, errlen, &kv->loc, path, "invalid list");
	for (size_t i = 0; i < ni && !rc; i++) {
		struct ip_addr a;

		if (ip_addr_parse(items[i], &a))
			rc = fail(err, errlen, &kv->loc, path, "invalid virtual IP '%s'", items[i]);
		else if (cn->nvips == 1 && ip_addr_equal(&cn->vip_req[0], &a))
			rc = fail(err, errlen, &kv->loc, path, "%s is listed twice", items[i]);
		else if ((cn->nvips == 1 && cn->vips[0] == a.family) || cn->nvips == 2)
			rc = fail(err, errlen, &kv->loc, path,
			          "%s: a second virtual IP of its family (uipsec requests one IPv4 and "
			          "one IPv6 address at most)", items[i]);
		else {
			/* as charon: a specific address is a wish the gateway may
			 * ignore (it assigns what its pool has) */
			cn->vip_req[cn->nvips] = a;
			cn->vips[cn->nvips++] = a.family;
		}
	}
	conf_list_free(items, ni);
	return rc;
}

int conf_conn_pools_parse(const struct conf_kv *kv, const char *path, struct conf_conn *cn,
                          char *err, size_t errlen)
{
	int rc;

	conf_list_free(cn->pools, cn->npools);
	cn->pools = NULL;
	cn->npools = 0;
	if (!kv->value)
		return 0;
	rc = conf_split_list(kv->value, &cn->pools, &cn->npools);
	if (rc)
		return rc == -ENOMEM ? rc : fail(err, errlen, &kv->loc, path, "invalid list");
	if (cn->npools > 4)
		return fail(err, errlen, &kv->loc, path, "more than 4 pools (uipsec's limit)");
	for (size_t i = 0; i < cn->npools; i++)
		if (strlen(cn->pools[i]) >= 64)
			return fail(err, errlen, &kv->loc, path, "pool name '%s' longer than 63 characters",
			            cn->pools[i]);
	return 0;
}

int conf_pools_check(const struct conf *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->nconns; i++)
		for (size_t j = 0; j < c->conns[i].npools; j++) {
			bool found = false;
			for (size_t k = 0; k < c->npools; k++)
				found |= !strcmp(c->pools[k].name, c->conns[i].pools[j]);
			/* charon also takes pools from attribute plugins (dhcp,
			 * radius); uipsec has only the pools section */
			if (!found) {
				snprintf(err, errlen, "%s:%u: connections.%s.pools: no pool '%s' in the pools "
				         "section", c->conns[i].file ? c->conns[i].file : "?", c->conns[i].line,
				         c->conns[i].name, c->conns[i].pools[j]);
				return -EINVAL;
			}
		}
	return 0;
}

void conf_pools_free(struct conf *c)
{
	for (size_t i = 0; i < c->npools; i++) {
		struct conf_pool *pl = &c->pools[i];
		free(pl->name);
		free(pl->addrs.dns);
		free(pl->dns);
		free(pl->nbns);
		for (size_t j = 0; j < pl->nsubnets; j++)
			free(pl->subnets[j].dns);
		free(pl->subnets);
	}
	free(c->pools);
	c->pools = NULL;
	c->npools = 0;
}

void conf_conn_ra_free(struct conf_conn *cn)
{
	conf_list_free(cn->pools, cn->npools);
	cn->pools = NULL;
	cn->npools = 0;
}
