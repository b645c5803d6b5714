"""One player's side of the match, shared by the window client, bots and scripted players.

It numbers actions (per-player sequence), stamps client time, predicts the player's own
movement at once (so a key press moves the knight this frame) and reconciles that
prediction with the log when the player's own actions come back applied or rejected.
No pygame and no Kafka here: callers pass what they send and what they read.
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from game.core.actions import Action, Attack, Join, Leave, Move, Pickup, Ping, UseItem
from game.core.auth import HashChain
from game.core.constants import (
    ATTACK_COOLDOWN_MS,
    DEFAULT_ROUND_S,
    HEARTBEAT_MS,
    MAX_HEALTH_HP,
    MAX_ROUND_S,
    MIN_ROUND_S,
    MOVE_SPEED_PX_S,
    PICKUP_RANGE_UNITS,
    UNITS_PER_PX,
)
from game.core.grid import CollisionGrid
from game.core.rules import RULES_VERSION
from game.core.world import Outcome, Player, World

SPEED_UNITS_PER_MS = MOVE_SPEED_PX_S * UNITS_PER_PX / 1000
MOVE_SEND_INTERVAL_MS = 33  # a move record at most ~30 times a second while walking
PICKUP_RETRY_MS = 400
# If the log disagrees with the prediction by more than this while nothing is in flight,
# the log wins (a rejected move, a respawn, or a clock we misjudged).
SNAP_DISTANCE_UNITS = 4 * UNITS_PER_PX

PALETTE = (0xE6194B, 0x3CB44B, 0xFFE119, 0x4363D8, 0xF58231, 0x911EB4, 0x46F0F0, 0xF032E6, 0xBCF60C, 0xFABEBE)


@dataclass(frozen=True, slots=True)
class Intent:
    """What a player means to do this frame: from keys, a script or a bot's brain."""

    direction: tuple[float, float] = (0.0, 0.0)
    attack: bool = False
    grab: int | None = None
    use: bool = False
    face: int | None = None


IDLE = Intent()


def round_length_problem(round_s: int) -> str | None:
    """Why a round length asked for a new match is not one (None: it is; 0 takes the default)."""
    if round_s == 0 or MIN_ROUND_S <= round_s <= MAX_ROUND_S:
        return None
    return f"a round lasts {MIN_ROUND_S} to {MAX_ROUND_S} s (or 0 for the default, {DEFAULT_ROUND_S} s)"


def random_pid(rng: random.Random | None = None) -> int:
    return (rng or random.SystemRandom()).randint(1, 2**32 - 1)


class PlayerAgent:
    def __init__(
        self,
        name: str,
        map_name: str,
        *,
        pid: int | None = None,
        color: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        chain_length: int | None = 1 << 18,
        round_s: int = 0,
    ) -> None:
        self.name = name
        self.map_name = map_name
        self.round_s = round_s  # the round length this player asks for if its join creates the match
        self.proof_at = -1  # where this join's proof is in the player's identity log (-1: none)
        self.pid = pid if pid is not None else random_pid()
        self.color = color if color is not None else PALETTE[self.pid % len(PALETTE)]
        self._clock = clock
        self._wall_clock = wall_clock
        self._started = clock()
        self.seq = 0
        # Signs every action so no one else can act as this player (None: unsigned).
        self.chain = HashChain(chain_length) if chain_length else None
        self._join_seq = 0
        self._spent_at_join = 0  # tokens the join itself spent (1 for a proven join)
        self.sent_at: dict[int, float] = {}  # seq -> local send time, for the round trip
        self.rtt_ms: float | None = None
        self.joined = False
        self.join_rejected = ""
        # Prediction: where this player is on its own screen (units).
        self.x = 0
        self.y = 0
        self.facing = 4
        self._pending_moves: deque[int] = deque()
        self._last_move_sent_ms = -1e9
        self._last_sent_ms = -1e9
        self._next_attack_ms = 0.0
        self._pickup_requested: dict[int, float] = {}
        self._sent_x = 0
        self._sent_y = 0
        self._sent_facing = 4
        self.move_interval_ms: float = MOVE_SEND_INTERVAL_MS
        self._resync = False

    def act(self, intent: Intent, world: World, dt_ms: float) -> list[Action]:
        """Turn one frame's intent into predicted movement and the actions to send."""
        if self.chain_spent:
            return self.renew()
        self.reconcile(world)  # first: a respawn or refusal moves us before we walk on
        me = world.players.get(self.pid)
        out: list[Action | None] = []
        if intent.face is not None:
            self.facing = intent.face
        if self._resync:
            # A move of ours was refused: stand still until the log has judged every move
            # in flight, then continue from where the log says we are.
            if not self._pending_moves:
                self._resync = False
                self.snap_to(me)
        else:
            grid = world.grid
            if grid is not None:  # None until a join sets the map: nobody can walk yet
                before = (self.x, self.y)
                self.walk(grid, intent.direction, dt_ms, me)
                if (self.x, self.y) != before and not grid.path_clear(
                    self._sent_x, self._sent_y, self.x, self.y
                ):
                    # Rounding a corner: report the corner first, the log checks straight lines.
                    after = (self.x, self.y)
                    self.x, self.y = before
                    out.append(self.move_if_due(force=True))
                    self.x, self.y = after
            out.append(self.move_if_due())
        alive = me is not None and me.alive
        if intent.attack and alive:
            out.append(self.move_if_due(force=True))  # the swing is judged where we stand
            out.append(self.attack())
        if intent.grab is not None and alive:
            out.append(self.move_if_due(force=True))
            out.append(self.grab(intent.grab))
        if intent.use:
            out.append(self.use_potion(me))
        items = self.items_in_reach(world, me)
        if items:
            out.append(self.move_if_due(force=True))  # first, so the log sees us at the item
            out.extend(self.grab(item_id) for item_id in items)
        out.append(self.heartbeat(me))
        return [action for action in out if action is not None]

    # --- client time and sequence numbers ---

    def now_ms(self) -> float:
        return (self._clock() - self._started) * 1000

    def _stamp(self) -> tuple[int, int, bytes]:
        self.seq += 1
        now = self.now_ms()
        self.sent_at[self.seq] = now
        self._last_sent_ms = now
        if len(self.sent_at) > 4096:  # actions that never came back (e.g. lost in an outage)
            for old in sorted(self.sent_at)[:2048]:
                del self.sent_at[old]
        if self.chain is None:
            return self.seq, int(now), b""
        if not self._join_seq:
            self._join_seq = self.seq
            if self.proof_at >= 0:
                # A proven join spends the chain's first token (the proof named the tip), so
                # only this chain's holder can write a join the proof admits.
                self._spent_at_join = 1
                return self.seq, int(now), self.chain.token(1)
            self._spent_at_join = 0
            return self.seq, int(now), self.chain.tip
        return self.seq, int(now), self.chain.token(self.seq - self._join_seq + self._spent_at_join)

    # --- actions ---

    @property
    def chain_spent(self) -> bool:
        """True when the hash chain is nearly spent: leave and join again with `renew`."""
        return (
            self.chain is not None
            and self._join_seq > 0
            and self.seq - self._join_seq + self._spent_at_join >= self.chain.length - 2
        )

    def renew(self) -> list[Action]:
        """Leave with the old identity and join again with a new id and a fresh chain."""
        leave = self.leave()
        self.pid = random_pid()
        self.chain = HashChain(self.chain.length if self.chain else 1 << 16)
        self.seq = self._join_seq = 0
        self.proof_at = -1  # the proof named the old id and chain; a guarded match refuses this join
        self.joined = False
        self.sent_at.clear()
        self._pending_moves.clear()
        return [leave, self.join()]

    def join(self) -> Join:
        seq, t, tip = self._stamp()
        return Join(
            self.pid,
            seq,
            t,
            self.name,
            self.color,
            int(self._wall_clock() * 1000),
            self.map_name,
            tip,
            rules=RULES_VERSION,  # the first join fixes the match's; a join of other rules is refused
            round_s=self.round_s,
            proof_at=self.proof_at,
        )

    def attack(self) -> Attack | None:
        """An attack in the facing direction, or None while the local cooldown runs."""
        now = self.now_ms()
        if now < self._next_attack_ms:
            return None
        self._next_attack_ms = now + ATTACK_COOLDOWN_MS + 5  # a hair over, as the log judges it
        seq, t, auth = self._stamp()
        return Attack(self.pid, seq, t, self.facing, auth)

    def use_potion(self, me: Player | None) -> UseItem | None:
        if me is None or not me.alive or me.potions == 0 or me.hp >= MAX_HEALTH_HP:
            return None
        seq, t, auth = self._stamp()
        return UseItem(self.pid, seq, t, auth)

    def leave(self) -> Leave:
        seq, t, auth = self._stamp()
        return Leave(self.pid, seq, t, auth)

    def heartbeat(self, me: Player | None) -> Ping | None:
        """A ping when quiet for a while, or often while dead so the respawn fires on time."""
        interval = 250 if me is not None and not me.alive else HEARTBEAT_MS / 2
        if self.now_ms() - self._last_sent_ms < interval:
            return None
        seq, t, auth = self._stamp()
        return Ping(self.pid, seq, t, auth)

    def walk(
        self, grid: CollisionGrid, direction: tuple[float, float], dt_ms: float, me: Player | None
    ) -> None:
        """Predict one step of walking in `direction` (any length; normalised here)."""
        if me is None or not me.alive:
            return
        dx, dy = direction
        length = (dx * dx + dy * dy) ** 0.5
        if length == 0:
            return
        self.facing = facing_of(dx, dy)
        # Truncate toward zero: never claim more distance than the speed allows.
        step = SPEED_UNITS_PER_MS * min(dt_ms, 50)
        self.x, self.y = grid.slide(self.x, self.y, int(dx / length * step), int(dy / length * step))

    def move_if_due(self, force: bool = False) -> Move | None:
        """A move record when the predicted position or facing changed and one is due."""
        if (self.x, self.y, self.facing) == (self._sent_x, self._sent_y, self._sent_facing):
            return None
        now = self.now_ms()
        if not force and now - self._last_move_sent_ms < self.move_interval_ms:
            return None
        self._last_move_sent_ms = now
        self._sent_x, self._sent_y, self._sent_facing = self.x, self.y, self.facing
        seq, t, auth = self._stamp()
        self._pending_moves.append(seq)
        return Move(self.pid, seq, t, self.x, self.y, self.facing, auth)

    def items_in_reach(self, world: World, me: Player | None) -> list[int]:
        """Items the player is standing on, as this client sees them, not asked for lately."""
        if me is None or not me.alive:
            return []
        now = self.now_ms()
        wanted = []
        reach2 = (PICKUP_RANGE_UNITS * 3 // 4) ** 2  # ask a little inside the log's reach
        for item in world.items:
            if item.available_at > world.clock:
                continue
            if (item.x - self.x) ** 2 + (item.y - self.y) ** 2 > reach2:
                continue
            if now - self._pickup_requested.get(item.item_id, -1e9) < PICKUP_RETRY_MS:
                continue
            self._pickup_requested[item.item_id] = now
            wanted.append(item.item_id)
        return wanted

    def grab(self, item_id: int) -> Pickup:
        """A pickup regardless of what this client sees (the log decides)."""
        seq, t, auth = self._stamp()
        return Pickup(self.pid, seq, t, item_id, auth)

    # --- reconciliation ---

    def on_own_record(self, action: Action, outcome: Outcome, world: World) -> None:
        """The log judged one of this player's actions: measure the round trip, reconcile."""
        sent = self.sent_at.pop(action.seq, None)
        if sent is not None:
            self.rtt_ms = self.now_ms() - sent
        me = world.players.get(self.pid)
        if isinstance(action, Join):
            if self.joined and not outcome.applied:
                return  # a second copy of our join (a producer re-send): we are in already
            if outcome.applied and me is not None:
                self.joined = True
                self.x, self.y = self._sent_x, self._sent_y = me.x, me.y
            else:
                self.join_rejected = outcome.reason
            return
        if isinstance(action, Move):
            while self._pending_moves and self._pending_moves[0] <= action.seq:
                self._pending_moves.popleft()
            if not outcome.applied:
                self._resync = True

    def reconcile(self, world: World) -> None:
        """Once a frame: trust the log when nothing of ours is in flight and it disagrees."""
        me = world.players.get(self.pid)
        if me is None:
            return
        if not me.alive:
            self.x, self.y = me.x, me.y
            self._pending_moves.clear()
            return
        # Compare the log with what we last told it (the prediction runs ahead of that by the
        # steps not yet sent): a difference means the log moved us, e.g. a respawn.
        if (
            not self._pending_moves
            and not self._resync
            and (
                abs(me.x - self._sent_x) > SNAP_DISTANCE_UNITS
                or abs(me.y - self._sent_y) > SNAP_DISTANCE_UNITS
            )
        ):
            self.snap_to(me)

    def snap_to(self, me: Player | None) -> None:
        if me is None:
            return
        self.x, self.y = me.x, me.y
        self._sent_x, self._sent_y, self._sent_facing = me.x, me.y, self.facing
        self._pending_moves.clear()


def facing_of(dx: float, dy: float) -> int:
    """The nearest of the eight facings (0 = north, clockwise) for a direction."""
    angle = math.degrees(math.atan2(dx, -dy)) % 360
    return int((angle + 22.5) // 45) % 8
