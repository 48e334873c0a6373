/* libFuzzer target: the swanctl.conf parser and model builder, from memory
 * (conf_parse_buffer with includes disabled, so the input cannot make the
 * parser read files), both as uipsecd reads it and with CONF_MODEL_ONLY:
 * what uipsecd accepts the model must accept too. A parsed model is
 * walked: every identity and traffic selector is printed back, the secret
 * lookup runs over its ids, the places of options are looked up, so that
 * anything the parser accepted is also safe to use. Every error message is
 * lines of "fuzz.conf:LINE:COL: ..." (and perhaps a last "... and N more
 * errors"). */
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>

#include "conf/conf.h"
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct conf *c)
{
	char buf[600];

	for (size_t i = 0; i < c->nconns; i++) {
		const struct conf_conn *cn = &c->conns[i];

		conf_id_fmt(&cn->local.id, buf, sizeof(buf));
		conf_id_fmt(&cn->remote.id, buf, sizeof(buf));
		(void)conf_secret_find_ike(c, cn->local.has_id ? &cn->local.id : NULL, &cn->remote.id);
		for (size_t j = 0; j < cn->nremote_addrs; j++)
			(void)conf_addr_contains(&cn->remote_addrs[j], &cn->local_addrs[0].from);
		for (size_t j = 0; j < cn->nchildren; j++) {
			const struct conf_child *ch = &cn->children[j];

			for (size_t k = 0; k < ch->nlocal_ts; k++)
				conf_ts_fmt(&ch->local_ts[k], buf, sizeof(buf));
			for (size_t k = 0; k < ch->nremote_ts; k++)
				conf_ts_fmt(&ch->remote_ts[k], buf, sizeof(buf));
			if (conf_child_find(cn, ch->name) == NULL)
				__builtin_trap();
			(void)conf_child_where(ch, offsetof(struct conf_child, esp_proposals), buf,
			                       sizeof(buf));
		}
		if (conf_conn_find(c, cn->name) == NULL)
			__builtin_trap();
		(void)conf_conn_where(cn, offsetof(struct conf_conn, proposals), buf, sizeof(buf));
		(void)conf_conn_where(cn, offsetof(struct conf_conn, local_addrs), buf, sizeof(buf));
	}
	for (size_t i = 0; i < c->nsecrets; i++)
		for (size_t j = 0; j < c->secrets[i].nids; j++) {
			conf_id_fmt(&c->secrets[i].ids[j], buf, sizeof(buf));
			(void)conf_id_match(&c->secrets[i].ids[j], &c->secrets[i].ids[0]);
		}
}

static void check_err(const char *err, size_t len)
{
	if (err[0] == '\0' || !memchr(err, '\0', len))
		__builtin_trap();   /* failure must explain itself */
	for (const char *p = err; *p;) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, "fuzz.conf", 9) != 0 && strncmp(p, "... and ", 8) != 0)
			__builtin_trap();
		p = nl ? nl + 1 : p + strlen(p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *strict = NULL, *model = NULL;
	char err[2048];
	int rs, rm;

	rs = conf_parse_buffer((const char *)data, size, "fuzz.conf", CONF_NO_INCLUDE, &strict, err,
	                       sizeof(err));
	if (rs == 0)
		walk(strict);
	else if (strict != NULL)
		__builtin_trap();   /* failure leaves no model */
	else if (rs == -EINVAL)
		check_err(err, sizeof(err));
	rm = conf_parse_buffer((const char *)data, size, "fuzz.conf", CONF_NO_INCLUDE | CONF_MODEL_ONLY,
	                       &model, err, sizeof(err));
	if (rm == 0)
		walk(model);
	else if (model != NULL)
		__builtin_trap();
	else if (rm == -EINVAL)
		check_err(err, sizeof(err));
	if (rs == 0 && rm == -EINVAL)
		__builtin_trap();   /* the model holds more than uipsecd runs, never less */
	conf_free(strict);
	conf_free(model);
	return 0;
}
