#!/usr/bin/env python3
"""Private by default (issue 9, item 5), through the careledger program:

  - after `init` and after `demo`, every directory in the data directory is
    0700 and every file 0600: the embedded log (RocksDB's own files), the
    projections and the keys;
  - a data directory (or a subdirectory of it) that group or others may
    read is refused at start-up with exit 1, naming the path and its mode,
    and nothing is created in it; `--allow-shared-data-dir` runs anyway
    with the warning; a private key that others may read is refused even
    with the flag;
  - every output file (`log export --out`, `audit export --out`, `keys
    export --out`, `load --plants-out`): an existing file is refused
    without `--force` (exit 2) and left unchanged, and nothing is recorded
    or written to the log; a symbolic link at the target, to a file or
    dangling, is refused even with `--force`, leaving the link and its
    target untouched; with `--force` the file is replaced whole, mode 0600;
    no temporary file is left behind.

Standard library only.
usage: private_cli_test.py --careledger BIN
"""
import argparse
import json
import os
import stat
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_checks import CareledgerCli, check, summary  # noqa: E402
from sample_plan import flags  # noqa: E402

AUDITOR = flags("auditor.cmc")
PATIENT = "9990000018"  # the sample world's resident


class Ledger(CareledgerCli):

    def records(self):
        result = self.run("--json", "verify")
        assert result.returncode == 0, result.stdout + result.stderr
        return json.loads(result.stdout)["records"]


def wider_than_private(root):
    """Paths under `root` (itself included) whose mode is not 0700 (a
    directory) or 0600 (a file): [(path, mode)]."""
    found = []
    for directory, subdirectories, files in os.walk(root):
        for path, wanted in [(directory, 0o700)] + [(os.path.join(directory, f), 0o600)
                                                     for f in files]:
            mode = stat.S_IMODE(os.lstat(path).st_mode)
            if mode != wanted:
                found.append((path, oct(mode)))
    return found


def leftovers(directory):
    return [name for name in os.listdir(directory) if name.endswith(".partial")]


def check_modes(binary, work):
    data = os.path.join(work, "modes")
    ledger = Ledger(binary, data)
    init = ledger.run("init")
    check(init.returncode == 0, f"init {init.stderr[-300:]}")
    check(wider_than_private(data) == [],
          f"after init every directory is 0700 and every file 0600: {wider_than_private(data)}")
    demo = ledger.run("demo")
    check(demo.returncode == 0, f"demo {demo.stderr[-300:]}")
    names = set()
    for directory, subdirectories, files in os.walk(data):
        names.update(os.path.relpath(os.path.join(directory, s), data) for s in subdirectories)
    check({"log", "keys", "keys/private", "projection", "projection/embedded"} <= names,
          f"the demo made the log, the keys and a projection: {sorted(names)[:12]}")
    check(wider_than_private(data) == [],
          f"after demo every directory is 0700 and every file 0600 (RocksDB's too): "
          f"{wider_than_private(data)[:5]}")


def check_shared_data_dir(binary, work):
    data = os.path.join(work, "shared")
    os.mkdir(data)
    os.chmod(data, 0o755)
    ledger = Ledger(binary, data)
    refused = ledger.run("init")
    check(refused.returncode == 1 and data in refused.stderr and "0755" in refused.stderr
          and "--allow-shared-data-dir" in refused.stderr,
          f"a data directory others may read is refused, naming it and its mode: "
          f"{refused.returncode} {refused.stderr[-400:]}")
    check(os.listdir(data) == [], "... and nothing is created in it")
    allowed = ledger.run("--allow-shared-data-dir", "init")
    check(allowed.returncode == 0 and "WARNING" in allowed.stderr and data in allowed.stderr,
          f"--allow-shared-data-dir runs anyway, with the warning: {allowed.stderr[-300:]}")
    check(ledger.run("keys", "list").returncode == 1, "without the flag the next command refuses")
    os.chmod(data, 0o700)
    check(ledger.run("keys", "list").returncode == 0, "made private, it runs")
    log_dir = os.path.join(data, "log")
    os.chmod(log_dir, 0o750)
    refused_log = ledger.run("keys", "list")
    check(refused_log.returncode == 1 and log_dir in refused_log.stderr
          and "0750" in refused_log.stderr,
          f"a subdirectory others may enter is refused too: {refused_log.stderr[-300:]}")
    os.chmod(log_dir, 0o700)
    private = os.path.join(data, "keys", "private")
    key = os.path.join(private, sorted(os.listdir(private))[0])
    os.chmod(key, 0o644)
    exposed = ledger.run("--allow-shared-data-dir", "keys", "list")
    check(exposed.returncode == 1 and key in exposed.stderr and "0644" in exposed.stderr,
          f"a private key others may read is refused whatever the flag: {exposed.stderr[-300:]}")
    os.chmod(key, 0o600)
    check(ledger.run("keys", "list").returncode == 0, "made private again, it runs")


def check_output(ledger, work, name, command, records_unchanged=True):
    """`command(path, *extra)` -> CompletedProcess; checks the output rules."""
    folder = os.path.join(work, f"out-{name}")
    os.mkdir(folder)
    existing = os.path.join(folder, "existing")
    with open(existing, "w", encoding="utf-8") as file:
        file.write("keep me\n")
    before = ledger.records()
    refused = command(existing)
    with open(existing, encoding="utf-8") as file:
        kept = file.read()
    check(refused.returncode == 2 and "--force" in refused.stderr and kept == "keep me\n",
          f"{name}: an existing file is refused without --force and left unchanged: "
          f"{refused.returncode} {refused.stderr[-300:]}")
    if records_unchanged:
        check(ledger.records() == before, f"{name}: ... and nothing is appended to the log")

    target = os.path.join(folder, "target")
    with open(target, "w", encoding="utf-8") as file:
        file.write("the link's target\n")
    link = os.path.join(folder, "link")
    os.symlink(target, link)
    dangling = os.path.join(folder, "dangling")
    nowhere = os.path.join(folder, "nowhere")
    os.symlink(nowhere, dangling)
    for path, what in ((link, "a link to a file"), (dangling, "a dangling link")):
        for extra in ((), ("--force",)):
            result = command(path, *extra)
            with open(target, encoding="utf-8") as file:
                untouched = file.read() == "the link's target\n"
            check(result.returncode == 2 and "symbolic link" in result.stderr
                  and os.path.islink(path) and untouched and not os.path.exists(nowhere),
                  f"{name}: {what} is refused{' even with --force' if extra else ''}, the link "
                  f"and its target untouched: {result.returncode} {result.stderr[-200:]}")

    forced = command(existing, "--force")
    with open(existing, encoding="utf-8") as file:
        replaced = file.read()
    mode = stat.S_IMODE(os.stat(existing).st_mode)
    check(forced.returncode == 0 and replaced != "keep me\n" and len(replaced) > 0
          and mode == 0o600,
          f"{name}: with --force the file is replaced whole, mode 0600: {forced.returncode} "
          f"{oct(mode)} {forced.stderr[-300:]}")
    fresh = os.path.join(folder, "fresh")
    written = command(fresh)
    check(written.returncode == 0 and stat.S_IMODE(os.stat(fresh).st_mode) == 0o600,
          f"{name}: a new file is written, mode 0600")
    check(leftovers(folder) == [], f"{name}: no temporary file is left: {leftovers(folder)}")


def check_outputs(binary, work):
    data = os.path.join(work, "outputs")
    ledger = Ledger(binary, data)
    demo = ledger.run("demo")
    if not check(demo.returncode == 0, f"demo {demo.stderr[-300:]}"):
        return
    check_output(ledger, work, "log export",
                 lambda path, *extra: ledger.run("log", "export", "--out", path, *extra))
    check_output(ledger, work, "keys export",
                 lambda path, *extra: ledger.run("keys", "export", "--out", path, *extra))
    # A granted export appends its access record; a refused path appends none.
    check_output(ledger, work, "audit export",
                 lambda path, *extra: ledger.run("audit", "export", "--format", "csv", "--nhs",
                                                 PATIENT, "--out", path, *AUDITOR, *extra),
                 records_unchanged=True)
    # `load` writes a workload (it needs an empty directory to bootstrap):
    # only its refusals are checked here, which must come before any write.
    plants = os.path.join(work, "plants.json")
    with open(plants, "w", encoding="utf-8") as file:
        file.write("[]\n")
    before = ledger.records()
    refused = ledger.run("load", "--patients", "5", "--days", "1", "--plants-out", plants)
    with open(plants, encoding="utf-8") as file:
        kept = file.read()
    check(refused.returncode == 2 and kept == "[]\n" and ledger.records() == before,
          f"load --plants-out: an existing file is refused before anything is written: "
          f"{refused.returncode} {refused.stderr[-300:]}")
    link = os.path.join(work, "plants-link")
    os.symlink(plants, link)
    refused_link = ledger.run("load", "--patients", "5", "--days", "1", "--plants-out", link,
                              "--force")
    check(refused_link.returncode == 2 and "symbolic link" in refused_link.stderr
          and ledger.records() == before,
          f"load --plants-out: a link is refused even with --force: {refused_link.stderr[-200:]}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="careledger-private-") as work:
        check_modes(args.careledger, work)
        check_shared_data_dir(args.careledger, work)
        check_outputs(args.careledger, work)
    return summary("private-by-default")


if __name__ == "__main__":
    sys.exit(main())
