/* strongSwan's VICI commands on uipsecd's control socket. See
 * vici_swanctl.h for what is answered and what is refused.
 *
 * Every request value is read with a bounded copy (vici_get_str); a
 * request that lacks what a command needs, or holds what uipsec cannot
 * do, gets success "no" and an errmsg saying so. */
#include "ctl/vici_swanctl.h"

#include <ctype.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "conf/creds.h"
#include "ctl/ctl_creds.h"
#include "ctl/ctl.h"
#include "ctl/ike_ctl.h"
#include "ctl/vici.h"
#include "ike/ike_export.h"
#include "ike/ike_pld.h"
#include "ike/ike_pool.h"
#include "ike/ike_proto.h"
#include "io/loop.h"
#include "util/log.h"
#include "util/mem.h"

#define POLL_MS 100
#define DEFAULT_TIMEOUT_MS 120000u   /* initiate/terminate without "timeout" */

struct vici_secret {
	struct vici_secret *next;
	char id[128];                   /* load-shared "id" (or made up) */
	uint8_t type;                   /* enum ike_shared_type: IKE or EAP */
	char **owners;                  /* vici_get_list allocation, may be NULL */
	int nowners;
	uint8_t *data;
	size_t len;
};

enum pending_kind { P_INITIATE, P_TERMINATE };

struct vici_pending {
	struct vici_pending *next;
	struct vici_swanctl *vs;
	struct ctl_conn *c;
	enum pending_kind kind;
	char ike[64], child[64];       /* what was asked for ("" if not) */
	char conn[64];                 /* the connection whose log lines go to the client */
	uint32_t base_ike, base_child;  /* highest uniqueids before the request */
	uint32_t spis[32];             /* terminate: the inbound SPIs / IKE uniqueids to go */
	unsigned nspis;
	uint64_t deadline_ms;
	int loglevel;
	char failed[256];              /* set by an end event: the answer's errmsg */
	bool has_children;             /* initiate --ike: the connection has children */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void fail_resp(struct vici_buf *resp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fail_resp(struct vici_buf *resp, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vici_kv_str(resp, "success", "no");
	vici_kv_str(resp, "errmsg", msg);
}

static bool get_str(const struct vici_packet *req, const char *name, char *out, size_t len)
{
	return vici_get_str(req->msg, req->msg_len, name, out, len) == 0;
}

static bool get_yes(const struct vici_packet *req, const char *name)
{
	char v[8];

	return get_str(req, name, v, sizeof(v)) && (!strcmp(v, "yes") || !strcmp(v, "1"));
}

/* ------------------------------------------------------------ names */

const char *vici_alg_name(uint8_t type, uint16_t id)
{
	switch (type) {
	case IKE_TRANS_ENCR:
		switch (id) {
		case 3: return "3DES_CBC";
		case 11: return "NULL";
		case 12: return "AES_CBC";
		case 13: return "AES_CTR";
		case 14: return "AES_CCM_8";
		case 15: return "AES_CCM_12";
		case 16: return "AES_CCM_16";
		case 18: return "AES_GCM_8";
		case 19: return "AES_GCM_12";
		case 20: return "AES_GCM_16";
		case 21: return "NULL_AES_GMAC";
		case 23: return "CAMELLIA_CBC";
		case 28: return "CHACHA20_POLY1305";
		}
		break;
	case IKE_TRANS_PRF:
		switch (id) {
		case 1: return "PRF_HMAC_MD5";
		case 2: return "PRF_HMAC_SHA1";
		case 4: return "PRF_AES128_XCBC";
		case 5: return "PRF_HMAC_SHA2_256";
		case 6: return "PRF_HMAC_SHA2_384";
		case 7: return "PRF_HMAC_SHA2_512";
		case 8: return "PRF_AES128_CMAC";
		}
		break;
	case IKE_TRANS_INTEG:
		switch (id) {
		case 1: return "HMAC_MD5_96";
		case 2: return "HMAC_SHA1_96";
		case 5: return "AES_XCBC_96";
		case 8: return "AES_CMAC_96";
		case 12: return "HMAC_SHA2_256_128";
		case 13: return "HMAC_SHA2_384_192";
		case 14: return "HMAC_SHA2_512_256";
		}
		break;
	case IKE_TRANS_DH:
		switch (id) {
		case 1: return "MODP_768";
		case 2: return "MODP_1024";
		case 5: return "MODP_1536";
		case 14: return "MODP_2048";
		case 15: return "MODP_3072";
		case 16: return "MODP_4096";
		case 17: return "MODP_6144";
		case 18: return "MODP_8192";
		case 19: return "ECP_256";
		case 20: return "ECP_384";
		case 21: return "ECP_521";
		case 31: return "CURVE_25519";
		case 32: return "CURVE_448";
		}
		break;
	}
	return NULL;
}

/* encr-alg, encr-keysize, integ-alg, prf-alg, dh-group, esn as charon's
 * list-sa has them for the chosen transforms p. */
static void put_algs(struct vici_buf *b, const struct ike_proposal *p, bool ike)
{
	uint16_t klen = 0, id;
	const char *n;

	if (!p)
		return;
	id = ike_proposal_get(p, IKE_TRANS_ENCR, &klen);
	if (id && (n = vici_alg_name(IKE_TRANS_ENCR, id))) {
		vici_kv_str(b, "encr-alg", n);
		if (klen)
			vici_kv_fmt(b, "encr-keysize", "%u", klen);
	} else if (id) {
		vici_kv_fmt(b, "encr-alg", "ENCR_%u", id);
	}
	id = ike_proposal_get(p, IKE_TRANS_INTEG, &klen);
	if (id)
		vici_kv_str(b, "integ-alg", (n = vici_alg_name(IKE_TRANS_INTEG, id)) ? n : "unknown");
	if (ike) {
		id = ike_proposal_get(p, IKE_TRANS_PRF, &klen);
		if (id)
			vici_kv_str(b, "prf-alg", (n = vici_alg_name(IKE_TRANS_PRF, id)) ? n : "unknown");
	}
	id = ike_proposal_get(p, IKE_TRANS_DH, &klen);
	if (id)
		vici_kv_str(b, "dh-group", (n = vici_alg_name(IKE_TRANS_DH, id)) ? n : "unknown");
	if (!ike && ike_proposal_get(p, IKE_TRANS_ESN, &klen) == 1)
		vici_kv_str(b, "esn", "1");
}

static void put_ts_list(struct vici_buf *b, const char *name, const struct ike_ts_list *l,
                        const char *dynamic)
{
	char buf[256];

	vici_list_start(b, name);
	if (!l || l->n == 0) {
		if (dynamic)
			vici_list_item_str(b, dynamic);
	}
	for (unsigned i = 0; l && i < l->n; i++) {
		struct ike_ts_list one = { .n = 1 };
		one.ts[0] = l->ts[i];
		vici_list_item_str(b, ike_ts_list_fmt(&one, buf, sizeof(buf)));
	}
	vici_list_end(b);
}

/* charon's IKE_SA state names */
static const char *ike_state_charon(const char *st)
{
	if (!strcmp(st, "INIT_SENT") || !strcmp(st, "INIT_RESPONDED") || !strcmp(st, "AUTH_SENT"))
		return "CONNECTING";
	if (!strcmp(st, "DEAD"))
		return "DESTROYING";
	return st;   /* CREATED, ESTABLISHED, DELETING */
}

static const char *upper(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = (char)toupper((unsigned char)s[i]);
	buf[i] = '\0';
	return buf;
}

/* ------------------------------------------------------------ list-sas */

struct sa_walk {
	struct vici_swanctl *vs;
	struct ctl_conn *c;
	const char *filter_ike;
	uint32_t filter_id;
	uint32_t only_id;           /* one SA (updown events): its uniqueid */
	uint32_t only_spi;          /* one CHILD SA (child-updown): its inbound SPI */
	bool want;                  /* the current SA passes the filters */
	bool open;                  /* an event is being built */
	struct vici_buf ev;
	const char *event;
	bool up;                    /* ike-updown/child-updown: "up = yes" */
	unsigned n;
	/* for the poller */
	uint32_t max_ike, max_child;
	bool child_up_found;
};

static void sa_flush(struct sa_walk *w)
{
	if (!w->open)
		return;
	vici_section_end(&w->ev);   /* child-sas */
	vici_section_end(&w->ev);   /* the SA */
	if (vici_end(&w->ev) == 0) {
		if (w->c)
			(void)ctl_conn_send(w->c, &w->ev);
		else
			ctl_server_emit(w->vs->srv, w->event, &w->ev, NULL, NULL);
	}
	vici_buf_free(&w->ev);
	w->open = false;
}

static void sa_cb(void *arg, const struct ike_view_sa *v)
{
	struct sa_walk *w = arg;
	char a[IP_ADDR_STRLEN];

	sa_flush(w);
	w->want = (!w->filter_ike || !strcmp(v->conn, w->filter_ike)) &&
	          (!w->filter_id || v->unique_id == w->filter_id) &&
	          (!w->only_id || v->unique_id == w->only_id);
	if (!w->want)
		return;
	w->n++;
	vici_buf_init(&w->ev);
	vici_begin(&w->ev, VICI_EVENT, w->event);
	if (w->up)
		vici_kv_str(&w->ev, "up", "yes");
	vici_section_start(&w->ev, v->conn);
	vici_kv_fmt(&w->ev, "uniqueid", "%u", v->unique_id);
	vici_kv_str(&w->ev, "version", "2");
	vici_kv_str(&w->ev, "state", ike_state_charon(v->state));
	vici_kv_str(&w->ev, "local-host", ip_addr_fmt(&v->local, a));
	vici_kv_fmt(&w->ev, "local-port", "%u", v->local_port);
	vici_kv_str(&w->ev, "local-id", v->local_id[0] ? v->local_id : ip_addr_fmt(&v->local, a));
	vici_kv_str(&w->ev, "remote-host", ip_addr_fmt(&v->remote, a));
	vici_kv_fmt(&w->ev, "remote-port", "%u", v->remote_port);
	vici_kv_str(&w->ev, "remote-id", v->remote_id[0] ? v->remote_id : ip_addr_fmt(&v->remote, a));
	/* as charon: the EAP identity where it is not the IKE one */
	if (v->remote_eap_id && v->remote_eap_id[0])
		vici_kv_str(&w->ev, "remote-eap-id", v->remote_eap_id);
	if (v->initiator)
		vici_kv_str(&w->ev, "initiator", "yes");
	vici_kv_fmt(&w->ev, "initiator-spi", "%016llx", (unsigned long long)v->spi_i);
	vici_kv_fmt(&w->ev, "responder-spi", "%016llx", (unsigned long long)v->spi_r);
	if (v->nat_local)
		vici_kv_str(&w->ev, "nat-local", "yes");
	if (v->nat_remote)
		vici_kv_str(&w->ev, "nat-remote", "yes");
	if (v->nat_local || v->nat_remote)
		vici_kv_str(&w->ev, "nat-any", "yes");
	put_algs(&w->ev, v->prop, true);
	if (v->established_s >= 0)
		vici_kv_fmt(&w->ev, "established", "%lld", (long long)v->established_s);
	if (v->rekey_in_s >= 0)
		vici_kv_fmt(&w->ev, "rekey-time", "%lld", (long long)v->rekey_in_s);
	vici_section_start(&w->ev, "child-sas");
	w->open = true;
}

static void child_cb(void *arg, const struct ike_view_child *v)
{
	struct sa_walk *w = arg;
	char sec[96];

	if (!w->want || !w->open || (w->only_spi && v->spi_in != w->only_spi))
		return;
	snprintf(sec, sizeof(sec), "%s-%u", v->name, v->unique_id);
	vici_section_start(&w->ev, sec);
	vici_kv_str(&w->ev, "name", v->name);
	vici_kv_fmt(&w->ev, "uniqueid", "%u", v->unique_id);
	vici_kv_fmt(&w->ev, "reqid", "%u", v->reqid);
	vici_kv_str(&w->ev, "state", v->state);
	vici_kv_str(&w->ev, "mode", !strcmp(v->mode, "transport") ? "TRANSPORT" : "TUNNEL");
	vici_kv_str(&w->ev, "protocol", "ESP");
	if (v->encap)
		vici_kv_str(&w->ev, "encap", "yes");
	vici_kv_fmt(&w->ev, "spi-in", "%08x", v->spi_in);
	vici_kv_fmt(&w->ev, "spi-out", "%08x", v->spi_out);
	put_algs(&w->ev, v->prop, false);
	vici_kv_fmt(&w->ev, "bytes-in", "%llu", (unsigned long long)v->in_bytes);
	vici_kv_fmt(&w->ev, "packets-in", "%llu", (unsigned long long)v->in_packets);
	vici_kv_fmt(&w->ev, "bytes-out", "%llu", (unsigned long long)v->out_bytes);
	vici_kv_fmt(&w->ev, "packets-out", "%llu", (unsigned long long)v->out_packets);
	if (v->rekey_in_s >= 0)
		vici_kv_fmt(&w->ev, "rekey-time", "%lld", (long long)v->rekey_in_s);
	if (v->expire_in_s >= 0)
		vici_kv_fmt(&w->ev, "life-time", "%lld", (long long)v->expire_in_s);
	vici_kv_fmt(&w->ev, "install-time", "%llu", (unsigned long long)v->installed_s);
	put_ts_list(&w->ev, "local-ts", v->ts_local, NULL);
	put_ts_list(&w->ev, "remote-ts", v->ts_remote, NULL);
	vici_section_end(&w->ev);
}

static void cmd_list_sas(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                         struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	struct sa_walk w = { .vs = vs, .c = c, .event = "list-sa" };
	char ike[64], id[16];

	if (get_str(req, "ike", ike, sizeof(ike)))
		w.filter_ike = ike;
	if (get_str(req, "ike-id", id, sizeof(id)))
		w.filter_id = (uint32_t)strtoul(id, NULL, 10);
	/* events only to a client that asked for them (charon's rule too) */
	if (ctl_conn_registered(c, "list-sa"))
		ike_view_sas(vs->ike, sa_cb, child_cb, &w);
	sa_flush(&w);
	(void)resp;    /* charon answers list-sas with an empty message */
}

/* ------------------------------------------------------------ list-conns */

struct conn_walk {
	struct ctl_conn *c;
	const char *filter;
	bool want, open;
	struct vici_buf ev;
	/* get-conns */
	struct vici_buf *names;
};

static void conn_flush(struct conn_walk *w)
{
	if (!w->open)
		return;
	vici_section_end(&w->ev);   /* children */
	vici_section_end(&w->ev);   /* the connection */
	if (vici_end(&w->ev) == 0)
		(void)ctl_conn_send(w->c, &w->ev);
	vici_buf_free(&w->ev);
	w->open = false;
}

static void conn_cb(void *arg, const struct ike_view_conn *v)
{
	struct conn_walk *w = arg;
	char a[IP_ADDR_STRLEN];

	if (w->names) {
		vici_list_item_str(w->names, v->name);
		return;
	}
	conn_flush(w);
	w->want = !w->filter || !strcmp(w->filter, v->name);
	if (!w->want)
		return;
	vici_buf_init(&w->ev);
	vici_begin(&w->ev, VICI_EVENT, "list-conn");
	vici_section_start(&w->ev, v->name);
	vici_list_start(&w->ev, "local_addrs");
	vici_list_item_str(&w->ev, v->local.family ? ip_addr_fmt(&v->local, a) : "%any");
	vici_list_end(&w->ev);
	vici_list_start(&w->ev, "remote_addrs");
	vici_list_item_str(&w->ev, v->any_remote ? "%any" : ip_addr_fmt(&v->remote, a));
	vici_list_end(&w->ev);
	vici_kv_str(&w->ev, "version", "IKEv2");
	vici_kv_str(&w->ev, "reauth_time", "0");
	vici_kv_fmt(&w->ev, "rekey_time", "%u", v->rekey_time);
	vici_kv_str(&w->ev, "unique", "UNIQUE_NO");
	vici_kv_fmt(&w->ev, "dpd_delay", "%u", v->dpd_delay);
	vici_section_start(&w->ev, "local-1");
	vici_kv_str(&w->ev, "class", "pre-shared key");
	if (v->local_id[0] && strcmp(v->local_id, "%any"))
		vici_kv_str(&w->ev, "id", v->local_id);
	vici_section_end(&w->ev);
	vici_section_start(&w->ev, "remote-1");
	vici_kv_str(&w->ev, "class", "pre-shared key");
	if (v->remote_id[0] && strcmp(v->remote_id, "%any"))
		vici_kv_str(&w->ev, "id", v->remote_id);
	vici_section_end(&w->ev);
	vici_section_start(&w->ev, "children");
	w->open = true;
}

static void conn_child_cb(void *arg, const struct ike_view_child_cfg *v)
{
	struct conn_walk *w = arg;

	if (!w->want || !w->open)
		return;
	vici_section_start(&w->ev, v->name);
	vici_kv_str(&w->ev, "mode", !strcmp(v->mode, "transport") ? "TRANSPORT" : "TUNNEL");
	vici_kv_fmt(&w->ev, "rekey_time", "%u", v->rekey_time);
	vici_kv_str(&w->ev, "rekey_bytes", "0");
	vici_kv_str(&w->ev, "rekey_packets", "0");
	vici_kv_str(&w->ev, "dpd_action", "clear");
	vici_kv_str(&w->ev, "close_action", v->close_action);
	vici_kv_str(&w->ev, "start_action", v->start_action);
	put_ts_list(&w->ev, "local-ts", v->ts_local, "dynamic");
	put_ts_list(&w->ev, "remote-ts", v->ts_remote, "dynamic");
	vici_section_end(&w->ev);
}

static void cmd_list_conns(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                           struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	struct conn_walk w = { .c = c };
	char ike[64];

	if (get_str(req, "ike", ike, sizeof(ike)))
		w.filter = ike;
	if (ctl_conn_registered(c, "list-conn"))
		ike_view_conns(vs->ike, conn_cb, conn_child_cb, &w);
	conn_flush(&w);
	(void)resp;
}

static void cmd_get_conns(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                          struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	struct conn_walk w = { .c = c, .names = resp };

	vici_list_start(resp, "conns");
	ike_view_conns(vs->ike, conn_cb, NULL, &w);
	vici_list_end(resp);
}

/* ------------------------------------------------------------ list-policies */

struct pol_walk {
	struct ctl_conn *c;
	const char *filter, *conn;
	bool trap;
};

static void pol_conn_cb(void *arg, const struct ike_view_conn *v)
{
	((struct pol_walk *)arg)->conn = v->name;
}

static void pol_child_cb(void *arg, const struct ike_view_child_cfg *v)
{
	struct pol_walk *w = arg;
	struct vici_buf ev;
	char sec[160];

	if (!w->trap || strcmp(v->start_action, "trap") || (w->filter && strcmp(w->filter, v->name)))
		return;
	snprintf(sec, sizeof(sec), "%s/%s", w->conn, v->name);
	vici_buf_init(&ev);
	vici_begin(&ev, VICI_EVENT, "list-policy");
	vici_section_start(&ev, sec);
	vici_kv_str(&ev, "child", v->name);
	vici_kv_str(&ev, "ike", w->conn);
	vici_kv_str(&ev, "mode", !strcmp(v->mode, "transport") ? "TRANSPORT" : "TUNNEL");
	put_ts_list(&ev, "local-ts", v->ts_local, "dynamic");
	put_ts_list(&ev, "remote-ts", v->ts_remote, "dynamic");
	vici_section_end(&ev);
	if (vici_end(&ev) == 0)
		(void)ctl_conn_send(w->c, &ev);
	vici_buf_free(&ev);
}

static void cmd_list_policies(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                              struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	struct pol_walk w = { .c = c, .trap = get_yes(req, "trap") };
	char child[64];

	/* uipsec has no shunt (pass/drop) connections: those list nothing */
	if (get_str(req, "child", child, sizeof(child)))
		w.filter = child;
	if (ctl_conn_registered(c, "list-policy"))
		ike_view_conns(vs->ike, pol_conn_cb, pol_child_cb, &w);
	(void)resp;
}

/* ------------------------------------------------------------ stats, counters */

static void fmt_delta(uint64_t s, char *buf, size_t len)
{
	if (s >= 86400 * 2)
		snprintf(buf, len, "%llu days", (unsigned long long)(s / 86400));
	else if (s >= 3600 * 2)
		snprintf(buf, len, "%llu hours", (unsigned long long)(s / 3600));
	else if (s >= 60 * 2)
		snprintf(buf, len, "%llu minutes", (unsigned long long)(s / 60));
	else
		snprintf(buf, len, "%llu second%s", (unsigned long long)s, s == 1 ? "" : "s");
}

struct count_walk { unsigned total, half_open; };

static void count_cb(void *arg, const struct ike_view_sa *v)
{
	struct count_walk *w = arg;

	w->total++;
	if (!strcmp(ike_state_charon(v->state), "CONNECTING"))
		w->half_open++;
}

static void cmd_stats(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                      struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	struct count_walk cw = { 0 };
	char buf[64];
	time_t since = (time_t)vs->start_wall_s;
	struct tm tm;

	ike_view_sas(vs->ike, count_cb, NULL, &cw);
	vici_section_start(resp, "uptime");
	fmt_delta((now_ms() - vs->start_mono_ms) / 1000, buf, sizeof(buf));
	vici_kv_str(resp, "running", buf);
	localtime_r(&since, &tm);
	strftime(buf, sizeof(buf), "%b %d %H:%M:%S %Y", &tm);
	vici_kv_str(resp, "since", buf);
	vici_section_end(resp);
	/* one control thread answers everything; uipsec has no job queues */
	vici_section_start(resp, "workers");
	vici_kv_str(resp, "total", "1");
	vici_kv_str(resp, "idle", "0");
	vici_section_start(resp, "active");
	vici_kv_str(resp, "critical", "0");
	vici_kv_str(resp, "high", "0");
	vici_kv_str(resp, "medium", "1");
	vici_kv_str(resp, "low", "0");
	vici_section_end(resp);
	vici_section_end(resp);
	vici_section_start(resp, "queues");
	vici_kv_str(resp, "critical", "0");
	vici_kv_str(resp, "high", "0");
	vici_kv_str(resp, "medium", "0");
	vici_kv_str(resp, "low", "0");
	vici_section_end(resp);
	vici_kv_str(resp, "scheduled", "0");
	vici_section_start(resp, "ikesas");
	vici_kv_fmt(resp, "total", "%u", cw.total);
	vici_kv_fmt(resp, "half-open", "%u", cw.half_open);
	vici_section_end(resp);
	/* glibc's heap, as charon's stats reports it (HAVE_MALLINFO): swanctl
	 * --stats prints "mallinfo sbrk ..., mmap ..., used ..., free ..." */
	struct mallinfo2 mi = mallinfo2();
	vici_section_start(resp, "mallinfo");
	vici_kv_fmt(resp, "sbrk", "%zu", mi.arena);
	vici_kv_fmt(resp, "mmap", "%zu", mi.hblkhd);
	vici_kv_fmt(resp, "used", "%zu", mi.uordblks);
	vici_kv_fmt(resp, "free", "%zu", mi.fordblks);
	vici_section_end(resp);
	vici_list_start(resp, "plugins");
	vici_list_item_str(resp, "uipsec-ikev2");
	vici_list_item_str(resp, "uipsec-esp");
	vici_list_item_str(resp, "uipsec-vici");
	vici_list_item_str(resp, "openssl");
	vici_list_end(resp);
}

#define IKE_COUNTERS(X) \
	X(rx) X(tx) X(retransmits) X(resent_responses) X(drop_malformed) X(drop_no_sa) \
	X(drop_icv) X(drop_unprotected) X(drop_msgid) X(drop_unexpected) X(drop_before_auth) \
	X(syntax_errors) X(unsupported_critical) X(cookies_sent) X(cookies_bad) \
	X(invalid_ke_sent) X(no_proposal) X(auth_failed) X(ts_unacceptable) \
	X(half_open_refused) X(ike_established) X(child_established) X(ike_deleted) \
	X(child_deleted) X(frag_tx) X(frag_rx) X(frag_msgs_tx) X(frag_reassembled) \
	X(frag_drop_unkeyed) X(frag_drop_invalid) X(frag_drop_msgid) X(frag_drop_dup) \
	X(frag_drop_overlap) X(frag_drop_limit) X(frag_incomplete) X(mobike_moves) \
	X(mobike_child_moves) X(mobike_refused)

static void put_counter(struct vici_buf *b, const char *name, uint64_t v)
{
	char n[64];
	size_t i;

	/* "drop_no_sa" -> "drop-no-sa", VICI's spelling */
	for (i = 0; name[i] && i + 1 < sizeof(n); i++)
		n[i] = name[i] == '_' ? '-' : name[i];
	n[i] = '\0';
	vici_kv_fmt(b, n, "%llu", (unsigned long long)v);
}

static bool counters_request_ok(struct vici_swanctl *vs, const struct vici_packet *req,
                                struct vici_buf *resp)
{
	char name[64];

	if (get_str(req, "name", name, sizeof(name)) && !get_yes(req, "all")) {
		fail_resp(resp, "uipsec keeps IKE counters for the whole daemon only, not per "
		          "connection ('%s'); ask for the global ones (no --name)", name);
		return false;
	}
	(void)vs;
	return true;
}

static void cmd_get_counters(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                             struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	const struct ike_stats *s = ike_ctx_stats(vs->ike);

	if (!counters_request_ok(vs, req, resp))
		return;
	vici_section_start(resp, "counters");
	vici_section_start(resp, "");
#define X(f) put_counter(resp, #f, s->f - vs->base.f);
	IKE_COUNTERS(X)
#undef X
	vici_section_end(resp);
	vici_section_end(resp);
	vici_kv_str(resp, "success", "yes");
}

static void cmd_reset_counters(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                               struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;

	if (!counters_request_ok(vs, req, resp))
		return;
	vs->base = *ike_ctx_stats(vs->ike);
	log_info("vici: IKE counters reset (get-counters counts from now; uipsec stats keeps "
	         "the totals)");
	vici_kv_str(resp, "success", "yes");
}

/* ------------------------------------------------------------ initiate, terminate */

struct max_walk {
	uint32_t ike, child;
	const char *conn, *child_name;
	uint32_t base_ike, base_child;
	bool done_ike, done_child, any_child_of_conn;
	/* terminate */
	const uint32_t *ids;
	unsigned nids;
	bool ids_are_spis, remaining;
	const char *cur_conn;
	bool cur_match, cur_est;
};

static void max_sa(void *arg, const struct ike_view_sa *v)
{
	struct max_walk *w = arg;

	if (v->unique_id > w->ike)
		w->ike = v->unique_id;
	w->cur_conn = v->conn;
	w->cur_match = w->conn && !strcmp(v->conn, w->conn);
	w->cur_est = !strcmp(v->state, "ESTABLISHED");
	if (w->cur_match && w->cur_est && v->unique_id > w->base_ike)
		w->done_ike = true;
	for (unsigned i = 0; !w->ids_are_spis && i < w->nids; i++)
		if (w->ids[i] == v->unique_id && strcmp(v->state, "DEAD"))
			w->remaining = true;
}

static void max_child(void *arg, const struct ike_view_child *v)
{
	struct max_walk *w = arg;

	if (v->unique_id > w->child)
		w->child = v->unique_id;
	if (v->unique_id > w->base_child && !strcmp(v->state, "INSTALLED") && w->cur_est &&
	    (w->child_name ? !strcmp(v->name, w->child_name) : w->cur_match))
		w->done_child = true;
	for (unsigned i = 0; w->ids_are_spis && i < w->nids; i++)
		if (w->ids[i] == v->spi_in)
			w->remaining = true;
}

struct spi_walk {
	const char *name;
	uint32_t *out;
	unsigned n, max;
	bool ike;
};

static void spi_sa(void *arg, const struct ike_view_sa *v)
{
	struct spi_walk *w = arg;

	if (w->ike && !strcmp(v->conn, w->name) && strcmp(v->state, "DEAD") && w->n < w->max)
		w->out[w->n++] = v->unique_id;
}

static void spi_child(void *arg, const struct ike_view_child *v)
{
	struct spi_walk *w = arg;

	if (!w->ike && !strcmp(v->name, w->name) && !strcmp(v->state, "INSTALLED") && w->n < w->max)
		w->out[w->n++] = v->spi_in;
}

/* The connection a child belongs to (for control-log lines). */
struct owner_walk { const char *child; const char *cur; char conn[64]; const char *of;
                    bool of_has_children; };

static void owner_conn(void *arg, const struct ike_view_conn *v)
{
	((struct owner_walk *)arg)->cur = v->name;
}

static void owner_child(void *arg, const struct ike_view_child_cfg *v)
{
	struct owner_walk *w = arg;

	if (!w->conn[0] && !strcmp(v->name, w->child))
		snprintf(w->conn, sizeof(w->conn), "%s", w->cur);
	if (w->of && !strcmp(w->cur, w->of))
		w->of_has_children = true;
}

static void tap_update(struct vici_swanctl *vs);

static void pending_free(struct vici_swanctl *vs, struct vici_pending *p)
{
	for (struct vici_pending **pp = &vs->pending; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	free(p);
	tap_update(vs);
}

static void pending_answer(struct vici_swanctl *vs, struct vici_pending *p, bool ok,
                           const char *errmsg)
{
	struct vici_buf resp;

	vici_buf_init(&resp);
	vici_begin(&resp, VICI_CMD_RESPONSE, NULL);
	vici_kv_str(&resp, "success", ok ? "yes" : "no");
	if (!ok)
		vici_kv_str(&resp, "errmsg", errmsg);
	if (p->kind == P_TERMINATE || ok)
		vici_kv_str(&resp, "matches", "1");
	(void)ctl_conn_respond(p->c, &resp);
	vici_buf_free(&resp);
	pending_free(vs, p);
}

static void arm(struct vici_swanctl *vs)
{
	if (vs->timer)
		loop_timer_arm(vs->timer, POLL_MS, POLL_MS);
}

static void control_log(struct vici_pending *p, enum log_sub sub, int clevel,
                        const struct log_ctx *lctx, const char *msg)
{
	struct vici_buf ev;
	char g[8];

	if (clevel > p->loglevel || !ctl_conn_registered(p->c, "control-log"))
		return;
	vici_buf_init(&ev);
	vici_begin(&ev, VICI_EVENT, "control-log");
	vici_kv_str(&ev, "group", upper(log_sub_name(sub) ? log_sub_name(sub) : "lib", g, sizeof(g)));
	vici_kv_fmt(&ev, "level", "%d", clevel);
	if (lctx && lctx->name)
		vici_kv_str(&ev, "ikesa-name", lctx->name);
	if (lctx && lctx->id)
		vici_kv_fmt(&ev, "ikesa-uniqueid", "%u", lctx->id);
	vici_kv_str(&ev, "msg", msg);
	if (vici_end(&ev) == 0)
		(void)ctl_conn_send(p->c, &ev);
	vici_buf_free(&ev);
}

static int timeout_of(const struct vici_packet *req)
{
	char v[16];

	/* charon: "timeout" in ms, 0 (absent) waits until done; uipsec caps
	 * that at DEFAULT_TIMEOUT_MS; < 0 answers at once */
	if (!get_str(req, "timeout", v, sizeof(v)))
		return 0;
	return atoi(v);
}

static int loglevel_of(const struct vici_packet *req)
{
	char v[16];

	return get_str(req, "loglevel", v, sizeof(v)) ? atoi(v) : 1;
}

/* A pending initiate or terminate for client c: what it waits for, whose
 * log lines it streams (conn), until when. Not linked yet. NULL (resp
 * filled) if out of memory. */
static struct vici_pending *pending_new(struct vici_swanctl *vs, struct ctl_conn *c,
                                        const struct vici_packet *req, enum pending_kind kind,
                                        const char *ike, const char *child, int *to,
                                        struct vici_buf *resp)
{
	struct vici_pending *p = calloc(1, sizeof(*p));
	struct owner_walk ow = { .child = child[0] ? child : "", .of = child[0] ? NULL : ike };

	if (!p) {
		fail_resp(resp, "out of memory");
		return NULL;
	}
	p->vs = vs;
	p->c = c;
	p->kind = kind;
	snprintf(p->ike, sizeof(p->ike), "%s", ike);
	snprintf(p->child, sizeof(p->child), "%s", child);
	ike_view_conns(vs->ike, owner_conn, owner_child, &ow);
	p->has_children = ow.of_has_children;
	snprintf(p->conn, sizeof(p->conn), "%s", ike[0] ? ike : ow.conn);
	p->loglevel = loglevel_of(req);
	*to = timeout_of(req);
	p->deadline_ms = now_ms() + (*to > 0 ? (uint64_t)*to : DEFAULT_TIMEOUT_MS);
	return p;
}

/* Linked before the command runs: its log lines go to the client. */
static void pending_link(struct vici_swanctl *vs, struct vici_pending *p)
{
	p->next = vs->pending;
	vs->pending = p;
	tap_update(vs);
}

/* The command was started (r 0): answer at once (timeout < 0) or wait. */
static void pending_started(struct vici_swanctl *vs, struct ctl_conn *c, struct vici_pending *p,
                            int to, struct vici_buf *resp)
{
	if (to < 0) {
		pending_free(vs, p);
		vici_kv_str(resp, "success", "yes");
		return;
	}
	ctl_conn_defer(c);
	arm(vs);
}

static void cmd_initiate(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                         struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	char ike[64] = "", child[64] = "";
	struct max_walk mw = { 0 };
	struct vici_pending *p;
	int r, to;

	get_str(req, "ike", ike, sizeof(ike));
	get_str(req, "child", child, sizeof(child));
	if (!ike[0] && !child[0]) {
		fail_resp(resp, "initiate needs a child or an ike name");
		return;
	}
	ike_view_sas(vs->ike, max_sa, max_child, &mw);
	if (!(p = pending_new(vs, c, req, P_INITIATE, ike, child, &to, resp)))
		return;
	p->base_ike = mw.ike;
	p->base_child = mw.child;
	pending_link(vs, p);
	r = ike_initiate(vs->ike, child[0] ? child : ike);
	if (r) {
		pending_free(vs, p);
		fail_resp(resp, "%s '%s': %s", child[0] ? "CHILD_SA config" : "IKE_SA config",
		          child[0] ? child : ike,
		          r == -ENOENT ? "not found" : strerror(-r));
		return;
	}
	pending_started(vs, c, p, to, resp);
}

static void cmd_terminate(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                          struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	char ike[64] = "", child[64] = "", id[16];
	struct vici_pending *p;
	int r, to;

	get_str(req, "ike", ike, sizeof(ike));
	get_str(req, "child", child, sizeof(child));
	if (get_str(req, "ike-id", id, sizeof(id)) || get_str(req, "child-id", id, sizeof(id))) {
		fail_resp(resp, "terminate by unique id is not supported by uipsec yet: name the "
		          "IKE_SA (--ike) or CHILD_SA (--child) config");
		return;
	}
	if (!ike[0] && !child[0]) {
		fail_resp(resp, "terminate needs a child or an ike name");
		return;
	}
	if (!(p = pending_new(vs, c, req, P_TERMINATE, ike, child, &to, resp)))
		return;
	struct spi_walk sw = { .name = child[0] ? child : ike, .out = p->spis, .max = 32,
	                       .ike = !child[0] };
	ike_view_sas(vs->ike, spi_sa, spi_child, &sw);
	p->nspis = sw.n;
	pending_link(vs, p);
	r = child[0] ? ike_terminate_child(vs->ike, child) : ike_terminate_ike(vs->ike, ike);
	if (r) {
		pending_free(vs, p);
		fail_resp(resp, "no %s_SA named '%s' found", child[0] ? "CHILD" : "IKE",
		          child[0] ? child : ike);
		return;
	}
	pending_started(vs, c, p, to, resp);
}

static void cmd_rekey(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                      struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	char ike[64] = "", child[64] = "", id[16];
	int r;

	get_str(req, "ike", ike, sizeof(ike));
	get_str(req, "child", child, sizeof(child));
	if (get_str(req, "ike-id", id, sizeof(id)) || get_str(req, "child-id", id, sizeof(id))) {
		fail_resp(resp, "rekey by unique id is not supported by uipsec yet: name the "
		          "IKE_SA (--ike) or CHILD_SA (--child) config");
		return;
	}
	if (!ike[0] && !child[0]) {
		fail_resp(resp, "rekey needs a child or an ike name");
		return;
	}
	/* as charon: queued, answered at once */
	/* reauth: make-before-break reauthentication of the IKE SA */
	r = child[0] ? ike_rekey_child(vs->ike, child) :
	               ike_rekey_ike(vs->ike, ike, get_yes(req, "reauth"));
	if (r) {
		fail_resp(resp, "no established %s_SA named '%s' found", child[0] ? "CHILD" : "IKE",
		          child[0] ? child : ike);
		return;
	}
	vici_kv_str(resp, "success", "yes");
	vici_kv_str(resp, "matches", "1");
}

static void poll_pending(struct vici_swanctl *vs)
{
	uint64_t now = now_ms();
	struct vici_pending *p, *n;

	for (p = vs->pending; p; p = n) {
		n = p->next;
		if (p->failed[0]) {
			pending_answer(vs, p, false, p->failed);
			continue;
		}
		struct max_walk mw = { .conn = p->conn[0] ? p->conn : NULL,
		                       .child_name = p->child[0] ? p->child : NULL,
		                       .base_ike = p->base_ike, .base_child = p->base_child };
		if (p->kind == P_TERMINATE) {
			mw.ids = p->spis;
			mw.nids = p->nspis;
			mw.ids_are_spis = p->child[0] != '\0';
		}
		ike_view_sas(vs->ike, max_sa, max_child, &mw);
		if (p->kind == P_INITIATE) {
			/* a connection initiated whole is up when one of its
			 * children is (or its IKE SA, if it has none) */
			bool done = p->child[0] ? mw.done_child :
			            (mw.done_child || (mw.done_ike && !p->has_children));
			if (done) {
				pending_answer(vs, p, true, NULL);
				continue;
			}
		} else if (!mw.remaining) {
			pending_answer(vs, p, true, NULL);
			continue;
		}
		if (now >= p->deadline_ms)
			pending_answer(vs, p, false, p->kind == P_INITIATE ?
			               "initiate timed out (the SA may still come up)" :
			               "terminate timed out");
	}
}

static void on_close(void *ctx, struct ctl_conn *c)
{
	struct vici_swanctl *vs = ctx;
	struct vici_pending *p, *n;

	for (p = vs->pending; p; p = n) {
		n = p->next;
		if (p->c == c)
			pending_free(vs, p);   /* swanctl left: charon goes on, so do we */
	}
}

/* ------------------------------------------------------------ updown events */

/* What an SA looked like when last polled: the end callbacks come when the
 * core may not be asked any more, so the down events are built from this. */
struct vici_up_sa {
	uint32_t id;
	uint16_t lport, rport;
	bool initiator, seen;
	bool has_prop;
	struct ike_proposal prop;
	int64_t established_s;
	char lhost[IP_ADDR_STRLEN], rhost[IP_ADDR_STRLEN], lid[128], rid[128];
};

struct vici_up_child {
	uint32_t spi_in, spi_out, id, reqid;
	bool encap, transport, seen;
	struct ike_proposal prop;
	struct ike_ts_list ts_local, ts_remote;
	uint64_t installed_s;
	uint64_t bytes_in, packets_in, bytes_out, packets_out;
	char name[64];
};

static void *grow(void *a, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return a;
	size_t nc = *cap ? *cap * 2 : 16;
	void *na = realloc(a, nc * size);
	if (!na)
		return NULL;
	*cap = nc;
	return na;
}

static struct vici_up_sa *up_sa_find(struct vici_swanctl *vs, uint32_t id)
{
	for (size_t i = 0; i < vs->nup_sa; i++)
		if (vs->up_sa[i].id == id)
			return &vs->up_sa[i];
	return NULL;
}

static struct vici_up_child *up_child_find(struct vici_swanctl *vs, uint32_t spi_in)
{
	for (size_t i = 0; i < vs->nup_child; i++)
		if (vs->up_child[i].spi_in == spi_in)
			return &vs->up_child[i];
	return NULL;
}

struct up_walk {
	struct vici_swanctl *vs;
	bool emit;                  /* false: only note what is up (first listener) */
	uint32_t new_ike[16], new_child[16], child_sa_of[16];
	unsigned nnew_ike, nnew_child;
	bool cur_est;
	uint32_t cur_id;
};

static void up_sa(void *arg, const struct ike_view_sa *v)
{
	struct up_walk *w = arg;
	struct vici_swanctl *vs = w->vs;
	struct vici_up_sa *u;

	w->cur_est = !strcmp(v->state, "ESTABLISHED");
	w->cur_id = v->unique_id;
	if (!w->cur_est)
		return;
	u = up_sa_find(vs, v->unique_id);
	if (!u) {
		struct vici_up_sa *na = grow(vs->up_sa, &vs->capup_sa, vs->nup_sa, sizeof(*na));
		if (!na)
			return;
		vs->up_sa = na;
		u = &vs->up_sa[vs->nup_sa++];
		memset(u, 0, sizeof(*u));
		u->id = v->unique_id;
		if (w->nnew_ike < 16)
			w->new_ike[w->nnew_ike++] = v->unique_id;
	}
	u->seen = true;
	u->has_prop = v->prop != NULL;
	if (v->prop)
		u->prop = *v->prop;
	u->established_s = v->established_s;
	u->lport = v->local_port;
	u->rport = v->remote_port;
	u->initiator = v->initiator;
	ip_addr_fmt(&v->local, u->lhost);
	ip_addr_fmt(&v->remote, u->rhost);
	snprintf(u->lid, sizeof(u->lid), "%s", v->local_id[0] ? v->local_id : u->lhost);
	snprintf(u->rid, sizeof(u->rid), "%s", v->remote_id[0] ? v->remote_id : u->rhost);
}

static void up_child(void *arg, const struct ike_view_child *v)
{
	struct up_walk *w = arg;
	struct vici_swanctl *vs = w->vs;
	struct vici_up_child *u;

	if (!w->cur_est || strcmp(v->state, "INSTALLED"))
		return;
	u = up_child_find(vs, v->spi_in);
	if (!u) {
		struct vici_up_child *na = grow(vs->up_child, &vs->capup_child, vs->nup_child,
		                                sizeof(*na));
		if (!na)
			return;
		vs->up_child = na;
		u = &vs->up_child[vs->nup_child++];
		memset(u, 0, sizeof(*u));
		u->spi_in = v->spi_in;
		if (w->nnew_child < 16) {
			w->child_sa_of[w->nnew_child] = w->cur_id;
			w->new_child[w->nnew_child++] = v->spi_in;
		}
	}
	u->seen = true;
	u->prop = *v->prop;
	u->ts_local = *v->ts_local;
	u->ts_remote = *v->ts_remote;
	u->installed_s = v->installed_s;
	u->spi_out = v->spi_out;
	u->id = v->unique_id;
	u->reqid = v->reqid;
	u->encap = v->encap;
	u->transport = !strcmp(v->mode, "transport");
	u->bytes_in = v->in_bytes;
	u->packets_in = v->in_packets;
	u->bytes_out = v->out_bytes;
	u->packets_out = v->out_packets;
	snprintf(u->name, sizeof(u->name), "%s", v->name);
}

static void poll_updown(struct vici_swanctl *vs, bool emit)
{
	struct up_walk w = { .vs = vs, .emit = emit };

	for (size_t i = 0; i < vs->nup_sa; i++)
		vs->up_sa[i].seen = false;
	for (size_t i = 0; i < vs->nup_child; i++)
		vs->up_child[i].seen = false;
	ike_view_sas(vs->ike, up_sa, up_child, &w);
	/* what is gone has had its down event (from the end callbacks, which
	 * still needed it: a CHILD SA ends after its IKE SA) */
	for (size_t i = 0; i < vs->nup_sa;)
		if (!vs->up_sa[i].seen)
			vs->up_sa[i] = vs->up_sa[--vs->nup_sa];
		else
			i++;
	for (size_t i = 0; i < vs->nup_child;)
		if (!vs->up_child[i].seen)
			vs->up_child[i] = vs->up_child[--vs->nup_child];
		else
			i++;
	if (!emit)
		return;
	for (unsigned i = 0; i < w.nnew_ike; i++) {
		struct sa_walk sw = { .vs = vs, .event = "ike-updown", .up = true,
		                      .only_id = w.new_ike[i] };
		if (ctl_server_listeners(vs->srv, "ike-updown")) {
			ike_view_sas(vs->ike, sa_cb, child_cb, &sw);
			sa_flush(&sw);
		}
	}
	for (unsigned i = 0; i < w.nnew_child; i++) {
		struct sa_walk sw = { .vs = vs, .event = "child-updown", .up = true,
		                      .only_id = w.child_sa_of[i], .only_spi = w.new_child[i] };
		if (ctl_server_listeners(vs->srv, "child-updown")) {
			ike_view_sas(vs->ike, sa_cb, child_cb, &sw);
			sa_flush(&sw);
		}
	}
}

static void on_timer(struct loop *l, struct loop_timer *t, void *arg)
{
	struct vici_swanctl *vs = arg;

	poll_pending(vs);
	if (vs->updown_listeners)
		poll_updown(vs, true);
	if (!vs->pending && !vs->updown_listeners)
		loop_timer_arm(vs->timer, 0, 0);
	(void)l;
	(void)t;
}

static void down_event(struct vici_swanctl *vs, const char *event, const char *conn,
                       bool rekey, void (*body)(struct vici_buf *b, const void *arg),
                       const void *arg)
{
	struct vici_buf ev;

	if (!ctl_server_listeners(vs->srv, event))
		return;
	vici_buf_init(&ev);
	vici_begin(&ev, VICI_EVENT, event);
	vici_section_start(&ev, conn);
	if (rekey)
		vici_section_start(&ev, "old");
	body(&ev, arg);
	if (rekey)
		vici_section_end(&ev);
	vici_section_end(&ev);
	if (vici_end(&ev) == 0)
		ctl_server_emit(vs->srv, event, &ev, NULL, NULL);
	vici_buf_free(&ev);
}

static void sa_head(struct vici_buf *b, const struct vici_up_sa *u, uint32_t id, bool initiator,
                    uint64_t spi_i, uint64_t spi_r)
{
	vici_kv_fmt(b, "uniqueid", "%u", id);
	vici_kv_str(b, "version", "2");
	vici_kv_str(b, "state", "DELETING");
	if (u) {
		vici_kv_str(b, "local-host", u->lhost);
		vici_kv_fmt(b, "local-port", "%u", u->lport);
		vici_kv_str(b, "local-id", u->lid);
		vici_kv_str(b, "remote-host", u->rhost);
		vici_kv_fmt(b, "remote-port", "%u", u->rport);
		vici_kv_str(b, "remote-id", u->rid);
	}
	if (initiator)
		vici_kv_str(b, "initiator", "yes");
	vici_kv_fmt(b, "initiator-spi", "%016llx", (unsigned long long)spi_i);
	vici_kv_fmt(b, "responder-spi", "%016llx", (unsigned long long)spi_r);
	if (u && u->has_prop)
		put_algs(b, &u->prop, true);
	if (u && u->established_s >= 0)
		vici_kv_fmt(b, "established", "%lld", (long long)u->established_s);
}

struct down_arg {
	struct vici_swanctl *vs;
	const struct ike_end_event *ike;
	const struct ike_child_end_event *child;
};

static void ike_down_body(struct vici_buf *b, const void *arg)
{
	const struct down_arg *a = arg;
	const struct ike_end_event *ev = a->ike;

	sa_head(b, up_sa_find(a->vs, ev->unique_id), ev->unique_id, ev->initiator, ev->spi_i,
	        ev->spi_r);
	vici_kv_str(b, "reason", ike_end_reason_name(ev->reason));
	vici_section_start(b, "child-sas");   /* swanctl prints the SA at this section */
	vici_section_end(b);
}

static void child_down_body(struct vici_buf *b, const void *arg)
{
	const struct down_arg *a = arg;
	const struct ike_child_end_event *ev = a->child;
	const struct vici_up_sa *s = up_sa_find(a->vs, ev->ike_unique_id);
	const struct vici_up_child *u = up_child_find(a->vs, ev->spi_in);
	char sec[96];

	sa_head(b, s, ev->ike_unique_id, s && s->initiator, ev->ike_spi_i, ev->ike_spi_r);
	vici_section_start(b, "child-sas");
	snprintf(sec, sizeof(sec), "%s-%u", ev->child, ev->unique_id);
	vici_section_start(b, sec);
	vici_kv_str(b, "name", ev->child);
	vici_kv_fmt(b, "uniqueid", "%u", ev->unique_id);
	vici_kv_fmt(b, "reqid", "%u", ev->reqid);
	vici_kv_str(b, "state", "DELETING");
	if (u) {
		vici_kv_str(b, "mode", u->transport ? "TRANSPORT" : "TUNNEL");
		if (u->encap)
			vici_kv_str(b, "encap", "yes");
	}
	vici_kv_str(b, "protocol", "ESP");
	vici_kv_fmt(b, "spi-in", "%08x", ev->spi_in);
	vici_kv_fmt(b, "spi-out", "%08x", ev->spi_out);
	if (u)
		put_algs(b, &u->prop, false);
	if (u) {
		/* as last polled (at most POLL_MS before the end) */
		vici_kv_fmt(b, "bytes-in", "%llu", (unsigned long long)u->bytes_in);
		vici_kv_fmt(b, "packets-in", "%llu", (unsigned long long)u->packets_in);
		vici_kv_fmt(b, "bytes-out", "%llu", (unsigned long long)u->bytes_out);
		vici_kv_fmt(b, "packets-out", "%llu", (unsigned long long)u->packets_out);
	}
	if (u) {
		vici_kv_fmt(b, "install-time", "%llu", (unsigned long long)u->installed_s);
		put_ts_list(b, "local-ts", &u->ts_local, NULL);
		put_ts_list(b, "remote-ts", &u->ts_remote, NULL);
	}
	vici_kv_str(b, "reason", ike_child_end_reason_name(ev->reason));
	vici_section_end(b);
	vici_section_end(b);
}

void vici_swanctl_ike_ended(struct vici_swanctl *vs, const struct ike_end_event *ev)
{
	if (!vs->srv)
		return;
	bool rekeyed = ev->reason == IKE_END_REKEYED || ev->reason == IKE_END_REKEY_COLLISION;

	for (struct vici_pending *p = vs->pending; p; p = p->next)
		if (p->kind == P_INITIATE && !ev->established && !rekeyed &&
		    !strcmp(p->conn, ev->conn) && !p->failed[0])
			snprintf(p->failed, sizeof(p->failed), "establishing IKE_SA '%s' failed: %s",
			         ev->conn, ike_end_reason_name(ev->reason));
	struct down_arg da = { .vs = vs, .ike = ev };
	/* a rekeyed IKE SA: ike-rekey (its successor was up before it went);
	 * one that was up otherwise: ike-updown down */
	if (ev->reason == IKE_END_REKEYED)
		down_event(vs, "ike-rekey", ev->conn, true, ike_down_body, &da);
	else if (ev->established)
		down_event(vs, "ike-updown", ev->conn, false, ike_down_body, &da);
	arm(vs);
}

void vici_swanctl_child_ended(struct vici_swanctl *vs, const struct ike_child_end_event *ev)
{
	if (!vs->srv)
		return;
	for (struct vici_pending *p = vs->pending; p; p = p->next)
		if (p->kind == P_INITIATE && !ev->installed && !p->failed[0] &&
		    ev->reason != CHILD_END_REKEY_COLLISION &&
		    (p->child[0] ? !strcmp(p->child, ev->child) : !strcmp(p->conn, ev->conn)))
			snprintf(p->failed, sizeof(p->failed), "establishing CHILD_SA '%s' failed: %s",
			         ev->child, ike_child_end_reason_name(ev->reason));
	if (ev->installed) {
		struct down_arg da = { .vs = vs, .child = ev };
		down_event(vs, ev->reason == CHILD_END_REKEYED ? "child-rekey" : "child-updown",
		           ev->conn, ev->reason == CHILD_END_REKEYED, child_down_body, &da);
	}

	arm(vs);
}

static void updown_listeners(void *ctx, const char *event, unsigned n)
{
	struct vici_swanctl *vs = ctx;

	unsigned before = vs->updown_listeners;

	vs->updown_listeners = ctl_server_listeners(vs->srv, "ike-updown") +
	                       ctl_server_listeners(vs->srv, "child-updown");
	if (vs->updown_listeners && !before) {
		/* what is up already is no news to the first listener */
		vs->nup_sa = vs->nup_child = 0;
		poll_updown(vs, false);
		arm(vs);
	}
	(void)event;
	(void)n;
}

/* ------------------------------------------------------------ log */

static __thread bool in_tap;

static void tap(void *ctx, enum log_sub sub, enum log_level level, int clevel,
                const struct log_ctx *lctx, const char *msg);

/* The tap only as verbose as someone listens: the log's level decides
 * what every log_debug call site formats, the data path's included. */
static void tap_update(struct vici_swanctl *vs)
{
	int level = vs->log_listeners ? LOG_LEVEL_DEFAULT : LOG_LEVEL_SILENT;

	for (struct vici_pending *p = vs->pending; p; p = p->next)
		if (p->loglevel > level)
			level = p->loglevel > LOG_LEVEL_MAX ? LOG_LEVEL_MAX : p->loglevel;
	if (vs->srv)
		log_set_tap(level == LOG_LEVEL_SILENT ? NULL : tap, vs, level);
}

static void tap(void *ctx, enum log_sub sub, enum log_level level, int clevel,
                const struct log_ctx *lctx, const char *msg)
{
	struct vici_swanctl *vs = ctx;
	char g[8];

	(void)level;
	/* the loop's lines only (events are built and queued on the loop),
	 * and not the lines this very function causes */
	if (in_tap || (uint64_t)pthread_self() != vs->loop_thread)
		return;
	in_tap = true;
	for (struct vici_pending *p = vs->pending; p; p = p->next)
		if (lctx && lctx->name && !strcmp(lctx->name, p->conn))
			control_log(p, sub, clevel, lctx, msg);
	if (vs->log_listeners && clevel <= LOG_LEVEL_DEFAULT) {
		struct vici_buf ev;
		vici_buf_init(&ev);
		vici_begin(&ev, VICI_EVENT, "log");
		vici_kv_str(&ev, "group",
		            upper(log_sub_name(sub) ? log_sub_name(sub) : "lib", g, sizeof(g)));
		vici_kv_fmt(&ev, "level", "%d", clevel);
		vici_kv_str(&ev, "thread", "0");
		if (lctx && lctx->name)
			vici_kv_str(&ev, "ikesa-name", lctx->name);
		if (lctx && lctx->id)
			vici_kv_fmt(&ev, "ikesa-uniqueid", "%u", lctx->id);
		vici_kv_str(&ev, "msg", msg);
		if (vici_end(&ev) == 0)
			ctl_server_emit(vs->srv, "log", &ev, NULL, NULL);
		vici_buf_free(&ev);
	}
	in_tap = false;
}

static void log_listeners(void *ctx, const char *event, unsigned n)
{
	struct vici_swanctl *vs = ctx;

	vs->log_listeners = n;
	tap_update(vs);
	(void)event;
}

/* ------------------------------------------------------------ credentials */

static void secret_free(struct vici_secret *s)
{
	if (!s)
		return;
	vici_list_free(s->owners);
	if (s->data)
		mem_free_wipe(s->data, s->len);
	free(s);
}

/* The shared secrets loaded over VICI, as the IKE core's keys of that
 * source (ike_psks_set): IKE_AUTH looks them up by identity, beside the
 * file's. 0 or -errno. */
static int psks_push(struct vici_swanctl *vs)
{
	unsigned n = 0, i = 0;
	struct ike_psk_cfg *t;
	struct ike_id **ids;
	int rc = 0;

	for (struct vici_secret *s = vs->secrets; s; s = s->next)
		n++;
	t = calloc(n ? n : 1, sizeof(*t));
	ids = calloc(n ? n : 1, sizeof(*ids));
	if (!t || !ids) {
		rc = -ENOMEM;
		goto out;
	}
	for (struct vici_secret *s = vs->secrets; s; s = s->next, i++) {
		if (s->nowners && !(ids[i] = calloc((size_t)s->nowners, sizeof(**ids)))) {
			rc = -ENOMEM;
			goto out;
		}
		for (int k = 0; k < s->nowners; k++)
			if ((rc = ike_id_parse(s->owners[k], &ids[i][k])))
				goto out;
		t[i] = (struct ike_psk_cfg){ .ids = ids[i], .nids = (unsigned)s->nowners,
		                             .key = s->data, .len = s->len, .type = s->type };
	}
	rc = ike_psks_set(vs->ike, IKE_PSK_VICI, t, n);
out:
	for (unsigned k = 0; ids && k < n; k++)
		free(ids[k]);
	free(ids);
	free(t);
	return rc;
}

static void cmd_load_shared(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                            struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	struct vici_iter it;
	struct vici_elem e;
	struct vici_secret *s;
	char type[16] = "";
	bool have_data = false;
	int r;

	if (!get_str(req, "type", type, sizeof(type))) {
		fail_resp(resp, "load-shared: no type");
		return;
	}
	if (strcasecmp(type, "IKE") && strcasecmp(type, "EAP")) {
		fail_resp(resp, "load-shared: %s secrets are not supported by uipsec (IKE "
		          "pre-shared keys and EAP passwords are)", type);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		fail_resp(resp, "out of memory");
		return;
	}
	s->type = strcasecmp(type, "EAP") ? IKE_SHARED_IKE : IKE_SHARED_EAP;
	/* data: bytes, NUL bytes allowed, so not through vici_get_str */
	vici_iter_init(&it, req->msg, req->msg_len);
	while (vici_iter_next(&it, &e) == 1)
		if (e.depth == 0 && e.type == VICI_KEY_VALUE && !strcmp(e.name, "data")) {
			free(s->data);
			s->data = malloc(e.value_len ? e.value_len : 1);
			if (!s->data)
				break;
			memcpy(s->data, e.value, e.value_len);
			s->len = e.value_len;
			have_data = true;
		}
	if (!have_data || !s->len) {
		secret_free(s);
		fail_resp(resp, "load-shared: no data (the secret)");
		return;
	}
	if (s->len > IKE_PSK_MAX) {
		secret_free(s);
		fail_resp(resp, "load-shared: shared secrets longer than %d bytes are not supported",
		          IKE_PSK_MAX);
		return;
	}
	r = vici_get_list(req->msg, req->msg_len, "owners", &s->owners, 32);
	if (r == -E2BIG || r == -EMSGSIZE || r == -ENOMEM) {
		secret_free(s);
		fail_resp(resp, "load-shared: bad owners list (at most 32 identities)");
		return;
	}
	s->nowners = r > 0 ? r : 0;
	for (int i = 0; i < s->nowners; i++) {
		struct conf_id id;
		const char *why = NULL;
		if (conf_id_parse(s->owners[i], &id, &why) < 0) {
			fail_resp(resp, "load-shared: owner '%.100s': %s", s->owners[i],
			          why ? why : "not an identity");
			secret_free(s);
			return;
		}
	}
	if (!get_str(req, "id", s->id, sizeof(s->id)))
		snprintf(s->id, sizeof(s->id), "%s", s->nowners ? s->owners[0] : "%any");
	/* replace one of the same id */
	for (struct vici_secret **pp = &vs->secrets; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->id, s->id)) {
			struct vici_secret *old = *pp;
			*pp = old->next;
			secret_free(old);
			break;
		}
	s->next = vs->secrets;
	vs->secrets = s;
	if (psks_push(vs)) {
		vs->secrets = s->next;
		secret_free(s);
		psks_push(vs);
		fail_resp(resp, "load-shared: an owner is not an identity uipsec can use");
		return;
	}
	log_info("vici: loaded %s shared secret '%s' for %d identit%s",
	         s->type == IKE_SHARED_EAP ? "EAP" : "IKE", s->id, s->nowners,
	         s->nowners == 1 ? "y" : "ies");
	vici_kv_str(resp, "success", "yes");
}

static void cmd_unload_shared(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                              struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	char id[128];

	if (!get_str(req, "id", id, sizeof(id))) {
		fail_resp(resp, "unload-shared: no id");
		return;
	}
	for (struct vici_secret **pp = &vs->secrets; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->id, id)) {
			struct vici_secret *old = *pp;
			*pp = old->next;
			secret_free(old);
			psks_push(vs);   /* fewer keys: only memory can fail, and then none change */
			log_info("vici: unloaded shared secret '%s'", id);
			vici_kv_str(resp, "success", "yes");
			return;
		}
	fail_resp(resp, "unload-shared: no shared secret '%s'", id);
}

static void cmd_get_shared(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                           struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;

	vici_list_start(resp, "keys");
	for (struct vici_secret *s = vs->secrets; s; s = s->next)
		vici_list_item_str(resp, s->id);
	vici_list_end(resp);
}

static void cmd_clear_creds(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                            struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;

	while (vs->secrets) {
		struct vici_secret *s = vs->secrets;
		vs->secrets = s->next;
		secret_free(s);
	}
	ike_psks_set(vs->ike, IKE_PSK_VICI, NULL, 0);
	/* and the certificates and keys load-cert / load-key brought */
	if (vs->creds && vs->creds->store) {
		struct creds *n = creds_without_vici(vs->creds->store);
		if (!n) {
			fail_resp(resp, "clear-creds: out of memory (certificates and keys kept)");
			return;
		}
		ctl_creds_set(vs->creds, n);
	}
	vici_kv_str(resp, "success", "yes");
}

/* ------------------------------------------------------------ load-conn */

/* swanctl.conf text, so that load-conn goes through the file's parser and
 * builder (src/conf/): the one place that decides what a connection may
 * hold. */
struct text {
	char *buf;
	size_t len;
	FILE *f;
	char err[256];
};

static bool name_ok(const char *n)
{
	if (!n[0])
		return false;
	for (const char *p = n; *p; p++)
		if (strchr(".,:{}=\"# \t\r\n\\", *p) || (unsigned char)*p < 0x20)
			return false;
	return true;
}

static bool put_quoted(struct text *t, const uint8_t *v, size_t n)
{
	fputc('"', t->f);
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = v[i];
		if (ch == 0) {
			snprintf(t->err, sizeof(t->err), "a value holds a NUL byte");
			return false;
		}
		if (ch == '"' || ch == '\\')
			fputc('\\', t->f);
		if (ch == '\n')
			fputs("\\n", t->f);
		else if (ch == '\r')
			fputs("\\r", t->f);
		else if (ch == '\t')
			fputs("\\t", t->f);
		else
			fputc(ch, t->f);
	}
	fputc('"', t->f);
	return true;
}

/* The message's elements as swanctl.conf sections and keys. A list is a
 * comma-separated value, as swanctl.conf writes it. */
static bool write_tree(struct text *t, const uint8_t *msg, size_t len)
{
	struct vici_iter it;
	struct vici_elem e;
	bool first_item = true;
	int r;

	vici_iter_init(&it, msg, len);
	while ((r = vici_iter_next(&it, &e)) == 1) {
		switch (e.type) {
		case VICI_SECTION_START:
			if (!name_ok(e.name)) {
				snprintf(t->err, sizeof(t->err), "invalid section name '%.64s'", e.name);
				return false;
			}
			fprintf(t->f, "%s {\n", e.name);
			break;
		case VICI_SECTION_END:
			fputs("}\n", t->f);
			break;
		case VICI_KEY_VALUE:
			if (!name_ok(e.name)) {
				snprintf(t->err, sizeof(t->err), "invalid option name '%.64s'", e.name);
				return false;
			}
			fprintf(t->f, "%s = ", e.name);
			if (!put_quoted(t, e.value, e.value_len))
				return false;
			fputc('\n', t->f);
			break;
		case VICI_LIST_START:
			if (!name_ok(e.name)) {
				snprintf(t->err, sizeof(t->err), "invalid option name '%.64s'", e.name);
				return false;
			}
			fprintf(t->f, "%s = \"", e.name);
			first_item = true;
			break;
		case VICI_LIST_ITEM:
			if (!first_item)
				fputc(',', t->f);
			first_item = false;
			for (size_t i = 0; i < e.value_len; i++) {
				uint8_t ch = e.value[i];
				if (ch == 0 || ch == ',' || ch == '\n') {
					snprintf(t->err, sizeof(t->err), "list item holds a %s",
					         ch == ',' ? "comma" : "control character");
					return false;
				}
				if (ch == '"' || ch == '\\')
					fputc('\\', t->f);
				fputc(ch, t->f);
			}
			break;
		case VICI_LIST_END:
			fputs("\"\n", t->f);
			break;
		}
	}
	if (r < 0) {
		snprintf(t->err, sizeof(t->err), "malformed message");
		return false;
	}
	return true;
}

static void write_secrets(struct vici_swanctl *vs, FILE *f)
{
	unsigned n = 0;

	fputs("secrets {\n", f);
	for (struct vici_secret *s = vs->secrets; s; s = s->next) {
		fprintf(f, "ike-vici%u {\n", n++);
		for (int i = 0; i < s->nowners; i++) {
			struct text t = { .f = f };
			fprintf(f, "id-%d = ", i);
			put_quoted(&t, (const uint8_t *)s->owners[i], strlen(s->owners[i]));
			fputc('\n', f);
		}
		fputs("secret = 0x", f);
		for (size_t i = 0; i < s->len; i++)
			fprintf(f, "%02x", s->data[i]);
		fputs("\n}\n", f);
	}
	fputs("}\n", f);
}

static void cmd_load_conn(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                          struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	struct text t = { 0 };
	struct conf *cf = NULL;
	char err[1024], name[256] = "";
	struct vici_iter it;
	struct vici_elem e;
	unsigned nconns = 0;
	int r;

	/* exactly one connection: one top-level section, nothing else */
	vici_iter_init(&it, req->msg, req->msg_len);
	while (vici_iter_next(&it, &e) == 1)
		if (e.depth == 0 && e.type != VICI_SECTION_END) {
			if (e.type != VICI_SECTION_START) {
				fail_resp(resp, "load-conn: '%.64s' outside the connection's section", e.name);
				return;
			}
			nconns++;
			snprintf(name, sizeof(name), "%s", e.name);
		}
	if (nconns != 1) {
		fail_resp(resp, "load-conn: expected one connection section, got %u", nconns);
		return;
	}
	/* One buffer sized for the worst case, written unbuffered: the text
	 * holds the secrets, so no copy of it may be left behind by a
	 * growing buffer or stdio's own (every byte of a value escapes to at
	 * most 2, every element to at most 4 times its size) */
	size_t cap = 4 * req->msg_len + 1024;
	for (struct vici_secret *sc = vs->secrets; sc; sc = sc->next) {
		cap += 64 + 2 * sc->len;
		for (int i = 0; i < sc->nowners; i++)
			cap += 32 + 2 * strlen(sc->owners[i]);
	}
	t.buf = malloc(cap);
	t.f = t.buf ? fmemopen(t.buf, cap, "w") : NULL;
	if (!t.f) {
		free(t.buf);
		fail_resp(resp, "out of memory");
		return;
	}
	setvbuf(t.f, NULL, _IONBF, 0);
	fputs("connections {\n", t.f);
	bool ok = write_tree(&t, req->msg, req->msg_len);
	fputs("}\n", t.f);
	if (ok)
		write_secrets(vs, t.f);
	long end = ftell(t.f);
	if (ferror(t.f) || end < 0 || (size_t)end >= cap)
		ok = false;
	t.len = end > 0 ? (size_t)end : 0;
	fclose(t.f);
	if (!ok) {
		fail_resp(resp, "load-conn '%s': %s", name, t.err[0] ? t.err : "request too large");
		mem_free_wipe(t.buf, cap);
		return;
	}
	char src[320];
	snprintf(src, sizeof(src), "vici load-conn '%s'", name);
	r = conf_parse_buffer(t.buf, t.len, src, CONF_NO_INCLUDE, &cf, err, sizeof(err));
	mem_free_wipe(t.buf, cap);   /* holds the secrets */
	if (r == 0)
		r = ike_ctl_add(vs->ike, cf, err, sizeof(err));
	conf_free(cf);
	if (r < 0) {
		/* the option table reports every refusal, one line each: joined
		 * into one line for errmsg, which swanctl prints as one */
		for (char *nl = strchr(err, '\n'); nl; nl = strchr(nl + 1, '\n'))
			*nl = ' ';
		log_err("vici: load-conn '%s' refused: %s", name, err);
		fail_resp(resp, "%s", err);
		return;
	}
	log_info("vici: loaded connection '%s'", name);
	vici_kv_str(resp, "success", "yes");
}

static void cmd_unload_conn(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                            struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	char name[64];

	if (!get_str(req, "name", name, sizeof(name))) {
		fail_resp(resp, "unload-conn: no name");
		return;
	}
	if (ike_conn_del(vs->ike, name) < 0) {
		fail_resp(resp, "unload: connection '%s' not found", name);
		return;
	}
	log_info("vici: unloaded connection '%s'", name);
	vici_kv_str(resp, "success", "yes");
}

/* ------------------------------------------------------------ the rest */

static void cmd_reload_settings(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                                struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	char err[512] = "";

	if (!vs->reload_settings) {
		fail_resp(resp, "reload-settings: this daemon has no settings file to reload");
		return;
	}
	if (vs->reload_settings(vs->reload_ctx, err, sizeof(err)) < 0) {
		fail_resp(resp, "reloading settings failed: %s", err[0] ? err : "see the log");
		return;
	}
	vici_kv_str(resp, "success", "yes");
}

/* Commands that have nothing to list in uipsec: an empty, true answer. */
static void cmd_empty_list(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                           struct vici_buf *resp)
{
	const char *list = ctx;

	if (list) {
		vici_list_start(resp, list);
		vici_list_end(resp);
	}
}

/* ------------------------------------------------------------ certificates, keys */

/* The top-level key name's raw value (a blob: PEM or DER). */
static bool get_blob(const struct vici_packet *req, const char *name, const uint8_t **v, size_t *n)
{
	struct vici_iter it;
	struct vici_elem e;

	vici_iter_init(&it, req->msg, req->msg_len);
	while (vici_iter_next(&it, &e) == 1)
		if (e.depth == 0 && e.type == VICI_KEY_VALUE && !strcmp(e.name, name)) {
			*v = e.value;
			*n = e.value_len;
			return true;
		}
	return false;
}

/* The store VICI loads into: the one swanctl.conf's folders feed (a new
 * one if none was loaded yet). */
static struct creds *vici_store(struct vici_swanctl *vs)
{
	if (!vs->creds)
		return NULL;
	if (!vs->creds->store) {
		struct creds *n = creds_new();
		if (n)
			ctl_creds_set(vs->creds, n);
	}
	return vs->creds->store;
}

/* The report's last line (why refused) into errmsg. */
static void fail_report(struct vici_buf *resp, const char *cmd, const struct creds_report *rep)
{
	for (size_t i = rep->n; i-- > 0;)
		if (rep->ev[i].outcome == CREDS_REFUSED) {
			fail_resp(resp, "%s: %s", cmd, rep->ev[i].what);
			return;
		}
	fail_resp(resp, "%s failed", cmd);
}

/* The "data" of a load-cert or load-key request into the store as kind;
 * answers success, or the error naming cmd. True on success. */
static bool load_data(struct vici_buf *resp, const struct vici_packet *req, struct creds *st,
                      const char *cmd, enum creds_kind kind)
{
	struct creds_report rep = { 0 };
	const uint8_t *data;
	size_t len;
	bool ok;

	if (!st) {
		fail_resp(resp, "%s: no credential store", cmd);
		return false;
	}
	if (!get_blob(req, "data", &data, &len) || !len) {
		fail_resp(resp, "%s: no data", cmd);
		return false;
	}
	ok = !creds_load_vici(st, kind, data, len, &rep);
	if (!ok)
		fail_report(resp, cmd, &rep);
	creds_report_log(&rep);
	creds_report_free(&rep);
	if (ok)
		vici_kv_str(resp, "success", "yes");
	return ok;
}

/* load-cert: type X509 with flag NONE / CA (AA and OCSP refused with the
 * reason), or X509_CRL; data PEM or DER. */
static void cmd_load_cert(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                          struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	struct creds *st = vici_store(vs);
	char type[32] = "", flag[16] = "NONE";
	enum creds_kind kind;

	(void)c;
	get_str(req, "type", type, sizeof(type));
	get_str(req, "flag", flag, sizeof(flag));
	if (!strcasecmp(type, "X509_CRL")) {
		kind = CREDS_X509CRL;
	} else if (!strcasecmp(type, "X509")) {
		if (!strcasecmp(flag, "NONE"))
			kind = CREDS_X509;
		else if (!strcasecmp(flag, "CA"))
			kind = CREDS_X509CA;
		else if (!strcasecmp(flag, "AA"))
			kind = CREDS_X509AA;
		else if (!strcasecmp(flag, "OCSP"))
			kind = CREDS_X509OCSP;
		else {
			fail_resp(resp, "load-cert: unknown flag '%s'", flag);
			return;
		}
	} else {
		fail_resp(resp, "load-cert: certificate type '%s' is not supported by uipsec (X509, "
		          "X509_CRL)", type);
		return;
	}
	load_data(resp, req, st, "load-cert", kind);
}

/* load-key: type rsa / ecdsa / any (private key, unencrypted); answers
 * the key's id (SHA-1 of its public key, hex) as charon does. */
static void cmd_load_key(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                         struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	struct creds *st = vici_store(vs);
	char type[16] = "any", id[2 * CRYPTO_SHA1_LEN + 1];
	size_t before;
	enum creds_kind kind;

	(void)c;
	get_str(req, "type", type, sizeof(type));
	if (!strcasecmp(type, "rsa"))
		kind = CREDS_RSA;
	else if (!strcasecmp(type, "ecdsa"))
		kind = CREDS_ECDSA;
	else if (!strcasecmp(type, "any") || !strcasecmp(type, "private") || !strcasecmp(type, "pkcs8"))
		kind = CREDS_PRIVATE;
	else {
		fail_resp(resp, "load-key: key type '%s' is not supported by uipsec (rsa, ecdsa, any)", type);
		return;
	}
	before = st ? creds_privkey_count(st) : 0;
	if (!load_data(resp, req, st, "load-key", kind))
		return;
	/* the new key is the last; a key already loaded is not added again */
	if (creds_privkey_count(st) > before) {
		const struct crypto_privkey *k = creds_privkey_at(st, creds_privkey_count(st) - 1, NULL);
		const uint8_t *kid = k ? crypto_pubkey_keyid(crypto_privkey_pubkey(k)) : NULL;
		if (kid) {
			mem_to_hex(kid, CRYPTO_SHA1_LEN, id);
			vici_kv_str(resp, "id", id);
		}
	}
}

/* unload-key: the key loaded over VICI with that id. */
static void cmd_unload_key(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                           struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	uint8_t kid[CRYPTO_SHA1_LEN];
	char id[128] = "";

	(void)c;
	if (!get_str(req, "id", id, sizeof(id)) || mem_from_hex(id, kid, sizeof(kid)) != (int)sizeof(kid)) {
		fail_resp(resp, "unload-key: id missing or not a hex key id");
		return;
	}
	if (!vs->creds || !vs->creds->store || creds_unload_key(vs->creds->store, kid)) {
		fail_resp(resp, "unload-key: no key with id %s was loaded over VICI", id);
		return;
	}
	vici_kv_str(resp, "success", "yes");
}

/* get-keys: the ids of the private keys loaded over VICI (what
 * swanctl --load-creds unloads again when its files are gone). */
static void cmd_get_keys(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                         struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	struct creds *st = vs->creds ? vs->creds->store : NULL;
	char id[2 * CRYPTO_SHA1_LEN + 1];

	(void)c;
	(void)req;
	vici_list_start(resp, "keys");
	for (size_t i = 0; st && i < creds_privkey_count(st); i++) {
		const char *path;
		const struct crypto_privkey *k = creds_privkey_at(st, i, &path);
		const uint8_t *kid = k ? crypto_pubkey_keyid(crypto_privkey_pubkey(k)) : NULL;
		if (!kid || strncmp(path, CREDS_VICI_PREFIX, strlen(CREDS_VICI_PREFIX)))
			continue;
		mem_to_hex(kid, CRYPTO_SHA1_LEN, id);
		vici_list_item_str(resp, id);
	}
	vici_list_end(resp);
}

/* list-certs: one list-cert event per X.509 certificate of the store
 * (type X509, flag NONE or CA, has_privkey, data DER: swanctl renders it
 * itself), filtered by type and flag as charon does. */
static void cmd_list_certs(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                           struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	struct creds *st = vs->creds ? vs->creds->store : NULL;
	char type[32] = "", flag[16] = "";

	(void)resp;
	get_str(req, "type", type, sizeof(type));
	get_str(req, "flag", flag, sizeof(flag));
	if (!st || !ctl_conn_registered(c, "list-cert") ||
	    (type[0] && strcasecmp(type, "ANY") && strcasecmp(type, "X509")))
		return;
	for (size_t i = 0; i < creds_cert_count(st); i++) {
		const struct crypto_cert *ct = creds_cert_at(st, i, NULL, NULL);
		bool ca = crypto_cert_flags(ct) & CRYPTO_CERT_CA;
		size_t dl;
		const uint8_t *der = crypto_cert_der(ct, &dl);
		struct vici_buf ev;

		if (!der || dl > 65535 || (flag[0] && strcasecmp(flag, "ANY") &&
		                           strcasecmp(flag, ca ? "CA" : "NONE")))
			continue;
		vici_buf_init(&ev);
		vici_begin(&ev, VICI_EVENT, "list-cert");
		vici_kv_str(&ev, "type", "X509");
		vici_kv_str(&ev, "flag", ca ? "CA" : "NONE");
		if (creds_find_privkey(st, crypto_cert_pubkey(ct)))
			vici_kv_str(&ev, "has_privkey", "yes");
		vici_kv(&ev, "data", der, dl);
		if (vici_end(&ev) == 0)
			(void)ctl_conn_send(c, &ev);
		vici_buf_free(&ev);
	}
}

/* ------------------------------------------------------------ pools */

/* load-pool: each top-level section is a pool, as swanctl.conf's pools
 * section holds it (through the file's parser, as load-conn); it replaces
 * the VICI pool of its name or is added. The VICI pools are the IKE
 * core's IKE_POOL_VICI source: a pool of swanctl.conf keeps its name. */
static void cmd_load_pool(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                          struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	struct text t = { 0 };
	struct conf *cf = NULL;
	struct ike_pool_cfg *pc = NULL, *next;
	char err[1024], name[256] = "";
	struct vici_iter it;
	struct vici_elem e;
	unsigned nsec = 0, nn;
	int r, n;

	vici_iter_init(&it, req->msg, req->msg_len);
	while (vici_iter_next(&it, &e) == 1)
		if (e.depth == 0 && e.type != VICI_SECTION_END) {
			if (e.type != VICI_SECTION_START) {
				fail_resp(resp, "load-pool: '%.64s' outside a pool's section", e.name);
				return;
			}
			if (!nsec++)
				snprintf(name, sizeof(name), "%s", e.name);
		}
	if (!nsec) {
		fail_resp(resp, "load-pool: no pool section");
		return;
	}
	t.f = open_memstream(&t.buf, &t.len);
	if (!t.f) {
		fail_resp(resp, "out of memory");
		return;
	}
	fputs("pools {\n", t.f);
	bool ok = write_tree(&t, req->msg, req->msg_len);
	fputs("}\n", t.f);
	if (fclose(t.f) || !ok) {
		fail_resp(resp, "load-pool '%s': %s", name, t.err[0] ? t.err : "out of memory");
		free(t.buf);
		return;
	}
	char src[320];
	snprintf(src, sizeof(src), "vici load-pool '%s'", name);
	r = conf_parse_buffer(t.buf, t.len, src, CONF_NO_INCLUDE, &cf, err, sizeof(err));
	free(t.buf);
	n = r == 0 ? ike_ctl_pool_cfgs(cf, &pc, err, sizeof(err)) : r;
	conf_free(cf);
	if (n == -ENOMEM && r == 0)
		snprintf(err, sizeof(err), "out of memory");
	if (n < 0)
		goto refused;
	/* the VICI pools with these replaced or added */
	next = calloc((size_t)vs->npools + (size_t)n + 1, sizeof(*next));
	if (!next) {
		snprintf(err, sizeof(err), "out of memory");
		goto refused;
	}
	if (vs->npools)
		memcpy(next, vs->pools, sizeof(*next) * vs->npools);
	nn = vs->npools;
	for (int i = 0; i < n; i++) {
		unsigned k;
		for (k = 0; k < nn && strcmp(next[k].name, pc[i].name); k++)
			;
		next[k] = pc[i];
		if (k == nn)
			nn++;
	}
	r = ike_pools_set(vs->ike, IKE_POOL_VICI, next, nn, err, sizeof(err));
	if (r < 0) {
		free(next);
		goto refused;
	}
	free(vs->pools);
	vs->pools = next;
	vs->npools = nn;
	for (int i = 0; i < n; i++)
		log_info("vici: loaded pool '%s'", pc[i].name);
	free(pc);
	vici_kv_str(resp, "success", "yes");
	return;
refused:
	free(pc);
	for (char *nl = strchr(err, '\n'); nl; nl = strchr(nl + 1, '\n'))
		*nl = ' ';
	log_err("vici: load-pool '%s' refused: %s", name, err);
	fail_resp(resp, "%s", err);
}

struct pool_find {
	const char *name;
	bool found;
	struct ike_view_pool v;
};

static void pool_find_cb(void *arg, const struct ike_view_pool *v)
{
	struct pool_find *f = arg;

	if (!strcmp(v->name, f->name)) {
		f->found = true;
		f->v = *v;
	}
}

static void cmd_unload_pool(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                            struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	char name[64], err[512];
	struct pool_find f = { .name = name };
	unsigned k;

	if (!get_str(req, "name", name, sizeof(name))) {
		fail_resp(resp, "unload-pool: no name");
		return;
	}
	ike_view_pools(vs->ike, pool_find_cb, NULL, &f);
	for (k = 0; k < vs->npools && strcmp(vs->pools[k].name, name); k++)
		;
	if (k == vs->npools) {
		if (f.found)
			fail_resp(resp, "unload-pool: pool '%s' comes from uipsecd's swanctl.conf "
			          "(uipsec load), not from load-pool", name);
		else
			fail_resp(resp, "unload-pool: no pool '%s'", name);
		return;
	}
	if (f.found && f.v.online) {
		/* charon: "unloading pool '%s' failed, %d leases online" */
		fail_resp(resp, "unloading pool '%s' failed, %u leases online", name, f.v.online);
		return;
	}
	struct ike_pool_cfg gone = vs->pools[k];
	vs->pools[k] = vs->pools[--vs->npools];
	if (ike_pools_set(vs->ike, IKE_POOL_VICI, vs->pools, vs->npools, err, sizeof(err)) < 0) {
		vs->pools[vs->npools++] = gone;
		fail_resp(resp, "unload-pool '%s': %s", name, err);
		return;
	}
	log_info("vici: unloaded pool '%s'", name);
	vici_kv_str(resp, "success", "yes");
}

struct pools_walk {
	struct vici_buf *resp;
	const char *name;     /* only this one ("": all) */
	bool leases, open, in_name;
	unsigned nleases;
};

static void pools_close(struct pools_walk *w)
{
	if (w->open) {
		if (w->leases)
			vici_section_end(w->resp);   /* leases */
		vici_section_end(w->resp);
	}
	w->open = false;
}

static void pools_cb(void *arg, const struct ike_view_pool *v)
{
	struct pools_walk *w = arg;
	char a[IP_ADDR_STRLEN];

	pools_close(w);
	w->in_name = !w->name[0] || !strcmp(w->name, v->name);
	if (!w->in_name)
		return;
	vici_section_start(w->resp, v->name);
	vici_kv_str(w->resp, "base", ip_addr_fmt(&v->base, a));
	vici_kv_fmt(w->resp, "size", "%u", v->size);
	vici_kv_fmt(w->resp, "online", "%u", v->online);
	vici_kv_fmt(w->resp, "offline", "%u", v->offline);
	if (w->leases)
		vici_section_start(w->resp, "leases");
	w->open = true;
	w->nleases = 0;
}

static void lease_cb(void *arg, const struct ip_addr *addr, bool online, const char *id)
{
	struct pools_walk *w = arg;
	char a[IP_ADDR_STRLEN], n[16];

	if (!w->in_name || !w->leases)
		return;
	snprintf(n, sizeof(n), "%u", w->nleases++);
	vici_section_start(w->resp, n);
	vici_kv_str(w->resp, "address", ip_addr_fmt(addr, a));
	vici_kv_str(w->resp, "identity", id);
	vici_kv_str(w->resp, "status", online ? "online" : "offline");
	vici_section_end(w->resp);
}

/* get-pools [leases = yes] [name = X]: a section per pool, as charon's:
 * base, size, online, offline (and leases { N { address identity status
 * } }); both sources' pools. */
static void cmd_get_pools(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                          struct vici_buf *resp)
{
	struct vici_swanctl *vs = ctx;
	char name[64] = "";
	struct pools_walk w = { .resp = resp, .name = name, .leases = get_yes(req, "leases") };

	get_str(req, "name", name, sizeof(name));
	ike_view_pools(vs->ike, pools_cb, lease_cb, &w);
	pools_close(&w);
}

static const struct {
	const char *cmd, *why;
} refused[] = {
	{ "redirect", "IKE redirection (RFC 5685) is not supported by uipsec" },
	{ "install", "installing trap policies by command is not supported by uipsec yet "
	             "(use start_action = trap)" },
	{ "uninstall", "uninstalling trap policies by command is not supported by uipsec yet" },
	{ "load-token", "smartcard tokens are not supported by uipsec" },
	{ "flush-certs", "flushing the certificate cache is not supported by uipsec yet" },
	{ "load-authority", "the authorities section (CRL and OCSP URIs per CA) is not supported by uipsec yet" },
	{ "unload-authority", "the authorities section is not supported by uipsec yet" },
	{ "get-algorithms", "get-algorithms is not supported by uipsec yet" },
};

static void cmd_refused(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                        struct vici_buf *resp)
{
	fail_resp(resp, "%s", (const char *)ctx);
}

int vici_swanctl_register(struct vici_swanctl *vs)
{
	struct ctl_server *s = vs->srv;
	int r = 0;

	vs->start_mono_ms = now_ms();
	vs->start_wall_s = (uint64_t)time(NULL);
	vs->loop_thread = (uint64_t)pthread_self();
	if (vs->loop) {
		vs->timer = loop_timer_new(vs->loop, on_timer, vs);
		if (!vs->timer)
			return -errno ? -errno : -ENOMEM;
	}
	r |= ctl_server_add_cmd(s, "stats", cmd_stats, vs);
	r |= ctl_server_add_cmd(s, "get-counters", cmd_get_counters, vs);
	r |= ctl_server_add_cmd(s, "reset-counters", cmd_reset_counters, vs);
	r |= ctl_server_add_cmd(s, "list-sas", cmd_list_sas, vs);
	r |= ctl_server_add_cmd(s, "list-conns", cmd_list_conns, vs);
	r |= ctl_server_add_cmd(s, "get-conns", cmd_get_conns, vs);
	r |= ctl_server_add_cmd(s, "list-policies", cmd_list_policies, vs);
	r |= ctl_server_add_cmd(s, "initiate", cmd_initiate, vs);
	r |= ctl_server_add_cmd(s, "terminate", cmd_terminate, vs);
	r |= ctl_server_add_cmd(s, "rekey", cmd_rekey, vs);
	r |= ctl_server_add_cmd(s, "reload-settings", cmd_reload_settings, vs);
	r |= ctl_server_add_cmd(s, "load-conn", cmd_load_conn, vs);
	r |= ctl_server_add_cmd(s, "unload-conn", cmd_unload_conn, vs);
	r |= ctl_server_add_cmd(s, "load-shared", cmd_load_shared, vs);
	r |= ctl_server_add_cmd(s, "unload-shared", cmd_unload_shared, vs);
	r |= ctl_server_add_cmd(s, "get-shared", cmd_get_shared, vs);
	r |= ctl_server_add_cmd(s, "clear-creds", cmd_clear_creds, vs);
	r |= ctl_server_add_cmd(s, "get-pools", cmd_get_pools, vs);
	r |= ctl_server_add_cmd(s, "load-pool", cmd_load_pool, vs);
	r |= ctl_server_add_cmd(s, "unload-pool", cmd_unload_pool, vs);
	r |= ctl_server_add_cmd(s, "get-authorities", cmd_empty_list, "authorities");
	r |= ctl_server_add_cmd(s, "get-keys", cmd_get_keys, vs);
	r |= ctl_server_add_cmd(s, "load-key", cmd_load_key, vs);
	r |= ctl_server_add_cmd(s, "unload-key", cmd_unload_key, vs);
	r |= ctl_server_add_cmd(s, "load-cert", cmd_load_cert, vs);
	r |= ctl_server_add_cmd(s, "list-certs", cmd_list_certs, vs);
	r |= ctl_server_add_cmd(s, "list-authorities", cmd_empty_list, NULL);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		r |= ctl_server_add_cmd(s, refused[i].cmd, cmd_refused, (void *)refused[i].why);
	r |= ctl_server_add_event(s, "log", log_listeners, vs);
	r |= ctl_server_add_event(s, "control-log", NULL, vs);
	r |= ctl_server_add_event(s, "ike-updown", updown_listeners, vs);
	r |= ctl_server_add_event(s, "child-updown", updown_listeners, vs);
	r |= ctl_server_add_event(s, "ike-rekey", NULL, vs);
	r |= ctl_server_add_event(s, "child-rekey", NULL, vs);
	r |= ctl_server_add_event(s, "list-sa", NULL, vs);
	r |= ctl_server_add_event(s, "list-conn", NULL, vs);
	r |= ctl_server_add_event(s, "list-policy", NULL, vs);
	r |= ctl_server_add_event(s, "list-cert", NULL, vs);
	r |= ctl_server_add_event(s, "list-authority", NULL, vs);
	if (r)
		return -ENOSPC;
	ctl_server_set_close_hook(s, on_close, vs);
	return 0;
}

void vici_swanctl_free(struct vici_swanctl *vs)
{
	vs->srv = NULL;   /* no tap from here on */
	log_set_tap(NULL, NULL, LOG_LEVEL_SILENT);
	while (vs->pending)
		pending_free(vs, vs->pending);
	free(vs->pools);
	vs->pools = NULL;
	vs->npools = 0;
	while (vs->secrets) {
		struct vici_secret *s = vs->secrets;
		vs->secrets = s->next;
		secret_free(s);
	}
	if (vs->timer)
		loop_timer_free(vs->timer);
	vs->timer = NULL;
	free(vs->up_sa);
	free(vs->up_child);
	vs->up_sa = NULL;
	vs->up_child = NULL;
	vs->nup_sa = vs->nup_child = 0;
	vs->srv = NULL;
}
