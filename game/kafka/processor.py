"""Exactly-once read-process-write for the stats processor: a transactional consumer+producer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import (
    Consumer,
    KafkaException,
    Producer,
    TopicPartition,
)

from game.core.records import Record
from game.kafka.closing import Closing
from game.kafka.reader import ignore_error, record_of
from game.kafka.settings import KafkaSettings, KafkaUnavailable


class TransactionAborted(RuntimeError):
    """A transaction was rolled back (e.g. a rebalance fenced it); rewind to the committed offsets."""


class TransactionFailed(RuntimeError):
    """A fatal producer error, e.g. fenced by a newer processor with the same instance id."""


@dataclass(frozen=True, slots=True)
class Output:
    """One record to produce inside a transaction, to an explicit partition."""

    topic: str
    partition: int
    key: bytes
    value: bytes
    timestamp: int = 0  # ms; 0 lets the producer stamp it (a checkpoint carries its match time)


# The assigned callback gets the newly assigned (topic, partition) pairs with their committed
# offsets (0 when none) and answers the offset to start reading each from.
AssignedCallback = Callable[[dict[tuple[str, int], int]], dict[tuple[str, int], int]]
RevokedCallback = Callable[[list[tuple[str, int]]], None]


class TransactionalProcessor(Closing):
    """A consumer-group member bound to a transactional producer (Kafka's read-process-write).

    Reads with isolation.level=read_committed and never auto-commits; each `transact` writes
    a batch's outputs and the consumed offsets in one transaction, so both happen or neither.
    `transactional_id` and `instance` (static group membership) should be stable per
    processor instance: a restarted instance then fences its dead predecessor's producer
    (aborting its open transaction at once, so read_committed readers don't stall until the
    transaction times out) and takes over its partitions without a rebalance. Rebalance
    callbacks only run inside `poll`, and `transact` completes before the next `poll`, so no
    transaction is ever open across a rebalance. A context manager: leaving it closes.
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
                "error_cb": ignore_error,
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
                    "error_cb": ignore_error,
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
            if error is None:
                records.append(record_of(message))
            elif error.fatal():  # enable.partition.eof is off: the others pass (a retry heals them)
                raise TransactionFailed(error.str())
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
            if not error.txn_requires_abort():
                raise TransactionFailed(error.str()) from exc
            self._producer.abort_transaction(timeout)
            raise TransactionAborted(error.str()) from exc

    def _produce(self, output: Output) -> None:
        while True:
            try:
                self._producer.produce(
                    output.topic,
                    output.value,
                    output.key,
                    partition=output.partition,
                    timestamp=output.timestamp,
                )
                return
            except BufferError:
                self._producer.poll(0.05)

    def close(self) -> None:
        """Leave cleanly (an open transaction, if any, is aborted by the broker's fencing/timeout)."""
        try:
            self._consumer.close()
        finally:
            self._producer.flush(5)
