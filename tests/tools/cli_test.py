#!/usr/bin/env python3
"""Drives the real careledger program and checks what a user relies on:
--help on every command, exit codes (0 ok, 2 usage, 3 rejected, 4 integrity),
bad input that changes nothing, idempotent retries, optimistic concurrency,
key rotation keeping history verifiable, export completeness and a projection
that equals its clean rebuild.

usage: cli_test.py --careledger BIN
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

FAILURES = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        FAILURES.append(what)


class Ledger:
    def __init__(self, binary, data):
        self.binary, self.data = binary, data

    def run(self, *args, stdin=None):
        return subprocess.run([self.binary, "--data", self.data, *args], input=stdin,
                              capture_output=True, text=True, timeout=120)

    def records(self):
        result = self.run("--json", "verify")
        assert result.returncode == 0, result.stdout + result.stderr
        return json.loads(result.stdout)["records"]


ADMIN = ["--user", "carer.ana", "--role", "administrator", "--org", "VM123"]
GP = ["--user", "dr.a", "--role", "clinician", "--org", "Y01234"]
NHS = "9990000018"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    binary = parser.parse_args().careledger

    for command in [[], ["init"], ["keys", "list"], ["keys", "rotate"], ["keys", "export"],
                    ["plan", "start"], ["plan", "update"], ["plan", "approve"], ["plan", "show"],
                    ["submit"], ["checkpoint"], ["project"], ["verify"], ["log", "export"],
                    ["bench", "append"], ["bench", "project"], ["bench", "crypto"], ["demo"]]:
        result = subprocess.run([binary, *command, "--help"], capture_output=True, text=True)
        check(result.returncode == 0 and "Usage" in result.stdout,
              f"'careledger {' '.join(command)} --help' prints usage")

    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(binary, os.path.join(tmp, "data"))
        check(ledger.run("--no-such-flag").returncode == 2, "an unknown flag is a usage error (2)")
        check(ledger.run("plan", "show", "--nhs", NHS).returncode == 1,
              "using a ledger before init is an error (1) that says to run init")
        check(ledger.run("init").returncode == 0, "init creates a ledger")
        bad_property = ledger.run("--log", "kafka:127.0.0.1:1", "--kafka-property", "nonsense",
                                  "verify")
        check(bad_property.returncode == 2 and "KEY=VALUE" in bad_property.stderr,
              "a malformed --kafka-property is a usage error (2), before any connection")
        again = ledger.run("init")
        check(again.returncode == 1 and "already" in again.stderr,
              "a second init refuses and changes nothing")

        start = ["plan", "start", "--nhs", NHS, "--consent", "patient",
                 "--consent-date", "2026-11-20", *ADMIN]
        bad_nhs = ledger.run(*[NHS[:-1] + "9" if a == NHS else a for a in start])
        check(bad_nhs.returncode == 3 and "modulus 11" in bad_nhs.stderr,
              "a bad NHS number is rejected (3) with the reason")
        check(ledger.run(*start[:-len(ADMIN)], "--user", "x", "--role", "urgent-care",
                         "--org", "RRU").returncode == 3, "urgent care may not start a plan (3)")
        bad_date = ledger.run(*[("2026-13-40" if a == "2026-11-20" else a) for a in start])
        check(bad_date.returncode == 2, "an impossible consent date is a usage error (2)")
        check(ledger.records() == 0, "refused commands appended nothing")

        first = ledger.run(*start, "--command-id", "start-1")
        check(first.returncode == 0 and "applied" in first.stdout, "plan start is applied")
        retry = ledger.run(*start, "--command-id", "start-1")
        check(retry.returncode == 0 and "already applied" in retry.stdout,
              "a retried command id is answered, not applied twice")
        check(ledger.records() == 1, "the retry appended nothing")

        update = ["plan", "update", "--nhs", NHS, "--section", "resuscitation", *GP]
        bad_json = ledger.run(*update, "--value", '{"decision": ')
        check(bad_json.returncode == 2, "an unreadable section value is a usage error (2)")
        bad_field = ledger.run(*update, "--value", '{"no_such_field": 1}')
        check(bad_field.returncode == 2, "an unknown field in a section is a usage error (2)")
        stale = ledger.run(*update, "--value", '{"decision": "not for CPR"}',
                           "--expect-version", "0")
        check(stale.returncode == 3 and "version" in stale.stderr,
              "a stale expected version is rejected (3)")
        check(ledger.records() == 1, "none of those appended anything")
        check(ledger.run(*update, "--value", '{"discussed": true, "decision": "not for CPR"}',
                         "--expect-version", "1").returncode == 0,
              "an update at the expected version is applied")
        admin_approve = ledger.run("plan", "approve", "--nhs", NHS, *ADMIN)
        check(admin_approve.returncode == 3 and "clinician" in admin_approve.stderr,
              "an administrator cannot publish (3)")

        lines = [
            {"command_id": "s-2", "actor": {"user_id": "gp", "role": "ROLE_CLINICIAN",
                                            "organisation": "Y01234"},
             "start_plan": {"nhs_number": "9990000026",
                            "consent": {"basis": "CONSENT_BASIS_LASTING_POWER_OF_ATTORNEY",
                                        "obtained_on": {"year": 2026, "month": 1, "day": 5}}}},
            "this is not json",
            {"command_id": "a-1", "actor": {"user_id": "gp", "role": "ROLE_CLINICIAN",
                                            "organisation": "Y01234"},
             "approve_plan": {"nhs_number": NHS}},
        ]
        stdin = "\n".join(l if isinstance(l, str) else json.dumps(l) for l in lines) + "\n"
        submitted = ledger.run("--json", "submit", "-", stdin=stdin)
        results = [json.loads(l) for l in submitted.stdout.splitlines() if l.strip()]
        outcomes = [r.get("outcome") for r in results]
        check(submitted.returncode == 2 and outcomes.count("OUTCOME_APPLIED") == 2
              and outcomes.count("OUTCOME_REJECTED") == 1
              and any("line 2" in r.get("error", "") for r in results),
              "submit applies good JSON lines, refuses the unreadable one by line number (2)")
        check(ledger.records() == 4, "exactly the two good submitted commands were appended")

        check(ledger.run("checkpoint").returncode == 0, "checkpoint appends checkpoints")
        records_before_rotation = ledger.records()
        rotated = ledger.run("keys", "rotate")
        check(rotated.returncode == 0, "keys rotate makes a new active key")
        check(ledger.run("plan", "update", "--nhs", NHS, "--section", "allergies", "--value",
                         '{"no_known_allergies": true, "source": "GP record"}', *GP).returncode
              == 0, "after rotation the new key signs")
        keyring = json.loads(ledger.run("keys", "export").stdout)
        check(len(keyring["keys"]) == 2 and "valid_until" in keyring["keys"][0],
              "the exported keyring holds the retired key with its window and the new key")
        check(ledger.records() == records_before_rotation + 1,
              "history signed before rotation still verifies, and so does the new event")

        export_path = os.path.join(tmp, "log.jsonl")
        check(ledger.run("log", "export", "--out", export_path).returncode == 0, "log export")
        with open(export_path) as export:
            rows = [json.loads(l) for l in export]
        check(len(rows) == ledger.records()
              and all({"partition", "offset", "key", "key_base64", "value_base64"} <= r.keys()
                      for r in rows), "the export holds every record with its exact bytes")

        other = Ledger(binary, os.path.join(tmp, "other"))
        other.run("init")
        foreign = ledger.run("--json", "verify", "--keyring",
                             os.path.join(other.data, "keys", "keyring.json"))
        report = json.loads(foreign.stdout) if foreign.stdout.strip() else {}
        check(foreign.returncode == 4 and report.get("failures")
              and report["failures"][0]["failure"] == "unknown_key",
              "verify against a keyring that did not sign the log fails (4): unknown_key")

        follower = subprocess.Popen([binary, "--data", ledger.data, "project", "--follow"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            import time
            time.sleep(1.0)
            while_following = ledger.run("plan", "update", "--nhs", NHS, "--section", "clinical",
                                         "--value", '{"main_diagnosis": "COPD"}', *GP)
            check(while_following.returncode == 0,
                  "a projector following the log never locks out a writer")
            seen = {}
            for _ in range(50):  # the follower applies it within its poll interval
                shown = ledger.run("--json", "plan", "show", "--nhs", NHS)
                seen = json.loads(shown.stdout) if shown.returncode == 0 else {}
                if seen.get("draft", {}).get("clinical", {}).get("main_diagnosis") == "COPD":
                    break
                time.sleep(0.2)
            check(seen.get("draft", {}).get("clinical", {}).get("main_diagnosis") == "COPD",
                  "plan show reads the running projector's store and sees the new edit")
        finally:
            follower.terminate()
            follower.wait(timeout=30)
        check(follower.returncode == 0, "project --follow stops cleanly on SIGTERM")

        kept_path = os.path.join(tmp, "kept.json")
        kept = ledger.run("--json", "checkpoint")
        with open(kept_path, "w") as f:
            f.write(kept.stdout)
        check(kept.returncode == 0 and len(json.loads(kept.stdout)["checkpoints"]) == 4,
              "checkpoint prints one digest per partition to keep")
        ledger.run("plan", "update", "--nhs", NHS, "--section", "review", "--value",
                   '{"reviewing_clinician": "dr.a"}', *GP)
        check(ledger.run("verify", "--kept", kept_path).returncode == 0,
              "a log that grew after a kept checkpoint still matches it")
        cut = Ledger(binary, os.path.join(tmp, "cut"))
        cut.run("init")
        for name in ("keyring.json", "active"):
            with open(os.path.join(ledger.data, "keys", name)) as src, \
                 open(os.path.join(cut.data, "keys", name), "w") as dst:
                dst.write(src.read())
        cut_report = cut.run("verify", "--kept", kept_path)
        check(cut_report.returncode == 4 and "cut" in cut_report.stdout,
              "a log that no longer reaches a kept checkpoint fails (4): its tail was cut")

        incremental = ledger.run("project", "--fingerprint")
        rebuilt = ledger.run("project", "--rebuild", "--fingerprint")
        fingerprint = lambda r: [l for l in r.stdout.splitlines() if l.startswith("fingerprint")]
        check(incremental.returncode == 0 and rebuilt.returncode == 0
              and fingerprint(incremental) and fingerprint(incremental) == fingerprint(rebuilt),
              "the projection equals a clean rebuild from the log")
        shown = ledger.run("--json", "plan", "show", "--nhs", NHS)
        plan = json.loads(shown.stdout) if shown.returncode == 0 else {}
        check(plan.get("published_version") == "1"
              and plan.get("published", {}).get("resuscitation", {}).get("decision")
              == "not for CPR" and "allergies" in plan.get("draft", {}),
              "plan show: version 1 published, the allergies edit pending in the draft")

    print(f"{len(FAILURES)} failed" if FAILURES else "all CLI checks passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
