"""The match reader: assigns a match's partition, seeks, and polls without blocking a frame."""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable
from typing import Any, cast

from confluent_kafka import (
    OFFSET_BEGINNING,
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient

from game.core.records import Record
from game.kafka.closing import Closing
from game.kafka.link import LinkStatus, TopicMissing, link_status
from game.kafka.settings import KafkaSettings, KafkaUnavailable, private_group, reader_config
from game.kafka.topics import topic_for

# librdkafka statistics, when a reader is asked for them (the fan-out benchmark counts fetches).
STATS_INTERVAL_MS = 1_000
# How long a reader waits for the cluster's racks before reading from the leader alone.
RACK_LOOKUP_TIMEOUT_S = 1.0
RACK_RETRY_S = 30.0  # a cluster that did not say its racks is asked again after this


class MatchReader(Closing):
    """Reads one match's partition from a chosen offset; never commits, never joins a group.

    On a cluster whose brokers have racks (KIP-392), the reader names one of those racks as
    its own (`client.rack`, see `rack_for`), so the readers of a match spread over its
    replicas instead of all fetching from the leader. `on_stats` receives librdkafka's
    statistics (JSON) every STATS_INTERVAL_MS, served by `poll`.

    A context manager: `with MatchReader(settings, match) as reader:` closes it on the way out.
    """

    def __init__(
        self,
        settings: KafkaSettings,
        match: str,
        start: int | str = "beginning",
        *,
        on_stats: Callable[[str], None] | None = None,
    ) -> None:
        self.topic = topic_for(match)
        group = private_group()
        extra: dict[str, Any] = {"group.id": group, "error_cb": ignore_error}
        rack = rack_for(settings, group, self.topic)
        if rack is not None:
            extra["client.rack"] = rack
        if on_stats is not None:
            extra.update({"stats_cb": on_stats, "statistics.interval.ms": STATS_INTERVAL_MS})
        self.rack = rack
        self._consumer = Consumer(reader_config(settings, **extra))
        self._consumer.assign([TopicPartition(self.topic, 0, _offset(start))])

    def poll(self, max_records: int = 2_000, timeout: float = 0.0) -> list[Record]:
        """The records that have arrived (up to max_records), waiting at most `timeout` s.

        Returns as soon as anything is there: `consume(n, timeout)` alone would wait out
        the whole timeout unless n records arrive, which is latency a reader never wants.
        Errors (the end of the partition among them) are left out: `end_offset` says when
        the log cannot be read.
        """
        messages = self._consumer.consume(max_records, 0)
        if not messages and timeout > 0:
            first = self._consumer.poll(timeout)
            if first is None:
                return []
            messages = [first, *self._consumer.consume(max_records - 1, 0)] if max_records > 1 else [first]
        topic, offset_of = self.topic, _offset_of
        # One partition, assigned by us: its topic and partition need not be asked of each record.
        return [
            Record(topic, 0, offset_of(m), m.timestamp()[1], m.key(), m.value())
            for m in messages
            if m.error() is None
        ]

    def seek(self, offset: int | str) -> None:
        self._consumer.assign([TopicPartition(self.topic, 0, _offset(offset))])

    def read_to_end(self, timeout: float = 60.0) -> list[Record]:
        """Every record from here to the end of the log as it is now.

        Stops at the last offset rather than counting records, so a log whose start
        retention removed still ends.
        """
        end = self.end_offset()
        records: list[Record] = []
        deadline = time.monotonic() + timeout
        while end and (not records or records[-1].offset + 1 < end):
            if time.monotonic() >= deadline:
                raise KafkaUnavailable(f"could not read {self.topic} to offset {end} in {timeout:.0f} s")
            records += self.poll(5_000, 1.0)
        return records

    def end_offset(self, timeout: float = 5.0) -> int:
        """The offset the next record will get (the log's high watermark).

        Retried within `timeout`: right after a broker restart or a leader change the
        client may not know the partition for a moment. Raises TopicMissing when the
        topic does not exist, KafkaUnavailable for any other failure.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                _, high = self._consumer.get_watermark_offsets(
                    TopicPartition(self.topic, 0), timeout=max(0.1, deadline - time.monotonic()), cached=False
                )
                return high
            except KafkaException as exc:
                if time.monotonic() >= deadline:
                    problem = f"cannot read the end of {self.topic}: {exc.args[0].str()}"
                    if link_status(exc) is LinkStatus.TOPIC_MISSING:
                        raise TopicMissing(problem) from exc
                    raise KafkaUnavailable(problem) from exc
                time.sleep(0.1)

    def close(self) -> None:
        self._consumer.close()


# Racks by (bootstrap, overrides): node id -> rack, with when to ask again (never, once a
# cluster has answered).
_racks: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[dict[int, str], float]] = {}
_racks_lock = threading.Lock()


def rack_for(settings: KafkaSettings, group: str, topic: str | None = None) -> str | None:
    """The rack this reader says it is in (`client.rack`), or None to read from the leader.

    Fetching from followers (KIP-392) needs brokers with `broker.rack` and the
    RackAwareReplicaSelector (the local and compose clusters have both), and a client.rack per
    reader: the broker then sends a reader to the replica in its rack. The machines here have
    no real racks, so each reader picks a rack from its private group id (random per reader),
    among the racks of the followers of `topic`'s partition when its leader is known
    (`pick_rack`): the leader then serves the match's producers and its followers, and its
    followers serve the readers, spread evenly. A `-X client.rack=...` of the user wins. The
    rack is chosen once: after a leader change, the readers in the new leader's rack read
    from it until they are made again.

    Only a bootstrap list of several brokers is asked (the racks once per process, kept; the
    leader once per reader): a single broker has no followers to read from, and its readers pay
    nothing. A cluster that does not answer within RACK_LOOKUP_TIMEOUT_S, or has no racks,
    gives None: the leader.
    """
    if any(key == "client.rack" for key, _ in settings.overrides) or "," not in settings.bootstrap:
        return None
    racks = cluster_racks(settings)
    if not racks:
        return None
    leader = partition_leader(settings, topic) if topic is not None else None
    return pick_rack(group, racks, leader)


def pick_rack(group: str, racks: dict[int, str], leader: int | None) -> str | None:
    """A reader's rack: one of the racks without the partition's leader (all racks when the
    leader is unknown or shares every rack), chosen by a hash of the reader's group id."""
    every = sorted(set(racks.values()))
    leaders_rack = racks.get(leader) if leader is not None else None
    followers = [rack for rack in every if rack != leaders_rack] or every
    if not followers:
        return None
    return followers[zlib.crc32(group.encode()) % len(followers)]


def cluster_racks(settings: KafkaSettings) -> dict[int, str]:
    """The cluster's brokers' racks by node id (empty: none, or no answer)."""
    key = (settings.bootstrap, settings.overrides)
    with _racks_lock:
        known = _racks.get(key)
        if known is not None and time.monotonic() < known[1]:
            return known[0]
        try:
            admin = AdminClient(settings.quiet().client_config())
            cluster = admin.describe_cluster(request_timeout=RACK_LOOKUP_TIMEOUT_S).result(
                timeout=RACK_LOOKUP_TIMEOUT_S + 0.5
            )
        except (KafkaException, TimeoutError, ValueError):
            # Kept a while too: readers made one after another against a cluster that does
            # not answer would each wait out the lookup.
            _racks[key] = ({}, time.monotonic() + RACK_RETRY_S)
            return {}
        racks = {node.id: node.rack for node in cluster.nodes if node.rack}
        _racks[key] = (racks, float("inf"))
        return racks


def partition_leader(
    settings: KafkaSettings, topic: str, timeout: float = RACK_LOOKUP_TIMEOUT_S
) -> int | None:
    """The node id leading the match's partition now, or None (no answer, no topic yet)."""
    try:
        metadata = AdminClient(settings.quiet().client_config()).list_topics(topic, timeout=timeout)
    except KafkaException:
        return None
    found = metadata.topics.get(topic)
    if found is None or found.error is not None or 0 not in found.partitions:
        return None
    leader = found.partitions[0].leader
    return leader if leader >= 0 else None


def ignore_error(error: KafkaError) -> None:
    """An error callback for readers: what fails reaches the caller where it matters (a read
    of the log's end raises, a bad record is left out); registered so that librdkafka does not
    also log every error."""
    del error


# The stubs type a message's topic, partition and offset Optional, for error events; a
# consumed record always has them.
_topic_of = cast(Callable[[Message], str], Message.topic)
_partition_of = cast(Callable[[Message], int], Message.partition)
_offset_of = cast(Callable[[Message], int], Message.offset)


def _offset(start: int | str) -> int:
    if start == "beginning":
        return OFFSET_BEGINNING
    if start == "end":
        return OFFSET_END
    if isinstance(start, int) and start >= 0:
        return start
    raise ValueError(f"start must be 'beginning', 'end' or an offset, not {start!r}")


def record_of(message: Message) -> Record:
    """A consumed message as the one record type every reader keeps (an error-free message)."""
    return Record(
        _topic_of(message),
        _partition_of(message),
        _offset_of(message),
        message.timestamp()[1],
        message.key(),
        message.value(),
    )
