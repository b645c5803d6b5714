"""The spectator's side of Kafka: a background feed of the match log.

The window never waits on the network: `LogFeed` runs the `MatchReader` in a thread that
hands over batches of records and keeps the link's status (a `LinkStatus`: connecting, ok,
topic missing, unreachable) plus the log's end offset up to date.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from game.core.records import Record
from game.kafka import KafkaSettings, KafkaUnavailable, LinkStatus, MatchReader, link_status
from game.kafka.checkpoints import Start, start_of

BATCH = 5_000


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
        from_checkpoint: bool = False,
        before_ts: int | None = None,
    ) -> None:
        """`from_checkpoint`: start at the match's latest checkpoint (`start_point` holds it
        once found, before any record is handed over) instead of at `start`; with `before_ts`,
        the last checkpoint at or before that broker time."""
        self.settings = settings
        self.match = match
        self.start_offset = start  # the first offset read (a replay of one session starts later)
        self.stop_offset = stop  # the last offset handed over, when bounded (a finished session)
        self.from_checkpoint = from_checkpoint
        self.before_ts = before_ts
        self.start_point: Start | None = None
        self.status = LinkStatus.CONNECTING
        self.first_end: int | None = None  # the log's end when we first reached the broker
        self.end = 0  # the latest end offset seen
        self.last_offset = -1  # of the last record read
        self._probe_timeout = probe_timeout
        self._batches: deque[list[Record]] = deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="spectator-feed", daemon=True)

    def start(self) -> LogFeed:
        self._thread.start()
        return self

    def take(self, limit: int | None = None) -> list[Record]:
        """The records received since the last call (at most `limit`), in log order."""
        records: list[Record] = []
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
        try:
            if self.from_checkpoint:
                start = start_of(self.settings.quiet(), self.match, before_ts=self.before_ts)
                self.start_offset = start.next_offset
                self.start_point = start  # set before any batch: a taker that got records sees it
            with MatchReader(self.settings.quiet(), self.match, self.start_offset or "beginning") as reader:
                self._loop(reader)
        except Exception as exc:  # the window must keep running and say so, not die silently
            self.status = link_status(exc)

    def _loop(self, reader: MatchReader) -> None:
        next_probe = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_probe:
                self._probe(reader)
                next_probe = now + (1.0 if self.status is LinkStatus.OK else 0.5)
            if self.status is not LinkStatus.OK:
                self._stop.wait(0.2)
                continue
            if self.stop_offset is not None and self.last_offset >= self.stop_offset:
                self._stop.wait(0.2)  # everything up to `stop` is handed over
                continue
            records = reader.poll(BATCH, 0.05)
            if self.stop_offset is not None:
                records = [r for r in records if r.offset <= self.stop_offset]
            if records:
                self.last_offset = records[-1].offset
                self.end = max(self.end, self.last_offset + 1)
                self._batches.append(records)

    def _probe(self, reader: MatchReader) -> None:
        try:
            end = reader.end_offset(timeout=self._probe_timeout)
        except KafkaUnavailable as exc:
            self.status = link_status(exc)
            return
        if self.stop_offset is not None:
            end = min(end, self.stop_offset + 1)
        if self.first_end is None:
            self.first_end = end
        self.end = max(self.end, end)
        self.status = LinkStatus.OK
