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
from typing import TypeVar

from game.core.actions import Action, Attack, Join, Leave, Move, Pickup, Ping, UseItem
from game.core.codec import Skipped, decode, to_json_dict
from game.core.constants import FACING_NAMES, TILE_UNITS
from game.core.replica import MatchReplica, new_replica
from game.core.world import (
    Event,
    Hit,
    ItemBack,
    Killed,
    Left,
    Outcome,
    PickedUp,
    Respawned,
    RoundEnded,
    RoundStarted,
    Used,
)
from game.kafka import (
    KafkaSettings,
    KafkaUnavailable,
    LinkStatus,
    MatchReader,
    link_problem,
    link_status,
    settings_from_args,
)
from game.kafka.identity import IdentityLookup

Lookup = Callable[[int], str]  # player id -> name, as the world knows it now
E = TypeVar("E", Hit, Killed, PickedUp, Used)


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
    settings = settings_from_args(args).quiet()
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
    with MatchReader(settings, args.match, "beginning") as reader:
        end = _wait_for_log(reader, settings, args)
        if end is None:
            return 2
        format_record = json_lines if args.jsonl else text_lines
        replica = new_replica(args.match)
        replica.identities = IdentityLookup(settings)
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
            records = reader.poll(5_000, 0.2)
            if records:
                replica.saw(records[-1].ts)
            for record in records:
                offset, ts = record.offset, record.ts
                if start_ts is None:
                    start_ts = ts
                action = decode(record.value, record.key)
                name = _name_of(replica, action)
                outcome: Outcome | None
                match action:
                    case Skipped(reason=reason):
                        replica.offset = offset
                        replica.skipped[reason] += 1
                        outcome = None
                    case _:
                        outcome = replica.ingest_action(offset, ts, action)
                if stop is not None and offset > stop:
                    break
                if offset >= first:
                    seen = Seen(offset, ts, ts - start_ts, action, outcome, name)
                    lines = format_record(seen, lookup)
                    out.write("".join(line + "\n" for line in lines))
            out.flush()
        return 0


def _wait_for_log(reader: MatchReader, settings: KafkaSettings, args: argparse.Namespace) -> int | None:
    """The log's end offset, waiting (live) or giving up (--exit-at-end) while it is away."""
    said = ""
    while True:
        try:
            return reader.end_offset(timeout=2.0)
        except KafkaUnavailable as exc:
            missing = link_status(exc) is LinkStatus.TOPIC_MISSING
        if missing:
            message = f"no match named {args.match!r} on {settings.bootstrap}"
        else:
            message = f"Kafka is not reachable at {settings.bootstrap}"
        if args.exit_at_end:
            # The precise line (an advertised address out of reach, an untrusted certificate)
            hint = message if missing else (link_problem(settings) or settings.unreachable())
            print(f"error: {hint}", file=sys.stderr)
            return None
        if message != said:
            wait = "waiting for it" if missing else "retrying"
            print(f"{message} — {wait}", file=sys.stderr)
            said = message
        time.sleep(1.0 if missing else 0.5)


def _name_of(replica: MatchReplica, action: Action | Skipped) -> str:
    match action:
        case Skipped():
            return ""
        case Join(name=name):
            return name
        case _:
            player = replica.world.players.get(action.pid)
            return player.name if player else f"player {action.pid}"


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
    if isinstance(action, Skipped):
        return [f"{head} skipped record at offset {offset}: {action.reason}"]
    if outcome is None:  # only skipped records come without an outcome
        return [f"{head} {action.KIND} (not folded)"]
    names = _Names(seen.name, action.pid, lookup)
    # Timers the record's arrival fired (respawns, items back, timeouts) come before it.
    timer_lines = [line for event in outcome.events if (line := _event_line(event, names))]
    if isinstance(action, Leave):
        timer_lines = [line for line in timer_lines if not line.endswith(" left")]
    said = _describe(action, outcome, names)
    if not outcome.applied:
        said += f" REJECTED ({outcome.reason})"
    lines = [f"[{clock(ms)}] {line}" for line in timer_lines]
    lines.append(f"{head} {said}")
    lines += [
        f"[{clock(ms)}] {names.of(e.victim)} was killed by {names.of(e.attacker)}"
        for e in _events(outcome, Killed)
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
    match action:
        case Move(x=x, y=y, facing=facing):
            return f"{who} moved {FACING_NAMES[facing]} to ({tiles(x)}, {tiles(y)})"
        case Attack(facing=facing):
            said = f"{who} attacked {FACING_NAMES[facing]}"
            if outcome.applied:
                hits = [f"hit {names.of(e.victim)} for {e.damage} (hp {e.hp})" for e in _events(outcome, Hit)]
                said += ": " + (", ".join(hits) or "missed")
            return said
        case Pickup(item=item):
            picked = _events(outcome, PickedUp)
            what = f"a {picked[0].kind}" if picked else "an item"
            return f"{who} collected {what} (item {item})"
        case UseItem():
            used = _events(outcome, Used)
            return f"{who} used a potion (hp {used[0].hp})" if used else f"{who} used a potion"
        case Join():
            return f"{who} joined"
        case Leave():
            return f"{who} left"
        case Ping():
            return f"{who} pinged"


def _events(outcome: Outcome, kind: type[E]) -> list[E]:
    """The events of one kind an outcome holds, in order."""
    return [event for event in outcome.events if isinstance(event, kind)]


def _event_line(event: Event, names: _Names) -> str:
    """A line for an event the record's arrival fired on a timer; "" for the others."""
    match event:
        case Respawned(pid=pid, x=x, y=y):
            return f"{names.of(pid)} respawned at ({tiles(x)}, {tiles(y)})"
        case Left(name=name, reason="timeout"):
            return f"{name} timed out"
        case Left(name=name):
            return f"{name} left"
        case ItemBack(item=item, kind=kind):
            return f"a {kind} is back (item {item})"
        case RoundStarted() | RoundEnded():
            return round_line(event)
    return ""


def round_line(event: RoundStarted | RoundEnded) -> str:
    """A round's start or end as the console says it."""
    match event:
        case RoundStarted(round_no=number, at=at, ends_at=ends_at):
            seconds = max(0, ends_at - at) // 1000
            return f"Round {number} started: {seconds // 60}:{seconds % 60:02d} to play"
        case RoundEnded(round_no=number, winner_name=""):
            return f"Round {number} over: nobody was left to win"
        case RoundEnded(round_no=number, winner_name=winner, standings=standings):
            points = standings[0].score if standings else 0
            return f"Round {number} over: {winner} wins ({points} point{'' if points == 1 else 's'})"


def json_lines(seen: Seen, lookup: Lookup) -> list[str]:
    """One JSON object per record: what it was, whose, and what it did."""
    action, outcome = seen.action, seen.outcome
    base = {"offset": seen.offset, "ts": seen.ts, "ms": seen.ms}
    if isinstance(action, Skipped):
        return [json.dumps({**base, "type": "skipped", "reason": action.reason})]
    if outcome is None:  # only skipped records come without an outcome
        return []
    record = {**base, "player": seen.name, **to_json_dict(action)}
    record |= {
        "applied": outcome.applied,
        "reason": outcome.reason,
        "events": [{"event": type(e).__name__, **dataclasses.asdict(e)} for e in outcome.events],
    }
    return [json.dumps(record)]
