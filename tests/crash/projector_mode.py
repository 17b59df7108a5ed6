"""Mode `projector`: `careledger project` SIGKILLed again and again while it
catches up with a growing log, appended by writers that are killed too, with a
projector running beside them.

Contract of run(): returns (after printing its figures) only when, after every
episode of kills, a completing run applied exactly the rest (nothing twice),
the killed-and-resumed projection has the fingerprint of a clean `--rebuild`
(mid-way and at the end), and some kills really left a partial, durable
prefix (episodes go on past --episodes until they did, within --time-bound);
raises TestFailure if not.
"""

import collections
import json
import os
import shutil
import threading
import time

from harness import (COMMAND_TIMEOUT, Episodes, Estimate, KilledOrDone, SubmitRun, TestFailure,
                     parse_answer, require, say, submit_exit, submit_file)
from workload import Workload


def count_records(ledger, work):
    path = os.path.join(work, "count.jsonl")
    ledger.run("log", "export", "--out", path, "--force")  # the previous count's, replaced
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
        require(writer.proc.returncode == submit_exit(commands)
                and len(answers) == len(commands),
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


def run(args, work, ledger, rng):
    ledger.run("init")
    workload = Workload(f"p{args.seed}", args.patients, access_stream=ledger.access_stream)
    projection = os.path.join(work, "projection")
    estimate = Estimate(startup=0.5 if args.backend == "kafka" else 0.05, per_unit=1 / 7000)
    figures = collections.Counter()
    started = time.monotonic()
    say(f"projector: {args.episodes} episodes (more if no kill landed mid-commit, for at most "
        f"{args.time_bound:.0f} s) against {ledger.describe}")
    applied_before = 0  # records the projection held at the end of the last episode
    partial = "episodes where the kills left a partial, durable prefix"
    # Whether a kill lands mid-commit is a matter of timing: after the planned
    # episodes, run more until both crash points were exercised, within the
    # time bound, rather than fail a run whose kills happened to land elsewhere.
    unreported = "kills before the run's report"
    episodes = Episodes(args.episodes, args.time_bound,
                        lambda: figures[partial] >= 1 and figures[unreported] >= 1)
    for episode in episodes:
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
    episodes.require_enough(f"{figures[partial]} episodes left a partial projection and "
                            f"{figures[unreported]} runs were killed "
                            "before their report (at least one each is needed)")
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
