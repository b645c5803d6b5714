"""Rounds (rules v2): warm-up, countdown, a timed round, an intermission with the winner, the
next round with scores reset; all decided by the reducer from the log alone."""

from __future__ import annotations

from game.core.actions import Action, Attack, Join, Leave, Move, Ping
from game.core.checkpoint import restore, take_checkpoint
from game.core.constants import (
    DEFAULT_ROUND_S,
    INTERMISSION_MS,
    KILL_SCORE,
    MAX_ROUND_S,
    MIN_ROUND_S,
    ROUND_COUNTDOWN_MS,
)
from game.core.maps import load_map
from game.core.replica import MatchReplica
from game.core.world import (
    COUNTDOWN,
    INTERMISSION,
    NO_ROUNDS,
    PLAYING,
    WARMUP,
    Event,
    ItemBack,
    Outcome,
    RoundEnded,
    RoundStarted,
    Standing,
    World,
    apply,
    new_world,
    world_hash,
)

ARENA = load_map("arena")
ROUND_S = 60


class Log:
    """Writes honest actions at broker time `ts` and keeps every event the world reported."""

    def __init__(self, rules: int = 2, round_s: int = ROUND_S) -> None:
        self.world: World = new_world(ARENA)
        self.ts = 1_000
        self.rules = rules
        self.round_s = round_s
        self.seq: dict[int, int] = {}
        self.joined_at: dict[int, int] = {}
        self.events: list[Event] = []

    def _apply(self, action: Action) -> Outcome:
        outcome = apply(self.world, action, self.ts)
        self.events.extend(outcome.events)
        return outcome

    def join(self, pid: int, name: str) -> Outcome:
        self.seq[pid] = 1
        self.joined_at[pid] = self.ts
        join = Join(pid, 1, 0, name, 0x3366FF, 0, "arena", rules=self.rules, round_s=self.round_s)
        return self._apply(join)

    def send(self, cls: type, pid: int, *payload: int) -> Outcome:
        self.seq[pid] += 1
        return self._apply(cls(pid, self.seq[pid], self.ts - self.joined_at[pid], *payload))

    def at(self, ts: int, *pids: int) -> None:
        """Let time pass to `ts`, every player pinging each second (nobody times out)."""
        while self.ts < ts:
            self.ts = min(ts, self.ts + 1_000)
            for pid in pids:
                self.send(Ping, pid)

    def kill(self, attacker: int, victim: int) -> None:
        """Put the attacker next to the victim and swing until it dies (cooldowns respected)."""
        target = self.world.players[victim]
        me = self.world.players[attacker]
        me.x, me.y = target.x - 300, target.y
        while self.world.players[victim].alive:
            self.ts += 500
            assert self.send(Attack, attacker, 2).applied


def started(log: Log) -> list[RoundStarted]:
    return [e for e in log.events if isinstance(e, RoundStarted)]


def ended(log: Log) -> list[RoundEnded]:
    return [e for e in log.events if isinstance(e, RoundEnded)]


def test_a_match_of_rules_before_2_has_no_rounds_and_keeps_its_hash():
    log = Log(rules=1)
    log.join(1, "ann")
    log.join(2, "bob")
    log.at(1_000 + 3_600_000, 1, 2)
    assert log.world.phase == NO_ROUNDS and log.world.round_ms == 0
    assert not started(log) and not ended(log)
    # The hash is what rules v1 hashed: nothing about rounds in it.
    other = log.world.copy()
    other.round_no = 9
    assert world_hash(other) == world_hash(log.world)


def test_warm_up_until_a_second_player_then_a_countdown_then_the_round():
    log = Log()
    log.join(1, "ann")
    assert log.world.phase == WARMUP
    log.at(20_000, 1)
    assert log.world.phase == WARMUP  # alone: no countdown however long
    log.join(2, "bob")
    assert log.world.phase == COUNTDOWN
    start = log.ts + ROUND_COUNTDOWN_MS
    assert log.world.phase_ends == start
    log.at(start + 1_500, 1, 2)
    assert log.world.phase == PLAYING and log.world.round_no == 1
    assert started(log) == [RoundStarted(1, start, start + ROUND_S * 1000)]


def test_warm_up_scores_are_reset_when_the_round_starts_and_everyone_respawns():
    log = Log()
    log.join(1, "ann")
    log.join(2, "bob")
    log.kill(1, 2)
    assert log.world.players[1].score == KILL_SCORE and not log.world.players[2].alive
    log.at(log.world.phase_ends, 1, 2)
    ann, bob = log.world.players[1], log.world.players[2]
    assert log.world.phase == PLAYING
    assert (ann.score, ann.kills, bob.deaths) == (0, 0, 0)
    assert bob.alive and bob.hp == ann.hp == 100


def test_a_countdown_goes_back_to_warm_up_when_a_player_leaves():
    log = Log()
    log.join(1, "ann")
    log.join(2, "bob")
    assert log.send(Leave, 2).applied
    assert log.world.phase == WARMUP
    log.at(log.ts + 60_000, 1)
    assert not started(log)


def test_the_round_ends_on_time_with_the_best_ranked_player_as_winner():
    log = Log()
    log.join(1, "ann")
    log.join(2, "bob")
    log.join(3, "cid")
    log.at(log.world.phase_ends, 1, 2, 3)
    ends = log.world.phase_ends
    log.kill(2, 1)
    log.at(ends + 10, 1, 2, 3)
    assert log.world.phase == INTERMISSION
    (result,) = ended(log)
    assert result.round_no == 1 and result.at == ends
    assert (result.winner, result.winner_name) == (2, "bob")
    assert [s.name for s in result.standings] == ["bob", "cid", "ann"]  # ann died: fewer deaths first
    assert result.standings[0] == Standing(2, "bob", KILL_SCORE, 1, 0)
    assert log.world.last_round == result


def test_a_tie_goes_to_the_name_first_in_order():
    log = Log()
    log.join(1, "zed")
    log.join(2, "amy")
    log.at(log.world.phase_ends, 1, 2)
    log.at(log.world.phase_ends, 1, 2)
    assert ended(log)[0].winner_name == "amy"


def test_between_rounds_players_walk_but_nobody_scores():
    log = Log()
    log.join(1, "ann")
    log.join(2, "bob")
    log.at(log.world.phase_ends, 1, 2)
    log.at(log.world.phase_ends, 1, 2)
    assert log.world.phase == INTERMISSION
    me = log.world.players[1]
    assert log.send(Attack, 1, 2).reason == "round_over"
    assert log.send(Move, 1, me.x + 16, me.y, 2).applied


def test_the_next_round_starts_after_the_intermission_with_scores_reset():
    log = Log()
    log.join(1, "ann")
    log.join(2, "bob")
    log.at(log.world.phase_ends, 1, 2)
    first_end = log.world.phase_ends
    log.kill(1, 2)
    log.at(first_end, 1, 2)
    assert log.world.phase == INTERMISSION
    log.at(first_end + INTERMISSION_MS, 1, 2)
    assert log.world.phase == PLAYING and log.world.round_no == 2
    assert started(log)[-1] == RoundStarted(
        2, first_end + INTERMISSION_MS, first_end + INTERMISSION_MS + ROUND_S * 1000
    )
    assert log.world.players[1].score == 0 and log.world.last_round is not None
    assert log.world.last_round.winner_name == "ann"  # the last result stays until the next one


def test_an_intermission_with_one_player_left_goes_back_to_warm_up():
    log = Log()
    log.join(1, "ann")
    log.join(2, "bob")
    log.at(log.world.phase_ends, 1, 2)
    log.send(Leave, 2)
    log.at(log.world.phase_ends, 1)
    assert log.world.phase == INTERMISSION  # the round runs to its end with one player
    log.at(log.world.phase_ends, 1)
    assert log.world.phase == WARMUP and log.world.round_no == 1


def test_a_quiet_match_passes_through_every_phase_at_its_scheduled_time():
    busy, quiet = Log(), Log()
    for log in (busy, quiet):
        log.join(1, "ann")
        log.join(2, "bob")
    # One player pings every second; in the other log nothing at all happens for a while,
    # then one ping: both must show the same rounds at the same match times.
    busy.at(busy.ts + 100_000, 1, 2)
    quiet.ts += 9_000
    quiet.send(Ping, 1)  # keeps both present in the quiet log too
    quiet.send(Ping, 2)
    quiet.ts += 9_000
    quiet.send(Ping, 1)
    quiet.send(Ping, 2)
    quiet.at(busy.ts, 1, 2)
    assert started(quiet) == started(busy) and ended(quiet) == ended(busy)
    assert [e.round_no for e in started(busy)] == [1, 2]


def test_the_round_length_is_the_first_joins_and_within_bounds():
    for asked, expected in ((0, DEFAULT_ROUND_S), (1, MIN_ROUND_S), (10**6, MAX_ROUND_S), (90, 90)):
        log = Log(round_s=asked)
        log.join(1, "ann")
        assert log.world.round_ms == expected * 1000
    log = Log(round_s=90)
    log.join(1, "ann")
    log.round_s = 30
    log.join(2, "bob")
    assert log.world.round_ms == 90_000


def test_a_checkpoint_keeps_the_round_state():
    log = Log()
    log.join(1, "ann")
    log.join(2, "bob")
    log.at(log.world.phase_ends, 1, 2)
    log.kill(1, 2)
    log.at(log.world.phase_ends + 100, 1, 2)
    replica = MatchReplica("m", log.world, offset=41)
    restored = restore(take_checkpoint(replica, log.ts), "m", {"arena": ARENA})
    assert isinstance(restored, MatchReplica)
    assert restored.hash() == replica.hash()
    assert restored.world.phase is INTERMISSION  # the constant itself: the reducer compares by identity
    assert restored.world.last_round == log.world.last_round
    # Both go on to the same next round.
    for world in (log.world, restored.world):
        for later in (9_000, 10_000):
            for pid in (1, 2):
                seq = log.seq[pid] + later
                apply(world, Ping(pid, seq, log.ts - log.joined_at[pid] + later, b""), log.ts + later)
    assert restored.world.round_no == log.world.round_no == 2
    assert world_hash(restored.world) == world_hash(log.world)


def test_a_new_round_brings_every_taken_item_back_and_says_so():
    log = Log()
    log.join(1, "ann")
    log.join(2, "bob")
    taken = log.world.items[0]
    taken.available_at = log.ts + 600_000  # as if picked up during the warm-up, back much later
    log.at(log.world.phase_ends, 1, 2)
    assert log.world.phase == PLAYING and taken.available_at == 0
    backs = [e for e in log.events if isinstance(e, ItemBack)]
    assert [(e.item, e.kind) for e in backs] == [(taken.item_id, taken.kind)]
