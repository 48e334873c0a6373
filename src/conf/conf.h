/* The configuration model: strongSwan's swanctl.conf (connections and
 * secrets), read from a file and checked against the option table
 * (conf_options.h, which declares each option once: its type, default,
 * field below and whether uipsec supports it), with strongSwan's defaults
 * applied. Options uipsec does not support are errors that name the file,
 * line, column and option; nothing is silently ignored.
 *
 * A loaded struct conf is immutable: read its arrays directly,
 *   for (size_t i = 0; i < c->nconns; i++)
 *       for (size_t j = 0; j < c->conns[i].nchildren; j++) ...
 * or use the lookup helpers below. conf_free() wipes the secrets.
 *
 * Proposal strings are kept as written (one string per comma-separated
 * proposal, e.g. "aes256gcm16-prfsha256-x25519"; "default" if not set);
 * src/ike/ike_proposal.c turns them into transforms.
 *
 * Layering: conf uses util and net only. */
#ifndef UIPSEC_CONF_CONF_H
#define UIPSEC_CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"

/* ---- identities (RFC 7296 section 3.5) ---- */

/* The ID type numbers of RFC 7296 section 3.5; CONF_ID_ANY (0) is
 * strongSwan's %any, which matches every identity and is never sent. */
enum conf_id_type {
	CONF_ID_ANY = 0,
	CONF_ID_IPV4_ADDR = 1,
	CONF_ID_FQDN = 2,
	CONF_ID_RFC822_ADDR = 3,
	CONF_ID_IPV6_ADDR = 5,
	CONF_ID_DER_ASN1_DN = 9,
	CONF_ID_DER_ASN1_GN = 10,
	CONF_ID_KEY_ID = 11,
};

#define CONF_ID_MAX 256

/* An identity as it goes into an IDi/IDr payload: type and data (IPv4: 4
 * bytes, IPv6: 16, FQDN/RFC822: the text without a NUL, KEY_ID: bytes). */
struct conf_id {
	uint8_t type;             /* enum conf_id_type, or another number given as {N}: */
	uint16_t len;
	uint8_t data[CONF_ID_MAX];
};

/* Parse an identity with strongSwan's rules (identification.c):
 *   "" %any %any6 * 0.0.0.0 ::      -> ANY
 *   192.0.2.1 / 2001:db8::1         -> IPV4_ADDR / IPV6_ADDR
 *   gw.example.org, @gw.example.org -> FQDN ("@" dropped)
 *   user@example.org, @@user        -> RFC822_ADDR
 *   @#0a0b..                        -> KEY_ID from hex
 *   other text containing ':'       -> KEY_ID (the text)
 *   ipv4: ipv6: rfc822: email: userfqdn: fqdn: dns: keyid: {N}: prefixes
 *     give the type; the rest is used as is, or as hex after '#'.
 * Distinguished names (text with '=', asn1dn:, asn1gn:) are rejected: uipsec
 * authenticates with pre-shared keys only. Returns 0 or -EINVAL; *why (if
 * non-NULL) gets a static explanation on error. */
int conf_id_parse(const char *s, struct conf_id *out, const char **why);

/* Print an identity the way strongSwan does (%any, 192.0.2.1, the FQDN,
 * KEY_ID as text if printable else hex). Returns buf. */
const char *conf_id_fmt(const struct conf_id *id, char *buf, size_t buflen);

/* Exact equality (FQDN and RFC822 compare case-insensitively). */
bool conf_id_equal(const struct conf_id *a, const struct conf_id *b);

/* How well id matches pattern, as strongSwan's id_match_t: NONE 0, ANY 1
 * (pattern is %any or "*"), ONE_WILDCARD 19 (pattern "*.example.org"
 * matches "gw.example.org"), PERFECT 20. */
enum conf_id_match {
	CONF_ID_MATCH_NONE = 0,
	CONF_ID_MATCH_ANY = 1,
	CONF_ID_MATCH_ONE_WILDCARD = 19,
	CONF_ID_MATCH_PERFECT = 20,
};
enum conf_id_match conf_id_match(const struct conf_id *id, const struct conf_id *pattern);

/* ---- addresses and traffic selectors ---- */

/* One entry of local_addrs/remote_addrs. */
enum conf_addr_kind {
	CONF_ADDR_ANY,            /* %any (family 0), %any4, %any6 */
	CONF_ADDR_IP,             /* one address: from */
	CONF_ADDR_PREFIX,         /* from/prefixlen (host bits cleared) */
	CONF_ADDR_RANGE,          /* from-to, inclusive */
	CONF_ADDR_DNS,            /* a host name, resolved when used */
};

struct conf_addr {
	uint8_t kind;             /* enum conf_addr_kind */
	uint8_t family;           /* AF_INET, AF_INET6, 0 (any family / DNS) */
	uint8_t prefixlen;
	struct ip_addr from, to;  /* PREFIX: from = network, to = last address */
	char *dns;                /* CONF_ADDR_DNS only */
};

/* Parse one address entry. Returns 0 or -EINVAL. out->dns is malloc'd. */
int conf_addr_parse(const char *s, struct conf_addr *out);
/* True if a lies inside entry (ANY of the right family, IP, PREFIX, RANGE;
 * never for DNS). */
bool conf_addr_contains(const struct conf_addr *entry, const struct ip_addr *a);

/* A traffic selector: "10.1.0.0/24", "10.1.0.5-10.1.0.9", "192.0.2.1",
 * "dynamic", each optionally followed by "[proto/port]" as in
 * swanctl.conf(5): "[tcp]", "[udp/53]", "[tcp/1000-2000]", "[icmp/8]",
 * "[any/opaque]". Ports are a range, 0-65535 for any, and 65535-0 for
 * OPAQUE (RFC 4301). ICMP type/code go into the port as strongSwan does. */
struct conf_ts {
	bool dynamic;             /* replaced by the IKE address (or virtual IP) */
	uint8_t family;           /* AF_INET/AF_INET6; 0 if dynamic */
	int16_t prefixlen;        /* written as CIDR: its length; range: -1 */
	struct ip_addr from, to;  /* inclusive address range */
	uint8_t proto;            /* 0 = any */
	uint16_t port_from, port_to;
};

int conf_ts_parse(const char *s, struct conf_ts *out, const char **why);
/* "10.1.0.0/24[tcp/80]" style text. Returns buf. */
const char *conf_ts_fmt(const struct conf_ts *ts, char *buf, size_t buflen);

/* ---- the model ---- */

/* Where something was written: file (the model's file table), line and
 * column (of the key, for an option). */
struct conf_loc {
	const char *file;
	unsigned line, col;
};

struct conf_opt;

/* An option a section set, and where (for messages about its value that
 * only a later stage can give, such as IKE's proposal parser). */
struct conf_seen {
	const struct conf_opt *opt;   /* its row of the option table */
	struct conf_loc loc;
};

/* What uipsecd's IKE core carries; longer lists and names are refused
 * where they are written (ctl/ctl_conf.c checks at compile time that these
 * match the IKE core's limits). */
#define CONF_TS_MAX 8             /* traffic selectors per side of a child */
#define CONF_NAME_MAX 63          /* connection and child names */
/* Same limit as REPLAY_WINDOW_MAX of the data plane (xfrm/replay.h), which
 * conf may not include. */
#define CONF_REPLAY_WINDOW_MAX 8192

/* The auth values of swanctl.conf; the option table (conf_options.c,
 * auth_vals) says which uipsec takes: psk only, so far. */
enum conf_auth_method {
	CONF_AUTH_PSK = 1,
	CONF_AUTH_PUBKEY,         /* pubkey, rsa, ecdsa, bliss, ike:... */
	CONF_AUTH_EAP,            /* eap, eap-<method> */
	CONF_AUTH_XAUTH,          /* IKEv1 */
};

/* One authentication round (uipsec supports exactly one per side). */
struct conf_auth {
	uint8_t method;           /* enum conf_auth_method */
	bool has_id;              /* false: local uses its IKE address (pubkey: the
	                           * certificate's subject), remote %any */
	struct conf_id id;        /* a distinguished name is kept as its text
	                           * (CONF_ID_DER_ASN1_DN; made DER by ctl/ctl_creds) */
	/* auth = as written ("pubkey", "rsa/pss-sha256", "ike:ecdsa-sha384"):
	 * public-key authentication reads its signature constraints from it */
	char *auth;
	/* public-key authentication (auth = pubkey, rsa, ecdsa, ike:...) */
	char **certs;   size_t ncerts;     /* certs: files in x509/ (or absolute) */
	char **pubkeys; size_t npubkeys;   /* pubkeys: raw keys in pubkey/ */
	char **cacerts; size_t ncacerts;   /* remote.cacerts: in x509ca/ */
	char *ca_id;                       /* remote.ca_id */
	uint8_t revocation;                /* remote.revocation: enum conf_revocation */
	/* EAP (auth = eap, eap-mschapv2): eap_id (unset: the IKE identity;
	 * CONF_ID_ANY for %any) */
	bool has_eap_id;
	struct conf_id eap_id;
};

/* remote.revocation, as swanctl.conf(5) */
enum conf_revocation { CONF_REVOCATION_RELAXED = 0, CONF_REVOCATION_IFURI,
                       CONF_REVOCATION_STRICT };
/* send_cert */
enum conf_send_cert { CONF_SEND_CERT_IFASKED = 0, CONF_SEND_CERT_ALWAYS, CONF_SEND_CERT_NEVER };

enum conf_mode { CONF_MODE_TUNNEL = 1, CONF_MODE_TRANSPORT = 2 };

/* start_action, close_action and dpd_action are sets of these bits, as in
 * charon 5.9.8: none/clear = 0, trap (route) = TRAP, start (restart) =
 * START, "trap|start" = both. */
enum conf_action { CONF_ACTION_NONE = 0, CONF_ACTION_TRAP = 1, CONF_ACTION_START = 2 };
#define CONF_START_TRAP  CONF_ACTION_TRAP
#define CONF_START_START CONF_ACTION_START

enum conf_unique { CONF_UNIQUE_NO = 0, CONF_UNIQUE_NEVER, CONF_UNIQUE_KEEP, CONF_UNIQUE_REPLACE };
enum conf_frag { CONF_FRAG_YES = 0, CONF_FRAG_ACCEPT, CONF_FRAG_FORCE, CONF_FRAG_NO };
/* childless (RFC 6023), strongSwan 5.9.8's values */
enum conf_childless { CONF_CHILDLESS_ALLOW = 0, CONF_CHILDLESS_FORCE, CONF_CHILDLESS_NEVER };

struct conf_child {
	char *name;
	char *path;               /* "connections.gw.children.net" */
	const char *file;         /* where the section was first written */
	unsigned line, col;
	struct conf_ts *local_ts;  size_t nlocal_ts;   /* default: one dynamic */
	struct conf_ts *remote_ts; size_t nremote_ts;
	char **esp_proposals;      size_t nesp_proposals; /* default: "default" */
	uint8_t mode;             /* enum conf_mode, default tunnel */
	uint8_t start_action;     /* CONF_ACTION_* bits, default 0 (none) */
	uint8_t close_action;     /* CONF_ACTION_* bits, default 0 (none) */
	uint8_t dpd_action;       /* CONF_ACTION_* bits, default 0 ("clear") */
	uint64_t rekey_time;      /* seconds, default 1h */
	uint64_t life_time;       /* default rekey_time + 10% */
	uint64_t rand_time;       /* default life_time - rekey_time (0 if less) */
	uint64_t rekey_bytes;     /* volume limits, default 0 = none; */
	uint64_t life_bytes;      /* life defaults to rekey + 10%, */
	uint64_t rand_bytes;      /* rand to life - rekey (as the times) */
	uint64_t rekey_packets;
	uint64_t life_packets;
	uint64_t rand_packets;
	uint32_t replay_window;   /* packets, default 32, 0 = off */
	char *updown;             /* script path or NULL */
	bool hostaccess;          /* default no */
	struct conf_seen *seen;   size_t nseen;   /* the options written */
};

struct conf_conn {
	char *name;
	char *path;               /* "connections.gw" */
	const char *file;
	unsigned line, col;
	unsigned version;         /* as written: 0 (any; initiates IKEv2) or 2 */
	struct conf_addr *local_addrs;  size_t nlocal_addrs;   /* default %any */
	struct conf_addr *remote_addrs; size_t nremote_addrs;
	uint16_t local_port;      /* default 500 */
	uint16_t remote_port;     /* default 500 */
	char **proposals;         size_t nproposals;           /* default "default" */
	bool encap;               /* default no */
	uint8_t send_cert;        /* enum conf_send_cert, default ifasked */
	bool send_certreq;        /* default yes */
	bool mobike;              /* default yes */
	uint8_t fragmentation;    /* enum conf_frag, default yes */
	uint8_t unique;           /* enum conf_unique, default no */
	uint8_t childless;        /* enum conf_childless, default allow */
	uint32_t keyingtries;     /* default 1, 0 = forever */
	uint64_t dpd_delay;       /* seconds, default 0 (off) */
	uint64_t dpd_timeout;     /* IKEv1 only in strongSwan; kept, default 0 */
	uint64_t rekey_time;      /* default 4h (0 if only reauth_time is set) */
	uint64_t reauth_time;     /* default 0 (off) */
	uint64_t over_time;       /* default 10% of max(rekey, reauth) */
	uint64_t rand_time;       /* default min(over_time, rekey-or-reauth / 2) */
	struct conf_auth local, remote;
	struct conf_child *children; size_t nchildren;
	struct conf_seen *seen;   size_t nseen;   /* the options written */
	/* remote access (conf_pools.c): the families of the virtual IPs a
	 * client requests (vips = 0.0.0.0 / :: or an address; AF_INET,
	 * AF_INET6) and the address asked for (vip_req, zero: any), and the
	 * pools a gateway leases from (pools = NAME, ...) */
	uint8_t vips[2];           size_t nvips;
	struct ip_addr vip_req[2];
	char **pools;              size_t npools;
};

/* A virtual IP pool (pools { NAME { addrs = ...; dns = ...; ... } }). */
struct conf_pool {
	char *name;
	const char *file;
	unsigned line;
	struct conf_addr addrs;   /* CONF_ADDR_PREFIX or CONF_ADDR_RANGE (or IP: one) */
	struct ip_addr *dns;      size_t ndns;
	struct ip_addr *nbns;     size_t nnbns;
	struct conf_addr *subnets; size_t nsubnets;  /* subnet = CIDR, ... (PREFIX or IP) */
};

/* An IKE pre-shared key (secrets { ike<suffix> { id<suffix>, secret } }),
 * or an EAP password (secrets { eap<suffix> { ... } }, eap set). */
struct conf_secret {
	char *name;               /* section name, e.g. "ike-gw" */
	bool eap;                 /* an eap<suffix> section */
	struct conf_id *ids;      size_t nids;  /* none: applies to any peer */
	uint8_t *secret;          /* decoded: text, 0x hex or 0s base64 */
	size_t secret_len;
};

/* A private key's passphrase (secrets { private<suffix> { file = ...;
 * secret = ... } }, and rsa, ecdsa, pkcs8 alike): the decryption secret
 * for the key file of that name in the folder the section's type names. */
struct conf_keysecret {
	char *name;               /* section name, e.g. "private-gw" */
	char *file;               /* the file's name in private/ (rsa/, ...) */
	uint8_t *secret;          /* decoded: text, 0x hex or 0s base64 (wiped) */
	size_t secret_len;
};

struct conf {
	struct conf_conn *conns;     size_t nconns;
	struct conf_secret *secrets; size_t nsecrets;
	struct conf_keysecret *keys; size_t nkeys;    /* private key passphrases */
	struct conf_pool *pools;     size_t npools;
	char **files;                size_t nfiles;   /* every file read, in order */
	bool model_only;             /* read with CONF_MODEL_ONLY: not for uipsecd */
};

/* Flags of conf_load and conf_parse_buffer.
 * CONF_NO_INCLUDE: "include" is an error (fuzzing, untrusted input).
 * CONF_MODEL_ONLY: accept everything the model holds, also what uipsecd
 *   cannot run yet (options read only with their default, values beyond
 *   its IKE core's limits: conf_options.h, CONF_SUP_MODEL and .runs); for
 *   tests and tools of the model. Without it those are refused too. */
#define CONF_NO_INCLUDE 1u
#define CONF_MODEL_ONLY 2u

/* Read and check a swanctl.conf file (and its includes) against the option
 * table (conf_options.h). On success *out is a new model (free with
 * conf_free) and 0 is returned; on failure a negative errno, *out is NULL
 * and err holds every error of the file, one line each, each error once,
 * at the place it was written, such as
 *   "/etc/uipsec/swanctl.conf:12:9: connections.gw.children.net.inactivity:
 *    not supported: closing idle CHILD_SAs, not yet in uipsec"
 *   "/etc/uipsec/swanctl.conf:14:9: connections.gw.children.net.rekey_tme:
 *    unknown option"
 * (a syntax error stops at the first). Lines that do not fit errlen are
 * summed up in a last line "... and N more errors". */
int conf_load(const char *path, unsigned flags, struct conf **out, char *err, size_t errlen);

/* The same for an in-memory file. name is used in messages and as the base
 * of relative includes. */
int conf_parse_buffer(const char *buf, size_t len, const char *name, unsigned flags,
                      struct conf **out, char *err, size_t errlen);

/* Where the option whose value is the model field at off was written (the
 * section's own place if it was not), for messages about a value that
 * only a later stage can judge (IKE's proposal parser, a host name that
 * does not resolve); its path ("connections.gw.proposals") goes into
 * path. off: offsetof(struct conf_conn, proposals), or of struct
 * conf_child for conf_child_where. The option is named by its field, so
 * that its name stays written once, in the option table. */
struct conf_loc conf_conn_where(const struct conf_conn *cn, size_t off, char *path, size_t len);
struct conf_loc conf_child_where(const struct conf_child *ch, size_t off, char *path, size_t len);

/* Free the model; pre-shared keys are wiped. NULL is fine. */
void conf_free(struct conf *c);

/* Lookups by name; NULL if absent. */
const struct conf_conn *conf_conn_find(const struct conf *c, const char *name);
const struct conf_child *conf_child_find(const struct conf_conn *conn, const char *name);

/* The IKE pre-shared key for local identity me and remote identity other,
 * chosen as charon does: each secret scores the best match of its ids
 * against me and against other (a secret without ids matches %any); a
 * secret matching neither is skipped; the best match on other wins, then
 * the best match on me; the first defined wins ties. Either id may be
 * NULL. Returns NULL if none fits. */
const struct conf_secret *conf_secret_find_ike(const struct conf *c, const struct conf_id *me,
                                               const struct conf_id *other);

#endif
