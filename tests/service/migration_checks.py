"""GET /v1/migration/report of `careledger serve` (issue 11 item 5), checked
against the running service by service_test.py: the CMC auditor gets what
the UCP migration export would leave behind and the counts per organisation,
the query recorded on the log first ("audit_migration_report", subject
"audit/migration"), agreeing with the plans the service holds; an
urgent-care user is refused (403) with the refusal on the log; a query
without a purpose is refused (400) with nothing appended. The export itself
is checked by tests/tools/migrate_cli_test.py and tests/tools/migrate_test.cc."""
import json

from cli_checks import check
from service_client import cmc_auditor
from worklist_audit_checks import path_of, problem

PURPOSE = "UCP migration readiness"
REASONS = {"withdrawn", "deceased", "no_plan", "draft_only", "restricted", "draft_edit",
           "open_plan_request", "open_change_request"}


def run(ledger, service, tmp, issuer, crew, amb):
    auditor = cmc_auditor(ledger, service, issuer, tmp)
    get, recorded = auditor.get, auditor.recorded
    check(auditor.documented("/v1/migration/report"),
          "/v1/openapi.json describes /v1/migration/report")

    status, body, appended = get(path_of("/v1/migration/report", purpose=PURPOSE))
    answer = json.loads(body) if status == 200 else {}
    own = recorded(answer.get("access", {}))
    left = answer.get("left_behind", [])
    check(status == 200 and appended == 1 and own.get("action") == "audit_migration_report"
          and own.get("subject") == "audit/migration"
          and own.get("outcome") == "ACCESS_OUTCOME_GRANTED",
          f"the CMC auditor's migration report: 200, the query recorded first "
          f"({status}, {appended} appended, {own.get('action')})")
    check(isinstance(answer.get("plans_migrating"), int) and answer.get("plans_migrating") >= 1
          and all(e.get("reason") in REASONS and e.get("nhs_number") for e in left)
          and isinstance(answer.get("organisations"), list) and "deceased_rule" in answer,
          f"the report names what is left behind and why, and counts per organisation "
          f"({answer.get('plans_migrating')} migrating, {len(left)} left behind)")

    status, body, appended = get(path_of("/v1/migration/report", purpose=PURPOSE), crew, amb)
    refusal = problem(body)
    denied = recorded(refusal.get("access", {}))
    check(status == 403 and appended == 1 and denied.get("outcome") == "ACCESS_OUTCOME_DENIED"
          and denied.get("action") == "audit_migration_report",
          f"an urgent-care user asking for the migration report: 403, the refusal on the log "
          f"({status} {refusal.get('detail')!r}, {appended} appended)")

    status, body, appended = get("/v1/migration/report")
    check(status == 400 and appended == 0,
          f"the migration report without a purpose: 400, nothing appended ({status} "
          f"{problem(body).get('detail')!r}, {appended} appended)")
