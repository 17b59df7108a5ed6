#!/usr/bin/python3
"""An independent checker of a careledger record proof (docs/proof.md), the
receipt `careledger audit proof` writes.

Like verify_export.py (whose schema loader, keyring check, murmur2 and
partition digest it reuses: they are written from DESIGN §3, not from the C++
code) it shares nothing with careledger's C++ verifier. It checks, offline:
  - the record parses as SignedEvent/Event, its key is the event's stream_id
    and the stream lives in the named partition (murmur2);
  - the record's Ed25519 signature under its key, valid at its recorded time;
  - folding the record and then each following (offset, value SHA-256) into
    the stated running digest gives exactly what the checkpoint states:
    partition, last_offset, record_count and running_hash; offsets increase
    strictly and end before the checkpoint's own offset;
  - the checkpoint's own signature, and that its body is a checkpoint.
The keys come from the proof's own keyring unless --keyring names one obtained
independently (the ledger's published keyring), which a careful checker does:
a proof's own keyring proves only that someone signed it.

Exit status: 0 the proof holds, 1 it does not (the reason printed), 2 bad
usage or an unreadable proof.

usage: check_proof.py PROOF.json [--keyring KEYRING.json]
"""
import argparse
import base64
import binascii
import hashlib
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from verify_export import (SIGNATURE_CONTEXT, Keyring, PartitionDigest, UsageError,  # noqa: E402
                           _nanos, load_schema, partition_for_key)


class ProofFailure(Exception):
    pass


def _bytes(document, field, what):
    try:
        return base64.b64decode(document[field], validate=True)
    except (KeyError, TypeError, binascii.Error):
        raise UsageError(f"{what}: no valid base64 {field}") from None


def _open(record, schema, keyring, what):
    """(Event, value bytes) of a proof's record, its signature checked."""
    from google.protobuf.message import DecodeError
    key, value = _bytes(record, "key_base64", what), _bytes(record, "value_base64", what)
    signed = schema["envelope"].SignedEvent()
    event = schema["envelope"].Event()
    try:
        signed.ParseFromString(value)
        event.ParseFromString(signed.event)
    except DecodeError:
        raise ProofFailure(f"{what}: the value is not a SignedEvent carrying an Event") from None
    if event.stream_id.encode() != key:
        raise ProofFailure(f"{what}: key {key!r} is not the event's stream {event.stream_id!r}")
    problem = keyring.check(signed.key_id, _nanos(event.recorded_at),
                            SIGNATURE_CONTEXT + signed.event, signed.signature)
    if problem:
        raise ProofFailure(f"{what}: {problem}")
    return event, value


def check(proof, schema, keyring):
    """The proven record's Event; raises ProofFailure naming what fails."""
    if proof.get("format") != "careledger.proof.v1":
        raise UsageError(f"not a careledger.proof.v1 document: {proof.get('format')!r}")
    partition, partitions = proof["partition"], proof["partitions"]
    record, checkpoint = proof["record"], proof["checkpoint"]
    event, value = _open(record, schema, keyring, "the record")
    if partition_for_key(event.stream_id.encode(), partitions) != partition:
        raise ProofFailure(f"stream {event.stream_id!r} does not live in partition {partition} "
                           f"of {partitions}")
    digest = PartitionDigest()
    digest.running = bytes.fromhex(proof["before"]["running_hash"])
    digest.record_count = int(proof["before"]["record_count"])
    digest.last_offset = int(proof["before"]["last_offset"])
    offset = int(record["offset"])
    if offset <= digest.last_offset:
        raise ProofFailure("the record's offset is not after the stated digest's")
    digest.add(offset, value)
    for following in proof["following"]:
        at = int(following["offset"])
        if at <= digest.last_offset:
            raise ProofFailure(f"offset {at} does not increase")
        # PartitionDigest.add hashes a value; here only its hash is given.
        digest.running = hashlib.sha256(digest.running + at.to_bytes(8, "big", signed=True) +
                                        bytes.fromhex(following["value_sha256"])).digest()
        digest.last_offset, digest.record_count = at, digest.record_count + 1
    checkpoint_event, _ = _open(checkpoint, schema, keyring, "the checkpoint")
    if not checkpoint_event.HasField("checkpoint"):
        raise ProofFailure("the closing record is not a checkpoint")
    stated = checkpoint_event.checkpoint
    if int(checkpoint["offset"]) <= digest.last_offset:
        raise ProofFailure("the checkpoint is not after the records it covers")
    if (stated.partition, stated.last_offset, stated.record_count, bytes(stated.running_hash)) != (
            partition, digest.last_offset, digest.record_count, digest.running):
        raise ProofFailure(
            f"the checkpoint states partition {stated.partition}, {stated.record_count} records "
            f"up to offset {stated.last_offset}, hash {bytes(stated.running_hash).hex()}; the "
            f"proof folds to partition {partition}, {digest.record_count} records up to offset "
            f"{digest.last_offset}, hash {digest.running.hex()}")
    return event


def describe(event, schema):
    from google.protobuf import json_format
    return json_format.MessageToJson(event, indent=None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("proof")
    parser.add_argument("--keyring", help="an independently obtained keyring (JSON)")
    args = parser.parse_args()
    try:
        schema = load_schema()
        with open(args.proof, encoding="utf-8") as f:
            proof = json.load(f)
        if args.keyring:
            with open(args.keyring, encoding="utf-8") as f:
                keyring = Keyring.parse(f.read(), schema)
        else:
            keyring = Keyring.parse(json.dumps(proof["keyring"]), schema)
        event = check(proof, schema, keyring)
    except (UsageError, OSError, ValueError, KeyError, TypeError) as error:
        print(f"unreadable proof: {type(error).__name__}: {error}")
        return 2
    except ProofFailure as failure:
        print(f"FAIL: {failure}")
        return 1
    print(f"OK: partition {proof['partition']} offset {proof['record']['offset']} is in the log "
          f"covered by the signed checkpoint at offset {proof['checkpoint']['offset']}:")
    print(describe(event, schema))
    return 0


if __name__ == "__main__":
    sys.exit(main())
