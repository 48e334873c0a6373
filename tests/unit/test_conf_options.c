/* conf/conf_options: the swanctl.conf option table. The generated list
 * (docs/swanctl-options.md) is the table's (the test fails until the file
 * is regenerated); the example file that writes every option is refused by
 * uipsecd exactly where the table says, each refusal a "not supported" at
 * its own line, never an "unknown option" (tests/interop/test_conf_charon.sh
 * loads the same file into charon, which knows every option); the table
 * itself is consistent (reasons where refused, one entry per name and
 * section, defaults that parse); and the places of options are kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "conf/conf_options.h"

static char *render(enum conf_list_format fmt, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	char *copy;

	assert_non_null(f);
	conf_options_write(f, fmt);
	fclose(f);
	/* a copy: GCC's -Wdangling-pointer takes what open_memstream wrote
	 * through &buf for this frame's own memory */
	copy = malloc(*len + 1);
	assert_non_null(copy);
	memcpy(copy, buf, *len + 1);
	free(buf);
	return copy;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* docs/swanctl-options.md is `uipsecd --list-options --format markdown`. */
static void test_docs_match_table(void **state)
{
	char path[512];
	size_t glen, dlen = 0;
	char *gen = render(CONF_LIST_MARKDOWN, &glen), *doc;

	(void)state;
	/* tests/unit/ -> docs/ (CMake compiles with absolute paths) */
	{
		const char *slash = strrchr(__FILE__, '/');

		snprintf(path, sizeof(path), "%.*s/../../docs/swanctl-options.md",
		         slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
	}
	doc = read_all(path, &dlen);
	if (!doc)
		fail_msg("%s is missing: build/uipsecd --list-options --format markdown > docs/swanctl-options.md",
		         path);
	if (dlen != glen || memcmp(doc, gen, glen) != 0) {
		size_t i = 0, line = 1;

		while (i < dlen && i < glen && doc[i] == gen[i])
			line += doc[i++] == '\n';
		fail_msg("docs/swanctl-options.md differs from the option table from line %zu on: "
		         "regenerate it with build/uipsecd --list-options --format markdown > "
		         "docs/swanctl-options.md", line);
	}
	free(gen);
	free(doc);
}

/* The example file: uipsecd refuses exactly the table's refusals, each at
 * its line, all of them at once, none as unknown. */
static void test_example_refusals(void **state)
{
	size_t len;
	char *ex = render(CONF_LIST_EXAMPLE, &len), *err = malloc(65536);
	struct conf *c = NULL;
	unsigned lines = 0, want = conf_options_example_refusals();
	unsigned prev_line = 0;

	(void)state;
	assert_non_null(err);
	assert_true(want > 25);
	assert_int_equal(conf_parse_buffer(ex, len, "example.conf", CONF_NO_INCLUDE, &c, err, 65536),
	                 -EINVAL);
	assert_null(c);
	for (char *p = err; *p;) {
		char *nl = strchr(p, '\n');
		unsigned line = (unsigned)strtoul(p + strlen("example.conf:"), NULL, 10);

		if (nl)
			*nl = '\0';
		if (strncmp(p, "example.conf:", 13) != 0 || !strstr(p, ": not supported: "))
			fail_msg("not a refusal of a real option: %s", p);
		if (line <= prev_line)
			fail_msg("not one per line, in file order: %s", p);
		prev_line = line;
		lines++;
		p = nl ? nl + 1 : p + strlen(p);
	}
	assert_int_equal(lines, want);
	/* the model holds what uipsecd only runs with its default (none of
	 * the example's values: every refusal stays) */
	assert_int_equal(conf_parse_buffer(ex, len, "example.conf", CONF_NO_INCLUDE | CONF_MODEL_ONLY,
	                                   &c, err, 65536), -EINVAL);
	lines = 1;
	for (const char *p = err; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, want);
	free(ex);
	free(err);
}

static const char *type_name(uint8_t t)
{
	static const char *const n[] = { "section", "bool", "uint", "duration", "bytes", "enum",
	                                 "actions", "strings", "addrs", "tss", "id", "ids",
	                                 "secret", "string", "auth", "text" };
	return t < sizeof(n) / sizeof(n[0]) ? n[t] : "?";
}

/* Every row is complete: refusals have reasons, supported options a place
 * in the model, names are unique per section, scopes have paths. */
static void test_table_consistent(void **state)
{
	(void)state;
	assert_true(conf_nopts > 130);   /* 162 paths of swanctl.conf(5), some rows shared */
	for (size_t i = 0; i < conf_nopts; i++) {
		const struct conf_opt *o = &conf_opts[i];

		if (!o->name || !o->name[0] || !o->scopes)
			fail_msg("row %zu: no name or section", i);
		if (o->sup != CONF_SUP_YES && (!o->why || !o->why[0]))
			fail_msg("%s: refused without a reason", o->name);
		if (o->type == CONF_T_TEXT && o->sup != CONF_SUP_NO)
			fail_msg("%s: a text option must be refused", o->name);
		if (o->type != CONF_T_SECTION && o->type != CONF_T_TEXT && !o->dflt)
			fail_msg("%s: no default", o->name);
		if ((o->type == CONF_T_UINT || o->type == CONF_T_ENUM) && o->size == 0 &&
		    strcmp(o->name, "round") != 0)
			fail_msg("%s (%s): no field", o->name, type_name(o->type));
		if ((o->type == CONF_T_ENUM) && !o->vals)
			fail_msg("%s: an enum without values", o->name);
		if (o->sup != CONF_SUP_NO && o->type != CONF_T_SECTION && (!o->desc || !o->desc[0]))
			fail_msg("%s: taken without a description (the man page needs one)", o->name);
		if ((o->flags & CONF_F_NO_EFFECT) && !o->note)
			fail_msg("%s: accepted without effect, but no note says so", o->name);
		if (o->runs && o->type == CONF_T_DURATION && !o->why)
			fail_msg("%s: a limit without a reason", o->name);
		if (o->type == CONF_T_SECTION && o->inner >= CONF_SC_MAX)
			fail_msg("%s: a section of no scope", o->name);
		for (size_t j = i + 1; j < conf_nopts; j++)
			if ((conf_opts[j].scopes & o->scopes) && !strcmp(conf_opts[j].name, o->name) &&
			    (conf_opts[j].type == CONF_T_SECTION) == (o->type == CONF_T_SECTION))
				fail_msg("%s: twice in one section", o->name);
	}
	/* options by their model field: the one way code outside the table
	 * names an option */
	assert_string_equal(conf_opt_at(CONF_SC_CONN, offsetof(struct conf_conn, proposals))->name,
	                    "proposals");
	assert_string_equal(conf_opt_at(CONF_SC_LOCAL, offsetof(struct conf_auth, method))->name,
	                    "auth");   /* not round, which has no field */
	assert_string_equal(conf_opt_at(CONF_SC_CHILD, offsetof(struct conf_child, rekey_time))->name,
	                    "rekey_time");
	assert_null(conf_opt_at(CONF_SC_CHILD, offsetof(struct conf_child, name)));
	/* lookups: exact names, prefixes, any name; options and sections apart */
	assert_non_null(conf_opt_find(CONF_SC_CONN, "rekey_time", false));
	assert_null(conf_opt_find(CONF_SC_CONN, "rekey_tme", false));
	assert_null(conf_opt_find(CONF_SC_CONN, "rekey_time", true));
	assert_int_equal(conf_opt_find(CONF_SC_CONN, "local-2", true)->inner, CONF_SC_LOCAL);
	assert_int_equal(conf_opt_find(CONF_SC_SECRET_IKE, "id-gw", false)->type, CONF_T_IDS);
	assert_int_equal(conf_opt_find(CONF_SC_CONNS, "anything", true)->inner, CONF_SC_CONN);
	assert_int_equal(conf_opt_find(CONF_SC_SECRETS, "ike", true)->sup, CONF_SUP_YES);
	assert_int_equal(conf_opt_find(CONF_SC_SECRETS, "eap-x", true)->sup, CONF_SUP_YES);
	assert_int_equal(conf_opt_find(CONF_SC_SECRETS, "ntlm-x", true)->sup, CONF_SUP_NO);
	/* an option of the remote side only is unknown on the local side */
	assert_non_null(conf_opt_find(CONF_SC_REMOTE, "cacerts", false));
	assert_null(conf_opt_find(CONF_SC_LOCAL, "cacerts", false));
}

/* roff's form of an option path: '-' as \- */
static void roff_of(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s && n + 3 < len; s++) {
		if (*s == '-')
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	buf[n] = '\0';
}

/* Occurrences of entry path in man (".B PATH" then a blank or the end of
 * the line), and where the last one is. */
static unsigned man_count(const char *man, const char *path, const char **at)
{
	char pat[512], r[480];
	unsigned n = 0;

	roff_of(path, r, sizeof(r));
	snprintf(pat, sizeof(pat), "\n.B %s", r);
	for (const char *p = man; (p = strstr(p, pat)); p += strlen(pat))
		if (p[strlen(pat)] == ' ' || p[strlen(pat)] == '\n') {
			n++;
			*at = p;
		}
	return n;
}

/* uipsec-swanctl.conf(5) (`uipsecd --list-options --format man`) has
 * every option and section of the table in the part its support says:
 * supported ones under OPTIONS (with a type), those read with their
 * default only in their part, refused ones with their reason under
 * REFUSED OPTIONS, each once, except what lies inside a refused section
 * (refused with it). Read against the markdown list, row by row. */
static void test_man_page(void **state)
{
	size_t mlen, dlen;
	char *man = render(CONF_LIST_MAN, &mlen), *md = render(CONF_LIST_MARKDOWN, &dlen);
	const char *model = strstr(man, "\n.SH OPTIONS READ WITH THEIR DEFAULT ONLY\n");
	const char *refused = strstr(man, "\n.SH REFUSED OPTIONS\n");
	const char *opts = strstr(man, "\n.SH OPTIONS\n");
	char sect[256] = "", (*no)[420] = calloc(400, sizeof(*no));
	unsigned nno = 0, rows = 0;

	(void)state;
	assert_non_null(no);
	assert_true(strncmp(man, ".\\\" uipsec-swanctl.conf(5)", 26) == 0);
	assert_non_null(strstr(man, "\n.TH UIPSEC\\-SWANCTL.CONF 5 "));
	assert_non_null(opts);
	assert_true(opts < model && model < refused && strstr(refused, "\n.SH SEE ALSO\n"));
	for (char *line = md, *nl; *line; line = nl + 1) {
		char path[420], name[160];
		const char *at = NULL, *sup;
		unsigned n;
		bool inside_refused = false;

		nl = strchr(line, '\n');
		assert_non_null(nl);
		*nl = '\0';
		if (!strncmp(line, "## `", 4)) {
			snprintf(sect, sizeof(sect), "%.*s", (int)(strlen(line) - 5), line + 4);
			continue;
		}
		if (!strcmp(line, "## The top level")) {
			sect[0] = '\0';
			continue;
		}
		if (strncmp(line, "| `", 3) != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(line + 3, "`"), line + 3);
		snprintf(path, sizeof(path), "%s%s%s", sect, sect[0] ? "." : "", name);
		sup = strstr(strstr(line + 3, " | ") + 3, " | ") + 3;
		for (unsigned i = 0; i < nno; i++)
			if (!strncmp(path, no[i], strlen(no[i])) && path[strlen(no[i])] == '.')
				inside_refused = true;
		n = man_count(man, path, &at);
		rows++;
		if (inside_refused) {
			if (n)
				fail_msg("%s: inside a refused section, yet listed", path);
			continue;
		}
		if (n != 1)
			fail_msg("%s: %u times in the man page, not once", path, n);
		if (!strncmp(sup, "yes", 3)) {
			if (at > model)
				fail_msg("%s: supported, but not under OPTIONS", path);
			if (!strstr(line, "| section |") &&
			    strncmp(strstr(at, "\n.br\nType: "), "\n.br\nType: ", 11) != 0)
				fail_msg("%s: no type", path);
		} else if (!strncmp(sup, "only the default", 16)) {
			if (at < model || at > refused)
				fail_msg("%s: read with its default only, but not in that part", path);
		} else if (!strncmp(sup, "not supported: ", 15)) {
			if (at < refused)
				fail_msg("%s: refused, but not under REFUSED OPTIONS", path);
			if (nno < 400)
				snprintf(no[nno++], sizeof(no[0]), "%s", path);
		} else {
			fail_msg("%s: support '%s'?", path, sup);
		}
	}
	assert_true(rows > 150);
	/* a reason is there, escaped for roff */
	assert_non_null(strstr(refused, "\n.B connections.<conn>.children.<child>.ipcomp\nIPComp.\n"));
	assert_non_null(strstr(man, "\n.B connections.<conn>.children.<child>.esp_proposals \\fR[default]\\fP\n"));
	free(no);
	free(man);
	free(md);
}

/* Defaults come from the table: a connection that writes nothing. */
static void test_defaults_from_table(void **state)
{
	static const char text[] = "connections { c { local { auth = psk }\n"
	                           "  children { n { } } } }\n";
	struct conf *c = NULL;
	char err[512];
	const struct conf_conn *cn;
	const struct conf_child *ch;

	(void)state;
	assert_int_equal(conf_parse_buffer(text, sizeof(text) - 1, "t.conf", CONF_NO_INCLUDE, &c, err,
	                                   sizeof(err)), 0);
	cn = &c->conns[0];
	ch = &cn->children[0];
	assert_int_equal(cn->local_port, 500);
	assert_int_equal(cn->remote_port, 500);
	assert_true(cn->mobike);
	assert_false(cn->encap);
	assert_int_equal(cn->fragmentation, CONF_FRAG_YES);
	assert_int_equal(cn->keyingtries, 1);
	assert_int_equal(cn->rekey_time, 4 * 3600);
	assert_int_equal(ch->mode, CONF_MODE_TUNNEL);
	assert_int_equal(ch->replay_window, 32);
	assert_int_equal(ch->rekey_time, 3600);
	assert_int_equal(ch->life_time, 3960);
	/* where: the section itself when not written, with the option's path */
	{
		char path[128];
		struct conf_loc at = conf_conn_where(cn, offsetof(struct conf_conn, proposals), path,
		                                     sizeof(path));

		assert_int_equal(at.line, 1);
		assert_int_equal(at.col, 15);
		assert_string_equal(path, "connections.c.proposals");
	}
	conf_free(c);

	/* and the option's own place when written */
	{
		static const char t2[] = "connections { c { local { auth = psk }\n"
		                         "    proposals = default\n"
		                         "  children { n {\n  esp_proposals = default } } } }\n";
		char path[128];
		struct conf_loc at;

		assert_int_equal(conf_parse_buffer(t2, sizeof(t2) - 1, "t.conf", CONF_NO_INCLUDE, &c, err,
		                                   sizeof(err)), 0);
		at = conf_conn_where(&c->conns[0], offsetof(struct conf_conn, proposals), path,
		                     sizeof(path));
		assert_int_equal(at.line, 2);
		assert_int_equal(at.col, 5);
		at = conf_child_where(&c->conns[0].children[0], offsetof(struct conf_child, esp_proposals),
		                      path, sizeof(path));
		assert_int_equal(at.line, 4);
		assert_int_equal(at.col, 3);
		assert_string_equal(path, "connections.c.children.n.esp_proposals");
	}
	conf_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docs_match_table),
		cmocka_unit_test(test_example_refusals),
		cmocka_unit_test(test_table_consistent),
		cmocka_unit_test(test_man_page),
		cmocka_unit_test(test_defaults_from_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
