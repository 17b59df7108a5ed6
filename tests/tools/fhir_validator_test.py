#!/usr/bin/env python3
"""The audit trail's FHIR export checked by a real validator (issue 12 item
7): HAPI FHIR's R4 instance validator (deploy/fhir/validator.sh, Maven
Central jars, offline against the R4 definitions in its jars).

  `careledger demo` runs the care homes guide's scenario; the CMC auditor
  exports the resident's trail and the ambulance crew member's trail as FHIR
  Bundles, and the ambulance service's; the validator finds no ERROR or
  FATAL message in any (exit 0). A deliberately broken Bundle (a missing
  required element, a code outside a required value set, a non-boolean
  requestor, an element R4 does not have) is rejected (exit 1) with each
  error listed at its location, so the check can fail.
  The validator cannot load IHE BALP's profiles (their package is not on
  any registry reachable here), so this test checks their rules itself on
  every event that names one in meta.profile (docs/fhir.md): type rest, the
  interaction, client and server agents (DCM 110152 / 110153 the right way
  round) each with who and a network address, the requestor, the data
  entity and the patient as a Reference(Patient); every granted read names
  PatientRead; and with --strict-profiles the only errors are those
  unknown profiles.

The validator FAILS this test when it cannot be set up (no skip).
usage: fhir_validator_test.py --careledger BIN --validator deploy/fhir/validator.sh
"""
import argparse
import copy
import json
import os
import re
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_checks import CareledgerCli, check, summary  # noqa: E402
from fhir_checks import DCM, balp_problems, validate  # noqa: E402
from sample_plan import flags  # noqa: E402

AUDITOR = flags("auditor.cmc") + ["--as-address", "10.0.0.10"]


def export(ledger, scratch, flag, value):
    out = os.path.join(scratch, f"{value}.fhir.json")
    result = ledger.run("audit", "export", "--format", "fhir", flag, value, "--out", out,
                        "--purpose", "complaint investigation", *AUDITOR)
    check(result.returncode == 0 and os.path.exists(out),
          f"audit export --format fhir {flag} {value} {result.stderr.strip()[-300:]}")
    return out


def broken_copy(bundle):
    """The bundle with three errors a validator must catch."""
    broken = copy.deepcopy(bundle)
    first = broken["entry"][0]["resource"]
    del first["recorded"]                    # AuditEvent.recorded is 1..1
    first["action"] = "X"                    # not in the required AuditEventAction
    first["agent"][0]["requestor"] = "yes"   # a boolean
    first["agent"][0]["author"] = "x"        # no such element
    return broken


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    parser.add_argument("--validator", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="careledger-fhir-") as scratch:
        run(CareledgerCli(args.careledger, os.path.join(scratch, "ledger")), args.validator,
            scratch)
    return summary("FHIR validator")


def run(ledger, validator, scratch):
    demo = ledger.run("demo")
    found = re.search(r"scenario for resident (\d{10})", demo.stdout)
    if not check(demo.returncode == 0 and found, f"demo runs the scenario {demo.stderr[-500:]}"):
        return
    patient = export(ledger, scratch, "--nhs", found.group(1))
    user = export(ledger, scratch, "--user", "crew.lee")
    organisation = export(ledger, scratch, "--org", "AMB001")

    code, errors, stderr = validate(validator, patient, user, organisation)
    check(code == 0 and not errors,
          f"HAPI FHIR's R4 validator finds no error in the patient's, the user's and the "
          f"organisation's trail (exit {code}): {errors[:20]} {stderr[-800:]}")
    check(len(re.findall(r": 0 error\(s\)", stderr)) == 3,
          f"the validator reports on the three files: {stderr[-400:]}")

    with open(patient, encoding="utf-8") as f:
        bundle = json.load(f)
    events = [e["resource"] for e in bundle["entry"]]
    for other in (user, organisation):
        with open(other, encoding="utf-8") as f:
            events += [e["resource"] for e in json.load(f)["entry"]]
    claimed = [r for r in events if r.get("meta", {}).get("profile")]
    problems = {r["id"]: balp_problems(r) for r in claimed if balp_problems(r)}
    names = {p.rsplit(".", 1)[-1] for r in claimed for p in r["meta"]["profile"]}
    check({"PatientRead", "PatientCreate", "PatientUpdate"} <= names and not problems,
          f"the {len(claimed)} events that name a BALP profile ({sorted(names)}) follow it: "
          f"{problems}")
    reads = [r for r in events if r.get("action") == "R" and r.get("outcome") == "0"
             and r["type"].get("code") == "rest"]
    check(reads and all(r in claimed for r in reads),
          f"every granted read of the demo ({len(reads)}) claims BALP PatientRead")
    unclaimed = {r["id"]: r["type"].get("code") for r in events if r not in claimed}
    check(all(r["outcome"] != "0" or r["type"].get("code") != "rest" or r["action"] == "E"
              for r in events if r not in claimed),
          f"only refusals, queries, exports and directory changes claim no profile: {unclaimed}")

    # The BALP check can fail: a read with client and server swapped (the
    # old mistake) or the patient without its reference type is caught.
    read = copy.deepcopy(reads[0]) if reads else {"agent": []}
    for agent in read["agent"]:
        for coding in agent.get("type", {}).get("coding", []):
            if coding.get("system") == DCM:
                coding["code"] = {"110152": "110153", "110153": "110152"}[coding["code"]]
    swapped = balp_problems(read)
    for entity in read.get("entity", []):
        entity.get("what", {}).pop("type", None)
    check(any("client agent" in p for p in swapped)
          and any("Reference(Patient)" in p for p in balp_problems(read)),
          f"the BALP check rejects swapped agent roles and an untyped patient: {swapped}")

    # The one choice that lets a Bundle pass: BALP's profiles are unknown to
    # the validator, a warning; strict, they are the only errors.
    code, errors, _ = validate(validator, "--strict-profiles", patient)
    check(code == 1 and errors and all(".meta.profile[0]: Profile reference 'https://"
                                       "profiles.ihe.net/ITI/BALP/" in line for line in errors),
          f"with --strict-profiles the only errors are the BALP profiles it cannot load "
          f"(exit {code}): {[e for e in errors if 'meta.profile' not in e][:5]}")

    broken = os.path.join(scratch, "broken.fhir.json")
    with open(broken, "w", encoding="utf-8") as f:
        json.dump(broken_copy(bundle), f)
    code, errors, _ = validate(validator, broken)
    first = bundle["entry"][0]["resource"]["id"]
    expected = {
        "recorded missing": rf"ERROR Bundle\.entry\[0\]\.resource/\*AuditEvent/{first}\*/: "
                            r"AuditEvent\.recorded: minimum required = 1",
        "action X": r"ERROR Bundle\.entry\[0\]\.resource.*\.action: .*'X'",
        "requestor not boolean": r"ERROR Bundle\.entry\[0\]\.resource.*\.agent\[0\]\.requestor",
        "unknown element": r"ERROR Bundle\.entry\[0\]\.resource.*\.agent\[0\]: "
                           r"Unrecognized property 'author'",
    }
    missing = [name for name, pattern in expected.items()
               if not any(re.search(pattern, line) for line in errors)]
    check(code == 1 and not missing and all(line.startswith(broken + ": ") for line in errors),
          f"a broken Bundle is rejected (exit {code}) with every error at its location; "
          f"not found: {missing}; got {errors[:10]}")


if __name__ == "__main__":
    sys.exit(main())
