#!/usr/bin/env bash
# make demo: not built yet. The demo needs the gateway daemon (issue 3) and
# IKEv2 (issue 4); until they land this says so instead of pretending.
echo "make demo: not available yet: it needs uipsecd and IKEv2, which have not landed." >&2
exit 1
