/* What is written from the option table (conf_options.h): the list of
 * options (text, markdown for docs/swanctl-options.md, the names), the man
 * page uipsec-swanctl.conf(5), and the example swanctl.conf that writes
 * every option (the charon cross-check). Each visits the table's sections
 * as swanctl.conf(5) lists them, so no section path is written twice.
 * Pure functions of the table; no state but the example's count. */
#include "conf/conf_options.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- walking the sections ---------------------------------------------------
 * The lists and the man page visit the sections as swanctl.conf(5) lists
 * them: depth first from the top level, each section's subsections in the
 * table's order (connections, <conn>, local<suffix>, its cert<suffix>,
 * remote<suffix>, ..., secrets, eap<suffix>, ...). A section's path is
 * its parent's and its row's name, so no path is written twice. */

typedef void (*visit_fn)(FILE *out, enum conf_scope scope, const char *path,
                         const struct conf_opt *sect, void *arg);

static void walk(FILE *out, enum conf_scope scope, const char *path, const struct conf_opt *sect,
                 int depth, visit_fn fn, void *arg)
{
	char sub[256];

	if (!sect || !(sect->flags & CONF_F_UNLISTED))
		fn(out, scope, path, sect, arg);
	if (depth > 6)
		return;   /* the table's sections nest four deep; a cycle would be our bug */
	for (size_t i = 0; i < conf_nopts; i++) {
		const struct conf_opt *o = &conf_opts[i];

		if (!(o->scopes & CONF_SC(scope)) || o->type != CONF_T_SECTION)
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s%s", path, path[0] ? "." : "", o->name,
		         (o->flags & CONF_F_PREFIX) ? "<suffix>" : "");
		walk(out, (enum conf_scope)o->inner, sub, o, depth + 1, fn, arg);
	}
}

/* A value name as the lists show it ("ike:" is a prefix: "ike:..."). */
static const char *val_name(const struct conf_enum_val *v, char *buf, size_t len)
{
	size_t n = strlen(v->name);

	snprintf(buf, len, "%s%s", v->name, n && v->name[n - 1] == ':' ? "..." : "");
	return buf;
}

/* The values of o that are refused, each reason once with its values:
 * "; beet: not supported: BEET mode ...". */
static size_t refused_values(const struct conf_opt *o, char *buf, size_t len, size_t n,
                             const char *sep)
{
	char vn[64];

	if (!o->vals)
		return n;
	for (const struct conf_enum_val *v = o->vals; v->name && n < len; v++) {
		if (v->sup == CONF_SUP_YES || (v > o->vals && v[-1].why && v[-1].why == v->why))
			continue;
		/* values that share a reason share the sentence */
		n += (size_t)snprintf(buf + n, len - n, "%s%s", sep, val_name(v, vn, sizeof(vn)));
		for (const struct conf_enum_val *w = v + 1; w->name && w->why == v->why && n < len; w++)
			n += (size_t)snprintf(buf + n, len - n, ", %s", val_name(w, vn, sizeof(vn)));
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, ": not supported: %s", v->why);
	}
	return n;
}

static const char *support_text(const struct conf_opt *o, char *buf, size_t len)
{
	size_t n = 0;

	switch (o->sup) {
	case CONF_SUP_NO:
		snprintf(buf, len, "not supported: %s%s%s%s", o->why,
		         o->noop ? "; accepted as " : "", o->noop ? o->noop : "",
		         o->noop ? " (no change for uipsec)" : "");
		return buf;
	case CONF_SUP_MODEL:
		snprintf(buf, len, "only the default: %s", o->why);
		return buf;
	default:
		break;
	}
	n = (size_t)snprintf(buf, len, "yes");
	if (o->note && n < len)
		n += (size_t)snprintf(buf + n, len - n, "; %s", o->note);
	n = refused_values(o, buf, len, n, "; ");
	if (o->runs && o->why && n < len)
		n += (size_t)snprintf(buf + n, len - n, " (%s: refused)", o->why);
	return buf;
}

static void visit_list(FILE *out, enum conf_scope scope, const char *spath,
                       const struct conf_opt *sect, void *arg)
{
	enum conf_list_format fmt = *(const enum conf_list_format *)arg;
	char path[320], sup[1024];
	bool head = false;

	(void)sect;
	for (size_t i = 0; i < conf_nopts; i++) {
		const struct conf_opt *o = &conf_opts[i];
		const char *suffix = (o->flags & CONF_F_PREFIX) ? "<suffix>" : "";

		if (!(o->scopes & CONF_SC(scope)))
			continue;
		snprintf(path, sizeof(path), "%s%s%s%s", spath, spath[0] ? "." : "", o->name, suffix);
		switch (fmt) {
		case CONF_LIST_NAMES:
			fprintf(out, "%s\n", path);
			break;
		case CONF_LIST_TEXT:
			fprintf(out, "%-56s %-14s %s\n", path,
			        o->type == CONF_T_SECTION ? "(section)" : o->dflt ? o->dflt : "",
			        support_text(o, sup, sizeof(sup)));
			break;
		case CONF_LIST_MARKDOWN:
			if (!head) {
				if (spath[0])
					fprintf(out, "\n## `%s`\n", spath);
				else
					fprintf(out, "\n## The top level\n");
				fprintf(out, "\n| option | default | uipsec |\n|---|---|---|\n");
				head = true;
			}
			fprintf(out, "| `%s%s` | %s | %s |\n", o->name, suffix,
			        o->type == CONF_T_SECTION ? "section" :
			        o->dflt && o->dflt[0] ? o->dflt : "-",
			        support_text(o, sup, sizeof(sup)));
			break;
		default:
			break;
		}
	}
}

static void write_list(FILE *out, enum conf_list_format fmt)
{
	if (fmt == CONF_LIST_MARKDOWN)
		fprintf(out,
		        "# swanctl.conf options\n"
		        "\n"
		        "Every option and section of strongSwan 5.9.8's swanctl.conf(5), and what\n"
		        "uipsec does with it. Generated from the option table\n"
		        "(`src/conf/conf_options.c`) by `uipsecd --list-options --format markdown`;\n"
		        "`tests/unit/test_conf_options.c` fails when this file and the table\n"
		        "disagree, so edit the table and regenerate:\n"
		        "\n"
		        "    build/uipsecd --list-options --format markdown > docs/swanctl-options.md\n"
		        "\n"
		        "\"yes\": supported (with uipsec's limits in parentheses). \"only the\n"
		        "default\": read, but uipsecd refuses any other value. \"not supported\":\n"
		        "refused wherever it is written, with this reason, and the file is not\n"
		        "loaded; a name that is no strongSwan option is refused as an unknown\n"
		        "option. Every refusal names the file, line, column and the option's\n"
		        "path, and all of a file's refusals are reported at once. The same\n"
		        "table makes the man page uipsec-swanctl.conf(5)\n"
		        "(`uipsecd --list-options --format man`).\n");
	walk(out, CONF_SC_ROOT, "", NULL, 0, visit_list, &fmt);
}

/* ---- the man page: uipsec-swanctl.conf(5) -----------------------------------
 * Text from the table goes through roff_text: backslashes doubled, '-' as
 * \- (so that option names copy as typed), and a line that would start
 * with '.' or '\'' protected with \&. */

#ifndef UIPSEC_VERSION
#define UIPSEC_VERSION "0"
#endif
#ifndef UIPSEC_SYSCONFDIR
#define UIPSEC_SYSCONFDIR "/etc"
#endif
#define MAN_CONF UIPSEC_SYSCONFDIR "/uipsec/swanctl.conf"

static void roff_text(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

/* What a value is, in words. */
static void man_type(FILE *out, const struct conf_opt *o)
{
	char vn[64];

	switch (o->type) {
	case CONF_T_BOOL:     fputs("yes or no", out); return;
	case CONF_T_DURATION: fputs("a time: seconds, or a number with s, m, h or d", out); return;
	case CONF_T_BYTES:    fputs("a volume: bytes, or a number with k, m or g", out); return;
	case CONF_T_ACTIONS:  fputs("none, trap, start, or trap|start", out); return;
	case CONF_T_STRINGS:  fputs("a comma-separated list", out); return;
	case CONF_T_ADDRS:    fputs("a comma-separated list of addresses", out); return;
	case CONF_T_TSS:      fputs("a comma-separated list of traffic selectors", out); return;
	case CONF_T_ID:
	case CONF_T_IDS:      fputs("an identity", out); return;
	case CONF_T_SECRET:   fputs("a secret", out); return;
	case CONF_T_STRING:   fputs("text", out); return;
	case CONF_T_HOOK:     fputs(o->hook_type ? o->hook_type : "text", out); return;
	case CONF_T_UINT:
		fprintf(out, "a number from %llu to %llu", (unsigned long long)o->min,
		        (unsigned long long)o->max);
		return;
	case CONF_T_ENUM:
	case CONF_T_AUTH:
		fputs(o->type == CONF_T_AUTH ? "a method: " : "one of ", out);
		for (const struct conf_enum_val *v = o->vals; v && v->name; v++)
			fprintf(out, "%s%s", v == o->vals ? "" : ", ", val_name(v, vn, sizeof(vn)));
		return;
	default:
		fputs("(section)", out);
		return;
	}
}

static void man_entry(FILE *out, const char *path, const struct conf_opt *o, bool model)
{
	char buf[1024];

	fputs(".TP\n.B ", out);
	roff_text(out, path);
	if (o->type != CONF_T_SECTION) {
		fputs(" \\fR[", out);
		roff_text(out, o->dflt && o->dflt[0] ? o->dflt : "none");
		fputs("]\\fP", out);
	}
	fputs("\n", out);
	if (o->type == CONF_T_SECTION) {
		roff_text(out, o->note ? o->note : "a section");
		fputs(".\n", out);
		return;
	}
	roff_text(out, o->desc ? o->desc : "");
	fputs(".\n.br\n", out);
	fputs("Type: ", out);
	man_type(out, o);
	fputs(".\n", out);
	if (model) {
		fputs(".br\nuipsecd runs only the default; another value is refused: ", out);
		roff_text(out, o->why);
		fputs(".\n", out);
		return;
	}
	buf[0] = '\0';
	refused_values(o, buf, sizeof(buf), 0, "; ");
	if (o->note || buf[0] || (o->runs && o->why)) {
		fputs(".br\nIn uipsec: ", out);
		if (o->note)
			roff_text(out, o->note);
		if (buf[0]) {
			fputs(o->note ? "; " : "", out);
			roff_text(out, buf + 2);   /* without the first "; " */
		}
		if (o->runs && o->why) {
			fputs(o->note || buf[0] ? "; " : "", out);
			roff_text(out, o->why);
			fputs(": refused", out);
		}
		fputs(".\n", out);
	}
	if (o->flags & CONF_F_NO_EFFECT)
		fputs(".br\nAccepted without effect yet: uipsecd logs a warning where a value that "
		      "needs it is written.\n", out);
}

enum man_part { MAN_SUPPORTED, MAN_MODEL, MAN_REFUSED };

struct man_ctx {
	enum man_part part;
};

/* One section of the table for one part of the page. The refused part
 * lists a refused section once (not the options inside it, which are
 * refused with it) and every refused option of a section uipsec takes. */
static void visit_man(FILE *out, enum conf_scope scope, const char *spath,
                      const struct conf_opt *sect, void *arg)
{
	const struct man_ctx *m = arg;
	char path[320];
	bool head = false;

	if (sect && sect->sup == CONF_SUP_NO)
		return;   /* listed with its parent, in the refused part */
	for (size_t i = 0; i < conf_nopts; i++) {
		const struct conf_opt *o = &conf_opts[i];
		bool want;

		if (!(o->scopes & CONF_SC(scope)))
			continue;
		switch (m->part) {
		case MAN_SUPPORTED: want = o->sup == CONF_SUP_YES; break;
		case MAN_MODEL:     want = o->sup == CONF_SUP_MODEL; break;
		default:            want = o->sup == CONF_SUP_NO; break;
		}
		if (!want)
			continue;
		snprintf(path, sizeof(path), "%s%s%s%s", spath, spath[0] ? "." : "", o->name,
		         (o->flags & CONF_F_PREFIX) ? "<suffix>" : "");
		if (m->part == MAN_REFUSED) {
			fputs(".TP\n.B ", out);
			roff_text(out, path);
			fputs("\n", out);
			roff_text(out, o->why);
			fputs(".\n", out);
			if (o->noop) {
				fputs("Accepted as ", out);
				roff_text(out, o->noop);
				fputs(", which changes nothing for uipsec.\n", out);
			}
			continue;
		}
		if (!head && m->part == MAN_SUPPORTED && spath[0]) {
			fputs(".SS ", out);
			roff_text(out, spath);
			fputs("\n", out);
			head = true;
		}
		man_entry(out, path, o, m->part == MAN_MODEL);
	}
}

static void write_man(FILE *out)
{
	struct man_ctx m;

	fputs(".\\\" uipsec-swanctl.conf(5), generated by uipsecd --list-options --format man\n"
	      ".\\\" from the option table (src/conf/conf_options.c): do not edit.\n", out);
	fprintf(out, ".TH UIPSEC\\-SWANCTL.CONF 5 \"\" \"uipsec %s\" \"File Formats\"\n",
	        UIPSEC_VERSION);
	fputs(".SH NAME\n"
	      "uipsec\\-swanctl.conf \\- the swanctl.conf options uipsec supports\n"
	      ".SH SYNOPSIS\n"
	      ".I " MAN_CONF "\n"
	      ".SH DESCRIPTION\n"
	      ".BR uipsecd (8)\n"
	      "reads strongSwan's\n"
	      ".BR swanctl.conf (5):\n"
	      "the same syntax (sections in braces, \"key = value\" lines, \"#\" comments,\n"
	      "include globs, section references with \":\"), the same option names and\n"
	      "the defaults of strongSwan 5.9.8. This page lists what uipsec does with\n"
	      "each option. It is generated from the table the parser itself reads, so\n"
	      "page and parser cannot disagree.\n"
	      ".PP\n"
	      "Options uipsec does not support are refused, never ignored: the file is\n"
	      "not loaded, and every refusal of the file is reported at once, each once,\n"
	      "with file, line, column and the option's path, as\n"
	      ".PP\n"
	      ".RS\n"
	      ".nf\n"
	      "swanctl.conf:12:9: connections.gw.children.net.inactivity: not supported: \\e\n"
	      "    closing idle CHILD_SAs, not yet in uipsec\n"
	      "swanctl.conf:14:9: connections.gw.children.net.rekey_tme: unknown option\n"
	      ".fi\n"
	      ".RE\n"
	      ".PP\n"
	      "\"not supported\" names a real strongSwan option (or value) uipsec does not\n"
	      "take, with the reason; \"unknown option\" is any other name.\n"
	      ".B uipsecd \\-\\-check\\-config\n"
	      "reads a file as the daemon would and says so without starting.\n"
	      ".PP\n"
	      "Each entry below gives the option's path, its default in brackets, what it\n"
	      "is, the values it takes, and what uipsec does with it where that differs\n"
	      "from strongSwan.\n"
	      ".SH OPTIONS\n", out);
	m.part = MAN_SUPPORTED;
	walk(out, CONF_SC_ROOT, "", NULL, 0, visit_man, &m);
	fputs(".SH OPTIONS READ WITH THEIR DEFAULT ONLY\n"
	      "uipsec reads these, but its IKE core runs only their default: a file that\n"
	      "sets another value is refused at the option's line.\n", out);
	m.part = MAN_MODEL;
	walk(out, CONF_SC_ROOT, "", NULL, 0, visit_man, &m);
	fputs(".SH REFUSED OPTIONS\n"
	      "These strongSwan options and sections are refused wherever they are\n"
	      "written, with the reason given here (a refused section is refused with\n"
	      "everything in it).\n", out);
	m.part = MAN_REFUSED;
	walk(out, CONF_SC_ROOT, "", NULL, 0, visit_man, &m);
	fputs(".SH FILES\n"
	      ".TP\n"
	      ".I " MAN_CONF "\n"
	      "the configuration uipsecd reads at start, on SIGHUP and on\n"
	      ".BR \"uipsec load\" .\n"
	      ".SH SEE ALSO\n"
	      ".BR swanctl.conf (5),\n"
	      ".BR uipsecd (8),\n"
	      ".BR uipsecd.conf (5),\n"
	      ".BR uipsec (8)\n", out);
}

int conf_list_format_parse(const char *name)
{
	static const struct { const char *name; enum conf_list_format f; } fmts[] = {
		{ "text", CONF_LIST_TEXT }, { "markdown", CONF_LIST_MARKDOWN },
		{ "names", CONF_LIST_NAMES }, { "example", CONF_LIST_EXAMPLE },
		{ "man", CONF_LIST_MAN },
	};

	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		if (!strcmp(name, fmts[i].name))
			return (int)fmts[i].f;
	return -1;
}

/* ---- the example file: every option with its example value ---------------- */

static unsigned example_refused;

/* The options of scope that have a value to show (an option whose only
 * values need a smartcard or similar has none, and is not written). In a
 * section uipsec refuses as a whole, the options are not counted. */
static void ex_opts(FILE *out, enum conf_scope scope, const char *indent, const char *file,
                    bool counted)
{
	for (size_t i = 0; i < conf_nopts; i++) {
		const struct conf_opt *o = &conf_opts[i];
		const char *name = o->name, *v;

		if (!(o->scopes & CONF_SC(scope)) || o->type == CONF_T_SECTION)
			continue;
		v = o->example ? o->example : o->dflt;
		if (file && strcmp(o->name, "file") == 0)
			v = file;
		if (!v || !v[0])
			continue;
		if (o->flags & CONF_F_ANY)
			name = "3";     /* pools.<name>.<attr>: a numeric type (INTERNAL_IP4_DNS) */
		fprintf(out, "%s%s%s = %s\n", indent, name, (o->flags & CONF_F_PREFIX) ? "-1" : "", v);
		if (counted && ((o->sup == CONF_SUP_NO && !conf_opt_noop(o, v)) ||
		                (o->sup == CONF_SUP_MODEL && o->type == CONF_T_STRING)))
			example_refused++;
	}
}

/* A section of the example: its name, what is inside, the value of a
 * "file" key in it (private keys of each type need their own file). */
struct ex_sect {
	const char *indent, *name;
	enum conf_scope scope;
	const char *file;
};

/* A section uipsec refuses as a whole: one refusal (counted), or none of
 * its own if it is inside one (pools.<name> in pools). */
static void ex_section(FILE *out, const struct ex_sect *e, bool counted)
{
	char in[32];

	snprintf(in, sizeof(in), "%s    ", e->indent);
	fprintf(out, "%s%s {\n", e->indent, e->name);
	ex_opts(out, e->scope, in, e->file, false);
	fprintf(out, "%s}\n", e->indent);
	if (counted)
		example_refused++;
}

static void write_example(FILE *out)
{
	static const struct ex_sect secrets[] = {
		{ "    ", "eap-1", CONF_SC_SECRET_EAP, NULL },
		{ "    ", "xauth-1", CONF_SC_SECRET_EAP, NULL },
		{ "    ", "ntlm-1", CONF_SC_SECRET_EAP, NULL },
		{ "    ", "ppk-1", CONF_SC_SECRET_EAP, NULL },
		{ "    ", "private-1", CONF_SC_SECRET_KEY, "uipsec-example-key.pem" },
		{ "    ", "rsa-1", CONF_SC_SECRET_KEY, "uipsec-example-key.pem" },
		{ "    ", "ecdsa-1", CONF_SC_SECRET_KEY, "uipsec-example-ec.pem" },
		{ "    ", "pkcs8-1", CONF_SC_SECRET_KEY, "uipsec-example.p8" },
		{ "    ", "pkcs12-1", CONF_SC_SECRET_KEY, "uipsec-example.p12" },
	};
	static const struct ex_sect cert_l = { "            ", "cert-1", CONF_SC_CERT, NULL };
	static const struct ex_sect cert_r = { "            ", "cert-1", CONF_SC_CERT, NULL };
	static const struct ex_sect cacert = { "            ", "cacert-1", CONF_SC_CERT, NULL };
	static const struct ex_sect pool = { "    ", "pool-1", CONF_SC_POOL, NULL };
	static const struct ex_sect ca = { "    ", "ca-1", CONF_SC_AUTHORITY, NULL };

	example_refused = 0;
	fprintf(out,
	        "# Every swanctl.conf option of uipsec's option table (src/conf/conf_options.c)\n"
	        "# that can be written without a smartcard, each with a value strongSwan\n"
	        "# accepts: charon must load this file (tests/interop/test_conf_charon.sh,\n"
	        "# which provides the uipsec-example* certificate and key files), and\n"
	        "# uipsecd refuses each option or section it does not support, at its line.\n"
	        "# Written by uipsecd --list-options --format example.\n"
	        "connections {\n    example {\n");
	ex_opts(out, CONF_SC_CONN, "        ", NULL, true);
	fprintf(out, "        local {\n");
	ex_opts(out, CONF_SC_LOCAL, "            ", NULL, true);
	ex_section(out, &cert_l, true);
	fprintf(out, "        }\n        remote {\n");
	ex_opts(out, CONF_SC_REMOTE, "            ", NULL, true);
	ex_section(out, &cert_r, true);
	ex_section(out, &cacert, true);
	fprintf(out, "        }\n        children {\n            net {\n");
	ex_opts(out, CONF_SC_CHILD, "                ", NULL, true);
	fprintf(out, "            }\n        }\n    }\n}\nsecrets {\n    ike-1 {\n");
	ex_opts(out, CONF_SC_SECRET_IKE, "        ", NULL, true);
	fprintf(out, "    }\n");
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		const struct conf_opt *o = conf_opt_find(CONF_SC_SECRETS, secrets[i].name, true);

		if (o && o->sup != CONF_SUP_NO) {
			/* a section uipsec takes (private key passphrases): its
			 * options are counted one by one */
			fprintf(out, "    %s {\n", secrets[i].name);
			ex_opts(out, secrets[i].scope, "        ", secrets[i].file, true);
			fprintf(out, "    }\n");
		} else {
			ex_section(out, &secrets[i], true);
		}
	}
	/* pools: read (remote access), its refused attributes counted */
	fprintf(out, "}\npools {\n    %s {\n", pool.name);
	ex_opts(out, pool.scope, "        ", NULL, true);
	fprintf(out, "    }\n}\nauthorities {\n");
	ex_section(out, &ca, false);
	fprintf(out, "}\n");
	example_refused += 1;            /* authorities */
}

unsigned conf_options_example_refusals(void)
{
	FILE *f = fopen("/dev/null", "w");

	if (f) {
		write_example(f);
		fclose(f);
	}
	return example_refused;
}

void conf_options_write(FILE *out, enum conf_list_format fmt)
{
	if (fmt == CONF_LIST_EXAMPLE)
		write_example(out);
	else if (fmt == CONF_LIST_MAN)
		write_man(out);
	else
		write_list(out, fmt);
}
