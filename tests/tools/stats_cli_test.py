#!/usr/bin/env python3
"""`careledger stats` end to end (issue 11 item 3), on the embedded log:

  seven plans started by the sample GP (one left in draft, six published),
  read by urgent care (six ambulance reads, two NHS 111 reads), and six
  deaths decided by the ledger against the plan's preferred places of death
  (five in the first, one in the second). Then the CMC auditor asks for the
  figures as a table, JSON and CSV: every count from 1 to 4 is "<5" (the
  default, for anything leaving the CMC team), the unsuppressed figures
  (`--unsuppressed`) are the exact counts, and each suppressed value is the
  unsuppressed one passed through the rule. Both queries are in the audit
  trail before their answers, the unsuppressed one named as such; a
  clinician asking is refused (exit 3), shown nothing, and the refusal is in
  the trail. Bad input is a usage error (exit 2) that records nothing.

Standard library only.
usage: stats_cli_test.py --careledger BIN
"""
import argparse
import csv
import datetime
import io
import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_checks import CareledgerCli, check, summary  # noqa: E402
from sample_plan import actor, complete_sections, date_json, flags, nhs_number, today  # noqa: E402

AUDITOR = flags("auditor.cmc")
GP = flags("dr.patel")
FIRST, SECOND = "Rosewood Care Home", "St Anne's Hospice"  # complete_sections()' preferences


def load_lines():
    """The commands of the load, as `submit -` JSON lines."""
    day, gp = today(), actor("dr.patel")
    lines, count = [], 0

    def add(who, **body):
        nonlocal count
        count += 1
        lines.append(json.dumps({"command_id": f"stats-{count}", "actor": who, **body}))

    patients = [nhs_number(100 + i) for i in range(7)]
    for n, nhs in enumerate(patients):
        add(gp, start_plan={"nhs_number": nhs, "consent": {
            "basis": "CONSENT_BASIS_PATIENT", "discussion": "Discussed at home",
            "obtained_on": date_json(day)}})
        for name, value in complete_sections(nhs, day):
            add(gp, update_plan_section={"nhs_number": nhs, "value": {name: value}})
        if n == 6:
            continue  # left in draft
        add(gp, approve_plan={"nhs_number": nhs})
        add(actor("crew.lee"), view_plan={"nhs_number": nhs, "view": "PLAN_VIEW_PUBLISHED"})
        if n < 2:
            add(actor("call.okafor"),
                view_plan={"nhs_number": nhs, "view": "PLAN_VIEW_PUBLISHED"})
        add(gp, record_death={"nhs_number": nhs, "died_on": date_json(day),
                              "place": SECOND if n == 5 else FIRST})
    return lines


class Ledger(CareledgerCli):

    def stats(self, *args, who=AUDITOR):
        return self.run("stats", *args, *who)

    def stats_json(self, *args, who=AUDITOR):
        result = self.run("--json", "stats", *args, *who)
        try:
            return result.returncode, json.loads(result.stdout), result.stderr
        except ValueError:
            return result.returncode, {}, result.stderr

    def trail_of(self, user):
        result = self.run("--json", "audit", "user", "--user", user, "--limit", "1000",
                          *AUDITOR)
        return [json.loads(line) for line in result.stdout.splitlines()
                if line.strip() and "next_page_token" not in line]


def suppressed(value):
    """The small-number rule applied to an exact value."""
    return "<5" if value in ("1", "2", "3", "4") else value


def totals(rows, figure, group=None):
    return sum(int(r["value"]) for r in rows if r["figure"] == figure
               and r["period"] != "all" and (group is None or r["group"] == group))


def run(ledger):
    result = ledger.run("stats", "--help")
    check(result.returncode == 0 and "--unsuppressed" in result.stdout
          and "--csv" in result.stdout and "--period" in result.stdout,
          "'stats --help' documents --period, --csv and --unsuppressed")
    init, sample = ledger.run("init"), ledger.run("directory", "sample")
    if not check(init.returncode == 0 and sample.returncode == 0,
                 f"init and directory sample {init.stderr[-300:]} {sample.stderr[-300:]}"):
        return
    loaded = ledger.run("--json", "submit", "-", stdin="\n".join(load_lines()) + "\n")
    outcomes = [json.loads(l).get("outcome") for l in loaded.stdout.splitlines() if l.strip()]
    if not check(loaded.returncode == 0 and outcomes
                 and set(outcomes) == {"OUTCOME_APPLIED"},
                 f"the load is applied ({len(outcomes)} commands) {loaded.stderr[-300:]}"):
        return

    # ---- exact figures, for the CMC team's own use ----
    code, exact, stderr = ledger.stats_json("--unsuppressed", "--review-on", "2000-01-01")
    rows = exact.get("rows", [])
    check(code == 0 and exact.get("suppressed") is False and rows,
          f"stats --unsuppressed answers {stderr[-300:]}")
    status = {r["group"]: r["value"] for r in rows if r["figure"] == "plans_by_status"}
    check(status.get("draft") == "1" and status.get("closed") == "6"
          and status.get("published") == "0",
          f"plans by status: one draft, six closed: {status}")
    consent = {r["group"]: r["value"] for r in rows if r["figure"] == "consent_type"}
    check(consent == {"patient": "7"}, f"consent types: seven by the patient: {consent}")
    check(totals(rows, "plans_started", "gp_practice") == 7
          and totals(rows, "plans_published", "gp_practice") == 6,
          "seven plans started and six published by the GP practice")
    check(totals(rows, "urgent_care_views", "ambulance_service") == 6
          and totals(rows, "urgent_care_views", "nhs_111") == 2,
          "urgent-care views: six by the ambulance service, two by NHS 111")
    check(totals(rows, "deaths") == 6 and totals(rows, "deaths_with_preferred_place") == 6
          and totals(rows, "died_first_preference") == 5
          and totals(rows, "died_second_preference") == 1
          and totals(rows, "died_neither_preference") == 0,
          "six deaths: five in the first preferred place, one in the second")
    overdue = [r for r in rows if r["figure"] == "reviews_overdue"]
    check(overdue and overdue[0]["group"] == "2000-01-01" and overdue[0]["value"] == "0",
          f"no review is overdue on the day asked: {overdue}")

    # ---- the default: small numbers suppressed ----
    code, released, stderr = ledger.stats_json("--review-on", "2000-01-01")
    out = released.get("rows", [])
    check(code == 0 and released.get("suppressed") is True and len(out) == len(rows),
          f"stats suppresses by default {stderr[-300:]}")
    check(all(a["value"] == suppressed(b["value"]) and
              (a["figure"], a["group"], a["period"]) == (b["figure"], b["group"], b["period"])
              for a, b in zip(out, rows)),
          "every suppressed value is the exact one with 1-4 shown as <5")
    check(any(r["value"] == "<5" for r in out)
          and not any(r["value"] in ("1", "2", "3", "4") for r in out),
          "no count from 1 to 4 leaves the CMC team")
    draft = [r["value"] for r in out if r["figure"] == "plans_by_status" and r["group"] == "draft"]
    check(draft == ["<5"], f"the single draft is <5: {draft}")
    second = [r for r in out if r["figure"] == "died_second_preference"]
    check(second and all(r["share"] == "" for r in second if r["value"] == "<5"),
          "no share is shown for a suppressed count")

    table = ledger.stats("--review-on", "2000-01-01")
    check(table.returncode == 0 and "plans_by_status" in table.stdout and "<5" in table.stdout
          and "recorded" in table.stdout, "the table shows the figures and the query's record")
    as_csv = ledger.stats("--csv", "--period", "year", "--review-on", "2000-01-01")
    parsed = list(csv.reader(io.StringIO(as_csv.stdout)))
    check(as_csv.returncode == 0 and parsed and parsed[0] ==
          ["period", "figure", "group", "value", "share"]
          and any(row[3] == "<5" for row in parsed[1:])
          and all(row[3] not in ("1", "2", "3", "4") for row in parsed[1:]),
          f"--csv writes RFC 4180 rows with small counts as <5: {parsed[:2]}")
    year = today().year
    check(any(row[0] in (str(year), str(year + 1)) for row in parsed[1:]),
          "--period year labels periods by year")

    # ---- a replay (project --until --into) carries the statistics ----
    def figures(answer):
        return [(r["period"], r["figure"], r["group"], r["value"]) for r in answer.get("rows", [])]

    replay = os.path.join(ledger.work, "replay")
    instant = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # after every record of the load
    built = ledger.run("project", "--into", replay, "--until", instant)
    code, replayed, stderr = ledger.stats_json("--unsuppressed", "--review-on", "2000-01-01",
                                               "--projection", replay)
    check(built.returncode == 0 and code == 0 and figures(replayed) == figures(exact),
          f"stats --projection on a replay until now gives the live figures "
          f"{built.stderr[-200:]} {stderr[-200:]}")
    early = os.path.join(ledger.work, "replay-before")
    built = ledger.run("project", "--into", early, "--until", "2000-01-01T00:00Z")
    code, before_load, _ = ledger.stats_json("--unsuppressed", "--projection", early)
    counted = [r for r in before_load.get("rows", []) if r["period"] != "all"
               or (r["figure"] == "plans_by_status" and r["value"] != "0")]
    check(built.returncode == 0 and code == 0 and before_load.get("rows") and not counted,
          f"a replay to before the load counts nothing: {counted}")

    # ---- organisation filter ----
    code, of_amb, _ = ledger.stats_json("--org", "AMB001", "--unsuppressed")
    amb = of_amb.get("rows", [])
    check(code == 0 and totals(amb, "urgent_care_views", "ambulance_service") == 6
          and totals(amb, "urgent_care_views", "nhs_111") == 0
          and totals(amb, "plans_started") == 0,
          "--org AMB001 counts its users' views and no plans (it started none)")

    # ---- audited: recorded before the answer, refusals too ----
    trail = ledger.trail_of("auditor.cmc")
    actions = [e.get("action") for e in trail if e.get("kind") == "AUDIT_KIND_AUDIT_QUERY"]
    check("audit_statistics" in actions and "audit_statistics_unsuppressed" in actions,
          f"the auditor's statistics queries are in the trail, the unsuppressed one named: "
          f"{sorted(set(actions))}")
    filtered = [e for e in trail if e.get("subject") == "audit/statistics/AMB001"]
    check(len(filtered) == 1, "the filtered query names the organisation asked for")
    before = len(ledger.trail_of("dr.patel"))
    refused = ledger.stats("--review-on", "2000-01-01", who=GP)
    check(refused.returncode == 3 and "plans_by_status" not in refused.stdout,
          f"a clinician is refused (exit 3) and shown nothing: {refused.stderr.strip()[-200:]}")
    gp_trail = ledger.trail_of("dr.patel")
    denials = [e for e in gp_trail if e.get("kind") == "AUDIT_KIND_REFUSED"
               and e.get("action") == "audit_statistics"]
    check(len(gp_trail) == before + 1 and len(denials) == 1,
          "the refusal is recorded in the clinician's trail")

    # ---- bad input: a usage error that records nothing ----
    count = len(ledger.trail_of("auditor.cmc"))
    for bad in (["--period", "week"], ["--from", "2026-13-01"], ["--org", "amb;001"],
                ["--from", "2026-02-01", "--to", "2026-01-01"]):
        result = ledger.stats(*bad)
        check(result.returncode == 2 and result.stderr.strip(),
              f"stats {' '.join(bad)} is refused (exit 2): {result.stderr.strip()[-120:]}")
    # trail_of is itself an audit query: one more entry per call, nothing else.
    check(len(ledger.trail_of("auditor.cmc")) == count + 1, "bad input recorded nothing")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="careledger-stats-") as work:
        data = os.path.join(work, "data")
        os.mkdir(data, 0o700)
        ledger = Ledger(args.careledger, data)
        ledger.work = work  # replays go beside the data directory
        run(ledger)
    return summary("stats")


if __name__ == "__main__":
    sys.exit(main())
