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
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_checks import CareledgerCli, check, summary  # noqa: E402
from sample_plan import flags  # noqa: E402

AUDITOR = flags("auditor.cmc") + ["--as-address", "10.0.0.10"]
DCM = "http://dicom.nema.org/resources/ontology/DCM"
BALP = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/"


def validate(validator, *files):
    """Runs the validator -> (exit code, ERROR/FATAL lines, stderr)."""
    result = subprocess.run(["bash", validator, "validate", *files], capture_output=True,
                            text=True, timeout=600, check=False)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return result.returncode, lines, result.stderr


def export(ledger, scratch, flag, value):
    out = os.path.join(scratch, f"{value}.fhir.json")
    result = ledger.run("audit", "export", "--format", "fhir", flag, value, "--out", out,
                        "--purpose", "complaint investigation", *AUDITOR)
    check(result.returncode == 0 and os.path.exists(out),
          f"audit export --format fhir {flag} {value} {result.stderr.strip()[-300:]}")
    return out


def agent_of(resource, code):
    """The agent whose type is DCM `code`, or None."""
    for agent in resource.get("agent", []):
        for coding in agent.get("type", {}).get("coding", []):
            if coding.get("system") == DCM and coding.get("code") == code:
                return agent
    return None


# BALP's RESTful patterns, transcribed from the IG's profiles (its package
# cannot be fetched here, so the validator cannot apply them): pattern ->
# (subtype, action, client agent's DCM type, server agent's, user agent's
# participation types).
PATTERNS = {
    "Read": ("read", "R", "110152", "110153", {"IRCP"}),
    "Create": ("create", "C", "110153", "110152", {"AUT", "INF", "CST"}),
    "Update": ("update", "U", "110153", "110152", {"AUT", "INF", "CST"}),
}


def balp_problems(resource):
    """What the resource lacks of the BALP profile its meta.profile names."""
    profiles = resource.get("meta", {}).get("profile", [])
    if len(profiles) != 1 or not profiles[0].startswith(BALP + "IHE.BasicAudit."):
        return [f"one BALP profile, not {profiles}"]
    name = profiles[0][len(BALP + "IHE.BasicAudit."):]
    with_patient = name.startswith("Patient")
    pattern = PATTERNS.get(name[len("Patient"):] if with_patient else name)
    if not pattern:
        return [f"a known pattern, not {name}"]
    subtype, action, client_code, server_code, user_types = pattern
    problems = []
    if resource.get("type", {}).get("code") != "rest":
        problems.append("type rest")
    if not any(s.get("code") == subtype for s in resource.get("subtype", [])):
        problems.append(f"subtype {subtype}")
    if resource.get("action") != action or resource.get("outcome") != "0":
        problems.append(f"action {action}, outcome 0")
    for role, code in (("client", client_code), ("server", server_code)):
        agent = agent_of(resource, code)
        if not agent or not agent.get("who") or not agent.get("network", {}).get("address"):
            problems.append(f"{role} agent {code} with who and network")
    users = [a for a in resource.get("agent", []) if a.get("requestor") is True]
    codes = {c.get("code") for a in users for c in a.get("type", {}).get("coding", [])}
    if (len(users) != 1 or not users[0].get("who") or "network" in users[0]
            or not codes & user_types):
        problems.append(f"one requestor of type {sorted(user_types)}, with who, no network")
    entities = resource.get("entity", [])
    data = [e for e in entities if e.get("type", {}).get("code") == "2"]
    if (len(data) != 1 or data[0].get("role", {}).get("code") not in ("3", "4", "20")
            or not data[0].get("what")):
        problems.append("one data entity (System Object, a REST object role, what)")
    patients = [e for e in entities if e.get("type", {}).get("code") == "1"
                and e.get("role", {}).get("code") == "1"]
    if with_patient and (len(patients) != 1
                         or patients[0].get("what", {}).get("type") != "Patient"):
        problems.append("one patient entity, a Reference(Patient)")
    return problems


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
