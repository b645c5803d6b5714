"""Scripted input for headless players: a tiny command language that stands in for keys.

    "goto-item 5; grab 5; wait 800; walk east 600; attack; use"

Each command runs until done and yields, per frame, what a person's keys would have:
a walking direction, an attack press, a forced pickup or a potion drink.
"""

from __future__ import annotations

from game.constants import FACING_NAMES, FACING_VECTORS
from game.maps import TileMap, tile_centre
from game.navigate import Steering
from game.player import IDLE, Intent


class AutopilotError(ValueError):
    pass


def parse_script(text: str) -> list[list[str]]:
    commands = [part.split() for part in text.replace("\n", ";").split(";") if part.strip()]
    for words in commands:
        name = words[0]
        if name not in {"wait", "walk", "goto", "goto-item", "grab", "attack", "use", "face"}:
            raise AutopilotError(f"unknown autopilot command {name!r}")
        if name in {"walk", "face"} and words[1] not in FACING_NAMES:
            raise AutopilotError(f"{name} wants a direction ({', '.join(FACING_NAMES)})")
    return commands


class Autopilot:
    def __init__(self, script: str, tile_map: TileMap) -> None:
        self.commands = parse_script(script)
        self.tile_map = tile_map
        self.steering = Steering()
        self._started_ms: float | None = None

    @property
    def done(self) -> bool:
        return not self.commands

    def intent(self, now_ms: float, x: int, y: int) -> Intent:
        """What to do this frame, given the player's predicted position (units)."""
        while self.commands:
            words = self.commands[0]
            if self._started_ms is None:
                self._started_ms = now_ms
            elapsed = now_ms - self._started_ms
            name = words[0]
            if name == "wait":
                if elapsed < float(words[1]):
                    return IDLE
            elif name == "walk":
                if elapsed < float(words[2]):
                    fx, fy = FACING_VECTORS[FACING_NAMES.index(words[1])]
                    return Intent(direction=(float(fx), float(fy)))
            elif name in {"goto", "goto-item"}:
                if name == "goto":
                    gx, gy = tile_centre(int(words[1]), int(words[2]))
                else:
                    spawn = self.tile_map.items[int(words[1])]
                    gx, gy = spawn.x, spawn.y
                self.steering.go_to(self.tile_map, x, y, gx, gy)
                direction = self.steering.direction(x, y)
                if direction != (0.0, 0.0) and elapsed < 20_000:
                    return Intent(direction=direction)
                self.steering.stop()
            else:
                self._next()
                if name == "grab":
                    return Intent(grab=int(words[1]))
                if name == "attack":
                    return Intent(attack=True)
                if name == "use":
                    return Intent(use=True)
                if name == "face":
                    return Intent(face=FACING_NAMES.index(words[1]))
                continue
            self._next()
        return IDLE

    def _next(self) -> None:
        self.commands.pop(0)
        self._started_ms = None
