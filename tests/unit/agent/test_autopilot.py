"""The autopilot's command language: checking a script up front, and the intents it yields."""

from __future__ import annotations

import math

import pytest

from game.agent.autopilot import Autopilot, AutopilotError, parse_script
from game.agent.player import IDLE, Intent
from game.core.actions import Join
from game.core.constants import (
    ATTACK_RANGE_UNITS,
    FACING_NAMES,
    FACING_VECTORS,
    MOVE_SPEED_PX_S,
    UNITS_PER_PX,
)
from game.core.grid import CollisionGrid
from game.core.maps import parse_map, tile_centre
from game.core.world import World, apply, new_world

# A wall splits the room but for a gap at the bottom row; one potion at P.
ROOM = parse_map(
    "room",
    "\n".join(
        [
            "#########",
            "#S..#..P#",
            "#...#...#",
            "#...#...#",
            "#.......#",
            "#########",
        ]
    ),
)
START = tile_centre(1, 1)
GRID = CollisionGrid.for_map(ROOM)
STEP_MS = 20
STEP_UNITS = MOVE_SPEED_PX_S * UNITS_PER_PX * STEP_MS // 1000


def walk_until_done(
    pilot: Autopilot, x: int, y: int, world: World | None = None, limit: int = 2_000
) -> tuple[int, int, list[Intent], float]:
    """Follow the autopilot's directions at walking speed, as a player's prediction does."""
    now = 0.0
    intents: list[Intent] = []
    for _ in range(limit):
        if pilot.done:
            break
        intent = pilot.intent(now, x, y, world)
        intents.append(intent)
        dx, dy = intent.direction
        length = math.hypot(dx, dy)
        if length:
            x, y = GRID.slide(x, y, int(dx / length * STEP_UNITS), int(dy / length * STEP_UNITS))
        now += STEP_MS
    return x, y, intents, now


# --- parsing ---


def test_a_script_splits_on_semicolons_and_newlines_and_skips_blank_commands() -> None:
    script = "wait 100;  walk east 200 ;\n\ngoto 3 4\n;;attack; face north-west"
    assert parse_script(script) == [
        ["wait", "100"],
        ["walk", "east", "200"],
        ["goto", "3", "4"],
        ["attack"],
        ["face", "north-west"],
    ]


def test_an_empty_script_has_no_commands() -> None:
    assert parse_script("") == []
    assert parse_script(" ; \n ;") == []
    assert Autopilot("", ROOM).done


def test_every_documented_command_parses() -> None:
    script = (
        "wait 1; until 2.5; walk south 3; goto 1 2; goto-item 0; grab 0; attack; use; face west; chase bob"
    )
    assert [words[0] for words in parse_script(script)] == [
        "wait",
        "until",
        "walk",
        "goto",
        "goto-item",
        "grab",
        "attack",
        "use",
        "face",
        "chase",
    ]


@pytest.mark.parametrize(
    ("script", "fragments"),
    [
        ("jump 3", ["unknown autopilot command 'jump'", "wait", "chase"]),
        ("attack; Wait 100", ["unknown autopilot command 'Wait'"]),
        ("wait", ["wait takes 1 argument(s)", "'wait'"]),
        ("attack now", ["attack takes 0 argument(s)", "'attack now'"]),
        ("walk east", ["walk takes 2 argument(s)"]),
        ("goto 1 2 3", ["goto takes 2 argument(s)", "'goto 1 2 3'"]),
        ("walk up 100", ["walk wants a direction", "north-east", "not 'up'"]),
        ("face East", ["face wants a direction", "not 'East'"]),
        ("wait soon", ["wait wants a number, not 'soon'"]),
        ("wait -5", ["wait wants a number, not '-5'"]),
        ("until nan", ["until wants a number, not 'nan'"]),
        ("goto 1.5 2", ["goto wants a whole number, not '1.5'"]),
        ("grab -1", ["grab wants a whole number, not '-1'"]),
        ("goto-item x", ["goto-item wants a whole number, not 'x'"]),
    ],
)
def test_a_bad_command_is_one_clear_error_before_play(script: str, fragments: list[str]) -> None:
    with pytest.raises(AutopilotError) as caught:
        parse_script(script)
    assert isinstance(caught.value, ValueError)  # callers may catch it as a bad value
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_a_bad_command_late_in_the_script_fails_the_whole_script() -> None:
    with pytest.raises(AutopilotError, match="bogus"):
        Autopilot("wait 10; walk east 100; attack; bogus", ROOM)


# --- one-frame commands ---


@pytest.mark.parametrize(
    ("script", "intent"),
    [
        ("attack", Intent(attack=True)),
        ("use", Intent(use=True)),
        ("grab 4", Intent(grab=4)),
        ("face south-west", Intent(face=FACING_NAMES.index("south-west"))),
    ],
)
def test_a_one_frame_command_yields_its_intent_once(script: str, intent: Intent) -> None:
    pilot = Autopilot(script, ROOM)
    assert pilot.intent(0, *START) == intent
    assert pilot.done
    assert pilot.intent(16, *START) == IDLE


def test_one_frame_commands_in_a_row_take_one_frame_each() -> None:
    pilot = Autopilot("attack; use; grab 2", ROOM)
    assert [pilot.intent(t, *START) for t in (0, 0, 0)] == [
        Intent(attack=True),
        Intent(use=True),
        Intent(grab=2),
    ]
    assert pilot.done


# --- timing ---


def test_wait_idles_for_its_time_then_runs_the_next_command_in_the_same_frame() -> None:
    pilot = Autopilot("wait 500; attack", ROOM)
    assert pilot.intent(1_000, *START) == IDLE
    assert pilot.intent(1_499, *START) == IDLE
    assert pilot.intent(1_500, *START) == Intent(attack=True)
    assert pilot.done


def test_waits_add_up_but_until_counts_from_the_start_of_the_script() -> None:
    def first_attack(script: str) -> float:
        pilot = Autopilot(script, ROOM)
        for now in range(100, 5_000, 10):
            if pilot.intent(now, *START).attack:
                return now - 100
        raise AssertionError("never attacked")

    assert first_attack("wait 600; wait 1000; attack") == 1_600
    assert first_attack("wait 600; until 1000; attack") == 1_000
    assert first_attack("wait 1500; until 1000; attack") == 1_500  # already past: no wait


def test_a_time_scale_shortens_waits() -> None:
    pilot = Autopilot("wait 1000; until 3000; attack", ROOM)
    pilot.time_scale = 2.0
    assert pilot.intent(0, *START) == IDLE
    assert pilot.intent(499, *START) == IDLE
    assert pilot.intent(500, *START) == IDLE  # the wait is over; `until` 1500 has not come
    assert pilot.intent(1_500, *START) == Intent(attack=True)


def test_walk_heads_in_its_direction_for_its_time() -> None:
    pilot = Autopilot("walk north-east 300; use", ROOM)
    fx, fy = FACING_VECTORS[FACING_NAMES.index("north-east")]
    for now in (0, 100, 299):
        intent = pilot.intent(now, *START)
        assert intent.direction == (float(fx), float(fy)) and not intent.attack
    assert pilot.intent(300, *START) == Intent(use=True)


# --- going places ---


def test_goto_walks_around_the_wall_to_the_tile() -> None:
    pilot = Autopilot("goto 7 1", ROOM)
    x, y, intents, _ = walk_until_done(pilot, *START)
    assert pilot.done
    goal = tile_centre(7, 1)
    assert abs(x - goal[0]) <= 3 * UNITS_PER_PX and abs(y - goal[1]) <= 3 * UNITS_PER_PX
    # The wall at column 4 is only open in the bottom row: the route went down there.
    assert any(intent.direction[1] > 0 for intent in intents)


def test_goto_item_walks_to_the_item_of_that_number() -> None:
    pilot = Autopilot("goto-item 0; grab 0", ROOM)
    x, y, intents, _ = walk_until_done(pilot, *START)
    potion = ROOM.items[0]
    assert abs(x - potion.x) <= 3 * UNITS_PER_PX and abs(y - potion.y) <= 3 * UNITS_PER_PX
    assert intents[-1] == Intent(grab=0)


def test_goto_an_item_the_map_lacks_is_skipped() -> None:
    pilot = Autopilot("goto-item 9; attack", ROOM)
    assert pilot.intent(0, *START) == Intent(attack=True)
    assert pilot.done


def test_goto_an_unreachable_tile_gives_up_without_walking() -> None:
    pilot = Autopilot("goto 0 0; use", ROOM)  # a wall tile
    assert pilot.intent(0, *START) == Intent(use=True)


def test_goto_gives_up_after_twenty_seconds() -> None:
    pilot = Autopilot("goto 7 1; use", ROOM)
    first = pilot.intent(0, *START)
    assert first.direction != (0.0, 0.0)
    assert pilot.intent(19_999, *START).direction != (0.0, 0.0)  # never moved, still trying
    assert pilot.intent(20_000, *START) == Intent(use=True)


# --- chasing ---


def world_with(name: str, x: int, y: int) -> World:
    world = new_world(ROOM)
    assert apply(world, Join(5, 1, 0, name, 0xFFFFFF, 0, "room"), 1_000).applied
    player = world.players[5]
    player.x, player.y = x, y
    return world


def test_chase_walks_toward_a_far_player() -> None:
    target = tile_centre(3, 4)
    world = world_with("bob", *target)
    intent = Autopilot("chase bob", ROOM).intent(0, *START, world)
    dx, dy = intent.direction
    assert not intent.attack
    assert dx * (target[0] - START[0]) + dy * (target[1] - START[1]) > 0  # roughly toward bob


def test_chase_swings_once_in_reach_facing_the_target() -> None:
    world = world_with("bob", START[0] + ATTACK_RANGE_UNITS // 2, START[1])
    pilot = Autopilot("chase bob; use", ROOM)
    assert pilot.intent(0, *START, world) == Intent(attack=True, face=FACING_NAMES.index("east"))
    assert pilot.intent(16, *START, world) == Intent(use=True)


def test_chasing_someone_absent_or_dead_moves_on() -> None:
    assert Autopilot("chase nobody; use", ROOM).intent(0, *START, world_with("bob", *START)) == Intent(
        use=True
    )
    assert Autopilot("chase bob; use", ROOM).intent(0, *START, None) == Intent(use=True)
    world = world_with("bob", *tile_centre(3, 4))
    world.players[5].alive = False
    assert Autopilot("chase bob; use", ROOM).intent(0, *START, world) == Intent(use=True)


def test_chase_catches_a_player_behind_the_wall() -> None:
    world = world_with("bob", *tile_centre(6, 2))
    pilot = Autopilot("chase bob", ROOM)
    x, y, intents, _ = walk_until_done(pilot, *START, world)
    assert pilot.done
    assert intents[-1].attack
    bob = world.players[5]
    assert (bob.x - x) ** 2 + (bob.y - y) ** 2 <= ATTACK_RANGE_UNITS**2
