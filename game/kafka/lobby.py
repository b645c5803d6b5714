"""The lobby: the matches being played now, as the title screen lists them.

Read from the match topics alone, with one consumer and a few batched fetches: the newest
record of every match (is anyone still writing?), then, for the live ones, the first record
(the first join names the map and the rules) and the records of the last
PRESENCE_TIMEOUT_MS (the players present: record keys are player ids, and a player whose
last word was a leave is gone). Match topics use LogAppendTime, so record timestamps are
the broker's clock: first and last give how long a match has run and whether it still does.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from confluent_kafka import OFFSET_END, Consumer, KafkaException, TopicPartition

from game.core.actions import Join, Leave
from game.core.codec import decode
from game.core.constants import PRESENCE_TIMEOUT_MS
from game.kafka.settings import KafkaSettings, KafkaUnavailable, reader_config
from game.kafka.topics import TOPIC_PREFIX, _cluster_metadata, match_of

# A match whose newest record is older than this is not being played (present players send
# a heartbeat every second; PRESENCE_TIMEOUT_MS is when the rules drop a silent one).
LIVE_WITHIN_MS = PRESENCE_TIMEOUT_MS
# At most this many recent records are read per match to count its players.
RECENT_CAP = 4_000
# A player whose join is all it wrote is counted only this long after it: a joined client
# moves or pings within a second, a refused one (name taken) writes nothing more.
JUST_JOINED_MS = 2_000


@dataclass(frozen=True, slots=True)
class LobbyMatch:
    """One match being played now."""

    match: str
    map_name: str  # "" when its first join is gone (retention) and no recent join names it
    rules: int  # the rules version of its first join (0: unversioned)
    players: int  # players present: wrote in the last PRESENCE_TIMEOUT_MS and did not leave
    names: tuple[str, ...]  # the present players' names that recent joins told us (may be partial)
    started_ms: int  # broker time of its first record
    last_ms: int  # broker time of its newest record
    records: int  # end offset of its log


def list_lobby(
    settings: KafkaSettings, timeout: float = 5.0, *, now_ms: int | None = None
) -> list[LobbyMatch]:
    """The matches being played now (newest record within LIVE_WITHIN_MS of `now_ms`, wall
    clock by default, and someone present), most players first. Raises KafkaUnavailable."""
    now = int(time.time() * 1000) if now_ms is None else now_ms
    _, metadata = _cluster_metadata(settings.quiet(), timeout)
    topics = sorted(t for t in metadata.topics if t.startswith(TOPIC_PREFIX))
    if not topics:
        return []
    deadline = time.monotonic() + timeout
    consumer = Consumer(reader_config(settings.quiet()))
    try:
        ranges: dict[str, tuple[int, int]] = {}
        for topic in topics:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=timeout)
            if high > low:
                ranges[topic] = (low, high)
        last = _read_one(consumer, {t: high - 1 for t, (_, high) in ranges.items()}, deadline)
        live = {t: r for t, r in ranges.items() if t in last and now - last[t][0] <= LIVE_WITHIN_MS}
        if not live:
            return []
        first = _read_one(consumer, {t: low for t, (low, _) in live.items()}, deadline)
        starts = _window_starts(consumer, live, {t: last[t][0] for t in live}, timeout)
        recent = _read_ranges(consumer, {t: (starts[t], live[t][1]) for t in live}, deadline)
    except KafkaException as exc:
        raise KafkaUnavailable(settings.unreachable()) from exc
    finally:
        consumer.close()
    out = []
    for topic, (_, high) in live.items():
        first_ts, first_value, first_key = first.get(topic, (last[topic][0], None, None))
        listing = _summarise(
            match_of(topic) or topic, first_ts, first_value, first_key, recent.get(topic, []), high
        )
        if listing.players > 0:
            out.append(listing)
    out.sort(key=lambda m: (-m.players, m.match))
    return out


Raw = tuple[int, bytes | None, bytes | None]  # (broker time ms, value, key)


def _summarise(
    match: str,
    first_ts: int,
    first_value: bytes | None,
    first_key: bytes | None,
    recent: Sequence[Raw],
    high: int,
) -> LobbyMatch:
    map_name, rules = "", 0
    opening = decode(first_value, first_key)
    if isinstance(opening, Join):
        map_name, rules = opening.map_name, opening.rules
    present: dict[int, bool] = {}  # pid -> still here, in log order
    acted: set[int] = set()  # pids that wrote more than a join (a refused join writes nothing else)
    names: dict[int, str] = {}
    joined_at: dict[int, int] = {}
    last_ms = recent[-1][0] if recent else first_ts
    for ts, value, key in recent:
        action = decode(value, key)
        if isinstance(action, Join):
            names[action.pid] = action.name
            joined_at[action.pid] = ts
            map_name = map_name or action.map_name  # a later client's join carries the match's map
        elif not isinstance(action, Leave):
            acted.add(getattr(action, "pid", -1))
        pid = getattr(action, "pid", None)
        if isinstance(pid, int):
            present[pid] = not isinstance(action, Leave)
    here = [
        pid
        for pid, stays in present.items()
        if stays and (pid in acted or last_ms - joined_at.get(pid, last_ms) <= JUST_JOINED_MS)
    ]
    return LobbyMatch(
        match=match,
        map_name=map_name,
        rules=rules,
        players=len(here),
        names=tuple(sorted(names[pid] for pid in here if pid in names)),
        started_ms=first_ts,
        last_ms=last_ms,
        records=high,
    )


def _read_one(consumer: Consumer, offsets: dict[str, int], deadline: float) -> dict[str, Raw]:
    """The record at the given offset of each topic (those that arrive before the deadline)."""
    found = _read_ranges(consumer, {t: (o, o + 1) for t, o in offsets.items()}, deadline)
    return {t: records[0] for t, records in found.items() if records}


def _read_ranges(
    consumer: Consumer, ranges: dict[str, tuple[int, int]], deadline: float
) -> dict[str, list[Raw]]:
    """The records [start, end) of each topic's partition, fetched together."""
    wanted = {t: r for t, r in ranges.items() if r[1] > r[0]}
    out: dict[str, list[Raw]] = {t: [] for t in wanted}
    if not wanted:
        return out
    consumer.assign([TopicPartition(t, 0, start) for t, (start, _) in wanted.items()])
    pending = set(wanted)
    try:
        while pending and time.monotonic() < deadline:
            first = consumer.poll(0.1)
            if first is None:
                continue
            for message in [first, *consumer.consume(5_000, 0)]:
                topic = message.topic()
                if message.error() is not None or topic not in pending:
                    continue
                offset = message.offset() or 0
                if offset < wanted[topic][1]:
                    out[topic].append((message.timestamp()[1], message.value(), message.key()))
                if offset >= wanted[topic][1] - 1:
                    pending.discard(topic)
                    consumer.incremental_unassign([TopicPartition(topic, 0)])
    finally:
        consumer.unassign()
    return out


def _window_starts(
    consumer: Consumer, ranges: dict[str, tuple[int, int]], last_ms: dict[str, int], timeout: float
) -> dict[str, int]:
    """Per topic, the first offset of its last PRESENCE_TIMEOUT_MS (at most RECENT_CAP records)."""
    query = [TopicPartition(t, 0, last_ms[t] - PRESENCE_TIMEOUT_MS) for t in ranges]
    starts = {t: max(low, high - RECENT_CAP) for t, (low, high) in ranges.items()}
    try:
        for found in consumer.offsets_for_times(query, timeout=timeout):
            if found.error is None and found.offset >= 0 and found.offset != OFFSET_END:
                low, high = ranges[found.topic]
                starts[found.topic] = max(low, high - RECENT_CAP, found.offset)
    except KafkaException:
        pass  # the capped window counts the players just as well
    return starts
