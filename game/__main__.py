"""`python -m game --name NAME --match MATCH`: join (or create) a match and play."""

from __future__ import annotations

import argparse
import getpass
import sys

from game.agent.autopilot import AutopilotError, parse_script
from game.core.constants import MAX_NAME_CHARS
from game.core.maps import DEFAULT_MAP, available_maps
from game.kafka import MATCH_NAME, add_kafka_arguments, settings_from_args
from game.window.headless import add_window_arguments, prepare_display


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m game", description="Play Kafka Arena.")
    parser.add_argument("--name", default=_default_name(), help="your name in the match")
    parser.add_argument("--match", default="main", help="the match to join or create (default: main)")
    parser.add_argument("--map", default=DEFAULT_MAP, choices=available_maps(), help="map of a new match")
    parser.add_argument("--autopilot", metavar="SCRIPT", help='scripted input, e.g. "goto-item 3; attack"')
    parser.add_argument(
        "--verify-checkpoint",
        action="store_true",
        help="also fold the match from offset 0 in the background and say loudly if the "
        "checkpoint the window started from disagrees",
    )
    parser.add_argument(
        "--no-checkpoint",
        action="store_true",
        help="fold the match from offset 0 instead of starting at its latest checkpoint",
    )
    add_kafka_arguments(parser)
    add_window_arguments(parser)
    args = parser.parse_args(argv)
    if not 1 <= len(args.name) <= MAX_NAME_CHARS or not args.name.isprintable():
        parser.error(f"--name must be 1 to {MAX_NAME_CHARS} printable characters")
    if not MATCH_NAME.match(args.match):
        parser.error("--match must be 1-64 letters, digits, '-' or '_'")
    if args.autopilot:
        try:
            parse_script(args.autopilot)
        except AutopilotError as exc:
            parser.error(f"--autopilot: {exc}")
    return args


def _default_name() -> str:
    try:
        return getpass.getuser()[:MAX_NAME_CHARS] or "player"
    except Exception:  # no user database entry (containers)
        return "player"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    prepare_display(args.headless)
    from game.window.client import PlayerOptions, run_player  # after SDL is told which drivers to use

    try:
        settings = settings_from_args(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    options = PlayerOptions(
        name=args.name,
        match=args.match,
        map_name=args.map,
        settings=settings,
        headless=args.headless,
        seconds=args.seconds,
        screenshot=args.screenshot,
        autopilot=args.autopilot,
        verify_checkpoint=args.verify_checkpoint,
        use_checkpoint=not args.no_checkpoint,
    )
    return run_player(options)


if __name__ == "__main__":
    sys.exit(main())
