#!/usr/bin/env python3
"""Hostile strings end to end (issue 9, item 4), through the careledger
program on the embedded log.

Terminal escape sequences (ESC CSI, OSC), CR, BEL, a C1 CSI (U+009B),
bidirectional overrides and isolates, NUL (through `submit`) and spreadsheet
formulas are planted wherever careledger takes input: urgent care notes,
plan section text, user ids, organisations, devices, network addresses,
purposes, command ids and NHS numbers of refused commands, directory
records, alert reviews, `submit` lines. The ledger refuses the control
characters (each refusal recorded, escaped) and keeps the formulas (they
are ordinary text). Then EVERY human output (plan show in all views, audit
patient/user/org/access, audit alerts, directory show/list, worklist,
verify, log export, the error messages echoing input), the same outputs with
--json, and the CSV and FHIR exports are rendered, and none may hold a raw
control character (other than \\n, and \\t in plan text; CRLF ends CSV
rows), no CSV cell may start with a formula character, and the FHIR export
must be valid JSON.

Standard library only.
usage: hostile_strings_test.py --careledger BIN
"""
import argparse
import csv
import io
import json
import os
import re
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_checks import CareledgerCli, check, summary  # noqa: E402
from sample_plan import actor, complete_sections, flags, today  # noqa: E402

NHS = "9990000018"
AUDITOR = flags("auditor.cmc")
CREW = flags("crew.lee")
GP = flags("dr.patel")
OPERATOR = ["--as-user", "operator", "--as-role", "system"]

HOSTILE = [
    "\x1b[2J\x1b[HDNACPR CANCELLED",
    "\x1b]0;owned\x07title",
    "line\roverwritten",
    "bell\x07",
    "c1\u009b2Jcleared",
    "bidi\u202eLLUN\u202c and \u2066isolate\u2069",
    "del\x7f",
]
FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "-2+3",
            "@SUM(A1:A9)"]

# Any character that may steer a terminal: C0 but \n and \t, DEL, C1, bidi.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
RAW_CONTROL_NO_TAB = re.compile("[\x00-\x08\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

OUTPUTS = []  # (what, text, allow_tab)


class Ledger(CareledgerCli):

    def run_bytes(self, *args, stdin=None):
        """Like run(), but the output as bytes decoded leniently (any byte kept)."""
        import subprocess
        result = subprocess.run([self.binary, "--data", self.data, *args], input=stdin,
                                capture_output=True, timeout=self.timeout)
        return result.returncode, result.stdout.decode("utf-8", "surrogateescape"), \
            result.stderr.decode("utf-8", "surrogateescape")

    def render(self, what, *args, allow_tab=True, stdin=None):
        """Runs a command and keeps its stdout and stderr for the final checks."""
        code, out, err = self.run_bytes(*args, stdin=stdin)
        OUTPUTS.append((what, out + err, allow_tab))
        return code, out, err


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="careledger-hostile-") as data:
        run(Ledger(args.careledger, data), data)
    return summary("hostile strings")


def plant(ledger):
    """Publishes a plan with formulas in its text, then tries every hostile string."""
    init = ledger.run("init")
    sample = ledger.run("directory", "sample")
    if not check(init.returncode == 0 and sample.returncode == 0,
                 f"init and directory sample {init.stderr[-300:]} {sample.stderr[-300:]}"):
        return False
    day = today()
    steps = [["plan", "start", "--nhs", NHS, "--consent", "patient",
              "--consent-date", day.isoformat(), "--discussion", FORMULAS[0]]]
    for name, value in complete_sections(NHS, day):
        if name == "clinical":
            value["recommendations"] = FORMULAS[1] + "\n\tthen " + FORMULAS[2]
        if name == "contacts":
            value["items"][0]["name"] = FORMULAS[3]
        steps.append(["plan", "update", "--nhs", NHS, "--section", name,
                      "--value", json.dumps(value)])
    steps.append(["plan", "approve", "--nhs", NHS])
    for step in steps:
        result = ledger.run(*step, *GP)
        if not check(result.returncode == 0, f"GP: {' '.join(step[:4])} {result.stderr[-300:]}"):
            return False
    for formula in FORMULAS:
        code, _, err = ledger.render("note with a formula", "plan", "note", "--nhs", NHS,
                                     "--text", formula, *CREW)
        check(code == 0, f"a formula is ordinary text in a note: {formula!r} {err[-200:]}")
        code, _, err = ledger.render("read with a formula purpose", "plan", "show", "--nhs", NHS,
                                     *CREW, "--purpose", formula, "--as-address", formula)
        check(code == 0, f"a formula is an ordinary purpose and address: {formula!r} {err[-200:]}")
    # A draft with formula text, for the draft view.
    clinical = dict(complete_sections(NHS, day))["clinical"]
    clinical["recommendations"] = FORMULAS[0]
    ledger.run("plan", "update", "--nhs", NHS, "--section", "clinical",
               "--value", json.dumps(clinical), *GP)

    refused = 0
    for hostile in HOSTILE:
        tries = [
            ("note", ["plan", "note", "--nhs", NHS, "--text", hostile, *CREW]),
            ("section text", ["plan", "update", "--nhs", NHS, "--section", "clinical", "--value",
                              json.dumps({**clinical, "recommendations": hostile}), *GP]),
            ("user id", ["plan", "show", "--nhs", NHS, "--as-user", hostile,
                         "--as-role", "urgent-care", "--as-org", "AMB001", "--as-device",
                         "dev-AMB001"]),
            ("organisation", ["plan", "show", "--nhs", NHS, "--as-user", "crew.lee", "--as-role",
                              "urgent-care", "--as-org", hostile, "--as-device", "dev-AMB001"]),
            ("device", ["plan", "show", "--nhs", NHS, "--as-user", "crew.lee", "--as-role",
                        "urgent-care", "--as-org", "AMB001", "--as-device", hostile]),
            ("network address", ["plan", "show", "--nhs", NHS, *CREW, "--as-address", hostile]),
            ("purpose", ["plan", "show", "--nhs", NHS, *CREW, "--purpose", hostile]),
            ("command id", ["plan", "note", "--nhs", NHS, "--text", "ok", *CREW,
                            "--command-id", hostile]),
            ("NHS number", ["plan", "show", "--nhs", hostile, *CREW]),
            ("break-glass reason", ["plan", "show", "--nhs", NHS, *CREW, "--break-glass",
                                    hostile]),
            ("reason", ["plan", "restrict", "--nhs", NHS, "--allow", "dr.patel", "--reason",
                        hostile, *GP]),
            ("alert review", ["audit", "review", "--alert", hostile, "--outcome", "justified",
                              *AUDITOR]),
        ]
        for what, args in tries:
            code, out, err = ledger.render(f"hostile {what}", *args)
            refused += code != 0
            check(code != 0, f"a control character in the {what} is refused: {hostile!r} "
                             f"(exit {code})")
    # Through `submit`: NUL and other controls in directory records and actors,
    # and lenient booleans.
    lines = []
    for hostile in HOSTILE + ["nul\x00id"]:
        lines.append(json.dumps({"command_id": "dir-" + str(len(lines)),
                                 "actor": {"user_id": "operator", "role": "ROLE_SYSTEM"},
                                 "record_user": {"user": {"user_id": hostile, "name": hostile,
                                                          "role": "ROLE_CLINICIAN"}}}))
        lines.append(json.dumps({"command_id": "view-" + str(len(lines)),
                                 "actor": {**actor("crew.lee"), "network_address": hostile},
                                 "view_plan": {"nhs_number": NHS}}))
    lines.append(json.dumps({"command_id": "bool", "actor": actor("dr.patel"),
                             "update_plan_section": {"nhs_number": NHS, "value": {
                                 "social_support": {"lives_alone": "yes"}}}}))
    code, out, err = ledger.render("submit", "submit", "-", stdin="\n".join(lines).encode())
    check(code != 0 and out.count("rejected") + err.count("rejected") >= len(lines) - 1,
          f"submit refuses every hostile line (exit {code})")
    return refused > 0


def positions(ledger):
    """The log positions of the patient's and the crew's refused records."""
    found = []
    for args in (["patient", "--nhs", NHS], ["user", "--user", "crew.lee"]):
        result = ledger.run("--json", "audit", *args, "--limit", "1000", *AUDITOR)
        for line in result.stdout.splitlines():
            entry = json.loads(line) if line.strip() else {}
            position = entry.get("position")
            if position and entry.get("outcome") != "ACCESS_OUTCOME_GRANTED":
                found.append((position.get("partition", 0), int(position.get("offset", "0"))))
    return found[:40]


def render_everything(ledger, data):
    day = today()
    for view in (["--view", "published"], ["--view", "draft"], ["--view", "history"],
                 ["--view", "version", "--version", "1"]):
        for who in (CREW, GP):
            ledger.render(f"plan show {view[1]}", "plan", "show", "--nhs", NHS, *view, *who)
    for args in (["patient", "--nhs", NHS], ["user", "--user", "crew.lee"],
                 ["org", "--org", "AMB001"], ["org", "--org", "GP0001"]):
        ledger.render(f"audit {args[0]}", "audit", *args, "--limit", "1000", *AUDITOR)
    spots = positions(ledger)
    check(len(spots) > 10, f"the refused attempts are in the audit trails ({len(spots)})")
    for partition, offset in spots:
        ledger.render("audit access", "audit", "access", "--partition", str(partition),
                      "--offset", str(offset), *AUDITOR)
    ledger.render("audit alerts", "audit", "alerts", *AUDITOR)
    for args in (["--user", "crew.lee"], ["--org", "AMB001"], ["--device", "dev-AMB001"]):
        ledger.render("directory show", "directory", "show", *args)
    ledger.render("directory list", "directory", "list")
    for args in (["--user", "dr.patel"], ["--org", "GP0001"], ["--nhs", NHS]):
        ledger.render("worklist", "worklist", *args)
    # Error messages that echo what was asked.
    for hostile in HOSTILE:
        ledger.render("worklist of a hostile user", "worklist", "--user", hostile)
        ledger.render("directory show of a hostile user", "directory", "show", "--user", hostile)
        ledger.render("audit user of a hostile user", "audit", "user", "--user", hostile, *AUDITOR)
    ledger.render("verify", "verify")
    ledger.render("log export", "log", "export")
    # The same with --json: still no raw control character.
    for args in (["plan", "show", "--nhs", NHS, "--view", "history", *GP],
                 ["audit", "patient", "--nhs", NHS, "--limit", "1000", *AUDITOR],
                 ["audit", "user", "--user", "crew.lee", *AUDITOR],
                 ["directory", "list"], ["worklist", "--nhs", NHS]):
        code, out, _ = ledger.render("--json " + " ".join(args[:2]), "--json", *args)
        for line in out.splitlines():
            try:
                json.loads(line)
            except ValueError:
                check(False, f"--json {' '.join(args[:2])} prints JSON lines: {line[:120]!r}")
                break

    # ---- exports ----
    for args in (["--nhs", NHS], ["--user", "crew.lee"], ["--org", "AMB001"]):
        for fmt in ("csv", "fhir"):
            out = os.path.join(data, f"export-{args[0][2:]}.{fmt}")
            code, _, err = ledger.render(f"audit export {fmt}", "audit", "export", *args,
                                         "--format", fmt, "--out", out, *AUDITOR)
            if not check(code == 0 and os.path.exists(out), f"audit export {fmt} {args} {err}"):
                continue
            text = open(out, "rb").read().decode("utf-8", "surrogateescape")
            if fmt == "csv":
                check_csv(text, args)
            else:
                check_fhir(text, args)


def check_csv(text, args):
    body = text.replace("\r\n", "\n")
    check(not RAW_CONTROL_NO_TAB.search(body),
          f"CSV {args}: no raw control character but LF (and CRLF line ends)")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    check(len(rows) > 5, f"CSV {args} has rows ({len(rows)})")
    bad = [cell for row in rows for cell in row
           if cell.lstrip(" ")[:1] in ("=", "+", "-", "@", "\t", "\r")]
    check(not bad, f"CSV {args}: no cell starts with a formula character {bad[:3]}")
    check(any(cell.startswith("'=HYPERLINK") or cell.startswith("'+cmd") for row in rows
              for cell in row), f"CSV {args}: the planted formulas are there, defused")


def check_fhir(text, args):
    check(not RAW_CONTROL_NO_TAB.search(text), f"FHIR {args}: no raw control character")
    try:
        bundle = json.loads(text)
    except ValueError as error:
        check(False, f"FHIR {args} is valid JSON: {error}")
        return
    check(bundle.get("resourceType") == "Bundle" and bundle.get("entry"),
          f"FHIR {args} is a Bundle with entries")


def run(ledger, data):
    if not plant(ledger):
        return
    render_everything(ledger, data)
    shown_escaped = False
    for what, text, allow_tab in OUTPUTS:
        pattern = RAW_CONTROL if allow_tab else RAW_CONTROL_NO_TAB
        found = pattern.search(text)
        check(not found, f"{what}: no raw control character"
                         + (f" (found {found.group()!r} in ...{text[max(0, found.start() - 60):found.end() + 20]!r})"
                            if found else ""))
        shown_escaped |= "\\x1b[2J" in text
    check(shown_escaped, "the refused ESC sequences are shown escaped (\\x1b[2J)")
    check(len(OUTPUTS) > 60, f"{len(OUTPUTS)} outputs rendered")


if __name__ == "__main__":
    sys.exit(main())
