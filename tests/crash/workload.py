"""Synthetic commands: valid NHS numbers (999 range) and a deterministic
Workload of care-plan commands.

Contract: the same (tag, patients, first_patient, approvals) always issues the
same commands with the same ids, and every command is accepted when applied in
issue order, so a refusal is a careledger bug.
"""

import collections
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


Command = collections.namedtuple("Command", "command_id stream line")

ADMIN = {"user_id": "admin.crash", "role": "ROLE_ADMINISTRATOR", "organisation": "VM123",
         "device_id": "crash-device-1", "network_address": "10.0.0.7"}
CLINICIAN = {"user_id": "dr.crash", "role": "ROLE_CLINICIAN", "organisation": "Y01234",
             "device_id": "crash-device-2", "network_address": "10.0.0.8"}
SECTIONS = ("demographics", "preferences", "resuscitation", "clinical", "allergies", "review")


def section_value(section, nhs, cycle):
    if section == "demographics":
        return {"given_name": f"Given{cycle}", "family_name": "Synthetic", "nhs_number": nhs,
                "gender": "female" if int(nhs[-2]) % 2 else "male",
                "date_of_birth": {"year": 1930 + int(nhs[-3:]) % 60, "month": 3, "day": 2},
                "address": f"{cycle} Example Street, London", "postcode": "SE1 7EH",
                "gp_practice_ods": "Y01234", "gp_name": "Dr A Example"}
    if section == "preferences":
        return {"place_of_care": {"first_preference": "Home"},
                "place_of_death": {"first_preference": "Home",
                                   "second_preference": f"Hospice {cycle}"}}
    if section == "resuscitation":
        return {"discussed": True, "decision": "not for CPR",
                "summary": f"Discussed with the patient and family, revision {cycle}"}
    if section == "clinical":
        return {"main_diagnosis": "Heart failure", "ceiling_of_treatment": "Treat at home",
                "recommendations": f"Keep comfortable; revision {cycle}"}
    if section == "allergies":
        return {"no_known_allergies": True, "source": f"GP record {cycle}"}
    return {"review_on": {"year": 2027, "month": 1 + cycle % 12, "day": 1},
            "reviewing_clinician": "Dr A Example"}


class Workload:
    """A deterministic stream of commands: a plan started for each patient,
    then rounds of section updates with an approval every third round (or
    updates only: those are accepted in any order once the plan exists). Every
    command is accepted when applied in issue order, so a refusal is a bug."""

    def __init__(self, tag, patients, first_patient=0, approvals=True):
        self.tag = tag
        self.approvals = approvals
        self.numbers = synthetic_nhs_numbers(patients, first_patient)
        self.issued = []
        self.by_stream = collections.defaultdict(list)  # stream -> command ids, issue order

    def take(self, count):
        commands = [self._command(len(self.issued) + i) for i in range(count)]
        for command in commands:
            self.issued.append(command)
            self.by_stream[command.stream].append(command.command_id)
        return commands

    def _command(self, index):
        patients = len(self.numbers)
        command_id = f"{self.tag}-{index:06d}"
        if index < patients:
            nhs = self.numbers[index]
            body = {"actor": ADMIN, "start_plan": {
                "nhs_number": nhs,
                "consent": {"basis": "CONSENT_BASIS_PATIENT",
                            "discussion": "Discussed with the patient",
                            "obtained_on": {"year": 2026, "month": 1, "day": 2}}}}
        else:
            cycle, patient = divmod(index - patients, patients)
            nhs = self.numbers[patient]
            if self.approvals and cycle % 3 == 2:
                body = {"actor": CLINICIAN, "approve_plan": {"nhs_number": nhs}}
            else:
                section = SECTIONS[(cycle + patient) % len(SECTIONS)]
                body = {"actor": ADMIN if cycle % 2 else CLINICIAN, "update_plan_section": {
                    "nhs_number": nhs, "value": {section: section_value(section, nhs, cycle)}}}
        line = json.dumps({"command_id": command_id, **body}, separators=(",", ":"))
        return Command(command_id, f"patient/{nhs}", line)
