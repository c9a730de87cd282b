#!/usr/bin/env bash
# Install everything E2 needs on Debian 12 and reserve hugepages.
# Idempotent: packages already present are not fetched again.
# Usage (as root): scripts/deps.sh [--no-hugepages]
set -euo pipefail

PACKAGES=(
  # build and test
  build-essential cmake pkg-config git clang-format libcmocka-dev
  clang llvm libclang-rt-14-dev
  # dataplane
  dpdk dpdk-dev libdpdk-dev libnuma-dev
  # control plane and descriptions
  libjansson-dev libyaml-dev libpcap-dev libbdd-dev libglpk-dev
  # testbed: namespaces, captures, traffic checks
  iproute2 tcpdump ethtool iputils-ping procps kmod python3 nftables curl
  # legacy NFs: the web proxy/cache (nfs/proxy runs its own Squid instances in
  # namespaces; the package's own squid service is not used)
  squid
  # VPN NF: AES-GCM (OpenSSL 3); a Linux IPsec peer where the kernel has no ESP
  libssl-dev user-mode-linux
  # the cluster: the rack switch (a private Open vSwitch, scripts/ovs.sh) and
  # the manager's and agents' REST APIs
  openvswitch-switch libmicrohttpd-dev libcurl4-openssl-dev
  # DPI NFs: SIG's second matching engine (nfs/sig, nfs/ids)
  libhyperscan-dev
)

want_huge=1
for a in "$@"; do
  case "$a" in
    --no-hugepages) want_huge=0 ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "deps.sh: unknown option '$a'" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: run as root (it installs packages and reserves hugepages)" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$want_huge" -eq 1 ]; then
  # 1 GiB of 2 MiB pages: e2d instances share it through --file-prefix.
  want=512
  have=$(cat /proc/sys/vm/nr_hugepages)
  if [ "$have" -lt "$want" ]; then
    echo "$want" > /proc/sys/vm/nr_hugepages
  fi
  mountpoint -q /dev/hugepages || { mkdir -p /dev/hugepages; mount -t hugetlbfs nodev /dev/hugepages; }
  echo "deps.sh: hugepages $(cat /proc/sys/vm/nr_hugepages) x 2 MiB"
fi
echo "deps.sh: ready"
