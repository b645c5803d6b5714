"""The one ranking: score desc, kills desc, deaths asc, name asc; and every screen agrees on it."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import random  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from game.core.actions import Join  # noqa: E402
from game.core.maps import load_map  # noqa: E402
from game.core.ranking import rank_of, rank_order, ranked, ranked_by_name  # noqa: E402
from game.core.world import World, apply, new_world  # noqa: E402
from game.stats.standings import Standing  # noqa: E402
from game.stats.topic import player_key, player_value  # noqa: E402
from game.window.client import stats_rank, world_rank  # noqa: E402


@dataclass(frozen=True)
class Row:
    name: str
    score: int = 0
    kills: int = 0
    deaths: int = 0


def beats(a: Row, b: Row) -> bool:
    """The rule as the docs state it, one criterion after the other."""
    if a.score != b.score:
        return a.score > b.score
    if a.kills != b.kills:
        return a.kills > b.kills
    if a.deaths != b.deaths:
        return a.deaths < b.deaths
    return a.name < b.name


def names(rows: list[Row]) -> list[str]:
    return [row.name for row in rows]


# --- the order ---


def test_more_score_ranks_first_whatever_else() -> None:
    rows = [Row("ann", score=5, kills=0, deaths=9), Row("bob", score=6, kills=0, deaths=20)]
    assert names(ranked(rows)) == ["bob", "ann"]


def test_on_equal_score_more_kills_rank_first() -> None:
    rows = [Row("ann", score=10, kills=1, deaths=0), Row("bob", score=10, kills=2, deaths=5)]
    assert names(ranked(rows)) == ["bob", "ann"]


def test_on_equal_score_and_kills_fewer_deaths_rank_first() -> None:
    rows = [Row("ann", score=10, kills=2, deaths=3), Row("zed", score=10, kills=2, deaths=1)]
    assert names(ranked(rows)) == ["zed", "ann"]


def test_on_equal_figures_the_name_decides() -> None:
    rows = [Row("zed", 10, 2, 1), Row("amy", 10, 2, 1), Row("kim", 10, 2, 1)]
    assert names(ranked(rows)) == ["amy", "kim", "zed"]


def test_a_full_table_in_the_documented_order() -> None:
    rows = [
        Row("e", score=3, kills=0, deaths=0),
        Row("c", score=5, kills=1, deaths=2),
        Row("a", score=5, kills=1, deaths=2),
        Row("b", score=5, kills=1, deaths=0),
        Row("d", score=5, kills=2, deaths=9),
        Row("f", score=9, kills=0, deaths=9),
    ]
    assert names(ranked(rows)) == ["f", "d", "b", "a", "c", "e"]


def test_ranked_by_name_orders_pairs_and_mappings_alike() -> None:
    figures = {"ann": Standing(score=3), "bob": Standing(score=7), "cy": Standing(score=3, kills=1)}
    by_mapping = ranked_by_name(figures)
    assert [name for name, _ in by_mapping] == ["bob", "cy", "ann"]
    assert ranked_by_name(list(figures.items())) == by_mapping


def test_rank_of_counts_from_one_and_knows_the_field() -> None:
    figures = {"ann": Standing(score=3), "bob": Standing(score=7), "cy": Standing(score=3)}
    assert rank_of("bob", figures) == (1, 3)
    assert rank_of("ann", figures) == (2, 3)
    assert rank_of("cy", figures) == (3, 3)
    assert rank_of("dan", figures) is None
    assert rank_of("ann", {}) is None


def test_rank_order_sorts_best_first() -> None:
    better, worse = Row("zed", 5, 1, 0), Row("amy", 5, 1, 1)
    assert rank_order(better.name, better) < rank_order(worse.name, worse)


@given(
    st.dictionaries(
        st.text(alphabet="abcXY_/", min_size=1, max_size=4),
        st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)),
        max_size=12,
    ),
    st.randoms(use_true_random=False),
)
def test_ranked_is_a_total_order_that_rank_of_agrees_with(
    table: dict[str, tuple[int, int, int]], rng: random.Random
) -> None:
    rows = [Row(name, *figures) for name, figures in table.items()]
    rng.shuffle(rows)
    order = ranked(rows)
    assert sorted(names(order)) == sorted(table)  # a permutation
    # Every earlier row beats every later one under the stated rule: a strict total order.
    for i, a in enumerate(order):
        for b in order[i + 1 :]:
            assert beats(a, b) and not beats(b, a)
    # The input order does not matter.
    assert names(ranked(list(reversed(rows)))) == names(order)
    # rank_of is the position in that order, by name-keyed figures as the HUD asks.
    standings = {row.name: Standing(kills=row.kills, deaths=row.deaths, score=row.score) for row in rows}
    for position, row in enumerate(order, start=1):
        assert rank_of(row.name, standings) == (position, len(rows))
    assert [name for name, _ in ranked_by_name(standings)] == names(order)


# --- every screen agrees: HUD rank (world and stats) and the scoreboards' order ---

MATCH = "m1"


def world_of(rows: list[Row]) -> tuple[World, dict[str, int]]:
    """A world with these players present, their figures set as the reducer would keep them."""
    world = new_world(load_map("arena"))
    pids = {}
    for pid, row in enumerate(rows, start=11):
        assert apply(world, Join(pid, 1, 0, row.name, 0xFFFFFF, 0, "arena"), 1_000).applied
        player = world.players[pid]
        player.score, player.kills, player.deaths = row.score, row.kills, row.deaths
        pids[row.name] = pid
    return world, pids


def stats_values_of(rows: list[Row]) -> dict[str, Any]:
    return {
        player_key(MATCH, row.name): player_value(
            MATCH, row.name, Standing(kills=row.kills, deaths=row.deaths, score=row.score)
        )
        for row in rows
    }


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # Equal score and kills, different deaths; names in the opposite order to deaths.
        ([Row("amy", 10, 2, 4), Row("zed", 10, 2, 1)], ["zed", "amy"]),
        # Equal in everything but the name.
        ([Row("zed", 10, 2, 1), Row("amy", 10, 2, 1)], ["amy", "zed"]),
        # Both ties at once, among others.
        (
            [Row("cy", 4, 0, 0), Row("zed", 10, 2, 1), Row("bob", 10, 2, 3), Row("amy", 10, 2, 1)],
            ["amy", "zed", "bob", "cy"],
        ),
    ],
)
def test_the_hud_rank_and_the_scoreboards_agree_on_ties(rows: list[Row], expected: list[str]) -> None:
    world, pids = world_of(rows)
    values = stats_values_of(rows)
    # The order the spectator's and the window's scoreboards draw (both rank world.players).
    scoreboard = [player.name for player in ranked(world.players.values())]
    assert scoreboard == expected
    for position, name in enumerate(scoreboard, start=1):
        assert world_rank(world, pids[name]) == (position, len(rows))
        assert stats_rank(values, MATCH, name) == (position, len(rows))


def test_the_hud_has_no_rank_for_someone_absent() -> None:
    world, _ = world_of([Row("amy", 1)])
    assert world_rank(world, 999) is None
    assert stats_rank(stats_values_of([Row("amy", 1)]), MATCH, "bob") is None
    assert stats_rank(stats_values_of([Row("amy", 1)]), "other-match", "amy") is None
