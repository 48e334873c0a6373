/* IKE SA keys for Wireshark. See ike_export.h. Reads the SA list of the
 * core (ike_sa.h) without changing anything. */
#include "ike/ike_export.h"
#include "crypto/ike_cipher.h"
#include "crypto/prf.h"
#include "ike/ike_sa.h"
#include "util/mem.h"

#include <stdbool.h>
#include <string.h>

static const char *encr_name(int encr, unsigned bits)
{
	if (encr == CRYPTO_ENCR_AES_CBC)
		return bits == 128 ? "AES-CBC-128 [RFC3602]" : bits == 192 ? "AES-CBC-192 [RFC3602]" :
		       bits == 256 ? "AES-CBC-256 [RFC3602]" : NULL;
	if (encr == CRYPTO_ENCR_AES_GCM_16)
		return bits == 128 ? "AES-GCM-128 with 16 octet ICV [RFC5282]" :
		       bits == 192 ? "AES-GCM-192 with 16 octet ICV [RFC5282]" :
		       bits == 256 ? "AES-GCM-256 with 16 octet ICV [RFC5282]" : NULL;
	return NULL;
}

static const char *integ_name(int integ)
{
	switch (integ) {
	case CRYPTO_INTEG_NONE: return "NONE [RFC4306]";
	case CRYPTO_INTEG_HMAC_SHA2_256_128: return "HMAC_SHA2_256_128 [RFC4868]";
	case CRYPTO_INTEG_HMAC_SHA2_384_192: return "HMAC_SHA2_384_192 [RFC4868]";
	case CRYPTO_INTEG_HMAC_SHA2_512_256: return "HMAC_SHA2_512_256 [RFC4868]";
	}
	return NULL;
}

static void hex(FILE *out, const uint8_t *k, size_t n)
{
	char buf[2 * 64 + 1];

	if (n > 64)
		n = 64;
	mem_to_hex(k, n, buf);
	fputs(buf, out);      /* a UAT byte field: bare hex, no quotes */
	mem_wipe(buf, sizeof(buf));
}

int ike_export_wireshark(struct ike_ctx *ctx, FILE *out)
{
	int n = 0;

	for (struct ike_sa *sa = ctx->sas; sa; sa = sa->next) {
		const char *e, *i;
		bool aead;

		if (!sa->keys_ready)
			continue;
		e = encr_name(sa->encr, sa->encr_bits);
		i = integ_name(sa->integ);
		if (!e || !i) {
			fprintf(out, "# IKE SA %016llx_i %016llx_r: its cipher has no entry in "
			        "Wireshark's IKEv2 decryption table\n",
			        (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r);
			continue;
		}
		aead = sa->integ == CRYPTO_INTEG_NONE;
		fprintf(out, "%016llx,%016llx,", (unsigned long long)sa->spi_i,
		        (unsigned long long)sa->spi_r);
		hex(out, sa->sk_ei, sa->enc_len);
		fputc(',', out);
		hex(out, sa->sk_er, sa->enc_len);
		fprintf(out, ",\"%s\",", e);
		hex(out, sa->sk_ai, aead ? 0 : sa->integ_len);
		fputc(',', out);
		hex(out, sa->sk_ar, aead ? 0 : sa->integ_len);
		fprintf(out, ",\"%s\"\n", i);
		n++;
	}
	return n;
}
