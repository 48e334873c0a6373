/* swanctl.conf model -> struct ike_conn_cfg (see ctl_conf.h). The model
 * was checked against the option table when it was read; this maps each
 * supported field into the IKE core's configuration. An option the IKE
 * core learns to run is turned on in the table (conf/conf_options.c) and
 * carried over here. Runs on the daemon's loop (getaddrinfo may block on
 * DNS, as charon's does). */
#include "ctl/ctl_conf.h"
#include "conf/conf.h"
#include "crypto/x509_verify.h"
#include "ctl/ctl_creds.h"
#include "ctl/ike_ctl.h"
#include "ike/ike.h"
#include "ike/ike_proto.h"
#include "util/log.h"

#include <errno.h>
#include <netdb.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The option table refuses what the IKE core cannot carry by conf's own
 * copies of its limits; they must be the IKE core's. */
_Static_assert(CONF_TS_MAX == IKE_TS_MAX, "conf and IKE disagree on traffic selectors");
_Static_assert(CONF_NAME_MAX + 1 == sizeof(((struct ike_conn_cfg *)0)->name),
               "conf and IKE disagree on connection names");
_Static_assert(CONF_NAME_MAX + 1 == sizeof(((struct ike_child_cfg *)0)->name),
               "conf and IKE disagree on child names");

/* The errors of one connection: every one is kept (one line each, in the
 * order found), so that a file's mistakes show at once. */
struct errs {
	char *buf;
	size_t len, used;
	unsigned n;
};

__attribute__((format(printf, 4, 5)))
static int refuse(struct errs *e, const struct conf_loc *at, const char *path,
                  const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	e->n++;
	n = snprintf(line, sizeof(line), "%s:%u:%u: %s: ", at->file ? at->file : "?", at->line,
	             at->col, path);
	if (n >= 0 && (size_t)n < sizeof(line)) {
		va_start(ap, fmt);
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	if (e->buf && e->len && e->used + 1 < e->len) {
		n = snprintf(e->buf + e->used, e->len - e->used, "%s%s", e->used ? "\n" : "", line);
		if (n > 0)
			e->used += (size_t)n < e->len - e->used ? (size_t)n : e->len - e->used - 1;
	}
	return -EINVAL;
}

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

/* Is name a pre-shared key of IKE (ike, ike-NAME)? */
static bool is_ike_secret(const char *name)
{
	return !strncmp(name, "ike", 3) && (!name[3] || name[3] == '-');
}

static bool has_ike_secret(const struct conf *c)
{
	for (size_t i = 0; i < c->nsecrets; i++)
		if (is_ike_secret(c->secrets[i].name) && c->secrets[i].secret_len)
			return true;
	return false;
}

/* Our (their) identity for the PSK lookup: the configured one, or the IKE
 * address if none is configured. */
static struct conf_id lookup_id(const struct conf_auth *a, const struct ip_addr *addr)
{
	struct conf_id id = a->id;

	if (!a->has_id && addr->family) {
		memset(&id, 0, sizeof(id));
		id.type = addr->family == AF_INET ? CONF_ID_IPV4_ADDR : CONF_ID_IPV6_ADDR;
		id.len = (uint16_t)ip_addr_len(addr);
		memcpy(id.data, addr->a, id.len);
	}
	return id;
}

/* The authentication class of one end (local/remote auth = ...). A
 * missing remote section means psk; eap is EAP-MSCHAPv2 (the table
 * refuses the eap-<method>s it knows; one it does not know is refused
 * here); anything else is refused here rather than taken for psk. */
static int auth_class(const struct conf_conn *cc, const struct conf_auth *a, bool ours,
                      uint8_t *cls, struct errs *e)
{
	struct conf_loc at = { cc->file, cc->line, cc->col };

	switch (a->method) {
	case 0:
	case CONF_AUTH_PSK:
		*cls = IKE_AUTH_CLASS_PSK;
		return 0;
	case CONF_AUTH_PUBKEY:
		*cls = IKE_AUTH_CLASS_PUBKEY;
		return 0;
	case CONF_AUTH_EAP:
		*cls = IKE_AUTH_CLASS_EAP;
		if (!a->auth || !strcasecmp(a->auth, "eap") || !strcasecmp(a->auth, "eap-mschapv2"))
			return 0;
		return refuse(e, &at, cc->path, "%s auth = %s: uipsec has EAP-MSCHAPv2 only "
		              "(auth = eap-mschapv2)", ours ? "local" : "remote", a->auth);
	default:
		return refuse(e, &at, cc->path, "%s auth method (%u) is not carried to uipsec's IKE",
		              ours ? "our" : "the peer's", a->method);
	}
}

/* strongSwan's own _updown (its iptables rules are for kernel IPsec). */
static bool updown_is_default(const char *cmd)
{
	size_t n = strcspn(cmd, " \t");
	const char *base = cmd + n;

	while (base > cmd && base[-1] != '/')
		base--;
	return (size_t)(cmd + n - base) == strlen("_updown") && !strncmp(base, "_updown", 7);
}

static void child_to_ike(const struct conf_child *ch, struct ike_child_cfg *k, struct errs *e)
{
	char props[2048], why[256], path[600];
	struct conf_loc at;

	snprintf(k->name, sizeof(k->name), "%s", ch->name);
	ts_from_conf(&k->local_ts, ch->local_ts, ch->nlocal_ts);
	ts_from_conf(&k->remote_ts, ch->remote_ts, ch->nremote_ts);
	if (join_proposals(ch->esp_proposals, ch->nesp_proposals, IKE_CTL_DEFAULT_ESP, props,
	                   sizeof(props)) ||
	    ike_proposals_parse(props, IKE_PROTO_ESP, &k->esp, why, sizeof(why))) {
		at = conf_child_where(ch, offsetof(struct conf_child, esp_proposals), path,
		                      sizeof(path));
		refuse(e, &at, path, "%.200s", why);
	}
	k->transport = ch->mode == CONF_MODE_TRANSPORT;
	k->start_action = (ch->start_action & CONF_START_START) ? IKE_ACTION_START :
	                  (ch->start_action & CONF_START_TRAP) ? IKE_ACTION_TRAP : IKE_ACTION_NONE;
	k->close_action = ch->close_action == CONF_ACTION_START ? IKE_ACTION_START :
	                  ch->close_action == CONF_ACTION_TRAP ? IKE_ACTION_TRAP : IKE_ACTION_NONE;
	/* clear, trap, restart (restart is CONF_ACTION_START) */
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
	k->hostaccess = ch->hostaccess;
	if (ch->updown && ch->updown[0]) {
		if (strlen(ch->updown) >= sizeof(k->updown)) {
			at = conf_child_where(ch, offsetof(struct conf_child, updown), path,
			                      sizeof(path));
			refuse(e, &at, path, "an updown command longer than %zu characters",
			       sizeof(k->updown) - 1);
		} else {
			snprintf(k->updown, sizeof(k->updown), "%s", ch->updown);
		}
		if (updown_is_default(ch->updown))
			log_info("%s: updown '%s': strongSwan's default script, written for the "
			         "kernel's IPsec: it is run as charon runs it, but its iptables rules "
			         "match IPsec policies ('-m policy --pol ipsec') that uipsec's traffic "
			         "through its TUN device never has, and uipsec routes into its TUN "
			         "device itself (docs/updown.md)", ch->path, ch->updown);
	}
}

/* An identity for the IKE core: distinguished names (kept as text by
 * conf) through the crypto layer's parser, the rest as conf parsed them. */
static int id_to_ike(const struct conf_id *c, struct ike_id *out, char *why, size_t len)
{
	char text[CONF_ID_MAX + 1];

	if (c->type == CONF_ID_DER_ASN1_DN && c->len && memchr(c->data, '=', c->len) &&
	    !memchr(c->data, 0, c->len)) {
		memcpy(text, c->data, c->len);
		text[c->len] = '\0';
		return ctl_creds_id(text, out, why, len);
	}
	id_from_conf(out, c);
	return 0;
}

static uint8_t revocation_of(uint8_t r)
{
	return r == CONF_REVOCATION_STRICT ? CRYPTO_REVOCATION_STRICT :
	       r == CONF_REVOCATION_IFURI ? CRYPTO_REVOCATION_IFURI : CRYPTO_REVOCATION_RELAXED;
}

/* One end's public-key configuration from its certs, pubkeys, cacerts,
 * ca_id, revocation and auth constraints. */
static void pubkey_end(const struct conf_conn *cc, const struct conf_auth *a, bool remote,
                       const struct ctl_conf_env *env, struct ike_pubkey_cfg *out, struct errs *e)
{
	struct ctl_pk_spec spec = {
		.auth = a->auth, .certs = a->certs, .ncerts = a->ncerts, .pubkeys = a->pubkeys,
		.npubkeys = a->npubkeys, .cacerts = a->cacerts, .ncacerts = a->ncacerts,
		.ca_id = a->ca_id && a->ca_id[0] ? a->ca_id : NULL,
		.revocation = revocation_of(a->revocation),
	};
	struct conf_loc at = { cc->file, cc->line, cc->col };
	char why[768];

	if (!env || !env->store) {
		refuse(e, &at, cc->path, "%s auth = pubkey: no credential store here (certificates "
		       "are loaded from swanctl's folders beside the file uipsecd reads)",
		       remote ? "remote" : "local");
		return;
	}
	if (ctl_creds_pubkey_cfg(env->store, env->confdir, &spec, remote, out, why, sizeof(why)))
		refuse(e, &at, cc->path, "%s", why);
}

/* EAP: the method and the eap_ids. */
static void eap_to_ike(const struct conf *c, const struct conf_conn *cc, struct ike_conn_cfg *cfg,
                       struct errs *e)
{
	struct conf_loc at = { cc->file, cc->line, cc->col };
	char why[256];

	cfg->eap_type = 26;   /* MSCHAPv2 */
	if (cc->local.has_eap_id) {
		cfg->has_local_eap_id = true;
		if (cc->local.eap_id.type != CONF_ID_ANY &&
		    id_to_ike(&cc->local.eap_id, &cfg->local_eap_id, why, sizeof(why)))
			refuse(e, &at, cc->path, "local.eap_id: %s", why);
	}
	if (cc->remote.has_eap_id) {
		cfg->has_remote_eap_id = true;
		if (cc->remote.eap_id.type != CONF_ID_ANY &&
		    id_to_ike(&cc->remote.eap_id, &cfg->remote_eap_id, why, sizeof(why)))
			refuse(e, &at, cc->path, "remote.eap_id: %s", why);
	}
	/* the secrets are the IKE core's table (ctl_conf_psks_apply, or
	 * VICI load-shared), looked up by EAP identity at IKE_AUTH, as charon
	 * finds a missing one there; a file's password too long is refused */
	for (size_t i = 0; i < c->nsecrets; i++)
		if (c->secrets[i].eap && c->secrets[i].secret_len > IKE_PSK_MAX)
			refuse(e, &at, cc->path, "secrets.%s: an EAP password longer than %d bytes",
			       c->secrets[i].name, IKE_PSK_MAX);
}

int ctl_conf_to_ike(const struct conf *c, const struct conf_conn *cc,
                    const struct ctl_conf_env *env, struct ike_conn_cfg *cfg, char *err,
                    size_t errlen)
{
	struct errs e = { .buf = err, .len = errlen };
	char props[2048], why[256], path[600];
	struct conf_loc at = { cc->file, cc->line, cc->col };
	struct conf_id me, other;
	const struct conf_secret *s;
	bool any;

	memset(cfg, 0, sizeof(*cfg));
	if (err && errlen)
		err[0] = '\0';
	if (c->model_only)
		/* our bug: such a model may hold what the IKE core cannot carry */
		return refuse(&e, &at, cc->path, "read for the model only, not for uipsecd");
	snprintf(cfg->name, sizeof(cfg->name), "%s", cc->name);
	if (pick_addr(cc->local_addrs, cc->nlocal_addrs, &cfg->local_addr, &any)) {
		at = conf_conn_where(cc, offsetof(struct conf_conn, local_addrs), path, sizeof(path));
		refuse(&e, &at, path, "cannot resolve %s", cc->local_addrs[0].dns);
	}
	if (pick_addr(cc->remote_addrs, cc->nremote_addrs, &cfg->remote_addr, &any)) {
		at = conf_conn_where(cc, offsetof(struct conf_conn, remote_addrs), path, sizeof(path));
		refuse(&e, &at, path, "cannot resolve %s", cc->remote_addrs[0].dns);
	}
	cfg->local_port = cc->local_port;
	cfg->remote_port = cc->remote_port;
	cfg->childless = cc->childless == CONF_CHILDLESS_FORCE ? IKE_CHILDLESS_FORCE :
	                 cc->childless == CONF_CHILDLESS_NEVER ? IKE_CHILDLESS_NEVER :
	                 IKE_CHILDLESS_ALLOW;
	if (join_proposals(cc->proposals, cc->nproposals, IKE_CTL_DEFAULT_IKE, props, sizeof(props)) ||
	    ike_proposals_parse(props, IKE_PROTO_IKE, &cfg->ike, why, sizeof(why))) {
		at = conf_conn_where(cc, offsetof(struct conf_conn, proposals), path, sizeof(path));
		refuse(&e, &at, path, "%.200s", why);
	}
	auth_class(cc, &cc->local, true, &cfg->local_auth, &e);
	auth_class(cc, &cc->remote, false, &cfg->remote_auth, &e);
	/* IKE fragmentation (RFC 7383), as charon's ike_cfg has it */
	cfg->fragmentation = cc->fragmentation == CONF_FRAG_ACCEPT ? IKE_FRAG_ACCEPT :
	                     cc->fragmentation == CONF_FRAG_FORCE ? IKE_FRAG_FORCE :
	                     cc->fragmentation == CONF_FRAG_NO ? IKE_FRAG_NO : IKE_FRAG_YES;
	at = (struct conf_loc){ cc->file, cc->line, cc->col };
	if (cc->local.has_id && id_to_ike(&cc->local.id, &cfg->local_id, why, sizeof(why)))
		refuse(&e, &at, cc->path, "local.id: %s", why);
	if (cc->remote.has_id && id_to_ike(&cc->remote.id, &cfg->remote_id, why, sizeof(why)))
		refuse(&e, &at, cc->path, "remote.id: %s", why);
	cfg->send_cert = cc->send_cert == CONF_SEND_CERT_ALWAYS ? IKE_SEND_CERT_ALWAYS :
	                 cc->send_cert == CONF_SEND_CERT_NEVER ? IKE_SEND_CERT_NEVER :
	                 IKE_SEND_CERT_IFASKED;
	cfg->no_certreq = !cc->send_certreq;
	if (cfg->local_auth == IKE_AUTH_CLASS_PUBKEY) {
		char line[1024];
		const char *w;

		pubkey_end(cc, &cc->local, false, env, &cfg->local_pk, &e);
		if (cc->local.has_id && (w = ctl_creds_id_check(&cfg->local_pk, &cfg->local_id, line,
		                                                sizeof(line))))
			log_warn("%s:%u:%u: %s: %s", cc->file ? cc->file : "?", cc->line, cc->col,
			         cc->path, w);
	}
	if (cfg->remote_auth == IKE_AUTH_CLASS_PUBKEY)
		pubkey_end(cc, &cc->remote, true, env, &cfg->remote_pk, &e);

	/* the PSK, chosen as charon does: by our identity (our address if
	 * none is configured) and the peer's; only where an end uses one */
	me = lookup_id(&cc->local, &cfg->local_addr);
	other = lookup_id(&cc->remote, &cfg->remote_addr);
	s = cfg->local_auth == IKE_AUTH_CLASS_PSK || cfg->remote_auth == IKE_AUTH_CLASS_PSK ?
	    conf_secret_find_ike(c, &me, &other) : NULL;
	if (cfg->local_auth != IKE_AUTH_CLASS_PSK && cfg->remote_auth != IKE_AUTH_CLASS_PSK) {
		/* no pre-shared key needed */
	} else if (s && s->secret_len > IKE_PSK_MAX) {
		refuse(&e, &at, cc->path, "its pre-shared key (secrets.%s) is longer than %d bytes",
		       s->name, IKE_PSK_MAX);
	} else if (!s && (!cc->remote.has_id || cc->remote.id.type == CONF_ID_ANY) &&
	           has_ike_secret(c)) {
		/* any peer: its secret is found by its identity at IKE_AUTH
		 * (ctl_conf_psks_apply), as charon finds it */
	} else if (!s || s->secret_len == 0) {
		char a[600], b[600];

		refuse(&e, &at, cc->path, "no pre-shared key in secrets for '%s' - '%s'",
		       conf_id_fmt(&me, a, sizeof(a)), conf_id_fmt(&other, b, sizeof(b)));
	} else {
		memcpy(cfg->psk, s->secret, s->secret_len);
		cfg->psk_len = s->secret_len;
	}
	if (cfg->local_auth == IKE_AUTH_CLASS_EAP || cfg->remote_auth == IKE_AUTH_CLASS_EAP)
		eap_to_ike(c, cc, cfg, &e);
	cfg->dpd_delay = (uint32_t)cc->dpd_delay;
	/* charon reads dpd_timeout for IKEv1 only: IKEv2 liveness checks end
	 * with the retransmission settings, and so do uipsec's */
	if (cc->dpd_timeout) {
		struct conf_loc f = conf_conn_where(cc, offsetof(struct conf_conn, dpd_timeout), path,
		                                    sizeof(path));

		log_info("%s:%u:%u: %s applies to IKEv1 only (as in charon); an IKEv2 liveness check "
		         "gives up as the retransmission settings say", f.file ? f.file : "?", f.line,
		         f.col, path);
	}
	cfg->rekey_time = (uint32_t)cc->rekey_time;
	cfg->reauth_time = (uint32_t)cc->reauth_time;
	cfg->over_time = (uint32_t)cc->over_time;
	cfg->rand_time = (uint32_t)cc->rand_time;
	cfg->keyingtries = cc->keyingtries;
	cfg->unique_never = cc->unique == CONF_UNIQUE_NEVER;
	cfg->unique_keep = cc->unique == CONF_UNIQUE_KEEP;
	cfg->unique_replace = cc->unique == CONF_UNIQUE_REPLACE;
	cfg->encap = cc->encap;
	cfg->no_mobike = !cc->mobike;
	/* remote access: vips as a client, pools as a gateway */
	for (size_t i = 0; i < cc->nvips && i < 2; i++) {
		cfg->vip_req[cfg->nvips] = cc->vip_req[i];
		cfg->vip_family[cfg->nvips++] = cc->vips[i];
	}
	for (size_t i = 0; i < cc->npools && i < IKE_CONN_POOLS_MAX; i++)
		snprintf(cfg->pools[cfg->npools++], sizeof(cfg->pools[0]), "%s", cc->pools[i]);
	/* any number of children: the IKE core copies the array (ike_conn_add);
	 * the caller frees cfg->children */
	if (cc->nchildren > UINT32_MAX / sizeof(*cfg->children))
		return refuse(&e, &at, cc->path, "too many children");
	if (cc->nchildren && !(cfg->children = calloc(cc->nchildren, sizeof(*cfg->children)))) {
		refuse(&e, &at, cc->path, "out of memory");
		return -ENOMEM;
	}
	cfg->nchildren = (unsigned)cc->nchildren;
	for (size_t i = 0; i < cc->nchildren; i++)
		child_to_ike(&cc->children[i], &cfg->children[i], &e);
	return e.n ? -EINVAL : 0;
}

int ctl_conf_psks_apply(struct ike_ctx *ike, const struct conf *c, char *err, size_t errlen)
{
	struct ike_psk_cfg *t = calloc(c->nsecrets ? c->nsecrets : 1, sizeof(*t));
	struct ike_id **ids = calloc(c->nsecrets ? c->nsecrets : 1, sizeof(*ids));
	unsigned n = 0;
	int rc = 0;

	if (!t || !ids) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < c->nsecrets; i++) {
		const struct conf_secret *s = &c->secrets[i];
		char why[256];

		/* ike, ike-NAME: shared keys of IKE; eap-NAME: EAP passwords
		 * (xauth-, ppk- are neither) */
		bool eap = s->eap;

		if (!eap && !is_ike_secret(s->name))
			continue;
		if (s->secret_len > IKE_PSK_MAX)
			continue;   /* refused for the connections that would use it */
		if (s->nids && !(ids[n] = calloc(s->nids, sizeof(**ids)))) {
			rc = -ENOMEM;
			goto out;
		}
		for (size_t k = 0; k < s->nids; k++)
			if (id_to_ike(&s->ids[k], &ids[n][k], why, sizeof(why))) {
				snprintf(err, errlen, "secrets.%s: %s", s->name, why);
				rc = -EINVAL;
				n++;
				goto out;
			}
		t[n] = (struct ike_psk_cfg){ .ids = ids[n], .nids = (unsigned)s->nids,
		                             .key = s->secret, .len = s->secret_len,
		                             .type = eap ? IKE_SHARED_EAP : IKE_SHARED_IKE };
		n++;
	}
	if ((rc = ike_psks_set(ike, IKE_PSK_FILE, t, n)))
		snprintf(err, errlen, "pre-shared keys: %s", strerror(-rc));
out:
	for (unsigned i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
	free(t);
	return rc;
}
