#!/usr/bin/env python3
"""Drives the real careledger program and checks what a user relies on:
--help on every command, exit codes (0 ok, 2 usage, 3 rejected, 4 integrity),
bad input that changes nothing in the plan (a refused command leaves exactly
one access record, DENIED with its reason, and no plan event; unreadable input
leaves nothing), idempotent retries (of applied and of refused commands),
optimistic concurrency, `submit` with JSON Lines of many command kinds, key
rotation keeping history verifiable, export completeness, kept checkpoints, a
follower that never locks the writer out, a projection that equals its
clean rebuild, and that `bench seal` and `bench replay` run at a tiny size and
print each figure with its ratio to the machine's limits (never their values:
timing is not asserted).

Every actor is a user of `careledger directory sample` (tests/tools/sample_plan.py).

usage: cli_test.py --careledger BIN
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_checks import CareledgerCli, check, summary  # noqa: E402
from sample_plan import (GENESIS_RECORDS, SAMPLE_DIRECTORY_RECORDS, actor, complete_sections,  # noqa: E402
                         date_json, decode_export, flags, section, today)

class Ledger(CareledgerCli):
    timeout = 120

    def __init__(self, binary, data):
        super().__init__(binary, data)
        self._exports = 0

    def records(self):
        result = self.run("--json", "verify")
        assert result.returncode == 0, result.stdout + result.stderr
        return json.loads(result.stdout)["records"]

    def events(self):
        """Every event of the log (dicts in the protobuf JSON mapping)."""
        self._exports += 1
        path = os.path.join(os.path.dirname(self.data), f"events-{self._exports}.jsonl")
        result = self.run("log", "export", "--out", path)
        assert result.returncode == 0, result.stdout + result.stderr
        return [event for _, _, _, _, event in decode_export(path)]


def new_events(ledger, before):
    seen = {event["event_id"] for event in before}
    return [event for event in ledger.events() if event["event_id"] not in seen]


def is_plan_event(event):
    return event["stream_id"].startswith("patient/")


def refusal_recorded(ledger, before, action, reason, user):
    """True when exactly one record was appended since `before`: an access
    record of the refused `action` by `user`, DENIED, its reason containing
    `reason`; and so no plan event."""
    added = new_events(ledger, before)
    if len(added) != 1:
        print(f"     appended {len(added)} records: {added}")
        return False
    event = added[0]
    record = event.get("access_recorded", {})
    good = (event["stream_id"] == "access/0" and record.get("action") == action
            and record.get("outcome") == "ACCESS_OUTCOME_DENIED"
            and reason in record.get("reason", "") and event["actor"]["user_id"] == user)
    if not good:
        print(f"     the record appended: {event}")
    return good


ADMIN, GP, CREW = flags("admin.rosewood"), flags("dr.patel"), flags("crew.lee")
AUDITOR = flags("auditor.cmc")
NHS = "9990000018"
NHS2 = "9990000026"


def new_clinician(user_id, day):
    """A careledger.v1.User meeting every access prerequisite, at GP0001."""
    return {"user_id": user_id, "name": "Dr New Example", "role": "ROLE_CLINICIAN",
            "organisation": "GP0001", "professional_registration": "GMC 7654321",
            "user_access_form": {"signed": True, "authorising_manager": "Practice manager",
                                 "signed_on": date_json(day - datetime.timedelta(days=10))},
            "ig_training_on": date_json(day - datetime.timedelta(days=20)),
            "training_modules": ["CMC101", "CMC102", "CMC103"],
            "aup_accepted_on": date_json(day - datetime.timedelta(days=10)),
            "status": "USER_STATUS_ACTIVE"}


def check_help(binary):
    for command in [[], ["init"], ["keys", "list"], ["keys", "rotate"], ["keys", "export"],
                    ["directory"], ["directory", "org"], ["directory", "user"],
                    ["directory", "status"], ["directory", "device"], ["directory", "sample"],
                    ["plan"], ["plan", "start"], ["plan", "update"], ["plan", "submit"],
                    ["plan", "approve"], ["plan", "discard"], ["plan", "review"],
                    ["plan", "death"], ["plan", "withdraw"], ["plan", "restrict"],
                    ["plan", "unrestrict"], ["plan", "note"], ["plan", "request"],
                    ["plan", "resolve"], ["plan", "show"], ["worklist"],
                    ["submit"], ["checkpoint"], ["project"], ["verify"], ["log", "export"],
                    ["bench", "append"], ["bench", "project"], ["bench", "crypto"],
                    ["bench", "seal"], ["bench", "replay"], ["demo"]]:
        result = subprocess.run([binary, *command, "--help"], capture_output=True, text=True)
        check(result.returncode == 0 and "Usage" in result.stdout,
              f"'careledger {' '.join(command)} --help' prints usage")


def check_setup(ledger):
    check(ledger.run("--no-such-flag").returncode == 2, "an unknown flag is a usage error (2)")
    early = ledger.run("plan", "show", "--nhs", NHS, *CREW)
    check(early.returncode == 1 and "init" in early.stderr,
          "using a ledger before init is an error (1) that says to run init")
    created = ledger.run("init")
    check(created.returncode == 0, "init creates a ledger")
    check(" error " not in created.stderr,
          f"init logs no error when all is well (got {created.stderr.strip()[-300:]!r})")
    bad_property = ledger.run("--log", "kafka:127.0.0.1:1", "--kafka-property", "nonsense",
                              "verify")
    check(bad_property.returncode == 2 and "KEY=VALUE" in bad_property.stderr,
          "a malformed --kafka-property is a usage error (2), before any connection")
    again = ledger.run("init")
    check(again.returncode == 1 and "already" in again.stderr,
          "a second init refuses and changes nothing")
    sample = ledger.run("directory", "sample")
    check(sample.returncode == 0 and sample.stdout.count("applied ") == SAMPLE_DIRECTORY_RECORDS
          and ledger.records() == GENESIS_RECORDS + SAMPLE_DIRECTORY_RECORDS,
          f"directory sample registers the sample world ({SAMPLE_DIRECTORY_RECORDS} records)")
    resample = ledger.run("--json", "directory", "sample")
    outcomes = [json.loads(line)["outcome"] for line in resample.stdout.splitlines() if line]
    check(resample.returncode == 0 and outcomes == ["OUTCOME_DUPLICATE"] * SAMPLE_DIRECTORY_RECORDS
          and ledger.records() == GENESIS_RECORDS + SAMPLE_DIRECTORY_RECORDS,
          "directory sample run again is answered DUPLICATE and appends nothing")


def check_refusals(ledger, consent_date):
    start = ["plan", "start", "--nhs", NHS, "--consent", "patient",
             "--consent-date", consent_date]
    before = ledger.events()
    bad_nhs = ledger.run(*[NHS[:-1] + "9" if a == NHS else a for a in start], *ADMIN)
    check(bad_nhs.returncode == 3 and "modulus 11" in bad_nhs.stderr,
          "a bad NHS number is rejected (3) with the reason")
    check(refusal_recorded(ledger, before, "start_plan", "modulus 11", "admin.rosewood"),
          "  ... leaving one access record (DENIED, the reason) and no plan event")
    before = ledger.events()
    crew = ledger.run(*start, *CREW)
    check(crew.returncode == 3 and "may not" in crew.stderr, "urgent care may not start a plan (3)")
    check(refusal_recorded(ledger, before, "start_plan", "may not start_plan", "crew.lee"),
          "  ... leaving one access record (DENIED, the reason) and no plan event")
    before = ledger.events()
    stranger = ledger.run(*start, "--as-user", "nobody", "--as-role", "clinician", "--as-org",
                          "GP0001", "--as-device", "dev-GP0001")
    check(stranger.returncode == 3 and "not registered" in stranger.stderr,
          "a user who is not in the directory is rejected (3)")
    check(refusal_recorded(ledger, before, "start_plan", "not registered", "nobody"),
          "  ... leaving one access record (DENIED, the reason) and no plan event")
    before = ledger.events()
    wrong_org = ledger.run(*start, "--as-user", "admin.rosewood", "--as-role", "administrator",
                           "--as-org", "GP0001", "--as-device", "dev-GP0001")
    check(wrong_org.returncode == 3,
          f"claiming another organisation than the registered one is rejected (3): "
          f"{wrong_org.stderr.strip()}")
    check(refusal_recorded(ledger, before, "start_plan", "organisation", "admin.rosewood"),
          "  ... leaving one access record (DENIED) and no plan event")
    before = ledger.events()
    no_device = ledger.run(*start, "--as-user", "admin.rosewood", "--as-role", "administrator",
                           "--as-org", "CH0001")
    check(no_device.returncode == 3 and "device" in no_device.stderr,
          f"acting without a registered device is rejected (3): {no_device.stderr.strip()}")
    check(refusal_recorded(ledger, before, "start_plan", "device", "admin.rosewood"),
          "  ... leaving one access record (DENIED) and no plan event")
    count = ledger.records()
    bad_date = ledger.run(*[("2026-13-40" if a == consent_date else a) for a in start], *ADMIN)
    check(bad_date.returncode == 2, "an impossible consent date is a usage error (2)")
    check(ledger.records() == count, "  ... which never became a command: nothing appended")
    check(not any(is_plan_event(event) for event in ledger.events()),
          "no refused command left a plan event: the patient has no stream")

    first = ledger.run(*start, *ADMIN, "--command-id", "start-1")
    check(first.returncode == 0 and "applied" in first.stdout, "plan start is applied")
    retry = ledger.run(*start, *ADMIN, "--command-id", "start-1")
    check(retry.returncode == 0 and "already applied" in retry.stdout,
          "a retried command id is answered, not applied twice")
    check(ledger.records() == count + 1, "the retry appended nothing")
    refused = ledger.run("plan", "approve", "--nhs", NHS, *ADMIN, "--command-id", "refused-1")
    refused_again = ledger.run("plan", "approve", "--nhs", NHS, *ADMIN,
                               "--command-id", "refused-1")
    check(refused.returncode == 3 and refused_again.returncode == 3
          and "clinician" in refused.stderr and refused.stderr == refused_again.stderr,
          "an administrator cannot publish (3); the retried refusal is refused again, same reason")
    check(ledger.records() == count + 2,
          "  ... the refusal was recorded once (one access record), the retry appended nothing")


def check_updates(ledger):
    update = ["plan", "update", "--nhs", NHS, "--section", "resuscitation", *GP]
    resuscitation = json.dumps(section(NHS, "resuscitation"))
    count = ledger.records()
    bad_json = ledger.run(*update, "--value", '{"decision": ')
    check(bad_json.returncode == 2, "an unreadable section value is a usage error (2)")
    bad_field = ledger.run(*update, "--value", '{"no_such_field": 1}')
    check(bad_field.returncode == 2, "an unknown field in a section is a usage error (2)")
    bad_enum = ledger.run(*update, "--value", '{"decision": "not for CPR"}')
    check(bad_enum.returncode == 2 and "CprDecision" in bad_enum.stderr,
          "a value that is not one of the enum's names is a usage error (2)")
    bad_section = ledger.run("plan", "update", "--nhs", NHS, "--section", "horoscope",
                             "--value", "{}", *GP)
    check(bad_section.returncode == 2, "an unknown section is a usage error (2)")
    check(ledger.records() == count, "none of those appended anything")
    before = ledger.events()
    stale = ledger.run(*update, "--value", resuscitation, "--expect-version", "0")
    check(stale.returncode == 3 and "version" in stale.stderr,
          "a stale expected version is rejected (3)")
    check(refusal_recorded(ledger, before, "update_plan_section", "version", "dr.patel"),
          "  ... leaving one access record (DENIED, the reason) and no plan event")
    check(ledger.run(*update, "--value", resuscitation, "--expect-version", "1").returncode == 0,
          "an update at the expected version is applied")
    before = ledger.events()
    incomplete = ledger.run("plan", "approve", "--nhs", NHS, *GP)
    check(incomplete.returncode == 3 and "demographics.given_name" in incomplete.stderr
          and "review.reviewing_clinician" in incomplete.stderr,
          "approving an incomplete plan is rejected (3) naming the missing mandatory fields")
    check(refusal_recorded(ledger, before, "approve_plan", "mandatory fields missing",
                           "dr.patel"), "  ... leaving one access record and no plan event")
    filled = [ledger.run("plan", "update", "--nhs", NHS, "--section", name,
                         "--value", json.dumps(value), *(ADMIN if name in ("demographics",
                                                                           "contacts") else GP))
              for name, value in complete_sections(NHS) if name != "resuscitation"]
    check(all(result.returncode == 0 for result in filled),
          "the administrator and the GP fill in every other section")


def check_submit(ledger, day):
    gp, crew = actor("dr.patel"), actor("crew.lee")
    lines = [
        {"command_id": "u-1", "actor": actor("auditor.cmc"),
         "record_user": {"user": new_clinician("dr.new", day)}},
        "this is not json",
        {"command_id": "s-2", "actor": {**gp, "user_id": "dr.new"},
         "start_plan": {"nhs_number": NHS2,
                        "consent": {"basis": "CONSENT_BASIS_LASTING_POWER_OF_ATTORNEY",
                                    "justification": "Lacks capacity; son holds LPA (health)",
                                    "consented_by": "Tom Example",
                                    "obtained_on": date_json(day)}}},
        {"command_id": "a-1", "actor": gp, "approve_plan": {"nhs_number": NHS}},
        {"command_id": "v-1", "actor": crew,
         "view_plan": {"nhs_number": NHS, "view": "PLAN_VIEW_PUBLISHED"}},
        {"command_id": "v-2", "actor": crew,
         "view_plan": {"nhs_number": NHS2, "view": "PLAN_VIEW_PUBLISHED"}},
        {"command_id": "n-1", "actor": actor("call.okafor"),
         "add_urgent_care_note": {"nhs_number": NHS, "text": "Called 02:10; advised per plan"}},
        {"command_id": "x-1", "no_such_field": 1},
    ]
    stdin = "\n".join(l if isinstance(l, str) else json.dumps(l) for l in lines) + "\n"
    before = ledger.events()
    submitted = ledger.run("--json", "submit", "-", stdin=stdin)
    results = [json.loads(l) for l in submitted.stdout.splitlines() if l.strip()]
    by_id = {r["command_id"]: r for r in results if r.get("command_id")}
    unreadable = [r for r in results if not r.get("command_id")]
    check(len(results) == len(lines), "submit answers every line with one JSON result")
    check(submitted.returncode == 2
          and [r.get("outcome") for r in unreadable] == ["OUTCOME_REJECTED"] * 2
          and any(r.get("error", "").startswith("line 2: ") for r in unreadable)
          and any(r.get("error", "").startswith("line 8: ") for r in unreadable),
          "submit refuses the unreadable lines by line number and exits 2")
    applied = {i: by_id.get(i, {}).get("outcome") for i in ("u-1", "s-2", "a-1", "v-1", "n-1")}
    check(all(o == "OUTCOME_APPLIED" for o in applied.values()),
          f"submit applies a directory command, a start by the user it just registered, an "
          f"approval, a read and an urgent-care note: {applied}")
    check(by_id.get("u-1", {}).get("stream_id") == "directory/user/dr.new"
          and by_id.get("s-2", {}).get("stream_id") == f"patient/{NHS2}"
          and by_id.get("n-1", {}).get("stream_id") == f"patient/{NHS}",
          "each result names the stream its event went to")
    view = by_id.get("v-1", {})
    grant = view.get("view", {})
    added = new_events(ledger, before)
    approvals = [e["plan_approved"] for e in added if "plan_approved" in e]
    check(view.get("stream_id") == "access/0" and grant.get("view") == "PLAN_VIEW_PUBLISHED"
          and grant.get("version") == "1" and len(approvals) == 1
          and grant.get("content_hash") == approvals[0].get("draft_hash"),
          "the read's result carries its view grant: version 1 and the published content hash")
    refused_read = by_id.get("v-2", {})
    check(refused_read.get("outcome") == "OUTCOME_REJECTED" and refused_read.get("error")
          and refused_read.get("stream_id") == "access/0",
          f"a read of a never-published plan by urgent care is refused and recorded: "
          f"{refused_read.get('error')}")
    bodies = sorted(next(k for k in e if k in (
        "user_recorded", "plan_started", "plan_approved", "access_recorded",
        "urgent_care_note_added")) for e in added)
    check(bodies == sorted(["user_recorded", "plan_started", "plan_approved", "access_recorded",
                            "access_recorded", "urgent_care_note_added"]),
          f"exactly the six decided commands were appended (two access records): {bodies}")
    # Malformed JSON on its own: a clear message, exit 2, nothing appended.
    count = ledger.records()
    broken = ledger.run("submit", "-", stdin='{"command_id": "m-1", "actor": {"user_id": \n')
    check(broken.returncode == 2 and "line 1: not a valid Command in JSON" in broken.stderr,
          f"malformed JSON is refused with a clear message and exit 2: "
          f"{broken.stderr.strip().splitlines()[:1]}")
    broken_json = ledger.run("--json", "submit", "-", stdin="[1, 2\n")
    answer = json.loads(broken_json.stdout) if broken_json.stdout.strip() else {}
    check(broken_json.returncode == 2 and answer.get("outcome") == "OUTCOME_REJECTED"
          and answer.get("error", "").startswith("line 1: not a valid Command in JSON"),
          "  ... and with --json, as a REJECTED result naming the line")
    check(ledger.records() == count, "  ... appending nothing")
    # A retried JSON line: the first outcome, nothing appended.
    retried = ledger.run("--json", "submit", "-", stdin=json.dumps(lines[3]) + "\n"
                         + json.dumps(lines[5]) + "\n")
    outcomes = [json.loads(l).get("outcome") for l in retried.stdout.splitlines() if l]
    check(retried.returncode == 3 and outcomes == ["OUTCOME_DUPLICATE", "OUTCOME_REJECTED"]
          and ledger.records() == count,
          "re-submitted lines are answered with their first outcome and append nothing")


def check_history(ledger):
    shown = ledger.run("--json", "plan", "show", "--nhs", NHS, "--view", "history", *AUDITOR)
    document = json.loads(shown.stdout) if shown.returncode == 0 else {}
    entries = [entry["event"] for entry in document.get("history", [])]
    denied = [e["access_recorded"] for e in entries
              if e.get("access_recorded", {}).get("outcome") == "ACCESS_OUTCOME_DENIED"]
    reasons = " | ".join(d.get("reason", "") for d in denied)
    check(shown.returncode == 0 and all(word in reasons for word in (
              "may not start_plan", "clinician", "version", "mandatory fields missing")),
          "the auditor's history of the plan lists the refused commands with their reasons")
    reads = [e for e in entries if e.get("access_recorded", {}).get("action") == "view_plan"
             and e["access_recorded"].get("outcome") == "ACCESS_OUTCOME_GRANTED"]
    check(any(r["actor"]["user_id"] == "crew.lee" and r["access_recorded"].get("version") == "1"
              for r in reads), "  ... and the crew's read of version 1")
    check(document.get("access", {}).get("view", {}).get("view") == "PLAN_VIEW_HISTORY",
          "  ... and the history read itself was granted and recorded first")


def check_rotation_and_export(ledger, tmp, binary):
    check(ledger.run("checkpoint").returncode == 0, "checkpoint appends checkpoints")
    records_before_rotation = ledger.records()
    rotated = ledger.run("keys", "rotate")
    check(rotated.returncode == 0, "keys rotate makes a new active key")
    check(ledger.run("plan", "update", "--nhs", NHS, "--section", "allergies", "--value",
                     '{"no_known_allergies": true, '
                     '"no_allergies_source": "NO_ALLERGIES_SOURCE_PATIENT_REPORTS"}',
                     *GP).returncode == 0, "after rotation the new key signs")
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


def check_follower(ledger, binary):
    follower = subprocess.Popen([binary, "--data", ledger.data, "project", "--follow"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    edit = "Comfort and symptom control at the care home; do not admit."
    try:
        time.sleep(1.0)
        while_following = ledger.run(
            "plan", "update", "--nhs", NHS, "--section", "clinical", "--value",
            json.dumps({"ceiling_of_treatment": "TREATMENT_CEILING_COMFORT_ONLY",
                        "recommendations": edit}), *GP)
        check(while_following.returncode == 0,
              "a projector following the log never locks out a writer")
        seen = {}
        for _ in range(50):  # the follower applies it within its poll interval
            shown = ledger.run("--json", "plan", "show", "--nhs", NHS, "--view", "draft", *GP)
            seen = json.loads(shown.stdout) if shown.returncode == 0 else {}
            if seen.get("plan", {}).get("clinical", {}).get("recommendations") == edit:
                break
            time.sleep(0.2)
        check(seen.get("plan", {}).get("clinical", {}).get("recommendations") == edit,
              "plan show reads the running projector's store and sees the new edit")
    finally:
        follower.terminate()
        follower.wait(timeout=30)
    check(follower.returncode == 0, "project --follow stops cleanly on SIGTERM")


def check_kept_checkpoints(ledger, tmp, binary):
    kept_path = os.path.join(tmp, "kept.json")
    kept = ledger.run("--json", "checkpoint")
    with open(kept_path, "w") as f:
        f.write(kept.stdout)
    check(kept.returncode == 0 and len(json.loads(kept.stdout)["checkpoints"]) == 4,
          "checkpoint prints one digest per partition to keep")
    ledger.run("plan", "update", "--nhs", NHS, "--section", "contacts", "--value",
               json.dumps(section(NHS, "contacts")), *ADMIN)
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


def check_projection_and_reads(ledger):
    incremental = ledger.run("project", "--fingerprint")
    rebuilt = ledger.run("project", "--rebuild", "--fingerprint")
    fingerprint = lambda r: [l for l in r.stdout.splitlines() if l.startswith("fingerprint")]
    check(incremental.returncode == 0 and rebuilt.returncode == 0
          and fingerprint(incremental) and fingerprint(incremental) == fingerprint(rebuilt),
          "the projection equals a clean rebuild from the log")
    approved = [e["plan_approved"] for e in ledger.events() if "plan_approved" in e]
    shown = ledger.run("--json", "plan", "show", "--nhs", NHS, *CREW)
    published = json.loads(shown.stdout) if shown.returncode == 0 else {}
    grant = published.get("access", {}).get("view", {})
    check(grant.get("version") == "1" and len(approved) == 1
          and grant.get("content_hash") == approved[0]["draft_hash"]
          and published.get("plan", {}).get("resuscitation", {}).get("decision")
          == "CPR_DECISION_NOT_FOR_CPR"
          and published.get("plan", {}).get("allergies", {}).get("items"),
          "plan show (urgent care): version 1 as published, with the hash the approval signed")
    # A draft is pending (the allergies edit below): urgent care's --json must
    # hold nothing of it, and nothing of other readers' devices or addresses.
    state = published.get("state", {})
    check("draft" not in state and "draft_pending" not in state and "submission" not in state
          and "no_known_allergies" not in shown.stdout
          and all("device_id" not in n.get("by", {}) and "network_address" not in n.get("by", {})
                  for n in state.get("notes", [])),
          "plan show --json (urgent care) shows the published version only: no draft, no "
          "submission, no other reader's device or address")
    draft = ledger.run("--json", "plan", "show", "--nhs", NHS, "--view", "draft", *GP)
    pending = json.loads(draft.stdout) if draft.returncode == 0 else {}
    check(pending.get("plan", {}).get("allergies", {}).get("no_known_allergies") is True
          and pending.get("state", {}).get("draft_pending") is True
          and pending.get("access", {}).get("view", {}).get("content_hash")
          != grant.get("content_hash"),
          "plan show --view draft (GP): the allergies edit pending, under another content hash")
    version = ledger.run("--json", "plan", "show", "--nhs", NHS, "--view", "version",
                         "--version", "1", *GP)
    one = json.loads(version.stdout) if version.returncode == 0 else {}
    check(one.get("plan") == published.get("plan"),
          "plan show --view version --version 1 shows what was published as version 1")
    count = ledger.records()
    refused = ledger.run("plan", "show", "--nhs", NHS, "--view", "draft", *CREW)
    check(refused.returncode == 3 and "published plans only" in refused.stderr
          and "Margaret" not in refused.stdout and ledger.records() == count + 1,
          "urgent care asking for the draft is refused (3), shown nothing, and recorded")


def positive(*values):
    return all(isinstance(value, (int, float)) and value > 0 for value in values)


def check_bench(ledger, tmp):
    """`bench seal` and `bench replay` at a tiny size: figures and ratios present and
    positive (their values depend on the machine and are not checked)."""
    os.environ["TMPDIR"] = tmp  # the scratch ledgers, removed with the test's directory
    seal = ledger.run("--json", "bench", "seal", "--events", "300", "--patients", "30",
                      "--threads", "1")
    figures = json.loads(seal.stdout) if seal.returncode == 0 else {}
    rates = figures.get("append_per_second", {}), figures.get("project_per_second", {})
    ratios = figures.get("ratios_to_limit", {})
    check(seal.returncode == 0 and figures.get("events") == 300
          and positive(*rates[0].values(), *rates[1].values())
          and positive(figures.get("append_ratio_sealed_to_clear"),
                       figures.get("project_ratio_sealed_to_clear"))
          and set(ratios) == {"append_clear", "append_sealed", "append_sealed_to_sign",
                              "project_clear", "project_sealed", "project_sealed_to_verify"}
          and positive(*ratios.values(), *figures.get("limits", {}).values()),
          "bench seal --json: clear and sealed rates, sealed / clear, and each rate's ratio to "
          "the same run's limits")
    aead = figures.get("aead_baseline", {})
    check(positive(figures.get("sealed_records"), figures.get("mean_sealed_bytes"))
          and aead.get("bytes") == figures.get("mean_sealed_bytes")
          and positive(aead.get("seal_per_second"), aead.get("open_per_second"),
                       figures.get("baseline", {}).get("sign_per_second"),
                       figures.get("baseline", {}).get("verify_per_second")),
          "bench seal measures AES-256-GCM on the sealed events' mean size and Ed25519 "
          "in the same run")
    text = ledger.run("bench", "seal", "--events", "200", "--patients", "20", "--threads", "1")
    check(text.returncode == 0 and "sealed / clear" in text.stdout
          and "/ signing + sealing limit" in text.stdout
          and "/ verification + opening limit" in text.stdout and "AES-256-GCM" in text.stdout,
          "bench seal prints its ratios to the limits as text")

    replay = ledger.run("--json", "bench", "replay", "--records", "2000", "--threads", "1",
                        "--keep")
    first = json.loads(replay.stdout) if replay.returncode == 0 else {}
    runs = {run["to"]: run for run in first.get("replays", [])}
    check(replay.returncode == 0 and set(runs) == {"halfway", "end"}
          and all(positive(run["records_applied"], run["seconds"], run["records_per_second"],
                           run["ratio_to_verify_limit"]) and run["stops"] == 0
                  and len(run.get("fingerprint", "")) == 64 for run in runs.values())
          and positive(first.get("baseline", {}).get("verify_per_second")),
          "bench replay --json: two replays, each with records/s, its ratio to the "
          "verification limit and the replay's fingerprint")
    check(runs and runs["halfway"]["records_applied"] < runs["end"]["records_applied"]
          == first.get("records"),
          "the halfway replay applies fewer records than the one to the end, which applies "
          "every record of the log")
    kept = first.get("data_dir", "")
    again = ledger.run("--json", "bench", "replay", "--reuse", kept, "--threads", "1")
    second = json.loads(again.stdout) if again.returncode == 0 else {}
    check(again.returncode == 0 and os.path.isdir(kept) and "load" not in second
          and [run.get("fingerprint") for run in second.get("replays", [])]
          == [run.get("fingerprint") for run in first.get("replays", [])],
          "bench replay --reuse measures a kept log again, without writing one: the same "
          "replays, the same fingerprints")
    startup = ledger.run("--json", "bench", "startup", "--reuse", kept, "--threads", "1")
    phases = json.loads(startup.stdout) if startup.returncode == 0 else {}
    check(startup.returncode == 0 and phases.get("snapshot", {}).get("from_snapshot") is True
          and positive(phases.get("full", {}).get("records_read"),
                       phases.get("raw_read", {}).get("records_per_second")),
          "bench startup --reuse measures the same kept log: a writer reads its sealed "
          "events whole and from its snapshot")
    text = ledger.run("bench", "replay", "--reuse", kept, "--threads", "1", "--no-fingerprint")
    check(text.returncode == 0 and text.stdout.count("% of the verification limit") == 2
          and "fingerprint" not in text.stdout,
          "bench replay prints each replay's ratio as text (--no-fingerprint: none)")

    # bench serve at a tiny rate: the service on a scratch ledger, read over
    # HTTPS with a minted token and a device certificate.
    serve = ledger.run("--json", "bench", "serve", "--rate", "40", "--seconds", "1",
                       "--warmup-seconds", "1", "--patients", "3", "--connections", "2",
                       "--server-threads", "2")
    served = json.loads(serve.stdout) if serve.returncode == 0 else {}
    at_rate, warmup = served.get("at_rate", {}), served.get("warmup") or {}
    check(serve.returncode == 0 and served.get("warmup_seconds") == 1
          and at_rate.get("failed") == 0 and at_rate.get("succeeded", 0) >= 30
          and warmup.get("failed") == 0 and warmup.get("succeeded", 0) >= 30
          and positive(at_rate.get("p99_ms"), served.get("healthz_per_second"),
                       served.get("group_commits_per_second"),
                       served.get("reads_per_group_commit"),
                       served.get("baseline", {}).get("sign_per_second_one_core")),
          "bench serve --json: the warm-up and the measured reads all answered 200, with "
          "latencies, group commits, the trivial endpoint's rate and the signing limit")
    check(served.get("baseline", {}).get("allocator", "").startswith(
        ("jemalloc 5.", "system malloc")),
          "benchmarks name the allocator malloc reaches")
    text = ledger.run("bench", "serve", "--rate", "20", "--seconds", "1", "--warmup-seconds",
                      "0", "--patients", "2", "--connections", "1", "--server-threads", "2")
    check(text.returncode == 0 and "warm-up" not in text.stdout
          and "/ signing limit of one core" in text.stdout and "allocator: " in text.stdout,
          "bench serve prints its ratios as text; --warmup-seconds 0 runs no warm-up")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    binary = parser.parse_args().careledger
    day = today()
    check_help(binary)
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(binary, os.path.join(tmp, "data"))
        check_setup(ledger)
        check_refusals(ledger, (day - datetime.timedelta(days=2)).isoformat())
        check_updates(ledger)
        check_submit(ledger, day)
        check_history(ledger)
        check_rotation_and_export(ledger, tmp, binary)
        check_follower(ledger, binary)
        check_kept_checkpoints(ledger, tmp, binary)
        check_projection_and_reads(ledger)
        check_bench(ledger, tmp)

    return summary("CLI")


if __name__ == "__main__":
    sys.exit(main())
