"""The action producer: idempotent, never blocking a frame, riding out an outage."""

from __future__ import annotations

import sys
import time
import uuid
from collections import deque
from collections.abc import Callable
from functools import partial

from confluent_kafka import (
    KafkaError,
    Message,
    Producer,
    ThrottleEvent,
)

from game.kafka.closing import Closing
from game.kafka.settings import KafkaSettings, producer_config

# How many actions a player may have waiting while Kafka is away before new ones are refused.
MAX_BACKLOG = 10_000


DeliveryCallback = Callable[[KafkaError | None, Message], None]
# Throttling is news while the broker's last delay is this recent.
THROTTLE_NEWS_S = 5.0


def say_on_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class ActionProducer(Closing):
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

    Quotas: a broker with client quotas (`python -m broker start --lan`) delays the answers
    of a client that sends more than its share. Each producer has a client id of its own, so
    its quota is its own (another client flooding does not slow it down); when the broker does
    delay it, `throttle_note` says so and `on_throttle` is told once (stderr by default).

    A context manager: leaving `with ActionProducer(settings) as producer:` flushes (bounded).
    """

    def __init__(
        self,
        settings: KafkaSettings,
        on_delivery: DeliveryCallback | None = None,
        on_throttle: Callable[[str], None] = say_on_stderr,
    ) -> None:
        self._settings = settings
        self._config = producer_config(
            settings,
            error_cb=self._on_error,
            throttle_cb=self._on_throttle,
            **{"client.id": f"arena-producer-{uuid.uuid4().hex[:12]}"},
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
        self.last_error_at = 0.0  # time.monotonic() of the latest error: `unreachable` reads it
        self._on_throttle_news = on_throttle
        self.throttled = 0  # answers the broker delayed for our quota
        self.throttled_ms = 0.0  # their delays added up
        self.last_throttle_ms = 0.0
        self.last_throttle_at = 0.0

    def _on_throttle(self, event: ThrottleEvent) -> None:
        # librdkafka also reports the end of throttling, as a delay of 0.
        if event.throttle_time <= 0:
            return
        delay_ms = event.throttle_time * 1000
        self.throttled += 1
        self.throttled_ms += delay_ms
        self.last_throttle_ms = delay_ms
        self.last_throttle_at = time.monotonic()
        if self.throttled == 1:
            self._on_throttle_news(f"warning: {self.throttle_note}")

    @property
    def throttle_note(self) -> str | None:
        """One line while the broker is holding this client to its quota, else None."""
        if not self.throttled or time.monotonic() - self.last_throttle_at > THROTTLE_NEWS_S:
            return None
        return (
            f"Kafka at {self._settings.bootstrap} is throttling this client (its quota): answers "
            f"delayed {self.last_throttle_ms:.0f} ms; actions are slowed, not lost"
        )

    def _on_error(self, error: KafkaError) -> None:
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

    def close(self) -> None:
        """Deliver what is pending, within a bound (leaving a `with` block does this)."""
        self.flush()

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
