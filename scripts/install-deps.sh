#!/usr/bin/env bash
# Installs the Debian 12 packages argus builds, tests and benchmarks with. This list is
# the one place that names argus's system dependencies; scripts/check-deps.py (run by
# `make test`) proves that every file the build and the tests use comes from one of
# these packages or from their Depends, so a package installed by hand cannot hide a
# missing line here. Recommends are never installed, so nothing may rely on them.
#
#   scripts/install-deps.sh          install what is missing (quick when nothing is)
#   scripts/install-deps.sh --list   print the package list
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev
  # the sanitizer build's CMake picks LLVM's binutils (llvm-ar, llvm-ranlib, ...) and ld.lld when present
  llvm lld
  libtorch-dev libopenblas0-openmp libdnnl-dev libgloo-dev
  # dnnl-config.cmake requires OpenCL (a Recommends of libdnnl-dev only)
  ocl-icd-opencl-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libcpp-httplib-dev libssl-dev libbrotli-dev
  libsentencepiece-dev libpcre2-dev libutf8proc-dev zlib1g-dev
  libjpeg62-turbo-dev libpng-dev libwebp-dev
  libfaiss-dev libsqlite3-dev
  # OCR (the agent's ocr tool): Tesseract and its English model
  libtesseract-dev tesseract-ocr-eng
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-torch python3-numpy python3-pil
  # the web tests: Node.js with npm (its packages come from tests/web/package-lock.json)
  # and the browser they drive
  nodejs npm chromium
)

if [[ ${1:-} == --list ]]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi
[[ $# -eq 0 ]] || { echo "usage: $0 [--list]" >&2; exit 2; }

# One dpkg-query for all: a package counts as present when it is installed, or when an
# installed package provides it (a Node.js build that bundles npm provides npm).
present=$(dpkg-query -W -f='${db:Status-Status} ${Package} ${Provides}\n' 2>/dev/null |
  awk '$1 == "installed" { for (i = 2; i <= NF; i++) { name = $i; sub(/:.*/, "", name); gsub(/[(),]/, "", name); if (name ~ /^[a-z0-9]/) print name } }' |
  sort -u)
missing=()
for p in "${packages[@]}"; do
  grep -qxF "$p" <<<"$present" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
