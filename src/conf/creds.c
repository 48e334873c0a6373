/* swanctl's credential folders (swanctl/commands/load_creds.c, and the
 * daemon side in vici_cred.c: a CA certificate from any folder is an
 * authority; x509ca/ refuses certificates without the CA basic
 * constraint). Files are read whole, sorted by name, non-recursively;
 * key file bytes are wiped after parsing. Runs at start-up and reload on
 * the control loop. */
#include "conf/creds.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"
#include "util/log.h"
#include "util/mem.h"

#define CERT_FILE_MAX (1u << 20)
#define KEY_FILE_MAX (1u << 20)

struct cert_entry {
	struct crypto_cert *cert;
	enum creds_kind origin;
	char *path;
};

struct crl_entry {
	struct crypto_crl *crl;
	char *path;
};

struct pub_entry {
	struct crypto_pubkey *pub;
	char *path;
};

struct key_entry {
	struct crypto_privkey *key;
	char *path;
};

struct creds {
	struct cert_entry *certs;
	size_t ncerts, capcerts;
	struct crl_entry *crls;
	size_t ncrls, capcrls;
	struct pub_entry *pubs;
	size_t npubs, cappubs;
	struct key_entry *keys;
	size_t nkeys, capkeys;
	struct crypto_trust *trust;
	/* during creds_load_dir_keep only: the store this one replaces */
	struct creds *prev;
};

static const char *const dirs[CREDS_KIND_MAX] = {
	[CREDS_X509] = "x509", [CREDS_X509CA] = "x509ca", [CREDS_X509OCSP] = "x509ocsp",
	[CREDS_X509AA] = "x509aa", [CREDS_X509AC] = "x509ac", [CREDS_X509CRL] = "x509crl",
	[CREDS_PUBKEY] = "pubkey", [CREDS_PRIVATE] = "private", [CREDS_RSA] = "rsa",
	[CREDS_ECDSA] = "ecdsa", [CREDS_BLISS] = "bliss", [CREDS_PKCS8] = "pkcs8",
	[CREDS_PKCS12] = "pkcs12",
};

const char *creds_kind_dir(enum creds_kind k)
{
	return (unsigned)k < CREDS_KIND_MAX ? dirs[k] : "?";
}

int creds_secret_kind(const char *section)
{
	/* swanctl: strpfx(section, type) for the key folders */
	static const enum creds_kind kinds[] = { CREDS_PRIVATE, CREDS_RSA, CREDS_ECDSA,
	                                         CREDS_PKCS8, CREDS_PKCS12 };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strncmp(section, dirs[kinds[i]], strlen(dirs[kinds[i]])) == 0)
			return (int)kinds[i];
	return -1;
}

/* ---- report ---- */

static void report(struct creds_report *r, enum creds_outcome o, const char *path,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void report(struct creds_report *r, enum creds_outcome o, const char *path,
                   const char *fmt, ...)
{
	struct creds_event *e;
	va_list ap;

	if (!r)
		return;
	if (mem_array_grow((void **)&r->ev, &r->cap, r->n, sizeof(*r->ev)))
		return;
	e = &r->ev[r->n++];
	memset(e, 0, sizeof(*e));
	e->outcome = o;
	snprintf(e->path, sizeof(e->path), "%s", path);
	va_start(ap, fmt);
	vsnprintf(e->what, sizeof(e->what), fmt, ap);
	va_end(ap);
	if (o == CREDS_LOADED)
		r->loaded++;
	else if (o == CREDS_REFUSED)
		r->refused++;
}

void creds_report_free(struct creds_report *r)
{
	free(r->ev);
	memset(r, 0, sizeof(*r));
}

static void event_line(const struct creds_event *e, char *buf, size_t len)
{
	switch (e->outcome) {
	case CREDS_LOADED: snprintf(buf, len, "loaded %s from %s", e->what, e->path); break;
	case CREDS_REFUSED: snprintf(buf, len, "refused %s: %s", e->path, e->what); break;
	default: snprintf(buf, len, "%s: %s", e->path, e->what); break;
	}
}

void creds_report_print(const struct creds_report *r, FILE *out)
{
	char line[PATH_MAX + 600];

	for (size_t i = 0; i < r->n; i++) {
		event_line(&r->ev[i], line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
}

void creds_report_log(const struct creds_report *r)
{
	char line[PATH_MAX + 600];

	for (size_t i = 0; i < r->n; i++) {
		event_line(&r->ev[i], line, sizeof(line));
		if (r->ev[i].outcome == CREDS_LOADED)
			log_info("creds: %s", line);
		else
			log_warn("creds: %s", line);
	}
}

/* ---- store ---- */

struct creds *creds_new(void)
{
	struct creds *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->trust = crypto_trust_new();
	if (!c->trust) {
		free(c);
		return NULL;
	}
	return c;
}

void creds_free(struct creds *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ncerts; i++) {
		crypto_cert_free(c->certs[i].cert);
		free(c->certs[i].path);
	}
	for (size_t i = 0; i < c->ncrls; i++) {
		crypto_crl_free(c->crls[i].crl);
		free(c->crls[i].path);
	}
	for (size_t i = 0; i < c->npubs; i++) {
		crypto_pubkey_free(c->pubs[i].pub);
		free(c->pubs[i].path);
	}
	for (size_t i = 0; i < c->nkeys; i++) {
		crypto_privkey_free(c->keys[i].key);
		free(c->keys[i].path);
	}
	free(c->certs);
	free(c->crls);
	free(c->pubs);
	free(c->keys);
	crypto_trust_free(c->trust);
	free(c);
}

static const struct cert_entry *cert_by_path(const struct creds *c, const char *path)
{
	for (size_t i = 0; i < c->ncerts; i++)
		if (c->certs[i].path && strcmp(c->certs[i].path, path) == 0)
			return &c->certs[i];
	return NULL;
}

/* Add a certificate (one reference taken). Duplicates (same DER) keep the
 * first entry (*dup set to its path). Returns the stored certificate. */
static const struct crypto_cert *add_cert(struct creds *c, struct crypto_cert *cert,
                                          enum creds_kind origin, const char *path, const char **dup)
{
	char *p;

	*dup = NULL;
	for (size_t i = 0; i < c->ncerts; i++)
		if (crypto_cert_equal(c->certs[i].cert, cert)) {
			*dup = c->certs[i].path;
			return c->certs[i].cert;
		}
	if (mem_array_grow((void **)&c->certs, &c->capcerts, c->ncerts, sizeof(*c->certs)))
		return NULL;
	p = strdup(path);
	if (!p)
		return NULL;
	c->certs[c->ncerts].cert = crypto_cert_ref(cert);
	c->certs[c->ncerts].origin = origin;
	c->certs[c->ncerts].path = p;
	return c->certs[c->ncerts++].cert;
}

static size_t count_pem(const uint8_t *d, size_t n, const char *label)
{
	char mark[64];
	size_t ml, k = 0;

	snprintf(mark, sizeof(mark), "-----BEGIN %s-----", label);
	ml = strlen(mark);
	for (size_t i = 0; i + ml <= n; i++)
		if (memcmp(d + i, mark, ml) == 0)
			k++;
	return k;
}

static int load_cert(struct creds *c, enum creds_kind kind, const char *path,
                     const uint8_t *data, size_t len, struct creds_report *rep,
                     const struct crypto_cert **out)
{
	char err[256], sub[CRYPTO_ID_STRLEN];
	struct crypto_cert *cert = crypto_cert_from_data(data, len, err, sizeof(err));
	const struct crypto_cert *stored;
	const char *dup;
	size_t pems = count_pem(data, len, "CERTIFICATE");

	if (!cert) {
		report(rep, CREDS_REFUSED, path, "%s", err);
		return -EINVAL;
	}
	crypto_id_fmt(crypto_cert_subject(cert), sub, sizeof(sub));
	if (kind == CREDS_X509CA && !(crypto_cert_flags(cert) & CRYPTO_CERT_CA)) {
		/* vici_cred.c: "ca certificate lacks CA basic constraint, rejected" */
		report(rep, CREDS_REFUSED, path, "CA certificate '%s' lacks the CA basic constraint", sub);
		crypto_cert_free(cert);
		return -EINVAL;
	}
	if ((crypto_cert_flags(cert) & CRYPTO_CERT_CA) &&
	    crypto_trust_add_ca(c->trust, cert, err, sizeof(err))) {
		report(rep, CREDS_REFUSED, path, "%s", err);
		crypto_cert_free(cert);
		return -EINVAL;
	}
	stored = add_cert(c, cert, kind, path, &dup);
	crypto_cert_free(cert);
	if (!stored) {
		report(rep, CREDS_REFUSED, path, "out of memory");
		return -ENOMEM;
	}
	if (out)
		*out = stored;
	if (dup)
		report(rep, CREDS_NOTE, path, "certificate '%s' already loaded from %s", sub, dup);
	else
		report(rep, CREDS_LOADED, path, "%s certificate '%s'",
		       crypto_cert_flags(stored) & CRYPTO_CERT_CA ? "CA" : "end-entity", sub);
	if (pems > 1)
		report(rep, CREDS_NOTE, path, "holds %zu PEM certificates; only the first is loaded (as swanctl does)", pems);
	return 0;
}

static int load_crl(struct creds *c, const char *path, const uint8_t *data, size_t len,
                    struct creds_report *rep)
{
	char err[256], iss[CRYPTO_ID_STRLEN];
	struct crypto_crl *crl = crypto_crl_from_data(data, len, err, sizeof(err));
	char *p;

	if (!crl) {
		report(rep, CREDS_REFUSED, path, "%s", err);
		return -EINVAL;
	}
	crypto_id_fmt(crypto_crl_issuer(crl), iss, sizeof(iss));
	if (crypto_trust_add_crl(c->trust, crl, err, sizeof(err)) ||
	    mem_array_grow((void **)&c->crls, &c->capcrls, c->ncrls, sizeof(*c->crls)) ||
	    !(p = strdup(path))) {
		report(rep, CREDS_REFUSED, path, "%s", err[0] ? err : "out of memory");
		crypto_crl_free(crl);
		return -EINVAL;
	}
	c->crls[c->ncrls].crl = crl;
	c->crls[c->ncrls++].path = p;
	report(rep, CREDS_LOADED, path, "CRL of '%s' (%zu revoked)", iss, crypto_crl_revoked_count(crl));
	return 0;
}

static const struct crypto_pubkey *load_pubkey(struct creds *c, const char *path, const uint8_t *data,
                                               size_t len, struct creds_report *rep, char *err, size_t errlen)
{
	struct crypto_pubkey *pub = crypto_pubkey_from_data(data, len, err, errlen);
	char *p;

	if (!pub) {
		report(rep, CREDS_REFUSED, path, "%s", err);
		return NULL;
	}
	for (size_t i = 0; i < c->npubs; i++)
		if (crypto_pubkey_equal(c->pubs[i].pub, pub)) {
			crypto_pubkey_free(pub);
			report(rep, CREDS_NOTE, path, "public key already loaded from %s", c->pubs[i].path);
			return c->pubs[i].pub;
		}
	if (mem_array_grow((void **)&c->pubs, &c->cappubs, c->npubs, sizeof(*c->pubs)) || !(p = strdup(path))) {
		crypto_pubkey_free(pub);
		log_reason(err, errlen, "out of memory");
		report(rep, CREDS_REFUSED, path, "out of memory");
		return NULL;
	}
	c->pubs[c->npubs].pub = pub;
	c->pubs[c->npubs].path = p;
	report(rep, CREDS_LOADED, path, "%s %d bit public key", crypto_key_type_name(crypto_pubkey_type(pub)),
	       crypto_pubkey_bits(pub));
	return c->pubs[c->npubs++].pub;
}

static int load_key(struct creds *c, enum creds_kind kind, const char *path, const char *name,
                    const uint8_t *data, size_t len, const struct creds_secret *secrets,
                    size_t nsecrets, struct creds_report *rep)
{
	struct crypto_privkey *key = NULL;
	char err[256];
	bool tried = false;
	int why = 0;
	char *p;

	/* swanctl: every configured secret for this file, then none */
	for (size_t i = 0; i < nsecrets && !key; i++) {
		if (secrets[i].kind != kind || !secrets[i].file || strcasecmp(secrets[i].file, name) != 0)
			continue;
		tried = true;
		key = crypto_privkey_from_data(data, len, secrets[i].secret, secrets[i].secret_len,
		                               &why, err, sizeof(err));
		if (!key && why != -EKEYREJECTED)
			break;
	}
	if (!key && !tried)
		key = crypto_privkey_from_data(data, len, NULL, 0, &why, err, sizeof(err));
	if (!key) {
		if (why == -EKEYREJECTED)
			report(rep, CREDS_REFUSED, path, "encrypted private key: no configured secret decrypts it "
			       "(secrets { %s-<name> { file = %s; secret = ... } })", dirs[kind], name);
		else if (why == -ENOKEY)
			report(rep, CREDS_REFUSED, path, "encrypted private key and no secret configured "
			       "(secrets { %s-<name> { file = %s; secret = ... } })", dirs[kind], name);
		else
			report(rep, CREDS_REFUSED, path, "%s", err);
		return -EINVAL;
	}
	if ((kind == CREDS_RSA && crypto_privkey_type(key) != CRYPTO_KEY_RSA) ||
	    (kind == CREDS_ECDSA && crypto_privkey_type(key) != CRYPTO_KEY_ECDSA)) {
		report(rep, CREDS_REFUSED, path, "%s key in %s/ (which holds %s keys only)",
		       crypto_key_type_name(crypto_privkey_type(key)), dirs[kind],
		       kind == CREDS_RSA ? "RSA" : "ECDSA");
		crypto_privkey_free(key);
		return -EINVAL;
	}
	for (size_t i = 0; i < c->nkeys; i++)
		if (crypto_pubkey_equal(crypto_privkey_pubkey(c->keys[i].key), crypto_privkey_pubkey(key))) {
			report(rep, CREDS_NOTE, path, "private key already loaded from %s", c->keys[i].path);
			crypto_privkey_free(key);
			return 0;
		}
	if (mem_array_grow((void **)&c->keys, &c->capkeys, c->nkeys, sizeof(*c->keys)) || !(p = strdup(path))) {
		report(rep, CREDS_REFUSED, path, "out of memory");
		crypto_privkey_free(key);
		return -ENOMEM;
	}
	c->keys[c->nkeys].key = key;
	c->keys[c->nkeys++].path = p;
	report(rep, CREDS_LOADED, path, "%s %d bit private key%s", crypto_key_type_name(crypto_privkey_type(key)),
	       crypto_privkey_bits(key), tried ? " (decrypted with its configured secret)" : "");
	return 0;
}

/* ---- keeping what a reload cannot read again ---- */

/* path is the file, or with folder a folder and everything in it. */
static bool path_in(const char *p, const char *path, bool folder)
{
	size_t n = strlen(path);

	if (n && path[n - 1] == ':')    /* CREDS_VICI_PREFIX: everything loaded over VICI */
		return strncmp(p, path, n) == 0;
	if (!folder)
		return strcmp(p, path) == 0;
	return strncmp(p, path, n) == 0 && p[n] == '/';
}

/* Take over from prev what it loaded from path (or the folder path):
 * certificates, CRLs and public keys by reference, private keys by moving
 * them out of prev. The number of credentials kept. */
static size_t keep_from_x(struct creds *c, struct creds *prev, const char *path, bool folder,
                          bool invert)
{
	char err[256];
	const char *dup;
	size_t n = 0;

	for (size_t i = 0; i < prev->ncerts; i++) {
		struct cert_entry *e = &prev->certs[i];
		if (path_in(e->path, path, folder) == invert)
			continue;
		if ((crypto_cert_flags(e->cert) & CRYPTO_CERT_CA) &&
		    crypto_trust_add_ca(c->trust, e->cert, err, sizeof(err)))
			continue;
		if (add_cert(c, e->cert, e->origin, e->path, &dup))
			n++;
	}
	for (size_t i = 0; i < prev->ncrls; i++) {
		struct crl_entry *e = &prev->crls[i];
		char *p;
		if (path_in(e->path, path, folder) == invert || crypto_trust_add_crl(c->trust, e->crl, err, sizeof(err)) ||
		    mem_array_grow((void **)&c->crls, &c->capcrls, c->ncrls, sizeof(*c->crls)) ||
		    !(p = strdup(e->path)))
			continue;
		c->crls[c->ncrls].crl = crypto_crl_ref(e->crl);
		c->crls[c->ncrls++].path = p;
		n++;
	}
	for (size_t i = 0; i < prev->npubs; i++) {
		struct pub_entry *e = &prev->pubs[i];
		char *p;
		if (path_in(e->path, path, folder) == invert ||
		    mem_array_grow((void **)&c->pubs, &c->cappubs, c->npubs, sizeof(*c->pubs)) ||
		    !(p = strdup(e->path)))
			continue;
		c->pubs[c->npubs].pub = crypto_pubkey_ref(e->pub);
		c->pubs[c->npubs++].path = p;
		n++;
	}
	for (size_t i = 0; i < prev->nkeys;) {
		struct key_entry *e = &prev->keys[i];
		if (path_in(e->path, path, folder) == invert ||
		    mem_array_grow((void **)&c->keys, &c->capkeys, c->nkeys, sizeof(*c->keys))) {
			i++;
			continue;
		}
		/* moved, path and all: prev no longer has it */
		c->keys[c->nkeys++] = *e;
		memmove(e, e + 1, (prev->nkeys - i - 1) * sizeof(*e));
		prev->nkeys--;
		n++;
	}
	return n;
}

static size_t keep_from(struct creds *c, struct creds *prev, const char *path, bool folder)
{
	return keep_from_x(c, prev, path, folder, false);
}

/* A file or folder cannot be read (EACCES): keep what the previous store
 * had from it, if anything, or say how to make it readable. */
static int unreadable(struct creds *c, const char *path, bool folder, const char *err,
                      struct creds_report *rep)
{
	size_t n = c->prev ? keep_from(c, c->prev, path, folder) : 0;

	if (n) {
		report(rep, CREDS_NOTE, path, "%s (uipsecd runs as uid %u now): kept the %zu "
		       "credential%s loaded from it before; make it readable by the daemon's group "
		       "(0640 root:uipsec, folders 0750) or restart uipsecd to change %s", err,
		       (unsigned)geteuid(), n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
		return 0;
	}
	report(rep, CREDS_REFUSED, path, "%s (uipsecd runs as uid %u now: make it readable by "
	       "the daemon's group, 0640 root:uipsec, folders 0750, or restart uipsecd)", err,
	       (unsigned)geteuid());
	return -EACCES;
}

static bool kind_is_key(enum creds_kind kind)
{
	return kind == CREDS_PRIVATE || kind == CREDS_RSA || kind == CREDS_ECDSA || kind == CREDS_PKCS8;
}

/* The largest file or VICI blob taken for a credential of kind. */
static size_t kind_max(enum creds_kind kind)
{
	return kind == CREDS_X509CRL ? CRYPTO_CRL_MAX : kind_is_key(kind) ? KEY_FILE_MAX : CERT_FILE_MAX;
}

/* The kinds uipsec refuses, with the reason (reported): -EINVAL, else 0. */
static int kind_refused(enum creds_kind kind, const char *path, struct creds_report *rep)
{
	switch (kind) {
	case CREDS_X509AA:
	case CREDS_X509AC:
		report(rep, CREDS_REFUSED, path, "attribute %s are not supported by uipsec",
		       kind == CREDS_X509AA ? "authority certificates" : "certificates");
		return -EINVAL;
	case CREDS_X509OCSP:
		report(rep, CREDS_REFUSED, path, "OCSP signer certificates are not used: uipsec does not do OCSP "
		       "(revocation is checked with CRLs from x509crl/)");
		return -EINVAL;
	case CREDS_BLISS:
		report(rep, CREDS_REFUSED, path, "BLISS keys are not supported by uipsec");
		return -EINVAL;
	case CREDS_PKCS12:
		report(rep, CREDS_REFUSED, path, "PKCS#12 containers are not supported by uipsec: put the "
		       "certificate into x509/ and the key into private/ (openssl pkcs12 -in FILE -nokeys / -nocerts)");
		return -EINVAL;
	default:
		break;
	}
	return 0;
}

/* One credential from memory: the parsers of creds_load_file. */
static int load_data(struct creds *c, enum creds_kind kind, const char *path, const char *name,
                     const uint8_t *data, size_t len, const struct creds_secret *secrets,
                     size_t nsecrets, struct creds_report *rep)
{
	char err[256];

	switch (kind) {
	case CREDS_X509:
	case CREDS_X509CA:
		return load_cert(c, kind, path, data, len, rep, NULL);
	case CREDS_X509CRL:
		return load_crl(c, path, data, len, rep);
	case CREDS_PUBKEY:
		return load_pubkey(c, path, data, len, rep, err, sizeof(err)) ? 0 : -EINVAL;
	default:
		return load_key(c, kind, path, name, data, len, secrets, nsecrets, rep);
	}
}

int creds_load_file(struct creds *c, enum creds_kind kind, const char *path, const char *name,
                    const struct creds_secret *secrets, size_t nsecrets,
                    struct creds_report *rep)
{
	char err[256];
	uint8_t *data;
	size_t len;
	int rc;

	if (kind_refused(kind, path, rep))
		return -EINVAL;
	rc = file_read(path, kind_max(kind), &data, &len, err, sizeof(err));
	if (rc == -EACCES)
		return unreadable(c, path, false, err, rep) ? -EINVAL : 0;
	if (rc) {
		report(rep, CREDS_REFUSED, path, "%s", err);
		return -EINVAL;
	}
	rc = load_data(c, kind, path, name, data, len, secrets, nsecrets, rep);
	mem_free_wipe(data, len + 1);
	return rc;
}

int creds_load_vici(struct creds *c, enum creds_kind kind, const uint8_t *data, size_t len,
                    struct creds_report *rep)
{
	char path[64];

	snprintf(path, sizeof(path), "%s%s", CREDS_VICI_PREFIX,
	         kind_is_key(kind) ? "load-key" : kind == CREDS_X509CRL ? "load-cert crl" : "load-cert");
	if (kind_refused(kind, path, rep))
		return -EINVAL;
	if (len > kind_max(kind)) {
		report(rep, CREDS_REFUSED, path, "credential too large (%zu bytes)", len);
		return -EINVAL;
	}
	/* no passphrases: swanctl decrypts keys itself before load-key */
	return load_data(c, kind, path, path, data, len, NULL, 0, rep);
}

struct creds *creds_without_vici(struct creds *c)
{
	struct creds *n = creds_new();

	if (n)
		keep_from_x(n, c, CREDS_VICI_PREFIX, false, true);
	return n;
}

int creds_unload_key(struct creds *c, const uint8_t keyid[CRYPTO_SHA1_LEN])
{
	for (size_t i = 0; i < c->nkeys; i++) {
		const uint8_t *id = crypto_pubkey_keyid(crypto_privkey_pubkey(c->keys[i].key));
		if (!id || memcmp(id, keyid, CRYPTO_SHA1_LEN) || strncmp(c->keys[i].path, CREDS_VICI_PREFIX,
		                                                          strlen(CREDS_VICI_PREFIX)))
			continue;
		crypto_privkey_free(c->keys[i].key);
		free(c->keys[i].path);
		memmove(&c->keys[i], &c->keys[i + 1], (c->nkeys - i - 1) * sizeof(c->keys[i]));
		c->nkeys--;
		return 0;
	}
	return -ENOENT;
}

const struct crypto_privkey *creds_privkey_at(const struct creds *c, size_t i, const char **path)
{
	if (i >= c->nkeys)
		return NULL;
	if (path)
		*path = c->keys[i].path;
	return c->keys[i].key;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_folder(struct creds *c, const char *confdir, enum creds_kind kind,
                       const struct creds_secret *secrets, size_t nsecrets, struct creds_report *rep)
{
	char dir[PATH_MAX], path[PATH_MAX];
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int refused = 0;
	DIR *d;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", confdir, dirs[kind]) >= sizeof(dir)) {
		report(rep, CREDS_REFUSED, confdir, "path too long");
		return 1;
	}
	d = opendir(dir);
	if (!d) {
		if (errno == EACCES) {
			char why[128];
			snprintf(why, sizeof(why), "cannot read folder: %s", strerror(EACCES));
			return unreadable(c, dir, true, why, rep) ? 1 : 0;
		}
		if (errno != ENOENT) {
			report(rep, CREDS_REFUSED, dir, "cannot read folder: %s", strerror(errno));
			return 1;
		}
		return 0;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (mem_array_grow((void **)&names, &cap, n, sizeof(*names)) || !(names[n] = strdup(de->d_name))) {
			report(rep, CREDS_REFUSED, dir, "out of memory");
			refused++;
			break;
		}
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path)) {
			report(rep, CREDS_REFUSED, dir, "path too long");
			refused++;
		} else if (stat(path, &st) != 0) {
			report(rep, CREDS_REFUSED, path, "%s", strerror(errno));
			refused++;
		} else if (S_ISDIR(st.st_mode)) {
			report(rep, CREDS_NOTE, path, "folder skipped (swanctl does not search subfolders)");
		} else if (!S_ISREG(st.st_mode)) {
			report(rep, CREDS_REFUSED, path, "not a regular file");
			refused++;
		} else if (creds_load_file(c, kind, path, names[i], secrets, nsecrets, rep)) {
			refused++;
		}
		free(names[i]);
	}
	free(names);
	return refused;
}

int creds_load_dir_keep(struct creds *c, const char *confdir,
                        const struct creds_secret *secrets, size_t nsecrets,
                        struct creds *prev, struct creds_report *rep)
{
	int rc;

	c->prev = prev;
	rc = creds_load_dir(c, confdir, secrets, nsecrets, rep);
	/* what swanctl loaded over VICI stays until clear-creds (as charon's) */
	if (prev)
		keep_from(c, prev, CREDS_VICI_PREFIX, false);
	c->prev = NULL;
	return rc;
}

int creds_load_dir(struct creds *c, const char *confdir,
                   const struct creds_secret *secrets, size_t nsecrets,
                   struct creds_report *rep)
{
	struct stat st;
	int refused = 0;

	if (stat(confdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		int e = errno ? errno : ENOTDIR;
		report(rep, CREDS_REFUSED, confdir, "cannot read the configuration folder: %s", strerror(e));
		return -e;
	}
	/* swanctl's order: certificates (CAs before CRLs are checked), then keys */
	for (int k = 0; k < CREDS_KIND_MAX; k++)
		refused += load_folder(c, confdir, (enum creds_kind)k, secrets, nsecrets, rep);
	return refused;
}

/* Resolve name relative to confdir/<folder> unless absolute. */
static int resolve(const char *confdir, enum creds_kind kind, const char *name, char *path, size_t len)
{
	int n = name[0] == '/' ? snprintf(path, len, "%s", name) :
	                         snprintf(path, len, "%s/%s/%s", confdir, dirs[kind], name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

const struct crypto_cert *creds_cert_for_file(struct creds *c, const char *confdir, enum creds_kind kind,
                                              const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX];
	const struct cert_entry *e;
	const struct crypto_cert *out = NULL;
	struct creds_report rep = { 0 };
	uint8_t *data;
	size_t len;

	if (kind != CREDS_X509 && kind != CREDS_X509CA) {
		log_reason(err, errlen, "not a certificate folder");
		return NULL;
	}
	if (resolve(confdir, kind, name, path, sizeof(path))) {
		log_reason(err, errlen, "path too long");
		return NULL;
	}
	e = cert_by_path(c, path);
	if (e) {
		if (kind == CREDS_X509CA && !(crypto_cert_flags(e->cert) & CRYPTO_CERT_CA)) {
			log_reason(err, errlen, "%s is not a CA certificate", path);
			return NULL;
		}
		return e->cert;
	}
	if (file_read(path, CERT_FILE_MAX, &data, &len, err, errlen))
		return NULL;
	if (load_cert(c, kind, path, data, len, &rep, &out) && rep.n)
		log_reason(err, errlen, "%s", rep.ev[rep.n - 1].what);
	free(data);
	creds_report_free(&rep);
	return out;
}

const struct crypto_pubkey *creds_pubkey_for_file(struct creds *c, const char *confdir,
                                                  const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX];
	const struct crypto_pubkey *pub;
	uint8_t *data;
	size_t len;

	if (resolve(confdir, CREDS_PUBKEY, name, path, sizeof(path))) {
		log_reason(err, errlen, "path too long");
		return NULL;
	}
	for (size_t i = 0; i < c->npubs; i++)
		if (strcmp(c->pubs[i].path, path) == 0)
			return c->pubs[i].pub;
	if (file_read(path, CERT_FILE_MAX, &data, &len, err, errlen))
		return NULL;
	pub = load_pubkey(c, path, data, len, NULL, err, errlen);
	free(data);
	return pub;
}

const struct crypto_trust *creds_trust(const struct creds *c)
{
	return c->trust;
}

const struct crypto_privkey *creds_find_privkey(const struct creds *c, const struct crypto_pubkey *pub)
{
	for (size_t i = 0; i < c->nkeys; i++)
		if (crypto_privkey_matches(c->keys[i].key, pub))
			return c->keys[i].key;
	return NULL;
}

const struct crypto_cert *creds_find_cert(const struct creds *c, const struct crypto_id *id, bool need_key)
{
	const struct crypto_cert *best = NULL;
	int best_q = CRYPTO_ID_MATCH_NONE;

	/* two passes: end entities, then CAs */
	for (int pass = 0; pass < 2 && !best; pass++)
		for (size_t i = 0; i < c->ncerts; i++) {
			const struct crypto_cert *cert = c->certs[i].cert;
			bool ca = crypto_cert_flags(cert) & CRYPTO_CERT_CA;
			int q;

			if (ca != (pass == 1))
				continue;
			q = crypto_cert_match_id(cert, id);
			if (q <= best_q || q == CRYPTO_ID_MATCH_NONE)
				continue;
			if (need_key && !creds_find_privkey(c, crypto_cert_pubkey(cert)))
				continue;
			best = cert;
			best_q = q;
		}
	return best;
}

const struct crypto_cert *creds_find_ca(const struct creds *c, const uint8_t keyid[CRYPTO_SHA1_LEN])
{
	return crypto_trust_find_keyid(c->trust, keyid);
}

bool creds_is_local(const struct creds *c, const struct crypto_cert *cert)
{
	for (size_t i = 0; i < c->ncerts; i++)
		if (crypto_cert_equal(c->certs[i].cert, cert))
			return true;
	return false;
}

size_t creds_cert_count(const struct creds *c)
{
	return c->ncerts;
}

const struct crypto_cert *creds_cert_at(const struct creds *c, size_t i,
                                        enum creds_kind *origin, const char **path)
{
	if (i >= c->ncerts)
		return NULL;
	if (origin)
		*origin = c->certs[i].origin;
	if (path)
		*path = c->certs[i].path;
	return c->certs[i].cert;
}

size_t creds_crl_count(const struct creds *c)
{
	return c->ncrls;
}

const struct crypto_crl *creds_crl_at(const struct creds *c, size_t i, const char **path)
{
	if (i >= c->ncrls)
		return NULL;
	if (path)
		*path = c->crls[i].path;
	return c->crls[i].crl;
}

size_t creds_pubkey_count(const struct creds *c)
{
	return c->npubs;
}

const struct crypto_pubkey *creds_pubkey_at(const struct creds *c, size_t i, const char **path)
{
	if (i >= c->npubs)
		return NULL;
	if (path)
		*path = c->pubs[i].path;
	return c->pubs[i].pub;
}

size_t creds_privkey_count(const struct creds *c)
{
	return c->nkeys;
}
