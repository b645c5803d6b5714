"""The reducer's rules, one at a time: what each action does when applied and why it is rejected.

Tests drive the world through `apply` with a small scripted client (`Match`) that keeps each
player's seq and client clock honest, and place players directly when geometry matters.
"""

from __future__ import annotations

from collections.abc import Callable
from hashlib import blake2b

import msgpack
import pytest

from game.core.actions import Action, Attack, Join, Leave, Move, Pickup, Ping, UseItem
from game.core.constants import (
    ATTACK_COOLDOWN_MS,
    ATTACK_DAMAGE_HP,
    ATTACK_RANGE_UNITS,
    CLOCK_SKEW_MS,
    COIN_SCORE,
    FURY_DAMAGE_MULTIPLIER,
    FURY_MS,
    ITEM_RESPAWN_MS,
    KILL_SCORE,
    MAX_HEALTH_HP,
    MAX_POTIONS,
    MOVE_BURST_MS,
    MOVE_SPEED_PX_S,
    PICKUP_RANGE_UNITS,
    POTION_HEAL_HP,
    PRESENCE_TIMEOUT_MS,
    RESPAWN_MS,
    UNITS_PER_PX,
)
from game.core.grid import CollisionGrid
from game.core.maps import TileMap, load_map, tile_centre
from game.core.world import (
    APPLIED,
    Hit,
    ItemBack,
    Joined,
    Killed,
    Left,
    Outcome,
    PickedUp,
    Player,
    Respawned,
    Swung,
    Used,
    World,
    apply,
    new_world,
    world_hash,
)

ARENA = load_map("arena")
CROSSROADS = load_map("crossroads")

# An open patch of the arena: nothing within 80 px east/west or 47 px north/south is a wall.
OPEN_X, OPEN_Y = tile_centre(14, 5)
# Unit distance covered in `ms` at exactly the move speed.
SPEED_UNITS_PER_S = MOVE_SPEED_PX_S * UNITS_PER_PX
BURST_UNITS = MOVE_BURST_MS * SPEED_UNITS_PER_S // 1000

EAST, SOUTH, WEST, NORTH = 2, 4, 6, 0


class Match:
    """A scripted log writer: each helper appends one action at broker time `self.ts`.

    Clients behave: seq counts up from 1 and the client clock runs with the broker clock
    since the player's join, unless a test passes `seq=` or `t=` to misbehave on purpose.
    """

    def __init__(self, *maps: TileMap, ts: int = 1_000) -> None:
        self.world: World = new_world({m.name: m for m in (maps or (ARENA,))})
        self.ts = ts
        self.seq: dict[int, int] = {}
        self.joined_at: dict[int, int] = {}

    def tick(self, ms: int) -> None:
        self.ts += ms

    def join(
        self, pid: int, name: str | None = None, map_name: str = "arena", t: int = 0, rules: int = 0
    ) -> Outcome:
        action = Join(pid, 1, t, name or f"p{pid}", 0x3366FF, 1_700_000_000_000, map_name, rules=rules)
        outcome = apply(self.world, action, self.ts)
        if outcome.applied:
            self.seq[pid] = 1
            self.joined_at[pid] = self.ts - t
        return outcome

    def _send(
        self,
        cls: Callable[..., Action],
        pid: int,
        *payload: int,
        seq: int | None = None,
        t: int | None = None,
    ) -> Outcome:
        if seq is None:
            seq = self.seq.get(pid, 0) + 1
        if t is None:
            t = self.ts - self.joined_at.get(pid, self.ts)
        self.seq[pid] = max(self.seq.get(pid, 0), seq)
        return apply(self.world, cls(pid, seq, t, *payload), self.ts)

    def move(self, pid: int, x: int, y: int, facing: int = EAST, **kw: int | None) -> Outcome:
        return self._send(Move, pid, x, y, facing, **kw)

    def attack(self, pid: int, facing: int = EAST, **kw: int | None) -> Outcome:
        return self._send(Attack, pid, facing, **kw)

    def pickup(self, pid: int, item: int, **kw: int | None) -> Outcome:
        return self._send(Pickup, pid, item, **kw)

    def use(self, pid: int, **kw: int | None) -> Outcome:
        return self._send(UseItem, pid, **kw)

    def ping(self, pid: int, **kw: int | None) -> Outcome:
        return self._send(Ping, pid, **kw)

    def leave(self, pid: int, **kw: int | None) -> Outcome:
        return self._send(Leave, pid, **kw)

    def keep_alive_until(self, ts: int, *pids: int) -> None:
        """Ping every few seconds up to (not including) `ts`, so nobody times out."""
        while self.ts + 5_000 < ts:
            self.tick(5_000)
            for pid in pids:
                assert self.ping(pid).applied
        self.ts = ts

    def place(self, pid: int, x: int, y: int) -> None:
        assert not self.grid.blocked(x, y), f"test bug: ({x}, {y}) is inside a wall"
        player = self.world.players[pid]
        player.x, player.y = x, y

    def player(self, pid: int) -> Player:
        return self.world.players[pid]

    @property
    def grid(self) -> CollisionGrid:
        assert self.world.grid is not None, "test bug: no join has set the map yet"
        return self.world.grid


def item_of(kind: str) -> int:
    return next(spawn.item_id for spawn in ARENA.items if spawn.kind == kind)


def farthest_spawn(rivals: list[tuple[int, int]]) -> tuple[int, int]:
    """The spawn maximising the distance to the nearest rival; asserts it is unique."""

    def room(spawn: tuple[int, int]) -> int:
        return min((spawn[0] - x) ** 2 + (spawn[1] - y) ** 2 for x, y in rivals)

    ranked = sorted(ARENA.spawns, key=room, reverse=True)
    assert room(ranked[0]) > room(ranked[1]), "test bug: farthest spawn is not unique"
    return ranked[0]


def duel(attacker: int = 1, victim: int = 2) -> Match:
    """Two players in the open, the victim 30 px east of the attacker."""
    match = Match()
    assert match.join(attacker).applied
    assert match.join(victim).applied
    match.place(attacker, OPEN_X, OPEN_Y)
    match.place(victim, OPEN_X + 30 * UNITS_PER_PX, OPEN_Y)
    return match


def kill(match: Match, attacker: int, victim: int) -> Outcome:
    """Swing until the victim dies (spacing swings by the cooldown); the killing outcome."""
    for _ in range(MAX_HEALTH_HP // ATTACK_DAMAGE_HP + 1):
        match.tick(ATTACK_COOLDOWN_MS)
        outcome = match.attack(attacker, EAST)
        assert outcome.applied
        if any(isinstance(e, Killed) for e in outcome.events):
            return outcome
    raise AssertionError("victim never died")


# --- join ---


def test_join_places_player_on_a_spawn_point_with_full_health():
    match = Match()
    outcome = match.join(42, "alice")
    assert outcome == Outcome(True, "", (Joined(42, "alice"),))
    player = match.player(42)
    assert (player.x, player.y) in ARENA.spawns
    assert player.hp == MAX_HEALTH_HP and player.alive
    assert (player.kills, player.deaths, player.score, player.potions) == (0, 0, 0, 0)
    assert match.world.map is ARENA
    assert match.world.names == {"alice": 42}


def test_first_join_with_no_rivals_takes_the_round_robin_spawn_for_its_pid():
    for pid in range(1, 2 * len(ARENA.spawns)):
        match = Match()
        assert match.join(pid).applied
        player = match.player(pid)
        assert (player.x, player.y) == ARENA.spawns[pid % len(ARENA.spawns)]


def test_join_rejects_a_taken_name():
    match = Match()
    assert match.join(1, "alice").applied
    assert match.join(2, "alice") == Outcome(False, "name_taken")
    assert 2 not in match.world.players


def test_join_rejects_a_taken_pid():
    match = Match()
    assert match.join(1, "alice").applied
    # The same join again (a producer re-send) is a duplicate; another join with that id is not.
    assert match.join(1, "bob") == Outcome(False, "duplicate")
    other = Join(1, 5, 0, "bob", 0x3366FF, 1_700_000_000_000, "arena")
    assert apply(match.world, other, match.ts) == Outcome(False, "pid_taken")
    assert match.world.names == {"alice": 1}


def test_join_rejects_an_unknown_map_and_leaves_the_map_unchosen():
    match = Match()
    assert match.join(1, map_name="atlantis") == Outcome(False, "unknown_map")
    assert match.world.map is None and not match.world.players
    assert match.join(1, map_name="arena").applied


def test_join_rejects_a_map_other_than_the_one_the_first_join_chose():
    match = Match(ARENA, CROSSROADS)
    assert match.join(1, map_name="crossroads").applied
    assert match.world.map is CROSSROADS
    assert match.join(2, map_name="arena") == Outcome(False, "wrong_map")
    assert match.join(2, map_name="crossroads").applied


def test_the_first_join_fixes_the_rules_and_a_join_of_other_rules_is_rejected():
    match = Match()
    assert match.world.rules == 0
    assert match.join(1, rules=2).applied
    assert match.world.rules == 2
    before = world_hash(match.world)
    assert match.join(2, rules=1) == Outcome(False, "wrong_rules")
    assert match.join(3, rules=3) == Outcome(False, "wrong_rules")
    assert match.join(4, rules=0) == Outcome(False, "wrong_rules")  # an unversioned client
    assert world_hash(match.world) == before and set(match.world.players) == {1}
    assert match.join(2, rules=2).applied
    assert match.world.rules == 2


def test_the_rules_stay_the_first_joins_after_everyone_left():
    match = Match()
    assert match.join(1, rules=2).applied
    assert match.leave(1).applied
    assert not match.world.players
    assert match.join(2, rules=1) == Outcome(False, "wrong_rules")


def test_a_join_of_other_rules_is_rejected_before_its_map_is_judged():
    match = Match(ARENA, CROSSROADS)
    assert match.join(1, map_name="crossroads", rules=1).applied
    assert match.join(2, map_name="arena", rules=2) == Outcome(False, "wrong_rules")
    assert match.join(2, map_name="atlantis", rules=2) == Outcome(False, "wrong_rules")
    assert match.join(2, map_name="arena", rules=1) == Outcome(False, "wrong_map")


def test_a_first_join_rejected_for_its_map_fixes_no_rules():
    match = Match()
    assert match.join(1, map_name="atlantis", rules=2) == Outcome(False, "unknown_map")
    assert match.world.rules == 0
    assert match.join(1, rules=1).applied
    assert match.world.rules == 1


def test_an_unversioned_match_takes_joins_of_any_rules():
    # Its first join was written before matches recorded their rules: nothing to check against.
    match = Match()
    assert match.join(1, rules=0).applied
    assert match.join(2, rules=1).applied
    assert match.join(3, rules=7).applied
    assert match.world.rules == 0


def test_wrong_rules_is_decided_by_log_order_alone():
    outcomes = []
    for first, second in ((1, 2), (2, 1)):
        match = Match()
        outcomes.append((match.join(1, rules=first).applied, match.join(2, rules=second).reason))
    assert outcomes == [(True, "wrong_rules"), (True, "wrong_rules")]


@pytest.mark.parametrize("rival_spawn", range(len(ARENA.spawns)))
def test_join_spawns_at_the_spawn_farthest_from_the_living_rival(rival_spawn):
    match = Match()
    assert match.join(100).applied
    match.place(100, *ARENA.spawns[rival_spawn])
    assert match.join(7).applied
    player = match.player(7)
    assert (player.x, player.y) == farthest_spawn([ARENA.spawns[rival_spawn]])


def test_join_spawn_maximises_distance_to_the_nearest_of_several_rivals():
    match = Match()
    for pid, tile in ((10, (14, 5)), (11, (27, 17))):
        assert match.join(pid).applied
        match.place(pid, *tile_centre(*tile))
    assert match.join(12).applied
    player = match.player(12)
    expected = farthest_spawn([tile_centre(14, 5), tile_centre(27, 17)])
    assert (player.x, player.y) == expected == tile_centre(1, 18)


def test_join_spawn_ignores_dead_rivals():
    match = Match()
    assert match.join(100).applied
    match.place(100, *ARENA.spawns[0])
    match.player(100).alive = False
    assert match.join(8).applied  # 8 % 8 == 0: round-robin start is spawns[0], the dead rival's
    player = match.player(8)
    assert (player.x, player.y) == ARENA.spawns[0]


# --- envelope: not joined, seq, clocks ---


@pytest.mark.parametrize(
    "action",
    [Move(9, 2, 0, 100, 100, 0), Attack(9, 2, 0, 0), Pickup(9, 2, 0, 0), UseItem(9, 2, 0), Ping(9, 2, 0)]
    + [Leave(9, 2, 0)],
    ids=lambda a: a.KIND,
)
def test_actions_from_a_player_who_never_joined_are_rejected(action):
    match = Match()
    assert match.join(1).applied
    before = world_hash(match.world)
    assert apply(match.world, action, 2_000) == Outcome(False, "not_joined")
    assert world_hash(match.world) == before


@pytest.mark.parametrize("seq", [1, 2])
def test_a_repeated_or_older_seq_is_rejected_as_duplicate(seq):
    match = Match()
    assert match.join(1).applied
    match.tick(100)
    assert match.ping(1, seq=2).applied
    match.tick(100)
    assert match.ping(1, seq=seq) == Outcome(False, "duplicate")
    assert match.player(1).seq == 2


def test_a_gap_in_seq_is_accepted():
    match = Match()
    assert match.join(1).applied
    match.tick(100)
    assert match.ping(1, seq=50) == APPLIED
    assert match.player(1).seq == 50


def test_client_time_beyond_the_broker_time_plus_skew_is_rejected_clock_ahead():
    match = Match()
    assert match.join(1).applied  # at ts 1000, client t 0
    assert match.ping(1, t=CLOCK_SKEW_MS + 1) == Outcome(False, "clock_ahead")
    assert match.ping(1, t=CLOCK_SKEW_MS) == APPLIED


def test_client_time_anchors_to_the_join_so_a_client_clock_offset_is_harmless():
    match = Match()
    assert match.join(1, t=123_456).applied  # the client's own clock started long ago
    match.tick(500)
    assert match.ping(1) == APPLIED  # Match keeps t = 123_456 + 500
    assert match.ping(1, t=123_456 + 500 + CLOCK_SKEW_MS + 1) == Outcome(False, "clock_ahead")


def test_client_time_going_backwards_is_rejected():
    match = Match()
    assert match.join(1).applied
    match.tick(500)
    assert match.ping(1, t=500).applied
    assert match.ping(1, t=499) == Outcome(False, "clock_backwards")
    assert match.ping(1, t=500).applied  # equal client times are fine


def test_a_broker_time_going_backwards_is_clamped_to_the_world_clock():
    match = Match()
    assert match.join(1).applied
    match.tick(5_000)
    assert match.ping(1).applied
    assert match.world.clock == 6_000
    outcome = apply(match.world, Ping(1, 99, 5_000), 10)
    assert outcome == APPLIED
    assert match.world.clock == 6_000
    assert match.player(1).last_seen == 6_000


# --- move ---


def test_move_within_speed_is_applied_indefinitely():
    match = Match()
    assert match.join(1).applied
    match.place(1, OPEN_X, OPEN_Y)
    step = SPEED_UNITS_PER_S // 10  # exactly the speed, every 100 ms, for 20 s
    for i in range(200):
        match.tick(100)
        x = OPEN_X + (step if i % 2 == 0 else 0)
        assert match.move(1, x, OPEN_Y, EAST if i % 2 == 0 else WEST) == APPLIED, i
        assert (match.player(1).x, match.player(1).y) == (x, OPEN_Y)


def test_sustained_overspeed_is_rejected_too_fast_and_leaves_the_player_in_place():
    match = Match()
    assert match.join(1).applied
    match.place(1, OPEN_X, OPEN_Y)
    step = SPEED_UNITS_PER_S * 3 // 20  # 1.5 x the speed, every 100 ms
    reasons = []
    for _ in range(30):
        match.tick(100)
        player = match.player(1)
        before = (player.x, player.y, player.facing)
        x = OPEN_X + step if player.x == OPEN_X else OPEN_X
        outcome = match.move(1, x, OPEN_Y, NORTH)
        reasons.append(outcome.reason)
        if not outcome.applied:
            assert (player.x, player.y, player.facing) == before
    assert reasons[0] == ""  # the bank absorbs the first steps
    assert "too_fast" in reasons
    # Once the bank is empty, overspeed keeps failing about every third step.
    assert reasons[-9:].count("too_fast") >= 3


def test_a_burst_after_standing_still_passes_but_the_bank_is_capped():
    match = Match()
    assert match.join(1).applied
    match.place(1, OPEN_X, OPEN_Y)
    match.tick(2_000)
    assert match.move(1, OPEN_X + BURST_UNITS, OPEN_Y) == APPLIED  # 450 ms of travel at once
    match.tick(1)
    assert match.move(1, OPEN_X + BURST_UNITS + 100, OPEN_Y) == Outcome(False, "too_fast")


def test_a_burst_larger_than_the_bank_is_too_fast_however_long_the_player_stood_still():
    match = Match()
    assert match.join(1).applied
    match.place(1, OPEN_X, OPEN_Y)
    match.keep_alive_until(match.ts + 60_000, 1)  # rests for a minute
    assert match.move(1, OPEN_X + BURST_UNITS + 1, OPEN_Y) == Outcome(False, "too_fast")
    assert match.player(1).x == OPEN_X


def test_move_onto_a_wall_is_rejected_into_wall():
    match = Match()
    assert match.join(1).applied
    match.place(1, *tile_centre(2, 4))
    wall = tile_centre(3, 4)
    assert ARENA.is_wall(3, 4)
    match.tick(1_000)
    assert match.move(1, *wall) == Outcome(False, "into_wall")
    # Touching the wall counts too: 10 px from its face, closer than the player's radius.
    assert match.move(1, 96 * UNITS_PER_PX - 10 * UNITS_PER_PX, tile_centre(2, 4)[1]) == Outcome(
        False, "into_wall"
    )
    assert (match.player(1).x, match.player(1).y) == tile_centre(2, 4)


def test_move_jumping_across_a_wall_to_a_free_spot_is_rejected_through_wall():
    match = Match()
    assert match.join(1).applied
    start, across = tile_centre(2, 4), tile_centre(4, 4)  # the single wall tile (3, 4) between
    match.place(1, *start)
    assert not match.grid.blocked(*across)
    distance = across[0] - start[0]
    assert distance <= BURST_UNITS  # the budget alone would allow it
    match.tick(1_000)
    assert match.move(1, *across) == Outcome(False, "through_wall")
    assert (match.player(1).x, match.player(1).y) == start


def test_move_in_place_only_turns_the_player():
    match = Match()
    assert match.join(1).applied
    match.place(1, OPEN_X, OPEN_Y)
    match.tick(10)
    assert match.move(1, OPEN_X, OPEN_Y, 5) == APPLIED
    assert (match.player(1).x, match.player(1).y, match.player(1).facing) == (OPEN_X, OPEN_Y, 5)


# --- dead players ---


@pytest.mark.parametrize(
    "act",
    [
        lambda m: m.move(2, m.player(2).x + 16, m.player(2).y),
        lambda m: m.attack(2, WEST),
        lambda m: m.pickup(2, 0),
        lambda m: m.use(2),
    ],
    ids=["move", "attack", "pickup", "use"],
)
def test_a_dead_player_cannot_act(act):
    match = duel()
    match.player(2).potions = 1
    kill(match, 1, 2)
    match.tick(100)
    before = world_hash(match.world)
    assert act(match) == Outcome(False, "dead")
    assert world_hash(match.world) == before
    assert match.ping(2) == APPLIED  # but it can still say it is there


# --- attack ---


def test_attack_hits_a_victim_in_range_in_front():
    match = duel()
    match.tick(100)
    outcome = match.attack(1, EAST)
    expected_hp = MAX_HEALTH_HP - ATTACK_DAMAGE_HP
    assert outcome == Outcome(True, "", (Swung(1, EAST), Hit(1, 2, ATTACK_DAMAGE_HP, expected_hp)))
    assert match.player(2).hp == expected_hp
    assert match.player(1).damage_dealt == ATTACK_DAMAGE_HP
    assert match.player(1).facing == EAST


def test_attack_misses_a_victim_behind():
    match = duel()
    match.tick(100)
    assert match.attack(1, WEST) == Outcome(True, "", (Swung(1, WEST),))
    assert match.player(2).hp == MAX_HEALTH_HP


@pytest.mark.parametrize(
    ("offset", "hit"),
    [(ATTACK_RANGE_UNITS, True), (ATTACK_RANGE_UNITS + 1, False)],
    ids=["at_range", "just_beyond"],
)
def test_attack_reaches_exactly_its_range(offset, hit):
    match = duel()
    match.place(2, OPEN_X + offset, OPEN_Y)
    match.tick(100)
    outcome = match.attack(1, EAST)
    assert any(isinstance(e, Hit) for e in outcome.events) is hit
    assert match.player(2).hp == MAX_HEALTH_HP - (ATTACK_DAMAGE_HP if hit else 0)


@pytest.mark.parametrize(
    ("dx", "dy", "hit"),
    [
        (400, 0, True),  # straight ahead
        (400, 400, True),  # 45 degrees off
        (300, 510, True),  # ~59.5 degrees off
        (300, 525, False),  # ~60.3 degrees off
        (0, 400, False),  # 90 degrees off
        (-400, 0, False),  # behind
        (0, 0, True),  # standing on the attacker: no direction, always hit
    ],
)
def test_attack_hits_only_inside_the_sixty_degree_half_arc(dx, dy, hit):
    match = duel()
    match.place(2, OPEN_X + dx, OPEN_Y + dy)
    match.tick(100)
    outcome = match.attack(1, EAST)
    assert any(isinstance(e, Hit) for e in outcome.events) is hit


def test_attack_hits_every_victim_in_the_arc():
    match = duel()
    assert match.join(3).applied
    match.place(3, OPEN_X + 300, OPEN_Y - 200)
    match.tick(100)
    outcome = match.attack(1, EAST)
    assert {e.victim for e in outcome.events if isinstance(e, Hit)} == {2, 3}


def test_fury_doubles_the_damage_until_it_wears_off():
    match = duel()
    match.player(1).fury_until = match.ts + 1_000
    match.tick(100)
    damage = ATTACK_DAMAGE_HP * FURY_DAMAGE_MULTIPLIER
    assert Hit(1, 2, damage, MAX_HEALTH_HP - damage) in match.attack(1, EAST).events
    match.tick(900)  # fury_until is no longer in the future
    hit = Hit(1, 2, ATTACK_DAMAGE_HP, MAX_HEALTH_HP - damage - ATTACK_DAMAGE_HP)
    assert hit in match.attack(1, EAST).events


def test_attack_within_the_cooldown_is_rejected():
    match = duel()
    match.tick(100)
    assert match.attack(1, EAST).applied
    match.tick(ATTACK_COOLDOWN_MS - 1)
    before = world_hash(match.world)
    assert match.attack(1, EAST) == Outcome(False, "cooldown")
    assert world_hash(match.world) == before
    match.tick(1)
    assert match.attack(1, EAST).applied
    assert match.player(2).hp == MAX_HEALTH_HP - 2 * ATTACK_DAMAGE_HP


def test_damage_is_capped_at_the_victims_remaining_health():
    match = duel()
    match.player(2).hp = 5
    match.tick(100)
    outcome = match.attack(1, EAST)
    assert Hit(1, 2, 5, 0) in outcome.events and Killed(1, 2, KILL_SCORE) in outcome.events
    assert match.player(1).damage_dealt == 5


def test_a_kill_credits_the_killer_and_schedules_the_respawn():
    match = duel()
    outcome = kill(match, 1, 2)
    assert outcome.events[-2:] == (Hit(1, 2, ATTACK_DAMAGE_HP, 0), Killed(1, 2, KILL_SCORE))
    killer, victim = match.player(1), match.player(2)
    assert (killer.kills, killer.score, killer.deaths) == (1, KILL_SCORE, 0)
    assert (victim.alive, victim.hp, victim.deaths, victim.kills) == (False, 0, 1, 0)
    assert victim.respawn_at == match.ts + RESPAWN_MS
    assert killer.damage_dealt == MAX_HEALTH_HP
    # The dead are not hit again.
    match.tick(ATTACK_COOLDOWN_MS)
    assert match.attack(1, EAST) == Outcome(True, "", (Swung(1, EAST),))
    assert match.player(2).deaths == 1


# --- respawn ---


def test_respawn_happens_lazily_when_a_later_record_passes_respawn_at():
    match = duel()
    kill(match, 1, 2)
    victim = match.player(2)
    victim.fury_until = match.ts + 60_000
    respawn_at = victim.respawn_at
    match.ts = respawn_at - 1
    assert not any(isinstance(e, Respawned) for e in match.ping(1).events)
    assert not victim.alive
    match.ts = respawn_at
    outcome = match.ping(1)
    expected = farthest_spawn([(OPEN_X, OPEN_Y)])
    assert outcome == Outcome(True, "", (Respawned(2, *expected),))
    assert (victim.alive, victim.hp, victim.x, victim.y) == (True, MAX_HEALTH_HP, *expected)
    assert victim.fury_until == 0
    assert match.move(2, expected[0], expected[1] + 16, SOUTH).applied  # alive again


def test_respawn_fires_even_on_a_record_that_is_itself_rejected():
    match = duel()
    kill(match, 1, 2)
    match.ts = match.player(2).respawn_at + 5
    outcome = apply(match.world, Ping(777, 1, 0), match.ts)
    assert not outcome.applied and outcome.reason == "not_joined"
    assert [type(e) for e in outcome.events] == [Respawned]
    assert match.player(2).alive


def test_respawn_does_not_fire_without_a_later_record():
    match = duel()
    kill(match, 1, 2)
    assert not match.player(2).alive  # no record has passed respawn_at: still dead
    assert match.world.clock < match.player(2).respawn_at


# --- pickup ---


def at_item(match: Match, pid: int, item: int) -> None:
    spawn = ARENA.items[item]
    match.place(pid, spawn.x, spawn.y)


def test_picking_up_a_potion_puts_it_in_the_inventory():
    match = Match()
    assert match.join(1).applied
    potion = item_of("potion")
    at_item(match, 1, potion)
    match.tick(10)
    assert match.pickup(1, potion) == Outcome(True, "", (PickedUp(1, potion, "potion"),))
    assert match.player(1).potions == 1 and match.player(1).pickups == 1
    assert match.world.items[potion].available_at == match.ts + ITEM_RESPAWN_MS["potion"]


def test_a_potion_is_refused_when_the_inventory_is_full():
    match = Match()
    assert match.join(1).applied
    match.player(1).potions = MAX_POTIONS
    potion = item_of("potion")
    at_item(match, 1, potion)
    match.tick(10)
    assert match.pickup(1, potion) == Outcome(False, "inventory_full")
    assert match.world.items[potion].available_at == 0  # still there for someone else


def test_picking_up_a_coin_scores():
    match = Match()
    assert match.join(1).applied
    coin = item_of("coin")
    at_item(match, 1, coin)
    match.tick(10)
    assert match.pickup(1, coin) == Outcome(True, "", (PickedUp(1, coin, "coin", COIN_SCORE),))
    assert (match.player(1).coins, match.player(1).score) == (1, COIN_SCORE)


def test_picking_up_fury_sets_fury_until():
    match = Match()
    assert match.join(1).applied
    fury = item_of("fury")
    at_item(match, 1, fury)
    match.tick(10)
    assert match.pickup(1, fury).applied
    assert match.player(1).fury_until == match.ts + FURY_MS


def test_pickup_reaches_exactly_its_range():
    match = Match()
    assert match.join(1).applied
    potion = item_of("potion")
    spawn = ARENA.items[potion]
    match.place(1, spawn.x + PICKUP_RANGE_UNITS + 1, spawn.y)
    match.tick(10)
    assert match.pickup(1, potion) == Outcome(False, "out_of_reach")
    match.place(1, spawn.x + PICKUP_RANGE_UNITS, spawn.y)
    assert match.pickup(1, potion).applied


def test_pickup_of_a_missing_item_id_is_rejected():
    match = Match()
    assert match.join(1).applied
    match.tick(10)
    assert match.pickup(1, len(ARENA.items)) == Outcome(False, "no_such_item")
    assert match.pickup(1, 255) == Outcome(False, "no_such_item")


def test_pickup_of_an_item_already_taken_is_rejected():
    match = Match()
    assert match.join(1).applied
    coin = item_of("coin")
    at_item(match, 1, coin)
    match.tick(10)
    assert match.pickup(1, coin).applied
    match.tick(10)
    assert match.pickup(1, coin) == Outcome(False, "item_taken")
    assert match.player(1).coins == 1


@pytest.mark.parametrize("kind", sorted(ITEM_RESPAWN_MS))
def test_an_item_comes_back_after_its_respawn_time(kind):
    match = Match()
    assert match.join(1).applied
    item = item_of(kind)
    at_item(match, 1, item)
    match.tick(10)
    assert match.pickup(1, item).applied
    taken_at = match.ts
    match.keep_alive_until(taken_at + ITEM_RESPAWN_MS[kind] - 1, 1)
    outcome = match.ping(1)
    assert not any(isinstance(e, ItemBack) for e in outcome.events)
    assert match.pickup(1, item) == Outcome(False, "item_taken")
    match.ts = taken_at + ITEM_RESPAWN_MS[kind]
    assert match.ping(1) == Outcome(True, "", (ItemBack(item, kind),))
    assert match.world.items[item].available_at == 0
    if kind == "potion":
        match.player(1).potions = 0
    assert match.pickup(1, item).applied


def test_a_contested_item_goes_to_the_first_pickup_in_log_order():
    match = Match()
    assert match.join(1).applied and match.join(2).applied
    coin = item_of("coin")
    at_item(match, 1, coin)
    at_item(match, 2, coin)
    match.tick(10)  # both records land in the same millisecond
    assert match.pickup(2, coin) == Outcome(True, "", (PickedUp(2, coin, "coin", COIN_SCORE),))
    assert match.pickup(1, coin) == Outcome(False, "item_taken")
    assert (match.player(1).score, match.player(2).score) == (0, COIN_SCORE)


# --- use ---


@pytest.mark.parametrize(
    ("hp", "healed"),
    [(10, 10 + POTION_HEAL_HP), (MAX_HEALTH_HP - POTION_HEAL_HP, MAX_HEALTH_HP), (MAX_HEALTH_HP - 1, 100)],
)
def test_a_potion_heals_capped_at_max_health(hp, healed):
    match = Match()
    assert match.join(1).applied
    match.player(1).hp = hp
    match.player(1).potions = 2
    match.tick(10)
    assert match.use(1) == Outcome(True, "", (Used(1, "potion", healed),))
    assert (match.player(1).hp, match.player(1).potions) == (healed, 1)


def test_use_with_an_empty_inventory_is_rejected():
    match = Match()
    assert match.join(1).applied
    match.player(1).hp = 50
    match.tick(10)
    assert match.use(1) == Outcome(False, "nothing_to_use")
    assert match.player(1).hp == 50


def test_use_at_full_health_is_rejected_and_keeps_the_potion():
    match = Match()
    assert match.join(1).applied
    match.player(1).potions = 1
    match.tick(10)
    assert match.use(1) == Outcome(False, "full_health")
    assert match.player(1).potions == 1


# --- presence and leave ---


def test_pings_keep_a_player_present_beyond_the_timeout():
    match = Match()
    assert match.join(1).applied
    for _ in range(10):
        match.tick(PRESENCE_TIMEOUT_MS - 1)
        assert match.ping(1) == APPLIED
    assert 1 in match.world.players


def test_a_silent_player_is_removed_after_the_presence_timeout():
    def run() -> tuple[list[Outcome], World]:
        match = Match()
        assert match.join(1, "quiet").applied
        assert match.join(2, "chatty").applied
        outcomes = []
        for ts in (6_000, PRESENCE_TIMEOUT_MS, PRESENCE_TIMEOUT_MS + 999, PRESENCE_TIMEOUT_MS + 1_000):
            match.ts = ts
            outcomes.append(match.ping(2))
        return outcomes, match.world

    outcomes, world = run()
    # Joined at 1000: still present at 10_999, gone at exactly 11_000.
    assert outcomes[:3] == [APPLIED, APPLIED, APPLIED]
    assert outcomes[3] == Outcome(True, "", (Left(1, "quiet", "timeout"),))
    assert set(world.players) == {2} and world.names == {"chatty": 2}
    # Deterministic: the same log gives the same outcomes and world.
    again, world_again = run()
    assert again == outcomes and world_hash(world_again) == world_hash(world)


def test_rejected_actions_do_not_count_as_presence():
    match = Match()
    assert match.join(1).applied
    for _ in range(3):
        match.tick(PRESENCE_TIMEOUT_MS // 3)
        assert match.move(1, *tile_centre(0, 0)) == Outcome(False, "into_wall")
    match.tick(PRESENCE_TIMEOUT_MS - PRESENCE_TIMEOUT_MS // 3 * 3)
    assert match.ping(1) == Outcome(False, "not_joined", (Left(1, "p1", "timeout"),))
    assert 1 not in match.world.players


def test_a_timed_out_name_can_be_taken_again():
    match = Match()
    assert match.join(1, "alice").applied
    match.tick(PRESENCE_TIMEOUT_MS)
    outcome = match.join(2, "alice")
    assert outcome == Outcome(True, "", (Left(1, "alice", "timeout"), Joined(2, "alice")))


def test_leave_removes_the_player_and_frees_the_name():
    match = Match()
    assert match.join(1, "alice").applied
    match.tick(100)
    assert match.leave(1) == Outcome(True, "", (Left(1, "alice", "left"),))
    assert 1 not in match.world.players and "alice" not in match.world.names
    assert match.ping(1) == Outcome(False, "not_joined")
    assert match.join(2, "alice").applied
    # The id is retired: replaying the old join would revive the spent tokens of its chain.
    assert match.join(1, "bob") == Outcome(False, "pid_taken")


def test_a_dead_player_may_leave():
    match = duel()
    kill(match, 1, 2)
    match.tick(10)
    assert match.leave(2).applied
    match.ts += RESPAWN_MS
    assert not any(isinstance(e, Respawned) for e in match.ping(1).events)


# --- hash and copy ---


def test_world_hash_ignores_the_bare_clock():
    match = duel()
    before = world_hash(match.world)
    apply(match.world, Ping(777, 1, 0), match.ts + 100)
    assert world_hash(match.world) == before


def test_world_hash_sees_a_player_change():
    match = duel()
    before = world_hash(match.world)
    match.player(2).hp -= 1
    assert world_hash(match.world) != before


def test_world_hash_sees_the_rules_version():
    hashes = set()
    for rules in (0, 1, 2):
        match = Match()
        assert match.join(1, rules=rules).applied
        hashes.add(world_hash(match.world))
    assert len(hashes) == 3


def test_world_hash_of_an_unversioned_world_is_the_hash_it_always_had():
    # Recordings made before rules versions pin their hashes: rules 0 must not enter the hash.
    match = duel()
    world = match.world
    assert world.rules == 0
    old_state = (
        world.map.name if world.map else "",
        [world.players[pid].state() for pid in sorted(world.players)],
        [item.available_at for item in world.items],
        sorted(world.retired),
    )
    assert world_hash(world) == blake2b(msgpack.packb(old_state), digest_size=8).hexdigest()


def test_copy_keeps_the_rules():
    match = Match()
    assert match.join(1, rules=3).applied
    snapshot = match.world.copy()
    assert snapshot.rules == 3
    assert apply(snapshot, Join(2, 1, 0, "p2", 0, 0, "arena", rules=1), match.ts) == Outcome(
        False, "wrong_rules"
    )


def test_copy_is_independent_of_the_original():
    match = duel()
    snapshot = match.world.copy()
    before = world_hash(snapshot)
    match.tick(100)
    assert match.attack(1, EAST).applied
    coin = item_of("coin")
    at_item(match, 1, coin)
    assert match.pickup(1, coin).applied
    assert match.leave(2).applied
    assert world_hash(snapshot) == before
    assert set(snapshot.players) == {1, 2} and snapshot.players[2].hp == MAX_HEALTH_HP
    assert snapshot.items[coin].available_at == 0 and "p2" in snapshot.names
