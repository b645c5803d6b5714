"""`python -m spectator` arguments, shared by the window and the text modes."""

from __future__ import annotations

import argparse
from pathlib import Path

from game.kafka import STATS_TOPIC, add_kafka_arguments
from game.stats.history import default_db_path
from game.window.headless import add_window_arguments


def parse_speed(text: str) -> float:
    """A playback speed: a positive number, or `max` (returned as 0: no clock)."""
    if text == "max":
        return 0.0
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--speed wants a number or 'max', not {text!r}") from None
    if not 0.01 <= value <= 1000:
        raise argparse.ArgumentTypeError("--speed must be between 0.01 and 1000 (or 'max')")
    return value


# The window's keys, as --help lists them (the README's "Spectator keys" table says the same).
KEYS = (
    ("Space", "pause or play"),
    ("+ and - (or ] and [)", "speed x0.25 to x16"),
    (". (paused)", "step one record"),
    ("Left, Right", "seek 5 s back or forward"),
    ("click or drag the timeline", "seek there"),
    ("Home", "the start of the match"),
    ("End or L", "back to live"),
    ("N, P", "next or previous marker (kills, pickups, joins, leaves, round starts and ends)"),
    ("R, Shift+R", "next or previous round start (also Page Down, Page Up)"),
    ("K", "kill-cam: the few seconds before the last kill, at x0.5"),
    ("C, Z", "camera: whole map or follow each player in turn; zoom"),
    ("Tab, A", "scoreboard; all-time standings from the stats topic"),
    ("F3", "debug overlay"),
    ("Esc", "quit"),
)


def build_parser() -> argparse.ArgumentParser:
    width = max(len(key) for key, _ in KEYS)
    parser = argparse.ArgumentParser(
        prog="python -m spectator",
        description="Watch a Kafka Arena match from its log: live, or replayed and rewound.",
        epilog="window keys:\n" + "\n".join(f"  {key:<{width}}  {does}" for key, does in KEYS),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--match", help="the match to watch (none: pick one from the broker)")
    parser.add_argument("--from-start", action="store_true", help="replay from the beginning instead of live")
    parser.add_argument("--speed", type=parse_speed, default=1.0, help="replay speed (default 1, or 'max')")
    parser.add_argument("--exit-at-end", action="store_true", help="quit once the end of the log is shown")
    parser.add_argument(
        "--delay", type=float, default=0.0, metavar="SECONDS", help="stay this far behind live"
    )
    parser.add_argument("--follow", metavar="NAME", help="follow this player with the camera")
    parser.add_argument("--debug", action="store_true", help="start with the debug overlay (F3) shown")
    parser.add_argument(
        "--alltime", action="store_true", help="start with the scoreboard's all-time view (A)"
    )
    parser.add_argument(
        "--from-offset",
        type=int,
        metavar="X",
        help="replay from this log offset: a session's first (see --history); nothing before it is folded",
    )
    parser.add_argument("--to-offset", type=int, metavar="Y", help="stop reading after this log offset")
    parser.add_argument(
        "--no-checkpoint",
        action="store_true",
        help="live: fold the whole match from offset 0 instead of starting at its latest checkpoint",
    )
    parser.add_argument(
        "--stats-topic",
        default=STATS_TOPIC,
        help=f"the stats processor's topic, for the standings (default {STATS_TOPIC})",
    )
    history = parser.add_argument_group("history (matches written by `python -m game.history`)")
    history.add_argument("--history", action="store_true", help="list past matches, newest first")
    history.add_argument(
        "--db", type=Path, default=default_db_path(), help=f"history database (default {default_db_path()})"
    )
    history.add_argument(
        "--replay", type=int, metavar="N", help="with --history: replay match N of the list (1 = newest)"
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--text", action="store_true", help="print each action as a line")
    output.add_argument("--jsonl", action="store_true", help="print each action as JSON")
    add_window_arguments(parser)
    add_kafka_arguments(parser)
    return parser
