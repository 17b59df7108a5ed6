"""Shared machinery of the crash tests: running careledger (to the end, or
SIGKILLed after a delay), feeding `careledger --json submit` and reading its
acknowledgements, kill-delay estimates, and the per-run Kafka target and
work directory.

Contract: every check failure is raised as TestFailure (crash_test.py turns
it into "FAIL ..." and exit 1); a command slower than COMMAND_TIMEOUT is a
failure reported as a HANG, never a skip.
"""

import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "independent"))
import verify_export  # noqa: E402,F401  (after the path is set; re-exported to the modes)

VERIFY_EXPORT = os.path.join(HERE, "..", "independent", "verify_export.py")
PYTHON = "/usr/bin/python3"
PARTITIONS = 4
COMMAND_TIMEOUT = 300  # seconds: anything slower is reported as a hang


class TestFailure(Exception):
    pass


def require(condition, message):
    if not condition:
        raise TestFailure(message)


def say(message):
    print(message, flush=True)


# --- careledger, one process at a time ---------------------------------------------

class Ledger:
    """A careledger data directory and the log it uses."""

    def __init__(self, binary, data_dir, backend, bootstrap=None, topic=None, writer_id=None,
                 global_args=()):
        self.binary = binary
        self.data_dir = data_dir
        self.writer_id = writer_id  # None: careledger's default ("0")
        self.log_args = []
        if backend == "kafka":
            self.log_args = ["--log", f"kafka:{bootstrap}", "--topic", topic]
        # More global flags for every command (e.g. --replication-factor 3).
        self.log_args += list(global_args)
        self.describe = f"{backend}" + (f" topic {topic}" if topic else f" {data_dir}") + (
            f", writer id {writer_id}" if writer_id else "")

    @property
    def access_stream(self):
        """Where this ledger's writer records reads and refusals."""
        return f"access/{self.writer_id if self.writer_id is not None else '0'}"

    def argv(self, *args):
        extra = ["--writer-id", self.writer_id] if self.writer_id is not None else []
        return [self.binary, "--data", self.data_dir, *self.log_args, *extra, *args]

    def run(self, *args, ok_codes=(0,), timeout=COMMAND_TIMEOUT):
        argv = self.argv(*args)
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"HANG: `{' '.join(argv)}` did not finish in {timeout} s") from None
        if ok_codes is not None and done.returncode not in ok_codes:
            raise TestFailure(f"`{' '.join(argv)}` exited {done.returncode}\nstdout: "
                              f"{done.stdout[-3000:]}\nstderr: {done.stderr[-3000:]}")
        return done


class KilledOrDone:
    """A child process that is SIGKILLed after `delay` s unless it ends first."""

    def __init__(self, argv, stdin=None, stderr_path=None):
        self.argv = argv
        self.stderr_file = open(stderr_path, "wb") if stderr_path else subprocess.DEVNULL
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=self.stderr_file)
        self.killed = False
        self.elapsed = None

    def wait_or_kill(self, delay):
        try:
            self.proc.wait(timeout=max(0.0, delay))
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.killed = True
        self.elapsed = time.monotonic() - self.started
        return self.killed

    def wait(self, timeout=COMMAND_TIMEOUT):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            raise TestFailure(f"HANG: `{' '.join(self.argv)}` did not finish in {timeout} s "
                              "(killed)") from None
        self.elapsed = time.monotonic() - self.started

    def close(self):
        if self.stderr_file is not subprocess.DEVNULL:
            self.stderr_file.close()


class SubmitRun(KilledOrDone):
    """`careledger --json submit -` fed `commands` by one thread while another
    collects the answers; an answer is only counted once its line is complete."""

    def __init__(self, ledger, commands, stderr_path, close_stdin=True, pace=0.0, source="-"):
        super().__init__(ledger.argv("--json", "submit", source, "--batch", "32"),
                         stdin=subprocess.PIPE, stderr_path=stderr_path)
        self.stderr_path = stderr_path
        self.commands = list(commands)
        self.written = 0  # commands whose whole line reached the pipe
        self.answers = []  # (monotonic time, parsed JSON)
        self.unparsable = []
        self.close_stdin = close_stdin
        self.pace = pace
        self._more = threading.Condition()
        self._feeder = threading.Thread(target=self._feed, daemon=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._feeder.start()
        self._reader.start()

    def _feed(self):
        try:
            for command in self.commands:
                self.proc.stdin.write(command.line.encode() + b"\n")
                self.proc.stdin.flush()
                self.written += 1
                if self.pace:
                    time.sleep(self.pace)
            if self.close_stdin:
                self.proc.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the process died or was killed

    def add(self, commands):
        """Feeds more commands (only with close_stdin=False); returns False when
        the process no longer reads."""
        self._feeder.join()
        self.commands.extend(commands)
        try:
            for command in commands:
                self.proc.stdin.write(command.line.encode() + b"\n")
                self.proc.stdin.flush()
                self.written += 1
        except (BrokenPipeError, OSError, ValueError):
            return False
        return True

    def end_input(self):
        """Closes the process's stdin (once the feeder is done): it then exits
        after answering what it read."""
        self._feeder.join()
        try:
            self.proc.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def _read(self):
        for raw in self.proc.stdout:
            if not raw.endswith(b"\n"):
                break  # torn by the kill: not an answer
            try:
                parsed = json.loads(raw)
            except ValueError:
                self.unparsable.append(raw)
                continue
            with self._more:
                self.answers.append((time.monotonic(), parsed))
                self._more.notify_all()

    def wait_answers(self, count, timeout):
        deadline = time.monotonic() + timeout
        with self._more:
            while len(self.answers) < count and self.proc.poll() is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._more.wait(min(left, 0.2))
        return len(self.answers) >= count

    def finish(self):
        self._feeder.join(timeout=30)
        try:
            self.proc.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass
        self._reader.join(timeout=30)
        require(not self._reader.is_alive(), "the answer reader did not finish")
        self.close()

    def stderr_tail(self):
        try:
            with open(self.stderr_path, "rb") as file:
                return file.read()[-2000:].decode("utf-8", "replace")
        except OSError:
            return ""


# --- episodes that need a landing ---------------------------------------------------

class Episodes:
    """Episode (round) numbers 1, 2, ... for a test whose checks need events
    that land by timing, such as a SIGKILL that arrives while the process
    works: at least `planned` episodes, then more while `enough()` is false,
    and none started once `bound` seconds have passed since the first. So a
    busy machine makes the test run longer, not fail. After the loop,
    require_enough() fails only if even the bound did not give enough."""

    def __init__(self, planned, bound, enough):
        self.planned = planned
        self.bound = bound
        self.enough = enough
        self.count = 0
        self.started = None

    def elapsed(self):
        return 0.0 if self.started is None else time.monotonic() - self.started

    def __iter__(self):
        self.started = time.monotonic()
        while True:
            if self.count >= self.planned and (self.enough() or self.elapsed() >= self.bound):
                return
            self.count += 1
            yield self.count

    def require_enough(self, what):
        """TestFailure naming `what` (what did not land) unless enough() holds."""
        require(self.enough(), f"{what} after {self.count} episodes in {self.elapsed():.0f} s "
                f"(no new episode after {self.bound:.0f} s; --time-bound raises it): the test "
                "did not manage to crash the process while it worked")


def env_int(name, default):
    """The integer in environment variable `name`, or `default` when unset."""
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


# --- answers -------------------------------------------------------------------------

Ack = collections.namedtuple("Ack", "command_id outcome stream seq partition offset round")


def is_command_answer(answer):
    """False for a line that answers no command: submit's own error report
    ({"error", "code"}, e.g. when the writer was fenced)."""
    return "outcome" in answer


def submit_exit(commands):
    """The exit code of a submit run that answered every one of `commands`:
    3 (some command rejected) when they hold a deliberate refusal, else 0."""
    return 3 if any(command.refusal for command in commands) else 0


def parse_answer(command, answer, round_number):
    """The acknowledgement of `command` in `answer`, or TestFailure. The
    workload's deliberate refusals must be REJECTED (first time and on a
    retry) for their reason; every other command APPLIED or DUPLICATE."""
    require(is_command_answer(answer), f"submit reported an error: {answer}")
    require(answer.get("command_id") == command.command_id,
            f"answers out of order: expected {command.command_id}, got {answer}")
    outcome = answer.get("outcome")
    if command.refusal:
        require(outcome == "OUTCOME_REJECTED" and command.refusal in answer.get("error", ""),
                f"command {command.command_id} must be refused ('{command.refusal}'), "
                f"got {answer}")
    else:
        require(outcome != "OUTCOME_REJECTED",
                f"command {command.command_id} was rejected: {answer.get('error')} "
                f"(the workload is valid in issue order)")
        require(outcome in ("OUTCOME_APPLIED", "OUTCOME_DUPLICATE") and "error" not in answer,
                f"unknown outcome in {answer}")
    require(answer.get("stream_id") == command.stream,
            f"command {command.command_id} answered for stream {answer.get('stream_id')}, "
            f"expected {command.stream}")
    if '"view_plan"' in command.line:
        grant = answer.get("view", {})
        require(grant.get("view") == "PLAN_VIEW_PUBLISHED" and int(grant.get("version", 0)) >= 1
                and grant.get("content_hash") and int(grant.get("stream_seq", 0)) >= 1,
                f"read {command.command_id} was answered without the version and content hash "
                f"it may show: {answer}")
    return Ack(command.command_id, outcome, answer["stream_id"],
               int(answer.get("stream_seq", 0)), int(answer.get("partition", 0)),
               int(answer.get("offset", 0)), round_number)


class Estimate:
    """Running estimates of start-up time and time per unit of work, so kill
    delays land while the process works on this machine, whatever its speed."""

    def __init__(self, startup, per_unit):
        self.startup = startup
        self.per_unit = per_unit
        self.observed = set()  # which figures were measured at least once

    def duration(self, units):
        return self.startup + units * self.per_unit

    def observe(self, startup=None, per_unit=None):
        # The first measurement replaces the guess; later ones are averaged.
        if startup is not None:
            self.startup = (0.5 * self.startup + 0.5 * startup if "startup" in self.observed
                            else startup)
            self.observed.add("startup")
        if per_unit is not None and per_unit > 0:
            self.per_unit = (0.5 * self.per_unit + 0.5 * per_unit if "per_unit" in self.observed
                             else per_unit)
            self.observed.add("per_unit")


def submit_file(ledger, work, commands, label):
    """Submits `commands` in one clean run (a file, batches of 256); returns the
    number of answers once each is a valid acknowledgement, else TestFailure."""
    path = os.path.join(work, f"{label}.jsonl")
    with open(path, "w", encoding="utf-8") as file:
        for command in commands:
            file.write(command.line + "\n")
    done = ledger.run("--json", "submit", path, "--batch", "256",
                      ok_codes=(submit_exit(commands),))
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    require(len(answers) == len(commands), f"{label}: {len(answers)} answers for "
            f"{len(commands)} commands")
    for command, answer in zip(commands, answers):
        parse_answer(command, answer, label)
    return len(answers)


# --- the run's surroundings -----------------------------------------------------------

def kafka_target(mode, seed, writer_id_option):
    """(bootstrap, topic, writer id) of a Kafka run: its own topic, and its own
    writer id unless --writer-id gave one. Returns None after saying FAIL when
    CARELEDGER_KAFKA_BOOTSTRAP is unset: a Kafka mode then fails, never skips."""
    # Kafka's transactional.ids are formed from the writer id (and the
    # topic); give each run its own writer id anyway (A and B in `fence`
    # share it).
    writer_id = writer_id_option or f"crash-{mode}-{seed}-{os.getpid()}"
    bootstrap = os.environ.get("CARELEDGER_KAFKA_BOOTSTRAP")
    if not bootstrap:
        say("FAIL: CARELEDGER_KAFKA_BOOTSTRAP is not set; start the broker with "
            "`export CARELEDGER_KAFKA_BOOTSTRAP=$(deploy/kafka/kafka.sh start)`")
        return None
    topic = f"careledger.crash.{mode}.{seed}.{os.getpid()}"
    return bootstrap, topic, writer_id


def make_work_dir(mode):
    """A fresh temporary directory for one run (data, exports, stderr files);
    crash_test.py removes it after a pass unless --keep, keeps it on failure."""
    return tempfile.mkdtemp(prefix=f"careledger-crash-{mode}-")
