"""Standings from the stats topic for the spectator's scoreboard, and the spectator's own fold.

`game.stats` (the stats processor) writes the latest standings to a compacted topic; a
`CompactedTopicFeed` keeps its latest value per key in a thread, and `StandingsTracker`
turns them into what the scoreboard draws (`StatsView`), at most a few times a second.
Everything here but the feed is pure.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from game.core.codec import Skipped
from game.core.ranking import ranked
from game.core.replica import new_replica
from game.kafka import CompactedTopicFeed, KafkaSettings, LinkStatus
from game.stats.standings import MatchStats, Standing
from game.stats.topic import alltime_standings, flagged_players, match_key, match_standings
from spectator.timeline import Timeline

REFRESH_S = 0.5  # the scoreboard's figures change at most this often
STALE_AFTER_S = 15.0  # the processor's match value behind the log this long: say so
NO_PROCESSOR = "stats: no processor"


@dataclass(frozen=True, slots=True)
class AllTimeRow:
    name: str
    score: int
    kills: int
    deaths: int
    matches: int
    damage_dealt: int


@dataclass(frozen=True, slots=True)
class MatchFigures:
    """The stats processor's figures of one player in the watched match (all its sessions)."""

    score: int
    kills: int
    deaths: int
    coins: int
    damage_dealt: int
    rejected: int
    flagged: bool = False


@dataclass(frozen=True, slots=True)
class StatsView:
    """What the scoreboard shows from the stats topic this frame."""

    version: int = -1  # changes whenever anything below does (for the renderer's cache)
    note: str = ""  # "" when the processor's figures are there, else a discreet line
    keys: int = 0
    alltime: tuple[AllTimeRow, ...] = ()
    players: dict[str, MatchFigures] = field(default_factory=dict)  # this match, by name


def alltime_rows(values: Mapping[str, Any]) -> list[AllTimeRow]:
    """Every player's all-time standings, best first (game.core.ranking)."""
    rows = [
        AllTimeRow(name, s.score, s.kills, s.deaths, matches, s.damage_dealt)
        for name, (matches, s) in alltime_standings(values).items()
    ]
    return ranked(rows)


def match_figures(values: Mapping[str, Any], match: str) -> dict[str, MatchFigures]:
    """The stats topic's figures of each player in one match, with its cheat flags."""
    flagged = flagged_players(values, match)
    return {
        name: MatchFigures(
            s.score,
            s.kills,
            s.deaths,
            s.coins,
            s.damage_dealt,
            sum(n for _, n in s.rejected),
            name in flagged,
        )
        for name, s in match_standings(values, match).items()
    }


class StandingsTracker:
    """The stats feed of one spectator, summed up for the scoreboard at most every REFRESH_S."""

    def __init__(self, settings: KafkaSettings, topic: str, match: str) -> None:
        self.match = match
        self.feed = CompactedTopicFeed(settings, topic)
        self.view = StatsView(note="")
        self._seen = (-1, "")
        self._checked = 0.0
        self._behind_since: float | None = None
        self._count = 0

    def start(self) -> StandingsTracker:
        self.feed.start()
        return self

    def stop(self) -> None:
        self.feed.stop()

    def update(self, log_end: int, force: bool = False) -> StatsView:
        """The view for this frame; `log_end` is the watched log's end offset as the app knows it."""
        now = time.monotonic()
        if now - self._checked < REFRESH_S and not force:
            return self.view
        self._checked = now
        feed = self.feed
        values = feed.values
        match_value = values.get(match_key(self.match))
        note = self._note(feed.status, feed.caught_up, match_value, log_end, now)
        if (feed.version, note) == self._seen:
            return self.view
        self._seen = (feed.version, note)
        self._count += 1
        self.view = StatsView(
            version=self._count,
            note=note,
            keys=len(values),
            alltime=tuple(alltime_rows(values)),
            players=match_figures(values, self.match),
        )
        return self.view

    def _note(self, status: LinkStatus, caught_up: bool, match_value: Any, log_end: int, now: float) -> str:
        match status:
            case LinkStatus.CONNECTING:
                return ""  # not known yet: say nothing rather than something wrong
            case LinkStatus.TOPIC_MISSING:
                return NO_PROCESSOR
            case LinkStatus.UNREACHABLE:
                return "stats: unavailable"
        if not caught_up:
            return ""
        if not isinstance(match_value, dict):
            return NO_PROCESSOR  # the topic exists, but nobody folded this match
        offset = match_value.get("offset", -1)
        if isinstance(offset, int) and offset + 1 < log_end:
            if self._behind_since is None:
                self._behind_since = now
            if now - self._behind_since > STALE_AFTER_S:
                return f"stats: behind (offset {offset:,} of {log_end - 1:,})"
        else:
            self._behind_since = None
        return ""


def fold_standings(timeline: Timeline) -> dict[str, Standing]:
    """The standings of the records the timeline folded so far, by player name: the spectator's
    own fold through the same `MatchStats` the stats processor uses (for checking it)."""
    replica = new_replica(timeline.match)
    replica.identities = timeline.replica.identities  # a guarded match's joins are checked alike
    stats = MatchStats(timeline.match)
    offsets, stamps, actions = timeline.offsets, timeline.stamps, timeline.actions
    for i in range(timeline.pos):
        match actions[i]:
            case Skipped():
                stats.record(offsets[i], stamps[i], None, None)
            case action:
                stats.record(
                    offsets[i], stamps[i], action, replica.ingest_action(offsets[i], stamps[i], action)
                )
    return stats.standings()
