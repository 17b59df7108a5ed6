#!/usr/bin/python3
"""Crash and tamper tests of careledger, driving the real `careledger` program.

Modes (each exits 0 when everything it checks holds, 1 with the reason when
not; every run prints its seed, and --seed N replays it):

  writer    N rounds of `careledger --json submit` (reading `-` or
            /dev/stdin), each SIGKILLed after a random delay while it works,
            with `careledger checkpoint` runs (also killed) in between;
            unacknowledged commands are sent again (same command ids) in the
            next round; a final clean run sends what was never acknowledged.
            Then the log must verify (careledger
            verify and tests/independent/verify_export.py), every acknowledged
            command must be in the log exactly once at the acknowledged stream
            position, no command twice, nothing lost, and each stream must
            hold its commands in submission order.
  projector `careledger project` SIGKILLed again and again while it catches up
            with a growing log (appended by writers that are killed too, with
            a projector running beside them); the projection it finally
            reaches must have the fingerprint of a clean rebuild from the log.
  fence     (Kafka) a second writer with the same --writer-id fences the
            first: the first's next append fails with "fenced", the second
            succeeds, and no stream forks.
  tamper    a `careledger demo` log exported and tampered with in many ways;
            verify_export.py must fail at the right partition and offset.

Standard library only, plus verify_export.py (python3-protobuf and
python3-cryptography) for reading the log. Kafka modes need
CARELEDGER_KAFKA_BOOTSTRAP and fail without it.
"""

import argparse
import base64
import collections
import copy
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "independent"))
import verify_export  # noqa: E402  (after the path is set)

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

    def __init__(self, binary, data_dir, backend, bootstrap=None, topic=None, writer_id=None):
        self.binary = binary
        self.data_dir = data_dir
        self.writer_id = writer_id  # None: careledger's default ("0")
        self.log_args = []
        if backend == "kafka":
            self.log_args = ["--log", f"kafka:{bootstrap}", "--topic", topic]
        self.describe = f"{backend}" + (f" topic {topic}" if topic else f" {data_dir}") + (
            f", writer id {writer_id}" if writer_id else "")

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


# --- synthetic commands -------------------------------------------------------------

def synthetic_nhs_numbers(count, first=0):
    """999 + 6 digits + the modulus-11 check digit; stems whose check would be
    10 are skipped."""
    numbers = []
    stem_number = first
    while len(numbers) < count:
        stem = f"999{stem_number:06d}"
        stem_number += 1
        total = sum(int(digit) * weight for digit, weight in zip(stem, range(10, 1, -1)))
        check = 11 - total % 11
        if check == 10:
            continue
        numbers.append(stem + str(0 if check == 11 else check))
    return numbers


Command = collections.namedtuple("Command", "command_id stream line")

ADMIN = {"user_id": "admin.crash", "role": "ROLE_ADMINISTRATOR", "organisation": "VM123",
         "device_id": "crash-device-1", "network_address": "10.0.0.7"}
CLINICIAN = {"user_id": "dr.crash", "role": "ROLE_CLINICIAN", "organisation": "Y01234",
             "device_id": "crash-device-2", "network_address": "10.0.0.8"}
SECTIONS = ("demographics", "preferences", "resuscitation", "clinical", "allergies", "review")


def section_value(section, nhs, cycle):
    if section == "demographics":
        return {"given_name": f"Given{cycle}", "family_name": "Synthetic", "nhs_number": nhs,
                "gender": "female" if int(nhs[-2]) % 2 else "male",
                "date_of_birth": {"year": 1930 + int(nhs[-3:]) % 60, "month": 3, "day": 2},
                "address": f"{cycle} Example Street, London", "postcode": "SE1 7EH",
                "gp_practice_ods": "Y01234", "gp_name": "Dr A Example"}
    if section == "preferences":
        return {"place_of_care": {"first_preference": "Home"},
                "place_of_death": {"first_preference": "Home",
                                   "second_preference": f"Hospice {cycle}"}}
    if section == "resuscitation":
        return {"discussed": True, "decision": "not for CPR",
                "summary": f"Discussed with the patient and family, revision {cycle}"}
    if section == "clinical":
        return {"main_diagnosis": "Heart failure", "ceiling_of_treatment": "Treat at home",
                "recommendations": f"Keep comfortable; revision {cycle}"}
    if section == "allergies":
        return {"no_known_allergies": True, "source": f"GP record {cycle}"}
    return {"review_on": {"year": 2027, "month": 1 + cycle % 12, "day": 1},
            "reviewing_clinician": "Dr A Example"}


class Workload:
    """A deterministic stream of commands: a plan started for each patient,
    then rounds of section updates with an approval every third round (or
    updates only: those are accepted in any order once the plan exists). Every
    command is accepted when applied in issue order, so a refusal is a bug."""

    def __init__(self, tag, patients, first_patient=0, approvals=True):
        self.tag = tag
        self.approvals = approvals
        self.numbers = synthetic_nhs_numbers(patients, first_patient)
        self.issued = []
        self.by_stream = collections.defaultdict(list)  # stream -> command ids, issue order

    def take(self, count):
        commands = [self._command(len(self.issued) + i) for i in range(count)]
        for command in commands:
            self.issued.append(command)
            self.by_stream[command.stream].append(command.command_id)
        return commands

    def _command(self, index):
        patients = len(self.numbers)
        command_id = f"{self.tag}-{index:06d}"
        if index < patients:
            nhs = self.numbers[index]
            body = {"actor": ADMIN, "start_plan": {
                "nhs_number": nhs,
                "consent": {"basis": "CONSENT_BASIS_PATIENT",
                            "discussion": "Discussed with the patient",
                            "obtained_on": {"year": 2026, "month": 1, "day": 2}}}}
        else:
            cycle, patient = divmod(index - patients, patients)
            nhs = self.numbers[patient]
            if self.approvals and cycle % 3 == 2:
                body = {"actor": CLINICIAN, "approve_plan": {"nhs_number": nhs}}
            else:
                section = SECTIONS[(cycle + patient) % len(SECTIONS)]
                body = {"actor": ADMIN if cycle % 2 else CLINICIAN, "update_plan_section": {
                    "nhs_number": nhs, "value": {section: section_value(section, nhs, cycle)}}}
        line = json.dumps({"command_id": command_id, **body}, separators=(",", ":"))
        return Command(command_id, f"patient/{nhs}", line)


# --- answers -------------------------------------------------------------------------

Ack = collections.namedtuple("Ack", "command_id outcome stream seq partition offset round")


def parse_answer(command, answer, round_number):
    """The acknowledgement of `command` in `answer`, or TestFailure."""
    require("error" not in answer, f"submit reported an error: {answer}")
    require(answer.get("command_id") == command.command_id,
            f"answers out of order: expected {command.command_id}, got {answer}")
    outcome = answer.get("outcome")
    require(outcome != "OUTCOME_REJECTED",
            f"command {command.command_id} was rejected: {answer.get('error')} "
            f"(the workload is valid in issue order)")
    require(outcome in ("OUTCOME_APPLIED", "OUTCOME_DUPLICATE"), f"unknown outcome in {answer}")
    require(answer.get("stream_id") == command.stream,
            f"command {command.command_id} answered for stream {answer.get('stream_id')}, "
            f"expected {command.stream}")
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


# --- the log, read back ---------------------------------------------------------------

def export_and_verify(ledger, work, label):
    """careledger verify, log export, keys export, verify_export.py (as a
    program, with --command-ids-out, and as a module). Returns the module's
    Report and the command ids the program wrote."""
    verified = ledger.run("--json", "verify", ok_codes=None)
    require(verified.returncode == 0,
            f"careledger verify exited {verified.returncode}: {verified.stdout[-3000:]}"
            f"{verified.stderr[-2000:]}")
    cpp = json.loads(verified.stdout)
    export = os.path.join(work, f"{label}-export.jsonl")
    keyring = os.path.join(work, f"{label}-keyring.json")
    ledger.run("log", "export", "--out", export)
    ledger.run("keys", "export", "--out", keyring)
    ids_path = os.path.join(work, f"{label}-command-ids.txt")
    independent = subprocess.run(
        [PYTHON, VERIFY_EXPORT, export, "--keyring", keyring, "--partitions", str(PARTITIONS),
         "--command-ids-out", ids_path], capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    require(independent.returncode == 0,
            f"verify_export.py exited {independent.returncode}:\n{independent.stdout[-4000:]}"
            f"{independent.stderr[-2000:]}")
    with open(ids_path, encoding="utf-8") as file:
        command_ids = [line.rstrip("\n") for line in file if line.strip()]
    report = verify_export.verify_files(export, keyring, PARTITIONS)
    require(report.ok, f"verify_export (module) failed: "
            f"{[failure.describe() for failure in report.failures]}")
    # Two independent implementations of the running partition digest agree.
    for partition in cpp["partitions"]:
        mine = report.digests[partition["partition"]]
        require(partition["running_hash"] == mine.running.hex() and
                partition["records"] == mine.record_count,
                f"partition {partition['partition']}: careledger verify says "
                f"{partition['records']} records, hash {partition['running_hash']}; "
                f"verify_export says {mine.record_count}, {mine.running.hex()}")
    require(cpp["records"] == report.records,
            f"careledger verify counted {cpp['records']} records, verify_export {report.records}")
    return report, command_ids


def check_log_against(report, command_ids, acked, workload, label):
    """Every acknowledged command exactly once at its acknowledged position, no
    command twice, exactly the issued commands, each stream in issue order."""
    counts = collections.Counter(command_ids)
    twice = [command_id for command_id, n in counts.items() if n > 1]
    require(not twice, f"{label}: {len(twice)} command ids appear more than once in the log, "
            f"e.g. {twice[:5]}")
    events = {event.command_id: event for event in report.events if event.command_id}
    require(sorted(events) == sorted(counts),
            "verify_export's --command-ids-out and its module disagree")
    for ack in acked.values():
        event = events.get(ack.command_id)
        require(event is not None, f"LOST: command {ack.command_id} was acknowledged "
                f"({ack.outcome}, round {ack.round}) at {ack.stream} seq {ack.seq} but is not "
                "in the log")
        require((event.stream, event.seq, event.partition, event.offset) ==
                (ack.stream, ack.seq, ack.partition, ack.offset),
                f"command {ack.command_id} was acknowledged at {ack.stream} seq {ack.seq} "
                f"(partition {ack.partition} offset {ack.offset}) but the log has it at "
                f"{event.stream} seq {event.seq} (partition {event.partition} offset "
                f"{event.offset})")
    issued = {command.command_id for command in workload.issued}
    missing = sorted(issued - set(events))
    extra = sorted(set(events) - issued)
    require(not missing, f"{label}: {len(missing)} issued commands are not in the log after "
            f"the final run, e.g. {missing[:5]}")
    require(not extra, f"{label}: the log holds commands nobody sent, e.g. {extra[:5]}")
    by_stream = collections.defaultdict(list)
    for event in sorted(report.events, key=lambda e: (e.stream, e.seq)):
        if event.command_id:
            by_stream[event.stream].append(event.command_id)
    for stream, expected in workload.by_stream.items():
        require(by_stream.get(stream) == expected,
                f"stream {stream} holds {by_stream.get(stream)[:8] if by_stream.get(stream) else None}"
                f"... but its commands were sent in the order {expected[:8]}...")


# --- mode: writer ----------------------------------------------------------------------

def mode_writer(args, work, ledger, rng):
    ledger.run("init")
    workload = Workload(f"w{args.seed}", args.patients)
    # Two ways to feed the same pipe: "-" (std::cin) submits each command as
    # it arrives, "/dev/stdin" (a file stream) lets group commits of up to 32
    # commands form. Both are used, chosen at random per round.
    kafka = args.backend == "kafka"
    estimates = {"-": Estimate(startup=0.3 if kafka else 0.05, per_unit=0.02 if kafka else 0.004),
                 "/dev/stdin": Estimate(startup=0.3 if kafka else 0.05,
                                        per_unit=0.002 if kafka else 0.0005)}
    pending = []        # issued, never acknowledged, in issue order
    acked = {}          # command_id -> Ack
    written_before = set()  # commands that reached some process's stdin
    figures = collections.Counter()
    say(f"writer: {args.rounds} rounds against {ledger.describe}, {args.patients} patients")
    started = time.monotonic()
    for round_number in range(1, args.rounds + 1):
        new = workload.take(rng.randint(args.min_new, args.max_new))
        batch = pending + new
        source = rng.choice(("-", "/dev/stdin"))
        estimate = estimates[source]
        figures[f"rounds reading {source}"] += 1
        # Mostly while it works; sometimes in start-up (recovery), sometimes
        # about when it should have finished.
        work_time, choice = len(batch) * estimate.per_unit, rng.random()
        if choice < 0.15:
            delay = rng.uniform(0.0, estimate.startup)
        elif choice < 0.92:
            delay = estimate.startup + rng.uniform(0.02, 0.95) * work_time
        else:
            delay = estimate.startup + rng.uniform(0.95, 1.3) * work_time
        run = SubmitRun(ledger, batch, os.path.join(work, f"submit-{round_number}.err"),
                        source=source)
        killed = run.wait_or_kill(delay)
        run.finish()
        require(not run.unparsable, f"round {round_number}: unparsable answers {run.unparsable}")
        answers = [answer for _, answer in run.answers]
        require(len(answers) <= run.written,
                f"round {round_number}: {len(answers)} answers for {run.written} commands sent")
        if not killed:
            require(run.proc.returncode == 0 and len(answers) == len(batch),
                    f"round {round_number}: submit ended by itself with exit "
                    f"{run.proc.returncode} after {len(answers)} of {len(batch)} answers: "
                    f"{answers[-1:]} {run.stderr_tail()}")
        for command, answer in zip(batch, answers):
            ack = parse_answer(command, answer, round_number)
            if ack.outcome == "OUTCOME_DUPLICATE":
                require(command.command_id in written_before,
                        f"command {command.command_id} answered DUPLICATE the first time it was "
                        "sent")
                figures["durable but unacknowledged, answered DUPLICATE later"] += 1
            acked[command.command_id] = ack
        written_before.update(command.command_id for command in batch[:run.written])
        pending = batch[len(answers):]
        figures["commands sent"] += run.written
        figures["acknowledged"] += len(answers)
        if not killed:
            figures["rounds that finished before the kill"] += 1
        elif not answers:
            figures["killed before the first acknowledgement"] += 1
        elif len(answers) < run.written:
            figures["killed mid-stream (some but not all acknowledged)"] += 1
        else:
            figures["killed after acknowledging all it was sent"] += 1
        times = [t for t, _ in run.answers]
        if times:
            estimate.observe(startup=times[0] - run.started,
                             per_unit=(times[-1] - times[0]) / (len(times) - 1)
                             if len(times) > 1 else None)
        if args.verbose:
            say(f"  round {round_number} ({source}): sent {run.written}/{len(batch)}, "
                f"acknowledged {len(answers)}, {'killed' if killed else 'finished'} at "
                f"{run.elapsed:.3f} s")
        # Now and then a signed checkpoint (the CLI cannot make the writer
        # checkpoint more often than every 10,000 records), also killed at
        # random, so checkpoints and their crashes are part of the history.
        if rng.random() < 0.3:
            checkpoint = KilledOrDone(ledger.argv("--json", "checkpoint"),
                                      stderr_path=os.path.join(work, f"checkpoint-{round_number}.err"))
            if checkpoint.wait_or_kill(rng.uniform(0.0, 2.5 * estimate.startup)):
                figures["checkpoint runs killed"] += 1
            else:
                require(checkpoint.proc.returncode == 0,
                        f"careledger checkpoint exited {checkpoint.proc.returncode}")
                figures["checkpoint runs completed"] += 1
            checkpoint.proc.stdout.close()
            checkpoint.close()

    # The final clean run sends everything never acknowledged.
    final = SubmitRun(ledger, pending, os.path.join(work, "submit-final.err"))
    final.wait()
    final.finish()
    answers = [answer for _, answer in final.answers]
    require(final.proc.returncode == 0 and len(answers) == len(pending),
            f"final run: exit {final.proc.returncode}, {len(answers)} answers for "
            f"{len(pending)} commands: {answers[-1:]} {final.stderr_tail()}")
    for command, answer in zip(pending, answers):
        ack = parse_answer(command, answer, "final")
        if ack.outcome == "OUTCOME_DUPLICATE":
            require(command.command_id in written_before,
                    f"command {command.command_id} answered DUPLICATE the first time it was sent")
            figures["durable but unacknowledged, answered DUPLICATE later"] += 1
        acked[command.command_id] = ack
    figures["final run: re-sent never-acknowledged commands"] = len(pending)
    submit_seconds = time.monotonic() - started

    report, command_ids = export_and_verify(ledger, work, "writer")
    check_log_against(report, command_ids, acked, workload, "writer")
    require(report.checkpoints >= figures["checkpoint runs completed"] * PARTITIONS,
            f"{figures['checkpoint runs completed']} checkpoint runs completed but the log "
            f"holds only {report.checkpoints} checkpoints")
    mid_stream = figures["killed mid-stream (some but not all acknowledged)"]
    require(mid_stream >= max(1, args.rounds // 5),
            f"only {mid_stream} of {args.rounds} rounds were killed mid-stream: the test "
            "did not really crash the writer while it worked")
    say(f"writer: OK in {submit_seconds:.1f} s of rounds; seed {args.seed}")
    for name in ("rounds reading -", "rounds reading /dev/stdin", "commands sent", "acknowledged",
                 "killed mid-stream (some but not all acknowledged)",
                 "killed before the first acknowledgement",
                 "killed after acknowledging all it was sent",
                 "rounds that finished before the kill",
                 "durable but unacknowledged, answered DUPLICATE later",
                 "final run: re-sent never-acknowledged commands",
                 "checkpoint runs completed", "checkpoint runs killed"):
        say(f"  {name}: {figures[name]}")
    say(f"  issued commands: {len(workload.issued)}; log records: {report.records} "
        f"({report.checkpoints} checkpoints, {report.streams} streams)")
    say("  checked: careledger verify and verify_export.py pass and agree on every partition's "
        "running hash; every acknowledged command is in the log exactly once at its "
        "acknowledged stream, seq, partition and offset; no command twice; exactly the issued "
        "commands; each stream holds its commands in submission order")


# --- mode: projector --------------------------------------------------------------------

def submit_file(ledger, work, commands, label):
    path = os.path.join(work, f"{label}.jsonl")
    with open(path, "w", encoding="utf-8") as file:
        for command in commands:
            file.write(command.line + "\n")
    done = ledger.run("--json", "submit", path, "--batch", "256")
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    require(len(answers) == len(commands), f"{label}: {len(answers)} answers for "
            f"{len(commands)} commands")
    for command, answer in zip(commands, answers):
        parse_answer(command, answer, label)
    return len(answers)


def count_records(ledger, work):
    path = os.path.join(work, "count.jsonl")
    ledger.run("log", "export", "--out", path)
    with open(path, "rb") as file:
        return sum(1 for line in file if line.strip())


def project_report(stdout):
    """records_applied from `careledger --json project` output, or None when
    the process printed no report (it was killed before the end)."""
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            report = json.loads(line)
            require(not report.get("stops"), f"the projector stopped a partition: {report}")
            return report
    return None


def fingerprint_of(stdout):
    for line in stdout.splitlines():
        if line.startswith("fingerprint "):
            return line.split()[1]
    raise TestFailure(f"no fingerprint in {stdout!r}")


def compare_with_rebuild(ledger, work, projection, label):
    incremental = ledger.run("--json", "project", "--projection-dir", projection, "--fingerprint")
    report = project_report(incremental.stdout)
    rebuilt_dir = os.path.join(work, f"rebuild-{label}")
    rebuilt = ledger.run("--json", "project", "--projection-dir", rebuilt_dir, "--rebuild",
                         "--fingerprint")
    shutil.rmtree(rebuilt_dir, ignore_errors=True)
    mine, clean = fingerprint_of(incremental.stdout), fingerprint_of(rebuilt.stdout)
    require(mine == clean,
            f"{label}: the projection that survived the kills has fingerprint {mine}, a clean "
            f"rebuild of the same log {clean}; reproduce with --seed and --keep")
    return mine, project_report(rebuilt.stdout)["records_applied"], report["records_applied"]


def append_while_projecting(ledger, work, commands, projection, rng, label, figures):
    """Appends `commands` with a writer that is SIGKILLed part-way (on Kafka
    its open transaction stays until the next writer aborts it) while a
    projector runs on the same log and is SIGKILLed too; then a clean writer
    re-sends what was not acknowledged. Returns the records the projector
    reported applying (0 when it was killed before its report)."""
    writer = SubmitRun(ledger, commands, os.path.join(work, f"{label}-writer.err"),
                       source="/dev/stdin")
    # The embedded log's lock belongs to whoever opens it first, and a reader
    # that takes it keeps the writer out: start the projector once the writer
    # holds it (it has answered).
    writer.wait_answers(1, 60)
    projector = KilledOrDone(ledger.argv("--json", "project", "--projection-dir", projection),
                             stderr_path=os.path.join(work, f"{label}-project.err"))
    both = [threading.Thread(target=run.wait_or_kill, args=(rng.uniform(0.02, 0.6),))
            for run in (writer, projector)]
    for thread in both:
        thread.start()
    for thread in both:
        thread.join(COMMAND_TIMEOUT)
    writer.finish()
    answers = [answer for _, answer in writer.answers]
    if not writer.killed:
        require(writer.proc.returncode == 0 and len(answers) == len(commands),
                f"{label}: the writer ended by itself with exit {writer.proc.returncode} after "
                f"{len(answers)} of {len(commands)} answers: {writer.stderr_tail()}")
    for command, answer in zip(commands, answers):
        parse_answer(command, answer, label)
    figures["concurrent writer runs killed"] += writer.killed
    stdout = projector.proc.stdout.read().decode()
    projector.proc.stdout.close()
    projector.close()
    report = project_report(stdout)
    if projector.killed:
        figures["kills"] += 1
        figures["kills while a writer appended"] += 1
        if report is None:
            figures["kills before the run's report"] += 1
    else:
        require(projector.proc.returncode == 0,
                f"{label}: project beside a writer exited {projector.proc.returncode}: "
                f"{stdout[-2000:]}")
    rest = commands[len(answers):]
    if rest:
        submit_file(ledger, work, rest, f"{label}-rest")
    return report["records_applied"] if report else 0


def mode_projector(args, work, ledger, rng):
    ledger.run("init")
    workload = Workload(f"p{args.seed}", args.patients)
    projection = os.path.join(work, "projection")
    estimate = Estimate(startup=0.5 if args.backend == "kafka" else 0.05, per_unit=1 / 7000)
    figures = collections.Counter()
    started = time.monotonic()
    say(f"projector: {args.episodes} episodes against {ledger.describe}")
    applied_before = 0  # records the projection held at the end of the last episode
    for episode in range(1, args.episodes + 1):
        count = args.initial if episode == 1 else rng.randint(args.min_chunk, args.max_chunk)
        reported = 0
        if episode == 1:
            submit_file(ledger, work, workload.take(count), f"chunk-{episode}")
        else:
            reported += append_while_projecting(ledger, work, workload.take(count), projection,
                                                rng, f"chunk-{episode}", figures)
        total = count_records(ledger, work)
        backlog = total - applied_before
        killed_here = 0
        for attempt in range(rng.randint(2, 5)):
            # Mostly while it applies (commits land every 2,000 records), now
            # and then during start-up.
            share = rng.uniform(0.3, 1.05) if rng.random() < 0.75 else rng.uniform(0.0, 0.3)
            delay = share * estimate.duration(backlog)
            run = KilledOrDone(ledger.argv("--json", "project", "--projection-dir", projection),
                               stderr_path=os.path.join(work, f"project-{episode}-{attempt}.err"))
            killed = run.wait_or_kill(delay)
            if args.verbose:
                say(f"    run: delay {delay:.3f} s of an estimated "
                    f"{estimate.duration(backlog):.3f} s: "
                    f"{'killed' if killed else 'ended by itself'} at {run.elapsed:.3f} s")
            stdout = run.proc.stdout.read().decode()
            run.proc.stdout.close()
            run.close()
            report = project_report(stdout)
            if killed:
                figures["kills"] += 1
                killed_here += 1
                if report is None:
                    figures["kills before the run's report"] += 1
            else:
                require(run.proc.returncode == 0, f"project exited {run.proc.returncode}")
            if report is not None:
                reported += report["records_applied"]
            if not killed:
                break  # caught up: more runs would have nothing to do
        done = KilledOrDone(ledger.argv("--json", "project", "--projection-dir", projection))
        done.wait()
        stdout = done.proc.stdout.read().decode()
        done.proc.stdout.close()
        require(done.proc.returncode == 0, f"project exited {done.proc.returncode}: {stdout}")
        report = project_report(stdout)
        reported += report["records_applied"]
        estimate.observe(per_unit=report["seconds"] / report["records_applied"]
                         if report["records_applied"] > 100 else None,
                         startup=max(0.0, done.elapsed - report["seconds"]))
        by_kills = backlog - reported
        require(by_kills >= 0,
                f"episode {episode}: the runs applied {reported} records but only {backlog} "
                "were new: records were applied twice after a crash")
        if 0 < by_kills < backlog:
            figures["episodes where the kills left a partial, durable prefix"] += 1
        elif by_kills == backlog and killed_here:
            figures["episodes where a killed run had applied everything"] += 1
        figures["records applied by killed runs"] += by_kills
        if args.verbose:
            say(f"  episode {episode}: {backlog} new records; {killed_here} killed runs applied "
                f"{by_kills}, runs that ended by themselves {reported}")
        applied_before = total
        if episode == args.episodes // 2:
            fingerprint, _, _ = compare_with_rebuild(ledger, work, projection, "midway")
            figures["rebuild comparisons"] += 1
    fingerprint, rebuilt_records, _ = compare_with_rebuild(ledger, work, projection, "final")
    figures["rebuild comparisons"] += 1
    require(rebuilt_records == applied_before,
            f"a clean rebuild applied {rebuilt_records} records; the log holds {applied_before}")
    require(figures["kills before the run's report"] >= 1,
            "no projector run was killed before it finished: nothing was tested")
    require(figures["episodes where the kills left a partial, durable prefix"] >= 1,
            "no kill left a partial projection: the crash points were not exercised")
    say(f"projector: OK in {time.monotonic() - started:.1f} s; seed {args.seed}")
    for name in ("kills", "kills before the run's report", "kills while a writer appended",
                 "concurrent writer runs killed",
                 "episodes where the kills left a partial, durable prefix",
                 "episodes where a killed run had applied everything",
                 "records applied by killed runs", "rebuild comparisons"):
        say(f"  {name}: {figures[name]}")
    say(f"  log records: {applied_before}; final fingerprint {fingerprint}")
    say("  checked: after every episode of kills a completing run applied exactly the rest "
        "(nothing twice); the killed-and-resumed projection equals a clean rebuild (mid-way "
        "and at the end)")


# --- mode: fence (Kafka) -------------------------------------------------------------------

def mode_fence(args, work, ledger, rng):
    require(args.backend == "kafka", "fence needs --backend kafka")
    ledger.run("init")
    # Section updates only: writers A and B interleave them in any order.
    workload = Workload(f"f{args.seed}", 12, approvals=False)
    setup = workload.take(12)  # the plans
    submit_file(ledger, work, setup, "fence-setup")
    acked = {}
    figures = collections.Counter()

    # 1. A is idle (between commands) when B opens with its writer id.
    a = SubmitRun(ledger, [], os.path.join(work, "writer-a.err"), close_stdin=False)
    for command in workload.take(5):
        require(a.add([command]) and a.wait_answers(len(a.commands), 60),
                f"writer A did not answer: {a.stderr_tail()}")
    b_commands = workload.take(20)
    b = SubmitRun(ledger, b_commands, os.path.join(work, "writer-b.err"))
    b.wait()
    b.finish()
    require(b.proc.returncode == 0 and len(b.answers) == len(b_commands),
            f"writer B: exit {b.proc.returncode}, {len(b.answers)} answers for "
            f"{len(b_commands)} commands; not applied: "
            f"{[a for _, a in b.answers if a.get('outcome') != 'OUTCOME_APPLIED'][:3]}; "
            f"stderr: {b.stderr_tail()}")
    late = workload.take(1)
    a.add(late)
    a.wait_answers(len(a.commands), 60)  # an error line, or (if not fenced) an answer
    a.end_input()
    a.wait(timeout=120)
    a.finish()
    a_output = "".join(json.dumps(answer) for _, answer in a.answers) + a.stderr_tail()
    require(a.proc.returncode != 0,
            "writer A appended after writer B took its writer id: it was not fenced")
    require("fenced" in a_output.lower(),
            f"writer A failed, but not saying it was fenced: {a_output[-2000:]}")
    for command, (_, answer) in zip(a.commands, a.answers):
        if "error" in answer:
            break
        acked[command.command_id] = parse_answer(command, answer, "A")
    for command, (_, answer) in zip(b_commands, b.answers):
        acked[command.command_id] = parse_answer(command, answer, "B")
    figures["phase 1: A acknowledged"] = sum(1 for ack in acked.values() if ack.round == "A")
    figures["phase 1: B acknowledged"] = len(b_commands)
    fenced_command = late[0].command_id
    require(fenced_command not in acked, "writer A acknowledged a command after being fenced")

    # 2. A appends continuously while B opens with its id: a race, repeated
    # with B starting at random moments of A's transactions. Whatever either
    # acknowledged must be in the log, once, and no stream may fork.
    for race in range(1, args.races + 1):
        a2 = SubmitRun(ledger, workload.take(400), os.path.join(work, f"race-{race}-a.err"),
                       close_stdin=False, pace=0.005)
        require(a2.wait_answers(3, 60), f"race {race}: writer A did not start: "
                f"{a2.stderr_tail()}")
        time.sleep(rng.uniform(0.0, 0.3))
        b2_commands = workload.take(40)
        b2 = SubmitRun(ledger, b2_commands, os.path.join(work, f"race-{race}-b.err"))
        b2.wait()
        b2.finish()
        require(b2.proc.returncode == 0 and len(b2.answers) == len(b2_commands),
                f"race {race}: writer B: exit {b2.proc.returncode}, {len(b2.answers)} answers "
                f"for {len(b2_commands)} commands; not applied: "
                f"{[a for _, a in b2.answers if a.get('outcome') != 'OUTCOME_APPLIED'][:3]}; "
                f"stderr: {b2.stderr_tail()}")
        a2.add(workload.take(1))  # in case A was idle: its next append must fail
        a2.wait_answers(len(a2.commands), 60)
        a2.end_input()
        a2.wait(timeout=120)
        a2.finish()
        a2_output = "".join(json.dumps(answer) for _, answer in a2.answers) + a2.stderr_tail()
        require(a2.proc.returncode != 0 and "fenced" in a2_output.lower(),
                f"race {race}: writer A was not fenced: exit {a2.proc.returncode}: "
                f"{a2_output[-2000:]}")
        for command, (when, answer) in zip(a2.commands, a2.answers):
            if "error" in answer:
                break
            acked[command.command_id] = parse_answer(command, answer, f"A{race}")
            figures["races: A acknowledged before it was fenced"] += 1
            if when > b2.started:
                figures["races: A acknowledged while B was opening (concurrent)"] += 1
        for command, (_, answer) in zip(b2_commands, b2.answers):
            acked[command.command_id] = parse_answer(command, answer, f"B{race}")
            figures["races: B acknowledged"] += 1
        figures["races (A fenced in each)"] += 1

    report, command_ids = export_and_verify(ledger, work, "fence")
    positions = collections.Counter((event.stream, event.seq) for event in report.events)
    forks = [position for position, n in positions.items() if n > 1]
    require(not forks, f"FORK: streams with two records at the same seq: {forks[:5]}")
    counts = collections.Counter(command_ids)
    require(all(n == 1 for n in counts.values()),
            f"commands applied twice: {[c for c, n in counts.items() if n > 1][:5]}")
    events = {event.command_id: event for event in report.events if event.command_id}
    for ack in acked.values():
        event = events.get(ack.command_id)
        require(event is not None and (event.stream, event.seq) == (ack.stream, ack.seq),
                f"acknowledged command {ack.command_id} ({ack.round}) is not in the log at "
                f"{ack.stream} seq {ack.seq}")
    require(fenced_command not in events, "the command sent to the fenced writer is in the log")
    say(f"fence: OK; seed {args.seed}; log records {report.records}")
    for name, value in figures.items():
        say(f"  {name}: {value}")
    say("  checked: a second writer with the same writer id fences the first (its next append "
        "fails, saying 'fenced'), idle and mid-stream; the second writer succeeds; the log "
        "verifies (both verifiers), no (stream, seq) twice, every acknowledged command once at "
        "its acknowledged position")


# --- mode: tamper ----------------------------------------------------------------------------

class TamperLab:
    """The records of an export, taken apart, and ways to tamper with them."""

    def __init__(self, records, keyring_text, private_key, schema):
        self.records = records
        self.keyring_text = keyring_text
        self.private_key = private_key
        self.schema = schema
        self.keyring = verify_export.Keyring.parse(keyring_text, schema)
        self.events = []  # parsed Event of each record, same order
        for record in records:
            signed = schema["envelope"].SignedEvent()
            signed.ParseFromString(record.value)
            event = schema["envelope"].Event()
            event.ParseFromString(signed.event)
            self.events.append(event)
        self.by_partition = collections.defaultdict(list)  # partition -> record indexes
        for index, record in enumerate(records):
            self.by_partition[record.partition].append(index)

    def copy(self):
        return [copy.copy(record) for record in self.records]

    def verify(self, records, keyring=None):
        return verify_export.verify_records(records, keyring or self.keyring, self.schema,
                                            PARTITIONS)

    def is_checkpoint(self, index):
        return self.events[index].WhichOneof("body") == "checkpoint"

    def first_witness(self, deleted):
        """Where verification must stop once the records at indexes `deleted`
        (one partition) are gone: the first later record of that partition that
        is a checkpoint or continues a stream that lost a record."""
        partition = self.records[deleted[0]].partition
        lost = {}
        for index in deleted:
            lost.setdefault(self.events[index].stream_id, self.events[index].stream_seq)
        first_offset = min(self.records[index].offset for index in deleted)
        for index in self.by_partition[partition]:
            record = self.records[index]
            if record.offset <= first_offset or index in deleted:
                continue
            event = self.events[index]
            if self.is_checkpoint(index) or (event.stream_id in lost and
                                             event.stream_seq > lost[event.stream_id]):
                return record.offset
        return None

    def resign(self, index, mutate, signing_key=None):
        """A copy of record `index` whose Event `mutate` changed, signed again
        with the ledger's real private key (or `signing_key`): only the
        structural checks can catch it."""
        event = copy.deepcopy(self.events[index])
        mutate(event)
        return self.sealed(self.records[index], event, signing_key)

    def sealed(self, template, event, signing_key=None):
        signed = self.schema["envelope"].SignedEvent()
        signed.ParseFromString(template.value)
        event_bytes = event.SerializeToString(deterministic=True)
        signed.event = event_bytes
        signed.signature = (signing_key or self.private_key).sign(
            verify_export.SIGNATURE_CONTEXT + event_bytes)
        record = copy.copy(template)
        record.value = signed.SerializeToString(deterministic=True)
        return record

    def keyring_with(self, change):
        document = json.loads(self.keyring_text)
        change(document["keys"][0])
        return verify_export.Keyring.parse(json.dumps(document), self.schema)


def timestamp_json(nanos):
    from google.protobuf.timestamp_pb2 import Timestamp
    stamp = Timestamp()
    stamp.FromNanoseconds(nanos)
    return stamp.ToJsonString()


def write_export(records, path):
    with open(path, "w", encoding="utf-8") as file:
        for record in records:
            file.write(json.dumps({
                "partition": record.partition, "offset": record.offset, "key": record.key_text,
                "key_base64": base64.b64encode(record.key).decode(),
                "value_base64": base64.b64encode(record.value).decode()}) + "\n")


def mode_tamper(args, work, ledger, rng):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    # A demo ledger, grown so that every partition holds several streams, a
    # checkpoint with records before it and records after it.
    ledger.run("demo")
    # `careledger demo` picks random patients below stem 800,000: stay above.
    workload = Workload(f"t{args.seed}", 24, first_patient=900_000)
    submit_file(ledger, work, workload.take(60), "tamper-1")
    ledger.run("checkpoint")
    submit_file(ledger, work, workload.take(40), "tamper-2")
    export = os.path.join(work, "export.jsonl")
    keyring_path = os.path.join(work, "keyring.json")
    ledger.run("log", "export", "--out", export)
    ledger.run("keys", "export", "--out", keyring_path)
    baseline = subprocess.run([PYTHON, VERIFY_EXPORT, export, "--keyring", keyring_path],
                              capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    require(baseline.returncode == 0,
            f"the untouched export does not verify: {baseline.stdout}{baseline.stderr}")
    schema = verify_export.load_schema()
    with open(keyring_path, encoding="utf-8") as file:
        keyring_text = file.read()
    key_id = json.loads(keyring_text)["keys"][0]["key_id"]
    with open(os.path.join(ledger.data_dir, "keys", "private", f"{key_id}.pem"), "rb") as file:
        private_key = serialization.load_pem_private_key(file.read(), password=None)
    lab = TamperLab(verify_export.read_export(export), keyring_text, private_key, schema)
    records = lab.records
    require(lab.verify(records).ok, "the untouched export does not verify (module)")
    checkpoints = [i for i in range(len(records)) if lab.is_checkpoint(i)
                   and lab.events[i].checkpoint.record_count > 0]
    require(checkpoints, "the demo log has no checkpoint covering records")
    non_empty = sorted(lab.by_partition)
    first_offsets = {p: records[lab.by_partition[p][0]].offset for p in non_empty}
    last_offsets = {p: records[lab.by_partition[p][-1]].offset for p in non_empty}
    streams = collections.defaultdict(list)  # stream -> record indexes in seq order
    for index, event in enumerate(lab.events):
        streams[event.stream_id].append(index)
    multi = sorted(stream for stream, indexes in streams.items() if len(indexes) >= 2)

    cases = []  # (name, records, keyring or None, {partition: offset}, reason words)

    def expect_at(index, *words):
        return {records[index].partition: records[index].offset}, words

    def add(name, tampered, expected, words=(), keyring=None):
        cases.append((name, tampered, keyring, expected, words))

    # Control: every record signed again, unchanged, still verifies, so the
    # signed forgeries below fail for what they change and nothing else.
    control = [lab.resign(i, lambda event: None) for i in range(len(records))]
    require([r.value for r in control] == [r.value for r in records],
            "re-encoding an unchanged event did not give the same bytes")

    for trial in range(16):
        index = rng.randrange(len(records))
        tampered = lab.copy()
        value = bytearray(tampered[index].value)
        bit = rng.randrange(len(value) * 8)
        value[bit // 8] ^= 1 << (bit % 8)
        tampered[index].value = bytes(value)
        add(f"flip bit {bit} of the value", tampered, *expect_at(index))
    for trial in range(4):
        index = rng.randrange(len(records))
        tampered = lab.copy()
        tampered[index].value = tampered[index].value[:rng.randrange(len(records[index].value))]
        add(f"truncate a value to {len(tampered[index].value)} bytes", tampered,
            *expect_at(index))
    deletable = [i for i in range(len(records)) if lab.first_witness([i]) is not None]
    for index in rng.sample(deletable, 4) + [i for i in deletable if lab.is_checkpoint(i)][:1]:
        tampered = [r for i, r in enumerate(lab.copy()) if i != index]
        add(f"delete the record at offset {records[index].offset}"
            f"{' (a checkpoint)' if lab.is_checkpoint(index) else ''}", tampered,
            {records[index].partition: lab.first_witness([index])},
            ("stream_seq", "checkpoint mismatch"))
    # Cut the records just before a checkpoint (a rewritten recent past).
    for checkpoint in checkpoints[:2]:
        partition_indexes = lab.by_partition[records[checkpoint].partition]
        position = partition_indexes.index(checkpoint)
        cut = partition_indexes[max(0, position - 3):position]
        if cut:
            tampered = [r for i, r in enumerate(lab.copy()) if i not in cut]
            add(f"cut {len(cut)} records before a checkpoint", tampered,
                {records[checkpoint].partition: lab.first_witness(cut)},
                ("stream_seq", "checkpoint mismatch"))
    for trial in range(3):
        first, second = sorted(rng.sample(streams[rng.choice(multi)], 2))
        tampered = lab.copy()
        tampered[first].value, tampered[second].value = records[second].value, records[first].value
        add(f"swap two records of {lab.events[first].stream_id}", tampered, *expect_at(first))
    index = rng.randrange(len(records))
    tampered = lab.copy()
    tampered.insert(index + 1, copy.copy(records[index]))
    add("duplicate a record line (same offset)", tampered, *expect_at(index, "does not follow"))
    index = rng.choice(lab.by_partition[records[index].partition])
    partition = records[index].partition
    replay = copy.copy(records[index])
    replay.offset = last_offsets[partition] + 1
    tampered = lab.copy()
    tampered.insert(lab.by_partition[partition][-1] + 1, replay)
    add("replay a record at the end of its partition", tampered,
        {partition: replay.offset}, ("already used", "stream_seq"))
    # Two adjacent lines of different streams, the second not a checkpoint: the
    # second then verifies in first place and the first is out of order.
    a, b = next((a, b) for p in non_empty
                for a, b in zip(lab.by_partition[p], lab.by_partition[p][1:])
                if lab.events[a].stream_id != lab.events[b].stream_id
                and not lab.is_checkpoint(b))
    partition = records[a].partition
    tampered = lab.copy()
    tampered[a], tampered[b] = tampered[b], tampered[a]
    add("two record lines out of offset order", tampered, {partition: records[a].offset},
        ("does not follow",))
    for trial in range(3):
        index = rng.randrange(len(records))
        others = [s for s in streams if s != lab.events[index].stream_id]
        tampered = lab.copy()
        new_key = rng.choice(others)
        tampered[index].key = new_key.encode()
        tampered[index].key_text = new_key
        add(f"change a record key to {new_key}", tampered, *expect_at(index, "stream_id"))
    tampered = lab.copy()
    tampered[index].key_text = "patient/9990000018"
    add("change the export's key but not key_base64", tampered, *expect_at(index, "disagree"))

    everywhere = ({p: first_offsets[p] for p in non_empty},)
    foreign = Ed25519PrivateKey.generate()
    foreign_public = base64.b64encode(foreign.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()
    add("replace the keyring's public key with another key", records, *everywhere,
        ("bad Ed25519 signature",),
        keyring=lab.keyring_with(lambda key: key.update(public_key=foreign_public)))
    newest = max(verify_export._nanos(event.recorded_at) for event in lab.events)
    oldest = min(verify_export._nanos(event.recorded_at) for event in lab.events)
    add("keyring window starts after the events", records, *everywhere, ("not valid",),
        keyring=lab.keyring_with(lambda key: key.update(valid_from=timestamp_json(newest + 1))))
    add("keyring window ended before the events", records, *everywhere, ("not valid",),
        keyring=lab.keyring_with(lambda key: key.update(valid_until=timestamp_json(oldest))))
    add("keyring names another key id", records, *everywhere, ("not in the keyring",),
        keyring=lab.keyring_with(lambda key: key.update(key_id="ed25519-someone-else")))

    # Forgeries signed with the ledger's own private key.
    def forged(name, index, mutate, *words, signing_key=None):
        tampered = lab.copy()
        tampered[index] = lab.resign(index, mutate, signing_key)
        add(f"signed forgery: {name}", tampered, *expect_at(index, *words))

    checkpoint = rng.choice(checkpoints)
    forged("checkpoint with another running hash", checkpoint,
           lambda e: setattr(e.checkpoint, "running_hash", bytes(32)), "checkpoint mismatch")
    forged("checkpoint covering one record fewer", checkpoint,
           lambda e: setattr(e.checkpoint, "record_count", e.checkpoint.record_count - 1),
           "checkpoint mismatch")
    forged("checkpoint with an earlier last offset", checkpoint,
           lambda e: setattr(e.checkpoint, "last_offset", e.checkpoint.last_offset - 1),
           "checkpoint mismatch")
    forged("checkpoint for another partition", checkpoint,
           lambda e: setattr(e.checkpoint, "partition", (e.checkpoint.partition + 1) % PARTITIONS),
           "checkpoint mismatch")
    index = rng.randrange(len(records))
    forged("stream_seq skips one", index,
           lambda e: setattr(e, "stream_seq", e.stream_seq + 1), "gap")
    forged("prev_hash rewritten", index,
           lambda e: setattr(e, "prev_hash", hashlib.sha256(b"elsewhere").digest()), "chain break")
    forged("stream_id differs from the key", index,
           lambda e: setattr(e, "stream_id", e.stream_id + "x"), "stream_id")
    forged("recorded before the key was valid", index,
           lambda e: e.recorded_at.FromNanoseconds(lab.keyring.entries[key_id].valid_from_ns - 1),
           "not valid")
    forged("signed by an attacker's key under the ledger's key id", index,
           lambda e: None, "bad Ed25519 signature", signing_key=foreign)
    later = [i for i in range(len(records)) if records[i].partition == records[index].partition
             and i != index]
    earlier, victim = sorted(rng.sample(later + [index], 2))
    forged("event_id of an earlier record", victim,
           lambda e: setattr(e, "event_id", lab.events[earlier].event_id), "already used")
    # A whole new, validly signed stream placed in the wrong partition.
    partition = rng.choice(non_empty)
    stranger = next(f"patient/{n}" for n in synthetic_nhs_numbers(400, first=950_000)
                    if verify_export.partition_for_key(f"patient/{n}".encode(), PARTITIONS)
                    != partition)
    template = records[lab.by_partition[partition][-1]]
    event = copy.deepcopy(lab.events[lab.by_partition[partition][-1]])
    event.event_id, event.stream_id, event.stream_seq = "forged-event-1", stranger, 1
    event.prev_hash = bytes(32)
    misplaced = lab.sealed(template, event)
    misplaced.key, misplaced.key_text = stranger.encode(), stranger
    misplaced.offset = last_offsets[partition] + 1
    tampered = lab.copy()
    tampered.insert(lab.by_partition[partition][-1] + 1, misplaced)
    add("signed forgery: a new stream in the wrong partition", tampered,
        {partition: misplaced.offset}, ("belongs in partition",))

    passed = 0
    for name, tampered, keyring, expected, words in cases:
        report = lab.verify(tampered, keyring)
        found = {failure.partition: failure.offset for failure in report.failures}
        reasons = " | ".join(failure.describe() for failure in report.failures)
        require(found == expected,
                f"tampering '{name}': expected failures at {expected} (partition: offset), "
                f"verify_export found {found or 'nothing'}: {reasons}")
        require(not words or all(any(word in failure.reason for word in words)
                                 for failure in report.failures),
                f"tampering '{name}': caught at the right place but for the wrong reason "
                f"(expected one of {words}): {reasons}")
        passed += 1
        if args.verbose:
            say(f"  caught: {name}: {reasons}")

    # The program (not just the module) exits 1 and names the record.
    name, tampered, _, expected, _ = cases[0]
    path = os.path.join(work, "tampered.jsonl")
    write_export(tampered, path)
    program = subprocess.run([PYTHON, VERIFY_EXPORT, path, "--keyring", keyring_path],
                             capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    (partition, offset), = expected.items()
    require(program.returncode == 1 and
            f"FAIL partition {partition} offset {offset} " in program.stdout,
            f"verify_export.py on '{name}': exit {program.returncode}, output {program.stdout}")
    # careledger's own verifier agrees about a foreign keyring (its log untouched).
    foreign_path = os.path.join(work, "foreign-keyring.json")
    document = json.loads(keyring_text)
    document["keys"][0]["public_key"] = foreign_public
    with open(foreign_path, "w", encoding="utf-8") as file:
        json.dump(document, file)
    cpp = ledger.run("verify", "--keyring", foreign_path, ok_codes=(4,))
    say(f"tamper: OK; seed {args.seed}; {len(records)} records in {len(non_empty)} partitions, "
        f"{len(streams)} streams, {len(checkpoints)} checkpoints covering records")
    say(f"  {passed} tamperings caught at the expected partition and offset for the expected "
        "reason (bit flips, truncations, deletions, cuts before a checkpoint, swaps, "
        "duplicates, replays, reordering, changed keys, foreign keyring, key windows, unknown "
        "key id, and forgeries signed with the ledger's own key: checkpoints, seq gap, chain "
        "break, stream mismatch, time outside the key window, attacker's key, reused event id, "
        "misplaced stream)")
    say("  also: every record re-encoded and re-signed unchanged gives the same bytes; the "
        "program exits 1 naming the record; careledger verify exits 4 with a foreign keyring")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("writer", "projector", "fence", "tamper"))
    parser.add_argument("--careledger", required=True, help="the careledger binary")
    parser.add_argument("--backend", choices=("embedded", "kafka"), default="embedded")
    parser.add_argument("--seed", type=int, help="replay a run (default: random)")
    parser.add_argument("--rounds", type=int, default=25, help="writer: kill rounds")
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--min-new", type=int, default=100, help="writer: new commands per round")
    parser.add_argument("--max-new", type=int, default=300)
    # The projector commits every 2,000 records (projections/projector.h), so
    # an episode needs more than that for a kill to leave a partial prefix.
    parser.add_argument("--episodes", type=int, default=8, help="projector: append+kill episodes")
    parser.add_argument("--initial", type=int, default=6000, help="projector: first commands")
    parser.add_argument("--min-chunk", type=int, default=2500)
    parser.add_argument("--max-chunk", type=int, default=5000)
    parser.add_argument("--races", type=int, default=5, help="fence: writer races")
    parser.add_argument("--writer-id", help="Kafka: the --writer-id of every writer "
                        "(default: unique to this run)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = int.from_bytes(os.urandom(4), "big")
    if args.mode == "fence":
        args.backend = "kafka"
    say(f"crash_test {args.mode} ({args.backend}): seed {args.seed} "
        f"(replay with --seed {args.seed})")
    rng = random.Random(args.seed)
    if not os.access(args.careledger, os.X_OK):
        say(f"FAIL: {args.careledger} is not an executable")
        return 1
    bootstrap, topic, writer_id = None, None, None
    if args.backend == "kafka":
        # Kafka's transactional.id is careledger-writer-<writer id>, whatever
        # the topic, so two ledgers on one broker with the same writer id fence
        # each other: give each run its own (A and B in `fence` share it).
        writer_id = args.writer_id or f"crash-{args.mode}-{args.seed}-{os.getpid()}"
        bootstrap = os.environ.get("CARELEDGER_KAFKA_BOOTSTRAP")
        if not bootstrap:
            say("FAIL: CARELEDGER_KAFKA_BOOTSTRAP is not set; start the broker with "
                "`export CARELEDGER_KAFKA_BOOTSTRAP=$(deploy/kafka/kafka.sh start)`")
            return 1
        topic = f"careledger.crash.{args.mode}.{args.seed}.{os.getpid()}"
    work = tempfile.mkdtemp(prefix=f"careledger-crash-{args.mode}-")
    ledger = Ledger(os.path.abspath(args.careledger), os.path.join(work, "data"), args.backend,
                    bootstrap, topic, writer_id)
    started = time.monotonic()
    modes = {"writer": mode_writer, "projector": mode_projector, "fence": mode_fence,
             "tamper": mode_tamper}
    try:
        modes[args.mode](args, work, ledger, rng)
    except TestFailure as failure:
        say(f"FAIL ({args.mode}, {args.backend}, seed {args.seed}): {failure}")
        say(f"  work directory kept: {work}")
        return 1
    except verify_export.UsageError as error:
        say(f"FAIL ({args.mode}): verify_export could not read its input: {error}")
        say(f"  work directory kept: {work}")
        return 1
    except Exception:  # a bug here, or output careledger no longer gives
        say(f"FAIL ({args.mode}, {args.backend}, seed {args.seed}): unexpected error:\n"
            f"{traceback.format_exc()}")
        say(f"  work directory kept: {work}")
        return 1
    say(f"{args.mode}: {time.monotonic() - started:.1f} s in all")
    if args.keep:
        say(f"  work directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
