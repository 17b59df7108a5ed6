"""Synthetic commands: valid NHS numbers (999 range) and a deterministic
Workload of directory and care-plan commands.

Contract: the same (tag, patients, first_patient, approvals, access_stream,
day) always issues the same commands with the same ids, and every command gets
its expected outcome when applied in issue order: the directory commands that
register the actors come first, then every command is accepted except the
deliberate refusals (urgent care trying to edit a plan), which must be refused
for that reason. So any other outcome is a careledger bug. Each command
carries the stream and the event body the log must then hold for it: a
refusal, like a read, leaves one access record on the writer's access stream
and nothing on the patient's.
"""

import collections
import datetime
import json


def synthetic_nhs_numbers(count, first=0):
    """999 + 6 digits + the modulus-11 check digit; stems whose check would be
    10 are skipped."""
    numbers = []
    stem_number = first
    while len(numbers) < count:
        stem = f"999{stem_number:06d}"
        stem_number += 1
        total = sum(int(digit) * weight for digit, weight in zip(stem, range(10, 1, -1)))
        check = 11 - total % 11
        if check == 10:
            continue
        numbers.append(stem + str(0 if check == 11 else check))
    return numbers


# command_id, stream (the one its answer and its record name), line (JSON),
# body (the Event body the log holds for it), refusal (None, or words its
# refusal's reason must contain).
Command = collections.namedtuple("Command", "command_id stream line body refusal",
                                 defaults=("", None))


def _actor(user, role, org, address):
    return {"user_id": user, "role": role, "organisation": org, "device_id": f"dev-{org}",
            "network_address": address, "purpose": "crash test"}


OPERATOR = {"user_id": "operator", "role": "ROLE_SYSTEM", "network_address": "127.0.0.1"}
# The people of `careledger directory sample` (tools/sample_world.cc) the
# workload acts as; it registers them itself, as JSON directory commands:
# the operator bootstraps the directory with the CMC team member, who then
# registers everyone else (ledger/directory_rules.h).
CMC_TEAM = _actor("auditor.cmc", "ROLE_AUDITOR", "CMC001", "10.0.0.10")
CMC_SERVICE = ("CMC001", "Coordinate My Care service", "ORGANISATION_TYPE_CMC_SERVICE")
ADMIN = _actor("admin.rosewood", "ROLE_ADMINISTRATOR", "CH0001", "10.1.0.21")
CLINICIAN = _actor("dr.patel", "ROLE_CLINICIAN", "GP0001", "10.2.0.31")
CREW = _actor("crew.lee", "ROLE_URGENT_CARE", "AMB001", "10.3.0.41")
NHS111 = _actor("call.okafor", "ROLE_URGENT_CARE", "NHS111", "10.4.0.51")
ORGANISATIONS = (("CH0001", "Rosewood Care Home", "ORGANISATION_TYPE_CARE_HOME"),
                 ("GP0001", "Riverside Medical Practice", "ORGANISATION_TYPE_GP_PRACTICE"),
                 ("AMB001", "London Ambulance Service", "ORGANISATION_TYPE_AMBULANCE_SERVICE"),
                 ("NHS111", "NHS 111 London", "ORGANISATION_TYPE_NHS_111"))
PEOPLE = ((ADMIN, "Alex Morgan", ""), (CLINICIAN, "Dr Anil Patel", "GMC 7012345"),
          (CREW, "Chris Lee", "HCPC PA12345"), (NHS111, "Ngozi Okafor", "NMC 98B7654C"))
# Sections filled in first (every mandatory one: then approvals are accepted),
# and the ones edited afterwards.
FILL = ("demographics", "medical_background", "preferences", "resuscitation", "clinical",
        "allergies", "review")
EDITS = ("demographics", "medical_background", "preferences", "resuscitation", "clinical",
         "allergies", "review", "medications", "contacts")
DNACPR_QUESTIONS = ("MENTAL_CAPACITY", "ADVANCE_DECISION", "SUMMARY_OF_PROBLEMS",
                    "REASON_FOR_DECISION", "PATIENT_DISCUSSION", "RELATIVES_DISCUSSION",
                    "TEAM_DISCUSSION", "RESPONSIBLE_CLINICIAN")
REFUSAL = "may not update_plan_section"


def _date(day):
    return {"year": day.year, "month": day.month, "day": day.day}


def directory_commands(tag, day, bootstrap=True):
    """(command id, stream, body, command, actor) registering the workload's
    actors; every prerequisite dated relative to `day`. With `bootstrap`
    (an empty directory), first the operator's bootstrap: the CMC service, its
    device and the CMC team member; the rest always as that member."""
    out = []

    def ago(days):
        return _date(day - datetime.timedelta(days=days))

    def organisation(ods, name, kind, actor):
        out.append((f"{tag}-dir-org-{ods}", f"directory/org/{ods}", "organisation_recorded",
                    {"record_organisation": {"organisation": {
                        "ods_code": ods, "name": name, "type": kind, "isa_signed": True,
                        "isa_signed_on": ago(400), "dspt_level": "DSPT_LEVEL_STANDARDS_MET",
                        "dspt_assessed_on": ago(90)}}}, actor))
        out.append((f"{tag}-dir-device-{ods}", f"directory/device/dev-{ods}", "device_recorded",
                    {"record_device": {"device": {
                        "device_id": f"dev-{ods}", "organisation": ods,
                        "licence_issued_on": ago(30)}}}, actor))

    def user(person, name, registration, actor):
        urgent = person["role"] == "ROLE_URGENT_CARE"
        record = {"user_id": person["user_id"], "name": name, "role": person["role"],
                  "organisation": person["organisation"],
                  "user_access_form": {"signed": True, "authorising_manager": "Practice manager",
                                       "signed_on": ago(30)},
                  "ig_training_on": ago(60),
                  "training_modules": ["CMC101", "CMC104"] if urgent
                  else ["CMC101", "CMC102", "CMC103"],
                  "aup_accepted_on": ago(30), "status": "USER_STATUS_ACTIVE"}
        if registration:
            record["professional_registration"] = registration
        out.append((f"{tag}-dir-user-{person['user_id']}", f"directory/user/{person['user_id']}",
                    "user_recorded", {"record_user": {"user": record}}, actor))

    if bootstrap:
        organisation(*CMC_SERVICE, OPERATOR)
        user(CMC_TEAM, "Sam Auditor", "", OPERATOR)
    for ods, name, kind in ORGANISATIONS:
        organisation(ods, name, kind, CMC_TEAM)
    for person, name, registration in PEOPLE:
        user(person, name, registration, CMC_TEAM)
    return out


def section_value(section, nhs, cycle, day):
    """A valid, consistent value of `section` (not for CPR, a ceiling short of
    full escalation, no known allergies, a review one to three months away by
    a registered clinician), varied by `cycle`."""
    if section == "demographics":
        return {"given_name": f"Given{cycle}", "family_name": "Synthetic", "nhs_number": nhs,
                "gender": "female" if int(nhs[-2]) % 2 else "male",
                "date_of_birth": {"year": 1930 + int(nhs[-3:]) % 60, "month": 3, "day": 2},
                "address": f"{cycle} Example Street, London", "postcode": "SE1 7EH",
                "gp_practice_ods": "GP0001", "gp_name": "Dr Anil Patel"}
    if section == "medical_background":
        return {"main_diagnosis": "Heart failure", "who_performance_status": cycle % 5,
                "who_assessed_on": _date(day - datetime.timedelta(days=7)),
                "prognosis": ("months", "weeks", "years")[cycle % 3]}
    if section == "preferences":
        return {"place_of_care": {"first_preference": "Home"},
                "place_of_death": {"first_preference": "Home",
                                   "second_preference": f"Hospice {cycle}"}}
    if section == "resuscitation":
        return {"discussed": True, "discussed_on": [_date(day - datetime.timedelta(days=3))],
                "summary": f"Discussed with the patient and family, revision {cycle}",
                "decision": "CPR_DECISION_NOT_FOR_CPR",
                "dnacpr_answers": [{"question": f"DNACPR_QUESTION_{q}", "answer": f"{q} {cycle}"}
                                   for q in DNACPR_QUESTIONS]}
    if section == "clinical":
        return {"ceiling_of_treatment": ("TREATMENT_CEILING_TREAT_AT_HOME",
                                         "TREATMENT_CEILING_COMFORT_ONLY")[cycle % 2],
                "recommendations": f"Keep comfortable; revision {cycle}"}
    if section == "allergies":
        return {"no_known_allergies": True,
                "no_allergies_source": "NO_ALLERGIES_SOURCE_PATIENT_REPORTS"}
    if section == "review":
        return {"review_on": _date(day + datetime.timedelta(days=30 + cycle % 60)),
                "reviewing_clinician": "dr.patel"}
    if section == "medications":
        return {"items": [{"name": "Morphine sulfate", "dose": f"{2 + cycle % 4} mg",
                           "route": "subcutaneous", "frequency": "as needed",
                           "just_in_case": True}]}
    return {"items": [{"kind": "CONTACT_KIND_FAMILY", "name": f"Relative {cycle}",
                       "relationship": "daughter", "telephone": "020 7946 0000",
                       "next_of_kin": True}]}


class Workload:
    """A deterministic stream of commands: the directory entries of its actors;
    a plan started for each patient; rounds that fill in every mandatory
    section; then (with approvals) rounds of an edit, an approval, an
    ambulance crew's read (an access record), an NHS 111 note, another edit
    and a refused edit by the crew (an access record, DENIED) per patient, or
    (without) edits only, which are accepted in any order once the plans
    exist. `access_stream` is the writer's ("access/<writer id>")."""

    def __init__(self, tag, patients, first_patient=0, approvals=True, access_stream="access/0",
                 day=None, bootstrap=True):
        self.tag = tag
        self.approvals = approvals
        self.access_stream = access_stream
        self.day = day or datetime.datetime.now(datetime.timezone.utc).date()
        self.numbers = synthetic_nhs_numbers(patients, first_patient)
        self.directory = directory_commands(tag, self.day, bootstrap)
        # The directory and the plans: what must be in place before commands
        # in any order (fence mode) are accepted.
        self.setup_count = len(self.directory) + patients
        self.issued = []
        self.by_stream = collections.defaultdict(list)  # stream -> command ids, issue order

    def take(self, count):
        commands = [self._command(len(self.issued) + i) for i in range(count)]
        for command in commands:
            self.issued.append(command)
            self.by_stream[command.stream].append(command.command_id)
        return commands

    def _command(self, index):
        command_id = f"{self.tag}-{index:06d}"
        if index < len(self.directory):
            command_id, stream, body_name, body, actor = self.directory[index]
            return self._line(command_id, stream, body_name, {"actor": actor, **body})
        index -= len(self.directory)
        patients = len(self.numbers)
        if index < patients:
            nhs = self.numbers[index]
            return self._line(command_id, f"patient/{nhs}", "plan_started", {
                "actor": ADMIN, "start_plan": {
                    "nhs_number": nhs,
                    "consent": {"basis": "CONSENT_BASIS_PATIENT",
                                "discussion": "Discussed with the patient",
                                "obtained_on": _date(self.day - datetime.timedelta(days=5))}}})
        cycle, patient = divmod(index - patients, patients)
        nhs = self.numbers[patient]
        if cycle < len(FILL):
            return self._update(command_id, nhs, FILL[cycle], cycle,
                                ADMIN if cycle % 2 else CLINICIAN)
        if not self.approvals:
            return self._update(command_id, nhs, EDITS[(cycle + patient) % len(EDITS)], cycle,
                                ADMIN if cycle % 2 else CLINICIAN)
        phase = (cycle - len(FILL)) % 6
        if phase == 1:
            return self._line(command_id, f"patient/{nhs}", "plan_approved",
                              {"actor": CLINICIAN, "approve_plan": {"nhs_number": nhs}})
        if phase == 2:
            return self._line(command_id, self.access_stream, "access_recorded", {
                "actor": CREW, "view_plan": {"nhs_number": nhs, "view": "PLAN_VIEW_PUBLISHED"}})
        if phase == 3:
            return self._line(command_id, f"patient/{nhs}", "urgent_care_note_added", {
                "actor": NHS111, "add_urgent_care_note": {
                    "nhs_number": nhs, "text": f"Called; advised per plan ({cycle})"}})
        if phase == 5:
            section = EDITS[(cycle + patient) % len(EDITS)]
            return self._line(command_id, self.access_stream, "access_recorded", {
                "actor": CREW, "update_plan_section": {
                    "nhs_number": nhs, "value": {section: section_value(section, nhs, cycle,
                                                                        self.day)}}},
                refusal=REFUSAL)
        return self._update(command_id, nhs, EDITS[(cycle + patient) % len(EDITS)], cycle,
                            CLINICIAN if phase == 0 else ADMIN)

    def _update(self, command_id, nhs, section, cycle, actor):
        return self._line(command_id, f"patient/{nhs}", "plan_section_updated", {
            "actor": actor, "update_plan_section": {
                "nhs_number": nhs, "value": {section: section_value(section, nhs, cycle,
                                                                    self.day)}}})

    @staticmethod
    def _line(command_id, stream, body_name, body, refusal=None):
        line = json.dumps({"command_id": command_id, **body}, separators=(",", ":"))
        return Command(command_id, stream, line, body_name, refusal)
