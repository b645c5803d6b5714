"""Friends join a hosted game over TLS with what the host command printed; the broker trusts
no one else: a certificate from another CA, a missing CA file and a spectator's writes are
each refused, the first two with one line that says what to fix."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from confluent_kafka import KafkaError, Producer

from broker.lan import ensure_tls
from broker.secure import PLAYER, SPECTATOR
from game.kafka import KafkaSettings, ensure_match_topic, read_config_file
from tests.helpers import HEADLESS_ENV, ROOT, last_json, run_program
from tests.integration.lan.conftest import HOST, Hosted


def settings_of(config: Path) -> dict[str, str]:
    return dict(read_config_file(str(config)))


def test_the_host_command_prints_what_friends_run(hosted: Hosted) -> None:
    assert hosted.bootstrap == f"{HOST}:{hosted.broker.port}"
    assert hosted.play[:3] == ["game", "--bootstrap", hosted.bootstrap]
    assert hosted.watch[:3] == ["spectator", "--bootstrap", hosted.bootstrap]
    player, spectator = settings_of(hosted.config("player")), settings_of(hosted.config("spectator"))
    for settings, user in ((player, PLAYER), (spectator, SPECTATOR)):
        assert settings["security.protocol"] == "SASL_SSL"
        assert settings["sasl.mechanism"] == "SCRAM-SHA-256"
        assert settings["sasl.username"] == user.username
        assert settings["sasl.password"] != user.password  # never the fixed development one
        assert len(settings["sasl.password"]) >= 20
        # The CA certificate sits beside them, named relative to the repository root: where it
        # is in the host's clone is where a friend puts it in theirs.
        assert settings["ssl.ca.location"] == str((hosted.broker.join_dir / "ca.pem").relative_to(ROOT))
    # Nothing secret of the host's is in the folder friends get.
    assert sorted(p.name for p in hosted.broker.join_dir.iterdir()) == [
        "ca.pem",
        "player.properties",
        "spectator.properties",
    ]


def test_a_friend_plays_and_another_watches_over_tls(hosted: Hosted) -> None:
    match = "lan" + uuid.uuid4().hex[:8]
    played = run_program(
        *hosted.play, "--name", "ann", "--match", match, "--headless", "--seconds", "10",
        "--autopilot", "walk east 600; walk west 600; attack",
        env=HEADLESS_ENV, timeout=90,
    )  # fmt: skip
    assert played.returncode == 0, played.stderr[-2000:]
    summary = last_json(played.stdout)
    assert summary["state"] == "left", summary
    assert summary["applied"] >= 3 and summary["delivered"] == summary["sent"], summary

    # The spectator's command as printed lists the matches (headless: no picker window)...
    listed = run_program(*hosted.watch, "--headless", env=HEADLESS_ENV, timeout=60)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert match in listed.stdout
    # ...and follows one: every action the player wrote, read back through TLS.
    watched = run_program(
        *hosted.watch, "--match", match, "--from-start", "--exit-at-end", "--text",
        env=HEADLESS_ENV, timeout=60,
    )  # fmt: skip
    assert watched.returncode == 0, watched.stderr[-2000:]
    assert "ann joined" in watched.stdout and "ann left" in watched.stdout


def test_a_spectator_cannot_write(hosted: Hosted) -> None:
    player = KafkaSettings(hosted.bootstrap, tuple(read_config_file(str(hosted.config("player")))))
    topic = ensure_match_topic(player, "lan" + uuid.uuid4().hex[:8])
    reports: list[KafkaError | None] = []
    producer = Producer(
        {
            "bootstrap.servers": hosted.bootstrap,
            **settings_of(hosted.config("spectator")),
            "message.timeout.ms": 10_000,
        }
    )
    producer.produce(topic, b"x", b"1", on_delivery=lambda err, msg: reports.append(err))
    producer.flush(20)
    assert len(reports) == 1 and reports[0] is not None
    assert reports[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED


def one_line(stderr: str, marker: str) -> str:
    """The one line of a program's error output that carries `marker`; no traceback."""
    lines = [line for line in stderr.splitlines() if marker in line]
    assert len(lines) == 1, stderr[-3000:]
    assert "Traceback" not in stderr
    return lines[0]


def test_a_certificate_from_another_ca_gets_one_line(hosted: Hosted, tmp_path: Path) -> None:
    keytool = shutil.which("keytool")
    if keytool is None:
        pytest.skip("no keytool")
    # Another host's CA (say, last week's game): it never signed this broker's certificate.
    other = ensure_tls(tmp_path / "other", [HOST], keytool)
    config = tmp_path / "player.properties"
    settings = {**settings_of(hosted.config("player")), "ssl.ca.location": str(other.ca_pem)}
    config.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    result = run_program(
        "game", "--bootstrap", hosted.bootstrap, "--kafka-config", str(config),
        "--name", "eve", "--headless", "--seconds", "4", env=HEADLESS_ENV, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    line = one_line(result.stderr, "ssl.ca.location")
    assert f"Kafka at {hosted.bootstrap} has a TLS certificate this client does not trust" in line
    assert f"ssl.ca.location is {other.ca_pem}" in line


def test_a_missing_ca_file_gets_one_line(hosted: Hosted, tmp_path: Path) -> None:
    missing = tmp_path / "ca.pem"
    result = run_program(
        "game.bots", "--bootstrap", hosted.bootstrap, "--kafka-config", str(hosted.config("player")),
        "-X", f"ssl.ca.location={missing}", "--count", "1", "--seconds", "2", timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    line = one_line(result.stderr, "ssl.ca.location")
    assert line.startswith(f"error: cannot read the CA certificate ssl.ca.location={missing}")
