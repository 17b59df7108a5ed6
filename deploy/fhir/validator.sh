#!/usr/bin/env bash
# careledger: HAPI FHIR's R4 validator, as test tooling. The validator is
# assembled from Maven Central jars (see pom.xml next to this file) and a
# small Java class (FhirValidate.java); it runs offline, against the R4
# definitions inside the jars. Java is test tooling only: the product is C++.
#
# Usage: deploy/fhir/validator.sh COMMAND [ARGS...]   (from any directory)
#
#   fetch            Copy the validator's jars into $CARELEDGER_FHIR_HOME/lib
#                    (Maven Central, checksums checked) and compile
#                    FhirValidate.java. Quick no-op when already done for the
#                    current pom.xml and FhirValidate.java.
#   validate [--warnings] [--strict-profiles] FILE.json...
#                    Fetch if needed, then validate each file as FHIR R4.
#                    Prints one line per ERROR or FATAL message (with
#                    --warnings also WARNING) on stdout:
#                      FILE: SEVERITY LOCATION: MESSAGE
#                    and a count per file on stderr. Exit 0 when no file has
#                    an error, 1 when any has, 2 on bad usage.
#                    A meta.profile the validator does not know (IHE BALP's:
#                    its package cannot be fetched here) is a warning unless
#                    --strict-profiles (docs/fhir.md).
#
# Environment (all optional):
#   CARELEDGER_FHIR_HOME   cache dir (default <repo>/.cache/fhir-validator)
#   CARELEDGER_FHIR_HEAP   validator -Xmx (default 1g)
#
# Contract: stdout carries only results; diagnostics go to stderr. Exit
# status is non-zero on any failure.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd -P)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd -P)

POM=$SCRIPT_DIR/pom.xml
SOURCE=$SCRIPT_DIR/FhirValidate.java

FHIR_HOME=$(realpath -m -- "${CARELEDGER_FHIR_HOME:-$REPO_ROOT/.cache/fhir-validator}")
LIB_DIR=$FHIR_HOME/lib
CLASSES_DIR=$FHIR_HOME/classes
# Written last by `fetch`: the checksums of pom.xml and FhirValidate.java, so
# a change to either fetches and compiles again.
STAMP_FILE=$FHIR_HOME/.careledger-fetch.stamp
LOCK_FILE=$FHIR_HOME/.lock
HEAP=${CARELEDGER_FHIR_HEAP:-1g}

JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
JAVAC=${JAVA_HOME:+$JAVA_HOME/bin/}javac

log() { printf 'validator.sh: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# An exclusive lock on the cache, so parallel test jobs never fetch twice at
# once. Released when the script exits.
take_lock() {
    mkdir -p "$FHIR_HOME"
    exec 9>"$LOCK_FILE"
    if command -v flock >/dev/null 2>&1; then
        flock 9
    fi
}

inputs_checksum() { cat "$POM" "$SOURCE" | sha256sum | awk '{print $1}'; }

is_fetched() {
    [[ -f $STAMP_FILE && "$(<"$STAMP_FILE")" == "$(inputs_checksum)" ]]
}

# Copy the runtime closure of pom.xml and compile the class, each into a
# temporary folder swapped in only on success, so an interrupted fetch never
# leaves a half-filled cache that looks complete. -C: Maven fails on a
# checksum mismatch (Maven Central publishes SHA-1 and MD5 for every file).
do_fetch() {
    local tmp_lib=$FHIR_HOME/lib.tmp.$$ tmp_classes=$FHIR_HOME/classes.tmp.$$
    local mvn_log=$FHIR_HOME/fetch.log
    command -v mvn >/dev/null 2>&1 || die "mvn not found on PATH (deploy/install-deps.sh --tests installs it)"
    command -v "$JAVAC" >/dev/null 2>&1 || die "javac not found (deploy/install-deps.sh --tests installs a JDK)"
    rm -rf "$tmp_lib" "$tmp_classes" "$STAMP_FILE"
    if [[ -f $LIB_DIR/.pom.sha256 && "$(<"$LIB_DIR/.pom.sha256")" == "$(sha256sum "$POM" | awk '{print $1}')" ]]; then
        log "jars up to date in $LIB_DIR"
    else
        log "fetching HAPI FHIR validator jars into $LIB_DIR (Maven Central) ..."
        # Maven's output goes to a log file, shown on failure.
        if ! mvn -q -B -C -f "$POM" dependency:copy-dependencies \
            "-DoutputDirectory=$tmp_lib" -DincludeScope=runtime \
            >"$mvn_log" 2>&1 </dev/null; then
            cat "$mvn_log" >&2
            rm -rf "$tmp_lib"
            die "mvn dependency:copy-dependencies failed"
        fi
        sha256sum "$POM" | awk '{print $1}' >"$tmp_lib/.pom.sha256"
        rm -rf "$LIB_DIR"
        mv "$tmp_lib" "$LIB_DIR"
        log "fetched $(find "$LIB_DIR" -name '*.jar' | wc -l) jars ($(du -sh "$LIB_DIR" | cut -f1))"
    fi
    mkdir -p "$tmp_classes"
    if ! "$JAVAC" -nowarn -d "$tmp_classes" -cp "$LIB_DIR/*" "$SOURCE" >&2; then
        rm -rf "$tmp_classes"
        die "javac FhirValidate.java failed"
    fi
    rm -rf "$CLASSES_DIR"
    mv "$tmp_classes" "$CLASSES_DIR"
    inputs_checksum >"$STAMP_FILE"
}

ensure_fetched() {
    is_fetched && return 0
    take_lock
    # Another invocation may have fetched while we waited for the lock.
    is_fetched || do_fetch
    exec 9>&-
}

cmd_validate() {
    (($#)) || {
        usage
        exit 2
    }
    ensure_fetched
    # slf4j-simple: only HAPI's warnings and errors, on stderr. The lenient
    # parser warns about HAPI's own built-in definitions ("Unknown element
    # 'author'"); an unknown element in a validated file is the validator's
    # ERROR "Unrecognized property", so that logger is kept to errors.
    exec "$JAVA" "-Xmx$HEAP" -cp "$CLASSES_DIR:$LIB_DIR/*" \
        -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
        -Dorg.slf4j.simpleLogger.log.ca.uhn.fhir.parser.LenientErrorHandler=error \
        -Dorg.slf4j.simpleLogger.logFile=System.err \
        FhirValidate "$@"
}

usage() {
    sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
}

main() {
    local cmd=${1:-}
    (($#)) && shift
    case $cmd in
    fetch) ensure_fetched ;;
    validate) cmd_validate "$@" ;;
    -h | --help | help) usage ;;
    *)
        usage
        exit 2
        ;;
    esac
}

main "$@"
