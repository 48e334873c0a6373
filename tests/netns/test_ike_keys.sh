#!/usr/bin/env bash
# uipsec keys --wireshark with IKEv2: tcpdump on gwa's public interface
# while two uipsecd negotiate (PSK, AES-GCM IKE SA, raw ESP) and hosta
# pings hostb; tshark, given only the exported lines, decrypts IKE_AUTH
# (the identities appear) and the ESP packets (the inner ICMP appears).
# Without the lines it sees neither.
source "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || { echo "SKIP: no tshark"; exit 77; }
gw_lib_init
T=$GW_RUN

conf() { # conf ME PEER LA RA LTS RTS IKEPROP
	cat >"$T/$1.conf" <<-EOC
	connections {
	   k {
	      local_addrs = $3
	      remote_addrs = $4
	      proposals = $7
	      local { auth = psk
	              id = $1.keys.example }
	      remote { auth = psk
	               id = $2.keys.example }
	      children {
	         c { local_ts = $5
	             remote_ts = $6
	             esp_proposals = aes256gcm16 }
	      }
	   }
	}
	secrets {
	   ike-k { id-a = gwa.keys.example
	           id-b = gwb.keys.example
	           secret = "test key for test_ike_keys" }
	}
	EOC
}

check() { # check IKE-PROPOSAL
	local p=$1 uat=() l n
	conf gwa gwb 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 "$p"
	conf gwb gwa 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 "$p"
	gw_start gwa -c "$T/gwa.conf"
	gw_start gwb -c "$T/gwb.conf"
	bg gwa tcpdump -i eth1 -n -U --immediate-mode -w "$T/ike-$p.pcap" 'udp port 500 or udp port 4500 or esp'
	local td=$BG_PID
	sleep 1
	ux gwa initiate --child c >/dev/null || fail "$p: initiate"
	for i in $(seq 50); do
		ux gwa list-sas 2>/dev/null | grep -q "c: INSTALLED" && break
		sleep 0.1
	done
	ping_ok 4 3 || fail "$p: ping through the IKE tunnel"
	sleep 0.5; kill -INT $td; wait $td 2>/dev/null
	ux gwa keys --wireshark >"$T/keys-$p" || fail "$p: keys"
	sed 's/0x[0-9a-f]\{24,\}/0x<key>/g; s/,[0-9a-f]\{24,\}/,<key>/g; s/^/    /' "$T/keys-$p"
	grep -q '^# esp_sa' "$T/keys-$p" && grep -q '^# ikev2_decryption_table' "$T/keys-$p" \
		|| fail "$p: the two blocks are not labelled"
	[ "$(grep -c '^[0-9a-f]\{16\},[0-9a-f]\{16\},[0-9a-f]\+,[0-9a-f]\+,"' "$T/keys-$p")" = 1 ] || fail "$p: want one IKE line"
	while IFS= read -r l; do
		case "$l" in
		\#*) ;;
		\"IPv*) uat+=(-o "uat:esp_sa:$l") ;;
		*) uat+=(-o "uat:ikev2_decryption_table:$l") ;;
		esac
	done <"$T/keys-$p"
	n=$(tshark -n -r "$T/ike-$p.pcap" -V 2>/dev/null | grep -c "gwb.keys.example")
	[ "$n" = 0 ] || fail "$p: the identity is readable without keys?"
	n=$(tshark -n -o esp.enable_encryption_decode:TRUE "${uat[@]}" -r "$T/ike-$p.pcap" -V 2>/dev/null \
		| grep -c "gwb.keys.example")
	[ "$n" -ge 1 ] || fail "$p: tshark did not decrypt IKE_AUTH with the exported IKE keys"
	n=$(tshark -n -o esp.enable_encryption_decode:TRUE "${uat[@]}" -r "$T/ike-$p.pcap" \
		-Y 'icmp.type == 8 && ip.dst == 10.2.0.2' 2>/dev/null | wc -l)
	[ "$n" -ge 3 ] || fail "$p: tshark decrypted only $n echo requests"
	note "$p: IKE_AUTH and ESP decrypted by tshark with the exported keys"
	ux gwa --json list-sas | $PY -c '
import json,sys; s=json.load(sys.stdin)
assert len(s)==1 and s[0]["name"]=="k" and s[0]["state"]=="ESTABLISHED" and s[0]["initiator"], s
assert s[0]["local_id"]=="gwa.keys.example" and s[0]["remote_host"]=="192.0.2.2", s
c=s[0]["children"]; assert len(c)==1 and c[0]["state"]=="INSTALLED" and c[0]["packets_out"]>=3, c
assert c[0]["local_ts"]=="10.1.0.0/24" and len(c[0]["spi_in"])==8, c
' || fail "$p: --json list-sas"
	ux gwb list-conns --json | $PY -c '
import json,sys; s=json.load(sys.stdin)
assert [x["name"] for x in s]==["k"] and s[0]["remote_id"]=="gwa.keys.example", s
assert s[0]["children"][0]["name"]=="c" and s[0]["children"][0]["remote_ts"]=="10.1.0.0/24", s
assert "secret" not in json.dumps(s) and "test key" not in json.dumps(s)
' || fail "$p: --json list-conns"
	gw_stop gwa
	gw_stop gwb
}

check aes128gcm16-prfsha256-x25519
check aes256-sha256-x25519
echo PASS
