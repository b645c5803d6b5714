"""Checkpoint topics: where a match's checkpoints live, and how a reader finds the one it needs.

Each match M has `arena.checkpoint.M`: one partition, written only by the stats processor inside
its transactions, each record's timestamp the broker time of the match record it reflects. So
the latest checkpoint is the last committed record, and the nearest one at or before a moment
is found by bisecting the topic on those timestamps (`_value_at_or_before`). A reader that
finds none, or one it cannot use, folds the match from offset 0 (`start_of`).
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from game.core.checkpoint import Checkpoint, Unusable, decode_checkpoint, restore
from game.core.maps import TileMap
from game.core.replica import MatchReplica, all_maps, new_replica
from game.kafka.identity import IdentityLookup
from game.kafka.reader import MatchReader
from game.kafka.settings import KafkaSettings, KafkaUnavailable, reader_config
from game.kafka.topics import ensure_topic, topic_for

CHECKPOINT_PREFIX = "arena.checkpoint."
# Records read back from a checkpoint topic's end to find its last committed checkpoint:
# transaction markers and aborted writes sit between checkpoints, a few per transaction.
LOOK_BACK = 16


def checkpoint_topic_for(match: str) -> str:
    topic_for(match)  # the same naming rule
    return CHECKPOINT_PREFIX + match


def ensure_checkpoint_topic(settings: KafkaSettings, match: str, timeout: float = 15.0) -> str:
    """Create the match's checkpoint topic if needed (the processor does, before it writes)."""
    # The processor sets each record's timestamp to the match time it reflects (CreateTime),
    # which is what lets a reader find "the checkpoint at or before this moment".
    topic = checkpoint_topic_for(match)
    ensure_topic(settings, topic, 1, {"message.timestamp.type": "CreateTime"}, timeout)
    return topic


@dataclass(frozen=True, slots=True)
class Start:
    """Where a reader of a match starts: a replica (empty, or from a checkpoint) and the next
    offset to read; `note` says which, for a status line or a summary."""

    replica: MatchReplica
    next_offset: int
    note: str
    checkpoint_offset: int = -1  # the match offset the checkpoint reflects; -1 without one
    checkpoint_hash: str = ""  # the world hash written beside it


def start_of(
    settings: KafkaSettings,
    match: str,
    maps: dict[str, TileMap] | None = None,
    *,
    before_ts: int | None = None,
    timeout: float = 5.0,
) -> Start:
    """The latest usable checkpoint of `match` (or the last one at or before broker time
    `before_ts`), else an empty replica at offset 0. Never raises: a checkpoint topic that is
    missing or unreadable means folding from the start. Its replica checks proven joins
    against the identity topics (game/kafka/identity.py)."""
    start = _start_of(settings, match, maps if maps is not None else all_maps(), before_ts, timeout)
    start.replica.identities = IdentityLookup(settings)
    return start


def _start_of(
    settings: KafkaSettings, match: str, maps: dict[str, TileMap], before_ts: int | None, timeout: float
) -> Start:
    found = read_checkpoint(settings, match, before_ts=before_ts, timeout=timeout)
    if found is None:
        return Start(new_replica(match, maps), 0, "no checkpoint: folding from the start")
    value, log_first, log_end = found
    decoded = decode_checkpoint(value)
    replica = restore(decoded, match, maps) if isinstance(decoded, Checkpoint) else decoded
    if isinstance(replica, Unusable):
        note = f"checkpoint not used ({replica.reason}): folding from the start"
        return Start(new_replica(match, maps), 0, note)
    if not log_first - 1 <= replica.offset < log_end:
        # A match deleted and made again keeps its old checkpoint topic: not this log's.
        return Start(new_replica(match, maps), 0, "checkpoint not used (stale): folding from the start")
    note = f"from the checkpoint at offset {replica.offset}"
    return Start(replica, replica.offset + 1, note, replica.offset, replica.hash())


def read_checkpoint(
    settings: KafkaSettings, match: str, *, before_ts: int | None = None, timeout: float = 5.0
) -> tuple[bytes, int, int] | None:
    """The value of the last committed checkpoint (at or before `before_ts`), with the match
    log's first and end offsets as the same client sees them now; None without either."""
    topic = checkpoint_topic_for(match)
    # Short fetch waits: a search jumps around the topic, and a fetch left waiting at its end
    # would hold the next probe up to the wait (100 ms for readers that follow a live log).
    consumer = Consumer(
        reader_config(settings, **{"isolation.level": "read_committed", "fetch.wait.max.ms": 5})
    )
    try:
        partition = TopicPartition(topic, 0)
        low, high = consumer.get_watermark_offsets(partition, timeout=timeout, cached=False)
        if before_ts is None:
            value = _last_value(consumer, topic, low, high, timeout)
        else:
            value = _value_at_or_before(consumer, topic, low, high, before_ts, time.monotonic() + timeout)
        if value is None:
            return None
        log = TopicPartition(topic_for(match), 0)
        log_first, log_end = consumer.get_watermark_offsets(log, timeout=timeout, cached=False)
        return value, log_first, log_end
    except KafkaException:
        return None  # no such topic yet, or not allowed to read it: fold from the start
    finally:
        consumer.close()


def _last_value(consumer: Consumer, topic: str, low: int, high: int, timeout: float) -> bytes | None:
    """The last record's value in [low, high), looking back further while a window holds none."""
    deadline = time.monotonic() + timeout
    back = LOOK_BACK
    while high > low:
        start = max(low, high - back)
        consumer.assign([TopicPartition(topic, 0, start)])
        last = None
        while time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is None:
                # read_committed stops before open transactions, and markers take offsets:
                # the window may end before `high` with nothing more to give.
                if consumer.position([TopicPartition(topic, 0)])[0].offset >= high or last is not None:
                    break
                continue
            if message.error() is not None:
                continue
            offset = message.offset()
            if offset is not None and offset >= high:
                break
            last = message.value()
            if offset is not None and offset + 1 >= high:
                break
        if last is not None or time.monotonic() >= deadline:
            return last
        high, back = start, back * 4
    return None


def _value_at_or_before(
    consumer: Consumer, topic: str, low: int, high: int, ts: int, deadline: float
) -> bytes | None:
    """The last checkpoint stamped at or before `ts`, by a binary search of the topic's offsets.

    Not `offsets_for_times`: the transaction markers between checkpoints take the wall-clock
    time they were written, while a checkpoint is stamped with its match's time, so the time
    index of a match that is not being played right now (an imported or replayed log) answers
    the first marker. Checkpoint stamps themselves only grow, so bisecting on them is exact:
    about log2(checkpoints) single-record reads.
    """
    found: bytes | None = None
    while low < high and time.monotonic() < deadline:
        middle = (low + high) // 2
        message = _first_record(consumer, topic, middle, high, deadline)
        if message is None:  # only markers or aborted writes from the middle on
            high = middle
            continue
        offset = message.offset() or 0
        if message.timestamp()[1] <= ts:
            found, low = message.value(), offset + 1
        else:
            high = middle
    return found


def _first_record(consumer: Consumer, topic: str, start: int, high: int, deadline: float) -> Message | None:
    """The first committed record in [start, high), or None."""
    consumer.assign([TopicPartition(topic, 0, start)])
    while time.monotonic() < deadline:
        message = consumer.poll(0.2)
        if message is None:
            position = consumer.position([TopicPartition(topic, 0)])[0].offset
            if position >= high:
                return None
            continue
        if message.error() is not None:
            continue
        offset = message.offset()
        return message if offset is not None and offset < high else None
    return None


class CheckpointVerifier:
    """`--verify-checkpoint`: folds the match from offset 0 up to the checkpoint on a thread
    and compares the world hashes. `state` is checking, agrees, differs or failed; `mismatch`
    is one loud line when they differ (also printed to stderr)."""

    def __init__(self, settings: KafkaSettings, start: Start) -> None:
        self.settings = settings
        self.start = start
        self.state = "checking"
        self.mismatch = ""
        self._thread = threading.Thread(target=self._run, name="checkpoint-verifier", daemon=True)

    def begin(self) -> CheckpointVerifier:
        self._thread.start()
        return self

    def _run(self, timeout: float = 600.0) -> None:
        start = self.start
        replica = new_replica(start.replica.match, start.replica.world.maps)
        replica.identities = IdentityLookup(self.settings)
        deadline = time.monotonic() + timeout
        try:
            with MatchReader(self.settings.quiet(), replica.match) as reader:
                if reader.end_offset() <= start.checkpoint_offset:
                    raise KafkaUnavailable("the log ends before the checkpoint (a match made again?)")
                while replica.offset < start.checkpoint_offset:
                    if time.monotonic() > deadline:
                        raise KafkaUnavailable(f"the log was not read to the checkpoint in {timeout:.0f} s")
                    records = reader.poll(20_000, 0.5)
                    if records:
                        replica.saw(records[-1].ts)
                    for r in records:
                        if r.offset > start.checkpoint_offset:
                            break
                        replica.ingest(r.offset, r.ts, r.key, r.value)
        except KafkaUnavailable as exc:
            self.state = "failed"
            print(f"checkpoint not verified: {exc}", file=sys.stderr)
            return
        folded = replica.hash()
        if folded == start.checkpoint_hash:
            self.state = "agrees"
            return
        self.mismatch = (
            f"CHECKPOINT MISMATCH in match {replica.match!r} at offset {start.checkpoint_offset}: "
            f"the checkpoint says {start.checkpoint_hash}, the log folds to {folded}"
        )
        self.state = "differs"
        print(self.mismatch, file=sys.stderr)
