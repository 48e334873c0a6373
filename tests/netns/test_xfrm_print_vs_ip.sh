#!/usr/bin/env bash
# Differential test of the ip xfrm printer: each policy is added to the
# Linux kernel (in a scratch network namespace) with iproute2 and to a
# uipsec state file with the same words; `ip xfrm policy list`, `ip -s xfrm
# policy list` and `ip xfrm policy count` must print what uipsec prints,
# byte for byte (after blanking the index and the add time, which differ
# by nature). States cannot be compared this way: the test kernels have no
# ESP, so the kernel refuses them; test_xfrm_grammar covers their text.
# Root only (namespaces); exit 77 = skipped.
set -uo pipefail
SRC=${UIPSEC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${UIPSEC_BUILD:-$SRC/build}
UIPSEC=$BUILD/uipsec
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
command -v ip >/dev/null || { echo "skip: iproute2 not installed"; exit 77; }

NS=uipsec-xp-$$
T=$(mktemp -d /tmp/test_xfrm_print_vs_ip.XXXXXX)
cleanup() { ip netns del "$NS" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
ip netns add "$NS" || { echo "skip: cannot create a network namespace"; exit 77; }
if ! ip -n "$NS" xfrm policy count >/dev/null 2>&1; then
	echo "skip: the kernel has no XFRM"
	exit 77
fi

fails=0
norm() { sed -E 's/index [0-9]+ /index N /; s/add [0-9-]+ [0-9:]+ use/add T use/'; }

compare() { # compare NAME [-s] COMMAND-WORDS... (run by both after the adds)
	local name=$1 s=()
	shift
	if [ "$1" = -s ]; then s=(-s); shift; fi
	ip "${s[@]}" -n "$NS" xfrm "$@" 2>&1 | norm > "$T/ip.txt"
	"$UIPSEC" "${s[@]}" -f "$T/states" xfrm "$@" 2>&1 | norm > "$T/us.txt"
	if cmp -s "$T/ip.txt" "$T/us.txt"; then
		echo "ok   $name: ${s[*]} xfrm $*"
	else
		echo "FAIL $name: ${s[*]} xfrm $*"
		diff -u "$T/ip.txt" "$T/us.txt" | cat -A | head -40
		fails=$((fails + 1))
	fi
}

policies=(
	"src 10.1.0.0/24 dst 10.2.0.0/24 dir out tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel"
	"src 10.1.0.0/24 dst 10.2.0.0/24 proto tcp sport 1234 dport 80 dir in priority 100 mark 5 mask 0xff tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 3 mode tunnel level use tmpl proto esp spi 0x1234 mode transport"
	"src ::/0 dst ::/0 proto ipv6-icmp type 135 dir fwd action block priority 1"
	"src 0.0.0.0/0 dst 0.0.0.0/0 proto icmp type 8 code 0 dir out limit time-hard 60 limit byte-soft 1000 limit packet-hard 5 limit time-use-soft 7"
	"src 10.9.0.1 dst 10.8.0.0/16 proto 47 dir out"
	"src 10.9.0.2 dst 10.8.0.0/16 proto sctp dport 5 dir out"
	"src 2001:db8:1::/48 dst 2001:db8:2::/48 proto udp sport 53 dir in tmpl src 2001:db8::1 dst 2001:db8::2 proto esp reqid 9 mode tunnel"
	"src 10.0.0.0/8 dst 10.0.0.0/8 dir in mark 0 mask 0xf0 tmpl proto esp mode transport level use"
	"src 10.1.0.0/24 dst 10.2.0.0/24 dir fwd priority 4294967295 tmpl src 1.1.1.1 dst 2.2.2.2 proto esp mode tunnel reqid 4294967295"
)

i=0
for p in "${policies[@]}"; do
	i=$((i + 1))
	ip -n "$NS" xfrm policy flush
	rm -f "$T/states"
	# shellcheck disable=SC2086
	if ! ip -n "$NS" xfrm policy add $p; then
		echo "FAIL policy $i: the kernel refused: $p"
		fails=$((fails + 1))
		continue
	fi
	# shellcheck disable=SC2086
	if ! "$UIPSEC" -f "$T/states" xfrm policy add $p; then
		echo "FAIL policy $i: uipsec refused: $p"
		fails=$((fails + 1))
		continue
	fi
	compare "policy $i" policy list
	compare "policy $i" -s policy list
done

# counts with several policies of each direction
ip -n "$NS" xfrm policy flush
rm -f "$T/states"
for p in "${policies[@]}"; do
	# shellcheck disable=SC2086
	ip -n "$NS" xfrm policy add $p
	# shellcheck disable=SC2086
	"$UIPSEC" -f "$T/states" xfrm policy add $p
done
compare "count" policy count
compare "count" -s policy count
compare "count" state count

if [ $fails -ne 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "all ok"
