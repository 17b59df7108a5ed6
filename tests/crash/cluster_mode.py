"""Mode `cluster` (Kafka, three brokers): careledger writes with replication
factor 3 and min.insync.replicas=2 to a three-node KRaft cluster this mode
starts itself (`deploy/kafka/kafka.sh cluster start`, in the work directory)
while brokers are SIGKILLed under load.

Contract of run(): returns (after printing what it measured) only when
- `init` created the topic with three replicas per partition and
  min.insync.replicas=2;
- with one broker SIGKILLed mid-load the same `careledger submit` process
  kept acknowledging commands;
- with a second one SIGKILLed, writing stopped with a clear error within a
  bound: that process exited non-zero with an error naming the cause, and a
  new `submit` exited the same way (no hang);
- once one killed broker was back, the unacknowledged and new commands were
  applied (a submit retried until the cluster served it, within a bound);
- with all three back, the log verifies (careledger verify and
  verify_export.py, agreeing), every acknowledged command is in it exactly
  once at its acknowledged position, exactly the issued commands, each
  stream in issue order.
Raises TestFailure otherwise, also when the cluster cannot start (a failure,
never a skip). The cluster is stopped however the run ends.
"""

import json
import os
import random
import socket
import subprocess
import threading
import time

from harness import (COMMAND_TIMEOUT, Ledger, SubmitRun, TestFailure, is_command_answer,
                     parse_answer, require, say)
from log_checks import check_log_against, export_and_verify
from workload import Workload

HERE = os.path.dirname(os.path.abspath(__file__))
KAFKA_SH = os.path.join(HERE, "..", "..", "deploy", "kafka", "kafka.sh")
NODES = (1, 2, 3)
# Generous bounds for a busy 2-core machine; each wait polls and ends as soon
# as its condition holds.
START_BOUND = 900       # kafka.sh cluster start (three JVMs, formatted, ready)
ACK_BOUND = 240         # for acknowledgements to (re)appear while brokers suffice
STOP_BOUND = 300        # for a writer to give up once two brokers are gone
RESUME_BOUND = 420      # for writes to succeed again once a broker is back
LOAD_CHUNK = 8          # commands fed to the writer ...
LOAD_INTERVAL = 0.05    # ... every this many seconds (at most 160 commands/s)
PROGRESS = 40           # acknowledgements that show writing goes on


def free_port_runs(count, length, attempts=200):
    """`count` base ports, each starting `length` consecutive ports that are
    free on 127.0.0.1 now and overlap no other run."""
    rng = random.Random()
    bases = []
    for _ in range(attempts):
        # Below the ephemeral range (32768 and up), where outgoing connections
        # would take ports between this check and the brokers binding them.
        base = rng.randrange(20000, 32000 - length)
        if any(abs(base - other) < length for other in bases):
            continue
        if all(port_free(base + i) for i in range(length)):
            bases.append(base)
            if len(bases) == count:
                return bases
    raise TestFailure(f"no {count} runs of {length} free ports found on 127.0.0.1")


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Cluster:
    """The three-node cluster of one run: its data under `work`/cluster, so it
    never touches a developer's cluster (whose ports would make start fail
    with a clear message)."""

    def __init__(self, work):
        self.env = dict(os.environ, CARELEDGER_KAFKA_CLUSTER_DIR=os.path.join(work, "cluster"))
        # Ports of its own, free now: a cluster left running by an earlier,
        # killed run (or anything else on the machine) cannot make this one
        # fail to start. An operator's explicit choice is kept.
        if "CARELEDGER_KAFKA_CLUSTER_PORT" not in os.environ:
            clients, controllers = free_port_runs(2, len(NODES))  # node N: base + N - 1
            self.env["CARELEDGER_KAFKA_CLUSTER_PORT"] = str(clients)
            self.env["CARELEDGER_KAFKA_CLUSTER_CONTROLLER_PORT"] = str(controllers)
        # Each node's own readiness wait inside kafka.sh (default 90 s).
        self.env.setdefault("CARELEDGER_KAFKA_START_TIMEOUT", "300")
        self.bootstrap = None

    def _run(self, *args, timeout=START_BOUND):
        try:
            done = subprocess.run([KAFKA_SH, *args], env=self.env, capture_output=True,
                                  text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"HANG: `kafka.sh {' '.join(args)}` did not finish in "
                              f"{timeout} s") from None
        require(done.returncode == 0, f"`kafka.sh {' '.join(args)}` exited {done.returncode}:\n"
                f"{done.stderr[-4000:]}")
        return done.stdout

    def start(self):
        self.bootstrap = self._run("cluster", "start").strip()
        require(self.bootstrap.count(",") == 2, f"kafka.sh cluster start printed "
                f"{self.bootstrap!r}, not three addresses")
        return self.bootstrap

    def kill(self, node):
        self._run("cluster", "kill-broker", str(node), timeout=60)

    def start_broker(self, node):
        self._run("cluster", "start-broker", str(node))

    def stop(self):
        self._run("cluster", "stop", timeout=300)

    def describe_topic(self, topic):
        return self._run("topics", "--bootstrap-server", self.bootstrap, "--describe",
                         "--topic", topic, timeout=COMMAND_TIMEOUT)


class Load:
    """Feeds a running `submit -` new commands from `workload`, LOAD_CHUNK
    every LOAD_INTERVAL s, until halted or the process no longer reads."""

    def __init__(self, run, workload):
        self.run = run
        self.workload = workload
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._feed, daemon=True)
        self._thread.start()

    def _feed(self):
        while not self._halt.is_set():
            if not self.run.add(self.workload.take(LOAD_CHUNK)):
                return
            self._halt.wait(LOAD_INTERVAL)

    def halt(self):
        """Feeds no more; returns at once (a write may still block until the
        process reads or exits)."""
        self._halt.set()

    def join(self):
        self._thread.join(timeout=COMMAND_TIMEOUT)
        require(not self._thread.is_alive(), "the load feeder did not stop")


class Writer:
    """The load: one `careledger --json submit -` at a time, fed continuously.
    A run that exits (an append that failed UNAVAILABLE) is replaced by a new
    one that first re-sends its unacknowledged commands, same ids, as any
    client must. Acknowledgements go into `acked`."""

    def __init__(self, ledger, work, workload, acked):
        self.ledger, self.work, self.workload, self.acked = ledger, work, workload, acked
        self.runs = 0
        self.finished_times = []  # acknowledgement times of finished runs
        self._start(workload.take(workload.setup_count))

    def _start(self, commands):
        self.runs += 1
        self.stopped = False
        self.run = SubmitRun(self.ledger, commands,
                             os.path.join(self.work, f"writer-{self.runs}.err"),
                             close_stdin=False)
        self.load = Load(self.run, self.workload)

    def _live_answers(self):
        """The running run's acknowledgements (none once stop() took them)."""
        return [] if self.stopped else command_answers(self.run)[0]

    def times(self):
        return self.finished_times + [when for _, when, _ in self._live_answers()]

    def acknowledged(self):
        return len(self.finished_times) + len(self._live_answers())

    def alive(self):
        return self.run.proc.poll() is None

    def stop(self, bound):
        """Stops feeding and waits (at most `bound` s) for the run to exit;
        records its acknowledgements. Returns (exit code, error line or None,
        its unacknowledged commands)."""
        self.load.halt()
        try:
            self.run.proc.wait(timeout=bound)
        except subprocess.TimeoutExpired:
            self.run.proc.kill()
            self.run.proc.wait()
            raise TestFailure(f"HANG: the writer neither acknowledged nor failed for {bound} s: "
                              f"{self.run.stderr_tail()}") from None
        self.load.join()
        self.run.finish()
        answered, error = command_answers(self.run)
        self.stopped = True
        for command, when, answer in answered:
            self.acked[command.command_id] = parse_answer(command, answer, f"load-{self.runs}")
            self.finished_times.append(when)
        return self.run.proc.returncode, error, self.run.commands[len(answered):]

    def thread_stacks(self):
        """Every thread's stack of the running writer (gdb), for a report:
        all of them (the thread that hangs may be any), also kept whole in
        the work directory."""
        try:
            done = subprocess.run(["gdb", "-p", str(self.run.proc.pid), "-batch", "-nx",
                                   "-ex", "thread apply all bt 30"], capture_output=True,
                                  text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"(no stacks: {error})"
        path = os.path.join(self.work, f"writer-{self.runs}.stacks")
        with open(path, "w", encoding="utf-8") as file:
            file.write(done.stdout + done.stderr)
        stacks = "\n".join(line for line in done.stdout.splitlines()
                           if line.startswith(("Thread ", "#")))
        return f"(whole gdb output in {path})\n{stacks}"

    def kill(self):
        """Ends the running writer (left alive, it would outlive the test)."""
        self.load.halt()
        if self.alive():
            self.run.proc.kill()
            self.run.proc.wait()

    def restart(self):
        """Replaces a run that exited with an UNAVAILABLE error; TestFailure
        for any other ending."""
        code, error, pending = self.stop(COMMAND_TIMEOUT)
        require(code != 0 and error is not None and error.get("code") == "UNAVAILABLE",
                f"the writer exited {code} with {error}: {self.run.stderr_tail()}")
        self._start(pending)


def command_answers(run):
    """(command, time, answer) for each command `run` acknowledged, in order,
    and the error line it ended with (or None)."""
    acknowledged, error = [], None
    for command, (when, answer) in zip(run.commands, run.answers):
        if not is_command_answer(answer):
            error = answer
            break
        acknowledged.append((command, when, answer))
    return acknowledged, error


def longest_gap(start, times):
    """The longest wait from `start` through the sorted `times` after it."""
    previous, longest = start, 0.0
    for moment in times:
        if moment > start:
            longest = max(longest, moment - previous)
            previous = moment
    return longest


def submit_until_applied(ledger, work, commands, acked, bound, label):
    """Submits `commands` (a file, batches of 32) again and again, each time
    the ones not yet acknowledged, until every one is, within `bound` s.
    Returns (attempts, seconds to the first acknowledgement)."""
    started, first_ack, attempts = time.monotonic(), None, 0
    rest = list(commands)
    while rest:
        require(time.monotonic() - started < bound,
                f"{label}: {len(rest)} commands still not applied {bound} s after a broker "
                "returned: writes did not resume")
        attempts += 1
        path = os.path.join(work, f"{label}-{attempts}.jsonl")
        with open(path, "w", encoding="utf-8") as file:
            file.writelines(command.line + "\n" for command in rest)
        done = ledger.run("--json", "submit", path, "--batch", "32", ok_codes=None)
        answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        taken = 0
        for command, answer in zip(rest, answers):
            if not is_command_answer(answer):
                break
            acked[command.command_id] = parse_answer(command, answer, label)
            taken += 1
        if taken and first_ack is None:
            first_ack = time.monotonic() - started
        rest = rest[taken:]
        if rest:
            say(f"  {label} attempt {attempts}: {taken} applied, exit {done.returncode}: "
                f"{(answers[taken:taken + 1] or [done.stderr[-300:]])[0]}")
            time.sleep(2)
    return attempts, first_ack


def run(args, work, ledger, rng):
    require(ledger is None, "cluster mode makes its own ledger")
    cluster = Cluster(work)
    started = time.monotonic()
    try:
        bootstrap = cluster.start()
        say(f"cluster: three brokers at {bootstrap} after {time.monotonic() - started:.1f} s")
        check_cluster(args, work, rng, cluster, bootstrap)
    finally:
        try:
            cluster.stop()
        except TestFailure as failure:
            say(f"  (stopping the cluster: {failure})")


def check_cluster(args, work, rng, cluster, bootstrap):
    topic = f"careledger.cluster.{args.seed}.{os.getpid()}"
    ledger = Ledger(os.path.abspath(args.careledger), os.path.join(work, "data"), "kafka",
                    bootstrap, topic, args.writer_id or f"cluster-{args.seed}-{os.getpid()}",
                    global_args=["--replication-factor", "3", "--min-insync-replicas", "2"])
    ledger.run("init")
    described = cluster.describe_topic(topic)
    require("min.insync.replicas=2" in described,
            f"the topic was not created with min.insync.replicas=2:\n{described}")
    replicas = [line.split("Replicas:")[1].split()[0] for line in described.splitlines()
                if "Replicas:" in line]
    require(len(replicas) == 4 and all(len(r.split(",")) == 3 for r in replicas),
            f"the topic's partitions do not have three replicas each:\n{described}")

    workload = Workload(f"k{args.seed}", args.patients, access_stream=ledger.access_stream)
    acked = {}
    figures = {}  # what was measured, in the order it happened

    # 1. Load: `submit -` fed continuously.
    writer = Writer(ledger, work, workload, acked)

    def progress(target, what, restarts_allowed):
        """Waits until `target` commands were acknowledged; with
        `restarts_allowed` a run that failed UNAVAILABLE is replaced."""
        deadline = time.monotonic() + ACK_BOUND
        while writer.acknowledged() < target:
            if not writer.alive():
                require(restarts_allowed, f"{what}: the writer exited "
                        f"{writer.run.proc.returncode}: {command_answers(writer.run)[1]} "
                        f"{writer.run.stderr_tail()}")
                writer.restart()
            if time.monotonic() >= deadline:
                # A writer alive but silent is hung: what its threads were
                # doing is the evidence, taken before it is killed.
                stacks = writer.thread_stacks()
                writer.kill()
                raise TestFailure(f"{what} (waited {ACK_BOUND} s; {writer.acknowledged()} "
                                  f"acknowledged, the writer alive). Its threads:\n{stacks}")
            time.sleep(0.1)

    progress(workload.setup_count + PROGRESS, "no acknowledgements with three brokers up",
             restarts_allowed=False)

    # 2. One broker SIGKILLed mid-load: acknowledgements go on. An append
    # caught by the failover may fail UNAVAILABLE after the writer's 30 s
    # timeout (a busy machine); its commands are then re-sent, same ids.
    first, second = rng.sample(NODES, 2)
    before_first = writer.acknowledged()
    runs_before = writer.runs
    killed_first = time.monotonic()
    cluster.kill(first)
    progress(before_first + PROGRESS,
             f"writing did not continue after broker {first} was killed", restarts_allowed=True)
    figures["broker killed first"] = first
    figures["acknowledged before the first kill"] = before_first
    figures["longest writer stall after the first kill (s)"] = round(
        longest_gap(killed_first, writer.times()), 1)
    figures["writer runs that failed UNAVAILABLE with one broker down"] = \
        writer.runs - runs_before

    # 3. A second broker SIGKILLed: only one replica is left, below
    # min.insync.replicas, and the controller quorum is lost. The writer must
    # stop with an error that names the cause, within a bound.
    before_second = writer.acknowledged()
    killed_second = time.monotonic()
    cluster.kill(second)
    code, error, pending = writer.stop(STOP_BOUND)
    stopped_after = time.monotonic() - killed_second
    require(code != 0, f"the writer exited {code} with two of three brokers down")
    require(error is not None and error.get("code") == "UNAVAILABLE" and error.get("error"),
            f"the writer stopped without a clear error line: exit {code}, last answer "
            f"{error}, stderr {writer.run.stderr_tail()}")
    figures["broker killed second"] = second
    figures["acknowledged after the second kill (in flight at the kill)"] = \
        writer.acknowledged() - before_second
    figures["writer exit after the second kill (s)"] = round(stopped_after, 1)
    figures["writer's error"] = f"{error['code']}: {error['error'][:300]}"

    # A writer started now is refused the same way, in bounded time.
    late = workload.take(3)
    path = os.path.join(work, "late.jsonl")
    with open(path, "w", encoding="utf-8") as file:
        file.writelines(command.line + "\n" for command in late)
    opened = time.monotonic()
    refused = ledger.run("--json", "submit", path, ok_codes=None, timeout=STOP_BOUND)
    refused_lines = [json.loads(line) for line in refused.stdout.splitlines() if line.strip()]
    require(refused.returncode != 0 and refused_lines and "error" in refused_lines[-1],
            f"a new writer with two brokers down: exit {refused.returncode}, output "
            f"{refused.stdout[-1000:]} {refused.stderr[-1000:]}")
    require(not any(is_command_answer(line) for line in refused_lines),
            f"a new writer acknowledged commands with two of three brokers down: {refused_lines}")
    figures["new writer refused after (s)"] = round(time.monotonic() - opened, 1)
    figures["new writer's error"] = (f"{refused_lines[-1].get('code')}: "
                                     f"{refused_lines[-1]['error'][:300]}")

    # 4. The first killed broker returns (its replicas are behind and must
    # catch up before the ISR reaches two again): writes resume.
    returned = time.monotonic()
    cluster.start_broker(first)
    figures["broker restarted"] = first
    figures["broker start (s)"] = round(time.monotonic() - returned, 1)
    resend = pending + late + workload.take(200)
    attempts, first_ack = submit_until_applied(ledger, work, resend, acked, RESUME_BOUND,
                                               "resume")
    figures["submit attempts until writes resumed"] = attempts
    # first_ack counts from when start-broker returned (the broker answered).
    figures["first acknowledgement after the broker was started (s)"] = round(
        figures["broker start (s)"] + first_ack, 1)
    figures["commands applied after the broker returned"] = len(resend)

    # 5. All three back; a last load, then the log read back.
    cluster.start_broker(second)
    submit_until_applied(ledger, work, workload.take(100), acked, RESUME_BOUND, "all-up")
    report, command_ids = export_and_verify(ledger, work, "cluster")
    check_log_against(report, command_ids, acked, workload, "cluster")
    in_log = set(command_ids)
    # Refusals counted into refusals_suppressed summaries are on the log as
    # counts (check_log_against checks those), not by id.
    lost = [command_id for command_id, ack in acked.items() if command_id not in in_log
            and not (ack.outcome == "OUTCOME_REJECTED" and ack.seq == 0)]
    figures["acknowledged in all"] = len(acked)
    figures["acknowledged but not in the log"] = len(lost)
    figures["log records"] = report.records
    say(f"cluster: OK; seed {args.seed}")
    for name, value in figures.items():
        say(f"  {name}: {value}")
    say("  checked: topic replication 3, min.insync.replicas=2; writing went on with one "
        "broker killed; with two killed the writer exited UNAVAILABLE and a new one was "
        "refused, both in bounded time; writes resumed when a broker returned; both verifiers "
        "pass and agree; every acknowledged command once at its acknowledged position; "
        "exactly the issued commands, each stream in issue order")
