#!/usr/bin/env python3
"""The plan at a past moment and replay to a time (issue 11, items 1 and 2),
through the careledger program on the embedded log.

A GP starts, edits and publishes a plan (version 1); an ambulance crew reads
it; the GP edits and publishes version 2, restricts the plan, lifts the
restriction and records the death. Then:

  * `plan show --as-of` at every event's instant and between every two
    events answers the prefix of the stream recorded by then: the records
    folded, the last record's position, the status, the published version
    and its content hash (the approval's), the draft, the restriction and the
    death all follow the signed changes the audit trail lists;
  * at the crew's read, the version urgent care would have seen is the one
    `audit access` rebuilds for that read (same content hash);
  * before the plan existed: exit 5, and the read is still recorded (with its
    instant) in the patient's audit trail;
  * London times: BST local time equals the same instant with +01:00 and Z;
    the hour that never happened and the hour that happened twice are
    refused (exit 2), as is a time in the future;
  * `project --until T --into DIR` at several instants: each fingerprint
    equals a rebuild to the same offsets (`--until-offsets`), the live
    projection's fingerprint and files are unchanged, the query commands run
    against the replay with `--projection DIR`, and an existing directory or
    the live projection itself are refused.

Standard library only.
usage: as_of_cli_test.py --careledger BIN
"""
import argparse
import base64
import datetime
import hashlib
import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_checks import CareledgerCli, check, summary, where  # noqa: E402
from sample_plan import complete_sections, flags, today  # noqa: E402

NHS = "9434765919"
AUDITOR = flags("auditor.cmc")
CREW = flags("crew.lee")
GP = flags("dr.patel")
UTC = datetime.timezone.utc


def parse_at(text):
    """An RFC 3339 UTC time (as protobuf JSON writes it) -> nanoseconds since
    the epoch: recorded_at has nanosecond digits, which datetime would cut."""
    whole, _, fraction = text.rstrip("Z").partition(".")
    seconds = datetime.datetime.fromisoformat(whole).replace(tzinfo=UTC).timestamp()
    return int(seconds) * 10**9 + int((fraction + "000000000")[:9])


def c_at(entry):
    return parse_at(entry["at"])


def iso(nanos):
    """Nanoseconds since the epoch -> RFC 3339 UTC with nine digits."""
    seconds, rest = divmod(nanos, 10**9)
    day = datetime.datetime.fromtimestamp(seconds, UTC)
    return day.strftime("%Y-%m-%dT%H:%M:%S") + f".{rest:09d}Z"


def b64_to_hex(text):
    return base64.b64decode(text).hex() if text else ""


class Ledger(CareledgerCli):

    def as_of(self, when, who=GP):
        result = self.run("--json", "plan", "show", "--nhs", NHS, "--as-of", when, *who)
        try:
            document = json.loads(result.stdout) if result.stdout.strip() else {}
        except ValueError:
            document = {}
        return result.returncode, document, result.stderr

    def trail(self, *extra):
        result = self.run("--json", "audit", "patient", "--nhs", NHS, "--limit", "1000",
                          *extra, *AUDITOR)
        lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        return result.returncode, [e for e in lines if "next_page_token" not in e]

    def fingerprint(self, *args):
        result = self.run("project", *args, "--fingerprint")
        lines = [l for l in result.stdout.splitlines() if l.startswith("fingerprint ")]
        return result.returncode, (lines[0].split()[1] if lines else ""), result


def tree_digest(path):
    """SHA-256 over every file's name and bytes under `path`."""
    digest = hashlib.sha256()
    for root, _, files in sorted(os.walk(path)):
        for name in sorted(files):
            full = os.path.join(root, name)
            digest.update(os.path.relpath(full, path).encode())
            with open(full, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="careledger-asof-") as data:
        run(Ledger(args.careledger, data), data)
    return summary("as-of")


def build_scenario(ledger):
    day = today()
    steps = [(GP, ["plan", "start", "--nhs", NHS, "--consent", "patient",
                   "--consent-date", day.isoformat(), "--discussion", "Discussed at home"])]
    for name, value in complete_sections(NHS, day):
        steps.append((GP, ["plan", "update", "--nhs", NHS, "--section", name,
                           "--value", json.dumps(value)]))
    steps.append((GP, ["plan", "approve", "--nhs", NHS]))
    steps.append((CREW, ["plan", "show", "--nhs", NHS]))
    allergies = {"items": [{"substance": "Penicillin", "reaction": "Rash"},
                           {"substance": "Latex", "reaction": "Hives"}]}
    steps.append((GP, ["plan", "update", "--nhs", NHS, "--section", "allergies",
                       "--value", json.dumps(allergies)]))
    steps.append((GP, ["plan", "approve", "--nhs", NHS]))
    steps.append((GP, ["plan", "restrict", "--nhs", NHS, "--allow", "dr.patel",
                       "--reason", "member of staff"]))
    steps.append((GP, ["plan", "unrestrict", "--nhs", NHS, "--reason", "left the practice"]))
    steps.append((GP, ["plan", "death", "--nhs", NHS, "--date", day.isoformat(),
                       "--place", "home"]))
    for who, step in steps:
        result = ledger.run(*step, *who)
        if not check(result.returncode == 0, f"{' '.join(step[:2])} {result.stderr[-300:]}"):
            return False
    return True


def expected_at(changes, count):
    """What the first `count` changes of the trail make of the plan."""
    actions = [c.get("action") for c in changes[:count]]
    approvals = [c for c in changes[:count] if c.get("action") == "plan_approved"]
    restricted = False
    for action in actions:
        if action == "restriction_set":
            restricted = True
        elif action == "restriction_lifted":
            restricted = False
    status, published = None, False
    for action in actions:
        if action == "plan_started":
            status = "PLAN_STATUS_DRAFT"
        elif action == "plan_section_updated":
            status = "PLAN_STATUS_EDITING" if published else "PLAN_STATUS_DRAFT"
        elif action == "plan_approved":
            status, published = "PLAN_STATUS_PUBLISHED", True
        elif action == "death_recorded":
            status = "PLAN_STATUS_CLOSED"
    return {
        "status": status,
        "published_version": len(approvals),
        "content": b64_to_hex(approvals[-1].get("content_hash")) if approvals else None,
        "restricted": restricted,
        "dead": "death_recorded" in actions,
        "last": where(changes[count - 1]),
    }


def run(ledger, data):
    result = ledger.run("plan", "show", "--help")
    check(result.returncode == 0 and "--as-of" in result.stdout and "London" in result.stdout,
          "'plan show --help' documents --as-of in London time")
    result = ledger.run("project", "--help")
    check(result.returncode == 0 and "--until" in result.stdout and "--into" in result.stdout,
          "'project --help' documents --until and --into")
    init = ledger.run("init")
    sample = ledger.run("directory", "sample")
    if not check(init.returncode == 0 and sample.returncode == 0,
                 f"init and directory sample {init.stderr[-300:]} {sample.stderr[-300:]}"):
        return
    if not build_scenario(ledger):
        return
    code, trail = ledger.trail()
    changes = [e for e in trail if e.get("kind") == "AUDIT_KIND_CHANGE"]
    crew_reads = [e for e in trail if e.get("kind") == "AUDIT_KIND_READ"
                  and e.get("actor", {}).get("user_id") == "crew.lee"]
    check(code == 0 and len(changes) >= 10 and len(crew_reads) == 1,
          f"the trail lists the changes and the crew's read ({len(changes)} changes)")
    times = [parse_at(c["at"]) for c in changes]
    check(times == sorted(times) and len(set(times)) == len(times),
          "the plan's changes have distinct, increasing times")

    # ---- the plan at every event and between every two ----
    for i in range(len(changes)):
        instants = [times[i]]
        if i + 1 < len(changes):
            instants.append(times[i] + (times[i + 1] - times[i]) // 2)
        for instant in instants:
            code, answer, stderr = ledger.as_of(iso(instant))
            want = expected_at(changes, i + 1)
            made_by = answer.get("made_by", {})
            last = made_by.get("last") or {}
            got = {
                "status": answer.get("status"),
                "published_version": int(answer.get("published_version", 0)),
                "content": answer.get("urgent_care_content_hash"),
                "restricted": "restriction" in answer.get("state", {}),
                "dead": "death" in answer.get("state", {}),
                "last": (last.get("partition", 0), int(last.get("offset", -1))),
            }
            check(code == 0 and answer.get("existed") is True
                  and answer.get("records_folded") == i + 1 and got == want,
                  f"as of {iso(instant)} (after change {i + 1}, {changes[i].get('action')}): "
                  f"{got if got != want else 'as folded'}{'' if got == want else f' != {want}'}"
                  f" {stderr[-300:]}")
    code, answer, _ = ledger.as_of(changes[-1]["at"])
    made_by = answer.get("made_by", {})
    death = made_by.get("death") or {}
    approval = made_by.get("published") or {}
    check(death.get("action") == "death_recorded" and death.get("signature") == "verified"
          and death.get("key_id") and (death.get("partition", 0), int(death.get("offset", -1)))
          == where(changes[-1])
          and approval.get("action") == "plan_approved" and approval.get("user") == "dr.patel",
          f"each part names the signed record that made it so: {made_by}")

    # ---- at the crew's read: what audit access rebuilds ----
    read = crew_reads[0]
    code, answer, _ = ledger.as_of(read["at"])
    opened = ledger.run("--json", "audit", "access", "--partition", str(where(read)[0]),
                        "--offset", str(where(read)[1]), *AUDITOR)
    rebuilt = json.loads(opened.stdout).get("content", {}) if opened.returncode == 0 else {}
    check(code == 0 and rebuilt.get("verified") is True
          and answer.get("urgent_care_content_hash") == b64_to_hex(rebuilt.get("content_hash"))
          and answer.get("urgent_care_view") == rebuilt.get("plan"),
          "at the crew's read, the as-of answer is the content audit access rebuilds")

    # ---- before the plan existed; the as-of read is on the log ----
    before = times[0] - 1
    code, answer, stderr = ledger.as_of(iso(before))
    check(code == 5 and answer.get("existed") is False,
          f"as of just before the plan was started: exit 5, existed false {stderr[-200:]}")
    text = ledger.run("plan", "show", "--nhs", NHS, "--as-of", iso(before), *GP)
    check(text.returncode == 5 and "no care plan existed" in text.stdout,
          f"and says so in words: {text.stdout.strip()[-200:]}")
    code, trail = ledger.trail()
    as_of_reads = [e for e in trail if e.get("kind") == "AUDIT_KIND_READ" and e.get("as_of")]
    check(any(parse_at(e["as_of"]) == before and e.get("view") == "PLAN_VIEW_HISTORY"
              and e.get("actor", {}).get("user_id") == "dr.patel" for e in as_of_reads),
          "the as-of reads are on the log: history reads naming their instant")
    refused = ledger.run("plan", "show", "--nhs", NHS, "--as-of", iso(times[-1]), *CREW)
    check(refused.returncode == 3, "urgent care may not read the past plan (a history read): exit 3")

    # ---- London time ----
    code_z, in_z, _ = ledger.as_of(iso(times[-1]))
    last = datetime.datetime.fromtimestamp(times[-1] // 10**9, UTC)
    fraction = f".{times[-1] % 10**9:09d}"
    summer = bool(last.astimezone(datetime.timezone(datetime.timedelta(hours=1))).dst())
    local = (last + datetime.timedelta(hours=1 if summer else 0)).strftime(
        "%Y-%m-%dT%H:%M:%S") + fraction
    london = (last + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S") + fraction
    code_local, in_local, _ = ledger.as_of(local)
    code_offset, in_offset, _ = ledger.as_of(london + "+01:00")
    check(code_z == code_local == code_offset == 0
          and in_z.get("as_of") == in_local.get("as_of") == in_offset.get("as_of")
          and in_z.get("records_folded") == in_local.get("records_folded"),
          f"a London local time, the same with +01:00 and in UTC are one instant: "
          f"{in_z.get('as_of')} {in_local.get('as_of')} {in_offset.get('as_of')}")
    code, bst, _ = ledger.as_of("2026-06-15T13:00:00")
    check(bst.get("as_of") == "2026-06-15T12:00:00Z" and "BST" in bst.get("as_of_london", ""),
          f"13:00 in June is BST, 12:00 UTC: {bst.get('as_of')} {bst.get('as_of_london')}")
    code, gmt, _ = ledger.as_of("2026-01-15T13:00")
    check(gmt.get("as_of") == "2026-01-15T13:00:00Z" and "GMT" in gmt.get("as_of_london", ""),
          f"13:00 in January is GMT: {gmt.get('as_of')} {gmt.get('as_of_london')}")
    for when, words in (("2026-03-29T01:30", "never happened"),
                        ("2026-10-25T01:30", "happens twice"),
                        ("2026-13-01T10:00", "not a date"),
                        ("2026-06-15", "not a date"),
                        ("2999-01-01T00:00Z", "future")):
        bad = ledger.run("plan", "show", "--nhs", NHS, "--as-of", when, *GP)
        check(bad.returncode == 2 and words in bad.stderr + bad.stdout,
              f"--as-of {when} is refused (exit 2, '{words}'): {bad.stderr.strip()[-200:]}")
    code, both, _ = ledger.as_of("2026-10-25T01:30+00:00")
    check(both.get("as_of") == "2026-10-25T01:30:00Z", "the repeated hour with an offset is read")

    # ---- replay to several instants ----
    live = os.path.join(data, "projection", "embedded")
    code, live_before, _ = ledger.fingerprint()
    files_before = tree_digest(live)
    replays = [times[0], times[len(times) // 2], times[-2] + (times[-1] - times[-2]) // 2,
               times[-1]]
    for n, instant in enumerate(replays):
        into = os.path.join(data, f"replay-{n}")
        result = ledger.run("--json", "project", "--until", iso(instant), "--into", into,
                            "--fingerprint")
        lines = result.stdout.splitlines()
        report = json.loads(lines[0]) if lines and lines[0].startswith("{") else {}
        fingerprint = next((l.split()[1] for l in lines if l.startswith("fingerprint ")), "")
        offsets = ",".join(str(o) for o in report.get("next_offsets", []))
        again = os.path.join(data, f"rebuild-{n}")
        code, rebuilt, rebuild = ledger.fingerprint("--until-offsets", offsets, "--into", again)
        check(result.returncode == 0 and fingerprint and code == 0 and rebuilt == fingerprint,
              f"replay until {iso(instant)} (next offsets {offsets}): fingerprint equals a "
              f"rebuild to the same position {result.stderr[-300:]} {rebuild.stderr[-300:]}")
    check(tree_digest(live) == files_before, "the replays left the live projection's files alone")
    code, live_after, _ = ledger.fingerprint()
    check(live_before and live_after == live_before,
          "the live projection's fingerprint is unchanged by the replays")
    code, whole, _ = ledger.fingerprint("--until", "2999-01-01T00:00Z", "--into",
                                        os.path.join(data, "replay-now"))
    check(code == 0 and whole == live_after,
          "a replay until after the log's end equals the live projection caught up")

    # ---- the queries against a replay ----
    for n, instant in enumerate(replays):
        into = os.path.join(data, f"replay-{n}")
        code, replayed = ledger.trail("--projection", into)
        replayed_changes = [e for e in replayed if e.get("kind") == "AUDIT_KIND_CHANGE"]
        check(code == 0 and len(replayed_changes) == sum(1 for t in times if t <= instant),
              f"audit patient --projection: the replay holds the {len(replayed_changes)} "
              f"changes recorded by {iso(instant)}")
        work = ledger.run("--json", "worklist", "--nhs", NHS, "--projection", into)
        items = [json.loads(l) for l in work.stdout.splitlines() if l.strip()]
        published = any(c.get("action") == "plan_approved" for c in changes if c_at(c) <= instant)
        kinds = sorted(i.get("kind", "") for i in items)
        # Before the first approval the plan is a draft on the patient's
        # worklist; after it was published (and not edited since) it is not.
        want_draft = not published
        check(work.returncode == 0
              and ("WORKLIST_KIND_DRAFT_PLAN" in kinds) == want_draft,
              f"worklist --projection answers from the replay as it was: {kinds} "
              f"{work.stderr[-200:]}")
    shown = ledger.run("plan", "show", "--nhs", NHS, "--projection",
                       os.path.join(data, "replay-1"), *GP)
    check(shown.returncode == 2 and "--as-of" in shown.stderr,
          "plan show --projection points to --as-of (exit 2)")
    files_before = tree_digest(live)
    for args, words in ((["--until", iso(times[-1]), "--into", os.path.join(data, "replay-0")],
                         "not an empty directory"),
                        (["--until", iso(times[-1]), "--into", live], "live projection"),
                        (["--until", iso(times[-1])], "--into"),
                        (["--until-offsets", "1,2", "--into", os.path.join(data, "x")],
                         "partitions")):
        bad = ledger.run("project", *args)
        check(bad.returncode == 2 and words in bad.stderr,
              f"project {' '.join(args[:2])} ... refused (exit 2, '{words}') "
              f"{bad.stderr.strip()[-200:]}")
    check(tree_digest(live) == files_before, "the refused replays left the live projection alone")


if __name__ == "__main__":
    sys.exit(main())
