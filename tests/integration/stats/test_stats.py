"""The stats processor and the history sink against a real broker.

Bots play two matches while stats processors are killed (SIGKILL), restarted, and joined by
a second one; whatever happened, the stats topic must end up exactly equal to a fresh fold
of the two logs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from game.core.records import Record
from game.core.replica import new_replica
from game.kafka import CompactedTopicReader, KafkaSettings, MatchReader, ensure_match_topic
from game.stats.history import HistorySink, list_history, open_db, write_session
from game.stats.standings import Session, Standing, standings_of_log
from game.stats.topic import (
    alltime_key,
    alltime_value,
    flag_key,
    flag_value,
    match_key,
    match_value,
    player_key,
    player_value,
    session_key,
    session_of,
    session_value,
)

ROOT = Path(__file__).resolve().parents[2]


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def start_bots(bootstrap: str, match: str, seed: int, seconds: float) -> subprocess.Popen:
    return start(
        "game.bots",
        *("--match", match, "--count", "4", "--seconds", str(seconds), "--seed", str(seed)),
        *("--prefix", "p-", "--bootstrap", bootstrap),  # the same names in both matches
    )


def start_stats(bootstrap: str, prefix: str, instance: str) -> subprocess.Popen:
    return start(
        "game.stats",
        *("--bootstrap", bootstrap, "--group", f"stats-{prefix}", "--instance", instance),
        *("--stats-topic", f"arena.stats.{prefix}", "--pattern", rf"^arena\.match\.{prefix}[a-z]$"),
        # A static member that stopped gives its partitions up after this long.
        *("-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=1000"),
    )


def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)  # reaps it and closes its pipes
    if os.environ.get("STATS_TEST_DEBUG"):
        print(err)


def finish(proc: subprocess.Popen, timeout: float = 60) -> str:
    out, err = proc.communicate(timeout=timeout)
    if os.environ.get("STATS_TEST_DEBUG"):
        print(err, out)
    assert proc.returncode == 0, err[-3000:]
    return out


def read_log(bootstrap: str, match: str) -> list[Record]:
    with MatchReader(KafkaSettings(bootstrap), match) as reader:
        return reader.read_to_end()


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
        expected[match_key(match)] = match_value(replica, stats)
    for name, matches_of in per_player.items():
        expected[alltime_key(name)] = alltime_value(name, matches_of)
    return expected


def wait_for_stats(bootstrap: str, topic: str, expected: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """The latest value per key of the stats topic, once it equals `expected` (or at the deadline)."""
    latest: dict[str, Any] = {}
    deadline = time.monotonic() + timeout_s
    with CompactedTopicReader(KafkaSettings(bootstrap), topic) as reader:
        while time.monotonic() < deadline:
            for record in reader.poll(5_000, 0.5):
                if record.key is not None and record.value is not None:
                    latest[record.key.decode()] = json.loads(record.value)
            if latest == expected:
                break
        return latest


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
    try:
        time.sleep(4)
        kill(a)  # mid-stream: maybe mid-transaction
        a = start_stats(kafka_bootstrap, prefix, "a")
        time.sleep(2)
        b = start_stats(kafka_bootstrap, prefix, "b")  # a rebalance: b takes some partitions
        time.sleep(3)
        kill(a)  # again, while b works alongside
        a = start_stats(kafka_bootstrap, prefix, "a")
        time.sleep(2)
        b.send_signal(signal.SIGTERM)  # b leaves; after the session timeout a takes over its partitions
        summary_b = json.loads(finish(b).strip().splitlines()[-1])
        assert summary_b["transactions"] > 0, "b never got any work"
        for proc in bots:
            finish(proc)
        expected = expected_stats(kafka_bootstrap, matches)
        latest = wait_for_stats(kafka_bootstrap, f"arena.stats.{prefix}", expected, 45)
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
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg")}
    runs = []
    for _ in range(2):  # a restart reads the whole topic again
        run = subprocess.run(
            [sys.executable, "-m", "game.history", "--db", str(db), "--stats-topic", topic, "--once"]
            + ["--bootstrap", kafka_bootstrap],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        runs.append(json.loads(run.stdout.strip().splitlines()[-1]))
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


def test_an_idle_guess_is_replaced_by_the_real_end_not_duplicated(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "h.sqlite3")
    open_session = Session("m", "arena", 0, 1_000, 40, 5_000, "", (("ann", Standing(1, 0, 5, 0, 0, 20)),))
    sink = HistorySink(conn, idle_ms=60_000)
    sink.open["m"] = open_session
    sink.check_idle(now_ms=30_000)
    assert list_history(conn) == []
    sink.check_idle(now_ms=70_000)
    sink.check_idle(now_ms=80_000)
    [idle] = list_history(conn)
    assert (idle.ended_by, idle.last_offset, sink.written) == ("idle", 40, 1)
    ended = Session("m", "arena", 0, 1_000, 52, 90_000, "left", (("ann", Standing(2, 0, 10, 0, 0, 40)),))
    assert write_session(conn, ended)
    assert not write_session(conn, ended)  # replayed: nothing changes
    assert not write_session(conn, open_session, "idle")  # an old value seen again: ignored
    [final] = list_history(conn)
    assert (final.ended_by, final.last_offset, final.duration_ms, final.players[0].kills) == (
        "left",
        52,
        89_000,
        2,
    )
