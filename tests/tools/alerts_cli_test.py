#!/usr/bin/env python3
"""The investigation rules end to end (issue "Audit", item 3), through the
careledger program on the embedded log:

  the sample directory; a published plan; an ambulance crew reads it, which
  raises nothing (whatever the hour); the GP restricts it and the crew reads
  it again through break-glass. `audit alerts` (recorded first, like every
  audit query; only the CMC team) lists the break-glass alert with its
  reason and the access record as evidence, which `audit access` opens.
  A clinician may neither list nor review alerts (exit 3, and the attempts
  are in the trail). The auditor's `audit review` marks the alert reviewed:
  a signed AlertReviewed on "audit/alert/<id>" that the log export holds and
  the independent verifier accepts; `--unreviewed` then leaves it out.
  Thresholds and rules are checked (usage errors exit 2); the projection
  still rebuilds byte for byte.

Standard library only, plus python3-protobuf for reading the export back.
usage: alerts_cli_test.py --careledger BIN
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_checks import CareledgerCli, check, summary  # noqa: E402
from sample_plan import complete_sections, decode_export, flags, today  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NHS = "9990000026"  # a synthetic NHS number (999 range, valid check digit)
AUDITOR = flags("auditor.cmc")
CREW = flags("crew.lee")
GP = flags("dr.patel")


class Ledger(CareledgerCli):

    def alerts(self, *args, who=AUDITOR):
        """`--json audit alerts <args>` -> (exit code, [alerts], trailer, output)."""
        result = self.run("--json", "audit", "alerts", *args, *who)
        lines = []
        for line in result.stdout.splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                pass
        alerts = [line for line in lines if "alert_id" in line]
        trailer = next((line for line in lines if "records_examined" in line), {})
        return result.returncode, alerts, trailer, result.stdout + result.stderr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="careledger-alerts-") as data:
        run(Ledger(args.careledger, data), data)
    return summary("alert")


def run(ledger, data):
    for command in (["audit", "alerts"], ["audit", "review"]):
        result = ledger.run(*command, "--help")
        check(result.returncode == 0 and "Usage" in result.stdout,
              f"'careledger {' '.join(command)} --help' prints usage")
    init = ledger.run("init")
    sample = ledger.run("directory", "sample")
    if not check(init.returncode == 0 and sample.returncode == 0,
                 f"init and directory sample {init.stderr[-300:]} {sample.stderr[-300:]}"):
        return
    day = today()
    steps = [["plan", "start", "--nhs", NHS, "--consent", "patient",
              "--consent-date", day.isoformat(), "--discussion", "Discussed at home"]]
    for name, value in complete_sections(NHS, day):
        steps.append(["plan", "update", "--nhs", NHS, "--section", name,
                      "--value", json.dumps(value)])
    steps.append(["plan", "approve", "--nhs", NHS])
    for step in steps:
        result = ledger.run(*step, *GP)
        if not check(result.returncode == 0, f"GP: {' '.join(step[:4])} {result.stderr[-300:]}"):
            return

    # ---- an ambulance crew reading the plan raises nothing, whatever the hour ----
    read = ledger.run("--json", "plan", "show", "--nhs", NHS, *CREW)
    check(read.returncode == 0, f"the crew reads the published plan {read.stderr[-300:]}")
    code, alerts, trailer, output = ledger.alerts()
    check(code == 0 and alerts == [] and trailer.get("records_examined", 0) > 10
          and trailer.get("time_zone") == "Europe/London"
          and trailer.get("thresholds", {}).get("deceased_days") == "30",
          f"no alerts after the crew's read: {alerts} {output[-500:]}")

    # ---- break-glass ----
    restrict = ledger.run("plan", "restrict", "--nhs", NHS, "--allow", "dr.patel",
                          "--reason", "member of staff", *GP)
    check(restrict.returncode == 0, f"the GP restricts the plan {restrict.stderr[-300:]}")
    glass = ledger.run("--json", "plan", "show", "--nhs", NHS, "--break-glass",
                       "cardiac arrest, no other record", *CREW)
    access = json.loads(glass.stdout).get("access", {}) if glass.returncode == 0 else {}
    check(glass.returncode == 0 and access.get("view", {}).get("break_glass") is True,
          f"the crew reads it through break-glass {glass.stderr[-300:]}")
    position = (access.get("partition", 0), int(access.get("offset", "-1")))
    alert_id = "break_glass/{}-{}".format(*position)

    code, alerts, trailer, output = ledger.alerts("--rule", "break_glass")
    alert = alerts[0] if len(alerts) == 1 else {}
    evidence = alert.get("evidence", [{}])
    check(code == 0 and alert.get("alert_id") == alert_id
          and alert.get("severity") == "ALERT_SEVERITY_MEDIUM"
          and "cardiac arrest, no other record" in alert.get("reason", "")
          and alert.get("actor", {}).get("user_id") == "crew.lee"
          and alert.get("nhs_number") == NHS and "review" not in alert
          and len(evidence) == 1 and evidence[0].get("partition", 0) == position[0]
          and int(evidence[0].get("offset", "-1")) == position[1],
          f"audit alerts --rule break_glass: the alert, its reason and evidence {alerts} "
          f"{output[-300:]}")
    recorded = trailer.get("recorded", {})
    opened = ledger.run("--json", "audit", "access", "--partition", str(position[0]),
                        "--offset", str(position[1]), *AUDITOR)
    entry = json.loads(opened.stdout).get("entry", {}) if opened.returncode == 0 else {}
    check(entry.get("break_glass") is True and entry.get("restricted") is True,
          "audit access opens the evidence: a break-glass read of a restricted plan")
    code, everything, _, _ = ledger.alerts()
    check(code == 0 and [a.get("rule") for a in everything] == ["break_glass"],
          f"every rule: only the break-glass alert {[a.get('reason') for a in everything]}")
    text = ledger.run("audit", "alerts", *AUDITOR)
    check(text.returncode == 0 and alert_id in text.stdout and "not reviewed" in text.stdout
          and "this query is recorded" in text.stdout and "thresholds: deceased_days=30" in text.stdout,
          f"audit alerts prints them for people {text.stdout[:400]} {text.stderr[-300:]}")

    # ---- auditors are audited; only the CMC team lists or reviews ----
    code, trail, _ = json_lines(ledger.run("--json", "audit", "user", "--user", "auditor.cmc",
                                           "--limit", "1000", *AUDITOR))
    queries = [e for e in trail if e.get("action") == "audit_alerts"]
    check(code == 0 and len(queries) >= 4 and queries[0].get("subject") == "audit/alerts"
          and any(q.get("subject") == "audit/alerts/break_glass" for q in queries)
          and any(q.get("position", {}).get("offset") == recorded.get("offset")
                  and q.get("position", {}).get("partition", 0) == recorded.get("partition", 0)
                  for q in queries),
          f"every `audit alerts` is in the auditor's trail ({len(queries)})")
    refused = ledger.run("--json", "audit", "alerts", *GP)
    check(refused.returncode == 3 and "alert_id" not in refused.stdout,
          f"a clinician may not list alerts (3) {refused.stdout[-300:]}")
    refused = ledger.run("audit", "review", "--alert", alert_id, "--outcome", "justified", *GP)
    check(refused.returncode == 3 and "only the CMC team reviews alerts" in refused.stdout
          + refused.stderr, f"a clinician may not review one (3) {refused.stdout[-300:]}")
    code, trail, _ = json_lines(ledger.run("--json", "audit", "user", "--user", "dr.patel",
                                           "--limit", "1000", *AUDITOR))
    attempts = [e for e in trail if e.get("kind") == "AUDIT_KIND_REFUSED"]
    check([e.get("action") for e in attempts] == ["audit_alerts", "review_alert"]
          and attempts[-1].get("subject") == f"audit/alert/{alert_id}",
          f"both refused attempts are in the clinician's trail {attempts}")

    # ---- bad input ----
    for bad in (["--threshold", "many_patients=0"], ["--threshold", "snooping=1"],
                ["--rule", "snooping"], ["--from", "yesterday"],
                ["--from", "2030-01-02", "--to", "2030-01-01"]):
        result = ledger.run("audit", "alerts", *bad, *AUDITOR)
        check(result.returncode == 2, f"audit alerts {' '.join(bad)}: usage error (2)")
    for bad, expected in ((["--alert", alert_id, "--outcome", "fine"], 2),
                          (["--alert", "break_glass", "--outcome", "justified"], 2),
                          (["--alert", "break_glass/0-99999", "--outcome", "justified"], 1),
                          (["--alert", "out_of_hours/{}-{}".format(*position),
                            "--outcome", "justified"], 1),
                          (["--alert", alert_id, "--outcome", "referred"], 3)):
        result = ledger.run("audit", "review", *bad, *AUDITOR)
        check(result.returncode == expected,
              f"audit review {' '.join(bad)}: exit {result.returncode}, expected {expected} "
              f"{result.stderr.strip()[-200:]}")

    # ---- the review: a signed event; the alert shows it ----
    review = ledger.run("--json", "audit", "review", "--alert", alert_id, "--outcome",
                        "justified", "--note", "999 call log confirms the arrest", *AUDITOR)
    result = json.loads(review.stdout) if review.returncode == 0 else {}
    check(result.get("outcome") == "OUTCOME_APPLIED"
          and result.get("stream_id") == f"audit/alert/{alert_id}",
          f"the auditor reviews it {review.stdout[-300:]} {review.stderr[-300:]}")
    code, alerts, trailer, _ = ledger.alerts("--rule", "break_glass")
    reviewed = alerts[0].get("review", {}) if len(alerts) == 1 else {}
    check(code == 0 and reviewed.get("outcome") == "ALERT_REVIEW_OUTCOME_JUSTIFIED"
          and reviewed.get("note") == "999 call log confirms the arrest"
          and reviewed.get("reviewed_by", {}).get("user_id") == "auditor.cmc"
          and int(reviewed.get("position", {}).get("offset", "-1")) == int(result.get("offset", -2))
          and trailer.get("unreviewed") == 0,
          f"audit alerts shows the review {alerts}")
    code, alerts, _, _ = ledger.alerts("--unreviewed")
    check(code == 0 and alerts == [], "--unreviewed leaves it out")
    text = ledger.run("audit", "alerts", *AUDITOR)
    check("reviewed: justified by auditor.cmc" in text.stdout,
          f"and says so to people {text.stdout[-400:]}")
    code, trail, _ = json_lines(ledger.run("--json", "audit", "patient", "--nhs", NHS,
                                           "--limit", "1000", *AUDITOR))
    changes = [e for e in trail if e.get("action") == "alert_reviewed"]
    check(len(changes) == 1 and changes[0].get("actor", {}).get("user_id") == "auditor.cmc"
          and alert_id in changes[0].get("note", ""),
          "the review is in the patient's trail, naming the auditor")
    investigation_case(ledger, alert_id)

    # ---- the log verifies, independently too; the review is a signed record ----
    verify = ledger.run("verify")
    check(verify.returncode == 0, f"verify passes {verify.stderr[-300:]}")
    export, keyring = os.path.join(data, "log.jsonl"), os.path.join(data, "keyring.json")
    exported = ledger.run("log", "export", "--out", export)
    keys = ledger.run("keys", "export", "--out", keyring)
    if check(exported.returncode == 0 and keys.returncode == 0, "log and keys export"):
        events = decode_export(export)
        reviews = [e for e in events if e[3] == "alert_reviewed"]
        body = reviews[0][4].get("alert_reviewed", {}) if len(reviews) == 1 else {}
        check(len(reviews) == 1 and reviews[0][2] == f"audit/alert/{alert_id}"
              and body.get("alert_id") == alert_id and body.get("nhs_number") == NHS
              and body.get("outcome") == "ALERT_REVIEW_OUTCOME_JUSTIFIED"
              and reviews[0][4].get("actor", {}).get("user_id") == "auditor.cmc",
              f"the export holds the AlertReviewed {reviews}")
        independent = subprocess.run(
            ["/usr/bin/python3", os.path.join(HERE, "..", "independent", "verify_export.py"),
             export, "--keyring", keyring], capture_output=True, text=True, timeout=300)
        check(independent.returncode == 0,
              f"the independent verifier accepts the log {independent.stdout[-300:]}")
    own_record_however_written(ledger)
    incremental = ledger.run("project", "--fingerprint")
    rebuilt = ledger.run("project", "--rebuild", "--fingerprint")
    fingerprint = re.compile(r"[0-9a-f]{64}")
    a, b = fingerprint.findall(incremental.stdout), fingerprint.findall(rebuilt.stdout)
    check(a and b and a[-1] == b[-1], "the projection, alert reviews and cases included, "
          "rebuilds byte for byte")


def own_record_however_written(ledger):
    """NHS numbers are normalised where they are entered, so formatting cannot
    hide a user's own record: the GP's own NHS number, entered as people
    write it, is the patient's; their read of it raises own_record."""
    day = today().isoformat()
    gp_record = ["directory", "user", "--user", "dr.patel", "--name", "Dr Anil Patel",
                 "--role", "clinician", "--org", "GP0001", "--registration", "GMC 7012345",
                 "--uaf-manager", "Practice manager", "--uaf-date", day, "--ig-date", day,
                 "--aup-date", day, "--module", "CMC101", "--module", "CMC102",
                 "--module", "CMC103"]
    written = f"{NHS[:3]} {NHS[3:6]} {NHS[6:]}"  # "999 000 0026"
    bad = ledger.run(*gp_record, "--nhs", f"{NHS[:3]} {NHS[3:6]} {NHS[6:9]}7", *AUDITOR)
    check(bad.returncode == 3 and "fails the modulus 11 check" in bad.stdout + bad.stderr,
          f"a professional's own NHS number is validated too {bad.returncode} "
          f"{(bad.stdout + bad.stderr)[-300:]}")
    recorded = ledger.run("--json", *gp_record, "--nhs", written, *AUDITOR)
    check(recorded.returncode == 0, f"the GP's own NHS number, written with spaces, is recorded "
          f"{recorded.stderr[-300:]}")
    shown = ledger.run("--json", "directory", "show", "--user", "dr.patel")
    check(shown.returncode == 0 and f'"nhs_number":"{NHS}"' in shown.stdout.replace(" ", ""),
          f"... as its ten digits {shown.stdout[-300:]} {shown.stderr[-300:]}")
    read = ledger.run("--json", "plan", "show", "--nhs", f"{NHS[:3]}-{NHS[3:6]}-{NHS[6:]}", *GP)
    check(read.returncode == 0, f"plan show takes the number written with hyphens "
          f"{read.stderr[-300:]}")
    code, alerts, _, output = ledger.alerts("--rule", "own_record")
    check(code == 0 and len(alerts) == 1 and alerts[0].get("nhs_number") == NHS
          and alerts[0].get("severity") == "ALERT_SEVERITY_HIGH"
          and alerts[0].get("actor", {}).get("user_id") == "dr.patel",
          f"the GP reading their own plan raises own_record {alerts} {output[-300:]}")
    code, alerts, _, output = ledger.alerts("--order", "sideways")
    check(code == 2 and "is not an order (risk, time)" in output,
          f"--order takes risk or time {output[-200:]}")


def investigation_case(ledger, alert_id):
    """`audit case`: the auditor opens a case on the patient, puts the alert
    and a note in it and closes it; bad input exits 2, anyone else and a
    closed case are refused by the ledger (exit 3); list and show read it;
    the alert names its case and its reader."""
    opened = ledger.run("--json", "audit", "case", "open", "--title", "Break-glass by crew.lee",
                        "--nhs", "999 000 0026", *AUDITOR)
    result = json.loads(opened.stdout) if opened.returncode == 0 else {}
    stream = result.get("stream_id", "")
    case_id = stream[len("audit/case/"):]
    check(result.get("outcome") == "OUTCOME_APPLIED"
          and re.fullmatch(r"case-[0-9a-f]{16}", case_id),
          f"audit case open: a case on the patient {opened.stdout[-300:]} {opened.stderr[-300:]}")
    refused = ledger.run("audit", "case", "note", "--case", case_id, "--note", "mine", *CREW)
    check(refused.returncode == 3 and "only the CMC team keeps investigation cases"
          in refused.stdout + refused.stderr, f"urgent care may not note on it (3) "
          f"{refused.stdout[-300:]}")
    for args, reason in ((["note", "--case", case_id, "--note", " "], "may not be empty"),
                         (["open", "--title", "t"], "exactly one"),
                         (["add-alert", "--case", case_id, "--alert", "nonsense"], "alert id")):
        bad = ledger.run("audit", "case", *args, *AUDITOR)
        check(bad.returncode == 2 and reason in bad.stdout + bad.stderr,
              f"audit case {' '.join(args)}: exit 2 '{reason}' ({bad.returncode} "
              f"{bad.stderr.strip()[-200:]})")
    for args in (["add-alert", "--case", case_id, "--alert", alert_id],
                 ["note", "--case", case_id, "--note", "999 call log asked for"],
                 ["close", "--case", case_id, "--outcome", "justified", "--note", "a real arrest"]):
        done = ledger.run("audit", "case", *args, *AUDITOR)
        check(done.returncode == 0, f"audit case {args[0]}: applied {done.stderr[-300:]}")
    late = ledger.run("audit", "case", "note", "--case", case_id, "--note", "late", *AUDITOR)
    check(late.returncode == 3 and "is closed" in late.stdout + late.stderr,
          f"a note on the closed case is refused (3) {late.stdout[-300:]}")
    code, shown, _ = json_lines(ledger.run("--json", "audit", "case", "show", "--case", case_id,
                                           *AUDITOR))
    whole = shown[0] if len(shown) == 1 else {}
    check(code == 0 and whole.get("status") == "CASE_STATUS_CLOSED"
          and whole.get("nhs_number") == NHS and whole.get("alert_ids") == [alert_id]
          and [e.get("action") for e in whole.get("entries", [])] ==
          ["case_opened", "case_alert_added", "case_note_added", "case_closed"],
          f"audit case show: the case whole {whole}")
    code, listed, _ = json_lines(ledger.run("--json", "audit", "case", "list", "--status",
                                            "closed", "--nhs", NHS, *AUDITOR))
    check(code == 0 and [c.get("case_id") for c in listed] == [case_id],
          f"audit case list --status closed --nhs: the case {listed}")
    code, alerts, _, _ = ledger.alerts("--rule", "break_glass")
    alert = alerts[0] if len(alerts) == 1 else {}
    check(alert.get("case_ids") == [case_id] and alert.get("actor_name"),
          f"audit alerts: the alert names its case and its reader {alert}")
    text = ledger.run("audit", "alerts", "--rule", "break_glass", *AUDITOR)
    check(text.returncode == 0 and f"in case: {case_id}" in text.stdout
          and f"crew.lee \"{alert.get('actor_name')}\"" in text.stdout,
          f"and says so to people {text.stdout[-400:]}")


def json_lines(result):
    lines = []
    for line in result.stdout.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            pass
    entries = [line for line in lines if "next_page_token" not in line]
    return result.returncode, entries, result.stderr


if __name__ == "__main__":
    sys.exit(main())
