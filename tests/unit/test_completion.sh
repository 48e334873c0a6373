#!/usr/bin/env bash
# dist/uipsec.bash-completion: commands, their options and words, and the
# connection and child names read from `uipsec list-conns` (here a
# stand-in that checks it gets the --control given on the line; a real
# daemon's names: tests/netns/test_notify.sh).
set -uo pipefail
: "${UIPSEC_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=../../dist/uipsec.bash-completion
source "$UIPSEC_SRC/dist/uipsec.bash-completion"
fails=0

uipsec() {
	if [ "$*" = "--control /run/gw.sock list-conns" ]; then
		printf '%s\n' "site: IKEv2, 192.0.2.1[500]...192.0.2.2[500]" \
			"  proposals: AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519" \
			"  local pre-shared key authentication:" \
			"    id: gwa.example.org" \
			"  net: TUNNEL, reqid 1, start_action trap" \
			"    esp proposals: AES_GCM_16_256" \
			"  web: TRANSPORT, reqid 2, start_action none" \
			"road: IKEv2, 0.0.0.0[500]...%any[500]"
	else
		return 1   # no daemon on the default socket
	fi
}

# expect "WORDS..." -- EXPECTED: complete the last word of WORDS
expect() {
	local want=${*: -1} got
	COMP_WORDS=("${@:1:$#-1}")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_uipsec
	got="${COMPREPLY[*]}"
	if [ "$got" != "$want" ]; then
		echo "FAIL: [${COMP_WORDS[*]}] -> '$got', want '$want'" >&2
		fails=$((fails + 1))
	fi
}

expect uipsec li "list-conns list-sas list-certs list-pools"
expect uipsec "" "xfrm pcap load initiate terminate rekey list-conns list-sas list-certs list-pools ike-stats stats trace capture keys explain help"
expect uipsec --c "--control"
expect uipsec xfrm "" "state policy monitor"
expect uipsec xfrm po "policy"
expect uipsec xfrm state "" "add update delete get deleteall list flush count"
expect uipsec xfrm policy add di "dir"
expect uipsec xfrm policy add src 10.0.0.0/8 dir "" "in out fwd"
expect uipsec xfrm policy add src 10.0.0.0/8 d "dst dport dir"
expect uipsec xfrm state add src "" ""
expect uipsec xfrm state add src 192.0.2.1 re "reqid replay-window replay-seq replay-oseq"
expect uipsec xfrm state add proto "" "esp"
expect uipsec xfrm state add mode t "tunnel transport"
expect uipsec pcap "" "decrypt encrypt"
expect uipsec pcap decrypt --s "--states"
expect uipsec trace proto "" "icmp tcp udp esp ipv6-icmp"
expect uipsec capture --point "" "esp-in inner-in inner-out esp-out drop"
expect uipsec capture --format p "pcapng pcap"
expect uipsec keys --w "--wireshark"
expect uipsec help ex "explain"
expect uipsec explain 10.1.0.2 10.2.0.2 "" "icmp tcp udp ipv6-icmp sctp"
expect uipsec initiate "" "--ike --child"
# names from the daemon on the socket the line names
expect uipsec --control /run/gw.sock initiate --ike "" "site road"
expect uipsec --control=/run/gw.sock terminate --child "" "net web"
expect uipsec --control /run/gw.sock initiate --child n "net"
# no daemon: no names, no error
expect uipsec initiate --ike "" ""

[ "$fails" = 0 ] || exit 1
echo "PASS: bash completion"
