#!/bin/sh
# scripts/deps.sh - install the Debian 12 packages kvmsim needs, if missing.
# Safe to run repeatedly; installs nothing when everything is present.
set -eu
pkgs="cmake ninja-build gcc clang libclang-rt-14-dev libcmocka-dev
libinih-dev pkg-config lcov python3 python3-matplotlib zip unzip"
missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "kvmsim: installing:$missing"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
