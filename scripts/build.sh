#!/usr/bin/env bash
# Configure (if needed) and build cairn. Works from any working directory.
# Usage: build.sh [TARGET...]   (default: every target)
# Env: CAIRN_BUILD_DIR (default: build), relative to the repo root unless absolute;
#      CAIRN_DEPS (demo|all, default all): which packages install-deps.sh installs;
#      CAIRN_BUILD_TESTS (ON|OFF, default ON): whether the test targets are configured.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

bash "$ROOT/scripts/install-deps.sh"

BUILD="${CAIRN_BUILD_DIR:-build}"

# Re-running cmake configure is cheap and picks up CMakeLists changes.
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCAIRN_BUILD_TESTS="${CAIRN_BUILD_TESTS:-ON}"
if [[ $# -gt 0 ]]; then
  cmake --build "$BUILD" -j"$(nproc)" --target "$@"
else
  cmake --build "$BUILD" -j"$(nproc)"
fi
