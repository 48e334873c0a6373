/* The IKE core's side of swanctl.conf support (see ctl_conf.h): one rule
 * per model field whose non-default values ike_ctl.c cannot carry into an
 * ike_conn_cfg / ike_child_cfg. */
#include "ctl/ctl_conf.h"
#include "conf/conf.h"
#include "ike/ike.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 6, 7)))
static int refuse(char *err, size_t errlen, const char *file, unsigned line, const char *path,
                  const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return -EINVAL;
	n = snprintf(err, errlen, "%s:%u: %s: ", file ? file : "?", line, path);
	if (n < 0 || (size_t)n >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* local_addrs / remote_addrs: the IKE core has one address per side, or
 * %any (remote: any peer, responder only; local: the address the routing
 * picks to reach remote_addrs when initiating, as charon does); ike_ctl.c
 * resolves host names. */
static const char *addrs_why(const struct conf_addr *a, size_t n)
{
	if (n == 0)
		return NULL;
	if (n != 1)
		return "uipsec takes exactly one address here";
	switch (a[0].kind) {
	case CONF_ADDR_IP:
	case CONF_ADDR_DNS:
	case CONF_ADDR_ANY:
		return NULL;
	default:
		return "subnets and ranges are not supported by uipsec here; write one address";
	}
}

static const char *ts_why(const struct conf_ts *ts, size_t n)
{
	if (n > IKE_TS_MAX)
		return "more than 8 traffic selectors";
	for (size_t i = 0; i < n; i++) {
		if (!ts[i].dynamic)
			continue;
		if (n > 1)
			return "dynamic mixed with other traffic selectors is not supported by uipsec";
		if (ts[i].proto || ts[i].port_from != 0 || ts[i].port_to != 65535)
			return "dynamic with [proto/port] is not supported by uipsec yet";
	}
	return NULL;
}

static int check_child(const struct conf_child *ch, const char *cpath, char *err, size_t errlen)
{
	char path[600];
	const char *why;
	const char *f = ch->file;
	unsigned l = ch->line;

#define P(opt) (snprintf(path, sizeof(path), "%s.%s", cpath, opt), path)
	if ((why = ts_why(ch->local_ts, ch->nlocal_ts)))
		return refuse(err, errlen, f, l, P("local_ts"), "%s", why);
	if ((why = ts_why(ch->remote_ts, ch->nremote_ts)))
		return refuse(err, errlen, f, l, P("remote_ts"), "%s", why);
	if (ch->start_action == (CONF_ACTION_TRAP | CONF_ACTION_START))
		return refuse(err, errlen, f, l, P("start_action"),
		              "trap|start is not supported by uipsec's IKE yet (use trap or start)");
	if (ch->close_action == (CONF_ACTION_TRAP | CONF_ACTION_START))
		return refuse(err, errlen, f, l, P("close_action"),
		              "trap|start is not supported by uipsec's IKE yet (use trap or start)");
	if (ch->dpd_action == (CONF_ACTION_TRAP | CONF_ACTION_START))
		return refuse(err, errlen, f, l, P("dpd_action"),
		              "trap|start is not a dpd_action (clear, trap or restart)");
	if (ch->rekey_time > UINT32_MAX || ch->life_time > UINT32_MAX || ch->rand_time > UINT32_MAX)
		return refuse(err, errlen, f, l, P("life_time"), "longer than 136 years");
	if (ch->updown)
		return refuse(err, errlen, f, l, P("updown"), "updown scripts are not supported by uipsec");
#undef P
	return 0;
}

int ctl_conf_check(const struct conf_conn *cn, char *err, size_t errlen)
{
	char cpath[300], path[600];
	const char *why, *f = cn->file;
	unsigned l = cn->line;
	int rc;

	snprintf(cpath, sizeof(cpath), "connections.%s", cn->name);
#define P(opt) (snprintf(path, sizeof(path), "%s.%s", cpath, opt), path)
	if (strlen(cn->name) >= 64)
		return refuse(err, errlen, f, l, cpath, "connection name longer than 63 characters");
	if ((why = addrs_why(cn->local_addrs, cn->nlocal_addrs)))
		return refuse(err, errlen, f, l, P("local_addrs"), "%s", why);
	if ((why = addrs_why(cn->remote_addrs, cn->nremote_addrs)))
		return refuse(err, errlen, f, l, P("remote_addrs"), "%s", why);
	if (cn->dpd_delay > UINT32_MAX || cn->rekey_time > UINT32_MAX ||
	    cn->reauth_time > UINT32_MAX || cn->over_time > UINT32_MAX || cn->rand_time > UINT32_MAX)
		return refuse(err, errlen, f, l, cpath, "times longer than 136 years");
	if (cn->unique == CONF_UNIQUE_KEEP || cn->unique == CONF_UNIQUE_REPLACE)
		return refuse(err, errlen, f, l, P("unique"),
		              "keep and replace are not supported by uipsec's IKE yet (no, never)");
	for (size_t i = 0; i < cn->nchildren; i++) {
		char chp[400];

		if (strlen(cn->children[i].name) >= 64)
			return refuse(err, errlen, cn->children[i].file, cn->children[i].line, P("children"),
			              "child name '%s' longer than 63 characters", cn->children[i].name);
		snprintf(chp, sizeof(chp), "%s.children.%s", cpath, cn->children[i].name);
		if ((rc = check_child(&cn->children[i], chp, err, errlen)))
			return rc;
	}
#undef P
	return 0;
}
