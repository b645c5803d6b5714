"""The spectator on real matches: the scripted data/actions.json match, replay, seek, late joiners."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from game.core.codec import Skipped, decode
from game.core.records import Record
from game.core.replica import new_replica
from game.kafka import KafkaSettings, MatchReader
from spectator.timeline import Timeline

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def read_all(bootstrap: str, match: str) -> list[Record]:
    with MatchReader(KafkaSettings(bootstrap), match) as reader:
        return reader.read_to_end()


@pytest.fixture(scope="module")
def scripted_match(kafka_bootstrap: str) -> tuple[str, dict]:
    """data/actions.json published once for the tests of this module."""
    match = f"script{int(time.time() * 1000) % 10**8}"
    done = run(
        "-m",
        "game.script",
        "data/actions.json",
        "--match",
        match,
        "--speed",
        "4",
        "--bootstrap",
        kafka_bootstrap,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return match, json.loads(done.stdout.strip().splitlines()[-1])


def test_text_output_of_the_scripted_match(kafka_bootstrap: str, scripted_match: tuple[str, dict]) -> None:
    match, summary = scripted_match
    printed = run(
        "-m",
        "spectator",
        "--match",
        match,
        "--from-start",
        "--exit-at-end",
        "--text",
        "--bootstrap",
        kafka_bootstrap,
    )
    assert printed.returncode == 0, printed.stderr[-2000:]
    numbered = [line.split()[1] for line in printed.stdout.splitlines() if line.split()[1].startswith("#")]
    # A readable line for every record, in log order, like the original console consumer
    # (kills and respawns get lines of their own after the action that caused them).
    assert numbered == [f"#{offset}" for offset in range(summary["offset"] + 1)]
    text = printed.stdout
    for name in ("alice", "bob", "carol"):
        assert f"{name} joined" in text
        assert f"{name} left" in text
    assert " moved " in text and "attacked" in text and "collected" in text


def test_jsonl_output_of_the_scripted_match(kafka_bootstrap: str, scripted_match: tuple[str, dict]) -> None:
    match, summary = scripted_match
    printed = run(
        "-m",
        "spectator",
        "--match",
        match,
        "--from-start",
        "--exit-at-end",
        "--jsonl",
        "--bootstrap",
        kafka_bootstrap,
    )
    assert printed.returncode == 0, printed.stderr[-2000:]
    rows = [json.loads(line) for line in printed.stdout.splitlines()]
    assert [row["offset"] for row in rows] == list(range(summary["offset"] + 1))
    assert {row["type"] for row in rows} >= {"join", "move", "attack", "pickup", "leave"}
    records = read_all(kafka_bootstrap, match)
    for row, record in zip(rows, records, strict=True):
        action = decode(record.value, record.key)
        assert not isinstance(action, Skipped)
        assert row["type"] == action.KIND and row["seq"] == action.seq and row["ts"] == record.ts


def test_replay_from_start_at_max_speed_ends_with_the_players_hash(
    kafka_bootstrap: str, scripted_match: tuple[str, dict]
) -> None:
    match, summary = scripted_match
    shown = run(
        "-m", "spectator", "--match", match, "--from-start", "--speed", "max", "--exit-at-end", "--headless",
        "--bootstrap", kafka_bootstrap,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr[-2000:]
    spectator = json.loads(shown.stdout.strip().splitlines()[-1])
    # The scripted players read the log to its end before they printed their world.
    assert (spectator["offset"], spectator["hash"]) == (summary["offset"], summary["hash"])


def test_a_seek_to_the_middle_is_a_replay_stopped_there(
    kafka_bootstrap: str, scripted_match: tuple[str, dict]
) -> None:
    match, _ = scripted_match
    records = read_all(kafka_bootstrap, match)
    timeline = Timeline(match)
    timeline.extend(records)
    timeline.advance_all()
    middle_ts = records[len(records) // 2].ts
    timeline.seek_time(middle_ts)
    fresh = new_replica(match)
    for record in records:
        if record.ts > middle_ts:
            break
        fresh.ingest(record.offset, record.ts, record.key, record.value)
    assert timeline.replica.hash() == fresh.hash()
    assert timeline.replica.offset == fresh.offset


def test_a_spectator_joining_mid_match_converges(kafka_bootstrap: str, match_name: str) -> None:
    common = ["--match", match_name, "--bootstrap", kafka_bootstrap]
    bots = subprocess.Popen(
        [sys.executable, "-m", "game.bots", *common, "--count", "4", "--seconds", "7", "--seed", "3"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1)

    def watch(seconds: float) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "spectator", *common, "--headless", "--seconds", str(seconds)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    early = watch(13)
    time.sleep(4)
    late = watch(9)
    bots_out, bots_err = bots.communicate(timeout=60)
    assert bots.returncode == 0, bots_err[-2000:]
    summaries = []
    for proc in (early, late):
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-2000:]
        summaries.append(json.loads(out.strip().splitlines()[-1]))
    final = json.loads(bots_out.strip().splitlines()[-1])
    assert summaries[0]["offset"] == summaries[1]["offset"] == final["offset"]
    assert summaries[0]["hash"] == summaries[1]["hash"] == final["hash"]
    # The picker lists the match with the players who wrote to it lately and its age.
    listed = run("-m", "spectator", "--headless", "--bootstrap", kafka_bootstrap)
    assert listed.returncode == 0, listed.stderr[-2000:]
    row = next(line for line in listed.stdout.splitlines() if line.startswith(match_name + "\t"))
    assert f"{final['offset'] + 1} records\t4 players\t" in row
