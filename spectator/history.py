"""`python -m spectator --history`: past matches from the history database, and replaying one.

The database is what `python -m game.history` writes (one row per finished session of a
match, keyed by the log offset of its first join). `--history` prints the list, newest
first; `--history --replay N` opens the spectator window on match N of that list, from its
first offset to its last, provided the broker still holds those records: retention deletes
a log from its start, and a deleted topic takes everything with it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from game.kafka import KafkaUnavailable, match_log_range, settings_from_args
from game.stats.history import MatchRecord, RoundRecord, list_history, list_rounds


def newest_first(db: Path) -> list[MatchRecord]:
    return sorted(list_history(db), key=lambda r: (r.started_ms, r.match, r.first_offset), reverse=True)


def _duration(ms: int) -> str:
    seconds = max(0, ms) // 1000
    return (
        f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        if seconds >= 3600
        else (f"{seconds // 60:02d}:{seconds % 60:02d}")
    )


def _winner(record: MatchRecord) -> str:
    if not record.players:
        return "-"
    best = record.players[0]  # ranked by score, then kills, then name
    return f"{best.player} ({best.score})"


def format_history(records: list[MatchRecord], rounds: list[RoundRecord] | None = None) -> list[str]:
    """One line per match (records newest first), under a header; then a line per round
    the session played (rules v2), with its winner."""
    lines = [
        f"{'#':>3}  {'match':<20} {'started':<16} {'length':>7}  {'players':>7}  "
        f"{'winner (score)':<24} {'offsets':<15} ended"
    ]
    for n, record in enumerate(records, start=1):
        started = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.started_ms / 1000))
        names = ", ".join(p.player for p in record.players)
        lines.append(
            f"{n:>3}  {record.match:<20} {started:<16} {_duration(record.duration_ms):>7}  "
            f"{len(record.players):>7}  {_winner(record):<24} "
            f"{f'{record.first_offset}-{record.last_offset}':<15} {record.ended_by:<7}  {names}"
        )
        for played in rounds or ():
            if (
                played.match == record.match
                and record.first_offset <= played.end_offset <= record.last_offset
            ):
                winner = f"{played.winner} ({played.winner_score})" if played.winner else "nobody"
                lines.append(
                    f"       round {played.round_no:<4} {_duration(played.duration_ms):>7}  "
                    f"won by {winner}  offsets {played.start_offset}-{played.end_offset}"
                )
    return lines


def run(args: argparse.Namespace) -> int:
    db: Path = args.db
    if not db.exists():
        print(f"no match history at {db}: `python -m game.history` writes it", file=sys.stderr)
        return 0 if args.replay is None else 2
    records = newest_first(db)
    if args.replay is None:
        if not records:
            print(f"no finished matches in {db} yet")
        for line in format_history(records, list_rounds(db)) if records else ():
            print(line)
        return 0
    if args.replay > len(records):
        print(f"error: --replay {args.replay}: the history holds {len(records)} matches", file=sys.stderr)
        return 2
    record = records[args.replay - 1]
    return replay(args, record)


def replay(args: argparse.Namespace, record: MatchRecord) -> int:
    """Open the spectator on one finished session: its first offset to its last."""
    settings = settings_from_args(args)
    what = f"match {record.match} (offsets {record.first_offset}-{record.last_offset})"
    try:
        held = match_log_range(settings, record.match)
    except KafkaUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if held is None:
        print(
            f"error: the records of {what} are gone: the topic of match {record.match} no longer "
            f"exists on {settings.bootstrap}",
            file=sys.stderr,
        )
        return 2
    low, high = held
    if low > record.last_offset or high <= record.first_offset:
        print(
            f"error: the records of {what} are gone: the broker now holds offsets {low}-{high - 1} "
            "of that log (retention deleted the older ones)",
            file=sys.stderr,
        )
        return 2
    start = record.first_offset
    if low > start:
        print(
            f"warning: offsets {start}-{low - 1} of {what} are gone (retention); replaying from {low}",
            file=sys.stderr,
        )
        start = low
    args.match = record.match
    args.from_offset = start
    args.to_offset = record.last_offset
    from spectator import app  # pygame only now

    return app.run(args)
