"""Scripted input for headless players: a tiny command language that stands in for keys.

    "goto-item 5; grab 5; wait 800; walk east 600; attack; use; chase bob; until 9000"

`until MS` waits for MS after the script started (scripts with original timing), `chase
NAME` walks to a player and swings once in reach.

Each command runs until done and yields, per frame, what a person's keys would have:
a walking direction, an attack press, a forced pickup or a potion drink.
"""

from __future__ import annotations

from game.agent.navigate import Steering
from game.agent.player import IDLE, Intent, facing_of
from game.core.constants import ATTACK_RANGE_UNITS, FACING_NAMES, FACING_VECTORS
from game.core.maps import TileMap, tile_centre
from game.core.world import World


class AutopilotError(ValueError):
    pass


# Each command and the kinds of its arguments: n a number, i a whole number, d a direction,
# s any word.
_SIGNATURES = {
    "wait": "n",
    "until": "n",
    "walk": "dn",
    "goto": "ii",
    "goto-item": "i",
    "grab": "i",
    "attack": "",
    "use": "",
    "face": "d",
    "chase": "s",
}


def parse_script(text: str) -> list[list[str]]:
    """The script's commands, each checked now so a typo is one message before play starts."""
    commands = [part.split() for part in text.replace("\n", ";").split(";") if part.strip()]
    for words in commands:
        name, values = words[0], words[1:]
        signature = _SIGNATURES.get(name)
        if signature is None:
            raise AutopilotError(f"unknown autopilot command {name!r} (known: {', '.join(_SIGNATURES)})")
        if len(values) != len(signature):
            raise AutopilotError(f"{name} takes {len(signature)} argument(s): {' '.join(words)!r}")
        for kind, value in zip(signature, values, strict=True):
            if kind == "d" and value not in FACING_NAMES:
                raise AutopilotError(f"{name} wants a direction ({', '.join(FACING_NAMES)}), not {value!r}")
            if kind in "ni" and not _is_number(value, whole=kind == "i"):
                raise AutopilotError(f"{name} wants a {'whole ' if kind == 'i' else ''}number, not {value!r}")
    return commands


def _is_number(text: str, *, whole: bool) -> bool:
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        return False
    return value >= 0


class Autopilot:
    def __init__(self, script: str, tile_map: TileMap) -> None:
        self.commands = parse_script(script)
        self.tile_map = tile_map
        self.steering = Steering()
        self._started_ms: float | None = None
        self._script_started_ms: float | None = None
        self.time_scale = 1.0  # waits are divided by it (a script played faster)

    @property
    def done(self) -> bool:
        return not self.commands

    def intent(self, now_ms: float, x: int, y: int, world: World | None = None) -> Intent:
        """What to do this frame, given the player's predicted position (units)."""
        if self._script_started_ms is None:
            self._script_started_ms = now_ms
        while self.commands:
            words = self.commands[0]
            if self._started_ms is None:
                self._started_ms = now_ms
            elapsed = now_ms - self._started_ms
            name = words[0]
            if name == "wait":
                if elapsed < float(words[1]) / self.time_scale:
                    return IDLE
            elif name == "until":
                if now_ms - self._script_started_ms < float(words[1]) / self.time_scale:
                    return IDLE
            elif name == "chase":
                intent = self._chase(words[1], x, y, world)
                if intent is not None and not intent.attack and elapsed < 15_000:
                    return intent
                self.steering.stop()
                self._next()
                if intent is not None and intent.attack:
                    return intent
                continue
            elif name == "walk":
                if elapsed < float(words[2]):
                    fx, fy = FACING_VECTORS[FACING_NAMES.index(words[1])]
                    return Intent(direction=(float(fx), float(fy)))
            elif name in {"goto", "goto-item"}:
                if name == "goto":
                    gx, gy = tile_centre(int(words[1]), int(words[2]))
                elif int(words[1]) < len(self.tile_map.items):
                    spawn = self.tile_map.items[int(words[1])]
                    gx, gy = spawn.x, spawn.y
                else:  # no such item on this map: nothing to walk to
                    self._next()
                    continue
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

    def _chase(self, name: str, x: int, y: int, world: World | None) -> Intent | None:
        """Walk toward the named player; an attack intent once in reach; None if gone."""
        pid = world.names.get(name) if world is not None else None
        target = world.players.get(pid) if world is not None and pid is not None else None
        if target is None or not target.alive:
            return None
        dx, dy = target.x - x, target.y - y
        if dx * dx + dy * dy <= (ATTACK_RANGE_UNITS * 2 // 3) ** 2:
            return Intent(attack=True, face=facing_of(dx, dy))
        self.steering.go_to(self.tile_map, x, y, target.x, target.y)
        return Intent(direction=self.steering.direction(x, y))

    def _next(self) -> None:
        self.commands.pop(0)
        self._started_ms = None
