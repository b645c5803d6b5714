"""The remembered name: in $XDG_CONFIG_HOME/kafka-arena/profile.json, never fatal."""

from __future__ import annotations

from pathlib import Path

import pytest

from game.window.profile import login_name, profile_path, remember_name, remembered_name, valid_name


def test_a_name_is_remembered_in_the_config_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert remembered_name() is None
    assert remember_name("alice")
    assert profile_path() == tmp_path / "kafka-arena" / "profile.json"
    assert remembered_name() == "alice"


def test_a_broken_or_odd_profile_is_no_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    path = tmp_path / "kafka-arena" / "profile.json"
    path.parent.mkdir(parents=True)
    for text in ("{not json", '["alice"]', '{"name": 3}', '{"name": ""}', '{"name": "' + "x" * 40 + '"}'):
        path.write_text(text)
        assert remembered_name() is None


def test_an_unwritable_profile_is_not_remembered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocker))  # a file where a directory should be
    assert not remember_name("alice")


def test_without_xdg_the_home_config_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert profile_path() == tmp_path / ".config" / "kafka-arena" / "profile.json"


def test_the_login_name_is_a_valid_player_name() -> None:
    assert valid_name(login_name())
    assert not valid_name(" padded ")
