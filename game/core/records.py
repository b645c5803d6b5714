"""The one shape of a consumed record, as every reader keeps it once it leaves librdkafka."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Record:
    """One record of a topic: where it sits, its broker timestamp (ms), its key and value."""

    topic: str
    partition: int
    offset: int
    ts: int
    key: bytes | None
    value: bytes | None
