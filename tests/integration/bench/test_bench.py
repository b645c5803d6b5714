"""Every benchmark in a tiny configuration, so `python -m bench` cannot silently rot.

Each runs as `python -m bench NAME --bootstrap ...` in a subprocess, as a user would, and
its one JSON line must hold the keys that make results comparable run to run.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

TINY = {
    "latency": ["--samples", "15", "--rate", "30", "--bots", "3"],
    "replay": ["--actions", "3000", "--replay-players", "4"],
    "load": ["--ladder", "3", "--step-seconds", "2"],
    "wire": [],
    "frames": ["--frames", "10", "--frame-players", "20"],
}
KINDS = ("join", "move", "attack", "pickup", "use", "ping", "leave")


def run_bench(name: str, bootstrap: str | None) -> dict[str, Any]:
    argv = [sys.executable, "-m", "bench", name, *TINY[name]]
    if bootstrap is not None:
        argv += ["--bootstrap", bootstrap]
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1, done.stdout
    result = json.loads(lines[0])
    assert result["bench"] == name
    assert "settings" in result
    return result


def assert_percentiles(figures: dict[str, Any], keys: tuple[str, ...]) -> None:
    values = [figures[key] for key in keys]
    assert all(isinstance(v, int | float) and math.isfinite(v) and v >= 0 for v in values), figures
    assert values == sorted(values), figures


LATENCY_KEYS = ("p50_ms", "p95_ms", "p99_ms", "max_ms")


@pytest.mark.integration
def test_latency(kafka_bootstrap: str) -> None:
    result = run_bench("latency", kafka_bootstrap)
    for figures in (result, result["idle"]):
        assert_percentiles(figures, LATENCY_KEYS)
        assert_percentiles(figures["baseline"], LATENCY_KEYS)
        assert figures["p50_ms"] > 0 and figures["ratio_p50"] > 0
        assert figures["samples"] > 0 and figures["missing"] == 0
    assert result["bots"] == 3 and result["bots_ready"]


@pytest.mark.integration
def test_replay(kafka_bootstrap: str) -> None:
    result = run_bench("replay", kafka_bootstrap)
    assert result["actions"] == 3000
    for key in ("actions_per_s", "baseline_per_s", "fold_only_per_s", "ratio"):
        assert result[key] > 0, key
    # The generator plays by the rules: (almost) everything it wrote is applied.
    assert result["applied"] >= 0.99 * result["actions"]
    assert result["fold_only_applied_matches"]


@pytest.mark.integration
def test_load(kafka_bootstrap: str) -> None:
    result = run_bench("load", kafka_bootstrap)
    (step,) = result["steps"]
    assert step["bots"] == 3 and step["all_joined"]
    assert step["actions_per_s"] > 0
    assert step["sent"] > 0 and step["lost"] == 0 and step["all_arrived"]
    assert 0 <= step["lag_p50_ms"] <= step["lag_p99_ms"] <= step["lag_max_ms"]
    assert step["baseline"]["lag_p50_ms"] <= step["baseline"]["lag_p99_ms"]
    assert step["cpu_pct"]["bench"] is not None and step["rss_mb"]["bench"] > 0
    assert result["bots"] in (0, 3)
    for key in ("actions_per_s", "lag_p99_ms"):
        assert key in result


def test_wire() -> None:
    result = run_bench("wire", None)
    for kind in KINDS:
        assert 0 < result["msgpack_bytes"][kind] < result["json_bytes"][kind], kind
    # The codec's promise: a move is a couple of dozen bytes, plus its 8-byte token.
    assert result["msgpack_bytes_unsigned"]["move"] < 30
    assert result["msgpack_bytes"]["move"] <= result["msgpack_bytes_unsigned"]["move"] + 10


def test_frames() -> None:
    result = run_bench("frames", None)
    assert result["what"]
    assert_percentiles(result, LATENCY_KEYS)
    assert_percentiles(result["baseline"], LATENCY_KEYS)
    assert result["p50_ms"] > 0 and result["samples"] == 10
