"""`python -m game.script data/actions.json --match MATCH`: publish a scripted match.

The project began as a producer sending scripted player actions; this is that feature,
grown up. The file names players and, for each step, when it starts (`at_ms`, the
original timing) and what the player does, in the original vocabulary: move (with a
direction, or to a tile), attack (with a target, or a direction), collect an item, use an
item, wait, leave. Each player runs as a real client would: its moves are walked at the
game's speed, so every step passes the same rules as a human's. `--speed` shortens the
waits between steps; walking and cooldowns keep the game's pace, because the log judges
them by the rules.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from game.agent.autopilot import Autopilot, AutopilotError
from game.agent.player import PALETTE, Intent, PlayerAgent
from game.core.constants import FACING_NAMES
from game.core.maps import load_map
from game.core.world import Player, World
from game.crowd import Crowd, Member
from game.kafka import KafkaUnavailable, add_kafka_arguments, settings_from_args


class ScriptError(ValueError):
    """A script file that cannot be played, with a message that says where and why."""


class ScriptBrain:
    def __init__(self, autopilot: Autopilot) -> None:
        self.autopilot = autopilot

    @property
    def done(self) -> bool:
        return self.autopilot.done

    def think(self, agent: PlayerAgent, me: Player | None, world: World, now_ms: float) -> Intent:
        return self.autopilot.intent(now_ms, agent.x, agent.y, world)


def step_command(step: dict[str, Any]) -> str:
    """One step of the file as an autopilot command."""
    action = step.get("action")
    if action == "move":
        if "to" in step:
            tx, ty = step["to"]
            return f"goto {int(tx)} {int(ty)}"
        return f"walk {step['direction']} {int(step.get('ms', 500))}"
    if action == "attack":
        if "target" in step:
            return f"chase {step['target']}"
        return f"face {step.get('direction', 'south')}; attack"
    if action == "collect":
        return f"goto-item {int(step['item'])}; grab {int(step['item'])}"
    if action == "use":
        return "use"
    if action == "wait":
        return f"wait {int(step['ms'])}"
    raise ScriptError(f"unknown action {action!r}")


def load_script(path: Path) -> dict[str, Any]:
    try:
        script = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScriptError(f"cannot read {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ScriptError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(script, dict) or not isinstance(script.get("steps"), list):
        raise ScriptError(f"{path}: expected an object with a 'steps' list")
    return script


def players_of(script: dict[str, Any]) -> dict[str, str]:
    """Each player's autopilot program, from the steps in the file (in time order)."""
    programs: dict[str, list[str]] = {}
    for index, step in enumerate(sorted(script["steps"], key=lambda s: s.get("at_ms", 0))):
        name = step.get("player")
        if not isinstance(name, str) or not name:
            raise ScriptError(f"step {index + 1}: every step needs a 'player'")
        program = programs.setdefault(name, [])
        if step.get("action") == "join":
            continue
        if step.get("action") == "leave":
            program.append(f"until {int(step.get('at_ms', 0))}")
            program.append("leave")
            continue
        if "direction" in step and step["direction"] not in FACING_NAMES:
            raise ScriptError(f"step {index + 1}: direction must be one of {', '.join(FACING_NAMES)}")
        try:
            program.append(f"until {int(step.get('at_ms', 0))}")
            program.append(step_command(step))
        except (KeyError, TypeError, ValueError) as exc:
            raise ScriptError(f"step {index + 1} ({step.get('action')}): {exc}") from exc
    # "leave" ends a program: everything after it is dropped.
    return {
        name: "; ".join(cmds[: cmds.index("leave")] if "leave" in cmds else cmds)
        for name, cmds in programs.items()
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m game.script", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="a script such as data/actions.json")
    parser.add_argument("--match", default="scripted")
    parser.add_argument("--speed", type=float, default=1.0, help="shorten waits by this factor (default 1)")
    add_kafka_arguments(parser)
    args = parser.parse_args(argv)
    if args.speed <= 0:
        parser.error("--speed must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        script = load_script(args.file)
        programs = players_of(script)
        tile_map = load_map(script.get("map", "arena"))
        crowd = Crowd(settings_from_args(args), args.match, tile_map.name)
        crowd.catch_up()
    except (ScriptError, AutopilotError, KafkaUnavailable, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for index, (name, program) in enumerate(programs.items()):
        try:
            autopilot = Autopilot(program, crowd.replica.world.maps[crowd.map_name])
        except AutopilotError as exc:
            print(f"error: player {name}: {exc}", file=sys.stderr)
            return 2
        autopilot.time_scale = args.speed
        agent = PlayerAgent(name, crowd.map_name, color=PALETTE[index % len(PALETTE)])
        crowd.add(Member(agent, ScriptBrain(autopilot), join_at_ms=index * 50))
    started = time.monotonic()
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C: stop, everyone leaves, summary
        crowd.run(seconds=600)
    refused = [m.agent.name for m in crowd.members.values() if m.agent.join_rejected]
    for name in refused:
        print(f"error: {name} could not join {args.match}: name taken", file=sys.stderr)
    print(
        json.dumps(
            crowd.replica.summary()  # offset, hash, applied, rejected, skipped: as every reader's
            | {
                "match": args.match,
                "players": len(programs),
                "sent": crowd.sent,
                "seconds": round(time.monotonic() - started, 2),
            },
            sort_keys=True,
        )
    )
    return 2 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
