"""Standings from a fold: what `MatchStats` counts from the reducer's outcomes, without Kafka."""

from __future__ import annotations

from game.core.actions import Action, Attack, Join, Leave, Pickup, Ping
from game.core.codec import decode
from game.core.constants import (
    ATTACK_COOLDOWN_MS,
    ATTACK_DAMAGE_HP,
    COIN_SCORE,
    KILL_SCORE,
    PRESENCE_TIMEOUT_MS,
)
from game.core.maps import load_map, tile_centre
from game.core.replica import new_replica
from game.core.world import Outcome, apply, new_world
from game.recording import load_recording
from game.stats.standings import MatchStats, Standing, standings_of_log, total
from game.stats.topic import (
    StatsKey,
    alltime_value,
    dumps,
    loads,
    parse_key,
    partition_for,
    player_key,
    session_of,
    session_value,
    standing_of,
    standing_value,
)
from tests.helpers import ROOT

ARENA = load_map("arena")
OPEN_X, OPEN_Y = tile_centre(14, 5)  # open floor: 80 px free east and west
EAST, NORTH = 2, 0
RECORDING = ROOT / "data" / "recorded" / "demo-v1-v2.msgpack"


class Log:
    """A scripted match log folded into a world and a MatchStats, one offset per action."""

    def __init__(self, flag_threshold: int = 20) -> None:
        self.world = new_world(ARENA)
        self.stats = MatchStats("m", flag_threshold)
        self.ts = 1_000
        self.offset = -1
        self.seq: dict[int, int] = {}
        self.joined_at: dict[int, int] = {}

    def send(self, action: Action) -> Outcome:
        self.offset += 1
        outcome = apply(self.world, action, self.ts)
        self.stats.record(self.offset, self.ts, action, outcome)
        return outcome

    def join(self, pid: int, name: str) -> Outcome:
        self.seq[pid] = 1
        self.joined_at[pid] = self.ts
        return self.send(Join(pid, 1, 0, name, 0xFFFFFF, 1_700_000_000_000, "arena"))

    def act(self, cls: type, pid: int, *payload: int) -> Outcome:
        self.seq[pid] = self.seq.get(pid, 0) + 1
        t = self.ts - self.joined_at.get(pid, self.ts)
        return self.send(cls(pid, self.seq[pid], t, *payload))

    def place(self, pid: int, x: int, y: int) -> None:
        player = self.world.players[pid]
        player.x, player.y = x, y


def fight() -> Log:
    """ann kills bob with five swings, grabs a coin; bob swings twice too fast; a stranger pings."""
    log = Log(flag_threshold=0)
    assert log.join(1, "ann").applied
    assert log.join(2, "bob").applied
    log.place(1, OPEN_X, OPEN_Y)
    log.place(2, OPEN_X + 30 * 16, OPEN_Y)
    assert log.act(Attack, 2, NORTH).applied  # a miss
    assert log.act(Attack, 2, NORTH).reason == "cooldown"
    assert log.act(Ping, 999).reason == "not_joined"
    for _ in range(5):
        log.ts += ATTACK_COOLDOWN_MS + 10
        assert log.act(Attack, 1, EAST).applied
    coin = next(spawn for spawn in ARENA.items if spawn.kind == "coin")
    log.place(1, coin.x, coin.y)
    assert log.act(Pickup, 1, coin.item_id).applied
    return log


def test_standings_count_what_the_reducer_did() -> None:
    log = fight()
    ann, bob = log.world.players[1], log.world.players[2]
    standings = log.stats.standings()
    # While each name joined once, the standings are the world's own counters.
    for player in (ann, bob):
        s = standings[player.name]
        assert (s.kills, s.deaths, s.score, s.pickups, s.coins, s.damage_dealt) == (
            player.kills,
            player.deaths,
            player.score,
            player.pickups,
            player.coins,
            player.damage_dealt,
        )
    assert standings["ann"] == Standing(1, 0, KILL_SCORE + COIN_SCORE, 1, 1, 5 * ATTACK_DAMAGE_HP)
    assert standings["bob"] == Standing(0, 1, 0, 0, 0, 0, (("cooldown", 1),))
    assert log.stats.unattributed == {"not_joined": 1}


def test_a_session_ends_when_the_last_player_leaves() -> None:
    log = fight()
    assert log.stats.open_session() is not None
    changed, _, finished = log.stats.drain()
    assert changed == {"ann", "bob"} and finished == []
    assert log.act(Leave, 1).applied
    log.ts += 100
    assert log.act(Leave, 2).applied
    _, _, finished = log.stats.drain()
    assert log.stats.open_session() is None
    [session] = finished
    assert (session.first_offset, session.last_offset, session.ended_by) == (0, log.offset, "left")
    assert (session.first_ts, session.last_ts) == (1_000, log.ts)
    assert [name for name, _ in session.players] == ["ann", "bob"]  # by score
    assert dict(session.players) == log.stats.standings()
    assert session_of(loads(dumps(session_value(session)))) == session
    # Standings outlive the players' presence in the world.
    assert log.world.players == {}
    assert log.stats.standing("ann").kills == 1


def test_a_timed_out_session_ends_before_the_record_that_noticed() -> None:
    log = Log()
    log.join(1, "ann")
    log.ts += PRESENCE_TIMEOUT_MS + 1
    assert log.join(2, "cat").applied  # fires ann's timeout first, then starts a new session
    _, _, finished = log.stats.drain()
    [old] = finished
    assert (old.first_offset, old.last_offset, old.ended_by) == (0, 0, "timeout")
    new = log.stats.open_session()
    assert new is not None and new.first_offset == 1
    assert [name for name, _ in new.players] == ["cat"]


def test_suspicious_rejections_over_the_threshold_flag_a_player_with_evidence() -> None:
    log = Log(flag_threshold=2)
    log.join(1, "ann")
    log.place(1, OPEN_X, OPEN_Y)
    assert log.act(Attack, 1, EAST).applied
    offsets = []
    for _ in range(3):
        assert log.stats.flag("ann") is None
        assert log.act(Attack, 1, EAST).reason == "cooldown"  # a client ignoring the cooldown
        offsets.append(log.offset)
    flag = log.stats.flag("ann")
    assert flag is not None
    assert (flag.suspicious, dict(flag.reasons), flag.offsets) == (3, {"cooldown": 3}, tuple(offsets))
    _, flagged, _ = log.stats.drain()
    assert flagged == {"ann"}


def test_all_time_is_the_sum_of_the_matches() -> None:
    a = Standing(1, 2, 6, 1, 1, 40, (("cooldown", 1),))
    b = Standing(3, 0, 15, 0, 0, 60, (("cooldown", 2), ("too_fast", 1)))
    assert total([a, b]) == Standing(4, 2, 21, 1, 1, 100, (("cooldown", 3), ("too_fast", 1)))
    value = alltime_value("ann", {"m1": a, "m2": b})
    assert (
        value["matches"] == 2 and value["kills"] == 4 and value["rejected"] == {"cooldown": 3, "too_fast": 1}
    )
    assert standing_of(loads(dumps(standing_value(a)))) == a


def test_keys_parse_back_even_with_slashes_in_names() -> None:
    assert parse_key(player_key("m1", "a/b")) == StatsKey("player", "m1", "a/b")
    assert parse_key(b"alltime/player/x/y") == StatsKey("alltime", name="x/y")
    assert parse_key("match/m1") == StatsKey("match", "m1")
    assert parse_key("match/m1/session/12") == StatsKey("session", "m1", "12")
    assert parse_key("something/else") is None
    assert partition_for("ann", 3) == partition_for("ann", 3) in range(3)


def test_a_recorded_match_folds_to_the_worlds_counters() -> None:
    records = load_recording(RECORDING)
    # Up to the first leave, every player is still in the world, with its own counters.
    first_leave = next(i for i, r in enumerate(records) if isinstance(decode(r.value, r.key), Leave))
    replica = new_replica("recorded")
    stats = standings_of_log("recorded", records[:first_leave], replica)
    players = {player.name: player for player in replica.world.players.values()}
    assert len(players) >= 2
    assert set(stats.standings()) == set(players)
    for name, player in players.items():
        s = stats.standing(name)
        assert (s.kills, s.deaths, s.score, s.pickups, s.coins, s.damage_dealt) == (
            player.kills,
            player.deaths,
            player.score,
            player.pickups,
            player.coins,
            player.damage_dealt,
        )
    assert sum(s.pickups for s in stats.standings().values()) > 0
