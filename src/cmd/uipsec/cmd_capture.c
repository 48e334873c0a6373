/* uipsec capture: packets at chosen points of uipsecd's data path, streamed
 * over the control socket (event "uipsec-capture", ctl/vis.h) and written
 * here as pcapng (one interface per point, drop reasons as packet
 * comments) or classic pcap, or printed one line each. */
#include "cmd/uipsec/uipsec.h"
#include "ctl/client.h"
#include "ctl/vici.h"
#include "dp/capture.h"
#include "dp/flow.h"
#include "dp/pcap.h"
#include "dp/pcapng.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILTER 32

static volatile sig_atomic_t stop;   /* set by SIGINT/SIGTERM: close the file cleanly */

static void on_signal(int sig)
{
	stop = 1;
}

static void capture_help(FILE *out)
{
	fputs("Usage: uipsec capture --point POINT[,POINT...] [--point ...] [-w FILE] [-c COUNT]\n"
	      "                      [--format pcapng|pcap] [-q] [--filter WORDS...]\n"
	      "Copies of the packets at chosen points of uipsecd's data path:\n"
	      "  esp-in     ESP as it arrived (outer IP header, and UDP for ESP-in-UDP, rebuilt\n"
	      "             from the socket's addresses and ports)\n"
	      "  inner-in   the decrypted inner packet on its way to the TUN device\n"
	      "  inner-out  an inner packet read from the TUN device, before the policy lookup\n"
	      "  esp-out    ESP as it leaves, after encryption\n"
	      "  drop       every packet the data path drops, with its reason: an inbound one\n"
	      "             as it arrived (never unauthenticated plaintext), or its decrypted\n"
	      "             inner packet if the policy check refused it; an outbound one as it\n"
	      "             came from the TUN device\n"
	      "Options:\n"
	      "  -w FILE    write FILE ('-' for stdout); without -w, print one line per packet\n"
	      "  --format   pcapng (default): one interface per point, named after it\n"
	      "             (frame.interface_name), Ethernet framing with zero MACs, and each\n"
	      "             drop's reason as a packet comment (tshark -T fields -e frame.comment,\n"
	      "             Wireshark 'Packet comments'); pcap: classic pcap, raw IP link type\n"
	      "  -c COUNT   stop after COUNT packets (else at Ctrl-C or when uipsecd stops)\n"
	      "  -q         do not print drops on stderr while writing a file\n"
	      "  --filter   words as for 'uipsec trace': host PREFIX, src PREFIX, dst PREFIX,\n"
	      "             spi SPI, proto icmp|tcp|udp|esp|NUM; matched against the packet\n"
	      "             as captured at its point (its own IP header), so 'proto esp' or\n"
	      "             'spi' select ESP points and 'host 10.1.0.2' inner ones. The rest\n"
	      "             of the line, or one quoted argument.\n"
	      "Captures are read by tcpdump -r and Wireshark/tshark. Decrypt an esp-in/esp-out\n"
	      "capture in Wireshark with the lines of 'uipsec keys --wireshark'.\n"
	      "With no capture attached the data path pays one branch per packet.\n", out);
}

struct cap_out {
	FILE *f;
	bool pcapng, quiet, lines;
	struct pcapng_writer *ng;
	struct pcap_writer *pc;
	int iface[DP_CAP_MAX];
};

static int write_one(struct cap_out *o, const char *point, const char *dir, uint64_t ts,
                     const uint8_t *data, uint32_t len, uint32_t origlen, const char *reason,
                     const char *mib)
{
	enum dp_cap_point pt;
	char comment[160], fb[128];
	struct xfrm_flow fl;

	if (dp_cap_point_parse(point, &pt) < 0)
		return 0;
	if (reason)
		snprintf(comment, sizeof(comment), "drop %s: %s (%s)", dir, reason, mib ? mib : "-");
	if (o->lines || (reason && !o->quiet)) {
		FILE *to = o->lines ? stdout : stderr;
		time_t sec = (time_t)(ts / 1000000000ull);
		struct tm tm;
		localtime_r(&sec, &tm);
		fprintf(to, "%02d:%02d:%02d.%06u %-9s %-3s %s len %u%s%s%s%s%s\n", tm.tm_hour,
		        tm.tm_min, tm.tm_sec, (unsigned)(ts % 1000000000ull / 1000), point, dir,
		        dp_flow_parse(data, len, &fl) ? dp_flow_fmt(&fl, fb, sizeof(fb)) : "(not IP)",
		        origlen, reason ? ": " : "", reason ? reason : "", reason ? " (" : "",
		        reason ? (mib ? mib : "-") : "", reason ? ")" : "");
		fflush(to);
	}
	if (o->lines)
		return 0;
	if (o->pcapng) {
		/* Ethernet framing (zero MACs): libpcap 1.10 refuses a second
		 * pcapng interface of link type RAW ("different from the type
		 * of the first interface"), and one interface per point is the
		 * point of pcapng here. */
		uint8_t *frame = malloc((size_t)len + 14);
		int r;

		if (!frame)
			return -ENOMEM;
		memset(frame, 0, 12);
		frame[12] = (data[0] >> 4) == 6 ? 0x86 : 0x08;
		frame[13] = (data[0] >> 4) == 6 ? 0xdd : 0x00;
		memcpy(frame + 14, data, len);
		if (o->iface[pt] < 0)
			o->iface[pt] = pcapng_add_iface(o->ng, PCAP_LINKTYPE_ETHERNET, point);
		r = o->iface[pt] < 0 ? -EIO
		    : pcapng_write(o->ng, (uint32_t)o->iface[pt], frame, len + 14, origlen + 14, ts,
		                   reason ? comment : NULL);
		mem_free_wipe(frame, (size_t)len + 14);
		return r;
	}
	return pcap_write(o->pc, data, len, ts);
}

/* One event: its keys, then the record. */
static int handle_event(struct cap_out *o, const struct vici_packet *pk)
{
	struct vici_iter it;
	struct vici_elem e;
	char point[16] = "", dir[8] = "", reason[40] = "", mib[40] = "", num[24];
	const uint8_t *data = NULL;
	uint32_t dlen = 0, origlen = 0;
	uint64_t ts = 0;

	vici_iter_init(&it, pk->msg, pk->msg_len);
	while (vici_iter_next(&it, &e) == 1) {
		if (e.type != VICI_KEY_VALUE)
			continue;
		if (!strcmp(e.name, "data")) {
			data = e.value;
			dlen = e.value_len;
		}
	}
	vici_get_str(pk->msg, pk->msg_len, "point", point, sizeof(point));
	vici_get_str(pk->msg, pk->msg_len, "dir", dir, sizeof(dir));
	vici_get_str(pk->msg, pk->msg_len, "reason", reason, sizeof(reason));
	vici_get_str(pk->msg, pk->msg_len, "mib", mib, sizeof(mib));
	if (vici_get_str(pk->msg, pk->msg_len, "ts", num, sizeof(num)) == 0)
		ts = strtoull(num, NULL, 10);
	if (vici_get_str(pk->msg, pk->msg_len, "len", num, sizeof(num)) == 0)
		origlen = (uint32_t)strtoul(num, NULL, 10);
	if (!data)
		return 0;
	return write_one(o, point, dir, ts, data, dlen, origlen, reason[0] ? reason : NULL,
	                 mib[0] ? mib : NULL);
}

/* True if point is already in the comma-separated list pts. */
static bool point_listed(const char *pts, const char *point)
{
	size_t n = strlen(point);

	for (const char *p = pts; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] ? 1 : 0))
		if (strcspn(p, ",") == n && !strncmp(p, point, n))
			return true;
	return false;
}

static int add_points(const char *arg, char *pts, size_t len)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		enum dp_cap_point pt;
		if (dp_cap_point_parse(tok, &pt) < 0) {
			fprintf(stderr, "uipsec: capture: unknown point '%s' (esp-in, inner-in, "
			        "inner-out, esp-out, drop)\n", tok);
			r = -EINVAL;
			break;
		}
		if (point_listed(pts, tok))
			continue;
		if (strlen(pts) + strlen(tok) + 2 > len) {   /* 5 distinct points always fit */
			fprintf(stderr, "uipsec: capture: too many points\n");
			r = -EINVAL;
			break;
		}
		if (pts[0])
			strcat(pts, ",");
		strcat(pts, tok);
	}
	free(copy);
	return r;
}

static int capture_run(const struct uipsec_opts *opt, int argc, char **argv)
{
	struct cap_out o = { .pcapng = true };
	char pts[128] = "", err[512], *fwords[MAX_FILTER + 1], *split = NULL;
	const char *file = NULL;
	long count = 0, seen = 0;
	int nf = 1, fd = -1, r, rc = 1, i;
	struct sigaction sa;

	for (i = 0; i < DP_CAP_MAX; i++)
		o.iface[i] = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if ((!strcmp(a, "--point") || !strcmp(a, "-p")) && i + 1 < argc) {
			if (add_points(argv[++i], pts, sizeof(pts)) < 0)
				return 2;
		} else if (!strncmp(a, "--point=", 8)) {
			if (add_points(a + 8, pts, sizeof(pts)) < 0)
				return 2;
		} else if (!strcmp(a, "-w") && i + 1 < argc) {
			file = argv[++i];
		} else if (!strcmp(a, "-c") && i + 1 < argc) {
			char *end;
			count = strtol(argv[++i], &end, 10);
			if (!*argv[i] || *end || count <= 0) {
				fprintf(stderr, "uipsec: capture -c needs a positive count, not '%s'\n",
				        argv[i]);
				return 2;
			}
		} else if (!strcmp(a, "--format") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "pcap")) {
				o.pcapng = false;
			} else if (strcmp(argv[i], "pcapng") != 0) {
				fprintf(stderr, "uipsec: capture --format is pcapng or pcap, not '%s'\n",
				        argv[i]);
				return 2;
			}
		} else if (!strcmp(a, "-q")) {
			o.quiet = true;
		} else if (!strcmp(a, "--filter") && i + 1 < argc) {
			if (strchr(argv[i + 1], ' ')) {
				char *save = NULL, *tok;
				free(split);
				split = strdup(argv[++i]);
				for (tok = split ? strtok_r(split, " ", &save) : NULL; tok;
				     tok = strtok_r(NULL, " ", &save)) {
					if (nf > MAX_FILTER)
						goto too_long;
					fwords[nf++] = tok;
				}
			} else {
				while (i + 1 < argc && argv[i + 1][0] != '-') {
					if (nf > MAX_FILTER)
						goto too_long;
					fwords[nf++] = argv[++i];
				}
			}
		} else {
			fprintf(stderr, "uipsec: capture: unexpected '%s' (see uipsec capture --help)\n", a);
			goto out_usage;
		}
	}
	if (!pts[0]) {
		fprintf(stderr, "uipsec: capture needs --point esp-in|inner-in|inner-out|esp-out|drop\n");
		goto out_usage;
	}
	fwords[0] = pts;

	fd = ctl_client_connect(opt->control, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "uipsec: %s\n", err);
		goto out;
	}
	r = ctl_client_call(fd, "uipsec-capture", nf, fwords, NULL, err, sizeof(err));
	if (r != 0) {
		fprintf(stderr, "%s%s\n", r < 0 ? "uipsec: " : "", err);
		goto out;
	}
	o.lines = !file;
	if (file) {
		/* 0600: the file holds decrypted traffic */
		if (strcmp(file, "-") == 0) {
			o.f = stdout;
		} else {
			int wfd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			o.f = wfd < 0 ? NULL : fdopen(wfd, "wb");
			if (wfd >= 0 && !o.f)
				close(wfd);
		}
		if (!o.f) {
			fprintf(stderr, "uipsec: cannot create %s: %s\n", file, strerror(errno));
			goto out;
		}
		if (o.pcapng)
			o.ng = pcapng_writer_new(o.f);
		else
			o.pc = pcap_writer_new(o.f, PCAP_LINKTYPE_RAW);
		if (!o.ng && !o.pc) {
			fprintf(stderr, "uipsec: cannot write %s\n", file);
			goto out;
		}
		fflush(o.f);
	}
	{
		struct vici_buf b;
		vici_buf_init(&b);
		vici_begin(&b, VICI_EVENT_REGISTER, "uipsec-capture");
		r = vici_end(&b);
		if (r == 0)
			r = ctl_client_send(fd, &b);
		vici_buf_free(&b);
		if (r < 0) {
			fprintf(stderr, "uipsec: cannot register for captures: %s\n", strerror(-r));
			goto out;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;   /* no SA_RESTART: poll returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	rc = 0;
	while (!stop && (count == 0 || seen < count)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct vici_packet pk;
		uint8_t *buf;
		size_t len;

		r = poll(&pfd, 1, 500);
		if (r <= 0)
			continue;
		r = ctl_client_recv(fd, &buf, &len, &pk);
		if (r < 0) {
			if (r != -ECONNRESET) {
				fprintf(stderr, "uipsec: control socket: %s\n", strerror(-r));
				rc = 1;
			}
			break;
		}
		if (pk.type == VICI_EVENT_UNKNOWN) {
			fprintf(stderr, "uipsec: uipsecd does not offer captures\n");
			rc = 1;
		} else if (pk.type == VICI_EVENT && !strcmp(pk.name, "uipsec-capture")) {
			if (handle_event(&o, &pk) < 0) {
				fprintf(stderr, "uipsec: cannot write %s\n", file);
				rc = 1;
			}
			seen++;
			if (o.f && file && (o.ng || o.pc))
				fflush(o.f);
		}
		mem_free_wipe(buf, len);
		if (rc)
			break;
	}
	goto out;
too_long:
	fprintf(stderr, "uipsec: capture: the filter has more than %d words\n", MAX_FILTER);
out_usage:
	rc = 2;
out:
	if (o.ng && pcapng_writer_close(o.ng) < 0)
		rc = 1;
	if (o.pc && pcap_writer_close(o.pc) < 0)
		rc = 1;
	if (o.f && o.f != stdout && fclose(o.f) != 0)
		rc = 1;
	if (file && rc == 0 && o.f != stdout)
		fprintf(stderr, "uipsec: %ld packet%s written to %s\n", seen, seen == 1 ? "" : "s", file);
	if (fd >= 0)
		close(fd);
	free(split);
	return rc;
}

const struct uipsec_cmd uipsec_cmd_capture = {
	"capture", capture_run, "pcap/pcapng of chosen points of the data path (esp-in, ..., drop)",
	capture_help,
};
