/* The swanctl.conf options, declared once: every option and section of
 * strongSwan 5.9.8's swanctl.conf(5), the ones uipsec supports and the
 * ones it refuses (with the reason), in one table (conf_options.c). The
 * table drives
 *   - the parser (conf.c): which key is an option where, its type, its
 *     default, where its value goes in the model (conf.h);
 *   - the refusals: "not supported: <why>" for a real strongSwan option,
 *     "unknown option" for anything else, and what uipsecd cannot run yet;
 *   - the list of options (`uipsecd --list-options`, docs/swanctl-options.md,
 *     which a unit test compares with the table) and the man page
 *     uipsec-swanctl.conf(5) (`uipsecd --list-options --format man`, which
 *     the build writes: scripts/gen_swanctl_man.sh);
 *   - the charon cross-check (tests/interop/test_conf_charon.sh loads the
 *     example file the table writes into strongSwan's charon).
 *
 * To add an option: one row in conf_opts[] (conf_options.c), a field in
 * the model struct of its section (conf.h) if it is supported, and its use
 * where the model is read (ctl/ctl_conf.c for IKE, which finds the
 * option's place and path by its field: conf_conn_where(cn,
 * offsetof(struct conf_conn, f), ...)). To support one that is refused
 * today: give it a type, a field and a .desc, and set .sup to CONF_SUP_YES.
 * For example, updown scripts once uipsecd runs them:
 *     { "updown", CHILD, CONF_T_STRING, CONF_SUP_YES, 0, 0, "",
 *       AT(conf_child, updown), .desc = "script run when the CHILD_SA
 *       comes up and goes down", .example = "/usr/lib/ipsec/_updown" },
 * and k->updown = ch->updown in ctl/ctl_conf.c. A value of an
 * option is supported the same way, in its .vals row (auth_vals: psk
 * today; pubkey when certificates come).
 * No option name is written anywhere else in src/: the parser, the
 * refusals, the lists, the man page and the example file all come from
 * here.
 *
 * Layering: conf uses util and net only. */
#ifndef UIPSEC_CONF_CONF_OPTIONS_H
#define UIPSEC_CONF_CONF_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct conf_kv;

/* The sections options are written in. */
enum conf_scope {
	CONF_SC_ROOT,          /* the top level */
	CONF_SC_CONNS,         /* connections */
	CONF_SC_CONN,          /* connections.<conn> */
	CONF_SC_LOCAL,         /* connections.<conn>.local<suffix> */
	CONF_SC_REMOTE,        /* connections.<conn>.remote<suffix> */
	CONF_SC_CERT,          /* ....cert<suffix>, ....cacert<suffix> */
	CONF_SC_CHILDREN,      /* connections.<conn>.children */
	CONF_SC_CHILD,         /* connections.<conn>.children.<child> */
	CONF_SC_SECRETS,       /* secrets */
	CONF_SC_SECRET_IKE,    /* secrets.ike<suffix> */
	CONF_SC_SECRET_EAP,    /* secrets.eap<suffix>, and xauth, ntlm, ppk */
	CONF_SC_SECRET_KEY,    /* secrets.private<suffix>, and rsa, ecdsa, pkcs8, pkcs12 */
	CONF_SC_SECRET_TOKEN,  /* secrets.token<suffix> */
	CONF_SC_POOLS,         /* pools */
	CONF_SC_POOL,          /* pools.<name> */
	CONF_SC_AUTHORITIES,   /* authorities */
	CONF_SC_AUTHORITY,     /* authorities.<name> */
	CONF_SC_MAX
};
#define CONF_SC(s) (1u << (s))

/* What a value is, and so how it is parsed (conf.c) and where it goes. */
enum conf_type {
	CONF_T_SECTION,        /* a subsection; .inner: the scope inside it */
	CONF_T_BOOL,           /* yes/no            -> bool */
	CONF_T_UINT,           /* number, .min-.max -> uint8/16/32/64 (by .size) */
	CONF_T_DURATION,       /* 30s, 4h, 1d       -> uint64_t seconds */
	CONF_T_BYTES,          /* 1k, 2m, 1g        -> uint64_t */
	CONF_T_ENUM,           /* one of .vals      -> uint8_t/unsigned (by .size) */
	CONF_T_ACTIONS,        /* none|trap|start, joined by '|' -> uint8_t bits */
	CONF_T_STRINGS,        /* comma list        -> char ** at off, size_t at off2 */
	CONF_T_ADDRS,          /* comma list        -> struct conf_addr *, size_t */
	CONF_T_TSS,            /* comma list        -> struct conf_ts *, size_t */
	CONF_T_ID,             /* an identity       -> struct conf_id, bool at off2 */
	CONF_T_IDS,            /* id<suffix> keys   -> appended: struct conf_id *, size_t */
	CONF_T_SECRET,         /* 0x.., 0s.., text  -> uint8_t *, size_t (wiped) */
	CONF_T_STRING,         /* any text          -> char * */
	CONF_T_AUTH,           /* one of .vals, by prefix (eap-md5 is eap) -> uint8_t
	                        * enum conf_auth_method */
	CONF_T_TEXT,           /* not parsed by uipsec (refused options): docs only */
	CONF_T_HOOK,           /* parsed by .parse (remote access: conf_pools.c),
	                        * .hook_type says what it is in docs */
};

/* Whether uipsec takes an option (or an enum value). */
enum conf_support {
	CONF_SUP_YES,          /* parsed and used (.runs may still bound it) */
	CONF_SUP_MODEL,        /* parsed into the model, but uipsecd runs only its
	                        * default: another value is refused (.why) unless
	                        * the file is read with CONF_MODEL_ONLY */
	CONF_SUP_NO,           /* refused wherever written: "not supported: .why" */
};

/* One value of a CONF_T_ENUM option. */
struct conf_enum_val {
	const char *name;
	int value;
	uint8_t sup;           /* enum conf_support */
	const char *why;       /* CONF_SUP_MODEL, CONF_SUP_NO */
};

/* flags */
#define CONF_F_DERIVED 0x01     /* the default is computed from other options
                                 * after the section is read (conf.c); the field
                                 * starts as CONF_UNSET */
#define CONF_F_NO_EFFECT 0x02   /* accepted, but uipsec does not act on it yet
                                 * (.note says what is missing); a warning is
                                 * logged where it is written */
#define CONF_F_PREFIX 0x04      /* name is a prefix: "local" matches local-1,
                                 * "id" matches id-a (local<suffix>, id<suffix>) */
#define CONF_F_ANY 0x08         /* any name (connections.<conn>, pools.<name>) */
#define CONF_F_UNLISTED 0x10    /* a section whose options swanctl.conf(5) does
                                 * not list (they are another section's:
                                 * secrets.xauth<suffix> has eap's) */

#define CONF_UNSET UINT64_MAX

struct conf_opt {
	const char *name;      /* as written; with CONF_F_PREFIX a prefix */
	uint32_t scopes;       /* CONF_SC() of every section it is written in */
	uint8_t type;          /* enum conf_type */
	uint8_t sup;           /* enum conf_support */
	uint8_t inner;         /* CONF_T_SECTION: enum conf_scope inside */
	uint8_t flags;         /* CONF_F_* */
	const char *dflt;      /* the default as swanctl.conf(5) writes it; for
	                        * options that are not CONF_F_DERIVED it is also
	                        * parsed into the field before the section is read */
	size_t off, off2;      /* where the value goes in the scope's model struct
	                        * (struct conf_conn, conf_auth, conf_child,
	                        * conf_secret), off2 for a second field (a count, a
	                        * flag) */
	size_t size;           /* sizeof the field at off (numbers, enums) */
	uint64_t min, max;     /* CONF_T_UINT */
	const struct conf_enum_val *vals;   /* CONF_T_ENUM */
	/* uipsecd's limits on a supported value (what its IKE core can carry):
	 * NULL if the value in obj (the section's model struct) can run, else
	 * why not. Checked once the section is complete (defaults derived),
	 * unless CONF_MODEL_ONLY. */
	const char *(*runs)(const struct conf_opt *o, const void *obj);
	const char *why;       /* CONF_SUP_MODEL/NO: why not supported */
	const char *desc;      /* what the option is, as swanctl.conf(5) says it
	                        * (every row uipsec takes has one: the man page) */
	const char *note;      /* one line for the option list (what it does in
	                        * uipsec, what is not done) */
	const char *example;   /* a value strongSwan accepts, for the example file
	                        * (NULL: the default); "" writes "key =" */
	/* CONF_T_HOOK: parse kv into obj; 0, -ENOMEM, or -EINVAL with
	 * "file:line:col: path: message" in err */
	int (*parse)(const struct conf_kv *kv, const char *path, void *obj, char *err,
	             size_t errlen);
	const char *hook_type;  /* CONF_T_HOOK: its value, for the man page */
	/* CONF_SUP_NO: the values that change nothing for uipsec's userspace
	 * data plane (what uipsec does anyway), accepted where written,
	 * separated by ", " and compared as written ("no", "0, 0/0"); NULL:
	 * none */
	const char *noop;
};

/* Is value (NULL: "key =", the default) one of o's no-op values? */
bool conf_opt_noop(const struct conf_opt *o, const char *value);

extern const struct conf_opt conf_opts[];
extern const size_t conf_nopts;

/* The option (section false) or section (true) named key in scope, or NULL
 * if there is none (an unknown option). */
const struct conf_opt *conf_opt_find(enum conf_scope scope, const char *key, bool section);

/* The row of scope whose value goes to the model field at off (of the
 * scope's model struct), or NULL: how code outside the table names an
 * option (conf_conn_where) without writing its name. */
const struct conf_opt *conf_opt_at(enum conf_scope scope, size_t off);

/* How each section's options are named in docs: "connections.<conn>.mobike". */
enum conf_list_format {
	CONF_LIST_TEXT,        /* one line per option: path, default, support (--help) */
	CONF_LIST_MARKDOWN,    /* docs/swanctl-options.md */
	CONF_LIST_NAMES,       /* the paths only, as swanctl.conf(5) names them */
	CONF_LIST_EXAMPLE,     /* a swanctl.conf that writes every option of the
	                        * table with its example value (the charon
	                        * cross-check) */
	CONF_LIST_MAN,         /* uipsec-swanctl.conf(5), a whole roff page: every
	                        * supported option with type, default and
	                        * description, those read with their default
	                        * only, and the refused ones with the reasons */
};
void conf_options_write(FILE *out, enum conf_list_format fmt);
/* The format named "text", "markdown", "names", "example" or "man"; -1 if
 * none is. */
int conf_list_format_parse(const char *name);

/* Of the example file: how many of its options uipsec refuses (one error
 * each, when read without CONF_MODEL_ONLY). For the tests. */
unsigned conf_options_example_refusals(void);

#endif
