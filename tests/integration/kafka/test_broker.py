"""The broker itself, through plain confluent_kafka: what the game relies on."""

from __future__ import annotations

import msgpack
import pytest
from confluent_kafka import (
    TIMESTAMP_LOG_APPEND_TIME,
    Consumer,
    KafkaError,
    Message,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic

pytestmark = pytest.mark.integration

RECORDS = 100


def _create_topic(bootstrap: str, topic: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    new = NewTopic(
        topic,
        num_partitions=1,
        replication_factor=1,
        config={"message.timestamp.type": "LogAppendTime"},
    )
    for future in admin.create_topics([new], operation_timeout=30).values():
        future.result(timeout=30)


def test_log_append_time_topic_round_trip(kafka_bootstrap: str, match_name: str) -> None:
    topic = f"arena.match.{match_name}"
    _create_topic(kafka_bootstrap, topic)

    producer = Producer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 5,
        }
    )
    errors: list[KafkaError] = []

    def on_delivery(err: KafkaError | None, _msg: object) -> None:
        if err is not None:
            errors.append(err)

    whos = [f"bot{i % 4}" for i in range(RECORDS)]
    sent = [{"seq": i, "tick": i * 3, "who": who} for i, who in enumerate(whos)]
    for who, payload in zip(whos, sent, strict=True):
        producer.produce(
            topic,
            key=who.encode(),
            value=msgpack.packb(payload),
            on_delivery=on_delivery,
        )
    assert producer.flush(30) == 0
    assert errors == []

    config = {
        "bootstrap.servers": kafka_bootstrap,
        "group.id": f"{match_name}-reader",
        "enable.auto.commit": False,
    }
    got: list[Message] = []
    with Consumer(config) as consumer:
        consumer.assign([TopicPartition(topic, 0, 0)])
        while len(got) < RECORDS:
            batch = consumer.consume(num_messages=RECORDS, timeout=10)
            assert batch, f"timed out after {len(got)} of {RECORDS} records"
            for msg in batch:
                assert msg.error() is None, msg.error()
                got.append(msg)

    assert [m.offset() for m in got] == list(range(RECORDS))
    assert [msgpack.unpackb(m.value()) for m in got] == sent
    assert [m.key() for m in got] == [who.encode() for who in whos]
    stamps = [m.timestamp() for m in got]
    assert {kind for kind, _ in stamps} == {TIMESTAMP_LOG_APPEND_TIME}
    times = [ts for _, ts in stamps]
    assert times == sorted(times), "log-append timestamps must not go back"
    assert times[0] > 0
