"""Live stats: `python -m game.stats` folds every match and publishes standings, exactly once.

A consumer group (`--group`, default `arena-stats`) subscribes to every match topic by
pattern (`^arena\\.match\\..*`) and to the stats topic itself, folds each match through the
same reducer every player runs (one `MatchReplica` per match), and writes to the compacted
topic `arena.stats` (cleanup.policy=compact), one JSON value per key, the latest value per
key being the truth:

    match/<M>/player/<name>   that player's standings in match M (all sessions of the topic)
    match/<M>/flag/<name>     a player over the suspicious-rejection threshold, with evidence
    match/<M>                 the match: records, applied/rejected/skipped, present players,
                              and the open session (first offset, standings so far)
    match/<M>/session/<first> a finished session (last player left, or all timed out)
    alltime/player/<name>     the sum of that player's `match/*/player/<name>` values

Standings are kills, deaths, score, pickups, coins, damage dealt and rejected actions by
reason. Player keys (standings, flags, all-time) go to partition crc32(name) % partitions,
match keys to crc32(match) % partitions, so one partition holds every per-match value of a
player together with that player's all-time value.

Why plain confluent-kafka transactions and not quixstreams: quixstreams would give us
exactly-once processing, state stores and changelogs for free, but it is a dependency we may
not add (the game depends on pygame, confluent-kafka and msgpack only), and it pulls in a
RocksDB state store we do not need: the world of a match is already a pure fold of its log.
Read-process-write with librdkafka's transactional producer is a few dozen lines
(`game.kafka.TransactionalProcessor`): each batch is begin_transaction, produce the
outputs, send_offsets_to_transaction(next offsets, consumer_group_metadata),
commit_transaction; the consumer reads read_committed with auto commit off.

Why every action counts once, whenever a processor dies:

- Every value we write is absolute (a function of a log prefix), never a delta, and each
  batch's outputs commit atomically with the input offsets they reflect.
- State is not saved anywhere: when a match partition is assigned (first start, restart,
  rebalance, or after an aborted transaction) the processor reads it again from offset 0,
  folding silently up to the committed offset and writing from there on. The reducer is
  deterministic, so the rebuilt world is exactly the one the previous owner held at that
  offset. (Snapshotting the world into the stats topic would avoid the re-read, but would tie
  the output format to the reducer's internals; a replay folds hundreds of thousands of
  actions a second, so re-reading is cheap.)
- All-time totals are derived, not counted: the member that owns a stats partition reads the
  `match/*/player/*` values in it (read_committed: only committed batches) and writes the
  sum of the latest value per match for each player it saw change. A duplicate or replayed
  input just rewrites the same sum, so restarts and rebalances cannot double count; it
  rebuilds its map the same way, by reading its stats partition from 0 on assignment.
- A restarted instance with the same `--instance` (the transactional.id and the static group
  member id) fences its predecessor: the dead one's open transaction is aborted at once.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from game.actions import Action
from game.constants import COIN_SCORE, KILL_SCORE
from game.kafka import (
    MATCH_TOPIC_PATTERN,
    STATS_TOPIC,
    KafkaSettings,
    KafkaUnavailable,
    Output,
    Record,
    TransactionAborted,
    TransactionalProcessor,
    TransactionFailed,
    add_kafka_arguments,
    ensure_compacted_topic,
    match_of,
    settings_from_args,
)
from game.match import MatchReplica, all_maps, new_replica
from game.shutdown import StopFlag
from game.world import Hit, Joined, Killed, Left, Outcome, PickedUp

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


# --- the pure part: standings from a fold ---


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

    def to_json(self) -> dict[str, Any]:
        return {
            "kills": self.kills,
            "deaths": self.deaths,
            "score": self.score,
            "pickups": self.pickups,
            "coins": self.coins,
            "damage_dealt": self.damage_dealt,
            "rejected": dict(self.rejected),
        }

    @staticmethod
    def from_json(value: dict[str, Any]) -> Standing:
        return Standing(
            value["kills"],
            value["deaths"],
            value["score"],
            value["pickups"],
            value["coins"],
            value["damage_dealt"],
            tuple(sorted(value["rejected"].items())),
        )


def total(standings: Iterable[Standing]) -> Standing:
    """The sum of several standings (one player's matches, for all-time)."""
    rejected: Counter[str] = Counter()
    sums = [0] * 6
    for s in standings:
        for i, n in enumerate((s.kills, s.deaths, s.score, s.pickups, s.coins, s.damage_dealt)):
            sums[i] += n
        rejected.update(dict(s.rejected))
    return Standing(*sums, tuple(sorted(rejected.items())))  # type: ignore[arg-type]


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
    players: tuple[tuple[str, Standing], ...]  # by score, then kills, then name

    def to_json(self) -> dict[str, Any]:
        return {
            "match": self.match,
            "map": self.map_name,
            "first_offset": self.first_offset,
            "first_ts": self.first_ts,
            "last_offset": self.last_offset,
            "last_ts": self.last_ts,
            "ended_by": self.ended_by,
            "players": {name: s.to_json() for name, s in self.players},
        }

    @staticmethod
    def from_json(value: dict[str, Any]) -> Session:
        return Session(
            value["match"],
            value["map"],
            value["first_offset"],
            value["first_ts"],
            value["last_offset"],
            value["last_ts"],
            value["ended_by"],
            tuple((name, Standing.from_json(s)) for name, s in value["players"].items()),
        )


@dataclass(frozen=True, slots=True)
class Flag:
    """A player whose suspicious rejections in a match passed the threshold."""

    match: str
    player: str
    suspicious: int
    reasons: tuple[tuple[str, int], ...]
    offsets: tuple[int, ...]  # the first EVIDENCE_CAP rejected records' log offsets

    def to_json(self) -> dict[str, Any]:
        return {
            "match": self.match,
            "player": self.player,
            "suspicious": self.suspicious,
            "reasons": dict(self.reasons),
            "offsets": list(self.offsets),
        }


@dataclass(slots=True)
class _OpenSession:
    first_offset: int
    first_ts: int
    last_offset: int
    last_ts: int
    tallies: dict[str, _Tally] = field(default_factory=dict)


def _ranked(tallies: dict[str, _Tally]) -> tuple[tuple[str, Standing], ...]:
    frozen = [(name, t.freeze()) for name, t in tallies.items()]
    frozen.sort(key=lambda item: (-item[1].score, -item[1].kills, item[0]))
    return tuple(frozen)


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

    def record(self, offset: int, ts: int, action: Action | None, outcome: Outcome | None) -> None:
        """Fold one log record (action and outcome are None for a skipped record)."""
        if outcome is None or action is None:
            self._touch(offset, ts)
            return
        if not outcome.applied:
            self._rejected(offset, action.pid, outcome.reason)
        for event in outcome.events:
            kind = type(event)
            if kind is Hit:
                self._tallies(event.attacker, "damage_dealt", event.damage)  # type: ignore[union-attr]
            elif kind is Killed:
                self._tallies(event.attacker, "kills", 1)  # type: ignore[union-attr]
                self._tallies(event.attacker, "score", KILL_SCORE)  # type: ignore[union-attr]
                self._tallies(event.victim, "deaths", 1)  # type: ignore[union-attr]
            elif kind is PickedUp:
                self._tallies(event.pid, "pickups", 1)  # type: ignore[union-attr]
                if event.kind == "coin":  # type: ignore[union-attr]
                    self._tallies(event.pid, "coins", 1)  # type: ignore[union-attr]
                    self._tallies(event.pid, "score", COIN_SCORE)  # type: ignore[union-attr]
            elif kind is Joined:
                self._joined(offset, ts, event, getattr(action, "map_name", ""))  # type: ignore[arg-type]
            elif kind is Left:
                self._left(offset, ts, event)  # type: ignore[arg-type]
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

    def _tallies(self, pid: int, attr: str, n: int) -> None:
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


def standings_of_log(
    match: str,
    records: Iterable[tuple[int, int, bytes | None, bytes | None]],
    replica: MatchReplica | None = None,
) -> MatchStats:
    """Fold (offset, ts, key, value) records of one match from offset 0: the reference."""
    replica = replica if replica is not None else new_replica(match)
    stats = MatchStats(match)
    for offset, ts, key, value in records:
        action, outcome = replica.read(offset, ts, key, value)
        stats.record(offset, ts, action, outcome)
    return stats


# --- the stats topic's keys and values ---


def player_key(match: str, name: str) -> str:
    return f"match/{match}/player/{name}"


def flag_key(match: str, name: str) -> str:
    return f"match/{match}/flag/{name}"


def match_key(match: str) -> str:
    return f"match/{match}"


def session_key(match: str, first_offset: int) -> str:
    return f"match/{match}/session/{first_offset}"


def alltime_key(name: str) -> str:
    return f"alltime/player/{name}"


def parse_key(key: str) -> tuple[str, ...]:
    """('player', M, name), ('flag', M, name), ('session', M, first), ('match', M),
    ('alltime', name), or () for anything else. Match names hold no '/', player names may."""
    parts = key.split("/", 3)
    if parts[0] == "alltime" and len(parts) >= 3 and parts[1] == "player":
        return ("alltime", key.split("/", 2)[2])
    if parts[0] != "match" or len(parts) < 2:
        return ()
    if len(parts) == 2:
        return ("match", parts[1])
    if len(parts) == 4 and parts[2] in ("player", "flag", "session"):
        return (parts[2], parts[1], parts[3])
    return ()


def partition_for(name: str, partitions: int) -> int:
    """Stable across processes and versions (unlike hash())."""
    return zlib.crc32(name.encode()) % partitions


def dumps(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def player_value(match: str, name: str, standing: Standing) -> dict[str, Any]:
    return {"match": match, "player": name, **standing.to_json()}


def alltime_value(name: str, per_match: dict[str, Standing]) -> dict[str, Any]:
    return {"player": name, "matches": len(per_match), **total(per_match.values()).to_json()}


def match_value(replica: MatchReplica, stats: MatchStats) -> dict[str, Any]:
    session = stats.open_session()
    return {
        "match": stats.match,
        "map": stats.map_name,
        "offset": replica.offset,
        "clock_ms": replica.world.clock,
        "applied": replica.applied,
        "rejected": dict(sorted(replica.rejected.items())),
        "skipped": dict(sorted(replica.skipped.items())),
        "unattributed": dict(sorted(stats.unattributed.items())),
        "present": sorted(stats.names[pid] for pid in stats.present),
        "players": sorted(stats.players),
        "session": session.to_json() if session is not None else None,
    }


# --- the processor ---


@dataclass(slots=True)
class _MatchState:
    replica: MatchReplica
    stats: MatchStats
    resume: int  # records below this offset were published by an earlier owner: fold silently


@dataclass(slots=True)
class _AllTimeState:
    """One stats partition: the latest per-match standings of the players it holds."""

    resume: int
    offset: int = -1  # last record folded
    per_player: dict[str, dict[str, Standing]] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)


class StatsProcessor:
    def __init__(
        self,
        settings: KafkaSettings,
        *,
        group: str,
        instance: str,
        stats_topic: str,
        pattern: str,
        flag_threshold: int = DEFAULT_FLAG_THRESHOLD,
    ) -> None:
        self.stats_topic = stats_topic
        self.flag_threshold = flag_threshold
        self.partitions = ensure_compacted_topic(settings, stats_topic)
        self.maps = all_maps()
        self.matches: dict[str, _MatchState] = {}  # by topic
        self.alltime: dict[int, _AllTimeState] = {}  # by stats partition
        self.transactions = 0
        self.aborted = 0
        self.client = TransactionalProcessor(
            settings,
            group=group,
            instance=instance,
            topics=[pattern, stats_topic],
            assigned=self._assigned,
            revoked=self._revoked,
        )

    def _assigned(self, committed: dict[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        # Every assigned partition is read again from 0: below the committed offset only to
        # rebuild state, which the reducer makes exact.
        for (topic, partition), offset in committed.items():
            print(f"stats: assigned {topic}[{partition}], rebuilding up to offset {offset}", file=sys.stderr)
            if topic == self.stats_topic:
                self.alltime[partition] = _AllTimeState(offset)
            else:
                match = match_of(topic) or topic
                self.matches[topic] = _MatchState(
                    new_replica(match, self.maps), MatchStats(match, self.flag_threshold), offset
                )
        return {tp: 0 for tp in committed}

    def _revoked(self, partitions: list[tuple[str, int]]) -> None:
        for topic, partition in partitions:
            print(f"stats: revoked {topic}[{partition}]", file=sys.stderr)
            if topic == self.stats_topic:
                self.alltime.pop(partition, None)
            else:
                self.matches.pop(topic, None)

    def step(self, timeout: float = 0.5) -> int:
        """Poll one batch, fold it, publish what changed in one transaction. Returns records read."""
        records = self.client.poll(5_000, timeout)
        if not records:
            return 0
        last: dict[tuple[str, int], int] = {}
        for record in records:
            if record.topic == self.stats_topic:
                self._stats_record(record)
            else:
                self._match_record(record)
            last[(record.topic, record.partition)] = record.offset
        outputs: list[Output] = []
        offsets: dict[tuple[str, int], int] = {}
        for (topic, partition), offset in last.items():
            if topic == self.stats_topic:
                state = self.alltime.get(partition)
                if state is None:
                    continue
                fresh = offset >= state.resume
                if fresh:
                    outputs += self._alltime_outputs(partition, state)
                state.changed.clear()
            else:
                match_state = self.matches.get(topic)
                if match_state is None:
                    continue
                fresh = offset >= match_state.resume
                changed = self._match_outputs(match_state)
                if fresh:
                    outputs += changed
            if fresh:  # only partitions past their committed offset: never commit backwards
                offsets[(topic, partition)] = offset + 1
        if offsets:
            try:
                self.client.transact(outputs, offsets)
                self.transactions += 1
            except TransactionAborted as exc:
                self.aborted += 1
                print(
                    f"stats: transaction aborted ({exc}); rebuilding from committed offsets", file=sys.stderr
                )
                self.client.rewind()
        return len(records)

    def _match_record(self, record: Record) -> None:
        state = self.matches.get(record.topic)
        if state is None or record.offset <= state.replica.offset:
            return  # not assigned any more, or already folded (a fetch from before a seek)
        action, outcome = state.replica.read(record.offset, record.ts, record.key, record.value)
        state.stats.record(record.offset, record.ts, action, outcome)

    def _stats_record(self, record: Record) -> None:
        state = self.alltime.get(record.partition)
        if state is None or record.offset <= state.offset:
            return
        state.offset = record.offset
        if record.key is None or record.value is None:
            return
        parsed = parse_key(record.key.decode(errors="replace"))
        if not parsed or parsed[0] != "player":
            return  # our own all-time values, flags and match values come back here too
        _, match, name = parsed
        try:
            standing = Standing.from_json(json.loads(record.value))
        except (ValueError, KeyError, TypeError, AttributeError):
            return
        state.per_player.setdefault(name, {})[match] = standing
        state.changed.add(name)

    def _alltime_outputs(self, partition: int, state: _AllTimeState) -> list[Output]:
        return [
            Output(
                self.stats_topic,
                partition,
                alltime_key(name).encode(),
                dumps(alltime_value(name, state.per_player[name])),
            )
            for name in sorted(state.changed)
        ]

    def _match_outputs(self, state: _MatchState) -> list[Output]:
        stats = state.stats
        match = stats.match
        changed, flagged, finished = stats.drain()
        outputs = []
        for name in sorted(changed):
            outputs.append(
                Output(
                    self.stats_topic,
                    partition_for(name, self.partitions),
                    player_key(match, name).encode(),
                    dumps(player_value(match, name, stats.standing(name))),
                )
            )
        for name in sorted(flagged):
            flag = stats.flag(name)
            if flag is not None:
                outputs.append(
                    Output(
                        self.stats_topic,
                        partition_for(name, self.partitions),
                        flag_key(match, name).encode(),
                        dumps(flag.to_json()),
                    )
                )
        home = partition_for(match, self.partitions)
        for session in finished:
            outputs.append(
                Output(
                    self.stats_topic,
                    home,
                    session_key(match, session.first_offset).encode(),
                    dumps(session.to_json()),
                )
            )
        outputs.append(
            Output(
                self.stats_topic, home, match_key(match).encode(), dumps(match_value(state.replica, stats))
            )
        )
        return outputs

    def close(self) -> None:
        self.client.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m game.stats",
        description="Fold every match and publish standings to the compacted stats topic, exactly once.",
    )
    parser.add_argument("--group", default="arena-stats", help="consumer group (default arena-stats)")
    parser.add_argument(
        "--instance",
        default=socket.gethostname(),
        help="this processor's stable id: transactional.id and static group member id "
        "(default: the host name; give each processor on one host its own)",
    )
    parser.add_argument(
        "--seconds", type=float, help="stop after this many seconds (default: run until Ctrl+C)"
    )
    parser.add_argument("--stats-topic", default=STATS_TOPIC, help=f"output topic (default {STATS_TOPIC})")
    parser.add_argument(
        "--pattern",
        default=MATCH_TOPIC_PATTERN,
        help=f"match topics to follow (default {MATCH_TOPIC_PATTERN})",
    )
    parser.add_argument(
        "--flag-threshold",
        type=int,
        default=DEFAULT_FLAG_THRESHOLD,
        help="flag a player with more suspicious rejections than this in one match "
        f"(default {DEFAULT_FLAG_THRESHOLD})",
    )
    add_kafka_arguments(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.pattern.startswith("^"):
        print("error: --pattern must be a regular expression starting with ^", file=sys.stderr)
        return 2
    try:
        processor = StatsProcessor(
            settings_from_args(args),
            group=args.group,
            instance=args.instance,
            stats_topic=args.stats_topic,
            pattern=args.pattern,
            flag_threshold=args.flag_threshold,
        )
    except KafkaUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stopping = StopFlag()
    started = time.monotonic()
    records = 0
    matches: list[str] = []
    try:
        while not stopping() and (args.seconds is None or time.monotonic() - started < args.seconds):
            records += processor.step(0.5)
        matches = sorted(state.stats.match for state in processor.matches.values())
    except TransactionFailed as exc:
        print(f"error: {exc} (another processor with --instance {args.instance}?)", file=sys.stderr)
        return 1
    finally:
        processor.close()
    print(
        json.dumps(
            {
                "group": args.group,
                "instance": args.instance,
                "records": records,
                "transactions": processor.transactions,
                "aborted": processor.aborted,
                "matches": matches,  # held at the end
            },
            sort_keys=True,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
