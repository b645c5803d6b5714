"""The stats processor and the history sink against a real broker.

Bots play two matches while stats processors are killed (SIGKILL), restarted, and joined by
a second one; whatever happened, the stats topic must end up exactly equal to a fresh fold
of the two logs.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka.admin import AdminClient

from game.core.replica import new_replica
from game.kafka import KafkaSettings, ensure_match_topic
from game.stats.history import list_history
from game.stats.standings import Standing, standings_of_log
from game.stats.topic import (
    alltime_key,
    alltime_value,
    flag_key,
    flag_value,
    match_key,
    match_value,
    player_key,
    player_value,
    round_key,
    round_value,
    session_key,
    session_of,
    session_value,
)
from tests.helpers import (
    last_json,
    latest_values,
    log_end,
    read_log,
    run_program,
    start_program,
    wait_for_values,
    wait_until,
)


def start_bots(bootstrap: str, match: str, seed: int, seconds: float) -> subprocess.Popen[str]:
    return start_program(
        "game.bots",
        *("--match", match, "--count", "4", "--seconds", str(seconds), "--seed", str(seed)),
        *("--prefix", "p-", "--bootstrap", bootstrap),  # the same names in both matches
    )


def start_stats(bootstrap: str, prefix: str, instance: str) -> subprocess.Popen[str]:
    return start_program(
        "game.stats",
        *("--bootstrap", bootstrap, "--group", f"stats-{prefix}", "--instance", instance),
        *("--stats-topic", f"arena.stats.{prefix}", "--pattern", rf"^arena\.match\.{prefix}[a-z]$"),
        # A static member that stopped gives its partitions up after this long.
        *("-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000"),
    )


def kill(proc: subprocess.Popen[str], sig: int = signal.SIGKILL) -> None:
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)  # reaps it and closes its pipes
    if os.environ.get("STATS_TEST_DEBUG"):
        print(err)


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> str:
    out, err = proc.communicate(timeout=timeout)
    if os.environ.get("STATS_TEST_DEBUG"):
        print(err, out)
    assert proc.returncode == 0, err[-3000:]
    return out


def expected_stats(bootstrap: str, matches: list[str]) -> dict[str, Any]:
    """Every key of the stats topic, folded straight from the logs."""
    expected: dict[str, Any] = {}
    per_player: dict[str, dict[str, Standing]] = {}
    for match in matches:
        replica = new_replica(match)
        stats = standings_of_log(match, read_log(bootstrap, match), replica)
        for name, standing in stats.standings().items():
            expected[player_key(match, name)] = player_value(match, name, standing)
            per_player.setdefault(name, {})[match] = standing
            flag = stats.flag(name)
            if flag is not None:
                expected[flag_key(match, name)] = flag_value(flag)
        for session in stats.drain()[2]:
            expected[session_key(match, session.first_offset)] = session_value(session)
        for result in stats.drain_rounds():
            expected[round_key(match, result.round_no)] = round_value(result)
        expected[match_key(match)] = match_value(replica, stats)
    for name, matches_of in per_player.items():
        expected[alltime_key(name)] = alltime_value(name, matches_of)
    return expected


def wait_for_stats(bootstrap: str, topic: str, expected: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """The latest value per key of the stats topic, once it equals `expected` (or at the deadline)."""
    return latest_values(bootstrap, topic, lambda latest: latest == expected, timeout_s)


def folded_to(ends: dict[str, int]) -> Callable[[dict[str, Any]], bool]:
    """Whether the stats topic's values hold each match's log folded up to `ends[match]`."""
    return lambda values: all(
        values.get(match_key(match), {}).get("offset", -1) >= end - 1 for match, end in ends.items()
    )


def wait_for_fold(bootstrap: str, topic: str, what: str, ends: dict[str, int], timeout: float = 45) -> None:
    """Wait until the stats processors have folded (and committed) each match up to its end in `ends`."""
    wait_for_values(bootstrap, topic, what, folded_to(ends), timeout)


def assigned(bootstrap: str, group: str) -> dict[str, int]:
    """Per member of a stats group (by --instance), how many partitions it holds."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    [described] = admin.describe_consumer_groups([group], request_timeout=10).values()
    return {
        member.group_instance_id or member.member_id: len(member.assignment.topic_partitions)
        for member in described.result().members
    }


def test_standings_are_exact_across_kills_restarts_and_rebalances(
    kafka_bootstrap: str, match_name: str
) -> None:
    prefix = match_name
    matches = [prefix + "a", prefix + "b"]
    settings = KafkaSettings(kafka_bootstrap)
    for match in matches:
        ensure_match_topic(settings, match)
    bots = [start_bots(kafka_bootstrap, match, seed, 12) for match, seed in zip(matches, (3, 4), strict=True)]
    a = start_stats(kafka_bootstrap, prefix, "a")
    b = None
    stats_topic = f"arena.stats.{prefix}"
    try:
        # a folds both matches: the kill lands mid-stream (maybe mid-transaction).
        wait_for_fold(kafka_bootstrap, stats_topic, "a to fold both matches", dict.fromkeys(matches, 1))
        kill(a)
        a = start_stats(kafka_bootstrap, prefix, "a")
        ends = {match: log_end(kafka_bootstrap, match) for match in matches}
        wait_for_fold(kafka_bootstrap, stats_topic, "the restarted a to fold on", ends)
        b = start_stats(kafka_bootstrap, prefix, "b")  # a rebalance: b takes some partitions
        group = f"stats-{prefix}"
        wait_until("b to take partitions", lambda: assigned(kafka_bootstrap, group).get("b"), 60, every=0.5)
        kill(a)  # again, while b works alongside
        a = start_stats(kafka_bootstrap, prefix, "a")
        ends = {match: log_end(kafka_bootstrap, match) for match in matches}
        wait_for_fold(kafka_bootstrap, stats_topic, "a, restarted again, and b to fold on", ends)
        b.send_signal(signal.SIGTERM)  # b leaves; after the session timeout a takes over its partitions
        summary_b = last_json(finish(b))
        assert summary_b["transactions"] > 0, "b never got any work"
        for proc in bots:
            finish(proc)
        expected = expected_stats(kafka_bootstrap, matches)
        latest = wait_for_stats(kafka_bootstrap, stats_topic, expected, 45)
        a.send_signal(signal.SIGTERM)
        finish(a)
    finally:
        for still in (a, b, *bots):
            if still is not None and still.returncode is None:
                kill(still)
    assert {k for k in latest if k not in expected} == set()
    assert {k for k in expected if k not in latest} == set()
    for key in sorted(expected):
        assert latest[key] == expected[key], key
    # The matches were real: both had players in them, and the same names played both.
    alltime = [v for k, v in expected.items() if k.startswith("alltime/")]
    assert len(alltime) == 4 and all(v["matches"] == 2 for v in alltime)
    assert sum(v["pickups"] + v["damage_dealt"] for v in alltime) > 0


def test_history_writes_each_finished_match_once(
    kafka_bootstrap: str, match_name: str, tmp_path: Path
) -> None:
    match = match_name + "h"
    ensure_match_topic(KafkaSettings(kafka_bootstrap), match)
    stats = start_stats(kafka_bootstrap, match_name, "h")
    try:
        finish(start_bots(kafka_bootstrap, match, 5, 4))
        expected = expected_stats(kafka_bootstrap, [match])
        topic = f"arena.stats.{match_name}"
        assert wait_for_stats(kafka_bootstrap, topic, expected, 30) == expected
    finally:
        stats.send_signal(signal.SIGTERM)
        finish(stats)
    [written] = [v for k, v in expected.items() if "/session/" in k]
    db = tmp_path / "history.sqlite3"
    runs = []
    for _ in range(2):  # a restart reads the whole topic again
        run = run_program(
            "game.history", "--db", str(db), "--stats-topic", topic, "--once", "--bootstrap", kafka_bootstrap,
            env={"XDG_DATA_HOME": str(tmp_path / "xdg")},
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        runs.append(last_json(run.stdout))
    assert [r["written"] for r in runs] == [1, 0]
    [record] = list_history(db)
    session = session_of(written)
    assert session is not None
    assert (record.match, record.first_offset, record.last_offset) == (
        match,
        0,
        len(read_log(kafka_bootstrap, match)) - 1,
    )
    assert record.ended_by == "left" and record.duration_ms == session.last_ts - session.first_ts > 0
    assert [p.player for p in record.players] == [name for name, _ in session.players]
    assert [(p.kills, p.deaths, p.score, p.pickups) for p in record.players] == [
        (s.kills, s.deaths, s.score, s.pickups) for _, s in session.players
    ]
