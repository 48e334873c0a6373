/* The strongswan.conf / swanctl.conf file syntax, parsed into a tree of
 * sections and key/value pairs. Internal to src/conf/: conf.c builds the
 * typed model from this tree.
 *
 * Syntax (strongswan.conf(5), settings_lexer.l in strongSwan 5.9):
 *   settings := (section | keyvalue | include)*
 *   section  := NAME [":" REF ("," REF)*] "{" settings "}"
 *   keyvalue := NAME "=" [value] (newline | "#" | "}" | end of file)
 *   include  := "include" PATTERN
 * NAME is any run of characters except . , : { } = " # and white space; a
 * value is a run of unquoted words (joined by one space) and "strings" with
 * \n \r \t \<newline> and \<char> escapes; a string may span lines. A later
 * section of the same name extends the earlier one, a later key replaces
 * the earlier value; "key =" with no value clears it. Include patterns are
 * globs, relative to the directory of the including file.
 *
 * Deviation: an included file must close every section it opens (strongSwan
 * splices included files into one token stream). */
#ifndef UIPSEC_CONF_SETTINGS_H
#define UIPSEC_CONF_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"   /* struct conf_loc */

struct conf_kv {
	char *key;
	char *value;            /* NULL for "key =" (cleared, default applies) */
	struct conf_loc loc;    /* of the key, in its latest definition */
};

struct conf_ref {
	char *name;             /* absolute dotted name, "connections.base" */
	struct conf_loc loc;
};

struct conf_section {
	char *name;             /* "" for the root */
	struct conf_loc loc;    /* of the first definition */
	struct conf_kv *kv;
	size_t nkv, kvcap;
	struct conf_section **sub;
	size_t nsub, subcap;
	struct conf_ref *refs;  /* sections this one inherits from */
	size_t nrefs, refcap;
	bool referenced;        /* some section inherits from this one */
};

struct conf_tree {
	struct conf_section *root;
	char **files;           /* names of every file read (for conf_loc) */
	size_t nfiles, filecap;
};

/* Flags for conf_settings_parse_*. */
#define CONF_PARSE_NO_INCLUDE 1u   /* "include" is an error (fuzzing) */

/* Limits, so that hostile input costs bounded memory and time. */
#define CONF_MAX_FILE_SIZE   (1u << 20)
#define CONF_MAX_INCLUDE_DEPTH 16
#define CONF_MAX_FILES       256
#define CONF_MAX_SECTION_DEPTH 32
#define CONF_MAX_VALUE_LEN   (64u << 10)
#define CONF_MAX_NODES       10000   /* sections + keys (also after resolving refs) */

/* Parse a file (and what it includes) into a new tree. Returns 0 or a
 * negative errno; on error writes "file:line:col: message" into err. */
int conf_settings_parse_file(const char *path, unsigned flags, struct conf_tree **out,
                             char *err, size_t errlen);
/* Parse len bytes at buf; name is used in messages and as the base for
 * relative includes. */
int conf_settings_parse_buffer(const char *buf, size_t len, const char *name, unsigned flags,
                               struct conf_tree **out, char *err, size_t errlen);

/* Apply section references: every section that names others after ":"
 * gets their keys and subsections (its own come first and win). Resolved
 * copies replace the originals; referenced sections are marked. */
int conf_settings_resolve(struct conf_tree *t, char *err, size_t errlen);

/* Frees the tree; every value is wiped first (values hold secrets). */
void conf_tree_free(struct conf_tree *t);

/* Lookups in one section (no reference resolution). */
const struct conf_kv *conf_section_kv(const struct conf_section *s, const char *key);
const struct conf_section *conf_section_sub(const struct conf_section *s, const char *name);

#endif
