"""A small match of rules v2 as log records: two players who only ping, in 10 s rounds.

Warm-up until bob joins (t0 + 100), a 5 s countdown, round 1 from t0 + 5.1 s to t0 + 15.1 s,
a 10 s intermission, round 2 from t0 + 25.1 s, and so on. Nobody scores, so each round goes
to the first by name (game.core.ranking): ann.
"""

from __future__ import annotations

from game.core.actions import Action, Join, Ping
from game.core.codec import encode, record_key
from game.core.constants import INTERMISSION_MS, ROUND_COUNTDOWN_MS
from game.core.records import Record
from game.core.rules import RULES_VERSION

T0 = 1_000_000
ROUND_S = 10
ROUND_STARTS = [T0 + 100 + ROUND_COUNTDOWN_MS + n * (ROUND_S * 1000 + INTERMISSION_MS) for n in range(4)]


def rounds_log(match: str = "m", seconds: int = 60, every_ms: int = 500) -> list[Record]:
    actions: list[tuple[int, Action]] = []
    joins = {1: ("ann", T0), 2: ("bob", T0 + 100)}
    for pid, (name, at) in joins.items():
        actions.append(
            (at, Join(pid, 1, 0, name, 0x3366FF, 0, "arena", rules=RULES_VERSION, round_s=ROUND_S))
        )
    seq = dict.fromkeys(joins, 1)
    for ts in range(T0 + every_ms, T0 + seconds * 1000, every_ms):
        for pid, (_, joined) in joins.items():
            if ts > joined:
                seq[pid] += 1
                actions.append((ts, Ping(pid, seq[pid], ts - joined)))
    actions.sort(key=lambda pair: pair[0])
    return [
        Record(match, 0, offset, ts, record_key(action.pid), encode(action))
        for offset, (ts, action) in enumerate(actions)
    ]
