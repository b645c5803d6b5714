"""Shared pieces of the benchmarks: fresh topics, percentiles, /proc stats.

The raw confluent-kafka baselines build their clients from game.kafka's `reader_config` and
`producer_config`, the settings of the project's own readers and producer, so each compares
like with like.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from game.kafka import KafkaSettings, topic_for
from game.kafka.checkpoints import checkpoint_topic_for

ROOT = Path(__file__).resolve().parent.parent


def fresh_match(kind: str) -> str:
    """A match name nobody else uses, so each run starts on an empty log."""
    return f"bench-{kind}-{uuid.uuid4().hex[:10]}"


def delete_matches(settings: KafkaSettings, matches: list[str], timeout: float = 10.0) -> None:
    """Best effort: benchmark topics are throwaway, and a 500k-record log fills a disk."""
    if not matches:
        return
    admin = AdminClient(settings.client_config())
    # A match's checkpoints go with it: a match made again under the name must not find them.
    topics = [topic for m in matches for topic in (topic_for(m), checkpoint_topic_for(m))]
    futures = admin.delete_topics(topics, operation_timeout=timeout)
    for future in futures.values():
        with contextlib.suppress(KafkaException):  # already gone, or the broker is busy
            future.result(timeout=timeout)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), -(-len(sorted_values) * q // 100)))
    return sorted_values[int(rank) - 1]


def summarize_ms(values: list[float]) -> dict[str, float | int]:
    """p50/p95/p99/max (ms, 2 decimals) and the sample count."""
    ordered = sorted(values)
    return {
        "p50_ms": round(percentile(ordered, 50), 2),
        "p95_ms": round(percentile(ordered, 95), 2),
        "p99_ms": round(percentile(ordered, 99), 2),
        "max_ms": round(ordered[-1], 2) if ordered else float("nan"),
        "samples": len(ordered),
    }


def child_env() -> dict[str, str]:
    """Environment for a `python -m game...` child: the source tree on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


PYTHON = sys.executable


# --- process figures from /proc ---

_CLK_TCK = os.sysconf("SC_CLK_TCK")
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass(frozen=True, slots=True)
class CpuSample:
    pid: int
    at: float  # time.monotonic()
    ticks: int  # utime + stime


def cpu_sample(pid: int, at: float) -> CpuSample | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return CpuSample(pid, at, stat_ticks(stat))


def stat_ticks(stat: str) -> int:
    """utime + stime from a /proc/PID/stat (or /proc/PID/task/TID/stat) line."""
    # Fields after the parenthesised command name, which may itself hold spaces.
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def cpu_percent(first: CpuSample | None, last: CpuSample | None) -> float | None:
    """CPU use between two samples, in % of one core (a busy 2-thread process can show 200)."""
    if first is None or last is None or last.at <= first.at:
        return None
    return round(100 * (last.ticks - first.ticks) / _CLK_TCK / (last.at - first.at), 1)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def broker_pid(bootstrap: str) -> int | None:
    """The local broker serving `bootstrap`: its pid file, else a kafka.Kafka process on that port."""
    port = bootstrap.split(",")[0].rsplit(":", 1)[-1]
    if not port.isdigit():
        return None
    for pid_file in (ROOT / ".broker").glob(f"**/broker-{port}.pid"):
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            continue
        if _is_kafka(pid):
            return pid
    # A broker started some other way: its config file name or listener names the port.
    pattern = re.compile(rf"(\b|-){port}\b")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _is_kafka(int(entry.name), pattern):
            return int(entry.name)
    return None


def _is_kafka(pid: int, pattern: re.Pattern[str] | None = None) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return "kafka.Kafka" in cmdline and (pattern is None or bool(pattern.search(cmdline)))


def finite(value: Any) -> Any:
    """A result made JSON-safe: NaN is not JSON, so an empty sample set prints as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value
