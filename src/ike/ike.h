/* The IKEv2 daemon core (RFC 7296): connections, IKE SAs, CHILD SAs.
 *
 * Transport, time and data plane are abstract so that the core runs the
 * same in the daemon and in tests: it gets datagrams through ike_input()
 * and sends through the io->send callback, reads the time through
 * io->now_ms, and changes the data plane only through the backend
 * interface (xfrm/backend.h: add/update/delete states and policies, query
 * counters; acquire and expire events come back through it), like charon
 * over XFRM netlink.
 *
 * Messages passed in and out are bare IKE messages: a daemon strips the
 * four-byte non-ESP marker from what arrives on port 4500 and adds it to
 * what it sends from port 4500 (RFC 3948 section 2.2).
 *
 * Threading: one control loop; nothing here blocks. */
#ifndef UIPSEC_IKE_IKE_H
#define UIPSEC_IKE_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crypto/sig.h"
#include "ike/ike_pld.h"
#include "ike/ike_proposal.h"
#include "net/addr.h"

struct crypto_cert;
struct crypto_pubkey;
struct ike_creds;
struct xfrm_backend;

struct ike_endpoint {
	struct ip_addr addr;
	uint16_t port;        /* host order */
};

/* Why an IKE SA ended. Recorded by the one function that ends an SA,
 * logged at info, counted (struct ike_stats), shown by ike_list_conns
 * and passed to io->ike_ended. */
enum ike_end_reason {
	IKE_END_NONE = 0,
	IKE_END_DELETED_BY_PEER,     /* the peer's Delete (RFC 7296 1.4.1) */
	IKE_END_DELETED_BY_US,       /* terminated here (uipsec terminate) */
	IKE_END_REKEYED,             /* replaced by its rekeyed successor (2.18) */
	IKE_END_REKEY_COLLISION,     /* the redundant new SA of a rekey collision (2.8.2) */
	IKE_END_RETRANSMIT_GIVEUP,   /* the peer answered no request of ours (2.4) */
	IKE_END_DPD_DEAD,            /* the peer answered no liveness check (2.4) */
	IKE_END_HALF_OPEN_TIMEOUT,   /* responder: no IKE_AUTH in time */
	IKE_END_NO_PROPOSAL,         /* IKE_SA_INIT: no proposal in common */
	IKE_END_INIT_FAILED,         /* IKE_SA_INIT failed otherwise */
	IKE_END_AUTH_FAILED,         /* IKE_AUTH: one side did not accept the other */
	IKE_END_REPLACED,            /* the peer started over with INITIAL_CONTACT (2.4) */
	IKE_END_REAUTH,              /* replaced by a reauthenticated IKE SA (make-before-break) */
	IKE_END_EXPIRED,             /* over_time after its rekey or reauth time, not replaced */
	IKE_END_PROTOCOL_ERROR,      /* a malformed or unacceptable message */
	IKE_END_CONN_UNLOADED,       /* its connection was unloaded */
	IKE_END_SHUTDOWN,            /* the core stops */
	IKE_END_INTERNAL,            /* no memory, no random bytes, a refusing backend */
	IKE_END_NO_VIP,              /* client: the gateway assigned no virtual IP (2.19) */
	IKE_END_MAX,
};

/* Why a CHILD SA ended (including one that was never installed). */
enum ike_child_end_reason {
	CHILD_END_NONE = 0,
	CHILD_END_DELETED_BY_PEER,   /* the peer's Delete */
	CHILD_END_DELETED_BY_US,     /* terminated here */
	CHILD_END_REKEYED,           /* replaced by its rekeyed successor (RFC 7296 2.8) */
	CHILD_END_REKEY_COLLISION,   /* the redundant new SA of a rekey collision (2.8.1) */
	CHILD_END_EXPIRED,           /* its hard lifetime was reached */
	CHILD_END_IKE_ENDED,         /* its IKE SA ended */
	CHILD_END_NO_PROPOSAL,       /* the peer answered NO_PROPOSAL_CHOSEN */
	CHILD_END_TS_UNACCEPTABLE,   /* the peer answered TS_UNACCEPTABLE */
	CHILD_END_REFUSED,           /* the peer answered with another error */
	CHILD_END_INVALID_RESPONSE,  /* the response was malformed or unacceptable */
	CHILD_END_INSTALL_FAILED,    /* the data plane refused its states */
	CHILD_END_INTERNAL,          /* no memory, no random bytes */
	CHILD_END_MAX,
};

/* "deleted-by-peer", "retransmit-giveup", ...: stable names for logs,
 * listings and events. */
const char *ike_end_reason_name(enum ike_end_reason r);
const char *ike_child_end_reason_name(enum ike_child_end_reason r);

struct ike_end_event {
	const char *conn;            /* "-" once the connection is unloaded */
	uint64_t spi_i, spi_r;
	bool initiator;              /* we initiated this IKE SA */
	bool established;            /* it had been up (an "ike-updown" down) */
	enum ike_end_reason reason;
	uint32_t unique_id;          /* the IKE SA's (charon's uniqueid) */
};

struct ike_child_end_event {
	const char *conn, *child;
	uint64_t ike_spi_i, ike_spi_r;
	uint32_t spi_in, spi_out, reqid;
	bool installed;              /* it had been up (a "child-updown" down) */
	enum ike_child_end_reason reason;
	uint32_t ike_unique_id, unique_id;   /* the IKE SA's and the CHILD SA's */
};

/* A CHILD SA was installed (the seam for updown scripts). What the
 * daemon needs to run them the way charon's updown plugin does; valid
 * during the call. */
struct ike_child_up_event {
	const char *conn, *child;
	const char *updown;          /* the child config's updown ("" none) */
	bool hostaccess;
	uint32_t ike_unique_id, unique_id, reqid;
	uint32_t spi_in, spi_out;
	uint32_t rekeyed_spi;        /* != 0: it replaces the CHILD SA of that
	                              * inbound SPI (a rekeying, no "up") */
	bool transport, encap;
	struct ike_endpoint local, remote;
	const char *local_id, *remote_id;          /* as ike_id_fmt writes them */
	const char *remote_eap_id;   /* the peer's EAP identity, NULL if none */
	const struct ike_ts_list *ts_local, *ts_remote;
	/* virtual IPs: ours (a client's, assigned by the gateway) and the
	 * peer's (a gateway: those leased to the client); the DNS servers
	 * a client was sent */
	const struct ip_addr *vip_local, *vip_remote, *dns;
	unsigned nvip_local, nvip_remote, ndns;
};

struct ike_io {
	void *ctx;
	/* Send one IKE message from local to remote (no non-ESP marker). */
	void (*send)(void *ctx, const struct ike_endpoint *local,
	             const struct ike_endpoint *remote, const uint8_t *msg, size_t len);
	/* Monotonic milliseconds. */
	uint64_t (*now_ms)(void *ctx);
	/* Optional: send a NAT keepalive (RFC 3948 2.3, one 0xff byte
	 * without the non-ESP marker) from local to remote. NULL: none. */
	void (*keepalive)(void *ctx, const struct ike_endpoint *local,
	                  const struct ike_endpoint *remote);
	/* Optional: the local address to reach remote from, for an initiator
	 * whose local_addr is unset (local_addrs = %any), as the routing would
	 * pick it (ip_route_src). 0 or -errno. NULL: such a connection only
	 * responds. */
	int (*route_src)(void *ctx, const struct ip_addr *remote, struct ip_addr *local);
	/* Optional: an IKE SA or a CHILD SA ended, and why (the seam for
	 * ike-updown / child-updown events). ev is valid during the call;
	 * the callback must not call back into the core. NULL: not told. */
	void (*ike_ended)(void *ctx, const struct ike_end_event *ev);
	void (*child_ended)(void *ctx, const struct ike_child_end_event *ev);
	/* Optional: a CHILD SA was installed (also the successor of a rekeyed
	 * one: ev->rekeyed_spi). The callback must not call back into the
	 * core. NULL: not told. */
	void (*child_up)(void *ctx, const struct ike_child_up_event *ev);
	/* Optional, for a client with vips: a virtual IP the gateway assigned
	 * (add) or that goes with its IKE SA (!add); the daemon puts it on
	 * (takes it off) its TUN device. dns: the DNS servers the gateway
	 * sent with it (ndns of them), for reporting. NULL: not told. */
	void (*vip)(void *ctx, bool add, const char *conn, const struct ip_addr *vip,
	            const struct ip_addr *dns, unsigned ndns);
};

/* start_action, close_action and dpd_action (swanctl.conf): what to do
 * with a CHILD SA when the connection loads, when the peer closes it, and
 * when the peer stops answering. clear and none are IKE_ACTION_NONE,
 * restart is IKE_ACTION_START (charon 5.9.8 reads them the same way). */
enum ike_start_action { IKE_ACTION_NONE = 0, IKE_ACTION_START = 1, IKE_ACTION_TRAP = 2 };

struct ike_child_cfg {
	char name[64];
	/* n == 0 means "dynamic": our (their) own address */
	struct ike_ts_list local_ts, remote_ts;
	struct ike_proposals esp;
	bool transport;          /* mode = transport (default tunnel) */
	uint8_t mode;            /* enum xfrm_mode, set by ike_conn_add from transport */
	uint8_t start_action;    /* enum ike_start_action */
	uint8_t close_action;    /* enum ike_start_action: none (clear), trap, start (restart) */
	uint8_t dpd_action;      /* enum ike_start_action: none (clear), trap, start (restart) */
	/* Lifetimes as swanctl.conf has them: rekey at rekey_* minus a random
	 * part of rand_* (drawn per CHILD SA, so that both ends rarely rekey
	 * at once), gone at life_*. 0 = no such limit; life_time 0 with a
	 * rekey_time = rekey_time * 1.1. */
	uint32_t rekey_time, life_time, rand_time;          /* seconds */
	uint64_t rekey_bytes, life_bytes, rand_bytes;
	uint64_t rekey_packets, life_packets, rand_packets;
	uint32_t replay_window;  /* packets (default 32) */
	uint32_t reqid;          /* 0: assigned by ike_conn_add */
	/* updown (swanctl.conf): not used by the core, only handed to
	 * io->child_up with the CHILD SA ("" none) */
	char updown[512];
	bool hostaccess;
};

/* How one end proves who it is (swanctl.conf local/remote auth = ...). */
enum ike_auth_class {
	IKE_AUTH_CLASS_PSK = 0,      /* pre-shared key (and the zero default) */
	IKE_AUTH_CLASS_PUBKEY,       /* certificates or raw public keys, RFC 7427 signatures */
	IKE_AUTH_CLASS_EAP,          /* EAP (local end client, remote end server): MSCHAPv2 */
	IKE_AUTH_CLASS_MAX,
};

/* "psk", "pubkey", "eap". */
const char *ike_auth_class_name(enum ike_auth_class c);

/* Childless IKE SAs, RFC 6023 (swanctl.conf connections.<conn>.childless,
 * as strongSwan 5.9.8 has it). A responder announces support with
 * N(CHILDLESS_IKEV2_SUPPORTED) in IKE_SA_INIT unless never. */
enum ike_childless {
	IKE_CHILDLESS_ALLOW = 0,  /* responder accepts an IKE_AUTH without SA/TSi/TSr; an
	                           * initiator creates its first CHILD SA in IKE_AUTH (none
	                           * when it initiates the IKE SA alone) */
	IKE_CHILDLESS_FORCE,      /* only childless IKE_AUTH, either role: the first CHILD
	                           * SA follows in CREATE_CHILD_SA */
	IKE_CHILDLESS_NEVER,      /* responder refuses childless IKE_AUTH (INVALID_SYNTAX) */
};

/* IKE fragmentation, RFC 7383 (swanctl.conf connections.<conn>.fragmentation,
 * as charon 5.9.8 does it for IKEv2). Fragments sent by the peer are
 * accepted whatever the setting (charon's rule too), once the IKE SA has
 * keys; IKE_SA_INIT is never fragmented. */
enum ike_fragmentation {
	IKE_FRAG_YES = 0,    /* announce; fragment an oversized protected message if the
	                      * peer announced support too (the default) */
	IKE_FRAG_ACCEPT,     /* announce, but send every message whole */
	IKE_FRAG_FORCE,      /* announce; fragment oversized protected messages even if the
	                      * peer did not announce support (charon's IKEv2 behaviour) */
	IKE_FRAG_NO,         /* do not announce, send every message whole */
};

#define IKE_PSK_MAX 256

#define IKE_CONN_POOLS_MAX 4

/* swanctl.conf send_cert: when our certificates go into CERT payloads. */
enum ike_send_cert {
	IKE_SEND_CERT_IFASKED = 0,   /* the peer sent a CERTREQ (any) in this IKE SA: default */
	IKE_SEND_CERT_ALWAYS,
	IKE_SEND_CERT_NEVER,
};

#define IKE_PUBKEY_CERTS_MAX 8

/* One end's public-key authentication (auth = pubkey, rsa..., ecdsa...,
 * ike:...) as swanctl.conf's local/remote section gives it. Certificates
 * and keys are references: ike_conn_add takes its own, the caller drops
 * the ones it passed. */
struct ike_pubkey_cfg {
	/* local.certs: our certificates, the first whose private key is
	 * loaded signs (none: the loaded certificate that matches local id
	 * and has its key); remote.certs: the peer must use one of these */
	struct crypto_cert *certs[IKE_PUBKEY_CERTS_MAX];
	unsigned ncerts;
	/* local.pubkeys / remote.pubkeys: raw public keys, as certs (no CERT
	 * payload carries them: both ends have the other's key) */
	struct crypto_pubkey *pubkeys[IKE_PUBKEY_CERTS_MAX];
	unsigned npubkeys;
	/* remote only: the peer's chain must hold one of these CAs
	 * (remote.cacerts), a CA matching ca_id (remote.ca_id; unset: none),
	 * and a revocation status revocation allows (enum crypto_revocation;
	 * 0 = relaxed, the default) */
	struct crypto_cert *cacerts[IKE_PUBKEY_CERTS_MAX];
	unsigned ncacerts;
	struct ike_id ca_id;
	uint8_t revocation;
	/* the signature constraints of auth = (crypto_sig_constraints_parse):
	 * local: which schemes we sign with; remote: what the peer may use */
	struct crypto_sig_constraints sig;
};

struct ike_conn_cfg {
	char name[64];
	struct ip_addr local_addr;    /* unset: any (initiator: io.route_src picks it) */
	struct ip_addr remote_addr;   /* unset: accept any peer (responder only) */
	uint16_t local_port, remote_port;   /* 0 = 500 */
	struct ike_proposals ike;
	struct ike_id local_id;       /* unset: our address */
	struct ike_id remote_id;      /* unset: any */
	uint8_t local_auth;           /* enum ike_auth_class: how we prove ourselves */
	uint8_t remote_auth;          /* enum ike_auth_class: how the peer must */
	uint8_t psk[IKE_PSK_MAX];     /* for psk on either end */
	size_t psk_len;
	struct ike_pubkey_cfg local_pk, remote_pk;   /* for pubkey on either end */
	/* EAP (auth = eap, eap-mschapv2): the method's EAP type (26,
	 * MSCHAPv2, the only one), the EAP identities (local.eap_id: ours as
	 * a client, unset: our IKE identity; remote.eap_id: the peer's as a
	 * server, unset: its IKE identity, no EAP-Identity round; set to
	 * %any (type 0) or to another identity, the server asks for it); the
	 * EAP secrets are the shared table's (ike_psks_set, IKE_SHARED_EAP),
	 * looked up by EAP identity at the MSCHAPv2 step */
	uint8_t eap_type;
	bool has_local_eap_id, has_remote_eap_id;
	struct ike_id local_eap_id, remote_eap_id;
	uint8_t send_cert;            /* enum ike_send_cert */
	bool no_certreq;              /* send_certreq = no (default yes) */
	uint32_t dpd_delay;           /* seconds, 0 = off */
	/* IKE SA lifetimes, seconds after establishment (0 = never): rekey
	 * (a new IKE SA with the same peer, RFC 7296 2.18) and reauthenticate
	 * (a new IKE SA with IKE_AUTH, make-before-break) at their time minus
	 * a random part of rand_time; the SA is deleted over_time after the
	 * first of them if that did not replace it (0: a tenth of the longer
	 * of the two times, charon's default, at least 1 s). */
	uint32_t rekey_time, reauth_time, over_time, rand_time;
	/* attempts to set the IKE SA up when the peer does not answer
	 * (swanctl.conf keyingtries, default 1): 0 = forever */
	uint32_t keyingtries;
	bool encap;                   /* force UDP encapsulation of ESP */
	uint8_t childless;            /* enum ike_childless */
	bool unique_never;            /* unique = never: no INITIAL_CONTACT sent or honoured */
	bool unique_keep;             /* unique = keep: a second IKE_SA of these identities refused */
	bool unique_replace;          /* unique = replace: it deletes the first */
	bool no_mobike;               /* mobike = no: MOBIKE (RFC 4555) neither announced nor
	                               * accepted (default yes, as charon's) */
	uint8_t fragmentation;        /* enum ike_fragmentation */
	/* remote access (RFC 7296 2.19): as a client, the families of the
	 * virtual IPs to request (vips = 0.0.0.0 / ::; AF_INET, AF_INET6);
	 * as a gateway, the pools (ike_pools_set) whose addresses a peer's
	 * CFG_REQUEST gets, tried in order (swanctl.conf's
	 * connections.<conn>.pools, as charon's) */
	uint8_t vip_family[2];
	unsigned nvips;
	struct ip_addr vip_req[2];    /* the address asked for with vip_family[i]; zero: any */
	char pools[IKE_CONN_POOLS_MAX][64];
	unsigned npools;
	/* the children, nchildren of them: ike_conn_add copies the array */
	unsigned nchildren;
	struct ike_child_cfg *children;
};

/* Counters of what the core dropped or did, for `uipsec stats` and tests. */
struct ike_stats {
	uint64_t rx, tx, retransmits, resent_responses;
	uint64_t drop_malformed;       /* unparsable header or payload chain */
	uint64_t drop_no_sa;           /* unknown SPIs */
	uint64_t drop_icv;             /* SK payload did not verify */
	uint64_t drop_unprotected;     /* no SK payload where one is required */
	uint64_t drop_msgid;           /* message ID outside the window */
	uint64_t drop_unexpected;      /* response without request, wrong exchange */
	uint64_t drop_before_auth;     /* a request other than IKE_AUTH before authentication */
	uint64_t syntax_errors;        /* verified and decrypted, malformed inside: a request
	                                * answered INVALID_SYNTAX, a response ends the SA */
	uint64_t unsupported_critical; /* answered with UNSUPPORTED_CRITICAL_PAYLOAD */
	uint64_t cookies_sent, cookies_bad, invalid_ke_sent, no_proposal, auth_failed;
	uint64_t ts_unacceptable, half_open_refused;
	uint64_t half_open_timeouts;   /* responder SAs not authenticated in time (ended) */
	uint64_t cert_malformed;       /* CERT/CERTREQ payloads refused: too many, too big, bad DER */
	uint64_t cert_refused;         /* peer certificates or keys not trusted (expired, revoked, ...) */
	/* signs that a peer lost or kept state (RFC 7296 2.21.4) */
	uint64_t invalid_ike_spi_sent;   /* answers to requests for unknown IKE SAs */
	uint64_t invalid_ike_spi_limited;/* not sent: over the rate limit */
	uint64_t invalid_ike_spi_rx;     /* such answers to our requests (hints only) */
	uint64_t unknown_spi;            /* the data plane's unknown ESP SPIs from peers */
	/* IKE_SA_INIT requests dropped unread (floods): over the budget for
	 * unknown addresses, over a source's own limit */
	uint64_t init_over_budget, init_source_limited;
	/* ... and shed while the socket was behind (ike_ctx_set_behind) */
	uint64_t init_shed;
	uint64_t ike_established, child_established, ike_deleted, child_deleted;
	/* IKE fragmentation (RFC 7383): datagrams sent and received as
	 * Encrypted Fragment (SKF) payloads, messages reassembled, and what
	 * was dropped (a fragment that fails its ICV counts in drop_icv) */
	uint64_t frag_tx, frag_rx, frag_msgs_tx, frag_reassembled;
	uint64_t frag_drop_unkeyed;    /* before the IKE SA had keys (or in IKE_SA_INIT) */
	uint64_t frag_drop_invalid;    /* number 0 or above Total, Total 0 or above the limit,
	                                * Total lower than the message's, header changed,
	                                * payloads beside the SKF, bad padding */
	uint64_t frag_drop_msgid;      /* not for the message expected (message ID outside the
	                                * window, or a later fragment of a request answered) */
	uint64_t frag_drop_dup;        /* a fragment already held, same content */
	uint64_t frag_drop_overlap;    /* a fragment number already held, other content */
	uint64_t frag_drop_limit;      /* the message would exceed the reassembly size limit,
	                                * or all SAs' reassembly memory is in use */
	uint64_t frag_incomplete;      /* reassemblies given up: timeout, superseded, SA gone */
	uint64_t frag_bytes;           /* a gauge, not a counter: memory held in reassembly
	                                * now, all SAs */
	/* remote access: virtual IPs leased to peers and received, CFG_REQUESTs
	 * answered with INTERNAL_ADDRESS_FAILURE (pool exhausted, no pool of
	 * the family), and as a client, replies that assigned nothing */
	uint64_t vips_leased, vips_received, vip_failures;
	/* MOBIKE (RFC 4555): IKE SAs moved to new addresses (as the client by
	 * our UPDATE_SA_ADDRESSES, as the gateway by the peer's), CHILD SAs
	 * moved in place with them, and UPDATE_SA_ADDRESSES requests refused
	 * (MOBIKE not negotiated, sent by the original responder, malformed
	 * or missing NAT_DETECTION notifies) */
	uint64_t mobike_moves, mobike_child_moves, mobike_refused;
	uint64_t ike_ended[IKE_END_MAX];       /* by reason */
	uint64_t child_ended[CHILD_END_MAX];
};

/* Retransmission of our requests, with strongSwan's settings and names
 * (strongswan.conf charon.retransmit_*): request n (0, 1, ...) is sent
 * again after timeout * base^n seconds, less a random part of up to
 * jitter percent, at most limit seconds each (0: no limit); after tries
 * retransmissions the peer is given up (RFC 7296 2.4). */
struct ike_retransmit_cfg {
	unsigned tries;         /* retransmit_tries */
	double timeout;         /* retransmit_timeout, seconds */
	double base;            /* retransmit_base */
	unsigned jitter;        /* retransmit_jitter, percent (0..100) */
	double limit;           /* retransmit_limit, seconds (0: none) */
};

/* uipsec's defaults: 1 s, base 1.8, 7 tries, no jitter, no limit (the
 * peer is given up after 136 s). charon's are 4 s, 1.8, 5 tries (165 s):
 * a first retransmission after 1 s (TCP's initial RTO, RFC 6298) halves
 * the time to set up at 30 % loss and sends nothing more on a link whose
 * round trip stays under a second; two more tries keep the give-up time
 * near charon's. */
void ike_retransmit_defaults(struct ike_retransmit_cfg *rc);

struct ike_ctx;

/* New core using io (copied) and the data plane behind backend (borrowed:
 * it must outlive the core; the core listens to its acquire and expire
 * events until ike_ctx_free). A NULL backend is for tests that install no
 * CHILD SA. NULL on failure. */
struct ike_ctx *ike_ctx_new(const struct ike_io *io, struct xfrm_backend *backend);
/* Send a Delete for every established IKE SA (no answer is awaited), as
 * a daemon does when it stops. */
void ike_ctx_shutdown(struct ike_ctx *ctx);
/* Delete every SA (SAD/SPD entries removed, nothing sent) and free. */
void ike_ctx_free(struct ike_ctx *ctx);
/* The public-key credentials pubkey authentication uses (borrowed: they
 * must outlive the core or be replaced before they go; NULL: none, so
 * auth = pubkey cannot prove us nor check a peer). */
void ike_ctx_set_creds(struct ike_ctx *ctx, const struct ike_creds *creds);
/* Half-open IKE SAs at which cookies are demanded (default 30, charon
 * 5.9.8's cookie_threshold), and the hard cap on half-open SAs (default
 * 1000). */
void ike_ctx_set_cookie_threshold(struct ike_ctx *ctx, unsigned threshold, unsigned max);
/* The daemon reads IKE more slowly than it arrives (its socket's queue is
 * filling: a flood): until told otherwise, IKE_SA_INIT requests without a
 * cookie from addresses we know nothing of are dropped unparsed and
 * unanswered (counted in init_shed), so that the socket is read faster
 * than it fills and the kernel does not drop, with the flood, what a real
 * peer sends: its request with our cookie, its IKE_AUTH, a known peer's
 * anything. */
void ike_ctx_set_behind(struct ike_ctx *ctx, bool behind);
/* Whether the data plane wants ESP in UDP (charon's kernel feature
 * KERNEL_REQUIRE_UDP_ENCAPSULATION, which kernel-libipsec has unless its
 * raw_esp option is set). If so, every IKE SA fakes the NAT detection
 * notifies of every connection as encap = yes does, so that a peer that
 * supports NAT-T moves to UDP 4500 and encapsulates; a peer without NAT-T
 * (no NAT_DETECTION notifies) keeps raw ESP. Default false: only encap =
 * yes or a real NAT encapsulate. */
void ike_ctx_set_prefer_encap(struct ike_ctx *ctx, bool prefer);
const struct ike_stats *ike_ctx_stats(const struct ike_ctx *ctx);
/* Replace the retransmission settings (the daemon's strongswan.conf-like
 * settings; ike_retransmit_defaults until then). -EINVAL (nothing changed)
 * if tries > 100, timeout not in (0, 3600], base not in [1, 10], jitter >
 * 100 or limit < 0. */
int ike_ctx_set_retransmit(struct ike_ctx *ctx, const struct ike_retransmit_cfg *rc);
/* IKE fragmentation. fragment_size: the largest IP datagram a fragment
 * may make, IP and UDP headers (and the non-ESP marker) included, as
 * charon's charon.fragment_size (default 1280 for IPv4 and IPv6; 0: 576
 * over IPv4, 1280 over IPv6). A protected message larger than that goes
 * in fragments when the connection's fragmentation setting says so.
 * Applies to messages built after the call. */
void ike_ctx_set_fragment_size(struct ike_ctx *ctx, unsigned fragment_size);
/* Reassembly bounds: the largest message (IKE header included) put back
 * together (default 65535; uipsecd passes --max-packet), the most
 * fragments a message may have (default 255, charon's), and the memory
 * all SAs' reassemblies may hold together (default 4 MiB). Each IKE SA
 * reassembles at most one request and one response at a time. A zero
 * keeps that bound as it is. */
void ike_ctx_set_frag_limits(struct ike_ctx *ctx, size_t max_message, unsigned max_fragments,
                             size_t mem_max);

/* Add or replace (by name) a connection; cfg is copied (PSK included;
 * wiped when removed). Installs trap policies for start_action=trap
 * children and starts start_action=start ones. Returns 0 or -EINVAL with
 * a reason in err. */
int ike_conn_add(struct ike_ctx *ctx, const struct ike_conn_cfg *cfg, char *err, size_t errlen);
/* Remove a connection, terminating its SAs. -ENOENT if unknown. */
int ike_conn_del(struct ike_ctx *ctx, const char *name);
/* Names of the loaded connections, for load: remove those not reloaded.
 * names NULL: how many there are. */
unsigned ike_conn_names(struct ike_ctx *ctx, char names[][64], unsigned max);

/* One datagram received on local from remote. */
void ike_input(struct ike_ctx *ctx, const struct ike_endpoint *local,
               const struct ike_endpoint *remote, const uint8_t *msg, size_t len);

/* Start the CHILD_SA named (or every child of the connection named);
 * reuses an established IKE SA of the connection. 0 or -ENOENT. */
int ike_initiate(struct ike_ctx *ctx, const char *name);
/* Delete the IKE SAs of connection name (INFORMATIONAL delete). */
int ike_terminate_ike(struct ike_ctx *ctx, const char *name);
/* Delete the CHILD_SAs named. */
int ike_terminate_child(struct ike_ctx *ctx, const char *name);

/* swanctl --rekey: rekey the IKE SAs of connection name (RFC 7296 2.18),
 * or with reauth reauthenticate them make-before-break (a new IKE SA with
 * IKE_AUTH and the same CHILD SAs; the old goes once they are up). 0, or
 * -ENOENT if the connection has no established IKE SA. */
int ike_rekey_ike(struct ike_ctx *ctx, const char *name, bool reauth);
/* Rekey the installed CHILD SAs named name (CREATE_CHILD_SA with
 * REKEY_SA). 0 or -ENOENT. */
int ike_rekey_child(struct ike_ctx *ctx, const char *name);

/* The host's addresses or routes changed (an rtnetlink event): every
 * established IKE SA we initiated with MOBIKE (RFC 4555) whose peer the
 * routing now reaches from another local address (io->route_src) moves
 * there with an INFORMATIONAL UPDATE_SA_ADDRESSES; its CHILD SAs follow
 * in place once the peer answered. A request in flight is retransmitted
 * from the new address at once. Without io->route_src it does nothing. */
void ike_roam(struct ike_ctx *ctx);

/* Run due timers (retransmits, DPD, rekeying, half-open timeouts). */
void ike_tick(struct ike_ctx *ctx);
/* When ike_tick should run next (monotonic ms), UINT64_MAX if idle. */
uint64_t ike_next_timer(struct ike_ctx *ctx);

/* What a shared secret is for (charon's shared_key_type_t). */
enum ike_shared_type {
	IKE_SHARED_IKE = 0,   /* an IKE pre-shared key (ike-NAME; the zero default) */
	IKE_SHARED_EAP,       /* an EAP password (eap-NAME: EAP-MSCHAPv2) */
};
/* One shared secret of swanctl.conf's secrets section (ike-NAME or
 * eap-NAME { id-x = ...; secret = ... }) or of VICI load-shared: its
 * owners (nids identities, patterns allowed; none: anyone), the key and
 * its type. EAP owners are EAP identities as strongSwan parses them
 * ("carol" is an FQDN, "carol@example.org" an RFC 822 address). */
struct ike_psk_cfg {
	const struct ike_id *ids;
	unsigned nids;
	const uint8_t *key;
	size_t len;
	uint8_t type;         /* enum ike_shared_type */
};
/* Where a table of keys comes from: each source replaces only its own. */
enum ike_psk_source {
	IKE_PSK_FILE = 0,   /* the secrets of the swanctl.conf loaded */
	IKE_PSK_VICI,       /* load-shared over VICI */
	IKE_PSK_SOURCES,
};
/* Replace source's pre-shared keys, which IKE_AUTH chooses from (with
 * the other sources'), by the n in psks (copied; the old ones wiped). From then on a PSK authenticator looks its
 * key up by both identities when it needs it, as charon's credential
 * manager does (the best match of the peer's identity wins, then of
 * ours): so two connections, or two clients of one, that differ only in
 * the peer's identity get the secret of that identity. Without a call,
 * each connection's own ike_conn_cfg.psk is used. 0, or -ENOMEM /
 * -EINVAL (a key over IKE_PSK_MAX; nothing changed). */
int ike_psks_set(struct ike_ctx *ctx, enum ike_psk_source source, const struct ike_psk_cfg *psks,
                 unsigned n);

struct ike_pool_cfg;
/* Where a pool comes from: each source replaces only its own. */
enum ike_pool_source {
	IKE_POOL_FILE = 0,   /* the pools section of the swanctl.conf loaded */
	IKE_POOL_VICI,       /* load-pool over VICI */
	IKE_POOL_SOURCES,
};
/* Replace source's virtual IP pools by the n in cfgs (copied; their
 * source field is set to source). A pool whose name and addresses stay
 * the same keeps its leases; a changed or removed pool with online leases
 * stays as it was (charon: "unable to replace"). A name another source's
 * pool has is refused. 0, or -EINVAL / -ENOMEM with a reason in err
 * (nothing changed). */
int ike_pools_set(struct ike_ctx *ctx, enum ike_pool_source source,
                  const struct ike_pool_cfg *cfgs, unsigned n, char *err, size_t errlen);
/* One loaded pool, for VICI get-pools: base is the first address handed
 * out; with leases, lease() is called for each of its leases. */
struct ike_view_pool {
	const char *name;
	enum ike_pool_source source;
	struct ip_addr base;
	uint32_t size, online, offline;
};
void ike_view_pools(struct ike_ctx *ctx,
                    void (*pool)(void *arg, const struct ike_view_pool *v),
                    void (*lease)(void *arg, const struct ip_addr *a, bool online,
                                  const char *id),
                    void *arg);
/* `uipsec list-pools`: each pool, its counts (online / offline / size)
 * and its leases. */
void ike_list_pools(struct ike_ctx *ctx, FILE *out);

/* Human-readable listings in the spirit of swanctl --list-conns/--list-sas. */
void ike_list_conns(struct ike_ctx *ctx, FILE *out);
void ike_list_sas(struct ike_ctx *ctx, FILE *out);

/* For tests and the control socket: the state name of the newest IKE SA
 * of connection name ("ESTABLISHED", ...; "NONE" if there is none), the
 * number of IKE SAs and of installed CHILD SAs. */
const char *ike_conn_state(struct ike_ctx *ctx, const char *name);
unsigned ike_sa_count(const struct ike_ctx *ctx);
unsigned ike_child_count(const struct ike_ctx *ctx);
/* Loaded connections. */
unsigned ike_conn_count(const struct ike_ctx *ctx);

#endif
