"""`python -m game`: the title screen (your name, the matches being played, a new one), then play.

`python -m game --name NAME --match MATCH` (either flag) skips the title screen: join (or
create) that match straight away, as scripts, tests and bots do.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from game.agent.autopilot import AutopilotError, parse_script
from game.agent.player import round_length_problem
from game.core.constants import DEFAULT_ROUND_S, MAX_NAME_CHARS, MAX_ROUND_S, MIN_ROUND_S
from game.core.maps import DEFAULT_MAP, available_maps
from game.kafka import MATCH_NAME, KafkaSettings, add_kafka_arguments, settings_from_args
from game.window.headless import add_window_arguments, prepare_display
from game.window.profile import login_name, remember_name, remembered_name
from game.window.title_state import ScriptError, Step
from game.window.title_state import parse_script as parse_title_script

if TYPE_CHECKING:
    from game.window.client import PlayerOptions


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m game", description="Play Kafka Arena.")
    parser.add_argument(
        "--name",
        help="your name in the match (skips the title screen; default: your last one, else your login)",
    )
    parser.add_argument(
        "--match", help="the match to join or create (skips the title screen; default with --name: main)"
    )
    parser.add_argument("--map", default=DEFAULT_MAP, choices=available_maps(), help="map of a new match")
    parser.add_argument(
        "--round-seconds",
        type=int,
        default=0,
        help=f"round length of a new match, s ({MIN_ROUND_S}-{MAX_ROUND_S}; default {DEFAULT_ROUND_S})",
    )
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
    parser.add_argument(
        "--title-script",
        metavar="SCRIPT",
        help='drive the title screen (headless tests): "type alice; key enter; until-listed m1; '
        'select m1; key enter" (steps: type, key, click, wait MS, until-listed, select)',
    )
    parser.add_argument(
        "--title-screenshot", metavar="PATH", help="save the title screen's last frame as a PNG"
    )
    add_kafka_arguments(parser)
    add_window_arguments(parser)
    args = parser.parse_args(argv)
    args.title = args.name is None and args.match is None
    if args.name is None:
        args.name = remembered_name() or login_name()
    if args.match is None:
        args.match = "main"
    if not 1 <= len(args.name) <= MAX_NAME_CHARS or not args.name.isprintable():
        parser.error(f"--name must be 1 to {MAX_NAME_CHARS} printable characters")
    if (problem := round_length_problem(args.round_seconds)) is not None:
        parser.error(f"--round-seconds: {problem}")
    if not MATCH_NAME.match(args.match):
        parser.error("--match must be 1-64 letters, digits, '-' or '_'")
    if args.autopilot:
        try:
            parse_script(args.autopilot)
        except AutopilotError as exc:
            parser.error(f"--autopilot: {exc}")
    args.title_steps = []
    if args.title_script:
        try:
            args.title_steps = parse_title_script(args.title_script)
        except ScriptError as exc:
            parser.error(f"--title-script: {exc}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    prepare_display(args.headless)
    from game.window.client import run_player  # after SDL is told which drivers to use

    try:
        settings = settings_from_args(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.title:
        return title_then_play(args, settings)
    return run_player(player_options(args, settings, args.name, args.match, args.map, args.seconds))


def player_options(
    args: argparse.Namespace,
    settings: KafkaSettings,
    name: str,
    match: str,
    map_name: str,
    seconds: float | None,
) -> PlayerOptions:
    from game.window.client import PlayerOptions  # pygame: after prepare_display

    return PlayerOptions(
        name=name,
        match=match,
        map_name=map_name,
        settings=settings,
        headless=args.headless,
        seconds=seconds,
        screenshot=args.screenshot,
        autopilot=args.autopilot,
        verify_checkpoint=args.verify_checkpoint,
        use_checkpoint=not args.no_checkpoint,
        refusal_shown_s=0.0 if args.title else 4.0,
        round_s=args.round_seconds,
    )


def title_then_play(args: argparse.Namespace, settings: KafkaSettings) -> int:
    """The title screen until a match is chosen; play it; a refusal brings the screen back
    with what to do. `--seconds` bounds the whole run (title and match)."""
    from game.window.client import play_match
    from game.window.title import run_title
    from game.window.title_state import initial_state, refusal_message, update

    deadline = None if args.seconds is None else time.monotonic() + args.seconds
    remembered = remembered_name()
    state = initial_state(
        remembered or args.name, available_maps(), remembered=remembered is not None, map_name=args.map,
        seed=int(time.time() * 1000),
    )  # fmt: skip
    steps: list[Step] = list(args.title_steps)
    while True:
        shown = run_title(
            settings,
            state,
            headless=args.headless,
            deadline=deadline,
            screenshot=args.title_screenshot,
            screenshot_if_left=args.screenshot,
            script=steps,
        )
        choice = shown.choice
        if choice is None:
            if shown.state.broker_error and args.headless:
                print(shown.state.broker_error, file=sys.stderr)
                return 2
            return 0
        left = None if deadline is None else max(0.5, deadline - time.monotonic())
        result = play_match(player_options(args, settings, choice.name, choice.match, choice.map_name, left))
        if result.refusal is None:
            remember_name(choice.name)  # a name the match took: the one to offer next time
            return result.code
        state = update(shown.state, refusal_message(result.reason, result.refusal, choice))
        steps = []  # a script drives the first visit only
        if deadline is not None and time.monotonic() >= deadline:
            print(result.refusal, file=sys.stderr)
            return result.code


if __name__ == "__main__":
    sys.exit(main())
