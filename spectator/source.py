"""The spectator's side of Kafka: a quiet reader, error triage, and a background feed.

The window never waits on the network: `LogFeed` runs the `MatchReader` in a thread that
hands over batches of raw records and keeps a status line ("reconnecting", "unreachable")
plus the log's end offset up to date.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import replace

from confluent_kafka import KafkaError, KafkaException

from game.core.replica import RawRecord
from game.kafka import KafkaSettings, KafkaUnavailable, MatchReader, raw_records

BATCH = 5_000
UNREACHABLE, NO_MATCH, OK, CONNECTING = "unreachable", "no_match", "ok", "connecting"
# librdkafka's own codes start with an underscore; this one is public API all the same.
_NO_MATCH_CODES = {KafkaError._UNKNOWN_PARTITION, KafkaError.UNKNOWN_TOPIC_OR_PART}  # noqa: SLF001


def quiet(settings: KafkaSettings) -> KafkaSettings:
    """Settings whose clients do not spray librdkafka logs: we report connection trouble."""
    return replace(settings, overrides=(("log_level", "0"), *settings.overrides))


# What reading a log's end raises: librdkafka's error, or game.kafka's wrapper around it.
READ_ERRORS = (KafkaException, KafkaUnavailable)


def triage(exc: BaseException) -> str:
    """NO_MATCH when the topic is missing, UNREACHABLE for every other failure."""
    while isinstance(exc, KafkaUnavailable) and exc.__cause__ is not None:
        exc = exc.__cause__
    error = exc.args[0] if isinstance(exc, KafkaException) and exc.args else None
    code = error.code() if isinstance(error, KafkaError) else None
    return NO_MATCH if code in _NO_MATCH_CODES else UNREACHABLE


class LogFeed:
    """Reads a match from offset 0 (or `start`, up to `stop`) in a thread; the frame loop takes
    what arrived."""

    def __init__(
        self,
        settings: KafkaSettings,
        match: str,
        probe_timeout: float = 3.0,
        start: int = 0,
        stop: int | None = None,
    ) -> None:
        self.settings = settings
        self.match = match
        self.start_offset = start  # the first offset read (a replay of one session starts later)
        self.stop_offset = stop  # the last offset handed over, when bounded (a finished session)
        self.status = CONNECTING
        self.first_end: int | None = None  # the log's end when we first reached the broker
        self.end = 0  # the latest end offset seen
        self.received = 0
        self.last_offset = -1  # of the last record read
        self.error = ""
        self._probe_timeout = probe_timeout
        self._batches: deque[list[RawRecord]] = deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="spectator-feed", daemon=True)

    def start(self) -> LogFeed:
        self._thread.start()
        return self

    def take(self, limit: int | None = None) -> list[RawRecord]:
        """The records received since the last call (at most `limit`), in log order."""
        records: list[RawRecord] = []
        batches = self._batches
        while batches and (limit is None or len(records) < limit):
            batch = batches.popleft()
            room = len(batch) if limit is None else limit - len(records)
            if room < len(batch):
                batches.appendleft(batch[room:])  # only this thread takes from the left
                batch = batch[:room]
            records.extend(batch)
        return records

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        reader = None
        try:
            reader = MatchReader(quiet(self.settings), self.match, self.start_offset or "beginning")
            self._loop(reader)
        except Exception as exc:  # the window must keep running and say so, not die silently
            self.status = UNREACHABLE
            self.error = str(exc)
        finally:
            if reader is not None:
                reader.close()

    def _loop(self, reader: MatchReader) -> None:
        next_probe = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_probe:
                self._probe(reader)
                next_probe = now + (1.0 if self.status == OK else 0.5)
            if self.status != OK:
                self._stop.wait(0.2)
                continue
            if self.stop_offset is not None and self.last_offset >= self.stop_offset:
                self._stop.wait(0.2)  # everything up to `stop` is handed over
                continue
            records = raw_records(reader.poll(BATCH, 0.05))
            if self.stop_offset is not None:
                records = [r for r in records if r[0] <= self.stop_offset]
            if records:
                self.received += len(records)
                self.last_offset = records[-1][0]
                self.end = max(self.end, records[-1][0] + 1)
                self._batches.append(records)

    def _probe(self, reader: MatchReader) -> None:
        try:
            end = reader.end_offset(timeout=self._probe_timeout)
        except READ_ERRORS as exc:
            self.status = triage(exc)
            return
        if self.stop_offset is not None:
            end = min(end, self.stop_offset + 1)
        if self.first_end is None:
            self.first_end = end
        self.end = max(self.end, end)
        self.status = OK
