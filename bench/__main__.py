"""`python -m bench NAME [--bootstrap HOST:PORT] [options]`, NAME in latency, replay, load,
wire, frames, join or all.

Each benchmark starts from a broker address alone, creates fresh match topics (deleted
afterwards unless --keep-topics), and prints ONE JSON line: its figures, the settings used
and a raw baseline measured in the same run. `all` runs them in turn, one line each.

`join` (bench/join.py: joining from a checkpoint vs from offset 0, one line per match size)
has options of its own (`python -m bench join --help`; its --actions takes a list) and takes
many minutes at its default sizes, so `all` leaves it out. So does `fanout` (bench/fanout.py:
N players each with its own producer and reader, one line per step; `python -m bench fanout -h`)
and `proof` (bench/proof.py: open joins against proven joins on a broker with accounts).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from bench import fanout, frames, join, latency, load, proof, replay, wire
from bench.common import broker_pid, delete_matches, finite
from game.kafka import KafkaSettings, KafkaUnavailable, add_kafka_arguments, settings_from_args

NAMES = ("latency", "replay", "load", "wire", "frames")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Kafka Arena benchmarks; one JSON line of figures per benchmark.",
    )
    parser.add_argument(
        "name",
        choices=(*NAMES, "join", "fanout", "proof", "all"),
        help="benchmark to run (join, fanout: see `python -m bench join -h`, `... fanout -h`)",
    )
    add_kafka_arguments(parser)
    parser.add_argument("--seed", type=int, default=7, help="seed for bots and recordings (7)")
    parser.add_argument("--keep-topics", action="store_true", help="keep the benchmark's match topics")
    parser.add_argument(
        "--reader-batch",
        type=int,
        default=latency.DEFAULT_READER_BATCH,
        help="records per MatchReader.poll of live readers (the spectator's: 5000)",
    )
    parser.add_argument(
        "--reader-timeout",
        type=float,
        default=0.05,
        help="MatchReader.poll timeout of live readers, s (the spectator's: 0.05)",
    )
    for module in (latency, replay, load, frames, wire):
        module.add_arguments(parser)
    return parser


def _runners(args: argparse.Namespace, settings: KafkaSettings) -> dict[str, Callable[[], dict[str, Any]]]:
    return {
        "latency": lambda: latency.run(args, settings),
        "replay": lambda: replay.run(args, settings),
        "load": lambda: load.run(args, settings, broker_pid(settings.bootstrap)),
        "wire": lambda: wire.run(args),
        "frames": lambda: frames.run(args),
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["join"]:
        return join.main(argv[1:])
    if argv[:1] == ["fanout"]:
        return fanout.main(argv[1:])
    if argv[:1] == ["proof"]:
        return proof.main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = random.SystemRandom().getrandbits(32)
    try:
        load.parse_ladder(args.ladder)
    except ValueError as exc:
        parser.error(str(exc))
    settings = settings_from_args(args)
    runners = _runners(args, settings)
    failed = 0
    for name in NAMES if args.name == "all" else (args.name,):
        started = time.monotonic()
        try:
            result = runners[name]()
        except (KafkaUnavailable, RuntimeError) as exc:
            print(json.dumps({"bench": name, "error": str(exc)}), flush=True)
            failed += 1
            continue
        matches = result.pop("_matches", [])
        if not args.keep_topics:
            delete_matches(settings, matches)
        result["seconds"] = round(time.monotonic() - started, 1)
        print(json.dumps(finite(result)), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
