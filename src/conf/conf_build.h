/* Internal to src/conf/: the builder that reads a settings tree through
 * the option table (conf_build.c), shared with the section builders of
 * conf.c. Every error goes through conf_build_fail, which keeps it (once
 * per place) and lets the build go on; conf_build_finish writes them all,
 * in file order, into the caller's buffer. */
#ifndef UIPSEC_CONF_CONF_BUILD_H
#define UIPSEC_CONF_CONF_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"
#include "conf/conf_options.h"
#include "conf/conf_settings.h"

#define UNSET CONF_UNSET
#define PATHLEN 512

struct err_rec {
	struct conf_loc loc;
	char *text;               /* "file:line:col: path: message" */
};

struct builder {
	char *err;
	size_t errlen;
	bool failed;
	bool nomem;               /* an error could not be kept */
	unsigned flags;           /* CONF_MODEL_ONLY, ... */
	char *const *files;       /* the tree's file table, in the order read */
	size_t nfiles;
	struct err_rec *errs;     /* every error, one per place */
	size_t nerrs, errcap;
};

/* Report "file:line:col: path: message" (once per place; control
 * characters of echoed values replaced) and go on. Returns -EINVAL. */
__attribute__((format(printf, 4, 5)))
int conf_build_fail(struct builder *b, const struct conf_loc *loc, const char *path,
                    const char *fmt, ...);
/* The same for an error text already in that form (remote access's
 * parsers, conf_pools.h), kept at loc. */
int conf_build_fail_text(struct builder *b, const struct conf_loc *loc, const char *text);
/* All errors into b->err, in file order, one per line; what does not fit
 * is counted in a last line. Frees them. */
void conf_build_finish(struct builder *b);
/* path + "." + name into buf (just name at the top level). Returns buf. */
const char *conf_build_subpath(char *buf, size_t len, const char *path, const char *name);

/* Start obj, the model struct of a section of scope, with the table's
 * defaults (derived ones CONF_UNSET). 0 or -ENOMEM. */
int conf_build_defaults(struct builder *b, enum conf_scope scope, void *obj);
/* Every key of section s through the table into obj (may be NULL for
 * sections that hold only sections); the options set are added to *seen
 * when seen is non-NULL. Subsections are the caller's. 0 or -ENOMEM. */
int conf_build_kvs(struct builder *b, enum conf_scope scope, const struct conf_section *s,
                   const char *path, void *obj, struct conf_seen **seen, size_t *nseen);
/* uipsecd's limits (.runs) on the finished section obj (unless
 * CONF_MODEL_ONLY): refused at the option's place, or the section's. */
void conf_build_runs(struct builder *b, enum conf_scope scope, const struct conf_section *s,
                     const char *path, const void *obj, const struct conf_seen *seen,
                     size_t nseen);
/* A subsection sub of scope that is refused or no strongSwan section. */
void conf_build_refuse(struct builder *b, enum conf_scope scope, const struct conf_section *sub,
                       const char *path);

/* Where option o was set (the last time), or NULL. */
const struct conf_loc *conf_seen_find(const struct conf_seen *seen, size_t n,
                                      const struct conf_opt *o);
/* Does section s (scope) write, with a value, the option whose field is
 * at off? (Whether a default was kept because the option was absent or
 * because its value was refused at its own line.) */
bool conf_build_written(enum conf_scope scope, const struct conf_section *s, size_t off);
void conf_addrs_free(struct conf_addr *a, size_t n);

#endif
