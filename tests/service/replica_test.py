#!/usr/bin/env python3
"""A read replica beside the writer on real Kafka (issue 10 item 6,
docs/replicas.md): `careledger serve` (the writer) and `careledger serve
--replica --node r1` on one Kafka log and one data directory.

The replica starts first, on a log with no plans yet; the plans are then
published by the CLI and the writer service started, so every data key the
replica needs to open the sealed plan events was made after it opened the
data key store (it catches up with the writer's store on a miss).

Checks, each asserting the HTTP status, the answer and the records appended:
- authenticated urgent-care reads through the replica (a minted token and a
  device certificate, as on the writer) answer 200 with the plan's content,
  version and content hash, while the writer takes reads and a command; each
  read has exactly one access record on access/r1, at the position and with
  the bytes of its receipt, naming the version and hash answered;
- refusals through the replica (a probe of a patient with no plan, urgent
  care asking for the draft, a role the directory does not give) answer
  404/403 after their DENIED record is durable on access/r1; no token: 401,
  nothing recorded;
- a command, a worklist query and a point-in-time read sent to the replica
  answer 421 naming the writer's address, appending nothing;
- a replica beyond its lag bound (a second node, r2, started with
  ready_max_lag_seconds 0: any lag is beyond it) answers /readyz not ready
  and reads 503, recording nothing;
- the replica SIGKILLed under a load of reads (until 3 kills land while a
  read is in flight, at most 12 tries), restarted each time: every read answered
  200 has exactly one record on the log, at its receipt's position;
- `careledger verify` over the whole log (writer, replica and checkpoint
  records) passes.

usage: replica_test.py --careledger BIN
  the broker at $CARELEDGER_KAFKA_BOOTSTRAP (required: without it the test
  fails), on a topic and writer id of its own.
"""
import argparse
import base64
import concurrent.futures
import datetime
import http.client
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
sys.path.insert(0, HERE)
from cli_checks import check, summary  # noqa: E402
from service_client import DevIssuer, Service, kafka_log_args  # noqa: E402
from service_test import (NO_PLAN_NHS, OTHER_NHS, PATIENT, Ledger, plan_path,  # noqa: E402
                          problem, publish)

KILLS_LANDED = 3  # SIGKILLs of the replica that must cut a read off
MAX_KILLS = 12  # tries at landing them


def start(ledger, tmp, name, *extra, env=None):
    return Service(ledger.binary, ledger.data, *extra, global_args=ledger.log_args,
                   env={"CARELEDGER_SERVE_ALERT_SCAN_SECONDS": "0", **(env or {})},
                   stderr_path=os.path.join(tmp, f"{name}.log"))


def start_replica(ledger, tmp, node, writer_url, env=None):
    return start(ledger, tmp, f"replica-{node}", "--replica", "--node", node,
                 env={"CARELEDGER_SERVE_WRITER_URL": writer_url, **(env or {})})


def access_records(ledger):
    """{command_id: [(partition, offset, stream, access_recorded)]} and the
    values by position."""
    events, values = ledger.export()
    by_command = {}
    for partition, offset, stream, body, event in events:
        if body == "access_recorded":
            by_command.setdefault(event.get("command_id"), []).append(
                (partition, offset, stream, event["access_recorded"]))
    return by_command, values


def read_matches(read, records, values):
    """True when `read` (a 200 answer) has exactly one record, on access/r1,
    at its receipt's position and with its bytes, naming what was shown."""
    receipt = read.get("access", {})
    found = records.get(receipt.get("command_id"), [])
    if len(found) != 1:
        return False
    partition, offset, stream, granted = found[0]
    return (stream == "access/r1" and receipt.get("stream_id") == "access/r1"
            and (partition, offset) == (receipt.get("partition"), receipt.get("offset"))
            and values.get((partition, offset)) == receipt.get("record")
            and granted.get("outcome") == "ACCESS_OUTCOME_GRANTED"
            and int(granted.get("version", 0)) == read.get("version")
            and base64.b64decode(granted.get("content_hash", "")).hex()
            == read.get("content_hash"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    args = parser.parse_args()
    log_args = kafka_log_args("replica")
    if log_args is None:
        return 1
    with tempfile.TemporaryDirectory(prefix="careledger-replica-") as tmp:
        ledger = Ledger(args.careledger, os.path.join(tmp, "data"), log_args)
        services = []
        try:
            run(ledger, tmp, services)
        finally:
            for service in services:
                if service.process.poll() is None:
                    service.process.kill()
                    service.process.wait()
    return summary("replica")


def run(ledger, tmp, services):
    nhs, other_nhs = PATIENT[1], OTHER_NHS
    ready = (ledger.run("init").returncode == 0
             and ledger.run("directory", "sample").returncode == 0
             and ledger.run("keys", "add-node", "--node", "r1").returncode == 0
             and ledger.run("keys", "add-node", "--node", "r2").returncode == 0)
    if not check(ready, "init, the sample directory, node keys for r1 and r2"):
        return
    refused = ledger.run("serve", "--replica")
    check(refused.returncode == 2 and "--node" in refused.stdout + refused.stderr,
          f"serve --replica without --node: usage error, exit 2 ({refused.returncode})")
    embedded = Ledger(ledger.binary, os.path.join(tmp, "embedded"), [])
    embedded.run("init")
    refused = embedded.run("serve", "--replica", "--node", "r1")
    check(refused.returncode == 2 and "Kafka" in refused.stdout + refused.stderr,
          f"serve --replica on the embedded log: usage error naming Kafka, exit 2 "
          f"({refused.returncode})")

    token = ledger.run("token", "--user", "crew.lee", "--role", "urgent-care").stdout.strip()
    certs = os.path.join(tmp, "certs")
    issued = ledger.run("directory", "issue-cert", "--device", "dev-AMB001", "--out", certs)
    device = (os.path.join(certs, "dev-AMB001.crt"), os.path.join(certs, "dev-AMB001.key"))
    if not check(bool(token) and issued.returncode == 0,
                 "careledger token and directory issue-cert give the crew's credentials"):
        return

    # The replica first: the plans' data keys are all made after it opened
    # the data key store (it catches up with the store on a miss).
    replica = start_replica(ledger, tmp, "r1", "https://writer.invalid:8443")
    services.append(replica)
    if not check(publish(ledger, [nhs, other_nhs], draft_for=nhs),
                 "two plans published by the CLI after the replica started"):
        return
    early = [replica.request("GET", plan_path(patient), token=token, device=device)
             for patient in (nhs, other_nhs)]
    early = [json.loads(body) if status == 200 else {} for status, _, body in early]
    check(all(read.get("plan", {}).get("demographics") and read.get("version") == 1
              for read in early),
          "reads through the replica of plans published after it started answer 200 with "
          "their content (data keys made since it opened the store)")
    writer = start(ledger, tmp, "writer")
    services.append(writer)
    # The replica again, now naming the writer's real address.
    replica.stop()
    services.remove(replica)
    replica = start_replica(ledger, tmp, "r1", writer.url)
    services.append(replica)

    status, _, body = replica.request("GET", "/readyz")
    check(status == 200 and json.loads(body).get("status") == "ready"
          and json.loads(body).get("replica_node") == "r1",
          f"the replica's /readyz: ready, node r1 ({status} {body[:200]!r})")
    status, _, body = replica.request("GET", "/v1/openapi.json")
    check(status == 200, "the replica serves /v1/openapi.json")

    # ---- reads through the replica, while the writer works -------------------
    def replica_read(patient):
        status, _, body = replica.request("GET", plan_path(patient), token=token, device=device)
        return status, (json.loads(body) if status == 200 else problem(body))

    def writer_read(patient):
        status, _, _ = writer.request("GET", plan_path(patient), token=token, device=device)
        return status

    note = {"add_urgent_care_note": {"nhs_number": other_nhs, "text": "Seen at home"},
            "actor": {"purpose": "emergency call"}}
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        reads = [pool.submit(replica_read, [nhs, other_nhs][i % 2]) for i in range(12)]
        writer_reads = [pool.submit(writer_read, nhs) for _ in range(6)]
        command = pool.submit(writer.request, "POST", "/v1/commands", token=token, device=device,
                              body=json.dumps(note).encode(),
                              headers={"Content-Type": "application/json"})
        reads = [r.result() for r in reads]
        writer_reads = [r.result() for r in writer_reads]
        command_status = command.result()[0]
    answered = [read for status, read in reads if status == 200]
    check(len(answered) == 12
          and all(read.get("plan", {}).get("demographics") and read.get("version", 0) >= 1
                  and len(read.get("content_hash", "")) == 64 for read in answered),
          f"12 urgent-care reads through the replica answer 200 with the plan's content, its "
          f"version and content hash ({[status for status, _ in reads]})")
    check(all(status == 200 for status in writer_reads) and command_status == 200,
          f"meanwhile the writer answers 6 reads and a command ({writer_reads}, "
          f"{command_status})")
    records, values = access_records(ledger)
    check(all(read_matches(read, records, values) for read in answered),
          "  ... each has exactly one access record on access/r1, at its receipt's position "
          "byte for byte, naming the version and content hash answered")
    draft = [read for read in answered if read.get("nhs_number") == nhs]
    check(draft and all(read.get("state", {}).get("draft_pending") is None for read in draft),
          "  ... and nothing of the working draft pending for the patient who has one")

    # ---- refusals through the replica: recorded on access/r1 before the answer --
    issuer = DevIssuer(ledger.data)

    def refused(what, path, expected, reason, token, device=device):
        before = ledger.count()
        status, _, body = replica.request("GET", path, token=token, device=device)
        answer = problem(body)
        appended = ledger.count() - before
        access = answer.get("access", {})
        found = access_records(ledger)[0].get(access.get("command_id"), [])
        recorded = found[0][3] if len(found) == 1 else {}
        check(status == expected and reason in answer.get("detail", "") and appended == 1
              and access.get("stream_id") == "access/r1"
              and recorded.get("outcome") == "ACCESS_OUTCOME_DENIED"
              and reason in recorded.get("reason", ""),
              f"{what} through the replica: {expected} '{reason}', its DENIED record on "
              f"access/r1 (got {status} {answer.get('detail')!r}, {appended} appended)")

    refused("a probe of an NHS number with no plan", plan_path(NO_PLAN_NHS), 404,
            "no care plan", token)
    refused("urgent care asking for the draft", plan_path(nhs, view="draft"), 403,
            "published plans only", token)
    refused("a role the directory does not give the user", plan_path(nhs), 403, "role",
            issuer.mint("crew.lee", role="clinician"))
    before = ledger.count()
    status, _, _ = replica.request("GET", plan_path(nhs), device=device)
    check(status == 401 and ledger.count() == before,
          f"no bearer token through the replica: 401, nothing recorded ({status})")

    # ---- what a replica does not serve: 421 naming the writer ----------------
    def misdirected(what, method, path, body=None):
        before = ledger.count()
        status, _, answer = replica.request(method, path, token=token, device=device,
                                            body=body,
                                            headers={"Content-Type": "application/json"})
        document = problem(answer)
        appended = ledger.count() - before
        check(status == 421 and document.get("writer_url") == writer.url
              and writer.url in document.get("detail", "") and appended == 0,
              f"{what} sent to the replica: 421 naming the writer {writer.url}, nothing "
              f"appended (got {status} {document.get('detail')!r}, {appended})")

    misdirected("a command", "POST", "/v1/commands", json.dumps(note).encode())
    misdirected("the worklist", "GET", "/v1/worklist")
    misdirected("a point-in-time read", "GET",
                plan_path(nhs, as_of=datetime.datetime.now().astimezone().isoformat()))

    # ---- beyond the lag bound: not ready, reads 503, nothing recorded --------
    behind = start_replica(ledger, tmp, "r2", writer.url,
                           env={"CARELEDGER_SERVE_READY_MAX_LAG_SECONDS": "0"})
    services.append(behind)
    status, _, body = behind.request("GET", "/readyz")
    document = problem(body)
    check(status == 503 and document.get("status") == "not ready"
          and any("behind" in p for p in document.get("problems", [])),
          f"a replica beyond its lag bound: /readyz 503 not ready ({status} {body[:200]!r})")
    before = ledger.count()
    status, _, body = behind.request("GET", plan_path(nhs), token=token, device=device)
    document = problem(body)
    check(status == 503 and "not recorded" in document.get("detail", "")
          and "plan" not in document and ledger.count() == before,
          f"  ... a read there: 503, nothing shown, nothing recorded ({status} "
          f"{document.get('detail')!r})")
    code, _ = behind.stop()
    services.remove(behind)
    check(code == 0, f"  ... and it stops on SIGTERM with 0 ({code})")

    # ---- the replica SIGKILLed under a load of reads ----------------------------
    replica = kill_under_load(ledger, tmp, services, replica, writer, token, device)

    # ---- the whole log verifies ------------------------------------------------
    for service in list(services):
        code, _ = service.stop()
        services.remove(service)
        check(code == 0, f"{service.url} stops on SIGTERM with 0 ({code})")
    verified = ledger.run("verify")
    check(verified.returncode == 0,
          f"careledger verify over the whole log (writer, replica and checkpoint records): "
          f"exit {verified.returncode} {verified.stdout[-300:]}{verified.stderr[-300:]}")


def kill_under_load(ledger, tmp, services, replica, writer, token, device):
    """SIGKILLs the replica while reads are in flight, restarts it; returns
    the running replica. Every read answered 200 must be on the log once."""
    answered, landed, kills = [], 0, 0
    while kills < MAX_KILLS and landed < KILLS_LANDED:
        stop = threading.Event()
        in_flight_failures = []
        lock = threading.Lock()

        def load(target=replica):
            while not stop.is_set():
                try:
                    status, _, body = target.request("GET", plan_path(PATIENT[1]),
                                                     token=token, device=device)
                except ConnectionRefusedError:
                    return  # killed between this thread's reads: not one in flight
                except (OSError, http.client.HTTPException) as error:
                    with lock:  # the kill cut this read off
                        in_flight_failures.append(repr(error))
                    return
                if status == 200:
                    with lock:
                        answered.append(json.loads(body))

        threads = [threading.Thread(target=load) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(0.5 + random.random())
        replica.process.send_signal(signal.SIGKILL)
        replica.process.wait()
        stop.set()
        for thread in threads:
            thread.join()
        services.remove(replica)
        kills += 1
        landed += 1 if in_flight_failures else 0
        replica = start_replica(ledger, tmp, "r1", writer.url)
        services.append(replica)
    check(landed >= KILLS_LANDED,
          f"{KILLS_LANDED} SIGKILLs landed while reads were in flight ({landed} of {kills} "
          f"kills, {len(answered)} reads answered 200)")
    status, _, body = replica.request("GET", plan_path(PATIENT[1]), token=token, device=device)
    if status == 200:
        answered.append(json.loads(body))
    check(status == 200, f"the restarted replica answers a read ({status})")
    records, values = access_records(ledger)
    missing = [read.get("access", {}) for read in answered
               if not read_matches(read, records, values)]
    check(answered and not missing,
          f"every one of the {len(answered)} reads answered 200 across the kills has exactly "
          f"one record on access/r1 at its receipt's position ({len(missing)} do not: "
          f"{missing[:2]})")
    return replica


if __name__ == "__main__":
    sys.exit(main())
