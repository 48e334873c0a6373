#!/usr/bin/env bash
# The shape of src/ike/, checked on the compiled objects (nm) and the
# sources, so that it cannot drift silently:
#   1. no exchange file calls a function of another exchange file: they
#      talk through the task manager (ike_mgr.c) and the table of tasks
#      (ike_task.c) only
#   2. one header per module: every function a module exports is declared
#      in its own header, and a header declares only its module's functions
#   3. no upward includes: src/ike/ includes no dp/, io/, ctl/, conf/ or
#      cmd/ header; the layers below IKE include no ike/ header
#   4. IKE reaches the data plane only through the backend interface: of
#      src/xfrm/ it includes xfrm/backend.h and the shared types (xfrm.h)
# Prints the call graph between the IKE modules (docs/architecture.md
# shows it). Needs a build tree: UIPSEC_BUILD (set by ctest).
set -euo pipefail

SRC=${UIPSEC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${UIPSEC_BUILD:-$SRC/build}
EXCHANGES="ike_init ike_auth ike_create ike_rekey ike_info"
fail=0
err() { echo "FAIL: $*"; fail=1; }

objdir=$(find "$BUILD" -type d -path '*uipsec_core.dir/src/ike' | head -n 1)
[ -n "$objdir" ] || { echo "no objects of src/ike under $BUILD (build first)"; exit 1; }

modules=$(cd "$objdir" && ls ./*.c.o | sed 's|^\./||; s|\.c\.o$||' | sort)
# each object's exported functions and the symbols it uses, read once
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for m in $modules; do
	nm --defined-only -g "$objdir/$m.c.o" | awk '$2 == "T" { print $3 }' | sort -u >"$T/$m.def"
	nm -u "$objdir/$m.c.o" | awk '{ print $2 }' | sort -u >"$T/$m.use"
done
defined() { cat "$T/$1.def"; }
# "caller callee symbol" for every call from one IKE module into another
for m in $modules; do sed "s/^/$m /" "$T/$m.def"; done >"$T/defs"
for m in $modules; do sed "s/^/$m /" "$T/$m.use"; done >"$T/uses"
awk 'NR == FNR { owner[$2] = $1; next }
     ($2 in owner) && owner[$2] != $1 { print $1, owner[$2], $2 }' "$T/defs" "$T/uses" >"$T/calls"

# 1. exchange files never call each other
for e in $EXCHANGES; do
	[ -f "$objdir/$e.c.o" ] || err "$e.c.o missing"
done
while read -r from to sym; do
	case " $EXCHANGES " in *" $from "*) ;; *) continue ;; esac
	case " $EXCHANGES " in *" $to "*) err "$from.c calls $to.c: $sym" ;; esac
done <"$T/calls"

# 2. one header per module
for m in $modules; do
	h="$SRC/src/ike/$m.h"
	exported=$(defined "$m")
	if [ ! -f "$h" ]; then
		[ -z "$exported" ] || err "$m.c exports functions but has no header $m.h"
		continue
	fi
	for f in $exported; do
		grep -Eq "\\b$f\\(" "$h" || err "$m.c exports $f, which $m.h does not declare"
	done
	# declarations: a line that starts a prototype "type name(" at column 0
	for f in $(grep -Eo '^[a-z][a-z0-9_ *]*\b(ike_[a-z0-9_]+)\(' "$h" | grep -Eo 'ike_[a-z0-9_]+\($' | tr -d '('); do
		grep -qx "$f" "$T/$m.def" || err "$m.h declares $f, which $m.c does not define"
	done
done

# 3. includes point down
if grep -nE '#include "(dp|io|ctl|conf|cmd)/' "$SRC"/src/ike/*.[ch]; then
	err "src/ike/ includes a header of a layer above it"
fi
for below in util pkt net crypto xfrm esp dp io; do
	if grep -nE '#include "ike/' "$SRC/src/$below"/*.[ch] 2>/dev/null; then
		err "src/$below/ includes an ike/ header"
	fi
done

# 4. the data plane only through xfrm/backend.h
if grep -nE '#include "(xfrm|esp)/' "$SRC"/src/ike/*.[ch] | grep -vE '"xfrm/(backend|xfrm)\.h"'; then
	err "src/ike/ includes a data-plane header other than xfrm/backend.h"
fi

# the call graph between IKE modules, for the record
echo "calls between src/ike/ modules (caller -> callees):"
for m in $modules; do
	printf '  %-14s ->%s\n' "$m" "$(awk -v m="$m" '$1 == m { print " " $2 }' "$T/calls" | sort -u | tr -d '\n')"
done

[ "$fail" = 0 ] && echo "ok: no calls between exchange files, one header per module, includes point down, the data plane only through the backend"
exit "$fail"
