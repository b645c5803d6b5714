"""The Kafka edge: configuration, topic admin, the action producer and the match reader.

Everything that touches confluent-kafka lives here. Nothing in it blocks a frame: produce
and consume are called with zero timeouts from the game loops, and only start-up, seek and
shutdown wait, each with a bound.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

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
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from game.match import RawRecord

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


# Security settings from the environment, for deployments that keep secrets out of argv.
SECURITY_ENVIRONMENT = {
    "KAFKA_SECURITY_PROTOCOL": "security.protocol",
    "KAFKA_SASL_MECHANISM": "sasl.mechanism",
    "KAFKA_SASL_USERNAME": "sasl.username",
    "KAFKA_SASL_PASSWORD": "sasl.password",
    "KAFKA_SSL_CA_LOCATION": "ssl.ca.location",
}


def add_kafka_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bootstrap",
        help=f"Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or {DEFAULT_BOOTSTRAP})",
    )
    parser.add_argument(
        "--kafka-config",
        metavar="FILE",
        type=_readable_config,
        default=os.environ.get("KAFKA_CONFIG_FILE"),
        help="librdkafka settings, one key=value a line (e.g. security.protocol, sasl.*); "
        "default $KAFKA_CONFIG_FILE",
    )
    parser.add_argument(
        "-X",
        dest="kafka_overrides",
        action="append",
        type=_override,
        default=[],
        metavar="KEY=VALUE",
        help="a librdkafka setting, as in kcat (repeatable), e.g. -X security.protocol=SASL_SSL",
    )


def settings_from_args(args: argparse.Namespace) -> KafkaSettings:
    """Bootstrap from --bootstrap, else $KAFKA_BOOTSTRAP_SERVERS, else localhost:9092.

    Other settings, later ones winning: the --kafka-config file, then the security
    variables of SECURITY_ENVIRONMENT, then each -X key=value.
    """
    bootstrap = args.bootstrap or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or DEFAULT_BOOTSTRAP
    pairs: list[tuple[str, str]] = []
    config_file = getattr(args, "kafka_config", None)
    if config_file:
        pairs += read_config_file(config_file)
    pairs += [(key, os.environ[name]) for name, key in SECURITY_ENVIRONMENT.items() if os.environ.get(name)]
    pairs += parse_overrides(args.kafka_overrides)
    if any(key == "bootstrap.servers" for key, _ in pairs) and not args.bootstrap:
        bootstrap = [value for key, value in pairs if key == "bootstrap.servers"][-1]
    return KafkaSettings(bootstrap, tuple((k, v) for k, v in pairs if k != "bootstrap.servers"))


def _override(text: str) -> str:
    """argparse check of one -X, so a typo is one usage line, not a traceback."""
    try:
        parse_overrides([text])
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _readable_config(path: str) -> str:
    try:
        read_config_file(path)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return path


def read_config_file(path: str) -> list[tuple[str, str]]:
    """A properties file of librdkafka settings: key=value lines, '#' comments."""
    try:
        lines = open(path, encoding="utf-8").read().splitlines()  # noqa: SIM115
    except OSError as exc:
        raise ValueError(f"cannot read the Kafka config file {path}: {exc.strerror}") from exc
    pairs = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{path}:{number}: expected key=value, got {line!r}")
        pairs.append((key.strip(), value.strip()))
    return pairs


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


def _cluster_metadata(settings: KafkaSettings, timeout: float) -> tuple[AdminClient, Any]:
    """An admin client and the cluster's metadata, or one clear reason why not."""
    errors: list[KafkaError] = []
    admin = AdminClient(settings.client_config(error_cb=errors.append))
    try:
        return admin, admin.list_topics(timeout=timeout)
    except KafkaException as exc:
        admin.poll(0)  # error callbacks are served only from poll()
        denied = [e for e in errors if e.code() in _AUTH_ERRORS or "SASL" in e.str() or "SSL" in e.str()]
        if denied:
            raise KafkaUnavailable(
                f"Kafka at {settings.bootstrap} refused us: {denied[-1].str()}. Check the user and "
                "password (--kafka-config, $KAFKA_SASL_USERNAME and $KAFKA_SASL_PASSWORD, or -X sasl.*)"
            ) from exc
        raise KafkaUnavailable(settings.unreachable()) from exc


# KafkaError's _NAMES are librdkafka's local error codes: public, despite the underscore.
_AUTH_ERRORS = {KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED, KafkaError._SSL}  # noqa: SLF001


def ensure_match_topic(settings: KafkaSettings, match: str, timeout: float = 15.0) -> str:
    """Create the match's topic if needed: one partition (one order), broker append time."""
    topic = topic_for(match)
    admin, metadata = _cluster_metadata(settings, timeout)
    if topic in metadata.topics:
        _check_match_clock(admin, topic, timeout)
        return topic
    _create_topic(
        admin, settings, topic, 1, len(metadata.brokers), {"message.timestamp.type": "LogAppendTime"}, timeout
    )
    return topic


def _create_topic(
    admin: AdminClient,
    settings: KafkaSettings,
    topic: str,
    partitions: int,
    brokers: int,
    config: dict[str, str],
    timeout: float,
) -> None:
    """Create a topic (one created meanwhile by another client is fine).

    Replicated three ways when the cluster can, so losing a broker loses nothing (and as
    many ways as there are live brokers while one is down); every copy but one must be in
    sync before a write counts.
    """
    replicas = min(3, brokers)
    config = {**config, "min.insync.replicas": str(max(1, replicas - 1))}
    future = admin.create_topics(
        [NewTopic(topic, partitions, replicas, config=config)], operation_timeout=timeout
    )[topic]
    try:
        future.result(timeout=timeout)
    except KafkaException as exc:
        if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise KafkaUnavailable(
                f"could not create {topic} on {settings.bootstrap}: {exc.args[0].str()}"
            ) from exc


def _check_match_clock(admin: AdminClient, topic: str, timeout: float) -> None:
    """Refuse a match topic whose timestamps the clients set: the match clock must be the
    broker's append time, or a client could move its own timers."""
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    try:
        configs = admin.describe_configs([resource], request_timeout=timeout)[resource].result(timeout)
    except KafkaException:
        return  # not allowed to look (a restricted principal): the broker's own ACLs decide
    entry = configs.get("message.timestamp.type")
    if entry is not None and entry.value != "LogAppendTime":
        raise KafkaUnavailable(
            f"{topic} uses {entry.value} timestamps, but a match's clock must be the broker's: "
            f"set message.timestamp.type=LogAppendTime on it (kafka-configs --alter), or use another match"
        )


@dataclass(frozen=True, slots=True)
class MatchInfo:
    match: str
    records: int  # end offset of its partition
    last_ms: int = 0  # broker time of its newest record (0: empty)
    players: int = 0  # players (record keys) seen in its newest RECENT_RECORDS records


RECENT_RECORDS = 500


def list_matches(settings: KafkaSettings, timeout: float = 10.0, *, recent: bool = False) -> list[MatchInfo]:
    """The matches on the broker, with how many records each holds.

    With `recent`, also when each last saw a record and how many players wrote its newest
    RECENT_RECORDS records (the record key is the player id, so nothing is decoded).
    """
    _, metadata = _cluster_metadata(settings, timeout)
    topics = sorted(t for t in metadata.topics if t.startswith(TOPIC_PREFIX))
    if not topics:
        return []
    consumer = Consumer(
        settings.client_config(
            **{"group.id": _private_group(), "enable.auto.commit": False, "auto.offset.reset": "earliest"}
        )
    )
    try:
        infos = []
        for topic in topics:
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=timeout)
            info = MatchInfo(match_of(topic) or topic, high)
            if recent and high > 0:
                info = _recent(consumer, topic, info, min(timeout, 2.0))
            infos.append(info)
        return infos
    finally:
        consumer.close()


def _recent(consumer: Consumer, topic: str, info: MatchInfo, timeout: float) -> MatchInfo:
    consumer.assign([TopicPartition(topic, 0, max(0, info.records - RECENT_RECORDS))])
    keys: set[bytes | None] = set()
    last_ms = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        first = consumer.poll(0.2)  # returns as soon as a record is there (see MatchReader.poll)
        if first is None:
            continue
        messages = [m for m in [first, *consumer.consume(RECENT_RECORDS, 0)] if m.error() is None]
        for message in messages:
            keys.add(message.key())
            last_ms = message.timestamp()[1]
        if messages and messages[-1].offset() >= info.records - 1:
            break
    return replace(info, last_ms=last_ms, players=len(keys))


def _private_group() -> str:
    # Readers assign partitions themselves and never commit; a unique group id keeps them
    # from ever sharing state or triggering rebalances with one another.
    return f"arena-reader-{uuid.uuid4().hex[:12]}"


DeliveryCallback = Callable[[KafkaError | None, Message], None]


class ActionProducer:
    """An idempotent producer: each action reaches the log once, in order, or says why not.

    Policy for outages: an action is never given up while the client runs
    (`message.timeout.ms=0`), so a broker that comes back after any length of outage gets
    every queued action, in order, exactly once. The queue is bounded: past
    `queue.buffering.max.messages` records and then MAX_BACKLOG more, `send` refuses new
    actions and says so. If librdkafka reports a fatal error (the idempotent producer can
    after a broker loses data) or a failed delivery, the producer is rebuilt and every
    record not yet acknowledged is sent again in order; one that had in fact been written
    shows up twice in the log, and every reader rejects the second copy as a duplicate by
    its sequence number, so the game still applies it once.
    """

    def __init__(self, settings: KafkaSettings, on_delivery: DeliveryCallback | None = None) -> None:
        self._config = settings.client_config(
            **{
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 2,  # leave within a frame, still batching a burst
                "socket.nagle.disable": True,
                "message.timeout.ms": 0,  # never drop a player's action while the client runs
                "queue.buffering.max.messages": 200_000,
                "error_cb": self._on_error,
            }
        )
        self._producer = Producer(self._config)
        self._generation = 0
        self._report = partial(self._delivered, 0)
        self._on_delivery = on_delivery
        self._backlog: deque[tuple[str, bytes, bytes]] = deque()
        self._in_flight: deque[tuple[str, bytes, bytes]] = deque()
        self._rebuild = False
        self.delivered = 0
        self.failed = 0
        self.rebuilds = 0
        self.last_error = ""
        self.last_error_at = 0.0

    def _on_error(self, error: KafkaError) -> None:
        self.last_error = error.str()
        self.last_error_at = time.monotonic()
        if error.fatal():
            self._rebuild = True

    def _delivered(self, generation: int, error: KafkaError | None, message: Message) -> None:
        if generation != self._generation:
            return  # a report from a producer that was replaced: its records were re-sent
        if error is None:
            self.delivered += 1
            # Reports come in produce order for one partition: the oldest is acknowledged.
            if self._in_flight and self._in_flight[0][2] == message.value():
                self._in_flight.popleft()
            else:
                self._forget(message)
        else:
            self.failed += 1
            self.last_error = error.str()
            self.last_error_at = time.monotonic()
            if error.fatal() or error.retriable() or error.code() == KafkaError._MSG_TIMED_OUT:  # noqa: SLF001
                self._rebuild = True  # a new producer can deliver it: send it again
            else:
                self._forget(message)  # refused for good (e.g. not authorized): report, drop
        if self._on_delivery is not None:
            self._on_delivery(error, message)

    def _forget(self, message: Message) -> None:
        for index, (topic, key, value) in enumerate(self._in_flight):
            if value == message.value() and key == message.key() and topic == message.topic():
                del self._in_flight[index]
                return

    def send(self, topic: str, key: bytes, value: bytes) -> bool:
        """Queue one record without blocking; False when the local queue is full."""
        if self._backlog:
            self._drain_backlog()
        if self._backlog:
            if len(self._backlog) >= MAX_BACKLOG:
                return False
            self._backlog.append((topic, key, value))
            return True
        try:
            self._producer.produce(topic, value, key, on_delivery=self._report)
            self._in_flight.append((topic, key, value))
        except BufferError:
            self._producer.poll(0)
            self._backlog.append((topic, key, value))
        return True

    def _drain_backlog(self) -> None:
        while self._backlog:
            record = self._backlog[0]
            try:
                self._producer.produce(record[0], record[2], record[1], on_delivery=self._report)
            except BufferError:
                return
            self._in_flight.append(self._backlog.popleft())

    def rebuild(self) -> None:
        """Replace the producer now, as a fatal error does (tests and operators use this)."""
        self._rebuild_producer()

    def _rebuild_producer(self) -> None:
        """A new producer (a new idempotence session), re-sending what was not acknowledged."""
        old = self._producer
        old.poll(0)  # first take the acknowledgements that have arrived: fewer to re-send
        self._generation += 1  # from here on, reports from the old producer are ignored
        self._report = partial(self._delivered, self._generation)
        unacknowledged = list(self._in_flight) + list(self._backlog)
        self._in_flight.clear()
        self._backlog = deque(unacknowledged)
        old.purge(in_queue=True, in_flight=True, blocking=False)
        old.poll(0)
        self._rebuild = False
        self.rebuilds += 1
        self._producer = Producer(self._config)
        self._drain_backlog()

    @property
    def pending(self) -> int:
        """Records not yet acknowledged by the broker."""
        return len(self._in_flight) + len(self._backlog)

    @property
    def unreachable(self) -> bool:
        """True while records wait and the last error is recent: the broker is away."""
        return self.pending > 0 and time.monotonic() - self.last_error_at < 5.0

    def poll(self) -> None:
        """Serve delivery reports and errors; call once a frame."""
        if self._rebuild:
            self._rebuild_producer()
        if self._backlog:
            self._drain_backlog()
        self._producer.poll(0)

    def flush(self, timeout: float = 5.0) -> int:
        """Wait up to `timeout` seconds for every record to be acknowledged; returns those left."""
        deadline = time.monotonic() + timeout
        while True:
            if self._rebuild:
                self._rebuild_producer()
            self._drain_backlog()
            left = self._producer.flush(max(0.0, min(0.5, deadline - time.monotonic())))
            if (left == 0 and not self._backlog and not self._rebuild) or time.monotonic() >= deadline:
                return left + len(self._backlog)


def raw_records(messages: list[Message]) -> list[RawRecord]:
    return [(m.offset(), m.timestamp()[1], m.key(), m.value()) for m in messages]


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
        """The records that have arrived (up to max_records), waiting at most `timeout` s.

        Returns as soon as anything is there: `consume(n, timeout)` alone would wait out
        the whole timeout unless n records arrive, which is latency a reader never wants.
        """
        messages = self._consumer.consume(max_records, 0)
        if not messages and timeout > 0:
            first = self._consumer.poll(timeout)
            if first is None:
                return []
            messages = [first, *self._consumer.consume(max_records - 1, 0)] if max_records > 1 else [first]
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
            elif error.code() != KafkaError._PARTITION_EOF:  # noqa: SLF001 (a public librdkafka code)
                self.last_error = error.str()
        return good

    def seek(self, offset: int | str) -> None:
        self._consumer.assign([TopicPartition(self.topic, 0, _offset(offset))])

    def read_to_end(self, timeout: float = 60.0) -> list[RawRecord]:
        """Every record from here to the end of the log as it is now.

        Stops at the last offset rather than counting records, so a log whose start
        retention removed still ends.
        """
        end = self.end_offset()
        records: list[RawRecord] = []
        deadline = time.monotonic() + timeout
        while end and (not records or records[-1][0] + 1 < end):
            if time.monotonic() >= deadline:
                raise KafkaUnavailable(f"could not read {self.topic} to offset {end} in {timeout:.0f} s")
            records += raw_records(self.poll(5_000, 1.0))
        return records

    def end_offset(self, timeout: float = 5.0) -> int:
        """The offset the next record will get (the log's high watermark).

        Retried within `timeout`: right after a broker restart or a leader change the
        client may not know the partition for a moment.
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
                    raise KafkaUnavailable(
                        f"cannot read the end of {self.topic}: {exc.args[0].str()}"
                    ) from exc
                time.sleep(0.1)

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


# --- exactly-once read-process-write for the stats processor ---

STATS_TOPIC = "arena.stats"
MATCH_TOPIC_PATTERN = r"^arena\.match\..*"
STATS_PARTITIONS = 3


class TransactionAborted(RuntimeError):
    """A transaction was rolled back (e.g. a rebalance fenced it); rewind to the committed offsets."""


class TransactionFailed(RuntimeError):
    """A fatal producer error, e.g. fenced by a newer processor with the same instance id."""


@dataclass(frozen=True, slots=True)
class Record:
    """One consumed record, detached from librdkafka."""

    topic: str
    partition: int
    offset: int
    ts: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True, slots=True)
class Output:
    """One record to produce inside a transaction, to an explicit partition."""

    topic: str
    partition: int
    key: bytes
    value: bytes


def ensure_compacted_topic(
    settings: KafkaSettings, topic: str, partitions: int = STATS_PARTITIONS, timeout: float = 15.0
) -> int:
    """Create a compacted topic if needed; returns its partition count (an existing one's)."""
    admin, metadata = _cluster_metadata(settings, timeout)
    if topic not in metadata.topics:
        _create_topic(
            admin, settings, topic, partitions, len(metadata.brokers), {"cleanup.policy": "compact"}, timeout
        )
        metadata = admin.list_topics(topic, timeout=timeout)
    return len(metadata.topics[topic].partitions)


# The assigned callback gets the newly assigned (topic, partition) pairs with their committed
# offsets (0 when none) and answers the offset to start reading each from.
AssignedCallback = Callable[[dict[tuple[str, int], int]], dict[tuple[str, int], int]]
RevokedCallback = Callable[[list[tuple[str, int]]], None]


class TransactionalProcessor:
    """A consumer-group member bound to a transactional producer (Kafka's read-process-write).

    Reads with isolation.level=read_committed and never auto-commits; each `transact` writes
    a batch's outputs and the consumed offsets in one transaction, so both happen or neither.
    `transactional_id` and `instance` (static group membership) should be stable per
    processor instance: a restarted instance then fences its dead predecessor's producer
    (aborting its open transaction at once, so read_committed readers don't stall until the
    transaction times out) and takes over its partitions without a rebalance. Rebalance
    callbacks only run inside `poll`, and `transact` completes before the next `poll`, so no
    transaction is ever open across a rebalance.
    """

    def __init__(
        self,
        settings: KafkaSettings,
        *,
        group: str,
        instance: str,
        topics: list[str],
        assigned: AssignedCallback,
        revoked: RevokedCallback,
        transaction_timeout_ms: int = 10_000,
    ) -> None:
        self._assigned = assigned
        self._revoked = revoked
        self.last_error = ""
        config = settings.client_config(
            **{
                "group.id": group,
                "group.instance.id": instance,
                "isolation.level": "read_committed",
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "auto.offset.reset": "earliest",
                # Incremental: a new match topic moves only the partitions that must move,
                # so the others are not rebuilt from offset 0.
                "partition.assignment.strategy": "cooperative-sticky",
                # Pattern subscriptions see new match topics at the next metadata refresh.
                "topic.metadata.refresh.interval.ms": 2_000,
                "error_cb": self._on_error,
            }
        )
        self._cooperative = config["partition.assignment.strategy"] == "cooperative-sticky"
        self._consumer = Consumer(config)
        self._producer = Producer(
            settings.client_config(
                **{
                    "transactional.id": f"{group}-{instance}",
                    "transaction.timeout.ms": transaction_timeout_ms,
                    "linger.ms": 5,
                    "error_cb": self._on_error,
                }
            )
        )
        try:
            self._producer.init_transactions(30)
        except KafkaException as exc:
            raise KafkaUnavailable(f"{settings.unreachable()} ({exc.args[0].str()})") from exc
        self._consumer.subscribe(
            topics, on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_revoke
        )

    def _on_error(self, error: KafkaError) -> None:
        self.last_error = error.str()

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        starts = self._assigned(self._committed(partitions)) if partitions else {}
        chosen = [
            TopicPartition(tp.topic, tp.partition, starts[(tp.topic, tp.partition)]) for tp in partitions
        ]
        # Assign ourselves, with the chosen start offsets (the automatic assign would use the
        # committed ones).
        if self._cooperative:
            consumer.incremental_assign(chosen)
        else:
            consumer.assign(chosen)

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._revoked([(tp.topic, tp.partition) for tp in partitions])
        if self._cooperative:
            consumer.incremental_unassign(partitions)
        else:
            consumer.unassign()

    def _committed(
        self, partitions: list[TopicPartition], timeout: float = 30.0
    ) -> dict[tuple[str, int], int]:
        found = self._consumer.committed(
            [TopicPartition(tp.topic, tp.partition) for tp in partitions], timeout=timeout
        )
        return {(tp.topic, tp.partition): max(tp.offset, 0) for tp in found}

    def rewind(self) -> None:
        """After an aborted transaction: hand every assigned partition to `assigned` again."""
        partitions = self._consumer.assignment()
        if not partitions:
            return
        self._revoked([(tp.topic, tp.partition) for tp in partitions])
        starts = self._assigned(self._committed(partitions))
        for tp in partitions:
            self._consumer.seek(TopicPartition(tp.topic, tp.partition, starts[(tp.topic, tp.partition)]))

    def poll(self, max_records: int = 5_000, timeout: float = 0.5) -> list[Record]:
        """Records from every assigned partition; rebalance callbacks run in here."""
        records = []
        for message in self._consumer.consume(max_records, timeout):
            error = message.error()
            if error is not None:  # enable.partition.eof is off: these are real errors
                if error.fatal():
                    raise TransactionFailed(error.str())
                self.last_error = error.str()
                continue
            records.append(_record(message))
        return records

    def transact(
        self, outputs: list[Output], offsets: dict[tuple[str, int], int], timeout: float = 30.0
    ) -> None:
        """Produce `outputs` and commit `offsets` (next offset to read per partition) atomically.

        Raises TransactionAborted when the transaction had to be rolled back (the caller's
        state is then ahead of the committed offsets and must be rebuilt: `rewind`), and
        TransactionFailed on a fatal error (e.g. fenced by a newer instance with our id).
        """
        try:
            self._producer.begin_transaction()
            for output in outputs:
                self._produce(output)
            self._producer.send_offsets_to_transaction(
                [TopicPartition(topic, partition, offset) for (topic, partition), offset in offsets.items()],
                self._consumer.consumer_group_metadata(),
                timeout,
            )
            self._producer.commit_transaction(timeout)
        except KafkaException as exc:
            error = exc.args[0]
            self.last_error = error.str()
            if not error.txn_requires_abort():
                raise TransactionFailed(error.str()) from exc
            self._producer.abort_transaction(timeout)
            raise TransactionAborted(error.str()) from exc

    def _produce(self, output: Output) -> None:
        while True:
            try:
                self._producer.produce(output.topic, output.value, output.key, partition=output.partition)
                return
            except BufferError:
                self._producer.poll(0.05)

    def close(self) -> None:
        """Leave cleanly (an open transaction, if any, is aborted by the broker's fencing/timeout)."""
        try:
            self._consumer.close()
        finally:
            self._producer.flush(5)


class CompactedTopicReader:
    """Reads every partition of a (compacted) topic from the start, read_committed, no group."""

    def __init__(self, settings: KafkaSettings, topic: str, timeout: float = 15.0) -> None:
        self.topic = topic
        self.last_error = ""
        self._consumer = Consumer(
            settings.client_config(
                **{
                    "group.id": _private_group(),
                    "enable.auto.commit": False,
                    "enable.auto.offset.store": False,
                    "isolation.level": "read_committed",
                    "auto.offset.reset": "earliest",
                    "fetch.wait.max.ms": 100,
                    "error_cb": self._on_error,
                }
            )
        )
        try:
            metadata = self._consumer.list_topics(topic, timeout=timeout)
        except KafkaException as exc:
            self._consumer.close()  # callers retry every few seconds: leak nothing
            raise KafkaUnavailable(settings.unreachable()) from exc
        info = metadata.topics.get(topic)
        if info is None or info.error is not None:
            self._consumer.close()
            raise KafkaUnavailable(f"topic {topic} does not exist on {settings.bootstrap}")
        self.partitions = sorted(info.partitions)
        self._consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in self.partitions])

    def _on_error(self, error: KafkaError) -> None:
        self.last_error = error.str()

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
        records = []
        for message in self._consumer.consume(max_records, timeout):
            error = message.error()
            if error is not None:  # enable.partition.eof is off: these are real errors
                self.last_error = error.str()
                continue
            records.append(_record(message))
        return records

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

FEED_CONNECTING, FEED_OK, FEED_ABSENT, FEED_UNREACHABLE = "connecting", "ok", "absent", "unreachable"


class CompactedTopicFeed:
    """The latest value per key of a compacted topic, kept up to date by a daemon thread.

    A window's frame loop reads `values` without locks and never waits on the network: the
    thread replaces the dict (never mutates a published one) at most every `publish_every`
    seconds, bumping `version`. `status` is connecting, ok (following the topic), absent (no
    such topic yet) or unreachable; the last two are retried every `retry_s`. `caught_up`
    turns True once the ends as of the first connection were read. Values are decoded by
    `decode` (JSON by default); a tombstone or an undecodable value removes its key.
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
        self.settings = replace(settings, overrides=(("log_level", "0"), *settings.overrides))
        self.topic = topic
        self.values: dict[str, Any] = {}
        self.version = 0
        self.status = FEED_CONNECTING
        self.caught_up = False
        self.error = ""
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
        """Read to the end once, or known to have nothing to read (absent, unreachable)."""
        return self.caught_up or self.status in (FEED_ABSENT, FEED_UNREACHABLE)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                reader = CompactedTopicReader(self.settings, self.topic, timeout=self._timeout)
            except KafkaUnavailable as exc:
                # The reader raises from librdkafka's error when the cluster is away, and on
                # its own (no cause) when the topic does not exist.
                self.status = FEED_UNREACHABLE if exc.__cause__ is not None else FEED_ABSENT
                self.error = str(exc)
                self._stop.wait(self._retry_s)
                continue
            except Exception as exc:  # a bad setting, say: report it, never kill the window
                self.status, self.error = FEED_UNREACHABLE, str(exc)
                self._stop.wait(self._retry_s)
                continue
            try:
                self._follow(reader)
            except Exception as exc:
                self.status, self.error = FEED_UNREACHABLE, str(exc)
                self._stop.wait(self._retry_s)
            finally:
                reader.close()

    def _follow(self, reader: CompactedTopicReader) -> None:
        latest = dict(self.values)  # a reconnection reads from the start again: same or newer values
        ends = reader.end_offsets(timeout=self._timeout)
        self.status = FEED_OK
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


def match_log_range(settings: KafkaSettings, match: str, timeout: float = 5.0) -> tuple[int, int] | None:
    """(first offset the broker still holds, end offset) of a match's log; None when the topic is gone.

    Retention deletes a log from its start: records below the first offset are gone for good.
    """
    topic = topic_for(match)
    consumer = Consumer(
        replace(settings, overrides=(("log_level", "0"), *settings.overrides)).client_config(
            **{"group.id": _private_group(), "enable.auto.commit": False}
        )
    )
    try:
        info = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
        if info is None or info.error is not None:
            return None
        return consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=timeout, cached=False)
    except KafkaException as exc:
        raise KafkaUnavailable(settings.unreachable()) from exc
    finally:
        consumer.close()


def _record(message: Message) -> Record:
    return Record(
        message.topic(),
        message.partition(),
        message.offset(),
        message.timestamp()[1],
        message.key(),
        message.value(),
    )
