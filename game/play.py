"""`python -m game.play` (what `make play` runs): a spectator, a few bots and your window.

The spectator and the bots run as their own processes, exactly as a user would start them,
in the match `main` (or --match); closing the player window (or Ctrl+C) ends them too. Your
window opens on the title screen, where `main` is listed beside every other match being
played; --match or --name skips it and joins straight away, as before.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys

from game.__main__ import main as play
from game.kafka import add_kafka_arguments, settings_from_args
from game.window.headless import add_window_arguments


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m game.play", description=__doc__.splitlines()[0])
    parser.add_argument("--name", help="your name (skips the title screen)")
    parser.add_argument(
        "--match", help="the match of the bots and the spectator (default main); skips the title screen"
    )
    parser.add_argument("--bots", type=int, default=3, help="bot opponents (default 3, 0 for none)")
    parser.add_argument("--no-spectator", action="store_true")
    parser.add_argument(
        "--no-stats",
        action="store_true",
        help="do not start a stats processor (it writes standings and the checkpoints joins start from)",
    )
    add_kafka_arguments(parser)
    add_window_arguments(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bootstrap = settings_from_args(args).bootstrap
    kafka = ["--bootstrap", bootstrap]
    if args.kafka_config:
        kafka += ["--kafka-config", args.kafka_config]
    for override in args.kafka_overrides:
        kafka += ["-X", override]
    common = ["--match", args.match or "main", *kafka]
    window = []
    if args.headless:
        window.append("--headless")
    if args.seconds is not None:
        window += ["--seconds", str(args.seconds + 2)]
    helpers = []
    if args.bots > 0:
        bot_args = ["--count", str(args.bots)]
        if args.seconds is not None:
            bot_args += ["--seconds", str(args.seconds + 1)]
        helpers.append([sys.executable, "-m", "game.bots", *common, *bot_args])
    if not args.no_spectator:
        helpers.append([sys.executable, "-m", "spectator", *common, *window])
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL if args.headless else None) for cmd in helpers]
    if not args.no_stats:
        # One more member of the processors' group (they share the matches by rebalancing), so
        # the main command has standings, the all-time view and fresh checkpoints to join from.
        stats = [sys.executable, "-m", "game.stats", *kafka, "--instance", f"play-{os.getpid()}"]
        procs.append(subprocess.Popen(stats, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    player = [*kafka]
    if args.name is not None or args.match is not None:  # else the title screen asks
        player += ["--name", args.name] if args.name is not None else []
        player += ["--match", args.match or "main"]
    if args.headless:
        player.append("--headless")
    if args.seconds is not None:
        player += ["--seconds", str(args.seconds)]
    if args.screenshot:
        player += ["--screenshot", args.screenshot]
    try:
        code = play(player)
    except KeyboardInterrupt:
        code = 130
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return code


if __name__ == "__main__":
    sys.exit(main())
