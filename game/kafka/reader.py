"""The match reader: assigns a match's partition, seeks, and polls without blocking a frame."""

from __future__ import annotations

import time

from confluent_kafka import (
    OFFSET_BEGINNING,
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)

from game.core.records import Record
from game.core.replica import RawRecord
from game.kafka.settings import KafkaSettings, KafkaUnavailable, private_group
from game.kafka.topics import topic_for


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
                    "group.id": private_group(),
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


def record_of(message: Message) -> Record:
    return Record(
        message.topic(),
        message.partition(),
        message.offset(),
        message.timestamp()[1],
        message.key(),
        message.value(),
    )
