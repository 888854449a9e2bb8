#!/usr/bin/env bash
# Installs the system packages Maestro builds and tests with, only those that are missing.
set -euo pipefail

# libcurl4-openssl-dev: a static Swift runtime (the image, make image-dry-run) links FoundationNetworking against it.
packages=(pkg-config librdkafka-dev libhiredis-dev libssl-dev libcurl4-openssl-dev kcat postgresql redis-server python3-venv)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { echo "error: the Swift 6 toolchain is not on PATH (https://www.swift.org/install/linux/)" >&2; exit 1; }
