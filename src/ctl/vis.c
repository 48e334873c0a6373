/* Visibility commands on the control socket: capture streaming, key
 * export, explain and JSON lists. See vis.h. Runs on the daemon's loop,
 * which also runs the data path, so the capture taps call straight into
 * ctl_server_emit (bounded per connection by CTL_TX_MAX). */
#include "ctl/vis.h"
#include "conf/creds.h"
#include "ctl/ctl.h"
#include "ctl/ctl_creds.h"
#include "ctl/explain.h"
#include "ctl/json.h"
#include "ctl/keys.h"
#include "xfrmcli/xfrm_cmd.h"
#include "xfrmcli/xfrm_grammar.h"
#include "dp/capture.h"
#include "dp/dp.h"
#include "dp/flow.h"
#include "dp/trace.h"
#include "ike/ike_export.h"
#include "io/route_get.h"
#include "net/ip.h"
#include "util/bytes.h"
#include "util/mem.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define OUT_CHUNK 60000
#define MAX_ARGS 64

struct cap_sub {
	struct ctl_vis *v;
	struct cap_sub *next;
	unsigned points;
	struct trace_filter f;
};

static void fail(struct vici_buf *resp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fail(struct vici_buf *resp, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vici_kv_str(resp, "success", "no");
	vici_kv_str(resp, "errmsg", msg);
}

static void put_output(struct vici_buf *b, const char *text, size_t len)
{
	vici_list_start(b, "output");
	for (size_t off = 0; off < len; off += OUT_CHUNK)
		vici_list_item(b, text + off, len - off > OUT_CHUNK ? OUT_CHUNK : len - off);
	vici_list_end(b);
}

/* ------------------------------------------------------------- capture */

/* What the filter sees of a captured packet: its own header. */
static bool cap_match(const struct trace_filter *f, const struct dp_cap_pkt *cp)
{
	struct xfrm_flow fl;
	uint32_t hl, spi = 0;
	bool has_spi = false;

	if (!f->has_host && !f->has_src && !f->has_dst && !f->has_spi && !f->has_proto)
		return true;
	if (!dp_flow_parse(cp->data, cp->len, &fl))
		return false;
	hl = (cp->data[0] >> 4) == 4 ? (uint32_t)(cp->data[0] & 0x0f) * 4 : IP6_HDR_LEN;
	if (fl.proto == IP_PROTO_ESP && cp->len >= hl + 4) {
		spi = get_be32(cp->data + hl);
		has_spi = true;
	} else if (fl.proto == IP_PROTO_UDP && cp->len >= hl + UDP_HDR_LEN + 8 &&
	           get_be32(cp->data + hl + UDP_HDR_LEN) != 0 &&
	           (cp->point == DP_CAP_ESP_IN || cp->point == DP_CAP_ESP_OUT ||
	            cp->point == DP_CAP_DROP)) {
		spi = get_be32(cp->data + hl + UDP_HDR_LEN);
		has_spi = true;
	}
	if (f->has_spi && (!has_spi || spi != f->spi))
		return false;
	if (f->has_proto && !(f->proto == fl.proto || (f->proto == IP_PROTO_ESP && has_spi)))
		return false;
	if (f->has_host && !ip_prefix_match(&f->host, f->host_len, &fl.saddr) &&
	    !ip_prefix_match(&f->host, f->host_len, &fl.daddr))
		return false;
	if (f->has_src && !ip_prefix_match(&f->src, f->src_len, &fl.saddr))
		return false;
	if (f->has_dst && !ip_prefix_match(&f->dst, f->dst_len, &fl.daddr))
		return false;
	return true;
}

static bool cap_conn_match(struct ctl_conn *c, void *arg)
{
	const struct cap_sub *s = ctl_conn_get_data(c);
	const struct dp_cap_pkt *cp = arg;

	return s && (s->points & DP_CAP_BIT(cp->point)) && cap_match(&s->f, cp);
}

static void cap_emit(void *ctx, const struct dp_cap_pkt *cp)
{
	struct ctl_vis *v = ctx;
	struct vici_buf b;
	uint32_t len = cp->len > 65535 ? 65535 : cp->len;
	const char *mib;

	vici_buf_init(&b);
	vici_begin(&b, VICI_EVENT, "uipsec-capture");
	vici_kv_str(&b, "point", dp_cap_point_name(cp->point));
	vici_kv_str(&b, "dir", cp->out ? "out" : "in");
	vici_kv_fmt(&b, "ts", "%llu", (unsigned long long)cp->ts_ns);
	vici_kv_fmt(&b, "len", "%u", cp->len);
	if (cp->point == DP_CAP_DROP) {
		vici_kv_str(&b, "reason", drop_reason_name(cp->reason));
		mib = xfrm_mib_name(drop_reason_mib(cp->reason));
		if (mib)
			vici_kv_str(&b, "mib", mib);
	}
	vici_kv(&b, "data", cp->data, len);
	if (vici_end(&b) == 0 &&
	    ctl_server_emit(v->srv, "uipsec-capture", &b, cap_conn_match, (void *)cp))
		v->captured++;
	/* the event held a packet that crossed the tunnel in clear */
	vici_buf_free(&b);
}

static void cap_update(struct ctl_vis *v)
{
	struct dp_capturer c = { .ctx = v, .emit = cap_emit };

	if (!v->dp)
		return;
	if (v->listeners)
		for (struct cap_sub *s = v->subs; s; s = s->next)
			c.points |= s->points;
	if (dp_set_capturer(v->dp, &c) < 0)
		dp_set_capturer(v->dp, NULL);
}

static void cap_sub_free(void *p)
{
	struct cap_sub *s = p, **pp;

	for (pp = &s->v->subs; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	cap_update(s->v);
	free(s);
}

static void cap_listeners(void *ctx, const char *event, unsigned n)
{
	struct ctl_vis *v = ctx;

	v->listeners = n;
	cap_update(v);
}

static void cmd_capture(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                        struct vici_buf *resp)
{
	struct ctl_vis *v = ctx;
	char **argv = NULL, err[160], *save = NULL, *tok, *pts;
	struct cap_sub *s = NULL;
	int argc;

	if (!v->dp) {
		fail(resp, "Error: this daemon has no data path to capture");
		return;
	}
	argc = vici_get_list(req->msg, req->msg_len, "argv", &argv, MAX_ARGS);
	if (argc <= 0) {
		fail(resp, "Error: capture needs a list of points");
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		fail(resp, "Error: out of memory");
		goto out;
	}
	/* argv[0]: the points, comma-separated; then the filter words */
	pts = argv[0];
	for (tok = strtok_r(pts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		enum dp_cap_point pt;
		if (dp_cap_point_parse(tok, &pt) < 0) {
			fail(resp, "Error: unknown capture point '%s' (esp-in, inner-in, inner-out, "
			     "esp-out, drop)", tok);
			goto out;
		}
		s->points |= DP_CAP_BIT(pt);
	}
	if (!s->points) {
		fail(resp, "Error: capture needs at least one point");
		goto out;
	}
	if (trace_filter_parse(argc - 1, argv + 1, &s->f, err, sizeof(err)) < 0) {
		fail(resp, "Error: %s", err);
		goto out;
	}
	s->v = v;
	/* replaces (and unlinks) an earlier capture of this connection */
	ctl_conn_set_data(c, NULL, NULL);
	s->next = v->subs;
	v->subs = s;
	ctl_conn_set_data(c, s, cap_sub_free);
	s = NULL;
	cap_update(v);
	vici_kv_str(resp, "success", "yes");
out:
	free(s);
	vici_list_free(argv);
}

/* ------------------------------------------------------------- keys */

static void cmd_keys(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                     struct vici_buf *resp)
{
	struct ctl_vis *v = ctx;
	char **argv = NULL, *buf = NULL;
	size_t len = 0;
	FILE *f;
	int argc, n;

	bool esp = true, ike = true, all;

	argc = vici_get_list(req->msg, req->msg_len, "argv", &argv, 4);
	if (argc < 1 || argc > 2 || strcmp(argv[0], "wireshark") != 0 ||
	    (argc == 2 && strcmp(argv[1], "esp") && strcmp(argv[1], "ike") && strcmp(argv[1], "all"))) {
		fail(resp, "Error: keys: wireshark [esp|ike|all] is the only format");
		vici_list_free(argv);
		return;
	}
	if (argc == 2 && !strcmp(argv[1], "esp"))
		ike = false;
	if (argc == 2 && !strcmp(argv[1], "ike"))
		esp = false;
	all = esp && ike;
	vici_list_free(argv);
	f = mem_stream_open(&buf, &len);
	if (!f) {
		fail(resp, "Error: out of memory");
		return;
	}
	n = 0;
	if (esp) {
		if (all)
			fprintf(f, "# esp_sa (Wireshark: Protocols > ESP > ESP SAs)\n");
		n += keys_wireshark(v->sad, f);
	}
	if (ike) {
		if (all)
			fprintf(f, "# ikev2_decryption_table (Wireshark: Protocols > ISAKMP > IKEv2 "
			        "Decryption Table)\n");
		if (v->ike)
			n += ike_export_wireshark(v->ike, f);
		else
			fprintf(f, "# no IKE daemon: no IKE SAs\n");
	}
	fclose(f);
	vici_kv_str(resp, "success", "yes");
	vici_kv_fmt(resp, "count", "%d", n);
	if (len)
		put_output(resp, buf, len);
	mem_free_wipe(buf, len);
}

/* ------------------------------------------------------------- explain */

static bool vis_is_local(void *ctx, const struct ip_addr *a)
{
	struct ctl_vis *v = ctx;

	return v->dp && dp_is_local(v->dp, a);
}

static void cmd_explain(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                        struct vici_buf *resp)
{
	struct ctl_vis *v = ctx;
	struct explain_env env = {
		.sad = v->sad, .spd = v->spd, .tun_name = v->tun_name ? v->tun_name : "ipsec0",
		.ctx = v, .is_local = vis_is_local, .route = route_get,
	};
	struct xfrm_flow fl;
	char **argv = NULL, *buf = NULL, err[200];
	size_t len = 0;
	FILE *f;
	int argc;

	argc = vici_get_list(req->msg, req->msg_len, "argv", &argv, 8);
	if (argc == -ENOENT)
		argc = 0;
	if (argc < 0 || explain_parse(argc, argv, &fl, err, sizeof(err)) < 0) {
		fail(resp, "Error: %s", argc < 0 ? "bad arguments" : err);
		vici_list_free(argv);
		return;
	}
	vici_list_free(argv);
	f = open_memstream(&buf, &len);
	if (!f) {
		fail(resp, "Error: out of memory");
		return;
	}
	explain_flow(&env, &fl, f);
	fclose(f);
	vici_kv_str(resp, "success", "yes");
	put_output(resp, buf, len);
	free(buf);
}

/* ------------------------------------------------------------- json */

struct jwalk {
	struct json *j;
	const void *f;
};

static int jstate_cb(struct sad_sa *sa, void *arg)
{
	struct jwalk *w = arg;

	if (sa->state != SAD_STATE_DEAD && xfrm_cmd_state_match(w->f, sa))
		json_state(w->j, sa);
	return 0;
}

static int jpolicy_cb(struct spd_policy *p, void *arg)
{
	struct jwalk *w = arg;

	if (xfrm_cmd_policy_match(w->f, p))
		json_policy(w->j, p);
	return 0;
}

static int jstats_cb(struct sad_sa *sa, void *arg)
{
	struct json *j = arg;
	char s[IP_ADDR_STRLEN], d[IP_ADDR_STRLEN], spi[16];

	json_obj_begin(j);
	json_kstr(j, "src", ip_addr_fmt(&sa->saddr, s));
	json_kstr(j, "dst", ip_addr_fmt(&sa->daddr, d));
	snprintf(spi, sizeof(spi), "0x%08x", sa->spi);
	json_kstr(j, "spi", spi);
	json_ku64(j, "reqid", sa->reqid);
	json_ku64(j, "oseq", sa->oseq);
	json_sa_stats(j, &sa->stats);
	json_obj_end(j);
	return 0;
}

static void json_stats(struct ctl_vis *v, struct json *j)
{
	struct xfrm_stats sum = { { 0 } };
	struct dp_counters sumc;

	if (v->dp)
		dp_sum(v->dp, &sum, &sumc);
	json_obj_begin(j);
	json_key(j, "xfrm_stat");
	json_xfrm_stat(j, &sum);
	if (v->dp) {
		const struct dp_counters *n = &sumc;
		json_key(j, "datapath");
		json_obj_begin(j);
		json_ku64(j, "InPackets", n->in_packets);
		json_ku64(j, "InBytes", n->in_bytes);
		json_ku64(j, "OutPackets", n->out_packets);
		json_ku64(j, "OutBytes", n->out_bytes);
		json_ku64(j, "IkePackets", n->ike_packets);
		json_ku64(j, "IkeDropped", n->ike_dropped);
		json_ku64(j, "IkeTooBig", n->ike_too_big);
		json_ku64(j, "NatKeepalives", n->keepalives);
		json_ku64(j, "TunIgnored", n->tun_ignored);
		json_ku64(j, "Acquires", n->acquires);
		json_ku64(j, "AcquiresSuppressed", n->acquires_suppressed);
		json_ku64(j, "HoldQueued", n->hold_queued);
		json_ku64(j, "HoldSent", n->hold_sent);
		json_ku64(j, "HoldDropped", n->hold_dropped);
		json_ku64(j, "NoStateEvents", n->nostate_events);
		json_ku64(j, "Bypassed", n->bypassed);
		json_obj_end(j);
	}
	json_key(j, "states");
	json_arr_begin(j);
	sad_walk(v->sad, jstats_cb, j);
	json_arr_end(j);
	json_obj_end(j);
}

/* list-sas / list-conns: the IKE core's views (ike/ike_export.h) as JSON.
 * The callbacks come SA by SA, each followed by its children, so an SA's
 * object stays open until the next one starts. */
struct jike {
	struct json *j;
	bool open;
};

static void jike_close(struct jike *k)
{
	if (k->open) {
		json_arr_end(k->j);
		json_obj_end(k->j);
		k->open = false;
	}
}

static void jhost(struct json *j, const char *k, const struct ip_addr *a)
{
	char b[IP_ADDR_STRLEN];

	json_kstr(j, k, ip_addr_is_zero(a) ? "%any" : ip_addr_fmt(a, b));
}

static void jike_sa(void *arg, const struct ike_view_sa *v)
{
	struct jike *k = arg;
	struct json *j = k->j;
	char b[24];

	jike_close(k);
	json_obj_begin(j);
	json_kstr(j, "name", v->conn);
	json_kstr(j, "state", v->state);
	json_ku64(j, "version", 2);
	json_key(j, "initiator");
	json_bool(j, v->initiator);
	snprintf(b, sizeof(b), "%016llx", (unsigned long long)v->spi_i);
	json_kstr(j, "spi_i", b);
	snprintf(b, sizeof(b), "%016llx", (unsigned long long)v->spi_r);
	json_kstr(j, "spi_r", b);
	jhost(j, "local_host", &v->local);
	json_ku64(j, "local_port", v->local_port);
	jhost(j, "remote_host", &v->remote);
	json_ku64(j, "remote_port", v->remote_port);
	json_key(j, "nat_local");
	json_bool(j, v->nat_local);
	json_key(j, "nat_remote");
	json_bool(j, v->nat_remote);
	json_kstr(j, "local_id", v->local_id);
	json_kstr(j, "remote_id", v->remote_id);
	if (v->remote_eap_id && v->remote_eap_id[0])
		json_kstr(j, "remote_eap_id", v->remote_eap_id);
	json_kstr(j, "proposal", v->proposal);
	if (v->local_sig[0])
		json_kstr(j, "local_auth", v->local_sig);
	if (v->local_cert[0]) {
		json_kstr(j, "local_cert", v->local_cert);
		json_kstr(j, "local_cert_issuer", v->local_cert_issuer);
	}
	if (v->remote_sig[0])
		json_kstr(j, "remote_auth", v->remote_sig);
	if (v->remote_cert[0]) {
		json_kstr(j, "remote_cert", v->remote_cert);
		json_kstr(j, "remote_cert_issuer", v->remote_cert_issuer);
	}
	json_key(j, "established");
	if (v->established_s >= 0)
		json_u64(j, (uint64_t)v->established_s);
	else
		json_null(j);
	json_key(j, "children");
	json_arr_begin(j);
	k->open = true;
}

static void jike_child(void *arg, const struct ike_view_child *v)
{
	struct jike *k = arg;
	struct json *j = k->j;
	char b[16];

	json_obj_begin(j);
	json_kstr(j, "name", v->name);
	json_kstr(j, "state", v->state);
	json_ku64(j, "reqid", v->reqid);
	json_kstr(j, "mode", v->mode);
	json_key(j, "encap");
	json_bool(j, v->encap);
	json_kstr(j, "proposal", v->proposal);
	snprintf(b, sizeof(b), "%08x", v->spi_in);
	json_kstr(j, "spi_in", b);
	snprintf(b, sizeof(b), "%08x", v->spi_out);
	json_kstr(j, "spi_out", b);
	json_ku64(j, "bytes_in", v->in_bytes);
	json_ku64(j, "packets_in", v->in_packets);
	json_ku64(j, "bytes_out", v->out_bytes);
	json_ku64(j, "packets_out", v->out_packets);
	json_ku64(j, "installed", v->installed_s);
	json_key(j, "rekey_in");
	if (v->rekey_in_s >= 0)
		json_u64(j, (uint64_t)v->rekey_in_s);
	else
		json_null(j);
	json_kstr(j, "local_ts", v->local_ts);
	json_kstr(j, "remote_ts", v->remote_ts);
	json_obj_end(j);
}

static void jike_conn(void *arg, const struct ike_view_conn *v)
{
	struct jike *k = arg;
	struct json *j = k->j;

	jike_close(k);
	json_obj_begin(j);
	json_kstr(j, "name", v->name);
	json_ku64(j, "version", 2);
	jhost(j, "local_addrs", &v->local);
	json_ku64(j, "local_port", v->local_port);
	jhost(j, "remote_addrs", &v->remote);
	json_ku64(j, "remote_port", v->remote_port);
	json_kstr(j, "proposals", v->proposals);
	json_kstr(j, "local_auth", v->local_auth);
	json_kstr(j, "local_id", v->local_id);
	if (v->local_certs[0])
		json_kstr(j, "local_certs", v->local_certs);
	json_kstr(j, "remote_auth", v->remote_auth);
	json_kstr(j, "remote_id", v->remote_id);
	if (v->remote_certs[0])
		json_kstr(j, "remote_certs", v->remote_certs);
	if (v->remote_cacerts[0])
		json_kstr(j, "remote_cacerts", v->remote_cacerts);
	json_key(j, "encap");
	json_bool(j, v->encap);
	json_key(j, "children");
	json_arr_begin(j);
	k->open = true;
}

static void jike_child_cfg(void *arg, const struct ike_view_child_cfg *v)
{
	struct json *j = ((struct jike *)arg)->j;

	json_obj_begin(j);
	json_kstr(j, "name", v->name);
	json_kstr(j, "mode", v->mode);
	json_ku64(j, "reqid", v->reqid);
	json_kstr(j, "start_action", v->start_action);
	json_kstr(j, "esp_proposals", v->esp_proposals);
	json_kstr(j, "local_ts", v->local_ts);
	json_kstr(j, "remote_ts", v->remote_ts);
	json_obj_end(j);
}

static bool is_list_verb(const char *w)
{
	return !strcmp(w, "list") || !strcmp(w, "show") || !strcmp(w, "ls") || !strcmp(w, "lst");
}

static void cmd_json(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                     struct vici_buf *resp)
{
	struct ctl_vis *v = ctx;
	char **argv = NULL, *buf = NULL, err[200];
	size_t len = 0;
	struct json j;
	FILE *f = NULL;
	int argc, skip, r = 0;

	argc = vici_get_list(req->msg, req->msg_len, "argv", &argv, MAX_ARGS);
	if (argc <= 0) {
		fail(resp, "Error: json needs state list, policy list or stats");
		goto out;
	}
	f = open_memstream(&buf, &len);
	if (!f) {
		fail(resp, "Error: out of memory");
		goto out;
	}
	json_init(&j, f);
	skip = argc >= 2 && is_list_verb(argv[1]) ? 2 : 1;
	if (!strcmp(argv[0], "stats") && argc == 1) {
		json_stats(v, &j);
	} else if (!strcmp(argv[0], "list-certs") && argc == 1) {
		struct creds_list_opts lo = { .utc = true };
		if (v->creds && v->creds->store)
			creds_list_certs_json(v->creds->store, f, &lo);
		else
			fputs("[]\n", f);
	} else if ((!strcmp(argv[0], "list-sas") || !strcmp(argv[0], "list-conns")) && argc == 1) {
		struct jike k = { .j = &j };
		json_arr_begin(&j);
		if (v->ike && !strcmp(argv[0], "list-sas"))
			ike_view_sas(v->ike, jike_sa, jike_child, &k);
		else if (v->ike)
			ike_view_conns(v->ike, jike_conn, jike_child_cfg, &k);
		jike_close(&k);
		json_arr_end(&j);
	} else if (!strcmp(argv[0], "state") || !strcmp(argv[0], "sa")) {
		struct xfrm_state_req *sr = calloc(1, sizeof(*sr));
		struct jwalk w = { &j, sr };
		if (!sr)
			r = -ENOMEM;
		else
			r = xfrm_parse_state(argc - skip, argv + skip, XG_FILTER, sr, err, sizeof(err));
		if (r == 0) {
			json_arr_begin(&j);
			sad_walk(v->sad, jstate_cb, &w);
			json_arr_end(&j);
		}
		if (sr)
			mem_free_wipe(sr, sizeof(*sr));
	} else if (!strcmp(argv[0], "policy") || !strcmp(argv[0], "pol")) {
		struct xfrm_policy_req pr;
		struct jwalk w = { &j, &pr };
		memset(&pr, 0, sizeof(pr));
		r = xfrm_parse_policy(argc - skip, argv + skip, XG_FILTER, &pr, err, sizeof(err));
		if (r == 0) {
			json_arr_begin(&j);
			spd_walk(v->spd, jpolicy_cb, &w);
			json_arr_end(&j);
		}
	} else {
		snprintf(err, sizeof(err), "--json is for xfrm state list, xfrm policy list and "
		         "stats, not '%s'", argv[0]);
		r = -EINVAL;
	}
	fclose(f);
	f = NULL;
	if (r < 0) {
		fail(resp, "Error: %s", r == -ENOMEM ? "out of memory" : err);
		goto out;
	}
	vici_kv_str(resp, "success", "yes");
	put_output(resp, buf, len);
out:
	if (f)
		fclose(f);
	free(buf);
	vici_list_free(argv);
}

int ctl_vis_register(struct ctl_vis *v)
{
	int r = 0;

	r |= ctl_server_add_cmd(v->srv, "uipsec-capture", cmd_capture, v);
	r |= ctl_server_add_event(v->srv, "uipsec-capture", cap_listeners, v);
	r |= ctl_server_add_cmd(v->srv, "uipsec-keys", cmd_keys, v);
	r |= ctl_server_add_cmd(v->srv, "uipsec-explain", cmd_explain, v);
	r |= ctl_server_add_cmd(v->srv, "uipsec-json", cmd_json, v);
	return r ? -ENOSPC : 0;
}
