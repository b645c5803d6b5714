"""`join`: joining a long match from its checkpoint, against folding it from offset 0.

`python -m bench join [--actions 1000000,5000000]`. For each size it writes a synthetic match
of that many signed brawl records (spectator.synth.brawl, streamed in chunks, as the replay
bench writes them), runs the stats processor on that match alone until a checkpoint at or
near its end exists (`checkpoint_build_s`), then measures, `--repeats` times each (medians):

- `player_ready_s`: a headless player window (`python -m game`) from opening to its join
  applied, starting at the latest checkpoint; `baseline_player_ready_s` with --no-checkpoint
  (the whole match folded from offset 0 first).
- `spectator_live_s`, `spectator_rss_mb`: a headless spectator from opening to showing the live
  edge, and its peak RSS; `baseline_spectator_*` with --no-checkpoint.
- `*_rss_mb` are each window's own peak (VmHWM, sampled from /proc while it runs). The rss_mb
  of the windows' summaries (getrusage ru_maxrss) is kept in `runs` as `*_summary_rss_mb`:
  Linux carries ru_maxrss over exec from the parent, so there it is at least this bench's peak.
- `seek_p50_ms`, `seek_p99_ms`: `--seeks` random moments T of the match, each `start_of(...,
  before_ts=T)` then a fold from that checkpoint up to the first record after T: the primitive
  (the spectator window seeks within the records it holds, and uses it only to go back before
  the checkpoint it started from). `seek_found_right_checkpoint`
  counts the seeks whose lookup found the last checkpoint stamped at or before T, and
  `seek_indexed_*` time the same seeks started from that one: Kafka's time index also holds
  the processor's transaction markers, stamped when they were written, so a processor that
  was behind the log (as this one, which checkpoints a finished recording) leaves markers
  stamped after the checkpoints that follow them, and the lookup lands on an early one.

Timestamps. A match topic must use LogAppendTime, or no player may join it
(`ensure_match_topic` refuses another clock). But millions of records written at full speed
into a LogAppendTime topic land within a minute of broker time, while they claim hours of
client time: the reducer refuses nearly all of them (`clock_ahead`, then `not_joined` once
the bots time out) and the "long match" would be a log of rejections with an empty world.
So by default the topic is created as the game creates it (LogAppendTime), switched to
CreateTime while the recording is imported with its own timestamps (ending before now),
then switched back to LogAppendTime before any reader opens it: a long match as if played
over the past hours, which a real player then joins at broker time. `--broker-time` writes
into the LogAppendTime topic as is instead.

One JSON line per size. The topics (match, checkpoint, the bench's stats topic) and the
processor's consumer group are deleted at the end unless --keep-topics.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import json
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import IO, Any

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource

from bench.common import PYTHON, child_env, finite, percentile
from bench.replay import write_recording
from game.core.actions import Join
from game.core.auth import HashChain
from game.core.checkpoint import Checkpoint, Unusable, decode_checkpoint, restore
from game.core.codec import Skipped, decode, encode
from game.core.maps import TileMap, load_map
from game.core.records import Record
from game.core.replica import MatchReplica, all_maps, new_replica
from game.kafka import (
    KafkaSettings,
    KafkaUnavailable,
    MatchReader,
    add_kafka_arguments,
    ensure_match_topic,
    reader_config,
    settings_from_args,
    topic_for,
)
from game.kafka.checkpoints import checkpoint_topic_for, start_of
from game.stats.processor import CHECKPOINT_EVERY_RECORDS
from spectator.synth import TICK_MS, _brawl

DEFAULT_SIZES = "1000000,5000000"
CHUNK = 100_000  # records generated, signed and written at a time
SEEK_WHAT = (
    "checkpoint at or before T + fold to T (the primitive; the spectator UI seeks within what it "
    "stored, and only for a moment before its first checkpoint restarts from start_of(before_ts=T))"
)
SEEK_INDEXED_WHAT = (
    "the last checkpoint stamped at or before T (looked up in a scan of the checkpoint topic, "
    "not timed), restored + fold to T: the primitive's cost when its time lookup finds that one"
)
GRACE_S = 1.0  # after the player's join is in the log, before it is asked to quit


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench join",
        description="Join a long match from its checkpoint vs from offset 0; one JSON line per size.",
    )
    add_kafka_arguments(parser)
    parser.add_argument(
        "--actions",
        default=DEFAULT_SIZES,
        help=f"match sizes in records, comma-separated ({DEFAULT_SIZES})",
    )
    parser.add_argument("--keep-topics", action="store_true", help="keep the benchmark's topics")
    parser.add_argument("--seed", type=int, default=7, help="seed of the recording and the seeks (7)")
    parser.add_argument("--players", type=int, default=8, help="bots in the recording (8)")
    parser.add_argument(
        "--checkpoint-every",
        type=int,
        default=CHECKPOINT_EVERY_RECORDS,
        metavar="RECORDS",
        help=f"the stats processor's --checkpoint-every ({CHECKPOINT_EVERY_RECORDS})",
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs of each window, median taken (3)")
    parser.add_argument("--seeks", type=int, default=30, help="random moments to seek to (30)")
    parser.add_argument(
        "--timeout",
        type=float,
        help="seconds a window may take to be ready or live before it counts as not finishing "
        "(default 60 + 1 s per 10000 records)",
    )
    parser.add_argument(
        "--broker-time",
        action="store_true",
        help="write the recording into the LogAppendTime topic as is (most actions then refused)",
    )
    return parser


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"--actions wants sizes like 1000000,5000000, not {text!r}") from None
    if not sizes or min(sizes) < 100:
        raise ValueError("--actions: each size must be at least 100 records")
    return sizes


def say(line: str) -> None:
    print(f"bench join: {line}", file=sys.stderr, flush=True)


# --- the match ---


def signed_brawl(players: int, records: int, seed: int, start_ts: int, tile_map: TileMap) -> Iterator[Record]:
    """spectator.synth.brawl's records one at a time, each action with its hash-chain token as
    PlayerAgent signs it (bench.replay.sign_recording does the same to a whole list).

    A chain must be at least as long as its player's actions, known only at the end: every
    bot acts at most once a tick, so `records` bounds it (O(sqrt n) memory each)."""
    chains = {1000 + i: HashChain(records + 1) for i in range(players)}
    for record in _brawl(players, records, seed, start_ts, tile_map, 10**12):  # no garbage
        action = decode(record.value, record.key)
        if isinstance(action, Skipped):
            raise RuntimeError(f"the generator wrote an undecodable record: {action}")
        chain = chains[action.pid]
        k = action.seq - 1  # brawl numbers each player's actions 1, 2, 3... from its join
        action = replace(action, auth=chain.tip if k == 0 else chain.token(k))
        yield replace(record, value=encode(action))


def set_timestamp_type(admin: AdminClient, topic: str, kind: str, timeout: float = 15.0) -> None:
    """Alter the topic's message.timestamp.type and wait until the broker reports it."""
    entry = ConfigEntry("message.timestamp.type", kind, incremental_operation=AlterConfigOpType.SET)
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic, incremental_configs=[entry])
    admin.incremental_alter_configs([resource])[resource].result(timeout)
    deadline = time.monotonic() + timeout
    described = ConfigResource(ConfigResource.Type.TOPIC, topic)
    while True:
        configs = admin.describe_configs([described])[described].result(timeout)
        if configs["message.timestamp.type"].value == kind:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{topic} still does not use {kind} timestamps")
        time.sleep(0.2)


@dataclass(frozen=True, slots=True)
class Written:
    end: int
    first_ts: int
    last_ts: int
    generate_s: float  # generating and signing
    write_s: float  # producing (acknowledged)


def make_match(args: argparse.Namespace, settings: KafkaSettings, match: str, actions: int) -> Written:
    topic = ensure_match_topic(settings, match)  # LogAppendTime, as the game creates it
    admin = AdminClient(settings.client_config())
    recorded = not args.broker_time
    # Spread the recording over the past: about 1.7 ticks per round of bots (some are dead at
    # any time); twice the ideal length keeps its last record before now.
    now_ms = int(time.time() * 1000)
    start_ts = now_ms - 60_000 - 2 * TICK_MS * (actions // args.players + 1)
    if recorded:
        set_timestamp_type(admin, topic, "CreateTime")
    tile_map = load_map("arena")
    generate_s = write_s = 0.0
    first_ts = last_ts = 0
    written = 0
    started = time.perf_counter()
    stream = signed_brawl(args.players, actions, args.seed, start_ts, tile_map)
    while written < actions:
        at = time.perf_counter()
        chunk = list(islice(stream, CHUNK))
        generate_s += time.perf_counter() - at
        if not chunk:
            break
        if not first_ts:
            first_ts = chunk[0].ts
        last_ts = chunk[-1].ts
        if recorded and last_ts > time.time() * 1000:
            raise RuntimeError("the recording ran past the present; its start estimate was too late")
        at = time.perf_counter()
        write_recording(settings, topic, chunk)
        write_s += time.perf_counter() - at
        written += len(chunk)
        say(f"{match}: {written}/{actions} records written ({time.perf_counter() - started:.0f} s)")
    if recorded:
        set_timestamp_type(admin, topic, "LogAppendTime")
    first, last = _edge_records(settings, match, written)
    if recorded and (first.ts, last.ts) != (first_ts, last_ts):
        raise RuntimeError(
            f"the broker re-stamped the recording ({first.ts}..{last.ts}, not {first_ts}..{last_ts}): "
            "the switch to CreateTime was not in force yet"
        )
    return Written(written, first.ts, last.ts, generate_s, write_s)


def _edge_records(settings: KafkaSettings, match: str, end: int) -> tuple[Record, Record]:
    """The first and the last record of the log (their timestamps, as the broker stored them)."""
    found: list[Record] = []
    for offset in (0, end - 1):
        with MatchReader(settings.quiet(), match, offset) as reader:
            deadline = time.monotonic() + 15
            records: list[Record] = []
            while not records and time.monotonic() < deadline:
                records = reader.poll(1, 0.5)
            if not records:
                raise RuntimeError(f"could not read offset {offset} of {match}")
            found.append(records[0])
    return found[0], found[1]


# --- child processes ---


class Child:
    """A `python -m ...` child whose output goes to temporary files (no pipe to fill up)."""

    def __init__(self, argv: list[str]) -> None:
        self.out: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in finish()
        self.err: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115
        self.started = time.monotonic()
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed argv
            [PYTHON, *argv], stdout=self.out, stderr=self.err, text=True, env=child_env()
        )

        self.peak_kb = 0

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """Whatever happened to the bench, leave no window running."""
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def sample(self) -> None:
        """Note its peak RSS since it started (VmHWM: per address space, so its own).

        Not the summary's `rss_mb`: that is getrusage's ru_maxrss, which Linux carries over
        exec from the process that forked it, so a child of this (big) process reports our
        peak when its own is lower."""
        with contextlib.suppress(OSError, IndexError, ValueError):
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
            self.peak_kb = max(self.peak_kb, int(status.split("VmHWM:")[1].split()[0]))

    @property
    def peak_rss_mb(self) -> float | None:
        return round(self.peak_kb / 1024, 1) if self.peak_kb else None

    def finish(
        self, sig: int | None = signal.SIGINT, timeout: float = 30.0
    ) -> tuple[dict[str, Any] | None, str]:
        """Stop it (a signal, then a kill after `timeout`); its JSON summary and its last stderr line."""
        self.sample()
        if sig is not None and self.alive():
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        summary = None
        self.out.seek(0)
        for line in reversed(self.out.read().splitlines()):
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    summary = json.loads(line)
                break
        self.err.seek(0)
        err_lines = [line for line in self.err.read().splitlines() if line.strip()]
        self.out.close()
        self.err.close()
        return summary, (err_lines[-1] if err_lines else f"exit code {self.proc.returncode}")


@dataclass(frozen=True, slots=True)
class Run:
    """One window's run: its summary line, why it has no figure (empty: it has), its peak RSS."""

    summary: dict[str, Any] | None
    note: str
    peak_rss_mb: float | None


def kafka_argv(settings: KafkaSettings) -> list[str]:
    argv = ["--bootstrap", settings.bootstrap]
    for key, value in settings.overrides:
        argv += ["-X", f"{key}={value}"]
    return argv


@dataclass(slots=True)
class Bench:
    args: argparse.Namespace
    settings: KafkaSettings
    match: str
    stats_topic: str
    group: str
    timeout: float
    children: list[Child] = field(default_factory=list)

    def spawn(self, argv: list[str]) -> Child:
        child = Child(argv)
        self.children.append(child)
        return child

    @property
    def kafka(self) -> list[str]:
        return kafka_argv(self.settings)

    def build_checkpoint(self, end: int) -> dict[str, Any]:
        """Run the stats processor on this match alone until a checkpoint within
        `checkpoint_every` records of the end exists; stop it."""
        every = self.args.checkpoint_every
        argv = ["-m", "game.stats", "--group", self.group, "--instance", self.group]
        argv += ["--stats-topic", self.stats_topic, "--pattern", rf"^arena\.match\.{self.match}$"]
        argv += ["--checkpoint-every", str(every), *self.kafka]
        processor = self.spawn(argv)
        maps = all_maps()
        offset = -1
        deadline = time.monotonic() + self.timeout * 2
        last_said = 0.0
        try:
            while offset < end - every:
                if not processor.alive():
                    _, err = processor.finish(None)
                    raise RuntimeError(f"the stats processor stopped before checkpointing: {err}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no checkpoint near offset {end} after {self.timeout * 2:.0f} s")
                time.sleep(0.5)
                offset = start_of(self.settings.quiet(), self.match, maps).checkpoint_offset
                if time.monotonic() - last_said > 10:
                    last_said = time.monotonic()
                    say(f"{self.match}: stats processor checkpointed up to offset {offset} of {end}")
            build_s = time.monotonic() - processor.started
        finally:
            summary, err = processor.finish(signal.SIGTERM)
        return {
            "checkpoint_build_s": round(build_s, 2),
            "checkpoint_offset": offset,
            "checkpoints_written": (summary or {}).get("checkpoints"),
            "processor": summary or err,
        }

    def player(self, name: str, use_checkpoint: bool) -> Run:
        """A headless player window; asked to quit once its join has been in the log GRACE_S."""
        with MatchReader(self.settings.quiet(), self.match) as probe:
            end = probe.end_offset()
        with MatchReader(self.settings.quiet(), self.match, end) as tail:
            argv = ["-m", "game", "--name", name, "--match", self.match, "--headless"]
            argv += ["--seconds", str(round(self.timeout + 10)), *self.kafka]
            if not use_checkpoint:
                argv.append("--no-checkpoint")
            window = self.spawn(argv)
            joined_at = None
            deadline = window.started + self.timeout
            while window.alive() and time.monotonic() < deadline:
                window.sample()
                if joined_at is not None:
                    if time.monotonic() - joined_at >= GRACE_S:
                        break
                    time.sleep(0.05)
                    continue
                for record in tail.poll(1_000, 0.1):
                    action = decode(record.value, record.key)
                    if isinstance(action, Join) and action.name == name:
                        joined_at = time.monotonic()
            timed_out = joined_at is None and window.alive()
        summary, err = window.finish()
        if timed_out:
            return Run(summary, f"not ready after {self.timeout:.0f} s", window.peak_rss_mb)
        if summary is None or summary.get("ready_s") is None:
            return Run(summary, f"no ready_s ({err})", window.peak_rss_mb)
        return Run(summary, "", window.peak_rss_mb)

    def spectator(self, use_checkpoint: bool) -> Run:
        """A headless spectator that quits once it shows the end of the log (--exit-at-end)."""
        argv = ["-m", "spectator", "--match", self.match, "--headless", "--exit-at-end"]
        argv += ["--seconds", str(round(self.timeout)), "--stats-topic", self.stats_topic, *self.kafka]
        if not use_checkpoint:
            argv.append("--no-checkpoint")
        window = self.spawn(argv)
        deadline = window.started + self.timeout + 30  # it has --seconds; finish() kills
        while window.alive() and time.monotonic() < deadline:
            window.sample()
            time.sleep(0.1)
        summary, err = window.finish()
        if summary is None or summary.get("live_s") is None:
            return Run(summary, f"not live after {self.timeout:.0f} s ({err})", window.peak_rss_mb)
        return Run(summary, "", window.peak_rss_mb)

    def seeks(self, first_ts: int, last_ts: int, count: int) -> dict[str, Any]:
        """`count` random moments T: `start_of(before_ts=T)` and a fold from its checkpoint up to
        the first record after T (the primitive, timed as a whole).

        Each is checked against the checkpoint it should have found, the last one stamped at or
        before T (from one scan of the checkpoint topic, not timed), and timed again from that
        one (`seek_indexed_*`: restore + fold to T); both folds must end in the same world."""
        rng = random.Random(self.args.seed)
        maps = all_maps()
        quiet = self.settings.quiet()
        index = self.checkpoint_index()
        stamps = [ts for ts, _, _ in index]
        primitive_ms: list[float] = []
        primitive_folded: list[int] = []
        indexed_ms: list[float] = []
        indexed_folded: list[int] = []
        right = agree = 0
        for _ in range(count):
            moment = rng.randint(first_ts, max(first_ts, last_ts - 1))
            started = time.perf_counter()
            start = start_of(quiet, self.match, maps, before_ts=moment)
            replica, n = self.fold_to(start.replica, start.next_offset, moment)
            primitive_ms.append((time.perf_counter() - started) * 1000)
            primitive_folded.append(n)
            at = bisect.bisect_right(stamps, moment) - 1
            expected = index[at][1] if at >= 0 else -1
            right += start.checkpoint_offset == expected
            started = time.perf_counter()
            if at >= 0:
                decoded = decode_checkpoint(index[at][2])
                base = restore(decoded, self.match, maps) if isinstance(decoded, Checkpoint) else decoded
                if isinstance(base, Unusable):
                    raise RuntimeError(f"the checkpoint at offset {expected} is unusable: {base.reason}")
            else:
                base = new_replica(self.match, maps)
            other, n = self.fold_to(base, base.offset + 1, moment)
            indexed_ms.append((time.perf_counter() - started) * 1000)
            indexed_folded.append(n)
            agree += other.offset == replica.offset and other.hash() == replica.hash()
        return {
            **_seek_figures("seek", primitive_ms, primitive_folded),
            "seek_found_right_checkpoint": right,
            **_seek_figures("seek_indexed", indexed_ms, indexed_folded),
            "seek_worlds_agree": agree,
            "seeks": count,
            "checkpoints": len(index),
        }

    def fold_to(self, replica: MatchReplica, offset: int, moment: int) -> tuple[MatchReplica, int]:
        """Fold the log from `offset` into `replica` up to the first record after `moment`."""
        n = 0
        with MatchReader(self.settings.quiet(), self.match, offset) as reader:
            deadline = time.monotonic() + self.timeout
            while True:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"a seek to {moment} did not reach it in {self.timeout:.0f} s")
                for record in reader.poll(5_000, 0.05):
                    if record.ts > moment:
                        return replica, n
                    replica.ingest(record.offset, record.ts, record.key, record.value)
                    n += 1

    def checkpoint_index(self) -> list[tuple[int, int, bytes]]:
        """Every committed checkpoint of the match: (its timestamp, its match offset, its value)."""
        topic = checkpoint_topic_for(self.match)
        consumer = Consumer(reader_config(self.settings.quiet(), **{"isolation.level": "read_committed"}))
        found: list[tuple[int, int, bytes]] = []
        try:
            partition = TopicPartition(topic, 0)
            _, high = consumer.get_watermark_offsets(partition, timeout=10, cached=False)
            consumer.assign([TopicPartition(topic, 0, 0)])
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                messages = consumer.consume(1_000, 0.5)
                for message in messages:
                    value = message.value()
                    if message.error() is None and value is not None:
                        decoded = decode_checkpoint(value)
                        if isinstance(decoded, Checkpoint):
                            found.append((message.timestamp()[1], decoded.offset, value))
                # read_committed: the position skips the transaction markers up to the end
                if not messages and consumer.position([partition])[0].offset >= high:
                    break
        finally:
            consumer.close()
        if [ts for ts, _, _ in found] != sorted(ts for ts, _, _ in found):
            raise RuntimeError(f"the checkpoints of {self.match} are not in time order")
        return found

    def delete(self) -> None:
        """Best effort: the match, its checkpoints, the bench's stats topic and group."""
        admin = AdminClient(self.settings.quiet().client_config())
        topics = [topic_for(self.match), checkpoint_topic_for(self.match), self.stats_topic]
        for future in admin.delete_topics(topics, operation_timeout=10).values():
            with contextlib.suppress(KafkaException):
                future.result(timeout=15)
        for future in admin.delete_consumer_groups([self.group], request_timeout=10).values():
            with contextlib.suppress(KafkaException):
                future.result(timeout=15)


def _seek_figures(prefix: str, times_ms: list[float], folded: list[int]) -> dict[str, Any]:
    ordered = sorted(times_ms)
    return {
        f"{prefix}_p50_ms": round(percentile(ordered, 50), 1),
        f"{prefix}_p99_ms": round(percentile(ordered, 99), 1),
        f"{prefix}_max_ms": round(ordered[-1], 1),
        f"{prefix}_folded_p50": int(percentile(sorted(folded), 50)),
        f"{prefix}_folded_max": max(folded),
    }


def _median(values: list[float | None]) -> float | None:
    if not values or any(v is None for v in values):
        return None
    return round(statistics.median(v for v in values if v is not None), 3)


def _ratio(slow: float | None, fast: float | None) -> float | None:
    return round(slow / fast, 1) if slow is not None and fast else None


def run_size(args: argparse.Namespace, settings: KafkaSettings, actions: int) -> dict[str, Any]:
    started = time.monotonic()
    tag = uuid.uuid4().hex[:8]
    match = f"bench-join-{tag}"
    timeout = args.timeout if args.timeout is not None else 60 + actions / 10_000
    bench = Bench(args, settings, match, f"arena.stats.bench-join-{tag}", f"bench-join-{tag}", timeout)
    stages: dict[str, float] = {}
    try:
        say(f"{match}: generating and writing {actions} records")
        at = time.monotonic()
        written = make_match(args, settings, match, actions)
        stages["write_s"] = round(time.monotonic() - at, 1)

        at = time.monotonic()
        built = bench.build_checkpoint(written.end)
        stages["checkpoint_s"] = round(time.monotonic() - at, 1)
        say(f"{match}: checkpoint at offset {built['checkpoint_offset']} in {built['checkpoint_build_s']} s")

        at = time.monotonic()
        seek = bench.seeks(written.first_ts, written.last_ts, args.seeks)
        stages["seeks_s"] = round(time.monotonic() - at, 1)
        say(
            f"{match}: seeks p50 {seek['seek_p50_ms']} ms, p99 {seek['seek_p99_ms']} ms "
            f"({seek['seek_found_right_checkpoint']}/{seek['seeks']} from the right checkpoint; "
            f"from it: p50 {seek['seek_indexed_p50_ms']} ms, p99 {seek['seek_indexed_p99_ms']} ms)"
        )

        figures = (
            "player_ready_s",
            "baseline_player_ready_s",
            "player_rss_mb",
            "baseline_player_rss_mb",
            "spectator_live_s",
            "baseline_spectator_live_s",
            "spectator_rss_mb",
            "baseline_spectator_rss_mb",
        )
        runs: dict[str, list[Any]] = {key: [] for key in figures}
        notes: dict[str, str] = {}
        full_fold: dict[str, Any] = {}
        player_checkpoint = spectator_checkpoint = -1
        at = time.monotonic()
        for i in range(args.repeats):
            for window in ("player", "spectator"):
                for baseline in (False, True):
                    prefix = f"{'baseline_' if baseline else ''}{window}"
                    figure = "ready_s" if window == "player" else "live_s"
                    if window == "player":
                        run = bench.player(f"{'b' if baseline else 'c'}{i}-{tag}", not baseline)
                    else:
                        run = bench.spectator(not baseline)
                    summary = run.summary or {}
                    runs[f"{prefix}_{figure}"].append(None if run.note else summary.get(figure))
                    runs[f"{prefix}_rss_mb"].append(run.peak_rss_mb)
                    # What the window itself says: ru_maxrss, our own peak included (see Child.sample).
                    runs.setdefault(f"{prefix}_summary_rss_mb", []).append(summary.get("rss_mb"))
                    if run.note:
                        notes[f"{prefix}_{figure}"] = run.note
                    if window == "player" and baseline and not run.note and not full_fold:
                        full_fold = {k: summary.get(k) for k in ("applied", "rejected", "offset")}
                    if not baseline and window == "player":
                        player_checkpoint = summary.get("checkpoint_offset", -1)
                    elif not baseline:
                        spectator_checkpoint = summary.get("checkpoint_offset", -1)
                    say(
                        f"{match}: {prefix} {figure}={summary.get(figure)} "
                        f"rss_mb={run.peak_rss_mb} {run.note}".rstrip()
                    )
        stages["windows_s"] = round(time.monotonic() - at, 1)
        medians = {key: _median(runs[key]) for key in figures}
        return {
            "bench": "join",
            "actions": written.end,
            "checkpoint_every": args.checkpoint_every,
            "checkpoint_build_s": built["checkpoint_build_s"],
            "checkpoint_offset": built["checkpoint_offset"],
            "checkpoints_written": built["checkpoints_written"],
            **medians,
            "ready_speedup": _ratio(medians["baseline_player_ready_s"], medians["player_ready_s"]),
            "live_speedup": _ratio(medians["baseline_spectator_live_s"], medians["spectator_live_s"]),
            "seek_p50_ms": seek["seek_p50_ms"],
            "seek_p99_ms": seek["seek_p99_ms"],
            "seek_what": SEEK_WHAT,
            "seek_found_right_checkpoint": f"{seek['seek_found_right_checkpoint']}/{seek['seeks']}",
            "seek_indexed_p50_ms": seek["seek_indexed_p50_ms"],
            "seek_indexed_p99_ms": seek["seek_indexed_p99_ms"],
            "seek_indexed_what": SEEK_INDEXED_WHAT,
            "seek": seek,
            "player_checkpoint_offset": player_checkpoint,
            "spectator_checkpoint_offset": spectator_checkpoint,
            "runs": runs,
            "notes": notes,
            "full_fold": full_fold,  # what a baseline player folded: the match is a real one
            "stages_s": stages,
            "settings": {
                "match": match,
                "bootstrap": settings.bootstrap,
                "players": args.players,
                "seed": args.seed,
                "repeats": args.repeats,
                "timeout_s": timeout,
                "generator": "spectator.synth.brawl, signed (no garbage records)",
                "timestamps": "LogAppendTime, as written (--broker-time)"
                if args.broker_time
                else "recorded (imported as CreateTime), then LogAppendTime",
                "match_span_s": round((written.last_ts - written.first_ts) / 1000),
                "generate_s": round(written.generate_s, 1),
                "write_s": round(written.write_s, 1),
                "processor": built["processor"],
            },
            "seconds": round(time.monotonic() - started, 1),
        }
    finally:
        for child in bench.children:
            child.kill()
        if not args.keep_topics:
            bench.delete()


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        sizes = parse_sizes(args.actions)
    except ValueError as exc:
        parser.error(str(exc))
    if args.repeats < 1 or args.seeks < 1 or args.checkpoint_every < 1 or args.players < 1:
        parser.error("--repeats, --seeks, --checkpoint-every and --players must be at least 1")
    settings = settings_from_args(args)
    # Started in the background (`nohup ... &`), we and so every window we start would ignore
    # SIGINT, the window's way to quit with its summary: take it back. SIGTERM ends us through
    # the same clean-up (windows stopped, topics deleted).
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminated)
    failed = 0
    for actions in sizes:
        try:
            result = run_size(args, settings, actions)
        except (KafkaUnavailable, KafkaException, RuntimeError) as exc:
            print(json.dumps({"bench": "join", "actions": actions, "error": str(exc)}), flush=True)
            failed += 1
            continue
        print(json.dumps(finite(result)), flush=True)
    return 1 if failed else 0
