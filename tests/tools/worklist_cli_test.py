#!/usr/bin/env python3
"""`careledger worklist` end to end (issue 11, item 4): plans needing review
on the Action Needed list, and the Summary box's counts by task type.

Three published plans of the sample world, reviewed by dr.patel (GP0001) in
10 and 60 days and by nurse.rosewood (CH0001) in 200 days, the last with a
working draft pending. Checks, through the program's own text and --json
output: the default window (28 days) lists only the 10-day review; a wider
--review-window lists more, for the clinician and their organisation; the
summary gives total, draft plans, plans needing review, plans needing
approval, patient plan requests, patient change requests, each with the
--task name that filters the list to exactly that many items; a bad window
is refused with exit 2 and the log is unchanged.

Usage: worklist_cli_test.py --careledger BUILD/tools/careledger
"""
import argparse
import datetime
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_checks import CareledgerCli, check, summary  # noqa: E402
from sample_plan import actor, complete_sections, date_json, nhs_number, today  # noqa: E402

TASKS = ("draft_plan", "review_needed", "approval_needed", "plan_request", "change_request")
LABELS = ("draft plans", "plans needing review", "plans needing approval",
          "patient plan requests", "patient change requests")


# (NHS number, reviewing clinician, days to the review date)
PLANS = ((nhs_number(101), "dr.patel", 10), (nhs_number(202), "dr.patel", 60),
         (nhs_number(303), "nurse.rosewood", 200))


def publish(ledger):
    """Each plan started by admin.rosewood, filled and approved by dr.patel
    with its review; then an edit of the last that stays a working draft."""
    admin, gp = actor("admin.rosewood"), actor("dr.patel")
    lines = []
    for nhs, clinician, days in PLANS:
        lines.append({"actor": admin, "start_plan": {
            "nhs_number": nhs, "consent": {"basis": "CONSENT_BASIS_PATIENT",
                                           "obtained_on": date_json(today())}}})
        for name, value in complete_sections(nhs):
            if name == "review":
                value = {"review_on": date_json(today() + datetime.timedelta(days=days)),
                         "reviewing_clinician": clinician}
            lines.append({"actor": gp, "update_plan_section": {"nhs_number": nhs,
                                                               "value": {name: value}}})
        lines.append({"actor": gp, "approve_plan": {"nhs_number": nhs}})
    lines.append({"actor": gp, "update_plan_section": {"nhs_number": PLANS[2][0], "value": {
        "allergies": {"no_known_allergies": True,
                      "no_allergies_source": "NO_ALLERGIES_SOURCE_PATIENT_REPORTS"}}}})
    for i, line in enumerate(lines):
        line["command_id"] = f"worklist-setup-{i}"
    result = ledger.run("--json", "submit", "-",
                        stdin="".join(json.dumps(line) + "\n" for line in lines))
    if result.returncode != 0:
        print(result.stdout[-2000:], result.stderr[-2000:])
    return result.returncode == 0


def summary_of(text):
    """{"total": n, task: (count, label)} from the text output's Summary box."""
    counts = {}
    for line in text.splitlines():
        total = re.fullmatch(r"\s+(\d+) total", line)
        if total:
            counts["total"] = int(total.group(1))
        task = re.fullmatch(r"\s+(\d+) (.+) \(--task (\w+)\)", line)
        if task:
            counts[task.group(3)] = (int(task.group(1)), task.group(2))
    return counts


def items_and_summary(ledger, *args):
    """The --json output: its items, and its last line's {"summary": ...}."""
    result = ledger.run("--json", "worklist", *args)
    lines = [json.loads(l) for l in result.stdout.splitlines() if l.strip()]
    summary_line = lines.pop() if lines and "summary" in lines[-1] else {}
    return result.returncode, lines, summary_line.get("summary", {})


def items_of(ledger, *args):
    code, items, _ = items_and_summary(ledger, *args)
    return code, items


def log_size(ledger, tmp, name):
    path = os.path.join(tmp, name)  # a new file: export never overwrites one
    result = ledger.run("log", "export", "--out", path)
    with open(path, encoding="utf-8") as export:
        return result.returncode, sum(1 for line in export if line.strip())


def check_list(ledger, owner, window, want_reviews, want_drafts):
    """The list of `owner` with `window` (None: the default): its review
    items are exactly `want_reviews`; the summary's counts match the list
    and each --task filter."""
    window_args = [] if window is None else ["--review-window", str(window)]
    text = ledger.run("worklist", *owner, *window_args)
    counts = summary_of(text.stdout)
    code, items, summary_json = items_and_summary(ledger, *owner, *window_args)
    reviews = [i["nhs_number"] for i in items if i.get("kind") == "WORKLIST_KIND_REVIEW_NEEDED"]
    what = f"worklist {' '.join(owner + window_args)}"
    check(text.returncode == 0 and code == 0 and reviews == want_reviews
          and all(i.get("review_on") for i in items
                  if i.get("kind") == "WORKLIST_KIND_REVIEW_NEEDED"),
          f"{what}: plans needing review {reviews} (want {want_reviews}), each with its date")
    check(counts.get("total") == len(items)
          and [counts.get(t, (None, None))[1] for t in TASKS] == list(LABELS)
          and counts.get("review_needed", (None,))[0] == len(want_reviews)
          and counts.get("draft_plan", (None,))[0] == want_drafts
          and sum(counts.get(t, (0,))[0] for t in TASKS) == counts.get("total"),
          f"  ... the Summary box: total {counts.get('total')}, "
          f"{[(t, counts.get(t, (None,))[0]) for t in TASKS]}")
    check(summary_json.get("total") == counts.get("total")
          and summary_json.get("counts") == {t: counts.get(t, (None,))[0] for t in TASKS}
          and summary_json.get("review_window_days") == (28 if window is None else window)
          and summary_json.get("reviews_due_by") == (
              today() + datetime.timedelta(days=28 if window is None else window)).isoformat(),
          f"  ... --json ends with the same summary, named as the API names it: {summary_json}")
    filtered_ok = True
    for task in TASKS:
        code, shown = items_of(ledger, *owner, *window_args, "--task", task)
        kind = "WORKLIST_KIND_" + task.upper()
        filtered_ok = filtered_ok and code == 0 and all(i.get("kind") == kind for i in shown) \
            and len(shown) == counts.get(task, (None,))[0]
    check(filtered_ok, "  ... each count is the length of the list filtered with --task <name>")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="careledger-worklist-") as tmp:
        ledger = CareledgerCli(args.careledger, os.path.join(tmp, "data"))
        ready = (ledger.run("init").returncode == 0
                 and ledger.run("directory", "sample").returncode == 0 and publish(ledger))
        if not check(ready, "init, the sample directory, three published plans with reviews "
                            "in 10, 60 and 200 days, one with a working draft"):
            return summary("worklist CLI")
        soon, later, far = (nhs for nhs, _, _ in PLANS)
        me, gp, home = ["--user", "dr.patel"], ["--org", "GP0001"], ["--org", "CH0001"]
        check_list(ledger, me, None, [soon], 0)
        check_list(ledger, me, 28, [soon], 0)
        check_list(ledger, me, 90, [soon, later], 0)
        check_list(ledger, gp, 90, [soon, later], 1)  # GP0001 contributed to the draft
        check_list(ledger, home, 90, [], 1)
        check_list(ledger, home, 366, [far], 1)
        check_list(ledger, ["--user", "nurse.rosewood"], 0, [], 0)
        check_list(ledger, ["--nhs", far], 366, [far], 1)

        code, before = log_size(ledger, tmp, "before.jsonl")
        for bad in ("-1", "367", "abc", "2.5", ""):
            result = ledger.run("worklist", *me, "--review-window", bad)
            check(result.returncode == 2 and "from 0 to 366" in result.stderr,
                  f"--review-window {bad!r}: exit 2, the range named ({result.returncode} "
                  f"{result.stderr.strip()[-120:]!r})")
        code_after, after = log_size(ledger, tmp, "after.jsonl")
        check(code == code_after == 0 and before == after,
              f"worklist reads append nothing ({before} -> {after} records)")
    return summary("worklist CLI")


if __name__ == "__main__":
    sys.exit(main())
