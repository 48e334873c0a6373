/* `ip xfrm state|policy` commands against a SAD and SPD (see xfrm_cmd.h):
 * the verbs, list filters, and the mapping of SAD/SPD errors to one-line
 * messages. Parsing and printing live in xfrm_parse.c and xfrm_print.c.
 *
 * Runs on the caller's thread; in the daemon that is the control loop, the
 * only thread that changes the SAD and SPD. Keys parsed from the words are
 * wiped from the request before returning. */
#include "xfrmcli/xfrm_cmd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "xfrmcli/xfrm_grammar.h"
#include "util/mem.h"

#define ERRLEN 256

static int report(FILE *err, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int report(FILE *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		fputs("Error: ", err);
		va_start(ap, fmt);
		vfprintf(err, fmt, ap);
		va_end(ap);
		fputc('\n', err);
	}
	return rc;
}

static bool is_stats_word(const char *w)
{
	return !strcmp(w, "-s") || !strcmp(w, "-stats") || !strcmp(w, "--stats") ||
	       !strcmp(w, "-statistics");
}

/* "-k": print the keys (hidden by default, unlike ip xfrm) */
static bool is_keys_word(const char *w)
{
	return !strcmp(w, "-k") || !strcmp(w, "--keys") || !strcmp(w, "-keys");
}

static bool verb_is(const char *w, const char *verb)
{
	if (!strcmp(verb, "delete"))
		return !strcmp(w, "delete") || !strcmp(w, "del");
	if (!strcmp(verb, "list"))
		return !strcmp(w, "list") || !strcmp(w, "show") || !strcmp(w, "ls") ||
		       !strcmp(w, "lst");
	return !strcmp(w, verb);
}

static const char *obj_name(const char *w)
{
	if (!strcmp(w, "state") || !strcmp(w, "sa"))
		return "state";
	if (!strcmp(w, "policy") || !strcmp(w, "pol"))
		return "policy";
	return NULL;
}

bool xfrm_cmd_modifies(int argc, char **argv)
{
	int i = 0;

	while (i < argc && is_stats_word(argv[i]))
		i++;
	if (i + 1 >= argc || !obj_name(argv[i]))
		return false;
	i++;
	while (i < argc && is_stats_word(argv[i]))
		i++;
	if (i >= argc)
		return false;
	return verb_is(argv[i], "add") || verb_is(argv[i], "update") ||
	       verb_is(argv[i], "delete") || verb_is(argv[i], "deleteall") ||
	       verb_is(argv[i], "flush");
}

void xfrm_cmd_usage(FILE *out, const char *obj)
{
	if (!obj || !strcmp(obj, "state"))
		fputs(
"Usage: xfrm state { add | update } ID [ ALGO-LIST ] [ mode MODE ]\n"
"        [ mark MARK [ mask MASK ] ] [ reqid REQID ] [ replay-window SIZE ]\n"
"        [ replay-seq SEQ ] [ replay-oseq SEQ ] [ replay-seq-hi SEQ ]\n"
"        [ replay-oseq-hi SEQ ] [ flag FLAG-LIST ] [ sel SELECTOR ]\n"
"        [ LIMIT-LIST ] [ encap ENCAP ]\n"
"       xfrm state { delete | get } ID\n"
"       xfrm state { deleteall | list } [ ID ] [ mode MODE ] [ reqid REQID ]\n"
"        [ flag FLAG-LIST ]\n"
"       xfrm state flush [ proto XFRM-PROTO ]\n"
"       xfrm state count\n"
"ID := [ src ADDR ] [ dst ADDR ] [ proto XFRM-PROTO ] [ spi SPI ]\n"
"XFRM-PROTO := esp\n"
"ALGO-LIST := ALGO | ALGO ALGO-LIST\n"
"ALGO := { enc | auth } ALGO-NAME ALGO-KEYMAT |\n"
"        auth-trunc ALGO-NAME ALGO-KEYMAT ALGO-TRUNC-LEN |\n"
"        aead ALGO-NAME ALGO-KEYMAT ALGO-ICV-LEN\n"
"ALGO-NAME := rfc4106(gcm(aes)) | rfc4543(gcm(aes)) | rfc7539esp(chacha20,poly1305) |\n"
"             cbc(aes) | ecb(cipher_null) | hmac(sha1) | hmac(sha256) |\n"
"             hmac(sha384) | hmac(sha512)\n"
"ALGO-KEYMAT := 0xHEX | \"STRING\"   (AEAD keys end with the 4-byte salt)\n"
"MODE := transport | tunnel\n"
"FLAG-LIST := FLAG [ FLAG-LIST ]   FLAG := esn | noecn | decap-dscp\n"
"SELECTOR := [ src ADDR[/PLEN] ] [ dst ADDR[/PLEN] ] [ UPSPEC ]\n"
"UPSPEC := proto { PROTO | { tcp | udp | sctp | dccp } [ sport PORT ] [ dport PORT ] |\n"
"                  { icmp | ipv6-icmp } [ type NUMBER ] [ code NUMBER ] }\n"
"LIMIT-LIST := [ LIMIT-LIST ] limit LIMIT\n"
"LIMIT := { time-soft | time-hard | time-use-soft | time-use-hard } SECONDS |\n"
"         { byte-soft | byte-hard } SIZE | { packet-soft | packet-hard } COUNT\n"
"ENCAP := espinudp SPORT DPORT OADDR\n", out);
	if (!obj || !strcmp(obj, "policy"))
		fputs(
"Usage: xfrm policy { add | update } SELECTOR dir DIR [ mark MARK [ mask MASK ] ]\n"
"        [ index INDEX ] [ ptype main ] [ action ACTION ] [ priority PRIORITY ]\n"
"        [ LIMIT-LIST ] [ TMPL-LIST ]\n"
"       xfrm policy { delete | get } { SELECTOR | index INDEX } dir DIR\n"
"       xfrm policy { deleteall | list } [ SELECTOR ] [ dir DIR ] [ index INDEX ]\n"
"        [ action ACTION ] [ priority PRIORITY ]\n"
"       xfrm policy flush [ ptype main ]\n"
"       xfrm policy count\n"
"SELECTOR := [ src ADDR[/PLEN] ] [ dst ADDR[/PLEN] ] [ UPSPEC ]\n"
"DIR := in | out | fwd\n"
"ACTION := allow | block\n"
"TMPL-LIST := [ TMPL-LIST ] tmpl TMPL\n"
"TMPL := ID [ mode MODE ] [ reqid REQID ] [ level LEVEL ]\n"
"ID := [ src ADDR ] [ dst ADDR ] proto esp [ spi SPI ]\n"
"LEVEL := required | use\n", out);
}

/* "dst 192.0.2.2 spi 0x00001000 proto esp" for messages. */
static const char *state_id(const struct sad_sa *sa, char *buf, size_t len)
{
	char a[IP_ADDR_STRLEN];

	snprintf(buf, len, "dst %s spi 0x%08x proto esp", ip_addr_fmt(&sa->daddr, a), sa->spi);
	return buf;
}

/* ---- state ---- */

static bool prefix_ok(const struct ip_addr *want, uint8_t plen, const struct ip_addr *a)
{
	return want->family == a->family && ip_prefix_match(want, plen, a);
}

static bool state_filter(const struct xfrm_state_req *f, const struct sad_sa *sa)
{
	if ((f->have & XG_SRC) && !prefix_ok(&f->sa.saddr, f->src_plen, &sa->saddr))
		return false;
	if ((f->have & XG_DST) && !prefix_ok(&f->sa.daddr, f->dst_plen, &sa->daddr))
		return false;
	if ((f->have & XG_PROTO) && f->sa.proto != sa->proto)
		return false;
	if ((f->have & XG_SPI) && f->sa.spi != sa->spi)
		return false;
	if ((f->have & XG_MODE) && f->sa.mode != sa->mode)
		return false;
	if ((f->have & XG_REQID) && f->sa.reqid != sa->reqid)
		return false;
	if ((f->have & XG_FLAGS) && (sa->flags & f->sa.flags) != f->sa.flags)
		return false;
	return true;
}

struct state_walk {
	const struct xfrm_state_req *f;
	FILE *out;
	bool stats, keys;
	/* deleteall: the ids to remove once the walk is done */
	struct { struct ip_addr daddr; uint32_t spi; uint8_t proto; } *ids;
	size_t n, cap;
	int rc;
};

static int state_list_cb(struct sad_sa *sa, void *arg)
{
	struct state_walk *w = arg;

	if (sa->state != SAD_STATE_DEAD && state_filter(w->f, sa))
		xfrm_print_state_keys(w->out, sa, w->stats, w->keys);
	return 0;
}

static int state_collect_cb(struct sad_sa *sa, void *arg)
{
	struct state_walk *w = arg;

	if (!state_filter(w->f, sa))
		return 0;
	if (mem_array_grow((void **)&w->ids, &w->cap, w->n, sizeof(*w->ids))) {
		w->rc = -ENOMEM;
		return 1;
	}
	w->ids[w->n].daddr = sa->daddr;
	w->ids[w->n].spi = sa->spi;
	w->ids[w->n].proto = sa->proto;
	w->n++;
	return 0;
}

static int state_cmd(struct sad *sad, const char *verb, int argc, char **argv,
                     bool stats, bool keys, FILE *out, FILE *err)
{
	struct xfrm_state_req *req;
	char msg[ERRLEN], id[96];
	enum xg_mode mode;
	int rc = 0;

	if (verb_is(verb, "help")) {
		xfrm_cmd_usage(out, "state");
		return 0;
	}
	if (verb_is(verb, "count")) {
		if (argc)
			return report(err, -EINVAL, "unknown word '%s' after 'state count'", argv[0]);
		fprintf(out, "\t SAD count %u\n", sad_count(sad));
		return 0;
	}
	if (verb_is(verb, "flush")) {
		if (argc == 2 && !strcmp(argv[0], "proto") && !strcmp(argv[1], "esp"))
			sad_flush(sad, IPPROTO_ESP_);
		else if (argc == 0)
			sad_flush(sad, 0);
		else
			return report(err, -EINVAL, "'state flush' takes only 'proto esp', not '%s'",
			              argv[0]);
		return 0;
	}
	if (verb_is(verb, "add") || verb_is(verb, "update"))
		mode = XG_FULL;
	else if (verb_is(verb, "get") || verb_is(verb, "delete"))
		mode = XG_ID;
	else if (verb_is(verb, "list") || verb_is(verb, "deleteall"))
		mode = XG_FILTER;
	else
		return report(err, -EINVAL, "unknown command 'state %s' (add, update, get, delete, "
		              "deleteall, list, flush, count, help)", verb);

	req = malloc(sizeof(*req));
	if (!req)
		return report(err, -ENOMEM, "out of memory");
	if (xfrm_parse_state(argc, argv, mode, req, msg, sizeof(msg))) {
		rc = report(err, -EINVAL, "%s", msg);
		goto out;
	}

	if (verb_is(verb, "add")) {
		rc = sad_add(sad, &req->sa, NULL);
		if (rc == -EEXIST)
			report(err, rc, "state %s already exists (use 'update' to change it)",
			       state_id(&req->sa, id, sizeof(id)));
		else if (rc)
			report(err, rc, "state %s rejected: %s", state_id(&req->sa, id, sizeof(id)),
			       strerror(-rc));
	} else if (verb_is(verb, "update")) {
		rc = sad_update(sad, &req->sa);
		if (rc == -ENOENT)
			report(err, rc, "no state %s to update (use 'add')",
			       state_id(&req->sa, id, sizeof(id)));
		else if (rc)
			report(err, rc, "state %s rejected: %s", state_id(&req->sa, id, sizeof(id)),
			       strerror(-rc));
	} else if (verb_is(verb, "get")) {
		struct sad_sa *sa = sad_lookup(sad, &req->sa.daddr, req->sa.spi, req->sa.proto);

		if (!sa || ((req->have & XG_SRC) && !ip_addr_equal(&sa->saddr, &req->sa.saddr)))
			rc = report(err, -ENOENT, "no state %s", state_id(&req->sa, id, sizeof(id)));
		else
			xfrm_print_state_keys(out, sa, stats, keys);
	} else if (verb_is(verb, "delete")) {
		struct sad_sa *sa = sad_lookup(sad, &req->sa.daddr, req->sa.spi, req->sa.proto);

		if (sa && (req->have & XG_SRC) && !ip_addr_equal(&sa->saddr, &req->sa.saddr))
			sa = NULL;
		rc = sa ? sad_del(sad, &req->sa.daddr, req->sa.spi, req->sa.proto) : -ENOENT;
		if (rc)
			report(err, rc, "no state %s", state_id(&req->sa, id, sizeof(id)));
	} else if (verb_is(verb, "list")) {
		struct state_walk w = { .f = req, .out = out, .stats = stats, .keys = keys };
		sad_walk(sad, state_list_cb, &w);
	} else {   /* deleteall */
		struct state_walk w = { .f = req };

		sad_walk(sad, state_collect_cb, &w);
		if (w.rc)
			rc = report(err, w.rc, "out of memory");
		else
			for (size_t i = 0; i < w.n; i++)
				sad_del(sad, &w.ids[i].daddr, w.ids[i].spi, w.ids[i].proto);
		free(w.ids);
	}
out:
	mem_wipe(req, sizeof(*req));
	free(req);
	return rc;
}

/* ---- policy ---- */

static const char *const dir_names[] = { "in", "out", "fwd" };

static bool policy_filter(const struct xfrm_policy_req *f, const struct spd_policy *p)
{
	const struct xfrm_selector *fs = &f->pol.sel;

	if ((f->have & XG_SRC) &&
	    (p->sel.family != fs->family ||
	     p->sel.prefixlen_s < fs->prefixlen_s ||
	     !ip_prefix_match(&fs->saddr, fs->prefixlen_s, &p->sel.saddr)))
		return false;
	if ((f->have & XG_DST) &&
	    (p->sel.family != fs->family ||
	     p->sel.prefixlen_d < fs->prefixlen_d ||
	     !ip_prefix_match(&fs->daddr, fs->prefixlen_d, &p->sel.daddr)))
		return false;
	if ((f->have & XG_SEL) && fs->proto && fs->proto != p->sel.proto)
		return false;
	if ((f->have & XG_DIR) && f->pol.dir != p->dir)
		return false;
	if ((f->have & XG_INDEX) && f->pol.index != p->index)
		return false;
	if ((f->have & XG_PRIORITY) && f->pol.priority != p->priority)
		return false;
	if ((f->have & XG_ACTION) && f->pol.action != p->action)
		return false;
	return true;
}

struct policy_walk {
	const struct xfrm_policy_req *f;
	FILE *out;
	bool stats;
	uint32_t *idx;
	size_t n, cap;
	unsigned count[XFRM_POLICY_MAX];
	int rc;
};

static int policy_list_cb(struct spd_policy *p, void *arg)
{
	struct policy_walk *w = arg;

	if (policy_filter(w->f, p))
		xfrm_print_policy(w->out, p, w->stats);
	return 0;
}

static int policy_collect_cb(struct spd_policy *p, void *arg)
{
	struct policy_walk *w = arg;

	if (!policy_filter(w->f, p))
		return 0;
	if (mem_array_grow((void **)&w->idx, &w->cap, w->n, sizeof(*w->idx))) {
		w->rc = -ENOMEM;
		return 1;
	}
	w->idx[w->n++] = p->index;
	return 0;
}

static int policy_count_cb(struct spd_policy *p, void *arg)
{
	struct policy_walk *w = arg;

	if (p->dir < XFRM_POLICY_MAX)
		w->count[p->dir]++;
	return 0;
}

/* The policy a get/delete names: by index (and dir) or selector and dir. */
static struct spd_policy *policy_find(struct spd *spd, const struct xfrm_policy_req *r)
{
	struct spd_policy *p;

	if (r->have & XG_INDEX) {
		p = spd_get_index(spd, r->pol.index);
		return p && p->dir == r->pol.dir ? p : NULL;
	}
	return spd_get(spd, &r->pol.sel, r->pol.dir);
}

static const char *policy_id(const struct spd_policy *p, unsigned have, char *buf, size_t len)
{
	char a[IP_ADDR_STRLEN], b[IP_ADDR_STRLEN];

	if (have & XG_INDEX)
		snprintf(buf, len, "index %u dir %s", p->index, dir_names[p->dir % 3]);
	else
		snprintf(buf, len, "src %s/%u dst %s/%u dir %s",
		         ip_addr_fmt(&p->sel.saddr, a), p->sel.prefixlen_s,
		         ip_addr_fmt(&p->sel.daddr, b), p->sel.prefixlen_d, dir_names[p->dir % 3]);
	return buf;
}

static int policy_cmd(struct spd *spd, const char *verb, int argc, char **argv,
                      bool stats, FILE *out, FILE *err)
{
	struct xfrm_policy_req req;
	char msg[ERRLEN], id[160];
	enum xg_mode mode;
	int rc = 0;

	if (verb_is(verb, "help")) {
		xfrm_cmd_usage(out, "policy");
		return 0;
	}
	if (verb_is(verb, "count")) {
		struct policy_walk w = { 0 };

		if (argc)
			return report(err, -EINVAL, "unknown word '%s' after 'policy count'", argv[0]);
		spd_walk(spd, policy_count_cb, &w);
		fprintf(out, "\t SPD IN  %u OUT %u FWD %u", w.count[XFRM_POLICY_IN],
		        w.count[XFRM_POLICY_OUT], w.count[XFRM_POLICY_FWD]);
		if (stats)
			fputs(" (Sock: IN 0 OUT 0 FWD 0)", out);
		fputc('\n', out);
		return 0;
	}
	if (verb_is(verb, "flush")) {
		if (argc == 2 && !strcmp(argv[0], "ptype") && !strcmp(argv[1], "main"))
			argc = 0;
		if (argc)
			return report(err, -EINVAL, "'policy flush' takes only 'ptype main', not '%s'",
			              argv[0]);
		spd_flush(spd, XFRM_POLICY_MAX);
		return 0;
	}
	if (verb_is(verb, "add") || verb_is(verb, "update"))
		mode = XG_FULL;
	else if (verb_is(verb, "get") || verb_is(verb, "delete"))
		mode = XG_ID;
	else if (verb_is(verb, "list") || verb_is(verb, "deleteall"))
		mode = XG_FILTER;
	else
		return report(err, -EINVAL, "unknown command 'policy %s' (add, update, get, delete, "
		              "deleteall, list, flush, count, help)", verb);

	if (xfrm_parse_policy(argc, argv, mode, &req, msg, sizeof(msg)))
		return report(err, -EINVAL, "%s", msg);

	if (verb_is(verb, "add") || verb_is(verb, "update")) {
		bool add = verb_is(verb, "add");

		rc = add ? spd_add(spd, &req.pol, NULL) : spd_update(spd, &req.pol, NULL);
		if (rc == -EEXIST)
			report(err, rc, "policy %s already exists (use 'update' to change it)",
			       policy_id(&req.pol, 0, id, sizeof(id)));
		else if (rc)
			report(err, rc, "policy %s rejected: %s", policy_id(&req.pol, 0, id, sizeof(id)),
			       strerror(-rc));
	} else if (verb_is(verb, "get")) {
		struct spd_policy *p = policy_find(spd, &req);

		if (!p)
			rc = report(err, -ENOENT, "no policy %s",
			            policy_id(&req.pol, req.have, id, sizeof(id)));
		else
			xfrm_print_policy(out, p, stats);
	} else if (verb_is(verb, "delete")) {
		struct spd_policy *p = policy_find(spd, &req);

		rc = p ? spd_del_index(spd, p->index) : -ENOENT;
		if (rc)
			report(err, rc, "no policy %s", policy_id(&req.pol, req.have, id, sizeof(id)));
	} else if (verb_is(verb, "list")) {
		struct policy_walk w = { .f = &req, .out = out, .stats = stats };
		spd_walk(spd, policy_list_cb, &w);
	} else {   /* deleteall */
		struct policy_walk w = { .f = &req };

		spd_walk(spd, policy_collect_cb, &w);
		if (w.rc)
			rc = report(err, w.rc, "out of memory");
		else
			for (size_t i = 0; i < w.n; i++)
				spd_del_index(spd, w.idx[i]);
		free(w.idx);
	}
	return rc;
}

int xfrm_cmd_run(struct sad *sad, struct spd *spd, int argc, char **argv,
                 FILE *out, FILE *err)
{
	char **words;
	const char *obj;
	bool stats = false, keys = false;
	int n = 0, rc;

	if (argc < 0)
		argc = 0;
	words = calloc((size_t)argc + 1, sizeof(*words));
	if (!words)
		return report(err, -ENOMEM, "out of memory");
	for (int i = 0; i < argc; i++) {
		if (is_stats_word(argv[i]))
			stats = true;
		else if (is_keys_word(argv[i]))
			keys = true;
		else
			words[n++] = argv[i];
	}
	if (n == 0) {
		rc = report(err, -EINVAL, "missing 'state' or 'policy'");
		goto out;
	}
	if (!strcmp(words[0], "help")) {
		xfrm_cmd_usage(out, NULL);
		rc = 0;
		goto out;
	}
	obj = obj_name(words[0]);
	if (!obj) {
		rc = report(err, -EINVAL, "unknown object '%s' (state or policy)", words[0]);
		goto out;
	}
	if (n == 1) {   /* "ip xfrm state" alone lists */
		words[1] = "list";
		n = 2;
	}
	if (!strcmp(obj, "state"))
		rc = state_cmd(sad, words[1], n - 2, words + 2, stats, keys, out, err);
	else
		rc = policy_cmd(spd, words[1], n - 2, words + 2, stats, out, err);
out:
	free(words);
	return rc;
}

bool xfrm_cmd_state_match(const struct xfrm_state_req *f, const struct sad_sa *sa)
{
	return state_filter(f, sa);
}

bool xfrm_cmd_policy_match(const struct xfrm_policy_req *f, const struct spd_policy *p)
{
	return policy_filter(f, p);
}
