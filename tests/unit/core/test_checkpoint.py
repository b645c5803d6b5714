"""Checkpoints are a cache of the fold: load one and continue, and the world is the plain fold's."""

from __future__ import annotations

import dataclasses

import msgpack
from hypothesis import given, settings
from hypothesis import strategies as st

from game.core.actions import Join
from game.core.checkpoint import (
    CHECKPOINT_FORMAT,
    Checkpoint,
    Unusable,
    decode_checkpoint,
    encode_checkpoint,
    restore,
    take_checkpoint,
)
from game.core.codec import encode, record_key
from game.core.records import Record
from game.core.replica import MatchReplica, all_maps, new_replica
from game.core.rules import RULES_VERSION
from spectator.synth import brawl

MAPS = all_maps()
RECORDS: list[Record] = brawl(players=12, records=3_000, seed=7)


def _fold(replica: MatchReplica, records: list[Record]) -> list[str]:
    hashes = []
    for r in records:
        replica.ingest(r.offset, r.ts, r.key, r.value)
        hashes.append(replica.hash())
    return hashes


def _through_bytes(replica: MatchReplica, ts: int) -> MatchReplica:
    decoded = decode_checkpoint(encode_checkpoint(take_checkpoint(replica, ts)))
    assert isinstance(decoded, Checkpoint)
    restored = restore(decoded, replica.match, MAPS)
    assert isinstance(restored, MatchReplica), restored
    return restored


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=len(RECORDS) - 2))
def test_a_checkpoint_continues_exactly_as_the_plain_fold(cut: int) -> None:
    plain = new_replica("m", MAPS)
    plain_hashes = _fold(plain, RECORDS)
    head = new_replica("m", MAPS)
    _fold(head, RECORDS[: cut + 1])
    resumed = _through_bytes(head, RECORDS[cut].ts)
    assert resumed.offset == RECORDS[cut].offset
    assert resumed.hash() == plain_hashes[cut]
    assert _fold(resumed, RECORDS[cut + 1 :]) == plain_hashes[cut + 1 :]
    assert resumed.summary() == plain.summary()  # counters included: the same headless summary


def test_an_empty_match_checkpoints_too() -> None:
    empty = new_replica("m", MAPS)
    assert _through_bytes(empty, 0).hash() == empty.hash()


def _checkpoint() -> Checkpoint:
    replica = new_replica("m", MAPS)
    _fold(replica, RECORDS[:500])
    return take_checkpoint(replica, RECORDS[499].ts)


def test_a_checkpoint_of_other_rules_or_format_or_match_is_not_used() -> None:
    checkpoint = _checkpoint()
    assert restore(dataclasses.replace(checkpoint, rules=RULES_VERSION + 1), "m", MAPS) == Unusable("rules")
    assert restore(dataclasses.replace(checkpoint, format=CHECKPOINT_FORMAT + 1), "m", MAPS) == Unusable(
        "format"
    )
    assert restore(checkpoint, "other", MAPS) == Unusable("other_match")
    assert restore(checkpoint, "m", {}) == Unusable("unknown_map")


def test_a_checkpoint_whose_state_does_not_match_its_hash_is_not_used() -> None:
    checkpoint = _checkpoint()
    assert restore(dataclasses.replace(checkpoint, world_hash="0" * 16), "m", MAPS) == Unusable(
        "hash_mismatch"
    )
    state = msgpack.unpackb(checkpoint.state, strict_map_key=False)
    state[3][0][6] -= 1  # one player's health
    tampered = dataclasses.replace(checkpoint, state=msgpack.packb(state))
    assert restore(tampered, "m", MAPS) == Unusable("hash_mismatch")


@given(st.binary(max_size=200))
def test_garbage_is_never_a_checkpoint_and_never_raises(value: bytes) -> None:
    decoded = decode_checkpoint(value)
    if isinstance(decoded, Checkpoint):  # well-formed by chance: then its state must hold up
        assert isinstance(restore(decoded, decoded.match, MAPS), Unusable)
    else:
        assert decoded.reason in ("malformed", "format")


def test_a_state_of_the_wrong_shape_is_malformed() -> None:
    checkpoint = _checkpoint()
    for state in (
        b"\xc1",
        msgpack.packb([1, 2]),
        msgpack.packb(["arena", 0, 0, [[1, 2]], [], {}, [], 0, {}, {}, []]),
        msgpack.packb(["arena", 0, 0, [], [], {}, [], 0, {}, {}, []]),  # no rules version
    ):
        assert restore(dataclasses.replace(checkpoint, state=state), "m", MAPS) == Unusable("malformed")


def _versioned(rules: int) -> MatchReplica:
    replica = new_replica("m", MAPS)
    join = Join(7, 1, 0, "ann", 0xFF0000, 0, "arena", rules=rules)
    outcome = replica.ingest(0, 1_000, record_key(7), encode(join))
    assert outcome is not None and outcome.applied
    assert replica.world.rules == rules
    return replica


def test_a_restored_world_keeps_the_matchs_rules_version() -> None:
    replica = _versioned(RULES_VERSION + 1)  # the match's rules, not the reader's
    restored = _through_bytes(replica, 1_000)
    assert restored.world.rules == RULES_VERSION + 1
    assert restored.hash() == replica.hash()
    late = encode(Join(8, 1, 0, "bob", 0x00FF00, 0, "arena", rules=RULES_VERSION))
    for reader in (replica, restored):
        outcome = reader.ingest(1, 1_100, record_key(8), late)
        assert outcome is not None and outcome.reason == "wrong_rules"
    assert restored.hash() == replica.hash()


def test_a_state_whose_rules_version_was_changed_is_not_used() -> None:
    checkpoint = take_checkpoint(_versioned(1), 1_000)
    state = msgpack.unpackb(checkpoint.state, strict_map_key=False)
    for rules, reason in (
        (2, "hash_mismatch"),
        (0, "hash_mismatch"),
        ("1", "malformed"),
        (None, "malformed"),
    ):
        state[-3] = rules  # the world's rules version, before its round state and guard
        tampered = dataclasses.replace(checkpoint, state=msgpack.packb(state))
        assert restore(tampered, "m", MAPS) == Unusable(reason)


def test_derived_state_is_rebuilt_not_trusted() -> None:
    checkpoint = _checkpoint()
    state = msgpack.unpackb(checkpoint.state, strict_map_key=False)
    state[2] = 2**62  # a next timer that would stop every respawn and timeout
    state[5] = {}  # names that would make the next leave raise
    forged = dataclasses.replace(checkpoint, state=msgpack.packb(state))
    restored = restore(forged, "m", MAPS)
    assert isinstance(restored, MatchReplica)
    plain = new_replica("m", MAPS)
    plain_hashes = _fold(plain, RECORDS[:500])
    assert restored.hash() == plain_hashes[-1]
    assert restored.world.names == {p.name: pid for pid, p in restored.world.players.items()}
    assert _fold(restored, RECORDS[500:]) == _fold(plain, RECORDS[500:])


def test_a_checkpoint_of_the_wrong_types_is_malformed_not_a_crash() -> None:
    checkpoint = _checkpoint()
    for mutate in (
        lambda s: s[3][0].__setitem__(1, 7),  # a name that is a number
        lambda s: s[3][0].__setitem__(7, "x"),  # an alive flag that is a string
        lambda s: s[4].pop(),  # items that are not the map's
        lambda s: s.__setitem__(1, "noon"),  # a clock that is not a number
    ):
        state = msgpack.unpackb(checkpoint.state, strict_map_key=False)
        mutate(state)
        broken = dataclasses.replace(checkpoint, state=msgpack.packb(state))
        assert restore(broken, "m", MAPS) == Unusable("malformed")
    assert restore(dataclasses.replace(checkpoint, offset=-5), "m", MAPS) == Unusable("malformed")
