/* The iproute2 `ip xfrm` grammar, split in its two halves: a parser that
 * turns the words of one `state ...` or `policy ...` command into a request
 * (struct sad_sa / struct spd_policy plus what was given), and a printer
 * that prints states and policies exactly as `ip xfrm state` / `ip xfrm
 * policy` (iproute2 6.1 on Linux) print them, with or without -s.
 *
 * Both are pure: no SAD/SPD access, no globals, no exit. xfrm_cmd.c puts
 * them together; the daemon and the offline tools share them. */
#ifndef UIPSEC_XFRMCLI_XFRM_GRAMMAR_H
#define UIPSEC_XFRMCLI_XFRM_GRAMMAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xfrm/sad.h"
#include "xfrm/spd.h"

/* What the words set (bits of .have). */
#define XG_SRC      0x0001
#define XG_DST      0x0002
#define XG_PROTO    0x0004
#define XG_SPI      0x0008
#define XG_MODE     0x0010
#define XG_REQID    0x0020
#define XG_FLAGS    0x0040
#define XG_WINDOW   0x0080
#define XG_REPLAY   0x0100   /* any of replay-seq/-hi, replay-oseq/-hi */
#define XG_DIR      0x0200
#define XG_INDEX    0x0400
#define XG_PRIORITY 0x0800
#define XG_ACTION   0x1000
#define XG_SEL      0x2000   /* state: sel ...; policy: an upper-layer field */
#define XG_ALGO     0x4000

/* How much the command needs. */
enum xg_mode {
	XG_FULL,     /* add/update: everything required must be there */
	XG_ID,       /* get/delete: just what identifies one object */
	XG_FILTER,   /* list/deleteall: every part optional */
};

struct xfrm_state_req {
	struct sad_sa sa;          /* keys inside: wipe when done */
	unsigned have;
	uint8_t src_plen, dst_plen; /* filters may use prefixes */
	uint32_t window;
	uint32_t seq, seq_hi, oseq, oseq_hi;
};

struct xfrm_policy_req {
	struct spd_policy pol;
	unsigned have;
};

/* Parse the words after the verb ("src 1.2.3.4 dst ... proto esp ..."). 
 * Returns 0, or -EINVAL with a one-line reason naming the bad word in err.
 * In XG_FULL mode the algorithms are checked by crypto_esp_new() as well. */
int xfrm_parse_state(int argc, char **argv, enum xg_mode mode,
                     struct xfrm_state_req *req, char *err, size_t errlen);
int xfrm_parse_policy(int argc, char **argv, enum xg_mode mode,
                      struct xfrm_policy_req *req, char *err, size_t errlen);

/* Print one state or policy like `ip [-s] xfrm state|policy list`.
 * xfrm_print_state hides the keys ("[hidden]" where ip prints the hex);
 * xfrm_print_state_keys prints them if keys (uipsec xfrm -k, see
 * docs/security.md: who may read them). */
void xfrm_print_state(FILE *out, const struct sad_sa *sa, bool stats);
void xfrm_print_state_keys(FILE *out, const struct sad_sa *sa, bool stats, bool keys);
void xfrm_print_policy(FILE *out, const struct spd_policy *pol, bool stats);

/* Write the command that recreates sa / pol ("xfrm state add ...") on one
 * line, keys included (for state files). */
void xfrm_write_state_cmd(FILE *out, const struct sad_sa *sa);
void xfrm_write_policy_cmd(FILE *out, const struct spd_policy *pol);

/* Linux's XFRM_STATE_* flag bits (for printing like the kernel reports
 * them) from SAD_FLAG_* bits. */
uint8_t xfrm_state_flags_linux(uint8_t sad_flags);

/* Name of an upper-layer protocol ("tcp", "ipv6-icmp", or the number). */
const char *xfrm_proto_name(uint8_t proto, char buf[8]);

#endif
