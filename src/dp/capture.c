/* Capture taps of the data path. See capture.h. Runs on the data-path
 * thread; the buffers belong to struct dp and are allocated when the first
 * capturer attaches. */
#include "dp/capture.h"
#include "dp/dp.h"
#include "net/ip.h"
#include "pkt/pkt.h"
#include "util/bytes.h"
#include "util/mem.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const point_names[DP_CAP_MAX] = {
	[DP_CAP_ESP_IN] = "esp-in",
	[DP_CAP_INNER_IN] = "inner-in",
	[DP_CAP_INNER_OUT] = "inner-out",
	[DP_CAP_ESP_OUT] = "esp-out",
	[DP_CAP_DROP] = "drop",
};

const char *dp_cap_point_name(enum dp_cap_point pt)
{
	return (unsigned)pt < DP_CAP_MAX ? point_names[pt] : NULL;
}

int dp_cap_point_parse(const char *s, enum dp_cap_point *out)
{
	for (unsigned i = 0; i < DP_CAP_MAX; i++)
		if (strcmp(s, point_names[i]) == 0) {
			*out = (enum dp_cap_point)i;
			return 0;
		}
	return -EINVAL;
}

static int set_capturer_one(struct dp *dp, const struct dp_capturer *c)
{
	if (!c || !c->points || !c->emit) {
		dp->capture_points = 0;
		memset(&dp->capturer, 0, sizeof(dp->capturer));
		return 0;
	}
	if (!dp->cap_buf)
		dp->cap_buf = malloc(DP_CAP_MAX_LEN);
	if (!dp->cap_snap)
		dp->cap_snap = malloc(DP_CAP_MAX_LEN);
	if (!dp->cap_buf || !dp->cap_snap)
		return -ENOMEM;
	dp->capturer = *c;
	dp->capture_points = c->points & DP_CAP_ALL;
	return 0;
}

int dp_set_capturer(struct dp *dp, const struct dp_capturer *c)
{
	bool on = c && c->points && c->emit;
	int r = set_capturer_one(dp, c);
	struct dp *d;

	for (d = dp->next; d && r == 0; d = d->next) {
		struct dp_capturer relay = d->relay_capturer;

		relay.points = on ? c->points : 0;
		r = set_capturer_one(d, on && relay.emit ? &relay : c);
	}
	return r;
}

void dp_capture_fini(struct dp *dp)
{
	/* the buffers held packets that crossed the tunnel: wipe them */
	if (dp->cap_buf)
		mem_free_wipe(dp->cap_buf, DP_CAP_MAX_LEN);
	if (dp->cap_snap)
		mem_free_wipe(dp->cap_snap, DP_CAP_MAX_LEN);
	dp->cap_buf = dp->cap_snap = NULL;
	dp->capture_points = 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint32_t dp_cap_build(const struct pkt *p, bool esp, uint8_t *out)
{
	const struct pkt_meta *m = &p->meta;
	uint32_t hl, ul = m->udp_encap ? UDP_HDR_LEN : 0, total;
	uint8_t proto = m->udp_encap ? IP_PROTO_UDP : IP_PROTO_ESP;

	if (!esp) {
		if (p->len > DP_CAP_MAX_LEN)
			return 0;
		memcpy(out, pkt_data(p), p->len);
		return p->len;
	}
	if (m->family == AF_INET)
		hl = IP4_HDR_LEN;
	else if (m->family == AF_INET6)
		hl = IP6_HDR_LEN;
	else
		return 0;
	total = hl + ul + p->len;
	if (p->len > 65535u - 8u || total > DP_CAP_MAX_LEN)
		return 0;
	memcpy(out + hl + ul, pkt_data(p), p->len);
	if (ul) {
		struct udp_hdr u;
		uint16_t c;

		put_be16(u.sport, m->sport);
		put_be16(u.dport, m->dport);
		put_be16(u.len, (uint16_t)(ul + p->len));
		memset(u.csum, 0, 2);
		memcpy(out + hl, &u, sizeof(u));
		c = ip_csum_pseudo(m->saddr, m->daddr, m->family == AF_INET ? 4 : 16,
		                   IP_PROTO_UDP, out + hl, ul + p->len);
		put_be16(out + hl + 6, c);
	}
	if (!ip_hdr_put(out, m->family, m->saddr, m->daddr, proto, ul + p->len))
		return 0;
	return total;
}

static void emit(struct dp *dp, enum dp_cap_point pt, bool out, const uint8_t *data,
                 uint32_t len, enum drop_reason r)
{
	struct dp_cap_pkt cp = {
		.point = pt, .out = out, .data = data, .len = len, .reason = r, .ts_ns = now_ns(),
	};

	if (len)
		dp->capturer.emit(dp->capturer.ctx, &cp);
}

void dp_cap_in_begin(struct dp *dp, const struct pkt *p)
{
	unsigned want = dp->capture_points;

	dp->cap_snap_len = 0;
	if (want & DP_CAP_BIT(DP_CAP_DROP))
		dp->cap_snap_len = dp_cap_build(p, true, dp->cap_snap);
	if (want & DP_CAP_BIT(DP_CAP_ESP_IN)) {
		if (dp->cap_snap_len)
			emit(dp, DP_CAP_ESP_IN, false, dp->cap_snap, dp->cap_snap_len, DROP_NONE);
		else
			emit(dp, DP_CAP_ESP_IN, false, dp->cap_buf, dp_cap_build(p, true, dp->cap_buf),
			     DROP_NONE);
	}
}

void dp_cap_in_drop(struct dp *dp, const struct pkt *p, enum drop_reason r)
{
	if (!(dp->capture_points & DP_CAP_BIT(DP_CAP_DROP)))
		return;
	/* After a successful decryption only the policy check drops; then p
	 * holds the inner packet, which is what the reason is about. */
	if (r == DROP_IN_NO_POLICY || r == DROP_IN_POL_BLOCK || r == DROP_IN_TMPL_MISMATCH)
		emit(dp, DP_CAP_DROP, false, dp->cap_buf, dp_cap_build(p, false, dp->cap_buf), r);
	else
		emit(dp, DP_CAP_DROP, false, dp->cap_snap, dp->cap_snap_len, r);
}

void dp_cap_out_begin(struct dp *dp, const struct pkt *p)
{
	unsigned want = dp->capture_points;

	dp->cap_snap_len = 0;
	if (want & DP_CAP_BIT(DP_CAP_DROP))
		dp->cap_snap_len = dp_cap_build(p, false, dp->cap_snap);
	if (want & DP_CAP_BIT(DP_CAP_INNER_OUT))
		emit(dp, DP_CAP_INNER_OUT, true, pkt_data(p), p->len > DP_CAP_MAX_LEN ? 0 : p->len,
		     DROP_NONE);
}

void dp_cap_out_drop(struct dp *dp, enum drop_reason r)
{
	if (dp->capture_points & DP_CAP_BIT(DP_CAP_DROP))
		emit(dp, DP_CAP_DROP, true, dp->cap_snap, dp->cap_snap_len, r);
}

void dp_cap_tap(struct dp *dp, enum dp_cap_point pt, const struct pkt *p)
{
	if (!(dp->capture_points & DP_CAP_BIT(pt)))
		return;
	if (pt == DP_CAP_ESP_IN || pt == DP_CAP_ESP_OUT)
		emit(dp, pt, pt == DP_CAP_ESP_OUT, dp->cap_buf, dp_cap_build(p, true, dp->cap_buf),
		     DROP_NONE);
	else
		emit(dp, pt, pt == DP_CAP_INNER_OUT, pkt_data(p),
		     p->len > DP_CAP_MAX_LEN ? 0 : p->len, DROP_NONE);
}
