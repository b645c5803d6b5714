"""A locked-down broker: SASL/SCRAM logins and ACLs. Players write, spectators only read."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from confluent_kafka import KafkaError, Producer

from broker.secure import PLAYER, SPECTATOR, Credentials, write_client_config
from game.core.actions import Ping
from game.core.codec import encode, record_key
from game.kafka import KafkaSettings, MatchReader, ensure_match_topic
from tests.helpers import run_program


def settings_for(bootstrap: str, user: Credentials) -> KafkaSettings:
    return KafkaSettings(bootstrap, tuple(user.client_settings().items()))


def test_a_player_plays_and_a_spectator_watches(secure_bootstrap: str, tmp_path: Path) -> None:
    match = "s" + uuid.uuid4().hex[:8]
    player_config = write_client_config(tmp_path / "player.properties", PLAYER)
    spectator_config = write_client_config(tmp_path / "spectator.properties", SPECTATOR)
    played = run_program(
        "game.bots", "--match", match, "--count", "2", "--seconds", "3",
        "--bootstrap", secure_bootstrap, "--kafka-config", str(player_config),
        timeout=90,
    )  # fmt: skip
    assert played.returncode == 0, played.stderr[-2000:]
    watched = run_program(
        "spectator", "--match", match, "--from-start", "--exit-at-end", "--text",
        "--bootstrap", secure_bootstrap, "--kafka-config", str(spectator_config),
        timeout=90,
    )  # fmt: skip
    assert watched.returncode == 0, watched.stderr[-2000:]
    assert "joined" in watched.stdout


def test_a_spectator_cannot_write(secure_bootstrap: str) -> None:
    match = "s" + uuid.uuid4().hex[:8]
    topic = ensure_match_topic(settings_for(secure_bootstrap, PLAYER), match)
    # The spectator can read the match...
    with MatchReader(settings_for(secure_bootstrap, SPECTATOR), match) as reader:
        assert reader.end_offset() == 0
    # ...but every record it tries to write is refused by the broker.
    reports: list[KafkaError | None] = []
    producer = Producer(
        {"bootstrap.servers": secure_bootstrap, **SPECTATOR.client_settings(), "message.timeout.ms": 10_000}
    )
    producer.produce(
        topic, encode(Ping(5, 1, 0)), record_key(5), on_delivery=lambda err, msg: reports.append(err)
    )
    producer.flush(20)
    assert len(reports) == 1 and reports[0] is not None
    assert reports[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    # Nor can it create a match.
    with pytest.raises(Exception, match="(?i)authoriz"):
        ensure_match_topic(settings_for(secure_bootstrap, SPECTATOR), "s" + uuid.uuid4().hex[:8])


def test_a_wrong_password_gets_one_clear_line(secure_bootstrap: str, tmp_path: Path) -> None:
    config = write_client_config(
        tmp_path / "bad.properties", Credentials(PLAYER.username, "not-the-password")
    )
    result = run_program(
        "game.bots", "--match", "nope", "--count", "1", "--seconds", "2",
        "--bootstrap", secure_bootstrap, "--kafka-config", str(config),
        timeout=90,
    )  # fmt: skip
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1
    assert "refused us" in lines[0] and "Authentication failed" in lines[0]
    assert "Traceback" not in result.stderr
