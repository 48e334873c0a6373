/* EAP messages as the EAP payload of IKEv2 carries them (RFC 7296 3.16,
 * RFC 3748 4), and the type data of EAP-MSCHAPv2
 * (draft-kamath-pppext-eap-mschapv2-02): validation, decoding into
 * structs that point into the payload, and encoding into a message under
 * construction. Pure functions; internal to src/ike/. */
#ifndef UIPSEC_IKE_IKE_EAP_H
#define UIPSEC_IKE_IKE_EAP_H

#include <stddef.h>
#include <stdint.h>

struct ike_mb;

/* RFC 3748 4: Code */
enum ike_eap_code {
	IKE_EAP_REQUEST = 1,
	IKE_EAP_RESPONSE = 2,
	IKE_EAP_SUCCESS = 3,
	IKE_EAP_FAILURE = 4,
};

/* RFC 3748 5, IANA: Type */
enum ike_eap_type {
	IKE_EAP_IDENTITY = 1,
	IKE_EAP_NOTIFICATION = 2,
	IKE_EAP_NAK = 3,
	IKE_EAP_MD5 = 4,
	IKE_EAP_MSCHAPV2 = 26,
};

/* draft-kamath-pppext-eap-mschapv2 2: OpCode */
enum ike_mschap_op {
	IKE_MSCHAP_CHALLENGE = 1,
	IKE_MSCHAP_RESPONSE = 2,
	IKE_MSCHAP_SUCCESS = 3,
	IKE_MSCHAP_FAILURE = 4,
	IKE_MSCHAP_CHANGE_PASSWORD = 7,
};

/* The longest identity or MS-CHAPv2 name kept (strongSwan: 255). */
#define IKE_EAP_NAME_MAX 255
/* The largest EAP message built here. */
#define IKE_EAP_MSG_MAX 1024

/* One EAP message (the whole body of an EAP payload). */
struct ike_eap {
	uint8_t code;              /* enum ike_eap_code */
	uint8_t id;                /* Identifier */
	uint8_t type;              /* Request/Response only, else 0 */
	const uint8_t *data;       /* Type-Data (after Type), dlen bytes */
	size_t dlen;
};

/*  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Code      |  Identifier   |            Length             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |  Type-Data ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-
 * Length must be the payload's (RFC 7296 3.16: the payload holds one
 * EAP message); Success and Failure are exactly 4 bytes, Request and
 * Response at least 5. 0 or -EBADMSG. */
int ike_eap_parse(const uint8_t *body, size_t len, struct ike_eap *e);

/* An EAP payload of code, id and (Request/Response) type with type data
 * data[0, dlen) into mb. */
void ike_eap_put(struct ike_mb *mb, uint8_t code, uint8_t id, uint8_t type, const uint8_t *data,
                 size_t dlen);

/* EAP-MSCHAPv2 type data, as sent by either end. */
struct ike_mschap {
	uint8_t op;                /* enum ike_mschap_op */
	uint8_t ms_id;             /* MS-CHAPv2-ID (not in the peer's Success/Failure) */
	const uint8_t *chal;       /* Challenge: the 16-byte Authenticator Challenge;
	                            * Response: the 16-byte Peer-Challenge */
	const uint8_t *nt_resp;    /* Response: the 24-byte NT-Response */
	uint8_t flags;             /* Response: Flags (0) */
	const uint8_t *name;       /* Challenge, Response: Name */
	size_t name_len;
	const uint8_t *msg;        /* Success, Failure request: the message text */
	size_t msg_len;
};

/*  Challenge / Response:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    OpCode     | MS-CHAPv2-ID  |           MS-Length           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Value-Size   |  Value (16: Challenge; 49: Peer-Challenge,
 * +-+-+-+-+-+-+-+-+  8 reserved, NT-Response, Flags) ... | Name ...
 *  Success / Failure request: OpCode, MS-CHAPv2-ID, MS-Length, Message;
 *  Success / Failure response: OpCode alone.
 * MS-Length is the type data's length (the EAP Length less 5). Parses
 * e's type data (type 26) as sent by a server (from_server: Request) or
 * a client. 0 or -EBADMSG (too short, a length that lies, a Value-Size
 * other than 16/49, nonzero reserved bytes, a name over
 * IKE_EAP_NAME_MAX), -EOPNOTSUPP (an OpCode not handled: password
 * change). */
int ike_mschap_parse(const struct ike_eap *e, struct ike_mschap *m);

/* The type data of the MS-CHAPv2 messages, into out (at least
 * IKE_EAP_MSG_MAX bytes); their length, or 0 if it does not fit. */
size_t ike_mschap_build_challenge(uint8_t ms_id, const uint8_t chal[16], const char *name,
                                  uint8_t *out);
size_t ike_mschap_build_response(uint8_t ms_id, const uint8_t peer_chal[16],
                                 const uint8_t nt_resp[24], const uint8_t *name, size_t nlen,
                                 uint8_t *out);
/* Success or Failure request with message text msg. */
size_t ike_mschap_build_text(uint8_t op, uint8_t ms_id, const char *msg, uint8_t *out);

#endif
