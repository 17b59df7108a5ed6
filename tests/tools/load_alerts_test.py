#!/usr/bin/env python3
"""The investigation rules against the load generator (issue "Audit"): a run
of `careledger load` with planted snooping, then `careledger audit alerts`
over its whole simulated range. Every planted case must raise its rule for
its user (and patient); alerts that no plant explains are counted, printed,
and must stay at or under --max-false (0 by default: the background is
designed to be innocent, though patients and staff share common London
surnames, which alone must raise nothing). Recall and precision are printed.
One user's alerts (`audit alerts --user`, only their records examined) are
exactly the whole investigation's alerts for that user, in the same order,
for every user with an alert, over the whole range and over a part of it
that starts mid-load (the window rules looking back), for every rule and for
one. The log still verifies.

usage: load_alerts_test.py --careledger BIN [--patients N] [--max-false K]
"""
import argparse
import datetime
import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_checks import CareledgerCli, check, summary  # noqa: E402
from sample_plan import flags  # noqa: E402

AUDITOR = flags("auditor.cmc") + ["--purpose", "load test"]


def run(binary, data, *args):
    cli = CareledgerCli(binary, data)
    cli.timeout = 600  # a whole load
    return cli.run(*args)


def alerts_of(binary, data, *args):
    """`audit alerts ARGS` as JSON: (the alerts, the trailer)."""
    done = run(binary, data, "--json", "audit", "alerts", *args, *AUDITOR)
    check(done.returncode == 0, f"audit alerts {' '.join(args)} exits 0 "
                                f"({done.stderr.strip()[:200]})")
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return [a for a in lines if "rule" in a], next((t for t in lines if "rule" not in t), {})


def check_one_user_alerts(binary, data, start, alerts):
    """Each user's alerts alone equal the whole investigation's for them, over
    the whole load and from half an hour before its middle alert (a window
    rule's records partly before the period)."""
    times = sorted(a["at"] for a in alerts)
    middle = (datetime.datetime.fromisoformat(times[len(times) // 2].replace("Z", "+00:00"))
              - datetime.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for period in (["--from", start, "--to", "2100-01-01"],
                   ["--from", middle, "--to", "2100-01-01"]):
        for rule in ([], ["--rule", "family_or_neighbour"]):
            everyone, whole = alerts_of(binary, data, *period, *rule)
            users = sorted({a["actor"]["user_id"] for a in everyone})
            check(len(users) >= (0 if rule else 3),
                  f"alerts {' '.join(period + rule)}: several users ({len(users)}) to compare")
            for user in users:
                mine, trailer = alerts_of(binary, data, *period, *rule, "--user", user)
                expected = [a for a in everyone if a["actor"]["user_id"] == user]
                check(mine == expected and mine and
                      0 < trailer.get("records_examined", 0) < whole.get("records_examined", 0),
                      f"--user {user} {' '.join(period + rule)}: {len(mine)} alerts, the "
                      f"whole investigation's {len(expected)} for them, from "
                      f"{trailer.get('records_examined')} of {whole.get('records_examined')} "
                      "records")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    parser.add_argument("--patients", type=int, default=600)
    parser.add_argument("--max-false", type=int, default=0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="careledger-load-") as work:
        data, plants_file = f"{work}/data", f"{work}/plants.json"
        check(run(args.careledger, data, "init").returncode == 0, "init")
        loaded = run(args.careledger, data, "--json", "load", "--practices", "8", "--patients",
                     str(args.patients), "--reads-per-day", "600", "--days", "40", "--plants",
                     "2", "--seed", "7", "--plants-out", plants_file)
        check(loaded.returncode == 0, f"load exits 0 ({loaded.stderr.strip()[:200]})")
        report = json.loads(loaded.stdout.strip().splitlines()[-1])
        plants = json.load(open(plants_file))
        rules = {p["rule"] for p in plants}
        check(len(rules) == 10, f"every rule is planted ({sorted(rules)})")
        alerts_run = run(args.careledger, data, "--json", "audit", "alerts", "--from",
                         report["from"], "--to", "2100-01-01", *AUDITOR)
        check(alerts_run.returncode == 0, f"audit alerts exits 0 ({alerts_run.stderr.strip()[:200]})")
        alerts = [json.loads(line) for line in alerts_run.stdout.splitlines() if line.strip()]
        alerts = [a for a in alerts if "rule" in a]
        used = set()
        for plant in plants:
            match = [i for i, a in enumerate(alerts)
                     if i not in used and a["rule"] == plant["rule"]
                     and a["actor"]["user_id"] == plant["user_id"]
                     and (not plant["nhs_number"] or a.get("nhs_number") == plant["nhs_number"])]
            check(bool(match), f"planted {plant['rule']} by {plant['user_id']} on "
                               f"{plant['nhs_number'] or '-'} at {plant['at']} is found")
            if match:
                used.add(match[0])
        unexplained = [a for i, a in enumerate(alerts) if i not in used]
        check_one_user_alerts(args.careledger, data, report["from"], alerts)
        print(f"{report['commands']} commands, {len(plants)} planted cases, {len(alerts)} alerts, "
              f"{len(unexplained)} not explained by a plant")
        # Recall: planted cases found; precision: alerts that a plant explains.
        recall = len(used) / len(plants) if plants else 0.0
        precision = len(used) / len(alerts) if alerts else 0.0
        print(f"recall {recall:.1%} ({len(used)}/{len(plants)} planted cases found), precision "
              f"{precision:.1%} ({len(used)}/{len(alerts)} alerts explained by a plant)")
        for alert in unexplained[:10]:
            print("  unexplained:", alert["alert_id"], alert["reason"])
        check(len(unexplained) <= args.max_false,
              f"{len(unexplained)} false alerts (at most {args.max_false})")
        check(run(args.careledger, data, "verify").returncode == 0, "the log verifies")
    return summary("load")


if __name__ == "__main__":
    sys.exit(main())
