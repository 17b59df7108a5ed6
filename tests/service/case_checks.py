"""The CMC team's investigation cases over HTTPS (service/case_routes.cc,
ledger/case_rules.h), checked against the running service by
service_test.py: an auditor opens a case on the user an alert names, adds the
alert and a note, lists and reads the case (each read an audited query,
recorded first), sees the alert in the case from the alerts queue with the
reader's name, and closes it; a retried command (same Idempotency-Key) is
answered DUPLICATE and appends nothing; bad input answers 400 and appends
nothing; an unknown alert 404, nothing appended; an unknown or closed case is
refused by the ledger (422) with the refusal recorded and no case event; an
urgent-care user is refused (403) and the refusal recorded.

Each check asserts the HTTP status, the body and the records appended (read
back with `careledger log export` beside the running service)."""
import json

from cli_checks import check
from service_client import cmc_auditor
from worklist_audit_checks import path_of, problem

PURPOSE = "investigation case 2026-31"
CASE_BODIES = ("case_opened", "case_alert_added", "case_note_added", "case_closed")


def run(ledger, service, tmp, issuer, crew, amb):
    auditor = cmc_auditor(ledger, service, issuer, tmp)
    get, recorded = auditor.get, auditor.recorded
    for path in ("/v1/audit/cases", "/v1/audit/cases/{case}", "/v1/audit/cases/{case}/alerts",
                 "/v1/audit/cases/{case}/notes", "/v1/audit/cases/{case}/close"):
        check(auditor.documented(path), f"/v1/openapi.json describes {path}")

    def post(path, body, token=auditor.token, device=auditor.device, key=None):
        """(status, answer, records appended, case events appended)."""
        events_before = case_events()
        count = ledger.count()
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        status, _, answer = service.request("POST", path, token=token, device=device,
                                            body=json.dumps(body).encode(), headers=headers)
        return (status, problem(answer), ledger.count() - count,
                case_events()[len(events_before):])

    def case_events():
        return [(body, event) for _, _, _, body, event in ledger.export()[0]
                if body in CASE_BODIES]

    # An alert to put in the case: urgent care's repeated refusals (the
    # worklist and audit checks before made them) at a threshold of 2.
    thresholds = ["refusals=2"]
    status, body, _ = get(path_of("/v1/audit/alerts", purpose=PURPOSE, rule="repeated_refusals",
                                  threshold=thresholds))
    alerts = json.loads(body).get("alerts", []) if status == 200 else []
    # The alerts queue names each reader the directory knows, not only their id.
    named = [a for a in alerts if a.get("actor_name")]
    if not check(named, f"there is an alert on a named reader to open a case from ({status}, "
                        f"{len(alerts)} alerts, {len(named)} naming their reader)"):
        return
    alert = named[0]
    user = alert["actor"]["user_id"]

    # Not the CMC team: refused, the refusal recorded, no case event.
    status, answer, appended, events = post("/v1/audit/cases", {"title": "mine", "user_id": user},
                                            token=crew, device=amb)
    denied = recorded(answer.get("access", {}))
    check(status == 403 and appended == 1 and not events
          and denied.get("outcome") == "ACCESS_OUTCOME_DENIED"
          and denied.get("action") == "open_case",
          f"urgent care opening a case: 403, the refusal recorded, no case event "
          f"({status} {answer.get('detail')!r}, {appended} appended, {denied.get('action')})")

    # Bad input: 400, nothing appended.
    for what, body, reason in (
            ("no title", {"user_id": user}, "title"),
            ("a blank title", {"title": "  ", "user_id": user}, "title"),
            ("two subjects", {"title": "t", "user_id": user, "nhs_number": "9434765919"},
             "exactly one"),
            ("no subject", {"title": "t"}, "exactly one"),
            ("an invalid NHS number", {"title": "t", "nhs_number": "1234567890"}, "NHS number"),
            ("a bad case id", {"title": "t", "user_id": user, "case_id": "Case One"}, "case id"),
            ("an unknown field", {"title": "t", "user_id": user, "x": "y"}, "'x'"),
            ("a title too long", {"title": "t" * 257, "user_id": user}, "256")):
        status, answer, appended, _ = post("/v1/audit/cases", body)
        check(status == 400 and reason in answer.get("detail", "") and appended == 0,
              f"opening a case with {what}: 400 '{reason}', nothing appended "
              f"({status} {answer.get('detail')!r}, {appended})")

    # Open, retried.
    opening = {"title": f"Repeated refusals by {user}", "user_id": user}
    status, opened, appended, events = post("/v1/audit/cases", opening, key="case-open-1")
    case_id = opened.get("case_id", "")
    check(status == 200 and opened.get("outcome") == "OUTCOME_APPLIED" and appended == 1
          and case_id.startswith("case-") and opened.get("stream_id") == f"audit/case/{case_id}"
          and len(events) == 1 and events[0][1]["case_opened"].get("user_id") == user
          and events[0][1].get("actor", {}).get("user_id") == "auditor.cmc",
          f"the CMC auditor opens a case on {user}: 200, one signed CaseOpened on "
          f"audit/case/{case_id} ({status} {opened.get('detail', '')!r}, {appended})")
    status, again, appended, _ = post("/v1/audit/cases", opening, key="case-open-1")
    check(status == 200 and again.get("outcome") == "OUTCOME_DUPLICATE" and appended == 0
          and again.get("case_id") == case_id and again.get("offset") == opened.get("offset"),
          f"the same opening retried with its Idempotency-Key: 200 DUPLICATE, the same case, "
          f"nothing appended ({status} {again}, {appended})")

    # Alerts.
    base = f"/v1/audit/cases/{case_id}"
    adding = {"alert_id": alert["alert_id"], "thresholds": thresholds}
    status, added, appended, events = post(f"{base}/alerts", adding, key="case-alert-1")
    check(status == 200 and added.get("outcome") == "OUTCOME_APPLIED" and appended == 1
          and len(events) == 1
          and events[0][1]["case_alert_added"].get("alert_id") == alert["alert_id"]
          and events[0][1]["case_alert_added"].get("nhs_number", "") ==
          alert.get("nhs_number", ""),
          f"the alert is put in the case, naming its patient ({status} "
          f"{added.get('detail', '')!r}, {appended})")
    status, again, appended, _ = post(f"{base}/alerts", adding, key="case-alert-1")
    check(status == 200 and again.get("outcome") == "OUTCOME_DUPLICATE" and appended == 0,
          f"  ... retried: 200 DUPLICATE, nothing appended ({status}, {appended})")
    for what, body, expected, reason in (
            ("an alert at no record", {"alert_id": "break_glass/0-999999"}, 404, "no alert"),
            ("an alert the rules do not raise without its thresholds",
             {"alert_id": alert["alert_id"]}, 404, "do not raise"),
            ("a malformed alert id", {"alert_id": "nonsense"}, 400, "alert id"),
            ("a bad threshold", {"alert_id": alert["alert_id"], "thresholds": ["x=1"]}, 400, "x")):
        status, answer, appended, _ = post(f"{base}/alerts", body)
        check(status == expected and reason in answer.get("detail", "") and appended == 0,
              f"adding {what}: {expected} '{reason}', nothing appended "
              f"({status} {answer.get('detail')!r}, {appended})")
    status, answer, appended, events = post("/v1/audit/cases/case-none/alerts", adding)
    check(status == 422 and "no case case-none" in answer.get("detail", "") and appended == 1
          and not events and recorded(answer.get("access", {})).get("outcome") ==
          "ACCESS_OUTCOME_DENIED",
          f"adding to an unknown case: 422 refused by the ledger, the refusal recorded, no case "
          f"event ({status} {answer.get('detail')!r}, {appended})")

    # Notes.
    for what, body, reason in (("an empty note", {"note": ""}, "empty"),
                               ("a note too long", {"note": "n" * 2001}, "2000"),
                               ("a number for a note", {"note": 5}, "'note'")):
        status, answer, appended, _ = post(f"{base}/notes", body)
        check(status == 400 and reason in answer.get("detail", "") and appended == 0,
              f"{what}: 400 '{reason}', nothing appended ({status} {answer.get('detail')!r}, "
              f"{appended})")
    status, noted, appended, events = post(f"{base}/notes",
                                           {"note": "Asked AMB001 for the crew's rota."})
    check(status == 200 and appended == 1 and len(events) == 1
          and events[0][1]["case_note_added"].get("note") == "Asked AMB001 for the crew's rota.",
          f"a note on the case: 200, one signed CaseNoteAdded ({status}, {appended})")

    # Reads: audited queries.
    status, body, appended = get(path_of("/v1/audit/cases", purpose=PURPOSE, status="open"))
    listed = json.loads(body) if status == 200 else {}
    own = recorded(listed.get("access", {}))
    mine = [c for c in listed.get("cases", []) if c.get("case_id") == case_id]
    check(status == 200 and appended == 1 and len(mine) == 1 and mine[0].get("status") == "open"
          and mine[0].get("alert_ids") == [alert["alert_id"]] and mine[0].get("note_count") == 1
          and own.get("action") == "audit_cases" and own.get("subject") == "audit/cases",
          f"GET /v1/audit/cases?status=open lists the case, the query recorded first "
          f"({status}, {appended} appended, {own.get('action')})")
    status, body, _ = get(path_of("/v1/audit/cases", purpose=PURPOSE, status="closed"))
    check(status == 200 and not any(c.get("case_id") == case_id
                                    for c in json.loads(body).get("cases", [])),
          "  ... status=closed does not")
    status, body, _ = get(path_of("/v1/audit/cases", purpose=PURPOSE, user=user))
    check(status == 200 and any(c.get("case_id") == case_id
                                for c in json.loads(body).get("cases", [])),
          f"  ... user={user} does")
    status, body, appended = get(path_of(base, purpose=PURPOSE, threshold=thresholds))
    whole = json.loads(body) if status == 200 else {}
    own = recorded(whole.get("access", {}))
    entries = whole.get("entries", [])
    shown = whole.get("alerts", [])
    check(status == 200 and appended == 1 and whole.get("status") == "open"
          and [e.get("action") for e in entries] ==
          ["case_opened", "case_alert_added", "case_note_added"]
          and all(e.get("actor_name") and e.get("position") for e in entries)
          and len(shown) == 1 and shown[0].get("found") is True
          and shown[0].get("reason") == alert.get("reason")
          and shown[0].get("case_ids") == [case_id]
          and own.get("action") == "audit_cases" and own.get("subject") == f"audit/case/{case_id}",
          f"GET {base}: the case whole, its entries named and placed, its alert with its reason; "
          f"the query recorded first ({status}, {[e.get('action') for e in entries]}, "
          f"{len(shown)} alerts, {own.get('subject')})")
    status, body, _ = get(path_of("/v1/audit/alerts", purpose=PURPOSE, rule="repeated_refusals",
                                  threshold=thresholds))
    queued = {a["alert_id"]: a for a in json.loads(body).get("alerts", [])} if status == 200 else {}
    check(case_id in queued.get(alert["alert_id"], {}).get("case_ids", []),
          "the alerts queue shows the alert in the case")
    status, body, appended = get(path_of(base, purpose=PURPOSE), crew, amb)
    denied = recorded(problem(body).get("access", {}))
    check(status == 403 and appended == 1 and denied.get("action") == "audit_cases"
          and denied.get("outcome") == "ACCESS_OUTCOME_DENIED",
          f"urgent care reading the case: 403, the refusal recorded ({status}, {appended})")
    status, body, appended = get(path_of("/v1/audit/cases/case-none", purpose=PURPOSE))
    check(status == 404 and appended == 1,
          f"an unknown case read: 404, the query recorded ({status}, {appended})")
    for what, path in (("no purpose", "/v1/audit/cases"),
                       ("an unknown status", path_of("/v1/audit/cases", purpose=PURPOSE,
                                                     status="pending"))):
        status, body, appended = get(path)
        check(status == 400 and appended == 0,
              f"cases with {what}: 400, nothing appended ({status}, {appended})")

    # Non-auditor acting on the case: refused and recorded.
    status, answer, appended, events = post(f"{base}/notes", {"note": "I was curious"},
                                            token=crew, device=amb)
    check(status == 403 and appended == 1 and not events,
          f"urgent care noting on the case: 403, the refusal recorded, no case event "
          f"({status} {answer.get('detail')!r}, {appended})")

    # Close; nothing more after.
    status, answer, appended, _ = post(f"{base}/close", {"outcome": "shrug"})
    check(status == 400 and appended == 0, f"closing with an unknown outcome: 400, nothing "
                                           f"appended ({status}, {appended})")
    status, closed, appended, events = post(f"{base}/close", {
        "outcome": "false-positive", "note": "The refusals were a misconfigured device."},
        key="case-close-1")
    check(status == 200 and appended == 1 and len(events) == 1
          and events[0][1]["case_closed"].get("outcome") == "ALERT_REVIEW_OUTCOME_FALSE_POSITIVE",
          f"the case is closed with an outcome: 200, one signed CaseClosed ({status}, {appended})")
    status, again, appended, _ = post(f"{base}/close", {
        "outcome": "false-positive", "note": "The refusals were a misconfigured device."},
        key="case-close-1")
    check(status == 200 and again.get("outcome") == "OUTCOME_DUPLICATE" and appended == 0,
          f"  ... retried: 200 DUPLICATE, not refused as closed ({status}, {appended})")
    status, answer, appended, events = post(f"{base}/notes", {"note": "one more thing"})
    check(status == 422 and "is closed" in answer.get("detail", "") and appended == 1
          and not events,
          f"a note on the closed case: 422 refused by the ledger, the refusal recorded, no case "
          f"event ({status} {answer.get('detail')!r}, {appended})")
    status, body, _ = get(path_of(base, purpose=PURPOSE))
    whole = json.loads(body) if status == 200 else {}
    check(status == 200 and whole.get("status") == "closed"
          and whole.get("outcome") == "ALERT_REVIEW_OUTCOME_FALSE_POSITIVE"
          and len(whole.get("entries", [])) == 4,
          f"the case reads closed, with its outcome ({status}, {whole.get('status')})")
