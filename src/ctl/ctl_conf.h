/* What of swanctl.conf the IKE core can do: a check run on every
 * connection before ike_ctl.c maps it to an ike_conn_cfg. The model
 * (src/conf/) can express more than the IKE core does so far; anything a
 * connection sets that the mapping would otherwise drop or bend is refused
 * here with the connection's or child's file:line and the option, so that
 * nothing written in the file is silently ignored on its way to IKE.
 * Relax a rule here when the IKE core learns the feature. */
#ifndef UIPSEC_CTL_CTL_CONF_H
#define UIPSEC_CTL_CTL_CONF_H

#include <stddef.h>

struct conf_conn;

/* 0 if the IKE core can run cn as configured; otherwise -EINVAL with
 * "file:line: connections.NAME.option: reason" in err. */
int ctl_conf_check(const struct conf_conn *cn, char *err, size_t errlen);

#endif
