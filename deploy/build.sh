#!/usr/bin/env bash
# Configures and builds careledger in Release into build/ (the program is
# build/tools/careledger). Extra arguments go to CMake's configure step.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >&2
cmake --build "$root/build" >&2
