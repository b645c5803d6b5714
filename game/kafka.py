"""The Kafka edge: configuration, topic admin, the action producer and the match reader.

Everything that touches confluent-kafka lives here. Nothing in it blocks a frame: produce
and consume are called with zero timeouts from the game loops, and only start-up, seek and
shutdown wait, each with a bound.
"""

from __future__ import annotations

import argparse
import os
import re
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import (
    OFFSET_BEGINNING,
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic

DEFAULT_BOOTSTRAP = "localhost:9092"
TOPIC_PREFIX = "arena.match."
MATCH_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# How many actions a player may have waiting while Kafka is away before new ones are refused.
MAX_BACKLOG = 10_000


class KafkaUnavailable(RuntimeError):
    """Kafka cannot be reached or refused us; the message says what to do."""


@dataclass(frozen=True, slots=True)
class KafkaSettings:
    bootstrap: str = DEFAULT_BOOTSTRAP
    overrides: tuple[tuple[str, str], ...] = ()  # librdkafka `-X key=value`, applied last

    def client_config(self, **settings: object) -> dict[str, object]:
        config: dict[str, object] = {"bootstrap.servers": self.bootstrap, **settings}
        config.update(self.overrides)
        return config

    def unreachable(self) -> str:
        return (
            f"Kafka is not reachable at {self.bootstrap}: start one with `make broker` "
            "(or `docker compose up -d --wait`), or pass --bootstrap HOST:PORT"
        )


def add_kafka_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bootstrap",
        help=f"Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or {DEFAULT_BOOTSTRAP})",
    )
    parser.add_argument(
        "-X",
        dest="kafka_overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a librdkafka setting, as in kcat (repeatable), e.g. -X security.protocol=SASL_SSL",
    )


def settings_from_args(args: argparse.Namespace) -> KafkaSettings:
    """Bootstrap from --bootstrap, else $KAFKA_BOOTSTRAP_SERVERS, else localhost:9092."""
    bootstrap = args.bootstrap or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or DEFAULT_BOOTSTRAP
    return KafkaSettings(bootstrap, parse_overrides(args.kafka_overrides))


def parse_overrides(items: list[str]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"-X wants KEY=VALUE, got {item!r}")
        pairs.append((key.strip(), value))
    return tuple(pairs)


def topic_for(match: str) -> str:
    """The topic of a match: `arena.match.<match>`."""
    if not MATCH_NAME.match(match):
        raise ValueError(f"a match name is 1-64 letters, digits, '-' or '_', not {match!r}")
    return TOPIC_PREFIX + match


def match_of(topic: str) -> str | None:
    return topic[len(TOPIC_PREFIX) :] if topic.startswith(TOPIC_PREFIX) else None


def _admin(settings: KafkaSettings) -> AdminClient:
    return AdminClient(settings.client_config())


def ensure_match_topic(settings: KafkaSettings, match: str, timeout: float = 15.0) -> str:
    """Create the match's topic if needed: one partition (one order), broker append time."""
    topic = topic_for(match)
    admin = _admin(settings)
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException as exc:
        raise KafkaUnavailable(settings.unreachable()) from exc
    if topic in metadata.topics:
        return topic
    # Replicate a match three ways when the cluster can, so losing a broker loses nothing.
    replicas = 3 if len(metadata.brokers) >= 3 else 1
    config = {"message.timestamp.type": "LogAppendTime"}
    if replicas == 3:
        config["min.insync.replicas"] = "2"
    future = admin.create_topics(
        [NewTopic(topic, 1, replicas, config=config)], operation_timeout=timeout
    )[topic]
    try:
        future.result(timeout=timeout)
    except KafkaException as exc:
        if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise KafkaUnavailable(
                f"could not create {topic} on {settings.bootstrap}: {exc.args[0].str()}"
            ) from exc
    return topic


@dataclass(frozen=True, slots=True)
class MatchInfo:
    match: str
    records: int  # end offset of its partition


def list_matches(settings: KafkaSettings, timeout: float = 10.0) -> list[MatchInfo]:
    """The matches on the broker, with how many records each holds."""
    admin = _admin(settings)
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException as exc:
        raise KafkaUnavailable(settings.unreachable()) from exc
    topics = sorted(t for t in metadata.topics if t.startswith(TOPIC_PREFIX))
    if not topics:
        return []
    consumer = Consumer(
        settings.client_config(**{"group.id": _private_group(), "enable.auto.commit": False})
    )
    try:
        infos = []
        for topic in topics:
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=timeout)
            infos.append(MatchInfo(match_of(topic) or topic, high))
        return infos
    finally:
        consumer.close()


def _private_group() -> str:
    # Readers assign partitions themselves and never commit; a unique group id keeps them
    # from ever sharing state or triggering rebalances with one another.
    return f"arena-reader-{uuid.uuid4().hex[:12]}"


DeliveryCallback = Callable[[KafkaError | None, Message], None]


class ActionProducer:
    """An idempotent producer: each action reaches the log once, in order, or says why not."""

    def __init__(
        self, settings: KafkaSettings, on_delivery: DeliveryCallback | None = None
    ) -> None:
        self._producer = Producer(
            settings.client_config(
                **{
                    "enable.idempotence": True,
                    "acks": "all",
                    "linger.ms": 2,  # leave within a frame, still batching a burst
                    "socket.nagle.disable": True,
                    "queue.buffering.max.messages": 200_000,
                    "error_cb": self._on_error,
                }
            )
        )
        self._on_delivery = on_delivery
        self._backlog: deque[tuple[str, bytes, bytes]] = deque()
        self.delivered = 0
        self.failed = 0
        self.last_error = ""

    def _on_error(self, error: KafkaError) -> None:
        self.last_error = error.str()

    def _delivered(self, error: KafkaError | None, message: Message) -> None:
        if error is None:
            self.delivered += 1
        else:
            self.failed += 1
            self.last_error = error.str()
        if self._on_delivery is not None:
            self._on_delivery(error, message)

    def send(self, topic: str, key: bytes, value: bytes) -> bool:
        """Queue one record without blocking; False when the local backlog is full."""
        if self._backlog:
            self._drain_backlog()
        if self._backlog:
            if len(self._backlog) >= MAX_BACKLOG:
                return False
            self._backlog.append((topic, key, value))
            return True
        try:
            self._producer.produce(topic, value, key, on_delivery=self._delivered)
        except BufferError:
            self._producer.poll(0)
            self._backlog.append((topic, key, value))
        return True

    def _drain_backlog(self) -> None:
        while self._backlog:
            topic, key, value = self._backlog[0]
            try:
                self._producer.produce(topic, value, key, on_delivery=self._delivered)
            except BufferError:
                return
            self._backlog.popleft()

    @property
    def pending(self) -> int:
        """Records not yet acknowledged by the broker."""
        return len(self._producer) + len(self._backlog)

    def poll(self) -> None:
        """Serve delivery reports and errors; call once a frame."""
        if self._backlog:
            self._drain_backlog()
        self._producer.poll(0)

    def flush(self, timeout: float = 5.0) -> int:
        """Wait up to `timeout` seconds for every record to be acknowledged; returns those left."""
        self._drain_backlog()
        return self._producer.flush(timeout)


class MatchReader:
    """Reads one match's partition from a chosen offset; never commits, never joins a group."""

    def __init__(self, settings: KafkaSettings, match: str, start: int | str = "beginning") -> None:
        self.topic = topic_for(match)
        self.last_error = ""
        self._consumer = Consumer(
            settings.client_config(
                **{
                    "group.id": _private_group(),
                    "enable.auto.commit": False,
                    "enable.auto.offset.store": False,
                    "auto.offset.reset": "earliest",
                    "socket.nagle.disable": True,
                    "fetch.wait.max.ms": 100,
                    "error_cb": self._on_error,
                }
            )
        )
        self._consumer.assign([TopicPartition(self.topic, 0, _offset(start))])

    def _on_error(self, error: KafkaError) -> None:
        self.last_error = error.str()

    def poll(self, max_records: int = 2_000, timeout: float = 0.0) -> list[Message]:
        """The records that have arrived (up to max_records), waiting at most `timeout` s."""
        messages = self._consumer.consume(max_records, timeout)
        for message in messages:
            if message.error() is not None:
                return self._without_errors(messages)
        return messages

    def _without_errors(self, messages: list[Message]) -> list[Message]:
        good = []
        for message in messages:
            error = message.error()
            if error is None:
                good.append(message)
            elif error.code() != KafkaError._PARTITION_EOF:
                self.last_error = error.str()
        return good

    def seek(self, offset: int | str) -> None:
        self._consumer.assign([TopicPartition(self.topic, 0, _offset(offset))])

    def end_offset(self, timeout: float = 5.0) -> int:
        """The offset the next record will get (the log's high watermark)."""
        _, high = self._consumer.get_watermark_offsets(
            TopicPartition(self.topic, 0), timeout=timeout, cached=False
        )
        return high

    def offset_for_time(self, ms: int, timeout: float = 5.0) -> int:
        """The first offset whose timestamp is at or after `ms` (the end if none is)."""
        found = self._consumer.offsets_for_times(
            [TopicPartition(self.topic, 0, ms)], timeout=timeout
        )[0]
        return found.offset if found.offset >= 0 else self.end_offset(timeout)

    def close(self) -> None:
        self._consumer.close()


def _offset(start: int | str) -> int:
    if start == "beginning":
        return OFFSET_BEGINNING
    if start == "end":
        return OFFSET_END
    if isinstance(start, int) and start >= 0:
        return start
    raise ValueError(f"start must be 'beginning', 'end' or an offset, not {start!r}")
