"""`replay`: fold a recorded match from offset 0, against raw consume + msgpack decode.

The recording comes from spectator.synth.brawl (bots join, chase, swing, pick items; each
action checked against a world of its own, so almost all are legal), without its garbage
records. It is written with its recorded timestamps to a topic with CreateTime, as an
imported recording would be: written at full speed into a LogAppendTime topic, minutes of
client time would land within seconds of broker time and the reducer would rightly refuse
most moves as `clock_ahead`.

Figures: `actions_per_s` (MatchReader.poll + MatchReplica.ingest from offset 0 to the end),
`baseline_per_s` (raw Consumer.consume + msgpack.unpackb), `fold_only_per_s` (ingest of
the same records from memory, no Kafka), and the applied/rejected counts. Records are
signed with hash-chain tokens as PlayerAgent signs them (--unsigned: without), so the fold
pays for checking them as it would on a real match.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from typing import Any

import msgpack
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from bench.common import fresh_match
from game.core.actions import Action
from game.core.auth import HashChain
from game.core.codec import Skipped, decode, encode
from game.core.records import Record
from game.core.replica import new_replica
from game.kafka import KafkaSettings, MatchReader, producer_config, reader_config, topic_for
from spectator.synth import brawl


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("replay")
    group.add_argument("--actions", type=int, default=200_000, help="records (200000)")
    group.add_argument("--replay-players", type=int, default=8, help="players in it (8)")
    group.add_argument(
        "--replay-batch", type=int, default=5_000, help="records per poll when replaying (5000)"
    )
    group.add_argument("--unsigned", action="store_true", help="no hash-chain tokens (default: signed)")


def sign_recording(records: list[Record], sign: bool) -> tuple[list[Record], dict[str, int]]:
    """Re-encode the recording as players write it now: each action with its chain token.

    Also counts the action kinds. A player's k-th action after its join carries token k;
    brawl numbers each player's actions 1, 2, 3... from the join, so k = seq - 1.
    """
    per_player: dict[int, int] = {}
    decoded: list[tuple[Record, Action]] = []
    for record in records:
        match decode(record.value, record.key):
            case Skipped() as skipped:
                raise RuntimeError(f"the generator wrote an undecodable record: {skipped}")
            case action:
                decoded.append((record, action))
                per_player[action.pid] = max(per_player.get(action.pid, 0), action.seq)
    chains = {pid: HashChain(top + 1) for pid, top in per_player.items()} if sign else {}
    kinds: dict[str, int] = {}
    signed: list[Record] = []
    for record, action in decoded:
        kinds[action.KIND] = kinds.get(action.KIND, 0) + 1
        chain = chains.get(action.pid)
        if chain is not None:
            k = action.seq - 1
            action = replace(action, auth=chain.tip if k == 0 else chain.token(k))
        signed.append(replace(record, value=encode(action)))
    return signed, kinds


def create_recording_topic(settings: KafkaSettings, match: str, timeout: float = 15.0) -> str:
    topic = topic_for(match)
    admin = AdminClient(settings.client_config())
    future = admin.create_topics(
        [NewTopic(topic, 1, 1, config={"message.timestamp.type": "CreateTime"})],
        operation_timeout=timeout,
    )[topic]
    future.result(timeout=timeout)
    return topic


def write_recording(settings: KafkaSettings, topic: str, records: list[Record]) -> float:
    """Produce as fast as the client goes (the action producer's settings, in big batches);
    returns records per second."""
    bulk = {"linger.ms": 50, "batch.size": 1_000_000, "queue.buffering.max.messages": 500_000}
    producer = Producer(producer_config(settings, **bulk))
    started = time.perf_counter()
    produce = producer.produce
    for record in records:
        while True:
            try:
                produce(topic, record.value, record.key, timestamp=record.ts)
                break
            except BufferError:
                producer.poll(0.05)
    left = producer.flush(120)
    if left:
        raise RuntimeError(f"{left} records of the recording were not acknowledged")
    return len(records) / (time.perf_counter() - started)


def replay_ours(settings: KafkaSettings, match: str, end: int, batch: int) -> tuple[float, dict[str, Any]]:
    with MatchReader(settings, match, "beginning") as reader:
        replica = new_replica(match)
        ingest = replica.ingest
        started = time.perf_counter()
        while replica.offset + 1 < end:
            for record in reader.poll(batch, 0.01):
                ingest(record.offset, record.ts, record.key, record.value)
        elapsed = time.perf_counter() - started
    return end / elapsed, replica.summary()


def replay_raw(settings: KafkaSettings, topic: str, end: int, batch: int) -> float:
    with Consumer(reader_config(settings)) as consumer:
        consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        unpackb = msgpack.unpackb
        seen = 0
        started = time.perf_counter()
        while seen < end:
            for message in consumer.consume(batch, 0.01):
                if message.error() is None:
                    unpackb(message.value())
                    seen += 1
        elapsed = time.perf_counter() - started
    return end / elapsed


def fold_only(records: list[Record]) -> tuple[float, int]:
    replica = new_replica("fold-only")
    ingest = replica.ingest
    started = time.perf_counter()
    for record in records:
        ingest(record.offset, record.ts, record.key, record.value)
    return len(records) / (time.perf_counter() - started), replica.applied


def run(args: argparse.Namespace, settings: KafkaSettings) -> dict[str, Any]:
    match = fresh_match("replay")
    started = time.perf_counter()
    records = brawl(players=args.replay_players, records=args.actions, seed=args.seed,
                    garbage_every=10**12)  # fmt: skip
    records, kinds = sign_recording(records, not args.unsigned)
    generate_s = time.perf_counter() - started
    try:
        topic = create_recording_topic(settings, match)
    except KafkaException as exc:
        raise RuntimeError(f"could not create the recording topic: {exc}") from exc
    produce_rate = write_recording(settings, topic, records)
    end = len(records)
    ours, summary = replay_ours(settings, match, end, args.replay_batch)
    baseline = replay_raw(settings, topic, end, args.replay_batch)
    fold_rate, fold_applied = fold_only(records)
    return {
        "bench": "replay",
        "actions": end,
        "actions_per_s": round(ours),
        "baseline_per_s": round(baseline),
        "ratio": round(ours / baseline, 3),
        "fold_only_per_s": round(fold_rate),
        "applied": summary["applied"],
        "rejected": summary["rejected"],
        "skipped": summary["skipped"],
        "fold_only_applied_matches": fold_applied == summary["applied"],
        "kinds": kinds,
        "settings": {
            "match": match,
            "bootstrap": settings.bootstrap,
            "players": args.replay_players,
            "seed": args.seed,
            "poll": {"max": args.replay_batch, "timeout_s": 0.01},
            "generator": "spectator.synth.brawl (no garbage records)",
            "signed": not args.unsigned,
            "timestamps": "CreateTime, the recording's own",
            "generate_s": round(generate_s, 2),
            "write_per_s": round(produce_rate),
        },
        "_matches": [match],
    }
