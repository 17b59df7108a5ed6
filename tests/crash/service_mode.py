"""Mode `service`: `careledger serve` SIGKILLed under load, again and again
(issue 10, "Crash safety").

Each round starts the service (tests/service/service_client.py), first
re-sends every command whose answer an earlier kill lost (same
Idempotency-Key, so the same command id), then drives it with --clients
threads over HTTPS with real credentials (a development token for crew.lee
and the ambulance's device certificate): half of them send urgent-care plan
reads, each with a purpose of use of its own ("crash <request id>"), the
other half urgent-care notes (plan commands) with an Idempotency-Key of
their own (a read waits for the projection and a command does not, so
clients of their own keep both in flight at a kill). After a random delay
the service is SIGKILLed; the kill counts only when requests were in flight
at that moment (a round that missed is run again, within --time-bound). One
round in five (not counted as a kill) stops it with SIGTERM instead, so that
later rounds start from the snapshot it writes and then crash again.

A final start re-sends what is still unanswered, waits for /readyz and
stops with SIGTERM. Contract of run(): returns only when
- the log verifies (careledger verify and tests/independent/verify_export.py
  agree, log_checks.export_and_verify);
- every read answered 200 has its access record exactly once (one record
  with its purpose, one with its command id), at the partition and offset
  of its receipt, byte for byte the receipt's record, GRANTED, naming the
  NHS number, version and content hash the response showed; a read whose
  answer was lost has at most one record;
- every command was answered 200 in the end (APPLIED the first time it was
  answered, DUPLICATE only when an earlier attempt lost its answer), and its
  command id is on the log exactly once, on the patient's stream, at the
  position its answer named;
- the service's own projection, killed with it every round, has the
  fingerprint of a clean `careledger project --rebuild` of the same log;
- --kills kills landed with requests in flight and at least one command was
  durable but unanswered (its retry answered DUPLICATE);
and raises TestFailure otherwise.
"""

import base64
import collections
import http.client
import json
import os
import random
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

from harness import COMMAND_TIMEOUT, Episodes, TestFailure, require, say
from log_checks import export_and_verify
from projector_mode import compare_with_rebuild
from workload import synthetic_nhs_numbers

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "service"))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
from sample_plan import decode_export  # noqa: E402
from service_client import Service  # noqa: E402
import service_test  # noqa: E402  (its publish(): plans through `careledger submit`)

USER = "crew.lee"  # the sample directory's ambulance crew (urgent care, AMB001)
DEVICE = "dev-AMB001"
PATIENTS = 3
REQUEST_TIMEOUT = 60  # seconds; a request slower than this is a failure, not a loss
RESEND_ATTEMPTS = 20  # a command re-sent after a restart: attempts until it must be 200


class Cli:
    """`run(*args, stdin=)` over the harness's Ledger, as service_test.publish
    expects."""

    def __init__(self, ledger):
        self.ledger = ledger

    def run(self, *args, stdin=None):
        return subprocess.run(self.ledger.argv(*args), input=stdin, capture_output=True,
                              text=True, timeout=COMMAND_TIMEOUT)


class Request:
    """One read or command and what became of it."""

    def __init__(self, kind, request_id, nhs):
        self.kind = kind  # "read" or "command"
        self.id = request_id
        self.nhs = nhs
        self.answers = []  # (status, parsed body) of every attempt that was answered
        self.lost = 0  # attempts that got no answer (connection reset or refused)

    @property
    def purpose(self):
        return f"crash {self.id}"

    @property
    def command_id(self):
        return f"{USER}:{self.id}"

    def ok(self):
        """The 200 answer, or None."""
        return next((body for status, body in self.answers if status == 200), None)


class Load:
    """HTTPS clients of one running service; counts the requests in flight."""

    def __init__(self, service, token, device, patients):
        self.service = service
        self.token = token
        self.context = service.context(device)
        self.patients = patients
        self.lock = threading.Lock()
        self.in_flight = 0
        self.stop = threading.Event()
        self.unexpected = []  # (request id, status, body): answers the workload never earns

    def call(self, method, path, body=None, headers=None):
        """(status, parsed JSON body); raises OSError, ssl.SSLError or
        http.client.HTTPException when the answer is lost."""
        connection = http.client.HTTPSConnection(self.service.host, self.service.port,
                                                 context=self.context, timeout=REQUEST_TIMEOUT)
        sent = {"Authorization": "Bearer " + self.token, **(headers or {})}
        with self.lock:
            self.in_flight += 1
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
        finally:
            with self.lock:
                self.in_flight -= 1
            connection.close()
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, {"unparsable": data[:200].decode("utf-8", "replace")}

    def attempt(self, request):
        """One attempt of `request`; returns its status, or None when lost."""
        if request.kind == "read":
            path = (f"/v1/patients/{request.nhs}/plan?"
                    + urllib.parse.urlencode({"purpose": request.purpose}))
            call = ("GET", path, None, None)
        else:
            body = {"add_urgent_care_note": {"nhs_number": request.nhs,
                                             "text": f"Crash note {request.id}"},
                    "actor": {"purpose": "crash test"}}
            call = ("POST", "/v1/commands", json.dumps(body).encode(),
                    {"Content-Type": "application/json", "Idempotency-Key": request.id})
        try:
            status, answer = self.call(*call)
        except (OSError, ssl.SSLError, http.client.HTTPException):
            request.lost += 1
            return None
        request.answers.append((status, answer))
        # 503 is the service's "not recorded, nothing shown"; anything else
        # but 200 is wrong for this workload.
        if status not in (200, 503):
            self.unexpected.append((request.id, status, answer))
        return status

    def client(self, tag, kind, rng, issued):
        """Sends requests of `kind` ("read" or "command") until stopped."""
        number = 0
        while not self.stop.is_set():
            number += 1
            request = Request(kind, f"{tag}n{number}", rng.choice(self.patients))
            issued.append(request)
            self.attempt(request)


def wait_ready(load, bound=120.0):
    """Polls /readyz until 200 (the projection reached the log's end)."""
    deadline = time.monotonic() + bound
    last = None
    while time.monotonic() < deadline:
        try:
            status, body = load.call("GET", "/readyz")
            if status == 200:
                return
            last = (status, body)
        except (OSError, ssl.SSLError, http.client.HTTPException) as error:
            last = error
        time.sleep(0.1)
    raise TestFailure(f"HANG: /readyz did not answer 200 within {bound:.0f} s: {last}")


def run(args, work, ledger, rng):
    cli = Cli(ledger)
    patients = synthetic_nhs_numbers(PATIENTS, first=100)
    ledger.run("init")
    ledger.run("directory", "sample")
    require(service_test.publish(cli, patients, draft_for=patients[0]),
            "could not publish the plans the reads are of")
    token = ledger.run("token", "--user", USER, "--role", "urgent-care").stdout.strip()
    certs = os.path.join(work, "certs")
    ledger.run("directory", "issue-cert", "--device", DEVICE, "--out", certs)
    device = (os.path.join(certs, f"{DEVICE}.crt"), os.path.join(certs, f"{DEVICE}.key"))
    global_args = list(ledger.log_args) + (
        ["--writer-id", ledger.writer_id] if ledger.writer_id is not None else [])

    def start(label):
        began = time.monotonic()
        service = Service(ledger.binary, ledger.data_dir, global_args=global_args,
                          stderr_path=os.path.join(work, f"serve-{label}.err"))
        return service, Load(service, token, device, patients), time.monotonic() - began

    issued = []  # every Request, in no particular order
    pending = []  # commands with no 200 answer yet, in issue order
    figures = collections.Counter()
    startups = []
    landed_name = "kills with requests in flight"
    durable_name = "commands durable but unanswered (retry answered DUPLICATE)"
    rounds = Episodes(args.kills, args.time_bound,
                      lambda: figures[landed_name] >= args.kills and figures[durable_name] >= 1)
    say(f"service: rounds until {args.kills} kills land with requests in flight, at most "
        f"{args.time_bound:.0f} s, {args.clients} clients, against {ledger.describe}")
    started = time.monotonic()

    def resend(load, label):
        """Re-sends every pending command (same Idempotency-Key) to a
        service that just started: each must be answered 200 within
        RESEND_ATTEMPTS attempts (a 503, "not recorded", may be retried)."""
        for request in list(pending):
            for _ in range(RESEND_ATTEMPTS):
                status = load.attempt(request)
                if status == 200:
                    break
                time.sleep(0.2)
            require(status == 200, f"{label}: re-sent command {request.id} answered "
                    f"{status if status is not None else 'nothing'} {RESEND_ATTEMPTS} times: "
                    f"{request.answers[-1:]}")
            pending.remove(request)
            figures["commands re-sent after a kill"] += 1
            if request.answers[-1][1].get("outcome") == "OUTCOME_DUPLICATE":
                figures[durable_name] += 1

    for round_number in rounds:
        service, load, startup = start(round_number)
        startups.append(startup)
        try:
            resend(load, f"round {round_number}")
            clean_stop = round_number % 5 == 0
            round_issued = []
            threads = [threading.Thread(
                target=load.client,
                args=(f"r{round_number}t{t}", "command" if t % 2 else "read",
                      random.Random(rng.random()), round_issued),
                daemon=True) for t in range(args.clients)]
            for thread in threads:
                thread.start()
            time.sleep(rng.uniform(0.1, 0.8))
            with load.lock:
                in_flight = load.in_flight
                if clean_stop:
                    service.process.send_signal(signal.SIGTERM)
                else:
                    service.process.send_signal(signal.SIGKILL)
            load.stop.set()
            code = service.process.wait(timeout=COMMAND_TIMEOUT)
            for thread in threads:
                thread.join(timeout=REQUEST_TIMEOUT + 10)
                require(not thread.is_alive(), f"round {round_number}: a client hung")
        finally:
            if service.process.poll() is None:
                service.process.kill()
                service.process.wait()
        require(not load.unexpected, f"round {round_number}: unexpected answers "
                f"{load.unexpected[:3]}")
        if clean_stop:
            require(code == 0, f"round {round_number}: SIGTERM, the service exited {code}")
            figures["rounds stopped with SIGTERM"] += 1
        else:
            figures["kills"] += 1
            figures[landed_name] += in_flight > 0
            figures["requests in flight at the kills"] += in_flight
        issued.extend(round_issued)
        for request in round_issued:
            figures[f"{request.kind}s sent"] += 1
            if request.lost:
                figures[f"{request.kind}s whose answer was lost"] += 1
            if request.kind == "command" and request.ok() is None:
                pending.append(request)
        if args.verbose:
            say(f"  round {round_number}: start-up {startup:.2f} s, {len(round_issued)} "
                f"requests, {in_flight} in flight at the "
                f"{'SIGTERM' if clean_stop else 'kill'}, {len(pending)} commands to re-send")

    # The final start: what is still unanswered, then a clean stop once the
    # projection has reached the log's end.
    service, load, startup = start("final")
    try:
        resend(load, "final start")
        wait_ready(load)
        code, _ = service.stop(timeout=COMMAND_TIMEOUT)
    finally:
        if service.process.poll() is None:
            service.process.kill()
            service.process.wait()
    require(code == 0, f"final SIGTERM: the service exited {code}")
    require(not load.unexpected, f"final start: unexpected answers {load.unexpected[:3]}")
    loaded_seconds = time.monotonic() - started

    report, _ = export_and_verify(ledger, work, "service")
    check_reads_and_commands(os.path.join(work, "service-export.jsonl"), issued, figures)
    # The service's projection (tools/context.cc, Context::ProjectionDir).
    topic = ledger.log_args[ledger.log_args.index("--topic") + 1] if "--topic" in ledger.log_args \
        else None
    projection = os.path.join(ledger.data_dir, "projection",
                              f"kafka-{topic}" if topic else "embedded")
    require(os.path.isdir(projection), f"the service's projection is not at {projection}")
    fingerprint, rebuilt_records, caught_up = compare_with_rebuild(ledger, work, projection,
                                                                   "final")
    rounds.require_enough(f"only {figures[landed_name]} of {args.kills} kills with requests in "
                          f"flight and {figures[durable_name]} commands found durable on retry")
    say(f"service: OK in {loaded_seconds:.1f} s of rounds; seed {args.seed}")
    say(f"  campaign: {figures['kills']} kills ({figures[landed_name]} with requests in flight, "
        f"{figures['requests in flight at the kills']} requests in flight in all), "
        f"start-up median {sorted(startups)[len(startups) // 2]:.2f} s, "
        f"max {max(startups):.2f} s")
    for name in ("rounds stopped with SIGTERM", "reads sent", "reads answered 200",
                 "reads whose answer was lost", "lost reads recorded anyway",
                 "commands sent", "commands whose answer was lost",
                 "commands re-sent after a kill",
                 "commands durable but unanswered (retry answered DUPLICATE)"):
        say(f"  {name}: {figures[name]}")
    say(f"  log records: {report.records}; projection fingerprint {fingerprint} "
        f"(the service's projection applied {caught_up} more records after the final stop; "
        f"a clean rebuild applied {rebuilt_records})")
    say("  checked: careledger verify and verify_export.py agree; every read answered 200 has "
        "exactly one access record, at its receipt's position, byte for byte, naming the "
        "version and content hash shown; a lost read at most one; every command applied "
        "exactly once at the position answered; the service's projection equals a clean "
        "rebuild")


def check_reads_and_commands(export, issued, figures):
    """The log read back against every request's answers (see the module's
    contract)."""
    events = decode_export(export)
    raw = {}
    with open(export, encoding="utf-8") as file:
        for line in filter(str.strip, file):
            row = json.loads(line)
            raw[(row["partition"], row["offset"])] = row["value_base64"]
    at = {(p, o): (stream, body, event) for p, o, stream, body, event in events}
    by_purpose = collections.Counter()
    by_command = collections.Counter()
    for _, _, _, body, event in events:
        if event.get("command_id"):
            by_command[event["command_id"]] += 1
        if body == "access_recorded":
            by_purpose[event.get("actor", {}).get("purpose", "")] += 1
    for request in issued:
        answer = request.ok()
        if request.kind == "read":
            records = by_purpose[request.purpose]
            if answer is None:
                require(records <= 1, f"read {request.id} (answer lost) has {records} records")
                figures["lost reads recorded anyway"] += records
                continue
            figures["reads answered 200"] += 1
            receipt = answer.get("access", {})
            position = (receipt.get("partition"), receipt.get("offset"))
            require(records == 1 and by_command[receipt.get("command_id")] == 1,
                    f"read {request.id} answered 200 has {records} access records with its "
                    f"purpose, {by_command[receipt.get('command_id')]} with its command id")
            require(raw.get(position) == receipt.get("record"),
                    f"read {request.id}: the log's record at {position} is not the receipt's")
            _, body, event = at[position]
            granted = event.get("access_recorded", {})
            require(body == "access_recorded"
                    and granted.get("outcome") == "ACCESS_OUTCOME_GRANTED"
                    and granted.get("nhs_number") == request.nhs == answer.get("nhs_number")
                    and int(granted.get("version", 0)) == answer.get("version")
                    and base64.b64decode(granted.get("content_hash", "")).hex()
                    == answer.get("content_hash")
                    and event.get("actor", {}).get("purpose") == request.purpose
                    and event.get("command_id") == receipt.get("command_id"),
                    f"read {request.id}: the record at {position} says {event}, the answer "
                    f"showed version {answer.get('version')} hash {answer.get('content_hash')}")
            continue
        require(answer is not None, f"command {request.id} was never answered 200")
        outcomes = [body.get("outcome") for status, body in request.answers if status == 200]
        # Nothing is sent again after a 200, so every lost attempt and every
        # other answer came before it.
        earlier = request.lost + len(request.answers) - 1
        require(outcomes[0] == "OUTCOME_APPLIED" or earlier > 0,
                f"command {request.id} answered {outcomes[0]} the first time it was sent")
        require(all(outcome in ("OUTCOME_APPLIED", "OUTCOME_DUPLICATE") for outcome in outcomes),
                f"command {request.id} answered {outcomes}")
        require(by_command[request.command_id] == 1,
                f"command {request.id} is on the log {by_command[request.command_id]} times")
        position = (answer.get("partition"), answer.get("offset"))
        stream, _, event = at.get(position, (None, None, {}))
        require(event.get("command_id") == request.command_id
                and stream == f"patient/{request.nhs}",
                f"command {request.id} was answered at {position}, where the log holds "
                f"{stream} {event.get('command_id')}")
