#!/usr/bin/env bash
# The sanitizer and fuzz run (tests/README.md, "Sanitizers and fuzzing"):
# builds build-asan/ with clang, AddressSanitizer and UndefinedBehaviorSanitizer
# (any report aborts) and the libFuzzer targets (CARELEDGER_FUZZ=ON), then
# runs with ctest the GoogleTest unit tests that need no Kafka (label "unit",
# not "kafka") and every fuzzer for CARELEDGER_FUZZ_SECONDS (default 30) from
# its seed corpus (label "fuzz"). Exits non-zero on any failure, sanitizer
# report or fuzzer crash; crashing inputs are kept in build-asan/fuzz/crashes/.
# The Python CLI and crash tests are not run here: they run the program many
# times over, which under ASan would take longer than CI allows.
#
# Extra arguments go to ctest (e.g. -R fuzz_envelope).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
build=$root/build-asan

launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# -O1, as libFuzzer and the sanitizers recommend: far quicker to compile than
# Release's -O3, and fast enough to run.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" -DCMAKE_CXX_COMPILER=clang++ \
  -DCARELEDGER_FUZZ=ON -DCARELEDGER_FUZZ_SECONDS="${CARELEDGER_FUZZ_SECONDS:-30}" \
  "${launcher[@]}" >&2
# Only the tests this run runs (the program and the Kafka tests are not built).
mapfile -t targets < <(cd "$build" && ctest -N -L 'unit|fuzz' -LE kafka |
  sed -n 's/^ *Test *#[0-9]*: *//p')
cmake --build "$build" -j "${CARELEDGER_BUILD_JOBS:-2}" --target "${targets[@]}" >&2

# Reports go to the test's output with a stack trace; the first one fails it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_stack_use_after_return=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure --parallel "${CARELEDGER_TEST_JOBS:-2}" -L 'unit|fuzz' -LE kafka "$@"
