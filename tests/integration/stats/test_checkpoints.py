"""Checkpoints against a real broker: written by the processor in its transactions, used by every
reader, never torn by a crash, never trusted over the log, and refused under other rules."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import time

from confluent_kafka import Consumer, TopicPartition

from game.agent.player import PlayerAgent
from game.core.checkpoint import Checkpoint, decode_checkpoint, encode_checkpoint, restore, take_checkpoint
from game.core.codec import encode, record_key
from game.core.replica import MatchReplica, all_maps
from game.core.rules import RULES_VERSION
from game.kafka import ActionProducer, KafkaSettings, ensure_match_topic, reader_config
from game.kafka.checkpoints import Start, checkpoint_topic_for, ensure_checkpoint_topic, start_of
from tests.helpers import (
    HEADLESS_ENV,
    fold,
    last_json,
    read_log,
    run_program,
    start_program,
    summary_of,
    wait_until,
)

MAPS = all_maps()


def _processor(bootstrap: str, match: str, every: int) -> subprocess.Popen[str]:
    return start_program(
        "game.stats",
        "--bootstrap",
        bootstrap,
        "--pattern",
        rf"^arena\.match\.{match}$",
        "--group",
        f"g-{match}",
        "--instance",
        f"i-{match}",
        "--stats-topic",
        f"arena.stats.{match}",
        "--checkpoint-every",
        str(every),
    )


def _stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> None:
    proc.send_signal(sig)
    proc.communicate(timeout=30)


def _bots(bootstrap: str, match: str, seconds: int, seed: int) -> subprocess.Popen[str]:
    return start_program(
        "game.bots", "--bootstrap", bootstrap, "--match", match, "--count", "4", "--seconds", str(seconds),
        "--seed", str(seed),
    )  # fmt: skip


def _start_at_least(settings: KafkaSettings, match: str, offset: int) -> Start | None:
    start = start_of(settings, match)
    return start if start.checkpoint_offset >= offset else None


def _start_without_checkpoint(settings: KafkaSettings, match: str) -> Start | None:
    start = start_of(settings, match)
    return start if start.checkpoint_offset < 0 else None


def _every_checkpoint(bootstrap: str, match: str) -> list[bytes]:
    """Every checkpoint a read_committed reader can see, oldest first."""
    topic = checkpoint_topic_for(match)
    settings = KafkaSettings(bootstrap)
    consumer = Consumer(reader_config(settings, **{"isolation.level": "read_committed"}))
    try:
        _, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        consumer.assign([TopicPartition(topic, 0, 0)])
        values: list[bytes] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                if consumer.position([TopicPartition(topic, 0)])[0].offset >= high:
                    break
                continue
            value = message.value()
            if message.error() is None and value is not None:
                values.append(value)
        return values
    finally:
        consumer.close()


def test_readers_start_from_the_processors_checkpoint_and_agree_with_the_log(
    kafka_bootstrap: str, match_name: str
) -> None:
    processor = _processor(kafka_bootstrap, match_name, 60)
    try:
        summary_of(_bots(kafka_bootstrap, match_name, 6, 11), timeout=60)
        end = len(read_log(kafka_bootstrap, match_name))
        start = wait_until(
            "a checkpoint near the end of the log",
            lambda: _start_at_least(KafkaSettings(kafka_bootstrap), match_name, end - 60),
            # It ran out (at 30 s, then 60) when the processor had died: on a fresh broker it read
            # the stats topic it had just created as having 0 partitions (fixed in ensure_topic).
            timeout=60,
        )
    finally:
        _stop(processor)
    assert start.checkpoint_offset > 0

    # Every checkpoint is the log's own fold at its offset.
    records = read_log(kafka_bootstrap, match_name)
    checkpoints = []
    for value in _every_checkpoint(kafka_bootstrap, match_name):
        checkpoint = decode_checkpoint(value)
        assert isinstance(checkpoint, Checkpoint)
        folded = fold(match_name, [r for r in records if r.offset <= checkpoint.offset])
        assert checkpoint.world_hash == folded.hash()
        checkpoints.append(checkpoint)

    # Seeking by time finds the last checkpoint at or before the moment (Kafka's time index).
    assert len(checkpoints) >= 3
    settings = KafkaSettings(kafka_bootstrap)
    middle = checkpoints[len(checkpoints) // 2]
    earlier = checkpoints[len(checkpoints) // 2 - 1]
    assert start_of(settings, match_name, before_ts=middle.ts).checkpoint_offset == middle.offset
    assert start_of(settings, match_name, before_ts=middle.ts - 1).checkpoint_offset == earlier.offset
    assert start_of(settings, match_name, before_ts=checkpoints[0].ts - 1).checkpoint_offset == -1

    # A player joins from it, checks it against the log, and ends in the log's world.
    player = run_program(
        "game", "--bootstrap", kafka_bootstrap, "--match", match_name, "--name", "late", "--headless",
        "--seconds", "3", "--verify-checkpoint", env=HEADLESS_ENV, timeout=60,
    )  # fmt: skip
    assert player.returncode == 0, player.stderr[-2000:]
    joined = last_json(player.stdout)
    assert joined["checkpoint_verified"] == "agrees"
    assert joined["checkpoint_offset"] >= start.checkpoint_offset

    # A live spectator from the checkpoint holds only what follows it, and the log's world.
    spectator = run_program(
        "spectator", "--bootstrap", kafka_bootstrap, "--match", match_name, "--headless", "--seconds", "3",
        env=HEADLESS_ENV, timeout=60,
    )  # fmt: skip
    assert spectator.returncode == 0, spectator.stderr[-2000:]
    seen = last_json(spectator.stdout)
    everything = fold(match_name, read_log(kafka_bootstrap, match_name))
    assert seen["checkpoint_offset"] >= start.checkpoint_offset
    assert seen["records"] < len(records)  # it did not keep the whole match
    assert (seen["offset"], seen["hash"]) == (everything.offset, everything.hash())


def test_a_killed_processor_leaves_no_torn_or_uncommitted_checkpoint(
    kafka_bootstrap: str, match_name: str
) -> None:
    bots = _bots(kafka_bootstrap, match_name, 12, 5)
    try:
        for _ in range(3):  # killed mid-stream, over and over, while checkpoints are written
            processor = _processor(kafka_bootstrap, match_name, 25)
            time.sleep(2.5)  # wall time for it to write a few transactions before the kill
            _stop(processor, signal.SIGKILL)
        summary_of(bots, timeout=60)
    finally:
        if bots.poll() is None:
            bots.kill()
    values = _every_checkpoint(kafka_bootstrap, match_name)
    assert values, "no checkpoint was committed"
    records = read_log(kafka_bootstrap, match_name)
    offsets = []
    for value in values:
        checkpoint = decode_checkpoint(value)
        assert isinstance(checkpoint, Checkpoint)
        restored = restore(checkpoint, match_name, MAPS)
        assert isinstance(restored, MatchReplica), restored
        folded = fold(match_name, [r for r in records if r.offset <= checkpoint.offset])
        assert folded.hash() == checkpoint.world_hash == restored.hash()
        offsets.append(checkpoint.offset)
    assert offsets == sorted(offsets)


def test_a_checkpoint_that_disagrees_with_its_own_state_is_not_used(
    kafka_bootstrap: str, match_name: str
) -> None:
    settings = KafkaSettings(kafka_bootstrap)
    summary_of(_bots(kafka_bootstrap, match_name, 3, 2), timeout=60)
    replica = fold(match_name, read_log(kafka_bootstrap, match_name))
    forged = dataclasses.replace(take_checkpoint(replica, replica.world.clock), world_hash="0" * 16)
    topic = ensure_checkpoint_topic(settings, match_name)
    with ActionProducer(settings) as producer:  # anyone who may write the topic (no ACLs here)
        assert producer.send(topic, match_name.encode(), encode_checkpoint(forged))
    start = wait_until("the forged checkpoint", lambda: _start_without_checkpoint(settings, match_name), 20)
    assert start.note == "checkpoint not used (hash_mismatch): folding from the start"
    assert (start.next_offset, start.replica.offset) == (0, -1)


def test_a_client_under_other_rules_refuses_to_join(kafka_bootstrap: str, match_name: str) -> None:
    settings = KafkaSettings(kafka_bootstrap)
    topic = ensure_match_topic(settings, match_name)
    newer = PlayerAgent("future", "arena")
    join = dataclasses.replace(newer.join(), rules=RULES_VERSION + 1)
    with ActionProducer(settings) as producer:  # a client of the next version made this match
        assert producer.send(topic, record_key(join.pid), encode(join))
    player = run_program(
        "game", "--bootstrap", kafka_bootstrap, "--match", match_name, "--name", "old", "--headless",
        "--seconds", "10", env=HEADLESS_ENV, timeout=60,
    )  # fmt: skip
    assert player.returncode == 2
    refusal = [line for line in player.stderr.splitlines() if "rules" in line]
    assert refusal == [
        f"match {match_name!r} is played under rules v{RULES_VERSION + 1}, this client has rules "
        f"v{RULES_VERSION}: update Kafka Arena (git pull) or play another match"
    ], player.stderr[-2000:]
    log = read_log(kafka_bootstrap, match_name)
    assert len(log) == 1  # it never wrote a join into a world it would fold differently
