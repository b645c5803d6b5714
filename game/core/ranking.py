"""The one ranking of players, used by every scoreboard, HUD rank, session table and history row.

Best first: more score, then more kills, then fewer deaths, then name (so a tie is broken the
same way on every screen, and the order is total).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, TypeVar


class Figures(Protocol):
    """Anything with the figures a rank is decided on (a world's Player, a Standing)."""

    @property
    def score(self) -> int: ...
    @property
    def kills(self) -> int: ...
    @property
    def deaths(self) -> int: ...


class Named(Figures, Protocol):
    @property
    def name(self) -> str: ...


F = TypeVar("F", bound=Figures)
N = TypeVar("N", bound=Named)


def rank_order(name: str, figures: Figures) -> tuple[int, int, int, str]:
    """The sort key: ascending order is best first."""
    return (-figures.score, -figures.kills, figures.deaths, name)


def ranked(players: Iterable[N]) -> list[N]:
    """Named players, best first."""
    return sorted(players, key=lambda p: rank_order(p.name, p))


def ranked_by_name(figures: Mapping[str, F] | Iterable[tuple[str, F]]) -> list[tuple[str, F]]:
    """(name, figures) pairs, best first."""
    pairs = figures.items() if isinstance(figures, Mapping) else figures
    return sorted(pairs, key=lambda pair: rank_order(pair[0], pair[1]))


def rank_of(name: str, figures: Mapping[str, Figures]) -> tuple[int, int] | None:
    """(rank, how many) of `name` among `figures` (rank 1 is best); None when absent."""
    if name not in figures:
        return None
    mine = rank_order(name, figures[name])
    return 1 + sum(rank_order(other, f) < mine for other, f in figures.items()), len(figures)
