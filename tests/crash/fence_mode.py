"""Mode `fence` (Kafka only): a second writer with the same --writer-id fences
the first, both when the first is idle and (--races times) while it appends.

Contract of run(): returns (after printing its figures) only when each time
the first writer's next append fails saying "fenced", the second succeeds, the
log verifies (both verifiers), no (stream, seq) is used twice, every
acknowledged command is in the log once at its acknowledged position and the
command sent to the fenced writer is not; raises TestFailure if not.
"""

import collections
import json
import os
import time

from harness import SubmitRun, is_command_answer, parse_answer, require, say, submit_file
from log_checks import export_and_verify
from workload import Workload


def run(args, work, ledger, rng):
    require(args.backend == "kafka", "fence needs --backend kafka")
    ledger.run("init")
    # Section updates only: writers A and B interleave them in any order, once
    # the directory entries of the actors and the plans are in place.
    workload = Workload(f"f{args.seed}", 12, approvals=False, access_stream=ledger.access_stream)
    setup = workload.take(workload.setup_count)
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
        if not is_command_answer(answer):
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
            if not is_command_answer(answer):
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
