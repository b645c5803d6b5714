"""Finding a way across the map: breadth-first search over floor tiles, and steering.

Used by bots and by scripted headless players; a human needs none of it.
"""

from __future__ import annotations

from collections import deque
from functools import cache

from game.core.constants import TILE_UNITS, UNITS_PER_PX
from game.core.grid import CollisionGrid
from game.core.maps import TileMap, tile_centre

ARRIVED_UNITS = 3 * UNITS_PER_PX


@cache
def _walkable(tile_map: TileMap) -> frozenset[tuple[int, int]]:
    grid = CollisionGrid.for_map(tile_map)
    return frozenset(
        (tx, ty)
        for ty in range(tile_map.height)
        for tx in range(tile_map.width)
        if not grid.blocked(*tile_centre(tx, ty))
    )


def tile_of(x: int, y: int) -> tuple[int, int]:
    return x // TILE_UNITS, y // TILE_UNITS


def find_path(tile_map: TileMap, start: tuple[int, int], goal: tuple[int, int]) -> list[tuple[int, int]]:
    """Tile centres (units) from start to goal, or [] when unreachable. 4-neighbour BFS."""
    walkable = _walkable(tile_map)
    if goal not in walkable:
        return []
    came: dict[tuple[int, int], tuple[int, int] | None] = {start: None}
    frontier = deque([start])
    while frontier:
        tile = frontier.popleft()
        if tile == goal:
            break
        tx, ty = tile
        for nxt in ((tx + 1, ty), (tx - 1, ty), (tx, ty + 1), (tx, ty - 1)):
            if nxt in walkable and nxt not in came:
                came[nxt] = tile
                frontier.append(nxt)
    if goal not in came:
        return []
    path = []
    back: tuple[int, int] | None = goal
    while back is not None and back != start:
        path.append(tile_centre(*back))
        back = came[back]
    path.reverse()
    return path


class Steering:
    """Follows a path of waypoints; `direction` is the way to walk this frame."""

    def __init__(self) -> None:
        self.waypoints: list[tuple[int, int]] = []
        self.goal: tuple[int, int] | None = None

    def go_to(self, tile_map: TileMap, x: int, y: int, goal_x: int, goal_y: int) -> None:
        goal_tile = tile_of(goal_x, goal_y)
        if self.goal == goal_tile and self.waypoints:
            return
        self.goal = goal_tile
        self.waypoints = find_path(tile_map, tile_of(x, y), goal_tile)
        # Finish on the exact spot rather than the tile centre.
        if self.waypoints or tile_of(x, y) == goal_tile:
            self.waypoints.append((goal_x, goal_y))

    def stop(self) -> None:
        self.waypoints = []
        self.goal = None

    def direction(self, x: int, y: int) -> tuple[float, float]:
        while self.waypoints:
            wx, wy = self.waypoints[0]
            dx, dy = wx - x, wy - y
            if abs(dx) <= ARRIVED_UNITS and abs(dy) <= ARRIVED_UNITS:
                self.waypoints.pop(0)
                continue
            return float(dx), float(dy)
        return 0.0, 0.0

    @property
    def arrived(self) -> bool:
        return not self.waypoints
