"""Topic naming and admin: match topics (one partition, broker time), the compacted stats
topic, and what the cluster knows of each match.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from confluent_kafka import (
    Consumer,
    KafkaError,
    KafkaException,
    TopicPartition,
)

# Imported from where they are defined: confluent_kafka.admin re-exports them only implicitly.
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from game.kafka.link import (
    advertised_refusal,
    bootstrap_addresses,
    login_refused,
    tls_failed,
    tls_refusal,
    unreachable_advertised,
    unreached_brokers,
    unreadable_ca,
    untrusted_certificate,
)
from game.kafka.settings import MATCH_NAME, KafkaSettings, KafkaUnavailable, reader_config

TOPIC_PREFIX = "arena.match."


def topic_for(match: str) -> str:
    """The topic of a match: `arena.match.<match>`."""
    if not MATCH_NAME.match(match):
        raise ValueError(f"a match name is 1-64 letters, digits, '-' or '_', not {match!r}")
    return TOPIC_PREFIX + match


def match_of(topic: str) -> str | None:
    return topic[len(TOPIC_PREFIX) :] if topic.startswith(TOPIC_PREFIX) else None


def _cluster_metadata(settings: KafkaSettings, timeout: float) -> tuple[AdminClient, Any]:
    """An admin client and the cluster's metadata, or one clear reason why not: the login
    refused, a certificate not trusted, an advertised address out of reach, no answer."""
    errors: list[KafkaError] = []
    # Quiet: what goes wrong is said once, below, not logged by librdkafka at every retry.
    config = settings.quiet().client_config(error_cb=errors.append)
    try:
        admin = AdminClient(config)
    except KafkaException as exc:  # settings librdkafka refuses to start with
        problem = exc.args[0].str() if exc.args else str(exc)
        ca = config.get("ssl.ca.location")
        if ca and "ssl.ca.location" in problem:
            raise KafkaUnavailable(unreadable_ca(settings.bootstrap, ca, problem)) from exc
        raise KafkaUnavailable(
            f"the settings for Kafka at {settings.bootstrap} are unusable: {problem}"
        ) from exc
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException as exc:
        admin.poll(0)  # error callbacks are served only from poll()
        if untrusted_certificate(errors) is not None:
            raise KafkaUnavailable(tls_refusal(settings.bootstrap, config.get("ssl.ca.location"))) from exc
        denied = login_refused(errors)
        if denied is not None:
            raise KafkaUnavailable(
                f"Kafka at {settings.bootstrap} refused us: {denied.str()}. Check the user and "
                "password (--kafka-config, $KAFKA_SASL_USERNAME and $KAFKA_SASL_PASSWORD, or -X sasl.*)"
            ) from exc
        failed = tls_failed(errors)
        if failed is not None:
            raise KafkaUnavailable(
                f"Kafka at {settings.bootstrap} refused us: {failed.str()}. Check security.protocol "
                "and ssl.* (--kafka-config or -X)"
            ) from exc
        # The bootstrap server answered (we learned its brokers), but they are out of reach:
        # librdkafka may already have sent the metadata request to one of them.
        unreached = unreached_brokers(errors)
        if unreached and not bootstrap_addresses(settings.bootstrap) & set(unreached):
            raise KafkaUnavailable(advertised_refusal(settings.bootstrap, unreached)) from exc
        raise KafkaUnavailable(settings.unreachable()) from exc
    advertised = [f"{broker.host}:{broker.port}" for broker in metadata.brokers.values()]
    out_of_reach = unreachable_advertised(settings.bootstrap, advertised)
    if out_of_reach:
        raise KafkaUnavailable(advertised_refusal(settings.bootstrap, out_of_reach))
    return admin, metadata


def link_problem(settings: KafkaSettings, timeout: float = 5.0) -> str | None:
    """One line saying why these settings cannot use Kafka (as the admin calls above say it),
    or None when the cluster answers and its brokers can be reached: for a reader whose own
    failure says only that the log could not be read."""
    try:
        _cluster_metadata(settings, timeout)
    except KafkaUnavailable as exc:
        return str(exc)
    return None


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
    with Consumer(reader_config(settings)) as consumer:
        infos = []
        for topic in topics:
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=timeout)
            info = MatchInfo(match_of(topic) or topic, high)
            if recent and high > 0:
                info = _recent(consumer, topic, info, min(timeout, 2.0))
            infos.append(info)
        return infos


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
        last = messages[-1].offset() if messages else None
        if last is not None and last >= info.records - 1:
            break
    return replace(info, last_ms=last_ms, players=len(keys))


STATS_TOPIC = "arena.stats"
MATCH_TOPIC_PATTERN = r"^arena\.match\..*"
STATS_PARTITIONS = 3


def ensure_topic(
    settings: KafkaSettings, topic: str, partitions: int, config: dict[str, str], timeout: float = 15.0
) -> int:
    """Create a topic with these settings if needed (replicated as `_create_topic` says);
    returns its partition count (an existing one's)."""
    admin, metadata = _cluster_metadata(settings, timeout)
    if topic not in metadata.topics:
        _create_topic(admin, settings, topic, partitions, len(metadata.brokers), config, timeout)
    # A topic just created (by us or by another client) can be listed before its partitions
    # are: on a fresh broker the stats processor once read 0 partitions here and divided by it.
    deadline = time.monotonic() + timeout
    while True:
        found = metadata.topics.get(topic)
        if found is not None and found.partitions:
            return len(found.partitions)
        if time.monotonic() >= deadline:
            raise KafkaUnavailable(
                f"{topic} exists on {settings.bootstrap} but lists no partitions after {timeout:.0f} s"
            )
        time.sleep(0.05)
        metadata = admin.list_topics(topic, timeout=timeout)


def ensure_compacted_topic(
    settings: KafkaSettings, topic: str, partitions: int = STATS_PARTITIONS, timeout: float = 15.0
) -> int:
    """Create a compacted topic if needed; returns its partition count (an existing one's)."""
    return ensure_topic(settings, topic, partitions, {"cleanup.policy": "compact"}, timeout)


def match_log_range(settings: KafkaSettings, match: str, timeout: float = 5.0) -> tuple[int, int] | None:
    """(first offset the broker still holds, end offset) of a match's log; None when the topic is gone.

    Retention deletes a log from its start: records below the first offset are gone for good.
    """
    topic = topic_for(match)
    with Consumer(reader_config(settings.quiet())) as consumer:
        try:
            info = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
            if info is None or info.error is not None:
                return None
            return consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=timeout, cached=False)
        except KafkaException as exc:
            raise KafkaUnavailable(settings.unreachable()) from exc
