/* The IKE side of uipsecd's control plane: turning the swanctl.conf model
 * (src/conf/) into IKE connections (src/ike/), and the control command
 * "uipsec-ike" behind `uipsec load|list-conns|list-sas|ike-stats` (initiate,
 * terminate and rekey are VICI's own commands: ctl/vici_swanctl.h).
 * Runs on the daemon's loop. */
#ifndef UIPSEC_CTL_IKE_CTL_H
#define UIPSEC_CTL_IKE_CTL_H

#include <stddef.h>

struct conf;
struct ctl_creds;
struct ctl_server;
struct ike_ctx;

/* IKE's defaults for proposals written as "default" (strongSwan's set,
 * restricted to what uipsec implements). */
#define IKE_CTL_DEFAULT_IKE \
	"aes128-aes256-sha256-sha384-sha512-x25519-ecp256-ecp384-modp3072-modp2048, " \
	"aes128gcm16-aes256gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-x25519-ecp256-ecp384-modp3072-modp2048"
#define IKE_CTL_DEFAULT_ESP \
	"aes128gcm16-aes256gcm16-chacha20poly1305, aes128-aes256-sha256-sha384-sha512"

/* Load every connection of c into ike (replacing those of the same name)
 * and remove connections that c no longer has (c must not be read with
 * CONF_MODEL_ONLY). On an error nothing is changed for that connection,
 * the others are still loaded, and err gets one line per failed
 * connection ("gw.conf:3:2: connections.gw: no pre-shared key in secrets
 * for ..."); nothing is logged here, so that the caller reports each once.
 * Returns the number of connections loaded or a negative errno (the first
 * error). */
int ike_ctl_apply(struct ike_ctx *ike, const struct conf *c, char *err, size_t errlen);

/* The same without unloading anything: the connections of c are added
 * (replacing those of the same name), the others stay (VICI load-conn);
 * err as ike_ctl_apply's. */
int ike_ctl_add(struct ike_ctx *ike, const struct conf *c, char *err, size_t errlen);

/* The pools section of c as the IKE core's pool configurations (*out:
 * malloc'd, the caller frees; source IKE_POOL_FILE): their number, or
 * -ENOMEM / -EINVAL (more attribute values than a pool holds, in err). */
struct ike_pool_cfg;
int ike_ctl_pool_cfgs(const struct conf *c, struct ike_pool_cfg **out, char *err, size_t errlen);

/* Read conf_path (as uipsecd does: conf_load without CONF_MODEL_ONLY) and
 * apply it; err as conf_load's or ike_ctl_apply's. */
int ike_ctl_load_file(struct ike_ctx *ike, const char *conf_path, char *err, size_t errlen);
/* The same, first loading swanctl's credential folders beside conf_path
 * (x509/, x509ca/, x509crl/, private/, ..., passphrases from the file's
 * secrets section) into a new store for creds, which auth = pubkey
 * connections then use. The report of what was loaded is logged. */
int ike_ctl_load_file_creds(struct ike_ctx *ike, const char *conf_path, struct ctl_creds *creds,
                            char *err, size_t errlen);

struct ike_ctl {
	struct ctl_server *srv;
	struct ike_ctx *ike;
	const char *conf_path;
	/* called before "load" reads conf_path (NULL: none); the daemon
	 * checks the files' permissions there (cmd/uipsecd/conf_perm.h) */
	void (*on_load)(void *ctx, const char *path);
	void *on_load_ctx;
	/* the credentials (swanctl's folders next to conf_path), loaded with
	 * the connections; NULL: none (auth = pubkey cannot be used) */
	struct ctl_creds *creds;
};

/* Register "uipsec-ike" (argv: load | list-conns | list-sas | list-certs
 * [--utc] | list-pools | stats | ike-stats). 0 or -errno. */
int ike_ctl_register(struct ike_ctl *ic);

#endif
