"""What the Python CLI tests share to drive careledger and keep score: the
process-wide list of failed checks, `check()` that prints and records one,
`summary()` that turns them into an exit code, `CareledgerCli` that runs
`careledger --data DATA ...`, and `where()`, an audit entry's log position.

Standard library only.
"""

import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

FAILURES = []


def check(condition, what):
    """Prints `what` as ok or FAIL, records a failure, returns `condition`."""
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        FAILURES.append(what)
    return condition


def summary(what):
    """Prints how the checks went; the exit code (1 if any failed)."""
    if FAILURES:
        print(f"\n{len(FAILURES)} check(s) failed")
        return 1
    print(f"\nall {what} checks passed")
    return 0


class CareledgerCli:
    """The careledger program on one data directory."""

    timeout = 180  # seconds a single command may take

    def __init__(self, binary, data):
        self.binary, self.data = binary, data

    def run(self, *args, stdin=None):
        return subprocess.run([self.binary, "--data", self.data, *args], input=stdin,
                              capture_output=True, text=True, timeout=self.timeout)


def where(entry):
    """An audit entry's (partition, offset): the record that proves it."""
    position = entry.get("position", {})
    return (position.get("partition", 0), int(position.get("offset", "0")))
