#!/usr/bin/python3
"""Crash and tamper tests of careledger, driving the real `careledger` program.

Modes (each exits 0 when everything it checks holds, 1 with the reason when
not; every run prints its seed, and --seed N replays it):

  writer    rounds of `careledger --json submit` (reading `-` or
            /dev/stdin), each SIGKILLed after a random delay while it works,
            with `careledger checkpoint` runs (also killed) in between, until
            --kills rounds were killed (a fifth mid-stream) or --time-bound
            passed; unacknowledged commands are sent again (same command ids)
            in the next round; a final clean run sends what was never
            acknowledged.
            Then the log must verify (careledger
            verify and tests/independent/verify_export.py), every acknowledged
            command must be in the log exactly once at the acknowledged stream
            position, no command twice, nothing lost, and each stream must
            hold its commands in submission order.
  projector `careledger project` SIGKILLed again and again while it catches up
            with a growing log (appended by writers that are killed too, with
            a projector running beside them); the projection it finally
            reaches must have the fingerprint of a clean rebuild from the log.
  fence     (Kafka) a second writer with the same --writer-id fences the
            first: the first's next append fails with "fenced", the second
            succeeds, and no stream forks.
  tamper    a `careledger demo` log exported and tampered with in many ways;
            verify_export.py must fail at the right partition and offset.
  service   `careledger serve` SIGKILLed under load (concurrent HTTPS urgent-
            care reads with a purpose of their own and notes with an
            Idempotency-Key) until --kills kills (default 50) landed with
            requests in flight; commands whose answers were lost are re-sent
            (same key) after the restart. Then the log must verify, every read
            answered 200 must have exactly one access record (at its receipt's
            position, naming what was shown), every command must be applied
            exactly once, and the service's projection must equal a clean
            rebuild.
  cluster   (Kafka) a three-broker cluster of its own (kafka.sh cluster),
            replication factor 3, min.insync.replicas=2: writing goes on with
            one broker SIGKILLed, stops with a clear error with two, resumes
            when one returns; nothing acknowledged lost or duplicated.

Standard library only, plus verify_export.py (python3-protobuf and
python3-cryptography) for reading the log. Kafka modes other than cluster
need CARELEDGER_KAFKA_BOOTSTRAP and fail without it.

Modes whose kills must land while the process works (writer, projector) run
more rounds until they do, within --time-bound seconds (harness.Episodes).
CARELEDGER_CRASH_KILLS and CARELEDGER_CRASH_TIME_BOUND set the defaults of
--kills and --time-bound (e.g. CARELEDGER_CRASH_KILLS=100 for the 100-kill
campaign).

This file only parses the command line and runs one mode. The rest lives
beside it (tests/crash/README.md): harness.py (running careledger, answers),
workload.py (synthetic commands), log_checks.py (the log read back),
tamper_lab.py, and one <mode>_mode.py per mode, whose run(args, work, ledger,
rng) returns when all its checks hold and raises TestFailure when not.
"""

import argparse
import os
import random
import shutil
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)  # the modules below live beside this file

# After the path is set (harness.py makes tests/independent importable too).
import cluster_mode  # noqa: E402
import fence_mode  # noqa: E402
import projector_mode  # noqa: E402
import service_mode  # noqa: E402
import tamper_mode  # noqa: E402
import writer_mode  # noqa: E402
from harness import (Ledger, TestFailure, env_int, kafka_target, make_work_dir,  # noqa: E402
                     say)
from harness import verify_export  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("writer", "projector", "fence", "tamper", "cluster",
                                         "service"))
    parser.add_argument("--careledger", required=True, help="the careledger binary")
    parser.add_argument("--backend", choices=("embedded", "kafka"), default="embedded")
    parser.add_argument("--seed", type=int, help="replay a run (default: random)")
    parser.add_argument("--kills", type=int, default=env_int("CARELEDGER_CRASH_KILLS", 0) or None,
                        help="writer: rounds to kill (a fifth of them mid-stream); service: "
                        "kills that land with requests in flight; default "
                        "$CARELEDGER_CRASH_KILLS, else 25 (writer) or 50 (service)")
    parser.add_argument("--time-bound", type=float,
                        default=env_int("CARELEDGER_CRASH_TIME_BOUND", 0) or None,
                        help="writer, projector: seconds after which no new round starts "
                        "(default $CARELEDGER_CRASH_TIME_BOUND, else 20 s per kill for the "
                        "writer, 600 s for the projector)")
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--min-new", type=int, default=100, help="writer: new commands per round")
    parser.add_argument("--max-new", type=int, default=300)
    # The projector commits every 2,000 records (projections/projector.h), so
    # an episode needs more than that for a kill to leave a partial prefix.
    parser.add_argument("--episodes", type=int, default=8, help="projector: append+kill episodes")
    parser.add_argument("--initial", type=int, default=6000, help="projector: first commands")
    parser.add_argument("--min-chunk", type=int, default=2500)
    parser.add_argument("--max-chunk", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=6,
                        help="service: concurrent HTTPS clients")
    parser.add_argument("--races", type=int, default=5, help="fence: writer races")
    parser.add_argument("--writer-id", help="Kafka: the --writer-id of every writer "
                        "(default: unique to this run)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = int.from_bytes(os.urandom(4), "big")
    if args.mode in ("fence", "cluster"):
        args.backend = "kafka"
    if args.kills is None:
        args.kills = 50 if args.mode == "service" else 25
    if args.time_bound is None:
        args.time_bound = {"writer": 20.0 * args.kills,
                           "service": 8.0 * args.kills}.get(args.mode, 600.0)
    if args.kills < 1 or args.time_bound <= 0:
        parser.error("--kills and --time-bound must be positive")
    say(f"crash_test {args.mode} ({args.backend}): seed {args.seed} "
        f"(replay with --seed {args.seed})")
    rng = random.Random(args.seed)
    if not os.access(args.careledger, os.X_OK):
        say(f"FAIL: {args.careledger} is not an executable")
        return 1
    bootstrap, topic, writer_id = None, None, None
    if args.backend == "kafka" and args.mode != "cluster":  # cluster starts its own
        target = kafka_target(args.mode, args.seed, args.writer_id)
        if target is None:
            return 1  # said FAIL: without a broker a Kafka mode fails, never skips
        bootstrap, topic, writer_id = target
    work = make_work_dir(args.mode)
    ledger = None  # cluster mode makes its own, once its cluster runs
    if args.mode != "cluster":
        ledger = Ledger(os.path.abspath(args.careledger), os.path.join(work, "data"),
                        args.backend, bootstrap, topic, writer_id)
    started = time.monotonic()
    modes = {"writer": writer_mode.run, "projector": projector_mode.run,
             "fence": fence_mode.run, "tamper": tamper_mode.run, "cluster": cluster_mode.run,
             "service": service_mode.run}
    try:
        modes[args.mode](args, work, ledger, rng)
    except TestFailure as failure:
        say(f"FAIL ({args.mode}, {args.backend}, seed {args.seed}): {failure}")
        say(f"  work directory kept: {work}")
        return 1
    except verify_export.UsageError as error:
        say(f"FAIL ({args.mode}): verify_export could not read its input: {error}")
        say(f"  work directory kept: {work}")
        return 1
    except Exception:  # a bug here, or output careledger no longer gives
        say(f"FAIL ({args.mode}, {args.backend}, seed {args.seed}): unexpected error:\n"
            f"{traceback.format_exc()}")
        say(f"  work directory kept: {work}")
        return 1
    say(f"{args.mode}: {time.monotonic() - started:.1f} s in all")
    if args.keep:
        say(f"  work directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
