"""`fanout`: N players in one match, each with its own producer and reader, as real windows are.

`python -m bench fanout [--bootstrap H:P] [--players 10,40,80,120] [--seconds 20] [--processes N]
[--cluster] [--reader-setting KEY=VALUE ...] [--no-baseline]`

Every emulated player has the project's ActionProducer and MatchReader (game.kafka, shipped
settings) and a PlayerAgent: it joins with a signed v3 join, folds the log until its join is
applied, then walks back and forth sending a signed move 19 times a second (a walking
player's rate), and reads every record, polling once per frame at 60 Hz with a zero timeout as
the player window does. The players are spread over --processes worker processes, each running
one frame loop for its players, so the harness is not one Python thread.

Figures per step, over the steady window (after --warmup s of walking, --seconds long):
- broker_cpu_pct: the broker's CPU from /proc (100 = one core); on a cluster per node id
  (`broker_cpu_pct_by_node`) and the partition leader's (`leader_cpu_pct`), and
  `broker_cpu_pct` is then the leader's.
- fetches_per_s: Fetch requests the readers sent, from librdkafka's statistics
  (`brokers[*].req.Fetch` of each reader's stats_cb, once a second): the difference between a
  reader's first and last statistics inside the window over the time between them, summed
  over readers; `fetches_per_s_by_node` splits it by the broker that served them.
- delivery_p50_ms / delivery_p99_ms: from a player's send (just before ActionProducer.send)
  to the frame at which one other player's reader (the next in a ring, in another process)
  has the record: CLOCK_MONOTONIC, common to the processes. So it includes the wait for the
  reader's next frame (up to 16.7 ms), as a screen does.
- producer_rate_ratio: moves the broker acknowledged in the window / players x rate x seconds.
- frame_rate_ratio: player frames run / 60 a second per player; below 1 the harness is
  behind. Each player has its own frame phase and its frames vary by up to --frame-jitter
  (+-5 % by default, 60 Hz on average), so the phase between two players' frames wanders and
  a delivery's wait for the reader's next frame spreads over a frame as between real
  windows, rather than being fixed per pair of processes. pygame's `clock.tick(60)` here
  measured 16.1-16.7 ms between frames from p10 to p90 (p1 15.1, p99 19.6) on a loaded
  machine; the +-25 % of earlier runs (12.5-20.8 ms) made every delivery wait up to 4 ms
  longer for a frame than a real window does.
- harness_cpu_pct: the worker processes' CPU (100 = one core), of which
  harness_librdkafka_cpu_pct in librdkafka's own threads (named `rdk:…`; the rest is the
  players' Python); machine_cpu_pct: the whole machine's (100 x cores when saturated). When
  the machine is saturated, the harness and the broker compete and the figures say so.

Baseline, in the same run: each step again with the readers' old settings
(`fetch.wait.max.ms=100`, `fetch.min.bytes=1`, and librdkafka's default queue thresholds:
what the readers shipped before), under `baseline`; `--no-baseline` skips it. The readers'
settings can be varied with `--reader-setting KEY=VALUE` (repeatable, librdkafka names) to
compare candidates; the line's `reader_settings` says what was used.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.common import (
    broker_pid,
    cpu_percent,
    cpu_sample,
    delete_matches,
    finite,
    fresh_match,
    percentile,
    stat_ticks,
)
from game.kafka import KafkaSettings, KafkaUnavailable, add_kafka_arguments, settings_from_args

RATE = 19.0  # moves a second: a walking player's
FPS = 60.0  # the player window's frame rate, and its reader's polls
TICKS_PER_FRAME = 8  # a worker loop's ticks per frame: the players' frames fall between them
CHAIN = 8_192  # hash-chain length per player: enough signed actions for a step
# The readers' settings before reads were bounded per frame (librdkafka defaults otherwise).
OLD_READER_SETTINGS: tuple[tuple[str, str], ...] = (
    ("fetch.wait.max.ms", "100"),
    ("fetch.min.bytes", "1"),
    ("queued.min.messages", "100000"),
    ("fetch.queue.backoff.ms", "1000"),
)
LOCAL_CLUSTER = "127.0.0.1:19192,127.0.0.1:19193,127.0.0.1:19194"  # `python -m broker cluster start`


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench fanout",
        description="N players, each with its own producer and reader; one JSON line per step.",
    )
    add_kafka_arguments(parser)
    parser.add_argument("--players", default="10,40,80,120", help="players per step (10,40,80,120)")
    parser.add_argument("--seconds", type=float, default=20.0, help="steady seconds per step (20)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of walking before (3)")
    parser.add_argument(
        "--processes", type=int, default=0, help="worker processes (default: 1 per 15 players, 2..8)"
    )
    parser.add_argument("--rate", type=float, default=RATE, help=f"moves per player per second ({RATE:g})")
    parser.add_argument(
        "--cluster",
        action="store_true",
        help=f"against the three-broker local cluster (default bootstrap {LOCAL_CLUSTER}): CPU per node",
    )
    parser.add_argument(
        "--reader-setting",
        dest="reader_settings",
        action="append",
        default=[],
        type=_setting,
        metavar="KEY=VALUE",
        help="a librdkafka setting for the readers only (repeatable), over the shipped ones",
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the baseline step with the old reader settings"
    )
    parser.add_argument(
        "--frame-jitter",
        type=_fraction,
        default=0.05,
        help="how much each player's frame varies around 1/60 s, as a fraction (0.05: +-5 %%)",
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the player ids (7)")
    parser.add_argument("--keep-topics", action="store_true", help="keep the benchmark's match topics")
    return parser


def _setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"wants KEY=VALUE, got {text!r}")
    return key.strip(), value.strip()


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"wants a fraction from 0 to below 1, got {text!r}")
    return value


def parse_players(text: str) -> list[int]:
    """`10,40,80` -> [10, 40, 80]; each at least 2 (a player needs another to read it)."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"--players wants numbers like 10,40,80, got {text!r}") from None
    if not counts or any(n < 2 for n in counts):
        raise ValueError(f"--players wants counts of at least 2, got {text!r}")
    return counts


def processes_for(players: int, asked: int) -> int:
    """Worker processes for a step: as asked, else one per 15 players within 2..8; never more
    than the players."""
    wanted = asked if asked > 0 else min(8, max(2, -(-players // 15)))
    return max(1, min(players, wanted))


def spread(players: int, processes: int) -> list[list[int]]:
    """Player indices dealt round-robin, so player i and its ring neighbour i+1 (whose reader
    times i's moves) live in different processes whenever there are two."""
    return [list(range(w, players, processes)) for w in range(processes)]


# --- one worker process ---


@dataclass(frozen=True)
class WorkerSpec:
    bootstrap: str
    overrides: tuple[tuple[str, str], ...]
    reader_overrides: tuple[tuple[str, str], ...]
    match: str
    pids: tuple[int, ...]  # every player's pid, by index
    mine: tuple[int, ...]  # the indices this worker plays
    rate: float
    fps: float
    frame_jitter: float = 0.05  # each frame lasts 1/fps x (1 +- this), uniformly


@dataclass
class WorkerReport:
    sent: list[tuple[int, int, float]] = field(default_factory=list)  # pid, seq, at (in window)
    received: list[tuple[int, int, float]] = field(default_factory=list)  # pid, seq, at
    fetches: dict[str, float] = field(default_factory=dict)  # node id -> requests/s, summed
    delivered: int = 0  # moves acknowledged in the window
    frames: int = 0  # frames run in the window
    records: int = 0  # records read in the window
    racks: dict[str, int] = field(default_factory=dict)  # client.rack -> readers
    error: str = ""


def fetch_counts(stats_json: str) -> dict[str, int]:
    """Fetch requests sent so far per broker node id, from one librdkafka statistics JSON."""
    try:
        stats = json.loads(stats_json)
    except ValueError:
        return {}
    counts: dict[str, int] = {}
    for broker in stats.get("brokers", {}).values():
        node = broker.get("nodeid", -1)
        fetches = broker.get("req", {}).get("Fetch", 0)
        if node >= 0 and fetches:
            counts[str(node)] = counts.get(str(node), 0) + int(fetches)
    return counts


def fetch_rates(
    samples: Sequence[tuple[float, dict[str, int]]], start: float, end: float
) -> dict[str, float]:
    """Fetch requests per second per node between the first and last sample inside [start, end]."""
    inside = [s for s in samples if start <= s[0] <= end]
    if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
        return {}
    (t0, first), (t1, last) = inside[0], inside[-1]
    return {node: (last[node] - first.get(node, 0)) / (t1 - t0) for node in last}


class Emulated:
    """One player: an agent, its producer, its reader, and what it timed."""

    def __init__(self, spec: WorkerSpec, index: int) -> None:
        from game.agent.player import PlayerAgent
        from game.core.codec import record_key
        from game.core.maps import DEFAULT_MAP
        from game.core.replica import new_replica
        from game.kafka import ActionProducer, MatchReader, topic_for

        settings = KafkaSettings(spec.bootstrap, spec.overrides)
        reader_settings = KafkaSettings(spec.bootstrap, spec.overrides + spec.reader_overrides)
        self.pid = spec.pids[index]
        buddy = spec.pids[(index + 1) % len(spec.pids)]  # whose moves this reader times
        self.buddy, self.buddy_key = buddy, record_key(buddy)
        self.topic = topic_for(spec.match)
        self.key = record_key(self.pid)
        self.agent = PlayerAgent(f"fan{index}", DEFAULT_MAP, pid=self.pid, chain_length=CHAIN)
        self.grid: Any = None  # the match's collision grid, once our join is folded
        self.producer = ActionProducer(settings, on_throttle=lambda _line: None)
        self.stats: list[tuple[float, dict[str, int]]] = []
        self.reader = MatchReader(reader_settings, spec.match, "beginning", on_stats=self._on_stats)
        self.replica: Any = new_replica(spec.match)  # folds only until our join is applied
        self.me: Any = None
        self.direction = 1.0
        self.next_move = 0.0
        self.next_frame = 0.0
        self.received: list[tuple[int, int, float]] = []
        self.records = 0

    def _on_stats(self, stats_json: str) -> None:
        self.stats.append((time.monotonic(), fetch_counts(stats_json)))

    def send_join(self) -> None:
        from game.core.codec import encode

        self.producer.send(self.topic, self.key, encode(self.agent.join()))

    def read(self) -> None:
        from game.core.actions import Join, Move
        from game.core.codec import decode

        records = self.reader.poll(2_000, 0)
        if not records:
            return
        at = time.monotonic()
        self.records += len(records)
        for record in records:
            if record.key == self.buddy_key:
                action = decode(record.value, record.key)
                if type(action) is Move:
                    self.received.append((self.buddy, action.seq, at))
            if self.replica is not None:
                action, outcome = self.replica.read(record.offset, record.ts, record.key, record.value)
                if type(action) is Join and action.pid == self.pid and outcome is not None:
                    if not outcome.applied:
                        raise RuntimeError(f"player {self.pid}'s join was rejected: {outcome.reason}")
                    self.me = self.replica.world.players.get(self.pid)
                    self.grid = self.replica.world.grid
                    self.agent.snap_to(self.me)
                    self.agent.joined = True
                    self.replica = None

    def move(self, now: float, period: float) -> tuple[int, int, float] | None:
        from game.core.codec import encode

        self.next_move = max(self.next_move + period, now - period)  # no burst to catch up
        self.direction = -self.direction  # back and forth: every step stays legal
        self.agent.walk(self.grid, (self.direction, 0.0), 1000 * period, self.me)
        move = self.agent.move_if_due(force=True)
        if move is None:
            return None
        value = encode(move)
        at = time.monotonic()
        self.producer.send(self.topic, self.key, value)
        return self.pid, move.seq, at

    def close(self) -> None:
        self.producer.flush(5)
        self.producer.close()
        self.reader.close()


def worker_main(spec: WorkerSpec, conn: Connection) -> None:
    """A worker process: its players' frame loop; reports ready, waits for go, then reports."""
    players: list[Emulated] = []
    try:
        players = [Emulated(spec, i) for i in spec.mine]
        for player in players:
            player.send_join()
        report = _frame_loop(spec, conn, players)
    except Exception as exc:  # reported, so the parent can say what failed
        report = WorkerReport(error=f"{type(exc).__name__}: {exc}")
    conn.send(report)
    for player in players:
        player.close()


def _frame_loop(spec: WorkerSpec, conn: Connection, players: list[Emulated]) -> WorkerReport:
    """Each player runs its own 60 Hz frame (read the log, then send a move when one is due,
    then serve the producer), at a phase of its own as independent windows are; the loop
    ticks TICKS_PER_FRAME times a frame to serve each player's frame when it comes."""
    frame, period = 1 / spec.fps, 1 / spec.rate
    window: tuple[float, float, float] | None = None  # start, end, stop reading
    ready_sent = False
    report = WorkerReport()
    parent = os.getppid()
    now = time.monotonic()
    deadline = now + 90  # joins must be back by then
    for player, index in zip(players, spec.mine, strict=True):
        # A phase of its own, at random: ring neighbours' phases must not differ by a constant.
        player.next_frame = now + frame * random.Random(spec.pids[index]).random()
    jitter = random.Random(spec.pids[spec.mine[0]])
    frames = 0
    delivered_at_start = records_at_start = -1
    while True:
        now = time.monotonic()
        start, end, stop = window if window is not None else (math.inf, math.inf, math.inf)
        for player in players:
            if now < player.next_frame:
                continue
            player.read()
            if now < end and now >= player.next_move:
                sent = player.move(now, period)
                if sent is not None and start <= sent[2] < end:
                    report.sent.append(sent)
            player.producer.poll()
            # Jittered: 60 Hz on average, and the phase between two players' frames wanders
            # (as between real windows) instead of fixing each pair's delay for good.
            player.next_frame += frame * jitter.uniform(1 - spec.frame_jitter, 1 + spec.frame_jitter)
            if player.next_frame < now - frame:
                player.next_frame = now  # behind: skip frames, as clock.tick does
            if start <= now < end:
                frames += 1
        if start <= now < end:
            if delivered_at_start < 0:
                delivered_at_start = sum(p.producer.delivered for p in players)
                records_at_start = sum(p.records for p in players)
            report.frames = frames
            report.delivered = sum(p.producer.delivered for p in players) - delivered_at_start
            report.records = sum(p.records for p in players) - records_at_start
        if window is None:
            if not ready_sent and all(p.agent.joined for p in players):
                conn.send("ready")
                ready_sent = True
            if conn.poll():
                window = conn.recv()
                began = time.monotonic()
                for i, player in enumerate(players):  # spread the players' sends over a period
                    player.next_move = began + period * i / len(players)
            elif now > deadline:
                raise RuntimeError("the players' joins did not come back within 90 s")
        elif now >= stop:
            break
        if os.getppid() != parent:
            raise RuntimeError("the benchmark went away")
        time.sleep(frame / TICKS_PER_FRAME)
    start, end, _ = window if window is not None else (0.0, 0.0, 0.0)
    for player in players:
        report.received += [r for r in player.received if r[2] >= start]
        for node, rate in fetch_rates(player.stats, start, end).items():
            report.fetches[node] = report.fetches.get(node, 0.0) + rate
        rack = player.reader.rack or ""
        report.racks[rack] = report.racks.get(rack, 0) + 1
    return report


# --- the parent: steps, figures ---


def delivery_ms(reports: Iterable[WorkerReport], start: float, end: float) -> tuple[list[float], int]:
    """Send -> the ring neighbour's reader has it (ms) for the moves sent in [start, end), and
    how many of those never arrived."""
    reports = list(reports)
    sent = {(pid, seq): at for r in reports for pid, seq, at in r.sent if start <= at < end}
    got: dict[tuple[int, int], float] = {}
    for r in reports:
        for pid, seq, at in r.received:
            got.setdefault((pid, seq), at)
    delays = [(got[key] - at) * 1000 for key, at in sent.items() if key in got]
    return delays, len(sent) - len(delays)


def step_figures(
    reports: Sequence[WorkerReport],
    *,
    players: int,
    seconds: float,
    rate: float,
    fps: float,
    start: float,
    end: float,
) -> dict[str, Any]:
    """The figures of one step from its workers' reports (CPU figures are added by the caller)."""
    delays, missing = delivery_ms(reports, start, end)
    ordered = sorted(delays)
    by_node: dict[str, float] = {}
    for report in reports:
        for node, per_s in report.fetches.items():
            by_node[node] = by_node.get(node, 0.0) + per_s
    fetches = sum(by_node.values())
    racks: dict[str, int] = {}
    for report in reports:
        for rack, count in report.racks.items():
            racks[rack] = racks.get(rack, 0) + count
    frames_intended = fps * seconds * players
    return {
        "players": players,
        "fetches_per_s": round(fetches),
        "fetches_per_reader_per_s": round(fetches / players, 1),
        "fetches_per_s_by_node": {node: round(v) for node, v in sorted(by_node.items())},
        "delivery_p50_ms": round(percentile(ordered, 50), 2),
        "delivery_p99_ms": round(percentile(ordered, 99), 2),
        "delivery_max_ms": round(ordered[-1], 2) if ordered else float("nan"),
        "delivery_samples": len(ordered),
        "delivery_missing": missing,
        "producer_rate_ratio": round(sum(r.delivered for r in reports) / (players * rate * seconds), 3),
        "frame_rate_ratio": round(sum(r.frames for r in reports) / frames_intended, 3),
        "records_read_per_s": round(sum(r.records for r in reports) / seconds),
        "reader_racks": {rack or "none": n for rack, n in sorted(racks.items())},
    }


def librdkafka_ticks(pid: int) -> int | None:
    """CPU ticks so far of a process's librdkafka threads (librdkafka names them `rdk:…`)."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    total = 0
    for tid in tids:
        task = Path(f"/proc/{pid}/task/{tid}")
        try:
            if not (task / "comm").read_text().startswith("rdk:"):
                continue
            stat = (task / "stat").read_text()
        except OSError:
            continue  # a thread that ended meanwhile
        total += stat_ticks(stat)
    return total


def machine_ticks() -> tuple[int, int] | None:
    """(busy, total) jiffies of the whole machine from /proc/stat."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def machine_percent(first: tuple[int, int] | None, last: tuple[int, int] | None) -> float | None:
    """The machine's CPU between two /proc/stat samples, in % of one core."""
    if first is None or last is None or last[1] <= first[1]:
        return None
    return round(100 * (os.cpu_count() or 1) * (last[0] - first[0]) / (last[1] - first[1]), 1)


@dataclass(frozen=True)
class Brokers:
    """The brokers to watch: node id -> pid (None: not on this machine)."""

    pids: dict[str, int | None]

    @classmethod
    def find(cls, settings: KafkaSettings) -> Brokers:
        from confluent_kafka.admin import AdminClient

        metadata = AdminClient(settings.quiet().client_config()).list_topics(timeout=10)
        return cls({str(b.id): broker_pid(f"{b.host}:{b.port}") for b in metadata.brokers.values()})


def run_step(
    settings: KafkaSettings,
    args: argparse.Namespace,
    players: int,
    reader_overrides: tuple[tuple[str, str], ...],
    brokers: Brokers,
) -> dict[str, Any]:
    from game.kafka import ensure_match_topic

    match = fresh_match("fanout")
    topic = ensure_match_topic(settings, match)
    rng = random.Random(args.seed * 1_000 + players)
    pids = tuple(rng.sample(range(1, 2**31), players))
    count = processes_for(players, args.processes)
    context = multiprocessing.get_context("spawn")
    workers: list[tuple[Any, Connection]] = []
    for mine in spread(players, count):
        parent_end, child_end = context.Pipe()
        spec = WorkerSpec(
            settings.bootstrap,
            settings.overrides,
            reader_overrides,
            match,
            pids,
            tuple(mine),
            args.rate,
            FPS,
            args.frame_jitter,
        )
        process = context.Process(target=worker_main, args=(spec, child_end), daemon=True)
        process.start()
        workers.append((process, parent_end))
    try:
        for process, conn in workers:
            if not conn.poll(120):
                raise RuntimeError(f"a worker (pid {process.pid}) was not ready within 120 s")
            message = conn.recv()
            if isinstance(message, WorkerReport):
                raise RuntimeError(f"a worker failed: {message.error}")
        go = time.monotonic()
        start, end = go + args.warmup, go + args.warmup + args.seconds
        for _, conn in workers:
            conn.send((start, end, end + 1.0))  # one more second to read the last moves
        time.sleep(max(0.0, start - time.monotonic()))
        watched = {node: pid for node, pid in brokers.pids.items() if pid is not None}
        worker_pids = [p.pid for p, _ in workers if p.pid is not None]
        first = {node: cpu_sample(pid, time.monotonic()) for node, pid in watched.items()}
        first_workers = [cpu_sample(pid, time.monotonic()) for pid in worker_pids]
        first_rdk = [librdkafka_ticks(pid) for pid in worker_pids]
        first_machine = machine_ticks()
        time.sleep(max(0.0, end - time.monotonic()))
        last = {node: cpu_sample(pid, time.monotonic()) for node, pid in watched.items()}
        last_workers = [cpu_sample(pid, time.monotonic()) for pid in worker_pids]
        last_rdk = [librdkafka_ticks(pid) for pid in worker_pids]
        last_machine = machine_ticks()
        reports: list[WorkerReport] = []
        for process, conn in workers:
            if not conn.poll(60):
                raise RuntimeError(f"a worker (pid {process.pid}) did not report")
            report = conn.recv()
            if report.error:
                raise RuntimeError(f"a worker failed: {report.error}")
            reports.append(report)
    finally:
        for process, _ in workers:
            process.join(15)
            if process.is_alive():
                process.kill()
    figures = step_figures(
        reports, players=players, seconds=args.seconds, rate=args.rate, fps=FPS, start=start, end=end
    )
    by_node = {node: cpu_percent(first[node], last[node]) for node in watched}
    from game.kafka.reader import partition_leader

    leader_id = partition_leader(settings, topic, timeout=10)
    leader = None if leader_id is None else str(leader_id)
    harness = [cpu_percent(a, b) for a, b in zip(first_workers, last_workers, strict=True)]
    figures.update(
        {
            "broker_cpu_pct": by_node.get(leader or "")
            if len(brokers.pids) > 1
            else next(iter(by_node.values()), None),
            "broker_cpu_pct_by_node": by_node,
            "leader": leader,
            "leader_cpu_pct": by_node.get(leader or ""),
            "harness_cpu_pct": round(sum(h for h in harness if h is not None), 1),
            "harness_librdkafka_cpu_pct": round(
                100
                * sum(
                    b - a for a, b in zip(first_rdk, last_rdk, strict=True) if a is not None and b is not None
                )
                / os.sysconf("SC_CLK_TCK")
                / args.seconds,
                1,
            ),
            "machine_cpu_pct": machine_percent(first_machine, last_machine),
            "processes": count,
            "_match": match,
        }
    )
    leader_cpu = figures["leader_cpu_pct"]
    if leader_cpu is not None:
        figures["leader_cpu_pct_per_player"] = round(leader_cpu / players, 3)
    return figures


def shipped_reader_settings() -> dict[str, Any]:
    from game.kafka.settings import _READER_SETTINGS  # what every MatchReader starts from

    return {k: v for k, v in _READER_SETTINGS.items() if k.startswith(("fetch.", "queued."))}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        steps = parse_players(args.players)
    except ValueError as exc:
        parser.error(str(exc))
    if args.cluster and not args.bootstrap and not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        args.bootstrap = LOCAL_CLUSTER
    settings = settings_from_args(args)
    ours = tuple(args.reader_settings)
    variants = [("ours", ours)] + ([] if args.no_baseline else [("baseline", OLD_READER_SETTINGS)])
    failed = 0
    try:
        brokers = Brokers.find(settings)
    except Exception as exc:  # no answer: say so in the one line
        print(json.dumps({"bench": "fanout", "error": f"Kafka at {settings.bootstrap}: {exc}"}), flush=True)
        return 1
    for players in steps:
        began = time.monotonic()
        line: dict[str, Any] = {"bench": "fanout"}
        matches: list[str] = []
        try:
            for name, overrides in variants:
                figures = run_step(settings, args, players, overrides, brokers)
                matches.append(figures.pop("_match"))
                figures["reader_settings"] = {**shipped_reader_settings(), **dict(overrides)}
                if name == "ours":
                    line.update(figures)
                else:
                    line["baseline"] = figures
        except (KafkaUnavailable, RuntimeError) as exc:
            line["error"] = str(exc)
            failed += 1
        if not args.keep_topics:
            delete_matches(settings, matches)
        line.update(
            {
                "seconds": args.seconds,
                "rate": args.rate,
                "cluster": len(brokers.pids) > 1,
                "brokers": len(brokers.pids),
                "settings": {
                    "bootstrap": settings.bootstrap,
                    "warmup": args.warmup,
                    "fps": FPS,
                    "frame_jitter": args.frame_jitter,
                },
                "elapsed_s": round(time.monotonic() - began, 1),
            }
        )
        print(json.dumps(finite(line)), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
