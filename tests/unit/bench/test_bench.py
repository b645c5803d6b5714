"""The benchmarks that need no broker, in a tiny configuration, so `python -m bench` cannot silently rot.

Each runs as `python -m bench NAME` in a subprocess, as a user would, and its one JSON line
must hold the keys that make results comparable run to run. The others are in
tests/integration/bench.
"""

from __future__ import annotations

from tests.helpers import LATENCY_KEYS, assert_percentiles, run_bench

KINDS = ("join", "move", "attack", "pickup", "use", "ping", "leave")


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
