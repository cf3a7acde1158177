#!/usr/bin/env bash
# Configure (if needed) and build cairn. Works from any working directory.
# Env: CAIRN_BUILD_DIR (default: build), relative to the repo root unless absolute.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

bash "$ROOT/scripts/install-deps.sh"

BUILD="${CAIRN_BUILD_DIR:-build}"

# Re-running cmake configure is cheap and picks up CMakeLists changes.
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD" -j"$(nproc)"
