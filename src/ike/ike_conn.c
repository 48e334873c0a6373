/* Connections: matching an incoming IKE SA to a loaded connection.
 * Runs on the control loop. */
#include "ike/ike_conn.h"

bool ike_conn_matches(const struct ike_conn *conn, const struct ike_endpoint *local,
                      const struct ike_endpoint *remote)
{
	const struct ike_conn_cfg *c = &conn->cfg;

	if (!ip_addr_is_zero(&c->local_addr) && !ip_addr_equal(&c->local_addr, &local->addr))
		return false;
	if (!ip_addr_is_zero(&c->remote_addr) && !ip_addr_equal(&c->remote_addr, &remote->addr))
		return false;
	return true;
}
