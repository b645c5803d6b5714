"""Player identities on a server with logins: one topic per account, `arena.id.<login>`, that
only that login may write (Kafka's ACLs say so), so a record there is that player's word.

A player proves a join by appending a proof (game.core.identity) to its own identity topic and
naming that record's offset in its join (`prove_join`); every reader checks the proof the
same way (`IdentityLookup`, the `Identities` of game.core.identity over Kafka).
"""

from __future__ import annotations

import threading
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

# Imported from where they are defined: confluent_kafka.admin re-exports them only implicitly.
from confluent_kafka.admin import AdminClient, OffsetSpec

from game.core.identity import PROOF_LEAD_MS, ProofRecord, proof_holds
from game.kafka.closing import Closing
from game.kafka.link import MISSING_CODES
from game.kafka.settings import KafkaSettings, KafkaUnavailable, producer_config, reader_config

IDENTITY_TOPIC_PREFIX = "arena.id."
# A lookup that cannot reach Kafka retries this long before it gives the join up as unproven
# (one of the few cases where two readers could disagree: README, Security, the limits).
LOOKUP_PATIENCE_S = 10.0


def identity_topic(login: str) -> str:
    return IDENTITY_TOPIC_PREFIX + login


def login_of(settings: KafkaSettings) -> str | None:
    """The SASL login these settings use (the last one given), or None without one."""
    names = [value for key, value in settings.overrides if key == "sasl.username"]
    return names[-1] if names else None


class IdentityLookup(Closing):
    """Finds proofs in identity topics for a reader; its Kafka clients are made on first use.

    A flood of joins stays cheap: proof records are cached (they never change), and so is the
    directory of identity topics with each one's end offset, together with the newest broker
    time A the reader had read when it asked (`saw`: call it with a batch's last record before
    folding the batch). A join of time up to A + PROOF_LEAD_MS naming a login without an
    identity topic, or an offset at or past its end, is refused without asking Kafka again: a
    record appended after the question has a broker time of A or later, too late to prove it
    (game/core/identity.py). So a reader asks at most once per PROOF_LEAD_MS of match time,
    whatever the flood: one metadata request and one ListOffsets for every identity topic.
    """

    def __init__(self, settings: KafkaSettings) -> None:
        self.settings = settings.quiet()
        self._consumer: Consumer | None = None
        self._admin: AdminClient | None = None
        self._clients = threading.Lock()  # `warm` may make them on another thread
        self._records: dict[tuple[str, int], ProofRecord | None] = {}
        self._ends: dict[str, int] = {}  # login -> end offset of its identity topic
        self._read_to: dict[str, int] = {}  # login -> the first offset not cached yet
        self._asked_after = -1  # the broker time up to which _ends answers for every join
        self.seen_ts = 0
        self.lookups = 0  # requests made (directory refreshes and record fetches)
        self.lookup_s = 0.0  # time spent waiting on them
        self.undecided = 0  # joins given up as unproven because Kafka did not answer

    def saw(self, ts: int) -> None:
        """The reader has read a record of this broker time."""
        if ts > self.seen_ts:
            self.seen_ts = ts

    def remember(self, name: str, at: int, record: ProofRecord) -> None:
        """A proof this client wrote itself (the broker's answer gave its offset and time):
        its own join needs no lookup."""
        self._records[(name, at)] = record

    def proven(self, name: str, at: int, join_ts: int, value: bytes) -> bool:
        key = (name, at)
        if key not in self._records:
            # The last look answers every join up to its time plus the lead (PROOF_LEAD_MS).
            if join_ts - PROOF_LEAD_MS > self._asked_after and not self._refresh(join_ts):
                return False  # Kafka never answered
            if at >= self._ends.get(name, 0):
                return False
            found = self._fetch(name, at)
            if isinstance(found, bool):
                return False  # Kafka never answered
            self._records[key] = found
        return proof_holds(self._records[key], join_ts, value)

    def _refresh(self, join_ts: int) -> bool:
        """Every identity topic and its end offset, as of now (after the reader saw join_ts)."""
        began = time.monotonic()
        try:
            return self._ask_directory(join_ts, began + LOOKUP_PATIENCE_S)
        finally:
            self.lookup_s += time.monotonic() - began

    def _ask_directory(self, join_ts: int, deadline: float) -> bool:
        while True:
            self.lookups += 1
            try:
                ends = self._directory()
            except KafkaException:
                if time.monotonic() > deadline:
                    self.undecided += 1
                    return False
                time.sleep(0.2)
                continue
            self._ends = ends
            self._asked_after = max(join_ts, self.seen_ts)
            return True

    def _directory(self) -> dict[str, int]:
        metadata = self._admin_client().list_topics(timeout=3.0)
        partitions = [
            TopicPartition(topic, 0)
            for topic, info in metadata.topics.items()
            if topic.startswith(IDENTITY_TOPIC_PREFIX) and info.error is None
        ]
        if not partitions:
            return {}
        futures = self._admin_client().list_offsets(
            {tp: OffsetSpec.latest() for tp in partitions}, request_timeout=3.0
        )
        ends = {}
        for tp, future in futures.items():
            ends[tp.topic[len(IDENTITY_TOPIC_PREFIX) :]] = int(future.result(timeout=3.0).offset)
        return ends

    def _fetch(self, name: str, at: int) -> ProofRecord | None | bool:  # False: no answer
        """The record at `at` (None: gone, e.g. deleted by hand); False if Kafka never answered."""
        began = time.monotonic()
        try:
            if not self._read_topic(name, self._ends[name]):
                return False
            return self._records.get((name, at))
        finally:
            self.lookup_s += time.monotonic() - began

    def _read_topic(self, name: str, end: int) -> bool:
        """Cache every record of `name`'s identity topic below `end` not read yet, in one go:
        a flood naming many offsets of one topic costs one read, not one each."""
        start = self._read_to.get(name, 0)
        if start >= end:
            return True
        self.lookups += 1
        consumer = self._record_client()
        consumer.assign([TopicPartition(identity_topic(name), 0, start)])
        deadline = time.monotonic() + LOOKUP_PATIENCE_S
        try:
            while time.monotonic() < deadline:
                # A blocking poll for the first record, then what is there: consume(n, timeout)
                # alone waits out its timeout unless n records arrive.
                first = consumer.poll(0.2)
                for message in [first, *consumer.consume(10_000, 0)] if first is not None else []:
                    offset = message.offset()
                    if message.error() is not None or offset is None:
                        continue
                    for gone in range(self._read_to.get(name, 0), min(offset, end)):
                        self._records[(name, gone)] = None  # deleted: it proves nothing for anyone
                    if offset < end:
                        self._records[(name, offset)] = ProofRecord(
                            message.timestamp()[1], message.value() or b""
                        )
                    self._read_to[name] = offset + 1
                if self._read_to.get(name, 0) >= end:
                    return True
        finally:
            consumer.unassign()
        self.undecided += 1
        return False

    def _admin_client(self) -> AdminClient:
        with self._clients:
            if self._admin is None:
                self._admin = AdminClient(self.settings.client_config())
            return self._admin

    def _record_client(self) -> Consumer:
        with self._clients:
            if self._consumer is None:
                # A proof is read once, when a join names it: answer as soon as there is data.
                self._consumer = Consumer(reader_config(self.settings, **{"fetch.min.bytes": 1}))
            return self._consumer

    def warm(self) -> IdentityLookup:
        """Connect (and log in) both clients on a thread of their own now, so that the first
        proof a joining player's window checks does not wait for that."""

        def connect() -> None:
            try:
                self._admin_client().list_topics(timeout=5.0)
                self._record_client().list_topics(timeout=5.0)
            except KafkaException:
                pass  # the first lookup retries, and says so if Kafka stays away

        threading.Thread(target=connect, name="identity-warm", daemon=True).start()
        return self

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None
        self._admin = None


def prove_join(
    settings: KafkaSettings, login: str, value: bytes, timeout: float = 10.0
) -> tuple[int, ProofRecord] | None:
    """Append a join's proof to `login`'s identity topic: its offset and record, once the broker
    has it; None when the login has no identity there (no topic, or not its own to write: a
    shared role login such as `player`), so the join goes in open.

    A producer of its own, not idempotent: an idempotent one first asks for a producer id, and
    one that asks before its first connection is up waits 500 ms to ask again (measured: a
    third to half of the windows' proofs took 0.5 s instead of 0.06)."""
    producer = Producer(producer_config(settings.quiet(), **{"enable.idempotence": False, "linger.ms": 0}))
    topic = identity_topic(login)
    answers: list[Message | KafkaError] = []
    try:
        # Ask first: a record for a topic this login cannot see would wait out the timeout.
        info = producer.list_topics(topic, timeout=timeout).topics.get(topic)
        if info is not None and info.error is None:
            producer.produce(
                topic,
                value,
                on_delivery=lambda error, message: answers.append(message if error is None else error),
            )
            producer.flush(timeout)
    except KafkaException as exc:
        raise KafkaUnavailable(
            f"could not prove your join on {settings.bootstrap}: {exc.args[0].str()}"
        ) from exc
    if info is None or info.error is not None:
        return None
    answer = answers[0] if answers else KafkaError(KafkaError._TIMED_OUT)  # noqa: SLF001
    if isinstance(answer, KafkaError):
        if answer.code() in MISSING_CODES or answer.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
            return None
        raise KafkaUnavailable(f"could not prove your join on {settings.bootstrap}: {answer.str()}")
    offset = answer.offset()
    if offset is None:
        raise KafkaUnavailable("could not prove your join: the broker gave no offset")
    return offset, ProofRecord(answer.timestamp()[1], value)
