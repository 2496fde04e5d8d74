#!/usr/bin/env bash
# Installs the Debian 12 packages argus builds, tests and benchmarks with.
# Quick when everything is present: apt is only touched for missing packages.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev
  libtorch-dev libopenblas0-openmp libdnnl-dev libgloo-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libcpp-httplib-dev libssl-dev libbrotli-dev
  libsentencepiece-dev libpcre2-dev libutf8proc-dev zlib1g-dev
  libjpeg62-turbo-dev libpng-dev libwebp-dev
  libfaiss-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-torch python3-numpy python3-pil
  chromium
)
# The web tests also need Node.js >= 20 with npm (the machine's own); tests/web/run.sh
# installs their npm packages (openai, playwright-core) from the committed lockfile.

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
