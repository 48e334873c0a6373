/* uipsecd: the gateway daemon. One epoll loop runs the control socket,
 * IKE, the 1-second lifetime tick and the signals, and, by default, the
 * data path (TUN and public sockets) too. With --workers N the data path
 * runs on N threads of its own (dp/gw.h, docs/workers.md).
 *
 * Start-up order: parse options, read the configuration, open the TUN
 * device and sockets (root), open the control socket, drop privileges
 * and load the seccomp filter (sandbox.h), start the workers, serve. Shutdown (SIGTERM/SIGINT): stop serving, flush the SPD (routes
 * go with the policies) and the SAD (keys wiped), remove any remaining
 * routes and the TUN device, remove the control socket. */
#include "ctl/cmds.h"
#include "ctl/ctl.h"
#include "ctl/ctl_creds.h"
#include "metrics/metrics.h"
#include "ctl/vis.h"
#include "conf/conf_daemon.h"
#include "ctl/ike_ctl.h"
#include "ctl/updown.h"
#include "ctl/vici_swanctl.h"
#include "dp/gw.h"
#include "ike/ike.h"
#include "io/addr_watch.h"
#include "io/inherit.h"
#include "io/loop.h"
#include "io/route.h"
#include "conf_perm.h"
#include "sandbox.h"
#include "logopt.h"
#include "notify.h"
#include "resolve.h"
#include "util/clock.h"
#include "conf/conf.h"
#include "conf/conf_options.h"
#include "util/log.h"
#include "xfrm/backend_sad.h"
#include "xfrm/events.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"

#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <linux/rtnetlink.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef UIPSEC_SYSCONFDIR
#define UIPSEC_SYSCONFDIR "/etc"
#endif
#ifndef UIPSEC_VERSION
#define UIPSEC_VERSION "0"
#endif
#define DEFAULT_CONF UIPSEC_SYSCONFDIR "/uipsec/swanctl.conf"

struct opts {
	const char *conf;
	const char *control;
	const char *tun;
	const char *user;
	enum sandbox_seccomp seccomp;
	bool seccomp_given;
	const char *selftest;     /* --sandbox-selftest WHAT (hidden, for tests) */
	uint32_t mtu;
	bool foreground;
	bool debug;
	bool routes;
	uint32_t table, prio, mark;   /* routing table, rule priority, fwmark */
	const char *metrics;      /* --metrics ADDR:PORT (loopback) */
	bool tun_offload;   /* TUN vnet header: TSO in, GRO out */
	bool udp_gso;       /* UDP GSO trains on the ESP-in-UDP sockets */
	unsigned workers;   /* --workers: data-path threads (1: on the main loop) */
	uint32_t max_packet; /* --max-packet: largest IKE message accepted */
	struct logopt log;  /* --settings, --log-target, --debug-SUB (logopt.h) */
	bool check_config;  /* --check-config: read -c FILE and exit */
	bool list_options;  /* --list-options: print them and exit */
	int list_format;    /* --format: enum conf_list_format (default text) */
};

struct daemon {
	struct opts o;
	struct conf_daemon settings;   /* uipsecd.conf, as last read */
	struct resolve *resolve;       /* DNS servers to resolvconf (resolve.h) */
	struct loop *loop;
	struct xfrm_events ev;
	struct sad *sad;
	struct spd *spd;
	struct gw *gw;
	struct ctl_server *ctl;
	struct ctl_cmds cmds;
	struct loop_timer *tick;
	struct xfrm_backend *backend;      /* IKE's view of the SAD and SPD */
	struct ike_ctx *ike;
	struct ike_ctl ikectl;
	struct ctl_creds creds;            /* swanctl's credential folders (ctl_creds.h) */
	struct vici_swanctl vici;          /* swanctl's commands (VICI) */
	struct runner runner;              /* the privileged helper (ctl/runner.h) */
	struct updown updown;              /* updown scripts (ctl/updown.h) */
	struct loop_timer *ike_tick;
	unsigned trim_mark;          /* IKE SAs + states at the last tick (on_tick) */
	struct ctl_vis vis;                /* capture, keys, explain, --json */
	struct metrics_server *metrics;
	struct sandbox sb;
	struct io_fds fds;                 /* handed over (rootless, io/inherit.h) */
	struct loop_timer *watchdog;       /* WATCHDOG=1 to systemd (notify.h) */
	char status[128];                  /* the last STATUS= sent */
	bool reload_failed;
	int tun_ifindex;                   /* for virtual IPs (read before the sandbox) */
	/* MOBIKE roaming: rtnetlink address and route events, and a second
	 * look a little after a burst of them (the routing settles) */
	int addr_fd;
	struct loop_timer *roam;
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: uipsecd [-c FILE] [--control PATH] [--tun NAME] [--mtu N] [--user USER]\n"
	        "               [--foreground] [--debug] [--no-routes] [--routing-table N]\n"
	        "               [--routing-prio N] [--fwmark N] [--metrics ADDR:PORT]\n"
	        "               [--offload WHAT] [--workers N] [--max-packet BYTES]\n"
	        "               [--seccomp MODE] [--settings FILE] [--log-target T[,T...]]\n"
	        "               [--use-syslog] [--debug-SUB N]...\n"
	        "       uipsecd [-c FILE] --check-config | --list-options [--format F]\n"
	        "  -c FILE          swanctl.conf (default %s; missing or empty: manual keying)\n"
	        "  --control PATH   control socket (default %s)\n"
	        "  --tun NAME       TUN device (default %s)\n"
	        "  --mtu N          TUN MTU (default %u: %u outer minus worst-case ESP overhead)\n"
	        "  --user USER      drop privileges to USER after opening devices and sockets\n"
	        "                   (default %s where it exists, else uid 0 without\n"
	        "                   capabilities; root: that, without the warning)\n"
	        "  --seccomp MODE   on (default): system calls outside the allow-list kill\n"
	        "                   the daemon; log: allowed, logged by the kernel; off\n"
	        "  --foreground     do not detach\n"
	        "  --debug          debug logging: every subsystem at level 2 (as --debug-SUB 2)\n"
	        "  --no-routes      do not add routes via the TUN device for outbound policies\n"
	        "                   (then no routing rule and no clear path for bypass policies)\n"
	        "  --routing-table N  routing table for those routes (default %u)\n"
	        "  --routing-prio N   priority of the rule 'not fwmark MARK lookup TABLE' (default %u)\n"
	        "  --fwmark N       mark (SO_MARK) of uipsecd's own sockets and of packets bypass\n"
	        "                   policies send in clear; the rule exempts it (default 0x%x)\n"
	        "  --metrics ADDR:PORT  serve OpenMetrics/Prometheus counters over HTTP on a\n"
	        "                   loopback address (127.0.0.1:9101 or [::1]:9101), GET /metrics\n"
	        "  --offload WHAT   all (default): TUN segmentation offload (TSO in, GRO out)\n"
	        "                   and UDP GSO; tun: only the TUN offloads; none: one packet\n"
	        "                   per TUN read/write and per datagram (for comparison)\n"
	        "  --workers N      data-path threads, 1 to %u (default 1: the data path runs\n"
	        "                   on the main loop); N > 1: a multi-queue TUN device and one\n"
	        "                   UDP 4500 socket per worker (SO_REUSEPORT)\n"
	        "  --max-packet BYTES  largest IKE message accepted, 1280 to 65535 (default\n"
	        "                   65535: any that a UDP datagram holds), whole or put back\n"
	        "                   together from IKE fragments; longer ones are refused,\n"
	        "                   logged and counted (IkeTooBig, frag_drop_limit);\n"
	        "                   strongSwan's charon.max_packet, whose default is 10000\n"
	        "  --check-config   read FILE as uipsecd would (each refused option at its\n"
	        "                   line), say whether it loads, exit\n"
	        "  --list-options   the swanctl.conf options uipsec knows and what it does\n"
	        "                   with each, then exit\n"
	        "  --format F       of --list-options: text (default), markdown\n"
	        "                   (docs/swanctl-options.md), names, example (a swanctl.conf\n"
	        "                   writing every one), man (uipsec-swanctl.conf(5))\n",
	        DEFAULT_CONF, CTL_DEFAULT_PATH, GW_DEFAULT_TUN, (unsigned)GW_DEFAULT_MTU,
	        (unsigned)GW_OUTER_MTU, SANDBOX_DEFAULT_USER, ROUTE_DEFAULT_TABLE, ROUTE_DEFAULT_PRIO, ROUTE_DEFAULT_MARK,
	        (unsigned)GW_MAX_WORKERS);
	logopt_usage(f);
	fprintf(f, "  --version        print the version\n"
	           "  -h, --help       this help\n");
}

/* A number from min to 2^32-1, decimal or 0x hex. */
static int parse_u32(const char *s, unsigned long min, unsigned long *v)
{
	char *end;
	unsigned long long x;

	if (*s == '\0' || *s == '-')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end != '\0' || x < min || x > 0xffffffffull)
		return -1;
	*v = (unsigned long)x;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_CONTROL = 256, O_TUN, O_MTU, O_USER, O_FG, O_DEBUG, O_NOROUTES, O_HELP, O_METRICS,
	       O_OFFLOAD, O_TABLE, O_PRIO, O_MARK, O_WORKERS, O_MAXPKT, O_SECCOMP, O_SELFTEST, O_VERSION,
	       O_CHECK, O_LIST, O_FORMAT };
	static const struct option lo[] = {
		{ "control", required_argument, NULL, O_CONTROL },
		{ "tun", required_argument, NULL, O_TUN },
		{ "mtu", required_argument, NULL, O_MTU },
		{ "user", required_argument, NULL, O_USER },
		{ "foreground", no_argument, NULL, O_FG },
		{ "debug", no_argument, NULL, O_DEBUG },
		{ "no-routes", no_argument, NULL, O_NOROUTES },
		{ "offload", required_argument, NULL, O_OFFLOAD },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "routing-table", required_argument, NULL, O_TABLE },
		{ "routing-prio", required_argument, NULL, O_PRIO },
		{ "fwmark", required_argument, NULL, O_MARK },
		{ "help", no_argument, NULL, O_HELP },
		{ "metrics", required_argument, NULL, O_METRICS },
		{ "max-packet", required_argument, NULL, O_MAXPKT },
		{ "seccomp", required_argument, NULL, O_SECCOMP },
		{ "sandbox-selftest", required_argument, NULL, O_SELFTEST },
		{ "version", no_argument, NULL, O_VERSION },
		{ "check-config", no_argument, NULL, O_CHECK },
		{ "list-options", no_argument, NULL, O_LIST },
		{ "format", required_argument, NULL, O_FORMAT },
		LOGOPT_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	bool format_given = false;
	int c;
	char *end;
	unsigned long v;

	*o = (struct opts){ .conf = DEFAULT_CONF, .control = CTL_DEFAULT_PATH,
	                    .tun = GW_DEFAULT_TUN, .routes = true, .tun_offload = true,
	                    .udp_gso = true, .table = ROUTE_DEFAULT_TABLE,
	                    .prio = ROUTE_DEFAULT_PRIO, .mark = ROUTE_DEFAULT_MARK, .workers = 1 };
	logopt_init(&o->log);
	while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': o->conf = optarg; break;
		case O_CONTROL: o->control = optarg; break;
		case O_TUN: o->tun = optarg; break;
		case O_MTU:
			v = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 576 || v > 65535) {
				fprintf(stderr, "uipsecd: --mtu must be a number from 576 to 65535, not '%s'\n",
				        optarg);
				return -1;
			}
			o->mtu = (uint32_t)v;
			break;
		case O_USER: o->user = optarg; break;
		case O_FG: o->foreground = true; break;
		case O_DEBUG: o->debug = o->log.debug = true; break;
		case O_NOROUTES: o->routes = false; break;
		case O_TABLE:
		case O_PRIO:
		case O_MARK:
			if (parse_u32(optarg, 1, &v) < 0 ||
			    (c == O_TABLE && (v == RT_TABLE_LOCAL || v == RT_TABLE_MAIN ||
			                      v == RT_TABLE_DEFAULT))) {
				fprintf(stderr, "uipsecd: --%s: '%s' is not a valid %s\n",
				        c == O_TABLE ? "routing-table" : c == O_PRIO ? "routing-prio" : "fwmark",
				        optarg, c == O_TABLE ? "table (1..4294967295, not 253-255)" :
				        c == O_PRIO ? "priority (1..4294967295)" : "mark (1..0xffffffff)");
				return -1;
			}
			if (c == O_TABLE)
				o->table = (uint32_t)v;
			else if (c == O_PRIO)
				o->prio = (uint32_t)v;
			else
				o->mark = (uint32_t)v;
			break;
		case O_METRICS: o->metrics = optarg; break;
		case O_OFFLOAD:
			if (!strcmp(optarg, "all")) {
				o->tun_offload = o->udp_gso = true;
			} else if (!strcmp(optarg, "tun")) {
				o->tun_offload = true;
				o->udp_gso = false;
			} else if (!strcmp(optarg, "none")) {
				o->tun_offload = o->udp_gso = false;
			} else {
				fprintf(stderr, "uipsecd: --offload is all, tun or none, not '%s'\n", optarg);
				return -1;
			}
			break;
		case O_WORKERS:
			if (parse_u32(optarg, 1, &v) < 0 || v > GW_MAX_WORKERS) {
				fprintf(stderr, "uipsecd: --workers must be a number from 1 to %u, not '%s'\n",
				        (unsigned)GW_MAX_WORKERS, optarg);
				return -1;
			}
			o->workers = (unsigned)v;
			break;
		case O_SECCOMP:
			if (!strcmp(optarg, "on"))
				o->seccomp = SANDBOX_SECCOMP_ON;
			else if (!strcmp(optarg, "log"))
				o->seccomp = SANDBOX_SECCOMP_LOG;
			else if (!strcmp(optarg, "off"))
				o->seccomp = SANDBOX_SECCOMP_OFF;
			else {
				fprintf(stderr, "uipsecd: --seccomp is on, log or off, not '%s'\n", optarg);
				return -1;
			}
			o->seccomp_given = true;
			break;
		case O_SELFTEST: o->selftest = optarg; break;
		case O_MAXPKT:
			/* RFC 7296 section 2: at least 1,280 bytes MUST be accepted */
			if (parse_u32(optarg, 1280, &v) < 0 || v > 65535) {
				fprintf(stderr, "uipsecd: --max-packet must be a number from 1280 to 65535, "
				        "not '%s'\n", optarg);
				return -1;
			}
			o->max_packet = (uint32_t)v;
			break;
		case O_CHECK: o->check_config = true; break;
		case O_LIST: o->list_options = true; break;
		case O_FORMAT:
			format_given = true;
			o->list_format = conf_list_format_parse(optarg);
			if (o->list_format < 0) {
				fprintf(stderr, "uipsecd: --format is text, markdown, names, example or "
				        "man, not '%s'\n", optarg);
				return -1;
			}
			break;
		case 'h':
		case O_HELP:
			usage(stdout);
			exit(0);
		case O_VERSION:
			printf("uipsecd %s\n", UIPSEC_VERSION);
			exit(0);
		default:
			if (c >= LOGOPT_SETTINGS) {
				if (logopt_parse(&o->log, c, optarg) < 0)
					return -1;
				break;
			}
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "uipsecd: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (format_given && !o->list_options) {
		fprintf(stderr, "uipsecd: --format goes with --list-options\n");
		return -1;
	}
	if (o->list_options) {
		conf_options_write(stdout, (enum conf_list_format)o->list_format);
		exit(fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1);
	}
	return 0;
}

/* Configuration: swanctl.conf read by src/conf/ and turned into IKE
 * connections (ctl/ike_ctl.c). A missing file means manual keying only;
 * an error in the file stops the start (the message names file, line and
 * option). At start the file is only checked here; it is applied once the
 * IKE core exists (config_apply). */
/* Warn about configuration files others may read (with secrets) or
 * change; the daemon's own user after the drop is fine (conf_perm.h). */
static void config_perm(struct daemon *d, const struct conf *c)
{
	uid_t uid = d->sb.switch_user ? d->sb.uid : getuid();
	gid_t gid = d->sb.switch_user ? d->sb.gid : getgid();

	conf_perm_check(c->files, c->nfiles, c->nsecrets > 0, uid, gid);
}

/* An error message of conf or ike_ctl holds one error per line: each is
 * logged once, as its own line, as charon's configuration (cfg). */
static void log_errors(const char *err)
{
	for (const char *p = err; *p;) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);

		log_sub(LOG_SUB_CFG, LOG_ERR, "%.*s", n, p);
		p += n + (nl ? 1 : 0);
	}
}

#define CONF_ERR_MAX 16384   /* room for every refusal of a file */

static int config_load(struct daemon *d)
{
	struct conf *c = NULL;
	char *err = malloc(CONF_ERR_MAX);
	int r;

	if (!err)
		return -ENOMEM;
	if (access(d->o.conf, F_OK) != 0 && errno == ENOENT) {
		log_info("no configuration file %s: manual keying only", d->o.conf);
		free(err);
		return 0;
	}
	r = conf_load(d->o.conf, 0, &c, err, CONF_ERR_MAX);
	if (r < 0)
		log_errors(err);
	else
		config_perm(d, c);
	conf_free(c);
	free(err);
	return r < 0 ? r : 0;
}

/* Before a reload (SIGHUP, `uipsec load`): the same permission check on
 * the files as they are now; errors in them are config_apply's to report. */
static void config_recheck(void *ctx, const char *path)
{
	struct daemon *d = ctx;
	struct conf *c = NULL;
	char err[256];

	if (conf_load(path, CONF_MODEL_ONLY, &c, err, sizeof(err)) == 0)
		config_perm(d, c);
	conf_free(c);
}

static int config_apply(struct daemon *d)
{
	char *err = malloc(CONF_ERR_MAX);
	int r;

	if (!err)
		return -ENOMEM;
	if (access(d->o.conf, F_OK) != 0 && errno == ENOENT) {
		free(err);
		return 0;
	}
	r = ike_ctl_load_file_creds(d->ike, d->o.conf, &d->creds, err, CONF_ERR_MAX);
	if (r < 0)
		log_errors(err);
	else
		log_info("loaded %d connection%s from %s", r, r == 1 ? "" : "s", d->o.conf);
	free(err);
	return r < 0 ? r : 0;
}

/* --check-config: what config_load says, on stdout/stderr, and the exit
 * status. */
static int check_config(const char *path)
{
	struct conf *c = NULL;
	char *err = malloc(CONF_ERR_MAX);
	int r;

	if (!err)
		return 1;
	r = conf_load(path, 0, &c, err, CONF_ERR_MAX);
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
	} else {
		printf("%s: %zu connection%s, %zu secret%s: ok\n", path, c->nconns,
		       c->nconns == 1 ? "" : "s", c->nsecrets, c->nsecrets == 1 ? "" : "s");
		conf_free(c);
	}
	free(err);
	return r < 0 ? 1 : 0;
}

/* ------------------------------------------------------------- IKE glue */

static void ike_send(void *ctx, const struct ike_endpoint *local, const struct ike_endpoint *remote,
                     const uint8_t *msg, size_t len)
{
	struct daemon *d = ctx;
	int r = gw_ike_send(d->gw, &local->addr, local->port, &remote->addr, remote->port, msg, len);

	if (r < 0)
		log_debug_rl("cannot send IKE message: %s", strerror(-r));
}

static void ike_keepalive(void *ctx, const struct ike_endpoint *local,
                          const struct ike_endpoint *remote)
{
	struct daemon *d = ctx;

	gw_nat_keepalive(d->gw, &local->addr, &remote->addr, remote->port);
}

static void ike_ended(void *ctx, const struct ike_end_event *ev)
{
	struct daemon *d = ctx;

	vici_swanctl_ike_ended(&d->vici, ev);
}

static void child_ended(void *ctx, const struct ike_child_end_event *ev)
{
	struct daemon *d = ctx;

	vici_swanctl_child_ended(&d->vici, ev);
	updown_child_ended(&d->updown, ev);
}

static void child_up(void *ctx, const struct ike_child_up_event *ev)
{
	struct daemon *d = ctx;

	updown_child_up(&d->updown, ev);
}

static int ike_route_src(void *ctx, const struct ip_addr *remote, struct ip_addr *local)
{
	struct daemon *d = ctx;

	/* IKE leaves on marked sockets: ask the routing they will see, not
	 * the route into the TUN device a policy for the peer's prefix adds */
	return ip_route_src_mark(remote, d->o.routes ? d->o.mark : 0, local);
}

/* A client's virtual IP (vips = 0.0.0.0 / ::) on the TUN device, as
 * charon puts it on an interface: the routes into the device (those of
 * the CHILD SA's remote traffic selectors, added with its policies) then
 * pick it as the source. The DNS servers are logged, listed (list-sas)
 * and handed to resolvconf or systemd-resolved (resolve.h). */
static void ike_vip(void *ctx, bool add, const char *conn, const struct ip_addr *vip,
                    const struct ip_addr *dns, unsigned ndns)
{
	struct daemon *d = ctx;
	const char *tun = gw_tun_name(d->gw);
	int ifindex = d->tun_ifindex;
	uint8_t plen = vip->family == AF_INET ? 32 : 128;
	char a[IP_ADDR_STRLEN], list[8 * (IP_ADDR_STRLEN + 1)] = "";
	int r;

	for (unsigned i = 0; i < ndns && i < 8; i++) {
		strcat(list, i ? " " : "");
		strcat(list, ip_addr_fmt(&dns[i], a));
	}
	ip_addr_fmt(vip, a);
	resolve_set(d->resolve, vip, dns, add ? ndns : 0);
	if (!ifindex) {
		log_warn("virtual IP %s of '%s': no device %s", a, conn, tun);
		return;
	}
	r = route_addr_netlink(add, ifindex, vip, plen);
	if (add && r && r != -EEXIST)
		log_warn("virtual IP %s of '%s': cannot add it to %s: %s", a, conn, tun, strerror(-r));
	else if (!add && r && r != -EADDRNOTAVAIL && r != -ENODEV)
		log_warn("virtual IP %s of '%s': cannot remove it from %s: %s", a, conn, tun,
		         strerror(-r));
	else
		log_info("virtual IP %s/%u of '%s' %s %s%s%s", a, plen, conn, add ? "on" : "off", tun,
		         add && ndns ? ", DNS servers " : "", add && ndns ? list : "");
}

static uint64_t ike_now_ms(void *ctx)
{
	return clock_mono_ns() / 1000000u;
}

static void ike_recv(void *ctx, const uint8_t *msg, size_t len, const struct ip_addr *src,
                     uint16_t sport, const struct ip_addr *dst, uint16_t dport)
{
	struct daemon *d = ctx;
	struct ike_endpoint local = { *dst, dport }, remote = { *src, sport };

	ike_ctx_set_behind(d->ike, gw_ike_backlog(d->gw));
	ike_input(d->ike, &local, &remote, msg, len);
}

/* The host's addresses or routes changed: IKE SAs that use MOBIKE look
 * whether their peer is now reached from another address (ike_roam), now
 * and once more 100 ms later, when a removed address has taken its routes
 * with it. */
static void on_addr_event(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct daemon *d = arg;

	if (!addr_watch_drain(fd))
		return;
	ike_roam(d->ike);
	if (d->roam)
		loop_timer_arm(d->roam, 100, 0);
}

static void on_roam(struct loop *l, struct loop_timer *t, void *arg)
{
	struct daemon *d = arg;

	ike_roam(d->ike);
}

/* The IKE timers: at least every IKE_TICK_MS (what an event in between
 * scheduled is run by then), and exactly when the next one the IKE core
 * knows of is due (a rekeying, DPD, a retransmit), so that two gateways
 * with the same lifetimes really act at the same moment. */
#define IKE_TICK_MS 200

static void on_ike_tick(struct loop *l, struct loop_timer *t, void *arg)
{
	struct daemon *d = arg;
	uint64_t now, next, wait = IKE_TICK_MS;

	(void)l;
	ike_tick(d->ike);
	now = ike_now_ms(d);
	next = ike_next_timer(d->ike);
	if (next <= now)
		wait = 1;
	else if (next - now < wait)
		wait = next - now;
	if (loop_timer_arm(t, wait, 0) < 0)
		log_err("cannot arm the IKE timer");
}

/* ------------------------------------------------------------- events */

static void ev_acquire(void *ctx, const struct spd_policy *pol, const struct xfrm_tmpl *t,
                       const struct xfrm_flow *fl)
{
	struct daemon *d = ctx;

	ctl_cmds_acquire_event(&d->cmds, pol, t, fl);
	xfrm_backend_sad_acquire(d->backend, pol, t, fl);   /* to IKE */
}

static void ev_expire(void *ctx, const struct sad_sa *sa, bool hard)
{
	struct daemon *d = ctx;

	log_info("SA spi 0x%08x reqid %u %s expired", sa->spi, sa->reqid, hard ? "hard" : "soft");
	ctl_cmds_expire_event(&d->cmds, sa, hard);
	xfrm_backend_sad_expire(d->backend, sa, hard);   /* to IKE */
}

static void ev_unknown_spi(void *ctx, const struct ip_addr *src, const struct ip_addr *dst,
                           uint32_t spi)
{
	struct daemon *d = ctx;

	xfrm_backend_sad_unknown_spi(d->backend, src, dst, spi);   /* to IKE */
}

static void ev_state(void *ctx, enum xfrm_event_kind kind, const struct sad_sa *sa)
{
	struct daemon *d = ctx;

	if (d->gw)
		gw_state_event(d->gw, kind, sa);
	ctl_cmds_state_event(&d->cmds, kind, sa);
}

static void ev_policy(void *ctx, enum xfrm_event_kind kind, const struct spd_policy *pol)
{
	struct daemon *d = ctx;

	if (d->gw)
		gw_policy_event(d->gw, kind, pol);
	ctl_cmds_policy_event(&d->cmds, kind, pol);
}

/* ------------------------------------------------------------- service */

/* STATUS= for the service manager (systemctl status): what runs now.
 * Sent when it changes (the 1 s tick), and with READY=1. */
static const char *status_line(struct daemon *d, char *buf, size_t len)
{
	unsigned ike = d->ike ? ike_sa_count(d->ike) : 0, child = d->ike ? ike_child_count(d->ike) : 0;
	unsigned conns = d->ike ? ike_conn_count(d->ike) : 0;

	snprintf(buf, len, "%u IKE_SA%s, %u CHILD_SA%s, %u connection%s%s", ike, ike == 1 ? "" : "s",
	         child, child == 1 ? "" : "s", conns, conns == 1 ? "" : "s",
	         d->reload_failed ? "; the last reload failed (see the log)" : "");
	return buf;
}

static void status_update(struct daemon *d)
{
	char buf[sizeof(d->status)];

	if (!notify_enabled())
		return;
	status_line(d, buf, sizeof(buf));
	if (strcmp(buf, d->status)) {
		memcpy(d->status, buf, sizeof(buf));
		notify_sendf("STATUS=%s", buf);
	}
}

/* SIGHUP: uipsecd.conf (loggers) and swanctl.conf again, between
 * RELOADING=1 and READY=1. A broken file keeps what runs. */
/* uipsecd.conf's retransmit_* over the IKE core's defaults (ike.h). */
static void retransmit_apply(struct daemon *d)
{
	const struct conf_retransmit *s = &d->settings.retransmit;
	struct ike_retransmit_cfg rc;

	if (!d->ike)
		return;
	ike_retransmit_defaults(&rc);
	if (s->given & CONF_RETX_TRIES)
		rc.tries = s->tries;
	if (s->given & CONF_RETX_TIMEOUT)
		rc.timeout = s->timeout;
	if (s->given & CONF_RETX_BASE)
		rc.base = s->base;
	if (s->given & CONF_RETX_JITTER)
		rc.jitter = s->jitter;
	if (s->given & CONF_RETX_LIMIT)
		rc.limit = s->limit;
	if (ike_ctx_set_retransmit(d->ike, &rc) < 0)
		log_err("%s: retransmission settings refused", d->o.log.settings);
	else if (s->given)
		log_info("IKE retransmission: %u tries, %gs, base %g, jitter %u%%, limit %gs",
		         rc.tries, rc.timeout, rc.base, rc.jitter, rc.limit);
}

static void reload(struct daemon *d)
{
	notify_reloading();
	log_info("SIGHUP: reloading %s and %s", d->o.log.settings, d->o.conf);
	d->reload_failed = logopt_apply(&d->o.log, true, &d->settings) < 0;
	if (!d->reload_failed) {
		retransmit_apply(d);
		ike_ctx_set_fragment_size(d->ike, d->settings.fragment_size);
		/* for IKE SAs from now on */
		ike_ctx_set_prefer_encap(d->ike, !d->settings.raw_esp);
	}
	if (access(d->o.conf, F_OK) == 0)
		config_recheck(d, d->o.conf);
	d->reload_failed |= config_apply(d) < 0;
	status_line(d, d->status, sizeof(d->status));
	notify_ready(d->status);
}

/* VICI reload-settings: uipsecd.conf (loggers, fragment_size) again, as
 * charon's reloads strongswan.conf; swanctl.conf is swanctl's to load. */
static int reload_settings(void *ctx, char *err, size_t errlen)
{
	struct daemon *d = ctx;

	log_info("reload-settings: reloading %s", d->o.log.settings);
	if (logopt_apply(&d->o.log, true, &d->settings) < 0) {
		snprintf(err, errlen, "%s could not be applied (see the log); the settings in use "
		         "are kept", d->o.log.settings);
		return -EINVAL;
	}
	ike_ctx_set_fragment_size(d->ike, d->settings.fragment_size);
	return 0;
}

/* From the loop's own timer, so a loop that hangs stops the pings and
 * systemd's WatchdogSec= restarts the daemon. */
static void on_watchdog(struct loop *l, struct loop_timer *t, void *arg)
{
	notify_send("WATCHDOG=1");
}

/* ------------------------------------------------------------- loop */

static void on_signal(struct loop *l, const struct loop_sig *sig, void *arg)
{
	struct daemon *d = arg;
	int signo = sig->signo;

	/* Only root, the kernel and whoever started us may stop or reload
	 * the daemon: with --user nobody, any other nobody process could
	 * otherwise (kill(2) lets a process signal another of its uid). */
	if (!sandbox_signal_ok(&d->sb, sig->uid, sig->code)) {
		log_warn_rl("ignoring %s from pid %u uid %u: only root or uid %u may signal uipsecd",
		            strsignal(signo), (unsigned)sig->pid, (unsigned)sig->uid,
		            (unsigned)d->sb.start_uid);
		return;
	}
	if (signo == SIGHUP) {
		reload(d);
		return;
	}
	notify_send("STOPPING=1");
	log_info("%s: shutting down", strsignal(signo));
	loop_stop(l);
}

static void on_tick(struct loop *l, struct loop_timer *t, void *arg)
{
	struct daemon *d = arg;
	unsigned sas, states;

	sad_expire_tick(d->sad, clock_mono_sec());
	dp_refresh_local(gw_dp(d->gw));
	/* Memory back to the system when SAs went: glibc keeps freed heap
	 * (many small blocks of many SAs) otherwise, and the RSS of a
	 * gateway would only ever grow to its busiest hour. */
	sas = d->ike ? ike_sa_count(d->ike) : 0;
	states = sad_count(d->sad);
	if (sas + states < d->trim_mark)
		malloc_trim(0);
	d->trim_mark = sas + states;
	status_update(d);
}

/* Detach: the parent waits until the child says it is serving (or failed)
 * and exits with that status. Returns the write end for the child. */
static int detach(void)
{
	int p[2];
	pid_t pid;
	char c = 1;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			c = 1;
		_exit(c);
	}
	close(p[0]);
	setsid();
	return p[1];
}

static void ready(int fd, int status)
{
	char c = (char)status;

	if (fd >= 0) {
		if (write(fd, &c, 1) < 0)
			(void)0;
		close(fd);
	}
}

int main(int argc, char **argv)
{
	struct daemon d;
	struct gw_config gc;
	int r, notify = -1, rc = 1;

	memset(&d, 0, sizeof(d));
	d.runner.fd = -1;
	d.updown.run = &d.runner;
	d.addr_fd = -1;
	sandbox_init(&d.sb);
	ctl_creds_init(&d.creds);
	if (parse_opts(argc, argv, &d.o) < 0)
		return 2;
	log_set_ident("uipsecd");
	if (d.o.check_config) {
		/* a question on the terminal: warnings (options without
		 * effect yet) on stderr beside the answer */
		log_set_level(d.o.debug ? LOG_DEBUG : LOG_INFO);
		return check_config(d.o.conf);
	}
	/* descriptors handed over (uipsec-launch, systemd sockets): first,
	 * before anything of ours takes a number */
	if (io_fds_from_env(&d.fds) < 0)
		return 1;
	if (d.fds.any && d.o.routes && !sandbox_cap_net_admin()) {
		/* rootless: whoever set up the namespace routes into the TUN
		 * device; not being able to is no reason to stop */
		log_info("descriptors handed over and no CAP_NET_ADMIN: routes, the routing rule "
		         "and the clear path are left to whoever set up the network namespace "
		         "(as --no-routes)");
		d.o.routes = false;
	}
	struct sandbox_cfg sbc = { .user = d.o.user, .net_admin = d.o.routes,
	                           .seccomp = d.o.seccomp, .seccomp_given = d.o.seccomp_given };
	if (sandbox_resolve(&d.sb, &sbc) < 0)
		return 1;
	/* loggers and the notify socket after the handed-over descriptors */
	if (logopt_apply(&d.o.log, false, &d.settings) < 0)
		return 1;
	notify_init();
	if (!d.o.foreground) {
		notify = detach();
		if (notify < 0) {
			log_err("cannot detach: %s", strerror(errno));
			return 1;
		}
	}

	/* the helper for updown scripts and DNS servers: forked with the
	 * privileges we started with, before any socket, device or thread of
	 * ours exists, keeping none of the handed-over descriptors (ctl/runner.h) */
	r = runner_start(&d.runner, d.fds.fd, IO_FD_MAX);
	if (r < 0)
		log_warn("cannot start the helper process: %s (updown scripts will not run, DNS "
		         "servers are only logged)", strerror(-r));

	d.loop = loop_new();
	if (!d.loop || loop_signals(d.loop, on_signal, &d) < 0) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		goto out;
	}
	if (config_load(&d) < 0)
		goto out;

	d.ev = (struct xfrm_events){ .ctx = &d, .acquire = ev_acquire, .expire = ev_expire,
	                             .unknown_spi = ev_unknown_spi, .state = ev_state,
	                             .policy = ev_policy };
	d.sad = sad_new(&d.ev);
	d.spd = spd_new(&d.ev);
	if (!d.sad || !d.spd) {
		log_err("out of memory");
		goto out;
	}

	/* The control socket first: "another daemon runs here" is the
	 * clearest answer when one does. */
	d.ctl = ctl_server_new(d.loop, d.o.control, &r);
	if (!d.ctl)
		goto out;
	gc = (struct gw_config){ .tun_name = d.o.tun, .mtu = d.o.mtu, .routes = d.o.routes,
	                         .no_tun_offload = !d.o.tun_offload, .no_udp_gso = !d.o.udp_gso,
	                         .route_table = d.o.table, .rule_prio = d.o.prio,
	                         .fwmark = d.o.mark, .workers = d.o.workers,
	                         .ike_max = d.o.max_packet, .fds = d.fds.any ? &d.fds : NULL,
	                         .loop = d.loop };
	r = gw_open(&d.gw, &gc, d.sad, d.spd, &d.ev);
	io_fds_close_rest(&d.fds);      /* any not taken: not ours to keep */
	if (r < 0)
		goto out;
	/* if_nametoindex takes a socket and an ioctl the sandbox refuses */
	d.tun_ifindex = (int)if_nametoindex(gw_tun_name(d.gw));
	snprintf(d.updown.iface, sizeof(d.updown.iface), "%s", gw_tun_name(d.gw));
	d.cmds = (struct ctl_cmds){ .srv = d.ctl, .sad = d.sad, .spd = d.spd, .dp = gw_dp(d.gw) };
	if (ctl_cmds_register(&d.cmds) < 0)
		goto out;
	d.vis = (struct ctl_vis){ .srv = d.ctl, .sad = d.sad, .spd = d.spd, .dp = gw_dp(d.gw),
	                          .tun_name = gw_tun_name(d.gw) };
	if (ctl_vis_register(&d.vis) < 0)
		goto out;

	struct ike_io io = { .ctx = &d, .send = ike_send, .now_ms = ike_now_ms,
	                     .keepalive = ike_keepalive, .route_src = ike_route_src,
	                     .ike_ended = ike_ended, .child_ended = child_ended,
	                     .child_up = child_up, .vip = ike_vip };
	d.backend = xfrm_backend_sad_new(d.sad, d.spd);
	d.ike = d.backend ? ike_ctx_new(&io, d.backend) : NULL;
	if (!d.ike) {
		log_err("cannot start the IKE core");
		goto out;
	}
	retransmit_apply(&d);
	/* IKE fragmentation: cut for uipsecd.conf's fragment_size, reassembled
	 * up to the largest message the sockets take */
	ike_ctx_set_fragment_size(d.ike, d.settings.fragment_size);
	ike_ctx_set_frag_limits(d.ike, d.o.max_packet, 0, 0);
	/* as charon's kernel-libipsec: ESP in UDP unless uipsecd.raw_esp */
	ike_ctx_set_prefer_encap(d.ike, !d.settings.raw_esp);
	gw_set_ike_handler(d.gw, ike_recv, &d);
	ike_ctx_set_creds(d.ike, &d.creds.ike);
	d.ikectl = (struct ike_ctl){ .srv = d.ctl, .ike = d.ike, .conf_path = d.o.conf,
	                             .on_load = config_recheck, .on_load_ctx = &d,
	                             .creds = &d.creds };
	if (ike_ctl_register(&d.ikectl) < 0)
		goto out;
	d.vici = (struct vici_swanctl){ .srv = d.ctl, .loop = d.loop, .ike = d.ike, .creds = &d.creds,
	                                .reload_settings = reload_settings, .reload_ctx = &d };
	if (vici_swanctl_register(&d.vici) < 0) {
		log_err("cannot register the VICI commands");
		goto out;
	}
	d.vis.ike = d.ike;
	d.vis.creds = &d.creds;
	if (d.o.metrics) {
		struct metrics_src ms = { .sad = d.sad, .spd = d.spd, .dp = gw_dp(d.gw), .ike = d.ike };
		char merr[256];
		d.metrics = metrics_server_new(d.loop, d.o.metrics, &ms, merr, sizeof(merr));
		if (!d.metrics) {
			log_err("%s", merr);
			goto out;
		}
		log_info("metrics on http://%s/metrics", d.o.metrics);
	}

	/* Connections before the privilege drop: swanctl.conf holds secrets
	 * and is usually readable by root only. start_action=start sends at
	 * once; the answers wait in the socket until the loop runs. */
	if (config_apply(&d) < 0)
		goto out;

	/* timers before the sandbox: their descriptors are made here */
	d.tick = loop_timer_new(d.loop, on_tick, &d);
	d.ike_tick = loop_timer_new(d.loop, on_ike_tick, &d);
	d.roam = loop_timer_new(d.loop, on_roam, &d);
	if (!d.tick || !d.ike_tick || !d.roam) {
		log_err("cannot create the timers: %s", strerror(errno));
		goto out;
	}
	/* MOBIKE: address changes; without them SAs simply do not roam */
	d.addr_fd = addr_watch_open();
	if (d.addr_fd < 0)
		log_warn("cannot watch address changes (rtnetlink): %s; MOBIKE clients will not "
		         "roam", strerror(-d.addr_fd));
	else if (loop_add_fd(d.loop, d.addr_fd, EPOLLIN, on_addr_event, &d) < 0) {
		log_warn("cannot watch address changes: %s", strerror(errno));
		close(d.addr_fd);
		d.addr_fd = -1;
	}
	/* the watchdog's timer too: no timerfd can be made after the drop */
	if (notify_watchdog_usec()) {
		d.watchdog = loop_timer_new(d.loop, on_watchdog, &d);
		if (!d.watchdog) {
			log_err("cannot create the watchdog timer: %s", strerror(errno));
			goto out;
		}
	}

	/* DNS servers through the helper (resolve.h) */
	d.resolve = resolve_start(&d.runner, !d.settings.resolve_off, gw_tun_name(d.gw),
	                          d.settings.resolve_iface);

	/* Everything that needs root is done: drop it, and load the
	 * seccomp filter before any worker thread exists (sandbox.h). */
	if (sandbox_enter(&d.sb, &sbc) < 0)
		goto out;
	if (d.o.selftest) {
		/* tests: a forbidden call must fail (or kill us) */
		r = sandbox_selftest(d.o.selftest, d.o.control);
		if (r == -EINVAL)
			log_err("--sandbox-selftest: unknown test '%s'", d.o.selftest);
		rc = r == 0 ? 0 : 1;
		goto out;
	}

	if (gw_attach(d.gw, d.loop) < 0) {
		log_err("cannot watch the TUN device and sockets");
		goto out;
	}
	if (loop_timer_arm(d.tick, 1000, 1000) < 0 || loop_timer_arm(d.ike_tick, IKE_TICK_MS, 0) < 0) {
		log_err("cannot start the timers");
		goto out;
	}
	if (d.watchdog) {
		/* ping at half the interval, as sd_watchdog_enabled(3) advises */
		uint64_t ms = notify_watchdog_usec() / 2000u;
		if (loop_timer_arm(d.watchdog, ms ? ms : 1, ms ? ms : 1) < 0) {
			log_err("cannot start the watchdog timer");
			goto out;
		}
	}
	log_info("uipsecd %s running: tun %s mtu %u, control %s%s", UIPSEC_VERSION,
	         gw_tun_name(d.gw), gw_tun_mtu(d.gw), d.o.control,
	         d.o.routes ? "" : ", routes off");
	ready(notify, 0);
	notify = -1;
	/* configuration loaded, TUN, sockets and control socket open */
	notify_ready(status_line(&d, d.status, sizeof(d.status)));

	r = loop_run(d.loop);
	rc = r < 0 ? 1 : 0;
out:
	ready(notify, 1);
	if (rc)
		notify_send("STATUS=uipsecd failed (see the log)");
	if (d.watchdog)
		loop_timer_free(d.watchdog);
	/* workers first: what follows changes the SAD and SPD from outside
	 * the loop */
	gw_stop(d.gw);
	/* IKE first (it removes its states and policies), then policies
	 * (their routes go with them), then states (keys wiped), then the
	 * devices and the control socket. */
	metrics_server_free(d.metrics);
	d.vis.dp = NULL;
	d.vis.ike = NULL;      /* captures detach as their connections close */
	if (d.ike_tick)
		loop_timer_free(d.ike_tick);
	if (d.roam)
		loop_timer_free(d.roam);
	if (d.addr_fd >= 0) {
		loop_del_fd(d.loop, d.addr_fd);
		close(d.addr_fd);
	}
	if (d.ike)
		ike_ctx_shutdown(d.ike);
	ike_ctx_free(d.ike);
	/* the "down" scripts of the shutdown and the DNS clean-up after
	 * them: given time to run */
	resolve_free(d.resolve);   /* after the IKE SAs' last DNS removal */
	updown_free(&d.updown);
	runner_stop(&d.runner, 10000);
	ctl_creds_free(&d.creds);   /* private keys wiped */
	xfrm_backend_sad_free(d.backend);
	if (d.spd) {
		spd_flush(d.spd, XFRM_POLICY_MAX);
		spd_free(d.spd);
	}
	if (d.sad) {
		sad_flush(d.sad, 0);
		sad_free(d.sad);
	}
	gw_close(d.gw);
	vici_swanctl_free(&d.vici);
	ctl_server_free(d.ctl);
	if (d.tick)
		loop_timer_free(d.tick);
	loop_free(d.loop);
	if (rc == 0)
		log_info("stopped");
	notify_close();
	return rc;
}
