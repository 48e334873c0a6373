/* Builds the configuration model (conf.h) from a parsed settings tree
 * (conf_settings.h), driven by the option table (conf_options.h): each key
 * is looked up in the table for the section it is written in; the table
 * says its type, default, where the value goes in the model and whether
 * uipsec supports it. Everything else is an error that names file, line,
 * column and the option's path ("connections.gw.children.net.mode"):
 * "not supported: <why>" for a real strongSwan option uipsec does not
 * take, "unknown option" for any other name. A file's errors are all
 * collected (each place once: a template's option that several sections
 * inherit is reported at its one place), then returned together. This file
 * builds the sections (connections, their rounds and children, secrets);
 * conf_build.c reads the keys of each through the table.
 *
 * Defaults follow swanctl.conf(5) of strongSwan 5.9.8 and the way charon's
 * vici plugin fills in lifetimes (vici_config.c).
 *
 * Ownership: the model owns all its strings and arrays; conf_free() wipes
 * the decoded secrets. Runs at start-up and on reload; no threads. */
#include "conf/conf.h"
#include "conf/conf_build.h"
#include "conf/conf_options.h"
#include "conf/conf_pools.h"
#include "conf/conf_value.h"
#include "util/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- local / remote ---- */

static void auth_clear(struct conf_auth *a)
{
	free(a->auth);
	conf_list_free(a->certs, a->ncerts);
	conf_list_free(a->pubkeys, a->npubkeys);
	conf_list_free(a->cacerts, a->ncacerts);
	free(a->ca_id);
	mem_wipe(a, sizeof(*a));
}

static int build_auth(struct builder *b, enum conf_scope scope, const struct conf_section *s,
                      const char *path, struct conf_auth *auth)
{
	char p[PATHLEN];
	int rc;

	for (size_t i = 0; i < s->nsub; i++)
		conf_build_refuse(b, scope, s->sub[i], conf_build_subpath(p, sizeof(p), path, s->sub[i]->name));
	if ((rc = conf_build_kvs(b, scope, s, path, auth, NULL, NULL)))
		return rc;
	/* auth = pubkey is the default of both rounds, as in charon (an auth
	 * value that is refused was reported at its line already) */
	if (!auth->method && !conf_build_written(scope, s, offsetof(struct conf_auth, method)))
		auth->method = CONF_AUTH_PUBKEY;
	return 0;
}

/* ---- children ---- */

static void child_clear(struct conf_child *ch)
{
	free(ch->name);
	free(ch->path);
	free(ch->local_ts);
	free(ch->remote_ts);
	conf_list_free(ch->esp_proposals, ch->nesp_proposals);
	free(ch->updown);
	free(ch->seen);
}

static int default_strings(char ***out, size_t *n, const char *value)
{
	if (*out)
		return 0;
	*out = calloc(1, sizeof(**out));
	if (!*out || !((*out)[0] = strdup(value)))
		return -ENOMEM;
	*n = 1;
	return 0;
}

static int default_ts(struct conf_ts **out, size_t *n)
{
	if (*out)
		return 0;
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->dynamic = true;
	(*out)->prefixlen = -1;
	(*out)->port_to = 65535;
	*n = 1;
	return 0;
}

/* Soft, hard and random part of one CHILD_SA limit, completed as charon
 * 5.9.8's vici plugin does (checked against its cfg log): rekey defaults
 * to def even when life is set; life = rekey + 10%; rand = life - rekey,
 * or 0 when life < rekey. (Later strongSwan versions derive rekey from
 * life instead.) */
static void complete_lifetime(uint64_t *rekey, uint64_t *life, uint64_t *rand, uint64_t def)
{
	if (*rekey == UNSET)
		*rekey = def;
	if (*life == UNSET)
		*life = *rekey > UINT64_MAX / 11 * 10 ? *rekey : *rekey + *rekey / 10;
	if (*rand == UNSET)
		*rand = *life - (*life < *rekey ? *life : *rekey);
}

static int build_child(struct builder *b, const struct conf_section *s, const char *path,
                       struct conf_child *ch)
{
	char p[PATHLEN];
	int rc;

	ch->name = strdup(s->name);
	ch->path = strdup(path);
	if (!ch->name || !ch->path)
		return -ENOMEM;
	ch->file = s->loc.file;
	ch->line = s->loc.line;
	ch->col = s->loc.col;
	if (strlen(s->name) > CONF_NAME_MAX && !(b->flags & CONF_MODEL_ONLY))
		conf_build_fail(b, &s->loc, path, "not supported: a child name longer than 63 characters");
	for (size_t i = 0; i < s->nsub; i++)
		conf_build_refuse(b, CONF_SC_CHILD, s->sub[i], conf_build_subpath(p, sizeof(p), path, s->sub[i]->name));
	if ((rc = conf_build_defaults(b, CONF_SC_CHILD, ch)) ||
	    (rc = conf_build_kvs(b, CONF_SC_CHILD, s, path, ch, &ch->seen, &ch->nseen)))
		return rc;
	complete_lifetime(&ch->rekey_time, &ch->life_time, &ch->rand_time, 3600);
	complete_lifetime(&ch->rekey_bytes, &ch->life_bytes, &ch->rand_bytes, 0);
	complete_lifetime(&ch->rekey_packets, &ch->life_packets, &ch->rand_packets, 0);
	if ((rc = default_ts(&ch->local_ts, &ch->nlocal_ts)) ||
	    (rc = default_ts(&ch->remote_ts, &ch->nremote_ts)) ||
	    (rc = default_strings(&ch->esp_proposals, &ch->nesp_proposals, "default")))
		return rc;
	conf_build_runs(b, CONF_SC_CHILD, s, path, ch, ch->seen, ch->nseen);
	return 0;
}

/* ---- connections ---- */

static void conn_clear(struct conf_conn *cn)
{
	free(cn->name);
	free(cn->path);
	conf_addrs_free(cn->local_addrs, cn->nlocal_addrs);
	conf_addrs_free(cn->remote_addrs, cn->nremote_addrs);
	conf_list_free(cn->proposals, cn->nproposals);
	for (size_t i = 0; i < cn->nchildren; i++)
		child_clear(&cn->children[i]);
	free(cn->children);
	free(cn->seen);
	conf_conn_ra_free(cn);
	auth_clear(&cn->local);
	auth_clear(&cn->remote);
}

/* %any, the default of local_addrs and remote_addrs. */
static int default_addrs(struct conf_addr **out, size_t *n)
{
	if (*out)
		return 0;
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->kind = CONF_ADDR_ANY;
	*n = 1;
	return 0;
}

static int build_children(struct builder *b, const struct conf_section *s, const char *path,
                          struct conf_conn *cn)
{
	char p[PATHLEN];
	int rc = 0;

	if ((rc = conf_build_kvs(b, CONF_SC_CHILDREN, s, path, NULL, NULL, NULL)))
		return rc;
	cn->children = calloc(s->nsub ? s->nsub : 1, sizeof(*cn->children));
	if (!cn->children)
		return -ENOMEM;
	for (size_t i = 0; i < s->nsub && !rc; i++) {
		conf_build_subpath(p, sizeof(p), path, s->sub[i]->name);
		rc = build_child(b, s->sub[i], p, &cn->children[i]);
		cn->nchildren++;   /* counted even on error, so it is freed */
	}
	return rc;
}

/* IKE lifetimes as charon's vici plugin completes them. */
static void complete_ike_lifetimes(struct conf_conn *cn)
{
	uint64_t rekey = cn->rekey_time, reauth = cn->reauth_time;

	if (rekey == UNSET && reauth == UNSET) {
		rekey = 4 * 3600;
		reauth = 0;
	}
	if (rekey == UNSET)
		rekey = 0;
	if (reauth == UNSET)
		reauth = 0;
	if (cn->over_time == UNSET)
		cn->over_time = (rekey > reauth ? rekey : reauth) / 10;
	if (cn->rand_time == UNSET) {
		uint64_t base = (rekey && reauth) ? (rekey < reauth ? rekey : reauth)
		                                  : (rekey > reauth ? rekey : reauth);
		cn->rand_time = cn->over_time < base / 2 ? cn->over_time : base / 2;
	}
	cn->rekey_time = rekey;
	cn->reauth_time = reauth;
}

static int build_conn(struct builder *b, const struct conf_section *s, const char *path,
                      struct conf_conn *cn)
{
	const struct conf_section *local = NULL, *remote = NULL;
	char p[PATHLEN];
	int rc;

	cn->name = strdup(s->name);
	cn->path = strdup(path);
	if (!cn->name || !cn->path)
		return -ENOMEM;
	cn->file = s->loc.file;
	cn->line = s->loc.line;
	cn->col = s->loc.col;
	if (strlen(s->name) > CONF_NAME_MAX && !(b->flags & CONF_MODEL_ONLY))
		conf_build_fail(b, &s->loc, path, "not supported: a connection name longer than 63 characters");
	if ((rc = conf_build_defaults(b, CONF_SC_CONN, cn)) ||
	    (rc = conf_build_kvs(b, CONF_SC_CONN, s, path, cn, &cn->seen, &cn->nseen)))
		return rc;
	for (size_t i = 0; i < s->nsub; i++) {
		const struct conf_section *sub = s->sub[i];
		const struct conf_opt *o = conf_opt_find(CONF_SC_CONN, sub->name, true);

		conf_build_subpath(p, sizeof(p), path, sub->name);
		rc = 0;
		if (!o || o->sup == CONF_SUP_NO) {
			conf_build_refuse(b, CONF_SC_CONN, sub, p);
		} else if (o->inner == CONF_SC_LOCAL || o->inner == CONF_SC_REMOTE) {
			const struct conf_section **first = o->inner == CONF_SC_LOCAL ? &local : &remote;

			if (*first)
				conf_build_fail(b, &sub->loc, p,
				     "a second %s authentication round (also '%s'): uipsec supports one",
				     o->name, (*first)->name);
			else {
				*first = sub;
				rc = build_auth(b, o->inner, sub, p,
				                o->inner == CONF_SC_LOCAL ? &cn->local : &cn->remote);
			}
		} else if (o->inner == CONF_SC_CHILDREN) {
			rc = build_children(b, sub, p, cn);
		}
		if (rc == -ENOMEM)
			return rc;
	}
	if (!local)
		conf_build_fail(b, &s->loc, path, "no local section: uipsec needs local { auth = psk }");
	if (!remote)
		cn->remote.method = CONF_AUTH_PSK;   /* charon: an empty remote round accepts any */
	complete_ike_lifetimes(cn);
	if ((rc = default_addrs(&cn->local_addrs, &cn->nlocal_addrs)) ||
	    (rc = default_addrs(&cn->remote_addrs, &cn->nremote_addrs)) ||
	    (rc = default_strings(&cn->proposals, &cn->nproposals, "default")))
		return rc;
	conf_build_runs(b, CONF_SC_CONN, s, path, cn, cn->seen, cn->nseen);
	return 0;
}

static struct conf_loc where(enum conf_scope scope, const char *spath,
                             const struct conf_seen *seen, size_t n, struct conf_loc sect,
                             size_t off, char *path, size_t len)
{
	const struct conf_opt *o = conf_opt_at(scope, off);
	const struct conf_loc *l = o ? conf_seen_find(seen, n, o) : NULL;

	if (path && len)
		snprintf(path, len, "%s.%s", spath ? spath : "?", o ? o->name : "?");
	return l ? *l : sect;
}

struct conf_loc conf_conn_where(const struct conf_conn *cn, size_t off, char *path, size_t len)
{
	return where(CONF_SC_CONN, cn->path, cn->seen, cn->nseen,
	             (struct conf_loc){ cn->file, cn->line, cn->col }, off, path, len);
}

struct conf_loc conf_child_where(const struct conf_child *ch, size_t off, char *path, size_t len)
{
	return where(CONF_SC_CHILD, ch->path, ch->seen, ch->nseen,
	             (struct conf_loc){ ch->file, ch->line, ch->col }, off, path, len);
}

/* ---- secrets ---- */

static void secret_clear(struct conf_secret *sec)
{
	free(sec->name);
	free(sec->ids);
	if (sec->secret)
		mem_free_wipe(sec->secret, sec->secret_len);
	memset(sec, 0, sizeof(*sec));
}

/* secrets.ike<suffix> and secrets.eap<suffix> (scope sc): ids and a
 * secret. */
static int build_ike_secret(struct builder *b, const struct conf_section *s, const char *path,
                            enum conf_scope sc, struct conf_secret *sec)
{
	char p[PATHLEN];
	int rc;

	sec->name = strdup(s->name);
	if (!sec->name)
		return -ENOMEM;
	sec->eap = sc == CONF_SC_SECRET_EAP;
	for (size_t i = 0; i < s->nsub; i++)
		conf_build_refuse(b, sc, s->sub[i],
		               conf_build_subpath(p, sizeof(p), path, s->sub[i]->name));
	if ((rc = conf_build_kvs(b, sc, s, path, sec, NULL, NULL)))
		return rc;
	if (!sec->secret &&
	    !conf_build_written(sc, s, offsetof(struct conf_secret, secret)))
		conf_build_fail(b, &s->loc, path, "no secret");   /* (a bad one was reported at its line) */
	return 0;
}

static void keysecret_clear(struct conf_keysecret *k)
{
	free(k->name);
	free(k->file);
	if (k->secret)
		mem_free_wipe(k->secret, k->secret_len);
	memset(k, 0, sizeof(*k));
}

/* secrets.private<suffix> (rsa, ecdsa, pkcs8): file and secret, both
 * needed, as swanctl reads them. */
static int build_key_secret(struct builder *b, const struct conf_section *s, const char *path,
                            struct conf_keysecret *k)
{
	char p[PATHLEN];
	int rc;

	k->name = strdup(s->name);
	if (!k->name)
		return -ENOMEM;
	for (size_t i = 0; i < s->nsub; i++)
		conf_build_refuse(b, CONF_SC_SECRET_KEY, s->sub[i],
		                  conf_build_subpath(p, sizeof(p), path, s->sub[i]->name));
	if ((rc = conf_build_kvs(b, CONF_SC_SECRET_KEY, s, path, k, NULL, NULL)))
		return rc;
	if (!k->file || !k->file[0])
		conf_build_fail(b, &s->loc, path, "no file (the key file this passphrase is for)");
	else if (strchr(k->file, '/'))
		conf_build_fail(b, &s->loc, path, "file '%s': a name in the key's folder, not a path",
		                k->file);
	if (!k->secret &&
	    !conf_build_written(CONF_SC_SECRET_KEY, s, offsetof(struct conf_keysecret, secret)))
		conf_build_fail(b, &s->loc, path, "no secret");
	return 0;
}

static int build_secrets(struct builder *b, const struct conf_section *s, struct conf *c)
{
	char p[PATHLEN];
	int rc;

	if ((rc = conf_build_kvs(b, CONF_SC_SECRETS, s, s->name, NULL, NULL, NULL)))
		return rc;
	c->secrets = calloc(s->nsub ? s->nsub : 1, sizeof(*c->secrets));
	c->keys = calloc(s->nsub ? s->nsub : 1, sizeof(*c->keys));
	if (!c->secrets || !c->keys)
		return -ENOMEM;
	for (size_t i = 0; i < s->nsub; i++) {
		const struct conf_section *sub = s->sub[i];
		const struct conf_opt *o = conf_opt_find(CONF_SC_SECRETS, sub->name, true);

		conf_build_subpath(p, sizeof(p), s->name, sub->name);
		if (!o || o->sup == CONF_SUP_NO) {
			conf_build_refuse(b, CONF_SC_SECRETS, sub, p);
			continue;
		}
		if (o->inner == CONF_SC_SECRET_KEY) {
			rc = build_key_secret(b, sub, p, &c->keys[c->nkeys]);
			c->nkeys++;
		} else {
			rc = build_ike_secret(b, sub, p, o->inner, &c->secrets[c->nsecrets]);
			c->nsecrets++;
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- top level ---- */

/* The pools section: remote access's own parser (conf_pools.c), which
 * stops at its first error; the table declares its options (docs, the
 * charon cross-check). */
static int build(struct builder *b, const struct conf_section *root, struct conf *c)
{
	const struct conf_section *conns = NULL;
	char p[PATHLEN];
	int rc;

	if ((rc = conf_build_kvs(b, CONF_SC_ROOT, root, "", NULL, NULL, NULL)))
		return rc;
	for (size_t i = 0; i < root->nsub; i++) {
		const struct conf_section *s = root->sub[i];
		const struct conf_opt *o = conf_opt_find(CONF_SC_ROOT, s->name, true);

		if (o && o->inner == CONF_SC_CONNS)
			conns = s;
		else if (o && o->inner == CONF_SC_SECRETS)
			rc = build_secrets(b, s, c);
		else if (o && o->inner == CONF_SC_POOLS)
			rc = conf_pools_build(b, s, c);
		else if (o)
			conf_build_fail(b, &s->loc, s->name, "not supported: %s", o->why);
		else if (!s->referenced)
			/* Top-level sections other than these are templates for
			 * section references; one nobody references is a mistake. */
			conf_build_fail(b, &s->loc, s->name,
			     "unknown section (expected connections or secrets, or a template that a section references)");
		if (rc)
			return rc;
	}
	if (!conns)
		return 0;
	if ((rc = conf_build_kvs(b, CONF_SC_CONNS, conns, conns->name, NULL, NULL, NULL)))
		return rc;
	c->conns = calloc(conns->nsub ? conns->nsub : 1, sizeof(*c->conns));
	if (!c->conns)
		return -ENOMEM;
	for (size_t i = 0; i < conns->nsub; i++) {
		rc = build_conn(b, conns->sub[i], conf_build_subpath(p, sizeof(p), conns->name, conns->sub[i]->name),
		                &c->conns[i]);
		c->nconns++;
		if (rc)
			return rc;
	}
	return 0;
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nconns; i++)
		conn_clear(&c->conns[i]);
	free(c->conns);
	for (size_t i = 0; i < c->nsecrets; i++)
		secret_clear(&c->secrets[i]);
	free(c->secrets);
	for (size_t i = 0; i < c->nkeys; i++)
		keysecret_clear(&c->keys[i]);
	free(c->keys);
	conf_pools_free(c);
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c);
}

static int load_tree(struct conf_tree *t, unsigned flags, struct conf **out, char *err,
                     size_t errlen)
{
	struct builder b = { .err = err, .errlen = errlen, .flags = flags, .files = t->files,
	                     .nfiles = t->nfiles };
	struct conf *c;
	int rc;

	rc = conf_settings_resolve(t, err, errlen);
	if (rc)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->model_only = (flags & CONF_MODEL_ONLY) != 0;
	/* The model keeps the file names its conn->file/child->file point at. */
	c->files = t->files;
	c->nfiles = t->nfiles;
	t->files = NULL;
	t->nfiles = 0;
	if (err && errlen)
		err[0] = '\0';
	rc = build(&b, t->root, c);
	if (!rc && b.failed)
		rc = -EINVAL;
	conf_build_finish(&b);
	if (rc) {
		conf_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int conf_load(const char *path, unsigned flags, struct conf **out, char *err, size_t errlen)
{
	struct conf_tree *t;
	int rc;

	*out = NULL;
	rc = conf_settings_parse_file(path, (flags & CONF_NO_INCLUDE) ? CONF_PARSE_NO_INCLUDE : 0,
	                              &t, err, errlen);
	if (rc)
		return rc;
	rc = load_tree(t, flags, out, err, errlen);
	conf_tree_free(t);
	if (rc == -ENOMEM && err && errlen)
		snprintf(err, errlen, "%s: out of memory", path);
	return rc;
}

int conf_parse_buffer(const char *buf, size_t len, const char *name, unsigned flags,
                      struct conf **out, char *err, size_t errlen)
{
	struct conf_tree *t;
	unsigned pflags = (flags & CONF_NO_INCLUDE) ? CONF_PARSE_NO_INCLUDE : 0;
	int rc;

	*out = NULL;
	rc = conf_settings_parse_buffer(buf, len, name, pflags, &t, err, errlen);
	if (rc)
		return rc;
	rc = load_tree(t, flags, out, err, errlen);
	conf_tree_free(t);
	if (rc == -ENOMEM && err && errlen)
		snprintf(err, errlen, "%s: out of memory", name ? name : "<buffer>");
	return rc;
}

const struct conf_conn *conf_conn_find(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->nconns; i++)
		if (strcmp(c->conns[i].name, name) == 0)
			return &c->conns[i];
	return NULL;
}

const struct conf_child *conf_child_find(const struct conf_conn *conn, const char *name)
{
	for (size_t i = 0; i < conn->nchildren; i++)
		if (strcmp(conn->children[i].name, name) == 0)
			return &conn->children[i];
	return NULL;
}

/* Best match of any of the secret's ids against id (%any if it has none). */
static enum conf_id_match secret_owner_match(const struct conf_secret *s, const struct conf_id *id)
{
	enum conf_id_match best = CONF_ID_MATCH_NONE;

	if (s->nids == 0)
		return CONF_ID_MATCH_ANY;
	for (size_t i = 0; i < s->nids; i++) {
		enum conf_id_match m = conf_id_match(id, &s->ids[i]);
		if (m > best)
			best = m;
	}
	return best;
}

const struct conf_secret *conf_secret_find_ike(const struct conf *c, const struct conf_id *me,
                                               const struct conf_id *other)
{
	const struct conf_secret *found = NULL;
	enum conf_id_match best_me = CONF_ID_MATCH_NONE, best_other = CONF_ID_MATCH_NONE;

	for (size_t i = 0; i < c->nsecrets; i++) {
		const struct conf_secret *s = &c->secrets[i];
		enum conf_id_match m_me = me ? secret_owner_match(s, me) : CONF_ID_MATCH_NONE;
		enum conf_id_match m_other = other ? secret_owner_match(s, other) : CONF_ID_MATCH_NONE;

		if (s->eap)
			continue;   /* an EAP password, not an IKE pre-shared key */

		if ((me || other) && !m_me && !m_other)
			continue;
		if (!found || m_other > best_other || (m_other == best_other && m_me > best_me)) {
			found = s;
			best_me = m_me;
			best_other = m_other;
		}
	}
	return found;
}
