#!/usr/bin/env bash
# tests/netns/test_ike_mobike.sh with strongSwan 5.9.8's charon
# (kernel-libipsec) as the road warrior against uipsecd as the gateway:
# charon changes its address during a ping and sends UPDATE_SA_ADDRESSES;
# uipsec moves its SAs in place (same SPIs). mobike = no: no exchange.
MOBIKE_PEER=charon-client TOPO_PREFIX=${TOPO_PREFIX:-ic$$} \
	exec bash "$(dirname "$0")/../netns/test_ike_mobike.sh"
