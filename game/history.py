"""Match history: `python -m game.history [--db PATH]` writes finished matches to SQLite.

It reads the compacted stats topic that `python -m game.stats` writes (read_committed, from
the start: compaction keeps it about one record per key, so a whole read is cheap) and
writes one row per finished match session with its players' results:

- `match/<M>/session/<first_offset>`: the processor saw the last player leave (or every
  player time out): written with ended_by "left" or "timeout".
- `match/<M>` with an open session whose last record (broker time) is older than
  `--idle-seconds` by this machine's clock: nobody left, the clients just stopped (a crash,
  a lost network). Written with ended_by "idle"; should the session go on and end later,
  the same row is updated, never duplicated.

A row's key is (match, first_offset), the log offset of the session's first join, so rows
are written idempotently (upsert) and a restarted sink, reading the topic again from the
start, writes nothing twice. Default path: `$XDG_DATA_HOME/kafka-arena/history.sqlite3`
(`~/.local/share/...` without it). PostgreSQL is not supported: psycopg is not a dependency
of this project, and SQLite is in the standard library.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from game.kafka import (
    STATS_TOPIC,
    CompactedTopicReader,
    KafkaUnavailable,
    Record,
    add_kafka_arguments,
    settings_from_args,
)
from game.shutdown import StopFlag
from game.stats import Session, parse_key

DEFAULT_IDLE_SECONDS = 60.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS matches (
    match TEXT NOT NULL,
    first_offset INTEGER NOT NULL,
    last_offset INTEGER NOT NULL,
    started_ms INTEGER NOT NULL,
    ended_ms INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    map TEXT NOT NULL,
    ended_by TEXT NOT NULL,
    PRIMARY KEY (match, first_offset)
);
CREATE TABLE IF NOT EXISTS results (
    match TEXT NOT NULL,
    first_offset INTEGER NOT NULL,
    player TEXT NOT NULL,
    rank INTEGER NOT NULL,
    kills INTEGER NOT NULL,
    deaths INTEGER NOT NULL,
    score INTEGER NOT NULL,
    pickups INTEGER NOT NULL,
    coins INTEGER NOT NULL,
    damage_dealt INTEGER NOT NULL,
    rejected TEXT NOT NULL,
    PRIMARY KEY (match, first_offset, player),
    FOREIGN KEY (match, first_offset) REFERENCES matches (match, first_offset)
);
"""


@dataclass(frozen=True, slots=True)
class PlayerResult:
    player: str
    rank: int  # 1 = best score (ties broken by kills, then name)
    kills: int
    deaths: int
    score: int
    pickups: int
    coins: int
    damage_dealt: int
    rejected: dict[str, int]


@dataclass(frozen=True, slots=True)
class MatchRecord:
    match: str
    first_offset: int
    last_offset: int
    started_ms: int  # broker time of the first record
    ended_ms: int  # broker time of the last record
    duration_ms: int
    map_name: str
    ended_by: str  # "left", "timeout" or "idle"
    players: tuple[PlayerResult, ...]


def default_db_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kafka-arena" / "history.sqlite3"


def open_db(path: Path | str) -> sqlite3.Connection:
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(_SCHEMA)
    return conn


def write_session(conn: sqlite3.Connection, session: Session, ended_by: str | None = None) -> bool:
    """Write one finished session; True when a row was added or replaced by a later one.

    A row is only ever replaced by the same session seen further (a larger last offset) or
    by a real end replacing an "idle" guess, so replays of the stats topic change nothing.
    """
    ended = ended_by or session.ended_by
    with conn:  # one transaction: the match row and its results together
        row = conn.execute(
            "SELECT last_offset, ended_by FROM matches WHERE match = ? AND first_offset = ?",
            (session.match, session.first_offset),
        ).fetchone()
        if row is not None:
            last_offset, was = row
            newer = session.last_offset > last_offset or (was == "idle" and ended != "idle")
            if not newer:
                return False
            conn.execute(
                "DELETE FROM results WHERE match = ? AND first_offset = ?",
                (session.match, session.first_offset),
            )
        conn.execute(
            "INSERT INTO matches VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (match, first_offset) DO UPDATE SET "
            "last_offset = excluded.last_offset, ended_ms = excluded.ended_ms, "
            "duration_ms = excluded.duration_ms, ended_by = excluded.ended_by",
            (
                session.match,
                session.first_offset,
                session.last_offset,
                session.first_ts,
                session.last_ts,
                session.last_ts - session.first_ts,
                session.map_name,
                ended,
            ),
        )
        conn.executemany(
            "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    session.match,
                    session.first_offset,
                    name,
                    rank,
                    s.kills,
                    s.deaths,
                    s.score,
                    s.pickups,
                    s.coins,
                    s.damage_dealt,
                    json.dumps(dict(s.rejected), sort_keys=True),
                )
                for rank, (name, s) in enumerate(session.players, start=1)
            ],
        )
    return True


def list_history(db: Path | str | sqlite3.Connection) -> list[MatchRecord]:
    """Every match written so far, oldest first, with its players by rank."""
    conn = db if isinstance(db, sqlite3.Connection) else open_db(db)
    try:
        players: dict[tuple[str, int], list[PlayerResult]] = {}
        for row in conn.execute("SELECT * FROM results ORDER BY match, first_offset, rank"):
            match, first, name, rank, kills, deaths, score, pickups, coins, damage, rejected = row
            players.setdefault((match, first), []).append(
                PlayerResult(name, rank, kills, deaths, score, pickups, coins, damage, json.loads(rejected))
            )
        return [
            MatchRecord(
                match,
                first,
                last,
                started,
                ended,
                duration,
                map_name,
                ended_by,
                tuple(players.get((match, first), ())),
            )
            for match, first, last, started, ended, duration, map_name, ended_by in conn.execute(
                "SELECT * FROM matches ORDER BY started_ms, match, first_offset"
            )
        ]
    finally:
        if conn is not db:
            conn.close()


class HistorySink:
    """Turns stats-topic records into history rows. Pure but for the database."""

    def __init__(self, conn: sqlite3.Connection, idle_ms: int) -> None:
        self.conn = conn
        self.idle_ms = idle_ms
        self.open: dict[str, Session] = {}  # the open session of each match, by match
        self.written = 0

    def feed(self, record: Record) -> None:
        if record.key is None or record.value is None:
            return
        parsed = parse_key(record.key.decode(errors="replace"))
        if not parsed or parsed[0] not in ("session", "match"):
            return
        try:
            value = json.loads(record.value)
            if parsed[0] == "session":
                if write_session(self.conn, Session.from_json(value)):
                    self.written += 1
            elif value.get("session"):
                self.open[parsed[1]] = Session.from_json(value["session"])
            else:
                self.open.pop(parsed[1], None)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            print(f"history: skipped {record.key!r} at {record.offset}: {exc!r}", file=sys.stderr)

    def check_idle(self, now_ms: int) -> None:
        """Write open sessions whose last record is older than the idle limit."""
        for session in self.open.values():
            if now_ms - session.last_ts >= self.idle_ms and write_session(self.conn, session, "idle"):
                self.written += 1


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
    add_kafka_arguments(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    conn = open_db(args.db)
    if args.list:
        for record in list_history(conn):
            print(json.dumps(_as_json(record), sort_keys=True))
        return 0
    try:
        reader = CompactedTopicReader(settings_from_args(args), args.stats_topic)
    except KafkaUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sink = HistorySink(conn, int(args.idle_seconds * 1000))
    stopping = StopFlag()
    started = time.monotonic()
    try:
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
    finally:
        reader.close()
    print(json.dumps({"db": str(args.db), "written": sink.written, "matches": len(list_history(conn))}))
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


if __name__ == "__main__":
    sys.exit(main())
