#!/usr/bin/env bash
# Install the Debian packages uipsec builds and tests with, when missing.
# Runs as root on a fresh Debian 12; as another user it only reports.
set -euo pipefail
pkgs=(
  build-essential cmake pkg-config clang libclang-rt-dev   # build, sanitizers, libFuzzer
  llvm                                                      # llvm-profdata, llvm-cov (scripts/fuzz_coverage.sh)
  libssl-dev libcmocka-dev                                  # OpenSSL 3 libcrypto, unit tests
  libseccomp-dev                                            # uipsecd's system call allow-list
  python3 python3-scapy python3-cryptography                # independent ESP implementation (scapy needs cryptography for ESP ciphers)
  iproute2 iputils-ping nftables tcpdump tshark iperf3 procps psmisc curl  # netns tests and demo
  strongswan-charon strongswan-swanctl libcharon-extra-plugins        # interop peer
  libcharon-extauth-plugins                                 # its eap-mschapv2 plugin (EAP interop)
  strongswan-pki                                            # test PKIs (pki --gen/--self/--issue)
  libstrongswan-standard-plugins libstrongswan-extra-plugins
  wireguard-go wireguard-tools                              # benchmark peer
  debhelper dpkg-dev                                        # make deb, tests/package (the .deb)
)
# uipsecd drops to a user of its own after start-up (src/cmd/uipsecd/sandbox.h);
# a package would create it, so do the tests, the demo and make check.
if [ "$(id -u)" = 0 ] && ! getent passwd uipsec >/dev/null; then
  echo "deps: creating the system user uipsec (uipsecd runs as it after start-up)"
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin uipsec
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing packages (run as root to install): ${missing[*]}" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# strongSwan's packages would start charon as a system service; the tests run
# their own charon per namespace, so keep the packaged one from starting.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
apt-get install -y -qq --no-install-recommends "${missing[@]}"
rm -f /usr/sbin/policy-rc.d
