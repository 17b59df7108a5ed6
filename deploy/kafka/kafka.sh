#!/usr/bin/env bash
# careledger: run a local single-node Apache Kafka 3.9.1 broker (KRaft) for
# tests and benchmarks. The broker is assembled from Maven Central jars (see
# pom.xml next to this file); no Kafka distribution is downloaded.
#
# Usage: deploy/kafka/kafka.sh COMMAND [ARGS...]   (from any directory)
#
#   fetch            Copy the broker jars into $CARELEDGER_KAFKA_HOME/lib.
#                    Quick no-op when already done for the current pom.xml.
#   start [--keep]   Fetch if needed, format a fresh data dir (wiped unless
#                    --keep), start the broker in the background and wait
#                    until it answers a metadata request. Prints exactly one
#                    line on stdout: the bootstrap address (127.0.0.1:PORT).
#                    If the broker is already running, prints its address and
#                    exits 0 without restarting it.
#   stop             SIGTERM the broker, SIGKILL after 30 s. Ok if not running.
#   status           Print the bootstrap address and exit 0 if the broker runs
#                    and answers; exit 1 otherwise.
#   bootstrap        Print the bootstrap address (of the running broker, or the
#                    one `start` would use).
#   perf ARGS...     Run org.apache.kafka.tools.ProducerPerformance with ARGS.
#   topics ARGS...   Run org.apache.kafka.tools.TopicCommand (kafka-topics)
#                    with ARGS; needed because auto.create.topics.enable=false.
#
#   cluster start    A fresh three-node KRaft cluster (each node broker and
#                    controller, a 3-voter quorum; replication 3,
#                    min.insync.replicas 2), beside the single broker on
#                    ports of its own. Prints one line: the bootstrap list
#                    127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3. Reuses a
#                    cluster whose three nodes all run.
#   cluster stop     Stop every node (SIGTERM, SIGKILL after 30 s).
#   cluster kill-broker N    SIGKILL node N (1-3): a crash, data kept.
#   cluster start-broker N   Start node N again on its data; wait until it
#                    answers.
#   cluster status   One line per node: "N 127.0.0.1:PORT up|down"; exit 0
#                    only if all three are up.
#   cluster bootstrap        Print the bootstrap list.
#
# Environment (all optional):
#   CARELEDGER_KAFKA_HOME             cache dir (default <repo>/.cache/kafka)
#   CARELEDGER_KAFKA_RUN_DIR          data/log/pid dir (default $CARELEDGER_KAFKA_HOME/run)
#   CARELEDGER_KAFKA_PORT             client port (default 39092)
#   CARELEDGER_KAFKA_CONTROLLER_PORT  KRaft controller port (default 39093)
#   CARELEDGER_KAFKA_HEAP             broker -Xmx (default 512m)
#   CARELEDGER_KAFKA_PERF_HEAP        -Xmx of perf/topics tools (default 512m)
#   CARELEDGER_KAFKA_START_TIMEOUT    seconds to wait for readiness (default 90)
#   CARELEDGER_KAFKA_STOP_TIMEOUT     seconds before SIGKILL (default 30)
#   CARELEDGER_KAFKA_CLUSTER_DIR      cluster data dir (default $CARELEDGER_KAFKA_HOME/cluster)
#   CARELEDGER_KAFKA_CLUSTER_PORT     node 1's client port; node N: +N-1 (default 29192)
#   CARELEDGER_KAFKA_CLUSTER_CONTROLLER_PORT  node 1's controller port (default 29292)
#   CARELEDGER_KAFKA_CLUSTER_HEAP     -Xmx of each cluster node (default 384m)
#   CARELEDGER_KAFKA_KCAT             kcat binary for readiness checks (default:
#                                     kcat or kafkacat on PATH; "none": do not
#                                     use kcat, check log line + TCP instead)
#
# Contract: stdout carries only results (bootstrap address, tool output); all
# diagnostics go to stderr. Exit status is non-zero on any failure.

set -euo pipefail

# --- Locations -----------------------------------------------------------------

# Resolve everything from this script's own location so the script works from
# any current directory.
SCRIPT_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd -P)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd -P)

POM=$SCRIPT_DIR/pom.xml
PROPS_TEMPLATE=$SCRIPT_DIR/server.properties.in
LOG4J_CONFIG=$SCRIPT_DIR/log4j.properties

# Made absolute: the broker runs with its run dir as current directory, and its
# command line (matched by is_our_broker) must name the same paths.
KAFKA_HOME=$(realpath -m -- "${CARELEDGER_KAFKA_HOME:-$REPO_ROOT/.cache/kafka}")
LIB_DIR=$KAFKA_HOME/lib
# Written last by `fetch`: the pom's checksum, so a changed pom re-fetches.
STAMP_FILE=$LIB_DIR/.careledger-fetch.stamp
LOCK_FILE=$KAFKA_HOME/.lock

RUN_DIR=$(realpath -m -- "${CARELEDGER_KAFKA_RUN_DIR:-$KAFKA_HOME/run}")
DATA_DIR=$RUN_DIR/data
PROPS_FILE=$RUN_DIR/server.properties
LOG_FILE=$RUN_DIR/kafka.log
PID_FILE=$RUN_DIR/kafka.pid
# Bootstrap address of the broker started in RUN_DIR (may differ from the
# current environment's port if the environment changed since `start`).
BOOTSTRAP_FILE=$RUN_DIR/bootstrap

PORT=${CARELEDGER_KAFKA_PORT:-39092}
CONTROLLER_PORT=${CARELEDGER_KAFKA_CONTROLLER_PORT:-39093}
HEAP=${CARELEDGER_KAFKA_HEAP:-512m}
# KRaft node.id of the broker the helpers below act on (the single broker is
# node 1; `cluster` commands rebind this and the paths above per node).
NODE_ID=1
PERF_HEAP=${CARELEDGER_KAFKA_PERF_HEAP:-512m}
START_TIMEOUT=${CARELEDGER_KAFKA_START_TIMEOUT:-90}
STOP_TIMEOUT=${CARELEDGER_KAFKA_STOP_TIMEOUT:-30}

JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

# --- Helpers -------------------------------------------------------------------

# Seconds (one decimal) since $1, an earlier $EPOCHREALTIME.
elapsed_since() {
    awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Take an exclusive lock on the cache so that concurrent invocations (parallel
# test jobs) cannot fetch or start twice at once. Released when the script
# exits; the broker itself never inherits the lock fd (see launch_broker).
LOCKED=0
take_lock() {
    ((LOCKED)) && return 0
    mkdir -p "$KAFKA_HOME"
    exec 9>"$LOCK_FILE"
    if command -v flock >/dev/null 2>&1; then
        flock 9
    fi
    LOCKED=1
}

# kcat's binary is `kcat` in newer Debian packages, `kafkacat` in older ones.
# CARELEDGER_KAFKA_KCAT=none forces the no-kcat fallback (used to test it).
find_kcat() {
    case ${CARELEDGER_KAFKA_KCAT:-} in
    none) ;;
    ?*) echo "$CARELEDGER_KAFKA_KCAT" ;;
    *) command -v kcat 2>/dev/null || command -v kafkacat 2>/dev/null || true ;;
    esac
}

# True if something accepts TCP connections on 127.0.0.1:$1.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# True if PID is a live process. A zombie (exited, not yet reaped by its new
# parent, PID 1) still answers kill -0, so look at its state instead:
# /proc/PID/stat is "PID (COMM) STATE ...".
is_alive() {
    local pid=$1 stat state
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    read -r stat 2>/dev/null <"/proc/$pid/stat" || return 1
    state=${stat##*) }
    [[ ${state%% *} != Z ]]
}

# True if PID is a live process whose command line is our broker, i.e.
# kafka.Kafka with this run dir's server.properties. Guards against a stale
# pid file whose pid was reused by an unrelated process.
is_our_broker() {
    local pid=$1 cmdline
    is_alive "$pid" || return 1
    cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
    [[ $cmdline == *" kafka.Kafka $PROPS_FILE "* ]]
}

# Print the pid of our running broker, or nothing. Uses the pid file; falls
# back to scanning /proc for our exact server.properties path so a lost pid
# file can never leave an orphaned broker behind.
broker_pid() {
    local pid proc
    if [[ -f $PID_FILE ]]; then
        pid=$(<"$PID_FILE")
        if is_our_broker "$pid"; then
            echo "$pid"
            return 0
        fi
    fi
    # grep prints the cmdline files that mention our properties path.
    while read -r proc; do
        pid=${proc#/proc/}
        pid=${pid%/cmdline}
        if is_our_broker "$pid"; then
            echo "$pid"
            return 0
        fi
    done < <(grep -lsF -- "$PROPS_FILE" /proc/[0-9]*/cmdline || true)
    return 0
}

# The bootstrap address of the running broker if there is one, else the one
# the current environment would start.
bootstrap_address() {
    if [[ -n $(broker_pid) && -s $BOOTSTRAP_FILE ]]; then
        cat "$BOOTSTRAP_FILE"
    else
        echo "127.0.0.1:$PORT"
    fi
}

# True if the broker at $1 answers a real metadata request (kcat), or, without
# kcat, if it logged "Kafka Server started" and accepts TCP connections.
# $2: kcat's metadata timeout in whole seconds (default 5).
broker_answers() {
    local bootstrap=$1 timeout=${2:-5} kcat
    kcat=$(find_kcat)
    if [[ -n $kcat ]]; then
        # A broker that answers lists itself in the metadata.
        "$kcat" -L -b "$bootstrap" -m "$timeout" 2>/dev/null | grep -q "broker $NODE_ID at"
    else
        [[ -f $LOG_FILE ]] && grep -q 'Kafka Server started' "$LOG_FILE" &&
            port_open "${bootstrap##*:}"
    fi
}

# Run a Kafka tool's main class with the cached classpath. Tool log lines go
# to stderr at WARN and above; the tool's own results stay on stdout.
run_tool() {
    local main_class=$1
    shift
    ensure_fetched
    # Drop the cache lock (held if this call fetched): the tool must not block
    # start/stop while it runs.
    exec 9>&-
    exec "$JAVA" "-Xmx$PERF_HEAP" -cp "$LIB_DIR/*" \
        "-Dlog4j.configuration=file:$LOG4J_CONFIG" \
        -Dcareledger.kafka.log.threshold=WARN \
        "$main_class" "$@"
}

# --- fetch ---------------------------------------------------------------------

pom_checksum() { sha256sum "$POM" | awk '{print $1}'; }

is_fetched() {
    [[ -f $STAMP_FILE && "$(<"$STAMP_FILE")" == "$(pom_checksum)" ]]
}

# Copy the runtime closure of pom.xml into LIB_DIR. Copies into a temporary
# folder first and swaps it in only when Maven succeeded, so an interrupted
# fetch never leaves a half-filled lib/ that looks complete.
do_fetch() {
    local tmp_lib=$KAFKA_HOME/lib.tmp.$$ mvn_log=$KAFKA_HOME/fetch.log
    command -v mvn >/dev/null 2>&1 || die "mvn not found on PATH (needed to fetch the Kafka jars)"
    log "fetching Kafka jars into $LIB_DIR (Maven Central) ..."
    rm -rf "$tmp_lib"
    # Maven's output goes to a log file (shown on failure): stdout is reserved
    # for results, and Debian's mvn -q still prints stray colour codes.
    if ! mvn -q -B -f "$POM" dependency:copy-dependencies \
        "-DoutputDirectory=$tmp_lib" -DincludeScope=runtime \
        >"$mvn_log" 2>&1 </dev/null; then
        cat "$mvn_log" >&2
        rm -rf "$tmp_lib"
        die "mvn dependency:copy-dependencies failed"
    fi
    pom_checksum >"$tmp_lib/.careledger-fetch.stamp"
    rm -rf "$LIB_DIR"
    mv "$tmp_lib" "$LIB_DIR"
    log "fetched $(find "$LIB_DIR" -name '*.jar' | wc -l) jars ($(du -sh "$LIB_DIR" | cut -f1))"
}

ensure_fetched() {
    is_fetched && return 0
    take_lock
    # Another invocation may have fetched while we waited for the lock.
    is_fetched || do_fetch
}

cmd_fetch() {
    ensure_fetched
}

# --- start ---------------------------------------------------------------------

# Print the last 40 lines of the broker log to stderr.
show_log_tail() {
    if [[ -f $LOG_FILE ]]; then
        log "last 40 lines of $LOG_FILE:"
        tail -n 40 "$LOG_FILE" >&2
    fi
}

# Write server.properties from the template.
write_props() {
    sed -e "s|@PORT@|$PORT|g" \
        -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" \
        -e "s|@LOG_DIRS@|$DATA_DIR|g" \
        "$PROPS_TEMPLATE" >"$PROPS_FILE"
}

# Print a fresh random KRaft cluster id.
new_cluster_id() {
    "$JAVA" -cp "$LIB_DIR/*" \
        "-Dlog4j.configuration=file:$LOG4J_CONFIG" \
        -Dcareledger.kafka.log.threshold=WARN \
        kafka.tools.StorageTool random-uuid
}

# Format the data dir for KRaft with cluster id $1 (default: a random one per
# fresh dir; the nodes of a cluster share one).
format_storage() {
    local cluster_id=${1:-}
    [[ -n $cluster_id ]] || cluster_id=$(new_cluster_id)
    # StorageTool prints "Formatting ..." on stdout: keep it out of ours.
    "$JAVA" -cp "$LIB_DIR/*" \
        "-Dlog4j.configuration=file:$LOG4J_CONFIG" \
        -Dcareledger.kafka.log.threshold=WARN \
        kafka.tools.StorageTool format -t "$cluster_id" -c "$PROPS_FILE" >&2
}

# Start the broker JVM in the background, detached from this script: own
# session (setsid), stdin from /dev/null, stdout+stderr to the log file, and no
# other inherited file descriptors (a caller's pipe, e.g. `$(kafka.sh start)`
# or a CI log pipe, or our lock fd, would otherwise stay open for the broker's
# whole life and hang whoever waits for it to close).
launch_broker() {
    (
        cd "$RUN_DIR"
        for fd in "/proc/$BASHPID/fd/"*; do
            fd=${fd##*/}
            if ((fd > 2)); then
                eval "exec $fd>&-"
            fi
        done
        exec setsid "$JAVA" "-Xmx$HEAP" "-Xms$HEAP" \
            -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
            -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
            -cp "$LIB_DIR/*" "-Dlog4j.configuration=file:$LOG4J_CONFIG" \
            kafka.Kafka "$PROPS_FILE"
    ) </dev/null >"$LOG_FILE" 2>&1 &
    echo $! >"$PID_FILE"
}

# Wait until the broker (pid $1) answers at $2, or it dies, or the timeout.
wait_ready() {
    local pid=$1 bootstrap=$2 deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        # is_alive, not is_our_broker: right after launch the pid may still be
        # the subshell that is about to exec java.
        if ! is_alive "$pid"; then
            log "broker process $pid exited during start-up"
            return 1
        fi
        # Never let one metadata request overrun the deadline by much.
        if broker_answers "$bootstrap" "$(((deadline - SECONDS) < 5 ? 1 : 5))"; then
            return 0
        fi
        sleep 0.25
    done
    log "broker did not answer at $bootstrap within ${START_TIMEOUT}s"
    return 1
}

cmd_start() {
    local keep=0 pid bootstrap=127.0.0.1:$PORT started=$EPOCHREALTIME
    while (($#)); do
        case $1 in
        --keep) keep=1 ;;
        *) die "start: unknown argument: $1" ;;
        esac
        shift
    done

    ensure_fetched
    take_lock

    # Already running: reuse it if it answers at the requested address.
    pid=$(broker_pid)
    if [[ -n $pid ]]; then
        local running
        running=$(cat "$BOOTSTRAP_FILE" 2>/dev/null || echo unknown)
        [[ $running == "$bootstrap" ]] ||
            die "a broker (pid $pid) already runs from $RUN_DIR at $running, not $bootstrap; run 'kafka.sh stop' first"
        if wait_ready "$pid" "$bootstrap"; then
            log "broker already running (pid $pid), reusing it"
            echo "$bootstrap"
            return 0
        fi
        show_log_tail
        die "a broker (pid $pid) runs from $RUN_DIR but does not answer; run 'kafka.sh stop' first"
    fi

    # Something else on our ports would make the broker fail obscurely.
    local p
    for p in "$PORT" "$CONTROLLER_PORT"; do
        if port_open "$p"; then
            die "port 127.0.0.1:$p is already in use by another process (set CARELEDGER_KAFKA_PORT / CARELEDGER_KAFKA_CONTROLLER_PORT)"
        fi
    done

    if ((keep)) && [[ -f $DATA_DIR/meta.properties ]]; then
        log "keeping existing data in $DATA_DIR"
        mkdir -p "$RUN_DIR"
        write_props
    else
        rm -rf "$RUN_DIR"
        mkdir -p "$DATA_DIR"
        write_props
        format_storage
    fi
    echo "$bootstrap" >"$BOOTSTRAP_FILE"

    log "starting broker at $bootstrap (heap $HEAP, log $LOG_FILE) ..."
    launch_broker
    pid=$(<"$PID_FILE")
    if ! wait_ready "$pid" "$bootstrap"; then
        show_log_tail
        # Leave nothing behind: a half-started broker would block the ports.
        kill_pid "$pid"
        stop_broker
        die "broker failed to start"
    fi
    log "broker ready (pid $pid) after $(elapsed_since "$started")s"
    echo "$bootstrap"
}

# --- stop / status / bootstrap -------------------------------------------------

# SIGTERM PID (Kafka shuts down cleanly on it), SIGKILL after STOP_TIMEOUT
# seconds; return once it is gone.
kill_pid() {
    local pid=$1 deadline=$((SECONDS + STOP_TIMEOUT))
    is_alive "$pid" || return 0
    log "stopping broker (pid $pid) ..."
    kill -TERM "$pid" 2>/dev/null || true
    while is_alive "$pid" && ((SECONDS < deadline)); do
        sleep 0.2
    done
    if is_alive "$pid"; then
        log "broker (pid $pid) still running after ${STOP_TIMEOUT}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        while is_alive "$pid"; do
            sleep 0.1
        done
    fi
    # The broker was detached, so its parent is now PID 1, which must reap the
    # exited process. Until then it shows as a "[java] <defunct>" zombie: it
    # holds no memory, ports or files, but `pgrep java` still lists it. Some
    # container inits reap only periodically (about every 1.5 s on the dev
    # machines), so wait a little for the entry to vanish.
    deadline=$((SECONDS + 10))
    while [[ -e /proc/$pid ]] && ! is_alive "$pid" && ((SECONDS < deadline)); do
        sleep 0.1
    done
    if [[ -e /proc/$pid ]] && ! is_alive "$pid"; then
        log "note: exited broker $pid is still an unreaped zombie (harmless)"
    fi
}

# Stop every broker process of ours (normally one). Returns once none is left.
stop_broker() {
    local pid
    pid=$(broker_pid)
    while [[ -n $pid ]]; do
        kill_pid "$pid"
        pid=$(broker_pid)
    done
    rm -f "$PID_FILE"
}

cmd_stop() {
    take_lock
    if [[ -z $(broker_pid) ]]; then
        log "broker not running"
        rm -f "$PID_FILE"
        return 0
    fi
    stop_broker
    log "broker stopped"
}

cmd_status() {
    local pid bootstrap
    pid=$(broker_pid)
    if [[ -z $pid ]]; then
        log "broker not running"
        return 1
    fi
    bootstrap=$(bootstrap_address)
    if ! broker_answers "$bootstrap"; then
        log "broker process $pid runs but does not answer at $bootstrap"
        return 1
    fi
    echo "$bootstrap"
}

cmd_bootstrap() {
    bootstrap_address
}

# --- cluster: three KRaft nodes on this machine --------------------------------

# Node N (1..3) of the cluster: client port CLUSTER_PORT+N-1, controller port
# CLUSTER_CONTROLLER_PORT+N-1, files in CLUSTER_DIR/node-N. Its own ports and
# dirs, so it runs beside the single broker. The ports lie below Linux's
# ephemeral range (32768-60999): a killed node is restarted on its port, which
# a client's outgoing connection could otherwise have taken meanwhile.
CLUSTER_DIR=$(realpath -m -- "${CARELEDGER_KAFKA_CLUSTER_DIR:-$KAFKA_HOME/cluster}")
CLUSTER_PORT=${CARELEDGER_KAFKA_CLUSTER_PORT:-29192}
CLUSTER_CONTROLLER_PORT=${CARELEDGER_KAFKA_CLUSTER_CONTROLLER_PORT:-29292}
CLUSTER_HEAP=${CARELEDGER_KAFKA_CLUSTER_HEAP:-384m}
CLUSTER_TEMPLATE=$SCRIPT_DIR/cluster.properties.in
CLUSTER_NODES=(1 2 3)

# Point the single-broker helpers (broker_pid, launch_broker, wait_ready,
# kill_pid, ...) at node $1.
select_node() {
    local n=$1
    [[ $n =~ ^[123]$ ]] || die "cluster: no node '$n' (nodes are 1, 2 and 3)"
    NODE_ID=$n
    RUN_DIR=$CLUSTER_DIR/node-$n
    DATA_DIR=$RUN_DIR/data
    PROPS_FILE=$RUN_DIR/server.properties
    LOG_FILE=$RUN_DIR/kafka.log
    PID_FILE=$RUN_DIR/kafka.pid
    BOOTSTRAP_FILE=$RUN_DIR/bootstrap
    PORT=$((CLUSTER_PORT + n - 1))
    CONTROLLER_PORT=$((CLUSTER_CONTROLLER_PORT + n - 1))
    HEAP=$CLUSTER_HEAP
}

cluster_bootstrap() {
    local n list=()
    for n in "${CLUSTER_NODES[@]}"; do
        list+=("127.0.0.1:$((CLUSTER_PORT + n - 1))")
    done
    (
        IFS=,
        echo "${list[*]}"
    )
}

cluster_voters() {
    local n list=()
    for n in "${CLUSTER_NODES[@]}"; do
        list+=("$n@127.0.0.1:$((CLUSTER_CONTROLLER_PORT + n - 1))")
    done
    (
        IFS=,
        echo "${list[*]}"
    )
}

write_cluster_props() {
    sed -e "s|@NODE_ID@|$NODE_ID|g" \
        -e "s|@PORT@|$PORT|g" \
        -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" \
        -e "s|@VOTERS@|$(cluster_voters)|g" \
        -e "s|@LOG_DIRS@|$DATA_DIR|g" \
        "$CLUSTER_TEMPLATE" >"$PROPS_FILE"
}

# Launch node $1 from its (formatted) dir and wait until it answers.
start_node() {
    local pid
    select_node "$1"
    echo "127.0.0.1:$PORT" >"$BOOTSTRAP_FILE"
    launch_broker
    pid=$(<"$PID_FILE")
    log "node $1: started (pid $pid) at 127.0.0.1:$PORT, heap $HEAP, log $LOG_FILE"
}

# Wait until node $1 answers a metadata request listing itself.
wait_node() {
    local pid
    select_node "$1"
    pid=$(<"$PID_FILE")
    if ! wait_ready "$pid" "127.0.0.1:$PORT"; then
        show_log_tail
        return 1
    fi
}

# Stop every node (SIGTERM all at once, so no node waits for a controller that
# is itself shutting down; SIGKILL after STOP_TIMEOUT).
stop_cluster_nodes() {
    local n pid
    for n in "${CLUSTER_NODES[@]}"; do
        select_node "$n"
        pid=$(broker_pid)
        [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null || true
    done
    for n in "${CLUSTER_NODES[@]}"; do
        select_node "$n"
        stop_broker
    done
}

cluster_start() {
    local n running=0 cluster_id started=$EPOCHREALTIME p
    ensure_fetched
    take_lock
    for n in "${CLUSTER_NODES[@]}"; do
        select_node "$n"
        [[ -n $(broker_pid) ]] && running=$((running + 1))
    done
    if ((running == ${#CLUSTER_NODES[@]})); then
        for n in "${CLUSTER_NODES[@]}"; do
            wait_node "$n" || die "cluster: node $n runs but does not answer; run 'kafka.sh cluster stop' first"
        done
        log "cluster already running, reusing it"
        cluster_bootstrap
        return 0
    fi
    ((running == 0)) ||
        die "cluster: only $running of ${#CLUSTER_NODES[@]} nodes run; use 'cluster start-broker N', or 'cluster stop' first"
    for n in "${CLUSTER_NODES[@]}"; do
        select_node "$n"
        for p in "$PORT" "$CONTROLLER_PORT"; do
            if port_open "$p"; then
                die "port 127.0.0.1:$p is already in use by another process (set CARELEDGER_KAFKA_CLUSTER_PORT / CARELEDGER_KAFKA_CLUSTER_CONTROLLER_PORT)"
            fi
        done
    done
    rm -rf "$CLUSTER_DIR"
    cluster_id=$(new_cluster_id)
    for n in "${CLUSTER_NODES[@]}"; do
        select_node "$n"
        mkdir -p "$DATA_DIR"
        write_cluster_props
        format_storage "$cluster_id"
    done
    # All at once: a node's broker waits for a controller quorum (two voters).
    for n in "${CLUSTER_NODES[@]}"; do
        start_node "$n"
    done
    for n in "${CLUSTER_NODES[@]}"; do
        if ! wait_node "$n"; then
            stop_cluster_nodes
            die "cluster: node $n failed to start"
        fi
    done
    log "cluster ready (3 nodes) after $(elapsed_since "$started")s"
    cluster_bootstrap
}

cluster_stop() {
    take_lock
    stop_cluster_nodes
    log "cluster stopped"
}

# SIGKILL node $1 (a crash: no controlled shutdown) and wait until it is gone.
cluster_kill_broker() {
    local pid
    take_lock
    select_node "${1:-}"
    pid=$(broker_pid)
    [[ -n $pid ]] || die "cluster: node $NODE_ID is not running"
    kill -KILL "$pid" 2>/dev/null || true
    while is_alive "$pid"; do
        sleep 0.05
    done
    rm -f "$PID_FILE"
    log "node $NODE_ID (pid $pid) killed"
}

# Start node $1 again with its data (after kill-broker or a stop) and wait
# until it answers. Exit 0 without restarting it if it already runs.
cluster_start_broker() {
    local started=$EPOCHREALTIME p
    ensure_fetched
    take_lock
    select_node "${1:-}"
    [[ -f $DATA_DIR/meta.properties ]] ||
        die "cluster: node $NODE_ID has no formatted data in $DATA_DIR; run 'kafka.sh cluster start'"
    if [[ -n $(broker_pid) ]]; then
        log "node $NODE_ID already running"
        return 0
    fi
    for p in "$PORT" "$CONTROLLER_PORT"; do
        port_open "$p" && die "port 127.0.0.1:$p is already in use by another process"
    done
    write_cluster_props
    start_node "$NODE_ID"
    if ! wait_node "$NODE_ID"; then
        kill_pid "$(<"$PID_FILE")"
        die "cluster: node $NODE_ID failed to start"
    fi
    log "node $NODE_ID ready after $(elapsed_since "$started")s"
}

# One line per node on stdout, "N 127.0.0.1:PORT up|down"; exit 0 only when
# every node runs and answers.
cluster_status() {
    local n up=0 state
    for n in "${CLUSTER_NODES[@]}"; do
        select_node "$n"
        state=down
        if [[ -n $(broker_pid) ]] && broker_answers "127.0.0.1:$PORT" 2; then
            state=up
            up=$((up + 1))
        fi
        echo "$n 127.0.0.1:$PORT $state"
    done
    ((up == ${#CLUSTER_NODES[@]}))
}

cmd_cluster() {
    local sub=${1:-}
    (($#)) && shift
    case $sub in
    start) cluster_start "$@" ;;
    stop) cluster_stop "$@" ;;
    kill-broker) cluster_kill_broker "$@" ;;
    start-broker) cluster_start_broker "$@" ;;
    status) cluster_status "$@" ;;
    bootstrap) cluster_bootstrap ;;
    *)
        usage
        exit 2
        ;;
    esac
}

# --- main ----------------------------------------------------------------------

usage() {
    sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
}

main() {
    local cmd=${1:-}
    (($#)) && shift
    case $cmd in
    fetch) cmd_fetch "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    bootstrap) cmd_bootstrap "$@" ;;
    cluster) cmd_cluster "$@" ;;
    perf)
        # ProducerPerformance 3.9 enables transactions only when
        # --transaction-duration-ms > 0; --transactional-id alone is ignored.
        if [[ " $* " == *" --transactional-id "* && " $* " != *" --transaction-duration-ms "* ]]; then
            log "warning: --transactional-id without --transaction-duration-ms N (N > 0) runs WITHOUT transactions"
        fi
        run_tool org.apache.kafka.tools.ProducerPerformance "$@"
        ;;
    topics) run_tool org.apache.kafka.tools.TopicCommand "$@" ;;
    -h | --help | help)
        usage
        ;;
    *)
        usage
        exit 2
        ;;
    esac
}

main "$@"
