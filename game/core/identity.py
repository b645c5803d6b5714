"""Proven joins: who may enter a guarded match, decided by every reader alike from the logs.

On a server with logins each player has an identity log (a Kafka topic only its own login may
write; the ACL is Kafka's word). To join, a client first appends a *proof* to its identity log,
`proof_value(match, pid, tip)` with the tip of its hash chain (game/core/auth.py), then writes
its join naming that record's offset (`proof_at`) and carrying, instead of the tip, the chain's
first token, whose hash is the tip: every login may read every proof, but only the chain's
holder can write a join that a proof admits.
A reader accepts the join as that login's (the join's name must be the login) only when the
identity log holds exactly that proof at that offset, appended more than PROOF_LEAD_MS before
the join (broker time). The time rule makes the answer the same for every reader, live or
replaying: a proof that is not there when a reader looks, after it has read a record of
broker time A, would be appended later, at A or after, so it cannot prove any join of time up
to A + PROOF_LEAD_MS, and is refused by everyone. The lead lets a reader answer every join of
the next PROOF_LEAD_MS from one look at the identity topics, however many a flood writes.

A match whose first join is proven is *guarded*: it takes proven joins only, so one login is
at most one player there (names are unique among present players). Pure: the Kafka edge looks
records up (game/kafka/identity.py); tests and replays use `KnownProofs`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import msgpack

# A proof must precede its join by more than this (broker time): a client waits it out after
# its proof is acknowledged (while it loads the match), and readers look up at most this often.
PROOF_LEAD_MS = 100


def proof_value(match: str, pid: int, tip: bytes) -> bytes:
    """What a player appends to its identity log to join `match` as `pid` with chain tip `tip`."""
    return msgpack.packb([match, pid, tip], use_bin_type=True)


class Identities(Protocol):
    """Answers whether `name`'s identity log holds `value` at `at`, appended before `join_ts`."""

    def proven(self, name: str, at: int, join_ts: int, value: bytes) -> bool: ...

    def saw(self, ts: int) -> None:
        """The reader has read records up to broker time `ts` (a hint that saves lookups)."""


@dataclass(frozen=True, slots=True)
class ProofRecord:
    ts: int  # broker time it was appended
    value: bytes


@dataclass(slots=True)
class KnownProofs:
    """Identity logs held in memory: {name: [records in offset order]}."""

    logs: dict[str, list[ProofRecord]] = field(default_factory=dict)

    def append(self, name: str, ts: int, value: bytes) -> int:
        records = self.logs.setdefault(name, [])
        records.append(ProofRecord(ts, value))
        return len(records) - 1

    def saw(self, ts: int) -> None:
        pass  # everything is in memory already

    def proven(self, name: str, at: int, join_ts: int, value: bytes) -> bool:
        records = self.logs.get(name, [])
        return proof_holds(records[at] if 0 <= at < len(records) else None, join_ts, value)


def proof_holds(record: ProofRecord | None, join_ts: int, value: bytes) -> bool:
    """The rule itself, for every implementation: that record, that value, and earlier than
    the join by more than the lead."""
    return record is not None and record.ts < join_ts - PROOF_LEAD_MS and record.value == value
