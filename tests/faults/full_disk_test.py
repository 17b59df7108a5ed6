#!/usr/bin/env python3
"""A full disk (issue "Evidence that survives a faulty disk", item 8): the data
directory lives on a small tmpfs that the test fills. Every careledger command
must then fail with a clear error (exit 1, 3 or 4, never a crash by signal),
lose nothing acknowledged, and work again once space is freed.

Needs root (it mounts a tmpfs), as CI and the developers' machines run. It
fails, never skips, when it cannot mount.

  full_disk_test.py --careledger build/tools/careledger
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from cli_checks import check, summary  # noqa: E402

SIZE_MB = 48


def run(binary, data, *args):
    try:
        return subprocess.run([binary, "--data", data, *args], capture_output=True, text=True,
                              timeout=180)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, "timeout", "", "timed out")


def crashed(done):
    """A signal (negative code), or a hang: what a full disk must never cause."""
    return done.returncode == "timeout" or (isinstance(done.returncode, int) and
                                            done.returncode < 0)


def fill(mount, keep_bytes):
    """Fills the file system until fewer than `keep_bytes` are free."""
    path = os.path.join(mount, "filler")
    with open(path, "ab") as filler:
        chunk = b"\0" * (1 << 20)
        while True:
            free = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize
            if free <= keep_bytes:
                break
            try:
                filler.write(chunk[:max(4096, min(len(chunk), free - keep_bytes))])
                filler.flush()
            except OSError:
                break
    return path


def acknowledged_ids(binary, data):
    """The event ids in the log, via `log export`."""
    out = os.path.join(tempfile.mkdtemp(prefix="full-disk-export-"), "log.jsonl")
    done = run(binary, data, "log", "export", "--out", out)
    if done.returncode != 0:
        return None
    with open(out) as lines:
        return [json.loads(line)["value_base64"] for line in lines]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    binary = os.path.abspath(parser.parse_args().careledger)
    mount = tempfile.mkdtemp(prefix="careledger-full-disk-")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m", "tmpfs", mount],
                             capture_output=True, text=True)
    if not check(mounted.returncode == 0, f"a {SIZE_MB} MB tmpfs is mounted at {mount} "
                 f"({mounted.stderr.strip()})"):
        return summary("full disk")
    try:
        data = os.path.join(mount, "data")
        check(run(binary, data, "demo").returncode == 0, "the demo runs with space to spare")
        before = acknowledged_ids(binary, data)
        check(before is not None and len(before) > 0, "the log holds the demo's records")

        filler = fill(mount, keep_bytes=0)
        free = os.statvfs(mount).f_bavail
        check(free == 0, f"the file system is full ({free} blocks free)")

        # Commands that write: the writer, the projector, the demo; and verify.
        results = {}
        for name, args in (("demo", ("demo",)), ("checkpoint", ("checkpoint",)),
                           ("project", ("project", "--rebuild")), ("verify", ("verify",)),
                           ("directory sample", ("directory", "sample"))):
            done = run(binary, data, *args)
            results[name] = done
            check(not crashed(done) and done.returncode != 4,
                  f"full disk: careledger {name} ends without a crash, and does not call a "
                  f"full disk damage (exit {done.returncode})")
            if done.returncode != 0:
                message = (done.stderr + done.stdout).lower()
                check("disk is full" in message or "no space left" in message,
                      f"full disk: careledger {name}'s error says why: "
                      f"{(done.stderr or done.stdout).strip()[-200:]}")

        os.remove(filler)
        after = acknowledged_ids(binary, data)
        check(after is not None and set(before) <= set(after),
              "after freeing space: every record acknowledged before the disk filled is there")
        verified = run(binary, data, "verify")
        check(verified.returncode == 0,
              f"after freeing space: verify passes (exit {verified.returncode}: "
              f"{verified.stdout.strip()[-200:]})")
        again = run(binary, data, "demo")
        check(again.returncode == 0,
              f"after freeing space: the ledger takes new commands (exit {again.returncode}: "
              f"{again.stderr.strip()[-200:]})")
    finally:
        subprocess.run(["umount", "-l", mount], capture_output=True)
        os.rmdir(mount)
    return summary("full disk")


if __name__ == "__main__":
    sys.exit(main())
