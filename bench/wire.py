"""`wire`: record size per action type, msgpack (what the log holds) against compact JSON.

No broker: sizes depend only on the codec. Field values are realistic worst-ish cases: a
random 32-bit pid, a sequence number after a few minutes of play, a client time after
~17 minutes, a position mid-map, and the 8-byte hash-chain token every PlayerAgent action
carries (JSON holds it as hex, as to_json_dict writes it); unsigned sizes are listed too.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import msgpack

from game.core.actions import Action, Attack, Join, Leave, Move, Pickup, Ping, UseItem
from game.core.auth import TOKEN_BYTES
from game.core.codec import encode, to_json_dict
from game.core.rules import RULES_VERSION

PID = 2**31 + 123_457
SEQ = 10_417
T = 1_034_567


TOKEN = bytes(range(0xA1, 0xA1 + TOKEN_BYTES))  # stands for a chain token or tip


def sample_actions(auth: bytes = TOKEN) -> dict[str, Action]:
    """One action of each type; signed (as PlayerAgent sends them) unless auth is empty."""
    return {
        "join": Join(
            PID, 1, 0, "knight-sir-lance", 0xE6194B, 1_732_540_000_000, "arena", auth, RULES_VERSION
        ),
        "move": Move(PID, SEQ, T, 7_345, 4_123, 3, auth),
        "attack": Attack(PID, SEQ, T, 5, auth),
        "pickup": Pickup(PID, SEQ, T, 7, auth),
        "use": UseItem(PID, SEQ, T, auth),
        "ping": Ping(PID, SEQ, T, auth),
        "leave": Leave(PID, SEQ, T, auth),
    }


def json_bytes(action: Action) -> bytes:
    return json.dumps(to_json_dict(action), separators=(",", ":")).encode()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # nothing to tune


def run(args: argparse.Namespace) -> dict[str, Any]:
    del args
    actions = sample_actions()
    packed = {kind: len(encode(a)) for kind, a in actions.items()}
    as_json = {kind: len(json_bytes(a)) for kind, a in actions.items()}
    # Baseline: the same fields as a plain msgpack map (what a naive schema would write).
    as_map = {kind: len(msgpack.packb(to_json_dict(a))) for kind, a in actions.items()}
    unsigned = {kind: len(encode(a)) for kind, a in sample_actions(b"").items()}
    move = actions["move"]
    encode_ns = _per_call_ns(lambda: encode(move))
    json_ns = _per_call_ns(lambda: json_bytes(move))
    return {
        "bench": "wire",
        "msgpack_bytes": packed,
        "json_bytes": as_json,
        "msgpack_bytes_unsigned": unsigned,
        "ratio_move": round(packed["move"] / as_json["move"], 3),
        "baseline": {"what": "msgpack map of the JSON fields", "msgpack_map_bytes": as_map},
        "encode_move_ns": encode_ns,
        "json_move_ns": json_ns,
        "settings": {"pid": PID, "seq": SEQ, "t": T, "signed": f"{TOKEN_BYTES}-byte auth token"},
    }


def _per_call_ns(fn: Any, calls: int = 20_000) -> int:
    started = time.perf_counter()
    for _ in range(calls):
        fn()
    return round((time.perf_counter() - started) / calls * 1e9)
