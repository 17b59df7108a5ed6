#!/usr/bin/env python3
"""A patient's receipt (issue 11, item 7), through the careledger program on
the embedded log: an ambulance crew reads a published plan; the CMC team's
`audit proof` of that access record (recorded first, in the patient's trail)
is refused while no checkpoint follows the record, then, after `careledger
checkpoint`, written as a small JSON document that the independent checker
(tests/independent/check_proof.py, written from docs/proof.md) accepts, with
the ledger's published keyring too. Tampering with any part of the proof (the
record, a hash on the way, the digest before, the checkpoint) or checking it
against another ledger's keyring fails it. A position with no record is
refused with nothing recorded; so is a clinician's request (exit 3, recorded
as a refusal).

usage: proof_cli_test.py --careledger BIN
"""
import argparse
import base64
import copy
import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cli_checks import CareledgerCli, check, summary  # noqa: E402
from sample_plan import complete_sections, decode_export, flags, today  # noqa: E402

CHECKER = os.path.join(HERE, "..", "independent", "check_proof.py")
NHS = "9990000026"
AUDITOR = flags("auditor.cmc")
CREW = flags("crew.lee")
GP = flags("dr.patel")


class Ledger(CareledgerCli):

    def records(self):
        """[(partition, offset, stream, body, event)] of the whole log."""
        path = os.path.join(os.path.dirname(self.data), "export.jsonl")
        if os.path.exists(path):
            os.remove(path)
        result = self.run("log", "export", "--out", path)
        assert result.returncode == 0, result.stdout + result.stderr
        return decode_export(path)


def checker(path, *args):
    result = subprocess.run(["/usr/bin/python3", CHECKER, path, *args], capture_output=True,
                            text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="careledger-proof-") as tmp:
        run(Ledger(args.careledger, os.path.join(tmp, "data")),
            Ledger(args.careledger, os.path.join(tmp, "other")), tmp)
    return summary("proof")


def run(ledger, other, tmp):
    ready = all(step.returncode == 0 for step in (
        ledger.run("init"), ledger.run("directory", "sample"), other.run("init")))
    if not check(ready, "two ledgers, one with the sample directory"):
        return
    day = today()
    steps = [["plan", "start", "--nhs", NHS, "--consent", "patient",
              "--consent-date", day.isoformat(), "--discussion", "Discussed at home"]]
    steps += [["plan", "update", "--nhs", NHS, "--section", name, "--value", json.dumps(value)]
              for name, value in complete_sections(NHS, day)]
    steps.append(["plan", "approve", "--nhs", NHS])
    for step in steps:
        result = ledger.run(*step, *GP)
        if not check(result.returncode == 0, f"GP: {' '.join(step[:4])} {result.stderr[-300:]}"):
            return
    read = ledger.run("--json", "plan", "show", "--nhs", NHS, *CREW)
    access = json.loads(read.stdout).get("access", {}) if read.returncode == 0 else {}
    partition, offset = access.get("partition", 0), int(access.get("offset", "-1"))
    check(read.returncode == 0 and offset >= 0, "the crew reads the published plan")
    # A second read: a record between the first and the checkpoint, so the
    # proof carries hashes on the way.
    check(ledger.run("plan", "show", "--nhs", NHS, *CREW).returncode == 0, "a second read")
    position = ["--partition", str(partition), "--offset", str(offset)]
    out = os.path.join(tmp, "receipt.json")

    # No checkpoint after the record yet, unless the writer's timer appended
    # one (a command slower than its interval on a busy machine): the answer
    # must match what the log holds.
    covered = any(p == partition and o > offset and stream.startswith("checkpoint/")
                  for p, o, stream, _, _ in ledger.records())
    before = len(ledger.records())
    early = ledger.run("audit", "proof", *position, "--out", out, *AUDITOR)
    if covered:
        check(early.returncode == 0, "a checkpoint already follows the read: the proof is issued")
        os.remove(out)
    else:
        check(early.returncode != 0 and "no signed checkpoint follows" in early.stderr
              and not os.path.exists(out) and len(ledger.records()) == before,
              "no checkpoint follows the read yet: refused, nothing written or recorded "
              f"({early.returncode} {early.stderr.strip()[-200:]})")

    check(ledger.run("checkpoint").returncode == 0, "careledger checkpoint")
    made = ledger.run("--json", "audit", "proof", *position, "--out", out, *AUDITOR)
    answer = json.loads(made.stdout) if made.returncode == 0 else {}
    check(made.returncode == 0 and os.path.exists(out), f"audit proof writes the receipt "
          f"({made.returncode} {made.stderr[-300:]})")
    recorded = answer.get("recorded", {})
    query = next((event for p, o, _, body, event in ledger.records()
                  if (p, o) == (recorded.get("partition"), int(recorded.get("offset", -1)))
                  and body == "access_recorded"), {})
    audited = query.get("access_recorded", {})
    check(audited.get("outcome") == "ACCESS_OUTCOME_GRANTED"
          and audited.get("subject") == f"log/{partition}/{offset}"
          and audited.get("nhs_number") == NHS and query.get("actor", {}).get("user_id")
          == "auditor.cmc",
          f"the request is recorded first, as an examination of that record in the patient's "
          f"trail ({audited})")
    with open(out, encoding="utf-8") as f:
        proof = json.load(f)
    check(os.path.getsize(out) < 64 * 1024 and proof.get("format") == "careledger.proof.v1",
          f"the receipt is small ({os.path.getsize(out)} bytes) and names its format")

    code, output = checker(out)
    check(code == 0 and "OK" in output and '"crew.lee"' in output.replace("'", '"')
          and NHS in output, f"the independent checker accepts it and shows the signed read "
                             f"({code} {output[:300]})")
    keyring = os.path.join(tmp, "keyring.json")
    ledger.run("keys", "export", "--out", keyring)
    code, output = checker(out, "--keyring", keyring)
    check(code == 0, f"... also against the ledger's published keyring ({output[:200]})")
    other_keyring = os.path.join(tmp, "other-keyring.json")
    other.run("keys", "export", "--out", other_keyring)
    code, output = checker(out, "--keyring", other_keyring)
    check(code == 1 and "not in the keyring" in output,
          f"... and fails against another ledger's keyring ({code} {output[:200]})")

    def tampered(what, change):
        forged = copy.deepcopy(proof)
        change(forged)
        path = os.path.join(tmp, "forged.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(forged, f)
        code, output = checker(path)
        check(code == 1 and "FAIL" in output, f"tampered {what}: rejected ({code} {output[:160]})")

    def flip(document, field):
        raw = bytearray(base64.b64decode(document[field]))
        raw[len(raw) // 2] ^= 0x01
        document[field] = base64.b64encode(bytes(raw)).decode()

    tampered("record", lambda p: flip(p["record"], "value_base64"))
    tampered("checkpoint", lambda p: flip(p["checkpoint"], "value_base64"))
    tampered("digest before the record", lambda p: p["before"].update(
        running_hash="00" * 32))
    tampered("record count before", lambda p: p["before"].update(
        record_count=p["before"]["record_count"] + 1))
    if check(len(proof["following"]) >= 1, "the receipt carries the hashes on the way"):
        tampered("hash of a following record", lambda p: p["following"][0].update(
            value_sha256="11" * 32))
        tampered("dropped following record", lambda p: p["following"].pop())
    tampered("partition", lambda p: p.update(partition=(p["partition"] + 1) % p["partitions"]))

    count = len(ledger.records())
    missing = ledger.run("audit", "proof", "--partition", str(partition), "--offset", "999999",
                         "--out", os.path.join(tmp, "none.json"), *AUDITOR)
    check(missing.returncode != 0 and "holds no record at offset 999999" in missing.stderr
          and len(ledger.records()) == count,
          f"a position with no record is refused, nothing recorded ({missing.stderr[-200:]})")
    refused = ledger.run("audit", "proof", *position, "--out", os.path.join(tmp, "gp.json"), *GP)
    check(refused.returncode == 3 and not os.path.exists(os.path.join(tmp, "gp.json"))
          and len(ledger.records()) == count + 1,
          f"a clinician may not ask for a proof: exit 3, the refusal recorded, nothing written "
          f"({refused.returncode} {refused.stderr[-200:]})")
    exists = ledger.run("audit", "proof", *position, "--out", out, *AUDITOR)
    check(exists.returncode != 0, "an existing receipt is not overwritten without --force")


if __name__ == "__main__":
    sys.exit(main())
