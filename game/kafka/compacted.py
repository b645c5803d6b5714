"""Compacted topics: read one to its end, or follow its latest values on a background thread."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaException,
    TopicPartition,
)

from game.core.records import Record
from game.kafka.closing import Closing
from game.kafka.link import LinkStatus, TopicMissing, link_status
from game.kafka.reader import ignore_error, record_of
from game.kafka.settings import KafkaSettings, KafkaUnavailable, reader_config


class CompactedTopicReader(Closing):
    """Reads every partition of a (compacted) topic from the start, read_committed, no group.

    A context manager, as MatchReader is. Raises TopicMissing when there is no such topic,
    KafkaUnavailable when the cluster cannot be reached.
    """

    def __init__(self, settings: KafkaSettings, topic: str, timeout: float = 15.0) -> None:
        self.topic = topic
        self._consumer = Consumer(
            reader_config(settings, **{"isolation.level": "read_committed", "error_cb": ignore_error})
        )
        try:
            metadata = self._consumer.list_topics(topic, timeout=timeout)
        except KafkaException as exc:
            self._consumer.close()  # callers retry every few seconds: leak nothing
            raise KafkaUnavailable(settings.unreachable()) from exc
        info = metadata.topics.get(topic)
        if info is None or info.error is not None:
            self._consumer.close()
            raise TopicMissing(f"topic {topic} does not exist on {settings.bootstrap}")
        self.partitions = sorted(info.partitions)
        self._consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in self.partitions])

    def end_offsets(self, timeout: float = 5.0) -> dict[int, int]:
        """Per partition, the high watermark now (a read_committed reader also waits there
        for any transaction still open before it)."""
        ends = {}
        for p in self.partitions:
            _, high = self._consumer.get_watermark_offsets(
                TopicPartition(self.topic, p), timeout=timeout, cached=False
            )
            ends[p] = high
        return ends

    def positions(self) -> dict[int, int]:
        found = self._consumer.position([TopicPartition(self.topic, p) for p in self.partitions])
        return {tp.partition: tp.offset for tp in found}

    def poll(self, max_records: int = 5_000, timeout: float = 0.5) -> list[Record]:
        """The records that arrived within `timeout` s; errors are left out (`end_offsets`
        raises when the topic cannot be read)."""
        return [record_of(m) for m in self._consumer.consume(max_records, timeout) if m.error() is None]

    def read_to_end(self, timeout_s: float = 30.0) -> list[Record]:
        """Every record up to the ends as of now (a transaction still open is waited for)."""
        ends = self.end_offsets()
        records: list[Record] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            positions = self.positions()
            if all(ends[p] == 0 or positions.get(p, -1) >= ends[p] for p in self.partitions):
                return records
            records.extend(self.poll(5_000, 0.2))
        raise TimeoutError(f"could not read {self.topic} to its end in {timeout_s}s")

    def close(self) -> None:
        self._consumer.close()


# --- background views for windows: the stats topic's latest values, a match log's range ---


class CompactedTopicFeed:
    """The latest value per key of a compacted topic, kept up to date by a daemon thread.

    A window's frame loop reads `values` without locks and never waits on the network: the
    thread replaces the dict (never mutates a published one) at most every `publish_every`
    seconds, bumping `version`. `status` is a LinkStatus: CONNECTING, OK (following the
    topic), TOPIC_MISSING (no such topic yet) or UNREACHABLE; the last two are retried every
    `retry_s`. `caught_up` turns True once the ends as of the first connection were read.
    Values are decoded by `decode` (JSON by default); a tombstone or an undecodable value
    removes its key.
    """

    def __init__(
        self,
        settings: KafkaSettings,
        topic: str,
        *,
        decode: Callable[[bytes], Any] = json.loads,
        retry_s: float = 5.0,
        publish_every: float = 0.25,
        timeout: float = 3.0,
    ) -> None:
        # Quiet: the feed reports its own status, librdkafka's logs would only repeat it.
        self.settings = settings.quiet()
        self.topic = topic
        self.values: dict[str, Any] = {}
        self.version = 0
        self.status = LinkStatus.CONNECTING
        self.caught_up = False
        self._decode = decode
        self._retry_s = retry_s
        self._publish_every = publish_every
        self._timeout = timeout
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"feed-{topic}", daemon=True)

    def start(self) -> CompactedTopicFeed:
        self._thread.start()
        return self

    def stop(self, timeout: float = 8.0) -> None:
        # Longer than the thread's longest blocking call, so it has ended when we return.
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def settled(self) -> bool:
        """Read to the end once, or known to have nothing to read (topic missing, unreachable)."""
        return self.caught_up or self.status in (LinkStatus.TOPIC_MISSING, LinkStatus.UNREACHABLE)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with CompactedTopicReader(self.settings, self.topic, timeout=self._timeout) as reader:
                    self._follow(reader)
            except Exception as exc:  # a bad setting too: report it, never kill the window
                self.status = link_status(exc)
                self._stop.wait(self._retry_s)

    def _follow(self, reader: CompactedTopicReader) -> None:
        latest = dict(self.values)  # a reconnection reads from the start again: same or newer values
        ends = reader.end_offsets(timeout=self._timeout)
        self.status = LinkStatus.OK
        dirty, published = False, 0.0
        while not self._stop.is_set():
            for record in reader.poll(2_000, 0.2):
                if record.key is None:
                    continue
                key = record.key.decode(errors="replace")
                value = None
                if record.value is not None:
                    try:
                        value = self._decode(record.value)
                    except (ValueError, TypeError):
                        value = None
                if value is None:
                    latest.pop(key, None)
                else:
                    latest[key] = value
                dirty = True
            arrived = False
            if not self.caught_up:
                positions = reader.positions()
                arrived = all(ends[p] == 0 or positions.get(p, -1) >= ends[p] for p in reader.partitions)
            now = time.monotonic()
            if (dirty and now - published >= self._publish_every) or arrived:
                self.values = dict(latest)
                self.version += 1
                dirty, published = False, now
            if arrived:
                self.caught_up = True
