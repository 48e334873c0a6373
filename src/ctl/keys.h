/* uipsec keys --wireshark: the SAD's states as lines of Wireshark's ESP SA
 * table (the esp_sa UAT file, Preferences > Protocols > ESP), so that a
 * capture of the public interface decrypts in Wireshark or with
 *   tshark -o esp.enable_encryption_decode:TRUE -o 'uat:esp_sa:LINE' ...
 *
 * One line per state:
 *   "IPv4","SRC","DST","0xSPI","ENCRYPTION","0xKEY","AUTHENTICATION","0xKEY"
 * with Wireshark's own algorithm names ("AES-GCM with 16 octet ICV
 * [RFC4106]", "AES-CBC [RFC3602]", "HMAC-SHA-256-128 [RFC4868]", "NULL",
 * ...). AEAD keys include the 4-byte salt, as Wireshark expects. A state
 * whose algorithm Wireshark's ESP dissector cannot decrypt
 * (ChaCha20-Poly1305, GMAC) is written as a '#' comment line that says so.
 *
 * IKE SAs (Wireshark's ikev2_decryption_table) are not written: the IKE
 * daemon is not integrated yet.
 *
 * The output holds keys: it is written only to the control socket (mode
 * 0600) and the caller's stdout. */
#ifndef UIPSEC_CTL_KEYS_H
#define UIPSEC_CTL_KEYS_H

#include <stdio.h>

struct sad;
struct sad_sa;

/* Write one state's line (or comment) to out. Returns 1 if a table line
 * was written, 0 for a comment. */
int keys_wireshark_state(const struct sad_sa *sa, FILE *out);
/* Every valid state. Returns the number of table lines. */
int keys_wireshark(struct sad *sad, FILE *out);

#endif
