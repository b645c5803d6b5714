"""The spectator's timeline: seeking anywhere gives the world a fresh replay would."""

from __future__ import annotations

import pytest

from game.core.actions import Action, Attack, Join, Move
from game.core.codec import encode, record_key
from game.core.records import Record
from game.core.replica import MatchReplica, new_replica
from game.core.world import Outcome
from spectator import timeline as timeline_module
from spectator.playback import FOREVER, Playback
from spectator.synth import brawl
from spectator.timeline import Timeline

MATCH = "unit"


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return brawl(players=6, records=9_000, seed=7)


def _timeline(records: list[Record]) -> Timeline:
    timeline = Timeline(MATCH)
    for record in records:
        timeline.append(record)
    return timeline


def _ingest(replica: MatchReplica, record: Record) -> None:
    replica.ingest(record.offset, record.ts, record.key, record.value)


def _replay_hash(records: list[Record], upto_ms: float) -> tuple[str, int]:
    replica = new_replica(MATCH)
    for record in records:
        if record.ts > upto_ms:
            break
        _ingest(replica, record)
    return replica.hash(), replica.offset


def test_small_hand_built_log() -> None:
    t0 = 1_000_000
    actions: list[Action] = [
        Join(1, 1, 0, "alice", 0xFF0000, 0, "arena"),
        Join(2, 1, 0, "bob", 0x00FF00, 0, "arena"),
        Move(1, 2, 100, 0, 0, 2),  # into the wall: rejected
        Attack(2, 2, 200, 6),
    ]
    timeline = Timeline(MATCH)
    for i, action in enumerate(actions):
        timeline.append(Record(MATCH, 0, i, t0 + i * 100, record_key(action.pid), encode(action)))
    timeline.append(Record(MATCH, 0, 4, t0 + 400, b"1", b"\xc1"))
    events = timeline.advance_to(t0 + 150)
    assert [type(e).__name__ for e in events] == ["Joined", "Joined"]
    assert timeline.pos == 2
    timeline.advance_all()
    summary = timeline.replica.summary()
    assert summary["rejected"] == {"into_wall": 1}
    assert summary["skipped"] == {"malformed": 1}
    assert summary["offset"] == 4
    assert [m.kind for m in timeline.markers] == ["join", "join"]
    assert timeline.start_ts == t0 and timeline.live_edge_ts == t0 + 400


def test_seek_anywhere_equals_a_fresh_replay(records: list[Record]) -> None:
    timeline = _timeline(records)
    timeline.advance_all()
    assert timeline.replica.hash() == _replay_hash(records, FOREVER)[0]
    start, end = timeline.start_ts, timeline.live_edge_ts
    # Back, forward, across snapshot boundaries and onto exact record times.
    for fraction in (0.5, 0.1, 0.9, 0.0, 0.33, 0.34, 1.0, 0.2):
        ms = start + (end - start) * fraction
        timeline.seek_time(ms)
        assert (timeline.replica.hash(), timeline.replica.offset) == _replay_hash(records, ms)
    exact = records[4_321].ts
    timeline.seek_time(exact)
    assert (timeline.replica.hash(), timeline.replica.offset) == _replay_hash(records, exact)
    assert timeline.stamps[timeline.pos - 1] <= exact < timeline.stamps[timeline.pos]


def test_snapshots_bound_the_work_of_a_seek(records: list[Record], monkeypatch: pytest.MonkeyPatch) -> None:
    timeline = _timeline(records)
    timeline.advance_all()
    every = timeline_module.SNAPSHOT_EVERY
    assert len(timeline._snapshots) == len(records) // every + 1
    folded = 0
    original = MatchReplica.ingest_action

    def counting(self: MatchReplica, offset: int, ts: int, action: Action) -> Outcome:
        nonlocal folded
        folded += 1
        return original(self, offset, ts, action)

    monkeypatch.setattr(MatchReplica, "ingest_action", counting)
    timeline.seek_index(every * 2 + 10)
    monkeypatch.undo()
    assert folded <= 10
    # Counters (applied, rejected) come back with the snapshot, not only the world.
    fresh = _timeline(records)
    for _ in range(every * 2 + 10):
        fresh.step()
    assert timeline.replica.summary() == fresh.replica.summary()


def test_step_applies_one_record_at_a_time(records: list[Record]) -> None:
    timeline = _timeline(records[:50])
    replica = new_replica(MATCH)
    for record in records[:50]:
        timeline.step()
        _ingest(replica, record)
        assert timeline.replica.offset == record.offset
        assert timeline.replica.hash() == replica.hash()
    timeline.step()  # at the end: nothing happens
    assert timeline.pos == 50


def test_markers_are_collected_once_and_navigable(records: list[Record]) -> None:
    timeline = _timeline(records)
    timeline.advance_all()
    kills = [m for m in timeline.markers if m.kind == "kill"]
    joins = [m for m in timeline.markers if m.kind == "join"]
    assert len(joins) == 6 and kills and any(m.kind == "pickup" for m in timeline.markers)
    total = sum(p.kills for p in timeline.replica.world.players.values())
    assert len(kills) == total
    count = len(timeline.markers)
    timeline.seek_time(timeline.start_ts)
    timeline.advance_all()  # folding again adds no duplicates
    assert len(timeline.markers) == count
    middle = kills[len(kills) // 2]
    first = timeline.next_marker(middle.ts - 1, ("kill",))
    assert first is not None and first.ts == middle.ts
    after = timeline.next_marker(middle.ts, ("kill",))
    assert after is not None and after.ts > middle.ts
    before = timeline.prev_marker(middle.ts, ("kill",))
    assert before is not None and before.ts < middle.ts
    assert timeline.prev_marker(timeline.start_ts) is None
    feed = timeline.recent_kills(middle.ts, 5)
    assert len(feed) == 5 and feed[-1].ts == middle.ts
    assert all(a.ts <= b.ts for a, b in zip(feed, feed[1:], strict=False))


def test_out_of_order_timestamps_fold_like_the_reducer() -> None:
    # A record claiming an earlier time is clamped, exactly as the reducer clamps it.
    actions = [Join(1, 1, 0, "alice", 1, 0, "arena"), Join(2, 1, 0, "bob", 2, 0, "arena")]
    records = [
        Record(MATCH, 0, 0, 5_000, b"1", encode(actions[0])),
        Record(MATCH, 0, 1, 4_000, b"2", encode(actions[1])),
    ]
    timeline = Timeline(MATCH)
    for record in records:
        timeline.append(record)
    timeline.advance_all()
    replica = new_replica(MATCH)
    for record in records:
        _ingest(replica, record)
    assert timeline.replica.hash() == replica.hash()
    assert list(timeline.stamps) == [5_000, 5_000]


def test_playback_modes() -> None:
    playback = Playback(live=False, playhead=1_000)
    assert playback.tick(100, 10_000, 5_000, caught_up=True) == 1_100
    playback.faster()
    assert playback.speed == 2
    assert playback.tick(100, 10_000, 5_000, caught_up=True) == 1_300
    playback.toggle_pause()
    assert playback.mode == "PAUSED" and playback.tick(100, 10_000, 5_000, True) == 1_300
    playback.toggle_pause()
    playback.playhead = 4_950
    playback.tick(100, 10_000, 5_000, caught_up=True)  # ran into the present
    assert playback.mode == "LIVE"
    assert playback.tick(16, 10_000, 5_000, caught_up=True) == FOREVER
    for _ in range(10):
        playback.slower()
    assert playback.speed == 0.25
    delayed = Playback(delay_ms=3_000)
    assert delayed.tick(16, 10_000, 9_000, caught_up=True) == 7_000


def test_scouting_ahead_marks_what_a_replay_has_not_reached() -> None:
    records = brawl(players=6, records=6_000, seed=5)
    timeline = Timeline("scout")
    timeline.extend(records)
    assert timeline.next_marker(0) is None  # nothing folded yet, nothing known
    while timeline.scout(700):
        pass
    assert timeline.pos == 0  # the playhead did not move
    kills = [m for m in timeline.markers if m.kind == "kill"]
    assert kills and timeline.next_marker(timeline.start_ts) is not None
    # Playing through afterwards reaches the same world and adds no marker twice.
    known = len(timeline.markers)
    timeline.advance_all()
    assert len(timeline.markers) == known
    fresh = Timeline("scout")
    fresh.extend(records)
    fresh.advance_all()
    assert timeline.replica.hash() == fresh.replica.hash()
    assert [(m.index, m.kind) for m in timeline.markers] == [(m.index, m.kind) for m in fresh.markers]
