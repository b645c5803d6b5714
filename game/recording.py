"""Recorded matches: a match's records saved to a file, to replay without a broker.

The file is msgpack: a list of [offset, timestamp_ms, key, value] with the values exactly
as they were on the topic, so a recording keeps old schema versions as they were written.
In memory the rows are `Record`s (of the topic the recording names, partition 0).
`python -m game.recording MATCH OUT` saves a match from Kafka.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import msgpack

from game.core.records import Record
from game.core.replica import MatchReplica, new_replica
from game.kafka import KafkaUnavailable, MatchReader, add_kafka_arguments, settings_from_args

RECORDED_TOPIC = "recorded"  # what a loaded recording's records name as their topic by default


def load_recording(path: Path, topic: str = RECORDED_TOPIC) -> list[Record]:
    rows = msgpack.unpackb(path.read_bytes(), use_list=False)
    return [Record(topic, 0, offset, ts, key, value) for offset, ts, key, value in rows]


def save_recording(path: Path, records: list[Record]) -> None:
    path.write_bytes(msgpack.packb([[r.offset, r.ts, r.key, r.value] for r in records]))


def replay(records: list[Record], match: str = "recorded") -> MatchReplica:
    replica = new_replica(match)
    for record in records:
        replica.ingest(record.offset, record.ts, record.key, record.value)
    return replica


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m game.recording", description="Save a match to a file.")
    parser.add_argument("match")
    parser.add_argument("out", type=Path)
    add_kafka_arguments(parser)
    args = parser.parse_args(argv)
    try:
        with MatchReader(settings_from_args(args), args.match) as reader:
            records = reader.read_to_end()
    except (ValueError, KafkaUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    save_recording(args.out, records)
    print(f"saved {len(records)} records of {args.match} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
