#!/usr/bin/env bash
# Install the Debian packages cairn needs to build, test and benchmark.
# Idempotent: when everything is present it only queries dpkg and exits.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ pkg-config
  libsqlite3-dev sqlite3
  libpqxx-dev libpq-dev
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev
  libbenchmark-dev   # Google Benchmark: bench/schema_bench.cc (bench/diff.sh)
  libssl-dev libcli11-dev nlohmann-json3-dev
  postgresql python3 hyperfine
  chromium   # headless browser that opens `cairn report` pages in the tests and benchmark
  libtomlplusplus-dev python3-grpcio python3-protobuf openssl
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps: missing packages (${missing[*]}) and not root, no sudo available" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${#missing[@]} missing package(s): ${missing[*]}"
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
