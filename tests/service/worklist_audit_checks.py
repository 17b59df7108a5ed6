"""The worklist and the CMC team's audit routes of `careledger serve`, checked
against the running service by service_test.py (which starts it and owns the
ledger): GET /v1/worklist for me and my organisation, its counts matching the
list and `task=` filtering it; plans needing review with review_window_days
(both plans are reviewed by dr.patel in about 90 days: none with the default
window, both with 100 days; a bad window 400, nothing appended); the audit trail, alerts and export for a CMC
auditor, each query's own AuditQuery record on the log; one record and the
content it showed, rebuilt from the log; an auditor's review
of an alert; the trail's summary (trail_summary_checks.py); an urgent-care user
refused (403) with the refusal on the log; bad parameters refused (400) with
nothing appended. After the service has stopped, export_matches_cli compares
the export over HTTP with `careledger audit export` of the same trail.

Each check asserts the HTTP status, the body and the records appended (read
back with `careledger log export` beside the running service)."""
import base64
import csv
import io
import json
import os
import subprocess
import sys
import time
import urllib.parse

from cli_checks import check
from service_client import device_certificate
from sample_plan import flags
import trail_summary_checks

TASKS = ("draft_plan", "review_needed", "approval_needed", "plan_request", "change_request")
PURPOSE = "investigation of a complaint"
CHECK_PROOF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "independent",
                           "check_proof.py")


def problem(body):
    try:
        document = json.loads(body)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def path_of(base, **params):
    query = urllib.parse.urlencode([(k, v) for k, v in params.items() if v is not None],
                                   doseq=True)
    return base + (f"?{query}" if query else "")


def csv_rows(text):
    return list(csv.reader(io.StringIO(text, newline="")))


def run(ledger, service, nhs, tmp, issuer, crew, amb):
    """Returns the CSV export of `nhs`'s trail as the service answered it."""
    gp = issuer.mint("dr.patel", role="clinician")
    gp_device = device_certificate(ledger.data, "dev-GP0001", "GP0001", tmp)
    auditor = issuer.mint("auditor.cmc", role="auditor")
    cmc_device = device_certificate(ledger.data, "dev-CMC001", "CMC001", tmp)
    status, _, body = service.request("GET", "/v1/openapi.json")
    paths = json.loads(body).get("paths", {}) if status == 200 else {}
    check({"/v1/worklist", "/v1/audit/{scope}/{subject}", "/v1/audit/{scope}/{subject}/export",
           "/v1/audit/alerts", "/v1/audit/alerts/{rule}/{position}/review",
           "/v1/audit/records/{partition}/{offset}",
           "/v1/audit/records/{partition}/{offset}/proof"} <= set(paths),
          "/v1/openapi.json describes the worklist and the audit routes")
    check_worklist(ledger, service, nhs, issuer, gp, gp_device)
    check_reviews(ledger, service, gp, gp_device)
    return check_audit(ledger, service, nhs, crew, amb, auditor, cmc_device, tmp)


def post(service, body, token, device=None):
    status, _, answer = service.request(
        "POST", "/v1/commands", token=token, device=device, body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    return status, problem(answer)


def worklist(service, token, device, **params):
    status, headers, body = service.request("GET", path_of("/v1/worklist", **params),
                                            token=token, device=device)
    return status, headers, problem(body)


def check_worklist(ledger, service, nhs, issuer, gp, gp_device):
    # The GP's draft (set up before the service started) is submitted to the
    # GP for approval, and the patient asks for a change: an approval on the
    # GP's own list, a draft and a change request on the practice's.
    submitted, _ = post(service, {"submit_plan": {"nhs_number": nhs, "to_user": "dr.patel",
                                                  "note": "please approve"}}, gp, gp_device)
    patient = issuer.mint("patient.9990000018", role="patient", nhs_number=nhs)
    requested, _ = post(service, {"make_patient_request": {
        "nhs_number": nhs, "kind": "PATIENT_REQUEST_KIND_CHANGE", "text": "new carer's number"},
        "actor": {"purpose": "myCMC"}}, patient)
    check(submitted == 200 and requested == 200,
          f"the GP submits the draft to themself, the patient asks for a change ({submitted}, "
          f"{requested})")

    # The projector follows the log on its own thread: wait (bounded) for it.
    def until(params, task):
        deadline = time.monotonic() + 30
        while True:
            status, headers, body = worklist(service, gp, gp_device, **params)
            if status != 200 or any(i.get("task") == task and i.get("nhs_number") == nhs
                                    for i in body.get("items", [])) or time.monotonic() > deadline:
                return status, headers, body
            time.sleep(0.1)

    count = ledger.count()
    status, headers, mine = until({"scope": "me"}, "approval_needed")
    items = mine.get("items", [])
    check(status == 200 and headers.get("content-type", "").startswith("application/json")
          and mine.get("owner") == "user/dr.patel"
          and [i["nhs_number"] for i in items if i["task"] == "approval_needed"] == [nhs]
          and mine.get("total") == len(items) == sum(mine.get("counts", {}).values())
          and set(mine.get("counts", {})) == set(TASKS)
          and all(mine["counts"][t] == sum(1 for i in items if i["task"] == t) for t in TASKS),
          f"GET /v1/worklist?scope=me: the GP's own list, the submitted plan waiting for "
          f"approval, counts by task type matching the list ({status}, {mine.get('counts')})")

    status, _, org = until({"scope": "organisation"}, "change_request")
    items = org.get("items", [])
    counts = org.get("counts", {})
    check(status == 200 and org.get("owner") == "org/GP0001"
          and {"draft_plan", "change_request"} <= {i["task"] for i in items if i["nhs_number"] == nhs}
          and org.get("total") == len(items) == sum(counts.values())
          and all(counts.get(t) == sum(1 for i in items if i["task"] == t) for t in TASKS),
          f"GET /v1/worklist?scope=organisation: the practice's list (the draft, the "
          f"patient's change request), counts matching the list ({status}, {counts})")
    filtered = {}
    for task in TASKS:
        status, _, body = worklist(service, gp, gp_device, scope="organisation", task=task)
        filtered[task] = (status, body)
    check(all(s == 200 and b.get("task") == t and len(b.get("items", [])) == counts.get(t)
              and all(i["task"] == t for i in b["items"]) and b.get("counts") == counts
              and b.get("total") == org.get("total")
              for t, (s, b) in filtered.items()),
          "  ... each count is the length of the list filtered with task=<type>, and the counts "
          "stay the whole list's")
    status, _, own = worklist(service, patient, None, scope="me")
    check(status == 200 and own.get("owner") == f"patient/{nhs}"
          and "change_request" in {i["task"] for i in own.get("items", [])},
          f"a patient's worklist is their own plan's ({status})")
    for what, params, reason in (("an unknown scope", {"scope": "everyone"}, "scope"),
                                 ("an unknown task type", {"task": "lunch"}, "not a task type")):
        status, headers, body = worklist(service, gp, gp_device, **params)
        check(status == 400 and reason in body.get("detail", "")
              and headers.get("content-type", "").startswith("application/problem+json"),
              f"worklist with {what}: 400 '{reason}' ({status} {body.get('detail')!r})")
    status, _, _ = worklist(service, None, gp_device, scope="me")
    check(status == 401, f"worklist without a token: 401 ({status})")
    looks = 2 + len(TASKS) + 1  # me, organisation, each task, the patient's own
    check(ledger.count() >= count + looks,
          f"every granted look at a worklist is on the log ({ledger.count() - count} records "
          f"for {looks} looks and the polling before them)")

    # Each look is recorded before the list is shown: the list names patients.
    count = ledger.count()
    status, _, mine = worklist(service, gp, gp_device, scope="me", purpose="direct care")
    at = mine.get("access", {})
    record = ledger.access_at(at.get("partition", 0), at.get("offset", -1)) or {}
    granted = record.get("access_recorded", {})
    check(status == 200 and ledger.count() == count + 1
          and granted.get("action") == "view_worklist"
          and granted.get("subject") == "worklist/user/dr.patel"
          and granted.get("outcome") == "ACCESS_OUTCOME_GRANTED"
          and record.get("actor", {}).get("user_id") == "dr.patel"
          and record.get("actor", {}).get("purpose") == "direct care",
          f"a look at the GP's worklist leaves one access record, named in the answer "
          f"({status}, {granted})")
    status, _, body = worklist(service, patient, None, scope="organisation")
    at = body.get("access", {})
    record = ledger.access_at(at.get("partition", 0), at.get("offset", -1)) or {}
    denied = record.get("access_recorded", {})
    check(status == 403 and ledger.count() == count + 2
          and denied.get("outcome") == "ACCESS_OUTCOME_DENIED"
          and denied.get("action") == "view_worklist"
          and "their own plan's" in body.get("detail", ""),
          f"a patient asking for an organisation's worklist: 403, the refusal recorded "
          f"({status}, {denied})")
    status, _, _ = worklist(service, None, gp_device, scope="me")
    status_bad, _, _ = worklist(service, gp, gp_device, scope="everyone")
    check(status == 401 and status_bad == 400 and ledger.count() == count + 2,
          "no token (401) and bad input (400) append nothing")


def check_reviews(ledger, service, gp, gp_device):
    """Both published plans (service_test.py) name dr.patel (GP0001) as
    reviewing clinician, review in about 90 days."""
    count = ledger.count()
    status, _, default = worklist(service, gp, gp_device, scope="me")
    check(status == 200 and default.get("review_window_days") == 28
          and default.get("counts", {}).get("review_needed") == 0
          and not any(i["task"] == "review_needed" for i in default.get("items", [])),
          f"GET /v1/worklist: the default window (28 days) lists no review due in 90 days "
          f"({status}, {default.get('counts')})")
    for scope, owner in (("me", "user/dr.patel"), ("organisation", "org/GP0001")):
        status, _, wide = worklist(service, gp, gp_device, scope=scope, review_window_days="100")
        items = wide.get("items", [])
        reviews = [i for i in items if i["task"] == "review_needed"]
        counts = wide.get("counts", {})
        check(status == 200 and wide.get("owner") == owner
              and wide.get("review_window_days") == 100 and wide.get("reviews_due_by")
              and len(reviews) == 2 and counts.get("review_needed") == 2
              and all(i.get("review_on") and i.get("kind") == "WORKLIST_KIND_REVIEW_NEEDED"
                      for i in reviews)
              and wide.get("total") == len(items) == sum(counts.values()),
              f"GET /v1/worklist?scope={scope}&review_window_days=100: both plans need review, "
              f"counted ({status}, {counts})")
        status, _, only = worklist(service, gp, gp_device, scope=scope, review_window_days="100",
                                   task="review_needed")
        check(status == 200 and len(only.get("items", [])) == 2
              and all(i["task"] == "review_needed" for i in only["items"])
              and only.get("counts") == counts,
              f"  ... task=review_needed lists exactly those ({status})")
    check(ledger.count() == count + 5, f"each of the 5 looks is recorded ({ledger.count() - count})")
    count = ledger.count()
    for bad in ("-1", "367", "ten", "", "1e3"):
        status, headers, body = worklist(service, gp, gp_device, scope="me",
                                         review_window_days=bad)
        check(status == 400 and "from 0 to 366" in body.get("detail", "")
              and headers.get("content-type", "").startswith("application/problem+json"),
              f"review_window_days={bad!r}: 400 ({status} {body.get('detail')!r})")
    check(ledger.count() == count, "a bad review window (400) appends nothing")


def check_audit(ledger, service, nhs, crew, amb, auditor, cmc_device, tmp):
    def get(path, token=auditor, device=cmc_device, headers=None):
        count = ledger.count()
        status, answer_headers, body = service.request("GET", path, token=token, device=device,
                                                       headers=headers)
        return status, answer_headers, body, ledger.count() - count

    def recorded(access):
        return ledger.access_at(access.get("partition"), access.get("offset")) or {}

    # Urgent care may not audit: refused by the ledger, the refusal on the log.
    trail = f"/v1/audit/patients/{nhs}"
    status, headers, body, appended = get(path_of(trail, purpose=PURPOSE), crew, amb)
    refusal = problem(body)
    denied = recorded(refusal.get("access", {}))
    check(status == 403 and "only the CMC team audits" in refusal.get("detail", "")
          and headers.get("content-type", "").startswith("application/problem+json")
          and appended == 1
          and denied.get("access_recorded", {}).get("outcome") == "ACCESS_OUTCOME_DENIED"
          and denied.get("actor", {}).get("user_id") == "crew.lee",
          f"an urgent-care user asking for a patient's audit trail: 403, the DENIED record on "
          f"the log ({status} {refusal.get('detail')!r}, {appended} appended)")

    # The CMC team's query: recorded first, and in its own answer.
    status, _, body, appended = get(path_of(trail, purpose=PURPOSE))
    answer = json.loads(body) if status == 200 else {}
    access = answer.get("access", {})
    own = recorded(access)
    entries = answer.get("entries", [])
    positions = [(e.get("position", {}).get("partition", 0), int(e.get("position", {})
                                                                  .get("offset", -1)))
                 for e in entries]
    check(status == 200 and appended == 1
          and own.get("access_recorded", {}).get("action") == "audit_patient"
          and own.get("access_recorded", {}).get("outcome") == "ACCESS_OUTCOME_GRANTED"
          and own.get("actor", {}).get("user_id") == "auditor.cmc"
          and own.get("actor", {}).get("purpose") == PURPOSE
          and (access.get("partition"), access.get("offset")) in positions
          and any(e.get("actor", {}).get("user_id") == "crew.lee" for e in entries)
          and any(e.get("action") == "audit_patient" and e.get("outcome") ==
                  "ACCESS_OUTCOME_DENIED" for e in entries),
          f"the CMC auditor's patient trail: 200, its AuditQuery record on the log first and "
          f"in the trail, with urgent care's reads and refused audit ({status}, "
          f"{len(entries)} entries, {appended} appended)")

    check_record(ledger, entries, crew, amb, get)
    check_proof(ledger, entries, crew, amb, get, tmp)

    status, _, body, appended = get(path_of(trail, purpose=PURPOSE, limit=2))
    first = json.loads(body) if status == 200 else {}
    token = first.get("next_page_token", "")
    status2, _, body, appended2 = get(path_of(trail, purpose=PURPOSE, limit=2, page=token))
    second = json.loads(body) if status2 == 200 else {}
    check(status == 200 and status2 == 200 and len(first.get("entries", [])) == 2 and token
          and second.get("entries") and second["entries"][0] != first["entries"][0]
          and appended == appended2 == 1,
          "a trail pages with limit= and page=, each page a recorded query of its own")
    trail_summary_checks.run(get, recorded, path_of, PURPOSE, nhs)

    for scope, subject, field in (("users", "crew.lee", "user_id"),
                                  ("organisations", "AMB001", "organisation")):
        status, _, body, appended = get(path_of(f"/v1/audit/{scope}/{subject}", purpose=PURPOSE))
        answer = json.loads(body) if status == 200 else {}
        own = recorded(answer.get("access", {}))
        check(status == 200 and appended == 1 and answer.get("entries")
              and all(e.get("actor", {}).get(field) == subject for e in answer["entries"])
              and own.get("access_recorded", {}).get("action") ==
              ("audit_user" if scope == "users" else "audit_organisation"),
              f"GET /v1/audit/{scope}/{subject}: everything they did, the query recorded "
              f"({status}, {appended} appended)")

    status, _, body, appended = get(path_of("/v1/audit/alerts", purpose=PURPOSE))
    alerts = json.loads(body) if status == 200 else {}
    own = recorded(alerts.get("access", {}))
    check(status == 200 and appended == 1 and isinstance(alerts.get("alerts"), list)
          and alerts.get("records_examined", 0) > 0 and "deceased_days" in alerts.get(
              "thresholds", {})
          and own.get("access_recorded", {}).get("action") == "audit_alerts",
          f"GET /v1/audit/alerts: the investigation rules' alerts, the query recorded "
          f"({status}, {len(alerts.get('alerts', []))} alerts)")
    status, _, body, appended = get(path_of("/v1/audit/alerts", purpose=PURPOSE), crew, amb)
    check(status == 403 and appended == 1, f"urgent care asking for the alerts: 403, the refusal "
                                           f"recorded ({status}, {appended})")
    # Urgent care's refused reads above (the draft, the history, the probe,
    # ...) are repeated refusals at a threshold of 2: an alert on any day.
    status, _, body, appended = get(path_of("/v1/audit/alerts", purpose=PURPOSE,
                                            rule="repeated_refusals", threshold="refusals=2"))
    refusals = json.loads(body) if status == 200 else {}
    check(status == 200 and appended == 1 and refusals.get("thresholds", {}).get("refusals") == "2"
          and refusals.get("alerts")
          and all(a.get("rule") == "repeated_refusals" for a in refusals["alerts"]),
          f"GET /v1/audit/alerts?rule=repeated_refusals&threshold=refusals=2: that rule's "
          f"alerts, with that threshold ({status}, {len(refusals.get('alerts', []))} alerts)")
    # One user's alerts (user=): the same as the whole investigation's for
    # them, from their records alone, recorded as the same query.
    refused_user = (refusals.get("alerts") or [{}])[0].get("actor", {}).get("user_id", "")
    for user in (refused_user, "nobody.here"):
        status, _, body, appended = get(path_of(
            "/v1/audit/alerts", purpose=PURPOSE, rule="repeated_refusals",
            threshold="refusals=2", user=user))
        mine = json.loads(body) if status == 200 else {}
        expected = [a for a in refusals.get("alerts", [])
                    if a.get("actor", {}).get("user_id") == user]
        examined = mine.get("records_examined", -1)
        check(status == 200 and appended == 1 and mine.get("alerts") == expected
              and (expected or user == "nobody.here")
              and (0 < examined < refusals.get("records_examined", 0) if expected else
                   examined == 0)
              and recorded(mine.get("access", {})).get("access_recorded", {}).get("action")
              == "audit_alerts",
              f"GET /v1/audit/alerts?rule=repeated_refusals&user={user}: the whole "
              f"investigation's {len(expected)} alerts for them, from {examined} of "
              f"{refusals.get('records_examined')} records, recorded ({status})")
    check_review(ledger, service, refusals.get("alerts", []), ["refusals=2"], crew, amb, auditor,
                 cmc_device, get)

    # Bad parameters: 400, nothing appended (not even a refusal).
    for what, path, reason in (
            ("no purpose", trail, "purpose"),
            ("an unreadable from", path_of(trail, purpose=PURPOSE, **{"from": "yesterday"}),
             "not a time"),
            ("from after to", path_of(trail, purpose=PURPOSE, **{"from": "2026-06-02",
                                                                 "to": "2026-06-01"}),
             "before"),
            ("limit 0", path_of(trail, purpose=PURPOSE, limit=0), "limit"),
            ("a bad page token", path_of(trail, purpose=PURPOSE, page="zz"), "page token"),
            ("an unknown order", path_of(trail, purpose=PURPOSE, order="sideways"), "order"),
            ("an invalid NHS number", path_of("/v1/audit/patients/1234567890", purpose=PURPOSE),
             "NHS number"),
            ("an unknown rule", path_of("/v1/audit/alerts", purpose=PURPOSE, rule="snooping"),
             "not a rule"),
            ("an unknown threshold", path_of("/v1/audit/alerts", purpose=PURPOSE,
                                             threshold="nerves=steel"), "nerves"),
            ("an export without a format", path_of(trail + "/export", purpose=PURPOSE),
             "format"),
            ("an export as xml", path_of(trail + "/export", purpose=PURPOSE, format="xml"),
             "format")):
        status, headers, body, appended = get(path)
        detail = problem(body).get("detail", "")
        check(status == 400 and reason in detail and appended == 0
              and headers.get("content-type", "").startswith("application/problem+json"),
              f"audit with {what}: 400 '{reason}', nothing appended ({status} {detail!r}, "
              f"{appended})")

    # The export: CSV by format=, FHIR by Accept; each recorded as an export.
    status, headers, body, appended = get(path_of(trail + "/export", purpose=PURPOSE,
                                                  format="csv"))
    rows = csv_rows(body.decode()) if status == 200 else []
    exported = headers.get("careledger-access", "")
    fields = dict(part.strip().split("=", 1) for part in exported.split(";") if "=" in part)
    own = ledger.access_at(int(fields.get("partition", -1)), int(fields.get("offset", -1))) or {}
    check(status == 200 and headers.get("content-type", "").startswith("text/csv")
          and appended == 1 and len(rows) > 2 and rows[0][:3] == ["recorded_at", "kind", "action"]
          and rows[-1][2] == "audit_export_patient"
          and headers.get("transfer-encoding") == "chunked"
          and own.get("access_recorded", {}).get("action") == "audit_export_patient",
          f"GET {trail}/export?format=csv: the trail as CSV, ending with its own recorded "
          f"export, streamed ({status}, {len(rows)} rows, {appended} appended)")
    status, headers, body, appended = get(path_of(trail + "/export", purpose=PURPOSE),
                                          headers={"Accept": "application/fhir+json"})
    bundle = json.loads(body) if status == 200 else {}
    check(status == 200 and headers.get("content-type", "").startswith("application/fhir+json")
          and bundle.get("resourceType") == "Bundle" and appended == 1
          and len(bundle.get("entry", [])) == len(rows)
          and all(e["resource"]["resourceType"] == "AuditEvent" for e in bundle["entry"]),
          f"  ... and as a FHIR Bundle of AuditEvents by Accept ({status}, "
          f"{len(bundle.get('entry', []))} events)")
    status, _, body, appended = get(path_of(trail + "/export", purpose=PURPOSE, format="csv"),
                                    crew, amb)
    check(status == 403 and appended == 1 and b"recorded_at" not in body,
          f"urgent care asking for an export: 403, nothing of the trail, the refusal recorded "
          f"({status}, {appended})")
    return rows


def check_record(ledger, entries, crew, amb, get):
    """GET /v1/audit/records/{partition}/{offset}: one read, and what it showed."""
    reads = [e for e in entries if e.get("actor", {}).get("user_id") == "crew.lee"
             and e.get("outcome") == "ACCESS_OUTCOME_GRANTED" and e.get("content_hash")]
    if not check(reads, "the trail holds urgent care's granted reads"):
        return
    read = reads[0]
    where = read["position"]
    path = path_of(f"/v1/audit/records/{where.get('partition', 0)}/{where.get('offset', 0)}",
                   purpose=PURPOSE)
    status, _, body, appended = get(path)
    answer = json.loads(body) if status == 200 else {}
    content = answer.get("content", {})
    own = ledger.access_at(answer.get("access", {}).get("partition"),
                           answer.get("access", {}).get("offset")) or {}
    check(status == 200 and appended == 1 and answer.get("record", {}).get("signature") ==
          "verified" and content.get("verified") is True
          and content.get("content_hash") == base64.b64decode(read["content_hash"]).hex()
          and content.get("plan", {}).get("demographics")
          and own.get("access_recorded", {}).get("action") == "audit_access"
          and own.get("access_recorded", {}).get("nhs_number") == read.get("nhs_number"),
          f"GET /v1/audit/records/...: the crew's read, its signature verified and the content it "
          f"showed rebuilt from the log with the recorded hash; the query recorded naming the "
          f"patient ({status}, {appended} appended)")
    status, _, body, appended = get(path, crew, amb)
    check(status == 403 and appended == 1 and b"demographics" not in body,
          f"urgent care asking for one record: 403, nothing shown, the refusal recorded "
          f"({status}, {appended})")
    status, _, body, appended = get(path_of("/v1/audit/records/0/999999", purpose=PURPOSE))
    check(status == 404 and appended == 0,
          f"a record the log does not hold: 404, nothing appended ({status}, {appended})")


def check_proof(ledger, entries, crew, amb, get, tmp):
    """GET /v1/audit/records/{partition}/{offset}/proof: a patient's receipt
    that the independent checker accepts."""
    reads = [e for e in entries if e.get("actor", {}).get("user_id") == "crew.lee"
             and e.get("outcome") == "ACCESS_OUTCOME_GRANTED"]
    if not check(reads, "the trail holds urgent care's granted reads"):
        return
    where = reads[0]["position"]
    path = path_of(f"/v1/audit/records/{where.get('partition', 0)}/{where.get('offset', 0)}"
                   "/proof", purpose=PURPOSE)
    # The writer checkpoints every few seconds: until one follows the read,
    # 503 and nothing appended.
    deadline = time.monotonic() + 60
    while True:
        status, _, body, appended = get(path)
        if status != 503 or time.monotonic() > deadline:
            break
        check(appended == 0, "no checkpoint after the read yet: 503, nothing appended")
        time.sleep(1)
    answer = json.loads(body) if status == 200 else {}
    own = ledger.access_at(answer.get("access", {}).get("partition"),
                           answer.get("access", {}).get("offset")) or {}
    proof_file = os.path.join(tmp, "receipt.json")
    with open(proof_file, "w", encoding="utf-8") as f:
        json.dump(answer.get("proof", {}), f)
    checked = subprocess.run([sys.executable, CHECK_PROOF, proof_file], capture_output=True,
                             text=True)
    check(status == 200 and appended == 1 and checked.returncode == 0
          and own.get("access_recorded", {}).get("subject") ==
          f"log/{where.get('partition', 0)}/{where.get('offset', 0)}"
          and own.get("access_recorded", {}).get("nhs_number") == reads[0].get("nhs_number"),
          f"GET .../proof: the receipt of the crew's read, accepted by the independent checker; "
          f"the query recorded in the patient's trail ({status}, {appended} appended, checker "
          f"{checked.returncode} {checked.stdout[-200:]}{checked.stderr[-200:]})")
    status, _, body, appended = get(path, crew, amb)
    check(status == 403 and appended == 1 and b"checkpoint" not in body,
          f"urgent care asking for a receipt: 403, no proof, the refusal recorded "
          f"({status}, {appended})")
    status, _, _, appended = get(path_of("/v1/audit/records/0/999999/proof", purpose=PURPOSE))
    check(status == 404 and appended == 0,
          f"a receipt for a record the log does not hold: 404, nothing appended "
          f"({status}, {appended})")


def check_review(ledger, service, alerts, thresholds, crew, amb, auditor, cmc_device, get):
    """POST /v1/audit/alerts/{id}/review: an auditor's review of an alert."""
    def review(alert_id, body, token=auditor, device=cmc_device, key=None):
        count = ledger.count()
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        status, _, answer = service.request(
            "POST", f"/v1/audit/alerts/{alert_id}/review", token=token, device=device,
            body=json.dumps(body).encode(), headers=headers)
        return status, problem(answer), ledger.count() - count

    if not check(alerts, f"there is an alert to review ({len(alerts)})"):
        return
    alert = alerts[0]
    first_review = {"outcome": "false-positive", "note": "a test of the route",
                    "thresholds": thresholds}
    status, answer, appended = review(alert["alert_id"], first_review, key="review-1")
    events, _ = ledger.export()
    reviewed = [e for p, o, _, body, e in events
                if (p, o) == (answer.get("partition"), answer.get("offset"))
                and body == "alert_reviewed"]
    check(status == 200 and answer.get("outcome") == "OUTCOME_APPLIED" and appended == 1
          and reviewed and reviewed[0]["alert_reviewed"].get("alert_id") == alert["alert_id"]
          and reviewed[0]["alert_reviewed"].get("nhs_number", "") == alert.get("nhs_number", "")
          and reviewed[0].get("actor", {}).get("user_id") == "auditor.cmc",
          f"the CMC auditor reviews alert {alert['alert_id']}: 200, the signed review on the log "
          f"naming the alert's patient ({status} {answer.get('detail', '')!r}, {appended})")
    retried, again, appended = review(alert["alert_id"], first_review, key="review-1")
    check(retried == 200 and again.get("outcome") == "OUTCOME_DUPLICATE" and appended == 0
          and (again.get("partition"), again.get("offset")) ==
          (answer.get("partition"), answer.get("offset")),
          f"the same review retried with its Idempotency-Key: 200 DUPLICATE at the first "
          f"review's position, nothing appended ({retried} {again}, {appended})")
    status, _, body, _ = get(path_of("/v1/audit/alerts", purpose=PURPOSE,
                                     rule="repeated_refusals", threshold=thresholds))
    listed = {a["alert_id"]: a for a in json.loads(body).get("alerts", [])} if status == 200 else {}
    check(listed.get(alert["alert_id"], {}).get("review", {}).get("outcome") ==
          "ALERT_REVIEW_OUTCOME_FALSE_POSITIVE",
          "  ... and the alerts now show that review")
    status, answer, appended = review(alert["alert_id"], {"outcome": "justified"}, crew, amb)
    check(status == 422 and "only the CMC team" in answer.get("detail", "") and appended == 1,
          f"urgent care reviewing an alert: 422 refused by the ledger, the refusal recorded "
          f"({status} {answer.get('detail')!r}, {appended})")
    for what, alert_id, body, expected, reason in (
            ("an alert at no record", "break_glass/0-999999", {"outcome": "justified"},
             404, "no alert"),
            ("an alert the rules do not raise without its thresholds", alert["alert_id"],
             {"outcome": "justified"}, 404, "do not raise"),
            ("an unknown outcome", alert["alert_id"], {"outcome": "shrug"}, 400, "outcome"),
            ("an unknown field", alert["alert_id"], {"outcome": "justified", "x": 1}, 400, "'x'"),
            ("no outcome", alert["alert_id"], {}, 400, "outcome is required")):
        status, answer, appended = review(alert_id, body)
        check(status == expected and reason in answer.get("detail", "") and appended == 0,
              f"a review of {what}: {expected} '{reason}', nothing appended "
              f"({status} {answer.get('detail')!r}, {appended})")


def export_matches_cli(ledger, nhs, http_rows, tmp):
    """After the service stopped: `careledger audit export` of the same trail
    holds the HTTP export's rows first, in order (it adds what came after,
    its own record last)."""
    out = f"{tmp}/cli-export.csv"
    result = ledger.run("audit", "export", "--format", "csv", "--nhs", nhs, "--out", out,
                        *flags("auditor.cmc"), "--purpose", PURPOSE)
    cli_rows = []
    if result.returncode == 0:
        with open(out, encoding="utf-8", newline="") as f:
            cli_rows = csv_rows(f.read())
    check(result.returncode == 0 and len(http_rows) > 2 and len(cli_rows) > len(http_rows)
          and cli_rows[:len(http_rows)] == http_rows
          and cli_rows[-1][2] == "audit_export_patient",
          f"the export over HTTP equals the CLI's export of the same trail, row for row, up to "
          f"what came after it ({len(http_rows)} rows over HTTP, {len(cli_rows)} by the CLI)")
