/* The remote-access part of swanctl.conf, kept apart from the rest of
 * the parser: the top-level `pools` section (pools { NAME { addrs, dns,
 * nbns, subnet } }) and the connection options `vips` and `pools`, as
 * strongSwan 5.9.8 defines them (swanctl.conf(5)). What uipsec does not
 * do is refused with file, line and option (the option table says which:
 * conf_options.c's pools rows): addrs = dhcp/radius, the refused
 * attributes and numeric attribute types; a vips entry other than 0.0.0.0
 * or ::.
 *
 * The model types live in conf.h (struct conf_pool, conf_conn.vips,
 * conf_conn.pools). Layering: conf uses util and net only. */
#ifndef UIPSEC_CONF_CONF_POOLS_H
#define UIPSEC_CONF_CONF_POOLS_H

#include <stddef.h>

#include "conf/conf.h"
#include "conf/conf_settings.h"

struct builder;
/* Build c->pools from the `pools` section s (conf.c's builder: every error
 * reported at its place, the option names and refusals from the table,
 * conf_options.c). 0 or -ENOMEM. */
int conf_pools_build(struct builder *b, const struct conf_section *s, struct conf *c);
/* connections.<conn>.vips = 0.0.0.0, :: (families into cn->vips). */
int conf_vips_parse(const struct conf_kv *kv, const char *path, struct conf_conn *cn, char *err,
                    size_t errlen);
/* connections.<conn>.pools = NAME, ... (into cn->pools). */
int conf_conn_pools_parse(const struct conf_kv *kv, const char *path, struct conf_conn *cn,
                          char *err, size_t errlen);
/* Every connection's pools name a pool of c. 0 or -EINVAL (err). For a
 * whole file (uipsec load, start-up): a connection given alone (VICI
 * load-conn) may name a pool loaded otherwise, as in charon, where a
 * missing pool shows only when a client asks ("pool ... is not loaded"). */
int conf_pools_check(const struct conf *c, char *err, size_t errlen);
void conf_pools_free(struct conf *c);
void conf_conn_ra_free(struct conf_conn *cn);

#endif
