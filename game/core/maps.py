"""Tile maps: loading from `data/maps/*.txt` and the collision geometry every reader shares."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from game.core.constants import TILE_UNITS

MAPS_DIR = Path(__file__).resolve().parents[2] / "data" / "maps"
DEFAULT_MAP = "arena"

ITEM_GLYPHS = {"P": "potion", "C": "coin", "F": "fury"}


class MapError(ValueError):
    """A map file that cannot be played, with a message that says why."""


@dataclass(frozen=True, slots=True)
class ItemSpawn:
    item_id: int
    kind: str
    x: int  # units, tile centre
    y: int


@dataclass(frozen=True, slots=True)
class TileMap:
    name: str
    width: int  # tiles
    height: int
    walls: bytes  # row-major, 1 = wall
    spawns: tuple[tuple[int, int], ...]  # units, tile centres
    items: tuple[ItemSpawn, ...]

    @property
    def width_units(self) -> int:
        return self.width * TILE_UNITS

    def is_wall(self, tx: int, ty: int) -> bool:
        if tx < 0 or ty < 0 or tx >= self.width or ty >= self.height:
            return True
        return self.walls[ty * self.width + tx] == 1


def tile_centre(tx: int, ty: int) -> tuple[int, int]:
    return tx * TILE_UNITS + TILE_UNITS // 2, ty * TILE_UNITS + TILE_UNITS // 2


def parse_map(name: str, text: str) -> TileMap:
    """Parse a map's text: rows of glyphs, lines starting with '# ' are comments."""
    rows = [line.rstrip("\n") for line in text.splitlines() if line and not line.startswith("# ")]
    if not rows:
        raise MapError(f"map {name!r} has no rows")
    width = len(rows[0])
    if any(len(row) != width for row in rows):
        raise MapError(f"map {name!r}: every row must be {width} tiles wide")
    walls = bytearray()
    spawns: list[tuple[int, int]] = []
    items: list[ItemSpawn] = []
    for ty, row in enumerate(rows):
        for tx, glyph in enumerate(row):
            walls.append(1 if glyph == "#" else 0)
            if glyph == "S":
                spawns.append(tile_centre(tx, ty))
            elif glyph in ITEM_GLYPHS:
                items.append(ItemSpawn(len(items), ITEM_GLYPHS[glyph], *tile_centre(tx, ty)))
            elif glyph not in "#.":
                raise MapError(f"map {name!r}: unknown glyph {glyph!r} at row {ty + 1}")
    if not spawns:
        raise MapError(f"map {name!r} has no spawn point (S)")
    if len(items) > 255:
        raise MapError(f"map {name!r} has more than 255 items")
    return TileMap(name, width, len(rows), bytes(walls), tuple(spawns), tuple(items))


def available_maps() -> list[str]:
    return sorted(path.stem for path in MAPS_DIR.glob("*.txt"))


def load_map(name: str = DEFAULT_MAP) -> TileMap:
    path = MAPS_DIR / f"{name}.txt"
    if not path.is_file():
        raise MapError(f"no map named {name!r}; maps: {', '.join(available_maps())}")
    return parse_map(name, path.read_text(encoding="utf-8"))
