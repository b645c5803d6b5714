"""Kafka settings from flags, environment, a --kafka-config file and -X overrides (no broker).

The documented order (README, settings_from_args): bootstrap from --bootstrap, else
$KAFKA_BOOTSTRAP_SERVERS, else localhost:9092; other settings with later sources winning:
the config file, then the security environment variables, then each -X.
"""

from __future__ import annotations

import argparse
import gc
import warnings
from pathlib import Path

import pytest

from game.kafka.settings import (
    DEFAULT_BOOTSTRAP,
    SECURITY_ENVIRONMENT,
    KafkaSettings,
    add_kafka_arguments,
    parse_overrides,
    read_config_file,
    settings_from_args,
)

ENVIRONMENT = ("KAFKA_BOOTSTRAP_SERVERS", "KAFKA_CONFIG_FILE", *SECURITY_ENVIRONMENT)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Kafka variable of the machine running the tests leaks in."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


def parser() -> argparse.ArgumentParser:
    """A parser as every program builds it (after the environment is set: defaults read it)."""
    built = argparse.ArgumentParser(prog="arena")
    add_kafka_arguments(built)
    return built


def settings(*argv: str) -> KafkaSettings:
    return settings_from_args(parser().parse_args(list(argv)))


def config_file(tmp_path: Path, text: str, name: str = "client.properties") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- bootstrap ---


def test_without_flags_or_environment_the_bootstrap_is_localhost() -> None:
    assert settings() == KafkaSettings(DEFAULT_BOOTSTRAP, ())
    assert DEFAULT_BOOTSTRAP == "localhost:9092"


def test_the_environment_bootstrap_is_used_without_the_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "env:9092")
    assert settings().bootstrap == "env:9092"


def test_the_bootstrap_flag_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "env:9092")
    assert settings("--bootstrap", "flag:9092").bootstrap == "flag:9092"


def test_an_empty_environment_bootstrap_falls_back_to_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "")
    assert settings().bootstrap == DEFAULT_BOOTSTRAP


def test_bootstrap_servers_in_the_config_file_is_the_bootstrap_not_an_override(tmp_path: Path) -> None:
    path = config_file(tmp_path, "bootstrap.servers=file:9092\nclient.id=arena\n")
    found = settings("--kafka-config", path)
    assert found.bootstrap == "file:9092"
    assert found.overrides == (("client.id", "arena"),)


def test_bootstrap_servers_given_with_x_beats_the_config_file(tmp_path: Path) -> None:
    path = config_file(tmp_path, "bootstrap.servers=file:9092\n")
    assert settings("--kafka-config", path, "-X", "bootstrap.servers=x:9092").bootstrap == "x:9092"


def test_the_bootstrap_flag_beats_bootstrap_servers_anywhere_else(tmp_path: Path) -> None:
    path = config_file(tmp_path, "bootstrap.servers=file:9092\n")
    found = settings("--bootstrap", "flag:9092", "--kafka-config", path, "-X", "bootstrap.servers=x:9092")
    assert found.bootstrap == "flag:9092"
    assert found.overrides == ()
    assert found.client_config()["bootstrap.servers"] == "flag:9092"


def test_bootstrap_servers_given_with_x_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "env:9092")
    assert settings("-X", "bootstrap.servers=x:9092").bootstrap == "x:9092"


def test_the_environment_bootstrap_beats_bootstrap_servers_in_the_config_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "env:9092")
    path = config_file(tmp_path, "bootstrap.servers=file:9092\n")
    assert settings("--kafka-config", path).bootstrap == "env:9092"


# --- other settings: file, then environment, then -X ---


def test_the_security_environment_becomes_librdkafka_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "arena")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "s3cret")
    monkeypatch.setenv("KAFKA_SSL_CA_LOCATION", "/etc/ca.pem")
    monkeypatch.setenv("KAFKA_SASL_OTHER", "ignored")
    config = settings().client_config()
    assert config == {
        "bootstrap.servers": DEFAULT_BOOTSTRAP,
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "arena",
        "sasl.password": "s3cret",
        "ssl.ca.location": "/etc/ca.pem",
    }


def test_an_empty_security_variable_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "")
    assert settings().overrides == ()


def test_later_sources_win_file_then_environment_then_x(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = config_file(
        tmp_path,
        "security.protocol=SSL\nsasl.username=from-file\nsasl.mechanism=PLAIN\nclient.id=file-only\n",
    )
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "from-env")
    config = settings(
        "--kafka-config", path, "-X", "sasl.username=from-x", "-X", "linger.ms=5"
    ).client_config()
    assert config["security.protocol"] == "SASL_SSL"  # environment over file
    assert config["sasl.username"] == "from-x"  # -X over environment and file
    assert config["sasl.mechanism"] == "PLAIN"  # only in the file
    assert config["client.id"] == "file-only"
    assert config["linger.ms"] == "5"


def test_of_several_x_for_one_key_the_last_wins() -> None:
    config = settings("-X", "acks=1", "-X", "acks=all").client_config()
    assert config["acks"] == "all"


def test_overrides_win_over_what_a_program_asks_for() -> None:
    found = settings("-X", "enable.idempotence=false")
    config = found.client_config(**{"enable.idempotence": True, "acks": "all"})
    assert config["enable.idempotence"] == "false"
    assert config["acks"] == "all"


def test_the_config_file_comes_from_the_environment_unless_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(
        "KAFKA_CONFIG_FILE", config_file(tmp_path, "client.id=from-env-file\n", "env.properties")
    )
    assert settings().overrides == (("client.id", "from-env-file"),)
    flag_file = config_file(tmp_path, "client.id=from-flag-file\n", "flag.properties")
    assert settings("--kafka-config", flag_file).overrides == (("client.id", "from-flag-file"),)


# --- the config file ---


def test_a_config_file_skips_comments_and_blank_lines_and_trims_spaces(tmp_path: Path) -> None:
    path = config_file(
        tmp_path,
        "# SASL for the arena\n\n   \n  # an indented comment\n"
        " security.protocol = SASL_SSL \n"
        "sasl.jaas.config=org.Module required user=a password=b=c;\n"
        "empty.value=\n",
    )
    assert read_config_file(path) == [
        ("security.protocol", "SASL_SSL"),
        ("sasl.jaas.config", "org.Module required user=a password=b=c;"),
        ("empty.value", ""),
    ]


def test_reading_a_config_file_closes_it(tmp_path: Path) -> None:
    path = config_file(tmp_path, "client.id=arena\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert read_config_file(path) == [("client.id", "arena")]
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_an_empty_config_file_has_no_settings(tmp_path: Path) -> None:
    assert read_config_file(config_file(tmp_path, "")) == []


@pytest.mark.parametrize(("line", "number"), [("security.protocol", 2), ("=SASL_SSL", 2), ("   = x", 2)])
def test_a_bad_config_line_names_the_file_and_line(tmp_path: Path, line: str, number: int) -> None:
    path = config_file(tmp_path, f"client.id=arena\n{line}\nacks=all\n")
    with pytest.raises(ValueError, match="expected key=value") as caught:
        read_config_file(path)
    assert str(caught.value).startswith(f"{path}:{number}:")
    assert repr(line.strip()) in str(caught.value)


def test_a_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.properties")
    with pytest.raises(ValueError, match="cannot read the Kafka config file") as caught:
        read_config_file(missing)
    assert missing in str(caught.value)


def test_a_bad_config_file_is_one_usage_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_file(tmp_path, "client.id=arena\noops\n")
    with pytest.raises(SystemExit) as caught:
        parser().parse_args(["--kafka-config", path])
    assert caught.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1
    assert f"{path}:2: expected key=value, got 'oops'" in errors[0]


def test_a_bad_config_file_named_by_the_environment_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KAFKA_CONFIG_FILE", str(tmp_path / "absent.properties"))
    with pytest.raises(SystemExit):
        parser().parse_args([])
    assert "cannot read the Kafka config file" in capsys.readouterr().err


# --- -X overrides ---


def test_overrides_split_at_the_first_equals_sign_and_keep_the_value_as_given() -> None:
    assert parse_overrides(["a=1", " b =two words", "c=x=y", "d="]) == (
        ("a", "1"),
        ("b", "two words"),
        ("c", "x=y"),
        ("d", ""),
    )
    assert parse_overrides([]) == ()


@pytest.mark.parametrize("item", ["novalue", "=value", "  =value", ""])
def test_an_override_without_a_key_is_refused(item: str) -> None:
    with pytest.raises(ValueError, match="-X wants KEY=VALUE") as caught:
        parse_overrides(["good=1", item])
    assert repr(item) in str(caught.value)


def test_a_bad_x_is_one_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        parser().parse_args(["-X", "acks"])
    assert caught.value.code == 2
    assert "-X wants KEY=VALUE, got 'acks'" in capsys.readouterr().err


def test_the_unreachable_message_names_the_bootstrap_and_the_way_out() -> None:
    message = KafkaSettings("far:9092").unreachable()
    assert "far:9092" in message and "--bootstrap" in message


# --- the readers' fetches ---


def test_readers_fetch_once_a_frame_however_busy_the_match() -> None:
    from game.kafka.settings import reader_config

    config = reader_config(KafkaSettings("127.0.0.1:9092"))
    # A minimum no frame's records reach: the broker holds each fetch for its wait, so a
    # reader costs it at most 1000 / wait fetches a second, and the wait is under a frame.
    assert config["fetch.min.bytes"] >= 1 << 20
    assert 0 < config["fetch.wait.max.ms"] < 1000 / 60
    # No fetch while fetched records wait for the window's poll; the next one right after it.
    assert config["queued.min.messages"] == 1
    assert config["fetch.queue.backoff.ms"] <= 2
    overridden = reader_config(KafkaSettings("127.0.0.1:9092", (("fetch.wait.max.ms", "100"),)))
    assert overridden["fetch.wait.max.ms"] == "100"  # -X still wins
