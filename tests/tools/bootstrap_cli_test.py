#!/usr/bin/env python3
"""The system role is for bootstrap only (issue 9, item 6), through the
careledger program on the embedded log:

  before the bootstrap the operator may not record an ordinary organisation
  (refused, exit 3, recorded); `directory bootstrap` registers the CMC
  service, its device and the first CMC team member (a retry is answered as
  already applied); a second bootstrap is refused; after it every command
  claiming the system role (`--as-role system`, or a JSON command on `submit`)
  is refused, recorded as a DENIED access record naming that actor, and
  appends no directory event; the CMC team member keeps the directory; an
  unregistered name claiming the CMC team's role can neither register itself
  nor audit anyone; `directory sample` does not bootstrap a second time.

Standard library only, plus python3-protobuf for reading the export back.
usage: bootstrap_cli_test.py --careledger BIN
"""
import argparse
import datetime
import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_checks import CareledgerCli, check, summary  # noqa: E402
from sample_plan import decode_export, today  # noqa: E402

OPERATOR = ["--as-user", "operator", "--as-role", "system"]
CMC = ["--as-user", "sam.cmc", "--as-role", "cmc-team", "--as-org", "CMC001", "--as-device",
       "dev-CMC001"]
MALLORY = ["--as-user", "mallory", "--as-role", "cmc-team", "--as-org", "CMC001", "--as-device",
           "dev-CMC001"]


class Ledger(CareledgerCli):

    def __init__(self, binary, data):
        super().__init__(binary, data)
        self._exports = 0

    def events(self):
        """[(stream, body name, event dict)] of the whole log."""
        self._exports += 1
        path = os.path.join(os.path.dirname(self.data), f"events-{self._exports}.jsonl")
        result = self.run("log", "export", "--out", path)
        assert result.returncode == 0, result.stdout + result.stderr
        return [(stream, body, event) for _, _, stream, body, event in decode_export(path)]


def ago(days):
    return (today() - datetime.timedelta(days=days)).isoformat()


def bootstrap_flags(member):
    return ["directory", "bootstrap", "--org", "CMC001", "--org-name", "Coordinate My Care",
            "--isa-signed-on", ago(300), "--dspt", "standards-met", "--dspt-date", ago(60),
            "--device", "dev-CMC001", "--licence-date", ago(10), "--user", member,
            "--name", "Sam Smith", "--uaf-manager", "J Jones", "--uaf-date", ago(10),
            "--ig-date", ago(20), "--module", "CMC101", "--aup-date", ago(10)]


def gp_practice(ods):
    return ["directory", "org", "--org", ods, "--name", "Riverside Practice", "--type",
            "gp-practice", "--isa-signed-on", ago(300), "--dspt", "standards-met",
            "--dspt-date", ago(60)]


def refused_and_recorded(ledger, args, reason, what, role="ROLE_SYSTEM", stdin=None):
    """Runs `args`; checks exit 3 and that the log gained exactly one record,
    a DENIED access record naming the claimed role, whose reason holds
    `reason`."""
    before = ledger.events()
    result = ledger.run(*args, stdin=stdin)
    added = ledger.events()[len(before):]
    record = added[0][2] if len(added) == 1 else {}
    access = record.get("access_recorded", {})
    check(result.returncode == 3 and len(added) == 1 and added[0][1] == "access_recorded"
          and access.get("outcome") == "ACCESS_OUTCOME_DENIED" and reason in access.get("reason", "")
          and record.get("actor", {}).get("role") == role,
          f"{what}: refused (exit 3) and recorded as one DENIED access record: "
          f"{result.returncode} {[a[1] for a in added]} {access.get('reason', '')[:160]} "
          f"{result.stderr[-200:]}")


def run(ledger):
    help_text = ledger.run("directory", "bootstrap", "--help")
    check(help_text.returncode == 0 and "--module" in help_text.stdout,
          "'careledger directory bootstrap --help' prints usage")
    check(ledger.run("init").returncode == 0, "init")
    refused_and_recorded(ledger, [*gp_practice("GP0001"), *OPERATOR],
                         "is of type ORGANISATION_TYPE_GP_PRACTICE",
                         "before the bootstrap the operator may not record a GP practice")
    boot = ledger.run(*bootstrap_flags("sam.cmc"))
    check(boot.returncode == 0 and boot.stdout.count("applied ") == 3,
          f"directory bootstrap registers the CMC service, its device and the first CMC team "
          f"member: {boot.returncode} {boot.stdout} {boot.stderr[-300:]}")
    again = ledger.run(*bootstrap_flags("sam.cmc"))
    check(again.returncode == 0 and again.stdout.count("already applied") == 3,
          f"a retried bootstrap is answered as already applied: {again.stdout}")
    second = ledger.run(*bootstrap_flags("eve.cmc"))
    check(second.returncode == 3 and "its bootstrap is over" in second.stderr,
          f"a second bootstrap is refused: {second.returncode} {second.stderr[-300:]}")

    refused_and_recorded(ledger, [*gp_practice("GP0001"), *OPERATOR], "its bootstrap is over",
                         "after the bootstrap `directory org --as-role system`")
    refused_and_recorded(ledger, ["directory", "status", "--user", "sam.cmc", "--status",
                                  "suspended", *OPERATOR], "its bootstrap is over",
                         "after the bootstrap `directory status --as-role system`")
    line = json.dumps({"command_id": "sys-1", "actor": {"user_id": "operator",
                                                       "role": "ROLE_SYSTEM"},
                       "record_user": {"user": {"user_id": "eve", "name": "Eve",
                                                "role": "ROLE_AUDITOR",
                                                "organisation": "CMC001"}}})
    refused_and_recorded(ledger, ["submit", "-"], "its bootstrap is over",
                         "after the bootstrap a JSON command claiming ROLE_SYSTEM",
                         stdin=line + "\n")
    streams = {stream for stream, _, _ in ledger.events()}
    check("directory/org/GP0001" not in streams and "directory/user/eve.cmc" not in streams
          and "directory/user/eve" not in streams,
          "no refused directory change left a directory event")

    made = ledger.run(*gp_practice("GP0001"), *CMC)
    check(made.returncode == 0, f"the CMC team member keeps the directory: {made.stderr[-300:]}")
    refused_and_recorded(ledger, ["directory", "user", "--user", "mallory", "--name", "Mallory",
                                  "--role", "cmc-team", "--org", "CMC001", *MALLORY],
                         "user mallory is not registered", "an unregistered name claiming the "
                         "CMC team's role cannot register itself", role="ROLE_AUDITOR")
    refused_and_recorded(ledger, ["audit", "patient", "--nhs", "9990000018", *MALLORY],
                         "user mallory is not registered",
                         "... nor audit a patient", role="ROLE_AUDITOR")
    sample = ledger.run("directory", "sample")
    check(sample.returncode == 3 and "its bootstrap is over" in sample.stderr,
          f"directory sample does not bootstrap a bootstrapped directory: {sample.returncode}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="careledger-bootstrap-") as work:
        run(Ledger(args.careledger, os.path.join(work, "data")))
    return summary("bootstrap")


if __name__ == "__main__":
    sys.exit(main())
