#!/usr/bin/env bash
# Installs the system libraries GenerativeKit needs (Debian/Ubuntu), only when they are missing.
# Safe to run repeatedly; needs root (or sudo) only when something must be installed.
#
#     bash scripts/setup.sh                 # the libraries every product but GenerativeKitDistributed needs
#     bash scripts/setup.sh --distributed   # and Open MPI, for GenerativeKitDistributed and its tests
#     bash scripts/setup.sh --browser       # and Chromium, for gk-explore's browser test
set -euo pipefail

packages=(libopenblas-dev liblapacke-dev pkg-config zlib1g-dev libpng-dev libjpeg-dev)
for option in "$@"; do
  case "$option" in
    --distributed) packages+=(libopenmpi-dev openmpi-bin) ;;
    --browser) packages+=(chromium python3) ;;
    *) echo "setup: unknown option $option (expected --distributed or --browser)" >&2; exit 2 ;;
  esac
done
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    echo "setup: swift is not on PATH; add /opt/swift/usr/bin to PATH" >&2
  else
    echo "setup: the Swift toolchain (6.1 or later) is required: https://www.swift.org/install/linux/" >&2
  fi
  exit 1
fi
