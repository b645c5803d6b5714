"""Rules of the game, in one place and in named units.

Positions travel and are stored as integers in 1/16 px ("units") so that every reader
computes exactly the same world: no float rounding can split two readers apart.
"""

from __future__ import annotations

UNITS_PER_PX = 16
TILE_PX = 32
TILE_UNITS = TILE_PX * UNITS_PER_PX

PLAYER_RADIUS_PX = 11

MOVE_SPEED_PX_S = 170
# Movement is checked against a budget that refills at the move speed and can bank this
# much time, so jittery sends and bursty arrivals pass while a sustained speed-up does not.
MOVE_BURST_MS = 450
# A move may claim a client time at most this far ahead of the broker's append time.
CLOCK_SKEW_MS = 1500
# Wall checks along a move sample the path at most this far apart.
PATH_STEP_UNITS = 6 * UNITS_PER_PX

ATTACK_RANGE_PX = 46
ATTACK_RANGE_UNITS = ATTACK_RANGE_PX * UNITS_PER_PX
# Half-width of the swing: targets within this angle of the facing direction are hit.
ATTACK_HALF_ARC_DEG = 60
ATTACK_COOLDOWN_MS = 420
ATTACK_DAMAGE_HP = 20
FURY_DAMAGE_MULTIPLIER = 2
FURY_MS = 8_000

MAX_HEALTH_HP = 100
RESPAWN_MS = 3_000
POTION_HEAL_HP = 40
MAX_POTIONS = 3

PICKUP_RANGE_PX = 26
PICKUP_RANGE_UNITS = PICKUP_RANGE_PX * UNITS_PER_PX

ITEM_RESPAWN_MS = {"potion": 9_000, "coin": 5_000, "fury": 20_000}

KILL_SCORE = 5
COIN_SCORE = 1

# A player whose client sends nothing for this long (match clock) is removed: clients
# send a heartbeat well inside it, so only a dead client reaches it.
PRESENCE_TIMEOUT_MS = 10_000
HEARTBEAT_MS = 2_000

MAX_NAME_CHARS = 16

# Rounds (rules v2): a warm-up until ROUND_MIN_PLAYERS are present, a short countdown, a
# timed round (its length chosen by the match's first join), then an intermission that shows
# the winner before the next round starts with scores reset.
ROUND_MIN_PLAYERS = 2
DEFAULT_ROUND_S = 300
MIN_ROUND_S = 10
MAX_ROUND_S = 3_600
ROUND_COUNTDOWN_MS = 5_000
INTERMISSION_MS = 10_000
MAX_PLAYERS = 1_000

# Eight facings, clockwise from north, as unit vectors scaled by 1000 (integers keep the
# attack cone exact). 707 ~ 1000/sqrt(2).
FACING_NAMES = (
    "north",
    "north-east",
    "east",
    "south-east",
    "south",
    "south-west",
    "west",
    "north-west",
)
FACING_VECTORS = (
    (0, -1000),
    (707, -707),
    (1000, 0),
    (707, 707),
    (0, 1000),
    (-707, 707),
    (-1000, 0),
    (-707, -707),
)
