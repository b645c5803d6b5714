"""`python -m bench proof`: what proving a join costs an honest player, against an open join.

On a broker with accounts (`python -m broker start --secure`, then `python -m broker user add
NAME --secure`), alternately opens a headless player window with a shared role login (an
open join: `--open-config`, e.g. the `player` login) and with an account (a proven join:
`--proven-config`), each into a fresh match, and prints one JSON line: every window's ready
time (opened → its join applied, the window's own `ready_s`), the medians and their difference.
Sequential and alternated, so machine noise falls on both alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from typing import Any

from bench.common import child_env, delete_matches, fresh_match
from game.kafka import KafkaSettings, read_config_file


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench proof", description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True, help="a broker with accounts, e.g. 127.0.0.1:9192")
    parser.add_argument("--open-config", required=True, help="a shared role login's config (no identity)")
    parser.add_argument("--proven-config", required=True, help="an account's config (`broker user add`)")
    parser.add_argument("--runs", type=int, default=9, help="windows of each kind (9)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def open_window(bootstrap: str, config: str, match: str, *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "game", "--match", match, "--headless", "--seconds", "3",
         "--bootstrap", bootstrap, "--kafka-config", config, *extra],
        capture_output=True, text=True, env=child_env(), timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"the window did not finish: {done.stderr.strip()[-500:]}")
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return summary


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    opened: list[float] = []
    proven: list[float] = []
    matches: list[str] = []
    try:
        for run in range(args.runs):
            for config, ready, extra in (
                (args.open_config, opened, ("--name", f"open{run}")),
                (args.proven_config, proven, ()),
            ):
                matches.append(fresh_match("proof"))
                summary = open_window(args.bootstrap, config, matches[-1], *extra)
                if summary.get("ready_s") is None:
                    raise RuntimeError(f"a window never joined: {summary}")
                if (summary["proof_at"] >= 0) != (config == args.proven_config):
                    raise RuntimeError(
                        f"{config}: the join was not the kind expected (proof_at {summary['proof_at']})"
                    )
                ready.append(summary["ready_s"])
    except RuntimeError as exc:
        print(json.dumps({"bench": "proof", "error": str(exc)}), flush=True)
        return 1
    finally:
        admin = KafkaSettings(args.bootstrap, tuple(read_config_file(args.proven_config)))
        delete_matches(admin, matches)
    print(
        json.dumps(
            {
                "bench": "proof",
                "runs": args.runs,
                "open_ready_s": opened,
                "proven_ready_s": proven,
                "open_median_s": statistics.median(opened),
                "proven_median_s": statistics.median(proven),
                "added_ms": round((statistics.median(proven) - statistics.median(opened)) * 1000),
            }
        ),
        flush=True,
    )
    return 0
