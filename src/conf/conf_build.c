/* The table-driven half of the swanctl.conf builder (conf_build.h): errors
 * collected per place and returned in file order, the typed values, and
 * the keys of one section read through the option table (conf_options.h):
 * looked up, refused or parsed into the section's model struct, checked
 * against uipsecd's limits. conf.c builds the sections themselves.
 * Start-up and reload only; no threads. */
#include "conf/conf_build.h"
#include "conf/conf_value.h"
#include "util/log.h"
#include "util/mem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LINE_MAX_ 1024


static bool said_before(const struct builder *b, const struct conf_loc *loc)
{
	for (size_t i = 0; i < b->nerrs; i++)
		if (b->errs[i].loc.line == loc->line && b->errs[i].loc.col == loc->col &&
		    b->errs[i].loc.file == loc->file)
			return true;
	return false;
}

/* Report "file:line:col: path: message" (once per place) and go on: the
 * file fails, but the rest of it is still checked. Returns -EINVAL. */
int conf_build_fail(struct builder *b, const struct conf_loc *loc, const char *path,
                const char *fmt, ...)
{
	char line[LINE_MAX_];
	va_list ap;
	int n;

	b->failed = true;
	if (said_before(b, loc))
		return -EINVAL;
	n = snprintf(line, sizeof(line), "%s:%u:%u: %s: ", loc->file ? loc->file : "?",
	             loc->line, loc->col, path);
	if (n >= 0 && (size_t)n < sizeof(line)) {
		va_start(ap, fmt);
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	/* values are echoed: no control characters (a quoted value may hold
	 * newlines, and each error must stay one line) */
	for (char *q = line; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			*q = '?';
	if (mem_array_grow((void **)&b->errs, &b->errcap, b->nerrs, sizeof(*b->errs)) ||
	    !(b->errs[b->nerrs].text = strdup(line))) {
		b->nomem = true;
		return -EINVAL;
	}
	b->errs[b->nerrs++].loc = *loc;
	return -EINVAL;
}

int conf_build_fail_text(struct builder *b, const struct conf_loc *loc, const char *text)
{
	char *t;

	b->failed = true;
	if (said_before(b, loc))
		return -EINVAL;
	if (mem_array_grow((void **)&b->errs, &b->errcap, b->nerrs, sizeof(*b->errs)) ||
	    !(t = strdup(text))) {
		b->nomem = true;
		return -EINVAL;
	}
	for (char *q = t; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			*q = '?';
	b->errs[b->nerrs].text = t;
	b->errs[b->nerrs++].loc = *loc;
	return -EINVAL;
}

static size_t file_index(const struct builder *b, const char *file)
{
	for (size_t i = 0; i < b->nfiles; i++)
		if (b->files[i] == file)
			return i;
	return b->nfiles;
}

static const struct builder *sort_b;   /* qsort has no context argument */

static int err_cmp(const void *x, const void *y)
{
	const struct err_rec *a = x, *c = y;
	size_t fa = file_index(sort_b, a->loc.file), fc = file_index(sort_b, c->loc.file);

	if (fa != fc)
		return fa < fc ? -1 : 1;
	if (a->loc.line != c->loc.line)
		return a->loc.line < c->loc.line ? -1 : 1;
	return a->loc.col < c->loc.col ? -1 : a->loc.col > c->loc.col;
}

/* All errors into err, in file order (files in the order they were read),
 * one per line; what does not fit is counted in a last line. */
void conf_build_finish(struct builder *b)
{
	size_t used = 0;
	unsigned lost = 0;

	sort_b = b;
	if (b->nerrs)
		qsort(b->errs, b->nerrs, sizeof(*b->errs), err_cmp);
	sort_b = NULL;
	for (size_t i = 0; i < b->nerrs; i++) {
		const char *t = b->errs[i].text;
		size_t len = strlen(t);

		if (!b->err || !b->errlen) {
			lost++;
		} else if (used == 0) {
			/* the first always goes in, truncated if it must */
			snprintf(b->err, b->errlen, "%s", t);
			used = strlen(b->err);
		} else if (used + 1 + len + 40 < b->errlen) {
			b->err[used++] = '\n';
			memcpy(b->err + used, t, len + 1);
			used += len;
		} else {
			lost++;
		}
		free(b->errs[i].text);
	}
	free(b->errs);
	b->errs = NULL;
	if (b->nomem)
		lost++;
	if (lost && b->err && used + 40 < b->errlen)
		snprintf(b->err + used, b->errlen - used, "\n... and %u more error%s", lost,
		         lost == 1 ? "" : "s");
}

/* path + "." + name into buf */
const char *conf_build_subpath(char *buf, size_t len, const char *path, const char *name)
{
	int n = snprintf(buf, len, "%s%s%s", path, path[0] ? "." : "", name);

	if (n < 0 || (size_t)n >= len)   /* names are bounded; truncation only shortens a message */
		buf[len - 1] = '\0';
	return buf;
}

static inline void *field(void *obj, size_t off)
{
	return (char *)obj + off;
}

/* ---- typed values: a NULL value ("key =") keeps the default ------------ */

static int get_duration(struct builder *b, const struct conf_kv *kv, const char *path,
                        uint64_t *out)
{
	if (kv->value && conf_parse_duration(kv->value, out))
		return conf_build_fail(b, &kv->loc, path,
		            "invalid time '%s' (seconds, or a number with s, m, h or d)", kv->value);
	return 0;
}

static int get_bytes(struct builder *b, const struct conf_kv *kv, const char *path,
                     uint64_t *out)
{
	if (kv->value && conf_parse_bytes(kv->value, out))
		return conf_build_fail(b, &kv->loc, path,
		            "invalid volume '%s' (a number, optionally with k, m or g)", kv->value);
	return 0;
}

static int get_bool(struct builder *b, const struct conf_kv *kv, const char *path, bool *out)
{
	if (kv->value && conf_parse_bool(kv->value, out))
		return conf_build_fail(b, &kv->loc, path, "invalid value '%s' (expected yes or no)", kv->value);
	return 0;
}

static int get_uint(struct builder *b, const struct conf_kv *kv, const char *path,
                    uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (!kv->value)
		return 0;
	if (conf_parse_uint(kv->value, max, &v) || v < min)
		return conf_build_fail(b, &kv->loc, path, "invalid number '%s' (expected %llu to %llu)",
		            kv->value, (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

/* "a, b, c or d": the values that are not refused everywhere. */
static void enum_expected(const struct conf_enum_val *vals, char *buf, size_t len)
{
	size_t n = 0, k = 0, i, j = 0;

	for (i = 0; vals[i].name; i++)
		k += vals[i].sup != CONF_SUP_NO;
	buf[0] = '\0';
	for (i = 0; vals[i].name && n < len; i++) {
		if (vals[i].sup == CONF_SUP_NO)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s",
		                      j == 0 ? "" : j + 1 == k ? " or " : ", ", vals[i].name);
		j++;
	}
}

/* A value of an enum (or of a number with values of their own support):
 * refused if the table says so (CONF_SUP_NO always, CONF_SUP_MODEL unless
 * CONF_MODEL_ONLY). */
static int value_support(struct builder *b, const struct conf_kv *kv, const char *path,
                         const struct conf_enum_val *v)
{
	if (v->sup == CONF_SUP_NO || (v->sup == CONF_SUP_MODEL && !(b->flags & CONF_MODEL_ONLY)))
		return conf_build_fail(b, &kv->loc, path, "not supported: %s", v->why);
	return 0;
}

static int get_enum(struct builder *b, const struct conf_kv *kv, const char *path,
                    const struct conf_enum_val *vals, int *out)
{
	char expected[256];

	if (!kv->value)
		return 0;
	for (const struct conf_enum_val *v = vals; v->name; v++) {
		if (strcasecmp(kv->value, v->name) == 0) {
			int rc = value_support(b, kv, path, v);

			if (!rc)
				*out = v->value;
			return rc;
		}
	}
	enum_expected(vals, expected, sizeof(expected));
	return conf_build_fail(b, &kv->loc, path, "invalid value '%s' (expected %s)", kv->value, expected);
}

static int get_list(struct builder *b, const struct conf_kv *kv, const char *path,
                    char ***items, size_t *n)
{
	int rc = conf_split_list(kv->value, items, n);

	if (rc == -EINVAL)
		return conf_build_fail(b, &kv->loc, path, "empty item in the comma-separated list '%s'", kv->value);
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

void conf_addrs_free(struct conf_addr *a, size_t n)
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
			rc = conf_build_fail(b, &kv->loc, path,
			          "invalid address '%s' (an IP address, subnet, range a-b, host name, %%any, %%any4 or %%any6)",
			          items[k]);
		if (rc)
			break;
	}
	if (!rc) {
		conf_addrs_free(*out, *nout);
		*out = arr;
		*nout = n;
		arr = NULL;
	}
out:
	conf_addrs_free(arr, k);
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
			rc = conf_build_fail(b, &kv->loc, path, "invalid traffic selector '%s': %s", items[i], why);
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
		return conf_build_fail(b, &kv->loc, path, "invalid identity '%s': %s", kv->value,
		            why ? why : "bad syntax");
	if (has)
		*has = true;
	return 0;
}

/* start_action, close_action, dpd_action: one action or several joined by
 * '|' ("trap|start", blanks allowed), as charon 5.9.8 reads them. */
static const struct { const char *name; uint8_t bits; } action_names[] = {
	{ "none", CONF_ACTION_NONE }, { "clear", CONF_ACTION_NONE },
	{ "trap", CONF_ACTION_TRAP }, { "route", CONF_ACTION_TRAP },
	{ "start", CONF_ACTION_START }, { "restart", CONF_ACTION_START },
};

static int get_actions(struct builder *b, const struct conf_kv *kv, const char *path,
                       uint8_t *out)
{
	const char *s = kv->value;
	uint8_t bits = 0;

	if (!s)
		return 0;
	for (;;) {
		const char *bar = strchr(s, '|');
		size_t n = bar ? (size_t)(bar - s) : strlen(s), k;

		while (n && *s == ' ') {
			s++;
			n--;
		}
		while (n && s[n - 1] == ' ')
			n--;
		for (k = 0; k < sizeof(action_names) / sizeof(action_names[0]); k++)
			if (strlen(action_names[k].name) == n && strncasecmp(s, action_names[k].name, n) == 0)
				break;
		if (k == sizeof(action_names) / sizeof(action_names[0]))
			return conf_build_fail(b, &kv->loc, path,
			            "invalid value '%s' (expected none, trap, start or trap|start)", kv->value);
		bits |= action_names[k].bits;
		if (!bar)
			break;
		s = bar + 1;
	}
	*out = bits;
	return 0;
}

/* auth: a value of the table's (auth_vals in conf_options.c), matched by
 * prefix as charon reads them (eap-md5 is eap, rsa-2048 and rsa/pss are
 * rsa, ike:pubkey is ike:), refused with the table's reason, or nonsense. */
static bool auth_matches(const char *v, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(v, name, n) == 0 &&
	       (v[n] == '\0' || name[n - 1] == ':' || v[n] == '-' || v[n] == '/' || v[n] == ':');
}

static int get_auth(struct builder *b, const struct conf_kv *kv, const char *path,
                    const struct conf_enum_val *vals, uint8_t *out)
{
	char takes[128];
	const char *v = kv->value;

	if (!v)
		return 0;
	enum_expected(vals, takes, sizeof(takes));
	for (const struct conf_enum_val *a = vals; a->name; a++) {
		if (!auth_matches(v, a->name))
			continue;
		if (a->sup == CONF_SUP_NO || (a->sup == CONF_SUP_MODEL && !(b->flags & CONF_MODEL_ONLY)))
			return conf_build_fail(b, &kv->loc, path, "not supported: %s ('%s'; uipsec: %s)",
			                       a->why, v, takes);
		*out = (uint8_t)a->value;
		return 0;
	}
	return conf_build_fail(b, &kv->loc, path, "unknown auth method '%s' (uipsec supports %s)", v,
	                       takes);
}

/* Numbers and enums by the size of their field; size 0: checked, not kept
 * (round). */
static void store_uint(void *f, size_t size, uint64_t v)
{
	switch (size) {
	case 0: break;
	case 1: { uint8_t x = (uint8_t)v; memcpy(f, &x, 1); break; }
	case 2: { uint16_t x = (uint16_t)v; memcpy(f, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy(f, &x, 4); break; }
	default: memcpy(f, &v, 8); break;
	}
}

static uint64_t load_uint(const void *f, size_t size)
{
	switch (size) {
	case 0: return 0;
	case 1: { uint8_t x; memcpy(&x, f, 1); return x; }
	case 2: { uint16_t x; memcpy(&x, f, 2); return x; }
	case 4: { uint32_t x; memcpy(&x, f, 4); return x; }
	default: { uint64_t x; memcpy(&x, f, 8); return x; }
	}
}

/* Parse kv as option o into obj (the section's model struct). */
static int set_value(struct builder *b, const struct conf_opt *o, const struct conf_kv *kv,
                     const char *path, void *obj)
{
	void *f = field(obj, o->off);
	uint64_t u;
	int rc = 0, e;

	switch (o->type) {
	case CONF_T_BOOL:
		return get_bool(b, kv, path, f);
	case CONF_T_UINT:
		u = load_uint(f, o->size);
		if ((rc = get_uint(b, kv, path, o->min, o->max, &u)))
			return rc;
		if (o->vals && kv->value)
			for (const struct conf_enum_val *v = o->vals; v->name; v++)
				if ((uint64_t)v->value == u && (rc = value_support(b, kv, path, v)))
					return rc;
		store_uint(f, o->size, u);
		return 0;
	case CONF_T_DURATION:
		return get_duration(b, kv, path, f);
	case CONF_T_BYTES:
		return get_bytes(b, kv, path, f);
	case CONF_T_ENUM:
		e = (int)load_uint(f, o->size);
		if (!(rc = get_enum(b, kv, path, o->vals, &e)))
			store_uint(f, o->size, (uint64_t)e);
		return rc;
	case CONF_T_ACTIONS:
		return get_actions(b, kv, path, f);
	case CONF_T_STRINGS:
		return get_strings(b, kv, path, f, field(obj, o->off2));
	case CONF_T_ADDRS:
		return get_addrs(b, kv, path, f, field(obj, o->off2));
	case CONF_T_TSS:
		return get_tss(b, kv, path, f, field(obj, o->off2));
	case CONF_T_ID:
		return get_id(b, kv, path, f, field(obj, o->off2));
	case CONF_T_IDS: {
		struct conf_id **ids = f, *grown;
		size_t *n = field(obj, o->off2);
		struct conf_id id;

		if (!kv->value || (rc = get_id(b, kv, path, &id, NULL)))
			return rc;
		grown = realloc(*ids, (*n + 1) * sizeof(**ids));
		if (!grown)
			return -ENOMEM;
		*ids = grown;
		(*ids)[(*n)++] = id;
		return 0;
	}
	case CONF_T_SECRET: {
		uint8_t **sec = f;
		size_t *len = field(obj, o->off2);

		if (*sec) {
			mem_free_wipe(*sec, *len);
			*sec = NULL;
			*len = 0;
		}
		if (!kv->value)
			return 0;
		rc = conf_parse_secret(kv->value, sec, len);
		if (rc == -EINVAL)
			/* The value is secret: don't echo it. */
			rc = conf_build_fail(b, &kv->loc, path, "invalid secret (text, 0x followed by hex, or 0s "
			          "followed by base64; not empty)");
		return rc;
	}
	case CONF_T_STRING: {
		char **sp = f;

		free(*sp);
		*sp = NULL;
		if (kv->value && !(*sp = strdup(kv->value)))
			return -ENOMEM;
		return 0;
	}
	case CONF_T_AUTH:
		if ((rc = get_auth(b, kv, path, o->vals, f)) || !o->off2 || !kv->value)
			return rc;
		/* the value as written too (signature scheme constraints) */
		free(*(char **)field(obj, o->off2));
		if (!(*(char **)field(obj, o->off2) = strdup(kv->value)))
			return -ENOMEM;
		return 0;
	case CONF_T_HOOK: {
		char msg[LINE_MAX_];

		if (!o->parse)   /* a row of a section its own parser reads */
			return conf_build_fail(b, &kv->loc, path, "not read here");
		msg[0] = '\0';
		rc = o->parse(kv, path, obj, msg, sizeof(msg));
		return rc == -EINVAL ? conf_build_fail_text(b, &kv->loc, msg) : rc;
	}
	default:
		return conf_build_fail(b, &kv->loc, path, "not supported: %s", o->why ? o->why : "?");
	}
}

/* " (uipsec takes only no or auto)" for a refused option with no-op
 * values, "" for one without. */
static const char *noop_text(const struct conf_opt *o, char *buf, size_t len)
{
	size_t n;

	if (!o->noop)
		return "";
	n = (size_t)snprintf(buf, len, " (uipsec takes only ");
	for (const char *p = o->noop; *p && n + 8 < len; p++) {
		if (p[0] == ',' && p[1] == ' ') {
			n += (size_t)snprintf(buf + n, len - n, " or ");
			p++;
		} else {
			buf[n++] = *p;
		}
	}
	snprintf(buf + n, len - n, ")");
	return buf;
}

/* Does the value in obj equal what a CONF_SUP_MODEL option has when
 * nothing is written (what uipsecd runs)? Its default; 0 for a derived one
 * (all of which are 0 when nothing is written); none for a string. */
static bool model_default(const struct conf_opt *o, const void *obj)
{
	const void *f = (const char *)obj + o->off;
	uint64_t d = 0;

	switch (o->type) {
	case CONF_T_STRING: {
		char *const *sp = f;
		return *sp == NULL;
	}
	case CONF_T_ACTIONS:
		return load_uint(f, 1) == CONF_ACTION_NONE;   /* none / clear */
	case CONF_T_UINT:
	case CONF_T_DURATION:
	case CONF_T_BYTES:
		if (!(o->flags & CONF_F_DERIVED) &&
		    (o->type == CONF_T_DURATION ? conf_parse_duration(o->dflt, &d)
		                                : conf_parse_uint(o->dflt, UINT64_MAX, &d)))
			return false;
		return load_uint(f, o->size) == d;
	default:
		return false;   /* no CONF_SUP_MODEL option of another type yet */
	}
}

/* For a CONF_F_NO_EFFECT option: is the value in obj the one that switches
 * it off (no, 0), so that nothing is missing? */
static bool no_effect_off(const struct conf_opt *o, const void *obj)
{
	const void *f = (const char *)obj + o->off;

	switch (o->type) {
	case CONF_T_BOOL:
		return !*(const bool *)f;
	case CONF_T_ENUM:
		for (const struct conf_enum_val *v = o->vals; v->name; v++)
			if ((uint64_t)v->value == load_uint(f, o->size))
				return strcmp(v->name, "no") == 0;
		return false;
	default:
		return load_uint(f, o->size) == 0;
	}
}

/* Start a section's model struct: every option of scope that has a plain
 * default gets it (parsed like a written value), derived ones CONF_UNSET. */
int conf_build_defaults(struct builder *b, enum conf_scope scope, void *obj)
{
	for (size_t i = 0; i < conf_nopts; i++) {
		const struct conf_opt *o = &conf_opts[i];
		struct conf_kv kv = { .key = (char *)o->name };
		int rc;

		if (!(o->scopes & CONF_SC(scope)) || o->type == CONF_T_SECTION ||
		    o->type == CONF_T_TEXT || o->sup == CONF_SUP_NO)
			continue;
		if (o->flags & CONF_F_DERIVED) {
			store_uint(field(obj, o->off), o->size, UNSET);
			continue;
		}
		/* lists, identities, secrets: "no value" (filled in after the
		 * section, e.g. proposals "default", or meaning "none") */
		if (o->type == CONF_T_STRINGS || o->type == CONF_T_ADDRS || o->type == CONF_T_TSS ||
		    o->type == CONF_T_ID || o->type == CONF_T_IDS || o->type == CONF_T_SECRET ||
		    o->type == CONF_T_STRING || o->type == CONF_T_AUTH || o->type == CONF_T_HOOK ||
		    !o->dflt || !o->dflt[0])
			continue;
		kv.value = (char *)o->dflt;
		if ((rc = set_value(b, o, &kv, o->name, obj)))
			return rc;   /* a bad default in the table: our bug, not the file's */
	}
	return 0;
}

static int seen_add(struct conf_seen **seen, size_t *n, const struct conf_opt *opt,
                    const struct conf_loc *loc)
{
	struct conf_seen *g = realloc(*seen, (*n + 1) * sizeof(**seen));

	if (!g)
		return -ENOMEM;
	*seen = g;
	g[*n].opt = opt;
	g[*n].loc = *loc;
	(*n)++;
	return 0;
}

const struct conf_loc *conf_seen_find(const struct conf_seen *seen, size_t n,
                                      const struct conf_opt *o)
{
	for (size_t i = n; i-- > 0;)
		if (seen[i].opt == o)
			return &seen[i].loc;
	return NULL;
}

bool conf_build_written(enum conf_scope scope, const struct conf_section *s, size_t off)
{
	const struct conf_opt *o = conf_opt_at(scope, off);

	for (size_t i = 0; o && i < s->nkv; i++)
		if (s->kv[i].value && conf_opt_find(scope, s->kv[i].key, false) == o)
			return true;
	return false;
}

/* Scope-specific words for an unknown key. */
static const char *unknown_hint(enum conf_scope scope)
{
	switch (scope) {
	case CONF_SC_ROOT:       return " at the top level";
	case CONF_SC_CONNS:      return " (connections holds one section per connection)";
	case CONF_SC_CHILDREN:   return " (children holds one section per CHILD_SA)";
	case CONF_SC_SECRETS:    return " (secrets holds one section per secret)";
	case CONF_SC_SECRET_IKE: return " (an ike secret has id<suffix> and secret)";
	default:                 return "";
	}
}

/* Every key of section s (scope) into obj through the table; the options
 * set are added to *seen (if seen is non-NULL). Subsections are the
 * caller's. */
int conf_build_kvs(struct builder *b, enum conf_scope scope, const struct conf_section *s,
                     const char *path, void *obj, struct conf_seen **seen, size_t *nseen)
{
	char p[PATHLEN], alt[160];
	int rc;

	for (size_t i = 0; i < s->nkv; i++) {
		const struct conf_kv *kv = &s->kv[i];
		const struct conf_opt *o = conf_opt_find(scope, kv->key, false);

		conf_build_subpath(p, sizeof(p), path, kv->key);
		if (!o) {
			const struct conf_opt *c = (scope == CONF_SC_LOCAL || scope == CONF_SC_REMOTE) ?
			                           conf_opt_find(CONF_SC_CONN, kv->key, false) : NULL;

			if (c && c->sup == CONF_SUP_YES)   /* written one level too deep */
				conf_build_fail(b, &kv->loc, p, "unknown option (%s is a connection option: "
				                "connections.<conn>.%s)", c->name, c->name);
			else
				conf_build_fail(b, &kv->loc, p, "unknown option%s", unknown_hint(scope));
			continue;
		}
		if (o->sup == CONF_SUP_NO || o->type == CONF_T_TEXT) {
			if (conf_opt_noop(o, kv->value)) {
				/* what uipsec does anyway: nothing to refuse */
				if (seen && (rc = seen_add(seen, nseen, o, &kv->loc)))
					return rc;
				continue;
			}
			conf_build_fail(b, &kv->loc, p, "not supported: %s%s", o->why,
			                noop_text(o, alt, sizeof(alt)));
			continue;
		}
		rc = set_value(b, o, kv, p, obj);
		if (rc == -ENOMEM)
			return rc;
		if (rc)
			continue;
		if (o->sup == CONF_SUP_MODEL && !(b->flags & CONF_MODEL_ONLY) &&
		    !model_default(o, obj)) {
			conf_build_fail(b, &kv->loc, p, "not supported: %s", o->why);
			continue;
		}
		if ((o->flags & CONF_F_NO_EFFECT) && kv->value && !no_effect_off(o, obj))
			log_warn("%s:%u:%u: %s: accepted, but no effect in uipsec yet: %s",
			         kv->loc.file ? kv->loc.file : "?", kv->loc.line, kv->loc.col, p, o->note);
		if (seen && (rc = seen_add(seen, nseen, o, &kv->loc)))
			return rc;
	}
	return 0;
}

/* uipsecd's limits (.runs) on the finished section: at the option's place,
 * or the section's if the value was derived. */
void conf_build_runs(struct builder *b, enum conf_scope scope, const struct conf_section *s,
                       const char *path, const void *obj, const struct conf_seen *seen,
                       size_t nseen)
{
	char p[PATHLEN];

	if (b->flags & CONF_MODEL_ONLY)
		return;
	for (size_t i = 0; i < conf_nopts; i++) {
		const struct conf_opt *o = &conf_opts[i];
		const struct conf_loc *at;
		const char *why;

		if (!(o->scopes & CONF_SC(scope)) || !o->runs || !(why = o->runs(o, obj)))
			continue;
		at = conf_seen_find(seen, nseen, o);
		conf_build_fail(b, at ? at : &s->loc, conf_build_subpath(p, sizeof(p), path, o->name), "not supported: %s",
		     why);
	}
}

/* A subsection uipsec refuses, or that is no strongSwan section. */
void conf_build_refuse(struct builder *b, enum conf_scope scope,
                           const struct conf_section *sub, const char *p)
{
	const struct conf_opt *o = conf_opt_find(scope, sub->name, true);

	if (o && o->sup == CONF_SUP_NO)
		conf_build_fail(b, &sub->loc, p, "not supported: %s", o->why);
	else if (scope == CONF_SC_SECRETS)
		conf_build_fail(b, &sub->loc, p, "unknown secret type (section names start with the type, e.g. ike-gw)");
	else
		conf_build_fail(b, &sub->loc, p, "unknown section");
}
