"""The spectator against a real broker: text lines, JSON lines, and a headless window run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from game.core.actions import Action, Attack, Join, Leave, Move, UseItem
from game.core.codec import encode, record_key
from game.core.replica import new_replica
from game.kafka import ActionProducer, KafkaSettings, ensure_match_topic
from tests.helpers import HEADLESS_ENV, fold_log, last_json, run_program

ALICE, BOB = 11, 22


def _actions() -> list[Action]:
    # Where the reducer will spawn them (spawns do not depend on time), to move legally.
    replica = new_replica("probe")
    joins = [
        Join(ALICE, 1, 0, "alice", 0xE04040, 1, "arena"),
        Join(BOB, 1, 0, "bob", 0x4080E0, 1, "arena"),
    ]
    for i, join in enumerate(joins):
        replica.ingest(i, 1_000, record_key(join.pid), encode(join))
    alice = replica.world.players[ALICE]
    return [
        *joins,
        Move(ALICE, 2, 100, alice.x + 64, alice.y, 2),
        Attack(BOB, 2, 120, 6),
        UseItem(ALICE, 3, 150),  # nothing to drink: rejected
        Leave(BOB, 3, 200),
    ]


def _produce(bootstrap: str, match: str) -> list[tuple[bytes, bytes]]:
    settings = KafkaSettings(bootstrap)
    topic = ensure_match_topic(settings, match)
    records = [(record_key(a.pid), encode(a)) for a in _actions()]
    records.insert(3, (b"11", b"\xc1 not msgpack"))
    producer = ActionProducer(settings)
    for key, value in records:
        assert producer.send(topic, key, value)
    assert producer.flush(30) == 0
    return records


def _spectator(*args: str, bootstrap: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return run_program("spectator", *args, "--bootstrap", bootstrap, timeout=timeout, env=HEADLESS_ENV)


def test_text_lines(kafka_bootstrap: str, match_name: str) -> None:
    _produce(kafka_bootstrap, match_name)
    args = ("--match", match_name, "--from-start", "--exit-at-end", "--text")
    result = _spectator(*args, bootstrap=kafka_bootstrap)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("#0 alice joined") and lines[0].startswith("[00:00.")
    assert lines[1].endswith("#1 bob joined")
    assert "#2 alice moved east to (" in lines[2]
    assert lines[3].endswith("#3 skipped record at offset 3: malformed")
    assert lines[4].endswith("#4 bob attacked west: missed")
    assert lines[5].endswith("#5 alice used a potion REJECTED (nothing_to_use)")
    assert lines[6].endswith("#6 bob left")
    assert len(lines) == 7
    assert "Traceback" not in result.stderr


def test_json_lines(kafka_bootstrap: str, match_name: str) -> None:
    records = _produce(kafka_bootstrap, match_name)
    args = ("--match", match_name, "--from-start", "--exit-at-end", "--jsonl")
    result = _spectator(*args, bootstrap=kafka_bootstrap)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["offset"] for row in rows] == list(range(len(records)))
    assert [row["type"] for row in rows] == [
        "join",
        "join",
        "move",
        "skipped",
        "attack",
        "use",
        "leave",
    ]
    join = rows[0]
    assert join["player"] == "alice" and join["applied"] is True
    assert join["events"] == [{"event": "Joined", "pid": ALICE, "name": "alice"}]
    assert rows[3]["reason"] == "malformed"
    assert rows[5]["applied"] is False and rows[5]["reason"] == "nothing_to_use"
    assert rows[6]["events"][0]["event"] == "Left"
    assert all(row["ts"] >= rows[0]["ts"] for row in rows)


def test_live_text_prints_only_what_comes_after(kafka_bootstrap: str, match_name: str) -> None:
    _produce(kafka_bootstrap, match_name)
    # Live and already at the end: nothing new to print, and it ends at once.
    result = _spectator("--match", match_name, "--exit-at-end", "--text", bootstrap=kafka_bootstrap)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def test_headless_window_matches_a_direct_fold(kafka_bootstrap: str, match_name: str, tmp_path: Path) -> None:
    _produce(kafka_bootstrap, match_name)
    shot = tmp_path / "spectator.png"
    args = ("--match", match_name, "--from-start", "--speed", "max", "--exit-at-end")
    result = _spectator(*args, "--headless", "--screenshot", str(shot), bootstrap=kafka_bootstrap)
    assert result.returncode == 0, result.stderr
    summary = last_json(result.stdout)

    expected = fold_log(kafka_bootstrap, match_name).summary()
    for key in ("match", "offset", "hash", "applied", "rejected", "skipped"):
        assert summary[key] == expected[key], key
    assert summary["frames"] > 0 and summary["lag_records"] == 0

    import pygame

    image = pygame.image.load(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = image.get_size()
    assert (width, height) == (960, 694)
    colours = {image.get_at((x, y))[:3] for x in range(0, width, 37) for y in range(0, height, 29)}
    assert len(colours) > 50


@pytest.mark.parametrize("mode", ["--text", "--headless"])
def test_unreachable_kafka_exits_2_with_one_line(mode: str) -> None:
    # Nothing listens on port 1: no broker needed for this one.
    args = ("--match", "nobody-here", "--exit-at-end", mode)
    result = _spectator(*args, bootstrap="127.0.0.1:1", timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and "not reachable at 127.0.0.1:1" in errors[0]
