"""Navigation: breadth-first paths over floor tiles, and steering along them."""

from __future__ import annotations

from itertools import pairwise

import pytest

from game.agent.navigate import ARRIVED_UNITS, Steering, find_path, tile_of
from game.core.constants import TILE_UNITS
from game.core.grid import CollisionGrid
from game.core.maps import available_maps, load_map, parse_map, tile_centre

# A wall down column 4 with one gap in the bottom row; a sealed pocket at (7, 1).
MAZE = parse_map(
    "maze",
    "\n".join(
        [
            "##########",
            "#S..#..###",
            "#...#..#.#",
            "#...#..###",
            "#........#",
            "##########",
        ]
    ),
)


def tiles(path: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [tile_of(x, y) for x, y in path]


def test_tile_of_is_the_tile_a_position_lies_in() -> None:
    assert tile_of(0, 0) == (0, 0)
    assert tile_of(TILE_UNITS - 1, TILE_UNITS) == (0, 1)
    assert tile_of(*tile_centre(6, 3)) == (6, 3)


def test_a_straight_corridor_is_walked_tile_by_tile() -> None:
    path = find_path(MAZE, (1, 4), (5, 4))
    assert tiles(path) == [(2, 4), (3, 4), (4, 4), (5, 4)]
    assert path == [tile_centre(*tile) for tile in tiles(path)]  # tile centres, in units


def test_the_path_goes_around_a_wall_by_the_shortest_way() -> None:
    path = tiles(find_path(MAZE, (1, 1), (6, 1)))
    # Down three rows to the gap, across five columns, up three rows: 11 steps at least.
    assert len(path) == 11
    assert path[-1] == (6, 1)
    assert (4, 4) in path  # through the only gap
    steps = [(1, 1), *path]
    for (ax, ay), (bx, by) in pairwise(steps):
        assert abs(ax - bx) + abs(ay - by) == 1  # four-neighbour steps
        assert not MAZE.is_wall(bx, by)


def test_a_sealed_pocket_cannot_be_reached() -> None:
    assert not MAZE.is_wall(8, 2)
    assert find_path(MAZE, (1, 1), (8, 2)) == []


def test_a_wall_or_off_map_goal_cannot_be_reached() -> None:
    assert find_path(MAZE, (1, 1), (4, 2)) == []
    assert find_path(MAZE, (1, 1), (0, 0)) == []
    assert find_path(MAZE, (1, 1), (50, 50)) == []


def test_already_there_is_an_empty_path() -> None:
    assert find_path(MAZE, (2, 2), (2, 2)) == []


@pytest.mark.parametrize("name", available_maps())
def test_on_every_map_each_spawn_reaches_each_item_along_clear_straight_steps(name: str) -> None:
    tile_map = load_map(name)
    grid = CollisionGrid.for_map(tile_map)
    start = tile_map.spawns[0]
    for item in tile_map.items:
        path = find_path(tile_map, tile_of(*start), tile_of(item.x, item.y))
        assert path, f"item {item.item_id} unreachable on {name}"
        points = [start, *path]
        for (ax, ay), (bx, by) in pairwise(points):
            assert grid.path_clear(ax, ay, bx, by)  # every step is walkable in a straight line


# --- steering ---


def test_steering_heads_for_the_first_waypoint_and_ends_on_the_exact_spot() -> None:
    steering = Steering()
    start = tile_centre(1, 4)
    goal = (tile_centre(3, 4)[0] + 100, tile_centre(3, 4)[1] - 50)
    steering.go_to(MAZE, *start, *goal)
    assert steering.waypoints == [tile_centre(2, 4), tile_centre(3, 4), goal]
    dx, dy = steering.direction(*start)
    assert dx > 0 and dy == 0
    assert not steering.arrived


def test_steering_drops_waypoints_it_has_reached() -> None:
    steering = Steering()
    steering.go_to(MAZE, *tile_centre(1, 4), *tile_centre(3, 4))
    near_first = (tile_centre(2, 4)[0] + ARRIVED_UNITS, tile_centre(2, 4)[1] - ARRIVED_UNITS)
    dx, dy = steering.direction(*near_first)
    assert steering.waypoints[0] == tile_centre(3, 4)
    assert dx > 0
    assert steering.direction(*tile_centre(3, 4)) == (0.0, 0.0)
    assert steering.arrived


def test_steering_within_the_goal_tile_goes_straight_to_the_spot() -> None:
    steering = Steering()
    x, y = tile_centre(2, 2)
    steering.go_to(MAZE, x, y, x + 100, y)
    assert steering.waypoints == [(x + 100, y)]
    assert steering.direction(x, y) == (100.0, 0.0)


def test_steering_toward_an_unreachable_goal_stands_still() -> None:
    steering = Steering()
    steering.go_to(MAZE, *tile_centre(1, 1), *tile_centre(8, 2))
    assert steering.arrived
    assert steering.direction(*tile_centre(1, 1)) == (0.0, 0.0)


def test_steering_keeps_its_route_while_the_goal_tile_is_unchanged() -> None:
    steering = Steering()
    steering.go_to(MAZE, *tile_centre(1, 1), *tile_centre(6, 1))
    route = list(steering.waypoints)
    # Asked again from a little further on, toward the same tile: the same route.
    steering.go_to(MAZE, *tile_centre(1, 2), *tile_centre(6, 1))
    assert steering.waypoints == route
    steering.stop()
    assert steering.arrived and steering.goal is None
