#!/usr/bin/env bash
# Installs what careledger needs from Debian's packages, and only what is
# missing (apt-get update runs only when something must be installed).
#
#   deploy/install-deps.sh            build and run dependencies
#   deploy/install-deps.sh --tests    also what the test suite needs: a JDK and
#                                     Maven for the real Kafka broker and the
#                                     FHIR validator (deploy/fhir/), kcat,
#                                     Python's cryptography/protobuf for the
#                                     independent verifier, and clang with its
#                                     runtimes (libclang-rt-14-dev holds
#                                     libFuzzer, ASan and UBSan; llvm the
#                                     symbolizer) for tests/sanitize.sh
# Run as root (or with sudo available).
set -euo pipefail

build_packages=(
  build-essential cmake ninja-build pkg-config
  libssl-dev librdkafka-dev librocksdb-dev libprotobuf-dev protobuf-compiler
  libabsl-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev clang-format
  # the HTTPS server of `careledger serve` (README, "The service")
  libcpp-httplib-dev
  # the allocator (CMakeLists.txt, CARELEDGER_JEMALLOC)
  libjemalloc-dev
)
test_packages=(python3 python3-cryptography python3-protobuf kafkacat rocksdb-tools clang
               libclang-rt-14-dev llvm
               # the auditors' web page's browser tests (tests/web/): headless
               # Chromium, NSS tools to give it the device certificate
               chromium libnss3-tools
               # a hung process's thread stacks in a crash test's report
               gdb)

wanted=("${build_packages[@]}")
# The auditors' web page (web/): npm installs its pinned packages at build
# time. Machines that already have Node.js and npm (e.g. NodeSource's) keep them.
command -v npm >/dev/null 2>&1 || wanted+=(nodejs npm)
if [[ "${1:-}" == "--tests" ]]; then
  wanted+=("${test_packages[@]}")
  # The broker needs Java 17+ and Maven; machines that already have them
  # (e.g. from another vendor's JDK) keep theirs.
  # The FHIR validator compiles one class: a JDK, not only a JRE.
  { command -v java && command -v javac; } >/dev/null 2>&1 || wanted+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null 2>&1 || wanted+=(maven)
fi

missing=()
for package in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#wanted[@]} packages present" >&2
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
echo "install-deps: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
  "${missing[@]}" >&2
