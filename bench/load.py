"""`load`: how many bots one box carries while a spectator-like reader stays live.

Each ladder step runs `python -m game.bots --count N` on a fresh match while this process
reads it as the spectator does (MatchReader.poll(batch, timeout) + MatchReplica.read) and
measures, for every record, its lag behind live: wall clock now - LogAppendTime when it is
folded (broker on this machine, so the clocks agree). Rates and lags cover the steady part:
from the last bot's join to the first leave. CPU (% of one core) and RSS are read from
/proc for the broker, the bots and this process over the same window.

Top-level `bots` is the largest step with lag p99 <= --max-lag-ms and no action lost.
Baseline: the lag of a raw Consumer (poll() per message, no decoding) on the same log, in a
thread of this process, over the same window.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from bench.common import cpu_percent, cpu_sample, fresh_match, percentile, rss_mb
from bench.latency import start_bots, stop_bots
from game.core.actions import Join, Leave
from game.core.replica import new_replica
from game.kafka import KafkaSettings, MatchReader, ensure_match_topic, reader_config

JOIN_SPACING_S = 0.025  # game.bots joins one bot every 25 ms


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("load")
    group.add_argument("--ladder", default="50,100,200", help="bot counts, one step each (50,100,200)")
    group.add_argument("--step-seconds", type=float, default=10.0, help="steady seconds per step (10)")
    group.add_argument("--max-lag-ms", type=float, default=100.0, help="lag p99 a step may reach (100)")


def parse_ladder(text: str) -> list[int]:
    steps = [int(part) for part in text.split(",") if part.strip()]
    if not steps or min(steps) < 1:
        raise ValueError(f"--ladder wants bot counts like 50,100,200, not {text!r}")
    return steps


def run_step(
    settings: KafkaSettings,
    bots: int,
    args: argparse.Namespace,
    broker: int | None,
    matches: list[str],
) -> dict[str, Any]:
    match = fresh_match(f"load{bots}")
    matches.append(match)
    ensure_match_topic(settings, match)
    with MatchReader(settings, match, "beginning") as reader:
        replica = new_replica(match)
        raw = RawLag(settings, reader.topic)
        raw.start()
        seconds = args.step_seconds + bots * JOIN_SPACING_S + 0.5
        child = start_bots(settings, match, bots, seconds, args.seed)
        pids = {"broker": broker, "bots": child.pid, "bench": os.getpid()}
        joined = 0
        steady_from: int | None = None  # LogAppendTime of the last join
        steady_to: int | None = None  # ... of the first leave
        first_cpu: dict[str, Any] = {}
        last_cpu: dict[str, Any] = {}
        rss: dict[str, float | None] = {}
        lags: list[float] = []
        steady_records = 0
        records = 0
        deadline = time.monotonic() + seconds + 90
        read = replica.read
        now_ms = time.time
        summary: dict[str, Any] | None = None
        try:
            while time.monotonic() < deadline:
                for record in reader.poll(args.reader_batch, args.reader_timeout):
                    ts = record.ts
                    action, _ = read(record.offset, ts, record.key, record.value)
                    lag = now_ms() * 1000 - ts
                    records += 1
                    match action:
                        case None:
                            continue
                        case Join():
                            joined += 1
                            if joined == bots:
                                steady_from = ts
                                first_cpu = {k: cpu_sample(p, time.monotonic()) for k, p in _live(pids)}
                        case Leave() if steady_to is None and steady_from is not None:
                            steady_to = ts
                            last_cpu = {k: cpu_sample(p, time.monotonic()) for k, p in _live(pids)}
                            rss = {k: rss_mb(p) for k, p in _live(pids)}
                    if steady_from is not None and steady_to is None:
                        steady_records += 1
                        lags.append(lag)
                if child.poll() is not None:
                    break
            summary = stop_bots(child)
            # The bots flushed before exiting: read their last records (leaves) too.
            end = reader.end_offset()
            settle = time.monotonic() + 10
            while replica.offset + 1 < end and time.monotonic() < settle:
                for record in reader.poll(args.reader_batch, 0.05):
                    read(record.offset, record.ts, record.key, record.value)
                    records += 1
        finally:
            if summary is None:
                summary = stop_bots(child)
            raw.stopping.set()
            raw.join(5)
    raw_lags = raw.lags(steady_from, steady_to)
    lags.sort()
    steady_s = (steady_to - steady_from) / 1000 if steady_from and steady_to else 0.0
    sent = summary.get("sent")
    in_log = replica.applied + sum(replica.rejected.values())
    lost = (sent - in_log) if isinstance(sent, int) else None
    return {
        "bots": bots,
        "actions_per_s": round(steady_records / steady_s, 1) if steady_s else 0.0,
        "lag_p50_ms": round(percentile(lags, 50), 1),
        "lag_p99_ms": round(percentile(lags, 99), 1),
        "lag_max_ms": round(lags[-1], 1) if lags else float("nan"),
        "steady_s": round(steady_s, 1),
        "all_joined": joined >= bots,
        "sent": sent,
        "dropped": summary.get("dropped"),
        "in_log": in_log,
        "lost": lost,
        "all_arrived": lost == 0 and summary.get("dropped") == 0,
        "rejected": dict(replica.rejected),
        "skipped": dict(replica.skipped),
        "cpu_pct": {k: cpu_percent(first_cpu.get(k), last_cpu.get(k)) for k in pids},
        "rss_mb": rss,
        "baseline": {
            "what": "raw Consumer.poll() per message, same log, same window",
            "lag_p50_ms": round(percentile(raw_lags, 50), 1),
            "lag_p99_ms": round(percentile(raw_lags, 99), 1),
            "lag_max_ms": round(raw_lags[-1], 1) if raw_lags else float("nan"),
        },
        "match": match,
    }


def _live(pids: dict[str, int | None]) -> list[tuple[str, int]]:
    return [(k, p) for k, p in pids.items() if p is not None]


class RawLag(threading.Thread):
    """Baseline: a raw Consumer (poll() per message, no decoding) on the same log, live."""

    def __init__(self, settings: KafkaSettings, topic: str) -> None:
        super().__init__(name="bench-raw-lag", daemon=True)
        self.consumer = Consumer(reader_config(settings))
        self.consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        self.seen: list[tuple[int, float]] = []  # (LogAppendTime, lag ms)
        self.stopping = threading.Event()

    def run(self) -> None:
        now = time.time
        with self.consumer:
            while not self.stopping.is_set():
                message = self.consumer.poll(0.05)
                if message is not None and message.error() is None:
                    ts = message.timestamp()[1]
                    self.seen.append((ts, now() * 1000 - ts))

    def lags(self, start: int | None, end: int | None) -> list[float]:
        if start is None or end is None:
            return []
        return sorted(lag for ts, lag in self.seen if start <= ts < end)


def run(args: argparse.Namespace, settings: KafkaSettings, broker: int | None) -> dict[str, Any]:
    matches: list[str] = []
    steps = [run_step(settings, n, args, broker, matches) for n in parse_ladder(args.ladder)]
    good = [
        s["bots"]
        for s in steps
        if s["all_arrived"] and s["all_joined"] and s["lag_p99_ms"] <= args.max_lag_ms
    ]
    best = max(good, default=0)
    top = next((s for s in steps if s["bots"] == best), steps[0])
    return {
        "bench": "load",
        "bots": best,
        "actions_per_s": top["actions_per_s"],
        "lag_p99_ms": top["lag_p99_ms"],
        "steps": steps,
        "settings": {
            "bootstrap": settings.bootstrap,
            "ladder": parse_ladder(args.ladder),
            "step_seconds": args.step_seconds,
            "max_lag_ms": args.max_lag_ms,
            "seed": args.seed,
            "reader_poll": {"max": args.reader_batch, "timeout_s": args.reader_timeout},
            "broker_pid": broker,
            "lag": "time.time() at fold - LogAppendTime, steady window",
        },
        "_matches": matches,
    }
