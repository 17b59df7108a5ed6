#!/usr/bin/env python3
"""`careledger audit export` end to end (issue "Audit", item 5), on the
embedded log:

  `careledger demo` runs the care homes guide's scenario; the CMC auditor
  exports the resident's trail as FHIR (a Bundle of R4 AuditEvents, checked
  with the json module: every resource has the AuditEvent's required
  elements, type, recorded, an agent that is the requestor, and a source
  with an observer, and names the patient by NHS number) and as CSV
  (checked with the csv module: the header, one field per column in every
  row, the same entries as `audit patient`). Auditors are audited: each
  export is recorded first (action "audit_export_patient"), ends its own
  export, and shows up in `audit patient` afterwards. A clinician is
  refused (exit 3) and gets no file; bad usage exits 2 and records nothing.

Standard library only.
usage: audit_export_cli_test.py --careledger BIN
"""
import argparse
import csv
import io
import json
import os
import re
import stat
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_checks import CareledgerCli, check, summary, where  # noqa: E402
from sample_plan import flags  # noqa: E402

AUDITOR = flags("auditor.cmc") + ["--as-address", "10.0.0.10"]
GP = flags("dr.patel")
DCM = "http://dicom.nema.org/resources/ontology/DCM"
NHS_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
COLUMNS = ["recorded_at", "kind", "action", "outcome", "reason", "nhs_number", "user_id", "user_name", "role",
           "organisation", "site", "device_id", "network_address", "purpose", "view", "version",
           "stream_seq", "content_hash_hex", "section", "break_glass", "break_glass_reason",
           "partition", "offset", "command_id"]


class Ledger(CareledgerCli):

    def trail(self, *args):
        """`--json audit <args>` as the auditor -> [entries]."""
        result = self.run("--json", "audit", *args, "--limit", "10000", *AUDITOR)
        lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        return [line for line in lines if "next_page_token" not in line]


def audit_event_problems(resource):
    """What the resource lacks of FHIR R4 AuditEvent's required elements."""
    problems = []
    if resource.get("resourceType") != "AuditEvent":
        problems.append("resourceType")
    kind = resource.get("type", {})
    if not (kind.get("system") and kind.get("code")):
        problems.append("type with system and code")
    if not INSTANT.match(resource.get("recorded", "")):
        problems.append("recorded instant")
    agents = resource.get("agent", [])
    if not agents or any(not isinstance(a.get("requestor"), bool) for a in agents):
        problems.append("agent with requestor")
    requestors = [a for a in agents if a.get("requestor") is True]
    if len(requestors) != 1 or not requestors[0].get("who", {}).get("identifier", {}).get("value"):
        problems.append("one requestor with who")
    if not resource.get("source", {}).get("observer"):
        problems.append("source with observer")
    if resource.get("outcome") not in ("0", "4", "8", "12"):
        problems.append("outcome")
    return problems


def patient_of(resource):
    for entity in resource.get("entity", []):
        identifier = entity.get("what", {}).get("identifier", {})
        if identifier.get("system") == NHS_SYSTEM and entity.get("role", {}).get("code") == "1":
            return identifier.get("value")
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="careledger-export-") as data:
        run(Ledger(args.careledger, os.path.join(data, "ledger")), data)
    return summary("audit export")


def run(ledger, scratch):
    result = ledger.run("audit", "export", "--help")
    check(result.returncode == 0 and "--format" in result.stdout, "audit export --help")
    demo = ledger.run("demo")
    found = re.search(r"scenario for resident (\d{10})", demo.stdout)
    if not check(demo.returncode == 0 and found, f"demo runs the scenario {demo.stderr[-500:]}"):
        return
    nhs = found.group(1)
    before = ledger.trail("patient", "--nhs", nhs)

    # ---- FHIR ----
    out = os.path.join(scratch, "trail.fhir.json")
    result = ledger.run("--json", "audit", "export", "--format", "fhir", "--nhs", nhs,
                        "--out", out, "--purpose", "subject access request", *AUDITOR)
    summary = json.loads(result.stdout) if result.returncode == 0 else {}
    if not check(result.returncode == 0 and os.path.exists(out),
                 f"audit export --format fhir writes the file {result.stderr.strip()}"):
        return
    check(stat.S_IMODE(os.stat(out).st_mode) == 0o600 and not os.path.exists(out + ".partial"),
          "the file is the owner's only, and complete")
    with open(out, encoding="utf-8") as f:
        bundle = json.load(f)
    entries = bundle.get("entry", [])
    check(bundle.get("resourceType") == "Bundle" and bundle.get("type") == "collection"
          and len(entries) == len(before) + 1 == summary.get("exported"),
          f"a Bundle (collection) of every entry and the export itself: {len(entries)} "
          f"(trail {len(before)}, summary {summary.get('exported')})")
    problems = {}
    for item in entries:
        resource = item.get("resource", {})
        missing = audit_event_problems(resource)
        if missing:
            problems[resource.get("id")] = missing
    check(not problems, f"every AuditEvent has the required elements {problems}")
    check(all(item.get("fullUrl", "").startswith("urn:uuid:") for item in entries)
          and len({item.get("fullUrl") for item in entries}) == len(entries),
          "every entry has its own urn:uuid fullUrl")
    check(all(patient_of(item["resource"]) == nhs for item in entries),
          "every AuditEvent names the patient by NHS number")
    ids = [item["resource"]["id"] for item in entries]
    check(ids[:len(before)] == ["cl-{}-{}".format(*where(e)) for e in before],
          "the AuditEvents are the trail's entries, in order, identified by their log position")
    outcomes = {item["resource"]["outcome"] for item in entries}
    refused = [item["resource"] for item in entries if item["resource"]["outcome"] == "4"]
    check(outcomes == {"0", "4"} and refused and all(r.get("outcomeDesc") for r in refused),
          "granted is 0, refused is 4 with the reason")
    reads = [item["resource"] for item in entries
             if item["resource"]["type"]["code"] == "rest" and item["resource"]["action"] == "R"
             and item["resource"]["outcome"] == "0"]
    check(reads and all(any(c.get("code") == "ETREAT" for p in r.get("purposeOfEvent", [])
                            for c in p.get("coding", [])) for r in reads
                        if "URGENT" in json.dumps(r.get("agent"))),
          "urgent care's reads carry the purpose of use ETREAT")
    last = entries[-1]["resource"] if entries else {}
    recorded = summary.get("recorded", {})
    check(last.get("type", {}).get("code") == "110106"
          and any(s.get("code") == "audit_export_patient" for s in last.get("subtype", []))
          and last.get("id") == "cl-{}-{}".format(recorded.get("partition", 0),
                                                  recorded.get("offset", "-1"))
          and any(p.get("text") == "subject access request"
                  for p in last.get("purposeOfEvent", [])),
          f"the export ends with its own record (DICOM Export, the auditor's purpose): "
          f"{json.dumps(last)[:300]}")

    # ---- CSV, to stdout ----
    result = ledger.run("audit", "export", "--format", "csv", "--nhs", nhs, *AUDITOR)
    rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
    check(result.returncode == 0 and "this export is recorded" in result.stderr,
          f"audit export --format csv writes to stdout, the summary to stderr {result.stderr}")
    header = rows[0] if rows else []
    check(header[:len(COLUMNS)] == COLUMNS, f"the CSV header: {header}")
    check(all(len(row) == len(header) for row in rows),
          "every CSV row has one field per column")
    body = [dict(zip(header, row)) for row in rows[1:]]
    check(len(body) == len(before) + 2,
          f"every entry, the FHIR export and this export: {len(body)} rows")
    check(all(row["nhs_number"] == nhs for row in body), "every row names the patient")
    check([(int(r["partition"]), int(r["offset"])) for r in body[:len(before)]]
          == [where(e) for e in before], "the rows are the trail's entries, in order")
    check(body[-2]["action"] == "audit_export_patient" and body[-1]["action"] == "audit_export_patient"
          and body[-1]["user_id"] == "auditor.cmc" and body[-1]["kind"] == "AUDIT_QUERY",
          "both exports are in the CSV, the last one its own")
    hashes = [r["content_hash_hex"] for r in body if r["kind"] == "READ"]
    check(hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes),
          "reads carry the content hash shown, in hex")

    # ---- the exports are in the trail afterwards ----
    after = ledger.trail("patient", "--nhs", nhs)
    exports = [e for e in after if e.get("action") == "audit_export_patient"]
    check(len(exports) == 2 and all(e.get("kind") == "AUDIT_KIND_AUDIT_QUERY"
                                    and e.get("actor", {}).get("user_id") == "auditor.cmc"
                                    for e in exports),
          f"'audit patient' shows both exports afterwards ({len(exports)})")

    # ---- a user's and an organisation's trail ----
    for flag, subject, scope in (("--user", "crew.lee", "user"), ("--org", "AMB001", "org")):
        expected = ledger.trail(scope, flag, subject)
        result = ledger.run("audit", "export", "--format", "csv", flag, subject, *AUDITOR)
        rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
        check(result.returncode == 0 and len(rows) - 1 == len(expected) > 0,
              f"audit export {flag} {subject}: {len(rows) - 1} rows, trail {len(expected)}")
    cmc = ledger.trail("user", "--user", "auditor.cmc")
    check({"audit_export_user", "audit_export_organisation"}
          <= {e.get("action") for e in cmc}, "user and organisation exports are recorded")

    # ---- refused: only the CMC team exports ----
    denied = os.path.join(scratch, "denied.csv")
    result = ledger.run("audit", "export", "--format", "csv", "--nhs", nhs, "--out", denied, *GP)
    check(result.returncode == 3 and not os.path.exists(denied)
          and not os.path.exists(denied + ".partial") and "AUDIT_QUERY" not in result.stdout,
          f"a clinician is refused (3) and gets no file {result.stdout[:200]}")
    latest = ledger.trail("patient", "--nhs", nhs, "--newest-first")
    attempt = [e for e in latest if e.get("kind") == "AUDIT_KIND_REFUSED"
               and e.get("action") == "audit_export_patient"]
    check(attempt and attempt[0].get("actor", {}).get("user_id") == "dr.patel",
          "the refused export is in the patient's trail")

    # ---- usage errors record nothing ----
    count = len(ledger.trail("user", "--user", "auditor.cmc"))
    for bad in (["--format", "csv"], ["--format", "csv", "--nhs", nhs, "--user", "crew.lee"],
                ["--format", "xml", "--nhs", nhs], ["--nhs", nhs],
                ["--format", "csv", "--nhs", nhs, "--from", "2030-01-02", "--to", "2030-01-01"],
                ["--format", "csv", "--nhs", nhs, "--out",
                 os.path.join(scratch, "missing", "dir.csv")]):
        result = ledger.run("audit", "export", *bad, *AUDITOR)
        check(result.returncode in (1, 2) and not result.stdout.strip(),
              f"audit export {' '.join(bad)}: refused as usage ({result.returncode})")
    check(len(ledger.trail("user", "--user", "auditor.cmc")) == count + 1,
          "bad usage records no export (only the check's own query)")

    verify = ledger.run("verify")
    check(verify.returncode == 0, f"verify passes {verify.stderr[-300:]}")


if __name__ == "__main__":
    sys.exit(main())
