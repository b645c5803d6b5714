"""The benchmarks that need a broker, in a tiny configuration, so `python -m bench` cannot silently rot.

Each runs as `python -m bench NAME --bootstrap ...` in a subprocess, as a user would, and
its one JSON line must hold the keys that make results comparable run to run. Those that
need no broker (wire, frames) are in tests/unit/bench.
"""

from __future__ import annotations

from tests.helpers import LATENCY_KEYS, assert_percentiles, run_bench


def test_latency(kafka_bootstrap: str) -> None:
    result = run_bench("latency", kafka_bootstrap)
    for figures in (result, result["idle"]):
        assert_percentiles(figures, LATENCY_KEYS)
        assert_percentiles(figures["baseline"], LATENCY_KEYS)
        assert figures["p50_ms"] > 0 and figures["ratio_p50"] > 0
        assert figures["samples"] > 0 and figures["missing"] == 0
    assert result["bots"] == 3 and result["bots_ready"]


def test_replay(kafka_bootstrap: str) -> None:
    result = run_bench("replay", kafka_bootstrap)
    assert result["actions"] == 3000
    for key in ("actions_per_s", "baseline_per_s", "fold_only_per_s", "ratio"):
        assert result[key] > 0, key
    # The generator plays by the rules: (almost) everything it wrote is applied.
    assert result["applied"] >= 0.99 * result["actions"]
    assert result["fold_only_applied_matches"]


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
