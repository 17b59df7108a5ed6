#!/usr/bin/env python3
"""The audit commands end to end (issue "Audit", items 1, 2 and 4), through the
careledger program on the embedded log:

  `careledger demo` runs the care homes guide's scenario (reads, refusals,
  edits, approvals, a note, a death); then the CMC auditor asks
  `audit patient` (every access and change, who, where, when, what, and the
  record that proves it), `audit user` and `audit org`, pages through the
  trail in both orders with no duplicates or gaps, narrows it by time, and
  opens single records with `audit access`, which rebuilds the exact plan
  content the reader was shown from the signed log and checks it against the
  recorded hash. Auditors are audited: every query appears in the patient's
  trail afterwards; a clinician asking is refused (exit 3), shown nothing,
  and the attempt is in the trail too. The log still verifies and the
  projection rebuilds byte for byte.

Standard library only.
usage: audit_cli_test.py --careledger BIN
"""
import argparse
import json
import os
import re
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_checks import CareledgerCli, check, summary, where  # noqa: E402
from sample_plan import flags  # noqa: E402

AUDITOR = flags("auditor.cmc") + ["--as-address", "10.0.0.10"]
CREW = flags("crew.lee")
GP = flags("dr.patel")


class Ledger(CareledgerCli):

    def audit(self, *args, who=AUDITOR):
        """`--json audit <args>` -> (exit code, [entries], trailer, stderr)."""
        result = self.run("--json", "audit", *args, *who)
        lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        trailer = lines[-1] if lines and "next_page_token" in lines[-1] else {}
        entries = [line for line in lines if "next_page_token" not in line and "error" not in line]
        return result.returncode, entries, trailer, result.stderr

    def access(self, partition, offset, who=AUDITOR):
        result = self.run("--json", "audit", "access", "--partition", str(partition),
                          "--offset", str(offset), *who)
        try:
            document = json.loads(result.stdout) if result.stdout.strip() else {}
        except ValueError:
            document = {"unparsable": result.stdout}
        return result.returncode, document, result.stderr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="careledger-audit-") as data:
        run(Ledger(args.careledger, data))
    return summary("audit")


def run(ledger):
    for command in (["audit"], ["audit", "patient"], ["audit", "user"], ["audit", "org"],
                    ["audit", "access"]):
        result = ledger.run(*command, "--help")
        check(result.returncode == 0 and "Usage" in result.stdout,
              f"'careledger {' '.join(command)} --help' prints usage")
    demo = ledger.run("demo")
    found = re.search(r"scenario for resident (\d{10})", demo.stdout)
    if not check(demo.returncode == 0 and found, f"demo runs the scenario {demo.stderr[-500:]}"):
        return
    nhs = found.group(1)

    # ---- audit patient: who has looked at (and changed) this plan? ----
    code, trail, trailer, stderr = ledger.audit("patient", "--nhs", nhs, "--limit", "1000",
                                                "--purpose", "complaint 42")
    check(code == 0 and trail, f"audit patient lists the trail {stderr.strip()}")
    kinds = [e.get("kind") for e in trail]
    actions = [e.get("action") for e in trail]
    check(all(e.get("nhs_number") == nhs for e in trail), "every entry names the patient")
    check(actions[0] == "plan_started" and "death_recorded" in actions
          and actions.count("plan_approved") == 2 and "urgent_care_note_added" in actions
          and "plan_submitted" in actions,
          f"the changes are there, oldest first: {actions}")
    check(kinds.count("AUDIT_KIND_REFUSED") >= 3,
          "the refused attempts are there (approval by the admin, missing field, crew's draft)")
    reads = [e for e in trail if e.get("kind") == "AUDIT_KIND_READ"
             and e.get("actor", {}).get("user_id") == "crew.lee"]
    # Three in the scenario; the fourth is the demo's read through the service,
    # over HTTPS from 127.0.0.1 with the crew's certificate and token.
    check(len(reads) == 4 and [r.get("version") for r in reads] == ["1", "1", "2", "2"],
          f"the crew's four reads, of versions 1, 1, 2 and 2: {[r.get('version') for r in reads]}")
    service_read = reads[-1].get("actor", {}) if reads else {}
    check(service_read.get("device_id") == "dev-AMB001"
          and service_read.get("network_address") == "127.0.0.1"
          and service_read.get("purpose") == "urgent care advice",
          f"the service's read names the verified device and the socket's address: {service_read}")
    first_read = reads[0] if reads else {}
    actor = first_read.get("actor", {})
    check(actor.get("role") == "ROLE_URGENT_CARE" and actor.get("organisation") == "AMB001"
          and actor.get("device_id") == "dev-AMB001" and actor.get("network_address")
          and actor.get("purpose") == "emergency care"
          and first_read.get("site") == "London Ambulance Service"
          and first_read.get("actor_name") == "Chris Lee"
          and first_read.get("at") and first_read.get("content_hash")
          and first_read.get("view") == "PLAN_VIEW_PUBLISHED" and first_read.get("stream_seq")
          and first_read.get("position", {}).get("value_hash"),
          f"a read says who (and their name), where (device, address, site), when, what and "
          f"its record: "
          f"{first_read}")
    approvals = [e for e in trail if e.get("action") == "plan_approved"]
    check(approvals and approvals[0].get("content_hash") == first_read.get("content_hash"),
          "version 1's approval carries the content hash the crew was shown")
    last = trail[-1] if trail else {}
    recorded = trailer.get("recorded", {})
    check(last.get("kind") == "AUDIT_KIND_AUDIT_QUERY" and last.get("action") == "audit_patient"
          and last.get("actor", {}).get("user_id") == "auditor.cmc"
          and last.get("actor", {}).get("purpose") == "complaint 42"
          and where(last) == (recorded.get("partition", 0), int(recorded.get("offset", "-1"))),
          f"auditors are audited: the query itself ends its own answer {last}")
    check(len(set(where(e) for e in trail)) == len(trail), "no entry twice")

    # Human output.
    text = ledger.run("audit", "patient", "--nhs", nhs, *AUDITOR)
    check(text.returncode == 0 and "this query is recorded" in text.stdout
          and "crew.lee \"Chris Lee\" (URGENT_CARE, AMB001 London Ambulance Service)"
          in text.stdout
          and "AUDIT_QUERY" in text.stdout and "REFUSED" in text.stdout,
          f"audit patient prints a table for people {text.stdout[:300]} {text.stderr}")

    # ---- the auditor's previous queries are in the trail now ----
    code, again, _, _ = ledger.audit("patient", "--nhs", nhs, "--limit", "1000")
    queries = [e for e in again if e.get("kind") == "AUDIT_KIND_AUDIT_QUERY"]
    check(code == 0 and len(queries) == 3
          and where(queries[0]) == where(last),
          f"'who looked at this patient's audit trail?' has an answer: {len(queries)} queries")

    # ---- audit user / org ----
    code, crew, _, _ = ledger.audit("user", "--user", "crew.lee")
    check(code == 0 and len(crew) == 5
          and all(e.get("actor", {}).get("user_id") == "crew.lee" for e in crew)
          and {e.get("nhs_number") for e in crew} == {nhs},
          f"audit user: everything crew.lee did, every patient touched ({len(crew)})")
    code, amb, _, _ = ledger.audit("org", "--org", "AMB001")
    check(code == 0 and [where(e) for e in amb] == [where(e) for e in crew],
          "audit org: everything AMB001's users did")
    code, cmc, _, _ = ledger.audit("user", "--user", "auditor.cmc", "--limit", "1000")
    check(code == 0 and sum(e.get("kind") == "AUDIT_KIND_AUDIT_QUERY" for e in cmc) >= 4,
          "the auditor's own trail holds their queries")

    # ---- paging, both orders ----
    code, before, _, _ = ledger.audit("patient", "--nhs", nhs, "--limit", "1000")
    expected = [where(e) for e in before]
    for newest_first in (False, True):
        paged, token, pages = [], None, 0
        while pages < 100:
            extra = ["--page", token] if token else []
            extra += ["--newest-first"] if newest_first else []
            code, page, trailer, stderr = ledger.audit("patient", "--nhs", nhs, "--limit", "7",
                                                       *extra)
            if not check(code == 0 and len(page) <= 7, f"page {pages} {stderr.strip()}"):
                break
            paged += page
            pages += 1
            token = trailer.get("next_page_token")
            if not token:
                break
        positions = [where(e) for e in paged]
        if newest_first:
            # Each page's own query is newer than the first page: skip them.
            positions = [p for p in positions if p in set(expected)]
            positions.reverse()
        else:
            added = paged[len(expected):]
            check(all(e.get("action") == "audit_patient" for e in added),
                  "  ... entries after the first page's start are the paging's own queries")
            positions = positions[:len(expected)]
        check(positions == expected and len(set(where(e) for e in paged)) == len(paged),
              f"paging {'newest' if newest_first else 'oldest'} first, 7 at a time: no "
              f"duplicates, no gaps ({pages} pages)")

    # ---- time ranges ----
    code, none, _, _ = ledger.audit("patient", "--nhs", nhs, "--to", "2001-01-01")
    check(code == 0 and none == [], "nothing before 2001")
    code, range_all, _, _ = ledger.audit("patient", "--nhs", nhs, "--from", "2001-01-01",
                                         "--to", "2999-12-31", "--limit", "1000")
    check(code == 0 and [where(e) for e in range_all][:len(expected)] == expected,
          "a range covering everything lists everything")
    code, dated, _, _ = ledger.audit("patient", "--nhs", nhs, "--limit", "1000",
                                     "--from", "2001-01-01T00:00:00Z")
    check(code == 0 and dated[-1].get("range_from") == "2001-01-01T00:00:00Z",
          "the query records its time range")

    # ---- audit access: the exact content shown, rebuilt from the log ----
    for read, version in ((reads[0], "1"), (reads[2], "2")) if len(reads) == 3 else ():
        code, doc, stderr = ledger.access(*where(read))
        content = doc.get("content", {})
        check(code == 0 and doc.get("entry", {}).get("content_hash") == read.get("content_hash")
              and content.get("verified") is True
              and content.get("content_hash") == read.get("content_hash")
              and content.get("what") == f"published version {version}"
              and content.get("plan", {}).get("demographics", {}).get("nhs_number") == nhs
              and len(content.get("rebuilt_from", [])) == int(read.get("stream_seq", "0"))
              and doc.get("record", {}).get("signature") == "verified",
              f"audit access rebuilds version {version} as the crew saw it, hash verified "
              f"{stderr.strip()}")
    refused = next((e for e in trail if e.get("kind") == "AUDIT_KIND_REFUSED"), {})
    code, doc, _ = ledger.access(*where(refused))
    check(code == 0 and "content" not in doc and doc.get("entry", {}).get("reason"),
          "audit access of a refusal shows the reason and no content")
    text = ledger.run("audit", "access", "--partition", str(where(reads[0])[0]),
                      "--offset", str(where(reads[0])[1]), *AUDITOR)
    check(text.returncode == 0 and "verified, the hash is the one recorded" in text.stdout
          and "demographics:" in text.stdout,
          f"audit access prints the content for people {text.stderr.strip()}")
    code, after, _, _ = ledger.audit("patient", "--nhs", nhs, "--limit", "1000",
                                     "--newest-first")
    inspected = [e for e in after if e.get("action") == "audit_access"]
    check(inspected and inspected[0].get("subject") == "log/{}/{}".format(*where(reads[0])),
          "each access inspection is in the patient's trail, naming the record")
    code, doc, stderr = ledger.access(99, 0)
    check(code != 0 and "error" in doc, f"a position outside the log is an error {doc}")

    # ---- refused: only the CMC team audits ----
    refused_run = ledger.run("--json", "audit", "patient", "--nhs", nhs, *GP)
    check(refused_run.returncode == 3 and "only the CMC team audits" in refused_run.stdout
          and "AUDIT_KIND" not in refused_run.stdout,
          f"a clinician is refused (3) and shown nothing {refused_run.stdout[:300]}")
    code, after, _, _ = ledger.audit("patient", "--nhs", nhs, "--newest-first", "--limit", "3")
    attempt = [e for e in after if e.get("kind") == "AUDIT_KIND_REFUSED"
               and e.get("action") == "audit_patient"]
    check(attempt and attempt[0].get("actor", {}).get("user_id") == "dr.patel",
          "the refused attempt is in the patient's trail")
    crew_run = ledger.run("audit", "access", "--partition", str(where(reads[0])[0]),
                          "--offset", str(where(reads[0])[1]), *CREW)
    check(crew_run.returncode == 3 and "demographics" not in crew_run.stdout,
          "urgent care may not inspect an access either")

    # ---- usage errors ----
    for bad in (["--limit", "0"], ["--from", "yesterday"], ["--page", "zz"],
                ["--from", "2030-01-02", "--to", "2030-01-01"]):
        result = ledger.run("audit", "patient", "--nhs", nhs, *bad, *AUDITOR)
        check(result.returncode == 2, f"audit patient {' '.join(bad)}: usage error (2)")

    # ---- the log verifies; the projection rebuilds byte for byte ----
    verify = ledger.run("verify")
    check(verify.returncode == 0, f"verify passes {verify.stderr[-300:]}")
    incremental = ledger.run("project", "--fingerprint")
    rebuilt = ledger.run("project", "--rebuild", "--fingerprint")
    fingerprint = re.compile(r"[0-9a-f]{64}")
    a, b = fingerprint.findall(incremental.stdout), fingerprint.findall(rebuilt.stdout)
    check(a and b and a[-1] == b[-1], "the projection, audit included, rebuilds byte for byte")


if __name__ == "__main__":
    sys.exit(main())
