"""`python -m bench fanout` in a tiny configuration against the suite's broker, as a user runs
it, so the benchmark cannot silently rot: its one line per step must hold sane figures."""

from __future__ import annotations

import json
import math
from typing import Any

from tests.helpers import run_program

FIGURES = ("fetches_per_s", "delivery_p50_ms", "delivery_p99_ms", "producer_rate_ratio", "harness_cpu_pct")


def check(step: dict[str, Any], players: int) -> None:
    assert step["players"] == players
    for key in FIGURES:
        assert isinstance(step[key], int | float) and math.isfinite(step[key]), (key, step)
    assert 0 < step["delivery_p50_ms"] <= step["delivery_p99_ms"] < 1_000
    assert step["delivery_samples"] > 0 and step["delivery_missing"] == 0
    assert step["fetches_per_s"] > 0 and step["fetches_per_s_by_node"]
    assert 0.8 <= step["producer_rate_ratio"] <= 1.05
    assert step["frame_rate_ratio"] > 0.5
    assert step["harness_cpu_pct"] > 0
    # The suite's broker is local: its CPU is read from /proc.
    assert step["broker_cpu_pct"] is None or step["broker_cpu_pct"] >= 0


def test_fanout(kafka_bootstrap: str) -> None:
    done = run_program(
        "bench",
        "fanout",
        "--bootstrap",
        kafka_bootstrap,
        "--players",
        "3",
        "--seconds",
        "3",
        "--warmup",
        "1",
        "--processes",
        "2",
        timeout=150,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1, done.stdout
    result = json.loads(lines[0])
    assert result["bench"] == "fanout" and "error" not in result
    check(result, 3)
    check(result["baseline"], 3)
    assert result["baseline"]["reader_settings"]["fetch.wait.max.ms"] == "100"
    assert not result["cluster"] and result["processes"] == 2
