"""What the tests share: run a program and take its summary, read a match log, wait for a condition.

The programs (`python -m game`, `game.bots`, `spectator`, `bench`, ...) run from the repository
root and print a one-line JSON summary last. Waits poll an observable condition with a bound,
and fail with a line that says what never happened.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest

from game.core.records import Record
from game.core.replica import MatchReplica, new_replica
from game.kafka import (
    CompactedTopicReader,
    KafkaSettings,
    KafkaUnavailable,
    MatchReader,
    TopicMissing,
    match_log_range,
)

ROOT = Path(__file__).resolve().parents[1]
# Window programs run headless without a display or a sound card.
HEADLESS_ENV = {"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}

T = TypeVar("T")


def report(config: pytest.Config, line: str) -> None:
    """One line on the terminal, past pytest's output capture."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(line, file=sys.__stderr__, flush=True)
        return
    with capture.global_and_fixture_disabled():
        reporter.ensure_newline()
        if reporter._tw.width_of_current_line:  # e.g. right after a test's progress dot
            reporter.write("\n")
        reporter.write_line(line)


# --- programs ---


def _env(extra: Mapping[str, str] | None) -> dict[str, str] | None:
    return None if extra is None else {**os.environ, **extra}


def start_program(*args: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
    """`python -m <args>` from the repository root, its output piped as text."""
    return subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_program(
    *args: str, timeout: float = 60, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m <args>` from the repository root, to its end (its exit code unchecked)."""
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def last_json(stdout: str) -> dict[str, Any]:
    """A program's summary: the JSON object on the last line of its output."""
    summary: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return summary


def summary_of(proc: subprocess.Popen[str], timeout: float = 60) -> dict[str, Any]:
    """Wait for a started program to end; it must succeed. Returns its summary."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return last_json(out)


def run_summary(*args: str, timeout: float = 60, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Run a program to its end; it must succeed. Returns its summary."""
    done = run_program(*args, timeout=timeout, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return last_json(done.stdout)


# --- match logs ---


def read_log(bootstrap: str, match: str, timeout: float = 60.0) -> list[Record]:
    """Every record of a match's log, from its start to its end as it is now."""
    with MatchReader(KafkaSettings(bootstrap), match) as reader:
        return reader.read_to_end(timeout)


def fold(match: str, records: list[Record]) -> MatchReplica:
    """A fresh replica of the match, with `records` folded in."""
    replica = new_replica(match)
    for record in records:
        replica.ingest(record.offset, record.ts, record.key, record.value)
    return replica


def fold_log(bootstrap: str, match: str) -> MatchReplica:
    """A fresh replica of the match with its whole log (as it is now) folded in; an empty one
    while the match has no topic yet."""
    if log_end(bootstrap, match) == 0:
        return new_replica(match)
    return fold(match, read_log(bootstrap, match))


def log_end(bootstrap: str, match: str) -> int:
    """The offset the match's next record will get; 0 while its topic does not exist."""
    found = match_log_range(KafkaSettings(bootstrap), match)
    return 0 if found is None else found[1]


# --- waits ---


def wait_until(what: str, check: Callable[[], T | None], timeout: float, every: float = 0.1) -> T:
    """Poll `check()` until it returns something true, and return that; fail after `timeout` s.

    `what` names the awaited condition: "timed out after 30s waiting for <what>".
    """
    began = time.monotonic()
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() - began >= timeout:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}", pytrace=False)
        time.sleep(every)


def wait_for_log_end(bootstrap: str, match: str, at_least: int, timeout: float = 30) -> int:
    """Wait until the match's log holds at least `at_least` records; returns its end offset."""

    def reached() -> int | None:
        end = log_end(bootstrap, match)
        return end if end >= at_least else None

    return wait_until(f"{at_least} records in the log of {match}", reached, timeout)


def wait_for_players(bootstrap: str, match: str, names: set[str], timeout: float = 30) -> MatchReplica:
    """Wait until every one of `names` has joined the match (its join is in the log); returns
    the log's fold at that point."""

    def joined() -> MatchReplica | None:
        replica = fold_log(bootstrap, match)
        return replica if names <= replica.world.names.keys() else None

    return wait_until(f"{', '.join(sorted(names))} to join {match}", joined, timeout)


def latest_values(
    bootstrap: str, topic: str, until: Callable[[dict[str, Any]], bool], timeout: float
) -> dict[str, Any]:
    """The latest JSON value per key of a compacted topic, read (committed records only) until
    `until(values)` holds or `timeout` s have passed: the caller checks which. A topic that does
    not exist yet is waited for."""
    latest: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            reader = CompactedTopicReader(KafkaSettings(bootstrap), topic)
        except (TopicMissing, KafkaUnavailable):
            time.sleep(0.2)
            continue
        with reader:
            while time.monotonic() < deadline:
                for record in reader.poll(5_000, 0.5):
                    if record.key is not None and record.value is not None:
                        latest[record.key.decode()] = json.loads(record.value)
                if until(latest):
                    return latest
    return latest


def wait_for_values(
    bootstrap: str, topic: str, what: str, until: Callable[[dict[str, Any]], bool], timeout: float
) -> dict[str, Any]:
    """The latest JSON value per key of a compacted topic, once `until(values)` holds; fails
    after `timeout` s."""
    values = latest_values(bootstrap, topic, until, timeout)
    if not until(values):
        pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}", pytrace=False)
    return values


# --- benchmarks ---

# Every benchmark in a tiny configuration: seconds, not minutes.
TINY_BENCH = {
    "latency": ["--samples", "15", "--rate", "30", "--bots", "3"],
    "replay": ["--actions", "3000", "--replay-players", "4"],
    "load": ["--ladder", "3", "--step-seconds", "2"],
    "wire": [],
    "frames": ["--frames", "10", "--frame-players", "20"],
}
LATENCY_KEYS = ("p50_ms", "p95_ms", "p99_ms", "max_ms")


def run_bench(name: str, bootstrap: str | None) -> dict[str, Any]:
    """`python -m bench NAME` in its tiny configuration, as a user would run it: its one JSON
    line, which names the benchmark and its settings."""
    args = ["bench", name, *TINY_BENCH[name]]
    if bootstrap is not None:
        args += ["--bootstrap", bootstrap]
    done = run_program(*args, timeout=120, env=HEADLESS_ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1, done.stdout
    result: dict[str, Any] = json.loads(lines[0])
    assert result["bench"] == name
    assert "settings" in result
    return result


def assert_percentiles(figures: dict[str, Any], keys: tuple[str, ...]) -> None:
    values = [figures[key] for key in keys]
    assert all(isinstance(v, int | float) and math.isfinite(v) and v >= 0 for v in values), figures
    assert values == sorted(values), figures
