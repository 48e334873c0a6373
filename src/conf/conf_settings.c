/* strongswan.conf-style settings: a hand-written lexer and recursive-descent
 * parser that follow strongSwan's settings_lexer.l / settings_parser.y,
 * plus include handling and section references. The result is a plain tree
 * (conf_settings.h); nothing here knows what a connection is.
 *
 * Ownership: the tree owns every string. Values may hold pre-shared keys,
 * so value buffers and file contents are wiped before they are freed. */
#include "conf/conf_settings.h"
#include "util/mem.h"

#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- small helpers ----------------------------------------------------- */

/* A growable string whose old buffers are wiped when it grows. */
struct sbuf {
	char *s;
	size_t len, cap;
};

static int sbuf_addn(struct sbuf *b, const char *s, size_t n)
{
	if (mem_grow_wipe((void **)&b->s, &b->cap, b->len, b->len + n + 1, 32))
		return -ENOMEM;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

static int sbuf_addc(struct sbuf *b, char c)
{
	return sbuf_addn(b, &c, 1);
}

static void sbuf_free(struct sbuf *b)
{
	if (b->s)
		mem_free_wipe(b->s, b->cap);
	memset(b, 0, sizeof(*b));
}

/* Hand the string over (NUL-terminated, exactly sized is not promised). */
static char *sbuf_take(struct sbuf *b)
{
	char *s = b->s;

	if (!s)
		s = strdup("");
	memset(b, 0, sizeof(*b));
	return s;
}

static void str_free_wipe(char *s)
{
	if (s)
		mem_free_wipe(s, strlen(s));
}

/* ---- tree -------------------------------------------------------------- */

static struct conf_section *section_new(const char *name, const struct conf_loc *loc)
{
	struct conf_section *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->name = strdup(name);
	if (!s->name) {
		free(s);
		return NULL;
	}
	if (loc)
		s->loc = *loc;
	return s;
}

static void section_free(struct conf_section *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nkv; i++) {
		free(s->kv[i].key);
		str_free_wipe(s->kv[i].value);
	}
	for (size_t i = 0; i < s->nsub; i++)
		section_free(s->sub[i]);
	for (size_t i = 0; i < s->nrefs; i++)
		free(s->refs[i].name);
	free(s->kv);
	free(s->sub);
	free(s->refs);
	free(s->name);
	free(s);
}

void conf_tree_free(struct conf_tree *t)
{
	if (!t)
		return;
	section_free(t->root);
	for (size_t i = 0; i < t->nfiles; i++)
		free(t->files[i]);
	free(t->files);
	free(t);
}

const struct conf_kv *conf_section_kv(const struct conf_section *s, const char *key)
{
	for (size_t i = 0; i < s->nkv; i++)
		if (strcmp(s->kv[i].key, key) == 0)
			return &s->kv[i];
	return NULL;
}

const struct conf_section *conf_section_sub(const struct conf_section *s, const char *name)
{
	for (size_t i = 0; i < s->nsub; i++)
		if (strcmp(s->sub[i]->name, name) == 0)
			return s->sub[i];
	return NULL;
}

static struct conf_section *sub_find(struct conf_section *s, const char *name)
{
	return (struct conf_section *)conf_section_sub(s, name);
}

static int sub_append(struct conf_section *s, struct conf_section *sub)
{
	if (mem_array_grow((void **)&s->sub, &s->subcap, s->nsub, sizeof(*s->sub)))
		return -ENOMEM;
	s->sub[s->nsub++] = sub;
	return 0;
}

/* Set key to value (value is adopted; NULL clears). A later definition
 * replaces the earlier value but keeps the key's position. */
static int kv_set(struct conf_section *s, const char *key, char *value, const struct conf_loc *loc)
{
	struct conf_kv *kv = (struct conf_kv *)conf_section_kv(s, key);

	if (kv) {
		str_free_wipe(kv->value);
		kv->value = value;
		kv->loc = *loc;
		return 0;
	}
	if (mem_array_grow((void **)&s->kv, &s->kvcap, s->nkv, sizeof(*s->kv)))
		goto nomem;
	kv = &s->kv[s->nkv];
	kv->key = strdup(key);
	if (!kv->key)
		goto nomem;
	kv->value = value;
	kv->loc = *loc;
	s->nkv++;
	return 0;
nomem:
	str_free_wipe(value);
	return -ENOMEM;
}

/* ---- parser state and errors ------------------------------------------- */

struct parser {
	struct conf_tree *t;
	unsigned flags;
	char *err;
	size_t errlen;
	unsigned include_depth;
	size_t nodes;
};

struct lexer {
	const char *buf;
	size_t len, pos;
	unsigned line, col;
	const char *file;        /* owned by the tree's file table */
};

__attribute__((format(printf, 3, 4)))
static int fail_at(struct parser *p, const struct conf_loc *loc, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!p->err || !p->errlen)
		return -EINVAL;
	if (loc && loc->file)
		n = snprintf(p->err, p->errlen, "%s:%u:%u: ", loc->file, loc->line, loc->col);
	if (n < 0 || (size_t)n >= p->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int count_node(struct parser *p, const struct conf_loc *loc)
{
	if (++p->nodes > CONF_MAX_NODES)
		return fail_at(p, loc, "too many sections and settings (limit %u)", CONF_MAX_NODES);
	return 0;
}

static const char *tree_add_file(struct conf_tree *t, const char *name)
{
	char *copy;

	if (mem_array_grow((void **)&t->files, &t->filecap, t->nfiles, sizeof(*t->files)))
		return NULL;
	copy = strdup(name);
	if (!copy)
		return NULL;
	t->files[t->nfiles++] = copy;
	return copy;
}

/* ---- lexer -------------------------------------------------------------- */

enum tok {
	TOK_EOF, TOK_LBRACE, TOK_RBRACE, TOK_DOT, TOK_COMMA, TOK_COLON, TOK_EQ,
	TOK_NAME, TOK_INCLUDE, TOK_QUOTE,
};

struct token {
	enum tok type;
	char *text;              /* NAME: the name; INCLUDE: the pattern */
	struct conf_loc loc;
};

static int peek(const struct lexer *lx)
{
	return lx->pos < lx->len ? (unsigned char)lx->buf[lx->pos] : -1;
}

static int peek_at(const struct lexer *lx, size_t off)
{
	return lx->pos + off < lx->len ? (unsigned char)lx->buf[lx->pos + off] : -1;
}

static void advance(struct lexer *lx)
{
	if (lx->pos >= lx->len)
		return;
	if (lx->buf[lx->pos] == '\n') {
		lx->line++;
		lx->col = 1;
	} else {
		lx->col++;
	}
	lx->pos++;
}

static struct conf_loc here(const struct lexer *lx)
{
	struct conf_loc l = { lx->file, lx->line, lx->col };
	return l;
}

/* Characters of section names and keys: anything but . , : { } = " # and
 * white space (strongswan.conf(5)). */
static bool is_name_char(int c)
{
	return c >= 0 && !strchr(".,:{}=\"#\r\n\t ", c);
}

/* White space, newlines and # comments between tokens. */
static void skip_blank(struct lexer *lx)
{
	for (;;) {
		int c = peek(lx);

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			advance(lx);
		} else if (c == '#') {
			while (peek(lx) >= 0 && peek(lx) != '\n')
				advance(lx);
		} else {
			return;
		}
	}
}

/* The body of a "quoted string", after the opening quote. */
static int lex_string(struct parser *p, struct lexer *lx, struct sbuf *b)
{
	struct conf_loc start = here(lx);
	int c, rc;

	start.col--;
	for (;;) {
		c = peek(lx);
		if (c < 0)
			return fail_at(p, &start, "unterminated string");
		advance(lx);
		if (c == '"')
			return 0;
		if (c == '\r')
			continue;
		if (c == '\\') {
			int d = peek(lx);

			if (d < 0)
				return fail_at(p, &start, "unterminated string");
			advance(lx);
			if (d == 'n')
				c = '\n';
			else if (d == 'r')
				c = '\r';
			else if (d == 't')
				c = '\t';
			else if (d == '\n')
				continue;            /* escaped end of line joins lines */
			else if (d == '\r' && peek(lx) == '\n') {
				advance(lx);
				continue;
			} else
				c = d;
		}
		rc = sbuf_addc(b, (char)c);
		if (rc)
			return rc;
		if (b->len > CONF_MAX_VALUE_LEN)
			return fail_at(p, &start, "string longer than %u bytes", CONF_MAX_VALUE_LEN);
	}
}

/* The file pattern after "include": up to white space, '#', '}' or end of
 * line; \" \# \} and "\ " escape those; a "quoted" part ends the pattern. */
static int lex_include_pattern(struct parser *p, struct lexer *lx, char **out)
{
	struct conf_loc start = here(lx);
	struct sbuf b = { 0 };
	int c, rc = 0;

	for (;;) {
		c = peek(lx);
		if (c < 0 || c == '#' || c == '}' || c == '\n' || c == '\t' || c == ' ')
			break;
		if (c == '\r') {
			advance(lx);
			continue;
		}
		if (c == '"') {
			advance(lx);
			rc = lex_string(p, lx, &b);
			break;
		}
		if (c == '\\') {
			int d = peek_at(lx, 1);

			advance(lx);
			if (d == '"' || d == '#' || d == '}' || d == ' ') {
				advance(lx);
				c = d;
			}
		} else {
			advance(lx);
		}
		rc = sbuf_addc(&b, (char)c);
		if (!rc && b.len > CONF_MAX_VALUE_LEN)
			rc = fail_at(p, &start, "include pattern too long");
		if (rc)
			break;
	}
	if (rc) {
		sbuf_free(&b);
		return rc;
	}
	*out = sbuf_take(&b);
	return *out ? 0 : -ENOMEM;
}

static int lex_token(struct parser *p, struct lexer *lx, struct token *t)
{
	size_t start;
	int c;

	memset(t, 0, sizeof(*t));
	skip_blank(lx);
	t->loc = here(lx);
	c = peek(lx);
	switch (c) {
	case -1:  t->type = TOK_EOF; return 0;
	case '{': t->type = TOK_LBRACE; break;
	case '}': t->type = TOK_RBRACE; break;
	case '.': t->type = TOK_DOT; break;
	case ',': t->type = TOK_COMMA; break;
	case ':': t->type = TOK_COLON; break;
	case '=': t->type = TOK_EQ; break;
	case '"': t->type = TOK_QUOTE; break;
	default:
		break;
	}
	if (!is_name_char(c)) {
		advance(lx);
		return 0;
	}
	start = lx->pos;
	while (is_name_char(peek(lx)))
		advance(lx);
	/* "include" followed by blanks and something other than '=' starts an
	 * include; "include = x" is an ordinary key. */
	if (lx->pos - start == 7 && memcmp(lx->buf + start, "include", 7) == 0 &&
	    (peek(lx) == ' ' || peek(lx) == '\t')) {
		size_t off = 0;

		while (peek_at(lx, off) == ' ' || peek_at(lx, off) == '\t')
			off++;
		if (peek_at(lx, off) >= 0 && peek_at(lx, off) != '=') {
			while (off--)
				advance(lx);
			t->type = TOK_INCLUDE;
			return lex_include_pattern(p, lx, &t->text);
		}
	}
	t->type = TOK_NAME;
	t->text = strndup(lx->buf + start, lx->pos - start);
	return t->text ? 0 : -ENOMEM;
}

/* The value after '=': unquoted words and "strings" up to the end of the
 * line, a '#' or a '}', joined with single spaces. *out is NULL if there
 * is no value at all. */
static int lex_value(struct parser *p, struct lexer *lx, char **out)
{
	struct conf_loc start = here(lx);
	struct sbuf b = { 0 };
	bool any = false;
	int rc = 0;

	for (;;) {
		int c = peek(lx);

		if (c == '\r' || c == ' ' || c == '\t') {
			advance(lx);
			continue;
		}
		if (c < 0 || c == '\n' || c == '#' || c == '}')
			break;
		if (any && (rc = sbuf_addc(&b, ' ')))
			break;
		any = true;
		if (c == '"') {
			advance(lx);
			rc = lex_string(p, lx, &b);
		} else {
			size_t w = lx->pos;

			while ((c = peek(lx)) >= 0 && !strchr("#}\"\r\n\t ", c))
				advance(lx);
			rc = sbuf_addn(&b, lx->buf + w, lx->pos - w);
		}
		if (!rc && b.len > CONF_MAX_VALUE_LEN)
			rc = fail_at(p, &start, "value longer than %u bytes", CONF_MAX_VALUE_LEN);
		if (rc)
			break;
	}
	if (rc) {
		sbuf_free(&b);
		return rc;
	}
	*out = any ? sbuf_take(&b) : NULL;
	return (any && !*out) ? -ENOMEM : 0;
}

/* One reference name after ':' or ',' in a section header: NAME(.NAME)*. */
static int lex_ref(struct parser *p, struct lexer *lx, char **out, struct conf_loc *loc)
{
	size_t start;

	skip_blank(lx);
	*loc = here(lx);
	start = lx->pos;
	for (;;) {
		size_t seg = lx->pos;

		while (is_name_char(peek(lx)))
			advance(lx);
		if (lx->pos == seg)
			return fail_at(p, loc, "expected the name of a section to reference");
		if (peek(lx) != '.')
			break;
		advance(lx);
	}
	*out = strndup(lx->buf + start, lx->pos - start);
	return *out ? 0 : -ENOMEM;
}

static const char *tok_desc(const struct token *t)
{
	switch (t->type) {
	case TOK_EOF:     return "end of file";
	case TOK_LBRACE:  return "'{'";
	case TOK_RBRACE:  return "'}'";
	case TOK_DOT:     return "'.' (not allowed in names)";
	case TOK_COMMA:   return "','";
	case TOK_COLON:   return "':'";
	case TOK_EQ:      return "'='";
	case TOK_NAME:    return "a name";
	case TOK_INCLUDE: return "include";
	case TOK_QUOTE:   return "a string (only values may be quoted)";
	}
	return "?";
}

/* ---- parser ------------------------------------------------------------- */

static int parse_body(struct parser *p, struct lexer *lx, struct conf_section *sec,
                      unsigned depth, const struct conf_loc *open);

static int include_files(struct parser *p, const char *cur_file, const char *pattern,
                         struct conf_section *sec, unsigned depth, const struct conf_loc *loc);

static int parse_section_header(struct parser *p, struct lexer *lx, struct conf_section *sec,
                                char *name, const struct conf_loc *loc, bool with_refs,
                                unsigned depth)
{
	struct conf_section *sub;
	struct token t;
	int rc;

	if (depth + 1 > CONF_MAX_SECTION_DEPTH)
		return fail_at(p, loc, "sections nested deeper than %u", CONF_MAX_SECTION_DEPTH);
	sub = sub_find(sec, name);
	if (!sub) {
		if ((rc = count_node(p, loc)))
			return rc;
		sub = section_new(name, loc);
		if (!sub || sub_append(sec, sub)) {
			section_free(sub);
			return -ENOMEM;
		}
	}
	if (with_refs) {
		for (;;) {
			struct conf_loc rloc;
			char *ref = NULL;

			if ((rc = lex_ref(p, lx, &ref, &rloc)))
				return rc;
			if (mem_array_grow((void **)&sub->refs, &sub->refcap, sub->nrefs,
			                   sizeof(*sub->refs))) {
				free(ref);
				return -ENOMEM;
			}
			sub->refs[sub->nrefs].name = ref;
			sub->refs[sub->nrefs].loc = rloc;
			sub->nrefs++;
			skip_blank(lx);
			if (peek(lx) != ',')
				break;
			advance(lx);
		}
		if ((rc = lex_token(p, lx, &t)))
			return rc;
		free(t.text);
		if (t.type != TOK_LBRACE)
			return fail_at(p, &t.loc, "expected '{' after the references of section '%s', found %s",
			               name, tok_desc(&t));
	}
	return parse_body(p, lx, sub, depth + 1, loc);
}

static int parse_body(struct parser *p, struct lexer *lx, struct conf_section *sec,
                      unsigned depth, const struct conf_loc *open)
{
	struct token t, t2;
	int rc;

	for (;;) {
		if ((rc = lex_token(p, lx, &t)))
			return rc;
		switch (t.type) {
		case TOK_EOF:
			if (open)
				return fail_at(p, open, "section '%s' is not closed before the end of the file",
				               sec->name);
			return 0;
		case TOK_RBRACE:
			if (!open)
				return fail_at(p, &t.loc, "'}' without a section to close");
			return 0;
		case TOK_INCLUDE:
			rc = include_files(p, lx->file, t.text, sec, depth, &t.loc);
			str_free_wipe(t.text);
			if (rc)
				return rc;
			continue;
		case TOK_NAME:
			break;
		default:
			return fail_at(p, &t.loc, "unexpected %s", tok_desc(&t));
		}
		/* NAME = value | NAME { | NAME : refs { */
		if ((rc = lex_token(p, lx, &t2))) {
			free(t.text);
			return rc;
		}
		if (t2.type == TOK_EQ) {
			char *value = NULL;

			rc = lex_value(p, lx, &value);
			if (!rc && !conf_section_kv(sec, t.text))
				rc = count_node(p, &t.loc);
			if (!rc)
				rc = kv_set(sec, t.text, value, &t.loc);
			else if (value)
				str_free_wipe(value);
		} else if (t2.type == TOK_LBRACE || t2.type == TOK_COLON) {
			rc = parse_section_header(p, lx, sec, t.text, &t.loc, t2.type == TOK_COLON, depth);
		} else {
			rc = fail_at(p, &t2.loc, "expected '=' or '{' after '%s', found %s",
			             t.text, tok_desc(&t2));
		}
		free(t.text);
		free(t2.text);
		if (rc)
			return rc;
	}
}

/* Parse one buffer as the content of sec (top level of a file). */
static int parse_buffer_into(struct parser *p, const char *buf, size_t len, const char *name,
                             struct conf_section *sec, unsigned depth)
{
	struct lexer lx = { .buf = buf, .len = len, .line = 1, .col = 1 };
	const void *nul;

	if (p->t->nfiles >= CONF_MAX_FILES)
		return fail_at(p, NULL, "%s: more than %u files included", name, CONF_MAX_FILES);
	lx.file = tree_add_file(p->t, name);
	if (!lx.file)
		return -ENOMEM;
	nul = memchr(buf, '\0', len);
	if (nul) {
		/* Find line and column of the NUL for the message. */
		while (lx.pos < (size_t)((const char *)nul - buf))
			advance(&lx);
		struct conf_loc l = here(&lx);
		return fail_at(p, &l, "NUL byte in configuration file");
	}
	return parse_body(p, &lx, sec, depth, NULL);
}

/* Read a whole regular file (at most CONF_MAX_FILE_SIZE bytes). */
static int read_file(const char *path, char **buf, size_t *len)
{
	struct stat st;
	FILE *f;
	char *b = NULL;
	int rc = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto out;
	}
	if ((unsigned long long)st.st_size > CONF_MAX_FILE_SIZE) {
		rc = -EFBIG;
		goto out;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		rc = -ENOMEM;
		goto out;
	}
	*len = fread(b, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		rc = -EIO;
		goto out;
	}
	b[*len] = '\0';
	*buf = b;
	b = NULL;
out:
	free(b);
	fclose(f);
	return rc;
}

static int parse_file_into(struct parser *p, const char *path, struct conf_section *sec,
                           unsigned depth, const struct conf_loc *from)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	rc = read_file(path, &buf, &len);
	if (rc) {
		const char *why = rc == -EINVAL ? "not a regular file" :
		                  rc == -EFBIG ? "file larger than 1 MiB" : strerror(-rc);
		if (from)
			fail_at(p, from, "include: cannot read '%s': %s", path, why);
		else
			fail_at(p, NULL, "%s: cannot read: %s", path, why);
		return rc;
	}
	rc = parse_buffer_into(p, buf, len, path, sec, depth);
	mem_free_wipe(buf, len + 1);
	return rc;
}

static bool has_glob_magic(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int include_files(struct parser *p, const char *cur_file, const char *pattern,
                         struct conf_section *sec, unsigned depth, const struct conf_loc *loc)
{
	char *full = NULL;
	glob_t g;
	int rc = 0, grc;

	if (p->flags & CONF_PARSE_NO_INCLUDE)
		return fail_at(p, loc, "include is not allowed here");
	if (!*pattern)
		return fail_at(p, loc, "include without a file pattern");
	if (p->include_depth >= CONF_MAX_INCLUDE_DEPTH)
		return fail_at(p, loc, "includes nested deeper than %u (an include loop?)",
		               CONF_MAX_INCLUDE_DEPTH);
	/* Relative patterns are relative to the directory of the including
	 * file (strongswan.conf(5), "INCLUDING FILES"). */
	if (pattern[0] == '/') {
		full = strdup(pattern);
	} else {
		const char *slash = strrchr(cur_file, '/');
		int dirlen = slash ? (int)(slash - cur_file) : 1;
		const char *dir = slash ? cur_file : ".";

		if (slash && dirlen == 0)
			dirlen = 1;   /* file in "/" */
		if (asprintf(&full, "%.*s/%s", dirlen, dir, pattern) < 0)
			full = NULL;
	}
	if (!full)
		return -ENOMEM;
	memset(&g, 0, sizeof(g));
	grc = glob(full, 0, NULL, &g);
	if (grc == GLOB_NOMATCH) {
		/* A wildcard that matches nothing is fine (conf.d/ *.conf on an
		 * empty directory); a plain file name that does not exist is not. */
		if (!has_glob_magic(pattern))
			rc = fail_at(p, loc, "include: '%s' does not exist", full);
	} else if (grc != 0) {
		rc = fail_at(p, loc, "include: cannot expand '%s'", full);
	} else {
		p->include_depth++;
		for (size_t i = 0; i < g.gl_pathc && !rc; i++)
			rc = parse_file_into(p, g.gl_pathv[i], sec, depth, loc);
		p->include_depth--;
	}
	if (grc != GLOB_NOMATCH)
		globfree(&g);
	free(full);
	return rc;
}

static int parse_common(const char *buf, size_t len, const char *path, unsigned flags,
                        struct conf_tree **out, char *err, size_t errlen)
{
	struct parser p = { .flags = flags, .err = err, .errlen = errlen };
	int rc = -ENOMEM;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	p.t = calloc(1, sizeof(*p.t));
	if (!p.t)
		goto out;
	p.t->root = section_new("", NULL);
	if (!p.t->root)
		goto out;
	if (buf)
		rc = parse_buffer_into(&p, buf, len, path, p.t->root, 0);
	else
		rc = parse_file_into(&p, path, p.t->root, 0, NULL);
out:
	if (rc) {
		if (rc == -ENOMEM && err && errlen && !err[0])
			snprintf(err, errlen, "%s: out of memory", path);
		conf_tree_free(p.t);
		return rc;
	}
	*out = p.t;
	return 0;
}

int conf_settings_parse_file(const char *path, unsigned flags, struct conf_tree **out,
                             char *err, size_t errlen)
{
	return parse_common(NULL, 0, path, flags, out, err, errlen);
}

int conf_settings_parse_buffer(const char *buf, size_t len, const char *name, unsigned flags,
                               struct conf_tree **out, char *err, size_t errlen)
{
	return parse_common(buf, len, name ? name : "<buffer>", flags, out, err, errlen);
}

/* ---- section references -------------------------------------------------- */

struct resolver {
	struct parser *p;
	const struct conf_section *root;
};

/* Find a section by absolute dotted name ("connections.base"). */
static struct conf_section *lookup_abs(const struct conf_section *root, const char *name)
{
	const struct conf_section *s = root;
	const char *seg = name;

	while (s && *seg) {
		const char *dot = strchr(seg, '.');
		size_t n = dot ? (size_t)(dot - seg) : strlen(seg);
		const struct conf_section *next = NULL;

		for (size_t i = 0; i < s->nsub; i++) {
			if (strlen(s->sub[i]->name) == n && memcmp(s->sub[i]->name, seg, n) == 0) {
				next = s->sub[i];
				break;
			}
		}
		s = next;
		seg = dot ? dot + 1 : seg + n;
	}
	return (struct conf_section *)s;
}

static int mark_refs(struct resolver *r, struct conf_section *s)
{
	for (size_t i = 0; i < s->nrefs; i++) {
		struct conf_section *target = lookup_abs(r->root, s->refs[i].name);

		if (!target)
			return fail_at(r->p, &s->refs[i].loc, "section '%s' references '%s', which does not exist",
			               s->name, s->refs[i].name);
		target->referenced = true;
	}
	for (size_t i = 0; i < s->nsub; i++) {
		int rc = mark_refs(r, s->sub[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* Move what dst lacks from src into dst (src's keys and sections come
 * after dst's own, and dst's own win). src is consumed. */
static int merge_into(struct conf_section *dst, struct conf_section *src)
{
	int rc = 0;

	for (size_t i = 0; i < src->nkv && !rc; i++) {
		struct conf_kv *kv = &src->kv[i];

		if (conf_section_kv(dst, kv->key))
			continue;
		rc = kv_set(dst, kv->key, kv->value, &kv->loc);
		kv->value = NULL;   /* adopted (or freed by kv_set on error) */
	}
	for (size_t i = 0; i < src->nsub && !rc; i++) {
		struct conf_section *d = sub_find(dst, src->sub[i]->name);

		if (d) {
			rc = merge_into(d, src->sub[i]);
			src->sub[i] = NULL;
		} else if (!(rc = sub_append(dst, src->sub[i]))) {
			src->sub[i] = NULL;
		}
	}
	for (size_t i = 0; i < src->nsub; i++)
		section_free(src->sub[i]);
	src->nsub = 0;
	section_free(src);
	return rc;
}

/* A copy of s with every reference (also of its subsections and of the
 * referenced sections) applied. */
static int resolve_copy(struct resolver *r, const struct conf_section *s, unsigned depth,
                        struct conf_section **out)
{
	struct conf_section *c;
	int rc = 0;

	*out = NULL;
	if (depth > CONF_MAX_SECTION_DEPTH * 2)
		return fail_at(r->p, &s->loc, "section references of '%s' nest too deeply (a reference loop?)",
		               s->name);
	if ((rc = count_node(r->p, &s->loc)))
		return rc;
	c = section_new(s->name, &s->loc);
	if (!c)
		return -ENOMEM;
	c->referenced = s->referenced;
	for (size_t i = 0; i < s->nkv && !rc; i++) {
		char *v = NULL;

		if (s->kv[i].value && !(v = strdup(s->kv[i].value))) {
			rc = -ENOMEM;
			break;
		}
		rc = count_node(r->p, &s->kv[i].loc);
		if (!rc)
			rc = kv_set(c, s->kv[i].key, v, &s->kv[i].loc);
		else
			str_free_wipe(v);
	}
	for (size_t i = 0; i < s->nsub && !rc; i++) {
		struct conf_section *sub;

		rc = resolve_copy(r, s->sub[i], depth + 1, &sub);
		if (!rc && (rc = sub_append(c, sub)))
			section_free(sub);
	}
	for (size_t i = 0; i < s->nrefs && !rc; i++) {
		const struct conf_section *target = lookup_abs(r->root, s->refs[i].name);
		struct conf_section *tc;

		if (target == s)
			rc = fail_at(r->p, &s->refs[i].loc, "section '%s' references itself", s->name);
		else
			rc = resolve_copy(r, target, depth + 1, &tc);
		if (!rc)
			rc = merge_into(c, tc);
	}
	if (rc) {
		section_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

static bool has_refs(const struct conf_section *s)
{
	if (s->nrefs)
		return true;
	for (size_t i = 0; i < s->nsub; i++)
		if (has_refs(s->sub[i]))
			return true;
	return false;
}

int conf_settings_resolve(struct conf_tree *t, char *err, size_t errlen)
{
	struct parser p = { .t = t, .err = err, .errlen = errlen };
	struct resolver r = { .p = &p, .root = t->root };
	struct conf_section *resolved;
	int rc;

	if (!has_refs(t->root))
		return 0;
	rc = mark_refs(&r, t->root);
	if (!rc)
		rc = resolve_copy(&r, t->root, 0, &resolved);
	if (rc)
		return rc;
	section_free(t->root);
	t->root = resolved;
	return 0;
}
