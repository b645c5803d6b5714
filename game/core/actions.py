"""The actions players write to a match log: frozen records that carry all their data.

Every action has the player id (`pid`, a random 32-bit number chosen at join, also the
Kafka record key), a per-player sequence number (`seq`, from 1, so gaps and repeats are
visible) and the client time (`t`, ms since the client's own join).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class Join:
    KIND: ClassVar[str] = "join"
    pid: int
    seq: int
    t: int
    name: str
    color: int  # 0xRRGGBB
    epoch_ms: int  # the client's wall clock at join, for humans reading the log
    map_name: str
    auth: bytes = b""  # the tip of the player's hash chain; empty: actions are unsigned
    # The version of the rules the client plays by (game/core/rules.py); 0: unversioned, as
    # every join written before matches recorded their rules. The first join fixes a match's.
    rules: int = 0
    # The round length (s) the client asks for (rules v2); the match's first join fixes it,
    # 0 takes the default. Ignored in matches of rules before 2, which have no rounds.
    round_s: int = 0
    # On a server with logins: the offset of this join's proof in the player's identity log
    # (game/core/identity.py); -1: none, an open join.
    proof_at: int = -1


@dataclass(frozen=True, slots=True)
class Move:
    KIND: ClassVar[str] = "move"
    pid: int
    seq: int
    t: int
    x: int  # units (1/16 px)
    y: int
    facing: int  # 0..7, clockwise from north
    auth: bytes = b""


@dataclass(frozen=True, slots=True)
class Attack:
    KIND: ClassVar[str] = "attack"
    pid: int
    seq: int
    t: int
    facing: int
    auth: bytes = b""


@dataclass(frozen=True, slots=True)
class Pickup:
    KIND: ClassVar[str] = "pickup"
    pid: int
    seq: int
    t: int
    item: int
    auth: bytes = b""


@dataclass(frozen=True, slots=True)
class UseItem:
    """Drink a potion from the inventory (the original project's "use an item")."""

    KIND: ClassVar[str] = "use"
    pid: int
    seq: int
    t: int
    auth: bytes = b""  # the player's next hash-chain token (game/auth.py)


@dataclass(frozen=True, slots=True)
class Ping:
    """A heartbeat: proves the client is alive and lets time-based rules fire."""

    KIND: ClassVar[str] = "ping"
    pid: int
    seq: int
    t: int
    auth: bytes = b""  # the player's next hash-chain token (game/auth.py)


@dataclass(frozen=True, slots=True)
class Leave:
    KIND: ClassVar[str] = "leave"
    pid: int
    seq: int
    t: int
    auth: bytes = b""  # the player's next hash-chain token (game/auth.py)


Action = Join | Move | Attack | Pickup | UseItem | Ping | Leave
ACTION_TYPES: tuple[type[Action], ...] = (Join, Move, Attack, Pickup, UseItem, Ping, Leave)
