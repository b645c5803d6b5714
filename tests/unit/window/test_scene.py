"""The arena renderer, headless: pixels where the map, players, health bars and items are."""

from __future__ import annotations

import os
from collections.abc import Callable

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame  # noqa: E402
import pytest  # noqa: E402

from game.core.actions import Attack, Join, Move, Pickup  # noqa: E402
from game.core.constants import TILE_PX, UNITS_PER_PX  # noqa: E402
from game.core.maps import parse_map  # noqa: E402
from game.core.world import Player, World, apply, new_world  # noqa: E402
from game.window.hud import HUD_HEIGHT, Hud, draw_player_frame  # noqa: E402
from game.window.scene import Scene  # noqa: E402

# Wall border; the player spawns at S (tile 2,2), a coin sits at C (tile 6,2).
MAP = "\n".join(
    [
        "##########",
        "#........#",
        "#.S...C..#",
        "#........#",
        "#.S......#",
        "##########",
    ]
)
RED = 0xE02020
BLUE = 0x2040E0


@pytest.fixture
def world() -> World:
    world = new_world(parse_map("test", MAP))
    assert apply(world, Join(1, 1, 0, "red", RED, 0, "test"), 1_000).applied
    assert apply(world, Join(2, 1, 0, "blue", BLUE, 0, "test"), 1_000).applied
    return world


def _draw(scene: Scene, world: World, now: float = 0.0) -> pygame.Surface:
    surface = pygame.Surface(scene.size)
    scene.draw(surface, world, now)
    return surface


def _near(surface: pygame.Surface, x: int, y: int, radius: int, test: Callable[[pygame.Color], bool]) -> int:
    """How many pixels within the square around (x, y) pass `test`."""
    count = 0
    for py in range(max(0, y - radius), min(surface.get_height(), y + radius + 1)):
        for px in range(max(0, x - radius), min(surface.get_width(), x + radius + 1)):
            if test(surface.get_at((px, py))):
                count += 1
    return count


def _bar_pixels(surface: pygame.Surface, x: int, y: int) -> tuple[int, int]:
    """Green-ish and red-ish pixels in the health bar strip just above a player."""
    strip = [surface.get_at((px, py)) for py in range(y - 20, y - 14) for px in range(x - 16, x + 17)]
    green = sum(1 for c in strip if c.g > 150 and c.r < 200 and c.b < 120)
    warm = sum(1 for c in strip if c.r > 200 and c.b < 100)
    return green, warm


def _px(player: Player) -> tuple[int, int]:
    return player.x // UNITS_PER_PX, player.y // UNITS_PER_PX


def test_walls_differ_from_floor(world):
    scene = Scene(world.map)
    assert scene.size == (10 * TILE_PX, 6 * TILE_PX)
    surface = _draw(scene, world)
    floor = surface.get_at((4 * TILE_PX + 16, 3 * TILE_PX + 16))
    wall_top = surface.get_at((4 * TILE_PX + 16, 5 * TILE_PX + 16))  # bottom border: seen from above
    wall_face = surface.get_at((4 * TILE_PX + 16, 0 * TILE_PX + 24))  # top border: bricks face south
    for wall in (wall_top, wall_face):
        assert sum(abs(a - b) for a, b in zip(wall[:3], floor[:3], strict=True)) > 30


def test_players_drawn_in_their_colour_at_their_position(world):
    scene = Scene(world.map)
    surface = _draw(scene, world)
    for pid, reddish in ((1, True), (2, False)):
        x, y = _px(world.players[pid])
        if reddish:
            hits = _near(surface, x, y, 11, lambda c: c.r > 150 and c.g < 90 and c.b < 90)
        else:
            hits = _near(surface, x, y, 11, lambda c: c.b > 150 and c.r < 90)
        assert hits > 20, f"player {pid} colour not found near {x, y}"


def test_display_positions_override_world_positions(world):
    scene = Scene(world.map)
    surface = pygame.Surface(scene.size)
    scene.draw(surface, world, 0.0, positions={1: (200.0, 48.0)})
    assert _near(surface, 200, 48, 11, lambda c: c.r > 150 and c.g < 90 and c.b < 90) > 20


def test_health_bar_shrinks_after_a_hit(world):
    red, blue = world.players[1], world.players[2]
    # Walk red next to blue (south of it) and face north.
    x, y = blue.x, blue.y + 30 * UNITS_PER_PX
    assert apply(world, Move(1, 2, 1_000, x, y, 0), 2_000).applied
    scene = Scene(world.map)
    bx, by = _px(blue)
    green_before, red_before = _bar_pixels(_draw(scene, world), bx, by)
    assert green_before > 40 and red_before == 0

    outcome = apply(world, Attack(1, 3, 1_100, 0), 2_100)
    assert blue.hp < 100 and outcome.events
    scene.on_events(outcome.events, 10_000.0, world)
    after = _draw(scene, world, 10_000.0 + 1_000)  # effects over: only the bar has changed
    green_after, _ = _bar_pixels(after, bx, by)
    assert green_after < green_before
    assert red.alive


def test_item_drawn_until_picked_up(world):
    coin = world.items[0]
    assert coin.kind == "coin"
    cx, cy = coin.x // UNITS_PER_PX, coin.y // UNITS_PER_PX

    def gold(c):
        return c.r > 200 and c.g > 150 and c.b < 100

    scene = Scene(world.map)
    assert _near(_draw(scene, world), cx, cy - 3, 10, gold) > 15

    player = world.players[1]
    # Walk there in short steps: a move may cover only so much ground at once.
    seq, t = 1, 0
    while (player.x, player.y) != (coin.x, coin.y):
        seq, t = seq + 1, t + 400
        x = player.x + max(-50 * UNITS_PER_PX, min(50 * UNITS_PER_PX, coin.x - player.x))
        y = player.y + max(-50 * UNITS_PER_PX, min(50 * UNITS_PER_PX, coin.y - player.y))
        assert apply(world, Move(1, seq, t, x, y, 2), 1_000 + t).applied
    outcome = apply(world, Pickup(1, seq + 1, t + 1, coin.item_id), 1_001 + t)
    assert outcome.applied and player.coins == 1
    scene.on_events(outcome.events, 5_000.0, world)
    # Draw the player elsewhere so only the item spot is checked.
    surface = pygame.Surface(scene.size)
    scene.draw(surface, world, 5_000.0 + 2_000, positions={1: (48.0, 48.0)})
    assert _near(surface, cx, cy - 3, 10, gold) == 0


def test_player_frame_has_hud_and_overlays(world):
    scene = Scene(world.map)
    screen = pygame.Surface((scene.size[0], scene.size[1] + HUD_HEIGHT))
    hud = Hud(1, "Kafka: connected to localhost:9092", True, 12.0, "m", True, True, "hello")
    draw_player_frame(screen, scene, world, 0.0, {}, hud)
    bar = {
        tuple(screen.get_at((x, y)))
        for y in range(scene.size[1] + 4, scene.size[1] + HUD_HEIGHT, 3)
        for x in range(0, screen.get_width(), 5)
    }
    assert len(bar) > 10  # the HUD bar has content, not one flat colour


def test_dead_player_and_effects_draw_without_error(world):
    scene = Scene(world.map)
    blue = world.players[2]
    blue.alive, blue.hp, blue.respawn_at = False, 0, world.clock + 2_000
    from game.core.world import Event, ItemBack, Joined, Killed, Left, PickedUp, Respawned, Swung, Used

    events: list[Event] = [
        Swung(1, 3),
        Killed(1, 2),
        Respawned(1, 0, 0),
        PickedUp(1, 0, "coin"),
        Used(1, "potion", 80),
        ItemBack(0, "coin"),
        Joined(1, "red"),
        Left(9, "gone", "left"),
    ]
    scene.on_events(events, 0.0, world)
    for now in (0.0, 50.0, 200.0, 700.0, 2_000.0):
        _draw(scene, world, now)
