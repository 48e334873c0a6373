#!/usr/bin/env bash
# The charon baseline with gwa behind a masquerading NAT (TOPO_NAT=1 of
# scripts/topo.sh): NAT detected on both sides, ESP in UDP 4500 through it.
TOPO_NAT=1 exec bash "$(dirname "$0")/test_charon_baseline.sh"
