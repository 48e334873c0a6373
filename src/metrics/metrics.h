/* uipsecd --metrics ADDR:PORT: an OpenMetrics / Prometheus text endpoint
 * on a loopback address. A small HTTP/1.0 server on the daemon's loop:
 * GET /metrics (or /) answers the counters and closes; anything else gets
 * 404 or 400. Bounded: at most METRICS_MAX_CONNS connections, requests up
 * to METRICS_MAX_REQ bytes, a connection idle for METRICS_TIMEOUT_S
 * seconds is closed. Only loopback addresses (127.0.0.0/8, ::1) are
 * accepted: the counters name addresses and SPIs, not for the network.
 *
 * Metrics (all from the daemon's own tables, no locks: same loop):
 *   uipsec_sas, uipsec_policies                          gauges
 *   uipsec_xfrm_stat_total{name="XfrmInNoStates"}        every xfrm_stat counter
 *   uipsec_datapath_packets_total{dir="in|out"}, ..._bytes_total, ...
 *   uipsec_sa_packets_total{spi,src,dst,reqid,dir}, uipsec_sa_bytes_total{...}
 *   uipsec_sa_errors_total{spi,src,dst,reqid,kind="replay|integrity|..."}
 *   uipsec_ike_sas, uipsec_child_sas                     gauges
 *   uipsec_ike_events_total{kind="ike-established|auth-failed|retransmits|..."}
 *   uipsec_ike_sa_info{conn,spi_i,state,proposal} 1      one per IKE SA
 *   uipsec_child_sa_packets_total{conn,child,spi_in,spi_out,dir}, ..._bytes_total
 * The IKE event counters are the core's totals: the IKE core does not keep
 * exchanges, rekeys and failures per connection yet.
 *
 * Threading: the daemon's loop. */
#ifndef UIPSEC_METRICS_METRICS_H
#define UIPSEC_METRICS_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define METRICS_MAX_CONNS 8
#define METRICS_MAX_REQ 4096
#define METRICS_TIMEOUT_S 5

struct loop;
struct sad;
struct spd;
struct dp;
struct ike_ctx;
struct metrics_server;

struct metrics_src {
	struct sad *sad;
	struct spd *spd;
	struct dp *dp;       /* may be NULL */
	struct ike_ctx *ike; /* may be NULL: no IKE counters */
};

/* Write the metrics in the Prometheus text format (openmetrics: the
 * OpenMetrics variant, ending in "# EOF"). */
void metrics_render(const struct metrics_src *src, FILE *out, bool openmetrics);

/* Listen on addr ("127.0.0.1:9101", "[::1]:9101"). src is borrowed. NULL
 * on failure with a one-line reason in err (not loopback, bad syntax,
 * address in use). */
struct metrics_server *metrics_server_new(struct loop *loop, const char *addr,
                                          const struct metrics_src *src,
                                          char *err, size_t errlen);
void metrics_server_free(struct metrics_server *m);

#endif
