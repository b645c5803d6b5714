"""Three headless player clients in one match on the real broker."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from game.core.actions import Pickup
from game.core.codec import Skipped, decode
from game.core.replica import new_replica
from game.core.world import apply
from game.kafka import KafkaSettings, ensure_match_topic
from tests.helpers import last_json, read_log, run_program, start_program, wait_until

CONTESTED_ITEM = 9  # a fury gem in the middle of the arena


def run_players(
    bootstrap: str, match: str, scripts: dict[str, str], seconds: float
) -> dict[str, dict[str, Any]]:
    common = ["--match", match, "--bootstrap", bootstrap, "--headless", "--seconds", str(seconds)]
    procs = {
        name: start_program("game", "--name", name, *common, "--autopilot", script)
        for name, script in scripts.items()
    }
    summaries = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=seconds + 60)
        assert proc.returncode == 0, f"{name} failed: {err[-2000:]}"
        summaries[name] = last_json(out)
    return summaries


def test_three_players_share_one_world(kafka_bootstrap: str, match_name: str) -> None:
    ensure_match_topic(KafkaSettings(kafka_bootstrap), match_name)
    scripts = {
        "ann": f"goto-item {CONTESTED_ITEM}; grab {CONTESTED_ITEM}; walk west 300; attack",
        "ben": f"goto-item {CONTESTED_ITEM}; grab {CONTESTED_ITEM}; attack; walk east 300",
        "cat": "walk south 500; attack",  # stays by its spawn: never near the contested gem
    }
    summaries = run_players(kafka_bootstrap, match_name, scripts, seconds=9)
    records = read_log(kafka_bootstrap, match_name)

    # Every client's world equals a fresh fold of the same log prefix.
    replica = new_replica(match_name)
    hashes_at = {}
    wanted = {s["offset"] for s in summaries.values()}
    for record in records:
        replica.ingest(record.offset, record.ts, record.key, record.value)
        if record.offset in wanted:
            hashes_at[record.offset] = replica.hash()
    for name, summary in summaries.items():
        assert summary["hash"] == hashes_at[summary["offset"]], name
        assert summary["players"] >= 1

    # Each player's actions are in the log exactly once, in sequence order.
    seqs: dict[int, list[int]] = defaultdict(list)
    for record in records:
        action = decode(record.value, record.key)
        assert not isinstance(action, Skipped)
        seqs[action.pid].append(action.seq)
    for name, summary in summaries.items():
        assert seqs[summary["pid"]] == list(range(1, summary["sent"] + 1)), name

    # The contested item went to exactly one of the two who reached for it.
    world = new_replica(match_name).world
    applied_pickups: list[tuple[int, str]] = []
    refused_pickups: list[tuple[int, str]] = []
    for record in records:
        action = decode(record.value, record.key)
        assert not isinstance(action, Skipped)
        outcome = apply(world, action, record.ts)
        if isinstance(action, Pickup) and action.item == CONTESTED_ITEM:
            (applied_pickups if outcome.applied else refused_pickups).append((action.pid, outcome.reason))
    pids = {summaries["ann"]["pid"], summaries["ben"]["pid"]}
    assert len(applied_pickups) == 1, (applied_pickups, refused_pickups, summaries)
    assert applied_pickups[0][0] in pids
    assert refused_pickups and all(reason == "item_taken" for _, reason in refused_pickups)
    assert {pid for pid, _ in refused_pickups} | {applied_pickups[0][0]} == pids


def test_a_taken_name_is_refused(kafka_bootstrap: str, match_name: str) -> None:
    ensure_match_topic(KafkaSettings(kafka_bootstrap), match_name)
    first = start_program(
        "game", "--name", "dup", "--match", match_name, "--bootstrap", kafka_bootstrap,
        "--headless", "--seconds", "8",
    )  # fmt: skip
    try:
        wait_until("the first player to join", lambda: read_log(kafka_bootstrap, match_name), timeout=15)
        second = run_program(
            "game", "--name", "dup", "--match", match_name, "--bootstrap", kafka_bootstrap,
            "--headless", "--seconds", "6",
        )  # fmt: skip
        assert second.returncode == 2
        assert "'dup' is already playing" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.communicate(timeout=60)
