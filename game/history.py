"""`python -m game.history [--db PATH]`: write finished matches and rounds from the stats topic
to SQLite. `--list` prints the matches written, `--rounds MATCH` a match's rounds and winners.

The sink itself (schema, upserts, idle detection) is `game.stats.history`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from game.kafka import (
    STATS_TOPIC,
    CompactedTopicReader,
    KafkaUnavailable,
    add_kafka_arguments,
    settings_from_args,
)
from game.shutdown import StopFlag
from game.stats.history import (
    DEFAULT_IDLE_SECONDS,
    HistorySink,
    MatchRecord,
    RoundRecord,
    default_db_path,
    list_history,
    list_rounds,
    open_db,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m game.history", description="Write finished matches from the stats topic to SQLite."
    )
    parser.add_argument(
        "--db", type=Path, default=default_db_path(), help=f"SQLite file (default {default_db_path()})"
    )
    parser.add_argument("--stats-topic", default=STATS_TOPIC, help=f"the stats topic (default {STATS_TOPIC})")
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=DEFAULT_IDLE_SECONDS,
        help=f"a match with no record for this long is finished (default {DEFAULT_IDLE_SECONDS:g})",
    )
    parser.add_argument(
        "--once", action="store_true", help="read the stats topic to its end, write, and exit"
    )
    parser.add_argument(
        "--seconds", type=float, help="stop after this many seconds (default: run until Ctrl+C)"
    )
    parser.add_argument("--list", action="store_true", help="print the history as JSON lines and exit")
    parser.add_argument(
        "--rounds",
        metavar="MATCH",
        help="print the rounds of MATCH, their winners and final tables, as JSON lines and exit",
    )
    add_kafka_arguments(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    conn = open_db(args.db)
    if args.list or args.rounds is not None:
        found = list_rounds(conn, args.rounds) if args.rounds is not None else list_history(conn)
        for row in found:
            print(
                json.dumps(
                    _round_json(row) if isinstance(row, RoundRecord) else _as_json(row), sort_keys=True
                )
            )
        return 0
    try:
        reader = CompactedTopicReader(settings_from_args(args), args.stats_topic)
    except KafkaUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sink = HistorySink(conn, int(args.idle_seconds * 1000))
    stopping = StopFlag()
    started = time.monotonic()
    with reader:
        # Catch up first, so stale intermediate values are never taken for idle matches.
        for record in reader.read_to_end():
            sink.feed(record)
        sink.check_idle(int(time.time() * 1000))
        while (
            not args.once
            and not stopping()
            and (args.seconds is None or time.monotonic() - started < args.seconds)
        ):
            for record in reader.poll(5_000, 0.5):
                sink.feed(record)
            sink.check_idle(int(time.time() * 1000))
    print(
        json.dumps(
            {
                "db": str(args.db),
                "written": sink.written,
                "matches": len(list_history(conn)),
                "rounds_written": sink.rounds_written,
                "rounds": len(list_rounds(conn)),
            }
        )
    )
    conn.close()
    return 0


def _as_json(record: MatchRecord) -> dict[str, object]:
    return {
        "match": record.match,
        "first_offset": record.first_offset,
        "last_offset": record.last_offset,
        "started_ms": record.started_ms,
        "ended_ms": record.ended_ms,
        "duration_ms": record.duration_ms,
        "map": record.map_name,
        "ended_by": record.ended_by,
        "players": [
            {
                "player": p.player,
                "rank": p.rank,
                "kills": p.kills,
                "deaths": p.deaths,
                "score": p.score,
                "pickups": p.pickups,
                "coins": p.coins,
                "damage_dealt": p.damage_dealt,
                "rejected": p.rejected,
            }
            for p in record.players
        ],
    }


def _round_json(record: RoundRecord) -> dict[str, object]:
    return {
        "match": record.match,
        "round": record.round_no,
        "map": record.map_name,
        "winner": record.winner,
        "winner_score": record.winner_score,
        "started_ms": record.started_ms,
        "ended_ms": record.ended_ms,
        "duration_ms": record.duration_ms,
        "start_offset": record.start_offset,
        "end_offset": record.end_offset,
        "players": [
            {"player": p.player, "rank": p.rank, "score": p.score, "kills": p.kills, "deaths": p.deaths}
            for p in record.players
        ],
    }


if __name__ == "__main__":
    sys.exit(main())
