"""The log, read back and checked: careledger verify against the independent
verifier (tests/independent/verify_export.py), and the log against what was
issued and acknowledged.

Contract: each function returns only when every check holds, and raises
TestFailure naming the first one that does not.
"""

import collections
import json
import os
import subprocess

from harness import (COMMAND_TIMEOUT, PARTITIONS, PYTHON, VERIFY_EXPORT, require,
                     verify_export)


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
    # --force: a label checked again replaces its earlier export.
    ledger.run("log", "export", "--out", export, "--force")
    ledger.run("keys", "export", "--out", keyring, "--force")
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
    # Refusals past the rate limit (ledger/refusal_limiter.h) have no record
    # of their own: answered REJECTED without a position, only after a
    # `refusals_suppressed` summary counting them was on the log. The log's
    # summaries must count at least every one that was answered so.
    counted = {ack.command_id for ack in acked.values()
               if ack.outcome == "OUTCOME_REJECTED" and ack.seq == 0}
    summarised = sum(event.suppressed for event in report.events)
    require(len(counted) <= summarised,
            f"LOST: {len(counted)} refusals were answered as counted, but the log's summaries "
            f"count only {summarised}")
    for ack in acked.values():
        if ack.command_id in counted:
            continue
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
    missing = sorted(issued - set(events) - counted)
    extra = sorted(set(events) - issued)
    require(not missing, f"{label}: {len(missing)} issued commands are not in the log after "
            f"the final run, e.g. {missing[:5]}")
    require(not extra, f"{label}: the log holds commands nobody sent, e.g. {extra[:5]}")
    # What each left: its own event (a plan or directory event), or for a read
    # or a refusal one access record on the access stream, never a plan event.
    for command in workload.issued:
        if command.command_id in counted:
            require(command.refusal, f"{label}: command {command.command_id} was answered as a "
                    "counted refusal but was not sent to be refused")
            continue
        event = events[command.command_id]
        require((event.body, event.stream) == (command.body, command.stream),
                f"{label}: command {command.command_id} left a {event.body} on {event.stream}, "
                f"expected a {command.body} on {command.stream}"
                + (" (a refused command must leave only its access record)"
                   if command.refusal else ""))
    check_refusals(report, acked, workload, label)
    by_stream = collections.defaultdict(list)
    for event in sorted(report.events, key=lambda e: (e.stream, e.seq)):
        if event.command_id:
            by_stream[event.stream].append(event.command_id)
    for stream, sent in workload.by_stream.items():
        expected = [command_id for command_id in sent if command_id not in counted]
        require(by_stream.get(stream, []) == expected,
                f"stream {stream} holds {by_stream.get(stream)[:8] if by_stream.get(stream) else None}"
                f"... but its commands were sent in the order {expected[:8]}...")


def check_refusals(report, acked, workload, label):
    """Every deliberate refusal was acknowledged REJECTED at the position of
    its one access record (acknowledged positions are checked against the log
    by check_log_against), and refusals appended nothing to a patient's
    stream: each patient stream holds exactly its accepted commands."""
    refused = [command for command in workload.issued if command.refusal]
    for command in refused:
        ack = acked.get(command.command_id)
        require(ack is not None and ack.outcome == "OUTCOME_REJECTED",
                f"{label}: refusal {command.command_id} was acknowledged as "
                f"{ack.outcome if ack else 'nothing'}")
    per_stream = collections.Counter(event.stream for event in report.events)
    for stream, command_ids in workload.by_stream.items():
        if stream.startswith("patient/"):
            require(per_stream[stream] == len(command_ids),
                    f"{label}: {stream} holds {per_stream[stream]} records for "
                    f"{len(command_ids)} accepted commands")
