#!/usr/bin/env bash
# Install the Debian packages cairn needs to build, test and benchmark.
# Usage: install-deps.sh [demo|all]   (default: all; or $CAIRN_DEPS)
#   demo: what building cairn and running scripts/demo.sh needs (compiler,
#         libraries, headers); all: also what the tests and benchmarks run
#         (PostgreSQL, Chromium, Python gRPC, hyperfine, dbmate).
# Idempotent: when everything is present it only queries dpkg and exits.
set -euo pipefail

MODE="${1:-${CAIRN_DEPS:-all}}"

# Enough to configure and build cairn (scripts/demo.sh configures without
# the tests).
BUILD_PACKAGES=(
  cmake ninja-build g++ pkg-config
  libsqlite3-dev
  libpqxx-dev libpq-dev
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  libspdlog-dev libfmt-dev
  libssl-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev
  libpg-query-dev   # PostgreSQL's parser for `cairn lint` (docs/lint.md)
  libxml2-dev libyaml-dev   # Liquibase XML and YAML master changelogs (docs/formats.md)
)
# What the tests and benchmarks build and run besides cairn.
TEST_PACKAGES=(
  libgtest-dev libgmock-dev
  sqlite3
  libbenchmark-dev   # Google Benchmark: bench/schema_bench.cc (bench/diff.sh)
  postgresql python3 hyperfine time
  chromium   # headless browser that opens `cairn report` pages in the tests and benchmark
  python3-grpcio python3-protobuf openssl
  dpkg-dev file   # cpack -G DEB runs dpkg-shlibdeps and file (docs/install.md)
  fish            # the fish completion's test runs it (tests/clients/cli_usage_test.cc)
)

case "$MODE" in
  demo) PACKAGES=("${BUILD_PACKAGES[@]}") ;;
  all) PACKAGES=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  *)
    echo "install-deps: unknown mode '$MODE' (demo or all)" >&2
    exit 2
    ;;
esac

# dbmate ships its Go binary in its npm package; the adopt tests
# (tests/runner/adopt_test.cc) run it from build-deps/npm. npm itself comes
# with Node.js (Debian's npm package, or NodeSource's nodejs). Failing to
# install dbmate is not fatal here: those tests then fail loudly under
# CAIRN_REQUIRE_PG=1.
install_dbmate() {
  local root prefix
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  prefix="$root/build-deps/npm"
  if compgen -G "$prefix/node_modules/@dbmate/*/bin/dbmate" >/dev/null; then return 0; fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-deps: npm missing, dbmate not installed" >&2
    return 0
  fi
  echo "install-deps: installing dbmate from npm into $prefix"
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund dbmate >&2 ||
    echo "install-deps: npm install dbmate failed" >&2
}
# Only the tests run dbmate.
if [[ "$MODE" == all ]]; then trap install_dbmate EXIT; fi

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
