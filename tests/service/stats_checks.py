"""GET /v1/stats of `careledger serve` (issue 11 item 3), checked against the
running service by service_test.py: the CMC auditor gets the figures with
counts 1-4 as "<5", the query's AuditQuery record on the log first
("audit_statistics"; "audit_statistics_unsuppressed" for exact counts); an
urgent-care user is refused (403) with the refusal on the log; bad
parameters are refused (400) with nothing appended. The figures themselves
are checked by tests/projections/stats_projection_test.cc and
tests/tools/stats_cli_test.py."""
import json

from cli_checks import check
from service_client import cmc_auditor
from worklist_audit_checks import path_of, problem

PURPOSE = "monthly CMC report"


def run(ledger, service, tmp, issuer, crew, amb):
    auditor = cmc_auditor(ledger, service, issuer, tmp)
    get, recorded = auditor.get, auditor.recorded
    check(auditor.documented("/v1/stats"), "/v1/openapi.json describes /v1/stats")

    status, body, appended = get(path_of("/v1/stats", purpose=PURPOSE))
    answer = json.loads(body) if status == 200 else {}
    rows = answer.get("rows", [])
    own = recorded(answer.get("access", {}))
    check(status == 200 and appended == 1 and answer.get("suppressed") is True and rows
          and own.get("action") == "audit_statistics" and own.get("subject") == "audit/statistics"
          and not any(r.get("value") in ("1", "2", "3", "4") for r in rows),
          f"the CMC auditor's figures: 200, suppressed, the query recorded first "
          f"({status}, {len(rows)} rows, {appended} appended, {own.get('action')})")

    status, body, appended = get(path_of("/v1/stats", purpose=PURPOSE, unsuppressed="true",
                                         period="year", org="AMB001"))
    answer = json.loads(body) if status == 200 else {}
    own = recorded(answer.get("access", {}))
    check(status == 200 and appended == 1 and answer.get("suppressed") is False
          and answer.get("organisation") == "AMB001"
          and own.get("action") == "audit_statistics_unsuppressed"
          and own.get("subject") == "audit/statistics/AMB001",
          f"unsuppressed=true is recorded as such, with the organisation asked for "
          f"({status}, {own.get('action')}, {own.get('subject')})")

    status, body, appended = get(path_of("/v1/stats", purpose=PURPOSE), crew, amb)
    refusal = problem(body)
    denied = recorded(refusal.get("access", {}))
    check(status == 403 and appended == 1 and denied.get("outcome") == "ACCESS_OUTCOME_DENIED"
          and denied.get("action") == "audit_statistics",
          f"an urgent-care user asking for the figures: 403, the refusal on the log "
          f"({status} {refusal.get('detail')!r}, {appended} appended)")

    for what, params in (("no purpose", {}),
                         ("an unknown period", {"purpose": PURPOSE, "period": "week"}),
                         ("an unreadable day", {"purpose": PURPOSE, "from": "2026-02-30"}),
                         ("a bad ODS code", {"purpose": PURPOSE, "org": "x/y"}),
                         ("unsuppressed=maybe", {"purpose": PURPOSE, "unsuppressed": "maybe"})):
        status, body, appended = get(path_of("/v1/stats", **params))
        check(status == 400 and appended == 0,
              f"stats with {what}: 400, nothing appended ({status} "
              f"{problem(body).get('detail')!r}, {appended} appended)")
