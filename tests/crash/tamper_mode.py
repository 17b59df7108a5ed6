"""Mode `tamper`: a `careledger demo` log (grown so that every partition holds
several streams and a checkpoint with records before and after it) exported
and tampered with in many ways.

Contract of run(): returns (after printing its figures) only when
verify_export.py (as a module) fails every tampering at exactly the expected
partition and offset for the expected reason, re-signing every record
unchanged gives the same bytes, the verify_export.py program exits 1 naming
the record, and careledger verify exits 4 with a foreign keyring; raises
TestFailure if not.
"""

import base64
import collections
import copy
import hashlib
import json
import os
import subprocess

from harness import (COMMAND_TIMEOUT, PARTITIONS, PYTHON, VERIFY_EXPORT, require, say,
                     submit_file, verify_export)
from tamper_lab import TamperLab, timestamp_json, write_export
from workload import Workload, synthetic_nhs_numbers


def run(args, work, ledger, rng):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    # A demo ledger, grown so that every partition holds several streams, a
    # checkpoint with records before it and records after it.
    ledger.run("demo")
    # `careledger demo` picks random patients below stem 800,000: stay above.
    # The demo bootstrapped the directory: its CMC team member keeps it.
    workload = Workload(f"t{args.seed}", 24, first_patient=900_000,
                        access_stream=ledger.access_stream, bootstrap=False)
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
            ("stream_seq", "checkpoint mismatch", "genesis_mismatch"))
    # Cut the records just before a checkpoint (a rewritten recent past).
    for checkpoint in checkpoints[:2]:
        partition_indexes = lab.by_partition[records[checkpoint].partition]
        position = partition_indexes.index(checkpoint)
        cut = partition_indexes[max(0, position - 3):position]
        if cut:
            tampered = [r for i, r in enumerate(lab.copy()) if i not in cut]
            add(f"cut {len(cut)} records before a checkpoint", tampered,
                {records[checkpoint].partition: lab.first_witness(cut)},
                ("stream_seq", "checkpoint mismatch", "genesis_mismatch"))
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
    # Two adjacent lines of different streams after the genesis, the second not
    # a checkpoint: the second then verifies in first place and the first is
    # out of order.
    a, b = next((a, b) for p in non_empty
                for a, b in zip(lab.by_partition[p], lab.by_partition[p][1:])
                if lab.events[a].stream_id != lab.events[b].stream_id
                and not lab.is_checkpoint(b) and records[a].offset > 0)
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
