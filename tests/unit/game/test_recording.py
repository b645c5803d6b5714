"""A match recorded by an earlier version keeps replaying to the same world."""

from __future__ import annotations

from pathlib import Path

import msgpack

from game.core.codec import Skipped, decode
from game.recording import load_recording, replay, save_recording
from tests.helpers import ROOT

RECORDING = ROOT / "data" / "recorded" / "demo-v1-v2.msgpack"
# The world hash this recording folds to (the data/actions.json match). It changes only when
# the rules keep more state (it did once: ids that left became part of the world), never
# when the wire format gains a version.
KNOWN_HASH = "39781dafa733a069"


def test_recording_holds_both_schema_versions() -> None:
    versions = set()
    for record in load_recording(RECORDING):
        raw = msgpack.unpackb(record.value)
        versions.add(raw["v"] if isinstance(raw, dict) else raw[0])
    assert versions == {1, 2}


def test_recorded_match_replays_to_its_known_hash() -> None:
    replica = replay(load_recording(RECORDING))
    assert replica.hash() == KNOWN_HASH
    assert replica.skipped == {}
    assert replica.applied > 500


def test_old_records_upgrade_to_current_actions() -> None:
    records = load_recording(RECORDING)
    old = [decode(r.value, r.key) for r in records if isinstance(msgpack.unpackb(r.value), dict)]
    assert old, "the recording should start in the old format"
    kinds = {action.KIND for action in old if not isinstance(action, Skipped)}
    assert {"join", "move", "pickup"} <= kinds
    assert not any(isinstance(action, Skipped) for action in old)


def test_a_saved_recording_loads_back_byte_for_byte(tmp_path: Path) -> None:
    records = load_recording(RECORDING)
    copy = tmp_path / "copy.msgpack"
    save_recording(copy, records)
    assert copy.read_bytes() == RECORDING.read_bytes()
    assert load_recording(copy) == records
