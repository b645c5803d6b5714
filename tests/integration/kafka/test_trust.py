"""Forged actions and garbage on a real match topic: every reader rejects or skips them alike."""

from __future__ import annotations

import os

import msgpack
from confluent_kafka import Producer

from game.core.actions import Action, Leave, Move
from game.core.codec import encode, encode_v1, record_key
from game.kafka import KafkaSettings, ensure_match_topic, topic_for
from tests.helpers import fold, fold_log, last_json, read_log, start_program, wait_until

GARBAGE = [
    b"",
    os.urandom(40),
    b"\xdd\xff\xff\xff\xff",  # an array32 header asking for four billion elements
    b"\xdb\xff\xff\xff\xff",  # a str32 header asking for four gigabytes
    msgpack.packb([0x32, 1, 1, 1, 1]),  # a move with fields missing
    msgpack.packb([0x32, 1, True, 1, 5, 5, 0, b"12345678"]),  # a bool where an int belongs
    msgpack.packb([0x3F, 1, 1, 1]),  # an unknown action type
    msgpack.packb([9, 2, 1, 1, 1]),  # an unknown schema version
    msgpack.packb(
        {"v": 1, "type": "move", "player": 1, "seq": 1, "t": 0, "x": float("nan"), "y": 1.0, "dir": "north"}
    ),
    msgpack.packb(["x" * 60] * 16),
    b"\x95" + b"\xcc" * 300,  # over the record size limit
]


def test_forged_actions_and_garbage_are_refused_by_every_reader(
    kafka_bootstrap: str, match_name: str
) -> None:
    settings = KafkaSettings(kafka_bootstrap)
    topic = ensure_match_topic(settings, match_name)
    player = start_program(
        "game", "--name", "victim", "--match", match_name, "--bootstrap", kafka_bootstrap,
        "--headless", "--seconds", "8", "--autopilot", "wait 2500; walk east 400; wait 2000; walk west 400",
    )  # fmt: skip
    try:
        victim = wait_until(
            "the player to join",
            lambda: next(iter(fold_log(kafka_bootstrap, match_name).world.players.values()), None),
            timeout=20,
        )

        # A raw producer, not the project's edge, writes as the victim: a teleport, a leave
        # and a replay of a token that is already in the log. None of them carries a token
        # from the victim's secret chain.
        raw = Producer({"bootstrap.servers": kafka_bootstrap})
        key = record_key(victim.pid)
        forged: list[Action] = [
            Move(victim.pid, victim.seq + 1, 10, victim.x + 16, victim.y, 2, b"\x00" * 8),
            Leave(victim.pid, victim.seq + 2, 20, os.urandom(8)),
            Leave(victim.pid, victim.seq + 3, 30),  # unsigned
        ]
        for action in forged:
            raw.produce(topic, encode(action), key)
        for junk in GARBAGE:
            raw.produce(topic, junk, b"junk")
        raw.produce(topic, encode_v1(Move(victim.pid, victim.seq + 9, 40, victim.x, victim.y, 0)), key)
        assert raw.flush(10) == 0
    finally:
        out, err = player.communicate(timeout=60)
    assert player.returncode == 0, err[-2000:]
    summary = last_json(out)

    # The victim played on: its own actions after the forgeries were applied.
    replica = fold_log(kafka_bootstrap, match_name)
    assert replica.rejected["forged"] == len(forged) + 1  # + the unsigned version 1 move
    assert sum(replica.skipped.values()) == len(GARBAGE)
    assert {"empty", "malformed", "bad_field", "unknown_type", "unknown_version", "too_large"} <= set(
        replica.skipped
    )
    # The player's client, a reader too, saw the same and agrees on the world.
    assert summary["rejected"].get("forged") == len(forged) + 1
    assert summary["skipped"] == dict(sorted(replica.skipped.items()))
    assert summary["state"] == "left"
    records = read_log(kafka_bootstrap, match_name)
    prefix = fold(match_name, [record for record in records if record.offset <= summary["offset"]])
    assert prefix.hash() == summary["hash"]
    assert topic == topic_for(match_name)


def test_a_rebuilt_producer_resends_without_doubling_any_action(
    kafka_bootstrap: str, match_name: str
) -> None:
    """What a fatal idempotence error triggers: a new producer re-sends all not acknowledged."""
    from game.agent.player import PlayerAgent
    from game.kafka import ActionProducer

    settings = KafkaSettings(kafka_bootstrap)
    topic = ensure_match_topic(settings, match_name)
    producer = ActionProducer(settings)
    agent = PlayerAgent("phoenix", "arena", chain_length=1024)
    actions: list[Action] = [agent.join()]
    for _ in range(300):
        agent._last_sent_ms = -1e9  # a heartbeat every time, so each call yields an action
        ping = agent.heartbeat(None)
        assert ping is not None
        actions.append(ping)
    for index, action in enumerate(actions):
        assert producer.send(topic, record_key(action.pid), encode(action))
        if index == 150:
            producer.rebuild()  # mid-stream, with records still in flight
    assert producer.flush(20) == 0
    assert producer.rebuilds == 1

    replica = fold_log(kafka_bootstrap, match_name)
    player = replica.world.players[agent.pid]
    # Every action reached the log and was applied exactly once, in order; a record that
    # was written twice (sent again after the rebuild) is refused by its sequence number.
    assert player.seq == len(actions)
    assert replica.applied == len(actions)
    assert set(replica.rejected) <= {"duplicate"}
