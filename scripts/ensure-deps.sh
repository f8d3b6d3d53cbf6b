#!/usr/bin/env bash
# Installs what the tests and the demo need beyond npm packages, only when it is missing.
# Debian packages come from the machine's apt sources; nothing else is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."

want_pkgs=()
need() { # need PACKAGE CHECK-COMMAND...
  local pkg=$1; shift
  if ! "$@" >/dev/null 2>&1; then want_pkgs+=("$pkg"); fi
}

# python3 with pip: the resolver backend.
need python3 command -v python3
need python3-pip python3 -m pip --version
# Real third-party wheels for the example index (pip, setuptools, wheel as Debian ships them).
need python3-pip-whl bash -c 'ls /usr/share/python-wheels/pip-*.whl'
need python3-setuptools-whl bash -c 'ls /usr/share/python-wheels/setuptools-*.whl'
need python3-wheel-whl bash -c 'ls /usr/share/python-wheels/wheel-*.whl'
# git: the report step reads the base branch's lock with `git show REF:PATH`.
need git command -v git
# hyperfine for bench/ (cheap, so always there).
need hyperfine command -v hyperfine
# skopeo: an OCI client nobody here wrote, reading the candidates the store tests push.
need skopeo command -v skopeo
# provision: machines. systemd-nspawn (system containers), QEMU and qemu-img (virtual machines),
# mmdebstrap + e2fsprogs + xz to build karoo's machine image once (cached in /var/cache/karoo/images),
# ssh/ssh-keygen to reach the machines, ip for their network namespaces, genisoimage for cloud-init seeds.
need systemd-container command -v systemd-nspawn
need qemu-system-x86 command -v qemu-system-x86_64
need qemu-utils command -v qemu-img
need mmdebstrap command -v mmdebstrap
need e2fsprogs command -v mkfs.ext4
need xz-utils command -v xz
need openssh-client command -v ssh-keygen
need iproute2 command -v ip
need genisoimage command -v genisoimage
# provider libvirt: Debian's libvirtd with its QEMU driver and virsh (not libvirt-daemon-system, whose
# default network would turn on NAT); the libvirt itg test starts libvirtd and virtlogd itself.
need libvirt-clients command -v virsh
need libvirt-daemon command -v libvirtd
need libvirt-daemon-driver-qemu bash -c 'ls /usr/lib/*/libvirt/connection-driver/libvirt_driver_qemu.so'

if [ ${#want_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "karoo: missing Debian packages: ${want_pkgs[*]}; install them with: sudo apt-get install ${want_pkgs[*]}" >&2
    exit 1
  fi
  echo "karoo: installing ${want_pkgs[*]} (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${want_pkgs[@]}" >/dev/null
fi

# The CNCF distribution registry (Debian's docker-registry 2.8.2) for the store tests: unpacked with
# dpkg -x into a cache outside the clone, never installed (the package's default configuration listens
# on all interfaces and ships an init script). test/support/registry.ts looks for it in the same places.
tools=${KAROO_TOOLS:-}
if [ -z "$tools" ]; then
  if [ "$(id -u)" = 0 ]; then tools=/var/cache/karoo/tools; else tools=${XDG_CACHE_HOME:-$HOME/.cache}/karoo/tools; fi
fi
if [ ! -x "$tools/docker-registry/usr/bin/docker-registry" ]; then
  echo "karoo: unpacking Debian's docker-registry into $tools (apt-get download + dpkg -x)" >&2
  mkdir -p "$tools"
  work=$(mktemp -d)
  if ! (cd "$work" && apt-get download -qq docker-registry >/dev/null 2>&1); then
    if [ "$(id -u)" != 0 ]; then
      echo "karoo: cannot download docker-registry; run 'sudo apt-get update' and retry" >&2
      rm -rf "$work"; exit 1
    fi
    apt-get update -qq >/dev/null
    (cd "$work" && apt-get download -qq docker-registry >/dev/null)
  fi
  rm -rf "$tools/docker-registry.tmp"
  dpkg -x "$work"/docker-registry_*.deb "$tools/docker-registry.tmp"
  rm -rf "$tools/docker-registry" && mv "$tools/docker-registry.tmp" "$tools/docker-registry"
  rm -rf "$work"
fi

# sshd for the libvirt test's second host (reached over qemu+ssh): Debian's openssh-server and the
# libwrap0 it links, unpacked the same way (installing it would start an sshd on port 22).
if [ ! -x /usr/sbin/sshd ] && [ ! -x "$tools/openssh-server/usr/sbin/sshd" ]; then
  echo "karoo: unpacking Debian's openssh-server into $tools (apt-get download + dpkg -x)" >&2
  mkdir -p "$tools"
  work=$(mktemp -d)
  if ! (cd "$work" && apt-get download -qq openssh-server libwrap0 >/dev/null 2>&1); then
    if [ "$(id -u)" != 0 ]; then
      echo "karoo: cannot download openssh-server; run 'sudo apt-get update' and retry" >&2
      rm -rf "$work"; exit 1
    fi
    apt-get update -qq >/dev/null
    (cd "$work" && apt-get download -qq openssh-server libwrap0 >/dev/null)
  fi
  rm -rf "$tools/openssh-server.tmp"
  for deb in "$work"/*.deb; do dpkg -x "$deb" "$tools/openssh-server.tmp"; done
  rm -rf "$tools/openssh-server" && mv "$tools/openssh-server.tmp" "$tools/openssh-server"
  rm -rf "$work"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "karoo: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi
