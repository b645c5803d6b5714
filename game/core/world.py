"""The world and the reducer: the rules of the game in one file.

`apply(world, action, ts)` folds one action, appended to the match log at broker time
`ts` (ms, LogAppendTime), into the world and returns an `Outcome`: applied (with the
events it caused) or rejected with a reason. It never raises on bad input, does no I/O and
reads no clock but `ts`, so every reader of the same log holds the same world, which
`world_hash` lets anyone check.

For speed (a replay folds about a hundred thousand actions a second) the world is updated
in place; a rejected action changes nothing but the passage of time (a signed player's
rejected action also spends its sequence number and token), and `World.copy()` takes a
snapshot. Time-based rules (respawns, item timers, dead clients) fire lazily when
the clock passes them, so they depend only on the log.

Two clocks: world timers use the broker's append time. Per-player rate rules (speed,
cooldown) use the player's own client time `t`, anchored to the broker time of its join
and never allowed to run ahead of the broker clock by more than CLOCK_SKEW_MS: a player's
actions batched by the network keep their real spacing, and nobody can claim the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import blake2b
from math import isqrt

import msgpack

from game.core.actions import Action, Attack, Join, Leave, Move, Pickup, Ping, UseItem
from game.core.auth import TOKEN_BYTES, verify
from game.core.constants import (
    ATTACK_COOLDOWN_MS,
    ATTACK_DAMAGE_HP,
    ATTACK_HALF_ARC_DEG,
    ATTACK_RANGE_UNITS,
    CLOCK_SKEW_MS,
    COIN_SCORE,
    DEFAULT_ROUND_S,
    FACING_VECTORS,
    FURY_DAMAGE_MULTIPLIER,
    FURY_MS,
    INTERMISSION_MS,
    ITEM_RESPAWN_MS,
    KILL_SCORE,
    MAX_HEALTH_HP,
    MAX_PLAYERS,
    MAX_POTIONS,
    MAX_ROUND_S,
    MIN_ROUND_S,
    MOVE_BURST_MS,
    MOVE_SPEED_PX_S,
    PATH_STEP_UNITS,
    PICKUP_RANGE_UNITS,
    POTION_HEAL_HP,
    PRESENCE_TIMEOUT_MS,
    RESPAWN_MS,
    ROUND_COUNTDOWN_MS,
    ROUND_MIN_PLAYERS,
    UNITS_PER_PX,
)
from game.core.grid import CollisionGrid
from game.core.maps import TileMap
from game.core.ranking import rank_order

ROUNDS_SINCE_RULES = 2  # matches whose first join plays rules 2 or later are played in rounds
GUARDS_SINCE_RULES = 2  # and may be guarded (their first join proven: proven joins only)

# Movement budget in milli-units: refills MOVE_SPEED units/ms * 1000 per ms of client time.
_REFILL_PER_MS = MOVE_SPEED_PX_S * UNITS_PER_PX
_BUDGET_CAP = MOVE_BURST_MS * _REFILL_PER_MS
# cos(half arc) * 1000, exact for the 60 degree arc the game uses.
_COS_HALF_ARC_MILLI = {60: 500, 45: 707, 90: 0}[ATTACK_HALF_ARC_DEG]
_NEVER = 2**62
_UNIT_SHIFT = UNITS_PER_PX.bit_length() - 1  # positions are never negative (the codec checks)


# --- events: what an applied action (or the clock) caused, for effects, feeds and stats ---


@dataclass(frozen=True, slots=True)
class Standing:
    """One player's line in a round's final table."""

    pid: int
    name: str
    score: int
    kills: int
    deaths: int


@dataclass(frozen=True, slots=True)
class Joined:
    pid: int
    name: str


@dataclass(frozen=True, slots=True)
class Left:
    pid: int
    name: str
    reason: str  # "left" or "timeout"


@dataclass(frozen=True, slots=True)
class Swung:
    pid: int
    facing: int


@dataclass(frozen=True, slots=True)
class Hit:
    attacker: int
    victim: int
    damage: int
    hp: int


@dataclass(frozen=True, slots=True)
class Killed:
    attacker: int
    victim: int
    points: int = 0  # the score the attacker earned: the one place scoring happens is the reducer


@dataclass(frozen=True, slots=True)
class Respawned:
    pid: int
    x: int
    y: int


@dataclass(frozen=True, slots=True)
class PickedUp:
    pid: int
    item: int
    kind: str
    points: int = 0  # the score the player earned (a coin's worth)


@dataclass(frozen=True, slots=True)
class Used:
    pid: int
    kind: str
    hp: int


@dataclass(frozen=True, slots=True)
class ItemBack:
    item: int
    kind: str


@dataclass(frozen=True, slots=True)
class RoundStarted:
    round_no: int
    at: int  # match time the round began (the scheduled time, not the record's that fired it)
    ends_at: int


@dataclass(frozen=True, slots=True)
class RoundEnded:
    round_no: int
    at: int  # match time the round ended (scheduled)
    winner: int  # pid of the best ranked present player; 0 when nobody was there
    winner_name: str
    standings: tuple[Standing, ...]  # the present players, best first


Event = (
    Joined | Left | Swung | Hit | Killed | Respawned | PickedUp | Used | ItemBack | RoundStarted | RoundEnded
)


@dataclass(frozen=True, slots=True)
class Outcome:
    applied: bool
    reason: str = ""  # why it was rejected
    events: tuple[Event, ...] = ()


APPLIED = Outcome(True)

# Round phases (rules v2). A match of older rules has no rounds and stays in NO_ROUNDS.
NO_ROUNDS = ""
WARMUP = "warmup"  # fewer than ROUND_MIN_PLAYERS present
COUNTDOWN = "countdown"  # enough players: the round starts at phase_ends
PLAYING = "playing"
INTERMISSION = "intermission"  # the round is over: winner shown, no attacks or pickups
_REJECTED: dict[str, Outcome] = {}


def _reject(reason: str, events: list[Event] | None) -> Outcome:
    if events:
        return Outcome(False, reason, tuple(events))
    outcome = _REJECTED.get(reason)
    if outcome is None:
        outcome = _REJECTED[reason] = Outcome(False, reason)
    return outcome


# --- state ---


class Player:
    """One player's state. Mutable for speed; only the reducer writes it."""

    __slots__ = (
        "pid",
        "name",
        "color",
        "x",
        "y",
        "facing",
        "hp",
        "alive",
        "respawn_at",
        "kills",
        "deaths",
        "score",
        "coins",
        "potions",
        "pickups",
        "damage_dealt",
        "fury_until",
        "next_attack_at",
        "seq",
        "clock_base",
        "last_at",
        "budget",
        "budget_at",
        "last_seen",
        "joined_at",
        "auth",
    )

    def __init__(self, pid: int, name: str, color: int, x: int, y: int, ts: int, t: int, seq: int) -> None:
        self.pid = pid
        self.name = name
        self.color = color
        self.x = x
        self.y = y
        self.facing = 4
        self.hp = MAX_HEALTH_HP
        self.alive = True
        self.respawn_at = 0
        self.kills = 0
        self.deaths = 0
        self.score = 0
        self.coins = 0
        self.potions = 0
        self.pickups = 0
        self.damage_dealt = 0
        self.fury_until = 0
        self.next_attack_at = 0
        self.seq = seq
        self.clock_base = ts - t  # client time t maps to match time clock_base + t
        self.last_at = ts
        self.budget = _BUDGET_CAP
        self.budget_at = ts
        self.last_seen = ts
        self.joined_at = ts
        self.auth = b""  # last accepted hash-chain token (the tip at join); empty: unsigned

    def copy(self) -> Player:
        clone = Player.__new__(Player)
        for name in Player.__slots__:
            setattr(clone, name, getattr(self, name))
        return clone

    def state(self) -> tuple:
        return tuple(getattr(self, name) for name in Player.__slots__)

    def __repr__(self) -> str:
        return f"Player({self.name!r}, pid={self.pid}, hp={self.hp}, at=({self.x}, {self.y}))"


class Item:
    __slots__ = ("item_id", "kind", "x", "y", "available_at")

    def __init__(self, item_id: int, kind: str, x: int, y: int, available_at: int = 0) -> None:
        self.item_id = item_id
        self.kind = kind
        self.x = x
        self.y = y
        self.available_at = available_at  # present when available_at <= clock

    def copy(self) -> Item:
        return Item(self.item_id, self.kind, self.x, self.y, self.available_at)


class World:
    """A match's world. The first join chooses the map (it names the map it expects) and the
    rules version (the one its client plays by; 0, unversioned, for joins written before
    matches recorded it)."""

    __slots__ = (
        "maps",
        "map",
        "grid",
        "rules",
        "clock",
        "players",
        "items",
        "next_timer",
        "names",
        "retired",
        "round_ms",
        "round_no",
        "phase",
        "phase_ends",
        "last_round",
        "guarded",
    )

    def __init__(self, maps: dict[str, TileMap]) -> None:
        self.maps = maps
        self.map: TileMap | None = None
        self.grid: CollisionGrid | None = None
        self.rules = 0
        self.clock = 0
        self.players: dict[int, Player] = {}
        self.names: dict[str, int] = {}
        self.items: list[Item] = []
        self.next_timer = _NEVER
        # Ids that have left: never joinable again, or anyone could replay the old join and
        # then the spent (public) tokens of that player's hash chain.
        self.retired: set[int] = set()
        # Rounds (rules v2; round_ms 0: none): the round being played (or the last one), its
        # phase and when that phase ends, and the last finished round's result.
        self.round_ms = 0
        self.round_no = 0
        self.phase = NO_ROUNDS
        self.phase_ends = _NEVER
        self.last_round: RoundEnded | None = None
        # Guarded (its first join was proven, game/core/identity.py): takes proven joins only.
        self.guarded = False

    def copy(self) -> World:
        clone = World(self.maps)
        clone.map = self.map
        clone.grid = self.grid
        clone.rules = self.rules
        clone.clock = self.clock
        clone.players = {pid: p.copy() for pid, p in self.players.items()}
        clone.names = dict(self.names)
        clone.items = [item.copy() for item in self.items]
        clone.next_timer = self.next_timer
        clone.retired = set(self.retired)
        clone.round_ms = self.round_ms
        clone.round_no = self.round_no
        clone.phase = self.phase
        clone.phase_ends = self.phase_ends
        clone.last_round = self.last_round
        clone.guarded = self.guarded
        return clone

    def item_present(self, item: Item) -> bool:
        return item.available_at <= self.clock


def world_hash(world: World) -> str:
    """A stable hash of everything the rules can observe (not the bare clock)."""
    state: tuple = (
        world.map.name if world.map else "",
        [world.players[pid].state() for pid in sorted(world.players)],
        [item.available_at for item in world.items],
        sorted(world.retired),
    )
    # The rules version is in the hash, like the map: it decides which joins the world takes,
    # so two worlds differing only in it are not the same world (and a checkpoint, checked
    # against its hash, cannot lose it). Only when not 0, so an unversioned world (every
    # match recorded before it existed) keeps the hash it always had.
    if world.rules:
        state += (world.rules,)
    if world.round_ms:  # likewise only in matches with rounds
        state += (round_state(world),)
    if world.guarded:  # and only in guarded matches
        state += ("guarded",)
    return blake2b(msgpack.packb(state), digest_size=8).hexdigest()


def round_state(world: World) -> list:
    """The round fields as plain values (for the hash and checkpoints)."""
    last = world.last_round
    result = (
        [
            last.round_no,
            last.at,
            last.winner,
            last.winner_name,
            [list(_standing_fields(x)) for x in last.standings],
        ]
        if last is not None
        else []
    )
    return [world.round_ms, world.round_no, world.phase, world.phase_ends, result]


def _standing_fields(standing: Standing) -> tuple[int, str, int, int, int]:
    return standing.pid, standing.name, standing.score, standing.kills, standing.deaths


def set_round_state(world: World, fields: list) -> None:
    """The inverse of `round_state` (a checkpoint's); raises on fields of another shape."""
    round_ms, round_no, phase, phase_ends, result = fields
    if not all(type(v) is int for v in (round_ms, round_no, phase_ends)) or phase not in _PHASES:
        raise TypeError("round fields of another shape")
    # The reducer compares phases by identity: take the constant, not the unpacked copy.
    world.phase = _PHASES[_PHASES.index(phase)]
    world.round_ms, world.round_no, world.phase_ends = round_ms, round_no, phase_ends
    world.last_round = None
    if result:
        number, at, winner, winner_name, standings = result
        world.last_round = RoundEnded(
            number, at, winner, winner_name, tuple(Standing(*fields) for fields in standings)
        )


_PHASES = (NO_ROUNDS, WARMUP, COUNTDOWN, PLAYING, INTERMISSION)


def new_world(maps: dict[str, TileMap] | TileMap) -> World:
    """An empty world that knows these maps (or this one map)."""
    if isinstance(maps, TileMap):
        maps = {maps.name: maps}
    return World(dict(maps))


# --- the reducer ---


def apply(world: World, action: Action, ts: int, proven: bool = False) -> Outcome:
    """Fold one action appended at broker time `ts` into the world. `proven`: the action is a
    join whose proof its reader found in the player's identity log (game/core/identity.py)."""
    events: list[Event] | None = None
    if ts > world.clock:
        world.clock = ts
        if ts >= world.next_timer:
            events = _fire_timers(world)
    ts = world.clock  # LogAppendTime never goes back; if a record claims so, use the clock
    # Dispatch on `type(action) is ...`, not `match`: class patterns cost 5 % of the replay
    # fold here (an isinstance check per case), and mypy narrows each branch all the same.
    if type(action) is Join:
        return _join(world, action, ts, events, proven)
    player = world.players.get(action.pid)
    if player is None:
        return _reject("not_joined", events)
    seq = action.seq
    if seq <= player.seq:
        return _reject("duplicate", events)
    if player.auth:
        token = action.auth
        if seq - player.seq == 1:  # the common case, inlined: one hash per action
            if len(token) != TOKEN_BYTES or blake2b(token, digest_size=TOKEN_BYTES).digest() != player.auth:
                return _reject("forged", events)
        elif not verify(token, seq - player.seq, player.auth):
            return _reject("forged", events)
    at = player.clock_base + action.t
    if at > ts + CLOCK_SKEW_MS:
        return _spend(player, action, "clock_ahead", events)
    if at < player.last_at:
        return _spend(player, action, "clock_backwards", events)

    if type(action) is Move:
        reason = _move(world, player, action, at)
    elif world.phase is INTERMISSION and (
        type(action) is Attack or type(action) is Pickup or type(action) is UseItem
    ):
        reason = "round_over"  # between rounds nobody scores: walk about, see who won
    elif type(action) is Attack:
        if not 0 <= action.facing <= 7:
            return _reject("bad_action", events)  # only a hand-built action; the codec checks
        reason = _attack(world, player, action, at, events := events or [])
    elif type(action) is Pickup:
        reason = _pickup(world, player, action, events := events or [])
    elif type(action) is UseItem:
        reason = _use(player, events := events or [])
    elif type(action) is Ping:
        reason = ""
    elif type(action) is Leave:
        _remove(world, player, "left", events := events or [])
        return Outcome(True, "", tuple(events))
    else:
        reason = "unknown_action"
    if reason:
        return _spend(player, action, reason, events)
    player.seq = seq
    player.auth = action.auth
    player.last_at = at
    player.last_seen = ts
    return Outcome(True, "", tuple(events)) if events else APPLIED


def _spend(player: Player, action: Action, reason: str, events: list[Event] | None) -> Outcome:
    """Reject a genuine action of a signed player: its token is public now, so it is spent
    (the sequence moves on) or anyone could replay it with other content."""
    if player.auth:
        player.seq = action.seq
        player.auth = action.auth
    return _reject(reason, events)


def _join(world: World, action: Join, ts: int, events: list[Event] | None, proven: bool) -> Outcome:
    if world.map is None:
        tile_map = world.maps.get(action.map_name)
        if tile_map is None:
            return _reject("unknown_map", events)
        if action.proof_at >= 0 and not proven:
            return _reject("unproven", events)  # a guarded match is opened by its login only
        _set_map(world, tile_map)
        world.guarded = proven and action.rules >= GUARDS_SINCE_RULES
        world.rules = action.rules
        if action.rules >= ROUNDS_SINCE_RULES:
            round_s = action.round_s or DEFAULT_ROUND_S
            world.round_ms = min(max(round_s, MIN_ROUND_S), MAX_ROUND_S) * 1000
            world.phase = WARMUP
    elif world.rules and action.rules != world.rules:
        # A client of other rules would fold this log into another world. An unversioned
        # match (its first join predates rules versions) cannot tell, so takes any join.
        return _reject("wrong_rules", events)
    elif action.map_name != world.map.name:
        return _reject("wrong_map", events)
    present = world.players.get(action.pid)
    if present is not None and action.seq <= present.seq:
        return _reject("duplicate", events)  # the same join written twice (a producer re-send)
    if present is not None or action.pid in world.retired:
        return _reject("pid_taken", events)
    if action.name in world.names:
        return _reject("name_taken", events)
    # After the name check: a reader may skip looking up the proof of a join whose name is
    # taken (a flood of them costs it nothing), since the answer is name_taken either way.
    if action.proof_at >= 0 and not proven:
        return _reject("unproven", events)
    if world.guarded and action.proof_at < 0:
        return _reject("no_identity", events)
    if len(world.players) >= MAX_PLAYERS:
        return _reject("match_full", events)
    player = Player(action.pid, action.name, action.color, 0, 0, ts, action.t, action.seq)
    player.x, player.y = _spawn_point(world, player)
    player.auth = action.auth
    world.players[action.pid] = player
    world.names[action.name] = action.pid
    world.next_timer = min(world.next_timer, ts + PRESENCE_TIMEOUT_MS)
    events = events or []
    events.append(Joined(action.pid, action.name))
    if world.phase is WARMUP and len(world.players) >= ROUND_MIN_PLAYERS:
        world.phase = COUNTDOWN
        world.phase_ends = ts + ROUND_COUNTDOWN_MS
        world.next_timer = min(world.next_timer, world.phase_ends)
    return Outcome(True, "", tuple(events))


def _set_map(world: World, tile_map: TileMap) -> None:
    world.map = tile_map
    world.grid = CollisionGrid.for_map(tile_map)
    world.items = [Item(spawn.item_id, spawn.kind, spawn.x, spawn.y) for spawn in tile_map.items]


def _move(world: World, player: Player, action: Move, at: int) -> str:
    if not player.alive:
        return "dead"
    grid = world.grid
    if grid is None:  # never: a player exists only once a join has set the map
        return "no_map"
    x, y = action.x, action.y
    # CollisionGrid.blocked, inlined: this line runs for every move of every replay.
    px, py = x >> _UNIT_SHIFT, y >> _UNIT_SHIFT
    width = grid.width_px
    if px >= width or py >= grid.height_px or grid.cells[py * width + px] == 1:
        return "into_wall"
    dx, dy = x - player.x, y - player.y
    if dx or dy:
        # A step shorter than the path sampling distance has only its end point to check,
        # and that was just checked: skip the walk along it (most moves are this short).
        if (
            dx >= PATH_STEP_UNITS or -dx >= PATH_STEP_UNITS or dy >= PATH_STEP_UNITS or -dy >= PATH_STEP_UNITS
        ) and not grid.path_clear(player.x, player.y, x, y):
            return "through_wall"
        budget = player.budget + (at - player.budget_at) * _REFILL_PER_MS
        if budget > _BUDGET_CAP:
            budget = _BUDGET_CAP
        cost = isqrt(dx * dx + dy * dy) * 1000
        if cost > budget:
            return "too_fast"
        player.budget = budget - cost
        player.budget_at = at
        player.x = x
        player.y = y
    player.facing = action.facing
    return ""


def _attack(world: World, player: Player, action: Attack, at: int, events: list[Event]) -> str:
    if not player.alive:
        return "dead"
    if at < player.next_attack_at:
        return "cooldown"
    ts = world.clock
    player.facing = action.facing
    player.next_attack_at = at + ATTACK_COOLDOWN_MS
    events.append(Swung(player.pid, action.facing))
    damage = ATTACK_DAMAGE_HP * (FURY_DAMAGE_MULTIPLIER if player.fury_until > ts else 1)
    fx, fy = FACING_VECTORS[action.facing]
    reach2 = ATTACK_RANGE_UNITS * ATTACK_RANGE_UNITS
    for victim in world.players.values():
        if victim is player or not victim.alive:
            continue
        dx, dy = victim.x - player.x, victim.y - player.y
        dist2 = dx * dx + dy * dy
        if dist2 > reach2:
            continue
        # Inside the swing's arc: angle to the victim within the half arc of the facing.
        if dist2 and (fx * dx + fy * dy) < _COS_HALF_ARC_MILLI * isqrt(dist2):
            continue
        dealt = min(damage, victim.hp)
        victim.hp -= dealt
        player.damage_dealt += dealt
        events.append(Hit(player.pid, victim.pid, dealt, victim.hp))
        if victim.hp == 0:
            victim.alive = False
            victim.deaths += 1
            victim.respawn_at = ts + RESPAWN_MS
            world.next_timer = min(world.next_timer, victim.respawn_at)
            player.kills += 1
            player.score += KILL_SCORE
            events.append(Killed(player.pid, victim.pid, KILL_SCORE))
    return ""


def _pickup(world: World, player: Player, action: Pickup, events: list[Event]) -> str:
    if not player.alive:
        return "dead"
    if action.item >= len(world.items):
        return "no_such_item"
    item = world.items[action.item]
    ts = world.clock
    if item.available_at > ts:
        return "item_taken"
    dx, dy = item.x - player.x, item.y - player.y
    if dx * dx + dy * dy > PICKUP_RANGE_UNITS * PICKUP_RANGE_UNITS:
        return "out_of_reach"
    points = 0
    if item.kind == "potion":
        if player.potions >= MAX_POTIONS:
            return "inventory_full"
        player.potions += 1
    elif item.kind == "coin":
        points = COIN_SCORE
        player.coins += 1
        player.score += points
    elif item.kind == "fury":
        player.fury_until = ts + FURY_MS
    item.available_at = ts + ITEM_RESPAWN_MS[item.kind]
    world.next_timer = min(world.next_timer, item.available_at)
    player.pickups += 1
    events.append(PickedUp(player.pid, item.item_id, item.kind, points))
    return ""


def _use(player: Player, events: list[Event]) -> str:
    if not player.alive:
        return "dead"
    if player.potions == 0:
        return "nothing_to_use"
    if player.hp >= MAX_HEALTH_HP:
        return "full_health"
    player.potions -= 1
    player.hp = min(MAX_HEALTH_HP, player.hp + POTION_HEAL_HP)
    events.append(Used(player.pid, "potion", player.hp))
    return ""


def _remove(world: World, player: Player, reason: str, events: list[Event]) -> None:
    del world.players[player.pid]
    del world.names[player.name]
    world.retired.add(player.pid)
    events.append(Left(player.pid, player.name, reason))
    if world.phase is COUNTDOWN and len(world.players) < ROUND_MIN_PLAYERS:
        world.phase = WARMUP  # the countdown waits for a second player again
        world.phase_ends = _NEVER


def _fire_timers(world: World) -> list[Event]:
    """Run every timer due at the clock, in a fixed order, and find the next one."""
    ts = world.clock
    events: list[Event] = []
    upcoming = _NEVER
    for player in list(world.players.values()):
        if player.last_seen + PRESENCE_TIMEOUT_MS <= ts:
            _remove(world, player, "timeout", events)
            continue
        upcoming = min(upcoming, player.last_seen + PRESENCE_TIMEOUT_MS)
        if not player.alive:
            if player.respawn_at <= ts:
                _respawn(world, player, events)
            else:
                upcoming = min(upcoming, player.respawn_at)
    for item in world.items:
        if item.available_at:
            if item.available_at <= ts:
                item.available_at = 0
                events.append(ItemBack(item.item_id, item.kind))
            else:
                upcoming = min(upcoming, item.available_at)
    if world.phase_ends <= ts:
        _advance_rounds(world, events)
    world.next_timer = min(upcoming, world.phase_ends)
    return events


def _advance_rounds(world: World, events: list[Event]) -> None:
    """Every round phase that ended by the clock, in turn, each at its scheduled time (so a
    quiet match that wakes up later passes through the same phases as a busy one)."""
    while world.phase_ends <= world.clock:
        at = world.phase_ends
        if world.phase is PLAYING:
            world.last_round = _round_result(world, at)
            world.phase, world.phase_ends = INTERMISSION, at + INTERMISSION_MS
            events.append(world.last_round)
        elif world.phase is COUNTDOWN or len(world.players) >= ROUND_MIN_PLAYERS:
            _start_round(world, at, events)
        else:  # an intermission that ends with too few players: warm up again
            world.phase, world.phase_ends = WARMUP, _NEVER


def _round_result(world: World, at: int) -> RoundEnded:
    """The round's final table and winner, by the one ranking (score, kills, fewer deaths, name)."""
    best_first = sorted(world.players.values(), key=lambda p: rank_order(p.name, p))
    standings = tuple(Standing(p.pid, p.name, p.score, p.kills, p.deaths) for p in best_first)
    winner = standings[0] if standings else Standing(0, "", 0, 0, 0)
    return RoundEnded(world.round_no, at, winner.pid, winner.name, standings)


def _start_round(world: World, at: int, events: list[Event]) -> None:
    """A new round: scores back to zero, everyone alive at a spawn point, every item back."""
    world.round_no += 1
    world.phase, world.phase_ends = PLAYING, at + world.round_ms
    for item in world.items:
        if item.available_at:
            item.available_at = 0
            events.append(ItemBack(item.item_id, item.kind))
    for player in world.players.values():
        player.kills = player.deaths = player.score = player.coins = player.pickups = 0
        player.damage_dealt = player.potions = 0
        _respawn(world, player, events)
    events.append(RoundStarted(world.round_no, at, world.phase_ends))


def _respawn(world: World, player: Player, events: list[Event]) -> None:
    player.x, player.y = _spawn_point(world, player)
    player.hp = MAX_HEALTH_HP
    player.alive = True
    player.respawn_at = 0
    player.fury_until = 0
    player.budget = _BUDGET_CAP
    events.append(Respawned(player.pid, player.x, player.y))


def _spawn_point(world: World, player: Player) -> tuple[int, int]:
    """The spawn point farthest from every living rival; ties go round-robin by player."""
    if world.map is None:  # never: a player exists only once a join has set the map
        return 0, 0
    spawns = world.map.spawns
    rivals = [(p.x, p.y) for p in world.players.values() if p.alive and p is not player]
    start = (player.pid + player.deaths) % len(spawns)
    best, best_room = spawns[start], -1
    for i in range(len(spawns)):
        sx, sy = spawns[(start + i) % len(spawns)]
        room = min(((sx - x) ** 2 + (sy - y) ** 2 for x, y in rivals), default=_NEVER)
        if room > best_room:
            best, best_room = (sx, sy), room
    return best
