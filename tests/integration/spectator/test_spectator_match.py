"""The spectator on real matches: the scripted data/actions.json match, replay, seek, late joiners."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import pytest

from game.core.codec import Skipped, decode
from game.core.replica import new_replica
from spectator.timeline import Timeline
from tests.helpers import fold_log, last_json, read_log, run_program, run_summary, start_program, wait_until


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_program(*args, timeout=120)


Scripted = tuple[str, dict[str, Any]]  # a match name and its scripted players' summary


@pytest.fixture(scope="module")
def scripted_match(kafka_bootstrap: str) -> Scripted:
    """data/actions.json published once for the tests of this module."""
    match = f"script{int(time.time() * 1000) % 10**8}"
    args = ("data/actions.json", "--match", match, "--speed", "4", "--bootstrap", kafka_bootstrap)
    return match, run_summary("game.script", *args, timeout=120)


def test_text_output_of_the_scripted_match(kafka_bootstrap: str, scripted_match: Scripted) -> None:
    match, summary = scripted_match
    printed = run(
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


def test_jsonl_output_of_the_scripted_match(kafka_bootstrap: str, scripted_match: Scripted) -> None:
    match, summary = scripted_match
    printed = run(
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
    records = read_log(kafka_bootstrap, match)
    for row, record in zip(rows, records, strict=True):
        action = decode(record.value, record.key)
        assert not isinstance(action, Skipped)
        assert row["type"] == action.KIND and row["seq"] == action.seq and row["ts"] == record.ts


def test_replay_from_start_at_max_speed_ends_with_the_players_hash(
    kafka_bootstrap: str, scripted_match: Scripted
) -> None:
    match, summary = scripted_match
    shown = run(
        "spectator", "--match", match, "--from-start", "--speed", "max", "--exit-at-end", "--headless",
        "--bootstrap", kafka_bootstrap,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr[-2000:]
    spectator = last_json(shown.stdout)
    # The scripted players read the log to its end before they printed their world.
    assert (spectator["offset"], spectator["hash"]) == (summary["offset"], summary["hash"])


def test_a_seek_to_the_middle_is_a_replay_stopped_there(
    kafka_bootstrap: str, scripted_match: Scripted
) -> None:
    match, _ = scripted_match
    records = read_log(kafka_bootstrap, match)
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
    bots = start_program("game.bots", *common, "--count", "4", "--seconds", "7", "--seed", "3")
    wait_until(
        "the four bots to join",
        lambda: len(fold_log(kafka_bootstrap, match_name).world.players) == 4,
        timeout=30,
    )

    def watch(seconds: float) -> subprocess.Popen[str]:
        return start_program("spectator", *common, "--headless", "--seconds", str(seconds))

    early = watch(13)
    time.sleep(4)  # wall time: the late spectator joins with some 4 s of the 7 s match behind it
    late = watch(9)
    bots_out, bots_err = bots.communicate(timeout=60)
    assert bots.returncode == 0, bots_err[-2000:]
    summaries = []
    for proc in (early, late):
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-2000:]
        summaries.append(last_json(out))
    final = last_json(bots_out)
    assert summaries[0]["offset"] == summaries[1]["offset"] == final["offset"]
    assert summaries[0]["hash"] == summaries[1]["hash"] == final["hash"]
    # The picker lists the match with the players who wrote to it lately and its age.
    listed = run("spectator", "--headless", "--bootstrap", kafka_bootstrap)
    assert listed.returncode == 0, listed.stderr[-2000:]
    row = next(line for line in listed.stdout.splitlines() if line.startswith(match_name + "\t"))
    assert f"{final['offset'] + 1} records\t4 players\t" in row
