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
# hyperfine for bench/ (cheap, so always there).
need hyperfine command -v hyperfine

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

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "karoo: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi
