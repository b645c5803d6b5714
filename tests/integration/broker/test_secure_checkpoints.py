"""In the locked-down broker only the stats processor's principal writes checkpoints, so no
checkpoint but its own can reach a reader; players and spectators read them and start there."""

from __future__ import annotations

import uuid
from pathlib import Path

from confluent_kafka import KafkaError, Producer

from broker.secure import PLAYER, STATS, Credentials, write_client_config
from game.kafka import KafkaSettings
from game.kafka.checkpoints import Start, checkpoint_topic_for, start_of
from tests.helpers import HEADLESS_ENV, last_json, run_program, start_program, wait_until


def _settings(bootstrap: str, user: Credentials) -> KafkaSettings:
    return KafkaSettings(bootstrap, tuple(user.client_settings().items()))


def _with_checkpoint(settings: KafkaSettings, match: str) -> Start | None:
    start = start_of(settings, match)
    return start if start.checkpoint_offset > 0 else None


def test_only_the_processor_writes_checkpoints_and_players_start_from_them(
    secure_bootstrap: str, tmp_path: Path
) -> None:
    match = "c" + uuid.uuid4().hex[:8]
    player_config = str(write_client_config(tmp_path / "player.properties", PLAYER))
    stats_config = str(write_client_config(tmp_path / "stats.properties", STATS))
    kafka = ("--bootstrap", secure_bootstrap)
    played = run_program(
        "game.bots", "--match", match, "--count", "3", "--seconds", "4", *kafka,
        "--kafka-config", player_config, timeout=90,
    )  # fmt: skip
    assert played.returncode == 0, played.stderr[-2000:]
    processor = start_program(
        "game.stats", *kafka, "--kafka-config", stats_config, "--checkpoint-every", "50",
        "--pattern", rf"^arena\.match\.{match}$", "--stats-topic", f"arena.stats.{match}",
    )  # fmt: skip
    try:
        player_settings = _settings(secure_bootstrap, PLAYER)
        start = wait_until(
            "the processor's checkpoint, read by a player",
            lambda: _with_checkpoint(player_settings, match),
            60,
        )
    finally:
        processor.terminate()
        _, err = processor.communicate(timeout=30)
    assert start.note.startswith("from the checkpoint"), err[-2000:]

    # A player cannot write one: the broker refuses, so a forged checkpoint never reaches a reader.
    reports: list[KafkaError | None] = []
    producer = Producer(
        {"bootstrap.servers": secure_bootstrap, **PLAYER.client_settings(), "message.timeout.ms": 10_000}
    )
    topic = checkpoint_topic_for(match)
    producer.produce(topic, b"forged", match.encode(), on_delivery=lambda error, _: reports.append(error))
    producer.flush(20)
    assert len(reports) == 1 and reports[0] is not None
    assert reports[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED

    joined = run_program(
        "game", "--match", match, "--name", "late", "--headless", "--seconds", "3", *kafka,
        "--kafka-config", player_config, env=HEADLESS_ENV, timeout=90,
    )  # fmt: skip
    assert joined.returncode == 0, joined.stderr[-2000:]
    assert last_json(joined.stdout)["checkpoint_offset"] >= start.checkpoint_offset
