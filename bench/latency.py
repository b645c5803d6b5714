"""`latency`: from a player producing an action to another reader having folded it.

Ours: a PlayerAgent walks (moves along legal steps) and sends through the project's
ActionProducer; a spectator-like reader thread (MatchReader.poll(batch, timeout), as the
spectator's LogFeed calls it, + MatchReplica.read) stamps the moment it applied the move,
matched by pid and seq. Both ends are in this process, so one perf_counter clock times it.

Baseline: a raw confluent-kafka Producer with the same settings, writing a same-size record
to the same topic, and a raw Consumer (assign, poll() per message) in another thread.

Open loop: every 1/rate s one of ours and one raw record are sent, without waiting for
earlier ones, so a slow sample does not hide the ones queued behind it. Measured at idle
(our player alone) and while `--bots` bots play in the same match (a `game.bots`
subprocess). Top-level figures are the loaded case; `idle` holds the same keys at idle.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import threading
import time
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from bench.common import PYTHON, child_env, fresh_match, summarize_ms
from game.agent.player import PlayerAgent
from game.core.codec import encode, record_key
from game.core.maps import DEFAULT_MAP
from game.core.replica import new_replica
from game.kafka import (
    ActionProducer,
    KafkaSettings,
    MatchReader,
    ensure_match_topic,
    producer_config,
    reader_config,
)
from spectator.source import BATCH as SPECTATOR_BATCH

RAW_KEY = b"bench-raw"  # not a pid: match readers skip the raw records as malformed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("latency")
    group.add_argument("--samples", type=int, default=300, help="samples per phase (300)")
    group.add_argument("--rate", type=float, default=50.0, help="samples per second (50)")
    group.add_argument("--bots", type=int, default=100, help="bots playing when loaded (100)")


class FoldingReader(threading.Thread):
    """A spectator-like reader: polls the match and folds every record into a replica."""

    def __init__(self, settings: KafkaSettings, match: str, pid: int, batch: int, timeout: float) -> None:
        super().__init__(name="bench-reader", daemon=True)
        self.reader = MatchReader(settings, match, "beginning")
        self.replica = new_replica(match)
        self.pid = pid
        self.batch = batch
        self.timeout = timeout
        self.applied_at: dict[int, float] = {}  # our seq -> perf_counter when folded
        self.rejected: dict[str, int] = {}
        self.needs_snap = threading.Event()  # a move of ours was refused: re-sync the agent
        self.stopping = threading.Event()

    def run(self) -> None:
        read = self.replica.read
        with self.reader:
            while not self.stopping.is_set():
                for record in self.reader.poll(self.batch, self.timeout):
                    action, outcome = read(record.offset, record.ts, record.key, record.value)
                    if action is None or outcome is None or action.pid != self.pid:
                        continue
                    self.applied_at[action.seq] = time.perf_counter()
                    if not outcome.applied:
                        self.rejected[outcome.reason] = self.rejected.get(outcome.reason, 0) + 1
                        self.needs_snap.set()


class RawReader(threading.Thread):
    """The baseline's consumer: one poll() per message, picks out the raw samples."""

    def __init__(self, settings: KafkaSettings, topic: str) -> None:
        super().__init__(name="bench-raw-reader", daemon=True)
        self.consumer = Consumer(reader_config(settings))
        self.consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        self.received_at: dict[int, float] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        with self.consumer:
            while not self.stopping.is_set():
                message = self.consumer.poll(0.05)
                if message is None or message.error() is not None or message.key() != RAW_KEY:
                    continue
                value = message.value() or b""
                self.received_at[int(value[1:11])] = time.perf_counter()


class Session:
    """Our player, the raw producer and both readers on one match."""

    def __init__(self, settings: KafkaSettings, args: argparse.Namespace) -> None:
        self.match = fresh_match("latency")
        self.topic = ensure_match_topic(settings, self.match)
        self.agent = PlayerAgent("bench-latency", DEFAULT_MAP)
        self.key = record_key(self.agent.pid)
        self.producer = ActionProducer(settings)
        self.raw = Producer(producer_config(settings))
        self.reader = FoldingReader(
            settings, self.match, self.agent.pid, args.reader_batch, args.reader_timeout
        )
        self.raw_reader = RawReader(settings, self.topic)
        self.sent_at: dict[int, float] = {}  # our seq -> perf_counter at send
        self.raw_sent_at: dict[int, float] = {}
        self.raw_size = 0
        self.raw_id = 0
        self.direction = 1.0
        self.last_tick = time.perf_counter()
        self.reader.start()
        self.raw_reader.start()

    def join(self, timeout: float = 20.0) -> None:
        join = self.agent.join()
        self.producer.send(self.topic, self.key, encode(join))
        self.producer.flush(timeout)
        deadline = time.monotonic() + timeout
        while join.seq not in self.reader.applied_at:
            if time.monotonic() > deadline:
                raise RuntimeError(f"our join never came back from {self.topic}")
            time.sleep(0.01)
        self.agent.snap_to(self.reader.replica.world.players.get(self.agent.pid))
        self.agent.joined = True

    def tick(self) -> tuple[int, int] | None:
        """Send one move and one raw record; their ids, or None when no move was possible."""
        world = self.reader.replica.world
        me = world.players.get(self.agent.pid)
        if self.reader.needs_snap.is_set():
            self.reader.needs_snap.clear()
            self.agent.snap_to(me)
        now = time.perf_counter()
        dt_ms = (now - self.last_tick) * 1000
        self.last_tick = now
        # Pace back and forth: every step is legal, whatever the map around the spawn.
        self.direction = -self.direction
        if world.grid is not None:  # the world has its map once our join came back
            self.agent.walk(world.grid, (self.direction, 0.0), dt_ms, me)
        move = self.agent.move_if_due(force=True)
        if move is None:  # dead, or the log has not placed us yet
            self.producer.poll()
            return None
        value = encode(move)
        self.sent_at[move.seq] = time.perf_counter()
        self.producer.send(self.topic, self.key, value)
        self.producer.poll()
        # The raw twin: same size, id in ASCII after a byte msgpack never uses.
        self.raw_id += 1
        raw_value = (b"\xc1%010d" % self.raw_id).ljust(len(value), b"\x00")
        self.raw_size = len(raw_value)
        self.raw_sent_at[self.raw_id] = time.perf_counter()
        self.raw.produce(self.topic, raw_value, RAW_KEY)
        self.raw.poll(0)
        return move.seq, self.raw_id

    def run_phase(self, samples: int, rate: float, budget_s: float) -> dict[str, Any]:
        ours: list[int] = []
        raws: list[int] = []
        period = 1 / rate
        next_at = time.perf_counter()
        deadline = time.monotonic() + budget_s
        while len(ours) < samples and time.monotonic() < deadline:
            sent = self.tick()
            if sent is not None:
                ours.append(sent[0])
                raws.append(sent[1])
            next_at += period
            spare = next_at - time.perf_counter()
            if spare > 0:
                time.sleep(spare)
        self.producer.flush(5)
        self.raw.flush(5)
        # Stragglers: wait a little for the last samples to be folded.
        settle = time.monotonic() + 5
        while time.monotonic() < settle and not (
            all(s in self.reader.applied_at for s in ours)
            and all(r in self.raw_reader.received_at for r in raws)
        ):
            time.sleep(0.02)
        ours_ms = [
            (self.reader.applied_at[s] - self.sent_at[s]) * 1000 for s in ours if s in self.reader.applied_at
        ]
        raw_ms = [
            (self.raw_reader.received_at[r] - self.raw_sent_at[r]) * 1000
            for r in raws
            if r in self.raw_reader.received_at
        ]
        figures: dict[str, Any] = summarize_ms(ours_ms)
        figures["missing"] = len(ours) - len(ours_ms)
        baseline: dict[str, Any] = summarize_ms(raw_ms)
        baseline["missing"] = len(raws) - len(raw_ms)
        figures["baseline"] = baseline
        figures["ratio_p50"] = (
            round(figures["p50_ms"] / baseline["p50_ms"], 2) if baseline["p50_ms"] else None
        )
        return figures

    def keep_alive_until(self, ready: Any, timeout: float, rate: float) -> bool:
        """Keep walking (unmeasured) until ready() or timeout: silent players time out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return True
            self.tick()
            time.sleep(1 / rate)
        return ready()

    def close(self) -> None:
        self.producer.send(self.topic, self.key, encode(self.agent.leave()))
        self.producer.flush(5)
        self.raw.flush(5)
        self.reader.stopping.set()
        self.raw_reader.stopping.set()
        self.reader.join(5)
        self.raw_reader.join(5)


def start_bots(
    settings: KafkaSettings, match: str, count: int, seconds: float, seed: int
) -> subprocess.Popen[str]:
    argv = [PYTHON, "-m", "game.bots", "--match", match, "--count", str(count)]
    argv += ["--seconds", str(seconds), "--seed", str(seed), "--bootstrap", settings.bootstrap]
    for key, value in settings.overrides:
        argv += ["-X", f"{key}={value}"]
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed argv
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env()
    )


def stop_bots(bots: subprocess.Popen[str], timeout: float = 30.0) -> dict[str, Any]:
    """Stop the bots gracefully (they leave and print their JSON summary) and return it."""
    if bots.poll() is None:
        bots.send_signal(signal.SIGTERM)
    try:
        out, err = bots.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        bots.kill()
        out, err = bots.communicate()
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"error": (err.strip().splitlines() or ["no summary"])[-1], "rc": bots.returncode}


def run(args: argparse.Namespace, settings: KafkaSettings) -> dict[str, Any]:
    session = Session(settings, args)
    phase_budget = args.samples / args.rate * 3 + 10
    bots = None
    try:
        session.join()
        session.run_phase(min(20, args.samples), args.rate, phase_budget)  # warm the clients
        idle = session.run_phase(args.samples, args.rate, phase_budget)
        # The bots run until stopped; --seconds is only a safety net.
        bots = start_bots(settings, session.match, args.bots, phase_budget + 60, args.seed)
        started = time.monotonic()
        players = session.reader.replica.world.players
        ready = session.keep_alive_until(lambda: len(players) > args.bots, 60, args.rate)
        warmup_s = time.monotonic() - started
        loaded = session.run_phase(args.samples, args.rate, phase_budget)
        bot_summary = stop_bots(bots)
        bots = None
    finally:
        if bots is not None:
            stop_bots(bots)
        session.close()
    replica = session.reader.replica
    return {
        "bench": "latency",
        "layout": "top level: while bots play; idle: our player alone",
        **loaded,
        "idle": idle,
        "bots": args.bots,
        "bots_ready": ready,
        "bots_warmup_s": round(warmup_s, 1),
        "bots_summary": {k: bot_summary.get(k) for k in ("sent", "dropped", "actions_per_s", "bot_rejected")},
        "our_rejected": session.reader.rejected,
        "reader_records": replica.offset + 1,
        "settings": {
            "match": session.match,
            "bootstrap": settings.bootstrap,
            "samples": args.samples,
            "rate_per_s": args.rate,
            "record_bytes": session.raw_size,
            # The producer's own settings: without the -X overrides, which may hold secrets.
            "producer": {
                k: v for k, v in producer_config(KafkaSettings()).items() if k != "bootstrap.servers"
            },
            "reader_poll": {"max": args.reader_batch, "timeout_s": args.reader_timeout},
            "baseline_consumer": "Consumer.poll() per message, assign",
            "clock": "perf_counter, reader threads in this process",
        },
        "_matches": [session.match],
    }


DEFAULT_READER_BATCH = SPECTATOR_BATCH
