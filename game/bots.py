"""`python -m game.bots --match MATCH --count N`: bot players, each a real player in the log.

Behaviour, re-decided a few times a second: drink a potion or flee when low, chase and
swing at the nearest rival, go for nearby items, otherwise wander. Seeded, so a run can
be repeated; rate-limited per bot like a human's keyboard would be.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

from game.agent.navigate import Steering
from game.agent.player import IDLE, Intent, PlayerAgent, facing_of, random_pid, round_length_problem
from game.core.constants import (
    ATTACK_RANGE_UNITS,
    DEFAULT_ROUND_S,
    MAX_HEALTH_HP,
    MAX_POTIONS,
    MAX_ROUND_S,
    MIN_ROUND_S,
    TILE_UNITS,
)
from game.core.grid import CollisionGrid
from game.core.maps import DEFAULT_MAP, TileMap, available_maps, tile_centre
from game.core.world import Item, Player, World
from game.crowd import Crowd, Member
from game.kafka import KafkaUnavailable, add_kafka_arguments, settings_from_args
from game.shutdown import StopFlag

THINK_EVERY_MS = 300
SIGHT_UNITS = 7 * TILE_UNITS
ITEM_SIGHT_UNITS = 9 * TILE_UNITS
FLEE_BELOW_HP = MAX_HEALTH_HP * 3 // 10


class BotBrain:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.steering = Steering()
        self.next_think_ms = 0.0
        self.target: int | None = None
        self.done = False

    def think(self, agent: PlayerAgent, me: Player | None, world: World, now_ms: float) -> Intent:
        tile_map, grid = world.map, world.grid
        if me is None or not me.alive or tile_map is None or grid is None:
            return IDLE
        x, y = agent.x, agent.y
        rival = self._nearest_rival(world, agent.pid, x, y)
        if rival is not None and me.hp > FLEE_BELOW_HP:
            dx, dy = rival.x - x, rival.y - y
            if dx * dx + dy * dy <= (ATTACK_RANGE_UNITS * 3 // 4) ** 2:
                return Intent(attack=True, face=facing_of(dx, dy))
        if now_ms >= self.next_think_ms:
            self.next_think_ms = now_ms + THINK_EVERY_MS * self.rng.uniform(0.7, 1.3)
            self._decide(agent, me, world, tile_map, rival)
        if me.hp < MAX_HEALTH_HP // 2 and me.potions:
            return Intent(use=True, direction=self.steering.direction(x, y))
        direction = self.steering.direction(x, y)
        if direction == (0.0, 0.0):
            self._wander(agent, tile_map, grid)
        return Intent(direction=direction)

    def _decide(
        self, agent: PlayerAgent, me: Player, world: World, tile_map: TileMap, rival: Player | None
    ) -> None:
        x, y = agent.x, agent.y
        if me.hp <= FLEE_BELOW_HP and rival is not None:
            # Run to the spawn point farthest from the threat.
            far = max(tile_map.spawns, key=lambda s: (s[0] - rival.x) ** 2 + (s[1] - rival.y) ** 2)
            self.steering.go_to(tile_map, x, y, *far)
            return
        if rival is not None:
            self.steering.go_to(tile_map, x, y, rival.x, rival.y)
            return
        item = self._nearest_item(world, me, x, y)
        if item is not None:
            self.steering.go_to(tile_map, x, y, item.x, item.y)

    def _wander(self, agent: PlayerAgent, tile_map: TileMap, grid: CollisionGrid) -> None:
        for _ in range(8):
            tx, ty = self.rng.randrange(tile_map.width), self.rng.randrange(tile_map.height)
            if not grid.blocked(*tile_centre(tx, ty)):
                self.steering.go_to(tile_map, agent.x, agent.y, *tile_centre(tx, ty))
                return

    @staticmethod
    def _nearest_rival(world: World, pid: int, x: int, y: int) -> Player | None:
        best, best_d2 = None, SIGHT_UNITS * SIGHT_UNITS
        for player in world.players.values():
            if player.pid == pid or not player.alive:
                continue
            d2 = (player.x - x) ** 2 + (player.y - y) ** 2
            if d2 < best_d2:
                best, best_d2 = player, d2
        return best

    @staticmethod
    def _nearest_item(world: World, me: Player, x: int, y: int) -> Item | None:
        best, best_d2 = None, ITEM_SIGHT_UNITS * ITEM_SIGHT_UNITS
        for item in world.items:
            if item.available_at > world.clock or (item.kind == "potion" and me.potions >= MAX_POTIONS):
                continue
            d2 = (item.x - x) ** 2 + (item.y - y) ** 2
            if d2 < best_d2:
                best, best_d2 = item, d2
        return best


def add_bots(crowd: Crowd, count: int, seed: int, rate: float, prefix: str, round_s: int = 0) -> None:
    rng = random.Random(seed)
    for i in range(count):
        bot_rng = random.Random(rng.getrandbits(64))
        # A shorter chain than a human's: hundreds of bots build theirs at start-up.
        agent = PlayerAgent(
            f"{prefix}{i + 1:02d}"[:16],
            crowd.map_name,
            pid=random_pid(bot_rng),
            chain_length=1 << 14,
            round_s=round_s,
        )
        agent.move_interval_ms = 1000 / rate
        crowd.add(Member(agent, BotBrain(bot_rng), join_at_ms=i * 25))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m game.bots", description="Run bot players in a match.")
    parser.add_argument("--match", default="main")
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument(
        "--seconds", type=float, help="leave after this many seconds (default: run until Ctrl+C)"
    )
    parser.add_argument("--seed", type=int, help="seed for names, ids and behaviour (default: random)")
    parser.add_argument(
        "--rate", type=float, default=15.0, help="max move records per bot per second (default 15)"
    )
    parser.add_argument("--map", default=DEFAULT_MAP, choices=available_maps(), help="map of a new match")
    parser.add_argument("--prefix", help="bot name prefix (default: bot + 2 letters from the seed)")
    parser.add_argument(
        "--round-seconds",
        type=int,
        default=0,
        help=f"round length of a new match, s ({MIN_ROUND_S}-{MAX_ROUND_S}; default {DEFAULT_ROUND_S})",
    )
    add_kafka_arguments(parser)
    args = parser.parse_args(argv)
    if args.count < 1 or args.rate <= 0:
        parser.error("--count must be at least 1 and --rate positive")
    if (problem := round_length_problem(args.round_seconds)) is not None:
        parser.error(f"--round-seconds: {problem}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().getrandbits(32)
    prefix = (
        args.prefix
        or "bot" + "".join(random.Random(seed).choice("abcdefghjkmnpqrstuvwxyz") for _ in range(2)) + "-"
    )
    try:
        crowd = Crowd(settings_from_args(args), args.match, args.map)
        crowd.catch_up()
    except (KafkaUnavailable, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stopping = StopFlag()
    add_bots(crowd, args.count, seed, args.rate, prefix, args.round_seconds)
    started = time.monotonic()
    crowd.run(args.seconds, stopping)
    elapsed = time.monotonic() - started
    rejected: dict[str, int] = {}
    for member in crowd.members.values():
        for reason, n in member.rejected.items():
            rejected[reason] = rejected.get(reason, 0) + n
    print(
        json.dumps(
            crowd.replica.summary()  # offset, hash, applied, rejected, skipped: as every reader's
            | {
                "match": args.match,
                "bots": args.count,
                "seed": seed,
                "seconds": round(elapsed, 2),
                "sent": crowd.sent,
                "dropped": crowd.dropped,
                "delivered": crowd.producer.delivered,
                "failed": crowd.producer.failed,
                "rebuilds": crowd.producer.rebuilds,
                "actions_per_s": round(crowd.sent / elapsed, 1) if elapsed else 0,
                "bot_rejected": rejected,
            },
            sort_keys=True,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
