/* What the IKE core shows to the visibility tools: IKE SA keys as lines of
 * Wireshark's IKEv2 decryption table (the ikev2_decryption_table UAT
 * file, Preferences > Protocols > ISAKMP), and counts for the metrics.
 *
 * One line per IKE SA with keys:
 *   SPIi,SPIr,SK_ei,SK_er,"ENCRYPTION",SK_ai,SK_ar,"INTEGRITY"
 * SPIs and keys as bare hex (UAT byte fields are not quoted; empty for
 * the integrity keys of an AEAD); AES-GCM keys
 * include their 4-byte salt; integrity "NONE [RFC4306]" for AEADs. An SA
 * whose cipher Wireshark 4.0 cannot decrypt (ChaCha20-Poly1305) is a '#'
 * comment line. The output holds keys.
 *
 * Threading: the IKE core's loop. */
#ifndef UIPSEC_IKE_IKE_EXPORT_H
#define UIPSEC_IKE_IKE_EXPORT_H

#include <stdio.h>

struct ike_ctx;

/* Returns the number of table lines written. */
int ike_export_wireshark(struct ike_ctx *ctx, FILE *out);

#endif
