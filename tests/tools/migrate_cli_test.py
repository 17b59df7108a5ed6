#!/usr/bin/env python3
"""`careledger migrate export` and `migrate verify` end to end (issue 11 item
5), on the embedded log, with a world holding each case of the January 2022
migration notice (seeds/004):

  DRAFT      started, never published                      left out (draft_only)
  EDITED     published twice (three named users), then an
             edit in draft                                 migrates as version 2;
                                                           the draft's text absent
  RESTRICTED published, then restricted                    left out (restricted)
  LIFTED     published, restricted, restriction lifted     migrates
  REQUEST    published, an open myCMC change request       migrates; request not
                                                           carried, reported
  WITHDRAWN  published, consent withdrawn                  left out (withdrawn)
  DECEASED   published, death recorded                     left out (deceased,
                                                           docs/migration.md)
  PLAIN      published                                     migrates

Checks: exactly the plans that may migrate are exported, each as a Bundle
whose CarePlans are its published versions with a Provenance per version
naming who edited and who approved it; the report and the per-organisation
counts; every Bundle validates with HAPI FHIR's R4 validator without error
(fails, never skips, when it cannot run); the manifest's signature and
hashes verify, names the log position per partition, and `verify --kept`
accepts it; a changed, a missing and an extra file, and a changed manifest,
are each named with exit 4; an existing --out is refused (exit 2) and
records nothing; a clinician is refused (exit 3) with the refusal on the
log; the export is in the auditor's trail.

Standard library only.
usage: migrate_cli_test.py --careledger BIN --validator deploy/fhir/validator.sh
"""
import argparse
import csv
import glob
import io
import json
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_checks import CareledgerCli, check, summary  # noqa: E402
from fhir_checks import validate  # noqa: E402
from sample_plan import actor, complete_sections, date_json, flags, nhs_number, today  # noqa: E402

AUDITOR = flags("auditor.cmc")
PATIENT_NHS = "9990000018"  # the sample world's myCMC patient (patient.9990000018)
PATIENT = {"user_id": "patient.9990000018", "role": "ROLE_PATIENT",
           "network_address": "81.2.69.160", "purpose": "myCMC"}
CASES = {
    "DRAFT": nhs_number(201), "EDITED": nhs_number(202), "RESTRICTED": nhs_number(203),
    "LIFTED": nhs_number(204), "REQUEST": PATIENT_NHS, "WITHDRAWN": nhs_number(206),
    "DECEASED": nhs_number(207), "PLAIN": nhs_number(208),
}
MIGRATES = {CASES[c] for c in ("EDITED", "LIFTED", "REQUEST", "PLAIN")}
DRAFT_TEXT = "UNAPPROVED DRAFT WORDING 7f3a"  # only ever in EDITED's pending draft
V2_TEXT = "Second version recommendations 51c2"  # EDITED's published version 2


def load_lines():
    """The world, as `submit -` JSON lines."""
    day = today()
    lines, count = [], 0

    def add(who, **body):
        nonlocal count
        count += 1
        lines.append(json.dumps({"command_id": f"migrate-{count}", "actor": actor(who)
                                 if isinstance(who, str) else who, **body}))

    def start(nhs, who="dr.patel"):
        add(who, start_plan={"nhs_number": nhs, "consent": {
            "basis": "CONSENT_BASIS_PATIENT", "discussion": "Discussed at home",
            "obtained_on": date_json(day)}})
        for name, value in complete_sections(nhs, day):
            add(who, update_plan_section={"nhs_number": nhs, "value": {name: value}})

    def clinical(nhs, who, text):
        add(who, update_plan_section={"nhs_number": nhs, "value": {"clinical": {
            "ceiling_of_treatment": "TREATMENT_CEILING_TREAT_AT_HOME",
            "recommendations": text}}})

    for case, nhs in CASES.items():
        if case == "EDITED":
            start(nhs, "admin.rosewood")            # an administrator drafts it
            add("nurse.rosewood", approve_plan={"nhs_number": nhs})  # version 1
            clinical(nhs, "dr.patel", V2_TEXT)
            add("dr.patel", approve_plan={"nhs_number": nhs})        # version 2
            clinical(nhs, "admin.rosewood", DRAFT_TEXT)              # draft, never approved
            continue
        start(nhs)
        if case == "DRAFT":
            continue
        add("dr.patel", approve_plan={"nhs_number": nhs})
        if case in ("RESTRICTED", "LIFTED"):
            add("dr.patel", restrict_plan={"nhs_number": nhs, "allowed_users": ["dr.patel"],
                                           "reason": "staff member"})
        if case == "LIFTED":
            add("dr.patel", lift_restriction={"nhs_number": nhs, "reason": "patient agreed"})
        if case == "REQUEST":
            add(PATIENT, make_patient_request={"nhs_number": nhs,
                                               "kind": "PATIENT_REQUEST_KIND_CHANGE",
                                               "text": "Please add my son as a contact"})
        if case == "WITHDRAWN":
            add("dr.patel", withdraw_consent={"nhs_number": nhs, "withdrawn_on": date_json(day),
                                              "note": "patient withdrew consent"})
        if case == "DECEASED":
            add("dr.patel", record_death={"nhs_number": nhs, "died_on": date_json(day),
                                          "place": "Rosewood Care Home"})
    return lines


def resources(bundle, kind):
    return [e["resource"] for e in bundle.get("entry", [])
            if e.get("resource", {}).get("resourceType") == kind]


def by_url(bundle):
    return {e["fullUrl"]: e["resource"] for e in bundle.get("entry", [])}


def user_of(practitioner):
    return practitioner.get("identifier", [{}])[0].get("value")


class Ledger(CareledgerCli):

    def export(self, out, who=AUDITOR):
        return self.run("--json", "migrate", "export", "--out", out, *who)

    def verify(self, directory):
        return self.run("migrate", "verify", "--dir", directory)

    def audit_actions(self, user):
        result = self.run("--json", "audit", "user", "--user", user, "--limit", "1000", *AUDITOR)
        return [json.loads(line) for line in result.stdout.splitlines()
                if line.strip() and "next_page_token" not in line]


def check_bundles(out):
    files = sorted(glob.glob(os.path.join(out, "bundles", "*.json")))
    exported = {os.path.basename(f)[:-len(".json")] for f in files}
    check(exported == MIGRATES,
          f"exactly the plans that may migrate are exported: {sorted(exported)} "
          f"(expected {sorted(MIGRATES)})")
    bundles = {}
    for path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        bundles[os.path.basename(path)[:-len(".json")]] = json.loads(text)
        check(DRAFT_TEXT not in text, f"{os.path.basename(path)} holds no draft content")
    edited = bundles.get(CASES["EDITED"], {})
    plans = resources(edited, "CarePlan")
    check([p.get("title") for p in plans] == ["Urgent care plan, version 1",
                                              "Urgent care plan, version 2"]
          and [p.get("status") for p in plans] == ["revoked", "active"],
          f"the edited plan carries its two published versions, the second active: "
          f"{[(p.get('title'), p.get('status')) for p in plans]}")
    check(len(plans) == 2 and plans[1].get("description") == V2_TEXT
          and plans[1].get("replaces", [{}])[0].get("reference")
          == [e["fullUrl"] for e in edited["entry"]
              if e["resource"].get("resourceType") == "CarePlan"][0],
          "version 2 holds the approved recommendations and replaces version 1")
    urls = by_url(edited)
    provenance = resources(edited, "Provenance")
    who = []
    for p in provenance:
        agents = {}
        for agent in p.get("agent", []):
            code = agent["type"]["coding"][0]["code"]
            agents.setdefault(code, []).append(user_of(urls.get(agent["who"]["reference"], {})))
        who.append(agents)
    check(who == [{"author": ["admin.rosewood"], "attester": ["nurse.rosewood"]},
                  {"author": ["dr.patel"], "attester": ["dr.patel"]}],
          f"each version's Provenance names who edited it and who approved it: {who}")
    check(all(e.get("entity", [{}])[0].get("what", {}).get("identifier", {}).get("system")
              == "urn:careledger:event" for e in provenance),
          "each Provenance cites the signed PlanApproved event")
    names = {user_of(p): p.get("name", [{}])[0].get("text") for p in
             resources(edited, "Practitioner")}
    check({"admin.rosewood", "nurse.rosewood", "dr.patel"} <= set(names)
          and all(names[u] for u in ("admin.rosewood", "nurse.rosewood", "dr.patel")),
          f"the named users are Practitioners with their directory names: {names}")
    for nhs, bundle in bundles.items():
        kinds = [e["resource"]["resourceType"] for e in bundle.get("entry", [])]
        patient = resources(bundle, "Patient")
        check(bundle.get("type") == "collection" and kinds.count("Patient") == 1
              and kinds.count("Consent") == 1 and "CarePlan" in kinds and "Organization" in kinds
              and patient[0]["identifier"][0]["value"] == nhs,
              f"{nhs}: one Patient, a CarePlan per version, a Consent, Organizations")
    return files


def check_report(out):
    with open(os.path.join(out, "report.json"), encoding="utf-8") as f:
        report = json.load(f)
    reasons = {(e["nhs_number"], e["reason"]) for e in report.get("left_behind", [])}
    expected = {(CASES["DRAFT"], "draft_only"), (CASES["EDITED"], "draft_edit"),
                (CASES["RESTRICTED"], "restricted"), (PATIENT_NHS, "open_change_request"),
                (CASES["WITHDRAWN"], "withdrawn"), (CASES["DECEASED"], "deceased")}
    check(reasons == expected, f"the report lists what was left behind and why: {sorted(reasons)}")
    check(report.get("plans_exported") == len(MIGRATES) and "deceased_rule" in report,
          "the report counts the plans exported and states the rule for the deceased")
    counts = {o["ods_code"]: o for o in report.get("organisations", [])}
    gp, home = counts.get("GP0001", {}), counts.get("CH0001", {})
    check(gp.get("draft_plans") == 2 and gp.get("restricted_records") == 1
          and gp.get("patient_change_requests") == 1 and gp.get("patient_plan_requests") == 0
          and gp.get("withdrawn") == 1 and gp.get("deceased") == 1,
          f"GP0001's counts: 2 drafts, 1 restricted, 1 change request, 1 withdrawn, 1 deceased: "
          f"{gp}")
    check(home.get("draft_plans") == 1 and home.get("restricted_records") == 0,
          f"CH0001's counts: the draft edit of the plan it contributed to: {home}")
    with open(os.path.join(out, "report.csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    check(rows and rows[0] == ["nhs_number", "reason", "organisations", "detail"]
          and {(r[0], r[1]) for r in rows[1:]} == expected,
          "report.csv has the same rows")
    with open(os.path.join(out, "organisations.csv"), encoding="utf-8", newline="") as f:
        orgs = list(csv.reader(f))
    check(orgs and orgs[0][0] == "ods_code"
          and ["GP0001", "2", "1", "0", "1", "1", "1"] in orgs[1:],
          f"organisations.csv has the counts per organisation: {orgs}")


def check_verify(ledger, out, work):
    result = ledger.verify(out)
    check(result.returncode == 0 and "intact" in result.stdout,
          f"migrate verify: the manifest's signature and hashes verify {result.stdout[-300:]}"
          f"{result.stderr[-300:]}")
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    listed = {f["path"] for f in manifest.get("files", [])}
    check({"report.csv", "report.json", "organisations.csv"} <= listed
          and len([p for p in listed if p.startswith("bundles/")]) == len(MIGRATES)
          and all(len(f["sha256"]) == 64 for f in manifest["files"]),
          "the manifest lists every file with its SHA-256")
    check(len(manifest.get("checkpoints", [])) == 4
          and manifest.get("query", {}).get("stream_id", "").startswith("access/"),
          "the manifest names the log position of each partition and the export's record")
    kept = ledger.run("verify", "--kept", os.path.join(out, "manifest.json"))
    check(kept.returncode == 0, f"verify --kept accepts the manifest's log positions "
          f"{kept.stdout[-200:]} {kept.stderr[-300:]}")

    def tampered(name, change):
        copy = os.path.join(work, f"tampered-{name}")
        shutil.copytree(out, copy)
        target = change(copy)
        result = ledger.verify(copy)
        return result, target

    def edit_bundle(copy):
        path = sorted(glob.glob(os.path.join(copy, "bundles", "*.json")))[0]
        with open(path, "r+b") as f:
            data = f.read().replace(b"Margaret", b"Margaryt", 1)
            f.seek(0)
            f.write(data)
        return os.path.relpath(path, copy)

    result, name = tampered("changed", edit_bundle)
    check(result.returncode == 4 and f"{name} has changed" in result.stdout,
          f"a changed Bundle is named, exit 4: {result.returncode} {result.stdout[-300:]}")

    def remove(copy):
        os.remove(os.path.join(copy, "report.csv"))
        return "report.csv"
    result, name = tampered("missing", remove)
    check(result.returncode == 4 and "report.csv is missing" in result.stdout,
          f"a missing file is named, exit 4: {result.stdout[-300:]}")

    def extra(copy):
        with open(os.path.join(copy, "bundles", "9990009999.json"), "w") as f:
            f.write("{}")
        return "bundles/9990009999.json"
    result, name = tampered("extra", extra)
    check(result.returncode == 4 and f"{name} is not listed" in result.stdout,
          f"an extra file is named, exit 4: {result.stdout[-300:]}")

    def manifest_edit(copy):
        path = os.path.join(copy, "manifest.json")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace('"plans_exported": 4', '"plans_exported": 5'))
        return "manifest.json"
    result, _ = tampered("manifest", manifest_edit)
    check(result.returncode == 4 and "signature" in result.stdout,
          f"a changed manifest fails its signature, exit 4: {result.stdout[-300:]}")


def run(ledger, validator, work):
    init, sample = ledger.run("init"), ledger.run("directory", "sample")
    if not check(init.returncode == 0 and sample.returncode == 0,
                 f"init and directory sample {init.stderr[-300:]} {sample.stderr[-300:]}"):
        return
    loaded = ledger.run("--json", "submit", "-", stdin="\n".join(load_lines()) + "\n")
    results = [json.loads(l) for l in loaded.stdout.splitlines() if l.strip()]
    bad = [r for r in results if r.get("outcome") != "OUTCOME_APPLIED"]
    if not check(loaded.returncode == 0 and results and not bad,
                 f"the world is applied ({len(results)} commands) {bad[:1]} "
                 f"{loaded.stderr[-300:]}"):
        return

    out = os.path.join(work, "export")
    exported = ledger.export(out)
    answer = json.loads(exported.stdout or "{}") if exported.returncode == 0 else {}
    if not check(exported.returncode == 0 and answer.get("plans_exported") == len(MIGRATES),
                 f"migrate export {exported.returncode} {exported.stdout[-300:]} "
                 f"{exported.stderr[-300:]}"):
        return
    check(oct(os.stat(out).st_mode & 0o777) == "0o700", "the export directory is private (0700)")
    files = check_bundles(out)
    check_report(out)

    code, lines, stderr = validate(validator, *files)
    check(code == 0 and not lines and files,
          f"every Bundle validates with HAPI FHIR's R4 validator without error "
          f"(exit {code}): {lines[:5]} {stderr[-500:]}")

    check_verify(ledger, out, work)

    # ---- refusals: an existing directory, a non-CMC user ----
    def exports(user):
        return [e for e in ledger.audit_actions(user)
                if e.get("action") == "audit_migration_export"]

    before = exports("auditor.cmc")
    again = ledger.export(out)
    after = exports("auditor.cmc")
    check(again.returncode == 2 and "exists" in again.stdout + again.stderr
          and len(after) == len(before),
          f"an existing --out is refused (exit 2), recording nothing: {again.returncode}")
    clinician = ledger.export(os.path.join(work, "by-clinician"), who=flags("dr.patel"))
    check(clinician.returncode == 3 and not os.path.exists(os.path.join(work, "by-clinician")),
          f"a clinician is refused (exit 3) and nothing is written: {clinician.returncode}")
    refusals = exports("dr.patel")
    check(refusals and refusals[-1].get("outcome") == "ACCESS_OUTCOME_DENIED",
          "the clinician's refused export is on the log")
    granted = after
    check(len(granted) == 1 and granted[0].get("subject") == "audit/migration"
          and granted[0].get("outcome") == "ACCESS_OUTCOME_GRANTED",
          f"the export is in the auditor's trail as audit_migration_export: "
          f"{[(e.get('action'), e.get('outcome')) for e in granted]}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    parser.add_argument("--validator", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="careledger-migrate-") as work:
        ledger = Ledger(args.careledger, os.path.join(work, "data"))
        ledger.work = work
        run(ledger, args.validator, work)
    return summary("migrate")


if __name__ == "__main__":
    sys.exit(main())
