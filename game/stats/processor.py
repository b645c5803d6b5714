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
    match/<M>/round/<n>       a finished round (rules v2): the reducer's winner and final table
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
- Checkpoints: every `--checkpoint-every` records (or 30 s of match time) of a match, the
  processor writes its replica of the match to `arena.checkpoint.<M>` in the same transaction
  as the offsets it reflects, so a reader starts there instead of at offset 0
  (`game.kafka.checkpoints`); a checkpoint is a cache of the fold, checked against its hash.
- A restarted instance with the same `--instance` (the transactional.id and the static group
  member id) fences its predecessor: the dead one's open transaction is aborted at once.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from dataclasses import dataclass, field

from game.core.checkpoint import encode_checkpoint, take_checkpoint
from game.core.records import Record
from game.core.replica import MatchReplica, all_maps, new_replica
from game.kafka import (
    MATCH_TOPIC_PATTERN,
    STATS_TOPIC,
    KafkaSettings,
    KafkaUnavailable,
    Output,
    TransactionAborted,
    TransactionalProcessor,
    TransactionFailed,
    add_kafka_arguments,
    ensure_compacted_topic,
    match_of,
    settings_from_args,
)
from game.kafka.checkpoints import ensure_checkpoint_topic
from game.kafka.closing import Closing
from game.kafka.identity import IdentityLookup
from game.shutdown import StopFlag
from game.stats.standings import DEFAULT_FLAG_THRESHOLD, MatchStats, Standing
from game.stats.topic import (
    alltime_key,
    alltime_value,
    dumps,
    flag_key,
    flag_value,
    loads,
    match_key,
    match_value,
    parse_key,
    partition_for,
    player_key,
    player_value,
    round_key,
    round_value,
    session_key,
    session_value,
    standing_of,
)

# A reader joining a match folds at most about this many records past its checkpoint (a
# tenth of a second); each checkpoint costs a few kB per hundred players.
CHECKPOINT_EVERY_RECORDS = 10_000
CHECKPOINT_EVERY_MS = 30_000
# Kafka's default record limit is 1 MB; a checkpoint of a thousand players is about 100 kB.
MAX_CHECKPOINT_RECORD_BYTES = 900_000


@dataclass(slots=True)
class _MatchState:
    replica: MatchReplica
    stats: MatchStats
    resume: int  # records below this offset were published by an earlier owner: fold silently
    # The last checkpoint: an earlier owner wrote them up to its committed offset.
    checkpointed: int = -1
    checkpointed_clock: int = 0


@dataclass(slots=True)
class _AllTimeState:
    """One stats partition: the latest per-match standings of the players it holds."""

    resume: int
    offset: int = -1  # last record folded
    per_player: dict[str, dict[str, Standing]] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)


class StatsProcessor(Closing):
    def __init__(
        self,
        settings: KafkaSettings,
        *,
        group: str,
        instance: str,
        stats_topic: str,
        pattern: str,
        flag_threshold: int = DEFAULT_FLAG_THRESHOLD,
        checkpoint_every: int = CHECKPOINT_EVERY_RECORDS,
    ) -> None:
        self.settings = settings
        self.checkpoint_every = checkpoint_every
        self.checkpoint_topics: dict[str, str] = {}  # by match topic, once created
        self.checkpoints = 0
        self.stats_topic = stats_topic
        self.flag_threshold = flag_threshold
        self.partitions = ensure_compacted_topic(settings, stats_topic)
        self.maps = all_maps()
        self.identities = IdentityLookup(settings)  # checks the proven joins of every match it folds
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
                replica = new_replica(match, self.maps)
                replica.identities = self.identities
                self.matches[topic] = _MatchState(
                    replica, MatchStats(match, self.flag_threshold), offset, offset - 1
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
        # One proof lookup per batch. Broker time of match records only: the stats topic's
        # timestamps are the processors' own clocks.
        self.identities.saw(max((r.ts for r in records if r.topic != self.stats_topic), default=0))
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
                    outputs += self._checkpoint_output(match_state)
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
        parsed = parse_key(record.key)
        if parsed is None or parsed.kind != "player":
            return  # our own all-time values, flags and match values come back here too
        try:
            standing = standing_of(loads(record.value))
        except ValueError:
            return
        if standing is None:
            return
        state.per_player.setdefault(parsed.name, {})[parsed.match] = standing
        state.changed.add(parsed.name)

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
                        dumps(flag_value(flag)),
                    )
                )
        home = partition_for(match, self.partitions)
        for session in finished:
            outputs.append(
                Output(
                    self.stats_topic,
                    home,
                    session_key(match, session.first_offset).encode(),
                    dumps(session_value(session)),
                )
            )
        # A round's result is final when its RoundEnded is folded: written once, in the
        # transaction of the record that ended it (again, identically, after a rebuild).
        for result in stats.drain_rounds():
            outputs.append(
                Output(
                    self.stats_topic,
                    home,
                    round_key(match, result.round_no).encode(),
                    dumps(round_value(result)),
                )
            )
        outputs.append(
            Output(
                self.stats_topic, home, match_key(match).encode(), dumps(match_value(state.replica, stats))
            )
        )
        return outputs

    def _checkpoint_output(self, state: _MatchState) -> list[Output]:
        """The match's checkpoint, when enough records or match time passed since the last:
        written in the same transaction as the offsets it reflects, so a reader never sees
        one that the log's committed fold does not back."""
        replica = state.replica
        clock = replica.world.clock
        due = replica.offset - state.checkpointed >= self.checkpoint_every or (
            replica.offset > state.checkpointed and clock - state.checkpointed_clock >= CHECKPOINT_EVERY_MS
        )
        if not due or replica.offset < 0:
            return []
        state.checkpointed, state.checkpointed_clock = replica.offset, clock
        topic = self.checkpoint_topics.get(replica.match)
        if topic is None:
            try:
                topic = ensure_checkpoint_topic(self.settings, replica.match)
            except KafkaUnavailable as exc:  # standings go on; the next checkpoint tries again
                print(f"stats: no checkpoint for {replica.match}: {exc}", file=sys.stderr)
                return []
            self.checkpoint_topics[replica.match] = topic
        value = encode_checkpoint(take_checkpoint(replica, clock))
        if len(value) > MAX_CHECKPOINT_RECORD_BYTES:
            # Over the broker's record limit the whole transaction would fail, every time.
            print(f"stats: checkpoint of {replica.match} skipped: {len(value)} bytes", file=sys.stderr)
            return []
        self.checkpoints += 1
        return [Output(topic, 0, replica.match.encode(), value, timestamp=max(1, clock))]

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
    parser.add_argument(
        "--checkpoint-every",
        type=int,
        default=CHECKPOINT_EVERY_RECORDS,
        metavar="RECORDS",
        help="write a match's checkpoint after this many records (or 30 s of match time; "
        f"default {CHECKPOINT_EVERY_RECORDS})",
    )
    add_kafka_arguments(parser)
    args = parser.parse_args(argv)
    if args.checkpoint_every < 1:
        parser.error("--checkpoint-every must be at least 1")
    return args


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
            checkpoint_every=args.checkpoint_every,
        )
    except KafkaUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stopping = StopFlag()
    started = time.monotonic()
    records = 0
    matches: list[str] = []
    with processor:
        try:
            while not stopping() and (args.seconds is None or time.monotonic() - started < args.seconds):
                records += processor.step(0.5)
            matches = sorted(state.stats.match for state in processor.matches.values())
        except TransactionFailed as exc:
            print(f"error: {exc} (another processor with --instance {args.instance}?)", file=sys.stderr)
            return 1
    print(
        json.dumps(
            {
                "group": args.group,
                "instance": args.instance,
                "records": records,
                "transactions": processor.transactions,
                "aborted": processor.aborted,
                "checkpoints": processor.checkpoints,
                "matches": matches,  # held at the end
            },
            sort_keys=True,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
