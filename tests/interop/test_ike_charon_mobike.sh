#!/usr/bin/env bash
# tests/netns/test_ike_mobike.sh with strongSwan 5.9.8's charon
# (kernel-libipsec) as the gateway: uipsecd on gwa changes its address
# during a ping and moves its SAs with UPDATE_SA_ADDRESSES; charon moves
# its SAs in place (same SPIs). mobike = no: no MOBIKE exchange.
MOBIKE_PEER=charon TOPO_PREFIX=${TOPO_PREFIX:-im$$} exec bash "$(dirname "$0")/../netns/test_ike_mobike.sh"
