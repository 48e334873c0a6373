/* uipsecd's control commands and events. See cmds.h. Runs on the daemon's
 * loop: the same thread that owns the SAD, SPD and data path, so commands
 * change them without locks. */
#include "ctl/cmds.h"
#include "ctl/ctl.h"
#include "ctl/xfrm_cmd.h"
#include "ctl/xfrm_grammar.h"
#include "dp/dp.h"
#include "dp/flow.h"
#include "util/mem.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#define CMD_MAX_ARGS 256
#define OUT_CHUNK 60000     /* below a VICI value's 65535 bytes */
#define OUT_INLINE (6 * OUT_CHUNK)   /* text per packet, well below 512 KiB */

/* Add text as the list "output", in chunks a VICI value can hold. */
static void put_output_list(struct vici_buf *b, const char *text, size_t len)
{
	size_t off;

	vici_list_start(b, "output");
	for (off = 0; off < len; off += OUT_CHUNK)
		vici_list_item(b, text + off, len - off > OUT_CHUNK ? OUT_CHUNK : len - off);
	vici_list_end(b);
}

/* The answer's text. Up to OUT_INLINE bytes go into the response itself;
 * more (a VICI packet holds at most 512 KiB) go ahead of it as
 * "uipsec-output" events to this connection, if it registered for them
 * (ctl_client_call does), up to CTL_TX_MAX in all. Returns 0 or -EMSGSIZE
 * (nothing added: the caller reports the error). */
static int put_output(struct ctl_conn *c, struct vici_buf *resp, const char *text, size_t len)
{
	struct vici_buf ev;
	size_t off, n;
	int r = 0;

	if (len <= OUT_INLINE) {
		put_output_list(resp, text, len);
		return 0;
	}
	if (!c || !ctl_conn_registered(c, "uipsec-output") || len > CTL_TX_MAX - VICI_MAX_PACKET)
		return -EMSGSIZE;
	vici_buf_init(&ev);
	for (off = 0; off < len && r == 0; off += n) {
		n = len - off > OUT_INLINE ? OUT_INLINE : len - off;
		vici_begin(&ev, VICI_EVENT, "uipsec-output");
		put_output_list(&ev, text + off, n);
		r = vici_end(&ev);
		if (r == 0)
			r = ctl_conn_send(c, &ev);
	}
	vici_buf_free(&ev);
	return r ? -EMSGSIZE : 0;
}

/* Last line of an error stream, without "Error: " doubling and newline. */
static void put_errmsg(struct vici_buf *b, const char *text, size_t len)
{
	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	vici_kv(b, "errmsg", text, len);
}

static void cmd_xfrm(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                     struct vici_buf *resp)
{
	struct ctl_cmds *cc = ctx;
	char **argv = NULL, *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	FILE *out = NULL, *err = NULL;
	int argc, r;

	cc->commands++;
	argc = vici_get_list(req->msg, req->msg_len, "argv", &argv, CMD_MAX_ARGS);
	if (argc < 0) {
		vici_kv_str(resp, "success", "no");
		vici_kv_str(resp, "errmsg", argc == -E2BIG ? "Error: too many words" :
		            "Error: request has no argv list");
		cc->errors++;
		return;
	}
	out = mem_stream_open(&obuf, &olen);
	err = open_memstream(&ebuf, &elen);
	if (!out || !err) {
		vici_kv_str(resp, "success", "no");
		vici_kv_str(resp, "errmsg", "Error: out of memory");
		cc->errors++;
		goto done;
	}
	r = xfrm_cmd_run(cc->sad, cc->spd, argc, argv, out, err);
	fclose(out);
	fclose(err);
	out = err = NULL;
	if (olen && put_output(c, resp, obuf, olen) < 0) {
		vici_kv_str(resp, "success", "no");
		vici_kv_fmt(resp, "errmsg", "Error: the output (%zu bytes) is too large for the "
		            "control socket; narrow the command (list with selectors)", olen);
		cc->errors++;
		goto done;
	}
	vici_kv_str(resp, "success", r == 0 ? "yes" : "no");
	if (r != 0) {
		cc->errors++;
		if (elen)
			put_errmsg(resp, ebuf, elen);
		else
			vici_kv_fmt(resp, "errmsg", "Error: %s", strerror(-r));
	}
done:
	if (out)
		fclose(out);
	if (err)
		fclose(err);
	if (obuf)
		mem_free_wipe(obuf, olen);
	free(ebuf);
	vici_list_free(argv);
}

struct stats_walk {
	FILE *f;
};

static int stats_state(struct sad_sa *sa, void *arg)
{
	struct stats_walk *w = arg;
	char s[IP_ADDR_STRLEN], d[IP_ADDR_STRLEN];
	const struct sad_sa_stats *st = &sa->stats;

	fprintf(w->f, "src %s dst %s spi 0x%08x reqid %u\n", ip_addr_fmt(&sa->saddr, s),
	        ip_addr_fmt(&sa->daddr, d), sa->spi, sa->reqid);
	fprintf(w->f, "\tin %llu packets %llu bytes, out %llu packets %llu bytes, oseq %llu\n",
	        (unsigned long long)st->in_packets, (unsigned long long)st->in_bytes,
	        (unsigned long long)st->out_packets, (unsigned long long)st->out_bytes,
	        (unsigned long long)sa->oseq);
	fprintf(w->f, "\terrors: replay %llu replay-window %llu integrity %llu bad-padding %llu "
	        "malformed %llu expired %llu seq-overflow %llu\n",
	        (unsigned long long)st->replay, (unsigned long long)st->replay_window,
	        (unsigned long long)st->integrity_failed, (unsigned long long)st->bad_padding,
	        (unsigned long long)st->malformed, (unsigned long long)st->expired,
	        (unsigned long long)st->seq_overflow);
	return 0;
}

static void cmd_stats(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                      struct vici_buf *resp)
{
	struct ctl_cmds *cc = ctx;
	struct xfrm_stats sum = { { 0 } };
	struct dp_counters sumc;
	const struct xfrm_stats *st = &sum;
	struct stats_walk w;
	char *buf = NULL;
	size_t len = 0;
	int i;

	cc->commands++;
	if (cc->dp)
		dp_sum(cc->dp, &sum, &sumc);
	w.f = open_memstream(&buf, &len);
	if (!w.f) {
		vici_kv_str(resp, "success", "no");
		vici_kv_str(resp, "errmsg", "Error: out of memory");
		return;
	}
	/* /proc/net/xfrm_stat: "%-24s\t%lu\n" per counter, kernel order */
	for (i = 0; i < XFRM_MIB_MAX; i++)
		fprintf(w.f, "%-24s\t%llu\n", xfrm_mib_name(i), (unsigned long long)st->mib[i]);
	if (cc->dp) {
		const struct dp_counters *n = &sumc;
		fprintf(w.f, "\n# data path\n");
		fprintf(w.f, "%-24s\t%llu\n", "InPackets", (unsigned long long)n->in_packets);
		fprintf(w.f, "%-24s\t%llu\n", "InBytes", (unsigned long long)n->in_bytes);
		fprintf(w.f, "%-24s\t%llu\n", "OutPackets", (unsigned long long)n->out_packets);
		fprintf(w.f, "%-24s\t%llu\n", "OutBytes", (unsigned long long)n->out_bytes);
		fprintf(w.f, "%-24s\t%llu\n", "IkePackets", (unsigned long long)n->ike_packets);
		fprintf(w.f, "%-24s\t%llu\n", "IkeDropped", (unsigned long long)n->ike_dropped);
		fprintf(w.f, "%-24s\t%llu\n", "IkeTooBig", (unsigned long long)n->ike_too_big);
		fprintf(w.f, "%-24s\t%llu\n", "NatKeepalives", (unsigned long long)n->keepalives);
		fprintf(w.f, "%-24s\t%llu\n", "TunIgnored", (unsigned long long)n->tun_ignored);
		fprintf(w.f, "%-24s\t%llu\n", "Bypassed", (unsigned long long)n->bypassed);
		fprintf(w.f, "%-24s\t%llu\n", "TunWriteErrors", (unsigned long long)n->tun_write_errors);
		fprintf(w.f, "%-24s\t%llu\n", "SendErrors", (unsigned long long)n->send_errors);
		fprintf(w.f, "%-24s\t%llu\n", "Acquires", (unsigned long long)n->acquires);
		fprintf(w.f, "%-24s\t%llu\n", "AcquiresSuppressed",
		        (unsigned long long)n->acquires_suppressed);
		fprintf(w.f, "%-24s\t%llu\n", "HoldQueued", (unsigned long long)n->hold_queued);
		fprintf(w.f, "%-24s\t%llu\n", "HoldSent", (unsigned long long)n->hold_sent);
		fprintf(w.f, "%-24s\t%llu\n", "HoldDropped", (unsigned long long)n->hold_dropped);
		fprintf(w.f, "%-24s\t%llu\n", "NoStateEvents", (unsigned long long)n->nostate_events);
		fprintf(w.f, "\n# batching and offloads\n");
#define IOC(name, field) \
		fprintf(w.f, "%-24s\t%llu\n", name, (unsigned long long)n->field)
		IOC("TunReads", tun_reads);
		IOC("TunGsoReads", tun_gso_reads);
		IOC("GsoSegments", gso_segments);
		IOC("GsoErrors", gso_errors);
		IOC("CsumCompleted", csum_completed);
		IOC("TunWrites", tun_writes);
		IOC("GroWrites", gro_writes);
		IOC("GroPackets", gro_packets);
		IOC("SockRxCalls", sock_rx_calls);
		IOC("SockRxPackets", sock_rx_packets);
		IOC("SockTxCalls", sock_tx_calls);
		IOC("SockTxPackets", sock_tx_packets);
		IOC("SockTxErrors", sock_tx_errors);
		IOC("UdpGsoSends", udp_gso_sends);
		IOC("UdpGsoPackets", udp_gso_packets);
		IOC("UdpGsoFallbacks", udp_gso_fallbacks);
		IOC("UdpGroTrains", udp_gro_trains);
		IOC("UdpGroPackets", udp_gro_packets);
		IOC("UdpBigPackets", udp_big_packets);
		IOC("UdpBigLost", udp_big_lost);
		IOC("PoolEmpty", pool_empty);
		IOC("RelayDropped", relay_dropped);
#undef IOC
		if (dp_chain_len(cc->dp) > 1) {
			/* uipsecd --workers N: the control loop's dp (IKE on
			 * port 500) heads the chain, the workers follow */
			const struct dp *d;
			unsigned k = 0;

			fprintf(w.f, "\n# workers: ESP packets in, out; TUN reads, writes\n");
			for (d = cc->dp->next; d; d = d->next, k++)
				fprintf(w.f, "Worker%-18u\t%llu %llu %llu %llu\n", k,
				        (unsigned long long)d->cnt.in_packets,
				        (unsigned long long)d->cnt.out_packets,
				        (unsigned long long)d->cnt.tun_reads,
				        (unsigned long long)d->cnt.tun_writes);
		}
	}
	if (sad_count(cc->sad)) {
		fprintf(w.f, "\n# states\n");
		sad_walk(cc->sad, stats_state, &w);
	}
	fclose(w.f);
	if (put_output(c, resp, buf, len) < 0) {
		vici_kv_str(resp, "success", "no");
		vici_kv_fmt(resp, "errmsg", "Error: the statistics (%zu bytes) are too large for "
		            "the control socket", len);
		free(buf);
		return;
	}
	vici_kv_str(resp, "success", "yes");
	vici_section_start(resp, "xfrm_stat");
	for (i = 0; i < XFRM_MIB_MAX; i++)
		vici_kv_fmt(resp, xfrm_mib_name(i), "%llu", (unsigned long long)st->mib[i]);
	vici_section_end(resp);
	free(buf);
}

static void filter_free(void *p)
{
	free(p);
}

static void cmd_trace(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                      struct vici_buf *resp)
{
	struct ctl_cmds *cc = ctx;
	struct trace_filter *f;
	char **argv = NULL, err[160];
	int argc;

	cc->commands++;
	if (!cc->dp) {
		vici_kv_str(resp, "success", "no");
		vici_kv_str(resp, "errmsg", "Error: this daemon has no data path to trace");
		return;
	}
	argc = vici_get_list(req->msg, req->msg_len, "argv", &argv, 32);
	if (argc == -ENOENT)
		argc = 0;
	if (argc < 0) {
		vici_kv_str(resp, "success", "no");
		vici_kv_str(resp, "errmsg", "Error: bad trace filter");
		return;
	}
	f = calloc(1, sizeof(*f));
	if (!f || trace_filter_parse(argc, argv, f, err, sizeof(err)) < 0) {
		vici_kv_str(resp, "success", "no");
		vici_kv_fmt(resp, "errmsg", "Error: %s", f ? err : "out of memory");
		free(f);
		cc->errors++;
	} else {
		ctl_conn_set_data(c, f, filter_free);
		vici_kv_str(resp, "success", "yes");
	}
	vici_list_free(argv);
}

static void cmd_version(void *ctx, struct ctl_conn *c, const struct vici_packet *req,
                        struct vici_buf *resp)
{
	struct utsname u;

	uname(&u);
	vici_kv_str(resp, "daemon", "uipsecd");
	vici_kv_str(resp, "version", "0.1");
	vici_kv_str(resp, "sysname", u.sysname);
	vici_kv_str(resp, "release", u.release);
	vici_kv_str(resp, "machine", u.machine);
}

/* ------------------------------------------------------------- trace */

static bool trace_match(struct ctl_conn *c, void *arg)
{
	const struct trace_filter *f = ctl_conn_get_data(c);

	return !f || trace_filter_match(f, arg);
}

static void trace_emit(void *ctx, const struct trace_pkt *tp)
{
	struct ctl_cmds *cc = ctx;
	struct vici_buf b;
	char vb[80];
	unsigned i;

	vici_buf_init(&b);
	vici_begin(&b, VICI_EVENT, "uipsec-trace");
	vici_kv_fmt(&b, "id", "%llu", (unsigned long long)tp->id);
	vici_kv_str(&b, "dir", tp->out ? "out" : "in");
	vici_list_start(&b, "lines");
	for (i = 0; i < tp->nlines; i++) {
		char l[TRACE_LINE_MAX + 32];
		snprintf(l, sizeof(l), "#%llu %-3s %s", (unsigned long long)tp->id,
		         tp->out ? "out" : "in", tp->line[i]);
		vici_list_item_str(&b, l);
	}
	vici_list_end(&b);
	vici_kv_str(&b, "verdict", trace_fmt_verdict(tp->verdict, vb, sizeof(vb)));
	if (vici_end(&b) == 0)
		ctl_server_emit(cc->srv, "uipsec-trace", &b, trace_match, (void *)tp);
	vici_buf_free(&b);
}

static void trace_listeners(void *ctx, const char *event, unsigned n)
{
	struct ctl_cmds *cc = ctx;
	struct dp_tracer t = { .ctx = cc, .emit = trace_emit };

	if (cc->dp)
		dp_set_tracer(cc->dp, n ? &t : NULL);
}

/* ------------------------------------------------------------- monitor */

static void monitor_send(struct ctl_cmds *cc, char *text, size_t len)
{
	struct vici_buf b;

	vici_buf_init(&b);
	vici_begin(&b, VICI_EVENT, "uipsec-monitor");
	vici_kv(&b, "output", text, len > OUT_CHUNK ? OUT_CHUNK : len);
	if (vici_end(&b) == 0)
		ctl_server_emit(cc->srv, "uipsec-monitor", &b, NULL, NULL);
	vici_buf_free(&b);
}

/* The text of one monitor event goes into a stream from monitor_open (NULL
 * when nobody listens, or out of memory); monitor_close sends it. States
 * print keys: the stream wipes what it leaves behind, and so does close. */
static FILE *monitor_open(struct ctl_cmds *cc, char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	if (!cc->srv || !ctl_server_listeners(cc->srv, "uipsec-monitor"))
		return NULL;
	return mem_stream_open(buf, len);
}

static void monitor_close(struct ctl_cmds *cc, FILE *f, char **buf, size_t *len)
{
	fclose(f);
	monitor_send(cc, *buf, *len);
	mem_free_wipe(*buf, *len);
}

static void print_state(FILE *f, const void *sa) { xfrm_print_state(f, sa, false); }
static void print_policy(FILE *f, const void *pol) { xfrm_print_policy(f, pol, false); }

/* ip xfrm monitor's text for one event: "Flushed ..." for a flush, else the
 * object as ip xfrm prints it, prefixed "Deleted "/"Updated " (prefix may
 * be NULL). */
static void monitor_event(struct ctl_cmds *cc, bool flush, const char *flushed,
                          const char *prefix, void (*print)(FILE *, const void *),
                          const void *obj)
{
	char *buf;
	size_t len;
	FILE *f = monitor_open(cc, &buf, &len);

	if (!f)
		return;
	if (flush) {
		fprintf(f, "%s\n", flushed);
	} else if (obj) {
		if (prefix)
			fputs(prefix, f);
		print(f, obj);
	}
	monitor_close(cc, f, &buf, &len);
}

void ctl_cmds_state_event(struct ctl_cmds *cc, enum xfrm_event_kind kind, const struct sad_sa *sa)
{
	monitor_event(cc, kind == XFRM_EV_STATE_FLUSH, "Flushed state proto esp",
	              kind == XFRM_EV_STATE_DEL ? "Deleted " :
	              kind == XFRM_EV_STATE_UPDATE ? "Updated " : NULL, print_state, sa);
}

void ctl_cmds_policy_event(struct ctl_cmds *cc, enum xfrm_event_kind kind,
                           const struct spd_policy *pol)
{
	monitor_event(cc, kind == XFRM_EV_POLICY_FLUSH, "Flushed policy",
	              kind == XFRM_EV_POLICY_DEL ? "Deleted " :
	              kind == XFRM_EV_POLICY_UPDATE ? "Updated " : NULL, print_policy, pol);
}

void ctl_cmds_acquire_event(struct ctl_cmds *cc, const struct spd_policy *pol,
                            const struct xfrm_tmpl *t, const struct xfrm_flow *fl)
{
	char *buf, s[IP_ADDR_STRLEN], d[IP_ADDR_STRLEN], fb[128];
	size_t len;
	FILE *f = monitor_open(cc, &buf, &len);

	if (!f)
		return;
	fprintf(f, "acquire proto esp\n\tsrc %s dst %s reqid %u mode %s\n\tflow %s\n",
	        ip_addr_fmt(&t->saddr, s), ip_addr_fmt(&t->daddr, d), t->reqid,
	        t->mode == XFRM_MODE_TUNNEL ? "tunnel" : "transport", dp_flow_fmt(fl, fb, sizeof(fb)));
	xfrm_print_policy(f, pol, false);
	monitor_close(cc, f, &buf, &len);
}

void ctl_cmds_expire_event(struct ctl_cmds *cc, const struct sad_sa *sa, bool hard)
{
	char *buf;
	size_t len;
	FILE *f = monitor_open(cc, &buf, &len);

	if (!f)
		return;
	fprintf(f, "Expired ");
	xfrm_print_state(f, sa, false);
	fprintf(f, "\thard %d\n", hard ? 1 : 0);
	monitor_close(cc, f, &buf, &len);
}

int ctl_cmds_register(struct ctl_cmds *cc)
{
	int r = 0;

	r |= ctl_server_add_cmd(cc->srv, "uipsec-xfrm", cmd_xfrm, cc);
	r |= ctl_server_add_cmd(cc->srv, "uipsec-stats", cmd_stats, cc);
	r |= ctl_server_add_cmd(cc->srv, "uipsec-trace", cmd_trace, cc);
	r |= ctl_server_add_cmd(cc->srv, "version", cmd_version, cc);
	r |= ctl_server_add_event(cc->srv, "uipsec-monitor", NULL, cc);
	r |= ctl_server_add_event(cc->srv, "uipsec-trace", trace_listeners, cc);
	r |= ctl_server_add_event(cc->srv, "uipsec-output", NULL, cc);
	return r ? -ENOSPC : 0;
}
