#!/usr/bin/env bash
# test_ike_uipsec.sh (quick set) with data-path workers on both gateways,
# gwa behind the NAT: IKE on UDP 4500 reaches a worker's socket and is
# relayed to the control loop; CHILD_SA rekeys change the SAD while the
# workers forward.
QUICK=${QUICK:-1} TOPO_NAT=1 UIPSECD_ARGS="--workers 2" exec bash "$(dirname "$0")/test_ike_uipsec.sh"
