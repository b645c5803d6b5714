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
start, writes nothing twice.

Rounds (rules v2) have tables of their own: `match/<M>/round/<n>` becomes a row of `rounds`
keyed (match, round) with its winner, times and log offsets, and its final table in
`round_results`, one row per player, by rank. A round's result never changes once written,
so a replay of the topic writes nothing; a different value under the same key (a match
topic deleted and made again) replaces the row. Default path: `$XDG_DATA_HOME/kafka-arena/history.sqlite3`
(`~/.local/share/...` without it). PostgreSQL is not supported: psycopg is not a dependency
of this project, and SQLite is in the standard library.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

from game.core.records import Record
from game.stats.standings import RoundResult, Session
from game.stats.topic import loads, parse_key, round_of, session_of

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
CREATE TABLE IF NOT EXISTS rounds (
    match TEXT NOT NULL,
    round INTEGER NOT NULL,
    map TEXT NOT NULL,
    started_ms INTEGER NOT NULL,
    ended_ms INTEGER NOT NULL,
    start_offset INTEGER NOT NULL,
    end_offset INTEGER NOT NULL,
    winner TEXT NOT NULL,
    winner_score INTEGER NOT NULL,
    PRIMARY KEY (match, round)
);
CREATE TABLE IF NOT EXISTS round_results (
    match TEXT NOT NULL,
    round INTEGER NOT NULL,
    player TEXT NOT NULL,
    rank INTEGER NOT NULL,
    score INTEGER NOT NULL,
    kills INTEGER NOT NULL,
    deaths INTEGER NOT NULL,
    PRIMARY KEY (match, round, rank),
    FOREIGN KEY (match, round) REFERENCES rounds (match, round)
);
"""


@dataclass(frozen=True, slots=True)
class PlayerResult:
    player: str
    rank: int  # 1 = best, in game.core.ranking order
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


@dataclass(frozen=True, slots=True)
class RoundLine:
    player: str
    rank: int  # 1 = the winner
    score: int
    kills: int
    deaths: int


@dataclass(frozen=True, slots=True)
class RoundRecord:
    match: str
    round_no: int
    map_name: str
    started_ms: int  # match time (broker ms) the round started
    ended_ms: int
    start_offset: int  # the records that started and ended it: replay between them
    end_offset: int
    winner: str  # "" when nobody was left at the end
    winner_score: int
    players: tuple[RoundLine, ...]  # by rank

    @property
    def duration_ms(self) -> int:
        return self.ended_ms - self.started_ms if self.started_ms else 0


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


def write_round(conn: sqlite3.Connection, result: RoundResult) -> bool:
    """Write one finished round; True when a row was added (or replaced by a different result)."""
    row = (
        result.match,
        result.round_no,
        result.map_name,
        result.started_at,
        result.ended_at,
        result.start_offset,
        result.end_offset,
        result.winner,
        result.winner_score,
    )
    lines = [
        (result.match, result.round_no, s.name, rank, s.score, s.kills, s.deaths)
        for rank, s in enumerate(result.standings, start=1)
    ]
    key = (result.match, result.round_no)
    with conn:  # one transaction: the round and its table together
        was = conn.execute("SELECT * FROM rounds WHERE match = ? AND round = ?", key).fetchone()
        if was is not None:
            old_lines = conn.execute(
                "SELECT * FROM round_results WHERE match = ? AND round = ? ORDER BY rank", key
            ).fetchall()
            if tuple(was) == row and old_lines == lines:
                return False
            conn.execute("DELETE FROM round_results WHERE match = ? AND round = ?", key)
            conn.execute("DELETE FROM rounds WHERE match = ? AND round = ?", key)
        conn.execute("INSERT INTO rounds VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        conn.executemany("INSERT INTO round_results VALUES (?, ?, ?, ?, ?, ?, ?)", lines)
    return True


def list_rounds(db: Path | str | sqlite3.Connection, match: str | None = None) -> list[RoundRecord]:
    """The finished rounds of one match (or of every match), by match and round number."""
    conn = db if isinstance(db, sqlite3.Connection) else open_db(db)
    try:
        lines: dict[tuple[str, int], list[RoundLine]] = {}
        for name, number, player, rank, score, kills, deaths in conn.execute(
            "SELECT * FROM round_results WHERE ?1 IS NULL OR match = ?1 ORDER BY match, round, rank", (match,)
        ):
            lines.setdefault((name, number), []).append(RoundLine(player, rank, score, kills, deaths))
        return [
            RoundRecord(
                name,
                number,
                map_name,
                started,
                ended,
                first,
                last,
                winner,
                score,
                tuple(lines.get((name, number), ())),
            )
            for name, number, map_name, started, ended, first, last, winner, score in conn.execute(
                "SELECT * FROM rounds WHERE ?1 IS NULL OR match = ?1 ORDER BY match, round", (match,)
            )
        ]
    finally:
        if conn is not db:
            conn.close()


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
        self.rounds_written = 0

    def feed(self, record: Record) -> None:
        if record.key is None or record.value is None:
            return
        parsed = parse_key(record.key)
        if parsed is None or parsed.kind not in ("session", "match", "round"):
            return
        try:
            value = loads(record.value)
        except ValueError as exc:
            print(f"history: skipped {record.key!r} at {record.offset}: {exc!r}", file=sys.stderr)
            return
        if parsed.kind == "session":
            session = session_of(value)
            if session is None:
                print(f"history: skipped {record.key!r} at {record.offset}: not a session", file=sys.stderr)
            elif write_session(self.conn, session):
                self.written += 1
        elif parsed.kind == "round":
            result = round_of(value)
            if result is None:
                print(f"history: skipped {record.key!r} at {record.offset}: not a round", file=sys.stderr)
            elif write_round(self.conn, result):
                self.rounds_written += 1
        elif isinstance(value, dict) and (open_session := session_of(value.get("session"))) is not None:
            self.open[parsed.match] = open_session
        else:
            self.open.pop(parsed.match, None)

    def check_idle(self, now_ms: int) -> None:
        """Write open sessions whose last record is older than the idle limit."""
        for session in self.open.values():
            if now_ms - session.last_ts >= self.idle_ms and write_session(self.conn, session, "idle"):
                self.written += 1
