"""`--text` and `--jsonl`: the match as lines on stdout, the project's original console consumer.

Live by default: the log is folded silently up to its current end, then every new record is
printed as it arrives. `--from-start` prints the whole log. Output is line-buffered so a
pipe sees each action at once.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from game.core.actions import Action, Attack, Join, Leave, Move, Pickup, Ping, UseItem
from game.core.codec import Skipped, decode, to_json_dict
from game.core.constants import FACING_NAMES, TILE_UNITS
from game.core.replica import MatchReplica, new_replica
from game.core.world import (
    Event,
    Hit,
    ItemBack,
    Joined,
    Killed,
    Left,
    Outcome,
    PickedUp,
    Respawned,
    Used,
)
from game.kafka import KafkaSettings, MatchReader, raw_records, settings_from_args
from spectator.source import NO_MATCH, READ_ERRORS, UNREACHABLE, quiet, triage

Lookup = Callable[[int], str]  # player id -> name, as the world knows it now


@dataclass(frozen=True, slots=True)
class Seen:
    """One record as the console shows it: where, when, what, and what it did."""

    offset: int
    ts: int  # broker time
    ms: int  # match time (since the first record)
    action: Action | Skipped
    outcome: Outcome | None  # None for a skipped record
    name: str  # the actor's name when the record arrived


def describe_age(last_ms: int) -> str:
    """How long ago a match last saw a record, for a person: "live", "5 min ago", "2 days ago"."""
    if not last_ms:
        return "empty"
    seconds = max(0.0, time.time() - last_ms / 1000)
    if seconds < 10:
        return "live"
    for unit, size in (("day", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if unit == 'day' and count > 1 else ''} ago"
    return f"{int(seconds)} s ago"


def run(args: argparse.Namespace) -> int:
    settings = quiet(settings_from_args(args))
    try:
        return _follow(args, settings)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): say nothing, and keep Python from complaining
        # about the flush at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _follow(args: argparse.Namespace, settings: KafkaSettings) -> int:
    reader = MatchReader(settings, args.match, "beginning")
    try:
        end = _wait_for_log(reader, settings, args)
        if end is None:
            return 2
        format_record = json_lines if args.jsonl else text_lines
        replica = new_replica(args.match)
        start_ts: int | None = None

        def lookup(pid: int) -> str:
            player = replica.world.players.get(pid)
            return player.name if player else f"player {pid}"

        out = sys.stdout
        # --to-offset ends the output there, as --exit-at-end does at the end of the log.
        stop = end - 1 if args.exit_at_end else None
        if args.to_offset is not None:
            stop = args.to_offset if stop is None else min(stop, args.to_offset)
        first = args.from_offset if args.from_offset is not None else (0 if args.from_start else end)
        deadline = time.monotonic() + args.seconds if args.seconds is not None else None
        while not (stop is not None and replica.offset >= stop):
            if deadline is not None and time.monotonic() >= deadline:
                break
            for offset, ts, key, value in raw_records(reader.poll(5_000, 0.2)):
                if start_ts is None:
                    start_ts = ts
                action = decode(value, key)
                name = _name_of(replica, action)
                if type(action) is Skipped:
                    replica.offset = offset
                    replica.skipped[action.reason] += 1
                    outcome = None
                else:
                    outcome = replica.ingest_action(offset, ts, action)  # type: ignore[arg-type]
                if stop is not None and offset > stop:
                    break
                if offset >= first:
                    seen = Seen(offset, ts, ts - start_ts, action, outcome, name)
                    lines = format_record(seen, lookup)
                    out.write("".join(line + "\n" for line in lines))
            out.flush()
        return 0
    finally:
        reader.close()


def _wait_for_log(reader: MatchReader, settings: KafkaSettings, args: argparse.Namespace) -> int | None:
    """The log's end offset, waiting (live) or giving up (--exit-at-end) while it is away."""
    said = ""
    while True:
        try:
            return reader.end_offset(timeout=2.0)
        except READ_ERRORS as exc:
            problem = triage(exc)
        if problem == UNREACHABLE:
            message = f"Kafka is not reachable at {settings.bootstrap}"
        else:
            message = f"no match named {args.match!r} on {settings.bootstrap}"
        if args.exit_at_end:
            hint = settings.unreachable() if problem == UNREACHABLE else message
            print(f"error: {hint}", file=sys.stderr)
            return None
        if message != said:
            wait = "retrying" if problem == UNREACHABLE else "waiting for it"
            print(f"{message} — {wait}", file=sys.stderr)
            said = message
        time.sleep(1.0 if problem == NO_MATCH else 0.5)


def _name_of(replica: MatchReplica, action: Action | Skipped) -> str:
    if type(action) is Skipped:
        return ""
    if type(action) is Join:
        return action.name  # type: ignore[union-attr]
    player = replica.world.players.get(action.pid)  # type: ignore[union-attr]
    return player.name if player else f"player {action.pid}"  # type: ignore[union-attr]


def clock(ms: int) -> str:
    """Match time as mm:ss.mmm."""
    ms = max(0, ms)
    return f"{ms // 60_000:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def tiles(units: int) -> str:
    return f"{units / TILE_UNITS:.1f}"


def text_lines(seen: Seen, lookup: Lookup) -> list[str]:
    """One readable line for the record, and one per consequence worth its own line."""
    offset, ms, action, outcome = seen.offset, seen.ms, seen.action, seen.outcome
    head = f"[{clock(ms)}] #{offset}"
    if type(action) is Skipped:
        return [f"{head} skipped record at offset {offset}: {action.reason}"]  # type: ignore[union-attr]
    if outcome is None:  # only skipped records come without an outcome
        return [f"{head} {action.KIND} (not folded)"]
    names = _Names(seen.name, action.pid, lookup)  # type: ignore[union-attr]
    # Timers the record's arrival fired (respawns, items back, timeouts) come before it.
    own = (Hit, Killed, Joined, PickedUp, Used)
    timer_lines = [_event_line(event, names) for event in outcome.events if type(event) not in own]
    if type(action) is Leave:
        timer_lines = [line for line in timer_lines if not line.endswith(" left")]
    said = _describe(action, outcome, names)  # type: ignore[arg-type]
    if not outcome.applied:
        said += f" REJECTED ({outcome.reason})"
    lines = [f"[{clock(ms)}] {line}" for line in timer_lines if line]
    lines.append(f"{head} {said}")
    lines += [
        f"[{clock(ms)}] {names.of(e.victim)} was killed by {names.of(e.attacker)}"
        for e in outcome.events
        if type(e) is Killed
    ]
    return lines


class _Names:
    """Player names as the record saw them (a leaver is gone from the world afterwards)."""

    def __init__(self, actor: str, pid: int, lookup: Lookup) -> None:
        self.actor, self.pid, self.lookup = actor, pid, lookup

    def of(self, pid: int) -> str:
        return self.actor if pid == self.pid else self.lookup(pid)


def _describe(action: Action, outcome: Outcome, names: _Names) -> str:
    who = names.of(action.pid)
    kind = type(action)
    if kind is Move:
        facing = FACING_NAMES[action.facing]  # type: ignore[union-attr]
        return f"{who} moved {facing} to ({tiles(action.x)}, {tiles(action.y)})"  # type: ignore[union-attr]
    if kind is Attack:
        hits = [e for e in outcome.events if type(e) is Hit]
        said = f"{who} attacked {FACING_NAMES[action.facing]}"  # type: ignore[union-attr]
        if outcome.applied:
            said += ": " + (
                ", ".join(f"hit {names.of(h.victim)} for {h.damage} (hp {h.hp})" for h in hits) or "missed"
            )
        return said
    if kind is Pickup:
        picked = [e for e in outcome.events if type(e) is PickedUp]
        what = f"a {picked[0].kind}" if picked else "an item"
        return f"{who} collected {what} (item {action.item})"  # type: ignore[union-attr]
    if kind is UseItem:
        used = [e for e in outcome.events if type(e) is Used]
        return f"{who} used a potion (hp {used[0].hp})" if used else f"{who} used a potion"
    if kind is Join:
        return f"{who} joined"
    if kind is Leave:
        return f"{who} left"
    if kind is Ping:
        return f"{who} pinged"
    return f"{who} did {action.KIND}"


def _event_line(event: Event, names: _Names) -> str:
    kind = type(event)
    if kind is Respawned:
        return f"{names.of(event.pid)} respawned at ({tiles(event.x)}, {tiles(event.y)})"  # type: ignore[union-attr]
    if kind is Left:
        if event.reason == "timeout":  # type: ignore[union-attr]
            return f"{event.name} timed out"  # type: ignore[union-attr]
        return f"{event.name} left"  # type: ignore[union-attr]
    if kind is ItemBack:
        return f"a {event.kind} is back (item {event.item})"  # type: ignore[union-attr]
    return ""


def json_lines(seen: Seen, lookup: Lookup) -> list[str]:
    """One JSON object per record: what it was, whose, and what it did."""
    action, outcome = seen.action, seen.outcome
    base = {"offset": seen.offset, "ts": seen.ts, "ms": seen.ms}
    if type(action) is Skipped:
        record = {**base, "type": "skipped", "reason": action.reason}  # type: ignore[union-attr]
        return [json.dumps(record)]
    if outcome is None:  # only skipped records come without an outcome
        return []
    record = {**base, "player": seen.name, **to_json_dict(action)}  # type: ignore[arg-type]
    record |= {
        "applied": outcome.applied,
        "reason": outcome.reason,
        "events": [{"event": type(e).__name__, **dataclasses.asdict(e)} for e in outcome.events],
    }
    return [json.dumps(record)]
