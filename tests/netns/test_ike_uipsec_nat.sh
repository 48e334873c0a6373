#!/usr/bin/env bash
# test_ike_uipsec.sh with gwa behind the masquerading NAT of topo.sh.
QUICK=${QUICK:-1} TOPO_NAT=1 exec bash "$(dirname "$0")/test_ike_uipsec.sh"
