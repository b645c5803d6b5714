"""`wire`: record size per action type, msgpack (what the log holds) against compact JSON.

No broker: sizes depend only on the codec. Field values are realistic worst-ish cases: a
random 32-bit pid, a sequence number after a few minutes of play, a client time after
~17 minutes, a position mid-map.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import msgpack

from game.actions import Action, Attack, Join, Leave, Move, Pickup, Ping, UseItem
from game.codec import encode, to_json_dict

PID = 2**31 + 123_457
SEQ = 10_417
T = 1_034_567


def sample_actions() -> dict[str, Action]:
    return {
        "join": Join(PID, 1, 0, "knight-sir-lance", 0xE6194B, 1_732_540_000_000, "arena"),
        "move": Move(PID, SEQ, T, 7_345, 4_123, 3),
        "attack": Attack(PID, SEQ, T, 5),
        "pickup": Pickup(PID, SEQ, T, 7),
        "use": UseItem(PID, SEQ, T),
        "ping": Ping(PID, SEQ, T),
        "leave": Leave(PID, SEQ, T),
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
    move = actions["move"]
    encode_ns = _per_call_ns(lambda: encode(move))
    json_ns = _per_call_ns(lambda: json_bytes(move))
    return {
        "bench": "wire",
        "msgpack_bytes": packed,
        "json_bytes": as_json,
        "ratio_move": round(packed["move"] / as_json["move"], 3),
        "baseline": {"what": "msgpack map of the JSON fields", "msgpack_map_bytes": as_map},
        "encode_move_ns": encode_ns,
        "json_move_ns": json_ns,
        "settings": {"pid": PID, "seq": SEQ, "t": T},
    }


def _per_call_ns(fn: Any, calls: int = 20_000) -> int:
    started = time.perf_counter()
    for _ in range(calls):
        fn()
    return round((time.perf_counter() - started) / calls * 1e9)
