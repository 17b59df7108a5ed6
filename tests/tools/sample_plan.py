"""What the Python CLI tests share: the people of `careledger directory sample`
(tools/sample_world.cc) as command-line flags and as JSON actors, a plan's
sections in the protobuf JSON mapping (the same content as
CompletePlanSections), dates relative to today (UTC, as the ledger counts
them), and reading a log export back as events (with the schema compiled by
tests/independent/verify_export.py, which shares no code with careledger).

Standard library only, plus python3-protobuf for decode_export().
"""

import base64
import datetime
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

# user id -> (role flag, role enum, organisation, device); as registered by
# `careledger directory sample`.
SAMPLE_USERS = {
    "auditor.cmc": ("auditor", "ROLE_AUDITOR", "CMC001", "dev-CMC001"),
    "admin.rosewood": ("administrator", "ROLE_ADMINISTRATOR", "CH0001", "dev-CH0001"),
    "nurse.rosewood": ("clinician", "ROLE_CLINICIAN", "CH0001", "dev-CH0001"),
    "dr.patel": ("clinician", "ROLE_CLINICIAN", "GP0001", "dev-GP0001"),
    "crew.lee": ("urgent-care", "ROLE_URGENT_CARE", "AMB001", "dev-AMB001"),
    "call.okafor": ("urgent-care", "ROLE_URGENT_CARE", "NHS111", "dev-NHS111"),
}
# The ids `careledger directory sample` gives its commands: 7 organisations,
# their 7 devices, 6 professionals, the patient and the proxy.
SAMPLE_DIRECTORY_RECORDS = 22
# A log begins with one signed genesis per partition; `init` makes 4 by default.
GENESIS_RECORDS = 4


def nhs_number(serial):
    """A valid synthetic NHS number (999 range, modulus 11) for `serial`."""
    while True:
        digits = f"999{serial:06d}"
        check_digit = 11 - sum(int(d) * (10 - i) for i, d in enumerate(digits)) % 11
        check_digit = 0 if check_digit == 11 else check_digit
        if check_digit != 10:
            return digits + str(check_digit)
        serial += 1000


def flags(user):
    """--as-user/--as-role/--as-org/--as-device of a sample user."""
    role, _, org, device = SAMPLE_USERS[user]
    return ["--as-user", user, "--as-role", role, "--as-org", org, "--as-device", device]


def actor(user):
    """The JSON careledger.v1.Actor of a sample user."""
    _, role, org, device = SAMPLE_USERS[user]
    return {"user_id": user, "role": role, "organisation": org, "device_id": device}


def today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def date_json(day):
    return {"year": day.year, "month": day.month, "day": day.day}


def complete_sections(nhs, day=None):
    """[(section name, JSON value)] of a plan that may be published today:
    every mandatory field, consistent (not for CPR, treat at home), reviewed
    in about three months by dr.patel, subscribed to myCMC with proxy.jane."""
    day = day or today()
    answers = [{"question": q, "answer": f"Recorded answer to {q}"} for q in (
        "DNACPR_QUESTION_MENTAL_CAPACITY", "DNACPR_QUESTION_ADVANCE_DECISION",
        "DNACPR_QUESTION_SUMMARY_OF_PROBLEMS", "DNACPR_QUESTION_REASON_FOR_DECISION",
        "DNACPR_QUESTION_PATIENT_DISCUSSION", "DNACPR_QUESTION_RELATIVES_DISCUSSION",
        "DNACPR_QUESTION_TEAM_DISCUSSION", "DNACPR_QUESTION_RESPONSIBLE_CLINICIAN")]
    return [
        ("demographics", {
            "given_name": "Margaret", "family_name": "Example", "nhs_number": nhs,
            "gender": "female", "date_of_birth": {"year": 1936, "month": 4, "day": 2},
            "address": "Rosewood Care Home, 1 Rose Lane, London", "postcode": "SE1 7EH",
            "gp_practice_ods": "GP0001", "gp_name": "Dr Anil Patel"}),
        ("medical_background", {
            "main_diagnosis": "Advanced dementia",
            "diagnoses": [{"name": "Heart failure (NYHA III)"}],
            "who_performance_status": 4,
            "who_assessed_on": date_json(day - datetime.timedelta(days=7)),
            "prognosis": "months"}),
        ("preferences", {
            "place_of_care": {"first_preference": "Rosewood Care Home"},
            "place_of_death": {"first_preference": "Rosewood Care Home",
                               "second_preference": "St Anne's Hospice"}}),
        ("resuscitation", {
            "discussed": True, "discussed_on": [date_json(day - datetime.timedelta(days=3))],
            "summary": "Discussed with Margaret and her daughter; both agree CPR would not help.",
            "decision": "CPR_DECISION_NOT_FOR_CPR", "dnacpr_answers": answers}),
        ("clinical", {
            "ceiling_of_treatment": "TREATMENT_CEILING_TREAT_AT_HOME",
            "recommendations": "Treat infections at the care home with oral antibiotics; avoid "
                               "admission; keep comfortable."}),
        ("allergies", {"items": [{"substance": "Penicillin", "reaction": "Rash"}]}),
        ("medications", {"items": [{
            "name": "Midazolam", "dose": "2.5 mg", "route": "subcutaneous",
            "frequency": "as needed for agitation", "just_in_case": True}]}),
        ("contacts", {"items": [{
            "kind": "CONTACT_KIND_FAMILY", "name": "Jane Example", "relationship": "daughter",
            "telephone": "020 7946 0000", "next_of_kin": True}]}),
        ("review", {"review_on": date_json(day + datetime.timedelta(days=90)),
                    "reviewing_clinician": "dr.patel"}),
        ("mycmc", {"subscribed": True, "proxy_viewers": [
            {"user_id": "proxy.jane", "name": "Jane Example", "relationship": "daughter"}]}),
    ]


def section(nhs, name, day=None):
    """One section's JSON value from complete_sections()."""
    return dict(complete_sections(nhs, day))[name]


def b64hex(text):
    """A base64 content hash (protobuf JSON bytes) as hex."""
    return base64.b64decode(text).hex()


# --- the log, read back -----------------------------------------------------------

_SCHEMA = None


def schema():
    """The generated protobuf modules (verify_export.py compiles proto/)."""
    global _SCHEMA
    if _SCHEMA is None:
        sys.path.insert(0, os.path.join(HERE, "..", "independent"))
        import verify_export  # noqa: E402
        _SCHEMA = verify_export.load_schema()
    return _SCHEMA


def decode_export(path):
    """[(partition, offset, stream, body name, event as a dict)] of a
    `careledger log export`, in file order."""
    from google.protobuf import json_format
    envelope = schema()["envelope"]
    out = []
    with open(path, encoding="utf-8") as export:
        for line in export:
            if not line.strip():
                continue
            row = json.loads(line)
            signed = envelope.SignedEvent()
            signed.ParseFromString(base64.b64decode(row["value_base64"]))
            event = envelope.Event()
            event.ParseFromString(signed.event)
            out.append((row["partition"], row["offset"], event.stream_id,
                        event.WhichOneof("body"),
                        json_format.MessageToDict(event, preserving_proto_field_name=True)))
    return out
