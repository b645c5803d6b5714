"""Properties of the reducer and the codec over generated logs (hypothesis).

Logs are generated as abstract steps and turned into actions against the current world, so
most are plausible (right seq, honest clock, short moves towards items and rivals, on a
small map where players meet) while a share are not (repeated seqs, skewed clocks, jumps,
unknown items, other maps). Every action is codec-valid: it is what a log can really hold.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import NamedTuple

import msgpack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.core.actions import Action, Attack, Join, Leave, Move, Pickup, Ping, UseItem
from game.core.codec import AUTH_BYTES, Skipped, decode, encode, encode_v1, encode_v2, record_key
from game.core.constants import ATTACK_COOLDOWN_MS
from game.core.maps import load_map, parse_map
from game.core.replica import MatchReplica
from game.core.world import Outcome, World, apply, new_world, world_hash

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

TINY = parse_map(
    "tiny",
    "\n".join(
        [
            "#######",
            "#S.P.S#",
            "#F.#.C#",
            "#S.C.S#",
            "#######",
        ]
    ),
)
MAPS = {"tiny": TINY, "arena": load_map("arena")}
PIDS = (7, 8, 2**32 - 1)
NAMES = ("ann", "bob", "cy")
STRANGER = 424_242  # never joins: its pings advance the clock and nothing else
MAX_POS = 2**16 - 1

KINDS = (
    ["join"] * 2
    + ["move"] * 3
    + ["approach"] * 5
    + ["teleport"]
    + ["attack"]
    + ["aim"] * 4
    + ["flurry"] * 2  # a rush at the nearest rival, then five aimed swings a cooldown apart
    + ["pickup"] * 3
    + ["use"] * 2
    + ["ping", "ping", "leave"]
)

# Mostly game-paced gaps, sometimes long enough for respawns, item timers and timeouts.
TIME_STEPS = [0, 1, 16, 33, 50, 100, 100, 150, 250, 300, 420, 500] * 4 + [800, -40, 1_000, 3_000]
TIME_STEPS += [5_000, 10_000]
SEQ_STEPS = [1] * 12 + [2, 0, -1, 7]  # from the player's last seq
CLOCK_ERRORS = [0] * 12 + [-30, 40, -2_000, 1_499, 1_501, 5_000]  # client time minus honest time
MAP_NAMES = ["tiny"] * 12 + ["arena", "atlantis"]
JOIN_RULES = [1] * 6 + [0, 2]  # a join's rules version, by its (otherwise unused) facing byte


class Step(NamedTuple):
    """One abstract log step; `to_action` makes it concrete against the world of the moment."""

    dts: int  # broker time since the previous record
    kind: str
    who: int  # index into PIDS
    seq_step: int
    skew: int
    dx: int  # or the step length when approaching
    dy: int
    facing: int
    item: int  # the tiny map has 4; odd: pick up the nearest instead
    name: int  # index into NAMES
    map_name: str
    rejoin: bool  # for a player not in the match: join instead (else send the step anyway)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Step:
        # Steps come from raw bytes, as drawing a dozen strategies per step is several times
        # slower. Each byte indexes its table; all-zero bytes shrink to "join now, at once".
        b = raw
        return cls(
            TIME_STEPS[b[0] % len(TIME_STEPS)],
            KINDS[b[1] % len(KINDS)],
            b[2] % len(PIDS),
            SEQ_STEPS[b[3] % len(SEQ_STEPS)],
            CLOCK_ERRORS[b[4] % len(CLOCK_ERRORS)],
            ((b[5] + 128) % 256 - 128) * 7,
            ((b[6] + 128) % 256 - 128) * 7,
            b[7] % 8,
            b[8] % 7,
            b[9] % len(NAMES),
            MAP_NAMES[b[10] % len(MAP_NAMES)],
            b[11] % 4 != 3,
        )


steps = st.binary(min_size=12, max_size=12).map(Step.from_bytes)
logs = st.lists(steps, min_size=15, max_size=100)


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def aim(dx: int, dy: int) -> int:
    """The facing (0 = north, clockwise) closest to the direction (dx, dy)."""
    return round(math.atan2(dx, -dy) / (math.pi / 4)) % 8


def nearest_rival(world: World, pid: int) -> tuple[int, int] | None:
    me = world.players[pid]
    rivals = [(p.x, p.y) for p in world.players.values() if p.pid != pid]
    return min(rivals, key=lambda r: (r[0] - me.x) ** 2 + (r[1] - me.y) ** 2, default=None)


def to_action(world: World, step: Step, ts: int) -> Action:
    """Turn an abstract step into a codec-valid action, against the world as it is now."""
    _, kind, who, seq_step, skew, dx, dy, facing, item, name, map_name, rejoin = step
    pid = PIDS[who]
    player = world.players.get(pid)
    if player is None and rejoin:
        kind = "join"
    if player is None:
        seq, t, x, y = max(1, seq_step), max(0, 1_000 + skew), 0, 0
    else:
        seq = clamp(player.seq + seq_step, 1, 2**31 - 1)
        t = max(0, ts - player.clock_base + skew)
        x, y = player.x, player.y
    if kind == "join":
        colour, epoch_ms = 0x123456 * (who + 1), 1_700_000_000_000 + ts
        return Join(pid, seq, t, NAMES[name], colour, epoch_ms, map_name, rules=JOIN_RULES[facing])
    if kind == "move":
        return Move(pid, seq, t, clamp(x + dx, 0, MAX_POS), clamp(y + dy, 0, MAX_POS), facing)
    if kind == "teleport":
        return Move(pid, seq, t, (dx + 900) * 3, (dy + 900) * 2, facing)
    if kind in ("approach", "rush"):
        target = None
        if player is not None:
            if (kind == "rush" or facing % 4) and (rival := nearest_rival(world, pid)):
                target = rival
            elif world.items:
                spot = world.items[item % len(world.items)]
                target = (spot.x, spot.y)
        if target is None:
            return Ping(pid, seq, t)
        gx, gy = target[0] - x, target[1] - y
        dist = math.isqrt(gx * gx + gy * gy)
        reach = min(abs(dx), dist)
        if dist:
            x, y = x + gx * reach // dist, y + gy * reach // dist
        return Move(pid, seq, t, clamp(x, 0, MAX_POS), clamp(y, 0, MAX_POS), facing)
    if kind == "attack":
        return Attack(pid, seq, t, facing)
    if kind in ("aim", "flurry"):
        rival = nearest_rival(world, pid) if player is not None else None
        return Attack(pid, seq, t, aim(rival[0] - x, rival[1] - y) if rival else facing)
    if kind == "pickup":
        if player is not None and world.items and item % 2:  # mostly the nearest item
            item = min(world.items, key=lambda i: (i.x - x) ** 2 + (i.y - y) ** 2).item_id
        return Pickup(pid, seq, t, item)
    if kind == "use":
        return UseItem(pid, seq, t)
    if kind == "leave":
        return Leave(pid, seq, t)
    return Ping(pid, seq, t)


def replay(log: list[Step], world: World | None = None, ts: int = 1_000) -> Iterator[tuple[Action, int]]:
    """Yield (action, ts) for each step, materialised against `world` before it is applied."""
    world = world if world is not None else new_world(MAPS)
    for step in log:
        ts = max(0, ts + step.dts)
        if step.kind != "flurry":
            yield to_action(world, step, ts), ts
            continue
        yield to_action(world, step._replace(kind="rush"), ts), ts
        for _ in range(5):
            ts += ATTACK_COOLDOWN_MS
            yield to_action(world, step, ts), ts


def materialise(log: list[Step]) -> list[tuple[Action, int]]:
    """The concrete log: each step materialised against the world the log so far built."""
    world = new_world(MAPS)
    actions = []
    for action, ts in replay(log, world):
        apply(world, action, ts)
        actions.append((action, ts))
    return actions


def full_state(world: World) -> tuple:
    """Everything a reader holds, including what world_hash leaves out (clock, timers, names)."""
    return (
        world_hash(world),
        world.rules,
        world.clock,
        world.next_timer,
        sorted(world.names.items()),
        list(world.players),  # insertion order decides who respawns first
        [(i.item_id, i.kind, i.x, i.y, i.available_at) for i in world.items],
    )


# --- (a) determinism ---


@SETTINGS
@given(logs)
def test_two_readers_of_the_same_log_agree_after_every_record(log):
    """One reader applies actions; the other decodes records through a MatchReplica."""
    world = new_world(MAPS)
    replica = MatchReplica("m", new_world(MAPS))
    for offset, (action, ts) in enumerate(replay(log, world)):
        direct = apply(world, action, ts)
        via_log = replica.ingest(offset, ts, record_key(action.pid), encode(action))
        assert via_log == direct
        assert replica.hash() == world_hash(world)
    assert full_state(replica.world) == full_state(world)
    assert replica.applied + sum(replica.rejected.values()) == offset + 1
    assert not replica.skipped


# --- (b) a rejected action changes nothing but the passage of time ---


@SETTINGS
@given(logs)
def test_a_rejected_action_changes_nothing_but_the_clock(log):
    world = new_world(MAPS)
    for action, ts in replay(log, world):
        before = world.copy()
        outcome = apply(world, action, ts)
        if outcome.applied:
            continue
        assert outcome.reason
        # The same ts from a stranger: rejected too, firing exactly the same timers.
        witness = apply(before, Ping(STRANGER, 1, 0), ts)
        assert witness.reason == "not_joined"
        assert outcome.events == witness.events
        assert full_state(world) == full_state(before)


def test_rejection_witness_is_itself_rejected_for_every_pid_used():
    assert STRANGER not in PIDS
    world = new_world(MAPS)
    assert apply(world, Ping(STRANGER, 1, 0), 5) == Outcome(False, "not_joined")


# --- (c) snapshots ---


@SETTINGS
@given(logs, st.integers(0, 60))
def test_a_copy_continues_exactly_like_the_original(log, split):
    actions = materialise(log)
    split = min(split, len(actions))
    world = new_world(MAPS)
    for action, ts in actions[:split]:
        apply(world, action, ts)
    snapshot = world.copy()
    # The original runs ahead first: a copy sharing any mutable state would be corrupted.
    trail = []
    for action, ts in actions[split:]:
        trail.append((apply(world, action, ts), world_hash(world)))
    for (action, ts), (outcome, state) in zip(actions[split:], trail, strict=True):
        assert apply(snapshot, action, ts) == outcome
        assert world_hash(snapshot) == state
    assert full_state(snapshot) == full_state(world)


# --- (d) fuzzing the reader ---

msgpack_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(),
    st.text(max_size=20),
    st.binary(max_size=20),
)
msgpack_objects = st.recursive(
    msgpack_leaves,
    lambda inner: st.lists(inner, max_size=10) | st.dictionaries(st.text(max_size=8), inner, max_size=6),
    max_leaves=25,
)
small_ints = st.one_of(st.integers(-3, 10), st.sampled_from([7, 8, 2**32 - 1, 2**32, 2**40, 65_535, 65_536]))
near_v2 = st.builds(
    lambda version, code, rest: [version, code, *rest],
    st.sampled_from([2, 2, 2, 1, 3]),
    st.integers(0, 8),
    st.lists(small_ints | msgpack_leaves, max_size=8),
)
near_v3 = st.builds(
    lambda head, rest: [head, *rest],
    st.integers(0x2E, 0x41),
    st.lists(small_ints | msgpack_leaves | st.binary(min_size=AUTH_BYTES, max_size=AUTH_BYTES), max_size=8),
)
near_v1 = st.fixed_dictionaries(
    {"v": st.sampled_from([1, 1, 2, True])},
    optional={
        "type": st.sampled_from(["move", "attack", "collect", "use", "join", "leave", "ping", "x"]),
        "player": small_ints,
        "seq": small_ints,
        "t": small_ints,
        "x": st.floats() | small_ints,
        "y": st.floats() | small_ints,
        "dir": st.sampled_from(["north", "east", "up", ""]),
        "item": small_ints,
        "name": st.text(max_size=20),
        "color": st.sampled_from(["#00ff00", "#-00001", "00ff00", "#zzzzzz"]),
        "epoch_ms": small_ints,
    },
)


def _packed(obj: object) -> bytes:
    return msgpack.packb(obj)


records = st.one_of(
    st.binary(max_size=300),
    st.none(),
    msgpack_objects.map(_packed),
    near_v2.map(_packed),
    near_v3.map(_packed),
    near_v1.map(_packed),
    st.builds(lambda good, cut: good[:cut], near_v2.map(_packed), st.integers(0, 20)),
)
keys = st.one_of(st.none(), st.sampled_from([b"7", b"8", b"4294967295", b"", b"07"]), st.binary(max_size=12))


def populated_replica() -> MatchReplica:
    replica = MatchReplica("fuzz", new_world(MAPS))
    for offset, pid in enumerate(PIDS):
        action = Join(pid, 1, 0, NAMES[offset], 0, 0, "tiny")
        outcome = replica.ingest(offset, 1_000, record_key(pid), encode(action))
        assert outcome is not None and outcome.applied
    return replica


@SETTINGS
@given(st.lists(st.tuples(records, keys, st.integers(0, 3_000)), min_size=1, max_size=10))
def test_garbage_records_never_raise_and_skipped_ones_change_nothing(batch):
    replica = populated_replica()
    ts = 1_000
    for offset, (value, key, gap) in enumerate(batch, start=len(PIDS)):
        ts += gap
        before = full_state(replica.world)
        skipped = sum(replica.skipped.values())
        outcome = replica.ingest(offset, ts, key, value)
        assert replica.offset == offset
        if outcome is None:
            assert full_state(replica.world) == before
            assert sum(replica.skipped.values()) == skipped + 1
        else:
            assert isinstance(outcome, Outcome)


@SETTINGS
@given(st.binary(max_size=300), keys)
def test_decode_never_raises_and_returns_an_action_or_a_reason(value, key):
    result = decode(value, key)
    assert isinstance(result, Skipped | Join | Move | Attack | Pickup | UseItem | Ping | Leave)
    if not isinstance(result, Skipped):
        assert decode(encode(result)) == result


# --- (e) codec round trips ---

pids = st.integers(1, 2**32 - 1)
seqs = st.integers(1, 2**31 - 1)
times = st.integers(0, 2**40)
positions = st.integers(0, MAX_POS)
facings = st.integers(0, 7)
names = st.text(min_size=1, max_size=16).filter(str.isprintable)
tokens = st.just(b"") | st.binary(min_size=AUTH_BYTES, max_size=AUTH_BYTES)
rules_versions = st.integers(0, 3) | st.integers(0, 2**16 - 1)
valid_actions = st.one_of(
    st.builds(
        Join,
        pids,
        seqs,
        times,
        names,
        st.integers(0, 0xFFFFFF),
        st.integers(0, 2**45),
        names,
        tokens,
        rules_versions,
    ),
    st.builds(Move, pids, seqs, times, positions, positions, facings, tokens),
    st.builds(Attack, pids, seqs, times, facings, tokens),
    st.builds(Pickup, pids, seqs, times, st.integers(0, 255), tokens),
    st.builds(UseItem, pids, seqs, times, tokens),
    st.builds(Ping, pids, seqs, times, tokens),
    st.builds(Leave, pids, seqs, times, tokens),
)


@SETTINGS
@given(valid_actions)
def test_decode_of_encode_is_the_identity_for_every_valid_action(action):
    record = encode(action)
    assert decode(record) == action
    assert decode(record, record_key(action.pid)) == action
    assert decode(record, record_key(action.pid % (2**32 - 1) + 1)) == Skipped("key_mismatch")


@SETTINGS
@given(valid_actions)
def test_version_2_records_decode_to_the_same_unsigned_action(action):
    if isinstance(action, Join):
        action = dataclasses.replace(action, rules=0)  # version 2 had no rules versions
    assert decode(encode_v2(action), record_key(action.pid)) == dataclasses.replace(action, auth=b"")


@SETTINGS
@given(valid_actions.filter(lambda a: not isinstance(a, Ping)))
def test_version_1_records_upgrade_to_the_same_unsigned_action(action):
    action = dataclasses.replace(action, auth=b"")  # version 1 had no tokens, nor maps
    if isinstance(action, Join):
        action = dataclasses.replace(action, map_name="arena", rules=0)
    assert decode(encode_v1(action), record_key(action.pid)) == action
