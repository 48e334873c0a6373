#!/usr/bin/env bash
# updown scripts as charon runs them: uipsecd on gwa and gwb, each CHILD_SA
# with an updown command that records PLUTO_VERB and the PLUTO_*
# environment; traffic selectors of both families (one script run per
# IPv4 pair and per IPv6 pair); up when the CHILD_SA is installed, nothing
# on a rekeying, down on terminate; hostaccess; the script runs with the
# privileges uipsecd started with (root here), not the sandbox's; a script
# that hangs is stopped at the timeout without holding up IKE.
# Exit 77: not root.
set -u

TOPO_PREFIX=${TOPO_PREFIX:-ud$$}
# shellcheck source-path=SCRIPTDIR source=ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
ike_lib_init updown uipsec

PSK=$(psk_random)

cat >"$W/rec.sh" <<'REC'
#!/bin/sh
# rec.sh FILE ARG: one line per run, the full environment of the first
echo "$PLUTO_VERB|$PLUTO_CONNECTION|$PLUTO_INTERFACE|$PLUTO_ME|$PLUTO_PEER|$PLUTO_MY_ID|$PLUTO_PEER_ID|$PLUTO_MY_CLIENT|$PLUTO_PEER_CLIENT|$PLUTO_PROTO|$PLUTO_VERSION|${PLUTO_HOST_ACCESS:-0}|$(id -u)|$2" >>"$1"
[ -e "$1.env" ] || env | sort >"$1.env"
echo "recorded $PLUTO_VERB"
REC
chmod 755 "$W/rec.sh"

# start CHILD_EXTRA_A CHILD_EXTRA_B
start() {
	stop_all
	rm -rf "$W/gwa" "$W/gwb"
	write_conf "$W/gwa" 192.0.2.1 192.0.2.2 gwa.example.org gwb.example.org \
		"10.1.0.0/24, fd01::/64" "10.2.0.0/24, fd02::/64" aes256gcm16-prfsha256-x25519 \
		aes128gcm16 "$PSK" "" "$1"
	write_conf "$W/gwb" 192.0.2.2 192.0.2.1 gwb.example.org gwa.example.org \
		"10.2.0.0/24, fd02::/64" "10.1.0.0/24, fd01::/64" aes256gcm16-prfsha256-x25519 \
		aes128gcm16 "$PSK" "" "$2"
	uipsecd_start gwa gwb || fail "uipsecd did not start"
}

# wait_lines FILE N: until FILE has N lines (5 s)
wait_lines() {
	for _ in $(seq 50); do
		[ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

topo_up >/dev/null 2>&1 || { echo "FAIL: topology did not come up"; exit 1; }

CASE="up, rekey, down, both families"
if start "updown = $W/rec.sh $W/a.rec arg-a
	                rekey_time = 3s
	                life_time = 30s
	                hostaccess = yes" "updown = $W/rec.sh $W/b.rec b"; then
	rm -f "$W"/a.rec* "$W"/b.rec*
	u gwa initiate --child net >/dev/null
	if ! established || ! wait_lines "$W/a.rec" 2 || ! wait_lines "$W/b.rec" 2; then
		fail "not established, or no up scripts run"
	elif ! ping4_through || ! ping6_through; then
		fail "no traffic through the tunnel"
	else
		ok=1
		want_a="up-client|net|ipsec0|192.0.2.1|192.0.2.2|gwa.example.org|gwb.example.org|10.1.0.0/24|10.2.0.0/24|esp|1.1|1|0|arg-a
up-client-v6|net|ipsec0|192.0.2.1|192.0.2.2|gwa.example.org|gwb.example.org|fd01::/64|fd02::/64|esp|1.1|1|0|arg-a"
		want_b="up-client|net|ipsec0|192.0.2.2|192.0.2.1|gwb.example.org|gwa.example.org|10.2.0.0/24|10.1.0.0/24|esp|1.1|0|0|b
up-client-v6|net|ipsec0|192.0.2.2|192.0.2.1|gwb.example.org|gwa.example.org|fd02::/64|fd01::/64|esp|1.1|0|0|b"
		[ "$(cat "$W/a.rec")" = "$want_a" ] || { fail "gwa's up: $(cat "$W/a.rec")"; ok=0; }
		[ "$(cat "$W/b.rec")" = "$want_b" ] || { fail "gwb's up: $(cat "$W/b.rec")"; ok=0; }
		for v in PLUTO_REQID PLUTO_UNIQUEID PLUTO_MY_PORT=0 PLUTO_MY_PROTOCOL=0 PLUTO_PEER_PORT=0 \
		         PLUTO_PEER_PROTOCOL=0 PATH=; do
			grep -q "^$v" "$W/a.rec.env" || { fail "no $v in the environment"; ok=0; }
		done
		# only PATH and PLUTO_*: nothing of uipsecd's own environment
		if grep -v -e '^PLUTO_' -e '^PATH=' -e '^PWD=' -e '^SHLVL=' -e '^_=' "$W/a.rec.env" | grep -q .; then
			fail "more than PATH and PLUTO_*: $(grep -v '^PLUTO_' "$W/a.rec.env" | tr '\n' ' ')"
			ok=0
		fi
		grep -q "updown: recorded up-client" "$W/gwa/uipsecd.log" ||
			{ fail "the script's output is not in the log"; ok=0; }
		# a rekeying runs nothing
		old=$(u gwa list-sas | awk '/^    in /{print $2}')
		sleep 5
		new=$(u gwa list-sas | awk '/^    in /{print $2}')
		if [ -z "$new" ] || [ "$old" = "$new" ]; then
			fail "SPIs did not change ($old -> $new)"; ok=0
		elif [ "$(wc -l <"$W/a.rec")" != 2 ] || [ "$(wc -l <"$W/b.rec")" != 2 ]; then
			fail "scripts ran on the rekeying: $(cat "$W/a.rec" "$W/b.rec")"; ok=0
		fi
		u gwa terminate --ike site >/dev/null
		if ! wait_lines "$W/a.rec" 4 || ! wait_lines "$W/b.rec" 4; then
			fail "no down scripts after terminate"; ok=0
		else
			[ "$(sed -n 3,4p "$W/a.rec" | cut -d'|' -f1 | tr '\n' ' ')" = "down-client down-client-v6 " ] ||
				{ fail "gwa's down: $(sed -n 3,4p "$W/a.rec")"; ok=0; }
			[ "$(sed -n 3,4p "$W/b.rec" | cut -d'|' -f1,8,9 | tr '\n' ' ')" = "down-client|10.2.0.0/24|10.1.0.0/24 down-client-v6|fd02::/64|fd01::/64 " ] ||
				{ fail "gwb's down: $(sed -n 3,4p "$W/b.rec")"; ok=0; }
		fi
		[ $ok = 1 ] && echo "ok [$CASE]"
	fi
fi

CASE="host-to-host, a hanging script, the default _updown's note"
if start "updown = sleep 60
	                local_ts = dynamic
	                remote_ts = dynamic" "updown = $W/rec.sh $W/h.rec h
	                local_ts = dynamic
	                remote_ts = dynamic"; then
	rm -f "$W"/h.rec*
	u gwa initiate --child net >/dev/null
	if ! established || ! wait_lines "$W/h.rec" 1; then
		fail "not established, or no up script"
	elif [ "$(cut -d'|' -f1,8,9 "$W/h.rec")" != "up-host|192.0.2.2/32|192.0.2.1/32" ]; then
		fail "host-to-host up: $(cat "$W/h.rec")"
	elif ! u gwa list-sas | grep -q "net: INSTALLED"; then
		fail "IKE held up by the hanging script"
	else
		# the IKE thread goes on while the script hangs: terminate at once
		u gwa terminate --ike site >/dev/null
		if ! wait_lines "$W/h.rec" 2; then
			fail "no down-host on the peer"
		else
			echo "ok [$CASE]"
		fi
	fi
fi

# the default script gets its note at load; refused options name their no-op values
CASE="_updown note"
if start "updown = /usr/lib/ipsec/_updown iptables
	                hw_offload = auto
	                copy_dscp = no
	                mark_in = 0" ""; then
	if ! grep -q "updown '/usr/lib/ipsec/_updown iptables': strongSwan's default script" "$W/gwa/uipsecd.log"; then
		fail "no note for the default _updown"
	else
		echo "ok [$CASE]"
	fi
fi

finish
