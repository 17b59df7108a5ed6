#!/usr/bin/env python3
"""The care homes guide's scenario, end to end, through the careledger
program's own commands (not `careledger demo`), on the embedded log or on a
real Kafka broker:

  the sample directory is registered; a care home administrator starts a
  resident's plan with consent and fills in what the home knows; trying to
  publish, the administrator is refused (only a clinician may); the plan is
  submitted to the GP and is on the GP's worklist; the GP completes the
  clinical sections, is refused publication while demographics.gender is
  missing, fills it and publishes version 1 (it leaves the worklist); an
  ambulance crew reads version 1 and its content hash; NHS 111 adds a note;
  the GP edits the plan, and the crew still reads version 1 (same hash) and is
  refused the draft, until the edit is approved as version 2 (a new hash); the
  resident dies in the care home, her preferred place; the plan closes and
  refuses an edit. Then `careledger verify` passes, the independent verifier
  passes, and the auditor's history shows every step in order: what, who
  (user, role, organisation, device) and, for every read, the version and
  content hash that reader was shown, with the refusals and their reasons.

Every content hash a reader is shown is also recomputed here, independently:
SHA-256 of the deterministic serialization of the CarePlan shown (compiled
from proto/ by tests/independent/verify_export.py).

usage: scenario_test.py --careledger BIN [--backend embedded|kafka]
  kafka: the broker at $CARELEDGER_KAFKA_BOOTSTRAP (required: without it the
  test FAILS, never skips), on a topic and writer id of its own.
"""
import argparse
import datetime
import hashlib
import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sample_plan import (SAMPLE_DIRECTORY_RECORDS, SAMPLE_USERS, b64hex,  # noqa: E402
                         complete_sections, flags, schema, today)

FAILURES = []
NHS = "9990000018"  # the resident (kSamplePatient)
VERIFY_EXPORT = os.path.join(HERE, "..", "independent", "verify_export.py")
# An Event's fields other than its body.
ENVELOPE_FIELDS = {"event_id", "stream_id", "stream_seq", "prev_hash", "recorded_at", "actor",
                   "command_id"}


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        FAILURES.append(what)
    return condition


class Ledger:
    def __init__(self, binary, data, log_args):
        self.binary, self.data, self.log_args = binary, data, log_args

    def run(self, *args):
        return subprocess.run([self.binary, "--data", self.data, *self.log_args, *args],
                              capture_output=True, text=True, timeout=180)

    def json(self, *args):
        """(exit code, parsed JSON document or {}, stderr) of a --json command."""
        result = self.run("--json", *args)
        try:
            document = json.loads(result.stdout) if result.stdout.strip() else {}
        except ValueError:
            document = {"unparsable": result.stdout}
        return result.returncode, document, result.stderr


def content_hash(plan_json):
    """SHA-256 of the deterministic serialization of the CarePlan `plan_json`,
    as base64 (the protobuf JSON form of bytes), computed here."""
    import base64
    from google.protobuf import json_format
    schema()  # compiles proto/ and imports the generated modules, plan_pb2 among them
    plan = sys.modules["careledger.v1.plan_pb2"].CarePlan()
    json_format.Parse(json.dumps(plan_json), plan)
    return base64.b64encode(hashlib.sha256(plan.SerializeToString(deterministic=True))
                            .digest()).decode()


class Scenario:
    """Runs the steps and keeps, in order, what the history must then show."""

    def __init__(self, ledger):
        self.ledger = ledger
        self.expected = []  # (what, user, body, {field: value}, reason substring or None)

    def expect(self, what, user, body, fields=None, reason=None):
        self.expected.append((what, user, body, fields or {}, reason))

    def act(self, what, user, *args, expect_exit=0, reason=None):
        """Runs `careledger <args> <user's flags>`; checks the exit code (and
        for a refusal, its reason on stderr)."""
        result = self.ledger.run(*args, *flags(user))
        ok = result.returncode == expect_exit and (reason is None or reason in result.stderr)
        check(ok, f"{what}: exit {result.returncode}"
              + ("" if ok else f"\n     stdout: {result.stdout[-1500:]}\n     stderr: "
                 f"{result.stderr[-1500:]}"))
        return result

    def read(self, user, view="published", version=None):
        """`--json plan show` as `user`: (exit code, document, stderr)."""
        args = ["plan", "show", "--nhs", NHS, "--view", view, *flags(user)]
        if version is not None:
            args += ["--version", str(version)]
        code, document, stderr = self.ledger.json(*args)
        return code, document, stderr

    def update(self, what, user, name, value):
        self.act(what, user, "plan", "update", "--nhs", NHS, "--section", name,
                 "--value", json.dumps(value))
        self.expect(what, user, "plan_section_updated", {"section": name})


def worklist_items(ledger, user):
    result = ledger.run("--json", "worklist", "--user", user)
    items = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.returncode, items


def run_scenario(ledger, day):
    s = Scenario(ledger)
    sections = dict(complete_sections(NHS, day))
    init = ledger.run("init")
    if not check(init.returncode == 0, f"init {init.stderr.strip()[-500:]}"):
        return None  # nothing else can work (e.g. no broker at the Kafka address)
    sample = ledger.run("directory", "sample")
    check(sample.returncode == 0 and sample.stdout.count("applied ") == SAMPLE_DIRECTORY_RECORDS,
          "directory sample registers the care home, GP, ambulance service, NHS 111, CMC team")

    # 1. The care home administrator starts the plan with the resident's consent.
    s.act("the care home administrator starts the plan with the resident's consent",
          "admin.rosewood", "plan", "start", "--nhs", NHS, "--consent", "patient",
          "--consent-date", day.isoformat(),
          "--discussion", "Discussed with the resident and her daughter at the care home")
    s.expect("plan started", "admin.rosewood", "plan_started")
    # 2. What the home knows; the home does not record the resident's gender.
    demographics_without_gender = {k: v for k, v in sections["demographics"].items()
                                   if k != "gender"}
    s.update("administrator records demographics (no gender)", "admin.rosewood", "demographics",
             demographics_without_gender)
    for name in ("preferences", "medications", "contacts"):
        s.update(f"administrator records {name}", "admin.rosewood", name, sections[name])
    # 3. Publishing is for clinicians.
    s.act("the administrator tries to publish: refused (3), only a clinician may",
          "admin.rosewood", "plan", "approve", "--nhs", NHS, expect_exit=3,
          reason="only a registered clinician may approve")
    s.expect("refused approval", "admin.rosewood", "denied",
             {"action": "approve_plan"}, reason="only a registered clinician may approve")
    code, items = worklist_items(ledger, "dr.patel")
    check(code == 0 and not any(i.get("nhs_number") == NHS for i in items),
          "before it is submitted, the plan is not on the GP's worklist")
    # 4. Submitted to the GP: on the GP's worklist.
    s.act("the administrator submits it to the GP", "admin.rosewood", "plan", "submit",
          "--nhs", NHS, "--to-user", "dr.patel",
          "--note", "Please complete the clinical sections and approve")
    s.expect("submitted", "admin.rosewood", "plan_submitted", {"to_user": "dr.patel"})
    code, items = worklist_items(ledger, "dr.patel")
    check(code == 0 and any(i.get("nhs_number") == NHS
                            and i.get("kind") == "WORKLIST_KIND_APPROVAL_NEEDED"
                            and i.get("owner") == "user/dr.patel" for i in items),
          f"worklist --user dr.patel shows the submitted plan waiting for approval: {items}")
    # 5. The GP completes the clinical sections.
    for name in ("medical_background", "resuscitation", "clinical", "allergies", "review",
                 "mycmc"):
        s.update(f"GP records {name}", "dr.patel", name, sections[name])
    # 6. A missing mandatory field stops publication, naming it.
    refused = s.act("the GP tries to publish without demographics.gender: refused (3)",
                    "dr.patel", "plan", "approve", "--nhs", NHS, expect_exit=3,
                    reason="mandatory fields missing: demographics.gender")
    check("demographics.gender" in refused.stderr
          and refused.stderr.strip().endswith("demographics.gender"),
          f"  ... naming exactly the missing field: {refused.stderr.strip()}")
    s.expect("refused approval: gender missing", "dr.patel", "denied",
             {"action": "approve_plan"}, reason="demographics.gender")
    code, items = worklist_items(ledger, "dr.patel")
    check(any(i.get("nhs_number") == NHS for i in items),
          "  ... and the plan is still on the GP's worklist")
    s.update("GP completes demographics (gender)", "dr.patel", "demographics",
             sections["demographics"])
    # 7. The GP publishes version 1.
    s.act("the GP approves: version 1 is published", "dr.patel", "plan", "approve",
          "--nhs", NHS)
    s.expect("approved v1", "dr.patel", "plan_approved", {"version": "1"})
    code, items = worklist_items(ledger, "dr.patel")
    check(code == 0 and not any(i.get("nhs_number") == NHS for i in items),
          f"once approved, the plan has left the GP's worklist: {items}")

    # 8. The ambulance crew reads version 1.
    code, v1, stderr = s.read("crew.lee")
    grant1 = v1.get("access", {}).get("view", {})
    hash1 = grant1.get("content_hash")
    check(code == 0 and grant1.get("version") == "1" and hash1
          and v1.get("plan", {}).get("clinical", {}).get("ceiling_of_treatment")
          == "TREATMENT_CEILING_TREAT_AT_HOME",
          f"the ambulance crew reads the published plan: version 1 {stderr.strip()}")
    check(hash1 == content_hash(v1.get("plan", {})),
          "  ... its recorded content hash is the SHA-256 of exactly the content shown")
    s.expect("crew reads v1", "crew.lee", "granted",
             {"view": "PLAN_VIEW_PUBLISHED", "version": "1", "content_hash": hash1})
    text = ledger.run("plan", "show", "--nhs", NHS, *flags("crew.lee"))
    check(text.returncode == 0 and "published version 1" in text.stdout
          and b64hex(hash1)[:12] in text.stdout,
          "  ... and the text form names version 1 and the content hash")
    s.expect("crew reads v1 (text)", "crew.lee", "granted",
             {"view": "PLAN_VIEW_PUBLISHED", "version": "1", "content_hash": hash1})

    # 9. NHS 111 adds a note.
    note = "Called 02:10: daughter reports agitation; advised just-in-case midazolam per plan."
    s.act("NHS 111 adds an urgent-care note", "call.okafor", "plan", "note", "--nhs", NHS,
          "--text", note)
    s.expect("note", "call.okafor", "urgent_care_note_added", {"text": note})

    # 10. The GP edits; the crew still reads version 1 and is refused the draft.
    edited = {"ceiling_of_treatment": "TREATMENT_CEILING_COMFORT_ONLY",
              "recommendations": "Comfort and symptom control at the care home; syringe "
                                 "driver if unable to swallow. Do not admit."}
    s.update("the GP edits the clinical recommendations (a working draft)", "dr.patel",
             "clinical", edited)
    code, again, _ = s.read("crew.lee")
    grant = again.get("access", {}).get("view", {})
    check(code == 0 and grant.get("version") == "1" and grant.get("content_hash") == hash1
          and again.get("plan") == v1.get("plan"),
          "while the edit is a draft, the crew still reads version 1 (same hash, same content)")
    s.expect("crew reads v1 again", "crew.lee", "granted",
             {"view": "PLAN_VIEW_PUBLISHED", "version": "1", "content_hash": hash1})
    code, draft, stderr = s.read("crew.lee", view="draft")
    check(code == 3 and "published plans only" in (draft.get("error", "") + stderr)
          and "plan" not in draft,
          f"the crew asking for the draft is refused (3) and shown nothing: {draft}")
    s.expect("crew refused the draft", "crew.lee", "denied",
             {"action": "view_plan", "view": "PLAN_VIEW_DRAFT"}, reason="published plans only")
    code, gp_draft, _ = s.read("dr.patel", view="draft")
    draft_hash = gp_draft.get("access", {}).get("view", {}).get("content_hash")
    check(code == 0 and gp_draft.get("plan", {}).get("clinical") == edited
          and draft_hash not in (None, hash1) and draft_hash == content_hash(gp_draft["plan"]),
          "the GP reads the draft with the edit, under its own content hash")
    s.expect("GP reads the draft", "dr.patel", "granted",
             {"view": "PLAN_VIEW_DRAFT", "content_hash": draft_hash})

    # 11. The edit is approved: version 2, a new hash.
    s.act("the GP approves the edit: version 2", "dr.patel", "plan", "approve", "--nhs", NHS)
    s.expect("approved v2", "dr.patel", "plan_approved", {"version": "2"})
    code, v2, _ = s.read("crew.lee")
    grant2 = v2.get("access", {}).get("view", {})
    hash2 = grant2.get("content_hash")
    check(code == 0 and grant2.get("version") == "2" and hash2 not in (None, hash1)
          and hash2 == draft_hash and v2.get("plan", {}).get("clinical") == edited
          and hash2 == content_hash(v2.get("plan", {})),
          "after approval the crew reads version 2: the edit, under a new content hash")
    s.expect("crew reads v2", "crew.lee", "granted",
             {"view": "PLAN_VIEW_PUBLISHED", "version": "2", "content_hash": hash2})
    code, old, _ = s.read("dr.patel", view="version", version=1)
    check(code == 0 and old.get("plan") == v1.get("plan")
          and old.get("access", {}).get("view", {}).get("content_hash") == hash1,
          "version 1 stays readable as it was published (same content, same hash)")
    s.expect("GP reads v1", "dr.patel", "granted",
             {"view": "PLAN_VIEW_VERSION", "version": "1", "content_hash": hash1})

    # 12. The resident dies in the care home, her first preference; the plan closes.
    s.act("the care home nurse records the death at Rosewood Care Home", "nurse.rosewood",
          "plan", "death", "--nhs", NHS, "--date", day.isoformat(),
          "--place", "Rosewood Care Home")
    s.expect("death", "nurse.rosewood", "death_recorded",
             {"place": "Rosewood Care Home", "preferred_place_met": "PREFERRED_PLACE_MET_FIRST"})
    s.act("the administrator tries to edit the closed plan: refused (3)", "admin.rosewood",
          "plan", "update", "--nhs", NHS, "--section", "contacts", "--value",
          json.dumps(sections["contacts"]), expect_exit=3, reason="closed")
    s.expect("refused edit: closed", "admin.rosewood", "denied",
             {"action": "update_plan_section"}, reason="the plan is closed")
    s.act("  ... and so is a second approval", "dr.patel", "plan", "approve", "--nhs", NHS,
          expect_exit=3, reason="closed")
    s.expect("refused approval: closed", "dr.patel", "denied", {"action": "approve_plan"},
             reason="closed")

    # 13. The log verifies, by careledger and by the independent verifier.
    verified = ledger.run("verify")
    check(verified.returncode == 0,
          f"careledger verify exits 0: {verified.stdout.strip().splitlines()[-1:]}")
    return s


def check_independently(ledger, tmp):
    export, keyring = os.path.join(tmp, "log.jsonl"), os.path.join(tmp, "keyring.json")
    check(ledger.run("log", "export", "--out", export).returncode == 0
          and ledger.run("keys", "export", "--out", keyring).returncode == 0, "log export")
    independent = subprocess.run(["/usr/bin/python3", VERIFY_EXPORT, export, "--keyring", keyring],
                                 capture_output=True, text=True, timeout=300)
    check(independent.returncode == 0,
          f"the independent verifier (tests/independent) passes: "
          f"{independent.stdout.strip().splitlines()[-1:]}")


def nanos(timestamp):
    """RFC 3339 UTC (the protobuf JSON form of a Timestamp) as nanoseconds."""
    whole, _, fraction = timestamp.rstrip("Z").partition(".")
    seconds = datetime.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    return int(seconds) * 1_000_000_000 + int((fraction or "0").ljust(9, "0"))


def matches(entry, expected):
    """Why `entry` (a history event) is not the `expected` step, or None."""
    _, user, body, fields, reason = expected
    _, role_enum, org, device = SAMPLE_USERS[user]
    who = entry.get("actor", {})
    if (who.get("user_id"), who.get("role"), who.get("organisation"), who.get("device_id")) != (
            user, role_enum, org, device):
        return f"actor {who}, expected {user} ({role_enum}, {org}, {device})"
    if body in ("granted", "denied"):
        record = entry.get("access_recorded")
        if record is None:
            return f"not an access record: {sorted(entry)}"
        outcome = "ACCESS_OUTCOME_GRANTED" if body == "granted" else "ACCESS_OUTCOME_DENIED"
        if record.get("outcome") != outcome:
            return f"outcome {record.get('outcome')}, expected {outcome}"
        if body == "granted" and record.get("action") != "view_plan":
            return f"a granted {record.get('action')}"
        if reason is not None and reason not in record.get("reason", ""):
            return f"reason {record.get('reason')!r}, expected it to say {reason!r}"
        if record.get("nhs_number") != NHS or record.get("subject") != f"patient/{NHS}":
            return f"about {record.get('subject')}"
        for name, value in fields.items():
            if record.get(name) != value:
                return f"{name} {record.get(name)!r}, expected {value!r}"
        if body == "granted" and record.get("stream_seq") in (None, "0"):
            return "a read that does not name the plan position it showed"
        return None
    content = entry.get(body)
    if content is None:
        return f"body {sorted(set(entry) - ENVELOPE_FIELDS)}, expected {body}"
    for name, value in fields.items():
        got = (next(iter(content.get("value", {})), None) if name == "section"
               else content.get(name))
        if got != value:
            return f"{name} {got!r}, expected {value!r}"
    return None


def check_history(ledger, scenario):
    code, document, stderr = ledger.json("plan", "show", "--nhs", NHS, "--view", "history",
                                         *flags("auditor.cmc"))
    check(code == 0, f"the CMC auditor reads the history {stderr.strip()}")
    entries = [entry.get("event", {}) for entry in document.get("history", [])]
    grant = document.get("access", {}).get("view", {})
    # The history read itself is recorded before it is shown.
    scenario.expect("auditor reads the history", "auditor.cmc", "granted",
                    {"view": "PLAN_VIEW_HISTORY", "version": "2",
                     "content_hash": grant.get("content_hash")})
    expected = scenario.expected
    check(len(entries) == len(expected),
          f"the history holds exactly the {len(expected)} steps (plan events, reads and "
          f"refusals): it holds {len(entries)}")
    for index, (entry, step) in enumerate(zip(entries, expected)):
        problem = matches(entry, step)
        check(problem is None, f"history #{index + 1}: {step[0]}"
              + (f": {problem}\n     entry: {json.dumps(entry)[:800]}" if problem else ""))
    times = [nanos(entry.get("recorded_at", "")) for entry in entries]
    check(times == sorted(times), "the history is in the order things happened (recorded_at)")
    plan_seqs = [int(e["stream_seq"]) for e in entries if e.get("stream_id") == f"patient/{NHS}"]
    check(plan_seqs == list(range(1, len(plan_seqs) + 1)),
          "every plan event is there, its stream_seq gapless from 1")
    approvals = {e["plan_approved"]["version"]: e["plan_approved"]["draft_hash"]
                 for e in entries if "plan_approved" in e}
    reads = [e["access_recorded"] for e in entries
             if e.get("access_recorded", {}).get("outcome") == "ACCESS_OUTCOME_GRANTED"
             and e["access_recorded"].get("view") == "PLAN_VIEW_PUBLISHED"]
    check(reads and all(r.get("content_hash") == approvals.get(r.get("version")) for r in reads),
          "every published read records the hash the approval of its version signed")
    check(document.get("status") == "PLAN_STATUS_CLOSED"
          and document.get("state", {}).get("death", {}).get("preferred_place_met")
          == "PREFERRED_PLACE_MET_FIRST",
          "the plan is closed: the resident died in her first preferred place")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    parser.add_argument("--backend", choices=("embedded", "kafka"), default="embedded")
    args = parser.parse_args()
    day = today()
    with tempfile.TemporaryDirectory(prefix="careledger-scenario-") as tmp:
        log_args = []
        if args.backend == "kafka":
            bootstrap = os.environ.get("CARELEDGER_KAFKA_BOOTSTRAP")
            if not bootstrap:
                print("FAIL: CARELEDGER_KAFKA_BOOTSTRAP is not set; start the broker with "
                      "`export CARELEDGER_KAFKA_BOOTSTRAP=$(deploy/kafka/kafka.sh start)`")
                return 1
            unique = f"{os.getpid()}.{datetime.datetime.now().strftime('%Y%m%d%H%M%S%f')}"
            # Its own topic, and its own writer id (Kafka's transactional.id
            # is per writer id, whatever the topic).
            log_args = ["--log", f"kafka:{bootstrap}", "--topic", f"careledger.scenario.{unique}",
                        "--writer-id", f"scenario-{unique}"]
            print(f"Kafka at {bootstrap}, topic careledger.scenario.{unique}")
        ledger = Ledger(args.careledger, os.path.join(tmp, "data"), log_args)
        scenario = run_scenario(ledger, day)
        if scenario is not None:
            check_independently(ledger, tmp)
            check_history(ledger, scenario)
    print(f"{len(FAILURES)} failed" if FAILURES else "the whole scenario passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
