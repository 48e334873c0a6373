/* Wireshark ESP SA table lines for the SAD's states. See keys.h. The
 * algorithm names are the strings of Wireshark's ESP preferences
 * (epan/dissectors/packet-ipsec.c), which its UAT file stores verbatim. */
#include "ctl/keys.h"
#include "util/mem.h"
#include "xfrm/sad.h"

#include <netinet/in.h>
#include <string.h>

static const char *gcm_name(unsigned icv_bits)
{
	switch (icv_bits) {
	case 64: return "AES-GCM with 8 octet ICV [RFC4106]";
	case 96: return "AES-GCM with 12 octet ICV [RFC4106]";
	case 128: return "AES-GCM with 16 octet ICV [RFC4106]";
	}
	return NULL;
}

static const char *enc_name(const char *n)
{
	if (!strcmp(n, "cbc(aes)"))
		return "AES-CBC [RFC3602]";
	if (!strcmp(n, "rfc3686(ctr(aes))"))
		return "AES-CTR [RFC3686]";
	if (!strcmp(n, "cbc(des3_ede)"))
		return "TripleDES-CBC [RFC2451]";
	if (!strcmp(n, "ecb(cipher_null)") || !strcmp(n, "cipher_null") || !n[0])
		return "NULL";
	return NULL;
}

static const char *auth_name(const char *n, unsigned bits)
{
	if (!n[0] || !strcmp(n, "digest_null"))
		return "NULL";
	if (!strcmp(n, "hmac(sha1)") && bits == 96)
		return "HMAC-SHA-1-96 [RFC2404]";
	if (!strcmp(n, "hmac(sha256)") && bits == 128)
		return "HMAC-SHA-256-128 [RFC4868]";
	if (!strcmp(n, "hmac(sha256)") && bits == 96)
		return "HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]";
	if (!strcmp(n, "hmac(sha384)") && bits == 192)
		return "HMAC-SHA-384-192 [RFC4868]";
	if (!strcmp(n, "hmac(sha512)") && bits == 256)
		return "HMAC-SHA-512-256 [RFC4868]";
	if (!strcmp(n, "hmac(md5)") && bits == 96)
		return "HMAC-MD5-96 [RFC2403]";
	/* decrypts, without checking the ICV */
	switch (bits) {
	case 64: return "ANY 64 bit authentication [no checking]";
	case 96: return "ANY 96 bit authentication [no checking]";
	case 128: return "ANY 128 bit authentication [no checking]";
	case 192: return "ANY 192 bit authentication [no checking]";
	case 256: return "ANY 256 bit authentication [no checking]";
	}
	return NULL;
}

static void hex(FILE *out, const uint8_t *k, size_t n)
{
	char buf[2 * XFRM_KEY_MAX + 1];

	if (n > XFRM_KEY_MAX)
		n = XFRM_KEY_MAX;
	if (!n) {
		fputs("\"\"", out);
		return;
	}
	mem_to_hex(k, n, buf);
	fprintf(out, "\"0x%s\"", buf);
	mem_wipe(buf, sizeof(buf));
}

int keys_wireshark_state(const struct sad_sa *sa, FILE *out)
{
	const char *enc, *auth;
	char s[IP_ADDR_STRLEN], d[IP_ADDR_STRLEN];

	if (sa->aead.name[0]) {
		enc = !strcmp(sa->aead.name, "rfc4106(gcm(aes))") ? gcm_name(sa->aead.icv_bits) : NULL;
		auth = "NULL";
		if (!enc) {
			fprintf(out, "# spi 0x%08x: %s has no entry in Wireshark's ESP SA table\n",
			        sa->spi, sa->aead.name);
			return 0;
		}
	} else {
		enc = enc_name(sa->enc.name);
		auth = auth_name(sa->auth.name, sa->auth.icv_bits);
		if (!enc || !auth) {
			fprintf(out, "# spi 0x%08x: %s/%s (%u bits) has no entry in Wireshark's ESP SA "
			        "table\n", sa->spi, sa->enc.name, sa->auth.name, sa->auth.icv_bits);
			return 0;
		}
	}
	fprintf(out, "\"%s\",\"%s\",\"%s\",\"0x%08x\",\"%s\",",
	        sa->daddr.family == AF_INET6 ? "IPv6" : "IPv4", ip_addr_fmt(&sa->saddr, s),
	        ip_addr_fmt(&sa->daddr, d), sa->spi, enc);
	if (sa->aead.name[0])
		hex(out, sa->aead.key, sa->aead.key_len);
	else
		hex(out, sa->enc.key, sa->enc.key_len);
	fprintf(out, ",\"%s\",", auth);
	if (sa->aead.name[0])
		hex(out, NULL, 0);
	else
		hex(out, sa->auth.key, sa->auth.key_len);
	fputc('\n', out);
	return 1;
}

static int walk_cb(struct sad_sa *sa, void *arg)
{
	void **a = arg;

	if (sa->state != SAD_STATE_DEAD)
		*(int *)a[1] += keys_wireshark_state(sa, a[0]);
	return 0;
}

int keys_wireshark(struct sad *sad, FILE *out)
{
	int n = 0;
	void *a[2] = { out, &n };

	sad_walk(sad, walk_cb, a);
	return n;
}
