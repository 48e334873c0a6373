/* The swanctl.conf option table (conf_options.h): every option and section
 * of strongSwan 5.9.8's swanctl.conf(5), in the man page's order, with
 * what uipsec does with it, and its lookups. The parser (conf.c,
 * conf_build.c) reads nothing but this table to know what an option is;
 * the lists, the man page and the example file are written from it by
 * conf_options_doc.c. Pure data and pure functions. */
#include "conf/conf_options.h"
#include "conf/conf.h"
#include "conf/conf_pools.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

/* Where a value goes: field f of model struct st (and a second field). */
#define AT(st, f)      .off = offsetof(struct st, f), .size = sizeof(((struct st *)0)->f)
#define AT2(st, f, g)  .off = offsetof(struct st, f), .off2 = offsetof(struct st, g), \
                       .size = sizeof(((struct st *)0)->f)
/* A real strongSwan option uipsec refuses wherever it is written. */
#define REFUSED(why_)  .type = CONF_T_TEXT, .sup = CONF_SUP_NO, .why = why_
/* ... accepted only as the values that change nothing for uipsec (what it
 * does anyway: no mark, no offload, IKEv2's no-ops of IKEv1 settings) */
#define NOOP(v_)       .noop = v_
#define MARK0          "0, 0/0x00000000"

#define CONN     CONF_SC(CONF_SC_CONN)
#define LOCAL    CONF_SC(CONF_SC_LOCAL)
#define REMOTE   CONF_SC(CONF_SC_REMOTE)
#define AUTH     (LOCAL | REMOTE)
#define CERT     CONF_SC(CONF_SC_CERT)
#define CHILD    CONF_SC(CONF_SC_CHILD)

/* Reasons shared by several options. */
#define R_CERT    "this form of certificate configuration (uipsec reads certificates from certs = and cacerts = and swanctl's x509 folders)"
#define R_EAP     "this EAP method (uipsec has EAP-MSCHAPv2: auth = eap-mschapv2)"
#define R_EAPSEC  "NT hash secrets (write the password in an eap section)"
#define R_AAA     "EAP through a AAA server (eap-radius)"
#define R_IKEV1   "an IKEv1 setting (uipsec speaks IKEv2 only)"
#define R_XAUTH   "XAuth, an IKEv1 extension (uipsec speaks IKEv2 only)"
#define R_PPK     "postquantum preshared keys (RFC 8784)"
#define R_MED     "the IKEv2 mediation extension"
#define R_IFID    "XFRM interface IDs (uipsec's decrypted traffic has its own TUN device)"
#define R_MARK    "marks"
#define R_LABEL   "security labels"
#define R_KERNEL  "a setting of the Linux kernel's IPsec, which uipsec's data path does not have"
#define R_TOKEN   "smartcards and PKCS#11 tokens"
#define R_TRAPSTART "trap|start, not yet in uipsec's IKE (use trap or start)"
#define R_DPDTRAPSTART "trap|start (a dpd_action is clear, trap or restart)"
#define R_U32     "a time longer than 136 years"

/* ---- what uipsecd's IKE core can carry (the .runs checks) ----------------
 * The limits are conf's own copies of the IKE core's (IKE_TS_MAX, the name
 * lengths); ctl/ctl_conf.c checks at compile time that they agree. */

#define FIELD(obj, off, T) (*(const T *)(const void *)((const char *)(obj) + (off)))

static const char *runs_u32(const struct conf_opt *o, const void *obj)
{
	return FIELD(obj, o->off, uint64_t) > UINT32_MAX ? o->why : NULL;
}

/* local_addrs / remote_addrs: one address per side, or %any (remote: any
 * peer, responder only; local: the address the routing picks to reach
 * remote_addrs when initiating, as charon does); ctl resolves host names. */
static const char *runs_addrs(const struct conf_opt *o, const void *obj)
{
	const struct conf_addr *a = FIELD(obj, o->off, struct conf_addr *);
	size_t n = FIELD(obj, o->off2, size_t);

	if (n == 0)
		return NULL;
	if (n != 1)
		return "more than one address (uipsecd takes one per side)";
	switch (a[0].kind) {
	case CONF_ADDR_IP:
	case CONF_ADDR_DNS:
	case CONF_ADDR_ANY:
		return NULL;
	default:
		return "subnets and ranges here (write one address)";
	}
}

static const char *runs_tss(const struct conf_opt *o, const void *obj)
{
	const struct conf_ts *ts = FIELD(obj, o->off, struct conf_ts *);
	size_t n = FIELD(obj, o->off2, size_t);

	if (n > CONF_TS_MAX)
		return "more than 8 traffic selectors";
	for (size_t i = 0; i < n; i++) {
		if (!ts[i].dynamic)
			continue;
		if (n > 1)
			return "dynamic mixed with other traffic selectors";
		if (ts[i].proto || ts[i].port_from != 0 || ts[i].port_to != 65535)
			return "dynamic with [proto/port], not yet in uipsec";
	}
	return NULL;
}

static const char *runs_actions(const struct conf_opt *o, const void *obj)
{
	return FIELD(obj, o->off, uint8_t) == (CONF_ACTION_TRAP | CONF_ACTION_START) ? o->why : NULL;
}

/* ---- remote access: conf_pools.c parses these ---------------------------- */

static int parse_vips(const struct conf_kv *kv, const char *path, void *obj, char *err,
                      size_t errlen)
{
	return conf_vips_parse(kv, path, obj, err, errlen);
}

static int parse_pools(const struct conf_kv *kv, const char *path, void *obj, char *err,
                       size_t errlen)
{
	return conf_conn_pools_parse(kv, path, obj, err, errlen);
}

/* ---- enum values ---------------------------------------------------------- */

static const struct conf_enum_val version_vals[] = {
	{ "0", 0, CONF_SUP_YES, NULL },
	{ "1", 1, CONF_SUP_NO, "IKEv1 (uipsec speaks IKEv2 only: use 2, or 0 for the default)" },
	{ "2", 2, CONF_SUP_YES, NULL },
	{ NULL, 0, 0, NULL },
};

static const struct conf_enum_val frag_vals[] = {
	{ "yes", CONF_FRAG_YES, CONF_SUP_YES, NULL },
	{ "accept", CONF_FRAG_ACCEPT, CONF_SUP_YES, NULL },
	{ "force", CONF_FRAG_FORCE, CONF_SUP_YES, NULL },
	{ "no", CONF_FRAG_NO, CONF_SUP_YES, NULL },
	{ NULL, 0, 0, NULL },
};

static const struct conf_enum_val unique_vals[] = {
	{ "no", CONF_UNIQUE_NO, CONF_SUP_YES, NULL },
	{ "never", CONF_UNIQUE_NEVER, CONF_SUP_YES, NULL },
	{ "keep", CONF_UNIQUE_KEEP, CONF_SUP_YES, NULL },
	{ "replace", CONF_UNIQUE_REPLACE, CONF_SUP_YES, NULL },
	{ NULL, 0, 0, NULL },
};

static const struct conf_enum_val childless_vals[] = {
	{ "allow", CONF_CHILDLESS_ALLOW, CONF_SUP_YES, NULL },
	{ "force", CONF_CHILDLESS_FORCE, CONF_SUP_YES, NULL },
	{ "never", CONF_CHILDLESS_NEVER, CONF_SUP_YES, NULL },
	{ NULL, 0, 0, NULL },
};

/* auth values match by prefix: eap-md5 is eap, pubkey-sha256 is pubkey,
 * xauth-pam is xauth (conf_build.c). */
static const struct conf_enum_val auth_vals[] = {
	{ "psk", CONF_AUTH_PSK, CONF_SUP_YES, NULL },
	{ "pubkey", CONF_AUTH_PUBKEY, CONF_SUP_YES, NULL },
	{ "rsa", CONF_AUTH_PUBKEY, CONF_SUP_YES, NULL },
	{ "ecdsa", CONF_AUTH_PUBKEY, CONF_SUP_YES, NULL },
	{ "bliss", CONF_AUTH_PUBKEY, CONF_SUP_NO, "BLISS signatures (strongSwan's post-quantum "
	  "scheme, removed in 5.9.x)" },
	{ "ike:", CONF_AUTH_PUBKEY, CONF_SUP_YES, NULL },
	{ "eap-mschapv2", CONF_AUTH_EAP, CONF_SUP_YES, NULL },
	{ "eap-md5", CONF_AUTH_EAP, CONF_SUP_NO, R_EAP },
	{ "eap-tls", CONF_AUTH_EAP, CONF_SUP_NO, R_EAP },
	{ "eap-ttls", CONF_AUTH_EAP, CONF_SUP_NO, R_EAP },
	{ "eap-peap", CONF_AUTH_EAP, CONF_SUP_NO, R_EAP },
	{ "eap-radius", CONF_AUTH_EAP, CONF_SUP_NO, R_EAP },
	{ "eap-gtc", CONF_AUTH_EAP, CONF_SUP_NO, R_EAP },
	{ "eap-sim", CONF_AUTH_EAP, CONF_SUP_NO, R_EAP },
	{ "eap-aka", CONF_AUTH_EAP, CONF_SUP_NO, R_EAP },
	{ "eap-tnc", CONF_AUTH_EAP, CONF_SUP_NO, R_EAP },
	{ "eap-dynamic", CONF_AUTH_EAP, CONF_SUP_NO, R_EAP },
	{ "eap-identity", CONF_AUTH_EAP, CONF_SUP_NO, R_EAP },
	/* eap alone is EAP-MSCHAPv2 here; other eap-<method> are refused
	 * by ctl/ctl_conf.c at the connection */
	{ "eap", CONF_AUTH_EAP, CONF_SUP_YES, NULL },
	{ "xauth", CONF_AUTH_XAUTH, CONF_SUP_NO, R_XAUTH },
	{ NULL, 0, 0, NULL },
};

static const struct conf_enum_val revocation_vals[] = {
	{ "strict", CONF_REVOCATION_STRICT, CONF_SUP_YES, NULL },
	{ "ifuri", CONF_REVOCATION_IFURI, CONF_SUP_YES, NULL },
	{ "relaxed", CONF_REVOCATION_RELAXED, CONF_SUP_YES, NULL },
	{ NULL, 0, 0, NULL },
};

static const struct conf_enum_val send_cert_vals[] = {
	{ "ifasked", CONF_SEND_CERT_IFASKED, CONF_SUP_YES, NULL },
	{ "always", CONF_SEND_CERT_ALWAYS, CONF_SUP_YES, NULL },
	{ "never", CONF_SEND_CERT_NEVER, CONF_SUP_YES, NULL },
	{ NULL, 0, 0, NULL },
};

static const struct conf_enum_val mode_vals[] = {
	{ "tunnel", CONF_MODE_TUNNEL, CONF_SUP_YES, NULL },
	{ "transport", CONF_MODE_TRANSPORT, CONF_SUP_YES, NULL },
	{ "transport_proxy", -1, CONF_SUP_NO, "transport_proxy (Mobile IPv6)" },
	{ "beet", -1, CONF_SUP_NO, "BEET mode (uipsec has tunnel and transport)" },
	{ "pass", -1, CONF_SUP_NO, "pass policies in swanctl.conf, not yet in uipsec" },
	{ "drop", -1, CONF_SUP_NO, "drop policies in swanctl.conf, not yet in uipsec" },
	{ NULL, 0, 0, NULL },
};

/* ---- the table -------------------------------------------------------------
 * Order: the sections as swanctl.conf(5) lists them, and in each its
 * options in the man page's order. */

const struct conf_opt conf_opts[] = {
	/* top level */
	{ "connections", CONF_SC(CONF_SC_ROOT), CONF_T_SECTION, CONF_SUP_YES, CONF_SC_CONNS, 0,
	  .note = "IKE connections, one section each" },
	{ "<conn>", CONF_SC(CONF_SC_CONNS), CONF_T_SECTION, CONF_SUP_YES, CONF_SC_CONN, CONF_F_ANY,
	  .note = "an IKE connection (names up to 63 characters)" },

	/* connections.<conn> */
	{ "version", CONN, CONF_T_UINT, CONF_SUP_YES, 0, 0, "0", AT(conf_conn, version),
	  .min = 0, .max = 2, .vals = version_vals, .note = "0 and 2 both mean IKEv2", .example = "2",
	  .desc = "IKE major version: 2 is IKEv2; 0, the default, accepts either as responder and "
	          "initiates with IKEv2" },
	{ "local_addrs", CONN, CONF_T_ADDRS, CONF_SUP_YES, 0, 0, "%any",
	  AT2(conf_conn, local_addrs, nlocal_addrs), .runs = runs_addrs,
	  .note = "one address, a host name or %any (uipsecd)", .example = "192.0.2.1",
	  .desc = "local addresses for IKE, comma separated (addresses, host names, subnets, "
	          "ranges); the first plain address is the one initiated from" },
	{ "remote_addrs", CONN, CONF_T_ADDRS, CONF_SUP_YES, 0, 0, "%any",
	  AT2(conf_conn, remote_addrs, nremote_addrs), .runs = runs_addrs,
	  .note = "one address, a host name or %any (%any: responder only)",
	  .example = "192.0.2.2",
	  .desc = "remote addresses for IKE, comma separated; the first plain address is the one "
	          "initiated to, and a responder accepts initiators from any of them" },
	{ "local_port", CONN, CONF_T_UINT, CONF_SUP_YES, 0, 0, "500", AT(conf_conn, local_port),
	  .min = 1, .max = 65535, .example = "500",
	  .desc = "local UDP port for IKE (from 500 IKE floats to 4500 behind a NAT)" },
	{ "remote_port", CONN, CONF_T_UINT, CONF_SUP_YES, 0, 0, "500", AT(conf_conn, remote_port),
	  .min = 1, .max = 65535, .example = "500",
	  .desc = "remote UDP port for IKE (from 500 IKE floats to 4500 behind a NAT)" },
	{ "proposals", CONN, CONF_T_STRINGS, CONF_SUP_YES, 0, 0, "default",
	  AT2(conf_conn, proposals, nproposals),
	  .note = "IKE proposals (docs/ike.md has the algorithms)",
	  .example = "aes256gcm16-prfsha256-x25519, default",
	  .desc = "IKE proposals to offer or accept, comma separated; each a set of algorithms "
	          "joined by '-' (aes256gcm16-prfsha256-x25519); default stands for the "
	          "default set" },
	{ "vips", CONN, CONF_T_HOOK, CONF_SUP_YES, 0, 0, "", AT(conf_conn, nvips),
	  .parse = parse_vips, .hook_type = "0.0.0.0, ::, an address, or one of each family, comma separated",
	  .note = "0.0.0.0 and/or ::, or an address to ask for (a wish: the gateway may assign another); one of each family at most", .example = "0.0.0.0",
	  .desc = "virtual IPs to request as a client (RFC 7296 2.19); 0.0.0.0 or :: asks the "
	          "gateway for any address of that family" },
	{ "aggressive", CONN, REFUSED(R_IKEV1), NOOP("no"), .dflt = "no", .example = "no" },
	{ "pull", CONN, REFUSED("IKEv1 mode config (uipsec speaks IKEv2 only)"), .dflt = "yes",
	  .example = "yes" },
	{ "dscp", CONN, REFUSED("a DSCP for IKE packets"), NOOP("000000"), .dflt = "000000",
	  .example = "000000" },
	{ "encap", CONN, CONF_T_BOOL, CONF_SUP_YES, 0, 0, "no", AT(conf_conn, encap),
	  .note = "UDP-encapsulate ESP even without NAT (uipsecd.conf's raw_esp = no, the "
	          "default, gets ESP in UDP from any NAT-T peer anyway)", .example = "no",
	  .desc = "fake the NAT detection payloads, so that ESP is encapsulated in UDP even "
	          "without a NAT" },
	{ "mobike", CONN, CONF_T_BOOL, CONF_SUP_YES, 0, 0, "yes", AT(conf_conn, mobike),
	  .note = "MOBIKE_SUPPORTED in IKE_AUTH; a client moves its SAs with UPDATE_SA_ADDRESSES "
	          "when its address changes, a gateway follows them in place (no address lists, "
	          "docs/remote-access.md)", .example = "no",
	  .desc = "enable MOBIKE (RFC 4555): IKE_SAs and CHILD_SAs follow address changes" },
	{ "dpd_delay", CONN, CONF_T_DURATION, CONF_SUP_YES, 0, 0, "0s", AT(conf_conn, dpd_delay),
	  .runs = runs_u32, .why = R_U32, .note = "liveness checks when idle (0: none)",
	  .example = "30s",
	  .desc = "interval of liveness checks (empty INFORMATIONAL exchanges) when nothing has "
	          "been received for that long; 0: none" },
	{ "dpd_timeout", CONN, CONF_T_DURATION, CONF_SUP_YES, 0, 0, "0s",
	  AT(conf_conn, dpd_timeout),
	  .note = "IKEv1 only; ignored for IKEv2, as by charon (uipsecd says so at load): an "
	          "IKEv2 liveness check ends as the retransmission settings say",
	  .example = "0s",
	  .desc = "IKEv1 only: how long to wait for a liveness reply" },
	{ "fragmentation", CONN, CONF_T_ENUM, CONF_SUP_YES, 0, 0, "yes",
	  AT(conf_conn, fragmentation), .vals = frag_vals,
	  .note = "RFC 7383, as charon 5.9.8; the fragment size is uipsecd.conf's fragment_size",
	  .example = "yes",
	  .desc = "IKE fragmentation (RFC 7383): yes (announce, and fragment IKE_AUTH and later "
	          "messages if the peer announced it too), accept (announce, never send "
	          "fragments), force (fragment even without the peer's announcement) or no" },
	{ "childless", CONN, CONF_T_ENUM, CONF_SUP_YES, 0, 0, "allow", AT(conf_conn, childless),
	  .vals = childless_vals, .note = "allow, force or never", .example = "allow",
	  .desc = "childless IKE_SA initiation (RFC 6023): allow (announce and accept it; "
	          "initiate with a CHILD_SA in IKE_AUTH), force (always initiate childless and "
	          "create the first CHILD_SA with CREATE_CHILD_SA) or never (refuse childless "
	          "IKE_AUTH requests)" },
	{ "send_certreq", CONN, CONF_T_BOOL, CONF_SUP_YES, 0, 0, "yes", AT(conf_conn, send_certreq),
	  .example = "yes",
	  .desc = "whether certificate requests (CERTREQ, a hash of each trusted CA's key) are "
	          "sent" },
	{ "send_cert", CONN, CONF_T_ENUM, CONF_SUP_YES, 0, 0, "ifasked", AT(conf_conn, send_cert),
	  .vals = send_cert_vals, .example = "ifasked",
	  .desc = "when our certificate (and its intermediates) is sent: ifasked (the peer sent "
	          "a certificate request), always or never" },
	{ "ppk_id", CONN, REFUSED(R_PPK), .dflt = "", .example = "ppk-1" },
	{ "ppk_required", CONN, REFUSED(R_PPK), NOOP("no"), .dflt = "no", .example = "no" },
	{ "keyingtries", CONN, CONF_T_UINT, CONF_SUP_YES, 0, 0, "1",
	  AT(conf_conn, keyingtries), .min = 0, .max = UINT32_MAX,
	  .note = "0: forever; with dpd_action or close_action restart, each restart tries anew",
	  .example = "1",
	  .desc = "how many retransmission sequences an initiation tries before it gives up (0: "
	          "forever)" },
	{ "unique", CONN, CONF_T_ENUM, CONF_SUP_YES, 0, 0, "no", AT(conf_conn, unique),
	  .vals = unique_vals, .example = "no",
	  .desc = "uniqueness policy for IKE_SAs of the same identities: no, never, keep or "
	          "replace" },
	{ "reauth_time", CONN, CONF_T_DURATION, CONF_SUP_YES, 0, CONF_F_DERIVED, "0s",
	  AT(conf_conn, reauth_time), .runs = runs_u32, .why = R_U32,
	  .note = "make-before-break reauthentication (a new IKE_SA and CHILD_SAs, then the "
	          "old ones deleted)",
	  .example = "0s",
	  .desc = "time after which the IKE_SA is reauthenticated (created anew); 0: never" },
	{ "rekey_time", CONN, CONF_T_DURATION, CONF_SUP_YES, 0, CONF_F_DERIVED, "4h",
	  AT(conf_conn, rekey_time), .runs = runs_u32, .why = R_U32,
	  .note = "IKE_SA rekeying (0 if only reauth_time is set)", .example = "4h",
	  .desc = "time after which the IKE_SA is rekeyed (0: never)" },
	{ "over_time", CONN, CONF_T_DURATION, CONF_SUP_YES, 0, CONF_F_DERIVED,
	  "10% of rekey_time/reauth_time", AT(conf_conn, over_time), .runs = runs_u32,
	  .why = R_U32, .note = "the IKE_SA is deleted this long after its rekey or reauth time",
	  .example = "24m",
	  .desc = "hard IKE_SA lifetime beyond rekey_time or reauth_time, should rekeying or "
	          "reauthentication not complete" },
	{ "rand_time", CONN, CONF_T_DURATION, CONF_SUP_YES, 0, CONF_F_DERIVED,
	  "over_time", AT(conf_conn, rand_time), .runs = runs_u32, .why = R_U32,
	  .example = "24m",
	  .desc = "range of a random time subtracted from rekey_time and reauth_time" },
	{ "pools", CONN, CONF_T_HOOK, CONF_SUP_YES, 0, 0, "", AT(conf_conn, npools),
	  .parse = parse_pools, .hook_type = "a comma-separated list of pool names",
	  .note = "at most 4; each must be in the pools section (uipsec load, start-up)",
	  .example = "pool-1",
	  .desc = "the pools (pools section) whose addresses a gateway leases to clients" },
	{ "if_id_in", CONN, REFUSED(R_IFID), NOOP("0"), .dflt = "0", .example = "0" },
	{ "if_id_out", CONN, REFUSED(R_IFID), NOOP("0"), .dflt = "0", .example = "0" },
	{ "mediation", CONN, REFUSED(R_MED), NOOP("no"), .dflt = "no", .example = "no" },
	{ "mediated_by", CONN, REFUSED(R_MED), .dflt = "", .example = "mediator" },
	{ "mediation_peer", CONN, REFUSED(R_MED), .dflt = "", .example = "peer.example.org" },
	{ "local", CONN, CONF_T_SECTION, CONF_SUP_YES, CONF_SC_LOCAL, CONF_F_PREFIX,
	  .note = "the local authentication round (uipsec: exactly one, auth = psk)" },
	{ "remote", CONN, CONF_T_SECTION, CONF_SUP_YES, CONF_SC_REMOTE, CONF_F_PREFIX,
	  .note = "the remote authentication round (at most one; none: any peer with the PSK)" },
	{ "children", CONN, CONF_T_SECTION, CONF_SUP_YES, CONF_SC_CHILDREN, 0,
	  .note = "the CHILD_SAs, one section each" },

	/* connections.<conn>.local<suffix>, remote<suffix> */
	{ "round", AUTH, CONF_T_UINT, CONF_SUP_YES, 0, 0, "0", .min = 0, .max = UINT32_MAX,
	  .note = "orders rounds; with uipsec's single round per side it changes nothing",
	  .example = "0",
	  .desc = "number by which authentication rounds are ordered" },
	{ "certs", AUTH, CONF_T_STRINGS, CONF_SUP_YES, 0, 0, "", AT2(conf_auth, certs, ncerts),
	  .note = "files in x509/ (or absolute paths)", .example = "uipsec-example.pem",
	  .desc = "certificates for authentication: ours (local) or the ones the peer must use "
	          "(remote), comma-separated" },
	{ "cert", AUTH, CONF_T_SECTION, CONF_SUP_NO, CONF_SC_CERT, CONF_F_PREFIX, .why = R_CERT },
	{ "pubkeys", AUTH, CONF_T_STRINGS, CONF_SUP_YES, 0, 0, "", AT2(conf_auth, pubkeys, npubkeys),
	  .note = "files in pubkey/ (or absolute paths)", .example = "uipsec-example-pub.pem",
	  .desc = "raw public keys for authentication, comma-separated" },
	{ "auth", LOCAL, CONF_T_AUTH, CONF_SUP_YES, 0, 0, "pubkey", AT2(conf_auth, method, auth),
	  .vals = auth_vals,
	  .note = "psk, pubkey (rsa, ecdsa, ike:, with strongSwan's signature scheme "
	          "constraints such as rsa/pss-sha256) or eap-mschapv2 (eap: the same)",
	  .example = "psk",
	  .desc = "how we authenticate: psk (pre-shared key), pubkey, eap-..., xauth" },
	{ "id", LOCAL, CONF_T_ID, CONF_SUP_YES, 0, 0, "", AT2(conf_auth, id, has_id),
	  .note = "our identity (none: our IKE address); distinguished names need certificates",
	  .example = "gw-a.example.org",
	  .desc = "our IKE identity: an IP address, a host name, an email address, a key ID" },
	{ "eap_id", AUTH, CONF_T_ID, CONF_SUP_YES, 0, 0, "id", AT2(conf_auth, eap_id, has_eap_id),
	  .note = "local: our EAP identity; remote: the client's (%any: asked for with "
	          "EAP-Identity, as is any other than its IKE identity)",
	  .example = "user@example.org",
	  .desc = "the EAP identity: ours (local) or the one the client must have (remote)" },
	{ "aaa_id", LOCAL, REFUSED(R_AAA), .dflt = "remote-id", .example = "aaa.example.org" },
	{ "xauth_id", LOCAL, REFUSED(R_XAUTH), .dflt = "id", .example = "xauth-user" },
	{ "id", REMOTE, CONF_T_ID, CONF_SUP_YES, 0, 0, "%any", AT2(conf_auth, id, has_id),
	  .note = "the peer's identity (%any: any)", .example = "gw-b.example.org",
	  .desc = "the IKE identity expected of the peer (wildcards such as *.example.org match)" },
	{ "groups", REMOTE, REFUSED(R_EAP), .dflt = "", .example = "group-1" },
	{ "cert_policy", REMOTE, REFUSED(R_CERT), .dflt = "", .example = "1.3.6.1.5.5.7.3.1" },
	{ "cacerts", REMOTE, CONF_T_STRINGS, CONF_SUP_YES, 0, 0, "",
	  AT2(conf_auth, cacerts, ncacerts), .note = "files in x509ca/ (or absolute paths)",
	  .example = "uipsec-example.pem",
	  .desc = "CA certificates the peer's chain must hold one of, comma-separated" },
	{ "cacert", REMOTE, CONF_T_SECTION, CONF_SUP_NO, CONF_SC_CERT, CONF_F_PREFIX, .why = R_CERT },
	{ "ca_id", REMOTE, CONF_T_STRING, CONF_SUP_YES, 0, 0, "", AT(conf_auth, ca_id),
	  .example = "gw-a.example.org",
	  .desc = "identity of a CA the peer's chain must hold" },
	{ "revocation", REMOTE, CONF_T_ENUM, CONF_SUP_YES, 0, 0, "relaxed",
	  AT(conf_auth, revocation), .vals = revocation_vals,
	  .note = "CRLs from x509crl/ (no OCSP, no CRL fetching)", .example = "relaxed",
	  .desc = "certificate status checking: strict (unknown status fails), ifuri (fails if "
	          "a CRL was to be had), relaxed (only a revoked certificate fails)" },
	{ "auth", REMOTE, CONF_T_AUTH, CONF_SUP_YES, 0, 0, "pubkey", AT2(conf_auth, method, auth),
	  .vals = auth_vals,
	  .note = "psk, pubkey (rsa, ecdsa, ike:...) or eap-mschapv2 (we are the EAP server); "
	          "without a remote section any peer that has the PSK is accepted",
	  .example = "psk",
	  .desc = "how the peer must authenticate" },

	/* ....cert<suffix>, ....cacert<suffix> (refused with their section) */
	{ "file", CERT, REFUSED(R_CERT), .dflt = "",
	  .example = "/etc/swanctl/x509/uipsec-example.pem" },   /* read by charon itself: absolute */
	{ "handle", CERT, REFUSED(R_TOKEN), .dflt = "" },
	{ "slot", CERT, REFUSED(R_TOKEN), .dflt = "" },
	{ "module", CERT, REFUSED(R_TOKEN), .dflt = "" },

	/* connections.<conn>.children.<child> */
	{ "<child>", CONF_SC(CONF_SC_CHILDREN), CONF_T_SECTION, CONF_SUP_YES, CONF_SC_CHILD,
	  CONF_F_ANY, .note = "a CHILD_SA (any number per connection, names up to 63 characters)" },
	{ "ah_proposals", CHILD, REFUSED("AH (uipsec has ESP only)"), .dflt = "",
	  .example = "sha256" },
	{ "esp_proposals", CHILD, CONF_T_STRINGS, CONF_SUP_YES, 0, 0, "default",
	  AT2(conf_child, esp_proposals, nesp_proposals),
	  .note = "ESP proposals (docs/ike.md has the algorithms)",
	  .example = "aes128gcm16, default",
	  .desc = "ESP proposals to offer or accept, comma separated (aes128gcm16, "
	          "aes256-sha256-modp2048-noesn); default stands for the default set" },
	{ "sha256_96", CHILD, REFUSED("96-bit HMAC-SHA-256 truncation"), NOOP("no"),
	  .dflt = "no", .example = "no" },
	{ "local_ts", CHILD, CONF_T_TSS, CONF_SUP_YES, 0, 0, "dynamic",
	  AT2(conf_child, local_ts, nlocal_ts), .runs = runs_tss,
	  .note = "up to 8; dynamic alone and without [proto/port]",
	  .example = "10.1.0.0/24, 10.1.1.0/24[tcp/80]",
	  .desc = "local traffic selectors, comma separated: subnets, addresses or ranges, each "
	          "optionally followed by [proto/port]; dynamic is our IKE address" },
	{ "remote_ts", CHILD, CONF_T_TSS, CONF_SUP_YES, 0, 0, "dynamic",
	  AT2(conf_child, remote_ts, nremote_ts), .runs = runs_tss,
	  .note = "up to 8; dynamic alone and without [proto/port]", .example = "10.2.0.0/24",
	  .desc = "remote traffic selectors, as local_ts; dynamic is the peer's IKE address" },
	{ "rekey_time", CHILD, CONF_T_DURATION, CONF_SUP_YES, 0, CONF_F_DERIVED, "1h",
	  AT(conf_child, rekey_time), .runs = runs_u32, .why = R_U32, .example = "1h",
	  .desc = "time after which the CHILD_SA is rekeyed (its soft lifetime, less a random "
	          "part)" },
	{ "life_time", CHILD, CONF_T_DURATION, CONF_SUP_YES, 0, CONF_F_DERIVED, "rekey_time + 10%",
	  AT(conf_child, life_time), .runs = runs_u32, .why = R_U32, .example = "66m",
	  .desc = "hard lifetime: the CHILD_SA is closed if rekeying has not replaced it" },
	{ "rand_time", CHILD, CONF_T_DURATION, CONF_SUP_YES, 0, CONF_F_DERIVED,
	  "life_time - rekey_time", AT(conf_child, rand_time), .runs = runs_u32, .why = R_U32,
	  .example = "6m",
	  .desc = "range of a random time subtracted from rekey_time" },
	{ "rekey_bytes", CHILD, CONF_T_BYTES, CONF_SUP_YES, 0, CONF_F_DERIVED, "0",
	  AT(conf_child, rekey_bytes),
	  .note = "counted per packet by the data path, in and out; the packet that reaches "
	          "a limit raises the expire event",
	  .example = "1g",
	  .desc = "bytes after which the CHILD_SA is rekeyed (0: no volume limit)" },
	{ "life_bytes", CHILD, CONF_T_BYTES, CONF_SUP_YES, 0, CONF_F_DERIVED, "rekey_bytes + 10%",
	  AT(conf_child, life_bytes), .example = "1100m",
	  .desc = "bytes after which the CHILD_SA is closed" },
	{ "rand_bytes", CHILD, CONF_T_BYTES, CONF_SUP_YES, 0, CONF_F_DERIVED,
	  "life_bytes - rekey_bytes", AT(conf_child, rand_bytes), .example = "100m",
	  .desc = "range of a random volume subtracted from rekey_bytes" },
	{ "rekey_packets", CHILD, CONF_T_UINT, CONF_SUP_YES, 0, CONF_F_DERIVED, "0",
	  AT(conf_child, rekey_packets), .min = 0, .max = UINT64_MAX - 1,
	  .note = "as rekey_bytes", .example = "1000000",
	  .desc = "packets after which the CHILD_SA is rekeyed (0: no packet limit)" },
	{ "life_packets", CHILD, CONF_T_UINT, CONF_SUP_YES, 0, CONF_F_DERIVED,
	  "rekey_packets + 10%", AT(conf_child, life_packets), .min = 0, .max = UINT64_MAX - 1,
	  .example = "1100000",
	  .desc = "packets after which the CHILD_SA is closed" },
	{ "rand_packets", CHILD, CONF_T_UINT, CONF_SUP_YES, 0, CONF_F_DERIVED,
	  "life_packets - rekey_packets", AT(conf_child, rand_packets), .min = 0,
	  .max = UINT64_MAX - 1, .example = "100000",
	  .desc = "range of a random packet count subtracted from rekey_packets" },
	{ "updown", CHILD, CONF_T_STRING, CONF_SUP_YES, 0, 0, "", AT(conf_child, updown),
	  .note = "run by /bin/sh -c with charon's PLUTO_* variables (PLUTO_INTERFACE: the TUN "
	          "device), by a helper with uipsecd's start-up privileges (docs/updown.md)",
	  .example = "/usr/lib/ipsec/_updown iptables",
	  .desc = "script run when the CHILD_SA comes up and goes down, once per pair of "
	          "local and remote traffic selectors, with PLUTO_VERB up-client, down-client, "
	          "up-host, ... and the PLUTO_* environment" },
	{ "hostaccess", CHILD, CONF_T_BOOL, CONF_SUP_YES, 0, 0, "no", AT(conf_child, hostaccess),
	  .note = "sets PLUTO_HOST_ACCESS=1 for the updown script (all it does in charon too)",
	  .example = "no",
	  .desc = "whether the updown script is to allow access to this host from the peer's "
	          "subnet (PLUTO_HOST_ACCESS)" },
	{ "mode", CHILD, CONF_T_ENUM, CONF_SUP_YES, 0, 0, "tunnel", AT(conf_child, mode),
	  .vals = mode_vals, .note = "tunnel or transport", .example = "tunnel",
	  .desc = "IPsec mode: tunnel or transport (transport_proxy, beet; pass and drop install "
	          "bypass and drop policies only)" },
	{ "policies", CHILD, REFUSED("setting policies (uipsec always installs a CHILD_SA's policies)"),
	  NOOP("yes"), .dflt = "yes", .example = "yes" },
	{ "policies_fwd_out", CHILD, REFUSED(R_KERNEL), NOOP("no"), .dflt = "no", .example = "no" },
	{ "dpd_action", CHILD, CONF_T_ACTIONS, CONF_SUP_YES, 0, 0, "clear",
	  AT(conf_child, dpd_action), .runs = runs_actions, .why = R_DPDTRAPSTART,
	  .note = "clear, trap or restart, on a dead peer and when retransmissions give up",
	  .example = "restart",
	  .desc = "what to do with the CHILD_SA when DPD declares the peer dead: clear, trap or "
	          "restart" },
	{ "ipcomp", CHILD, REFUSED("IPComp"), NOOP("no"), .dflt = "no",
	  .example = "no" },
	{ "inactivity", CHILD, REFUSED("closing idle CHILD_SAs, not yet in uipsec"),
	  NOOP("0, 0s"), .dflt = "0s", .example = "0s" },
	{ "reqid", CHILD, REFUSED("fixed reqids (uipsec assigns them)"), NOOP("0"), .dflt = "0",
	  .example = "0" },
	{ "priority", CHILD, REFUSED("fixed policy priorities (uipsec computes them)"), NOOP("0"),
	  .dflt = "0",
	  .example = "0" },
	{ "interface", CHILD, REFUSED("policies bound to an interface"),
	  .dflt = "", .example = "lo" },
	{ "mark_in", CHILD, REFUSED(R_MARK), NOOP(MARK0), .dflt = "0/0x00000000", .example = "0" },
	{ "mark_in_sa", CHILD, REFUSED(R_MARK), NOOP("no"), .dflt = "no", .example = "no" },
	{ "mark_out", CHILD, REFUSED(R_MARK), NOOP(MARK0), .dflt = "0/0x00000000", .example = "0" },
	{ "set_mark_in", CHILD, REFUSED(R_MARK), NOOP(MARK0), .dflt = "0/0x00000000",
	  .example = "0" },
	{ "set_mark_out", CHILD, REFUSED(R_MARK), NOOP(MARK0), .dflt = "0/0x00000000",
	  .example = "0" },
	{ "if_id_in", CHILD, REFUSED(R_IFID), NOOP("0"), .dflt = "0", .example = "0" },
	{ "if_id_out", CHILD, REFUSED(R_IFID), NOOP("0"), .dflt = "0", .example = "0" },
	{ "label", CHILD, REFUSED(R_LABEL), .dflt = "", .example = "system_u:object_r:ipsec_spd_t:s0" },
	{ "label_mode", CHILD, REFUSED(R_LABEL), .dflt = "system", .example = "system" },
	{ "tfc_padding", CHILD, REFUSED("TFC padding"), NOOP("0"), .dflt = "0",
	  .example = "0" },
	{ "replay_window", CHILD, CONF_T_UINT, CONF_SUP_YES, 0, 0, "32",
	  AT(conf_child, replay_window), .min = 0, .max = CONF_REPLAY_WINDOW_MAX,
	  .note = "packets, at most 8192; 0 switches replay protection off", .example = "128",
	  .desc = "the replay window in packets; 0 switches replay protection off" },
	/* auto: offload where the kernel can, which uipsec never can */
	{ "hw_offload", CHILD, REFUSED(R_KERNEL), NOOP("no, auto"), .dflt = "no", .example = "no" },
	{ "copy_df", CHILD, REFUSED(R_KERNEL), .dflt = "yes", .example = "yes" },
	/* uipsec's outer header has ECN and DSCP 0, and decapsulation leaves the
	 * inner header as it came: what no (copy nothing) asks for */
	{ "copy_ecn", CHILD, REFUSED(R_KERNEL), NOOP("no"), .dflt = "yes", .example = "yes" },
	{ "copy_dscp", CHILD, REFUSED(R_KERNEL), NOOP("no"), .dflt = "out", .example = "out" },
	{ "start_action", CHILD, CONF_T_ACTIONS, CONF_SUP_YES, 0, 0, "none",
	  AT(conf_child, start_action), .runs = runs_actions, .why = R_TRAPSTART,
	  .note = "none, trap or start", .example = "none",
	  .desc = "what to do once the configuration is loaded: none (wait for the peer or uipsec "
	          "initiate), trap (negotiate on the first packet) or start (initiate now)" },
	{ "close_action", CHILD, CONF_T_ACTIONS, CONF_SUP_YES, 0, 0, "none",
	  AT(conf_child, close_action), .runs = runs_actions, .why = R_TRAPSTART,
	  .note = "none, trap or start", .example = "none",
	  .desc = "what to do when the peer closes the CHILD_SA: none, trap or start (create it "
	          "again)" },

	/* secrets */
	{ "secrets", CONF_SC(CONF_SC_ROOT), CONF_T_SECTION, CONF_SUP_YES, CONF_SC_SECRETS, 0,
	  .note = "credentials, one section each; the name starts with the type" },
	{ "eap", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_YES, CONF_SC_SECRET_EAP,
	  CONF_F_PREFIX, .note = "an EAP password (EAP-MSCHAPv2)" },
	{ "xauth", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_SECRET_EAP,
	  CONF_F_PREFIX | CONF_F_UNLISTED, .why = R_XAUTH },
	{ "ntlm", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_SECRET_EAP,
	  CONF_F_PREFIX, .why = R_EAPSEC },
	{ "ike", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_YES, CONF_SC_SECRET_IKE,
	  CONF_F_PREFIX, .note = "an IKE pre-shared key" },
	{ "ppk", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_SECRET_EAP,
	  CONF_F_PREFIX, .why = R_PPK },
	{ "private", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_YES, CONF_SC_SECRET_KEY,
	  CONF_F_PREFIX, .note = "the passphrase of an encrypted key in private/" },
	{ "rsa", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_YES, CONF_SC_SECRET_KEY,
	  CONF_F_PREFIX, .note = "the passphrase of an encrypted key in rsa/" },
	{ "ecdsa", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_YES, CONF_SC_SECRET_KEY,
	  CONF_F_PREFIX, .note = "the passphrase of an encrypted key in ecdsa/" },
	{ "pkcs8", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_YES, CONF_SC_SECRET_KEY,
	  CONF_F_PREFIX, .note = "the passphrase of an encrypted key in pkcs8/" },
	{ "pkcs12", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_SECRET_KEY,
	  CONF_F_PREFIX, .why = "PKCS#12 containers (put the certificate into x509/ and the key "
	  "into private/)" },
	{ "token", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_SECRET_TOKEN,
	  CONF_F_PREFIX, .why = R_TOKEN },
	{ "secret", CONF_SC(CONF_SC_SECRET_IKE), CONF_T_SECRET, CONF_SUP_YES, 0, 0, "",
	  AT2(conf_secret, secret, secret_len),
	  .note = "the key: text, 0x followed by hex, or 0s followed by base64",
	  .example = "0x0123456789abcdef0123456789abcdef",
	  .desc = "the pre-shared key: text, 0x followed by hex, or 0s followed by base64" },
	{ "id", CONF_SC(CONF_SC_SECRET_IKE), CONF_T_IDS, CONF_SUP_YES, 0, CONF_F_PREFIX, "",
	  AT2(conf_secret, ids, nids),
	  .note = "identities the key is for, any number (none: any)",
	  .example = "gw-a.example.org",
	  .desc = "an IKE identity the key is for; several with different suffixes" },
	{ "secret", CONF_SC(CONF_SC_SECRET_EAP), CONF_T_SECRET, CONF_SUP_YES, 0, 0, "",
	  AT2(conf_secret, secret, secret_len),
	  .note = "the password: text, 0x followed by hex, or 0s followed by base64 (at most 256 "
	          "bytes)",
	  .example = "example-password",
	  .desc = "the EAP password: text, 0x followed by hex, or 0s followed by base64" },
	{ "id", CONF_SC(CONF_SC_SECRET_EAP), CONF_T_IDS, CONF_SUP_YES, 0, CONF_F_PREFIX, "",
	  AT2(conf_secret, ids, nids),
	  .note = "EAP identities the password is for, any number (none: any)",
	  .example = "user@example.org",
	  .desc = "an EAP identity the password is for; several with different suffixes" },
	{ "file", CONF_SC(CONF_SC_SECRET_KEY), CONF_T_STRING, CONF_SUP_YES, 0, 0, "",
	  AT(conf_keysecret, file), .example = "uipsec-example-key.pem",
	  .desc = "the key file's name in its folder" },
	{ "secret", CONF_SC(CONF_SC_SECRET_KEY), CONF_T_SECRET, CONF_SUP_YES, 0, 0, "",
	  AT2(conf_keysecret, secret, secret_len), .example = "example",
	  .desc = "the passphrase that decrypts it" },
	{ "handle", CONF_SC(CONF_SC_SECRET_TOKEN), REFUSED(R_TOKEN), .dflt = "" },
	{ "slot", CONF_SC(CONF_SC_SECRET_TOKEN), REFUSED(R_TOKEN), .dflt = "" },
	{ "module", CONF_SC(CONF_SC_SECRET_TOKEN), REFUSED(R_TOKEN), .dflt = "" },
	{ "pin", CONF_SC(CONF_SC_SECRET_TOKEN), REFUSED(R_TOKEN), .dflt = "" },

	/* pools (remote access: read by conf_pools.c, declared here) */
	{ "pools", CONF_SC(CONF_SC_ROOT), CONF_T_SECTION, CONF_SUP_YES, CONF_SC_POOLS, 0,
	  .note = "virtual IP pools, one section each (read by conf_pools.c)" },
	{ "<name>", CONF_SC(CONF_SC_POOLS), CONF_T_SECTION, CONF_SUP_YES, CONF_SC_POOL, CONF_F_ANY,
	  .note = "a pool (names up to 63 characters)" },
	{ "addrs", CONF_SC(CONF_SC_POOL), CONF_T_HOOK, CONF_SUP_YES, 0, 0, "",
	  .hook_type = "a prefix, a range or one address", .example = "10.3.0.0/24",
	  .note = "a prefix or a range (dhcp and radius are refused)",
	  .desc = "the addresses of the pool: a prefix (10.3.0.0/24) or a range "
	          "(10.3.0.1-10.3.0.100)" },
	{ "dns", CONF_SC(CONF_SC_POOL), CONF_T_HOOK, CONF_SUP_YES, 0, 0, "",
	  .hook_type = "a comma-separated list of addresses", .example = "10.3.0.53",
	  .desc = "DNS servers sent to clients (INTERNAL_IP4/6_DNS)" },
	{ "nbns", CONF_SC(CONF_SC_POOL), CONF_T_HOOK, CONF_SUP_YES, 0, 0, "",
	  .hook_type = "a comma-separated list of addresses", .example = "10.3.0.54",
	  .desc = "WINS servers sent to clients (INTERNAL_IP4/6_NBNS)" },
	{ "subnet", CONF_SC(CONF_SC_POOL), CONF_T_HOOK, CONF_SUP_YES, 0, 0, "",
	  .hook_type = "a comma-separated list of prefixes", .example = "10.1.0.0/24",
	  .desc = "protected subnets sent to clients (INTERNAL_IP4/6_SUBNET)" },
	{ "dhcp", CONF_SC(CONF_SC_POOL), REFUSED("INTERNAL_IP4/6_DHCP"), .dflt = "",
	  .example = "10.3.0.67" },
	{ "netmask", CONF_SC(CONF_SC_POOL), REFUSED("INTERNAL_IP4_NETMASK (virtual IPs are /32)"),
	  .dflt = "", .example = "255.255.255.0" },
	{ "server", CONF_SC(CONF_SC_POOL), REFUSED("INTERNAL_IP4/6_SERVER"), .dflt = "",
	  .example = "10.3.0.1" },
	{ "split_include", CONF_SC(CONF_SC_POOL), REFUSED("Cisco Unity attributes (use subnet)"),
	  .dflt = "", .example = "10.1.0.0/24" },
	{ "split_exclude", CONF_SC(CONF_SC_POOL), REFUSED("Cisco Unity attributes"), .dflt = "",
	  .example = "10.1.1.0/24" },
	{ "<attr>", CONF_SC(CONF_SC_POOL), REFUSED("numeric attribute types"), .flags = CONF_F_ANY,
	  .dflt = "", .example = "10.3.0.53" },

	/* authorities */
	{ "authorities", CONF_SC(CONF_SC_ROOT), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_AUTHORITIES, 0,
	  .why = R_CERT },
	{ "<name>", CONF_SC(CONF_SC_AUTHORITIES), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_AUTHORITY,
	  CONF_F_ANY, .why = R_CERT },
	{ "cacert", CONF_SC(CONF_SC_AUTHORITY), REFUSED(R_CERT), .dflt = "",
	  .example = "uipsec-example.pem" },
	{ "file", CONF_SC(CONF_SC_AUTHORITY), REFUSED(R_CERT), .dflt = "" },
	{ "handle", CONF_SC(CONF_SC_AUTHORITY), REFUSED(R_TOKEN), .dflt = "" },
	{ "slot", CONF_SC(CONF_SC_AUTHORITY), REFUSED(R_TOKEN), .dflt = "" },
	{ "module", CONF_SC(CONF_SC_AUTHORITY), REFUSED(R_TOKEN), .dflt = "" },
	{ "crl_uris", CONF_SC(CONF_SC_AUTHORITY), REFUSED(R_CERT), .dflt = "",
	  .example = "http://ca.example.org/ca.crl" },
	{ "ocsp_uris", CONF_SC(CONF_SC_AUTHORITY), REFUSED(R_CERT), .dflt = "",
	  .example = "http://ca.example.org/ocsp" },
	{ "cert_uri_base", CONF_SC(CONF_SC_AUTHORITY), REFUSED(R_CERT), .dflt = "",
	  .example = "http://ca.example.org/certs/" },
};

const size_t conf_nopts = sizeof(conf_opts) / sizeof(conf_opts[0]);

static bool name_matches(const struct conf_opt *o, const char *key)
{
	if (o->flags & CONF_F_ANY)
		return true;
	if (o->flags & CONF_F_PREFIX)
		return strncmp(key, o->name, strlen(o->name)) == 0;
	return strcmp(key, o->name) == 0;
}

const struct conf_opt *conf_opt_find(enum conf_scope scope, const char *key, bool section)
{
	const struct conf_opt *any = NULL;

	for (size_t i = 0; i < conf_nopts; i++) {
		const struct conf_opt *o = &conf_opts[i];

		if (!(o->scopes & CONF_SC(scope)) || (o->type == CONF_T_SECTION) != section ||
		    !name_matches(o, key))
			continue;
		if (!(o->flags & CONF_F_ANY))
			return o;
		any = o;   /* a named entry beats "<name>" */
	}
	return any;
}

bool conf_opt_noop(const struct conf_opt *o, const char *value)
{
	const char *v = value ? value : o->dflt, *p = o->noop;
	size_t n;

	if (!p || !v)
		return false;
	n = strlen(v);
	for (;;) {
		const char *end = strstr(p, ", ");
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && strncmp(p, v, n) == 0)
			return true;
		if (!end)
			return false;
		p = end + 2;
	}
}

const struct conf_opt *conf_opt_at(enum conf_scope scope, size_t off)
{
	for (size_t i = 0; i < conf_nopts; i++) {
		const struct conf_opt *o = &conf_opts[i];

		/* rows without a field (sections, refused options, round)
		 * have off 0 too */
		if ((o->scopes & CONF_SC(scope)) && o->type != CONF_T_SECTION &&
		    o->type != CONF_T_TEXT && o->size && o->off == off)
			return o;
	}
	return NULL;
}
