"""Recorded matches: a match's records saved to a file, to replay without a broker.

The file is msgpack: a list of [offset, timestamp_ms, key, value] with the values exactly
as they were on the topic, so a recording keeps old schema versions as they were written.
`python -m game.recording MATCH OUT` saves a match from Kafka.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import msgpack

from game.core.replica import MatchReplica, RawRecord, new_replica
from game.kafka import KafkaUnavailable, MatchReader, add_kafka_arguments, settings_from_args

Record = RawRecord


def load_recording(path: Path) -> list[Record]:
    return [tuple(row) for row in msgpack.unpackb(path.read_bytes(), use_list=False)]  # type: ignore[misc]


def save_recording(path: Path, records: list[Record]) -> None:
    path.write_bytes(msgpack.packb([list(row) for row in records]))


def replay(records: list[Record], match: str = "recorded") -> MatchReplica:
    replica = new_replica(match)
    for offset, ts, key, value in records:
        replica.ingest(offset, ts, key, value)
    return replica


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m game.recording", description="Save a match to a file.")
    parser.add_argument("match")
    parser.add_argument("out", type=Path)
    add_kafka_arguments(parser)
    args = parser.parse_args(argv)
    try:
        reader = MatchReader(settings_from_args(args), args.match)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        records = reader.read_to_end()
    except KafkaUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        reader.close()
    save_recording(args.out, records)
    print(f"saved {len(records)} records of {args.match} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
