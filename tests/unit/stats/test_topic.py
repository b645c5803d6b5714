"""The stats topic's contract: keys built and parsed, values that round-trip, and readers that
never raise on a malformed value and pick the right keys of the right match."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.stats.standings import Flag, Session, Standing
from game.stats.topic import (
    StatsKey,
    alltime_key,
    alltime_standings,
    alltime_value,
    dumps,
    flag_key,
    flag_value,
    flagged_players,
    loads,
    match_key,
    match_standings,
    parse_key,
    partition_for,
    player_key,
    player_value,
    session_key,
    session_of,
    session_value,
    standing_of,
    standing_value,
)

ANN = Standing(kills=3, deaths=1, score=17, pickups=4, coins=2, damage_dealt=140, rejected=(("too_fast", 2),))
BOB = Standing(kills=1, deaths=3, score=5, pickups=0, coins=0, damage_dealt=60)


def session(players: tuple[tuple[str, Standing], ...] = (("ann", ANN), ("bob", BOB))) -> Session:
    return Session("m1", "arena", 10, 1_000, 250, 61_000, "left", players)


# --- keys ---


@pytest.mark.parametrize(
    ("key", "parsed"),
    [
        (player_key("m1", "ann"), StatsKey("player", "m1", "ann")),
        (flag_key("m1", "ann"), StatsKey("flag", "m1", "ann")),
        (session_key("m1", 42), StatsKey("session", "m1", "42")),
        (match_key("m1"), StatsKey("match", "m1")),
        (alltime_key("ann"), StatsKey("alltime", "", "ann")),
    ],
)
def test_every_key_kind_parses_back_to_its_parts(key: str, parsed: StatsKey) -> None:
    assert parse_key(key) == parsed
    assert parse_key(key.encode()) == parsed


@pytest.mark.parametrize("name", ["a/b", "x/player/y", "/", "trailing/", "ünï/cödé"])
def test_player_names_may_hold_slashes(name: str) -> None:
    assert parse_key(player_key("m1", name)) == StatsKey("player", "m1", name)
    assert parse_key(flag_key("m1", name)) == StatsKey("flag", "m1", name)
    assert parse_key(alltime_key(name)) == StatsKey("alltime", "", name)
    assert parse_key(alltime_key(name).encode()) == StatsKey("alltime", "", name)


@given(
    match=st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
    name=st.text(min_size=1, max_size=20).filter(lambda s: "\x00" not in s),
)
def test_built_keys_always_parse_back(match: str, name: str) -> None:
    assert parse_key(player_key(match, name)) == StatsKey("player", match, name)
    assert parse_key(flag_key(match, name)) == StatsKey("flag", match, name)
    assert parse_key(alltime_key(name)) == StatsKey("alltime", "", name)
    assert parse_key(match_key(match)) == StatsKey("match", match)


@pytest.mark.parametrize(
    "key",
    [
        "",
        "match",
        "stats/m1",
        "match/m1/player",
        "match/m1/score/ann",
        "match/m1/",
        "alltime",
        "alltime/player",
        "alltime/team/red",
        "players/ann",
        b"\xff\xfe",
        b"",
    ],
)
def test_keys_outside_the_contract_parse_to_none(key: str | bytes) -> None:
    assert parse_key(key) is None


def test_a_key_of_invalid_utf8_does_not_raise() -> None:
    parsed = parse_key(b"match/m1/player/\xff")
    assert parsed is not None and parsed.kind == "player" and parsed.match == "m1"


def test_partitions_are_stable_and_in_range() -> None:
    for name in ("ann", "bob", "a/b", ""):
        assert 0 <= partition_for(name, 3) < 3
        assert partition_for(name, 3) == partition_for(name, 3)
    assert len({partition_for(f"player{i}", 8) for i in range(200)}) == 8  # spread over all


# --- values round-trip ---


def test_a_standing_round_trips_through_the_topic() -> None:
    assert standing_of(loads(dumps(standing_value(ANN)))) == ANN
    assert standing_of(loads(dumps(player_value("m1", "ann", ANN)))) == ANN


def test_a_player_value_names_its_match_and_player() -> None:
    value = loads(dumps(player_value("m1", "a/b", BOB)))
    assert value["match"] == "m1" and value["player"] == "a/b"


def test_an_alltime_value_sums_the_matches_and_counts_them() -> None:
    value = loads(dumps(alltime_value("ann", {"m1": ANN, "m2": BOB})))
    assert value["matches"] == 2
    summed = standing_of(value)
    assert summed is not None
    assert summed.kills == ANN.kills + BOB.kills and summed.score == ANN.score + BOB.score
    assert summed.rejected == (("too_fast", 2),)


def test_a_session_round_trips_through_the_topic() -> None:
    ended = session()
    assert session_of(loads(dumps(session_value(ended)))) == ended


def test_a_session_read_back_keeps_its_players_best_first() -> None:
    ended = session((("zed", ANN), ("amy", BOB)))  # the winner is not first by name
    back = session_of(loads(dumps(session_value(ended))))
    assert back is not None
    assert [name for name, _ in back.players] == ["zed", "amy"]


def test_a_flag_value_carries_its_evidence() -> None:
    flag = Flag("m1", "bob", 23, (("too_fast", 20), ("cooldown", 3)), (5, 9, 12))
    value = loads(dumps(flag_value(flag)))
    assert value == {
        "match": "m1",
        "player": "bob",
        "suspicious": 23,
        "reasons": {"too_fast": 20, "cooldown": 3},
        "offsets": [5, 9, 12],
    }


def test_dumps_is_compact_and_canonical() -> None:
    assert dumps({"b": 1, "a": [1, 2]}) == b'{"a":[1,2],"b":1}'


def test_loads_refuses_bytes_that_are_not_json() -> None:
    with pytest.raises(ValueError):
        loads(b"{not json")


# --- readers tolerate malformed values ---


@pytest.mark.parametrize("value", [None, 3, "ann", [1, 2], True])
def test_a_standing_of_something_not_an_object_is_none(value: object) -> None:
    assert standing_of(value) is None


def test_missing_or_mistyped_figures_read_as_zero() -> None:
    value = {"kills": "3", "deaths": None, "score": True, "pickups": 2.5, "coins": [1], "rejected": "lots"}
    assert standing_of(value) == Standing()
    assert standing_of({}) == Standing()


def test_rejections_with_mistyped_counts_are_skipped() -> None:
    standing = standing_of({"kills": 2, "rejected": {"too_fast": 3, "cooldown": "x", "dead": None}})
    assert standing == Standing(kills=2, rejected=(("too_fast", 3),))


def test_a_boolean_rejection_count_is_skipped_like_a_boolean_figure() -> None:
    standing = standing_of({"score": True, "rejected": {"too_fast": True}})
    assert standing == Standing()


@pytest.mark.parametrize(
    "value",
    [
        None,
        [],
        "session",
        {},
        {"match": "m1"},
        {**session_value(session()), "first_offset": "ten"},
        {**session_value(session()), "last_ts": None},
        {**session_value(session()), "first_ts": [1]},
    ],
)
def test_a_session_of_a_malformed_value_is_none(value: object) -> None:
    assert session_of(value) is None


def test_a_session_skips_malformed_players_and_tolerates_a_missing_player_table() -> None:
    value: dict[str, Any] = session_value(session())
    value["players"] = {"ann": standing_value(ANN), "ghost": "not a standing"}
    back = session_of(value)
    assert back is not None and back.players == (("ann", ANN),)
    del value["players"]
    back = session_of(value)
    assert back is not None and back.players == ()


@pytest.mark.parametrize("raw", [b"1e400", b"Infinity"])
def test_a_session_with_an_infinite_offset_is_none_not_an_exception(raw: bytes) -> None:
    text = dumps(session_value(session())).replace(b'"first_offset":10', b'"first_offset":' + raw)
    assert session_of(loads(text)) is None


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(), lambda inner: st.lists(inner)))
def test_standing_of_never_raises_on_json_like_values(value: object) -> None:
    standing_of(value)
    standing_of({"kills": value, "rejected": {"x": value}})


# --- picking keys of one match ---


def topic_values() -> dict[str, Any]:
    return {
        player_key("m1", "ann"): player_value("m1", "ann", ANN),
        player_key("m1", "a/b"): player_value("m1", "a/b", BOB),
        player_key("m1", "broken"): "not an object",
        player_key("m2", "bob"): player_value("m2", "bob", BOB),
        player_key("m10", "cy"): player_value("m10", "cy", BOB),
        flag_key("m1", "a/b"): flag_value(Flag("m1", "a/b", 30, (("too_fast", 30),), (1,))),
        flag_key("m2", "bob"): flag_value(Flag("m2", "bob", 30, (("too_fast", 30),), (1,))),
        session_key("m1", 0): session_value(session()),
        match_key("m1"): {"match": "m1"},
        alltime_key("ann"): alltime_value("ann", {"m1": ANN}),
        alltime_key("a/b"): alltime_value("a/b", {"m1": BOB, "m2": BOB}),
        alltime_key("broken"): 7,
        "unrelated/key": {"kills": 99},
    }


def test_match_standings_are_the_player_keys_of_that_match_only() -> None:
    assert match_standings(topic_values(), "m1") == {"ann": ANN, "a/b": BOB}
    assert match_standings(topic_values(), "m2") == {"bob": BOB}
    assert match_standings(topic_values(), "m") == {}


def test_flagged_players_are_the_flag_keys_of_that_match_only() -> None:
    assert flagged_players(topic_values(), "m1") == {"a/b"}
    assert flagged_players(topic_values(), "m2") == {"bob"}
    assert flagged_players(topic_values(), "m10") == set()


def test_alltime_standings_count_matches_and_skip_malformed_values() -> None:
    found = alltime_standings(topic_values())
    assert set(found) == {"ann", "a/b"}
    assert found["ann"] == (1, ANN)
    matches, standing = found["a/b"]
    assert matches == 2 and standing.kills == 2 * BOB.kills and standing.deaths == 2 * BOB.deaths


def test_readers_of_an_empty_topic_find_nothing() -> None:
    assert match_standings({}, "m1") == {}
    assert flagged_players({}, "m1") == set()
    assert alltime_standings({}) == {}
