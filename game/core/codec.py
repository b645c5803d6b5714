"""The wire format: one msgpack record per action, versioned, small, and safe to decode.

Version 3 (current) is a positional array whose first element packs the version and the
action type into one byte (0x30 | type), so a move with its auth token is 32 bytes for a
player's first 65,535 actions (34 after that, when the sequence number needs 4 bytes):

    [0x30 | type, pid, seq, t, ...payload, auth?]
    join   (1): name, color, epoch_ms, map_name, auth_tip?, rules?, round_s?, proof_at?
    move   (2): x, y, facing          (x, y in 1/16 px)
    attack (3): facing
    pickup (4): item
    use    (5), ping (6), leave (7): no payload

`auth` (8 bytes) is the player's next hash-chain token and `auth_tip` the chain's tip,
published at join (see game/auth.py); players who join without a tip send no tokens.
`rules` is the version of the rules the player plays by (game/core/rules.py), the join's
last element, written when not 0: a join without it (every one written before matches
carried their rules) decodes as rules 0, unversioned. `round_s`, the round length the
player asks for (rules v2, which added rounds), follows `rules` when not 0; a join without
it decodes as 0, the default length. `proof_at`, the offset of the join's proof in the
player's identity log (game/core/identity.py), follows `round_s` when the join has one; a join
without it decodes as -1, an open join.

Older versions stay readable and are upgraded to the same actions, so old matches keep
replaying: version 2 was the same array with the version and type as two elements
(`[2, type, pid, seq, t, ...]`, no auth); version 1 was a map with named fields and
positions in float pixels.

Decoding never raises: a record that is not a valid action comes back as `Skipped` with
a reason, and msgpack's size limits keep a hostile header from asking for gigabytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, final

import msgpack

from game.core.actions import Action, Attack, Join, Leave, Move, Pickup, Ping, UseItem
from game.core.constants import MAX_NAME_CHARS

SCHEMA_VERSION = 3
MAX_RECORD_BYTES = 256
AUTH_BYTES = 8

TYPE_CODES: dict[type, int] = {Join: 1, Move: 2, Attack: 3, Pickup: 4, UseItem: 5, Ping: 6, Leave: 7}
_V3 = SCHEMA_VERSION << 4
_V3_MOVE = _V3 | 2
_PAYLOAD_LEN = {1: 4, 2: 3, 3: 1, 4: 1, 5: 0, 6: 0, 7: 0}

_MAX_PID = 2**32 - 1
_MAX_SEQ = 2**31 - 1
_MAX_T = 2**40
_MAX_POS = 2**16 - 1
_MAX_EPOCH_MS = 2**45
_MAX_RULES = 2**16 - 1
_MAX_ROUND_S = 2**20
_MAX_PROOF_AT = 2**53


@final
@dataclass(frozen=True, slots=True)
class Skipped:
    """A record that is not a valid action, and why."""

    reason: str


TOO_LARGE = Skipped("too_large")
EMPTY = Skipped("empty")
MALFORMED = Skipped("malformed")
UNKNOWN_VERSION = Skipped("unknown_version")
UNKNOWN_TYPE = Skipped("unknown_type")
BAD_FIELD = Skipped("bad_field")
KEY_MISMATCH = Skipped("key_mismatch")

_packer = msgpack.Packer()

# A frozen dataclass's __init__ sets each field through object.__setattr__, which is half
# the cost of decoding a move. Moves are most of every log, so they are built by setting
# the slots directly: the same frozen object, equal to one built by Move(...).
_new_object = object.__new__
(_set_pid, _set_seq, _set_t, _set_x, _set_y, _set_facing, _set_auth) = (
    Move.__dict__[name].__set__ for name in Move.__slots__
)


def _new_move(pid: int, seq: int, t: int, x: int, y: int, facing: int, auth: bytes) -> Move:
    move = _new_object(Move)
    _set_pid(move, pid)
    _set_seq(move, seq)
    _set_t(move, t)
    _set_x(move, x)
    _set_y(move, y)
    _set_facing(move, facing)
    _set_auth(move, auth)
    return move


def encode(action: Action) -> bytes:
    """Pack an action as a current (version 3) record."""
    head: list[Any] = [_V3 | TYPE_CODES[type(action)], action.pid, action.seq, action.t]
    # `type(action) is ...`, not `match`: class patterns make encoding 12 % slower (30 % with
    # keyword patterns), and mypy narrows each branch all the same.
    if type(action) is Move:
        head += (action.x, action.y, action.facing)
    elif type(action) is Attack:
        head.append(action.facing)
    elif type(action) is Pickup:
        head.append(action.item)
    elif type(action) is Join:
        head += (action.name, action.color, action.epoch_ms, action.map_name)
        if action.auth:
            head.append(action.auth)
        if action.rules:  # after the tip: an unversioned join keeps the bytes it always had
            head.append(action.rules)
            if action.round_s or action.proof_at >= 0:
                head.append(action.round_s)
            if action.proof_at >= 0:
                head.append(action.proof_at)
        return _packer.pack(head)
    if action.auth:
        head.append(action.auth)
    return _packer.pack(head)


def encode_v2(action: Action) -> bytes:
    """Pack an action in the old version 2 format (kept to build and test old recordings)."""
    # Version 2 had no auth and no rules version.
    current = msgpack.unpackb(
        encode(
            replace(action, auth=b"", rules=0, round_s=0, proof_at=-1)
            if type(action) is Join
            else replace(action, auth=b"")
        )
    )
    return msgpack.packb([2, TYPE_CODES[type(action)], *current[1:]])


def record_key(pid: int) -> bytes:
    """The Kafka record key of a player's actions: its id in decimal."""
    return b"%d" % pid


def decode(value: bytes | None, key: bytes | None = None) -> Action | Skipped:
    """Decode one record; never raises. A given key must match the action's player id."""
    if not value:
        return EMPTY
    if len(value) > MAX_RECORD_BYTES:
        return TOO_LARGE
    try:
        # Explicit limits (spelled out, not **kwargs, which costs half the decode time): a
        # record is at most MAX_RECORD_BYTES, so no header can ask for more than that.
        obj = msgpack.unpackb(
            value,
            max_str_len=64,
            max_bin_len=AUTH_BYTES,
            max_array_len=16,
            max_map_len=16,
            max_ext_len=0,
            strict_map_key=True,
        )
    except Exception:  # msgpack raises several types for corrupt input; all mean the same
        return MALFORMED
    try:
        if type(obj) is list:
            action = _from_array(obj)
        elif type(obj) is dict:
            if obj.get("v") != 1 or type(obj.get("v")) is not int:
                return UNKNOWN_VERSION
            action = _from_v1(obj)
        else:
            return MALFORMED
    except (IndexError, TypeError, ValueError, KeyError, OverflowError):
        return BAD_FIELD
    if type(action) is Skipped:  # final, so mypy knows an action follows
        return action
    if key is not None and key != b"%d" % action.pid:
        return KEY_MISMATCH
    return action


def _int(value: object, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise ValueError(value)
    return value


def _name(value: object) -> str:
    if type(value) is not str or not 1 <= len(value) <= MAX_NAME_CHARS or not value.isprintable():
        raise ValueError(value)
    return value


def _from_array(obj: list) -> Action | Skipped:
    head = obj[0]
    if len(obj) == 8 and type(head) is int and head == _V3_MOVE:
        # Moves are most of every log: checked inline, the replay rate depends on it.
        _, pid, seq, t, x, y, facing, auth = obj
        if (
            type(pid) is int
            and type(seq) is int
            and type(t) is int
            and type(x) is int
            and type(y) is int
            and type(facing) is int
            and type(auth) is bytes
            and 0 < pid <= _MAX_PID
            and 0 < seq <= _MAX_SEQ
            and 0 <= t <= _MAX_T
            and 0 <= x <= _MAX_POS
            and 0 <= y <= _MAX_POS
            and 0 <= facing <= 7
            and len(auth) == AUTH_BYTES
        ):
            return _new_move(pid, seq, t, x, y, facing, auth)
        return BAD_FIELD
    if type(head) is not int:
        return UNKNOWN_VERSION
    if head >> 4 == SCHEMA_VERSION:
        code, fields, may_sign = head & 0xF, obj[1:], True
    elif head == 2 and len(obj) > 1:
        code, fields, may_sign = obj[1], obj[2:], False
        if type(code) is not int:  # True == 1 and 2.0 == 2 in Python: one form only
            return UNKNOWN_TYPE
    else:
        return UNKNOWN_VERSION
    payload = _PAYLOAD_LEN.get(code)
    if payload is None:
        return UNKNOWN_TYPE
    rules = round_s = 0
    proof_at = -1
    if code == 1 and may_sign:
        # A join's trailing numbers (v3 only), in order: rules version, round length, proof.
        trailing: list[int] = []
        while len(fields) > 7 and len(trailing) < 3 and type(fields[-1]) is int:
            trailing.insert(0, fields.pop())
        if trailing:
            rules = _int(trailing[0], 0, _MAX_RULES)
        if len(trailing) > 1:
            round_s = _int(trailing[1], 0, _MAX_ROUND_S)
        if len(trailing) > 2:
            proof_at = _int(trailing[2], 0, _MAX_PROOF_AT)
    auth = b""
    extra = len(fields) - 3 - payload
    if extra == 1 and may_sign:
        auth = fields.pop()
        if type(auth) is not bytes or len(auth) != AUTH_BYTES:
            return BAD_FIELD
    elif extra != 0:
        return BAD_FIELD
    pid = _int(fields[0], 1, _MAX_PID)
    seq = _int(fields[1], 1, _MAX_SEQ)
    t = _int(fields[2], 0, _MAX_T)
    if code == 2:
        return Move(
            pid,
            seq,
            t,
            _int(fields[3], 0, _MAX_POS),
            _int(fields[4], 0, _MAX_POS),
            _int(fields[5], 0, 7),
            auth,
        )
    if code == 3:
        return Attack(pid, seq, t, _int(fields[3], 0, 7), auth)
    if code == 4:
        return Pickup(pid, seq, t, _int(fields[3], 0, 255), auth)
    if code == 6:
        return Ping(pid, seq, t, auth)
    if code == 5:
        return UseItem(pid, seq, t, auth)
    if code == 1:
        name, color, epoch_ms, map_name = fields[3:7]
        return Join(
            pid,
            seq,
            t,
            _name(name),
            _int(color, 0, 0xFFFFFF),
            _int(epoch_ms, 0, _MAX_EPOCH_MS),
            _name(map_name),
            auth,
            rules,
            round_s,
            proof_at,
        )
    return Leave(pid, seq, t, auth)


_HEX = frozenset("0123456789abcdefABCDEF")
_V1_FACINGS = {
    "north": 0,
    "north-east": 1,
    "east": 2,
    "south-east": 3,
    "south": 4,
    "south-west": 5,
    "west": 6,
    "north-west": 7,
}


def _px_to_units(value: object) -> int:
    if (type(value) is int or type(value) is float) and math.isfinite(value):
        return _int(round(value * 16), 0, _MAX_POS)
    raise ValueError(value)


def _from_v1(obj: dict) -> Action | Skipped:
    kind = obj["type"]
    pid = _int(obj["player"], 1, _MAX_PID)
    seq = _int(obj["seq"], 1, _MAX_SEQ)
    t = _int(obj["t"], 0, _MAX_T)
    if kind == "move":
        return Move(pid, seq, t, _px_to_units(obj["x"]), _px_to_units(obj["y"]), _V1_FACINGS[obj["dir"]])
    if kind == "attack":
        return Attack(pid, seq, t, _V1_FACINGS[obj["dir"]])
    if kind == "collect":
        return Pickup(pid, seq, t, _int(obj["item"], 0, 255))
    if kind == "use":
        return UseItem(pid, seq, t)
    if kind == "join":
        color = obj["color"]
        if (
            type(color) is not str
            or len(color) != 7
            or color[0] != "#"
            or not all(c in _HEX for c in color[1:])
        ):
            raise ValueError(color)
        return Join(
            pid,
            seq,
            t,
            _name(obj["name"]),
            int(color[1:], 16),
            _int(obj["epoch_ms"], 0, _MAX_EPOCH_MS),
            "arena",
        )
    if kind == "leave":
        return Leave(pid, seq, t)
    return UNKNOWN_TYPE


def encode_v1(action: Action) -> bytes:
    """Pack an action in the old version 1 format (kept to build and test old recordings)."""
    base: dict[str, Any] = {"v": 1, "player": action.pid, "seq": action.seq, "t": action.t}
    facing_names = list(_V1_FACINGS)
    match action:
        case Move(x=x, y=y, facing=facing):
            base |= {"type": "move", "x": x / 16, "y": y / 16, "dir": facing_names[facing]}
        case Attack(facing=facing):
            base |= {"type": "attack", "dir": facing_names[facing]}
        case Pickup(item=item):
            base |= {"type": "collect", "item": item}
        case UseItem():
            base |= {"type": "use"}
        case Join(name=name, color=color, epoch_ms=epoch_ms):
            base |= {"type": "join", "name": name, "color": f"#{color:06x}", "epoch_ms": epoch_ms}
        case Leave():
            base |= {"type": "leave"}
        case Ping():
            raise ValueError(f"version 1 has no {action.KIND} action")
    return msgpack.packb(base)


def to_json_dict(action: Action) -> dict[str, Any]:
    """The action as plain JSON-friendly fields (for --jsonl and the wire-size benchmark)."""
    fields = {name: getattr(action, name) for name in action.__slots__}
    fields["auth"] = fields["auth"].hex()
    return {"type": action.KIND, **fields}
