#!/usr/bin/env python3
"""`careledger backup` and `careledger restore` end to end, on real files:

- a backup of the demo ledger is private (dirs 0700, files 0600, the private
  key included), lists every file in its manifest, and its manifest is a kept
  checkpoint the live log passes;
- restored into a fresh data directory it verifies, projects and serves
  `plan show`; an existing --out is refused;
- restoring over an existing log is refused without --force and moves the old
  log and projection aside with it (nothing deleted);
- a damaged backup (a byte flipped in a table file or in RocksDB's MANIFEST,
  a file deleted, backup.json edited, a flipped byte with backup.json made to
  agree) is refused with exit 4 naming what is wrong, and changes nothing.
  (A backup's write-ahead log holds no record: opening the log to take the
  checkpoint flushes the recovered WAL into a table file, which is tested);
- an older backup restored over a data directory whose projection and log
  have seen more is a rollback: exit 4 with the number of acknowledged records
  that would be lost, nothing changed; with --accept-rollback it is restored
  and the loss recorded in <data>/witness/rollbacks.jsonl; a kept checkpoint
  is a witness too;
- a backup while a writer in another process holds the log is refused.

usage: backup_cli_test.py --careledger BIN
"""
import argparse
import fcntl
import glob
import json
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_checks import CareledgerCli, check, summary  # noqa: E402
from sample_plan import flags  # noqa: E402

CREW = flags("crew.lee")


def demo(cli):
    """Runs the demo scenario; the resident's NHS number."""
    result = cli.run("demo")
    found = re.search(r"scenario for resident (\d{10})", result.stdout)
    assert result.returncode == 0 and found, result.stdout + result.stderr
    return found.group(1)


def verified(cli):
    """`verify --json` of the data directory (asserts it passes)."""
    result = cli.run("--json", "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def modes(root):
    """(path, mode) of every entry under root, root included."""
    found = [(root, stat.S_IMODE(os.lstat(root).st_mode))]
    for parent, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(parent, name)
            found.append((path, stat.S_IMODE(os.lstat(path).st_mode)))
    return found


def flip_byte(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x40]))


def lock_held(log_dir):
    """True when a process holds RocksDB's fcntl lock on log_dir/LOCK."""
    path = os.path.join(log_dir, "LOCK")
    if not os.path.exists(path):
        return False
    with open(path, "rb") as f:
        query = struct.pack("hh4xqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        answer = fcntl.fcntl(f.fileno(), fcntl.F_GETLK, query)
        return struct.unpack("hh4xqqi4x", answer)[0] != fcntl.F_UNLCK


def test_backup_and_restore(binary, work):
    source = CareledgerCli(binary, os.path.join(work, "source"))
    nhs = demo(source)
    before = verified(source)
    out = os.path.join(work, "backup")
    taken = source.run("--json", "backup", "--out", out)
    check(taken.returncode == 0, f"backup of the demo ledger {taken.stderr[-400:]}")
    summary_line = json.loads(taken.stdout)
    check(summary_line["records"] == before["records"],
          f"the backup verified all {before['records']} records right after copying them")

    private = [path for path, mode in modes(out)
               if mode != (0o700 if os.path.isdir(path) else 0o600)]
    check(not private, f"every backup dir is 0700 and file 0600 {private[:3]}")
    pems = glob.glob(os.path.join(out, "keys", "private", "*.pem"))
    check(pems and all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in pems),
          f"the private key is in the backup with mode 0600 ({len(pems)} key)")
    sst = glob.glob(os.path.join(out, "log", "*.sst"))
    live = {os.stat(p).st_ino for p in glob.glob(os.path.join(source.data, "log", "*"))}
    check(sst and not any(os.stat(p).st_ino in live for p in sst),
          "the backup's table files are copies, not hard links to the live ones")

    with open(os.path.join(out, "backup.json")) as f:
        manifest = json.load(f)
    listed = {entry["path"] for entry in manifest["files"]}
    on_disk = {os.path.relpath(os.path.join(parent, name), out)
               for parent, _, files in os.walk(out) for name in files} - {"backup.json"}
    check(listed == on_disk and "keys/keyring.json" in listed,
          f"the manifest lists every copied file ({len(listed)})")
    check([c["record_count"] for c in manifest["checkpoints"]]
          == [p["records"] for p in before["partitions"]]
          and manifest["not_copied"] == ["projection"],
          "the manifest names per-partition ends and digests, and that the projection is not copied")
    kept = source.run("verify", "--kept", os.path.join(out, "backup.json"))
    check(kept.returncode == 0, "the live log passes `verify --kept` against the backup's manifest")

    again = source.run("backup", "--out", out)
    check(again.returncode == 2 and "--out" in again.stderr,
          f"a backup into a non-empty --out is refused (exit 2) {again.stderr.strip()}")

    fresh = CareledgerCli(binary, os.path.join(work, "fresh"))
    restored = fresh.run("restore", "--from", out)
    check(restored.returncode == 0, f"restore into a fresh data dir {restored.stdout[-400:]}"
          f"{restored.stderr[-400:]}")
    after = verified(fresh)
    check(after["records"] == before["records"]
          and [p["running_hash"] for p in after["partitions"]]
          == [p["running_hash"] for p in before["partitions"]],
          "the restored log verifies with the same records and running hashes")
    check(stat.S_IMODE(os.stat(fresh.data).st_mode) == 0o700
          and not glob.glob(os.path.join(fresh.data, ".restore-*")),
          "the restored data dir is 0700 and no staging dir is left")
    projected = fresh.run("project")
    check(projected.returncode == 0, f"the restored log projects {projected.stderr[-300:]}")

    # Over an existing log equal to the backup (`project` appends nothing):
    log_inode = os.stat(os.path.join(fresh.data, "log")).st_ino
    refused = fresh.run("restore", "--from", out)
    check(refused.returncode == 2 and "--force" in refused.stderr
          and os.stat(os.path.join(fresh.data, "log")).st_ino == log_inode
          and not glob.glob(os.path.join(fresh.data, "*.replaced-*")),
          f"restore over an existing log without --force is refused, nothing moved "
          f"{refused.stderr.strip()}")
    forced = fresh.run("restore", "--force", "--from", out)
    aside = glob.glob(os.path.join(fresh.data, "log.replaced-*"))
    check(forced.returncode == 0 and len(aside) == 1
          and os.stat(aside[0]).st_ino == log_inode
          and glob.glob(os.path.join(fresh.data, "keys.replaced-*"))
          and glob.glob(os.path.join(fresh.data, "projection", "embedded.replaced-*")),
          f"with --force the old log, keys and projection are moved aside, not deleted "
          f"{forced.stdout[-300:]}{forced.stderr[-300:]}")
    check(verified(fresh)["records"] == before["records"], "the log restored with --force verifies")
    projected = fresh.run("project")
    shown = fresh.run("--json", "plan", "show", "--nhs", nhs, *CREW)
    check(projected.returncode == 0 and shown.returncode == 0 and nhs in shown.stdout,
          f"after `project`, `plan show` serves the restored plan {shown.stderr[-300:]}")
    return out


def test_damaged_backups(binary, work, backup):
    """Each damage is refused with exit 4 naming what, and restores nothing."""
    def damaged(name, damage, expect):
        copy = os.path.join(work, f"damaged-{name}")
        shutil.copytree(backup, copy, symlinks=True)
        what = damage(copy)
        target = CareledgerCli(binary, os.path.join(work, f"target-{name}"))
        result = target.run("restore", "--from", copy)
        said = result.stdout + result.stderr
        check(result.returncode == 4 and expect(what) in said
              and not os.path.exists(os.path.join(target.data, "log")),
              f"a backup with {name} is refused with exit 4 naming {expect(what)!r}: "
              f"{said.strip()[:300]}")

    def largest(pattern):
        def pick(copy):
            files = sorted(glob.glob(os.path.join(copy, "log", pattern)), key=os.path.getsize)
            assert files and os.path.getsize(files[-1]) > 0, f"no non-empty {pattern} in the copy"
            return files[-1]
        return pick

    def flip(pattern):
        def damage(copy):
            path = largest(pattern)(copy)
            flip_byte(path, os.path.getsize(path) // 2)
            return os.path.relpath(path, copy)
        return damage

    damaged("a byte flipped in a table file", flip("*.sst"), lambda what: what)
    damaged("a byte flipped in the MANIFEST", flip("MANIFEST-*"), lambda what: what)

    def delete_table(copy):
        path = largest("*.sst")(copy)
        os.remove(path)
        return os.path.relpath(path, copy)
    damaged("a table file deleted", delete_table, lambda what: f"{what} is missing")

    def edit_manifest(copy):
        path = os.path.join(copy, "backup.json")
        with open(path) as f:
            manifest = json.load(f)
        busiest = max(manifest["checkpoints"], key=lambda c: c["record_count"])
        busiest["record_count"] += 1
        with open(path, "w") as f:
            json.dump(manifest, f)
        return f"partition {busiest['partition']}"
    damaged("its manifest edited", edit_manifest, lambda what: what)

    def flip_and_relist(copy):
        """A flipped table byte with the manifest's hash made to agree:
        RocksDB's block checksums or the record verification still catch it."""
        path = largest("*.sst")(copy)
        flip_byte(path, 64)
        manifest_path = os.path.join(copy, "backup.json")
        with open(manifest_path) as f:
            manifest = json.load(f)
        relative = os.path.relpath(path, copy)
        digest = subprocess.run(["sha256sum", path], capture_output=True, text=True,
                                check=True).stdout.split()[0]
        for entry in manifest["files"]:
            if entry["path"] == relative:
                entry["sha256"] = digest
        with open(manifest_path, "w") as f:
            json.dump(manifest, f)
        return relative
    damaged("a flipped table byte its manifest agrees with", flip_and_relist,
            lambda what: "INTEGRITY FAILURE backup")


def test_rollback(binary, work):
    ledger = CareledgerCli(binary, os.path.join(work, "rollback"))
    demo(ledger)
    old = os.path.join(work, "rollback-backup")
    taken = ledger.run("backup", "--out", old)
    assert taken.returncode == 0, taken.stdout + taken.stderr
    at_backup = verified(ledger)
    demo(ledger)  # more acknowledged records after the backup
    projected = ledger.run("project")
    assert projected.returncode == 0, projected.stderr
    kept_path = os.path.join(work, "kept.json")
    kept = ledger.run("--json", "checkpoint")
    assert kept.returncode == 0, kept.stderr
    with open(kept_path, "w") as f:
        f.write(kept.stdout)
    now = verified(ledger)
    lost = now["records"] - at_backup["records"]
    log_inode = os.stat(os.path.join(ledger.data, "log")).st_ino

    refused = ledger.run("--json", "restore", "--force", "--from", old)
    report = json.loads(refused.stdout) if refused.stdout.strip() else {}
    reported_lost = sum(p["lost_records"] for p in report.get("partitions", []))
    witnesses = {w for p in report.get("partitions", []) for w in p["witnesses"]}
    check(refused.returncode == 4 and report.get("rollback") is True and reported_lost == lost
          and {"projection", "existing log"} <= witnesses,
          f"an older backup is a rollback (exit 4) naming {lost} lost records and the witnesses "
          f"{refused.stdout[-400:]}")
    check(os.stat(os.path.join(ledger.data, "log")).st_ino == log_inode
          and not glob.glob(os.path.join(ledger.data, "*.replaced-*"))
          and not glob.glob(os.path.join(ledger.data, ".restore-*"))
          and verified(ledger)["records"] == now["records"],
          "the refused rollback changed nothing")
    text = ledger.run("restore", "--force", "--from", old)
    check(text.returncode == 4 and "ROLLBACK" in text.stdout
          and "acknowledged records would be lost" in text.stdout,
          f"for people the rollback names each partition's loss {text.stdout[-300:]}")

    elsewhere = CareledgerCli(binary, os.path.join(work, "rollback-kept"))
    by_kept = elsewhere.run("restore", "--from", old, "--kept", kept_path)
    check(by_kept.returncode == 4 and f"kept:{kept_path}" in by_kept.stdout
          and not os.path.exists(os.path.join(elsewhere.data, "log")),
          f"a kept checkpoint beyond the backup is a witness of the rollback "
          f"{by_kept.stdout[-300:]}")

    accepted = ledger.run("restore", "--force", "--accept-rollback", "--from", old)
    check(accepted.returncode == 0, f"--accept-rollback restores the older backup "
          f"{accepted.stdout[-300:]}{accepted.stderr[-300:]}")
    check(verified(ledger)["records"] == at_backup["records"]
          and len(glob.glob(os.path.join(ledger.data, "log.replaced-*"))) == 1,
          "the data dir now holds the backup's log; the newer one is moved aside")
    path = os.path.join(ledger.data, "witness", "rollbacks.jsonl")
    lines = open(path).read().splitlines() if os.path.exists(path) else []
    record = json.loads(lines[0]) if len(lines) == 1 else {}
    check(sum(p["lost_records"] for p in record.get("partitions", [])) == lost
          and record.get("backup") == os.path.abspath(old) and record.get("time")
          and stat.S_IMODE(os.stat(path).st_mode) == 0o600,
          f"the accepted rollback is recorded in witness/rollbacks.jsonl {lines}")
    rebuilt = ledger.run("project")
    check(rebuilt.returncode == 0, f"the projection rebuilds from the restored log "
          f"{rebuilt.stderr[-300:]}")


def test_backup_beside_a_writer(binary, work):
    ledger = CareledgerCli(binary, os.path.join(work, "busy"))
    demo(ledger)
    writer = subprocess.Popen([binary, "--data", ledger.data, "submit", "-"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not lock_held(os.path.join(ledger.data, "log")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lock_held(os.path.join(ledger.data, "log")), "submit never opened the log"
        out = os.path.join(work, "busy-backup")
        refused = ledger.run("backup", "--wait", "0.5", "--out", out)
        check(refused.returncode == 1 and "stop the writer" in refused.stderr
              and not os.path.exists(os.path.join(out, "backup.json")),
              f"a backup while another process writes the log is refused "
              f"{refused.stderr.strip()[-300:]}")
    finally:
        writer.communicate(timeout=60)
    taken = ledger.run("backup", "--out", os.path.join(work, "busy-backup-later"))
    check(taken.returncode == 0, f"once the writer is gone the backup is taken {taken.stderr}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    args = parser.parse_args()
    binary = os.path.abspath(args.careledger)
    os.umask(0o022)  # as an operator's shell: careledger must make the backup private itself
    with tempfile.TemporaryDirectory(prefix="careledger-backup-") as work:
        backup = test_backup_and_restore(binary, work)
        test_damaged_backups(binary, work, backup)
        test_rollback(binary, work)
        test_backup_beside_a_writer(binary, work)
    return summary("backup and restore")


if __name__ == "__main__":
    sys.exit(main())
