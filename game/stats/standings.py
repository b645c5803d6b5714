"""Standings folded from a match's log: per player, per session, per round, and cheat flags. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from game.core.actions import Action, Join
from game.core.ranking import ranked_by_name
from game.core.records import Record
from game.core.replica import MatchReplica, new_replica
from game.core.world import Hit, Joined, Killed, Left, Outcome, PickedUp, RoundEnded, RoundStarted
from game.core.world import Standing as RoundStanding  # one line of a round's final table

# Rejections a fair client practically never gets (its prediction runs the same rules), so
# many of them point at a modified client or a replayed/forged stream.
SUSPICIOUS_REASONS = frozenset(
    {
        "too_fast",
        "through_wall",
        "into_wall",
        "cooldown",
        "out_of_reach",
        "clock_ahead",
        "clock_backwards",
        "duplicate",
        "no_such_item",
    }
)
DEFAULT_FLAG_THRESHOLD = 20
EVIDENCE_CAP = 25  # the first offsets of suspicious rejections kept as evidence


@dataclass(frozen=True, slots=True)
class Standing:
    """One player's standings (in one match, one session, or all time)."""

    kills: int = 0
    deaths: int = 0
    score: int = 0
    pickups: int = 0
    coins: int = 0
    damage_dealt: int = 0
    rejected: tuple[tuple[str, int], ...] = ()  # (reason, count), sorted by reason


def total(standings: Iterable[Standing]) -> Standing:
    """The sum of several standings (one player's matches, for all-time)."""
    tally = _Tally()
    for s in standings:
        tally.kills += s.kills
        tally.deaths += s.deaths
        tally.score += s.score
        tally.pickups += s.pickups
        tally.coins += s.coins
        tally.damage_dealt += s.damage_dealt
        tally.rejected.update(dict(s.rejected))
    return tally.freeze()


@dataclass(slots=True)
class _Tally:
    """A mutable standing, for folding fast; `freeze` gives the record."""

    kills: int = 0
    deaths: int = 0
    score: int = 0
    pickups: int = 0
    coins: int = 0
    damage_dealt: int = 0
    rejected: Counter = field(default_factory=Counter)

    def freeze(self) -> Standing:
        return Standing(
            self.kills,
            self.deaths,
            self.score,
            self.pickups,
            self.coins,
            self.damage_dealt,
            tuple(sorted(self.rejected.items())),
        )


@dataclass(frozen=True, slots=True)
class Session:
    """A stretch of a match from a first join while nobody was present to the last leave."""

    match: str
    map_name: str
    first_offset: int
    first_ts: int
    last_offset: int
    last_ts: int
    ended_by: str  # "left", "timeout", or "" while still open
    players: tuple[tuple[str, Standing], ...]  # best first (game.core.ranking)


@dataclass(frozen=True, slots=True)
class Flag:
    """A player whose suspicious rejections in a match passed the threshold."""

    match: str
    player: str
    suspicious: int
    reasons: tuple[tuple[str, int], ...]
    offsets: tuple[int, ...]  # the first EVIDENCE_CAP rejected records' log offsets


@dataclass(frozen=True, slots=True)
class RoundResult:
    """A finished round (rules v2): its winner and final table as the reducer decided them.

    The table is the reducer's own (`RoundEnded.standings`: the players present when the
    round ended, best first), so every reader names the same winner. Times are match time
    (broker ms); the offsets are those of the records whose fold started and ended the round
    (a timer fires on the first record past its time), so `--from-offset start_offset
    --to-offset end_offset` replays the round.
    """

    match: str
    map_name: str
    round_no: int
    started_at: int  # the scheduled start (RoundStarted.at); 0 if the fold did not see it
    ended_at: int  # the scheduled end (RoundEnded.at)
    start_offset: int  # -1 if the fold did not see the start
    end_offset: int
    winner: str  # "" when nobody was present at the end
    winner_pid: int  # 0 likewise
    standings: tuple[RoundStanding, ...]  # best first (the reducer's ranking)

    @property
    def winner_score(self) -> int:
        return self.standings[0].score if self.standings else 0


@dataclass(slots=True)
class _OpenSession:
    first_offset: int
    first_ts: int
    last_offset: int
    last_ts: int
    tallies: dict[str, _Tally] = field(default_factory=dict)


def _ranked(tallies: dict[str, _Tally]) -> tuple[tuple[str, Standing], ...]:
    return tuple(ranked_by_name({name: t.freeze() for name, t in tallies.items()}))


class MatchStats:
    """Standings of one match, folded from (action, outcome) pairs in log order. Pure.

    Players are counted by name (a pid lasts one join). A rejection is charged to the name
    its pid joined with; rejections of pids that never joined (refused joins, strangers) are
    counted for the match only. Each call marks what changed, for the processor to publish.
    """

    def __init__(self, match: str, flag_threshold: int = DEFAULT_FLAG_THRESHOLD) -> None:
        self.match = match
        self.flag_threshold = flag_threshold
        self.players: dict[str, _Tally] = {}
        self.names: dict[int, str] = {}  # every pid that ever joined, kept after it leaves
        self.present: set[int] = set()
        self.unattributed: Counter[str] = Counter()
        self.suspicious: dict[str, tuple[Counter[str], list[int]]] = {}
        self.map_name = ""
        self.session: _OpenSession | None = None
        self.finished: list[Session] = []  # sessions finished since the last `drain`
        self.changed: set[str] = set()  # names whose standings changed since the last `drain`
        self.flag_changed: set[str] = set()
        self.round_started: tuple[int, int, int] | None = None  # (round, at, offset) of the open round
        self.rounds: list[RoundResult] = []  # rounds finished since the last `drain_rounds`

    def record(self, offset: int, ts: int, action: Action | None, outcome: Outcome | None) -> None:
        """Fold one log record (action and outcome are None for a skipped record)."""
        if outcome is None or action is None:
            self._touch(offset, ts)
            return
        if not outcome.applied:
            self._rejected(offset, action.pid, outcome.reason)
        for event in outcome.events:
            match event:
                case Hit(attacker=attacker, damage=damage):
                    self._add(attacker, "damage_dealt", damage)
                case Killed(attacker=attacker, victim=victim, points=points):
                    self._add(attacker, "kills", 1)
                    self._add(attacker, "score", points)
                    self._add(victim, "deaths", 1)
                case PickedUp(pid=pid, kind=kind, points=points):
                    self._add(pid, "pickups", 1)
                    self._add(pid, "score", points)
                    if kind == "coin":
                        self._add(pid, "coins", 1)
                case Joined():
                    self._joined(offset, ts, event, action.map_name if isinstance(action, Join) else "")
                case Left():
                    self._left(offset, ts, event)
                case RoundStarted(round_no=round_no, at=at):
                    self.round_started = (round_no, at, offset)
                case RoundEnded():
                    self._round_ended(offset, event)
        self._touch(offset, ts)

    def _touch(self, offset: int, ts: int) -> None:
        if self.session is not None:
            self.session.last_offset = offset
            self.session.last_ts = ts

    def _joined(self, offset: int, ts: int, event: Joined, map_name: str) -> None:
        self.names[event.pid] = event.name
        self.present.add(event.pid)
        self.map_name = self.map_name or map_name
        if self.session is None:
            self.session = _OpenSession(offset, ts, offset, ts)
        self.session.tallies.setdefault(event.name, _Tally())
        if event.name not in self.players:
            self.players[event.name] = _Tally()
            self.changed.add(event.name)

    def _left(self, offset: int, ts: int, event: Left) -> None:
        self.present.discard(event.pid)
        session = self.session
        if self.present or session is None:
            return
        # A leave action ends the session at its own record; a timeout fires when some later
        # record passes the deadline, so that record is not part of the session.
        if event.reason == "left":
            session.last_offset, session.last_ts = offset, ts
        self.finished.append(
            Session(
                self.match,
                self.map_name,
                session.first_offset,
                session.first_ts,
                session.last_offset,
                session.last_ts,
                event.reason,
                _ranked(session.tallies),
            )
        )
        self.session = None

    def _round_ended(self, offset: int, event: RoundEnded) -> None:
        started_at, start_offset = 0, -1
        if self.round_started is not None and self.round_started[0] == event.round_no:
            _, started_at, start_offset = self.round_started
        self.round_started = None
        self.rounds.append(
            RoundResult(
                self.match,
                self.map_name,
                event.round_no,
                started_at,
                event.at,
                start_offset,
                offset,
                event.winner_name,
                event.winner,
                event.standings,
            )
        )

    def _add(self, pid: int, attr: str, n: int) -> None:
        name = self.names[pid]
        tally = self.players[name]
        setattr(tally, attr, getattr(tally, attr) + n)
        if self.session is not None:
            session_tally = self.session.tallies[name]
            setattr(session_tally, attr, getattr(session_tally, attr) + n)
        self.changed.add(name)

    def _rejected(self, offset: int, pid: int, reason: str) -> None:
        name = self.names.get(pid)
        if name is None:
            self.unattributed[reason] += 1
            return
        self.players[name].rejected[reason] += 1
        if self.session is not None and name in self.session.tallies:
            self.session.tallies[name].rejected[reason] += 1
        self.changed.add(name)
        if reason in SUSPICIOUS_REASONS:
            reasons, offsets = self.suspicious.setdefault(name, (Counter(), []))
            reasons[reason] += 1
            if len(offsets) < EVIDENCE_CAP:
                offsets.append(offset)
            if reasons.total() > self.flag_threshold:
                self.flag_changed.add(name)

    def standing(self, name: str) -> Standing:
        return self.players[name].freeze()

    def standings(self) -> dict[str, Standing]:
        return {name: tally.freeze() for name, tally in self.players.items()}

    def flag(self, name: str) -> Flag | None:
        found = self.suspicious.get(name)
        if found is None or found[0].total() <= self.flag_threshold:
            return None
        reasons, offsets = found
        return Flag(self.match, name, reasons.total(), tuple(sorted(reasons.items())), tuple(offsets))

    def open_session(self) -> Session | None:
        s = self.session
        if s is None:
            return None
        return Session(
            self.match,
            self.map_name,
            s.first_offset,
            s.first_ts,
            s.last_offset,
            s.last_ts,
            "",
            _ranked(s.tallies),
        )

    def drain(self) -> tuple[set[str], set[str], list[Session]]:
        """What changed since the last drain: standings, flags, finished sessions."""
        drained = self.changed, self.flag_changed, self.finished
        self.changed, self.flag_changed, self.finished = set(), set(), []
        return drained

    def drain_rounds(self) -> list[RoundResult]:
        """The rounds finished since the last call, in order."""
        drained, self.rounds = self.rounds, []
        return drained


def standings_of_log(
    match: str,
    records: Iterable[Record],
    replica: MatchReplica | None = None,
) -> MatchStats:
    """Fold the records of one match from offset 0: the reference."""
    replica = replica if replica is not None else new_replica(match)
    stats = MatchStats(match)
    for r in records:
        action, outcome = replica.read(r.offset, r.ts, r.key, r.value)
        stats.record(r.offset, r.ts, action, outcome)
    return stats
