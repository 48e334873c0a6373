# EAP-MSCHAPv2 road-warrior files shared by tests/netns/test_ike_eap.sh
# (uipsec to uipsec) and tests/interop/test_ike_charon_eap.sh (against
# charon): a PKI made with strongSwan's pki (a CA, the gateway's
# certificate for gwb.example.org), and one swanctl.conf for a client and
# one for the gateway that charon and uipsec both read. Source after
# ike_lib.sh (it uses $W); set PW (carol's password on the gateway)
# before writing the gateway.
#   eap_up              topo_up and make_pki; FAIL (exit 1) if either fails
# shellcheck shell=bash

P=$W/pki
DN="C=CH, O=uipsec test"

make_pki() {
	mkdir -p "$P"
	pki --gen --type rsa --size 2048 --outform pem >"$P/ca.key" 2>/dev/null
	pki --self --ca --lifetime 3650 --in "$P/ca.key" --dn "$DN, CN=Root CA" --outform pem \
		>"$P/ca.pem" 2>/dev/null
	pki --gen --type rsa --size 2048 --outform pem >"$P/gw.key" 2>/dev/null
	pki --pub --in "$P/gw.key" 2>/dev/null | pki --issue --cacert "$P/ca.pem" --cakey "$P/ca.key" \
		--dn "$DN, CN=gwb.example.org" --san gwb.example.org --flag serverAuth \
		--outform pem >"$P/gw.pem" 2>/dev/null
}

eap_up() {
	topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }
	make_pki
	[ -s "$P/gw.pem" ] || { echo "FAIL: pki made no certificate"; exit 1; }
}

# make_client_cert: carol's certificate for carol@example.org ($P/carol.pem,
# .key), for the road warriors that authenticate with auth = pubkey
make_client_cert() {
	pki --gen --type rsa --size 2048 --outform pem >"$P/carol.key" 2>/dev/null
	pki --pub --in "$P/carol.key" 2>/dev/null | pki --issue --cacert "$P/ca.pem" --cakey "$P/ca.key" \
		--dn "$DN, CN=carol@example.org" --san carol@example.org --flag clientAuth \
		--outform pem >"$P/carol.pem" 2>/dev/null
}

# install_cert DIR NAME: the CA, NAME's certificate and key into a
# swanctl directory (x509ca/, x509/NAME.pem, private/NAME.key)
install_cert() {
	mkdir -p "$1/x509ca" "$1/x509" "$1/private"
	chmod 700 "$1/private"
	cp "$P/ca.pem" "$1/x509ca/ca.pem"
	cp "$P/$2.pem" "$1/x509/$2.pem"
	cp "$P/$2.key" "$1/private/$2.key"
	chmod 600 "$1/private/$2.key"
}

# write_client DIR PASSWORD: the road warrior, with the CA to check the gateway
write_client() {
	mkdir -p "$1/x509ca"
	cp "$P/ca.pem" "$1/x509ca/ca.pem"
	cat >"$1/swanctl.conf" <<-EOF
	connections {
	    rw {
	        version = 2
	        local_addrs = 192.0.2.1
	        remote_addrs = 192.0.2.2
	        vips = 0.0.0.0
	        local {
	            auth = eap-mschapv2
	            id = carol@example.org
	            eap_id = carol
	        }
	        remote {
	            auth = pubkey
	            id = gwb.example.org
	        }
	        children {
	            net {
	                remote_ts = 10.2.0.0/24
	            }
	        }
	    }
	}
	secrets {
	    eap-carol {
	        id = carol
	        secret = "$2"
	    }
	}
	EOF
}

# write_gateway DIR [CHILD_EXTRA [nosecrets]]: certificate, EAP-MSCHAPv2
# for the clients, a pool; CHILD_EXTRA: a line into child "net" (an
# updown); nosecrets: no EAP secrets in the file (loaded over VICI)
write_gateway() {
	local secrets
	secrets=$(
		cat <<-EOF
		secrets {
		    eap-carol {
		        id = carol
		        secret = "$PW"
		    }
		    eap-dave {
		        id = dave
		        secret = "not-carols-password"
		    }
		}
		EOF
	)
	[ "${3:-}" = nosecrets ] && secrets=""

	mkdir -p "$1/x509" "$1/private"
	chmod 700 "$1/private"
	cp "$P/gw.pem" "$1/x509/gw.pem"
	cp "$P/gw.key" "$1/private/gw.key"
	chmod 600 "$1/private/gw.key"
	cat >"$1/swanctl.conf" <<-EOF
	pools {
	    rw {
	        addrs = 10.3.0.0/24
	    }
	}
	$(gw_rw_conn_open)
	        send_cert = always
	        local {
	            auth = pubkey
	            certs = gw.pem
	            id = gwb.example.org
	        }
	        remote {
	            auth = eap-mschapv2
	            eap_id = %any
	        }
	        children {
	            net {
	                local_ts = 10.2.0.0/24
	                ${2:-}
	            }
	        }
	    }
	}
	$secrets
	EOF
}


# gwa pings hostb from its virtual IP 10.3.0.1
ping_from_vip() { ns gwa ping -c 2 -i 0.3 -W 2 -I 10.3.0.1 10.2.0.2 >/dev/null 2>&1; }
# carol's password is in none of the daemons' logs
no_password_logged() { ! grep -qF -- "$PW" "$W"/gw?/*.log 2>/dev/null; }
