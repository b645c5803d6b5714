"""Rounds (rules v2) downstream: the stats fold's round results, their record on the stats
topic, and the history's rounds table, all without a broker."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from game import history as history_program
from game.core.actions import Action, Attack, Join, Ping
from game.core.constants import ATTACK_COOLDOWN_MS, KILL_SCORE
from game.core.maps import load_map, tile_centre
from game.core.records import Record
from game.core.replica import new_replica
from game.core.rules import RULES_VERSION
from game.core.world import PLAYING, Outcome, RoundEnded, apply, new_world
from game.core.world import Standing as Line
from game.stats.history import HistorySink, list_rounds, open_db, write_round
from game.stats.standings import MatchStats, RoundResult, standings_of_log
from game.stats.topic import (
    StatsKey,
    dumps,
    loads,
    match_rounds,
    match_value,
    parse_key,
    round_key,
    round_of,
    round_value,
)
from tests.unit.stats.rounds_log import ROUND_STARTS, T0, rounds_log

ARENA = load_map("arena")
OPEN_X, OPEN_Y = tile_centre(14, 5)
EAST = 2

RESULT = RoundResult(
    "m1",
    "arena",
    2,
    25_100,
    35_100,
    102,
    142,
    "ann",
    1,
    (Line(1, "ann", 14, 2, 0), Line(2, "bob/2", 5, 1, 2)),
)


# --- the fold ---


def test_every_finished_round_is_folded_with_the_reducers_winner_and_offsets() -> None:
    stats = standings_of_log("m", rounds_log())
    rounds = stats.drain_rounds()
    assert [r.round_no for r in rounds] == [1, 2, 3]
    first = rounds[0]
    assert (first.started_at, first.ended_at) == (ROUND_STARTS[0], ROUND_STARTS[0] + 10_000)
    # The records whose fold fired the round's timers: the first ones past its times.
    assert (first.start_offset, first.end_offset) == (22, 62)
    assert (first.winner, first.winner_pid, first.map_name) == ("ann", 1, "arena")
    assert [line.name for line in first.standings] == ["ann", "bob"]
    assert stats.drain_rounds() == []  # drained once
    # The per-session and per-match standings go on as before.
    assert set(stats.standings()) == {"ann", "bob"} and stats.open_session() is not None


class Log:
    """A rules-v2 match folded into a world and a MatchStats, one offset per action."""

    def __init__(self) -> None:
        self.world = new_world(ARENA)
        self.stats = MatchStats("m")
        self.ts = T0
        self.offset = -1
        self.seq: dict[int, int] = {}
        self.joined_at: dict[int, int] = {}

    def send(self, action: Action) -> Outcome:
        self.offset += 1
        outcome = apply(self.world, action, self.ts)
        self.stats.record(self.offset, self.ts, action, outcome)
        return outcome

    def join(self, pid: int, name: str) -> None:
        self.seq[pid], self.joined_at[pid] = 1, self.ts
        join = Join(pid, 1, 0, name, 0xFFFFFF, 0, "arena", rules=RULES_VERSION, round_s=10)
        assert self.send(join).applied

    def act(self, cls: type, pid: int, *payload: int) -> Outcome:
        self.seq[pid] += 1
        return self.send(cls(pid, self.seq[pid], self.ts - self.joined_at[pid], *payload))

    def until(self, ts: int) -> None:
        while self.ts < ts:
            self.ts = min(ts, self.ts + 1_000)
            for pid in self.seq:
                self.act(Ping, pid)


def test_a_kill_in_the_round_wins_it_and_is_in_the_table() -> None:
    log = Log()
    log.join(1, "bob")
    log.join(2, "ann")  # first by name, but bob kills her
    log.until(T0 + 6_000)
    assert log.world.phase is PLAYING
    bob, ann = log.world.players[1], log.world.players[2]
    bob.x, bob.y = OPEN_X, OPEN_Y
    ann.x, ann.y = OPEN_X + 30 * 16, OPEN_Y
    for _ in range(5):
        log.ts += ATTACK_COOLDOWN_MS + 10
        assert log.act(Attack, 1, EAST).applied
    log.until(T0 + 16_000)
    [result] = log.stats.drain_rounds()
    ended = log.world.last_round
    assert isinstance(ended, RoundEnded)
    assert (result.winner, result.winner_score, result.standings) == ("bob", KILL_SCORE, ended.standings)
    assert result.standings[1] == Line(2, "ann", 0, 0, 1)
    assert log.stats.standings()["bob"].kills == 1  # the match's standings count it too


# --- the topic ---


def test_a_round_key_parses_back_to_its_match_and_number() -> None:
    assert round_key("m1", 7) == "match/m1/round/7"
    assert parse_key(round_key("m1", 7)) == StatsKey("round", "m1", "7")
    assert parse_key(b"match/m1/round/7") == StatsKey("round", "m1", "7")


def test_a_round_round_trips_through_the_topic_with_its_table_in_order() -> None:
    value = loads(dumps(round_value(RESULT)))
    assert value["winner"] == "ann" and value["round"] == 2
    assert [line["player"] for line in value["standings"]] == ["ann", "bob/2"]
    assert round_of(value) == RESULT
    assert round_of(value).winner_score == 14  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "value",
    [
        None,
        [],
        "round",
        {},
        {"match": "m1", "round": "2", "ended_at": 1, "end_offset": 1},
        {"match": "m1", "round": 2.0, "ended_at": 1, "end_offset": 1},
        {"match": "m1", "round": True, "ended_at": 1, "end_offset": 1},
        {"match": "m1", "round": 2, "end_offset": 1},
    ],
)
def test_a_round_of_a_malformed_value_is_none(value: object) -> None:
    assert round_of(value) is None


def test_malformed_lines_of_a_round_table_are_skipped() -> None:
    value: dict[str, Any] = round_value(RESULT)
    value["standings"] = [{"player": "ann", "score": "14"}, 3, {"score": 1}, {"player": "bob", "kills": 2}]
    found = round_of(value)
    assert found is not None and found.standings == (Line(0, "bob", 0, 2, 0),)
    del value["standings"]
    assert round_of(value) == RoundResult("m1", "arena", 2, 25_100, 35_100, 102, 142, "ann", 1, ())


def test_match_rounds_are_the_round_keys_of_that_match_by_number() -> None:
    values = {
        round_key("m1", 10): round_value(replace(RESULT, round_no=10)),
        round_key("m1", 2): round_value(RESULT),
        round_key("m2", 1): round_value(RESULT),
        "match/m1/round/3": {"nonsense": True},
    }
    assert [r.round_no for r in match_rounds(values, "m1")] == [2, 10]


def test_the_match_value_says_which_round_is_played_and_who_won_the_last() -> None:
    replica = new_replica("m")
    stats = standings_of_log("m", rounds_log(seconds=20), replica)
    value = match_value(replica, stats)
    assert (value["round"], value["phase"], value["round_ms"]) == (1, "intermission", 10_000)
    assert value["last_round"] == {"round": 1, "winner": "ann"}


# --- the history ---


def test_a_round_is_written_once_and_replaced_only_by_a_different_result(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "h.sqlite3")
    assert write_round(conn, RESULT)
    assert not write_round(conn, RESULT)  # the topic read again: nothing changes
    [row] = list_rounds(conn, "m1")
    assert (row.round_no, row.winner, row.winner_score, row.duration_ms) == (2, "ann", 14, 10_000)
    assert (row.start_offset, row.end_offset) == (102, 142)
    assert [(p.player, p.rank, p.score, p.kills, p.deaths) for p in row.players] == [
        ("ann", 1, 14, 2, 0),
        ("bob/2", 2, 5, 1, 2),
    ]
    other = RoundResult("m1", "arena", 2, 1, 2, 3, 4, "bob", 2, (Line(2, "bob", 1, 0, 0),))
    assert write_round(conn, other)  # a topic made again: the new result wins, no duplicates
    [row] = list_rounds(conn)
    assert (row.winner, len(row.players)) == ("bob", 1)
    assert list_rounds(conn, "m2") == []


def test_the_sink_writes_round_records_and_skips_malformed_ones(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "h.sqlite3")
    sink = HistorySink(conn, idle_ms=60_000)
    key = round_key("m1", 2).encode()
    sink.feed(Record("arena.stats", 0, 0, 0, key, dumps(round_value(RESULT))))
    sink.feed(Record("arena.stats", 0, 1, 0, key, dumps(round_value(RESULT))))
    sink.feed(Record("arena.stats", 0, 2, 0, round_key("m1", 3).encode(), b'{"round": 3}'))
    assert sink.rounds_written == 1 and sink.written == 0
    assert [r.round_no for r in list_rounds(conn)] == [2]


def test_python_m_game_history_lists_a_matchs_rounds_and_winners(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "h.sqlite3"
    conn = open_db(db)
    for result in standings_of_log("m", rounds_log()).drain_rounds():
        write_round(conn, result)
    write_round(conn, RESULT)
    conn.close()
    assert history_program.main(["--db", str(db), "--rounds", "m"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["round"], r["winner"], r["winner_score"]) for r in lines] == [
        (1, "ann", 0),
        (2, "ann", 0),
        (3, "ann", 0),
    ]
    assert lines[0]["players"][0] == {"player": "ann", "rank": 1, "score": 0, "kills": 0, "deaths": 0}
    assert (lines[0]["start_offset"], lines[0]["end_offset"], lines[0]["duration_ms"]) == (22, 62, 10_000)
