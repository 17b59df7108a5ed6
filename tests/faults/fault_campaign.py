#!/usr/bin/env python3
"""The storage fault campaign (issue "Evidence that survives a faulty disk"):
real careledger processes, real files, real RocksDB tools.

It builds one ledger (two demo runs, a projection, a signed checkpoint and
records after it), then for each fault takes a fresh copy of that data
directory, does the damage, and checks the written-down expected outcome:

  DETECTED   `careledger verify` exits 4 and names the damage (its position,
             or what is missing), and a writing command (`careledger
             checkpoint`, which opens the writer) exits 4 and changes nothing
             (no log created, the log's files as they were);
  RECOVERED  `careledger verify` exits 0 and every record of the undamaged
             ledger is still there, byte for byte (nothing acknowledged lost).

It ends with the counts tried / detected / recovered / lost. "Lost" means an
acknowledged record missing while verify said the log was intact, and must be
zero. Standard library only, plus RocksDB's `ldb` (Debian's rocksdb-tools) for
editing stored records and metadata as a careless operator would.

  fault_campaign.py --careledger build/tools/careledger
"""

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from cli_checks import FAILURES, check, summary  # noqa: E402

LDB = shutil.which("ldb")
COMMAND_TIMEOUT = 120  # seconds: a hang is a failure, not a wait


class Ledger:
    """careledger on one data directory."""

    def __init__(self, binary, data):
        self.binary, self.data = binary, data
        self.log_dir = os.path.join(data, "log")

    def run(self, *args):
        try:
            return subprocess.run([self.binary, "--data", self.data, *args], capture_output=True,
                                  text=True, timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired as expired:
            return subprocess.CompletedProcess(expired.cmd, "timeout", "", "timed out")

    def verify_json(self):
        done = self.run("--json", "verify")
        try:
            return done.returncode, json.loads(done.stdout)
        except (json.JSONDecodeError, TypeError):
            return done.returncode, {"raw": done.stdout + done.stderr}

    def export(self):
        """Every record as (partition, offset, value bytes), or None."""
        out = os.path.join(tempfile.mkdtemp(prefix="export-"), "log.jsonl")
        done = self.run("log", "export", "--out", out)
        if done.returncode != 0:
            return None
        records = []
        with open(out) as lines:
            for line in lines:
                record = json.loads(line)
                records.append((int(record["partition"]), int(record["offset"]),
                                base64.b64decode(record["value_base64"])))
        shutil.rmtree(os.path.dirname(out))
        return records


def files_state(directory):
    """name -> sha256 of every file under `directory` (None if it is gone)."""
    if not os.path.isdir(directory):
        return None
    state = {}
    for root, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            if "secondary-" in path or name == "LOG" or name.startswith("LOG.old"):
                continue  # RocksDB's own info logs and followers' scratch
            with open(path, "rb") as handle:
                state[os.path.relpath(path, directory)] = hashlib.sha256(handle.read()).hexdigest()
    return state


def stored_content(log_dir):
    """The log's records and metadata as RocksDB's ldb reads them from a copy
    (ldb's own open may rewrite RocksDB's files; the copy takes that)."""
    if not os.path.isdir(log_dir):
        return None
    scratch = tempfile.mkdtemp(prefix="content-")
    copy = os.path.join(scratch, "log")
    shutil.copytree(log_dir, copy)
    content = []
    for family in ("log", "meta"):
        done = subprocess.run([LDB, f"--db={copy}", f"--column_family={family}", "--hex", "scan"],
                              capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
        content.append((done.returncode, done.stdout))
    shutil.rmtree(scratch)
    return content


def record_key_hex(partition, offset):
    return "0x%08x%016x" % (partition, offset)


def ldb(log_dir, *args):
    done = subprocess.run([LDB, f"--db={log_dir}", *args], capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"ldb {' '.join(args)}: {done.stdout} {done.stderr}")
    return done.stdout.strip()


def ldb_get(log_dir, partition, offset):
    return ldb(log_dir, "--column_family=log", "--key_hex", "--value_hex", "get",
               record_key_hex(partition, offset)).removeprefix("0x")


def ldb_put(log_dir, partition, offset, value_hex):
    ldb(log_dir, "--column_family=log", "--key_hex", "--value_hex", "put",
        record_key_hex(partition, offset), "0x" + value_hex)


def ldb_delete(log_dir, partition, offset):
    ldb(log_dir, "--column_family=log", "--key_hex", "delete", record_key_hex(partition, offset))


def wal_files(log_dir):
    return sorted(name for name in os.listdir(log_dir) if name.endswith(".log"))


def sst_files(log_dir):
    return sorted(name for name in os.listdir(log_dir) if name.endswith(".sst"))


def flip_byte(path, position):
    with open(path, "r+b") as handle:
        handle.seek(position)
        byte = handle.read(1)
        handle.seek(position)
        handle.write(bytes([byte[0] ^ 0x5A]))


class Campaign:
    def __init__(self, binary, work):
        self.binary, self.work = binary, work
        self.pristine = os.path.join(work, "pristine")
        self.tried = self.detected = self.recovered = self.lost = 0
        self.outcomes = []

    # -- the ledger every case starts from ---------------------------------

    def build(self):
        ledger = Ledger(self.binary, self.pristine)
        for step in (("demo",), ("checkpoint",), ("demo",)):
            done = ledger.run(*step)
            if not check(done.returncode == 0, f"setup: careledger {' '.join(step)}"):
                print(done.stdout, done.stderr)
                return False
        # Records after the demo's closing checkpoint: refused attempts, each
        # one signed access record on the writer's access stream (exit 3).
        for n in range(6):
            done = ledger.run("plan", "start", "--nhs", "9990000018", "--as-user", f"stranger-{n}",
                              "--as-role", "clinician", "--as-org", "GP0001", "--as-device", "dev-GP0001",
                              "--consent", "patient", "--consent-date", "2026-11-20")
            if not check(done.returncode == 3, f"setup: refused attempt {n} is recorded"):
                print(done.stdout, done.stderr)
                return False
        done = ledger.run("project")
        if not check(done.returncode == 0, "setup: careledger project"):
            return False
        code, report = ledger.verify_json()
        if not check(code == 0 and report.get("ok"), "setup: the undamaged ledger verifies"):
            print(report)
            return False
        self.records = ledger.export()
        self.report = report
        # A partition with records both before and after its last checkpoint.
        self.partition = None
        for partition in report["partitions"]:
            if 0 <= partition["last_checkpoint_offset"] < partition["last_offset"] - 1:
                self.partition = partition
                break
        return check(self.partition is not None,
                     "setup: a partition has records before and after its last checkpoint")

    def copy(self, name):
        target = os.path.join(self.work, name)
        shutil.copytree(self.pristine, target, symlinks=True)
        return Ledger(self.binary, target)

    # -- the two outcomes ----------------------------------------------------

    def expect_detected(self, name, damage, mentions):
        """Damage, then: verify exits 4 naming it; the writer refuses with 4 and
        changes nothing."""
        self.tried += 1
        ledger = self.copy(name)
        try:
            damage(ledger)
        except Exception as error:  # the damage itself must work
            check(False, f"{name}: could not do the damage: {error}")
            return
        before = files_state(ledger.log_dir)
        content_before = stored_content(ledger.log_dir)
        code, report = ledger.verify_json()
        text = json.dumps(report)
        named = any(word in text for word in mentions)
        ok_verify = check(code == 4 and named,
                          f"{name}: verify exits 4 naming {' or '.join(mentions)} "
                          f"(exit {code})")
        if not ok_verify:
            print("   ", text[:600])
        writer = ledger.run("checkpoint")
        ok_writer = check(writer.returncode == 4,
                          f"{name}: the writer refuses with exit 4 (exit {writer.returncode}: "
                          f"{(writer.stderr or writer.stdout).strip()[:160]})")
        # Where RocksDB refuses the open, not a byte changes. Where the damage
        # is in the records (RocksDB opens, careledger refuses), RocksDB's own
        # recovery may rewrite its MANIFEST and move the WAL into a table, but
        # the stored records and metadata must be exactly as before.
        files_same = files_state(ledger.log_dir) == before
        ok_unchanged = check(files_same or stored_content(ledger.log_dir) == content_before,
                             f"{name}: the log holds what the damage left "
                             f"({'files unchanged' if files_same else 'records unchanged'})")
        if ok_verify and ok_writer and ok_unchanged:
            self.detected += 1
            self.outcomes.append((name, "detected"))
        elif code == 0:
            # verify called a damaged log intact: whatever the damage removed is lost.
            self.lost += 1
            self.outcomes.append((name, "LOST"))
        else:
            self.outcomes.append((name, "FAILED"))
        shutil.rmtree(ledger.data)

    def expect_recovered(self, name, damage, then=()):
        """Damage, run `then`, and verify passes with every record still there."""
        self.tried += 1
        ledger = self.copy(name)
        damage(ledger)
        for step in then:
            done = ledger.run(*step)
            check(done.returncode == 0, f"{name}: careledger {' '.join(step)} "
                  f"(exit {done.returncode} {done.stderr.strip()[:160]})")
        code, report = ledger.verify_json()
        records = ledger.export() or []
        kept = set(records)
        missing = [r for r in self.records if r not in kept]
        if check(code == 0 and not missing,
                 f"{name}: verify passes and all {len(self.records)} records are there "
                 f"({len(missing)} missing, exit {code})"):
            self.recovered += 1
            self.outcomes.append((name, "recovered"))
        else:
            if code == 0 and missing:
                self.lost += 1
            self.outcomes.append((name, "FAILED"))
        shutil.rmtree(ledger.data)

    # -- the faults ------------------------------------------------------------

    def run(self):
        p = self.partition["partition"]
        checkpoint = self.partition["last_checkpoint_offset"]
        last = self.partition["last_offset"]
        before = max(1, checkpoint // 2)  # a record the last checkpoint covers
        after = checkpoint + 1  # one it does not

        detected = self.expect_detected
        detected("log directory deleted", lambda l: shutil.rmtree(l.log_dir),
                 ["missing", "does not exist"])
        detected("CURRENT deleted", lambda l: os.remove(os.path.join(l.log_dir, "CURRENT")),
                 ["CURRENT"])

        def delete_manifest(l):
            for name in os.listdir(l.log_dir):
                if name.startswith("MANIFEST-"):
                    os.remove(os.path.join(l.log_dir, name))
        detected("MANIFEST deleted", delete_manifest, ["MANIFEST", "damaged"])

        def delete_sst(l):
            ssts = sst_files(l.log_dir)
            if not ssts:
                raise RuntimeError("no table file to delete")
            os.remove(os.path.join(l.log_dir, ssts[0]))
        detected("a table file (SST) deleted", delete_sst, ["damaged", ".sst"])

        def flip_sst(l):
            ssts = sst_files(l.log_dir)
            path = os.path.join(l.log_dir, ssts[0])
            flip_byte(path, os.path.getsize(path) // 3)
        detected("a table file (SST) bit-flipped", flip_sst, ["damaged", "orrupt", "checksum"])

        def newest_wal(l):
            wals = [w for w in wal_files(l.log_dir) if os.path.getsize(os.path.join(l.log_dir, w))]
            if not wals:
                raise RuntimeError("no non-empty write-ahead log")
            return os.path.join(l.log_dir, wals[-1])

        detected("write-ahead log deleted", lambda l: os.remove(newest_wal(l)),
                 ["damaged", "witness", "WAL", "lost"])

        def truncate_wal(l):
            path = newest_wal(l)
            os.truncate(path, os.path.getsize(path) // 2)
        detected("write-ahead log truncated", truncate_wal,
                 ["damaged", "witness", "lost", "orrupt"])

        def flip_wal(l):
            path = newest_wal(l)
            flip_byte(path, os.path.getsize(path) * 2 // 3)
        detected("write-ahead log bit-flipped", flip_wal,
                 ["damaged", "orrupt", "checksum", "witness"])

        for count in ("2", "0", "2000000000", "x"):
            detected(f"stored partition count edited to {count}",
                     lambda l, count=count: ldb(l.log_dir, "--column_family=meta", "put",
                                                "partition_count", count),
                     ["partition count", "genesis"])

        detected(f"record deleted before the last checkpoint (p{p} o{before})",
                 lambda l: ldb_delete(l.log_dir, p, before), ["missing", f"offset {before}"])
        detected(f"record deleted after the last checkpoint (p{p} o{after})",
                 lambda l: ldb_delete(l.log_dir, p, after), ["missing", f"offset {after}"])
        detected(f"last record of a partition deleted (p{p} o{last})",
                 lambda l: ldb_delete(l.log_dir, p, last), ["witness", "lost"])

        def swap(l, a, b):
            value_a, value_b = ldb_get(l.log_dir, p, a), ldb_get(l.log_dir, p, b)
            ldb_put(l.log_dir, p, a, value_b)
            ldb_put(l.log_dir, p, b, value_a)
        detected("two records swapped before the last checkpoint",
                 lambda l: swap(l, before, before + 1),
                 ["chain", "sequence", "duplicate", "checkpoint", "witness"])
        detected("the last two records swapped (after the checkpoint)",
                 lambda l: swap(l, last - 1, last),
                 ["chain", "sequence", "duplicate", "witness", "rewritten"])

        def duplicate(l, offset):
            ldb_put(l.log_dir, p, last + 1, ldb_get(l.log_dir, p, offset))
        detected("a record duplicated at the end", lambda l: duplicate(l, after),
                 ["duplicate", "sequence"])

        def move(l, offset):
            other = (p + 1) % len(self.report["partitions"])
            other_last = self.report["partitions"][other]["last_offset"]
            value = ldb_get(l.log_dir, p, offset)
            ldb_delete(l.log_dir, p, offset)
            ldb_put(l.log_dir, other, other_last + 1, value)
        detected("a record moved to another partition (before the checkpoint)",
                 lambda l: move(l, before), ["missing"])
        detected("the last record moved to another partition", lambda l: move(l, last),
                 ["witness", "lost", "chain", "sequence", "stream"])

        def older_log(l):
            # The log as it was at the first demo (a stale copy put back),
            # under a projection and head file that saw more.
            stale = os.path.join(self.work, "stale")
            shutil.rmtree(l.log_dir)
            shutil.copytree(os.path.join(stale, "log"), l.log_dir)
        detected("the log replaced by an older copy", older_log, ["witness", "lost"])

        recovered = self.expect_recovered
        recovered("projection deleted",
                  lambda l: shutil.rmtree(os.path.join(l.data, "projection")),
                  then=[("project",)])

        def older_projection(l):
            stale = os.path.join(self.work, "stale")
            shutil.rmtree(os.path.join(l.data, "projection"))
            shutil.copytree(os.path.join(stale, "projection"), os.path.join(l.data, "projection"))
        recovered("projection older than the log", older_projection, then=[("project",)])
        recovered("head witness deleted",
                  lambda l: shutil.rmtree(os.path.join(l.data, "witness")),
                  then=[("checkpoint",)])

    def report_counts(self):
        print("\nfault campaign:")
        for name, outcome in self.outcomes:
            print(f"  {outcome:10} {name}")
        print(f"tried {self.tried}, detected {self.detected}, recovered {self.recovered}, "
              f"lost {self.lost}")
        check(self.lost == 0, "no acknowledged record was lost without verify saying so")
        check(self.detected + self.recovered == self.tried,
              "every fault had its expected outcome")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    args = parser.parse_args()
    if not check(LDB is not None, "RocksDB's ldb is installed (rocksdb-tools)"):
        return summary("fault campaign")
    work = tempfile.mkdtemp(prefix="careledger-faults-")
    try:
        campaign = Campaign(os.path.abspath(args.careledger), work)
        # A stale copy (after the first demo and its projection) for the
        # rollback cases, then the full ledger.
        stale = Ledger(campaign.binary, os.path.join(work, "stale"))
        pristine = Ledger(campaign.binary, campaign.pristine)
        for step in (("demo",), ("project",)):
            check(pristine.run(*step).returncode == 0, f"setup: stale copy, {step[0]}")
        shutil.copytree(campaign.pristine, stale.data, symlinks=True)
        shutil.rmtree(campaign.pristine)
        shutil.copytree(stale.data, campaign.pristine, symlinks=True)
        if campaign.build():
            campaign.run()
            campaign.report_counts()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return summary("fault campaign")


if __name__ == "__main__":
    sys.exit(main())
