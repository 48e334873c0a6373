#!/usr/bin/env bash
# Remote access against strongSwan 5.9.8 (charon + kernel-libipsec, see
# docs/interop.md), with PSK and then with certificates (auth = pubkey
# both ways, a PKI made with strongSwan's pki as tests/netns/eap_lib.sh
# makes it, carol's certificate for carol@example.org), each both ways:
#
#   - charon on gwa as a road warrior (vips = 0.0.0.0, local_ts dynamic)
#     against uipsecd on gwb as the gateway (remote_addrs = %any, pools =
#     rw from 10.3.0.0/24 with a DNS server): charon gets 10.3.0.1, pings
#     hostb from it, uipsec's list-pools shows the lease online and, after
#     charon terminates, offline;
#   - uipsecd on gwa as the client against charon on gwb with the same
#     pool: uipsec gets 10.3.0.1 on its TUN device and the DNS server,
#     pings hostb from it; after uipsec terminates, charon's lease is
#     offline and the address is off the TUN device;
#   - either as a client asking for 10.99.0.5 (vips = 10.99.0.5), outside
#     the pool: the gateway assigns 10.3.0.1 instead, the client takes it
#     and pings from it.
#
# EAP-MSCHAPv2 is tests/interop/test_ike_charon_eap.sh. Exit 77: not root /
# no charon; without pki the certificate cases are skipped (said so).
set -u

TOPO_PREFIX=${TOPO_PREFIX:-ir$$}
TOPO_NAT=0
# shellcheck source-path=SCRIPTDIR source=../netns/ike_lib.sh
source "$(dirname "$0")/../netns/ike_lib.sh"
ike_lib_init ike-charon-ra charon uipsec
# the certificate plugins on top of the PSK set
CHARON_PLUGINS="random nonce openssl aes gcm chapoly sha1 sha2 hmac kdf curve25519 pem pkcs1 pkcs8 x509 pubkey revocation constraints kernel-libipsec kernel-netlink socket-default vici"
# the PKI (make_pki, make_client_cert, install_cert) and ping_from_vip
# shellcheck source-path=SCRIPTDIR source=../netns/eap_lib.sh
source "$(dirname "$0")/../netns/eap_lib.sh"

PSK=$(psk_random)
fail_logs() { fail_logs_both 25; }

# the same swanctl.conf for charon and uipsec, client and gateway; AUTH is
# psk or pubkey (certificates: carol.pem on the client, gw.pem on the
# gateway, the CA on both)
secrets_psk() {
	cat <<-EOF
	secrets {
	    ike-rw {
	        id-a = carol@example.org
	        id-b = gwb.example.org
	        secret = $PSK
	    }
	}
	EOF
}

# write_client DIR AUTH
write_client() {
	local certs='' secrets=''
	mkdir -p "$1"
	if [ "$2" = pubkey ]; then
		install_cert "$1" carol
		certs="certs = carol.pem"
	else
		secrets=$(secrets_psk)
	fi
	cat >"$1/swanctl.conf" <<-EOF
	connections {
	    rw {
	        version = 2
	        local_addrs = 192.0.2.1
	        remote_addrs = 192.0.2.2
	        vips = 0.0.0.0
	        local {
	            auth = $2
	            $certs
	            id = carol@example.org
	        }
	        remote {
	            auth = $2
	            id = gwb.example.org
	        }
	        children {
	            net {
	                remote_ts = 10.2.0.0/24
	            }
	        }
	    }
	}
	$secrets
	EOF
}

# write_gateway DIR AUTH
write_gateway() {
	local certs='' secrets=''
	mkdir -p "$1"
	if [ "$2" = pubkey ]; then
		install_cert "$1" gw
		certs="certs = gw.pem"
	else
		secrets=$(secrets_psk)
	fi
	cat >"$1/swanctl.conf" <<-EOF
	pools {
	    rw {
	        addrs = 10.3.0.0/24
	        dns = 10.2.0.53
	    }
	}
	$(gw_rw_conn_open)
	        local {
	            auth = $2
	            $certs
	            id = gwb.example.org
	        }
	        remote {
	            auth = $2
	        }
	        children {
	            net {
	                local_ts = 10.2.0.0/24
	            }
	        }
	    }
	}
	$secrets
	EOF
}

topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }

# charon_client AUTH: charon road warrior, uipsec gateway
charon_client() {
	CASE="charon road warrior, uipsec gateway ($1)"
	rm -rf "$W/gwa" "$W/gwb"
	write_client "$W/gwa" "$1"
	write_gateway "$W/gwb" "$1"
	if charon_rw_start 10; then
		if ! established gwb; then
			fail "not established"
		elif [ "$1" = pubkey ] && ! grep -q "authentication of 'gwb.example.org' with RSA.* successful" "$W/gwa/charon.log"; then
			fail "charon did not authenticate uipsec by its certificate"
		elif ! grep -q "installing new virtual IP 10.3.0.1" "$W/gwa/charon.log"; then
			fail "charon did not install 10.3.0.1"
		elif ! u gwb list-pools | grep -q "10.3.0.1 .*online .*'carol@example.org'"; then
			fail "no online lease in uipsec's list-pools"
		elif ! u gwb list-sas | grep -q "remote 10.3.0.1/32"; then
			fail "uipsec's remote traffic selector is not the virtual IP"
		elif ! ping_from_vip; then
			fail "no ping from charon's virtual IP to hostb"
		else
			charon_swanctl gwa --terminate --ike rw --timeout 10 >/dev/null 2>&1
			sleep 1
			if u gwb list-sas | grep -q ESTABLISHED; then
				fail "uipsec kept the IKE_SA"
			elif ! u gwb list-pools | grep -q "10.3.0.1 .*offline .*'carol@example.org'"; then
				fail "the lease is not offline after charon left"
			else
				echo "ok [$CASE]"
			fi
		fi
	fi
	stop_all
	charon_stop_all
}

# uipsec_client AUTH: uipsec road warrior, charon gateway
uipsec_client() {
	CASE="uipsec road warrior, charon gateway ($1)"
	rm -rf "$W/gwa" "$W/gwb"
	write_client "$W/gwa" "$1"
	write_gateway "$W/gwb" "$1"
	TUN=ipsec0
	if uipsec_rw_start; then
		if ! established gwa; then
			fail "not established"
		elif [ "$1" = pubkey ] && ! grep -q "authentication of 'carol@example.org' with RSA.* successful" "$W/gwb/charon.log"; then
			fail "charon did not authenticate uipsec by its certificate"
		elif ! u gwa list-sas | grep -q "local  vip 10.3.0.1"; then
			fail "uipsec got no virtual IP"
		elif ! ns gwa ip -4 addr show dev "$TUN" | grep -q "inet 10.3.0.1/32"; then
			fail "10.3.0.1 not on uipsec's $TUN"
		elif ! u gwa list-sas | grep -q "dns 10.2.0.53"; then
			fail "the DNS server was not reported"
		elif ! u gwa list-sas | grep -q "local  10.3.0.1/32"; then
			fail "uipsec's local traffic selector is not the virtual IP"
		elif ! ping_from_vip; then
			fail "no ping from uipsec's virtual IP to hostb"
		elif ! charon_swanctl gwb --list-pools --leases 2>/dev/null | grep -q "10.3.0.1 .*online.*carol@example.org"; then
			fail "no online lease in charon's list-pools"
		else
			u gwa terminate --ike rw >/dev/null
			sleep 1
			if ! charon_swanctl gwb --list-pools --leases 2>/dev/null | grep -q "10.3.0.1 .*offline.*carol@example.org"; then
				fail "charon's lease is not offline after uipsec left"
			elif ns gwa ip -4 addr show dev "$TUN" | grep -q "inet 10.3.0.1/32"; then
				fail "10.3.0.1 still on uipsec's $TUN"
			else
				echo "ok [$CASE]"
			fi
		fi
	fi
	stop_all
	charon_stop_all
}

# outside_pool: a road warrior asking for 10.99.0.5 (vips = 10.99.0.5),
# outside the pool 10.3.0.0/24, gets 10.3.0.1 instead and uses it: uipsec
# against charon as the gateway (charon's behaviour), then charon against
# uipsec as the gateway
outside_pool() {
	CASE="uipsec road warrior asking for an address outside the pool, charon gateway"
	rm -rf "$W/gwa" "$W/gwb"
	write_client "$W/gwa" psk
	write_gateway "$W/gwb" psk
	sed -i 's/vips = 0.0.0.0/vips = 10.99.0.5/' "$W/gwa/swanctl.conf"
	TUN=ipsec0
	if uipsec_rw_start; then
		if ! established gwa; then
			fail "not established"
		elif ! grep -q "peer requested virtual IP 10.99.0.5" "$W/gwb/charon.log"; then
			fail "charon did not see the request for 10.99.0.5"
		elif ! grep -q "assigning virtual IP 10.3.0.1 to peer 'carol@example.org'" "$W/gwb/charon.log"; then
			fail "charon did not assign 10.3.0.1"
		elif ! u gwa list-sas | grep -q "local  vip 10.3.0.1"; then
			fail "uipsec did not take 10.3.0.1"
		elif ! ns gwa ip -4 addr show dev "$TUN" | grep -q "inet 10.3.0.1/32"; then
			fail "10.3.0.1 not on uipsec's $TUN"
		elif ! ping_from_vip; then
			fail "no ping from the assigned address"
		else
			echo "ok [$CASE]"
		fi
		u gwa terminate --ike rw >/dev/null
	fi
	stop_all
	charon_stop_all

	CASE="charon road warrior asking for an address outside the pool, uipsec gateway"
	rm -rf "$W/gwa" "$W/gwb"
	write_client "$W/gwa" psk
	write_gateway "$W/gwb" psk
	sed -i 's/vips = 0.0.0.0/vips = 10.99.0.5/' "$W/gwa/swanctl.conf"
	if charon_rw_start 10; then
		if ! established gwb; then
			fail "not established"
		elif ! grep -q "peer requested virtual IP 10.99.0.5" "$W/gwb/uipsecd.log"; then
			fail "uipsec did not see the request for 10.99.0.5"
		elif ! grep -q "installing new virtual IP 10.3.0.1" "$W/gwa/charon.log"; then
			fail "charon did not install 10.3.0.1"
		elif ! ping_from_vip; then
			fail "no ping from charon's assigned address"
		else
			echo "ok [$CASE]"
		fi
		charon_swanctl gwa --terminate --ike rw --timeout 10 >/dev/null 2>&1
	fi
	stop_all
	charon_stop_all
}

charon_client psk
uipsec_client psk
outside_pool
if command -v pki >/dev/null; then
	make_pki
	make_client_cert
	if [ -s "$P/gw.pem" ] && [ -s "$P/carol.pem" ]; then
		charon_client pubkey
		uipsec_client pubkey
	else
		CASE="certificates"
		fail "pki made no certificate"
	fi
else
	echo "skip [certificate cases]: pki not found (strongswan-pki)"
fi

finish
