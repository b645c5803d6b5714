"""The spectator's record store and playhead: every consumed record, and the world at any time.

Pure (no pygame, no Kafka, no clock). Records are decoded once, on `append`, and kept in
parallel arrays; the replica at the playhead folds them with `MatchReplica.ingest_action`, so
catching up is a tight loop and seeking back restores the nearest snapshot instead of
replaying the whole log.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from game.core.actions import Action
from game.core.codec import Skipped, decode
from game.core.identity import Identities
from game.core.maps import TileMap
from game.core.records import Record
from game.core.replica import MatchReplica, new_replica
from game.core.world import Event, Joined, Killed, Left, PickedUp, RoundEnded, RoundStarted

SNAPSHOT_EVERY = 2_000  # records between snapshots: a seek folds at most this many

MARKER_KINDS = ("kill", "pickup", "join", "leave", "round_start", "round_end")
ROUND_START = ("round_start",)  # what R and Shift+R jump between


@dataclass(frozen=True, slots=True)
class Marker:
    """Something worth jumping to: a kill, a pickup, a join, a leave, a round's start or end.

    A round's markers sit at the record whose fold started or ended it (the reducer fires a
    round's timer on the first record past its time), so seeking there shows the new round
    or the intermission with the final table."""

    ts: int
    index: int  # the record that caused it (position in the store)
    kind: str  # one of MARKER_KINDS
    pid: int  # the actor: killer, collector, joiner, leaver, a round's winner (0: none)
    other: int = 0  # the victim of a kill
    detail: str = ""  # item kind; the joiner's or leaver's name
    name: str = ""  # the actor's name then (a player may have left since); a round's winner
    other_name: str = ""
    round_no: int = 0  # round markers: the round that started or ended


class Timeline:
    """Every record of one match in log order, and a replica folded up to `pos` of them."""

    def __init__(
        self,
        match: str,
        maps: dict[str, TileMap] | None = None,
        base: MatchReplica | None = None,
        identities: Identities | None = None,
    ) -> None:
        """`base`: the replica the store starts from (a checkpoint's), else an empty world: the
        store then holds only the records after it, so its memory grows with the time watched,
        not with the length of the match."""
        self.match = match
        self.offsets = array("q")
        # Broker time, made non-decreasing: LogAppendTime never goes back, and the reducer
        # clamps a record that claims so to its clock, so the fold is unchanged and the
        # store stays sorted for bisecting.
        self.stamps = array("q")
        self.actions: list[Action | Skipped] = []
        self.replica = base.copy() if base is not None else new_replica(match, maps)
        if identities is not None:
            self.replica.identities = identities  # where proven joins are checked (guarded matches)
        self.base_offset = self.replica.offset  # the last offset folded into the base (-1: none)
        self.base_ts = self.replica.world.clock
        self.pos = 0  # records folded into the replica
        self.markers: list[Marker] = []
        self._marker_ts: list[int] = []
        self.marker_times: dict[str, list[int]] = {kind: [] for kind in MARKER_KINDS}  # for drawing
        self._snapshots: list[MatchReplica] = [self.replica.copy()]  # k -> state at k*EVERY
        self._fresh = 0  # records folded at least once (markers are taken on first fold)
        self._scout: MatchReplica | None = None  # folds ahead of a replay, for its markers
        self._scout_pos = 0

    # --- the store ---

    def __len__(self) -> int:
        return len(self.actions)

    def append(self, record: Record) -> None:
        """Store one record (decoded now, folded later)."""
        self.extend((record,))

    def extend(self, records: Iterable[Record]) -> None:
        """Store a batch of records, in log order, with the lookups hoisted."""
        add_offset, add_stamp, add_action = self.offsets.append, self.stamps.append, self.actions.append
        last = self.stamps[-1] if self.stamps else -(2**62)
        for record in records:
            ts = record.ts
            if ts < last:
                ts = last
            last = ts
            add_offset(record.offset)
            add_stamp(ts)
            add_action(decode(record.value, record.key))

    @property
    def start_ts(self) -> int:
        """Broker time of the first record (the base's clock when there is none)."""
        return self.stamps[0] if self.stamps else self.base_ts

    @property
    def live_edge_ts(self) -> int:
        """Broker time of the newest record stored."""
        return self.stamps[-1] if self.stamps else self.base_ts

    @property
    def end_offset(self) -> int:
        """The offset after the last stored record (what a reader asks for next)."""
        return self.offsets[-1] + 1 if self.offsets else self.base_offset + 1

    @property
    def head_ts(self) -> int:
        """Broker time of the last folded record: the world's 'now'."""
        return self.stamps[self.pos - 1] if self.pos else self.start_ts

    def index_at(self, ms: float) -> int:
        """How many records have ts <= ms."""
        return bisect_right(self.stamps, ms)

    # --- folding ---

    def advance_to(self, ms: float) -> list[Event]:
        """Fold every record with ts <= ms past the playhead; the events they caused."""
        events: list[Event] = []
        end = self.index_at(ms)
        if end > self.pos:
            self._fold(end, events)
        return events

    def advance_all(self, collect: bool = False) -> list[Event]:
        """Fold every stored record (catching up: events only when asked for)."""
        events: list[Event] = []
        if len(self.actions) > self.pos:
            self._fold(len(self.actions), events if collect else None)
        return events

    def advance_index(self, index: int, collect: bool = False) -> list[Event]:
        """Fold forward until `index` records are folded (a bounded slice of a catch-up)."""
        events: list[Event] = []
        index = min(index, len(self.actions))
        if index > self.pos:
            self._fold(index, events if collect else None)
        return events

    def step(self) -> list[Event]:
        """Fold exactly one record; no-op at the end of the store."""
        events: list[Event] = []
        if self.pos < len(self.actions):
            self._fold(self.pos + 1, events)
        return events

    def seek_index(self, index: int) -> None:
        """Put the replica exactly after `index` records (clamped to the store)."""
        index = max(0, min(index, len(self.actions)))
        if index == self.pos:
            return
        k = min(index // SNAPSHOT_EVERY, len(self._snapshots) - 1)
        # Fold forward from here when that is no further than from the nearest snapshot.
        if not (k * SNAPSHOT_EVERY <= self.pos < index):
            self.replica = self._snapshots[k].copy()
            self.pos = k * SNAPSHOT_EVERY
        self._fold(index, None)

    def seek_time(self, ms: float) -> None:
        """Put the replica where a fresh replay stopped after the last record with ts <= ms."""
        self.seek_index(self.index_at(ms))

    def scout(self, limit: int = 1_000) -> int:
        """Fold up to `limit` records past everything folded so far, on a copy ahead of the
        playhead, so markers (and snapshots) cover records a replay has not reached yet.

        Returns how many records it folded (0 once every stored record has been seen).
        """
        start = self._fresh
        end = min(len(self.actions), start + limit)
        if end <= start:
            return 0
        if self._scout is None or self._scout_pos != start:
            if self.pos == start:
                scout, at = self.replica.copy(), start
            else:
                k = min(start // SNAPSHOT_EVERY, len(self._snapshots) - 1)
                scout, at = self._snapshots[k].copy(), k * SNAPSHOT_EVERY
            self._scout, self._scout_pos = scout, self._run(scout, at, start, None)
        self._scout_pos = self._run(self._scout, start, end, None)
        return end - start

    def _fold(self, end: int, events: list[Event] | None) -> None:
        self.pos = self._run(self.replica, self.pos, end, events)

    def _run(self, replica: MatchReplica, i: int, end: int, events: list[Event] | None) -> int:
        """Fold records i..end into `replica`; mark and snapshot what nobody folded before."""
        ingest = replica.ingest_action
        skipped = replica.skipped
        actions, offsets, stamps = self.actions, self.offsets, self.stamps
        if i < end:
            replica.saw(stamps[-1])  # every stored record has been read: one proof lookup for all
        while i < end:
            # Fold in runs that end on snapshot boundaries, so the inner loop stays bare.
            stop = min(end, (i // SNAPSHOT_EVERY + 1) * SNAPSHOT_EVERY)
            fresh = self._fresh
            for j in range(i, stop):
                match actions[j]:
                    case Skipped(reason=reason):
                        replica.offset = offsets[j]
                        skipped[reason] += 1
                        continue
                    case action:
                        outcome = ingest(offsets[j], stamps[j], action)
                if outcome.events:
                    if events is not None:
                        events.extend(outcome.events)
                    if j >= fresh:
                        self._mark(replica, j, stamps[j], outcome.events)
            i = stop
            if i > self._fresh:
                self._fresh = i
            if i % SNAPSHOT_EVERY == 0 and i // SNAPSHOT_EVERY == len(self._snapshots):
                self._snapshots.append(replica.copy())
        return i

    def _mark(self, replica: MatchReplica, index: int, ts: int, events: tuple[Event, ...]) -> None:
        players = replica.world.players

        def name(pid: int) -> str:
            player = players.get(pid)
            return player.name if player else f"#{pid}"

        for event in events:
            match event:
                case Killed(attacker=killer, victim=victim):
                    marker = Marker(ts, index, "kill", killer, victim, "", name(killer), name(victim))
                case PickedUp(pid=pid, kind=kind):
                    marker = Marker(ts, index, "pickup", pid, detail=kind, name=name(pid))
                case Joined(pid=pid, name=who):
                    marker = Marker(ts, index, "join", pid, 0, who, who)
                case Left(pid=pid, name=who):
                    marker = Marker(ts, index, "leave", pid, 0, who, who)
                case RoundStarted(round_no=number):
                    marker = Marker(ts, index, "round_start", 0, round_no=number)
                case RoundEnded(round_no=number, winner=winner, winner_name=who):
                    marker = Marker(ts, index, "round_end", winner, name=who, round_no=number)
                case _:
                    continue
            self.markers.append(marker)
            self._marker_ts.append(ts)
            self.marker_times[marker.kind].append(ts)

    # --- markers ---

    def next_marker(self, ms: float, kinds: tuple[str, ...] = MARKER_KINDS) -> Marker | None:
        """The first marker strictly after `ms`."""
        for i in range(bisect_right(self._marker_ts, ms), len(self.markers)):
            if self.markers[i].kind in kinds:
                return self.markers[i]
        return None

    def prev_marker(self, ms: float, kinds: tuple[str, ...] = MARKER_KINDS) -> Marker | None:
        """The last marker strictly before `ms`."""
        for i in range(bisect_left(self._marker_ts, ms) - 1, -1, -1):
            if self.markers[i].kind in kinds:
                return self.markers[i]
        return None

    def next_round(self, ms: float) -> Marker | None:
        """The first round start strictly after `ms`."""
        return self.next_marker(ms, ROUND_START)

    def prev_round(self, ms: float) -> Marker | None:
        """The last round start strictly before `ms`."""
        return self.prev_marker(ms, ROUND_START)

    def recent_kills(self, ms: float, count: int = 5) -> list[Marker]:
        """The last `count` kills at or before `ms`, oldest first (the kill feed)."""
        kills: list[Marker] = []
        last = bisect_right(self._marker_ts, ms) - 1
        for i in range(last, max(-1, last - 5_000), -1):  # bounded: a frame calls this
            if self.markers[i].kind == "kill":
                kills.append(self.markers[i])
                if len(kills) == count:
                    break
        kills.reverse()
        return kills
