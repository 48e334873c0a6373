#!/usr/bin/env bash
# Helpers of the IKE fragmentation tests (sourced after ike_lib.sh; not a
# test): tests/netns/test_ike_frag.sh (uipsec to uipsec) and
# tests/interop/test_ike_charon_frag.sh (uipsec and charon).
#
# The public link gwa eth1 -- gwb eth1 gets an MTU of 1,280 and both
# gateways drop every IP fragment arriving on it (a path that loses
# fragments, the case RFC 7383 is for), so an IKE message that does not
# fit in one datagram arrives only as IKE fragments. The identities are
# long (about 240 bytes), the child has eight traffic selectors each way
# (the IPv4 site and seven IPv6 prefixes) and eight ESP proposals: the
# IKE_AUTH request is then more than one 1,280-byte datagram holds, the
# response (one proposal) less; with fragment_size = 576 on both ends
# both go in fragments.
#
#   frag_link_up            MTU 1280 and the fragment drop on gwa and gwb,
#                           the extra prefixes on their site side
#   frag_ip_drops NS        how many IP fragments NS dropped so far
#   frag_conf DIR LOCAL REMOTE ME PEER LTS RTS [CONN_EXTRA]
#                           DIR/swanctl.conf: connection "site", child
#                           "net", the secret for ME and PEER ($PSK)
#   frag_capture_start      tcpdump on gwa eth1 into $W/eth1.pcap
#   frag_capture_stop
#   skf_count SRC           IKE datagrams from SRC in the capture whose
#                           first payload is an Encrypted Fragment (53),
#                           on port 500 or behind the non-ESP marker on 4500
#   ike_big_count           IKE datagrams in the capture above 576 bytes
#   ipfrag_count            IP fragments in the capture
#   ike_stat NS NAME        one counter of uipsec ike-stats on NS

ID_A="gwa.$(printf 'a%.0s' $(seq 220)).example.org"
ID_B="gwb.$(printf 'b%.0s' $(seq 220)).example.org"
# eight each way: the IPv4 site, the IPv6 site and six more IPv6 prefixes
# behind it (routed into the tunnel, never used)
TS_A="10.1.0.0/24, fd01::/64, fd01:1::/64, fd01:2::/64, fd01:3::/64, fd01:4::/64, fd01:5::/64, fd01:6::/64"
TS_B="10.2.0.0/24, fd02::/64, fd02:1::/64, fd02:2::/64, fd02:3::/64, fd02:4::/64, fd02:5::/64, fd02:6::/64"

# a list as long as a real one (charon's default list is longer): the
# request offers them all, the response names one
ESP_PROPS="aes128gcm16, aes256gcm16, chacha20poly1305, aes128-sha256, aes256-sha256, aes128-sha384, aes256-sha384, aes256-sha512"

frag_link_up() {
	local n i
	# the six extra prefixes on the gateways' site side: charon installs a
	# route for each remote selector only with a local address in one of
	# its own
	for i in 1 2 3 4 5 6; do
		ns gwa ip addr add "fd01:$i::1/64" dev eth0 nodad || return 1
		ns gwb ip addr add "fd02:$i::1/64" dev eth0 nodad || return 1
	done
	for n in gwa gwb; do
		ns "$n" ip link set eth1 mtu 1280 || return 1
		ns "$n" nft -f - <<-'NFT' || return 1
		table inet ipfrag {
			chain pre {
				type filter hook prerouting priority -500; policy accept;
				iifname "eth1" ip frag-off & 0x3fff != 0 counter drop
				iifname "eth1" exthdr frag exists counter drop
			}
		}
		NFT
	done
}

frag_ip_drops() {
	ns "$1" nft list table inet ipfrag | awk '/counter/ { for (i = 1; i <= NF; i++) if ($i == "packets") s += $(i + 1) } END { print s + 0 }'
}

frag_conf() {
	mkdir -p "$1"
	cat >"$1/swanctl.conf" <<-EOF
	connections {
	    site {
	        version = 2
	        local_addrs = $2
	        remote_addrs = $3
	        proposals = aes256gcm16-prfsha256-x25519
	        ${8:-}
	        local {
	            auth = psk
	            id = $4
	        }
	        remote {
	            auth = psk
	            id = $5
	        }
	        children {
	            net {
	                local_ts = $6
	                remote_ts = $7
	                esp_proposals = $ESP_PROPS
	            }
	        }
	    }
	}
	secrets {
	    ike-site {
	        id-a = $4
	        id-b = $5
	        secret = $PSK
	    }
	}
	EOF
}

CAP_PID=
frag_capture_start() {
	rm -f "$W/eth1.pcap"
	ip netns exec "$(topo_name gwa)" tcpdump -i eth1 -n -s 128 -U --immediate-mode \
		-w "$W/eth1.pcap" 'udp port 500 or udp port 4500 or (ip[6:2] & 0x3fff != 0)' \
		>/dev/null 2>&1 &
	CAP_PID=$!
	sleep 0.5
}

frag_capture_stop() {
	[ -n "$CAP_PID" ] || return 0
	sleep 0.3
	kill "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	CAP_PID=
}

skf_count() {
	tcpdump -r "$W/eth1.pcap" -n "src host $1 and ((udp port 500 and udp[24] = 53) or (udp port 4500 and udp[8:4] = 0 and udp[28] = 53))" 2>/dev/null | wc -l
}

ike_big_count() {
	tcpdump -r "$W/eth1.pcap" -n '(udp port 500 or udp port 4500) and ip[2:2] > 576' 2>/dev/null | wc -l
}

ipfrag_count() {
	tcpdump -r "$W/eth1.pcap" -n 'ip[6:2] & 0x3fff != 0' 2>/dev/null | wc -l
}

# ike_stat NS NAME: one counter of uipsec ike-stats on NS
ike_stat() { u "$1" ike-stats | awk -v k="$2" '$1 == k { print $2 }'; }
