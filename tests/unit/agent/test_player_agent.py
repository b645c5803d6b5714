"""PlayerAgent: sequence numbers, local prediction, and reconciling it with what the log says.

The tests drive an agent with a fake clock and fold what it sends into a real world with the
reducer, handing every judged action back to the agent as a reader would (`Harness`).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.agent.player import (
    IDLE,
    MOVE_SEND_INTERVAL_MS,
    SNAP_DISTANCE_UNITS,
    Intent,
    PlayerAgent,
    facing_of,
)
from game.core.actions import Action, Attack, Join, Leave, Move, Pickup, Ping, UseItem
from game.core.auth import chain_hash, verify
from game.core.constants import (
    ATTACK_COOLDOWN_MS,
    COIN_SCORE,
    FACING_NAMES,
    FACING_VECTORS,
    HEARTBEAT_MS,
    MAX_HEALTH_HP,
    POTION_HEAL_HP,
)
from game.core.maps import TileMap, parse_map, tile_centre
from game.core.world import Outcome, Player, World, apply, new_world

# Spawn S at tile (1, 1); an interior wall block for the corner cases.
OPEN = parse_map(
    "open",
    "\n".join(
        [
            "############",
            "#S.........#",
            "#..........#",
            "#....##....#",
            "#....##....#",
            "#..........#",
            "############",
        ]
    ),
)
# A coin right next to the spawn, on the way east.
COIN = parse_map("coin", "\n".join(["#######", "#SC...#", "#.....#", "#######"]))

SPAWN = tile_centre(1, 1)
EAST = (1.0, 0.0)
BASE_TS = 1_700_000_000_000
FRAME_MS = 20.0


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.seconds = 500.0

    def __call__(self) -> float:
        return self.seconds

    def advance(self, ms: float) -> None:
        self.seconds += ms / 1000


class Harness:
    """One agent, a world, and a log with no latency unless the test holds actions back."""

    def __init__(
        self,
        tile_map: TileMap = OPEN,
        *,
        name: str = "ann",
        pid: int = 7,
        chain_length: int | None = 64,
        world: World | None = None,
        clock: FakeClock | None = None,
    ) -> None:
        self.clock = clock or FakeClock()
        self.world = world if world is not None else new_world(tile_map)
        self.agent = PlayerAgent(
            name,
            tile_map.name,
            pid=pid,
            clock=self.clock,
            wall_clock=lambda: 1_700_000_000.0,
            chain_length=chain_length,
        )
        self.judged: list[tuple[Action, Outcome]] = []

    def ts(self) -> int:
        return BASE_TS + int(self.agent.now_ms())

    def deliver(self, actions: Iterable[Action]) -> list[Outcome]:
        """The log appends these actions now and the agent reads back its own records."""
        outcomes = []
        for action in actions:
            outcome = apply(self.world, action, self.ts())
            self.agent.on_own_record(action, outcome, self.world)
            self.judged.append((action, outcome))
            outcomes.append(outcome)
        return outcomes

    def join(self) -> Outcome:
        (outcome,) = self.deliver([self.agent.join()])
        return outcome

    def frame(self, intent: Intent = IDLE, dt_ms: float = FRAME_MS) -> list[Action]:
        """One frame: time passes, the agent acts; nothing is delivered yet."""
        self.clock.advance(dt_ms)
        return self.agent.act(intent, self.world, dt_ms)

    def play(self, intent: Intent = IDLE, dt_ms: float = FRAME_MS) -> list[Action]:
        """One frame whose actions reach the log at once."""
        actions = self.frame(intent, dt_ms)
        self.deliver(actions)
        return actions

    @property
    def me(self) -> Player:
        return self.world.players[self.agent.pid]

    def rejections(self) -> list[tuple[Action, str]]:
        return [(action, outcome.reason) for action, outcome in self.judged if not outcome.applied]


# --- sequence numbers, client time and signatures ---


def test_the_join_is_sequence_one_and_every_later_action_takes_the_next_number() -> None:
    h = Harness()
    h.join()
    sent: list[Action] = []
    for intent in (Intent(direction=EAST), Intent(attack=True), Intent(grab=0), IDLE, Intent(direction=EAST)):
        sent += h.play(intent, dt_ms=40)
    h.clock.advance(HEARTBEAT_MS)
    sent += h.play()
    kinds = {type(action) for action in sent}
    assert {Move, Attack, Pickup, Ping} <= kinds
    assert [action.seq for action in sent] == list(range(2, 2 + len(sent)))
    assert all(action.pid == 7 for action in sent)


def test_actions_carry_the_client_time_since_the_agent_started() -> None:
    h = Harness()
    join = h.agent.join()
    assert join.t == 0
    h.clock.advance(250)
    attack = h.agent.attack()
    assert attack is not None and attack.t == 250
    h.clock.advance(1_000.7)
    assert h.agent.leave().t == 1_250  # whole milliseconds, never rounded up into the future


def test_the_join_carries_the_chain_tip_and_each_later_token_hashes_forward_to_it() -> None:
    h = Harness(chain_length=32)
    join = h.agent.join()
    assert h.agent.chain is not None and join.auth == h.agent.chain.tip
    later = [h.agent.grab(0) for _ in range(5)]
    for k, action in enumerate(later, start=1):
        assert verify(action.auth, k, join.auth)
    assert len({action.auth for action in later}) == 5


def test_a_proven_join_spends_the_first_token_and_the_reducer_follows_the_chain_from_there() -> None:
    h = Harness(COIN, chain_length=64)
    h.agent.proof_at = 0
    join = h.agent.join()
    assert h.agent.chain is not None and chain_hash(join.auth) == h.agent.chain.tip
    # What a reader does for a proven join: the proof named the tip, the join its preimage.
    assert apply(h.world, join, h.ts(), proven=True).applied
    h.agent.on_own_record(join, Outcome(True), h.world)
    later = [h.agent.grab(0) for _ in range(3)]
    for k, action in enumerate(later, start=1):
        assert verify(action.auth, k, join.auth)
    for _ in range(20):
        h.play(Intent(direction=EAST))
    assert not any(reason == "forged" for _, reason in h.rejections())


def test_a_signed_agent_is_accepted_by_the_reducer_action_after_action() -> None:
    h = Harness(COIN, chain_length=64)
    assert h.join().applied
    for _ in range(30):
        h.play(Intent(direction=EAST))
    h.play(Intent(attack=True))
    assert not any(reason == "forged" for _, reason in h.rejections())
    assert h.me.seq == h.agent.seq


def test_an_unsigned_agent_sends_empty_tokens_and_is_accepted_too() -> None:
    h = Harness(chain_length=None)
    assert h.agent.chain is None
    assert h.join().applied
    actions = [action for _ in range(10) for action in h.play(Intent(direction=EAST))]
    assert actions and all(action.auth == b"" for action in actions)
    assert h.rejections() == []


def test_the_join_names_the_player_its_map_and_the_wall_clock() -> None:
    h = Harness(name="zed", pid=99)
    join = h.agent.join()
    assert isinstance(join, Join)
    assert (join.pid, join.name, join.map_name) == (99, "zed", "open")
    assert join.epoch_ms == 1_700_000_000_000
    assert h.agent.color == join.color


def test_the_round_trip_is_measured_from_send_to_read_back() -> None:
    h = Harness()
    join = h.agent.join()
    assert h.agent.rtt_ms is None
    h.clock.advance(120)
    h.deliver([join])
    assert h.agent.rtt_ms == pytest.approx(120)
    assert join.seq not in h.agent.sent_at


def test_send_times_of_actions_that_never_come_back_are_bounded() -> None:
    h = Harness(chain_length=None)
    for _ in range(5_000):
        h.agent.grab(0)
    assert len(h.agent.sent_at) <= 4_096
    assert h.agent.seq in h.agent.sent_at  # the newest are kept


# --- joining ---


def test_an_applied_join_places_the_prediction_at_the_spawn() -> None:
    h = Harness()
    assert (h.agent.joined, h.agent.join_rejected) == (False, "")
    assert h.join().applied
    assert (h.agent.joined, h.agent.join_rejected) == (True, "")
    assert (h.agent.x, h.agent.y) == (h.me.x, h.me.y) == SPAWN


def test_a_refused_join_keeps_the_reason_and_the_agent_out() -> None:
    world = new_world(OPEN)
    assert Harness(world=world, name="ann", pid=1).join().applied
    second = Harness(world=world, name="ann", pid=2)
    assert not second.join().applied
    assert not second.agent.joined
    assert second.agent.join_rejected == "name_taken"


def test_a_second_copy_of_our_own_join_does_not_undo_the_join() -> None:
    h = Harness()
    join = h.agent.join()
    h.deliver([join])
    (again,) = h.deliver([join])  # a producer re-send
    assert not again.applied
    assert h.agent.joined and h.agent.join_rejected == ""


# --- prediction ---


def test_walking_moves_the_prediction_in_the_same_frame_before_the_log_answers() -> None:
    h = Harness()
    h.join()
    actions = h.frame(Intent(direction=EAST), dt_ms=40)
    assert h.agent.x > SPAWN[0] and h.agent.y == SPAWN[1]
    assert h.agent.facing == FACING_NAMES.index("east")
    (move,) = [action for action in actions if isinstance(action, Move)]
    assert (move.x, move.y, move.facing) == (h.agent.x, h.agent.y, h.agent.facing)
    assert (h.me.x, h.me.y) == SPAWN  # the log has not seen it yet


def test_standing_still_sends_no_moves() -> None:
    h = Harness()
    h.join()
    actions = [action for _ in range(20) for action in h.play(IDLE)]
    assert not any(isinstance(action, Move) for action in actions)
    assert (h.agent.x, h.agent.y) == SPAWN


def test_moves_are_sent_at_most_once_per_send_interval_while_walking() -> None:
    h = Harness()
    h.join()
    frames = 30
    moves = [
        a for _ in range(frames) for a in h.play(Intent(direction=EAST), dt_ms=10) if isinstance(a, Move)
    ]
    assert 2 <= len(moves) <= frames * 10 / MOVE_SEND_INTERVAL_MS + 1
    assert all(later.t - earlier.t >= MOVE_SEND_INTERVAL_MS for earlier, later in pairwise(moves))


def test_a_quiet_idle_frame_flushes_the_last_predicted_step() -> None:
    h = Harness()
    h.join()
    h.play(Intent(direction=EAST), dt_ms=40)
    h.play(Intent(direction=EAST), dt_ms=5)  # too soon for a move record
    assert h.me.x < h.agent.x
    h.play(IDLE, dt_ms=40)
    assert (h.me.x, h.me.y) == (h.agent.x, h.agent.y)


def test_the_prediction_never_walks_into_a_wall() -> None:
    h = Harness()
    h.join()
    for _ in range(100):
        h.play(Intent(direction=(0.0, -1.0)))  # north: the border wall is one tile away
    assert h.world.grid is not None
    assert not h.world.grid.blocked(h.agent.x, h.agent.y)
    assert h.agent.y < SPAWN[1]
    assert h.agent.facing == FACING_NAMES.index("north")
    assert h.rejections() == []


def test_a_dead_player_cannot_walk_or_swing() -> None:
    h = Harness()
    h.join()
    h.me.alive = False
    actions = [action for _ in range(5) for action in h.play(Intent(direction=EAST, attack=True))]
    assert (h.agent.x, h.agent.y) == SPAWN
    assert not any(isinstance(action, Move | Attack) for action in actions)


def test_swings_respect_the_cooldown_with_a_margin_the_log_accepts() -> None:
    h = Harness()
    h.join()
    first = [a for a in h.play(Intent(attack=True)) if isinstance(a, Attack)]
    assert len(first) == 1
    assert not any(
        isinstance(a, Attack) for a in h.play(Intent(attack=True), dt_ms=ATTACK_COOLDOWN_MS - FRAME_MS)
    )
    assert not any(isinstance(a, Attack) for a in h.play(Intent(attack=True), dt_ms=FRAME_MS))
    again = [a for a in h.play(Intent(attack=True), dt_ms=10) if isinstance(a, Attack)]
    assert len(again) == 1
    assert h.rejections() == []  # neither swing was judged "cooldown"


def test_a_swing_faces_where_the_intent_says() -> None:
    h = Harness()
    h.join()
    west = FACING_NAMES.index("west")
    (attack,) = [a for a in h.play(Intent(attack=True, face=west)) if isinstance(a, Attack)]
    assert attack.facing == west == h.me.facing


def test_a_potion_is_drunk_only_when_hurt_and_carrying_one() -> None:
    h = Harness()
    h.join()
    assert h.agent.use_potion(h.me) is None  # full health, no potions
    h.me.potions = 1
    assert h.agent.use_potion(h.me) is None  # still full health
    h.me.hp = 30
    actions = h.play(Intent(use=True))
    assert any(isinstance(action, UseItem) for action in actions)
    assert h.me.hp == min(MAX_HEALTH_HP, 30 + POTION_HEAL_HP) and h.me.potions == 0
    assert h.agent.use_potion(h.me) is None  # none left


def test_walking_onto_an_item_picks_it_up_after_reporting_where_we_stand() -> None:
    h = Harness(COIN)
    h.join()
    sent: list[Action] = []
    for _ in range(40):
        sent += h.play(Intent(direction=EAST))
        if any(isinstance(action, Pickup) for action in sent):
            break
    pickup_at = next(i for i, action in enumerate(sent) if isinstance(action, Pickup))
    assert isinstance(sent[pickup_at - 1], Move)  # the log sees us at the item first
    assert h.me.coins == 1 and h.me.score == COIN_SCORE
    assert h.rejections() == []


def test_an_item_in_reach_is_not_asked_for_again_every_frame() -> None:
    h = Harness(COIN)
    h.join()
    h.me.x, h.me.y = h.agent.x, h.agent.y = COIN.items[0].x, COIN.items[0].y
    first = [a for a in h.frame(IDLE) if isinstance(a, Pickup)]
    second = [a for a in h.frame(IDLE) if isinstance(a, Pickup)]
    assert [a.item for a in first] == [0]
    assert second == []


def test_heartbeats_keep_a_quiet_player_present_and_come_faster_while_dead() -> None:
    h = Harness()
    h.join()
    assert not any(isinstance(a, Ping) for a in h.play(dt_ms=HEARTBEAT_MS / 2 - 100))
    assert any(isinstance(a, Ping) for a in h.play(dt_ms=200))
    h.me.alive = False
    assert not any(isinstance(a, Ping) for a in h.play(dt_ms=200))
    assert any(isinstance(a, Ping) for a in h.play(dt_ms=100))


@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from([(dx, dy) for dx in (-1.0, 0.0, 1.0) for dy in (-1.0, 0.0, 1.0)]),
            st.integers(min_value=1, max_value=80),
        ),
        min_size=1,
        max_size=60,
    )
)
@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
def test_with_an_instant_log_every_predicted_move_is_accepted_and_the_log_agrees(
    steps: list[tuple[tuple[float, float], int]],
) -> None:
    h = Harness(chain_length=None)
    h.join()
    for direction, dt_ms in steps:
        h.play(Intent(direction=direction), dt_ms=dt_ms)
    h.play(IDLE, dt_ms=MOVE_SEND_INTERVAL_MS + 1)
    assert h.rejections() == []
    assert (h.me.x, h.me.y) == (h.agent.x, h.agent.y)


# --- reconciliation ---


def test_the_prediction_runs_ahead_while_moves_are_in_flight() -> None:
    h = Harness()
    h.join()
    in_flight: list[Action] = []
    for _ in range(10):
        in_flight += h.frame(Intent(direction=EAST))
    ahead = h.agent.x
    assert ahead - h.me.x > SNAP_DISTANCE_UNITS  # the log lags far behind...
    in_flight += h.frame(IDLE)
    assert h.agent.x == ahead  # ...and is not trusted while our moves are unjudged
    h.deliver(in_flight)
    h.play(IDLE, dt_ms=MOVE_SEND_INTERVAL_MS + 1)
    assert h.rejections() == []
    assert (h.agent.x, h.agent.y) == (h.me.x, h.me.y) == (ahead, SPAWN[1])


def test_when_the_log_moves_us_with_nothing_in_flight_the_prediction_snaps_to_it() -> None:
    h = Harness()
    h.join()
    elsewhere = tile_centre(9, 5)
    h.me.x, h.me.y = elsewhere  # e.g. a respawn at another spawn point
    h.play(IDLE)
    assert (h.agent.x, h.agent.y) == elsewhere
    h.play(Intent(direction=EAST), dt_ms=40)  # and walking goes on from there, accepted
    assert h.agent.x > elsewhere[0]
    assert h.rejections() == []


def test_a_small_disagreement_does_not_snap_the_prediction() -> None:
    h = Harness()
    h.join()
    h.me.x += SNAP_DISTANCE_UNITS  # within the tolerance
    h.play(IDLE)
    assert (h.agent.x, h.agent.y) == SPAWN


def test_a_dead_player_is_shown_where_the_log_has_it() -> None:
    h = Harness()
    h.join()
    h.me.alive = False
    h.me.x, h.me.y = tile_centre(3, 2)
    h.play(IDLE)
    assert (h.agent.x, h.agent.y) == tile_centre(3, 2)


def test_a_refused_move_stops_the_player_until_the_log_has_judged_every_move_in_flight() -> None:
    h = Harness()
    h.join()
    first = [a for a in h.frame(Intent(direction=EAST), dt_ms=40) if isinstance(a, Move)]
    second = [a for a in h.frame(Intent(direction=EAST), dt_ms=40) if isinstance(a, Move)]
    assert len(first) == len(second) == 1
    refused = Outcome(False, "too_fast")
    h.agent.on_own_record(first[0], refused, h.world)
    stopped_at = (h.agent.x, h.agent.y)
    actions = h.frame(Intent(direction=EAST), dt_ms=40)
    assert (h.agent.x, h.agent.y) == stopped_at  # no walking while moves are still in flight
    assert not any(isinstance(a, Move) for a in actions)
    h.agent.on_own_record(second[0], refused, h.world)
    h.frame(Intent(direction=EAST), dt_ms=40)
    assert (h.agent.x, h.agent.y) == (h.me.x, h.me.y) == SPAWN  # back where the log has us
    h.frame(Intent(direction=EAST), dt_ms=40)
    assert h.agent.x > SPAWN[0]  # and free to walk again


def test_an_applied_later_move_settles_the_earlier_ones_that_never_came_back() -> None:
    h = Harness()
    h.join()
    moves = [a for _ in range(3) for a in h.frame(Intent(direction=EAST), dt_ms=40) if isinstance(a, Move)]
    assert len(moves) == 3
    h.deliver([moves[-1]])  # the first two were lost; the last is accepted (within budget)
    assert h.judged[-1][1].applied
    elsewhere = tile_centre(9, 5)
    h.me.x, h.me.y = elsewhere
    h.play(IDLE)
    assert (h.agent.x, h.agent.y) == elsewhere  # nothing in flight: the log is trusted


# --- renewing a spent chain ---


def test_a_nearly_spent_chain_leaves_and_joins_again_with_a_new_identity() -> None:
    h = Harness(chain_length=8)
    h.join()
    old_pid = h.agent.pid
    while not h.agent.chain_spent:
        h.deliver([h.agent.grab(0)])  # any signed action spends a token
    actions = h.frame(IDLE)
    assert [type(a) for a in actions] == [Leave, Join]
    leave, join = actions
    assert leave.pid == old_pid and join.pid != old_pid
    assert join.seq == 1 and h.agent.chain is not None and join.auth == h.agent.chain.tip
    joined_before = h.agent.joined  # out until the new join comes back
    assert [outcome.applied for outcome in h.deliver(actions)] == [True, True]
    assert (joined_before, h.agent.joined) == (False, True)
    assert old_pid not in h.world.players and h.world.names["ann"] == join.pid


# --- facings ---


def test_each_facing_vector_maps_back_to_its_facing() -> None:
    for facing, (fx, fy) in enumerate(FACING_VECTORS):
        assert facing_of(fx, fy) == facing, FACING_NAMES[facing]


@given(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6))
def test_facing_of_is_the_nearest_of_the_eight_directions(dx: float, dy: float) -> None:
    facing = facing_of(dx, dy)
    assert 0 <= facing <= 7
    if dx or dy:
        fx, fy = FACING_VECTORS[facing]
        best = max(fx * dx + fy * dy for fx, fy in FACING_VECTORS)
        # No other facing points closer (up to the 707 ~ 1000/sqrt(2) rounding of the table).
        assert fx * dx + fy * dy >= best - (abs(dx) + abs(dy))
