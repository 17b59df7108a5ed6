"""Mode `writer`: rounds of `careledger --json submit` (reading `-` or
/dev/stdin), each SIGKILLed after a random delay while it works, with
`careledger checkpoint` runs (also killed) in between; unacknowledged commands
are sent again (same command ids) in the next round, and a final clean run
sends what was never acknowledged. Rounds go on until --kills of them were
killed, a fifth of those mid-stream (some but not all of their commands
acknowledged), or until --time-bound seconds have passed.

Contract of run(): returns (after printing its figures) only when the log
verifies (careledger verify and verify_export.py, agreeing), every acknowledged
command is in the log exactly once at its acknowledged position, no command
twice, exactly the issued commands, each stream in submission order, each
command left the event it should (a read or a refusal: one access record on
the writer's access stream; a refusal never a plan event), every deliberate
refusal was answered REJECTED (retries too), and --kills rounds were killed,
a fifth of them mid-stream, within the time bound; raises TestFailure if not. The workload
registers its actors in the directory first, in the same crashed stream.
"""

import collections
import os
import time

from harness import (PARTITIONS, Episodes, Estimate, KilledOrDone, SubmitRun, parse_answer,
                     require, say, submit_exit)
from log_checks import check_log_against, export_and_verify
from workload import Workload


def run(args, work, ledger, rng):
    ledger.run("init")
    # The directory entries of its actors come first in the stream, so they
    # are crashed and retried like everything else.
    workload = Workload(f"w{args.seed}", args.patients, access_stream=ledger.access_stream)
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
    mid_stream_name = "killed mid-stream (some but not all acknowledged)"
    needed_mid_stream = max(1, args.kills // 5)
    # Whether a kill lands while the writer works is a matter of timing: on a
    # busy machine more rounds end before their kill, so rounds go on until
    # enough were killed, within the time bound.
    rounds = Episodes(args.kills, args.time_bound,
                      lambda: figures["rounds killed"] >= args.kills and
                      figures[mid_stream_name] >= needed_mid_stream)
    say(f"writer: rounds until {args.kills} kills ({needed_mid_stream} mid-stream), at most "
        f"{args.time_bound:.0f} s, against {ledger.describe}, {args.patients} patients")
    started = time.monotonic()
    for round_number in rounds:
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
            require(run.proc.returncode == submit_exit(batch) and len(answers) == len(batch),
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
            if command.refusal:
                figures["refusals answered REJECTED"] += 1
                if command.command_id in written_before:
                    figures["refusals re-sent after a kill, answered REJECTED again"] += 1
        written_before.update(command.command_id for command in batch[:run.written])
        pending = batch[len(answers):]
        figures["commands sent"] += run.written
        figures["acknowledged"] += len(answers)
        figures["rounds"] += 1
        figures["rounds killed"] += killed
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
    require(final.proc.returncode == submit_exit(pending) and len(answers) == len(pending),
            f"final run: exit {final.proc.returncode}, {len(answers)} answers for "
            f"{len(pending)} commands: {answers[-1:]} {final.stderr_tail()}")
    for command, answer in zip(pending, answers):
        ack = parse_answer(command, answer, "final")
        if ack.outcome == "OUTCOME_DUPLICATE":
            require(command.command_id in written_before,
                    f"command {command.command_id} answered DUPLICATE the first time it was sent")
            figures["durable but unacknowledged, answered DUPLICATE later"] += 1
        acked[command.command_id] = ack
        if command.refusal:
            figures["refusals answered REJECTED"] += 1
            if command.command_id in written_before:
                figures["refusals re-sent after a kill, answered REJECTED again"] += 1
    figures["final run: re-sent never-acknowledged commands"] = len(pending)
    submit_seconds = time.monotonic() - started

    report, command_ids = export_and_verify(ledger, work, "writer")
    check_log_against(report, command_ids, acked, workload, "writer")
    kinds = collections.Counter(command.body for command in workload.issued)
    require(report.checkpoints >= figures["checkpoint runs completed"] * PARTITIONS,
            f"{figures['checkpoint runs completed']} checkpoint runs completed but the log "
            f"holds only {report.checkpoints} checkpoints")
    rounds.require_enough(f"only {figures['rounds killed']} of {args.kills} kills, "
                          f"{figures[mid_stream_name]} of {needed_mid_stream} mid-stream,")
    say(f"writer: OK in {submit_seconds:.1f} s of rounds; seed {args.seed}")
    # The campaign's figures (issue 9), counted from the log read back.
    # A refusal past the rate limit is on the log as a count in a
    # refusals_suppressed summary, not by its id (check_log_against checks the
    # summaries count every one of them).
    in_log = collections.Counter(command_ids)
    counted = {command_id for command_id, ack in acked.items()
               if ack.outcome == "OUTCOME_REJECTED" and ack.seq == 0}
    summarised = sum(event.suppressed for event in report.events)
    lost = sum(1 for command_id in acked if in_log[command_id] == 0 and command_id not in counted)
    lost += max(0, len(counted) - summarised)
    say(f"  campaign: {figures['rounds killed']} kills, {len(acked)} acknowledged "
        f"({len(counted)} of them refusals counted into summaries that count {summarised}), "
        f"{lost} lost, {sum(1 for n in in_log.values() if n > 1)} duplicated")
    for name in ("rounds", "rounds killed", "rounds reading -", "rounds reading /dev/stdin",
                 "commands sent", "acknowledged",
                 "killed mid-stream (some but not all acknowledged)",
                 "killed before the first acknowledgement",
                 "killed after acknowledging all it was sent",
                 "rounds that finished before the kill",
                 "durable but unacknowledged, answered DUPLICATE later",
                 "final run: re-sent never-acknowledged commands",
                 "checkpoint runs completed", "checkpoint runs killed",
                 "refusals answered REJECTED",
                 "refusals re-sent after a kill, answered REJECTED again"):
        say(f"  {name}: {figures[name]}")
    say(f"  issued by kind: {dict(sorted(kinds.items()))} "
        f"({sum(1 for c in workload.issued if c.refusal)} deliberate refusals)")
    say(f"  issued commands: {len(workload.issued)}; log records: {report.records} "
        f"({report.checkpoints} checkpoints, {report.streams} streams)")
    say("  checked: careledger verify and verify_export.py pass and agree on every partition's "
        "running hash; every acknowledged command is in the log exactly once at its "
        "acknowledged stream, seq, partition and offset; no command twice; exactly the issued "
        "commands; each stream holds its commands in submission order; each command left the "
        "expected event (reads and refusals one access record, refusals no plan event) and "
        "every refusal was answered REJECTED, on retries too")
