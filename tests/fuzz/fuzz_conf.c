/* libFuzzer target: the swanctl.conf parser and model builder, from memory
 * (conf_parse_buffer with includes disabled, so the input cannot make the
 * parser read files). A parsed model is walked: every identity and traffic
 * selector is printed back, the secret lookup runs over its ids and the
 * IKE support check (ctl_conf_check) runs on each connection, so that
 * anything the parser accepted is also safe to use. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/conf.h"
#include "ctl/ctl_conf.h"

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
		}
		if (conf_conn_find(c, cn->name) == NULL)
			__builtin_trap();
		(void)ctl_conf_check(cn, buf, sizeof(buf));
	}
	for (size_t i = 0; i < c->nsecrets; i++)
		for (size_t j = 0; j < c->secrets[i].nids; j++) {
			conf_id_fmt(&c->secrets[i].ids[j], buf, sizeof(buf));
			(void)conf_id_match(&c->secrets[i].ids[j], &c->secrets[i].ids[0]);
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c = NULL;
	char err[256];

	if (conf_parse_buffer((const char *)data, size, "fuzz.conf", CONF_NO_INCLUDE, &c, err,
	                      sizeof(err)) == 0) {
		walk(c);
		conf_free(c);
	} else if (c != NULL || err[0] == '\0') {
		/* Failure must leave no model and always explain itself. */
		__builtin_trap();
	}
	return 0;
}
