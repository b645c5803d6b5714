"""A match recorded by an earlier version keeps replaying to the same world."""

from __future__ import annotations

from pathlib import Path

import msgpack

from game.core.codec import decode
from game.recording import load_recording, replay

RECORDING = Path(__file__).resolve().parents[2] / "data" / "recorded" / "demo-v1-v2.msgpack"
# The world hash this recording folds to (the data/actions.json match). It changes only when
# the rules keep more state (it did once: ids that left became part of the world), never
# when the wire format gains a version.
KNOWN_HASH = "39781dafa733a069"


def test_recording_holds_both_schema_versions() -> None:
    versions = set()
    for _, _, _, value in load_recording(RECORDING):
        raw = msgpack.unpackb(value)
        versions.add(raw["v"] if isinstance(raw, dict) else raw[0])
    assert versions == {1, 2}


def test_recorded_match_replays_to_its_known_hash() -> None:
    replica = replay(load_recording(RECORDING))
    assert replica.hash() == KNOWN_HASH
    assert replica.skipped == {}
    assert replica.applied > 500


def test_old_records_upgrade_to_current_actions() -> None:
    records = load_recording(RECORDING)
    old = [(key, value) for _, _, key, value in records if isinstance(msgpack.unpackb(value), dict)]
    assert old, "the recording should start in the old format"
    kinds = {decode(value, key).KIND for key, value in old}
    assert {"join", "move", "pickup"} <= kinds
