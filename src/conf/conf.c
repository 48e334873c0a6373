/* Builds the configuration model (conf.h) from a parsed settings tree
 * (conf_settings.h): every option is checked against what uipsec
 * supports, typed, and given strongSwan's default when absent. Anything
 * else is an error that names file, line, column and the option's path
 * ("connections.gw.children.net.mode").
 *
 * Defaults follow swanctl.conf(5) of strongSwan 5.9.8 and the way charon's
 * vici plugin fills in lifetimes (vici_config.c).
 *
 * Ownership: the model owns all its strings and arrays; conf_free() wipes
 * the decoded secrets. Runs at start-up and on reload; no threads. */
#include "conf/conf.h"
#include "conf/conf_pools.h"
#include "conf/conf_settings.h"
#include "conf/conf_value.h"
#include "util/mem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define UNSET UINT64_MAX

/* Same limit as REPLAY_WINDOW_MAX of the data plane (xfrm/replay.h), which
 * conf may not include. */
#define CONF_REPLAY_WINDOW_MAX 8192

struct builder {
	char *err;
	size_t errlen;
};

/* "file:line:col: path: message" */
__attribute__((format(printf, 4, 5)))
static int fail(struct builder *b, const struct conf_loc *loc, const char *path,
                const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!b->err || !b->errlen)
		return -EINVAL;
	n = snprintf(b->err, b->errlen, "%s:%u:%u: %s: ", loc->file ? loc->file : "?",
	             loc->line, loc->col, path);
	if (n < 0 || (size_t)n >= b->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(b->err + n, b->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* An option we don't take: say whether strongSwan knows it. */
static int fail_option(struct builder *b, const struct conf_kv *kv, const char *path,
                       const char *const *known)
{
	if (in_list(kv->key, known))
		return fail(b, &kv->loc, path, "option not supported by uipsec");
	return fail(b, &kv->loc, path, "unknown option");
}

/* ---- typed getters: a NULL value ("key =") keeps the default ---- */

static int get_duration(struct builder *b, const struct conf_kv *kv, const char *path,
                        uint64_t *out)
{
	if (kv->value && conf_parse_duration(kv->value, out))
		return fail(b, &kv->loc, path,
		            "invalid time '%s' (seconds, or a number with s, m, h or d)", kv->value);
	return 0;
}

static int get_bytes(struct builder *b, const struct conf_kv *kv, const char *path,
                     uint64_t *out)
{
	if (kv->value && conf_parse_bytes(kv->value, out))
		return fail(b, &kv->loc, path,
		            "invalid volume '%s' (a number, optionally with k, m or g)", kv->value);
	return 0;
}

static int get_bool(struct builder *b, const struct conf_kv *kv, const char *path, bool *out)
{
	if (kv->value && conf_parse_bool(kv->value, out))
		return fail(b, &kv->loc, path, "invalid value '%s' (expected yes or no)", kv->value);
	return 0;
}

static int get_uint(struct builder *b, const struct conf_kv *kv, const char *path,
                    uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (!kv->value)
		return 0;
	if (conf_parse_uint(kv->value, max, &v) || v < min)
		return fail(b, &kv->loc, path, "invalid number '%s' (expected %llu to %llu)",
		            kv->value, (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

struct enum_map {
	const char *name;
	int value;
};

static int get_enum(struct builder *b, const struct conf_kv *kv, const char *path,
                    const struct enum_map *map, const char *expected, uint8_t *out)
{
	if (!kv->value)
		return 0;
	for (; map->name; map++) {
		if (strcasecmp(kv->value, map->name) == 0) {
			if (map->value < 0)
				return fail(b, &kv->loc, path, "'%s' is not supported by uipsec (supported: %s)",
				            kv->value, expected);
			*out = (uint8_t)map->value;
			return 0;
		}
	}
	return fail(b, &kv->loc, path, "invalid value '%s' (expected %s)", kv->value, expected);
}

static int get_list(struct builder *b, const struct conf_kv *kv, const char *path,
                    char ***items, size_t *n)
{
	int rc = conf_split_list(kv->value, items, n);

	if (rc == -EINVAL)
		return fail(b, &kv->loc, path, "empty item in the comma-separated list '%s'", kv->value);
	return rc;
}

static int get_strings(struct builder *b, const struct conf_kv *kv, const char *path,
                       char ***out, size_t *nout)
{
	char **items;
	size_t n;
	int rc;

	if (!kv->value)
		return 0;
	if ((rc = get_list(b, kv, path, &items, &n)))
		return rc;
	conf_list_free(*out, *nout);
	*out = items;
	*nout = n;
	return 0;
}

static void addrs_free(struct conf_addr *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++)
		free(a[i].dns);
	free(a);
}

static int get_addrs(struct builder *b, const struct conf_kv *kv, const char *path,
                     struct conf_addr **out, size_t *nout)
{
	struct conf_addr *arr = NULL;
	char **items;
	size_t n, k = 0;
	int rc;

	if (!kv->value)
		return 0;
	if ((rc = get_list(b, kv, path, &items, &n)))
		return rc;
	arr = calloc(n, sizeof(*arr));
	if (!arr) {
		rc = -ENOMEM;
		goto out;
	}
	for (; k < n; k++) {
		rc = conf_addr_parse(items[k], &arr[k]);
		if (rc == -EINVAL)
			rc = fail(b, &kv->loc, path,
			          "invalid address '%s' (an IP address, subnet, range a-b, host name, %%any, %%any4 or %%any6)",
			          items[k]);
		if (rc)
			break;
	}
	if (!rc) {
		addrs_free(*out, *nout);
		*out = arr;
		*nout = n;
		arr = NULL;
	}
out:
	addrs_free(arr, k);
	conf_list_free(items, n);
	return rc;
}

static int get_tss(struct builder *b, const struct conf_kv *kv, const char *path,
                   struct conf_ts **out, size_t *nout)
{
	struct conf_ts *arr;
	char **items;
	size_t n;
	int rc;

	if (!kv->value)
		return 0;
	if ((rc = get_list(b, kv, path, &items, &n)))
		return rc;
	arr = calloc(n, sizeof(*arr));
	if (!arr) {
		conf_list_free(items, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		const char *why = NULL;

		if (conf_ts_parse(items[i], &arr[i], &why))
			rc = fail(b, &kv->loc, path, "invalid traffic selector '%s': %s", items[i], why);
	}
	conf_list_free(items, n);
	if (rc) {
		free(arr);
		return rc;
	}
	free(*out);
	*out = arr;
	*nout = n;
	return 0;
}

static int get_id(struct builder *b, const struct conf_kv *kv, const char *path,
                  struct conf_id *out, bool *has)
{
	const char *why = NULL;

	if (!kv->value)
		return 0;
	if (conf_id_parse(kv->value, out, &why))
		return fail(b, &kv->loc, path, "invalid identity '%s': %s", kv->value,
		            why ? why : "bad syntax");
	if (has)
		*has = true;
	return 0;
}

/* path + "." + name into buf */
static const char *subpath(char *buf, size_t len, const char *path, const char *name)
{
	int n = snprintf(buf, len, "%s.%s", path, name);

	if (n < 0 || (size_t)n >= len)   /* names are bounded; truncation only shortens a message */
		buf[len - 1] = '\0';
	return buf;
}

#define PATHLEN 512

/* ---- local / remote ---- */

static const char *const known_auth_opts[] = {
	"certs", "pubkeys", "eap_id", "aaa_id", "xauth_id", "groups", "cert_policy",
	"cacerts", "ca_id", "revocation", NULL,
};

static int build_auth(struct builder *b, const struct conf_section *s, const char *path,
                      struct conf_auth *auth)
{
	char p[PATHLEN];
	bool have_auth = false;
	int rc = 0;

	for (size_t i = 0; i < s->nsub; i++) {
		const struct conf_section *sub = s->sub[i];
		subpath(p, sizeof(p), path, sub->name);
		if (strncmp(sub->name, "cert", 4) == 0 || strncmp(sub->name, "cacert", 6) == 0)
			return fail(b, &sub->loc, p, "certificates are not supported by uipsec (PSK only)");
		return fail(b, &sub->loc, p, "unknown section");
	}
	for (size_t i = 0; i < s->nkv && !rc; i++) {
		const struct conf_kv *kv = &s->kv[i];
		uint64_t round;

		subpath(p, sizeof(p), path, kv->key);
		if (strcmp(kv->key, "auth") == 0) {
			const char *v = kv->value;

			if (!v)
				continue;
			if (strcasecmp(v, "psk") == 0) {
				auth->method = CONF_AUTH_PSK;
				have_auth = true;
			} else if (!strncasecmp(v, "pubkey", 6) || !strncasecmp(v, "rsa", 3) ||
			           !strncasecmp(v, "ecdsa", 5) || !strncasecmp(v, "ike:", 4) ||
			           !strncasecmp(v, "eap", 3) || !strncasecmp(v, "xauth", 5) ||
			           !strncasecmp(v, "bliss", 5)) {
				rc = fail(b, &kv->loc, p, "auth method '%s' not supported by uipsec (only psk)", v);
			} else {
				rc = fail(b, &kv->loc, p, "unknown auth method '%s' (uipsec supports psk)", v);
			}
		} else if (strcmp(kv->key, "id") == 0) {
			rc = get_id(b, kv, p, &auth->id, &auth->has_id);
		} else if (strcmp(kv->key, "round") == 0) {
			/* Orders rounds; with the single round uipsec allows it
			 * changes nothing, but it must be a number. */
			rc = get_uint(b, kv, p, 0, UINT32_MAX, &round);
		} else if (strncmp(kv->key, "cert", 4) == 0 || strncmp(kv->key, "cacert", 6) == 0) {
			rc = fail(b, &kv->loc, p, "certificates are not supported by uipsec (PSK only)");
		} else if (strcmp(kv->key, "pools") == 0 || strcmp(kv->key, "vips") == 0) {
			rc = fail(b, &kv->loc, p, "unknown option (%s is a connection option: "
			          "connections.<conn>.%s)", kv->key, kv->key);
		} else {
			rc = fail_option(b, kv, p, known_auth_opts);
		}
	}
	if (!rc && !have_auth)
		rc = fail(b, &s->loc, path,
		          "auth defaults to pubkey, which uipsec does not support: set auth = psk");
	return rc;
}

/* ---- children ---- */

static const char *const known_child_opts[] = {
	"ah_proposals", "sha256_96", "hostaccess", "policies",
	"policies_fwd_out", "ipcomp", "inactivity", "reqid", "priority", "interface",
	"mark_in", "mark_in_sa", "mark_out", "set_mark_in", "set_mark_out", "if_id_in",
	"if_id_out", "label", "label_mode", "tfc_padding", "hw_offload", "copy_df",
	"copy_ecn", "copy_dscp", NULL,
};

static const struct enum_map mode_map[] = {
	{ "tunnel", CONF_MODE_TUNNEL }, { "transport", CONF_MODE_TRANSPORT },
	{ "transport_proxy", -1 }, { "beet", -1 }, { "pass", -1 }, { "drop", -1 },
	{ NULL, 0 },
};

static const struct enum_map action_map[] = {
	{ "none", CONF_ACTION_NONE }, { "clear", CONF_ACTION_NONE },
	{ "trap", CONF_ACTION_TRAP }, { "route", CONF_ACTION_TRAP },
	{ "start", CONF_ACTION_START }, { "restart", CONF_ACTION_START }, { NULL, 0 },
};

/* start_action, close_action, dpd_action: one action or several joined by
 * '|' ("trap|start", blanks allowed), as charon 5.9.8 reads them. */
static int get_actions(struct builder *b, const struct conf_kv *kv, const char *path,
                       uint8_t *out)
{
	const char *s = kv->value;
	uint8_t bits = 0;

	if (!s)
		return 0;
	for (;;) {
		const char *bar = strchr(s, '|');
		size_t n = bar ? (size_t)(bar - s) : strlen(s);
		const struct enum_map *m;

		while (n && *s == ' ') {
			s++;
			n--;
		}
		while (n && s[n - 1] == ' ')
			n--;
		for (m = action_map; m->name; m++)
			if (strlen(m->name) == n && strncasecmp(s, m->name, n) == 0)
				break;
		if (!m->name)
			return fail(b, &kv->loc, path,
			            "invalid value '%s' (expected none, trap, start or trap|start)", kv->value);
		bits |= (uint8_t)m->value;
		if (!bar)
			break;
		s = bar + 1;
	}
	*out = bits;
	return 0;
}

static void child_clear(struct conf_child *ch)
{
	free(ch->name);
	free(ch->local_ts);
	free(ch->remote_ts);
	conf_list_free(ch->esp_proposals, ch->nesp_proposals);
	free(ch->updown);
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
	uint64_t rekey = UNSET, life = UNSET, rand = UNSET, replay = 32;
	uint64_t rbytes = UNSET, lbytes = UNSET, jbytes = UNSET;
	uint64_t rpkts = UNSET, lpkts = UNSET, jpkts = UNSET;
	char p[PATHLEN];
	int rc = 0;

	ch->name = strdup(s->name);
	if (!ch->name)
		return -ENOMEM;
	ch->file = s->loc.file;
	ch->line = s->loc.line;
	ch->mode = CONF_MODE_TUNNEL;
	for (size_t i = 0; i < s->nsub; i++)
		return fail(b, &s->sub[i]->loc, subpath(p, sizeof(p), path, s->sub[i]->name),
		            "unknown section");
	for (size_t i = 0; i < s->nkv && !rc; i++) {
		const struct conf_kv *kv = &s->kv[i];
		const char *k = kv->key;

		subpath(p, sizeof(p), path, k);
		if (strcmp(k, "local_ts") == 0)
			rc = get_tss(b, kv, p, &ch->local_ts, &ch->nlocal_ts);
		else if (strcmp(k, "remote_ts") == 0)
			rc = get_tss(b, kv, p, &ch->remote_ts, &ch->nremote_ts);
		else if (strcmp(k, "esp_proposals") == 0)
			rc = get_strings(b, kv, p, &ch->esp_proposals, &ch->nesp_proposals);
		else if (strcmp(k, "mode") == 0)
			rc = get_enum(b, kv, p, mode_map, "tunnel or transport", &ch->mode);
		else if (strcmp(k, "start_action") == 0)
			rc = get_actions(b, kv, p, &ch->start_action);
		else if (strcmp(k, "close_action") == 0)
			rc = get_actions(b, kv, p, &ch->close_action);
		else if (strcmp(k, "dpd_action") == 0)
			rc = get_actions(b, kv, p, &ch->dpd_action);
		else if (strcmp(k, "rekey_time") == 0)
			rc = get_duration(b, kv, p, &rekey);
		else if (strcmp(k, "life_time") == 0)
			rc = get_duration(b, kv, p, &life);
		else if (strcmp(k, "rand_time") == 0)
			rc = get_duration(b, kv, p, &rand);
		else if (strcmp(k, "rekey_bytes") == 0)
			rc = get_bytes(b, kv, p, &rbytes);
		else if (strcmp(k, "life_bytes") == 0)
			rc = get_bytes(b, kv, p, &lbytes);
		else if (strcmp(k, "rand_bytes") == 0)
			rc = get_bytes(b, kv, p, &jbytes);
		else if (strcmp(k, "rekey_packets") == 0)
			rc = get_uint(b, kv, p, 0, UINT64_MAX - 1, &rpkts);
		else if (strcmp(k, "life_packets") == 0)
			rc = get_uint(b, kv, p, 0, UINT64_MAX - 1, &lpkts);
		else if (strcmp(k, "rand_packets") == 0)
			rc = get_uint(b, kv, p, 0, UINT64_MAX - 1, &jpkts);
		else if (strcmp(k, "replay_window") == 0)
			rc = get_uint(b, kv, p, 0, CONF_REPLAY_WINDOW_MAX, &replay);
		else if (strcmp(k, "updown") == 0) {
			free(ch->updown);
			ch->updown = NULL;
			if (kv->value && !(ch->updown = strdup(kv->value)))
				rc = -ENOMEM;
		} else
			rc = fail_option(b, kv, p, known_child_opts);
	}
	if (rc)
		return rc;
	complete_lifetime(&rekey, &life, &rand, 3600);
	complete_lifetime(&rbytes, &lbytes, &jbytes, 0);
	complete_lifetime(&rpkts, &lpkts, &jpkts, 0);
	ch->rekey_time = rekey;
	ch->life_time = life;
	ch->rand_time = rand;
	ch->rekey_bytes = rbytes;
	ch->life_bytes = lbytes;
	ch->rand_bytes = jbytes;
	ch->rekey_packets = rpkts;
	ch->life_packets = lpkts;
	ch->rand_packets = jpkts;
	ch->replay_window = (uint32_t)replay;
	if ((rc = default_ts(&ch->local_ts, &ch->nlocal_ts)) ||
	    (rc = default_ts(&ch->remote_ts, &ch->nremote_ts)) ||
	    (rc = default_strings(&ch->esp_proposals, &ch->nesp_proposals, "default")))
		return rc;
	return 0;
}

/* ---- connections ---- */

static const char *const known_conn_opts[] = {
	"aggressive", "pull", "dscp", "send_certreq", "send_cert",
	"ppk_id", "ppk_required", "if_id_in", "if_id_out", "mediation",
	"mediated_by", "mediation_peer", NULL,
};

static const struct enum_map unique_map[] = {
	{ "no", CONF_UNIQUE_NO }, { "never", CONF_UNIQUE_NEVER },
	{ "keep", CONF_UNIQUE_KEEP }, { "replace", CONF_UNIQUE_REPLACE }, { NULL, 0 },
};

static const struct enum_map childless_map[] = {
	{ "allow", CONF_CHILDLESS_ALLOW }, { "force", CONF_CHILDLESS_FORCE },
	{ "never", CONF_CHILDLESS_NEVER }, { NULL, 0 },
};

static const struct enum_map frag_map[] = {
	{ "yes", CONF_FRAG_YES }, { "accept", CONF_FRAG_ACCEPT },
	{ "force", CONF_FRAG_FORCE }, { "no", CONF_FRAG_NO }, { NULL, 0 },
};

static void conn_clear(struct conf_conn *cn)
{
	free(cn->name);
	addrs_free(cn->local_addrs, cn->nlocal_addrs);
	addrs_free(cn->remote_addrs, cn->nremote_addrs);
	conf_list_free(cn->proposals, cn->nproposals);
	for (size_t i = 0; i < cn->nchildren; i++)
		child_clear(&cn->children[i]);
	free(cn->children);
	conf_conn_ra_free(cn);
	mem_wipe(&cn->local, sizeof(cn->local));
	mem_wipe(&cn->remote, sizeof(cn->remote));
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

	if (s->nkv)
		return fail(b, &s->kv[0].loc, subpath(p, sizeof(p), path, s->kv[0].key),
		            "unknown option (children holds one section per CHILD_SA)");
	cn->children = calloc(s->nsub ? s->nsub : 1, sizeof(*cn->children));
	if (!cn->children)
		return -ENOMEM;
	for (size_t i = 0; i < s->nsub && !rc; i++) {
		rc = build_child(b, s->sub[i], subpath(p, sizeof(p), path, s->sub[i]->name),
		                 &cn->children[i]);
		cn->nchildren++;   /* counted even on error, so it is freed */
	}
	return rc;
}

static int build_conn(struct builder *b, const struct conf_section *s, const char *path,
                      struct conf_conn *cn)
{
	uint64_t version = 0, lport = 500, rport = 500, tries = 1;
	uint64_t rekey = UNSET, reauth = UNSET, over = UNSET, rand = UNSET;
	const struct conf_section *local = NULL, *remote = NULL;
	char p[PATHLEN];
	int rc = 0;

	cn->name = strdup(s->name);
	if (!cn->name)
		return -ENOMEM;
	cn->file = s->loc.file;
	cn->line = s->loc.line;
	cn->mobike = true;
	cn->fragmentation = CONF_FRAG_YES;
	cn->unique = CONF_UNIQUE_NO;

	for (size_t i = 0; i < s->nkv && !rc; i++) {
		const struct conf_kv *kv = &s->kv[i];
		const char *k = kv->key;

		subpath(p, sizeof(p), path, k);
		if (strcmp(k, "version") == 0) {
			rc = get_uint(b, kv, p, 0, 2, &version);
			if (!rc && version == 1)
				rc = fail(b, &kv->loc, p, "IKEv1 is not supported by uipsec (use 2, or 0 for the default)");
		} else if (strcmp(k, "local_addrs") == 0)
			rc = get_addrs(b, kv, p, &cn->local_addrs, &cn->nlocal_addrs);
		else if (strcmp(k, "remote_addrs") == 0)
			rc = get_addrs(b, kv, p, &cn->remote_addrs, &cn->nremote_addrs);
		else if (strcmp(k, "local_port") == 0)
			rc = get_uint(b, kv, p, 1, 65535, &lport);
		else if (strcmp(k, "remote_port") == 0)
			rc = get_uint(b, kv, p, 1, 65535, &rport);
		else if (strcmp(k, "proposals") == 0)
			rc = get_strings(b, kv, p, &cn->proposals, &cn->nproposals);
		else if (strcmp(k, "encap") == 0)
			rc = get_bool(b, kv, p, &cn->encap);
		else if (strcmp(k, "mobike") == 0)
			rc = get_bool(b, kv, p, &cn->mobike);
		else if (strcmp(k, "fragmentation") == 0)
			rc = get_enum(b, kv, p, frag_map, "yes, accept, force or no", &cn->fragmentation);
		else if (strcmp(k, "unique") == 0)
			rc = get_enum(b, kv, p, unique_map, "no, never, keep or replace", &cn->unique);
		else if (strcmp(k, "childless") == 0)
			rc = get_enum(b, kv, p, childless_map, "allow, force or never", &cn->childless);
		else if (strcmp(k, "keyingtries") == 0)
			rc = get_uint(b, kv, p, 0, UINT32_MAX, &tries);
		else if (strcmp(k, "dpd_delay") == 0)
			rc = get_duration(b, kv, p, &cn->dpd_delay);
		else if (strcmp(k, "dpd_timeout") == 0)
			rc = get_duration(b, kv, p, &cn->dpd_timeout);
		else if (strcmp(k, "rekey_time") == 0)
			rc = get_duration(b, kv, p, &rekey);
		else if (strcmp(k, "reauth_time") == 0)
			rc = get_duration(b, kv, p, &reauth);
		else if (strcmp(k, "over_time") == 0)
			rc = get_duration(b, kv, p, &over);
		else if (strcmp(k, "rand_time") == 0)
			rc = get_duration(b, kv, p, &rand);
		else if (strcmp(k, "vips") == 0)
			rc = conf_vips_parse(kv, p, cn, b->err, b->errlen);
		else if (strcmp(k, "pools") == 0)
			rc = conf_conn_pools_parse(kv, p, cn, b->err, b->errlen);
		else
			rc = fail_option(b, kv, p, known_conn_opts);
	}
	for (size_t i = 0; i < s->nsub && !rc; i++) {
		const struct conf_section *sub = s->sub[i];

		subpath(p, sizeof(p), path, sub->name);
		if (strncmp(sub->name, "local", 5) == 0) {
			if (local)
				rc = fail(b, &sub->loc, p,
				          "a second local authentication round (also '%s'): uipsec supports one",
				          local->name);
			else if (!(rc = build_auth(b, sub, p, &cn->local)))
				local = sub;
		} else if (strncmp(sub->name, "remote", 6) == 0) {
			if (remote)
				rc = fail(b, &sub->loc, p,
				          "a second remote authentication round (also '%s'): uipsec supports one",
				          remote->name);
			else if (!(rc = build_auth(b, sub, p, &cn->remote)))
				remote = sub;
		} else if (strcmp(sub->name, "children") == 0) {
			rc = build_children(b, sub, p, cn);
		} else {
			rc = fail(b, &sub->loc, p, "unknown section");
		}
	}
	if (rc)
		return rc;
	if (!local)
		return fail(b, &s->loc, path, "no local section: uipsec needs local { auth = psk }");
	if (!remote)
		cn->remote.method = CONF_AUTH_PSK;   /* charon: an empty remote round accepts any */

	cn->version = (unsigned)version;
	cn->local_port = (uint16_t)lport;
	cn->remote_port = (uint16_t)rport;
	cn->keyingtries = (uint32_t)tries;
	/* IKE lifetimes as charon's vici plugin completes them. */
	if (rekey == UNSET && reauth == UNSET) {
		rekey = 4 * 3600;
		reauth = 0;
	}
	if (rekey == UNSET)
		rekey = 0;
	if (reauth == UNSET)
		reauth = 0;
	if (over == UNSET)
		over = (rekey > reauth ? rekey : reauth) / 10;
	if (rand == UNSET) {
		uint64_t base = (rekey && reauth) ? (rekey < reauth ? rekey : reauth)
		                                  : (rekey > reauth ? rekey : reauth);
		rand = over < base / 2 ? over : base / 2;
	}
	cn->rekey_time = rekey;
	cn->reauth_time = reauth;
	cn->over_time = over;
	cn->rand_time = rand;
	if ((rc = default_addrs(&cn->local_addrs, &cn->nlocal_addrs)) ||
	    (rc = default_addrs(&cn->remote_addrs, &cn->nremote_addrs)) ||
	    (rc = default_strings(&cn->proposals, &cn->nproposals, "default")))
		return rc;
	return 0;
}

/* ---- secrets ---- */

static const char *const unsupported_secrets[] = {
	"eap", "xauth", "ntlm", "ppk", "private", "rsa", "ecdsa", "pkcs8", "pkcs12", "token", NULL,
};

static void secret_clear(struct conf_secret *sec)
{
	free(sec->name);
	free(sec->ids);
	if (sec->secret)
		mem_free_wipe(sec->secret, sec->secret_len);
	memset(sec, 0, sizeof(*sec));
}

static int build_ike_secret(struct builder *b, const struct conf_section *s, const char *path,
                            struct conf_secret *sec)
{
	char p[PATHLEN];
	int rc = 0;

	sec->name = strdup(s->name);
	if (!sec->name)
		return -ENOMEM;
	for (size_t i = 0; i < s->nsub; i++)
		return fail(b, &s->sub[i]->loc, subpath(p, sizeof(p), path, s->sub[i]->name),
		            "unknown section");
	sec->ids = calloc(s->nkv ? s->nkv : 1, sizeof(*sec->ids));
	if (!sec->ids)
		return -ENOMEM;
	for (size_t i = 0; i < s->nkv && !rc; i++) {
		const struct conf_kv *kv = &s->kv[i];

		subpath(p, sizeof(p), path, kv->key);
		if (strcmp(kv->key, "secret") == 0) {
			if (sec->secret) {
				mem_free_wipe(sec->secret, sec->secret_len);
				sec->secret = NULL;
			}
			if (!kv->value)
				continue;
			rc = conf_parse_secret(kv->value, &sec->secret, &sec->secret_len);
			if (rc == -EINVAL)
				/* The value is secret: don't echo it. */
				rc = fail(b, &kv->loc, p, "invalid secret (text, 0x followed by hex, or 0s followed by base64; not empty)");
		} else if (strncmp(kv->key, "id", 2) == 0) {
			if (kv->value && !(rc = get_id(b, kv, p, &sec->ids[sec->nids], NULL)))
				sec->nids++;
		} else {
			rc = fail(b, &kv->loc, p, "unknown option (an ike secret has id<suffix> and secret)");
		}
	}
	if (!rc && !sec->secret)
		rc = fail(b, &s->loc, path, "no secret");
	return rc;
}

static int build_secrets(struct builder *b, const struct conf_section *s, struct conf *c)
{
	char p[PATHLEN];
	int rc = 0;

	if (s->nkv)
		return fail(b, &s->kv[0].loc, subpath(p, sizeof(p), "secrets", s->kv[0].key),
		            "unknown option (secrets holds one section per secret)");
	c->secrets = calloc(s->nsub ? s->nsub : 1, sizeof(*c->secrets));
	if (!c->secrets)
		return -ENOMEM;
	for (size_t i = 0; i < s->nsub && !rc; i++) {
		const struct conf_section *sub = s->sub[i];
		bool other = false;

		subpath(p, sizeof(p), "secrets", sub->name);
		for (const char *const *t = unsupported_secrets; *t; t++)
			if (strncmp(sub->name, *t, strlen(*t)) == 0)
				other = true;
		if (strncmp(sub->name, "ike", 3) == 0) {
			rc = build_ike_secret(b, sub, p, &c->secrets[c->nsecrets]);
			c->nsecrets++;
		} else if (other) {
			rc = fail(b, &sub->loc, p, "secret type not supported by uipsec (only ike pre-shared keys)");
		} else {
			rc = fail(b, &sub->loc, p, "unknown secret type (section names start with the type, e.g. ike-gw)");
		}
	}
	return rc;
}

/* ---- top level ---- */

static int build(struct builder *b, const struct conf_section *root, struct conf *c)
{
	const struct conf_section *conns = NULL;
	char p[PATHLEN];
	int rc = 0;

	if (root->nkv)
		return fail(b, &root->kv[0].loc, root->kv[0].key, "unknown option at the top level");
	for (size_t i = 0; i < root->nsub && !rc; i++) {
		const struct conf_section *s = root->sub[i];

		if (strcmp(s->name, "connections") == 0)
			conns = s;
		else if (strcmp(s->name, "secrets") == 0)
			rc = build_secrets(b, s, c);
		else if (strcmp(s->name, "pools") == 0)
			rc = conf_pools_build(s, c, b->err, b->errlen);
		else if (strcmp(s->name, "authorities") == 0)
			rc = fail(b, &s->loc, s->name, "section not supported by uipsec");
		else if (!s->referenced)
			/* Top-level sections other than these are templates for
			 * section references; one nobody references is a mistake. */
			rc = fail(b, &s->loc, s->name,
			          "unknown section (expected connections or secrets, or a template that a section references)");
	}
	if (rc || !conns)
		return rc;
	if (conns->nkv)
		return fail(b, &conns->kv[0].loc, subpath(p, sizeof(p), "connections", conns->kv[0].key),
		            "unknown option (connections holds one section per connection)");
	c->conns = calloc(conns->nsub ? conns->nsub : 1, sizeof(*c->conns));
	if (!c->conns)
		return -ENOMEM;
	for (size_t i = 0; i < conns->nsub && !rc; i++) {
		rc = build_conn(b, conns->sub[i], subpath(p, sizeof(p), "connections", conns->sub[i]->name),
		                &c->conns[i]);
		c->nconns++;
	}
	return rc;
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
	conf_pools_free(c);
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c);
}

static int load_tree(struct conf_tree *t, struct conf **out, char *err, size_t errlen)
{
	struct builder b = { .err = err, .errlen = errlen };
	struct conf *c;
	int rc;

	rc = conf_settings_resolve(t, err, errlen);
	if (rc)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	/* The model keeps the file names its conn->file/child->file point at. */
	c->files = t->files;
	c->nfiles = t->nfiles;
	t->files = NULL;
	t->nfiles = 0;
	rc = build(&b, t->root, c);
	if (rc) {
		conf_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int conf_load(const char *path, struct conf **out, char *err, size_t errlen)
{
	struct conf_tree *t;
	int rc;

	*out = NULL;
	rc = conf_settings_parse_file(path, 0, &t, err, errlen);
	if (rc)
		return rc;
	rc = load_tree(t, out, err, errlen);
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
	rc = load_tree(t, out, err, errlen);
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
