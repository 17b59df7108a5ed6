#!/usr/bin/env bash
# The whole test suite, real Kafka included: installs what is missing, builds,
# starts the single-node Kafka broker (deploy/kafka/kafka.sh), runs every
# test with ctest, and stops the broker however the run ends. Then, when
# those passed, the sanitizer and fuzz run (tests/sanitize.sh): the unit
# tests under ASan and UBSan and every fuzzer for a bounded time, in
# build-asan/ (CARELEDGER_FUZZ_SECONDS per fuzzer, default 30). Either run's
# failure fails the script; the output ends with the last ctest's summary.
#
# Tests labelled "kafka" need the broker and FAIL (never skip) without it;
# those labelled "fhir" need HAPI FHIR's validator (deploy/fhir/validator.sh,
# fetched here) and likewise fail without it.
# Quick run without Kafka, for development: (cd build && ctest -LE kafka)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$root"

bash deploy/install-deps.sh --tests
bash deploy/build.sh

# HAPI FHIR's R4 validator (test tooling, docs/fhir.md): fetched once from
# Maven Central into .cache/. Tests labelled "fhir" FAIL (never skip) without it.
if ! bash deploy/fhir/validator.sh fetch; then
  echo "tests/run.sh: ERROR: the FHIR validator could not be set up; FHIR tests will fail" >&2
fi

kafka_started=0
stop_kafka() {
  # Absolute: the trap runs after the cd into build/ below.
  if ((kafka_started)); then "$root/deploy/kafka/kafka.sh" stop || true; fi
}
trap stop_kafka EXIT
if bootstrap=$("$root/deploy/kafka/kafka.sh" start); then
  kafka_started=1
  export CARELEDGER_KAFKA_BOOTSTRAP=$bootstrap
  echo "tests/run.sh: Kafka broker at $bootstrap" >&2
else
  # The Kafka tests then fail on their own, loudly; the rest still run.
  echo "tests/run.sh: ERROR: the Kafka broker did not start; Kafka tests will fail" >&2
  unset CARELEDGER_KAFKA_BOOTSTRAP
fi

cd build
ctest --output-on-failure --parallel "${CARELEDGER_TEST_JOBS:-2}" "$@"

stop_kafka
kafka_started=0
bash "$root/tests/sanitize.sh"
