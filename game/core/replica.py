"""A reader's replica of one match: the world folded from the log, plus what this reader saw.

Every reader (player client, spectator, bot, stats job, test) feeds the records it consumes,
in log order, to `MatchReplica.ingest`; the replica decodes, applies, and keeps the counts a
debug overlay or a headless summary needs. It is pure: no Kafka, no pygame, no clock.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from game.core.actions import Action, Join
from game.core.auth import TOKEN_BYTES, chain_hash
from game.core.codec import Skipped, decode
from game.core.identity import Identities, proof_value
from game.core.maps import TileMap, available_maps, load_map
from game.core.world import Outcome, World, apply, new_world, world_hash


@dataclass(slots=True)
class DeliveryHealth:
    """Per-player sequence bookkeeping: gaps and repeats show lost or doubled records."""

    last_seq: int = 0
    gaps: int = 0
    repeats: int = 0


@dataclass(slots=True)
class MatchReplica:
    match: str
    world: World
    offset: int = -1  # last log offset ingested
    applied: int = 0
    rejected: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    delivery: dict[int, DeliveryHealth] = field(default_factory=dict)
    # Where proven joins are checked (the Kafka edge's lookup); None: every proof fails.
    identities: Identities | None = None

    def ingest(self, offset: int, ts: int, key: bytes | None, value: bytes | None) -> Outcome | None:
        """Decode and apply one record; None when the record was skipped as garbage."""
        match decode(value, key):
            case Skipped(reason=reason):
                self.offset = offset
                self.skipped[reason] += 1
                return None
            case action:
                return self.ingest_action(offset, ts, action)

    def read(
        self, offset: int, ts: int, key: bytes | None, value: bytes | None
    ) -> tuple[Action, Outcome] | tuple[None, None]:
        """Like `ingest`, but also hands back the decoded action (None, None when skipped)."""
        match decode(value, key):
            case Skipped(reason=reason):
                self.offset = offset
                self.skipped[reason] += 1
                return None, None
            case action:
                return action, self.ingest_action(offset, ts, action)

    def ingest_action(self, offset: int, ts: int, action: Action) -> Outcome:
        self.offset = offset
        seq = action.seq
        health = self.delivery.get(action.pid)
        if health is not None:
            if seq == health.last_seq + 1:
                health.last_seq = seq
            elif seq <= health.last_seq:
                health.repeats += 1
            else:
                health.gaps += seq - health.last_seq - 1
                health.last_seq = seq
        if type(action) is Join and action.proof_at >= 0:
            outcome = apply(self.world, action, ts, self._proven(action, ts))
        else:
            outcome = apply(self.world, action, ts)
        if outcome.applied:
            self.applied += 1
            if health is None:
                # Kept from a player's first applied action only: records of ids that never
                # joined (a flood of junk joins) would make it grow without bound, and every
                # checkpoint with it.
                self.delivery[action.pid] = DeliveryHealth(seq)
        else:
            self.rejected[outcome.reason] += 1
        return outcome

    def saw(self, ts: int) -> None:
        """Tell the proof lookup the reader holds records up to broker time `ts` (call with a
        batch's last record before ingesting the batch: one lookup answers the whole batch)."""
        if self.identities is not None:
            self.identities.saw(ts)

    def _proven(self, join: Join, ts: int) -> bool:
        if self.identities is None or join.name in self.world.names or len(join.auth) != TOKEN_BYTES:
            return False  # taken names are refused whatever the proof says: no lookup
        # The proof names the chain's tip; the join carries the token before it, which only
        # the chain's holder knows: a copied proof admits nobody else.
        value = proof_value(self.match, join.pid, chain_hash(join.auth))
        # At the reducer's clock (a record that claims an earlier time is judged at the clock).
        return self.identities.proven(join.name, join.proof_at, max(ts, self.world.clock), value)

    def hash(self) -> str:
        return world_hash(self.world)

    def copy(self) -> MatchReplica:
        return MatchReplica(
            self.match,
            self.world.copy(),
            self.offset,
            self.applied,
            Counter(self.rejected),
            Counter(self.skipped),
            {pid: DeliveryHealth(h.last_seq, h.gaps, h.repeats) for pid, h in self.delivery.items()},
            self.identities,
        )

    def summary(self) -> dict[str, Any]:
        """The facts a headless run prints as its last line."""
        world = self.world
        rounds: dict[str, Any] = {}
        if world.round_ms:
            last = world.last_round
            rounds = {
                "round": world.round_no,
                "phase": world.phase,
                "last_round": None
                if last is None
                else {"round": last.round_no, "at": last.at, "winner": last.winner_name},
            }
        return rounds | {
            "match": self.match,
            "offset": self.offset,
            "hash": self.hash(),
            "applied": self.applied,
            "rejected": dict(sorted(self.rejected.items())),
            "skipped": dict(sorted(self.skipped.items())),
            "players": len(self.world.players),
            "clock_ms": self.world.clock,
        }


def all_maps() -> dict[str, TileMap]:
    return {name: load_map(name) for name in available_maps()}


def new_replica(match: str, maps: dict[str, TileMap] | None = None) -> MatchReplica:
    return MatchReplica(match, new_world(maps if maps is not None else all_maps()))
