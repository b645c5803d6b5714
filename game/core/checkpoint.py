"""Checkpoints: a reader's replica of a match at a log offset, packed so another can start there.

A checkpoint is a cache of the fold, never a second truth: it carries the offset it reflects,
the world hash there, the rules version and its own format version, and a reader that cannot
use it (another format, other rules, another match, bytes that do not unpack, a state whose
hash is not the one written beside it) folds from offset 0 as if there were none. Pure: the
Kafka edge moves the bytes, the stats processor writes them.

Value (msgpack): [format, rules, match, offset, ts, world_hash, state], where state is
[map name, clock, next timer, players (each its slots in order), items, names, retired ids,
applied, rejected by reason, skipped by reason, delivery per pid, the world's rules version,
its round state, guarded] (the rules version is the match's, from its first join: not the `rules`
beside the state, which is the writer's).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import msgpack

from game.core.grid import CollisionGrid
from game.core.maps import TileMap
from game.core.replica import DeliveryHealth, MatchReplica
from game.core.rules import RULES_VERSION
from game.core.world import Item, Player, World, round_state, set_round_state, world_hash

CHECKPOINT_FORMAT = 2  # 2: the round state and whether the match is guarded (rules v2) at the end
# A checkpoint is bounded by the players a match admits; Kafka's default record limit is 1 MB.
MAX_CHECKPOINT_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A match's replica after the record at `offset` (broker time `ts`)."""

    match: str
    offset: int
    ts: int
    world_hash: str
    rules: int
    format: int
    state: bytes


@dataclass(frozen=True, slots=True)
class Unusable:
    """Why a checkpoint was not used; the reader folds from the start instead."""

    reason: str  # "malformed", "format", "rules", "other_match", "unknown_map", "hash_mismatch"


def take_checkpoint(replica: MatchReplica, ts: int) -> Checkpoint:
    """The checkpoint of `replica` as it stands after its last record (broker time `ts`)."""
    world = replica.world
    state = [
        world.map.name if world.map is not None else "",
        world.clock,
        world.next_timer,
        [list(player.state()) for player in world.players.values()],
        [[item.item_id, item.kind, item.x, item.y, item.available_at] for item in world.items],
        world.names,
        sorted(world.retired),
        replica.applied,
        dict(replica.rejected),
        dict(replica.skipped),
        [[pid, h.last_seq, h.gaps, h.repeats] for pid, h in replica.delivery.items()],
        world.rules,
        round_state(world),
        world.guarded,
    ]
    packed = msgpack.packb(state, use_bin_type=True)
    return Checkpoint(
        replica.match, replica.offset, ts, world_hash(world), RULES_VERSION, CHECKPOINT_FORMAT, packed
    )


def encode_checkpoint(checkpoint: Checkpoint) -> bytes:
    c = checkpoint
    return msgpack.packb(
        [c.format, c.rules, c.match, c.offset, c.ts, c.world_hash, c.state], use_bin_type=True
    )


def decode_checkpoint(value: bytes | None) -> Checkpoint | Unusable:
    """The checkpoint in a record's value; never raises."""
    if value is None or len(value) > MAX_CHECKPOINT_BYTES:
        return Unusable("malformed")
    try:
        fields = msgpack.unpackb(value, raw=False, strict_map_key=False)
    except (ValueError, TypeError, msgpack.UnpackException):
        return Unusable("malformed")
    if not isinstance(fields, list) or len(fields) != 7 or fields[0] != CHECKPOINT_FORMAT:
        return Unusable("format" if isinstance(fields, list) and fields else "malformed")
    fmt, rules, match, offset, ts, hash_, state = fields
    if not (
        isinstance(rules, int)
        and isinstance(match, str)
        and isinstance(offset, int)
        and isinstance(ts, int)
        and isinstance(hash_, str)
        and isinstance(state, bytes)
    ):
        return Unusable("malformed")
    return Checkpoint(match, offset, ts, hash_, rules, fmt, state)


def restore(checkpoint: Checkpoint, match: str, maps: dict[str, TileMap]) -> MatchReplica | Unusable:
    """The replica a checkpoint holds, checked against its own hash; never raises."""
    if checkpoint.format != CHECKPOINT_FORMAT:
        return Unusable("format")
    if checkpoint.rules != RULES_VERSION:
        return Unusable("rules")
    if checkpoint.match != match:
        return Unusable("other_match")
    if checkpoint.offset < -1:
        return Unusable("malformed")  # -1: before the first record; nothing lies below it
    try:
        replica = _unpack(checkpoint, maps)
        if world_hash(replica.world) != checkpoint.world_hash:
            return Unusable("hash_mismatch")
    except UnknownMap:
        return Unusable("unknown_map")
    except Exception:  # whatever bytes say, a reader goes on: it folds from the start instead
        return Unusable("malformed")
    return replica


class UnknownMap(KeyError):
    """The checkpoint's match is played on a map this reader does not have."""


# Player slots that are not plain numbers; a value of another type is a malformed checkpoint.
_SLOT_TYPES: dict[str, type] = {"name": str, "alive": bool, "auth": bytes}


def _player(fields: list[Any]) -> Player:
    if len(fields) != len(Player.__slots__):
        raise ValueError("a player of another shape")
    player = Player.__new__(Player)
    for name, value in zip(Player.__slots__, fields, strict=True):
        wanted = _SLOT_TYPES.get(name)
        ok = type(value) is wanted if wanted else type(value) in (int, float)
        if not ok:
            raise TypeError(f"player field {name} of type {type(value).__name__}")
        setattr(player, name, value)
    return player


def _unpack(checkpoint: Checkpoint, maps: dict[str, TileMap]) -> MatchReplica:
    state: list[Any] = msgpack.unpackb(checkpoint.state, raw=False, strict_map_key=False)
    (
        map_name,
        clock,
        next_timer,
        players,
        items,
        names,
        retired,
        applied,
        rejected,
        skipped,
        delivery,
        rules,
        rounds,
        guarded,
    ) = state
    world = World(maps)
    if map_name:
        if map_name not in maps:
            raise UnknownMap(map_name)
        world.map = maps[map_name]
        world.grid = CollisionGrid.for_map(world.map)
    if type(rules) is not int:
        raise TypeError("a rules version that is not a number")
    world.rules = rules  # in the world hash (when not 0), which the caller checks
    set_round_state(world, rounds)  # likewise
    if type(guarded) is not bool:
        raise TypeError("a guard that is not a flag")
    world.guarded = guarded  # likewise
    if type(clock) is not int:
        raise TypeError("a clock that is not a number")
    world.clock = clock
    # Derived state is rebuilt, not trusted (the world hash does not cover it): the next timer
    # is found again at the next record (firing early fires nothing that is not due), and the
    # names are the present players'; items keep the map's places, only their timers restore.
    del next_timer, names
    world.next_timer = clock
    for fields in players:
        player = _player(fields)
        world.players[player.pid] = player
    world.names = {player.name: pid for pid, player in world.players.items()}
    if len(world.names) != len(world.players):
        raise ValueError("two present players with one name")
    spawns = world.map.items if world.map is not None else []
    if len(items) != len(spawns):
        raise ValueError("items that are not the map's")
    world.items = []
    for spawn, fields in zip(spawns, items, strict=True):
        available_at = fields[4]
        if type(available_at) is not int:
            raise TypeError("an item timer that is not a number")
        world.items.append(Item(spawn.item_id, spawn.kind, spawn.x, spawn.y, available_at))
    world.retired = {pid for pid in retired if type(pid) is int}
    return MatchReplica(
        checkpoint.match,
        world,
        checkpoint.offset,
        applied,
        Counter(rejected),
        Counter(skipped),
        {pid: DeliveryHealth(last_seq, gaps, repeats) for pid, last_seq, gaps, repeats in delivery},
    )
