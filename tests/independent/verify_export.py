#!/usr/bin/python3
"""An independent verifier of a careledger log export (DESIGN §3).

It shares no code with careledger's C++ verifier: only the .proto schema, which
it compiles with `protoc --python_out` into a temporary directory at run time,
and the contract written in DESIGN §3 and events/partition_digest.h.

Input: `careledger log export --out EXPORT` (JSON Lines: partition, offset,
key, key_base64, value_base64) and `careledger keys export --out KEYRING`
(careledger.v1.Keyring in the protobuf JSON mapping).

For every record of each partition, in offset order, it checks:
  - offsets strictly increase within the partition (no duplicated or reordered
    record; gaps are allowed: Kafka's transaction markers take offsets);
  - the value parses as SignedEvent and its `event` as Event, with the
    envelope's required fields present;
  - the record key is the event's stream_id;
  - the stream lives in partition (murmur2(key) & 0x7fffffff) % partitions,
    murmur2 being the Java client's (self-tested against Kafka's vectors);
  - the signature is Ed25519 over b"careledger.v1.event\\0" + event bytes by
    the key named key_id, and that key was valid at recorded_at
    (valid_from <= t < valid_until; no valid_until = open-ended);
  - stream_seq runs 1, 2, 3, ... per stream and prev_hash is SHA-256 of the
    stream's previous record value (32 zero bytes at seq 1);
  - a checkpoint states exactly the partition's running digest up to the
    record it names (last_offset, before the checkpoint and not before the
    previous checkpoint's; on a log with one appender, the record just
    before it):
    running(0) = 32 zero bytes,
    running(i) = SHA-256(running(i-1) || offset_i (8 bytes big-endian) || SHA-256(value_i));
  - event ids are unique across the log.
The first bad record of a partition stops that partition (nothing after it is
trusted); every partition is reported.

Exit status: 0 the export verifies, 1 it does not, 2 bad usage or unreadable
input (keyring, schema, export file).

Used as a module by tests/crash/crash_test.py: verify_files() returns a Report.
"""

import argparse
import base64
import hashlib
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass, field

SIGNATURE_CONTEXT = b"careledger.v1.event\x00"
ZERO_HASH = bytes(32)
DEFAULT_PARTITIONS = 4
DEFAULT_PROTO_DIR = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto"))


class UsageError(Exception):
    """Input that cannot be checked at all (exit 2), as opposed to a failure."""


# --- Kafka's murmur2 partitioner ------------------------------------------------

def _int32(value):
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def murmur2(data: bytes) -> int:
    """org.apache.kafka.common.utils.Utils.murmur2: a signed 32-bit result."""
    length = len(data)
    m = 0x5BD1E995
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    full = length & ~3
    for i in range(0, full, 4):
        k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> 24  # Java's >>> on a 32-bit int
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    tail = length & 3
    if tail == 3:
        h ^= data[full + 2] << 16
    if tail >= 2:
        h ^= data[full + 1] << 8
    if tail >= 1:
        h ^= data[full]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return _int32(h)


def partition_for_key(key: bytes, partition_count: int) -> int:
    """The Java client's default partitioner for a keyed record."""
    return (murmur2(key) & 0x7FFFFFFF) % partition_count


# From Kafka's UtilsTest.testMurmur2.
MURMUR2_VECTORS = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


def self_test():
    """Raises AssertionError unless murmur2 reproduces Kafka's test vectors."""
    for data, expected in MURMUR2_VECTORS.items():
        got = murmur2(data)
        if got != expected:
            raise AssertionError(f"murmur2({data!r}) = {got}, Kafka says {expected}")


# --- The schema, compiled at run time -------------------------------------------

_PROTOS = {}


def load_schema(proto_dir=DEFAULT_PROTO_DIR):
    """Compiles proto_dir/careledger/v1/*.proto with protoc into a temporary
    directory, imports the generated modules and removes the directory.
    Returns {"envelope": module, "keyring": module}."""
    key = os.path.abspath(proto_dir)
    if key in _PROTOS:
        return _PROTOS[key]
    schema_dir = os.path.join(proto_dir, "careledger", "v1")
    if not os.path.isdir(schema_dir):
        raise UsageError(f"no schema at {schema_dir}")
    protos = sorted(os.path.join("careledger", "v1", name) for name in os.listdir(schema_dir)
                    if name.endswith(".proto"))
    out_dir = tempfile.mkdtemp(prefix="careledger-pb2-")
    try:
        command = ["protoc", f"--proto_path={proto_dir}", f"--python_out={out_dir}"]
        if os.path.isfile("/usr/include/google/protobuf/timestamp.proto"):
            command.append("--proto_path=/usr/include")
        completed = subprocess.run(command + protos, capture_output=True, text=True)
        if completed.returncode != 0:
            raise UsageError(f"protoc failed: {completed.stderr.strip()}")
        sys.path.insert(0, out_dir)
        try:
            modules = {
                "envelope": importlib.import_module("careledger.v1.envelope_pb2"),
                "keyring": importlib.import_module("careledger.v1.keyring_pb2"),
                "commands": importlib.import_module("careledger.v1.commands_pb2"),
            }
        finally:
            sys.path.remove(out_dir)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    _PROTOS[key] = modules
    return modules


# --- The keyring ----------------------------------------------------------------

def _nanos(timestamp) -> int:
    return timestamp.seconds * 1_000_000_000 + timestamp.nanos


@dataclass
class KeyEntry:
    key_id: str
    public_key: object  # cryptography Ed25519PublicKey
    valid_from_ns: int
    valid_until_ns: object  # int, or None when open-ended


class Keyring:
    def __init__(self, entries):
        self.entries = entries  # key_id -> KeyEntry

    @staticmethod
    def parse(text, schema):
        from google.protobuf import json_format
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        message = schema["keyring"].Keyring()
        try:
            json_format.Parse(text, message)
        except json_format.ParseError as error:
            raise UsageError(f"the keyring is not a careledger.v1.Keyring: {error}") from None
        entries = {}
        for entry in message.keys:
            if not entry.key_id:
                raise UsageError("a keyring entry has no key_id")
            if entry.key_id in entries:
                raise UsageError(f"key id {entry.key_id} is listed twice in the keyring")
            if entry.algorithm != "ed25519":
                raise UsageError(f"key {entry.key_id}: algorithm {entry.algorithm!r}, "
                                 "expected 'ed25519'")
            if len(entry.public_key) != 32:
                raise UsageError(f"key {entry.key_id}: public key of {len(entry.public_key)} "
                                 "bytes, expected 32")
            if not entry.HasField("valid_from"):
                raise UsageError(f"key {entry.key_id} has no valid_from")
            entries[entry.key_id] = KeyEntry(
                key_id=entry.key_id,
                public_key=Ed25519PublicKey.from_public_bytes(bytes(entry.public_key)),
                valid_from_ns=_nanos(entry.valid_from),
                valid_until_ns=_nanos(entry.valid_until) if entry.HasField("valid_until")
                else None)
        return Keyring(entries)

    def check(self, key_id, recorded_at_ns, signed_bytes, signature):
        """None when the signature is good, else the reason it is not."""
        from cryptography.exceptions import InvalidSignature
        entry = self.entries.get(key_id)
        if entry is None:
            return f"signed by key {key_id!r}, which is not in the keyring"
        if recorded_at_ns < entry.valid_from_ns or (
                entry.valid_until_ns is not None and recorded_at_ns >= entry.valid_until_ns):
            return (f"key {key_id} was not valid at the event's recorded time "
                    f"{recorded_at_ns} ns (window [{entry.valid_from_ns}, "
                    f"{entry.valid_until_ns if entry.valid_until_ns is not None else 'open'}))")
        try:
            entry.public_key.verify(signature, signed_bytes)
        except InvalidSignature:
            return f"bad Ed25519 signature for key {key_id}"
        return None


# --- The export -----------------------------------------------------------------

@dataclass
class ExportRecord:
    line: int
    partition: int
    offset: int
    key: bytes
    value: bytes
    key_text: str  # the export's "key" field, which must agree with key_base64


def read_export(path):
    """Returns the records in file order. Raises UsageError on a line that is
    not an export record at all."""
    records = []
    with open(path, "r", encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                records.append(ExportRecord(
                    line=number,
                    partition=int(item["partition"]),
                    offset=int(item["offset"]),
                    key=base64.b64decode(item["key_base64"], validate=True),
                    value=base64.b64decode(item["value_base64"], validate=True),
                    key_text=item.get("key", "")))
            except (ValueError, KeyError, TypeError) as error:
                raise UsageError(f"{path}:{number}: not an export record: {error}") from None
    return records


# --- Verification ---------------------------------------------------------------

@dataclass
class Failure:
    partition: int
    offset: int
    stream: str
    reason: str

    def describe(self):
        return (f"partition {self.partition} offset {self.offset} stream "
                f"{self.stream or '?'}: {self.reason}")


@dataclass
class EventInfo:
    """One verified record, for callers that compare the log with what they sent."""
    partition: int
    offset: int
    stream: str
    seq: int
    event_id: str
    command_id: str
    body: str
    # For a `refusals_suppressed` access record: how many refusals it counts.
    suppressed: int = 0


def _genesis_problem(event, body, partition, partition_count, first):
    """docs/envelope.md rule 5: a partition opens with its genesis, stating
    this partition and the log's partition count; no genesis elsewhere."""
    if first and body != "log_genesis":
        return "genesis_mismatch: the partition does not begin with its genesis"
    if not first and body == "log_genesis":
        return "genesis_mismatch: a genesis after the partition's first record"
    if body == "log_genesis" and (event.log_genesis.partition != partition or
                                  event.log_genesis.partition_count != partition_count):
        return (f"genesis_mismatch: the genesis states partition {event.log_genesis.partition} "
                f"of {event.log_genesis.partition_count}")
    return None


# docs/envelope.md, "Sealed bodies": the plan events (fields 20-39) that a
# patient stream may carry sealed, and per body the fields that must be
# cleared from the clear body of a sealed event (dotted paths; a section
# value's content is checked separately).
SEALED_CLEARED = {
    "plan_started": ["consent.justification", "consent.discussion", "consent.obtained_on",
                     "consent.consented_by"],
    "plan_section_updated": [],
    "plan_approved": [],
    "plan_submitted": ["note"],
    "draft_discarded": ["reason"],
    "plan_reviewed": ["note"],
    "death_recorded": ["died_on", "place"],
    "consent_withdrawn": ["note"],
    "restriction_set": ["reason"],
    "restriction_lifted": ["reason"],
    "urgent_care_note_added": ["text"],
    "patient_request_made": ["text"],
    "patient_request_resolved": ["note"],
}
SEALED_VERSION = 2
GCM_NONCE_BYTES = 12
GCM_TAG_BYTES = 16


def _is_set(message, path):
    """True when the dotted field path is set (non-default) in `message`."""
    *parents, name = path.split(".")
    for parent in parents:
        if not message.HasField(parent):
            return False
        message = getattr(message, parent)
    descriptor = message.DESCRIPTOR.fields_by_name[name]
    if descriptor.message_type is not None:
        return message.HasField(name)
    return getattr(message, name) != descriptor.default_value


def _sealed_problem(event, body):
    """docs/envelope.md rule 6: a sealed body only on a plan event of a
    patient stream (never on patient_erased), version 2, a 12-byte nonce, a
    ciphertext of at least the 16-byte tag, and a clear body reduced to what
    stays in clear. Returns None when good (or not sealed)."""
    if not event.HasField("sealed_body"):
        return None
    sealed = event.sealed_body
    if body not in SEALED_CLEARED or not event.stream_id.startswith("patient/"):
        return f"malformed: a sealed body on a {body} event of stream {event.stream_id}"
    if sealed.version != SEALED_VERSION:
        return f"malformed: sealed body version {sealed.version}, expected {SEALED_VERSION}"
    if len(sealed.nonce) != GCM_NONCE_BYTES or len(sealed.ciphertext) < GCM_TAG_BYTES:
        return (f"malformed: sealed body nonce of {len(sealed.nonce)} bytes or ciphertext of "
                f"{len(sealed.ciphertext)} bytes")
    clear = getattr(event, body)
    for path in SEALED_CLEARED[body]:
        if _is_set(clear, path):
            return f"malformed: the clear body of a sealed {body} still holds {path}"
    if body == "plan_section_updated":
        for which in ("previous", "value"):
            if not clear.HasField(which):
                continue
            section = getattr(clear, which)
            name = section.WhichOneof("section")
            if name is not None and getattr(section, name).ByteSize() != 0:
                return f"malformed: the clear {which} section {name} of a sealed event has content"
    return None


def _suppressed_count(event, body):
    """The count a `refusals_suppressed` access record states, else 0."""
    if body != "access_recorded" or event.access_recorded.action != "refusals_suppressed":
        return 0
    match = re.match(r"^([0-9]+) further refusals", event.access_recorded.reason)
    return int(match.group(1)) if match else 0


@dataclass
class PartitionDigest:
    running: bytes = ZERO_HASH
    last_offset: int = -1
    record_count: int = 0
    covered_offset: int = -1  # the previous checkpoint's last_offset
    # (last_offset, record_count, running) at the covered prefix and at every
    # record since, for the next checkpoint to name one of them.
    since_covered: list = field(default_factory=lambda: [(-1, 0, ZERO_HASH)])

    def add(self, offset, value):
        self.running = hashlib.sha256(
            self.running + offset.to_bytes(8, "big", signed=True) +
            hashlib.sha256(value).digest()).digest()
        self.last_offset = offset
        self.record_count += 1
        self.since_covered.append((self.last_offset, self.record_count, self.running))

    def at(self, offset):
        """(last_offset, record_count, running) at `offset`, or None."""
        for state in self.since_covered:
            if state[0] == offset:
                return state
        return None

    def cover(self, offset):
        """A checkpoint covered up to `offset`: forget what came before it."""
        self.covered_offset = offset
        self.since_covered = [s for s in self.since_covered if s[0] >= offset]


@dataclass
class Report:
    partition_count: int
    records: int = 0
    checkpoints: int = 0
    sealed: int = 0  # records whose plan body is sealed (envelope version 2)
    erasures: int = 0  # patient_erased events
    streams: int = 0
    digests: dict = field(default_factory=dict)   # partition -> PartitionDigest
    failures: list = field(default_factory=list)  # first Failure per stopped partition
    events: list = field(default_factory=list)    # EventInfo of every verified record

    @property
    def ok(self):
        return not self.failures

    def command_ids(self):
        """command_id of every verified event that has one (checkpoints have none)."""
        return [event.command_id for event in self.events if event.command_id]


@dataclass
class _StreamHead:
    seq: int
    value_hash: bytes
    partition: int


def _parse(message_class, data):
    """(message, None) when `data` is one whole, well-formed message, else
    (None, why). Strict: some protobuf runtimes only warn, and stop early,
    on an end-group tag; that is malformed here."""
    from google.protobuf.message import DecodeError
    message = message_class()
    try:
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            consumed = message.MergeFromString(data)
    except (DecodeError, ValueError) as error:
        return None, str(error) or type(error).__name__
    if warned:
        return None, str(warned[0].message)
    if consumed is not None and consumed != len(data):
        return None, f"only {consumed} of {len(data)} bytes parse"
    return message, None


def _check_record(record, schema, keyring, partition_count, heads, event_ids, digest):
    """Returns (stream, reason, event) for the record; reason None when good."""
    stream = record.key.decode("utf-8", errors="replace")
    try:
        key_text = record.key.decode("utf-8")
    except UnicodeDecodeError:
        return stream, "the record key is not UTF-8", None
    if record.key_text != key_text:
        return stream, (f"the export's key {record.key_text!r} and key_base64 "
                        f"{key_text!r} disagree"), None

    envelope = schema["envelope"]
    signed, error = _parse(envelope.SignedEvent, record.value)
    if error:
        return stream, f"the value is not a SignedEvent: {error}", None
    if not signed.event or not signed.key_id or not signed.signature:
        return stream, "the SignedEvent lacks its event, key_id or signature", None
    event, error = _parse(envelope.Event, signed.event)
    if error:
        return stream, f"the signed event bytes are not an Event: {error}", None
    if not event.event_id or not event.stream_id or not event.HasField("recorded_at"):
        return stream, "the event lacks its event_id, stream_id or recorded_at", None
    if event.WhichOneof("body") is None:
        return stream, "the event has no body", None
    if len(event.prev_hash) != 32:
        return stream, f"prev_hash is {len(event.prev_hash)} bytes, expected 32", None

    if event.stream_id != key_text:
        return stream, (f"record key {key_text!r} is not the event's stream_id "
                        f"{event.stream_id!r}"), None
    expected_partition = partition_for_key(record.key, partition_count)
    if record.partition != expected_partition:
        return stream, (f"stream belongs in partition {expected_partition} of "
                        f"{partition_count} (murmur2), found in {record.partition}"), None

    problem = keyring.check(signed.key_id, _nanos(event.recorded_at),
                            SIGNATURE_CONTEXT + bytes(signed.event), bytes(signed.signature))
    if problem:
        return stream, problem, None

    sealed_problem = _sealed_problem(event, event.WhichOneof("body"))
    if sealed_problem:
        return stream, sealed_problem, None

    if event.event_id in event_ids:
        first = event_ids[event.event_id]
        return stream, (f"event_id {event.event_id} already used at partition {first[0]} "
                        f"offset {first[1]}"), None

    head = heads.get(stream)
    expected_seq = 1 if head is None else head.seq + 1
    if event.stream_seq != expected_seq:
        what = "duplicate or rewound" if event.stream_seq < expected_seq else "gap"
        return stream, (f"stream_seq {event.stream_seq}, expected {expected_seq} "
                        f"({what})"), None
    expected_prev = ZERO_HASH if head is None else head.value_hash
    if bytes(event.prev_hash) != expected_prev:
        return stream, (f"prev_hash {bytes(event.prev_hash).hex()} is not SHA-256 of the "
                        f"stream's previous value {expected_prev.hex()} (chain break)"), None

    if event.WhichOneof("body") == "checkpoint":
        checkpoint = event.checkpoint
        stated = (checkpoint.partition, checkpoint.last_offset, checkpoint.record_count,
                  bytes(checkpoint.running_hash))
        # A checkpoint covers an explicit prefix: a record before it and not
        # before the previous checkpoint's prefix (other appenders' records
        # may lie in between).
        if checkpoint.last_offset >= record.offset:
            return stream, (f"checkpoint mismatch: covers up to offset "
                            f"{checkpoint.last_offset}, past itself"), None
        if checkpoint.last_offset < digest.covered_offset:
            return stream, (f"checkpoint mismatch: covers up to offset "
                            f"{checkpoint.last_offset}, before the previous checkpoint's "
                            f"{digest.covered_offset} (backwards)"), None
        at = digest.at(checkpoint.last_offset)
        if at is None:
            return stream, (f"checkpoint mismatch: covers up to offset "
                            f"{checkpoint.last_offset}, where the partition holds no "
                            "record"), None
        actual = (record.partition,) + at
        if stated == actual:
            digest.cover(checkpoint.last_offset)
        else:
            return stream, (
                "checkpoint mismatch: states partition {}, last_offset {}, record_count {}, "
                "running_hash {}; the records before it give partition {}, last_offset {}, "
                "record_count {}, running_hash {}".format(
                    stated[0], stated[1], stated[2], stated[3].hex(),
                    actual[0], actual[1], actual[2], actual[3].hex())), None
    return stream, None, event


def verify_records(records, keyring, schema, partition_count=DEFAULT_PARTITIONS):
    """Verifies export records (in file order) and returns a Report."""
    report = Report(partition_count=partition_count)
    by_partition = {}
    for record in records:
        by_partition.setdefault(record.partition, []).append(record)
    heads = {}      # stream -> _StreamHead
    event_ids = {}  # event_id -> (partition, offset)
    for partition in sorted(by_partition):
        digest = PartitionDigest()
        report.digests[partition] = digest
        if partition < 0 or partition >= partition_count:
            first = by_partition[partition][0]
            report.failures.append(Failure(
                partition, first.offset, first.key.decode("utf-8", "replace"),
                f"partition {partition} does not exist in a log of {partition_count}"))
            continue
        previous_offset = None
        for record in by_partition[partition]:
            if previous_offset is not None and record.offset <= previous_offset:
                report.failures.append(Failure(
                    partition, record.offset, record.key.decode("utf-8", "replace"),
                    f"offset {record.offset} does not follow offset {previous_offset} "
                    "(a duplicated or reordered record)"))
                break
            previous_offset = record.offset
            stream, reason, event = _check_record(record, schema, keyring, partition_count,
                                                  heads, event_ids, digest)
            if reason is not None:
                report.failures.append(Failure(partition, record.offset, stream, reason))
                break
            heads[stream] = _StreamHead(event.stream_seq, hashlib.sha256(record.value).digest(),
                                        partition)
            event_ids[event.event_id] = (partition, record.offset)
            body = event.WhichOneof("body")
            genesis_problem = _genesis_problem(event, body, partition, partition_count,
                                               digest.record_count == 0)
            if genesis_problem is not None:
                report.failures.append(Failure(partition, record.offset, stream, genesis_problem))
                break
            digest.add(record.offset, record.value)
            report.records += 1
            report.checkpoints += body == "checkpoint"
            report.sealed += event.HasField("sealed_body")
            report.erasures += body == "patient_erased"
            report.events.append(EventInfo(partition, record.offset, stream, event.stream_seq,
                                           event.event_id, event.command_id, body,
                                           _suppressed_count(event, body)))
    for partition in range(partition_count):
        report.digests.setdefault(partition, PartitionDigest())
        if report.digests[partition].record_count == 0 and not any(
                failure.partition == partition for failure in report.failures):
            report.failures.append(Failure(
                partition, 0, None, "genesis_mismatch: the partition is empty: no genesis"))
    report.streams = len(heads)
    return report


def verify_files(export_path, keyring_path, partition_count=DEFAULT_PARTITIONS,
                 proto_dir=DEFAULT_PROTO_DIR):
    """Reads and verifies an export against a keyring. Raises UsageError when
    the inputs cannot be read."""
    self_test()
    schema = load_schema(proto_dir)
    try:
        with open(keyring_path, "r", encoding="utf-8") as file:
            keyring = Keyring.parse(file.read(), schema)
    except OSError as error:
        raise UsageError(f"cannot read the keyring: {error}") from None
    try:
        records = read_export(export_path)
    except OSError as error:
        raise UsageError(f"cannot read the export: {error}") from None
    return verify_records(records, keyring, schema, partition_count)


def print_report(report, export_path, out=sys.stdout):
    print(f"verify_export: {export_path}: {report.records} records verified "
          f"({report.checkpoints} checkpoints, {report.sealed} sealed, {report.erasures} "
          f"erasures, {report.streams} streams) in "
          f"{report.partition_count} partitions", file=out)
    for partition in sorted(report.digests):
        digest = report.digests[partition]
        print(f"  partition {partition}: {digest.record_count} records, last offset "
              f"{digest.last_offset}, running hash {digest.running.hex()}", file=out)
    for failure in report.failures:
        print(f"FAIL {failure.describe()}", file=out)
    if report.ok:
        print("OK: every record verifies (envelope, key, placement, Ed25519 signature and key "
              "window, stream chain, checkpoints, unique event ids)", file=out)
    else:
        print(f"FAILED: {len(report.failures)} partition(s) stopped at an untrusted record",
              file=out)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Independently verify a careledger log export against DESIGN §3.")
    parser.add_argument("export", help="JSON Lines from 'careledger log export'")
    parser.add_argument("--keyring", required=True,
                        help="careledger.v1.Keyring JSON from 'careledger keys export'")
    parser.add_argument("--partitions", type=int, default=DEFAULT_PARTITIONS,
                        help="the log's partition count (default %(default)s)")
    parser.add_argument("--proto-dir", default=DEFAULT_PROTO_DIR,
                        help="directory holding careledger/v1/*.proto (default: the repo's)")
    parser.add_argument("--command-ids-out",
                        help="write the command_id of every verified event, one per line "
                        "(checkpoints, which no command caused, have none and are left out)")
    args = parser.parse_args(argv)
    if args.partitions < 1:
        parser.error("--partitions must be at least 1")
    try:
        report = verify_files(args.export, args.keyring, args.partitions, args.proto_dir)
    except UsageError as error:
        print(f"verify_export: {error}", file=sys.stderr)
        return 2
    if args.command_ids_out:
        with open(args.command_ids_out, "w", encoding="utf-8") as out:
            for command_id in report.command_ids():
                out.write(command_id + "\n")
    print_report(report, args.export)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
