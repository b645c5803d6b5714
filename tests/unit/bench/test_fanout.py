"""The pure parts of `python -m bench fanout`: arguments, the spread over processes, the fetch
counts from librdkafka statistics and the figures of a step (no broker)."""

from __future__ import annotations

import json

import pytest

from bench.fanout import (
    OLD_READER_SETTINGS,
    WorkerReport,
    build_parser,
    delivery_ms,
    fetch_counts,
    fetch_rates,
    librdkafka_ticks,
    machine_percent,
    parse_players,
    processes_for,
    spread,
    step_figures,
)


def test_players_parse_and_refuse_what_cannot_be_a_step() -> None:
    assert parse_players("10,40,80,120") == [10, 40, 80, 120]
    assert parse_players(" 2 ") == [2]
    for bad in ("", "ten", "1", "10,0"):
        with pytest.raises(ValueError):
            parse_players(bad)


def test_arguments_and_reader_settings() -> None:
    args = build_parser().parse_args(
        ["--players", "4", "--reader-setting", "fetch.wait.max.ms=8", "--reader-setting", "fetch.min.bytes=1"]
    )
    assert args.reader_settings == [("fetch.wait.max.ms", "8"), ("fetch.min.bytes", "1")]
    assert args.seconds == 20 and not args.cluster and not args.no_baseline
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--reader-setting", "novalue"])
    # The baseline is what readers shipped before: a fetch answered by any new record.
    assert dict(OLD_READER_SETTINGS)["fetch.min.bytes"] == "1"
    assert dict(OLD_READER_SETTINGS)["fetch.wait.max.ms"] == "100"


def test_processes_and_spread() -> None:
    assert processes_for(10, 0) == 2
    assert processes_for(120, 0) == 8
    assert processes_for(40, 0) == 3
    assert processes_for(3, 8) == 3  # never more processes than players
    deal = spread(7, 3)
    assert sorted(i for part in deal for i in part) == list(range(7))
    # Each player's ring neighbour (whose reader times it) is in another process.
    where = {i: w for w, part in enumerate(deal) for i in part}
    assert all(where[i] != where[(i + 1) % 7] for i in range(6))


def stats(fetches: dict[int, int]) -> str:
    brokers = {
        f"127.0.0.1:{9000 + n}/{n}": {"nodeid": n, "req": {"Fetch": c, "Produce": 5}}
        for n, c in fetches.items()
    }
    brokers["127.0.0.1:9000/bootstrap"] = {"nodeid": -1, "req": {"Fetch": 0}}
    return json.dumps({"brokers": brokers})


def test_fetch_counts_per_node_from_statistics() -> None:
    assert fetch_counts(stats({1: 120, 2: 30})) == {"1": 120, "2": 30}
    assert fetch_counts("not json") == {}


def test_fetch_rates_use_the_samples_inside_the_window() -> None:
    samples = [
        (0.5, {"1": 0}),
        (1.0, {"1": 10}),
        (2.0, {"1": 70}),
        (3.0, {"1": 130, "2": 40}),
        (9.0, {"1": 999}),
    ]
    assert fetch_rates(samples, 1.0, 3.5) == {"1": 60.0, "2": 20.0}
    assert fetch_rates(samples[:1], 0.0, 1.0) == {}


def test_delivery_is_send_to_the_first_receipt_and_counts_the_missing() -> None:
    a = WorkerReport(sent=[(1, 1, 10.0), (1, 2, 10.1), (1, 3, 10.2), (1, 9, 99.0)], received=[(2, 1, 10.05)])
    b = WorkerReport(sent=[(2, 1, 10.04)], received=[(1, 1, 10.012), (1, 1, 10.03), (1, 2, 10.12)])
    delays, missing = delivery_ms([a, b], 10.0, 11.0)
    assert sorted(round(d, 3) for d in delays) == [10.0, 12.0, 20.0]
    assert missing == 1  # (1, 3) never arrived; (1, 9) was sent after the window


def test_step_figures() -> None:
    reports = [
        WorkerReport(
            sent=[(1, s, 1.0 + s / 100) for s in range(1, 11)],
            received=[(2, s, 1.0 + s / 100 + 0.008) for s in range(1, 11)],
            fetches={"1": 100.0},
            delivered=10,
            frames=60,
            records=20,
            racks={"": 1},
        ),
        WorkerReport(
            sent=[(2, s, 1.0 + s / 100) for s in range(1, 11)],
            received=[(1, s, 1.0 + s / 100 + 0.012) for s in range(1, 11)],
            fetches={"1": 50.0, "2": 10.0},
            delivered=10,
            frames=30,
            records=20,
            racks={"": 1},
        ),
    ]
    figures = step_figures(reports, players=2, seconds=1.0, rate=10.0, fps=60.0, start=1.0, end=2.0)
    assert figures["players"] == 2
    assert figures["fetches_per_s"] == 160 and figures["fetches_per_reader_per_s"] == 80.0
    assert figures["fetches_per_s_by_node"] == {"1": 150, "2": 10}
    assert figures["delivery_p50_ms"] == pytest.approx(8.0) and figures["delivery_p99_ms"] == pytest.approx(
        12.0
    )
    assert figures["delivery_samples"] == 20 and figures["delivery_missing"] == 0
    assert figures["producer_rate_ratio"] == 1.0
    assert figures["frame_rate_ratio"] == 0.75  # 90 frames of 2 x 60
    assert figures["reader_racks"] == {"none": 2}


def test_machine_percent() -> None:
    assert machine_percent((0, 0), (50, 100)) is not None
    assert machine_percent(None, (1, 2)) is None
    assert machine_percent((5, 10), (5, 10)) is None


def test_frame_jitter_is_a_fraction_five_percent_unless_asked() -> None:
    assert build_parser().parse_args([]).frame_jitter == 0.05
    assert build_parser().parse_args(["--frame-jitter", "0.25"]).frame_jitter == 0.25
    for bad in ("1", "-0.1", "lots"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["--frame-jitter", bad])


def test_librdkafka_ticks_count_only_librdkafka_threads() -> None:
    import ctypes
    import os
    import threading
    import time

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_name = 15  # prctl(PR_SET_NAME): names the calling thread, as librdkafka names its own
    hz = os.sysconf("SC_CLK_TCK")

    def spin(name: bytes | None, seconds: float) -> None:
        if name is not None:
            libc.prctl(pr_set_name, name, 0, 0, 0)
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            pass

    def ticks_while_spinning(name: bytes | None) -> int:
        thread = threading.Thread(target=spin, args=(name, 0.8))
        thread.start()
        time.sleep(0.1)
        first = librdkafka_ticks(os.getpid())
        time.sleep(0.5)  # sampled while the thread still runs: an ended thread's ticks are gone
        last = librdkafka_ticks(os.getpid())
        thread.join()
        assert first is not None and last is not None
        return last - first

    assert ticks_while_spinning(b"rdk:test") >= 0.15 * hz  # up to 0.5 s of its CPU
    assert ticks_while_spinning(None) < 0.05 * hz  # a Python thread's CPU is not librdkafka's
    assert librdkafka_ticks(2**22 + 1) is None  # no such process
