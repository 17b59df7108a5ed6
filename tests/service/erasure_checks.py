"""POST /v1/patients/{nhs}/erase of `careledger serve` (issue 11 item 6),
checked against the running service by service_test.py.

The patient ERASE_NHS has a published plan and a consent withdrawal whose
note carries a token found nowhere else (WITHDRAWAL_NOTE). An urgent-care
user's erasure is refused (422) with the DENIED record on the log; bad
bodies and NHS numbers are refused (400) with nothing appended; the CMC
auditor's erasure answers 200 only once the PatientErased is on the log and
the data key destroyed, with the projection purged. Afterwards the note is
in no file of the data directory (log, projection, data keys, snapshots:
projections/erasure_purge.h compacts it out of the live store), the plan
reads 403 to the crew (erased plans show nothing), the patient's audit trail
still lists every read, and erasing again is refused (422, "already
erased"). The caller's fingerprint check (service_test.py) then proves the
purged projection equals a rebuild."""
import json
import os

from cli_checks import check
from service_client import cmc_auditor

ERASE_NHS = "9434765838"  # a third patient, published, consent withdrawn, erased here
WITHDRAWAL_NOTE = "Withdrawn by letter Qzxwvbnmtk Jkrpldfsvh"


def setup_lines(actor):
    """`careledger submit` lines to give ERASE_NHS its withdrawal (after it is
    published by service_test.publish)."""
    return [{"actor": actor("dr.patel"), "withdraw_consent": {
        "nhs_number": ERASE_NHS, "note": WITHDRAWAL_NOTE}}]


def files_holding(root, text):
    needle = text.encode()
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            try:
                with open(path, "rb") as handle:
                    if needle in handle.read():
                        found.append(os.path.relpath(path, root))
            except OSError:
                pass
    return found


def run(ledger, service, tmp, issuer, crew, amb):
    auditor = cmc_auditor(ledger, service, issuer, tmp)
    path = f"/v1/patients/{ERASE_NHS}/erase"
    check(auditor.documented("/v1/patients/{nhs}/erase"),
          "/v1/openapi.json describes /v1/patients/{nhs}/erase")
    check(files_holding(ledger.data, "Qzxwvbnmtk"),
          "before the erasure, the withdrawal note is in the data directory (the check can fail)")

    def post(body, token, device, headers=None):
        count = ledger.count()
        status, _, answer = service.request("POST", path if body is not None else path,
                                            token=token, device=device,
                                            body=json.dumps(body).encode() if isinstance(
                                                body, dict) else body,
                                            headers={"Content-Type": "application/json",
                                                     **(headers or {})})
        return status, json.loads(answer or b"{}"), ledger.count() - count

    reason = {"reason": "consent withdrawn, letter 2026-311",
              "retention_override": "right-to-erasure decision 7"}
    status, answer, appended = post(reason, crew, amb)
    denied = auditor.recorded(answer.get("access", {}))
    check(status == 422 and appended == 1 and denied.get("outcome") == "ACCESS_OUTCOME_DENIED"
          and "CMC team" in answer.get("detail", ""),
          f"an urgent-care user's erasure: 422, the refusal on the log ({status} "
          f"{answer.get('detail')!r}, {appended} appended)")
    for what, body in (("no reason", {"retention_override": "x"}),
                       ("an unknown field", {**reason, "nhs_number": ERASE_NHS}),
                       ("retention_years 0", {**reason, "retention_years": 0}),
                       ("malformed JSON", b'{"reason": ')):
        status, answer, appended = post(body, auditor.token, auditor.device)
        check(status == 400 and appended == 0,
              f"an erasure with {what}: 400, nothing appended ({status} "
              f"{answer.get('detail')!r}, {appended} appended)")
    count = ledger.count()
    status, _, _ = service.request("POST", "/v1/patients/943476583/erase", token=auditor.token,
                                   device=auditor.device, body=json.dumps(reason).encode(),
                                   headers={"Content-Type": "application/json"})
    check(status == 400 and ledger.count() == count,
          "an invalid NHS number: 400, nothing appended")
    status, answer, appended = post({"reason": "consent withdrawn"}, auditor.token, auditor.device)
    check(status == 422 and appended == 1 and "retention" in answer.get("detail", ""),
          f"before the retention period ends, without an override: 422, recorded "
          f"({status} {answer.get('detail')!r})")

    status, answer, appended = post(reason, auditor.token, auditor.device,
                                    headers={"Idempotency-Key": "erase-1"})
    events, _ = ledger.export()
    erased = [e for p, o, _, body, e in events
              if (p, o) == (answer.get("partition"), answer.get("offset"))]
    check(status == 200 and appended == 1 and answer.get("data_key_destroyed") is True
          and answer.get("projection_purged") is True
          and erased and "patient_erased" in erased[0]
          and erased[0].get("actor", {}).get("user_id") == "auditor.cmc",
          f"the CMC auditor erases the patient: 200, the signed PatientErased at the answered "
          f"position, the key destroyed, the projection purged ({status} {answer})")
    leaks = files_holding(ledger.data, "Qzxwvbnmtk")
    check(not leaks, f"the withdrawal note is in no file of the data directory: {leaks}")

    status, answer, appended = post(reason, auditor.token, auditor.device)
    check(status == 422 and appended == 1 and "already erased" in answer.get("detail", ""),
          f"erasing again: 422 'already erased', recorded ({status} {answer.get('detail')!r})")
    status, _, _ = service.request(
        "GET", f"/v1/patients/{ERASE_NHS}/plan?purpose=emergency+call", token=crew, device=amb)
    check(status in (403, 404), f"the erased plan shows nothing to the crew ({status})")
