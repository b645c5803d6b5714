"""The title screen on a real broker, headless and driven by --title-script: the list shows a
match bots are playing (its map, its players), joining it, creating one on a chosen map, and
a taken name said on the screen."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from game.core.actions import Join
from game.core.codec import decode
from game.window.title_state import NAME
from tests.helpers import HEADLESS_ENV, read_log, run_program, start_program, wait_for_log_end


@pytest.fixture
def bots(kafka_bootstrap: str, match_name: str) -> Iterator[str]:
    """Two bots (tb01, tb02) playing `match_name` on the crossroads map."""
    proc = start_program(
        "game.bots", "--match", match_name, "--count", "2", "--prefix", "tb", "--map", "crossroads",
        "--seconds", "40", "--bootstrap", kafka_bootstrap,
    )  # fmt: skip
    try:
        wait_for_log_end(kafka_bootstrap, match_name, 20)
        yield match_name
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def title_run(
    bootstrap: str, tmp_path: Path, script: str, seconds: float, shot: str
) -> tuple[list[dict[str, Any]], subprocess.CompletedProcess[str]]:
    """`python -m game` with no --match: the title screen, driven; its JSON lines and the run."""
    env = {**HEADLESS_ENV, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = run_program(
        "game", "--bootstrap", bootstrap, "--headless", "--seconds", str(seconds),
        "--title-script", script, "--title-screenshot", str(tmp_path / f"{shot}-title.png"),
        "--screenshot", str(tmp_path / f"{shot}-game.png"),
        timeout=seconds + 60, env=env,
    )  # fmt: skip
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return lines, done


def test_the_list_shows_a_match_bots_play_and_enter_joins_it(
    kafka_bootstrap: str, bots: str, tmp_path: Path
) -> None:
    script = f"type alice; until-listed {bots}; wait 2500; select {bots}; key enter"
    lines, done = title_run(kafka_bootstrap, tmp_path, script, 14, "join")
    assert done.returncode == 0, done.stderr[-2000:]
    title, player = lines[0], lines[-1]
    assert title["screen"] == "title"
    listed = {m["match"]: m for m in title["listed"]}
    assert listed[bots]["map"] == "crossroads"
    assert listed[bots]["players"] == 2
    assert set(listed[bots]["names"]) == {"tb01", "tb02"}
    assert listed[bots]["running_s"] >= 0
    assert title["choice"] == {"match": bots, "name": "alice", "map": "crossroads", "created": False}
    assert (player["match"], player["name"]) == (bots, "alice")
    assert player["players"] >= 3 and player["pid"]
    profile = json.loads((tmp_path / "config" / "kafka-arena" / "profile.json").read_text())
    assert profile == {"name": "alice"}  # offered next time
    assert (tmp_path / "join-title.png").stat().st_size > 10_000


def test_create_a_new_match_on_a_chosen_map_with_the_mouse(
    kafka_bootstrap: str, match_name: str, tmp_path: Path
) -> None:
    new = match_name + "-new"
    script = f"type bob; select new; type {new}; click map-next; click create"
    lines, done = title_run(kafka_bootstrap, tmp_path, script, 8, "create")
    assert done.returncode == 0, done.stderr[-2000:]
    title, player = lines[0], lines[-1]
    assert title["choice"] == {"match": new, "name": "bob", "map": "crossroads", "created": True}
    assert (player["match"], player["name"]) == (new, "bob")
    first = decode(read_log(kafka_bootstrap, new)[0].value)
    assert isinstance(first, Join)
    assert (first.name, first.map_name) == ("bob", "crossroads")  # the first join names the map


def test_a_taken_name_is_said_on_the_title_screen_which_keeps_working(
    kafka_bootstrap: str, bots: str, tmp_path: Path
) -> None:
    script = f"type tb01; until-listed {bots}; select {bots}; key enter"
    lines, done = title_run(kafka_bootstrap, tmp_path, script, 10, "taken")
    assert done.returncode == 0, done.stderr[-2000:]
    screens = [line for line in lines if line.get("screen") == "title"]
    assert len(screens) == 2  # the title, the refused join, the title again
    assert screens[0]["choice"]["name"] == "tb01"
    again = screens[1]
    assert again["choice"] is None and again["cursor"] == NAME
    assert again["message"] == f"The name 'tb01' is already playing in '{bots}': type another name"
    assert again["frames"] > 10  # it kept drawing until the run's time was up
    assert not (tmp_path / "config" / "kafka-arena" / "profile.json").exists()  # a refused name is not kept


def test_an_unreachable_broker_is_said_on_the_screen(tmp_path: Path) -> None:
    lines, done = title_run("127.0.0.1:1", tmp_path, "type carol", 4, "away")
    title = lines[-1]
    assert title["screen"] == "title" and title["frames"] > 10
    assert title["broker_error"].startswith(
        "Kafka is not reachable at 127.0.0.1:1: start one with `make broker`"
    )
    assert done.returncode == 2  # headless: nothing was played, and why is on stderr
    assert "not reachable" in done.stderr
