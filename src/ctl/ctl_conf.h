/* The swanctl.conf model (src/conf/) turned into an IKE connection (struct
 * ike_conn_cfg, src/ike/ike.h): the one place where a supported option
 * reaches the IKE core. Which options exist, their defaults and what
 * uipsecd can run is the option table's (conf/conf_options.h): a file read
 * without CONF_MODEL_ONLY holds only what the IKE core can carry, each
 * refusal already reported at its line. What is left here is what only
 * the IKE side knows: host names resolved, the proposals as IKE's parser
 * reads them, the pre-shared key chosen by identities. These errors name
 * the place of the option concerned. */
#ifndef UIPSEC_CTL_CTL_CONF_H
#define UIPSEC_CTL_CTL_CONF_H

#include <stddef.h>

struct conf;
struct conf_conn;
struct creds;
struct ike_conn_cfg;

/* What public-key authentication needs besides the model: the credential
 * store loaded from swanctl's folders, and the folder of swanctl.conf
 * (certs = names are relative to its x509/, ...). */
struct ctl_conf_env {
	struct creds *store;
	const char *confdir;
};

/* Fill *cfg (zeroed first) from connection cc of c. env may be NULL (no
 * credentials: auth = pubkey is refused). 0, or -EINVAL with
 * "file:line:col: connections.NAME.option: reason" in err (also when c was
 * read with CONF_MODEL_ONLY). cfg holds the PSK: wipe it after use; free
 * cfg->children (allocated here, also on error) before; the certificates
 * in cfg->local_pk/remote_pk are the store's (ike_conn_add takes its own
 * references). */
int ctl_conf_to_ike(const struct conf *c, const struct conf_conn *cc,
                    const struct ctl_conf_env *env, struct ike_conn_cfg *cfg, char *err,
                    size_t errlen);

struct ike_ctx;
/* The pre-shared keys of c's secrets section (ike-NAME, with their
 * owners) into ike's table (ike_psks_set): IKE_AUTH chooses among them
 * by identity. 0 or -errno with a reason in err. */
int ctl_conf_psks_apply(struct ike_ctx *ike, const struct conf *c, char *err, size_t errlen);

#endif
