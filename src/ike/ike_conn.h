/* Connections: a loaded ike_conn_cfg and what the core remembers about it
 * (its trap policies). Internal to src/ike/.
 *
 * Ownership: the context owns the list (ike_ctx.h); an IKE SA points at its
 * connection and loses the pointer (conn = NULL) when the connection is
 * unloaded. */
#ifndef UIPSEC_IKE_IKE_CONN_H
#define UIPSEC_IKE_IKE_CONN_H

#include <stdbool.h>

#include "ike/ike.h"

struct ike_conn {
	struct ike_conn *next;
	struct ike_conn_cfg cfg;
	bool trap_installed[IKE_CONN_MAX_CHILDREN];
	/* the local address the trap policies were installed with (the
	 * routing's choice when local_addr is unset), to remove them again */
	struct ip_addr trap_local[IKE_CONN_MAX_CHILDREN];
};

/* Is the peer address/port acceptable for conn. */
bool ike_conn_matches(const struct ike_conn *conn, const struct ike_endpoint *local,
                      const struct ike_endpoint *remote);

#endif
