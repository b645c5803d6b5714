"""A synthetic brawl: a realistic match log without Kafka, for tests and the catch-up benchmark.

Bots join, chase the nearest rival, swing when in reach and grab items they walk over;
a few garbage records are mixed in. Each action is checked against a world of its own, so
the log is mostly valid, with the odd rejection a real match has.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

from game.core.actions import Action, Attack, Join, Move, Pickup
from game.core.codec import encode, record_key
from game.core.constants import ATTACK_COOLDOWN_MS, ATTACK_RANGE_UNITS, PICKUP_RANGE_UNITS
from game.core.maps import TileMap, load_map
from game.core.records import Record
from game.core.world import Player, World, apply, new_world

TICK_MS = 50
STEP_UNITS = 110  # under the move budget's refill of 136 units per 50 ms
TOPIC = "arena.match.synth"  # the topic the records claim to come from (partition 0)


def facing_towards(dx: float, dy: float) -> int:
    return round(math.atan2(dx, -dy) / (math.pi / 4)) % 8


def brawl(
    players: int = 8,
    records: int = 10_000,
    seed: int = 1,
    start_ts: int = 1_700_000_000_000,
    tile_map: TileMap | None = None,
    garbage_every: int = 997,
) -> list[Record]:
    """`records` records of `players` bots fighting, offsets from 0, on TOPIC's partition 0."""
    return list(_brawl(players, records, seed, start_ts, tile_map or load_map("arena"), garbage_every))


def _brawl(
    players: int, records: int, seed: int, ts: int, tile_map: TileMap, garbage_every: int
) -> Iterator[Record]:
    rng = random.Random(seed)
    world = new_world(tile_map)
    offset = 0
    seqs: dict[int, int] = {}
    joined_at: dict[int, int] = {}
    next_swing: dict[int, int] = {}

    def emit(action: Action) -> Record:
        nonlocal offset
        apply(world, action, ts)
        offset += 1
        return Record(TOPIC, 0, offset - 1, ts, record_key(action.pid), encode(action))

    for i in range(players):
        pid = 1000 + i
        seqs[pid], joined_at[pid], next_swing[pid] = 1, ts, 0
        colour = rng.randrange(0x404040, 0xFFFFFF)
        yield emit(Join(pid, 1, 0, f"bot{i}", colour, ts, tile_map.name))
        ts += 1
        if offset >= records:
            return
    while True:
        ts += TICK_MS
        for pid in list(seqs):
            me = world.players.get(pid)
            if me is None or not me.alive:
                continue
            seqs[pid] += 1
            t = ts - joined_at[pid]
            if offset % garbage_every == garbage_every - 1:
                offset += 1
                yield Record(TOPIC, 0, offset - 1, ts, record_key(pid), b"\xc1garbage")
            action = _decide(world, me, pid, seqs[pid], t, next_swing, rng)
            yield emit(action)
            if offset >= records:
                return


def _decide(
    world: World, me: Player, pid: int, seq: int, t: int, next_swing: dict[int, int], rng: random.Random
) -> Action:
    for item in world.items:
        near = (item.x - me.x) ** 2 + (item.y - me.y) ** 2 <= PICKUP_RANGE_UNITS**2
        if near and world.item_present(item) and (item.kind != "potion" or me.potions < 3):
            return Pickup(pid, seq, t, item.item_id)
    rivals = [p for p in world.players.values() if p is not me and p.alive]
    dx: float
    dy: float
    if rivals:
        target = min(rivals, key=lambda p: (p.x - me.x) ** 2 + (p.y - me.y) ** 2)
        dx, dy = target.x - me.x, target.y - me.y
        if dx * dx + dy * dy <= (ATTACK_RANGE_UNITS * 0.8) ** 2 and t >= next_swing[pid]:
            next_swing[pid] = t + ATTACK_COOLDOWN_MS + 10
            return Attack(pid, seq, t, facing_towards(dx, dy))
    else:
        dx, dy = rng.uniform(-1, 1), rng.uniform(-1, 1)
    # Wander a little so bots do not jam on a corner chasing someone behind a wall.
    angle = math.atan2(dy, dx) + rng.uniform(-0.9, 0.9)
    step_x, step_y = round(math.cos(angle) * STEP_UNITS), round(math.sin(angle) * STEP_UNITS)
    if world.grid is None:
        raise RuntimeError("a brawl's world has its map")  # new_world(tile_map) set the grid
    x, y = world.grid.slide(me.x, me.y, step_x, step_y)
    return Move(pid, seq, t, x, y, facing_towards(step_x, step_y))
