"""What the lobby makes of a match's records: its map and rules, the players present."""

from __future__ import annotations

from game.core.actions import Join, Leave, Ping
from game.core.codec import encode, record_key
from game.kafka.lobby import JUST_JOINED_MS, _summarise


def raw(ts: int, action: Join | Leave | Ping) -> tuple[int, bytes, bytes]:
    return ts, encode(action), record_key(action.pid)


def join(pid: int, name: str, map_name: str = "crossroads") -> Join:
    return Join(pid, 1, 0, name, 0xFF0000, 0, map_name, b"", 1)


def test_the_first_join_names_the_map_and_pings_count_players_who_left_do_not() -> None:
    first = join(1, "ann")
    recent = [
        raw(1_000, first),
        raw(1_100, join(2, "ben")),
        raw(1_200, join(3, "cat")),
        raw(2_000, Ping(1, 2, 900)),
        raw(2_100, Ping(2, 2, 900)),
        raw(2_200, Ping(3, 2, 900)),
        raw(2_300, Leave(3, 3, 1000)),
    ]
    found = _summarise("m", 1_000, encode(first), record_key(1), recent, 7)
    assert (found.match, found.map_name, found.rules, found.players) == ("m", "crossroads", 1, 2)
    assert found.names == ("ann", "ben")
    assert (found.started_ms, found.last_ms, found.records) == (1_000, 2_300, 7)


def test_a_join_with_nothing_after_it_counts_only_while_it_is_fresh() -> None:
    recent = [raw(0, join(1, "ann")), raw(500, Ping(1, 2, 500)), raw(600, join(2, "ann"))]
    assert _summarise("m", 0, None, None, recent, 3).players == 2  # just joined
    later = [*recent, raw(600 + JUST_JOINED_MS + 1, Ping(1, 3, 3000))]
    assert _summarise("m", 0, None, None, later, 4).players == 1  # refused (its name was taken)


def test_a_match_whose_first_join_is_gone_takes_the_map_of_a_recent_join() -> None:
    found = _summarise("m", 0, b"\x00junk", None, [raw(10, join(5, "eve", "arena"))], 9)
    assert found.map_name == "arena" and found.rules == 0
