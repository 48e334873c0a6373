/* The swanctl.conf option table (conf_options.h): every option and section
 * of strongSwan 5.9.8's swanctl.conf(5), in the man page's order, with
 * what uipsec does with it, and the writers of the option list and of the
 * example file. The parser is conf.c; it reads nothing but this table to
 * know what an option is. Pure data and pure functions. */
#include "conf/conf_options.h"
#include "conf/conf.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

/* Where a value goes: field f of model struct st (and a second field). */
#define AT(st, f)      .off = offsetof(struct st, f), .size = sizeof(((struct st *)0)->f)
#define AT2(st, f, g)  .off = offsetof(struct st, f), .off2 = offsetof(struct st, g), \
                       .size = sizeof(((struct st *)0)->f)
/* A real strongSwan option uipsec refuses wherever it is written. */
#define REFUSED(why_)  .type = CONF_T_TEXT, .sup = CONF_SUP_NO, .why = why_

#define CONN     CONF_SC(CONF_SC_CONN)
#define LOCAL    CONF_SC(CONF_SC_LOCAL)
#define REMOTE   CONF_SC(CONF_SC_REMOTE)
#define AUTH     (LOCAL | REMOTE)
#define CERT     CONF_SC(CONF_SC_CERT)
#define CHILD    CONF_SC(CONF_SC_CHILD)

/* Reasons shared by several options. */
#define R_CERT    "certificates (uipsec has pre-shared keys only, so far)"
#define R_EAP     "EAP (uipsec has pre-shared keys only, so far)"
#define R_IKEV1   "an IKEv1 setting (uipsec speaks IKEv2 only)"
#define R_XAUTH   "XAuth, an IKEv1 extension (uipsec speaks IKEv2 only)"
#define R_VIP     "virtual IPs and address pools (remote access), not yet in uipsec"
#define R_PPK     "postquantum preshared keys (RFC 8784)"
#define R_MED     "the IKEv2 mediation extension"
#define R_IFID    "XFRM interface IDs (uipsec's decrypted traffic has its own TUN device)"
#define R_MARK    "marks"
#define R_LABEL   "security labels"
#define R_KERNEL  "a setting of the Linux kernel's IPsec, which uipsec's data path does not have"
#define R_UPDOWN  "updown scripts, not yet in uipsec"
#define R_TOKEN   "smartcards and PKCS#11 tokens"
#define R_RAWKEY  "raw public keys (uipsec has pre-shared keys only, so far)"
#define R_VOLUME  "volume limits, not yet in uipsec's IKE (only 0, the default)"
#define R_PACKETS "packet limits, not yet in uipsec's IKE (only 0, the default)"
#define R_TRAPSTART "trap|start, not yet in uipsec's IKE (use trap or start)"
#define R_U32     "a time longer than 136 years"
#define R_UNIQUE  "keep and replace, not yet in uipsec's IKE (no, never)"

/* ---- what uipsecd's IKE core can carry (the .runs checks) ----------------
 * The limits are conf's own copies of the IKE core's (IKE_TS_MAX,
 * IKE_CONN_MAX_CHILDREN, ...); ctl/ctl_conf.c checks at compile time that
 * they agree. */

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
	{ "force", CONF_FRAG_FORCE, CONF_SUP_MODEL, "force, an IKEv1 setting" },
	{ "no", CONF_FRAG_NO, CONF_SUP_YES, NULL },
	{ NULL, 0, 0, NULL },
};

static const struct conf_enum_val unique_vals[] = {
	{ "no", CONF_UNIQUE_NO, CONF_SUP_YES, NULL },
	{ "never", CONF_UNIQUE_NEVER, CONF_SUP_YES, NULL },
	{ "keep", CONF_UNIQUE_KEEP, CONF_SUP_MODEL, R_UNIQUE },
	{ "replace", CONF_UNIQUE_REPLACE, CONF_SUP_MODEL, R_UNIQUE },
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
	  .min = 0, .max = 2, .vals = version_vals, .note = "0 and 2 both mean IKEv2", .example = "2" },
	{ "local_addrs", CONN, CONF_T_ADDRS, CONF_SUP_YES, 0, 0, "%any",
	  AT2(conf_conn, local_addrs, nlocal_addrs), .runs = runs_addrs,
	  .note = "one address, a host name or %any (uipsecd)", .example = "192.0.2.1" },
	{ "remote_addrs", CONN, CONF_T_ADDRS, CONF_SUP_YES, 0, 0, "%any",
	  AT2(conf_conn, remote_addrs, nremote_addrs), .runs = runs_addrs,
	  .note = "one address, a host name or %any (%any: responder only)",
	  .example = "192.0.2.2" },
	{ "local_port", CONN, CONF_T_UINT, CONF_SUP_YES, 0, 0, "500", AT(conf_conn, local_port),
	  .min = 1, .max = 65535, .example = "500" },
	{ "remote_port", CONN, CONF_T_UINT, CONF_SUP_YES, 0, 0, "500", AT(conf_conn, remote_port),
	  .min = 1, .max = 65535, .example = "500" },
	{ "proposals", CONN, CONF_T_STRINGS, CONF_SUP_YES, 0, 0, "default",
	  AT2(conf_conn, proposals, nproposals),
	  .note = "IKE proposals (docs/ike.md has the algorithms)",
	  .example = "aes256gcm16-prfsha256-x25519, default" },
	{ "vips", CONN, REFUSED(R_VIP), .dflt = "", .example = "0.0.0.0" },
	{ "aggressive", CONN, REFUSED(R_IKEV1), .dflt = "no", .example = "no" },
	{ "pull", CONN, REFUSED("IKEv1 mode config (uipsec speaks IKEv2 only)"), .dflt = "yes",
	  .example = "yes" },
	{ "dscp", CONN, REFUSED("a DSCP for IKE packets"), .dflt = "000000",
	  .example = "000000" },
	{ "encap", CONN, CONF_T_BOOL, CONF_SUP_YES, 0, 0, "no", AT(conf_conn, encap),
	  .note = "UDP-encapsulate ESP even without NAT", .example = "no" },
	{ "mobike", CONN, CONF_T_BOOL, CONF_SUP_YES, 0, CONF_F_NO_EFFECT, "yes",
	  AT(conf_conn, mobike),
	  .note = "uipsec has no MOBIKE (RFC 4555) yet: it never offers it, and SAs do not move "
	          "to new addresses", .example = "no" },
	{ "dpd_delay", CONN, CONF_T_DURATION, CONF_SUP_YES, 0, 0, "0s", AT(conf_conn, dpd_delay),
	  .runs = runs_u32, .why = R_U32, .note = "liveness checks when idle (0: none)",
	  .example = "30s" },
	{ "dpd_timeout", CONN, CONF_T_DURATION, CONF_SUP_YES, 0, 0, "0s",
	  AT(conf_conn, dpd_timeout),
	  .note = "IKEv1 only; ignored for IKEv2, as by charon", .example = "0s" },
	{ "fragmentation", CONN, CONF_T_ENUM, CONF_SUP_YES, 0, 0, "yes",
	  AT(conf_conn, fragmentation), .vals = frag_vals,
	  .note = "uipsec has no IKE fragmentation (RFC 7383) yet: it never offers it, and sends "
	          "every IKE message whole (uipsecd says so for each connection it loads)",
	  .example = "yes" },
	{ "childless", CONN, REFUSED("childless IKE_SA initiation (RFC 6023)"),
	  .dflt = "allow", .example = "allow" },
	{ "send_certreq", CONN, REFUSED(R_CERT), .dflt = "yes", .example = "yes" },
	{ "send_cert", CONN, REFUSED(R_CERT), .dflt = "ifasked", .example = "ifasked" },
	{ "ppk_id", CONN, REFUSED(R_PPK), .dflt = "", .example = "ppk-1" },
	{ "ppk_required", CONN, REFUSED(R_PPK), .dflt = "no", .example = "no" },
	{ "keyingtries", CONN, CONF_T_UINT, CONF_SUP_MODEL, 0, 0, "1",
	  AT(conf_conn, keyingtries), .min = 0, .max = UINT32_MAX,
	  .why = "more than one keying try, not yet in uipsec's IKE (only 1, the default)",
	  .example = "1" },
	{ "unique", CONN, CONF_T_ENUM, CONF_SUP_YES, 0, 0, "no", AT(conf_conn, unique),
	  .vals = unique_vals, .example = "no" },
	{ "reauth_time", CONN, CONF_T_DURATION, CONF_SUP_MODEL, 0, CONF_F_DERIVED, "0s",
	  AT(conf_conn, reauth_time),
	  .why = "IKE reauthentication, not yet in uipsec's IKE (only 0, the default)",
	  .example = "0s" },
	{ "rekey_time", CONN, CONF_T_DURATION, CONF_SUP_YES, 0, CONF_F_DERIVED, "4h",
	  AT(conf_conn, rekey_time), .runs = runs_u32, .why = R_U32,
	  .note = "IKE_SA rekeying (0 if only reauth_time is set)", .example = "4h" },
	{ "over_time", CONN, CONF_T_DURATION, CONF_SUP_YES, 0, CONF_F_DERIVED | CONF_F_NO_EFFECT,
	  "10% of rekey_time/reauth_time", AT(conf_conn, over_time),
	  .note = "uipsec's IKE does not use it yet (no hard IKE_SA lifetime)", .example = "24m" },
	{ "rand_time", CONN, CONF_T_DURATION, CONF_SUP_YES, 0, CONF_F_DERIVED | CONF_F_NO_EFFECT,
	  "over_time", AT(conf_conn, rand_time),
	  .note = "uipsec's IKE does not randomize the IKE rekey time yet", .example = "24m" },
	{ "pools", CONN, REFUSED(R_VIP), .dflt = "", .example = "pool-1" },
	{ "if_id_in", CONN, REFUSED(R_IFID), .dflt = "0", .example = "0" },
	{ "if_id_out", CONN, REFUSED(R_IFID), .dflt = "0", .example = "0" },
	{ "mediation", CONN, REFUSED(R_MED), .dflt = "no", .example = "no" },
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
	  .example = "0" },
	{ "certs", AUTH, REFUSED(R_CERT), .dflt = "", .example = "uipsec-example.pem" },
	{ "cert", AUTH, CONF_T_SECTION, CONF_SUP_NO, CONF_SC_CERT, CONF_F_PREFIX, .why = R_CERT },
	{ "pubkeys", AUTH, REFUSED(R_RAWKEY), .dflt = "", .example = "uipsec-example-pub.pem" },
	{ "auth", LOCAL, CONF_T_AUTH, CONF_SUP_YES, 0, 0, "pubkey", AT(conf_auth, method),
	  .note = "psk only (pubkey, eap-*, xauth: not supported yet); uipsec needs it written "
	          "on the local side, since the default, pubkey, is not supported",
	  .example = "psk" },
	{ "id", LOCAL, CONF_T_ID, CONF_SUP_YES, 0, 0, "", AT2(conf_auth, id, has_id),
	  .note = "our identity (none: our IKE address); distinguished names need certificates",
	  .example = "gw-a.example.org" },
	{ "eap_id", AUTH, REFUSED(R_EAP), .dflt = "id", .example = "user@example.org" },
	{ "aaa_id", LOCAL, REFUSED(R_EAP), .dflt = "remote-id", .example = "aaa.example.org" },
	{ "xauth_id", LOCAL, REFUSED(R_XAUTH), .dflt = "id", .example = "xauth-user" },
	{ "id", REMOTE, CONF_T_ID, CONF_SUP_YES, 0, 0, "%any", AT2(conf_auth, id, has_id),
	  .note = "the peer's identity (%any: any)", .example = "gw-b.example.org" },
	{ "groups", REMOTE, REFUSED(R_EAP), .dflt = "", .example = "group-1" },
	{ "cert_policy", REMOTE, REFUSED(R_CERT), .dflt = "", .example = "1.3.6.1.5.5.7.3.1" },
	{ "cacerts", REMOTE, REFUSED(R_CERT), .dflt = "", .example = "uipsec-example.pem" },
	{ "cacert", REMOTE, CONF_T_SECTION, CONF_SUP_NO, CONF_SC_CERT, CONF_F_PREFIX, .why = R_CERT },
	{ "ca_id", REMOTE, REFUSED(R_CERT), .dflt = "", .example = "gw-a.example.org" },
	{ "revocation", REMOTE, REFUSED(R_CERT), .dflt = "relaxed", .example = "relaxed" },
	{ "auth", REMOTE, CONF_T_AUTH, CONF_SUP_YES, 0, 0, "pubkey", AT(conf_auth, method),
	  .note = "psk only; without a remote section any peer that has the PSK is accepted",
	  .example = "psk" },

	/* ....cert<suffix>, ....cacert<suffix> (refused with their section) */
	{ "file", CERT, REFUSED(R_CERT), .dflt = "",
	  .example = "/etc/swanctl/x509/uipsec-example.pem" },   /* read by charon itself: absolute */
	{ "handle", CERT, REFUSED(R_TOKEN), .dflt = "" },
	{ "slot", CERT, REFUSED(R_TOKEN), .dflt = "" },
	{ "module", CERT, REFUSED(R_TOKEN), .dflt = "" },

	/* connections.<conn>.children.<child> */
	{ "<child>", CONF_SC(CONF_SC_CHILDREN), CONF_T_SECTION, CONF_SUP_YES, CONF_SC_CHILD,
	  CONF_F_ANY, .note = "a CHILD_SA (at most 8 per connection, names up to 63 characters)" },
	{ "ah_proposals", CHILD, REFUSED("AH (uipsec has ESP only)"), .dflt = "",
	  .example = "sha256" },
	{ "esp_proposals", CHILD, CONF_T_STRINGS, CONF_SUP_YES, 0, 0, "default",
	  AT2(conf_child, esp_proposals, nesp_proposals),
	  .note = "ESP proposals (docs/ike.md has the algorithms)",
	  .example = "aes128gcm16, default" },
	{ "sha256_96", CHILD, REFUSED("96-bit HMAC-SHA-256 truncation"),
	  .dflt = "no", .example = "no" },
	{ "local_ts", CHILD, CONF_T_TSS, CONF_SUP_YES, 0, 0, "dynamic",
	  AT2(conf_child, local_ts, nlocal_ts), .runs = runs_tss,
	  .note = "up to 8; dynamic alone and without [proto/port]",
	  .example = "10.1.0.0/24, 10.1.1.0/24[tcp/80]" },
	{ "remote_ts", CHILD, CONF_T_TSS, CONF_SUP_YES, 0, 0, "dynamic",
	  AT2(conf_child, remote_ts, nremote_ts), .runs = runs_tss,
	  .note = "up to 8; dynamic alone and without [proto/port]", .example = "10.2.0.0/24" },
	{ "rekey_time", CHILD, CONF_T_DURATION, CONF_SUP_YES, 0, CONF_F_DERIVED, "1h",
	  AT(conf_child, rekey_time), .runs = runs_u32, .why = R_U32, .example = "1h" },
	{ "life_time", CHILD, CONF_T_DURATION, CONF_SUP_YES, 0, CONF_F_DERIVED, "rekey_time + 10%",
	  AT(conf_child, life_time), .runs = runs_u32, .why = R_U32, .example = "66m" },
	{ "rand_time", CHILD, CONF_T_DURATION, CONF_SUP_YES, 0, CONF_F_DERIVED | CONF_F_NO_EFFECT,
	  "life_time - rekey_time", AT(conf_child, rand_time),
	  .note = "uipsec's IKE does not randomize the CHILD_SA rekey time yet", .example = "6m" },
	{ "rekey_bytes", CHILD, CONF_T_BYTES, CONF_SUP_MODEL, 0, CONF_F_DERIVED, "0",
	  AT(conf_child, rekey_bytes), .why = R_VOLUME, .example = "0" },
	{ "life_bytes", CHILD, CONF_T_BYTES, CONF_SUP_MODEL, 0, CONF_F_DERIVED, "rekey_bytes + 10%",
	  AT(conf_child, life_bytes), .why = R_VOLUME, .example = "0" },
	{ "rand_bytes", CHILD, CONF_T_BYTES, CONF_SUP_MODEL, 0, CONF_F_DERIVED,
	  "life_bytes - rekey_bytes", AT(conf_child, rand_bytes), .why = R_VOLUME, .example = "0" },
	{ "rekey_packets", CHILD, CONF_T_UINT, CONF_SUP_MODEL, 0, CONF_F_DERIVED, "0",
	  AT(conf_child, rekey_packets), .min = 0, .max = UINT64_MAX - 1, .why = R_PACKETS,
	  .example = "0" },
	{ "life_packets", CHILD, CONF_T_UINT, CONF_SUP_MODEL, 0, CONF_F_DERIVED,
	  "rekey_packets + 10%", AT(conf_child, life_packets), .min = 0, .max = UINT64_MAX - 1,
	  .why = R_PACKETS, .example = "0" },
	{ "rand_packets", CHILD, CONF_T_UINT, CONF_SUP_MODEL, 0, CONF_F_DERIVED,
	  "life_packets - rekey_packets", AT(conf_child, rand_packets), .min = 0,
	  .max = UINT64_MAX - 1, .why = R_PACKETS, .example = "0" },
	{ "updown", CHILD, CONF_T_STRING, CONF_SUP_MODEL, 0, 0, "", AT(conf_child, updown),
	  .why = R_UPDOWN, .example = "/usr/lib/ipsec/_updown iptables" },
	{ "hostaccess", CHILD, REFUSED(R_UPDOWN), .dflt = "no", .example = "no" },
	{ "mode", CHILD, CONF_T_ENUM, CONF_SUP_YES, 0, 0, "tunnel", AT(conf_child, mode),
	  .vals = mode_vals, .note = "tunnel or transport", .example = "tunnel" },
	{ "policies", CHILD, REFUSED("setting policies (uipsec always installs a CHILD_SA's policies)"),
	  .dflt = "yes", .example = "yes" },
	{ "policies_fwd_out", CHILD, REFUSED(R_KERNEL), .dflt = "no", .example = "no" },
	{ "dpd_action", CHILD, CONF_T_ACTIONS, CONF_SUP_MODEL, 0, 0, "clear",
	  AT(conf_child, dpd_action),
	  .why = "DPD actions, not yet in uipsec's IKE (only clear, the default)", .example = "clear" },
	{ "ipcomp", CHILD, REFUSED("IPComp"), .dflt = "no",
	  .example = "no" },
	{ "inactivity", CHILD, REFUSED("closing idle CHILD_SAs, not yet in uipsec"),
	  .dflt = "0s", .example = "0s" },
	{ "reqid", CHILD, REFUSED("fixed reqids (uipsec assigns them)"), .dflt = "0", .example = "0" },
	{ "priority", CHILD, REFUSED("fixed policy priorities (uipsec computes them)"), .dflt = "0",
	  .example = "0" },
	{ "interface", CHILD, REFUSED("policies bound to an interface"),
	  .dflt = "", .example = "lo" },
	{ "mark_in", CHILD, REFUSED(R_MARK), .dflt = "0/0x00000000", .example = "0" },
	{ "mark_in_sa", CHILD, REFUSED(R_MARK), .dflt = "no", .example = "no" },
	{ "mark_out", CHILD, REFUSED(R_MARK), .dflt = "0/0x00000000", .example = "0" },
	{ "set_mark_in", CHILD, REFUSED(R_MARK), .dflt = "0/0x00000000", .example = "0" },
	{ "set_mark_out", CHILD, REFUSED(R_MARK), .dflt = "0/0x00000000", .example = "0" },
	{ "if_id_in", CHILD, REFUSED(R_IFID), .dflt = "0", .example = "0" },
	{ "if_id_out", CHILD, REFUSED(R_IFID), .dflt = "0", .example = "0" },
	{ "label", CHILD, REFUSED(R_LABEL), .dflt = "", .example = "system_u:object_r:ipsec_spd_t:s0" },
	{ "label_mode", CHILD, REFUSED(R_LABEL), .dflt = "system", .example = "system" },
	{ "tfc_padding", CHILD, REFUSED("TFC padding"), .dflt = "0",
	  .example = "0" },
	{ "replay_window", CHILD, CONF_T_UINT, CONF_SUP_YES, 0, 0, "32",
	  AT(conf_child, replay_window), .min = 0, .max = CONF_REPLAY_WINDOW_MAX,
	  .note = "packets, at most 8192; 0 switches replay protection off", .example = "128" },
	{ "hw_offload", CHILD, REFUSED(R_KERNEL), .dflt = "no", .example = "no" },
	{ "copy_df", CHILD, REFUSED(R_KERNEL), .dflt = "yes", .example = "yes" },
	{ "copy_ecn", CHILD, REFUSED(R_KERNEL), .dflt = "yes", .example = "yes" },
	{ "copy_dscp", CHILD, REFUSED(R_KERNEL), .dflt = "out", .example = "out" },
	{ "start_action", CHILD, CONF_T_ACTIONS, CONF_SUP_YES, 0, 0, "none",
	  AT(conf_child, start_action), .runs = runs_actions, .why = R_TRAPSTART,
	  .note = "none, trap or start", .example = "none" },
	{ "close_action", CHILD, CONF_T_ACTIONS, CONF_SUP_YES, 0, 0, "none",
	  AT(conf_child, close_action), .runs = runs_actions, .why = R_TRAPSTART,
	  .note = "none, trap or start", .example = "none" },

	/* secrets */
	{ "secrets", CONF_SC(CONF_SC_ROOT), CONF_T_SECTION, CONF_SUP_YES, CONF_SC_SECRETS, 0,
	  .note = "credentials, one section each; the name starts with the type" },
	{ "eap", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_SECRET_EAP,
	  CONF_F_PREFIX, .why = R_EAP },
	{ "xauth", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_SECRET_EAP,
	  CONF_F_PREFIX, .why = R_XAUTH },
	{ "ntlm", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_SECRET_EAP,
	  CONF_F_PREFIX, .why = R_EAP },
	{ "ike", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_YES, CONF_SC_SECRET_IKE,
	  CONF_F_PREFIX, .note = "an IKE pre-shared key" },
	{ "ppk", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_SECRET_EAP,
	  CONF_F_PREFIX, .why = R_PPK },
	{ "private", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_SECRET_KEY,
	  CONF_F_PREFIX, .why = R_CERT },
	{ "rsa", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_SECRET_KEY,
	  CONF_F_PREFIX, .why = R_CERT },
	{ "ecdsa", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_SECRET_KEY,
	  CONF_F_PREFIX, .why = R_CERT },
	{ "pkcs8", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_SECRET_KEY,
	  CONF_F_PREFIX, .why = R_CERT },
	{ "pkcs12", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_SECRET_KEY,
	  CONF_F_PREFIX, .why = R_CERT },
	{ "token", CONF_SC(CONF_SC_SECRETS), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_SECRET_TOKEN,
	  CONF_F_PREFIX, .why = R_TOKEN },
	{ "secret", CONF_SC(CONF_SC_SECRET_IKE), CONF_T_SECRET, CONF_SUP_YES, 0, 0, "",
	  AT2(conf_secret, secret, secret_len),
	  .note = "the key: text, 0x followed by hex, or 0s followed by base64",
	  .example = "0x0123456789abcdef0123456789abcdef" },
	{ "id", CONF_SC(CONF_SC_SECRET_IKE), CONF_T_IDS, CONF_SUP_YES, 0, CONF_F_PREFIX, "",
	  AT2(conf_secret, ids, nids),
	  .note = "identities the key is for, any number (none: any)",
	  .example = "gw-a.example.org" },
	{ "secret", CONF_SC(CONF_SC_SECRET_EAP), REFUSED(R_EAP), .dflt = "",
	  .example = "0x00112233445566778899aabbccddeeff" },
	{ "id", CONF_SC(CONF_SC_SECRET_EAP), REFUSED(R_EAP), .flags = CONF_F_PREFIX, .dflt = "",
	  .example = "user@example.org" },
	{ "file", CONF_SC(CONF_SC_SECRET_KEY), REFUSED(R_CERT), .dflt = "",
	  .example = "uipsec-example-key.pem" },
	{ "secret", CONF_SC(CONF_SC_SECRET_KEY), REFUSED(R_CERT), .dflt = "", .example = "example" },
	{ "handle", CONF_SC(CONF_SC_SECRET_TOKEN), REFUSED(R_TOKEN), .dflt = "" },
	{ "slot", CONF_SC(CONF_SC_SECRET_TOKEN), REFUSED(R_TOKEN), .dflt = "" },
	{ "module", CONF_SC(CONF_SC_SECRET_TOKEN), REFUSED(R_TOKEN), .dflt = "" },
	{ "pin", CONF_SC(CONF_SC_SECRET_TOKEN), REFUSED(R_TOKEN), .dflt = "" },

	/* pools */
	{ "pools", CONF_SC(CONF_SC_ROOT), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_POOLS, 0,
	  .why = R_VIP },
	{ "<name>", CONF_SC(CONF_SC_POOLS), CONF_T_SECTION, CONF_SUP_NO, CONF_SC_POOL, CONF_F_ANY,
	  .why = R_VIP },
	{ "addrs", CONF_SC(CONF_SC_POOL), REFUSED(R_VIP), .dflt = "", .example = "10.3.0.0/24" },
	{ "<attr>", CONF_SC(CONF_SC_POOL), REFUSED(R_VIP), .flags = CONF_F_ANY, .dflt = "",
	  .example = "10.3.0.53" },

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

static const char *const scope_paths[CONF_SC_MAX] = {
	[CONF_SC_ROOT] = "",
	[CONF_SC_CONNS] = "connections",
	[CONF_SC_CONN] = "connections.<conn>",
	[CONF_SC_LOCAL] = "connections.<conn>.local<suffix>",
	[CONF_SC_REMOTE] = "connections.<conn>.remote<suffix>",
	[CONF_SC_CERT] = "connections.<conn>.local<suffix>.cert<suffix>",
	[CONF_SC_CHILDREN] = "connections.<conn>.children",
	[CONF_SC_CHILD] = "connections.<conn>.children.<child>",
	[CONF_SC_SECRETS] = "secrets",
	[CONF_SC_SECRET_IKE] = "secrets.ike<suffix>",
	[CONF_SC_SECRET_EAP] = "secrets.eap<suffix>",
	[CONF_SC_SECRET_KEY] = "secrets.private<suffix>",
	[CONF_SC_SECRET_TOKEN] = "secrets.token<suffix>",
	[CONF_SC_POOLS] = "pools",
	[CONF_SC_POOL] = "pools.<name>",
	[CONF_SC_AUTHORITIES] = "authorities",
	[CONF_SC_AUTHORITY] = "authorities.<name>",
};

const char *conf_scope_path(enum conf_scope scope)
{
	return scope < CONF_SC_MAX ? scope_paths[scope] : "?";
}

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

/* ---- the list of options and the example file ------------------------------ */

/* The sections of one secret type as swanctl.conf(5) names them: the
 * table shares a scope between eap, xauth, ntlm and ppk (and between the
 * private key types), so their names come from the section entries. */
static void path_of(const struct conf_opt *o, enum conf_scope scope, const char *parent,
                    char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", parent[0] ? parent : "", parent[0] ? "." : "", o->name,
	         (o->flags & CONF_F_PREFIX) ? "<suffix>" : "");
	(void)scope;
}

static const char *support_text(const struct conf_opt *o, char *buf, size_t len)
{
	size_t n = 0;

	switch (o->sup) {
	case CONF_SUP_NO:
		snprintf(buf, len, "not supported: %s", o->why);
		return buf;
	case CONF_SUP_MODEL:
		snprintf(buf, len, "only the default: %s", o->why);
		return buf;
	default:
		break;
	}
	n = (size_t)snprintf(buf, len, "yes");
	if (o->note && n < len)
		n += (size_t)snprintf(buf + n, len - n, "; %s", o->note);
	if (o->vals)
		for (const struct conf_enum_val *v = o->vals; v->name && n < len; v++) {
			if (v->sup == CONF_SUP_YES || (v > o->vals && v[-1].why && v[-1].why == v->why))
				continue;
			/* values that share a reason share the sentence */
			n += (size_t)snprintf(buf + n, len - n, "; %s", v->name);
			for (const struct conf_enum_val *w = v + 1; w->name && w->why == v->why && n < len; w++)
				n += (size_t)snprintf(buf + n, len - n, ", %s", w->name);
			if (n < len)
				n += (size_t)snprintf(buf + n, len - n, ": not supported: %s", v->why);
		}
	if (o->runs && o->why && n < len)
		n += (size_t)snprintf(buf + n, len - n, " (%s: refused)", o->why);
	return buf;
}

/* The sections in the order of the man page, each with its parent path
 * and, for shared scopes, the entry that names it. */
struct sect {
	enum conf_scope scope;
	const char *path;       /* as swanctl.conf(5) writes it */
};

static const struct sect sections[] = {
	{ CONF_SC_ROOT, "" },
	{ CONF_SC_CONNS, "connections" },
	{ CONF_SC_CONN, "connections.<conn>" },
	{ CONF_SC_LOCAL, "connections.<conn>.local<suffix>" },
	{ CONF_SC_CERT, "connections.<conn>.local<suffix>.cert<suffix>" },
	{ CONF_SC_REMOTE, "connections.<conn>.remote<suffix>" },
	{ CONF_SC_CERT, "connections.<conn>.remote<suffix>.cert<suffix>" },
	{ CONF_SC_CERT, "connections.<conn>.remote<suffix>.cacert<suffix>" },
	{ CONF_SC_CHILDREN, "connections.<conn>.children" },
	{ CONF_SC_CHILD, "connections.<conn>.children.<child>" },
	{ CONF_SC_SECRETS, "secrets" },
	{ CONF_SC_SECRET_EAP, "secrets.eap<suffix>" },
	{ CONF_SC_SECRET_EAP, "secrets.xauth<suffix>" },
	{ CONF_SC_SECRET_EAP, "secrets.ntlm<suffix>" },
	{ CONF_SC_SECRET_IKE, "secrets.ike<suffix>" },
	{ CONF_SC_SECRET_EAP, "secrets.ppk<suffix>" },
	{ CONF_SC_SECRET_KEY, "secrets.private<suffix>" },
	{ CONF_SC_SECRET_KEY, "secrets.rsa<suffix>" },
	{ CONF_SC_SECRET_KEY, "secrets.ecdsa<suffix>" },
	{ CONF_SC_SECRET_KEY, "secrets.pkcs8<suffix>" },
	{ CONF_SC_SECRET_KEY, "secrets.pkcs12<suffix>" },
	{ CONF_SC_SECRET_TOKEN, "secrets.token<suffix>" },
	{ CONF_SC_POOLS, "pools" },
	{ CONF_SC_POOL, "pools.<name>" },
	{ CONF_SC_AUTHORITIES, "authorities" },
	{ CONF_SC_AUTHORITY, "authorities.<name>" },
};

/* swanctl.conf(5) lists secrets.xauth<suffix> without options. */
static bool listed(const struct sect *s, const struct conf_opt *o)
{
	(void)o;
	return strcmp(s->path, "secrets.xauth<suffix>") != 0;
}

static void write_list(FILE *out, enum conf_list_format fmt)
{
	char path[256], sup[1024];

	if (fmt == CONF_LIST_MARKDOWN)
		fprintf(out,
		        "# swanctl.conf options\n"
		        "\n"
		        "Every option and section of strongSwan 5.9.8's swanctl.conf(5), and what\n"
		        "uipsec does with it. Generated from the option table\n"
		        "(`src/conf/conf_options.c`) by `uipsecd --list-options markdown`;\n"
		        "`tests/unit/test_conf_options.c` fails when this file and the table\n"
		        "disagree, so edit the table and regenerate:\n"
		        "\n"
		        "    build/uipsecd --list-options markdown > docs/swanctl-options.md\n"
		        "\n"
		        "\"yes\": supported (with uipsec's limits in parentheses). \"only the\n"
		        "default\": read, but uipsecd refuses any other value. \"not supported\":\n"
		        "refused wherever it is written, with this reason, and the file is not\n"
		        "loaded; a name that is no strongSwan option is refused as an unknown\n"
		        "option. Every refusal names the file, line, column and the option's\n"
		        "path, and all of a file's refusals are reported at once.\n");
	for (size_t k = 0; k < sizeof(sections) / sizeof(sections[0]); k++) {
		const struct sect *s = &sections[k];
		bool head = false;

		for (size_t i = 0; i < conf_nopts; i++) {
			const struct conf_opt *o = &conf_opts[i];

			if (!(o->scopes & CONF_SC(s->scope)) || !listed(s, o))
				continue;
			/* the cacert<suffix> section holds the same keys as cert<suffix> */
			path_of(o, s->scope, s->path, path, sizeof(path));
			switch (fmt) {
			case CONF_LIST_NAMES:
				fprintf(out, "%s\n", path);
				break;
			case CONF_LIST_TEXT:
				fprintf(out, "%-56s %-14s %s\n", path,
				        o->type == CONF_T_SECTION ? "(section)" : o->dflt ? o->dflt : "",
				        support_text(o, sup, sizeof(sup)));
				break;
			case CONF_LIST_MARKDOWN:
				if (!head) {
					if (s->path[0])
						fprintf(out, "\n## `%s`\n", s->path);
					else
						fprintf(out, "\n## The top level\n");
					fprintf(out, "\n| option | default | uipsec |\n|---|---|---|\n");
					head = true;
				}
				fprintf(out, "| `%s%s` | %s | %s |\n", o->name,
				        (o->flags & CONF_F_PREFIX) ? "<suffix>" : "",
				        o->type == CONF_T_SECTION ? "section" :
				        o->dflt && o->dflt[0] ? o->dflt : "-",
				        support_text(o, sup, sizeof(sup)));
				break;
			default:
				break;
			}
		}
	}
}

/* ---- the example file: every option with its example value ---------------- */

static unsigned example_refused;

/* The options of scope that have a value to show (an option whose only
 * values need a smartcard or similar has none, and is not written). In a
 * section uipsec refuses as a whole, the options are not counted. */
static void ex_opts(FILE *out, enum conf_scope scope, const char *indent, const char *file,
                    bool counted)
{
	for (size_t i = 0; i < conf_nopts; i++) {
		const struct conf_opt *o = &conf_opts[i];
		const char *name = o->name, *v;

		if (!(o->scopes & CONF_SC(scope)) || o->type == CONF_T_SECTION)
			continue;
		v = o->example ? o->example : o->dflt;
		if (file && strcmp(o->name, "file") == 0)
			v = file;
		if (!v || !v[0])
			continue;
		if (o->flags & CONF_F_ANY)
			name = "dns";   /* pools.<name>.<attr> */
		fprintf(out, "%s%s%s = %s\n", indent, name, (o->flags & CONF_F_PREFIX) ? "-1" : "", v);
		if (counted && (o->sup == CONF_SUP_NO ||
		                (o->sup == CONF_SUP_MODEL && o->type == CONF_T_STRING)))
			example_refused++;
	}
}

/* A section of the example: its name, what is inside, the value of a
 * "file" key in it (private keys of each type need their own file). */
struct ex_sect {
	const char *indent, *name;
	enum conf_scope scope;
	const char *file;
};

/* A section uipsec refuses as a whole: one refusal (counted), or none of
 * its own if it is inside one (pools.<name> in pools). */
static void ex_section(FILE *out, const struct ex_sect *e, bool counted)
{
	char in[32];

	snprintf(in, sizeof(in), "%s    ", e->indent);
	fprintf(out, "%s%s {\n", e->indent, e->name);
	ex_opts(out, e->scope, in, e->file, false);
	fprintf(out, "%s}\n", e->indent);
	if (counted)
		example_refused++;
}

static void write_example(FILE *out)
{
	static const struct ex_sect secrets[] = {
		{ "    ", "eap-1", CONF_SC_SECRET_EAP, NULL },
		{ "    ", "xauth-1", CONF_SC_SECRET_EAP, NULL },
		{ "    ", "ntlm-1", CONF_SC_SECRET_EAP, NULL },
		{ "    ", "ppk-1", CONF_SC_SECRET_EAP, NULL },
		{ "    ", "private-1", CONF_SC_SECRET_KEY, "uipsec-example-key.pem" },
		{ "    ", "rsa-1", CONF_SC_SECRET_KEY, "uipsec-example-key.pem" },
		{ "    ", "ecdsa-1", CONF_SC_SECRET_KEY, "uipsec-example-ec.pem" },
		{ "    ", "pkcs8-1", CONF_SC_SECRET_KEY, "uipsec-example.p8" },
		{ "    ", "pkcs12-1", CONF_SC_SECRET_KEY, "uipsec-example.p12" },
	};
	static const struct ex_sect cert_l = { "            ", "cert-1", CONF_SC_CERT, NULL };
	static const struct ex_sect cert_r = { "            ", "cert-1", CONF_SC_CERT, NULL };
	static const struct ex_sect cacert = { "            ", "cacert-1", CONF_SC_CERT, NULL };
	static const struct ex_sect pool = { "    ", "pool-1", CONF_SC_POOL, NULL };
	static const struct ex_sect ca = { "    ", "ca-1", CONF_SC_AUTHORITY, NULL };

	example_refused = 0;
	fprintf(out,
	        "# Every swanctl.conf option of uipsec's option table (src/conf/conf_options.c)\n"
	        "# that can be written without a smartcard, each with a value strongSwan\n"
	        "# accepts: charon must load this file (tests/interop/test_conf_charon.sh,\n"
	        "# which provides the uipsec-example* certificate and key files), and\n"
	        "# uipsecd refuses each option or section it does not support, at its line.\n"
	        "# Written by uipsecd --list-options example.\n"
	        "connections {\n    example {\n");
	ex_opts(out, CONF_SC_CONN, "        ", NULL, true);
	fprintf(out, "        local {\n");
	ex_opts(out, CONF_SC_LOCAL, "            ", NULL, true);
	ex_section(out, &cert_l, true);
	fprintf(out, "        }\n        remote {\n");
	ex_opts(out, CONF_SC_REMOTE, "            ", NULL, true);
	ex_section(out, &cert_r, true);
	ex_section(out, &cacert, true);
	fprintf(out, "        }\n        children {\n            net {\n");
	ex_opts(out, CONF_SC_CHILD, "                ", NULL, true);
	fprintf(out, "            }\n        }\n    }\n}\nsecrets {\n    ike-1 {\n");
	ex_opts(out, CONF_SC_SECRET_IKE, "        ", NULL, true);
	fprintf(out, "    }\n");
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		ex_section(out, &secrets[i], true);
	fprintf(out, "}\npools {\n");
	ex_section(out, &pool, false);   /* pools is refused, not each pool */
	fprintf(out, "}\nauthorities {\n");
	ex_section(out, &ca, false);
	fprintf(out, "}\n");
	example_refused += 2;            /* pools, authorities */
}

unsigned conf_options_example_refusals(void)
{
	FILE *f = fopen("/dev/null", "w");

	if (f) {
		write_example(f);
		fclose(f);
	}
	return example_refused;
}

void conf_options_write(FILE *out, enum conf_list_format fmt)
{
	if (fmt == CONF_LIST_EXAMPLE)
		write_example(out);
	else
		write_list(out, fmt);
}
