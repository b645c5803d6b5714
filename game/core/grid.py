"""Collision geometry shared by the reducer and every client's prediction.

A player is a circle of PLAYER_RADIUS_PX; the map is tiles. Rather than intersect circles
with tiles on every move (slow in Python, and a replay checks millions of moves), each map
is rasterised once into a per-pixel grid of "a player centred here touches a wall". The
rule is then one byte lookup, and clients predict with exactly the rule the log is judged by.
"""

from __future__ import annotations

from functools import cache
from math import isqrt

from game.core.constants import PATH_STEP_UNITS, PLAYER_RADIUS_PX, TILE_PX, UNITS_PER_PX
from game.core.maps import TileMap

_SHIFT = UNITS_PER_PX.bit_length() - 1  # units -> px by shift; UNITS_PER_PX is a power of 2
if 1 << _SHIFT != UNITS_PER_PX:
    raise ValueError("UNITS_PER_PX must be a power of two")


class CollisionGrid:
    __slots__ = ("width_px", "height_px", "cells")

    def __init__(self, width_px: int, height_px: int, cells: bytes) -> None:
        self.width_px = width_px
        self.height_px = height_px
        self.cells = cells

    @staticmethod
    def for_map(tile_map: TileMap) -> CollisionGrid:
        return _grid_for(tile_map)

    def blocked(self, x: int, y: int) -> bool:
        """True when a player centred at (x, y) units would touch a wall or leave the map."""
        px, py = x >> _SHIFT, y >> _SHIFT
        if px < 0 or py < 0 or px >= self.width_px or py >= self.height_px:
            return True
        return self.cells[py * self.width_px + px] == 1

    def path_clear(self, x0: int, y0: int, x1: int, y1: int) -> bool:
        """True when the straight walk from (x0, y0) to (x1, y1) touches no wall."""
        dx, dy = x1 - x0, y1 - y0
        steps = max(abs(dx), abs(dy)) // PATH_STEP_UNITS + 1
        # `blocked` inlined: this runs for every long move of every replay.
        cells, width, height = self.cells, self.width_px, self.height_px
        for i in range(1, steps + 1):
            px, py = (x0 + dx * i // steps) >> _SHIFT, (y0 + dy * i // steps) >> _SHIFT
            if px < 0 or py < 0 or px >= width or py >= height or cells[py * width + px] == 1:
                return False
        return True

    def slide(self, x: int, y: int, dx: int, dy: int) -> tuple[int, int]:
        """Move by (dx, dy), sliding along walls axis by axis, as the clients predict."""
        limit = TILE_PX * UNITS_PER_PX // 4
        if abs(dx) > limit or abs(dy) > limit:
            # A long step in one go could hop over a thin wall: take it in parts.
            x, y = self.slide(x, y, dx // 2, dy // 2)
            return self.slide(x, y, dx - dx // 2, dy - dy // 2)
        if dx:
            x = x + dx if not self.blocked(x + dx, y) else self._approach(x, y, dx, horizontal=True)
        if dy:
            y = y + dy if not self.blocked(x, y + dy) else self._approach(x, y, dy, horizontal=False)
        return x, y

    def _approach(self, x: int, y: int, delta: int, *, horizontal: bool) -> int:
        # The longest part of the step that fits, so a player walks flush against a wall.
        sign = 1 if delta > 0 else -1
        fits, blocked = 0, abs(delta)
        while blocked - fits > 1:
            mid = (fits + blocked) // 2
            trial = (x + sign * mid, y) if horizontal else (x, y + sign * mid)
            if self.blocked(*trial):
                blocked = mid
            else:
                fits = mid
        return (x if horizontal else y) + sign * fits


@cache
def _grid_for(tile_map: TileMap) -> CollisionGrid:
    width_px, height_px = tile_map.width * TILE_PX, tile_map.height * TILE_PX
    cells = bytearray(width_px * height_px)
    radius = PLAYER_RADIUS_PX
    for ty in range(tile_map.height):
        for tx in range(tile_map.width):
            if not tile_map.is_wall(tx, ty):
                continue
            left, top = tx * TILE_PX, ty * TILE_PX
            right, bottom = left + TILE_PX, top + TILE_PX
            # Every pixel centre closer than the radius to the tile's closed rectangle.
            for py in range(max(0, top - radius + 1), min(height_px, bottom + radius)):
                dy = 0 if top <= py <= bottom else min(abs(py - top), abs(py - bottom))
                half = isqrt(radius * radius - dy * dy - 1)
                start, stop = max(0, left - half), min(width_px, right + half + 1)
                row = py * width_px
                cells[row + start : row + stop] = b"\x01" * (stop - start)
    return CollisionGrid(width_px, height_px, bytes(cells))
