/* DNS servers to resolvconf or systemd-resolved (resolve.h): the daemon's
 * side. The union of the servers goes to the helper process as a DNS
 * request (ctl/runner.h), which runs the tool, logs its outcome and, when
 * the daemon goes, removes what it added. */
#include "resolve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

struct vip_dns {
	struct ip_addr vip;
	struct ip_addr dns[RESOLVE_SERVERS_MAX];
	unsigned n;
};

struct resolve {
	struct runner *run;
	char name[RUNNER_NAME_MAX + 1];   /* resolvconf's record, or resolvectl's link */
	struct vip_dns v[RESOLVE_VIPS_MAX];
	unsigned nv;
	struct ip_addr sent[RESOLVE_SERVERS_MAX];
	unsigned nsent;
};

struct resolve *resolve_start(struct runner *run, bool enable, const char *tun, const char *iface)
{
	struct resolve *r;

	if (!enable) {
		log_info("resolve: off (uipsecd.resolve.enable = no): DNS servers are only logged");
		return NULL;
	}
	if (!run || run->tool == RUNNER_TOOL_NONE) {
		log_info("resolve: neither resolvconf nor resolvectl found: DNS servers are only logged");
		return NULL;
	}
	if (run->fd < 0) {
		log_warn("resolve: no helper process: DNS servers are only logged");
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		log_warn("resolve: out of memory: DNS servers are only logged");
		return NULL;
	}
	r->run = run;
	if (run->tool == RUNNER_TOOL_RESOLVECTL)
		snprintf(r->name, sizeof(r->name), "%s", tun);
	else if (iface && *iface)
		snprintf(r->name, sizeof(r->name), "%s", iface);
	else
		snprintf(r->name, sizeof(r->name), "%s.uipsec", tun);
	uint8_t probe[1 + RUNNER_NAME_MAX + 2];
	if (runner_encode_dns(probe, sizeof(probe), r->name, NULL, 0) < 0) {
		log_warn("resolve: '%s' cannot be a resolver record name: DNS servers are only logged",
		         r->name);
		free(r);
		return NULL;
	}
	log_info("resolve: DNS servers go to %s (%s, helper pid %d)", run->tool_path, r->name,
	         (int)run->pid);
	return r;
}

static void send_union(struct resolve *r)
{
	struct ip_addr u[RESOLVE_SERVERS_MAX] = { 0 };
	uint8_t m[1 + RUNNER_NAME_MAX + 2 + 17 * RESOLVE_SERVERS_MAX];
	unsigned nu = 0;
	int len, e = 0;

	for (unsigned i = 0; i < r->nv; i++)
		for (unsigned k = 0; k < r->v[i].n && nu < RESOLVE_SERVERS_MAX; k++) {
			bool dup = false;
			for (unsigned j = 0; j < nu; j++)
				dup |= ip_addr_equal(&u[j], &r->v[i].dns[k]);
			if (!dup)
				u[nu++] = r->v[i].dns[k];
		}
	if (nu == r->nsent) {
		bool same = true;
		for (unsigned j = 0; j < nu; j++)
			same &= ip_addr_equal(&u[j], &r->sent[j]);
		if (same)
			return;
	}
	len = runner_encode_dns(m, sizeof(m), r->name, u, nu);
	if (len < 0 || (e = runner_send(r->run, m, (size_t)len)) < 0) {
		log_warn("resolve: cannot reach the helper (%s): DNS servers not %s",
		         strerror(len < 0 ? -len : -e), nu ? "set" : "removed");
		return;
	}
	memcpy(r->sent, u, sizeof(u[0]) * nu);
	r->nsent = nu;
}

void resolve_set(struct resolve *r, const struct ip_addr *vip, const struct ip_addr *dns,
                 unsigned n)
{
	unsigned i;

	if (!r)
		return;
	for (i = 0; i < r->nv && !ip_addr_equal(&r->v[i].vip, vip); i++)
		;
	if (!n) {
		if (i == r->nv)
			return;
		r->v[i] = r->v[--r->nv];
	} else {
		if (i == r->nv) {
			if (r->nv == RESOLVE_VIPS_MAX) {
				log_warn("resolve: more than %d virtual IPs with DNS servers: those of the "
				         "newest not set", RESOLVE_VIPS_MAX);
				return;
			}
			r->nv++;
		}
		r->v[i].vip = *vip;
		r->v[i].n = n < RESOLVE_SERVERS_MAX ? n : RESOLVE_SERVERS_MAX;
		memcpy(r->v[i].dns, dns, sizeof(dns[0]) * r->v[i].n);
	}
	send_union(r);
}

void resolve_free(struct resolve *r)
{
	free(r);
}
