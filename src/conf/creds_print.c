/* `uipsec list-certs`: the credential store as swanctl --list-certs prints
 * it (libstrongswan's certificate_printer.c, detailed mode: captions,
 * field names, column alignment, %T times "Nov 28 10:22:33 2026", %V
 * deltas "12 days", %#B hex "aa:bb"), and the same data as JSON. */
#include "conf/creds.h"

#include <stdio.h>
#include <string.h>

#include "crypto/x509.h"

static void put_hex(FILE *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, i ? ":%02x" : "%02x", p[i]);
}

/* strongSwan's time_printf_hook. */
static void put_time(FILE *out, time_t t, bool utc)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (!(utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm))) {
		fprintf(out, "--- -- --:--:--%s----", utc ? " UTC " : " ");
		return;
	}
	fprintf(out, "%s %02d %02d:%02d:%02d%s%04d", months[tm.tm_mon], tm.tm_mday, tm.tm_hour,
	        tm.tm_min, tm.tm_sec, utc ? " UTC " : " ", tm.tm_year + 1900);
}

/* strongSwan's time_delta_printf_hook. */
static void put_delta(FILE *out, time_t a, time_t b)
{
	unsigned long long d = (unsigned long long)(a > b ? a - b : b - a);
	const char *unit = "second";

	if (d > 2 * 60 * 60 * 24) {
		d /= 60 * 60 * 24;
		unit = "day";
	} else if (d > 2 * 60 * 60) {
		d /= 60 * 60;
		unit = "hour";
	} else if (d > 2 * 60) {
		d /= 60;
		unit = "minute";
	}
	fprintf(out, "%llu %s%s", d, unit, d == 1 ? "" : "s");
}

static void put_validity(FILE *out, bool crl, time_t nb, time_t na, time_t now, bool utc)
{
	fprintf(out, "  %s  %s ", crl ? "update:  " : "validity:", crl ? "this on" : "not before");
	put_time(out, nb, utc);
	if (now < nb) {
		fprintf(out, ", not valid yet (valid in ");
		put_delta(out, now, nb);
		fprintf(out, ")\n");
	} else {
		fprintf(out, ", ok\n");
	}
	fprintf(out, "             %s ", crl ? "next on" : "not after ");
	put_time(out, na, utc);
	if (now > na) {
		fprintf(out, ", expired (");
		put_delta(out, now, na);
		fprintf(out, " ago)\n");
	} else {
		fprintf(out, ", ok (expires in ");
		put_delta(out, now, na);
		fprintf(out, ")\n");
	}
}

static void put_pubkey(FILE *out, const struct crypto_pubkey *k, bool has_priv)
{
	fprintf(out, "  pubkey:    %s %d bits%s\n", crypto_key_type_name(crypto_pubkey_type(k)),
	        crypto_pubkey_bits(k), has_priv ? ", has private key" : "");
	fprintf(out, "  keyid:     ");
	put_hex(out, crypto_pubkey_keyid(k), CRYPTO_SHA1_LEN);
	fprintf(out, "\n  subjkey:   ");
	put_hex(out, crypto_pubkey_subjkey(k), CRYPTO_SHA1_LEN);
	fprintf(out, "\n");
}

static void print_cert(const struct creds *c, FILE *out, const struct crypto_cert *cert,
                       const char *path, time_t now, bool utc)
{
	char buf[CRYPTO_ID_STRLEN];
	unsigned f = crypto_cert_flags(cert);
	const uint8_t *p;
	size_t n;
	time_t nb, na;

	fprintf(out, "  subject:  \"%s\"\n", crypto_id_fmt(crypto_cert_subject(cert), buf, sizeof(buf)));
	fprintf(out, "  issuer:   \"%s\"\n", crypto_id_fmt(crypto_cert_issuer(cert), buf, sizeof(buf)));
	crypto_cert_validity(cert, &nb, &na);
	put_validity(out, false, nb, na, now, utc);
	p = crypto_cert_serial(cert, &n);
	fprintf(out, "  serial:    ");
	put_hex(out, p, n);
	fprintf(out, "\n");
	for (size_t i = 0; i < crypto_cert_san_count(cert); i++)
		fprintf(out, "%s%s", i ? ", " : "  altNames:  ",
		        crypto_id_fmt(crypto_cert_san(cert, i), buf, sizeof(buf)));
	if (crypto_cert_san_count(cert))
		fprintf(out, "\n");
	/* strongSwan prints the line whenever a flag is set, X509_IKE_COMPLIANT included */
	if (f) {
		fprintf(out, "  flags:     ");
		if (f & CRYPTO_CERT_CA) fprintf(out, "CA ");
		if (f & CRYPTO_CERT_CRL_SIGN) fprintf(out, "CRLSign ");
		if (f & CRYPTO_CERT_OCSP_SIGNER) fprintf(out, "ocspSigning ");
		if (f & CRYPTO_CERT_SERVER_AUTH) fprintf(out, "serverAuth ");
		if (f & CRYPTO_CERT_CLIENT_AUTH) fprintf(out, "clientAuth ");
		if (f & CRYPTO_CERT_IKE_INTERMEDIATE) fprintf(out, "ikeIntermediate ");
		if (f & CRYPTO_CERT_MS_SMARTCARD_LOGON) fprintf(out, "msSmartcardLogon");
		if (f & CRYPTO_CERT_SELF_SIGNED) fprintf(out, "self-signed ");
		fprintf(out, "\n");
	}
	for (size_t i = 0; i < crypto_cert_crl_uri_count(cert); i++)
		fprintf(out, "%s%s\n", i ? "           " : "  CRL URIs:  ", crypto_cert_crl_uri(cert, i));
	if (crypto_cert_pathlen(cert) >= 0)
		fprintf(out, "  pathlen:   %d\n", crypto_cert_pathlen(cert));
	p = crypto_cert_akid(cert, &n);
	if (p) {
		fprintf(out, "  authkeyId: ");
		put_hex(out, p, n);
		fprintf(out, "\n");
	}
	p = crypto_cert_skid(cert, &n);
	if (p) {
		fprintf(out, "  subjkeyId: ");
		put_hex(out, p, n);
		fprintf(out, "\n");
	}
	put_pubkey(out, crypto_cert_pubkey(cert), creds_find_privkey(c, crypto_cert_pubkey(cert)) != NULL);
	fprintf(out, "  source:    %s\n", path);
}

static void print_crl(FILE *out, const struct crypto_crl *crl, const char *path, time_t now, bool utc)
{
	char buf[CRYPTO_ID_STRLEN];
	uint8_t serial[64];
	const uint8_t *p;
	size_t n, count = crypto_crl_revoked_count(crl);
	time_t tu, nu, when;
	int reason;

	fprintf(out, "  issuer:   \"%s\"\n", crypto_id_fmt(crypto_crl_issuer(crl), buf, sizeof(buf)));
	crypto_crl_update(crl, &tu, &nu);
	if (tu && nu)
		put_validity(out, true, tu, nu, now, utc);
	p = crypto_crl_number(crl, &n);
	fprintf(out, "  serial:    ");
	put_hex(out, p, p ? n : 0);
	fprintf(out, "\n");
	p = crypto_crl_akid(crl, &n);
	fprintf(out, "  authKeyId: ");
	put_hex(out, p, p ? n : 0);
	fprintf(out, "\n");
	fprintf(out, "  %zu revoked certificate%s%s\n", count, count == 1 ? "" : "s", count ? ":" : "");
	for (size_t i = 0; i < count; i++) {
		int sl = crypto_crl_revoked(crl, i, serial, sizeof(serial), &when, &reason);
		if (sl < 0)
			continue;
		fprintf(out, "    ");
		put_hex(out, serial, (size_t)sl);
		fprintf(out, ": ");
		put_time(out, when, utc);
		fprintf(out, ", %s\n", crypto_crl_reason_name(reason));
	}
	fprintf(out, "  source:    %s\n", path);
}

void creds_list_certs(const struct creds *c, FILE *out, const struct creds_list_opts *o)
{
	time_t now = o && o->now ? o->now : time(NULL);
	bool utc = o && o->utc;

	for (int ca = 0; ca < 2; ca++) {
		bool caption = false;
		for (size_t i = 0; i < creds_cert_count(c); i++) {
			const char *path;
			const struct crypto_cert *cert = creds_cert_at(c, i, NULL, &path);
			if (!(crypto_cert_flags(cert) & CRYPTO_CERT_CA) != !ca)
				continue;
			if (!caption)
				fprintf(out, "\nList of X.509 %s Certificates\n", ca ? "CA" : "End Entity");
			caption = true;
			fprintf(out, "\n");
			print_cert(c, out, cert, path, now, utc);
		}
	}
	for (size_t i = 0; i < creds_crl_count(c); i++) {
		const char *path;
		const struct crypto_crl *crl = creds_crl_at(c, i, &path);
		if (i == 0)
			fprintf(out, "\nList of X.509 CRLs\n");
		fprintf(out, "\n");
		print_crl(out, crl, path, now, utc);
	}
	for (size_t i = 0; i < creds_pubkey_count(c); i++) {
		const char *path;
		const struct crypto_pubkey *k = creds_pubkey_at(c, i, &path);
		if (i == 0)
			fprintf(out, "\nList of Raw Public Keys\n");
		fprintf(out, "\n");
		put_pubkey(out, k, creds_find_privkey(c, k) != NULL);
		fprintf(out, "  source:    %s\n", path);
	}
}

/* ---- JSON ---- */

static void js(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void jkey(FILE *out, const char *k, const char *v)
{
	fprintf(out, ",");
	js(out, k);
	fprintf(out, ":");
	js(out, v);
}

static void jhex(FILE *out, const char *k, const uint8_t *p, size_t n)
{
	char buf[3 * 64 + 1];
	size_t pos = 0;

	if (!p)
		return;
	for (size_t i = 0; i < n && pos + 4 < sizeof(buf); i++)
		pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, i ? ":%02x" : "%02x", p[i]);
	buf[pos] = '\0';
	jkey(out, k, buf);
}

static void jtime(FILE *out, const char *k, time_t t)
{
	char buf[32];
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, sizeof(buf), "?");
	jkey(out, k, buf);
}

static void jpubkey(FILE *out, const struct creds *c, const struct crypto_pubkey *k)
{
	fprintf(out, ",\"pubkey\":{\"type\":");
	js(out, crypto_key_type_name(crypto_pubkey_type(k)));
	fprintf(out, ",\"bits\":%d}", crypto_pubkey_bits(k));
	jhex(out, "keyid", crypto_pubkey_keyid(k), CRYPTO_SHA1_LEN);
	jhex(out, "subjkey", crypto_pubkey_subjkey(k), CRYPTO_SHA1_LEN);
	fprintf(out, ",\"has_private_key\":%s", creds_find_privkey(c, k) ? "true" : "false");
}

void creds_list_certs_json(const struct creds *c, FILE *out, const struct creds_list_opts *o)
{
	static const struct { unsigned f; const char *name; } flags[] = {
		{ CRYPTO_CERT_CA, "CA" }, { CRYPTO_CERT_CRL_SIGN, "CRLSign" },
		{ CRYPTO_CERT_OCSP_SIGNER, "ocspSigning" }, { CRYPTO_CERT_SERVER_AUTH, "serverAuth" },
		{ CRYPTO_CERT_CLIENT_AUTH, "clientAuth" }, { CRYPTO_CERT_IKE_INTERMEDIATE, "ikeIntermediate" },
		{ CRYPTO_CERT_MS_SMARTCARD_LOGON, "msSmartcardLogon" }, { CRYPTO_CERT_SELF_SIGNED, "self-signed" },
	};
	time_t now = o && o->now ? o->now : time(NULL);
	char buf[CRYPTO_ID_STRLEN];
	bool first = true;

	fprintf(out, "[");
	for (size_t i = 0; i < creds_cert_count(c); i++) {
		const char *path;
		const struct crypto_cert *cert = creds_cert_at(c, i, NULL, &path);
		unsigned f = crypto_cert_flags(cert);
		const uint8_t *p;
		size_t n;
		time_t nb, na;
		bool ff = true;

		fprintf(out, "%s{\"type\":\"x509\"", first ? "" : ",");
		first = false;
		jkey(out, "flag", f & CRYPTO_CERT_CA ? "ca" : "none");
		jkey(out, "subject", crypto_id_fmt(crypto_cert_subject(cert), buf, sizeof(buf)));
		jkey(out, "issuer", crypto_id_fmt(crypto_cert_issuer(cert), buf, sizeof(buf)));
		crypto_cert_validity(cert, &nb, &na);
		jtime(out, "not_before", nb);
		jtime(out, "not_after", na);
		jkey(out, "validity", now < nb ? "not valid yet" : now > na ? "expired" : "ok");
		p = crypto_cert_serial(cert, &n);
		jhex(out, "serial", p, n);
		fprintf(out, ",\"altnames\":[");
		for (size_t k = 0; k < crypto_cert_san_count(cert); k++) {
			fprintf(out, k ? "," : "");
			js(out, crypto_id_fmt(crypto_cert_san(cert, k), buf, sizeof(buf)));
		}
		fprintf(out, "],\"flags\":[");
		for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
			if (f & flags[k].f) {
				fprintf(out, ff ? "" : ",");
				js(out, flags[k].name);
				ff = false;
			}
		fprintf(out, "],\"crl_uris\":[");
		for (size_t k = 0; k < crypto_cert_crl_uri_count(cert); k++) {
			fprintf(out, k ? "," : "");
			js(out, crypto_cert_crl_uri(cert, k));
		}
		fprintf(out, "]");
		if (crypto_cert_pathlen(cert) >= 0)
			fprintf(out, ",\"pathlen\":%d", crypto_cert_pathlen(cert));
		p = crypto_cert_akid(cert, &n);
		jhex(out, "authkeyid", p, n);
		p = crypto_cert_skid(cert, &n);
		jhex(out, "subjkeyid", p, n);
		jpubkey(out, c, crypto_cert_pubkey(cert));
		jkey(out, "source", path);
		fprintf(out, "}");
	}
	for (size_t i = 0; i < creds_crl_count(c); i++) {
		const char *path;
		const struct crypto_crl *crl = creds_crl_at(c, i, &path);
		time_t tu, nu;
		const uint8_t *p;
		size_t n;

		fprintf(out, "%s{\"type\":\"crl\"", first ? "" : ",");
		first = false;
		jkey(out, "issuer", crypto_id_fmt(crypto_crl_issuer(crl), buf, sizeof(buf)));
		crypto_crl_update(crl, &tu, &nu);
		jtime(out, "this_update", tu);
		if (nu)
			jtime(out, "next_update", nu);
		p = crypto_crl_number(crl, &n);
		jhex(out, "serial", p, n);
		p = crypto_crl_akid(crl, &n);
		jhex(out, "authkeyid", p, n);
		fprintf(out, ",\"revoked\":%zu", crypto_crl_revoked_count(crl));
		jkey(out, "source", path);
		fprintf(out, "}");
	}
	for (size_t i = 0; i < creds_pubkey_count(c); i++) {
		const char *path;
		const struct crypto_pubkey *k = creds_pubkey_at(c, i, &path);

		fprintf(out, "%s{\"type\":\"pubkey\"", first ? "" : ",");
		first = false;
		jpubkey(out, c, k);
		jkey(out, "source", path);
		fprintf(out, "}");
	}
	fprintf(out, "]\n");
}
