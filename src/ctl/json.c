/* JSON writer and the JSON forms of SAD/SPD objects. See json.h. */
#include "ctl/json.h"
#include "xfrmcli/xfrm_grammar.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = true;
}

/* Comma before a value unless it is the first at its level or follows
 * its key. */
static void sep(struct json *j)
{
	if (j->key_pending) {
		j->key_pending = false;
		return;
	}
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
}

static void open_(struct json *j, char c)
{
	sep(j);
	fputc(c, j->f);
	if (j->depth < JSON_MAX_DEPTH)
		j->first[++j->depth] = true;
}

static void close_(struct json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
	if (j->depth == 0)
		fputc('\n', j->f);
}

void json_obj_begin(struct json *j) { open_(j, '{'); }
void json_obj_end(struct json *j) { close_(j, '}'); }
void json_arr_begin(struct json *j) { open_(j, '['); }
void json_arr_end(struct json *j) { close_(j, ']'); }

static void raw_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void json_key(struct json *j, const char *k)
{
	sep(j);
	raw_str(j->f, k);
	fputc(':', j->f);
	j->key_pending = true;
}

void json_str(struct json *j, const char *s)
{
	sep(j);
	raw_str(j->f, s ? s : "");
}

void json_u64(struct json *j, uint64_t v)
{
	sep(j);
	fprintf(j->f, "%" PRIu64, v);
}

void json_bool(struct json *j, bool v)
{
	sep(j);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	sep(j);
	fputs("null", j->f);
}

void json_kstr(struct json *j, const char *k, const char *s)
{
	json_key(j, k);
	json_str(j, s);
}

void json_ku64(struct json *j, const char *k, uint64_t v)
{
	json_key(j, k);
	json_u64(j, v);
}

static void kaddr(struct json *j, const char *k, const struct ip_addr *a)
{
	char b[IP_ADDR_STRLEN];

	json_kstr(j, k, ip_addr_fmt(a, b));
}

static void kprefix(struct json *j, const char *k, const struct ip_addr *a, uint8_t plen)
{
	char b[IP_ADDR_STRLEN + 8], ab[IP_ADDR_STRLEN];

	snprintf(b, sizeof(b), "%s/%u", ip_addr_fmt(a, ab), plen);
	json_kstr(j, k, b);
}

static void kspi(struct json *j, const char *k, uint32_t spi)
{
	char b[16];

	snprintf(b, sizeof(b), "0x%08x", spi);
	json_kstr(j, k, b);
}

static void algo(struct json *j, const char *k, const struct xfrm_algo *a, bool icv)
{
	if (!a->name[0])
		return;
	json_key(j, k);
	json_obj_begin(j);
	json_kstr(j, "name", a->name);
	json_ku64(j, "key_bits", (uint64_t)a->key_len * 8);
	if (icv)
		json_ku64(j, "icv_bits", a->icv_bits);
	json_obj_end(j);
}

static const char *mode_name(uint8_t m)
{
	return m == XFRM_MODE_TUNNEL ? "tunnel" : "transport";
}

static void selector(struct json *j, const struct xfrm_selector *s)
{
	char pb[8];

	json_key(j, "sel");
	json_obj_begin(j);
	kprefix(j, "src", &s->saddr, s->prefixlen_s);
	kprefix(j, "dst", &s->daddr, s->prefixlen_d);
	json_kstr(j, "proto", s->proto ? xfrm_proto_name(s->proto, pb) : "any");
	if (s->sport_mask)
		json_ku64(j, "sport", s->sport);
	if (s->dport_mask)
		json_ku64(j, "dport", s->dport);
	json_obj_end(j);
}

void json_sa_stats(struct json *j, const struct sad_sa_stats *st)
{
	json_ku64(j, "in_packets", st->in_packets);
	json_ku64(j, "in_bytes", st->in_bytes);
	json_ku64(j, "out_packets", st->out_packets);
	json_ku64(j, "out_bytes", st->out_bytes);
	json_ku64(j, "replay", st->replay);
	json_ku64(j, "replay_window", st->replay_window);
	json_ku64(j, "integrity_failed", st->integrity_failed);
	json_ku64(j, "bad_padding", st->bad_padding);
	json_ku64(j, "malformed", st->malformed);
	json_ku64(j, "expired", st->expired);
	json_ku64(j, "seq_overflow", st->seq_overflow);
}

void json_state(struct json *j, const struct sad_sa *sa)
{
	static const char *const states[] = { "valid", "soft-expired", "dead" };

	json_obj_begin(j);
	kaddr(j, "src", &sa->saddr);
	kaddr(j, "dst", &sa->daddr);
	json_kstr(j, "proto", "esp");
	kspi(j, "spi", sa->spi);
	json_ku64(j, "reqid", sa->reqid);
	json_kstr(j, "mode", mode_name(sa->mode));
	json_kstr(j, "state", sa->state < 3 ? states[sa->state] : "?");
	json_ku64(j, "replay_window", sa->replay.size);
	json_key(j, "flags");
	json_arr_begin(j);
	if (sa->flags & SAD_FLAG_ESN)
		json_str(j, "esn");
	if (sa->flags & SAD_FLAG_NOECN)
		json_str(j, "noecn");
	if (sa->flags & SAD_FLAG_DECAP_DSCP)
		json_str(j, "decap-dscp");
	json_arr_end(j);
	algo(j, "aead", &sa->aead, true);
	algo(j, "enc", &sa->enc, false);
	algo(j, "auth", &sa->auth, true);
	if (sa->encap.type) {
		json_key(j, "encap");
		json_obj_begin(j);
		json_kstr(j, "type", "espinudp");
		json_ku64(j, "sport", sa->encap.sport);
		json_ku64(j, "dport", sa->encap.dport);
		json_obj_end(j);
	}
	if (sa->sel.family)
		selector(j, &sa->sel);
	json_ku64(j, "oseq", sa->oseq);
	json_ku64(j, "replay_top", sa->replay.top);
	json_key(j, "lifetime");
	json_obj_begin(j);
	json_ku64(j, "bytes", sa->curlft.bytes);
	json_ku64(j, "packets", sa->curlft.packets);
	json_ku64(j, "add_time", sa->curlft.add_time_wall);
	json_ku64(j, "use_time", sa->curlft.use_time_wall);
	json_obj_end(j);
	json_key(j, "stats");
	json_obj_begin(j);
	json_sa_stats(j, &sa->stats);
	json_obj_end(j);
	json_obj_end(j);
}

void json_policy(struct json *j, const struct spd_policy *pol)
{
	static const char *const dirs[] = { "in", "out", "fwd" };
	uint32_t i;

	json_obj_begin(j);
	json_ku64(j, "index", pol->index);
	json_kstr(j, "dir", pol->dir < 3 ? dirs[pol->dir] : "?");
	selector(j, &pol->sel);
	json_ku64(j, "priority", pol->priority);
	json_kstr(j, "action", pol->action == XFRM_POLICY_BLOCK ? "block" : "allow");
	json_ku64(j, "hits", pol->hits);
	json_key(j, "tmpl");
	json_arr_begin(j);
	for (i = 0; i < pol->ntmpl && i < SPD_MAX_TMPL; i++) {
		const struct xfrm_tmpl *t = &pol->tmpl[i];
		json_obj_begin(j);
		kaddr(j, "src", &t->saddr);
		kaddr(j, "dst", &t->daddr);
		json_kstr(j, "proto", "esp");
		json_kstr(j, "mode", mode_name(t->mode));
		json_ku64(j, "reqid", t->reqid);
		kspi(j, "spi", t->spi);
		json_kstr(j, "level", t->optional ? "use" : "required");
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

void json_xfrm_stat(struct json *j, const struct xfrm_stats *st)
{
	json_obj_begin(j);
	for (int i = 0; i < XFRM_MIB_MAX; i++)
		json_ku64(j, xfrm_mib_name(i), st->mib[i]);
	json_obj_end(j);
}
