"""`python -m game` opens the title screen unless --match or --name says where to play."""

from __future__ import annotations

from pathlib import Path

import pytest

from game.__main__ import parse_args
from game.play import parse_args as play_args


@pytest.fixture(autouse=True)
def _config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))


def test_no_match_and_no_name_opens_the_title_screen() -> None:
    args = parse_args([])
    assert args.title and args.match == "main"


def test_match_or_name_skips_it() -> None:
    assert not parse_args(["--match", "m1"]).title
    named = parse_args(["--name", "alice"])
    assert not named.title and named.match == "main" and named.name == "alice"


def test_a_remembered_name_is_the_default_name(tmp_path: Path) -> None:
    (tmp_path / "kafka-arena").mkdir()
    (tmp_path / "kafka-arena" / "profile.json").write_text('{"name": "zed"}')
    assert parse_args(["--match", "m1"]).name == "zed"


def test_a_bad_title_script_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--title-script", "dance"])
    assert "--title-script" in capsys.readouterr().err
    assert [s.verb for s in parse_args(["--title-script", "type a; key enter"]).title_steps] == [
        "type",
        "key",
    ]


def test_make_play_leaves_match_and_name_to_the_title_screen() -> None:
    args = play_args([])
    assert args.match is None and args.name is None
