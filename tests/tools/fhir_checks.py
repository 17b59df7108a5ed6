"""FHIR checks shared by the tests (docs/fhir.md): running HAPI FHIR's R4
validator (deploy/fhir/validator.sh), and IHE BALP's rules, transcribed from
the IG's profiles, for the AuditEvents that name one (the validator cannot
load them: their package is not on a registry reachable here).

Standard library only.
"""
import subprocess

DCM = "http://dicom.nema.org/resources/ontology/DCM"
BALP = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/"
LEDGER = "urn:careledger:ledger"


def validate(validator, *args):
    """`validator.sh validate ARGS` (options, then files) -> (exit code, the
    ERROR/FATAL lines "FILE: SEVERITY LOCATION: MESSAGE", stderr)."""
    result = subprocess.run(["bash", validator, "validate", *args], capture_output=True,
                            text=True, timeout=600, check=False)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return result.returncode, lines, result.stderr


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
    # careledger's server is the ledger itself (urn:careledger:ledger); its
    # client is anything else (the registered device).
    for role, code in (("client", client_code), ("server", server_code)):
        agent = agent_of(resource, code)
        is_ledger = (agent or {}).get("who", {}).get("identifier", {}).get("system") == LEDGER
        if (not agent or not agent.get("who") or not agent.get("network", {}).get("address")
                or is_ledger != (role == "server")):
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
