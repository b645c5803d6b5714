"""The collision grid: where a player's circle touches a wall, sliding, and wall-crossing paths."""

from __future__ import annotations

import pytest

from game.core.constants import PLAYER_RADIUS_PX, TILE_PX, UNITS_PER_PX
from game.core.grid import CollisionGrid
from game.core.maps import available_maps, load_map, parse_map, tile_centre

ARENA = load_map("arena")
GRID = CollisionGrid.for_map(ARENA)
R = PLAYER_RADIUS_PX


def px(value: int) -> int:
    """Pixels to units (the integer coordinates the grid is asked about)."""
    return value * UNITS_PER_PX


# The single wall tile (3, 4) with floor on both sides in row 4: faces at x = 96 px and 128 px.
WALL_TX, WALL_TY = 3, 4
WALL_LEFT_PX, WALL_RIGHT_PX = WALL_TX * TILE_PX, (WALL_TX + 1) * TILE_PX
ROW_Y = tile_centre(WALL_TX, WALL_TY)[1]


def test_the_test_wall_is_where_the_tests_think():
    assert ARENA.is_wall(WALL_TX, WALL_TY)
    assert not ARENA.is_wall(WALL_TX - 1, WALL_TY) and not ARENA.is_wall(WALL_TX + 1, WALL_TY)


@pytest.mark.parametrize("name", available_maps())
def test_a_tile_centre_is_blocked_exactly_when_the_tile_is_a_wall(name):
    tile_map = load_map(name)
    grid = CollisionGrid.for_map(tile_map)
    for ty in range(tile_map.height):
        for tx in range(tile_map.width):
            assert grid.blocked(*tile_centre(tx, ty)) is tile_map.is_wall(tx, ty), (tx, ty)


@pytest.mark.parametrize("name", available_maps())
def test_every_spawn_and_item_is_standable(name):
    tile_map = load_map(name)
    grid = CollisionGrid.for_map(tile_map)
    assert not any(grid.blocked(x, y) for x, y in tile_map.spawns)
    assert not any(grid.blocked(item.x, item.y) for item in tile_map.items)


def test_a_player_touching_a_wall_face_is_blocked_one_radius_away_is_not():
    # East face: a centre R px away touches nothing, R - 1 px away overlaps the wall.
    assert not GRID.blocked(px(WALL_RIGHT_PX + R), ROW_Y)
    assert GRID.blocked(px(WALL_RIGHT_PX + R - 1), ROW_Y)
    # West face.
    assert not GRID.blocked(px(WALL_LEFT_PX - R), ROW_Y)
    assert GRID.blocked(px(WALL_LEFT_PX - R + 1), ROW_Y)


def test_north_and_south_faces_block_within_the_radius():
    # Tile (5, 3) is a wall with floor (5, 4) below it: its south face is at y = 128 px.
    assert ARENA.is_wall(5, 3) and not ARENA.is_wall(5, 4)
    x = tile_centre(5, 4)[0]
    assert not GRID.blocked(x, px(4 * TILE_PX + R))
    assert GRID.blocked(x, px(4 * TILE_PX + R - 1))
    # The map's outer wall row 0 has its south face at y = 32 px.
    x = tile_centre(10, 1)[0]
    assert not GRID.blocked(x, px(TILE_PX + R))
    assert GRID.blocked(x, px(TILE_PX + R - 1))


def test_a_wall_corner_blocks_by_euclidean_distance_not_a_square():
    # Outer corner of the wall block (3..6, 3) at (224, 128) px; (7, 3), (7, 4), (6, 4) are floor.
    assert ARENA.is_wall(6, 3) and not ARENA.is_wall(7, 4) and not ARENA.is_wall(7, 3)
    cx, cy = 7 * TILE_PX, 4 * TILE_PX
    assert GRID.blocked(px(cx + 7), px(cy + 8))  # sqrt(113) ~ 10.6 px
    assert not GRID.blocked(px(cx + 8), px(cy + 8))  # sqrt(128) ~ 11.3 px
    assert not GRID.blocked(px(cx + 10), px(cy + 10))  # within R on each axis, not in distance


@pytest.mark.parametrize("point", [(-1, 1000), (1000, -1), (ARENA.width_units, 1000), (1000, 10**9)])
def test_points_outside_the_map_are_blocked(point):
    assert GRID.blocked(*point)


def test_slide_into_a_wall_stops_flush_against_it():
    start = tile_centre(WALL_TX + 1, WALL_TY)
    x, y = GRID.slide(*start, -px(30), 0)
    assert (x, y) == (px(WALL_RIGHT_PX + R), start[1])
    assert not GRID.blocked(x, y) and GRID.blocked(x - 1, y)


def test_slide_from_the_west_stops_flush_against_the_west_face():
    start = tile_centre(WALL_TX - 1, WALL_TY)
    x, y = GRID.slide(*start, px(30), 0)
    assert not GRID.blocked(x, y) and GRID.blocked(x + 1, y)
    assert x < px(WALL_LEFT_PX - R + 1)


def test_slide_diagonally_into_a_wall_slides_along_it():
    start = tile_centre(WALL_TX + 1, WALL_TY)
    x, y = GRID.slide(*start, -px(30), px(10))
    assert x == px(WALL_RIGHT_PX + R)  # stopped on x ...
    assert y == start[1] + px(10)  # ... kept the whole y step


def test_slide_in_the_open_moves_the_full_step():
    start = tile_centre(14, 5)
    assert GRID.slide(*start, px(20), -px(20)) == (start[0] + px(20), start[1] - px(20))
    assert GRID.slide(*start, 0, 0) == start


def test_slide_into_a_corner_stops_on_both_axes():
    # Floor (1, 1) is the arena's north-west corner: walls west and north.
    start = tile_centre(1, 1)
    x, y = GRID.slide(*start, -px(40), -px(40))
    assert (x, y) == (px(TILE_PX + R), px(TILE_PX + R))
    assert not GRID.blocked(x, y)


def test_path_clear_is_false_across_a_wall_even_when_both_ends_are_free():
    west, east = tile_centre(WALL_TX - 1, WALL_TY), tile_centre(WALL_TX + 1, WALL_TY)
    assert not GRID.blocked(*west) and not GRID.blocked(*east)
    assert not GRID.path_clear(*west, *east)
    assert not GRID.path_clear(*east, *west)


def test_path_clear_is_true_through_open_floor():
    a, b = tile_centre(8, 4), tile_centre(20, 5)
    assert GRID.path_clear(*a, *b)
    assert GRID.path_clear(*a, *a)


def test_path_clear_follows_the_straight_line_between_the_ends():
    # (7, 4) -> (7, 2) runs up floor column 7, beside the wall block (3..6, 3);
    # (7, 4) -> (5, 2) cuts diagonally through that block.
    a, b = tile_centre(7, 4), tile_centre(7, 2)
    assert not GRID.blocked(*a) and not GRID.blocked(*b)
    assert GRID.path_clear(*a, *b)  # straight up column 7, which is floor
    c = tile_centre(5, 2)
    assert not GRID.path_clear(*a, *c)  # crosses wall tiles (5, 3)/(6, 3)


def test_the_grid_is_built_once_per_map():
    assert CollisionGrid.for_map(ARENA) is GRID
    assert (GRID.width_px, GRID.height_px) == (ARENA.width * TILE_PX, ARENA.height * TILE_PX)


def test_a_tiny_map_rasterises_the_radius_around_its_one_wall():
    tiny = parse_map("tiny", "#####\n#S..#\n#.#.#\n#...#\n#####\n")
    grid = CollisionGrid.for_map(tiny)
    cx, cy = tile_centre(2, 2)
    assert grid.blocked(cx, cy)
    free = [(tx, ty) for ty in range(5) for tx in range(5) if not tiny.is_wall(tx, ty)]
    assert len(free) == 8
    assert not any(grid.blocked(*tile_centre(tx, ty)) for tx, ty in free)
