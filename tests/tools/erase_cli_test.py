#!/usr/bin/env python3
"""Erasure by crypto-shredding end to end (issue 11 item 6), through the
careledger program on the embedded log:

  three patients with their own names, addresses and notes get sealed plans
  (envelope version 2), are read by an ambulance crew and die, two of them
  long ago; a kept checkpoint is taken. Then: a clinician's erasure is refused
  (exit 3, a DENIED record); erasing the patient who died today is refused
  until the retention period ends; the CMC team erases patient A (exit 0).
  Afterwards none of A's clinical strings or identifying details is anywhere
  in the data directory (log, log export, projection, key store, snapshots),
  while patient B's are still in the projection, which was purged in place and
  equals a rebuild byte for byte; `careledger verify` passes
  with the kept checkpoint; tests/independent/verify_export.py verifies the
  export (sealed records and the erasure counted); A's audit trail still lists
  the crew's reads, and `audit access` on one says the content was erased;
  erasing A again or an unknown patient is refused with a clear reason; and a
  sealed body changed in the export fails the independent check at its
  partition and offset.

Standard library only (plus python3-protobuf and python3-cryptography for
verify_export.py).
usage: erase_cli_test.py --careledger BIN
"""
import argparse
import base64
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cli_checks import CareledgerCli, check, summary, where  # noqa: E402
from sample_plan import actor, complete_sections, date_json, flags, nhs_number, today  # noqa: E402

AUDITOR = flags("auditor.cmc")
GP = flags("dr.patel")
VERIFY_EXPORT = os.path.join(HERE, "..", "independent", "verify_export.py")

# Per patient: the strings that must vanish (or stay) with their key. Each
# carries a token of consonants that shares no 4-byte run with any other, so
# that RocksDB's block compression (snappy: literals unless a 4-byte run
# repeats earlier in the block) leaves the first copy of a present token
# readable in a table file: a grep that finds nothing means it is not there.
PATIENTS = {
    "A": {"nhs": nhs_number(201), "given": "Swssvxjhv", "family": "Tzhfsmgdw",
          "address": "12 Czqszhzbv Lane, Erith", "note": "Key safe by the Dccjkzbsn door",
          "diagnosis": "Motor neurone disease Sxjvkmtbd", "died_on": datetime.date(2015, 3, 1)},
    "B": {"nhs": nhs_number(202), "given": "Slrwdlnkv", "family": "Mbdxfqfmq",
          "address": "9 Dbbjjctqq Road, Bow", "note": "Dog in the Rdxjlndmn garden",
          "diagnosis": "Pulmonary fibrosis Brfgkfbcs", "died_on": datetime.date(2015, 6, 1)},
    "C": {"nhs": nhs_number(203), "given": "Thwjsvjgr", "family": "Qfqrjblxm",
          "address": "3 Bjhqzxfcg Close, Kew", "note": "Lives with sister Jslbznmqd",
          "diagnosis": "Metastatic cancer Ddjxkbzpp", "died_on": None},  # died today
}
TOKEN_KEYS = ("given", "family", "address", "note", "diagnosis")


def secrets(patient):
    """The patient's tokens (the one word of each field no other shares)."""
    return [max(patient[k].split(), key=lambda w: sum(c not in "aeiou" for c in w.lower()))
            .rstrip(",") for k in TOKEN_KEYS]


def load_lines():
    """`submit -` JSON lines: each patient's plan started, complete, approved,
    read by the crew, a note added, and their death recorded."""
    day, gp, crew = today(), actor("dr.patel"), actor("crew.lee")
    lines = []

    def add(who, **body):
        lines.append(json.dumps({"command_id": f"erase-{len(lines)}", "actor": who, **body}))

    for patient in PATIENTS.values():
        nhs = patient["nhs"]
        add(gp, start_plan={"nhs_number": nhs, "consent": {
            "basis": "CONSENT_BASIS_PATIENT", "discussion": f"Discussed with {patient['given']}",
            "obtained_on": date_json(day)}})
        for name, value in complete_sections(nhs, day):
            if name == "demographics":
                value = dict(value, given_name=patient["given"], family_name=patient["family"],
                             address=patient["address"])
            if name == "medical_background":
                value = dict(value, main_diagnosis=patient["diagnosis"])
            add(gp, update_plan_section={"nhs_number": nhs, "value": {name: value}})
        add(gp, approve_plan={"nhs_number": nhs})
        add(crew, view_plan={"nhs_number": nhs, "view": "PLAN_VIEW_PUBLISHED"})
        add(crew, add_urgent_care_note={"nhs_number": nhs, "text": patient["note"]})
        add(crew, view_plan={"nhs_number": nhs, "view": "PLAN_VIEW_PUBLISHED"})
        died = patient["died_on"] or day
        add(gp, record_death={"nhs_number": nhs, "died_on": date_json(died),
                              "place": "Rosewood Care Home"})
    return lines


def fingerprint_of(stdout):
    return next((line.split()[1] for line in stdout.splitlines()
                 if line.startswith("fingerprint ")), None)


def files_holding(root, text):
    """Paths of the files under `root` whose bytes contain `text` (UTF-8)."""
    needle, found = text.encode("utf-8"), []
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                if needle in handle.read():
                    found.append(os.path.relpath(path, root))
    return found


def sealed_ciphertext(value):
    """The sealed body's ciphertext of a record value, or b"" (parsed with the
    schema verify_export.py compiles)."""
    from sample_plan import schema
    envelope = schema()["envelope"]
    signed = envelope.SignedEvent()
    signed.ParseFromString(value)
    event = envelope.Event()
    event.ParseFromString(signed.event)
    return bytes(event.sealed_body.ciphertext) if event.HasField("sealed_body") else b""


class Ledger(CareledgerCli):

    def erase(self, nhs, *extra, who=AUDITOR):
        return self.run("erase", "--nhs", nhs, "--reason", "consent withdrawn", *extra, *who)

    def trail(self, nhs):
        result = self.run("--json", "audit", "patient", "--nhs", nhs, "--limit", "1000",
                          *AUDITOR)
        return [json.loads(line) for line in result.stdout.splitlines()
                if line.strip() and "next_page_token" not in line and "error" not in line]

    def independent(self, export, keyring):
        return subprocess.run([sys.executable, VERIFY_EXPORT, export, "--keyring", keyring],
                              capture_output=True, text=True, timeout=300)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="careledger-erase-") as work:
        run(Ledger(args.careledger, os.path.join(work, "data")), work)
    return summary("erase")


def run(ledger, work):
    result = ledger.run("erase", "--help")
    check(result.returncode == 0 and "--override-retention" in result.stdout
          and "--retention-years" in result.stdout, "'erase --help' documents its flags")
    init, sample = ledger.run("init"), ledger.run("directory", "sample")
    if not check(init.returncode == 0 and sample.returncode == 0,
                 f"init and directory sample {init.stderr[-300:]} {sample.stderr[-300:]}"):
        return
    master = os.path.join(ledger.data, "data-keys", "master.key")
    check(os.path.exists(master) and os.stat(master).st_mode & 0o777 == 0o600,
          "init made the data keys' master key, mode 0600")
    loaded = ledger.run("--json", "submit", "-", stdin="\n".join(load_lines()) + "\n")
    outcomes = [json.loads(l).get("outcome") for l in loaded.stdout.splitlines() if l.strip()]
    if not check(loaded.returncode == 0 and set(outcomes) == {"OUTCOME_APPLIED"},
                 f"the load is applied {loaded.stderr[-300:]}"):
        return
    a, b, c = PATIENTS["A"], PATIENTS["B"], PATIENTS["C"]
    projected = ledger.run("project")
    check(projected.returncode == 0, f"project {projected.stderr[-300:]}")
    log_dir = os.path.join(ledger.data, "log")
    projection_dir = os.path.join(ledger.data, "projection")
    check(all(not files_holding(log_dir, s) for s in secrets(a) + secrets(b)),
          "sealed: no patient's name, address, diagnosis or note is in the log's files")
    check(all(files_holding(projection_dir, s) for s in secrets(a)),
          "before erasure the projection holds A's content (the grep finds what is there)")
    crew_reads = [e for e in ledger.trail(a["nhs"])
                  if e.get("actor", {}).get("user_id") == "crew.lee"]
    check(len(crew_reads) >= 2, f"A's trail lists the crew's reads: {len(crew_reads)}")
    kept = ledger.run("--json", "checkpoint")
    kept_path = os.path.join(work, "kept.json")
    with open(kept_path, "w") as handle:
        handle.write(kept.stdout)
    check(kept.returncode == 0, f"a checkpoint is kept {kept.stderr[-200:]}")

    # ---- refusals: the wrong role, the retention period ----
    refused = ledger.erase(a["nhs"], who=flags("dr.patel"))
    check(refused.returncode == 3 and "CMC team" in refused.stdout + refused.stderr,
          f"a clinician may not erase (exit 3): {refused.stdout[-200:]} {refused.stderr[-200:]}")
    denied = [e for e in ledger.trail(a["nhs"]) if e.get("action") == "erase_patient"]
    check(len(denied) == 1 and denied[0].get("outcome") == "ACCESS_OUTCOME_DENIED"
          and denied[0].get("actor", {}).get("user_id") == "dr.patel",
          f"the refusal is recorded as a DENIED access record: {denied}")
    early = ledger.erase(c["nhs"])
    check(early.returncode == 3 and "retention period" in early.stdout + early.stderr,
          f"C died today: erasure refused before the retention period ends: {early.stdout[-300:]}")

    # ---- the erasure ----
    erased = ledger.run("--json", "erase", "--nhs", a["nhs"], "--reason",
                        "consent withdrawn, letter 2024-117", *AUDITOR)
    report = json.loads(erased.stdout) if erased.returncode == 0 else {}
    check(erased.returncode == 0 and report.get("data_key_destroyed") is True
          and report.get("projection_purged") is True,
          f"the CMC team erases A {erased.stdout[-300:]} {erased.stderr[-300:]}")
    again = ledger.erase(a["nhs"])
    check(again.returncode == 3 and "already erased" in again.stdout + again.stderr,
          f"erasing twice is refused: {again.stdout[-200:]}")
    unknown = ledger.erase(nhs_number(299))
    check(unknown.returncode == 3 and "no record of patient" in unknown.stdout + unknown.stderr,
          f"an unknown patient is refused: {unknown.stdout[-200:]}")
    bad = ledger.erase("123")
    check(bad.returncode == 2, f"a malformed NHS number is bad input (exit 2): {bad.returncode}")

    # ---- nothing of A anywhere; B untouched ----
    export, keyring = os.path.join(work, "log.jsonl"), os.path.join(work, "keyring.json")
    exported = ledger.run("log", "export", "--out", export)
    keys = ledger.run("keys", "export", "--out", keyring)
    check(exported.returncode == 0 and keys.returncode == 0, "log and keys export")
    with open(export, "rb") as handle:
        export_bytes = handle.read()
    leaks = {s: files_holding(ledger.data, s) for s in secrets(a)}
    check(not any(leaks.values()), f"none of A's details is in any file of the data directory "
          f"(log, projection, data keys, snapshots): {leaks}")
    check(not any(s.encode() in export_bytes for s in secrets(a)), "nor in the log export")
    kept_b = {s: files_holding(projection_dir, s) for s in secrets(b)}
    check(all(kept_b.values()), f"B's content is still in the projection: {kept_b}")
    shown = ledger.run("--json", "plan", "show", "--nhs", b["nhs"], *AUDITOR)
    check(shown.returncode == 0 and b["given"] in shown.stdout,
          f"B's plan still reads whole {shown.stderr[-200:]}")

    # ---- every proof still holds ----
    verify = ledger.run("verify", "--kept", kept_path)
    check(verify.returncode == 0, f"careledger verify passes with the kept checkpoint "
          f"{verify.stdout[-300:]} {verify.stderr[-300:]}")
    independent = ledger.independent(export, keyring)
    sealed = re.search(r"(\d+) sealed, (\d+) erasures", independent.stdout)
    check(independent.returncode == 0 and sealed and int(sealed.group(1)) > 0
          and sealed.group(2) == "1",
          f"verify_export.py verifies the erased log {independent.stdout[-400:]} "
          f"{independent.stderr[-300:]}")

    # ---- the audit survives ----
    after = [e for e in ledger.trail(a["nhs"]) if e.get("actor", {}).get("user_id") == "crew.lee"]
    check([where(e) for e in after] == [where(e) for e in crew_reads],
          f"A's trail still lists every read by the crew ({len(after)})")
    reads = [e for e in after if e.get("kind") == "AUDIT_KIND_READ"]
    if check(reads, "a crew read to open"):
        partition, offset = where(reads[0])
        opened = ledger.run("audit", "access", "--partition", str(partition), "--offset",
                            str(offset), *AUDITOR)
        check(opened.returncode == 0 and "erased" in opened.stdout
              and "crew.lee" in opened.stdout and not any(s in opened.stdout for s in secrets(a)),
              f"audit access names who read A, and that the content was erased "
              f"{opened.stdout[-400:]} {opened.stderr[-300:]}")
    # The projection purged in place is byte for byte a rebuild's.
    purged = ledger.run("--json", "project", "--fingerprint")
    rebuilt = ledger.run("--json", "project", "--projection-dir", os.path.join(work, "rebuilt"),
                         "--rebuild", "--fingerprint")
    check(rebuilt.returncode == 0, f"the projection rebuilds without a stop {rebuilt.stderr[-300:]}")
    purged_print = fingerprint_of(purged.stdout)
    check(purged_print is not None and purged_print == fingerprint_of(rebuilt.stdout),
          f"the projection purged of A equals a rebuild: {purged.stdout[-200:]} "
          f"{rebuilt.stdout[-200:]}")

    # ---- a changed sealed body is caught at its place ----
    tampered = os.path.join(work, "tampered.jsonl")
    changed_at = None
    with open(export) as source, open(tampered, "w") as out:
        for line in source:
            row = json.loads(line)
            if changed_at is None and row["key"] == f"patient/{b['nhs']}":
                value = bytearray(base64.b64decode(row["value_base64"]))
                ciphertext = sealed_ciphertext(bytes(value))
                at = bytes(value).find(ciphertext) if ciphertext else -1
                if at >= 0:
                    value[at + len(ciphertext) // 2] ^= 0x01  # one bit of the sealed body
                    row["value_base64"] = base64.b64encode(bytes(value)).decode()
                    changed_at = (row["partition"], row["offset"])
            out.write(json.dumps(row) + "\n")
    caught = ledger.independent(tampered, keyring)
    check(changed_at is not None and caught.returncode == 1
          and f"FAIL partition {changed_at[0]} offset {changed_at[1]}" in caught.stdout,
          f"a changed sealed body fails at partition/offset {changed_at}: "
          f"{caught.stdout[-400:]}")


if __name__ == "__main__":
    sys.exit(main())
