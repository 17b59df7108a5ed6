"""The tools of the tamper mode: an export taken apart into records and
parsed events (TamperLab), ways to change and re-sign them, and writing a
tampered export back out as JSON lines.

Contract: TamperLab never changes the records it was given; every method that
tampers returns new records (copies).
"""

import base64
import collections
import copy
import json

from harness import PARTITIONS, verify_export


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
        if self.events[self.by_partition[partition][0]].WhichOneof("body") == "log_genesis" and \
                self.by_partition[partition][0] in deleted:
            # Without its genesis the partition fails at its first remaining record.
            remaining = [i for i in self.by_partition[partition] if i not in deleted]
            return self.records[remaining[0]].offset if remaining else None
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
