#!/usr/bin/env bash
# uipsec against strongSwan 5.9.8 with certificates (issue 11): charon with
# kernel-libipsec on one gateway, uipsecd on the other, each reading the
# same kind of swanctl.conf and swanctl credential folders (x509/,
# x509ca/, x509crl/, private/, pubkey/) next to it. The PKI is made here
# with strongSwan's pki. gwa initiates: in the first phase uipsec runs on
# gwa (initiator) and charon on gwb, in the second the other way round; one
# topology, and between cases both daemons reload their files (swanctl
# --load-all --clear, uipsec load) instead of restarting.
#
# Cases, in each phase, with ping and a one-second iperf3 run each:
#   RSA-2048 PKCS#1 v1.5 (RFC 7427 SHA-256, as charon chooses), RSA-3072
#   with RSA-PSS (auth = rsa/pss-sha256, certificates signed with PSS),
#   ECDSA P-256 and P-384, Ed25519, an intermediate CA that only the
#   sender holds (sent in CERT, the verifier trusts the root alone),
#   identities as subjectAltNames with an encrypted private key and
#   send_cert = always, raw public keys (pubkeys);
# and refusals, the bad credentials on either daemon, the other one
# naming the reason, no SA left on either:
#   expired, not yet valid, another CA, revoked (CRL in x509crl/), an
#   identity that is not in the certificate, a private key that is not the
#   certificate's.
# With FRAG=1 (test_ike_charon_cert_frag.sh) the public link's MTU is
# 1,280 bytes and IP fragments are dropped on it, so that IKE_AUTH with an
# RSA-3072 chain passes only as IKE fragments (RFC 7383), sent by both.
# Exit 77: not root, no charon or pki.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-icc$$}
# shellcheck source-path=SCRIPTDIR source=../netns/ike_lib.sh
source "$(dirname "$0")/../netns/ike_lib.sh"
ike_lib_init ike-charon-cert charon uipsec
command -v pki >/dev/null || { echo "SKIP: pki not found (strongswan-pki)"; exit 77; }
# the certificate plugins on top of the PSK set
CHARON_PLUGINS="random nonce openssl aes gcm chapoly sha1 sha2 hmac kdf curve25519 pem pkcs1 pkcs8 x509 pubkey revocation constraints kernel-libipsec kernel-netlink socket-default vici"

U='' C=''
P=$W/pki
DN="C=CH, O=uipsec test"
KEYPASS=uipsec-test-passphrase

fail_logs() {
	local n
	for n in gwa gwb; do
		if [ "$n" = "$U" ]; then
			echo "--- uipsecd on $n (tail)"; tail -n 25 "$W/$n/uipsecd.log" 2>/dev/null
		else
			echo "--- charon on $n (tail)"; tail -n 25 "$W/$n/charon.log" 2>/dev/null
		fi
	done
}

pk() { pki "$@" 2>/dev/null; }

# ---- the PKI ----------------------------------------------------------------

# key NAME TYPE SIZE: $P/NAME.key
key() {
	if [ "$2" = ed25519 ]; then pk --gen --type ed25519 --outform pem >"$P/$1.key"
	else pk --gen --type "$2" --size "$3" --outform pem >"$P/$1.key"; fi
}

# issue NAME KEY CA CN [pki --issue options...]: $P/NAME.pem for KEY, by CA
issue() {
	local name=$1 k=$2 ca=$3 cn=$4
	shift 4
	pk --pub --in "$P/$k.key" | pk --issue --cacert "$P/$ca.pem" --cakey "$P/$ca.key" \
		--dn "$DN, CN=$cn" --san "$cn" --outform pem "$@" >"$P/$name.pem"
}

make_pki() {
	mkdir -p "$P"
	key ca rsa 3072
	pk --self --ca --lifetime 3650 --in "$P/ca.key" --dn "$DN, CN=Root CA" --outform pem >"$P/ca.pem"
	key other rsa 2048
	pk --self --ca --lifetime 3650 --in "$P/other.key" --dn "C=CH, O=Other, CN=Other CA" \
		--outform pem >"$P/other.pem"
	key im rsa 2048
	issue im im ca "Intermediate CA" --ca
	local g t s
	for g in gwa gwb; do
		for t in rsa2048:rsa:2048 rsa3072:rsa:3072 p256:ecdsa:256 p384:ecdsa:384 ed25519:ed25519:0; do
			IFS=: read -r kind type s <<<"$t"
			key "$g-$kind" "$type" "$s"
			issue "$g-$kind" "$g-$kind" ca "$g.example.org"
		done
		issue "$g-pss" "$g-rsa3072" ca "$g.example.org" --rsa-padding pss
		issue "$g-im" "$g-rsa2048" im "$g.example.org"
		issue "$g-im3072" "$g-rsa3072" im "$g.example.org"
		issue "$g-expired" "$g-rsa2048" ca "$g.example.org" --dateform "%Y-%m-%d %H:%M:%S" \
			--not-before "2020-01-01 00:00:00" --not-after "2021-01-01 00:00:00"
		issue "$g-future" "$g-rsa2048" ca "$g.example.org" --dateform "%Y-%m-%d %H:%M:%S" \
			--not-before "2035-01-01 00:00:00" --not-after "2036-01-01 00:00:00"
		issue "$g-otherca" "$g-rsa2048" other "$g.example.org"
		issue "$g-revoked" "$g-rsa2048" ca "$g.example.org"
		key "$g-wrong" rsa 2048
		pk --pub --in "$P/$g-rsa2048.key" --outform pem >"$P/$g-rsa2048.pub"
		# the PKCS#8 key encrypted with a passphrase (secrets { private-... })
		openssl pkcs8 -topk8 -in "$P/$g-rsa2048.key" -passout "pass:$KEYPASS" -v2 aes-256-cbc \
			-out "$P/$g-rsa2048.enc" 2>/dev/null
	done
	pk --signcrl --cacert "$P/ca.pem" --cakey "$P/ca.key" --lifetime 30 --reason key-compromise \
		--cert "$P/gwa-revoked.pem" --cert "$P/gwb-revoked.pem" --outform pem >"$P/ca.crl"
	pk --signcrl --cacert "$P/ca.pem" --cakey "$P/ca.key" --lifetime 30 --outform pem >"$P/ca-empty.crl"
}

# ---- one gateway's folder ------------------------------------------------------
# side G KIND [VAR=VALUE...]: $W/G/swanctl.conf and its credential folders.
# KIND names G's certificate and key ($P/G-KIND.pem, .key); variables:
#   CERT, KEY (other files), CA (its x509ca/: "ca", "ca im"), CRL (x509crl/),
#   LAUTH, RAUTH (auth =), LID, RID (local id, remote id; RID "" for none),
#   LEXTRA, REXTRA, CEXTRA (more lines in local, remote, the connection),
#   ENC (1: the key encrypted, its secret in secrets), PUBKEYS (1: raw keys)
side() {
	local g=$1 kind=$2 peer
	shift 2
	local CERT=$g-$kind KEY=$g-$kind CA=ca CRL=ca-empty LAUTH=pubkey RAUTH=pubkey
	local LID='' RID='' LEXTRA='' REXTRA='' CEXTRA='' ENC=0 PUBKEYS=0 v
	for v in "$@"; do local "${v%%=*}=${v#*=}"; done
	if [ "$g" = gwa ]; then peer=gwb; else peer=gwa; fi
	[ -n "$RID" ] || RID="$DN, CN=$peer.example.org"
	[ "$RID" = none ] && RID=''
	local d=$W/$g me lts rts ca
	if [ "$g" = gwa ]; then me=192.0.2.1 lts=10.1.0.0/24 rts=10.2.0.0/24
	else me=192.0.2.2 lts=10.2.0.0/24 rts=10.1.0.0/24; fi
	rm -rf "$d/x509" "$d/x509ca" "$d/x509crl" "$d/private" "$d/pubkey"
	mkdir -p "$d/x509" "$d/x509ca" "$d/x509crl" "$d/private" "$d/pubkey"
	chmod 700 "$d/private"
	for ca in $CA; do cp "$P/$ca.pem" "$d/x509ca/$ca.pem"; done
	[ -n "$CRL" ] && cp "$P/$CRL.crl" "$d/x509crl/$CRL.crl"
	local creds secrets=''
	if [ "$PUBKEYS" = 1 ]; then
		cp "$P/$g-rsa2048.pub" "$d/pubkey/me.pub"
		cp "$P/$peer-rsa2048.pub" "$d/pubkey/peer.pub"
		cp "$P/$g-rsa2048.key" "$d/private/me.key"
		creds="pubkeys = me.pub"
		REXTRA="pubkeys = peer.pub
            $REXTRA"
	else
		cp "$P/$CERT.pem" "$d/x509/me.pem"
		creds="certs = me.pem"
		if [ "$ENC" = 1 ]; then
			cp "$P/$g-rsa2048.enc" "$d/private/me.key"
			secrets="private-me {
        file = me.key
        secret = \"$KEYPASS\"
    }"
		else
			cp "$P/$KEY.key" "$d/private/me.key"
		fi
	fi
	chmod 600 "$d/private/"*
	cat >"$d/swanctl.conf" <<-EOF
	connections {
	    site {
	        version = 2
	        local_addrs = $me
	        remote_addrs = $([ "$g" = gwa ] && echo 192.0.2.2 || echo 192.0.2.1)
	        proposals = aes256gcm16-prfsha256-x25519
	        $CEXTRA
	        local {
	            auth = $LAUTH
	            $creds
	            ${LID:+id = \"$LID\"}
	            $LEXTRA
	        }
	        remote {
	            auth = $RAUTH
	            ${RID:+id = \"$RID\"}
	            $REXTRA
	        }
	        children {
	            net {
	                local_ts = $lts
	                remote_ts = $rts
	                esp_proposals = aes128gcm16
	            }
	        }
	    }
	}
	secrets {
	    $secrets
	}
	EOF
}

# ---- the daemons -----------------------------------------------------------------

# phase ROLE: init: uipsec on gwa, charon on gwb; resp: the other way round
# (gwa always initiates). Both start on the files of the first case.
phase() {
	stop_all
	charon_stop_all
	if [ "$1" = init ]; then U=gwa C=gwb; else U=gwb C=gwa; fi
	side gwa rsa2048
	side gwb rsa2048
	charon_start "$C" "$W/$C" || { echo "FAIL: charon did not start"; exit 1; }
	uipsecd_start "$U" || { echo "FAIL: uipsecd did not start"; exit 1; }
}

# Both daemons drop their SAs and reload their files.
reload() {
	u "$U" terminate --ike site >/dev/null 2>&1
	charon_swanctl "$C" --terminate --ike site --force --timeout 2 >/dev/null 2>&1
	: >"$W/$C/charon.log"
	charon_swanctl "$C" --load-all --clear --noprompt --file "$W/$C/swanctl.conf" \
		>"$W/$C/load.log" 2>&1 || { fail "charon cannot load its files: $(tail -n 3 "$W/$C/load.log")"; return 1; }
	# (swanctl notes each credential folder that does not exist as
	# "opening directory ... failed": not a refusal)
	grep -i "failed\|error" "$W/$C/load.log" | grep -qv "opening directory" &&
		{ fail "charon refuses its files: $(grep -i 'failed\|error' "$W/$C/load.log" | grep -v 'opening directory' | head -3)"; return 1; }
	# uipsecd rereads as the uipsec user it dropped to: the files
	# root:uipsec, group-readable, as docs/certificates.md advises
	if getent group uipsec >/dev/null; then
		chgrp uipsec "$W" && chmod g+x "$W"
		chgrp -R uipsec "$W/$U" && chmod -R g+rX "$W/$U"
	fi
	u "$U" load >"$W/$U/load.out" 2>&1 ||
		{ fail "uipsec cannot load its files: $(tail -n 3 "$W/$U/load.out")"; return 1; }
	: >"$W/$U/uipsecd.log.mark"
	ULOG_FROM=$(wc -l <"$W/$U/uipsecd.log")
	return 0
}

ulog() { tail -n +"$((ULOG_FROM + 1))" "$W/$U/uipsecd.log"; }

initiate() {
	if [ "$U" = gwa ]; then
		u "$U" initiate --child net >/dev/null
	else
		charon_swanctl "$C" --initiate --child net --timeout 5 >"$W/$C/initiate.log" 2>&1
	fi
}

# good NAME SCHEME_UIPSEC_SEES SCHEME_CHARON_SEES: both up, traffic, and
# each logged the other's signature scheme
good() {
	CASE="$ROLE $1"
	reload || return
	initiate
	established "$U" || { fail "not established"; return; }
	ping4_through || { fail "no ping through the tunnel"; return; }
	# over the 1,280-byte path (FRAG=1) full-size ESP packets do not fit
	# (fragments are dropped there): ping only
	[ "${FRAG:-0}" = 1 ] || iperf3_through 1 || { fail "iperf3 through the tunnel failed"; return; }
	if [ -n "$2" ]; then
		u "$U" list-sas | grep -q "$2" || { fail "uipsec list-sas does not show $2"; return; }
	fi
	if [ -n "$3" ]; then
		grep -q "authentication of '.*' with $3 successful" "$W/$C/charon.log" ||
			{ fail "charon did not log authentication with $3"; return; }
	fi
	echo "ok [$CASE]"
}

# bad NAME WHO REASON_UIPSEC REASON_CHARON: the credentials set up for the
# case are wrong on WHO (uipsec or charon); the other one refuses with its
# reason (REASON_UIPSEC or REASON_CHARON, an extended regex; "-": it never
# gets that far), WHO logs the failure too, and neither keeps an IKE SA or
# a CHILD SA
bad() {
	CASE="$ROLE $1 ($2's credentials)"
	reload || return
	initiate
	sleep 1.5
	if [ "$2" = charon ]; then
		[ "$3" = - ] || ulog | grep -Eq -- "$3" || { fail "uipsec did not log '$3'"; return; }
		grep -Eq "AUTHENTICATION_FAILED|AUTH_FAILED|no private key found" "$W/$C/charon.log" ||
			{ fail "charon did not log the failure"; return; }
	else
		[ "$4" = - ] || grep -Eq -- "$4" "$W/$C/charon.log" || { fail "charon did not log '$4'"; return; }
		ulog | grep -Eq "AUTHENTICATION_FAILED|no private key found" ||
			{ fail "uipsec did not log the failure"; return; }
	fi
	u "$U" list-sas | grep -q "ESTABLISHED\|INSTALLED" && { fail "uipsec kept an SA"; return; }
	charon_swanctl "$C" --list-sas | grep -q "ESTABLISHED\|INSTALLED" && { fail "charon kept an SA"; return; }
	ns hosta ping -c 1 -W 1 10.2.0.2 >/dev/null 2>&1 && { fail "traffic flows without a tunnel"; return; }
	echo "ok [$CASE]"
}

# the gateway each daemon is on, for "bad" cases
gw_of() { if [ "$1" = uipsec ]; then echo "$U"; else echo "$C"; fi; }

make_pki
topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }

# FRAG=1: a 1,280-byte path that drops IP fragments (before reassembly)
if [ "${FRAG:-0}" = 1 ]; then
	for g in gwa gwb; do
		ns "$g" ip link set eth1 mtu 1280
		ns "$g" nft -f - <<-NFT
		table ip nofrag {
			chain pre {
				type filter hook prerouting priority -450; policy accept;
				iifname "eth1" ip frag-off & 0x3fff != 0 counter drop
			}
		}
		NFT
	done
	for ROLE in init resp; do
		phase "$ROLE"
		side gwa rsa3072 CERT=gwa-im3072 CA="ca im"; side gwb rsa3072 CERT=gwb-im3072 CA="ca im"
		good "RSA-3072 and an intermediate over a 1,280-byte path" "" ""
		grep -Eq "fragment" "$W/$C/charon.log" || fail "charon logged no IKE fragments"
		ulog | grep -Eqi "fragment" || fail "uipsecd logged no IKE fragments"
		dropped=$(ns gwa nft list table ip nofrag | awk '/counter/ { print $(NF-3) }')
		echo "   (IP fragments dropped on gwa's eth1: ${dropped:-0})"
	done
	finish
fi

for ROLE in init resp; do
	phase "$ROLE"

	side gwa rsa2048; side gwb rsa2048
	good "RSA-2048 PKCS#1" "RSA_EMSA_PKCS1_SHA2_256" "RSA_EMSA_PKCS1_SHA2_256"

	side gwa rsa3072 CERT=gwa-pss LAUTH=rsa/pss-sha256 RAUTH=rsa/pss-sha256
	side gwb rsa3072 CERT=gwb-pss LAUTH=rsa/pss-sha256 RAUTH=rsa/pss-sha256
	good "RSA-3072 RSA-PSS" "RSA_EMSA_PSS_SHA2_256_SALT_32" "RSA_EMSA_PSS_SHA2_256_SALT_32"

	side gwa p256; side gwb p256
	good "ECDSA P-256" "ECDSA_WITH_SHA256_DER" "ECDSA_WITH_SHA256_DER"

	side gwa p384; side gwb p384
	good "ECDSA P-384" "ECDSA_WITH_SHA384_DER" "ECDSA_WITH_SHA384_DER"

	side gwa ed25519; side gwb ed25519
	good "Ed25519" "ED25519" "ED25519"

	# only the sender has the intermediate CA, the verifier trusts the root
	side "$U" rsa2048 CERT="$U-im" CA="ca im"; side "$C" rsa2048
	good "intermediate CA sent by uipsec" "" ""
	grep -q "received issuer cert \"$DN, CN=Intermediate CA\"" "$W/$C/charon.log" ||
		fail "charon did not receive the intermediate"
	side "$C" rsa2048 CERT="$C-im" CA="ca im"; side "$U" rsa2048
	good "intermediate CA sent by charon" "" ""
	ulog | grep -q "received issuer cert '$DN, CN=Intermediate CA'" ||
		fail "uipsec did not receive the intermediate"

	# identities as subjectAltNames, an encrypted key, send_cert = always
	side gwa rsa2048 LID=gwa.example.org RID=gwb.example.org ENC=1 CEXTRA="send_cert = always"
	side gwb rsa2048 LID=gwb.example.org RID=gwa.example.org ENC=1 CEXTRA="send_cert = always"
	good "SAN identities, encrypted keys" "" ""

	# raw public keys: no CERT payloads, the keys are known on both sides
	side gwa rsa2048 PUBKEYS=1 LID=gwa.example.org RID=gwb.example.org
	side gwb rsa2048 PUBKEYS=1 LID=gwb.example.org RID=gwa.example.org
	good "raw public keys" "raw public key" ""

	# refusals, each with the bad credentials on either daemon
	for who in uipsec charon; do
		b=$(gw_of "$who")
		o=gwa; [ "$b" = gwa ] && o=gwb
		side "$o" rsa2048
		side "$b" rsa2048 CERT="$b-expired"
		bad "expired certificate" "$who" "not trusted: expired" "certificate invalid|expired"
		side "$o" rsa2048
		side "$b" rsa2048 CERT="$b-future"
		bad "not yet valid" "$who" "not trusted: not yet valid" "certificate invalid|not valid"
		side "$o" rsa2048
		side "$b" rsa2048 CERT="$b-otherca" CA="ca other"
		bad "another CA" "$who" "not trusted: unknown CA" "no issuer certificate found|no trusted RSA public key"
		side "$o" rsa2048 CRL=ca
		side "$b" rsa2048 CERT="$b-revoked"
		bad "revoked" "$who" "not trusted: revoked" "certificate was revoked|revoked"
		side "$o" rsa2048 RID="$b.other.org"
		side "$b" rsa2048 LID="$b.other.org"
		bad "identity not in the certificate" "$who" "identity mismatch" "no trusted RSA public key found for '$b.other.org'"
		# the bad side cannot sign: as responder it answers AUTHENTICATION_FAILED,
		# as initiator it sends no IKE_AUTH at all
		side "$o" rsa2048
		side "$b" rsa2048 KEY="$b-wrong"
		r=-; [ "$b" = gwb ] && r="AUTHENTICATION_FAILED"
		bad "private key of another certificate" "$who" "$r" "$r"
	done
done

finish
